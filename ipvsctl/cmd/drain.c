// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl drain / undrain: take a backend out of service without cutting
 * its connections, and put it back.
 *
 *   drain SERVICE BACKEND [--timeout DURATION] [--then remove|keep]
 *                         [--wait-inactive] [--interval DURATION]
 *   undrain SERVICE BACKEND [--weight N]
 *
 * drain sets the weight to 0 (no new connections or flows; established
 * ones continue, flow pins too) and waits until the backend has no active
 * connection and no pinned flow, or until the timeout, showing them count
 * down. Then it removes the backend (--then remove, the default) or leaves
 * it at weight 0 (--then keep).
 *
 * For a maglev service the weight to restore and the deadline are kept in
 * the kernel (the module's per-backend drain metadata), so undrain, a
 * second drain, "ipvsctl daemon" and "ipvsctl apply" all see the drain.
 *
 * Exit status: 0 drained (and removed or kept), 8 timed out (removed or
 * kept anyway), 130 or 143 stopped by SIGINT or SIGTERM (left at weight
 * 0), or the usual codes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <json-c/json.h>
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "config/grammar.h"
#include "health/loop.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "output/json.h"
#include "state/policy.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* SERVICE BACKEND; the backend's port defaults to the service's */
static int parse_target(struct ctx *c, const char *cmd, int nargs, const char **args,
			struct svc_id *id, struct addr_port *ap)
{
	char why[256];

	if (nargs != 2) {
		usage_error(c, "%s: SERVICE and BACKEND required (ipvsctl %s --help)", cmd, cmd);
		return EXIT_USAGE;
	}
	if (parse_svc(args[0], id, why, sizeof(why)) ||
	    parse_addr_port(args[1], id->af, ap, false, why, sizeof(why))) {
		usage_error(c, "%s: %s", cmd, why);
		return EXIT_USAGE;
	}
	if (!ap->port)
		ap->port = id->port;
	return 0;
}

/* The service (fresh from the kernel) and the backend in it; -ESRCH (@e
 * untouched by it) if the service has no such backend.
 */
static int load_target(struct nl *nl, struct model *m, const struct svc_id *id,
		       const struct addr_port *ap, struct m_svc **s, struct m_dest **d,
		       struct nl_err *e)
{
	int err;

	model_free(m);
	model_init(m);
	err = kipvs_load_one(nl, m, id, LOAD_DESTS | LOAD_MAGLEV, e);
	if (err)
		return err;
	*s = model_find(m, id);
	*d = *s ? svc_find_dest(*s, ap) : NULL;
	return *d ? 0 : -ESRCH;
}

/*
 * Names for messages, the socket, and the service and backend loaded
 * fresh (load_target()): 0, or the exit code, reported (@what is
 * "drain" or "undrain"; @hint follows "no backend" if the backend is
 * missing). On success the caller frees @m.
 */
static int open_target(struct ctx *c, const char *what, const char *hint,
		       const struct svc_id *id, const struct addr_port *ap, char *svcbuf,
		       size_t svclen, char *bebuf, size_t belen, struct nl **nl, struct model *m,
		       struct m_svc **s, struct m_dest **d)
{
	struct nl_err e;
	int err;

	fmt_svc(id, svcbuf, svclen);
	fmt_addr_port(ap->af, ap->addr, ap->port, bebuf, belen);
	err = ctx_nl(c, nl);
	if (err)
		return exit_code(err);
	model_init(m);
	err = load_target(*nl, m, id, ap, s, d, &e);
	if (!err)
		return 0;
	if (err == -ESRCH)
		fprintf(stderr, "%s: %s: service %s has no backend %s%s\n", c->prog, what, svcbuf,
			bebuf, hint);
	else
		err_report_obj(c, &e, ERR_SERVICE, err, "%s: service %s", what, svcbuf);
	model_free(m);
	return exit_code(err == -ESRCH ? -ENOENT : err);
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);	/* a signal ends it early: checked by the caller */
}

static const char drain_help[] =
	"Set BACKEND's weight to 0 and wait until it has no active connection\n"
	"and no pinned flow (or until --timeout), then remove it (or keep it at\n"
	"weight 0). Established connections are never cut by the drain itself;\n"
	"removing a backend that still has some, after a timeout, does cut them.\n\n"
	"Inactive connections (closing or in TIME_WAIT) are shown but not waited\n"
	"for, unless --wait-inactive: they carry no traffic the backend serves.\n\n"
	"Exit status: 0 drained, 8 timed out (removed or kept anyway),\n"
	"130 or 143 stopped by SIGINT or SIGTERM (the backend is left at weight 0:\n"
	"undrain restores it), 1 failed,\n"
	"2 usage, 3 not permitted, 4 no such service or backend, 6 refused.\n";

static const char undrain_help[] =
	"Give BACKEND its weight back: the weight saved by drain (maglev\n"
	"services keep it in the kernel) or --weight. Slow start, if on, ramps\n"
	"it up.\n";

/* One drain: its target, options, and what the wait saw. */
struct drain {
	struct ctx *c;
	struct nl *nl;
	struct svc_id id;
	struct addr_port ap;
	char svcbuf[96], bebuf[64];
	struct model m;			/* the service, fresh from the kernel */
	struct m_svc *s;
	struct m_dest *d;
	bool maglev, keep, wait_inactive, tty, gone;
	uint32_t timeout_ms, interval_ms, saved;
	uint32_t last_a, last_i, last_p;	/* UINT32_MAX: not seen yet */
	uint64_t start, deadline_wall;
	const char *outcome;		/* drained, timeout, gone, interrupted */
};

/* --timeout, --interval and --then into @dr: 0, or EXIT_USAGE (reported) */
static int drain_options(struct drain *dr, const char *timeout_s, const char *interval_s,
			 const char *then_s)
{
	struct ctx *c = dr->c;

	if (timeout_s && parse_timeout_ms(timeout_s, &dr->timeout_ms)) {
		usage_error(c, "drain: --timeout '%s': " DURATION_HINT ", up to a week, or 0 (never)",
			    timeout_s);
		return EXIT_USAGE;
	}
	if (interval_s && (parse_duration_ms(interval_s, 60000, &dr->interval_ms) ||
			   dr->interval_ms < 50)) {
		usage_error(c, "drain: --interval '%s': " DURATION_HINT ", from 50ms to 1m",
			    interval_s);
		return EXIT_USAGE;
	}
	if (then_s && strcmp(then_s, "remove") && strcmp(then_s, "keep")) {
		usage_error(c, "drain: --then '%s': remove or keep", then_s);
		return EXIT_USAGE;
	}
	dr->keep = then_s && !strcmp(then_s, "keep");
	return 0;
}

/* The drain metadata (maglev services), then weight 0; the metadata is
 * taken back if the weight cannot be set. 0, or the exit code (reported).
 */
static int drain_begin(struct drain *dr)
{
	struct ctx *c = dr->c;
	struct nl_err e;
	int err;

	if (dr->maglev) {
		struct mg_be_set set = {
			.set = MG_BE_SET_SAVED_WEIGHT | MG_BE_SET_DRAIN_DEADLINE,
			.saved_weight = dr->saved,
			.drain_deadline = dr->deadline_wall,
		};

		err = kmaglev_set_backend(dr->nl, &dr->id, &dr->ap, &set, &e);
		if (err) {
			err_report_obj(c, &e, ERR_SERVICE_BACKEND, err,
				       "drain: saving the weight of %s", dr->bebuf);
			return exit_code(err);
		}
	}
	if (dr->d->c.weight) {
		struct dest_conf dc = dr->d->c;

		dc.weight = 0;
		err = kipvs_dest_edit(dr->nl, &dr->id, &dr->ap, &dc, &e);
		if (err) {
			err_report_obj(c, &e, ERR_SERVICE_BACKEND, err,
				       "drain: setting the weight of %s to 0", dr->bebuf);
			if (dr->maglev) {
				struct mg_be_set undo = {
					.set = MG_BE_SET_SAVED_WEIGHT | MG_BE_SET_DRAIN_DEADLINE,
				};

				kmaglev_set_backend(dr->nl, &dr->id, &dr->ap, &undo, NULL);
			}
			return exit_code(err);
		}
	}
	if (!c->o.quiet)
		fprintf(stderr, "%s: draining %s of %s: weight %u -> 0%s\n", c->prog, dr->bebuf,
			dr->svcbuf, dr->saved, dr->maglev ? "" :
			" (not a maglev service: the weight is not saved in the kernel; undrain needs --weight)");
	return 0;
}

/* the backend's counts, when they change (or always, on a terminal) */
static void drain_progress(struct drain *dr, uint64_t now)
{
	const struct m_dest *d = dr->d;
	char left[48] = "";

	if (dr->c->o.quiet || !(dr->tty || d->active != dr->last_a || d->inactive != dr->last_i ||
				 d->mg.pins != dr->last_p))
		return;
	if (dr->timeout_ms)
		snprintf(left, sizeof(left), ", %llu s left",
			 (unsigned long long)((dr->start + dr->timeout_ms > now ?
					       dr->start + dr->timeout_ms - now : 0) + 999) / 1000);
	fprintf(stderr, "%s%s: %s: %u active, %u inactive, %u pinned%s%s",
		dr->tty ? "\r" : "", dr->c->prog, dr->bebuf, d->active, d->inactive, d->mg.pins,
		left, dr->tty ? "   " : "\n");
	dr->last_a = d->active;
	dr->last_i = d->inactive;
	dr->last_p = d->mg.pins;
}

/* Look every interval until drained, timed out, gone or stopped by a
 * signal (dr->outcome). 0, or the exit code of a failed read (reported).
 */
static int drain_wait(struct drain *dr)
{
	struct nl_err e;
	int err;

	for (;;) {
		uint64_t now = now_ms();
		bool done;

		err = load_target(dr->nl, &dr->m, &dr->id, &dr->ap, &dr->s, &dr->d, &e);
		if (err == -ESRCH || err == -ENOENT) {
			dr->gone = true;
			dr->outcome = "gone";
			return 0;
		}
		if (err) {
			err_report(dr->c, &e, err, "drain: reading %s", dr->bebuf);
			return exit_code(err);
		}
		done = !dr->d->active && !dr->d->mg.pins && (!dr->wait_inactive || !dr->d->inactive);
		drain_progress(dr, now);
		if (done)
			dr->outcome = "drained";
		else if (dr->timeout_ms && now - dr->start >= dr->timeout_ms)
			dr->outcome = "timeout";
		else if (!stop_signal)
			sleep_ms(dr->timeout_ms && dr->start + dr->timeout_ms - now < dr->interval_ms ?
				 (uint32_t)(dr->start + dr->timeout_ms - now) : dr->interval_ms);
		if (!dr->outcome && stop_signal)
			dr->outcome = "interrupted";
		if (dr->outcome)
			return 0;
	}
}

/* Remove the backend, or keep it at weight 0: the exit code. */
static int drain_end(struct drain *dr)
{
	struct nl_err e;
	int err;

	if (!strcmp(dr->outcome, "interrupted"))
		return stop_signal == SIGTERM ? EXIT_TERMINATED : EXIT_INTERRUPTED;
	if (!dr->gone && !dr->keep) {
		err = kipvs_dest_del(dr->nl, &dr->id, &dr->ap, &e);
		if (err && err != -ENOENT) {
			err_report(dr->c, &e, err, "drain: removing %s", dr->bebuf);
			return exit_code(err);
		}
		dr->gone = true;
	} else if (!dr->gone && dr->maglev) {
		/* kept at weight 0: no deadline any more, the weight stays saved */
		struct mg_be_set set = { .set = MG_BE_SET_DRAIN_DEADLINE };

		kmaglev_set_backend(dr->nl, &dr->id, &dr->ap, &set, NULL);
	}
	return strcmp(dr->outcome, "timeout") ? EXIT_OK : EXIT_DRAIN_TIMEOUT;
}

static int64_t seen(uint32_t v)
{
	return v == UINT32_MAX ? 0 : v;
}

/* what became of the drain: JSON, or one line */
static void drain_report(const struct drain *dr)
{
	struct ctx *c = dr->c;
	double secs = (double)(now_ms() - dr->start) / 1000.0;

	if (c->o.json) {
		json_object *o = json_object_new_object(), *r = json_object_new_object();

		json_object_object_add(o, "service", json_object_new_string(dr->svcbuf));
		json_object_object_add(o, "backend", json_object_new_string(dr->bebuf));
		json_object_object_add(o, "outcome", json_object_new_string(dr->outcome));
		json_object_object_add(o, "then", json_object_new_string(dr->keep ? "keep" : "remove"));
		json_object_object_add(o, "removed", json_object_new_boolean(dr->gone));
		json_object_object_add(o, "saved_weight", json_object_new_int64(dr->saved));
		json_object_object_add(o, "elapsed_ms",
				       json_object_new_int64((int64_t)(now_ms() - dr->start)));
		json_object_object_add(r, "active", json_object_new_int64(seen(dr->last_a)));
		json_object_object_add(r, "inactive", json_object_new_int64(seen(dr->last_i)));
		json_object_object_add(r, "pins", json_object_new_int64(seen(dr->last_p)));
		json_object_object_add(o, "remaining", r);
		out_json(o);
		return;
	}
	if (c->o.quiet)
		return;
	if (!strcmp(dr->outcome, "drained"))
		fprintf(stderr, "%s: %s drained in %.1f s: %s\n", c->prog, dr->bebuf, secs,
			dr->keep ? "kept at weight 0 (undrain restores it)" : "removed");
	else if (!strcmp(dr->outcome, "timeout"))
		fprintf(stderr, "%s: %s: drain TIMED OUT after %.1f s with %u active, %u pinned: %s\n",
			c->prog, dr->bebuf, secs, dr->d->active, dr->d->mg.pins,
			dr->keep ? "kept at weight 0" : "removed (those connections are cut)");
	else if (!strcmp(dr->outcome, "gone"))
		fprintf(stderr, "%s: %s was removed by something else after %.1f s\n",
			c->prog, dr->bebuf, secs);
	else
		fprintf(stderr, "%s: interrupted: %s left at weight 0 (ipvsctl undrain %s %s restores %u)\n",
			c->prog, dr->bebuf, dr->svcbuf, dr->bebuf, dr->saved);
}

int cmd_drain(struct ctx *c, int argc, char **argv)
{
	char *timeout_s = NULL, *then_s = NULL, *interval_s = NULL;
	int wait_inactive = 0, rc, nargs;
	struct poptOption opts[] = {
		{ "timeout", 't', POPT_ARG_STRING, &timeout_s, 0,
		  "give up after this long (default 5m; 0: never)", "DURATION" },
		{ "then", 0, POPT_ARG_STRING, &then_s, 0,
		  "when drained or timed out: remove (default) or keep", "remove|keep" },
		{ "wait-inactive", 0, POPT_ARG_NONE, &wait_inactive, 0,
		  "wait for inactive connections too", NULL },
		{ "interval", 0, POPT_ARG_STRING, &interval_s, 0,
		  "how often to look (default 1s)", "DURATION" },
		POPT_TABLEEND
	};
	struct drain dr = {
		.c = c, .timeout_ms = 300000, .interval_ms = 1000, .tty = isatty(STDERR_FILENO),
		.last_a = UINT32_MAX, .last_i = UINT32_MAX, .last_p = UINT32_MAX,
	};
	struct sigaction sa = { .sa_handler = on_stop };
	const char **args;

	rc = cmd_options(c, argc, argv, opts,
			 "drain SERVICE BACKEND [--timeout DURATION] [--then remove|keep] [--wait-inactive]",
			 drain_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	rc = parse_target(c, "drain", nargs, args, &dr.id, &dr.ap);
	if (!rc)
		rc = drain_options(&dr, timeout_s, interval_s, then_s);
	if (rc)
		return rc;
	dr.wait_inactive = wait_inactive;
	rc = open_target(c, "drain", "", &dr.id, &dr.ap, dr.svcbuf, sizeof(dr.svcbuf), dr.bebuf,
			 sizeof(dr.bebuf), &dr.nl, &dr.m, &dr.s, &dr.d);
	if (rc)
		return rc;
	dr.maglev = sched_is_maglev(dr.s->c.sched);
	dr.saved = be_drain_saved_weight(dr.d);
	dr.start = now_ms();
	if (dr.timeout_ms)
		dr.deadline_wall = (wall_ms() + dr.timeout_ms + 999) / 1000;

	rc = drain_begin(&dr);
	if (rc)
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = drain_wait(&dr);
	if (rc)
		goto out;
	if (dr.tty && !c->o.quiet)
		fputc('\n', stderr);
	rc = drain_end(&dr);
	/* the outcome's codes: a failure to remove was reported already */
	if (rc == EXIT_OK || rc == EXIT_DRAIN_TIMEOUT || rc == EXIT_TERMINATED ||
	    rc == EXIT_INTERRUPTED)
		drain_report(&dr);
out:
	model_free(&dr.m);
	return rc;
}

int cmd_undrain(struct ctx *c, int argc, char **argv)
{
	char svcbuf[96], bebuf[64], *weight_s = NULL;
	int rc, err, nargs;
	uint32_t weight = 0;	/* 0: the one drain saved */
	struct poptOption opts[] = {
		{ "weight", 'w', POPT_ARG_STRING, &weight_s, 0,
		  "the weight to give, 1 to 2147483647 (default: the one drain saved)", "N" },
		POPT_TABLEEND
	};
	struct addr_port ap;
	struct dest_conf dc;
	struct m_svc *s;
	struct m_dest *d;
	struct model m;
	struct nl_err e;
	struct svc_id id;
	const char **args;
	struct nl *nl;

	rc = cmd_options(c, argc, argv, opts, "undrain SERVICE BACKEND [--weight N]",
			 undrain_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	rc = parse_target(c, "undrain", nargs, args, &id, &ap);
	if (rc)
		return rc;
	/* any weight backend add takes, but 0: that is what drain set, and
	 * it would leave the backend drained (and its saved weight kept)
	 */
	if (weight_s && parse_u32(weight_s, 1, 2147483647, &weight)) {
		usage_error(c, "undrain: --weight '%s': a weight from 1 to 2147483647 (0 would leave it drained)",
			    weight_s);
		return EXIT_USAGE;
	}
	rc = open_target(c, "undrain",
			 " (a drain removes it: add it back with 'ipvsctl backend add')", &id, &ap,
			 svcbuf, sizeof(svcbuf), bebuf, sizeof(bebuf), &nl, &m, &s, &d);
	if (rc)
		return rc;
	weight = be_undrain_weight(d, weight, &err);
	if (!weight && !err) {
		if (!c->o.quiet)
			fprintf(stderr, "%s: %s is not drained (weight %u); nothing to do\n",
				c->prog, bebuf, d->c.weight);
		model_free(&m);
		return EXIT_OK;
	}
	if (!weight) {
		fprintf(stderr, "%s: undrain: no saved weight for %s (only maglev services keep it); give --weight N\n",
			c->prog, bebuf);
		model_free(&m);
		return EXIT_USAGE;
	}
	dc = d->c;
	dc.weight = weight;
	/* a weight above 0 also clears the module's drain metadata */
	err = kipvs_dest_edit(nl, &id, &ap, &dc, &e);
	if (err) {
		err_report_obj(c, &e, ERR_SERVICE_BACKEND, err, "undrain: setting the weight of %s",
			       bebuf);
		model_free(&m);
		return exit_code(err);
	}
	if (!c->o.quiet) {
		char ss[64] = "";

		if (s->c.ss_window_ms && sched_is_maglev(s->c.sched))
			snprintf(ss, sizeof(ss), "; slow start ramps it over %.1f s",
				 s->c.ss_window_ms / 1000.0);
		fprintf(stderr, "%s: %s: weight %u restored%s\n", c->prog, bebuf, weight, ss);
	}
	model_free(&m);
	return EXIT_OK;
}
