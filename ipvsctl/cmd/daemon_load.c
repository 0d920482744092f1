// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl daemon: the file applied (at start and on SIGHUP), what a
 * probe's health and an operator's drain make of the desired state, and
 * the probe set built for it (see daemon.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/clock.h"
#include "cmd/daemon.h"
#include "cmd/run.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "state/policy.h"
/* ---- desired state ---------------------------------------------------------- */

/* Health and drains shape what is wanted (policy.c decides how). */
int adjust_want(struct model *want, const struct model *cur, void *arg)
{
	struct daemon *d = arg;
	struct probe **v = d->nv ? d->nv : d->pv;
	size_t n = d->nv ? d->nn : d->np, i;
	struct leave_opts lo = { .timeout_s = d->drain_timeout_s, .now_s = wall_ms() / 1000 };
	int err;

	/* backends that left the file drain first (before the health
	 * actions below take any out of @want)
	 */
	free(d->lr.v);
	err = leave_adjust(want, cur, &lo, &d->lr);
	if (err)
		return err;
	/* a backend an operator drains keeps its weight until undrained */
	keep_operator_drains(want, cur);

	/* then health, which wins over a drain */
	for (i = 0; i < n; i++) {
		struct probe *p = v[i];
		struct m_svc *s = model_find(want, &p->svc);
		struct m_svc *cs = model_find((struct model *)cur, &p->svc);
		struct m_dest *dd = s ? svc_find_dest(s, &p->be) : NULL;
		struct m_dest *cd = cs ? svc_find_dest(cs, &p->be) : NULL;
		struct be_want bw;

		be_decide(&(struct be_in){ .conf = dd ? &dd->c : &p->conf, .cur = cd,
					   .maglev = p->maglev,
					   .health = p->up ? BE_HEALTH_UP : BE_HEALTH_DOWN,
					   .on_fail = p->spec->on_fail }, &bw);
		/* maglev down marks are set after the diff is applied */
		p->mark_pending = p->maglev && (cd ? cd->mg.down != bw.down : bw.down);
		p->mark_down = bw.down;
		if (!dd)
			continue;
		if (!bw.present)
			svc_del_dest(s, &p->be);
		else
			dd->c.weight = bw.c.weight;
	}
	return 0;
}

/* After a reconcile: the deadlines of drains it started, and a line for
 * each backend that started or finished draining.
 */
void leavers_done(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->lr.n; i++) {
		struct leaver *lv = &d->lr.v[i];
		char s[96], b[64];
		struct nl_err e;
		int err;

		if (!lv->start)
			continue;
		fmt_svc(&lv->svc, s, sizeof(s));
		fmt_addr_port(lv->ap.af, lv->ap.addr, lv->ap.port, b, sizeof(b));
		err = leaver_store(d->nl, lv, &e);
		if (err)
			dlog(d, "%s backend %s: left the file; draining, but its deadline was not stored: %s",
			     s, b, e.ext[0] ? e.ext : strerror(-err));
		else
			dlog(d, "%s backend %s: left the file; draining at weight 0 (for up to %u s)",
			     s, b, d->drain_timeout_s);
	}
	if (d->lr.deleted_expired)
		dlog(d, "%zu backend%s that left the file deleted at the drain deadline",
		     d->lr.deleted_expired, d->lr.deleted_expired == 1 ? "" : "s");
	d->last_sweep = now_ms();
}

static bool in_old_cfg(const struct m_svc *s, void *arg)
{
	struct daemon *d = arg;

	return model_find(&d->cfg, &s->id) != NULL;
}

/* The running probes point into the applied config again (a reload was
 * tried and abandoned after probes_for() pointed them at the new one).
 */
static void probes_restore(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->np; i++) {
		struct probe *p = d->pv[i];
		struct m_svc *s = model_find(&d->cfg, &p->svc);
		struct m_dest *dd = s ? svc_find_dest(s, &p->be) : NULL;

		if (s && s->hc)
			p->spec = s->hc;
		if (dd)
			p->conf = dd->c;
		if (s)
			p->maglev = sched_is_maglev(s->c.sched);
	}
}

/*
 * The probes @want calls for, in order, as a new array: those of @old
 * whose check did not change are reused (their state kept), the others
 * are new (not yet in the loop).
 */
static int probes_for(struct daemon *d, const struct model *want, struct probe ***out,
		      size_t *nout)
{
	struct probe **v = NULL, *p;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; i < want->n; i++) {
		const struct m_svc *s = &want->svcs[i];

		for (j = 0; s->hc && j < s->ndests; j++) {
			struct probe **nv = array_room(v, n, &cap, sizeof(*v), 64);

			if (!nv)
				goto nomem;
			v = nv;
			p = probe_find(d->pv, d->np, &s->id, &s->dests[j].ap);
			if (p && health_spec_eq(p->spec, s->hc)) {
				p->reused = true;
			} else {
				p = calloc(1, sizeof(*p));
				if (!p)
					goto nomem;
				p->svc = s->id;
				p->be = s->dests[j].ap;
				p->up = s->hc->initial_up;
				p->since_ms = wall_ms();
				p->fd = -1;
			}
			p->spec = s->hc;
			p->conf = s->dests[j].c;
			p->maglev = sched_is_maglev(s->c.sched);
			v[n++] = p;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), probe_cmp);
	*out = v;
	*nout = n;
	return 0;
nomem:
	for (i = 0; i < n; i++) {
		if (!v[i]->reused)
			free(v[i]);
		v[i]->reused = false;
	}
	probes_restore(d);
	free(v);
	return -ENOMEM;
}

/* Take the new probe set: start the new probes, drop the unused old ones. */
static int probes_commit(struct daemon *d, struct probe **v, size_t n)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++)
		if (!v[i]->reused && hloop_add(d->loop, v[i]) && !err)
			err = -ENOMEM;
	for (i = 0; i < d->np; i++)
		if (!d->pv[i]->reused)
			hloop_remove(d->loop, d->pv[i]);
	for (i = 0; i < n; i++)
		v[i]->reused = false;
	free(d->pv);
	d->pv = v;
	d->np = n;
	return err;
}

/* A reload that failed: free the new probes, restore the kept ones. */
static void probes_abandon(struct daemon *d, struct probe **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i]->reused)
			free(v[i]);
		else
			v[i]->reused = false;
	}
	free(v);
	probes_restore(d);
}

/* Apply the down marks adjust_want() found wrong (maglev services). */
void apply_marks(struct daemon *d)
{
	char name[160];
	size_t i;
	int err;

	for (i = 0; i < d->np; i++) {
		struct probe *p = d->pv[i];
		bool down = p->mark_down;

		if (!p->mark_pending)
			continue;
		p->mark_pending = false;
		err = kmaglev_set_down(d->nl, &p->svc, &p->be, down, NULL);
		if (err) {
			probe_name(p, name, sizeof(name));
			dlog(d, "%s: cannot mark it %s: %s", name, down ? "down" : "up",
			     strerror(-err));
			p->applied = false;
		}
	}
}

/*
 * Read the file and bring the kernel to it. At start (@initial) any error
 * is returned; on reload it is logged and the previous state is kept.
 */
int daemon_load(struct daemon *d, bool initial)
{
	struct rec_opts ro = { 0 };
	struct rec_result rr;
	struct model want;
	struct timeouts to;
	struct probe **v;
	struct op *ops;
	struct svc_id *before;
	size_t nops, n, i, nbefore;
	char why[640];
	int rc, err;

	/* modules may have been reloaded since: look their families up again */
	nlc_forget_families(d->nl);
	rc = exec_read_file(d->c, d->file, &ops, &nops);
	if (rc) {
		dlog(d, "%s: not applied%s", d->file, initial ? "" : "; the running state is kept");
		return rc;
	}
	model_init(&want);
	err = state_from_ops(d->nl, ops, nops, &want, &to, why, sizeof(why));
	ops_free(ops, nops);
	if (err) {
		dlog(d, "%s; nothing was changed%s", why, initial ? "" : " (the running state is kept)");
		model_free(&want);
		return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	/*
	 * A file that names no service while services are managed is taken
	 * for a mistake (truncated, or written by a producer that failed):
	 * it would delete them all. Nothing is changed, as apply does without
	 * --allow-empty.
	 */
	if (!want.n && (initial ? d->nmanaged : d->cfg.n)) {
		dlog(d, "%s names no service; nothing was changed%s (to remove the daemon's services, stop it and delete them)",
		     d->file, initial ? "" : " (the running state is kept)");
		model_free(&want);
		return EXIT_USAGE;
	}
	err = probes_for(d, &want, &v, &n);
	if (err) {
		dlog(d, "out of memory");
		model_free(&want);
		return EXIT_FAIL;
	}
	d->nv = v;
	d->nn = n;
	/*
	 * At start, the services the last run managed (a file left by it):
	 * those the file no longer names are deleted, as on a reload.
	 */
	ro.in_scope = initial ? (d->nmanaged ? in_managed : NULL) : in_old_cfg;
	ro.scope_arg = d;
	ro.adjust = adjust_want;
	ro.adjust_arg = d;
	ro.timeouts = &to;
	ro.max_deletes_set = d->guard.max_deletes_set;
	ro.max_deletes_pct = d->guard.max_deletes_pct;
	ro.max_deletes = d->guard.max_deletes;
	/* no copy (no memory): the union stays, which forgets nothing */
	before = malloc((d->nmanaged + 1) * sizeof(*before));
	nbefore = d->nmanaged;
	if (before && d->nmanaged)
		memcpy(before, d->managed, d->nmanaged * sizeof(*before));
	managed_union(d, &want);
	err = reconcile(d->nl, &want, &ro, &rr);
	d->nv = NULL;
	d->nn = 0;
	if (err) {
		/* what is managed: the services before, if the change was
		 * rolled back; if not, the union, which forgets nothing
		 */
		if (before && !rr.undo_err)
			managed_set(d, before, nbefore);
		else
			free(before);
		if (rr.failed_step)
			dlog(d, "%s: step %zu: %s; %s", d->file, rr.failed_step, rr.why,
			     rr.undo_err ? "rolling back FAILED: the state is partly changed" :
			     "rolled back, nothing was changed");
		else
			dlog(d, "%s: %s; nothing was changed%s", d->file, rr.why,
			     initial ? "" : " (the running state is kept)");
		probes_abandon(d, v, n);
		model_free(&want);
		/* the deletion guard refuses the file, not the kernel */
		return err == -ECANCELED ? EXIT_USAGE : exit_code(err);
	}
	if (probes_commit(d, v, n))
		dlog(d, "out of memory: some probes did not start");
	model_free(&d->cfg);
	d->cfg = want;
	free(before);
	managed_from(d, &d->cfg);
	/* a large file's ops and plan are gone: give their memory back */
	malloc_trim(0);
	d->to = to;
	leavers_done(d);
	for (i = 0; i < d->np; i++)
		d->pv[i]->applied = true;
	apply_marks(d);
	dlog(d, "%s %s: %zu service%s, %zu health-checked backend%s, %zu change%s", d->file,
	     initial ? "applied" : "reloaded", d->cfg.n, d->cfg.n == 1 ? "" : "s", d->np,
	     d->np == 1 ? "" : "s", rr.changes, rr.changes == 1 ? "" : "s");
	d->dirty = true;
	return EXIT_OK;
}

