/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Weighted slow start: the ramp formula, as a pure integer function.
 * Plain C like maglev.c (same type shim): compiled into the module and
 * into the host unit tests.
 *
 * A backend entering slow start at time t0, with window W, aggression a
 * and minimum m (percent), has at time t the effective weight
 *
 *	w_eff = w * max(m / 100, f ^ (1 / a)),	f = (t - t0) / W, 0 <= f <= 1
 *
 * where w is its configured weight (after HAProxy's and Envoy's slow
 * start; Envoy's "aggression" has the same meaning: a = 1 is linear,
 * a > 1 ramps faster early, a < 1 slower). A backend with w > 0 never
 * ramps below weight 1.
 *
 * f ^ (1 / a) is computed as 2 ^ (log2(f) / a) in Q16 fixed point: log2 by
 * repeated squaring of the mantissa, 2 ^ -x by the product of 2 ^ -(2 ^ -k)
 * over the set bits of x. Error below 2 ^ -14 (unit-tested against libm).
 */
#ifndef _IP_VS_MAGLEV_SLOWSTART_H
#define _IP_VS_MAGLEV_SLOWSTART_H

#include "maglev.h"

#define MG_SS_ONE		65536u		/* 1.0 in Q16 */
#define MG_SS_AGGR_ONE		1000u		/* aggression in thousandths */
#define MG_SS_AGGR_MIN		100u		/* 0.1 */
#define MG_SS_AGGR_MAX		10000u		/* 10.0 */
#define MG_SS_WINDOW_MAX_MS	3600000u	/* one hour */

/* The ramp's factor at @elapsed of @window (same unit), in Q16. */
u32 mg_ss_factor(u64 elapsed, u64 window, u32 aggression_milli, u32 min_pct);

/* w * factor, never below 1 for w > 0: the weight people are shown. */
u32 mg_ss_weight(u32 weight, u32 factor_q16);

/*
 * The weights a table is built from, for @n backends with configured
 * weights @weight and ramp factors @factor_q16 (MG_SS_ONE: not ramping).
 *
 * With no factor below MG_SS_ONE they are the configured weights
 * themselves, so a service whose ramps have ended has exactly the table
 * of one that never ramped. Otherwise each is weight * factor, all shifted
 * right by the one amount that makes the largest fit in 32 bits: the table
 * depends only on the weights' ratios, so the ramp keeps the factor's full
 * Q16 resolution at any weight scale. (Rounding w * factor to an integer
 * weight, as mg_ss_weight() does, makes every step of a weight-1 ramp
 * weight 1: no ramp at all.) A backend with weight > 0 keeps at least 1.
 */
void mg_ss_table_weights(const u32 *weight, const u32 *factor_q16, u32 n, u32 *out);

/* Internals, exposed for the tests. */
u32 mg_log2_q16(u64 x);			/* log2(x) in Q16, x >= 1 */
u32 mg_exp2_neg_q16(u64 x_q16);		/* 2 ^ -(x / 65536) in Q16 */

#endif /* _IP_VS_MAGLEV_SLOWSTART_H */
