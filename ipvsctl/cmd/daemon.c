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
 * a service with a "health" line is probed (health/loop.c: one event loop).
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
#include <popt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/daemon.h"
#include "cmd/run.h"
#include "health/statefile.h"
/* ---- logging --------------------------------------------------------------- */

void dlog(struct daemon *d, const char *fmt, ...)
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

/* ---- the state file (health/statefile.c writes it) ---------------------------- */

void state_write(struct daemon *d, bool running)
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
			daemon_load(d, false);
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

/* the daemon's options */
struct daemon_args {
	char *file, *state, *drain_s, *probe_user, *maxdel_s;
	int check;
};

/* The options checked, into @d: 0, or the exit code (reported). */
static int daemon_options(struct ctx *c, const struct daemon_args *o, struct daemon *d)
{
	uint32_t drain_ms = 300000;

	if (!o->file) {
		usage_error(c, "daemon: -f FILE is required (ipvsctl daemon --help)");
		return EXIT_USAGE;
	}
	if (!strcmp(o->file, "-")) {
		usage_error(c, "daemon: FILE must be a file, to be read again on SIGHUP");
		return EXIT_USAGE;
	}
	if (o->drain_s && parse_timeout_ms(o->drain_s, &drain_ms)) {
		usage_error(c, "daemon: --drain-timeout '%s': " DURATION_HINT ", up to a week, or 0",
			    o->drain_s);
		return EXIT_USAGE;
	}
	if (o->maxdel_s && parse_max_deletes(o->maxdel_s, &d->guard)) {
		usage_error(c, "daemon: --max-deletes '%s': a number of services, or a percentage of the managed ones (0%% to 100%%)",
			    o->maxdel_s);
		return EXIT_USAGE;
	}
	if (o->probe_user) {
		/* looked up once, at start: a user that vanishes later keeps its ids */
		struct hloop *l = hloop_new(probe_done, d);
		char why[320];
		int err;

		err = l ? hloop_set_probe_user(l, o->probe_user, why, sizeof(why)) : -ENOMEM;
		hloop_free(l);
		if (err) {
			usage_error(c, "daemon: --probe-user: %s", err == -ENOMEM ? strerror(ENOMEM) : why);
			return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		}
	}
	d->c = c;
	d->file = o->file;
	d->drain_timeout_s = (drain_ms + 999) / 1000;
	d->state_path = o->state ? o->state : DEFAULT_STATE_FILE;
	d->timestamps = !getenv("JOURNAL_STREAM");
	d->started = wall_ms();
	return 0;
}

/* --check: the file checked as a start would check it, no kernel needed */
static int daemon_check(struct ctx *c, const char *file)
{
	struct model want;
	struct timeouts to;
	struct op *ops;
	size_t nops, i, nb = 0, nh = 0;
	char why[640];
	int rc, err;

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

/*
 * The managed set's path and owner. Which daemon: the namespace it is in
 * (entered by ctx_nl()) and its file, so a second daemon on the same
 * state file never acts on the first one's set. 0, or -ENOMEM.
 */
static int daemon_owner(struct daemon *d)
{
	struct stat ns;
	char *real;

	if (asprintf(&d->managed_path, "%s.managed", d->state_path) < 0) {
		d->managed_path = NULL;
		return -ENOMEM;
	}
	real = realpath(d->file, NULL);
	if (stat("/proc/self/ns/net", &ns))
		ns.st_ino = 0;
	if (asprintf(&d->managed_owner, "netns %llu config %s",
		     (unsigned long long)ns.st_ino, real ? real : d->file) < 0)
		d->managed_owner = NULL;
	free(real);
	return d->managed_owner ? 0 : -ENOMEM;
}

/* The loop, its probe user, and the signals (a signalfd) and the timer
 * it watches: 0, or EXIT_FAIL (logged).
 */
static int daemon_loop_setup(struct daemon *d, const char *probe_user, int *sfd, int *tfd)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->loop = hloop_new(probe_done, d);
	if (d->loop && probe_user) {
		char why[320];

		if (hloop_set_probe_user(d->loop, probe_user, why, sizeof(why))) {
			dlog(d, "--probe-user: %s", why);
			return EXIT_FAIL;
		}
		dlog(d, "exec probes run as %s, with no capability", probe_user);
	}
	if (*sfd < 0 || *tfd < 0 || !d->loop || timerfd_settime(*tfd, 0, &its, NULL) ||
	    hloop_watch(d->loop, *sfd, on_signal, d) || hloop_watch(d->loop, *tfd, on_timer, d)) {
		dlog(d, "cannot set up the event loop: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

int cmd_daemon(struct ctx *c, int argc, char **argv)
{
	struct daemon_args o = { 0 };
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &o.file, 0, "the desired state", "FILE" },
		{ "state-file", 0, POPT_ARG_STRING, &o.state, 0, "live health state", "PATH" },
		{ "drain-timeout", 0, POPT_ARG_STRING, &o.drain_s, 0,
		  "how long a backend that left FILE drains (default 5m; 0: deleted at once)",
		  "DURATION" },
		{ "probe-user", 0, POPT_ARG_STRING, &o.probe_user, 0,
		  "run exec probes' commands as USER (a name or uid), with no capability", "USER" },
		{ "max-deletes", 0, POPT_ARG_STRING, &o.maxdel_s, 0,
		  "refuse a start or reload that would delete more services than this", "N|N%" },
		{ "check", 0, POPT_ARG_NONE, &o.check, 0, "check FILE and exit", NULL },
		POPT_TABLEEND
	};
	struct daemon d = { 0 };
	int rc, nargs, sfd = -1, tfd = -1;
	const char **args;

	rc = cmd_options(c, argc, argv, opts,
			 "daemon -f FILE [--state-file PATH] [--drain-timeout DURATION] [--probe-user USER] [--max-deletes N|N%] [--check]",
			 daemon_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs) {
		usage_error(c, "daemon: unexpected '%s' (ipvsctl daemon --help)", args[0]);
		return EXIT_USAGE;
	}
	rc = daemon_options(c, &o, &d);
	if (rc)
		return rc;
	model_init(&d.cfg);
	if (o.check)
		return daemon_check(c, o.file);
	rc = ctx_nl(c, &d.nl);
	if (rc)
		return exit_code(rc);
	/* the default's directory: created if missing */
	if (!o.state && mkdir("/run/ipvsctl", 0755) && errno != EEXIST)
		dlog(&d, "cannot create /run/ipvsctl: %s", strerror(errno));
	rc = daemon_owner(&d) ? EXIT_FAIL : 0;
	if (rc)
		goto out;
	managed_load(&d);
	rc = daemon_loop_setup(&d, o.probe_user, &sfd, &tfd);
	if (!rc)
		rc = daemon_load(&d, true);
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

