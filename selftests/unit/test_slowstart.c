// SPDX-License-Identifier: GPL-2.0
/*
 * The slow-start formula (kmod/slowstart.c, the module's source) against
 * libm: w * max(min%, f^(1/a)).
 */
#include <math.h>
#include <stdio.h>

#include "../../kmod/slowstart.h"
#include "ktap.h"

int main(void)
{
	static const unsigned int aggr[] = { 100, 250, 500, 1000, 1500, 2000, 4000, 10000 };
	double worst = 0, worst_log = 0, worst_exp = 0;
	unsigned int i, a;
	int mono = 1;

	ktap_plan(8);
	for (i = 1; i < 100000; i += 7) {
		double e = fabs(mg_log2_q16(i) / 65536.0 - log2(i));

		if (e > worst_log)
			worst_log = e;
	}
	ktap_ok(worst_log < 1.0 / 16384, "log2 in Q16: worst error %.2e over 1..1e5", worst_log);
	for (i = 0; i < 16 * 65536; i += 13) {
		double e = fabs(mg_exp2_neg_q16(i) / 65536.0 - exp2(-(double)i / 65536.0));

		if (e > worst_exp)
			worst_exp = e;
	}
	ktap_ok(worst_exp < 1.0 / 16384, "2^-x in Q16: worst error %.2e over [0, 16)", worst_exp);

	for (a = 0; a < sizeof(aggr) / sizeof(aggr[0]); a++) {
		unsigned int prev = 0;

		for (i = 0; i <= 20000; i += 3) {
			double f = i / 20000.0, want = pow(f, 1000.0 / aggr[a]);
			unsigned int got = mg_ss_factor(i, 20000, aggr[a], 0);
			double e = fabs(got / 65536.0 - want);

			if (e > worst)
				worst = e;
			if (got < prev)
				mono = 0;
			prev = got;
		}
	}
	ktap_ok(worst < 2.0 / 1000, "factor f^(1/a) for a in 0.1..10: worst error %.2e", worst);
	ktap_ok(mono, "factor never decreases as time passes");
	ktap_ok(mg_ss_factor(0, 20000, 1000, 10) == 6553 && mg_ss_factor(1000, 20000, 1000, 10) == 6553,
		"the minimum percent is the floor early in the ramp (10%% = %u/65536)",
		mg_ss_factor(1000, 20000, 1000, 10));
	ktap_ok(mg_ss_factor(20000, 20000, 1000, 10) == MG_SS_ONE && mg_ss_factor(5, 0, 1000, 10) == MG_SS_ONE,
		"the factor is 1 at the end, and with window 0");
	ktap_ok(mg_ss_weight(1000, 32768) == 500 && mg_ss_weight(1, 100) == 1 && mg_ss_weight(0, 65536) == 0,
		"weights: w * factor, at least 1 for w > 0, 0 for w = 0");
	ktap_ok(mg_ss_factor(1ULL << 40, 1ULL << 41, 1000, 0) > 32700 &&
		mg_ss_factor(1ULL << 40, 1ULL << 41, 1000, 0) < 32840,
		"nanosecond-scale windows keep precision (half of 2^41: %u, ideal 32768)",
		mg_ss_factor(1ULL << 40, 1ULL << 41, 1000, 0));
	return ktap_finish();
}
