// SPDX-License-Identifier: GPL-2.0
/*
 * Pacing of a service's table builds (see pace.h). Plain C.
 */
#include "pace.h"

/* a is before b, wrap-safe: the kernel's time_before() */
static bool mg_pace_before(unsigned long a, unsigned long b)
{
	return (long)(a - b) < 0;
}

enum mg_pace_act mg_pace_due(const struct mg_pace *p, unsigned long now)
{
	if (mg_pace_before(now, p->not_before))
		return MG_PACE_IDLE;
	if (p->dirty)
		return MG_PACE_BUILD;
	if (p->ramps && !mg_pace_before(now, p->ramp_next))
		return MG_PACE_STEP;
	return MG_PACE_IDLE;
}

bool mg_pace_next(const struct mg_pace *p, unsigned long now, unsigned long *delay)
{
	unsigned long when;

	if (p->dirty)
		when = p->not_before;
	else if (p->ramps)
		when = mg_pace_before(p->ramp_next, p->not_before) ? p->not_before :
								     p->ramp_next;
	else
		return false;
	*delay = mg_pace_before(now, when) ? when - now : 0;
	return true;
}
