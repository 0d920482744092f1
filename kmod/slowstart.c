// SPDX-License-Identifier: GPL-2.0
/*
 * Weighted slow start: the ramp formula (see slowstart.h). Plain C.
 */
#include "slowstart.h"

#ifdef __KERNEL__
#include <linux/math64.h>
#define mg_div64(a, b)	div64_u64(a, b)
#else
#define mg_div64(a, b)	((a) / (b))
#endif

/* 2 ^ -(2 ^ -k), k = 1..16, in Q30 */
static const u32 mg_exp2_frac[16] = {
	759250125u, 902905651u, 984625594u, 1028218693u,
	1050733751u, 1062175491u, 1067942999u, 1070838486u,
	1072289173u, 1073015252u, 1073378477u, 1073560135u,
	1073650976u, 1073696399u, 1073719111u, 1073730468u,
};

u32 mg_log2_q16(u64 x)
{
	u32 ip = 0, r = 0;
	u64 m;
	int i;

	if (!x)
		return 0;
	while (x >> (ip + 1))
		ip++;
	/* mantissa in [1, 2) as Q31 */
	m = ip >= 31 ? x >> (ip - 31) : x << (31 - ip);
	for (i = 15; i >= 0; i--) {
		m = (m * m) >> 31;
		if (m >= (2ULL << 31)) {
			m >>= 1;
			r |= 1u << i;
		}
	}
	return ip << 16 | r;
}

u32 mg_exp2_neg_q16(u64 x_q16)
{
	u64 ip = x_q16 >> 16, v = 1ULL << 30;
	u32 frac = (u32)(x_q16 & 0xffff);
	int k;

	if (ip >= 16)
		return 0;
	for (k = 0; k < 16; k++)
		if (frac & (0x8000u >> k))
			v = (v * mg_exp2_frac[k]) >> 30;
	return (u32)((v >> ip) >> 14);
}

u32 mg_ss_factor(u64 elapsed, u64 window, u32 aggression_milli, u32 min_pct)
{
	u32 floor = (u32)(((u64)(min_pct > 100 ? 100 : min_pct) << 16) / 100);
	u64 neg_log, scaled;
	u32 f;

	if (!window || elapsed >= window)
		return MG_SS_ONE;
	if (aggression_milli < MG_SS_AGGR_MIN)
		aggression_milli = MG_SS_AGGR_MIN;
	if (!elapsed)
		return floor;
	/* reduce to a 32-bit ratio so the logarithms keep their precision */
	while (window >> 32) {
		window >>= 1;
		elapsed >>= 1;
	}
	if (!elapsed)
		return floor;
	/* -log2(f) = log2(window) - log2(elapsed), then / a */
	neg_log = mg_log2_q16(window) - mg_log2_q16(elapsed);
	scaled = mg_div64(neg_log * MG_SS_AGGR_ONE, aggression_milli);
	f = mg_exp2_neg_q16(scaled);
	return f > floor ? f : floor;
}

u32 mg_ss_weight(u32 weight, u32 factor_q16)
{
	u64 w = ((u64)weight * factor_q16) >> 16;

	if (!weight)
		return 0;
	return w ? (u32)w : 1;
}

void mg_ss_table_weights(const u32 *weight, const u32 *factor_q16, u32 n, u32 *out)
{
	u64 top = 0, v;
	u32 i, shift = 0;
	bool ramp = false;

	for (i = 0; i < n; i++) {
		if (factor_q16[i] < MG_SS_ONE && weight[i])
			ramp = true;
		v = (u64)weight[i] * (factor_q16[i] < MG_SS_ONE ? factor_q16[i] : MG_SS_ONE);
		if (v > top)
			top = v;
	}
	if (!ramp) {
		for (i = 0; i < n; i++)
			out[i] = weight[i];
		return;
	}
	while (top >> shift > 0xffffffffULL)
		shift++;
	for (i = 0; i < n; i++) {
		v = (u64)weight[i] * (factor_q16[i] < MG_SS_ONE ? factor_q16[i] : MG_SS_ONE);
		v >>= shift;
		out[i] = weight[i] && !v ? 1 : (u32)v;
	}
}
