/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pacing of a service's table builds: when its delayed work must run next,
 * and what that run does, as pure functions of a few fields of the
 * service. sched.c fills a struct mg_pace under the service's lock and
 * obeys the answers; the host tests (selftests/unit/test_pace.c) drive
 * the same functions through bursts, slow-start steps and failed builds
 * on a simulated clock.
 *
 * Plain C like maglev.c (same type shim). Times are jiffies, compared
 * wrap-safe as the kernel's time_after() does.
 *
 * The rules:
 *  - A build is never due before not_before: the rebuild holdoff after a
 *    build, or the retry delay after a failed one. A ramp step falling
 *    due inside that time waits for it too: a build made then picks up
 *    the ramp's position as of that moment, so nothing is lost.
 *  - A build that is owed (dirty) runs at not_before.
 *  - Otherwise a ramp step runs at the later of ramp_next and not_before.
 *  - So the work is never queued to run at once unless it will find
 *    something to do (mg_pace_due() != MG_PACE_IDLE): it cannot spin.
 */
#ifndef _IP_VS_MAGLEV_PACE_H
#define _IP_VS_MAGLEV_PACE_H

#include "maglev.h"

struct mg_pace {
	bool dirty;			/* the backends changed since the last build */
	u32 ramps;			/* backends in slow start */
	unsigned long not_before;	/* no build before this (jiffies) */
	unsigned long ramp_next;	/* the next ramp step (jiffies) */
};

enum mg_pace_act {
	MG_PACE_IDLE,	/* nothing is due yet */
	MG_PACE_BUILD,	/* an owed build may run now */
	MG_PACE_STEP,	/* a ramp step is due and may build: build if a
			 * weight moves, else plan the next step
			 */
};

/* What a run of the work at @now does. */
enum mg_pace_act mg_pace_due(const struct mg_pace *p, unsigned long now);

/*
 * When the work must run next: false if it need not run at all, else true
 * with *@delay the jiffies from @now (0: now).
 */
bool mg_pace_next(const struct mg_pace *p, unsigned long now, unsigned long *delay);

#endif /* _IP_VS_MAGLEV_PACE_H */
