// SPDX-License-Identifier: GPL-2.0
/*
 * The slow-start formula, from the module's own source (kmod/slowstart.c),
 * as the share a ramping backend should get: the bench compares it with
 * the share measured in the VM.
 *
 *   bench_slowstart WINDOW_MS AGGR_MILLI MIN_PCT WEIGHT OTHERS FROM_MS TO_MS STEP_MS
 *
 * For t = FROM_MS, FROM_MS + STEP_MS, ... <= TO_MS (time since the backend
 * entered slow start) prints one line
 *
 *	t_ms effective_weight share_pct
 *
 * where share_pct = 100 * w_eff / (w_eff + OTHERS), OTHERS being the sum
 * of the other backends' weights: the backend's share of the Maglev table,
 * and so of new flows, if the table follows the weights exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../kmod/slowstart.h"

static unsigned long arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "bench_slowstart: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long window, aggr, min_pct, weight, others, from, to, step, t;

	if (argc != 9) {
		fprintf(stderr, "usage: bench_slowstart WINDOW_MS AGGR_MILLI MIN_PCT WEIGHT OTHERS FROM_MS TO_MS STEP_MS\n");
		return 2;
	}
	window = arg(argv[1]);
	aggr = arg(argv[2]);
	min_pct = arg(argv[3]);
	weight = arg(argv[4]);
	others = arg(argv[5]);
	from = arg(argv[6]);
	to = arg(argv[7]);
	step = arg(argv[8]);
	if (!step) {
		fprintf(stderr, "bench_slowstart: STEP_MS must be above 0\n");
		return 2;
	}
	for (t = from; t <= to; t += step) {
		u32 w = mg_ss_weight(weight, mg_ss_factor(t, window, aggr, min_pct));

		printf("%lu %u %.3f\n", t, w, w + others ? 100.0 * w / (w + others) : 0.0);
	}
	return 0;
}
