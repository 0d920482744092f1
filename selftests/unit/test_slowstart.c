// SPDX-License-Identifier: GPL-2.0
/*
 * The slow-start formula (kmod/slowstart.c, the module's source) against
 * libm: w * max(min%, f^(1/a)); and the weights a table is built from
 * during a ramp (mg_ss_table_weights), checked on tables built by the
 * module's own Maglev code (kmod/maglev.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kmod/maglev.h"
#include "../../kmod/slowstart.h"
#include "ktap.h"

#define M 65521u

/*
 * Build a table for @n backends of configured weights @w, ramp factors @f,
 * and return the slots of the last one.
 */
static unsigned int last_slots(const u32 *w, const u32 *f, unsigned int n)
{
	static u16 slots[M];
	struct mg_backend be[8];
	struct mg_keys keys;
	u32 tw[8];
	void *scratch = malloc(mg_scratch_size(M, n));
	unsigned int i, got = 0;
	u8 addr[4] = { 10, 0, 1, 0 }, port[2] = { 0, 80 };

	mg_keys_init(&keys, MG_SEED_DEFAULT);
	mg_ss_table_weights(w, f, n, tw);
	for (i = 0; i < n; i++) {
		addr[3] = (u8)(i + 1);
		mg_id_set(&be[i].id, 4, addr, port);
		be[i].weight = tw[i];
		be[i].cookie = i;
	}
	mg_build(slots, M, be, n, &keys, scratch);
	for (i = 0; i < n; i++)
		if (be[i].cookie == n - 1)
			got = be[i].slots;
	free(scratch);
	return got;
}

/* weight-1 and weight-100 services, a fourth backend at factor f: its slots
 * against M * f / (3 + f) (w * f for it, w for the others)
 */
static double ramp_error(u32 weight, u32 f)
{
	u32 w[4] = { weight, weight, weight, weight };
	u32 fs[4] = { MG_SS_ONE, MG_SS_ONE, MG_SS_ONE, f };
	double x = f / 65536.0;

	return fabs(last_slots(w, fs, 4) - M * x / (3 + x));
}

static void table_weights(void)
{
	u32 w[4] = { 1, 1, 1, 1 }, f[4] = { MG_SS_ONE, MG_SS_ONE, MG_SS_ONE, MG_SS_ONE };
	u32 big[3] = { 0x7fffffff, 0x7fffffff, 3 }, bigf[3] = { MG_SS_ONE, 6553, MG_SS_ONE };
	u32 mixed[3] = { 7, 0, 300 }, out[4];
	double worst1 = 0, worst100 = 0, e;
	unsigned int k;

	mg_ss_table_weights(mixed, f, 3, out);
	ktap_ok(out[0] == 7 && out[1] == 0 && out[2] == 300,
		"table weights: no ramp, the configured weights themselves (the table is plain maglev's)");
	f[3] = 6553;
	mg_ss_table_weights(w, f, 4, out);
	ktap_ok(out[0] == MG_SS_ONE && out[3] == 6553,
		"table weights: weight 1 at factor 0.1 is 6553 against 65536, not 1 against 1");
	mg_ss_table_weights(big, bigf, 3, out);
	ktap_ok(out[0] > 0x7fff0000u && fabs((double)out[1] / out[0] - 6553 / 65536.0) < 1e-6 &&
		out[2] >= 1,
		"table weights: INT_MAX weights fit in 32 bits, ratio kept (%u/%u), weight 3 stays in (%u)",
		out[1], out[0], out[2]);
	for (k = 1; k < 64; k++) {
		u32 fk = k * 1024;

		e = ramp_error(1, fk);
		if (e > worst1)
			worst1 = e;
		e = ramp_error(100, fk);
		if (e > worst100)
			worst100 = e;
	}
	ktap_ok(worst1 <= 1.0 && worst100 <= 1.0,
		"a ramping 4th backend owns M*f/(3+f) slots within 1 at every step, weight 1 (%.2f) as weight 100 (%.2f)",
		worst1, worst100);
	/* the rounding that made slow start a no-op at weight 1 */
	w[3] = mg_ss_weight(1, 6553);
	ktap_ok(w[3] == 1,
		"the weight people are shown is rounded: weight 1 at factor 0.1 shows as 1 (the table uses the factor)");
}

int main(void)
{
	static const unsigned int aggr[] = { 100, 250, 500, 1000, 1500, 2000, 4000, 10000 };
	double worst = 0, worst_log = 0, worst_exp = 0;
	unsigned int i, a;
	int mono = 1;

	ktap_plan(13);
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
	table_weights();
	return ktap_finish();
}
