// SPDX-License-Identifier: GPL-2.0
/*
 * Build pacing (kmod/pace.c, the module's source) on a simulated clock.
 *
 * The simulation does what sched.c does around the two pure functions: a
 * configuration change marks the service dirty, builds at once if
 * mg_pace_due() says so, and re-arms the delayed work to mg_pace_next();
 * the work, when it runs, builds, or takes a ramp step (a build if a
 * weight moves, else the next step planned), and re-arms. Builds succeed
 * or fail as each scenario says; ramps move at every step until their
 * window ends.
 *
 * What must hold, in every scenario:
 *  - the work never spins: it never runs twice at one instant without
 *    anything having happened in between (the review's B1: a ramp step
 *    falling due inside the holdoff re-queued the work with delay 0 until
 *    the holdoff ended);
 *  - every run of the work does something (builds, retries, or skips a
 *    step), except at most one per configuration change (a run armed for
 *    a build that an explicit build made moot);
 *  - no build happens before not_before (holdoff, retry delay);
 *  - every ramp gets its final build, within a holdoff and a step of the
 *    end of its window, and the work then goes quiet.
 */
#include <stdio.h>
#include <string.h>

#include "../../kmod/pace.h"
#include "ktap.h"

#define HZ 250

struct sim {
	/* parameters */
	unsigned long holdoff, retry, step, window;
	unsigned long fail_from, fail_to;	/* builds fail in [from, to) */
	/* state */
	struct mg_pace p;
	unsigned long now;
	bool queued;
	unsigned long due_at;
	unsigned long ramp_end;			/* the (one) ramp's end */
	bool ramp_final;			/* the ramp's final factor is built */
	/* counts */
	unsigned int runs, idle_runs, builds, fails, skips, spins, early;
	unsigned int changes;
	unsigned long last_run;
	bool ran;
	unsigned long final_build_at;
};

static bool before(unsigned long a, unsigned long b)
{
	return (long)(a - b) < 0;
}

static void sim_arm(struct sim *s)
{
	unsigned long delay;

	if (mg_pace_next(&s->p, s->now, &delay)) {
		s->queued = true;
		s->due_at = s->now + delay;
	}
}

/* what rebuild does to the pacing fields */
static void sim_build(struct sim *s)
{
	if (before(s->now, s->p.not_before))
		s->early++;
	if (!before(s->now, s->fail_from) && before(s->now, s->fail_to)) {
		s->fails++;
		s->p.not_before = s->now + s->retry;
		return;
	}
	s->builds++;
	s->p.dirty = false;
	s->p.not_before = s->now + s->holdoff;
	if (s->p.ramps) {
		if (!before(s->now, s->ramp_end)) {
			/* the ramp's end is built: it ends */
			s->p.ramps = 0;
			s->ramp_final = true;
			s->final_build_at = s->now;
		} else {
			unsigned long next = s->now + s->step;

			if (before(s->ramp_end, next))
				next = s->ramp_end;
			s->p.ramp_next = next == s->now ? s->now + 1 : next;
		}
	}
}

static void sim_change(struct sim *s, bool ramp)
{
	s->changes++;
	s->p.dirty = true;
	if (ramp && !s->p.ramps) {
		s->p.ramps = 1;
		s->ramp_end = s->now + s->window;
		/* deliberately stale, as before a ramp's first build: the
		 * pacing must not depend on it being fresh
		 */
		s->p.ramp_next = s->now - 1000;
	}
	if (mg_pace_due(&s->p, s->now) == MG_PACE_BUILD)
		sim_build(s);
	sim_arm(s);
}

static void sim_work(struct sim *s)
{
	s->queued = false;
	if (s->ran && s->last_run == s->now)
		s->spins++;
	s->ran = true;
	s->last_run = s->now;
	s->runs++;
	switch (mg_pace_due(&s->p, s->now)) {
	case MG_PACE_BUILD:
		sim_build(s);
		break;
	case MG_PACE_STEP:
		/* a weight moves at every step until the end is built */
		if (s->ramp_final || !s->p.ramps) {
			s->skips++;
			s->p.ramps = 0;
			break;
		}
		s->p.dirty = true;
		if (!before(s->now, s->p.not_before))
			sim_build(s);
		break;
	case MG_PACE_IDLE:
		s->idle_runs++;
		break;
	}
	sim_arm(s);
}

/*
 * Run until @until, with configuration changes at the times in @at
 * (relative to the start; the first one starts the ramp if @ramp).
 * Returns false if the simulation had to stop a spinning work.
 */
static bool sim_run(struct sim *s, const unsigned long *at, unsigned int nat, bool ramp,
		    unsigned long until)
{
	unsigned int i = 0, guard = 0;

	while (before(s->now, until)) {
		unsigned long next = until;
		bool change = false;

		if (i < nat && before(at[i], next)) {
			next = at[i];
			change = true;
		}
		if (s->queued && !before(next, s->due_at)) {
			next = s->due_at;
			change = false;
		}
		if (next == s->now) {
			if (++guard > 10000)
				return false;
		} else {
			guard = 0;
		}
		s->now = next;
		if (!before(s->now, until))
			break;
		if (change) {
			bool r = ramp && i == 1;

			i++;
			sim_change(s, r);
		} else if (s->queued)
			sim_work(s);
	}
	return true;
}

static void sim_init(struct sim *s, unsigned long holdoff_ms, unsigned long window_ms)
{
	memset(s, 0, sizeof(*s));
	s->holdoff = holdoff_ms * HZ / 1000;
	s->retry = HZ;
	s->window = window_ms * HZ / 1000;
	s->step = window_ms / 20 > 250 ? window_ms / 20 * HZ / 1000 : 250 * HZ / 1000;
	s->now = 1000;
	/* the service is created: its first build */
	s->changes++;
	s->p.dirty = true;
	sim_build(s);
	s->fail_from = s->fail_to = 0;
}

static void report(const char *name, struct sim *s, bool finished, unsigned long end)
{
	unsigned int useful = s->builds + s->fails + s->skips;

	ktap_diag("%s: %u runs (%u idle), %u builds, %u failed, %u skipped steps, %u changes",
		  name, s->runs, s->idle_runs, s->builds - 1, s->fails, s->skips, s->changes);
	ktap_ok(finished && !s->spins, "%s: the work never runs twice at one instant (%u)",
		name, s->spins);
	ktap_ok(s->runs <= useful + s->changes, "%s: every run but one per change does something",
		name);
	ktap_ok(!s->early, "%s: no build before the holdoff or retry delay (%u early)", name,
		s->early);
	ktap_ok(s->ramp_final && !s->p.ramps && !s->queued &&
		!before(s->final_build_at, s->ramp_end) &&
		!before(end, s->final_build_at),
		"%s: the ramp's final build at +%ld jiffies of its end, then quiet", name,
		(long)(s->final_build_at - s->ramp_end));
}

int main(void)
{
	struct sim s;
	bool ok;

	ktap_plan(4 * 4 + 3);

	/* 1. The defaults (holdoff 100 ms, window 20 s): a service and three
	 * backends added 4 ms apart, the second one starting a ramp.
	 */
	{
		unsigned long at[] = { 1001, 1002, 1003 };

		sim_init(&s, 100, 20000);
		ok = sim_run(&s, at, 3, true, 1000 + s.window + 2 * HZ);
		report("burst of adds, defaults", &s, ok,
		       s.ramp_end + s.holdoff + s.step);
	}
	/* 2. A holdoff longer than a ramp step (1 s against 250 ms). */
	{
		unsigned long at[] = { 1001, 1002 };

		sim_init(&s, 1000, 5000);
		ok = sim_run(&s, at, 2, true, 1000 + s.window + 3 * HZ);
		report("holdoff 1 s, step 250 ms", &s, ok, s.ramp_end + s.holdoff + s.step);
	}
	/* 3. Builds fail for 3 s in the middle of a ramp (memory pressure). */
	{
		unsigned long at[] = { 1001, 1010 };

		sim_init(&s, 100, 10000);
		s.fail_from = 1000 + 2 * HZ;
		s.fail_to = 1000 + 5 * HZ;
		ok = sim_run(&s, at, 2, true, 1000 + s.window + 6 * HZ);
		report("failing builds while ramping", &s, ok,
		       s.ramp_end + s.retry + s.step);
		ktap_ok(s.fails >= 3 && s.fails <= 4,
			"failing builds: retried once a second (%u retries in 3 s)", s.fails);
	}
	/* 4. No holdoff at all. */
	{
		unsigned long at[] = { 1001, 1001, 1002 };

		sim_init(&s, 0, 4000);
		ok = sim_run(&s, at, 3, true, 1000 + s.window + 2 * HZ);
		report("holdoff 0", &s, ok, s.ramp_end + s.step);
	}
	/* 5. Without slow start: a burst is one build at once and one after
	 * the holdoff, and nothing more.
	 */
	{
		unsigned long at[] = { 1100, 1101, 1102, 1103, 1104 };

		sim_init(&s, 100, 1000);
		ok = sim_run(&s, at, 5, false, 2000);
		ktap_ok(ok && s.builds - 1 == 2 && s.runs == 1 && !s.queued,
			"burst without ramps: %u builds for 5 changes, %u run of the work",
			s.builds - 1, s.runs);
	}
	/* 6. Every combination of pacing state and time: a run at delay 0
	 * always finds something to do.
	 */
	{
		unsigned int bad = 0, n = 0;
		unsigned long t, nb, rn, delay;
		int d, r;

		for (d = 0; d < 2; d++)
			for (r = 0; r < 2; r++)
				for (nb = 0; nb < 40; nb += 3)
					for (rn = 0; rn < 40; rn += 3)
						for (t = 0; t < 40; t++) {
							struct mg_pace p = {
								.dirty = d, .ramps = r,
								.not_before = (unsigned long)-20 + nb,
								.ramp_next = (unsigned long)-20 + rn,
							};
							unsigned long now = (unsigned long)-20 + t;

							if (!mg_pace_next(&p, now, &delay))
								continue;
							n++;
							if (!delay && mg_pace_due(&p, now) == MG_PACE_IDLE)
								bad++;
						}
		ktap_ok(!bad, "whenever the work is armed to run at once, it finds work (%u of %u states, across the jiffies wrap)",
			n - bad, n);
	}
	return ktap_finish();
}
