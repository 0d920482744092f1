// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: what a down, drained or leaving backend looks like in the
 * kernel (policy.h says why this is one file).
 */
#include <errno.h>

#include "state/policy.h"

void be_decide(const struct be_in *in, struct be_want *out)
{
	const struct m_dest *cur = in->cur;

	out->present = true;
	out->c = *in->conf;
	out->down = false;

	if (in->health == BE_HEALTH_DOWN) {
		if (in->on_fail == HC_REMOVE) {
			out->present = false;
			return;
		}
		out->c.weight = 0;
		out->down = in->maglev && in->on_fail == HC_DOWN;
		return;
	}
	/* drained by an operator: "ipvsctl undrain" gives the weight back */
	if (cur && cur->mg.saved_weight)
		out->c.weight = cur->c.weight;
}

enum be_leave be_leave_decide(const struct m_dest *cur, bool maglev, uint32_t timeout_s,
			      uint64_t now_s)
{
	if (!timeout_s || (!cur->active && !cur->mg.pins))
		return BE_LEAVE_DELETE_IDLE;
	if (!maglev)
		return BE_LEAVE_DRAINING;
	/* a drain without a deadline (an operator's with --timeout 0, or
	 * one whose deadline was lost) gets one now
	 */
	if (!cur->mg.drain_deadline)
		return BE_LEAVE_DRAIN_START;
	if (cur->mg.drain_deadline <= now_s)
		return BE_LEAVE_DELETE_EXPIRED;
	return BE_LEAVE_DRAINING;
}

uint32_t be_drain_saved_weight(const struct m_dest *cur)
{
	return cur->c.weight ? cur->c.weight : cur->mg.saved_weight;
}

uint32_t be_undrain_weight(const struct m_dest *cur, uint32_t explicit_w, int *err)
{
	*err = 0;
	if (explicit_w)
		return explicit_w;
	if (cur->mg.saved_weight)
		return cur->mg.saved_weight;
	if (!cur->c.weight)
		*err = -ENOENT;
	return 0;
}
