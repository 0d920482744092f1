// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl daemon: keep IPVS at the state a file describes, and probe the
 * backends of every service that has a health check.
 *
 *   ipvsctl daemon -f FILE [--state-file PATH] [--probe-user USER] [--check]
 *
 * At start the file is applied: its services are created or changed to
 * match; services it does not name are left alone, except those the last
 * run managed (kept in STATE-FILE.managed, managed.c), which are deleted
 * as on a reload. Then every backend of
 * a service with a "health" line is probed (health.c: one event loop).
 * A backend that fails "fall" probes in a row is quiesced (weight 0),
 * marked down (weight 0, maglev flow pins dropped) or removed, as its
 * service's on-fail says; after "rise" good probes it gets its configured
 * weight back, and slow start ramps it.
 *
 * SIGHUP reads the file again and applies the difference: services that
 * left the file are deleted, probes of unchanged backends keep their
 * state. A bad file changes nothing. SIGTERM and SIGINT stop the daemon
 * and leave IPVS as it is.
 *
 * Every state change is one line on stderr (journald adds the time). The
 * live state is in a JSON file (--state-file) that "ipvsctl health status"
 * reads; it is replaced atomically.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <popt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "cmd/run.h"
#include "health/loop.h"
#include "health/statefile.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "state/managed.h"
#include "state/policy.h"
#include "state/reconcile.h"

#define STATE_WRITE_MS 10000	/* counters refreshed at least this often */

struct daemon {
	struct ctx *c;
	struct nl *nl;
	const char *file;
	const char *state_path;
	bool timestamps;		/* not under journald: prefix a time */
	struct hloop *loop;
	struct model cfg;		/* the applied file: the desired state */
	struct timeouts to;
	struct probe **pv;		/* sorted by service, backend */
	size_t np;
	/* a reload in progress: the probe set being tried */
	struct probe **nv;
	size_t nn;
	bool dirty;			/* a transition since the last write */
	uint64_t last_write;
	int state_err;			/* of the last state file write: logged when it changes */
	/* the managed services, as on disk (PATH.managed): sorted */
	char *managed_path;
	char *managed_owner;		/* "netns INODE config PATH" */
	struct svc_id *managed;
	size_t nmanaged;
	int managed_err;		/* of the last write: logged when it changes */
	uint64_t started, reloads, transitions;
	int exit_code;
	/* graceful termination of backends that left the file */
	uint32_t drain_timeout_s;
	struct rec_opts guard;		/* --max-deletes (its fields only) */
	struct leave_result lr;		/* of the last reconcile */
	uint64_t last_sweep;
};

#define SWEEP_MS 5000		/* how often draining leavers are looked at */

/* ---- logging --------------------------------------------------------------- */

static void dlog(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dlog(struct daemon *d, const char *fmt, ...)
{
	char ts[40] = "";
	va_list ap;

	if (d->timestamps) {
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ld ", now.tv_nsec / 1000000);
	}
	fprintf(stderr, "%s%s: ", ts, d->c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* systemd's readiness protocol (sd_notify(3)), without libsystemd */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
}

/* ---- probes: identity and order ------------------------------------------- */


static int ap_cmp(const struct addr_port *a, const struct addr_port *b)
{
	int r;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	r = memcmp(a->addr, b->addr, 16);
	if (r)
		return r;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int probe_cmp(const void *x, const void *y)
{
	const struct probe *a = *(struct probe *const *)x, *b = *(struct probe *const *)y;
	int r = svc_id_cmp(&a->svc, &b->svc);

	return r ? r : ap_cmp(&a->be, &b->be);
}

static struct probe *probe_find(struct probe **v, size_t n, const struct svc_id *svc,
				const struct addr_port *be)
{
	struct probe key, *kp = &key, **hit;

	key.svc = *svc;
	key.be = *be;
	hit = bsearch(&kp, v, n, sizeof(*v), probe_cmp);
	return hit ? *hit : NULL;
}

static void probe_name(const struct probe *p, char *buf, size_t len)
{
	char s[80], b[64];

	fmt_svc(&p->svc, s, sizeof(s));
	fmt_addr_port(p->be.af, p->be.addr, p->be.port, b, sizeof(b));
	snprintf(buf, len, "%s backend %s", s, b);
}

/* ---- the state file (health/statefile.c writes it) ---------------------------- */

static void state_write(struct daemon *d, bool running)
{
	struct statefile_head h = {
		.running = running, .config = d->file, .started_ms = d->started,
		.reloads = d->reloads, .transitions = d->transitions,
	};
	char why[4096 + 160];
	int err;

	err = statefile_write(d->state_path, &h, (const struct probe *const *)d->pv, d->np,
			      why, sizeof(why));
	/* said when it starts failing, when the reason changes, and when it works again */
	if (err && err != d->state_err)
		dlog(d, "cannot write the state file %s: %s; 'ipvsctl health status' shows stale data",
		     d->state_path, why);
	else if (!err && d->state_err)
		dlog(d, "the state file %s is written again", d->state_path);
	d->state_err = err;
	d->dirty = false;
	d->last_write = now_ms();
}

/* ---- the managed services, on disk --------------------------------------------- */

/* Replace the managed set, in memory and on disk. @v is taken (sorted here). */
static void managed_set(struct daemon *d, struct svc_id *v, size_t n)
{
	char why[4096 + 160];
	int err;

	managed_sort(v, n);
	free(d->managed);
	d->managed = v;
	d->nmanaged = n;
	err = managed_write(d->managed_path, d->managed_owner, v, n, why, sizeof(why));
	if (err && err != d->managed_err)
		dlog(d, "cannot write the managed services: %s; a service that leaves the file while "
		     "the daemon is stopped may stay in IPVS", why);
	else if (!err && d->managed_err)
		dlog(d, "the managed services are written to %s again", d->managed_path);
	d->managed_err = err;
}

/*
 * Before a change: the set on disk becomes what is managed now and what
 * @want adds, so that a crash in the middle forgets nothing; after it,
 * exactly @want (or, if it failed, what was managed before).
 */
static void managed_union(struct daemon *d, const struct model *want)
{
	struct svc_id *v = malloc((d->nmanaged + want->n + 1) * sizeof(*v));
	size_t i, n;

	if (!v)
		return;
	if (d->nmanaged)
		memcpy(v, d->managed, d->nmanaged * sizeof(*v));
	n = d->nmanaged;
	for (i = 0; i < want->n; i++)
		if (!managed_has(d->managed, d->nmanaged, &want->svcs[i].id))
			v[n++] = want->svcs[i].id;
	if (n == d->nmanaged) {
		free(v);
		return;
	}
	managed_set(d, v, n);
}

static void managed_from(struct daemon *d, const struct model *m)
{
	struct svc_id *v = malloc((m->n + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return;
	for (i = 0; i < m->n; i++)
		v[i] = m->svcs[i].id;
	managed_set(d, v, m->n);
}

/*
 * At start: the set the last run left. None (a first start, or a file that
 * is not whole) means nothing is deleted, as before there was a file.
 */
static void managed_load(struct daemon *d)
{
	char why[4096 + 160];
	int err;

	err = managed_read(d->managed_path, d->managed_owner, &d->managed, &d->nmanaged, why,
			   sizeof(why));
	if (err == -ENOENT)
		return;
	if (err) {
		dlog(d, "the managed services are not read (%s): services that left the file while "
		     "the daemon was stopped are left alone", why);
		d->managed = NULL;
		d->nmanaged = 0;
		return;
	}
}

static bool in_managed(const struct m_svc *s, void *arg)
{
	struct daemon *d = arg;

	return managed_has(d->managed, d->nmanaged, &s->id);
}

/* ---- the kernel: one backend ---------------------------------------------- */

/*
 * Make the kernel reflect @p's state. Returns 0, or -errno with @why set.
 * Only this backend is touched; its service is loaded fresh, so a service
 * changed or deleted behind the daemon's back is seen as it is.
 */
static int apply_probe(struct daemon *d, struct probe *p, char *why, size_t whylen)
{
	struct model m;
	struct m_svc *s;
	struct m_dest *cur;
	struct dest_conf dc;
	struct be_want bw;
	int err;

	model_init(&m);
	err = kipvs_load_one(d->nl, &m, &p->svc, LOAD_DESTS | (p->maglev ? LOAD_MAGLEV : 0));
	if (err) {
		snprintf(why, whylen, err == -ENOENT ? "the service is gone (SIGHUP re-applies the file)" :
			 "reading the service: %s", strerror(-err));
		goto out;
	}
	s = model_find(&m, &p->svc);
	cur = s ? svc_find_dest(s, &p->be) : NULL;
	be_decide(&(struct be_in){ .conf = &p->conf, .cur = cur, .maglev = p->maglev,
				   .health = p->up ? BE_HEALTH_UP : BE_HEALTH_DOWN,
				   .on_fail = p->spec->on_fail }, &bw);
	if (!bw.present) {
		if (cur) {
			err = kipvs_dest_del(d->nl, &p->svc, &p->be);
			if (err)
				snprintf(why, whylen, "removing it: %s", strerror(-err));
		}
		goto out;
	}
	if (!cur) {
		/* deleted behind the daemon's back: added back once healthy
		 * (on-fail remove deletes it itself), left alone while down
		 */
		if (!p->up) {
			snprintf(why, whylen, "it is not in the service (SIGHUP re-applies the file)");
			err = -ENOENT;
			goto out;
		}
		err = kipvs_dest_add(d->nl, &p->svc, &p->be, &bw.c);
		if (err)
			snprintf(why, whylen, "adding it back: %s", strerror(-err));
		goto out;
	}
	if (p->maglev && cur->mg_down != bw.down) {
		err = kmaglev_set_down(d->nl, &p->svc, &p->be, bw.down);
		if (err) {
			snprintf(why, whylen, "marking it %s: %s", bw.down ? "down" : "up",
				 strerror(-err));
			goto out;
		}
	}
	/* only the weight: the rest of the line is the reload's business */
	if (cur->c.weight != bw.c.weight) {
		dc = cur->c;
		dc.weight = bw.c.weight;
		err = kipvs_dest_edit(d->nl, &p->svc, &p->be, &dc);
		if (err && bw.c.weight)
			snprintf(why, whylen, "restoring weight %u: %s", bw.c.weight,
				 strerror(-err));
		else if (err)
			snprintf(why, whylen, "setting weight 0: %s", strerror(-err));
	}
out:
	model_free(&m);
	return err;
}

static const char *action_text(const struct probe *p)
{
	if (p->up)
		return p->spec->on_fail == HC_REMOVE ? "added back" : "weight restored";
	switch (p->spec->on_fail) {
	case HC_REMOVE:
		return "removed";
	case HC_DOWN:
		return p->maglev ? "weight 0, marked down" : "weight 0";
	default:
		return "weight 0";
	}
}

static void probe_done(struct probe *p, bool ok, const char *why, void *arg)
{
	struct daemon *d = arg;
	char name[160], err[256];
	bool was = p->up, change = false;

	p->probes++;
	if (ok) {
		p->ok_run++;
		p->fail_run = 0;
		if (!p->up && p->ok_run >= p->spec->rise)
			change = true;
	} else {
		p->failures++;
		p->fail_run++;
		p->ok_run = 0;
		snprintf(p->last_error, sizeof(p->last_error), "%s", why ? why : "failed");
		if (p->up && p->fail_run >= p->spec->fall)
			change = true;
	}
	if (!change && p->applied)
		return;
	probe_name(p, name, sizeof(name));
	if (change) {
		p->up = !was;
		p->since_ms = wall_ms();
		d->transitions++;
		d->dirty = true;
		if (p->up)
			dlog(d, "%s: down -> up (%u good probes): %s", name, p->ok_run,
			     action_text(p));
		else
			dlog(d, "%s: up -> down (%u failed probes, last: %s): %s", name,
			     p->fail_run, p->last_error, action_text(p));
	}
	if (apply_probe(d, p, err, sizeof(err))) {
		/* a module may have been reloaded: its family has a new id */
		nlc_forget_families(d->nl);
		/* tried again after each probe; said again only when it changes */
		if (p->applied || change) {
			dlog(d, "%s: cannot apply '%s': %s", name, p->up ? "up" : "down", err);
			d->dirty = true;
		}
		p->applied = false;
	} else {
		if (!p->applied && !change)
			dlog(d, "%s: '%s' applied", name, p->up ? "up" : "down");
		if (!p->applied)
			d->dirty = true;
		p->applied = true;
	}
}

/* ---- desired state ---------------------------------------------------------- */

/* Health and drains shape what is wanted (policy.c decides how). */
static int adjust_want(struct model *want, const struct model *cur, void *arg)
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
		p->mark_pending = p->maglev && (cd ? cd->mg_down != bw.down : bw.down);
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
static void leavers_done(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->lr.n; i++) {
		struct leaver *lv = &d->lr.v[i];
		char s[96], b[64];
		int err;

		if (!lv->start)
			continue;
		fmt_svc(&lv->svc, s, sizeof(s));
		fmt_addr_port(lv->ap.af, lv->ap.addr, lv->ap.port, b, sizeof(b));
		err = leaver_store(d->nl, lv);
		if (err)
			dlog(d, "%s backend %s: left the file; draining, but its deadline was not stored: %s",
			     s, b, d->nl->ext[0] ? d->nl->ext : strerror(-err));
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
			if (n == cap) {
				struct probe **nv;

				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
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
static void apply_marks(struct daemon *d)
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
		err = kmaglev_set_down(d->nl, &p->svc, &p->be, down);
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
static int load(struct daemon *d, bool initial)
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

/* ---- signals and the timer ---------------------------------------------------- */

static void on_signal(int fd, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			notify("RELOADING=1");
			d->reloads++;
			dlog(d, "SIGHUP: reloading %s", d->file);
			load(d, false);
			state_write(d, true);
			notify("READY=1");
			break;
		case SIGTERM:
		case SIGINT:
			dlog(d, "%s: stopping; IPVS is left as it is",
			     si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			notify("STOPPING=1");
			hloop_stop(d->loop);
			break;
		default:
			break;
		}
	}
}

/* Backends that left the file and still drain: deleted once idle or past
 * their deadline. The applied configuration again, nothing read.
 */
static void sweep(struct daemon *d)
{
	struct rec_opts ro = { 0 };
	struct rec_result rr;
	size_t before = d->lr.n;
	int err;

	ro.adjust = adjust_want;
	ro.adjust_arg = d;
	ro.timeouts = &d->to;
	err = reconcile(d->nl, &d->cfg, &ro, &rr);
	if (err) {
		nlc_forget_families(d->nl);
		dlog(d, "draining backends: %s", rr.why);
		d->last_sweep = now_ms();
		return;
	}
	if (rr.changes)
		dlog(d, "draining backends: %zu deleted (idle or past the deadline), %zu still draining",
		     before > d->lr.n ? before - d->lr.n : 0, d->lr.n);
	apply_marks(d);
	leavers_done(d);
}

static void on_timer(int fd, void *arg)
{
	struct daemon *d = arg;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (d->lr.n && now_ms() - d->last_sweep >= SWEEP_MS)
		sweep(d);
	if (d->dirty || now_ms() - d->last_write >= STATE_WRITE_MS)
		state_write(d, true);
}

/* ---- the command ---------------------------------------------------------------- */

static const char daemon_help[] =
	"Apply FILE (the ipvsctl grammar, plus 'health' lines), then probe the\n"
	"backends of every service with a health check, until SIGTERM.\n"
	"SIGHUP re-reads FILE and applies the difference; a FILE with an error\n"
	"changes nothing. SIGTERM leaves IPVS as it is.\n\n"
	"The live state is written to --state-file (default\n"
	DEFAULT_STATE_FILE ") for 'ipvsctl health status'.\n"
	"A backend that leaves FILE is drained (weight 0) and deleted when idle\n"
	"or after --drain-timeout. --check checks FILE without a kernel.\n"
	"--probe-user runs exec probes' commands as USER, with no capability.\n"
	"--max-deletes N or N% refuses a start or reload whose plan deletes more\n"
	"services than that (a truncated file, say): nothing is changed.\n";

int cmd_daemon(struct ctx *c, int argc, char **argv)
{
	char *file = NULL, *state = NULL, *drain_s = NULL, *probe_user = NULL, *maxdel_s = NULL;
	int check = 0, rc, sfd = -1, tfd = -1;
	uint32_t drain_ms = 300000;
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &file, 0, "the desired state", "FILE" },
		{ "state-file", 0, POPT_ARG_STRING, &state, 0, "live health state", "PATH" },
		{ "drain-timeout", 0, POPT_ARG_STRING, &drain_s, 0,
		  "how long a backend that left FILE drains (default 5m; 0: deleted at once)",
		  "DURATION" },
		{ "probe-user", 0, POPT_ARG_STRING, &probe_user, 0,
		  "run exec probes' commands as USER (a name or uid), with no capability", "USER" },
		{ "max-deletes", 0, POPT_ARG_STRING, &maxdel_s, 0,
		  "refuse a start or reload that would delete more services than this", "N|N%" },
		{ "check", 0, POPT_ARG_NONE, &check, 0, "check FILE and exit", NULL },
		POPT_TABLEEND
	};
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct daemon d = { 0 };
	const char **args;
	sigset_t set;
	int nargs;

	rc = cmd_options(c, argc, argv, opts,
			 "daemon -f FILE [--state-file PATH] [--drain-timeout DURATION] [--probe-user USER] [--max-deletes N|N%] [--check]",
			 daemon_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs) {
		usage_error(c, "daemon: unexpected '%s' (ipvsctl daemon --help)", args[0]);
		return EXIT_USAGE;
	}
	if (!file) {
		usage_error(c, "daemon: -f FILE is required (ipvsctl daemon --help)");
		return EXIT_USAGE;
	}
	if (!strcmp(file, "-")) {
		usage_error(c, "daemon: FILE must be a file, to be read again on SIGHUP");
		return EXIT_USAGE;
	}
	if (drain_s && parse_timeout_ms(drain_s, &drain_ms)) {
		usage_error(c, "daemon: --drain-timeout '%s': " DURATION_HINT ", up to a week, or 0",
			    drain_s);
		return EXIT_USAGE;
	}
	if (maxdel_s && parse_max_deletes(maxdel_s, &d.guard)) {
		usage_error(c, "daemon: --max-deletes '%s': a number of services, or a percentage of the managed ones (0%% to 100%%)",
			    maxdel_s);
		return EXIT_USAGE;
	}
	if (probe_user) {
		/* looked up once, at start: a user that vanishes later keeps its ids */
		struct hloop *l = hloop_new(probe_done, &d);
		char why[320];
		int err;

		err = l ? hloop_set_probe_user(l, probe_user, why, sizeof(why)) : -ENOMEM;
		hloop_free(l);
		if (err) {
			usage_error(c, "daemon: --probe-user: %s", err == -ENOMEM ? strerror(ENOMEM) : why);
			return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		}
	}
	d.c = c;
	d.file = file;
	d.drain_timeout_s = (drain_ms + 999) / 1000;
	d.state_path = state ? state : DEFAULT_STATE_FILE;
	d.timestamps = !getenv("JOURNAL_STREAM");
	d.started = wall_ms();
	model_init(&d.cfg);
	if (check) {
		struct model want;
		struct timeouts to;
		struct op *ops;
		size_t nops, i, nb = 0, nh = 0;
		char why[640];
		int err;

		/* no kernel needed: a file can be checked anywhere */
		rc = exec_read_file(c, file, &ops, &nops);
		if (rc)
			return rc;
		model_init(&want);
		err = state_from_ops(NULL, ops, nops, &want, &to, why, sizeof(why));
		ops_free(ops, nops);
		if (err) {
			fprintf(stderr, "%s: %s\n", c->prog, why);
			/* whatever the plan found wrong, the file is wrong */
			return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		}
		for (i = 0; i < want.n; i++) {
			nb += want.svcs[i].ndests;
			nh += want.svcs[i].hc ? want.svcs[i].ndests : 0;
		}
		if (!c->o.quiet)
			printf("%s: ok: %zu service%s, %zu backend%s, %zu health-checked\n", file,
			       want.n, want.n == 1 ? "" : "s", nb, nb == 1 ? "" : "s", nh);
		model_free(&want);
		return EXIT_OK;
	}
	rc = ctx_nl(c, &d.nl);
	if (rc)
		return exit_code(rc);

	if (!state) {
		/* the default's directory: created if missing */
		if (mkdir("/run/ipvsctl", 0755) && errno != EEXIST)
			dlog(&d, "cannot create /run/ipvsctl: %s", strerror(errno));
	}
	if (asprintf(&d.managed_path, "%s.managed", d.state_path) < 0) {
		d.managed_path = NULL;
		rc = EXIT_FAIL;
		goto out;
	}
	/* which daemon: the namespace it is in (entered by ctx_nl()) and its
	 * file, so a second daemon on the same state file never acts on the
	 * first one's set
	 */
	{
		struct stat ns;
		char *real = realpath(file, NULL);

		if (stat("/proc/self/ns/net", &ns))
			ns.st_ino = 0;
		if (asprintf(&d.managed_owner, "netns %llu config %s",
			     (unsigned long long)ns.st_ino, real ? real : file) < 0)
			d.managed_owner = NULL;
		free(real);
		if (!d.managed_owner) {
			rc = EXIT_FAIL;
			goto out;
		}
	}
	managed_load(&d);
	/* the signals are read from a signalfd in the loop */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d.loop = hloop_new(probe_done, &d);
	if (d.loop && probe_user) {
		char why[320];

		if (hloop_set_probe_user(d.loop, probe_user, why, sizeof(why))) {
			dlog(&d, "--probe-user: %s", why);
			rc = EXIT_FAIL;
			goto out;
		}
		dlog(&d, "exec probes run as %s, with no capability", probe_user);
	}
	if (sfd < 0 || tfd < 0 || !d.loop || timerfd_settime(tfd, 0, &its, NULL) ||
	    hloop_watch(d.loop, sfd, on_signal, &d) || hloop_watch(d.loop, tfd, on_timer, &d)) {
		dlog(&d, "cannot set up the event loop: %s", strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	rc = load(&d, true);
	if (rc)
		goto out;
	state_write(&d, true);
	notify("READY=1");
	if (hloop_run(d.loop)) {
		dlog(&d, "event loop: %s", strerror(errno));
		rc = EXIT_FAIL;
	}
	state_write(&d, false);
out:
	hloop_free(d.loop);	/* frees the probes */
	free(d.managed);
	free(d.managed_path);
	free(d.managed_owner);
	free(d.pv);
	free(d.lr.v);
	model_free(&d.cfg);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}
