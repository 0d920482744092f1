// SPDX-License-Identifier: GPL-2.0
/*
 * The health probe loop (ipvsctl/health/loop.c) on the host, against servers
 * on 127.0.0.1 that a forked child runs: a TCP listener, an HTTP server
 * whose paths answer 200, 302, 500, hang, or reset, a UDP echo server, and
 * closed ports. Every probe kind is checked for its verdict and its
 * reason (durations only for "never early"), and the loop for not
 * blocking on a probe that hangs or on a name that does not resolve; then
 * the spawn race (a probe socket closed while a child holds a copy); then
 * exec commands (a killed one a tracer keeps from being reaped, a
 * background job, stderr, a long address, a probe user) and bodies that
 * a NUL, no end or their size would hide. Freed loops leave no
 * descriptor open.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/grammar.h"
#include "base/clock.h"
#include "health/loop.h"
#include "ktap.h"

/* ---- the servers (child process) ------------------------------------------ */

static int listen_on(int type, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 128)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/*
 * A TCP port nothing listens on, held bound (never listening) for the
 * whole test: a connect to it is refused, and the kernel never picks it
 * as a connect's source port. A port bound and closed again could be
 * picked, and a probe to it would then connect to itself (TCP
 * simultaneous open) and pass: seen once in 9687 probes.
 */
static uint16_t held_tcp_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return 0;
	}
	return ntohs(sa.sin_port);	/* fd stays open until the test exits */
}

/* A UDP port nothing listens on: bound, closed. */
static uint16_t closed_port(int type)
{
	uint16_t port = 0;
	int fd = listen_on(type == SOCK_STREAM ? SOCK_DGRAM : SOCK_STREAM, &port);

	/* bind the other type, so the port is free for this one */
	if (fd >= 0)
		close(fd);
	return port;
}

static void http_answer(int c)
{
	char req[2048], resp[512];
	ssize_t n = recv(c, req, sizeof(req) - 1, 0);
	struct linger lg = { 1, 0 };
	const char *body = "hello, healthy\n";
	int code = 200;

	if (n <= 0) {
		close(c);
		return;
	}
	req[n] = 0;
	if (strstr(req, "GET /hang ")) {
		/* keep it open and say nothing: the child exits at the end */
		return;
	}
	if (strstr(req, "GET /reset ")) {
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		return;
	}
	if (strstr(req, "GET /nul ")) {
		/* the expected text after a NUL */
		static const char nul[] = "HTTP/1.1 200 X\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
					  "\0hello, healthy\n";

		if (send(c, nul, sizeof(nul) - 1, MSG_NOSIGNAL) < 0)
			perror("send");
		close(c);
		return;
	}
	if (strstr(req, "GET /endless ") || strstr(req, "GET /big ")) {
		/* a body that never ends: the expected text first, or 70,000 bytes without it */
		static const char head[] = "HTTP/1.1 200 X\r\nConnection: close\r\n\r\n";
		char junk[70000];
		bool big = strstr(req, "GET /big ");

		memset(junk, 'x', sizeof(junk));
		if (send(c, head, sizeof(head) - 1, MSG_NOSIGNAL) < 0 ||
		    send(c, big ? junk : "hello, healthy\n", big ? sizeof(junk) : 15, MSG_NOSIGNAL) < 0)
			perror("send");
		return;	/* and nothing more: kept open, the child exits at the end */
	}
	if (strstr(req, "GET /500 "))
		code = 500;
	else if (strstr(req, "GET /302 "))
		code = 302;
	else if (strstr(req, "GET /other "))
		body = "something else\n";
	if (strstr(req, "Host: health.example"))
		body = "hello, named host\n";
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 code, strlen(body), body);
	if (send(c, resp, strlen(resp), MSG_NOSIGNAL) < 0)
		perror("send");
	close(c);
}

static void serve(int tcp, int http, int udp, int ready)
{
	struct pollfd pf[3] = {
		{ .fd = tcp, .events = POLLIN },
		{ .fd = http, .events = POLLIN },
		{ .fd = udp, .events = POLLIN },
	};
	char buf[512];

	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		if (poll(pf, 3, -1) < 0)
			continue;
		if (pf[0].revents & POLLIN) {
			int c = accept(tcp, NULL, NULL);

			if (c >= 0)
				close(c);
		}
		if (pf[1].revents & POLLIN) {
			int c = accept(http, NULL, NULL);

			if (c >= 0)
				http_answer(c);
		}
		if (pf[2].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(udp, buf, sizeof(buf) - 1, 0,
					     (struct sockaddr *)&from, &fl);

			if (n > 0) {
				buf[n] = 0;
				/* "ping" -> "pong", anything else -> "what?" */
				sendto(udp, strcmp(buf, "ping") ? "what?" : "pong", strcmp(buf, "ping") ? 5 : 4,
				       0, (struct sockaddr *)&from, fl);
			}
		}
	}
}

/* ---- the probes -------------------------------------------------------------- */

/*
 * Nothing here depends on how fast the machine is. The phases end on
 * counts of results, not on a timer; intervals and timeouts are scaled
 * from a calibration made at the start of the same run; durations are
 * the loop's own (started_ms, last_ms) and are judged against the
 * loop's lateness measured in the same phase by a ticker; the spawn
 * race is provoked by a child the test controls, step by step.
 */
#define NPROBES		256
#define MAXRUNS		48	/* runs kept per probe (counts go on) */
#define LOOP_GRID_MS	10	/* health.c's BATCH_MS: the loop wakes on this grid */
#define RUNS		5	/* results per probe in the first phase */
#define CAL_RUNS	3	/* ... in a calibration round */
#define UNITS		10	/* good probes' timeout: this many calibrated units */
#define WATCHDOG	50	/* no step towards the end in this many intervals: stuck */

struct run {
	uint64_t start;		/* the loop's started_ms */
	uint32_t ms;		/* the loop's last_ms */
	bool ok;
};

struct result {
	int n, ok, fail, timeouts;
	int repeats;		/* results without a start of their own */
	char why[128];
	uint64_t prev_start;
	struct run runs[MAXRUNS];
};

static struct result res[NPROBES];
static struct probe *probes[NPROBES];
static struct health_spec specs[NPROBES];
static uint64_t t0;
static struct hloop *loop;
static int nprobes;

/* the phase running: its probes are [ph_first, nprobes) */
static int ph_first, ph_runs;
static bool (*ph_more)(void);		/* and whatever else it waits for */
static int (*ph_steps)(void);		/* ... counted in steps */
static void (*ph_result)(int i);	/* called on each result */

/*
 * No step towards the phase's end (a result a probe still needed, or a
 * step of what else it waits for) for wd_ms: the loop is stuck, and the
 * phase then fails on its counts.
 */
static int wd_fd = -1;
static uint64_t wd_ms;
static bool wd_fired;
static long wd_steps;

static void watchdog_arm(void)
{
	struct itimerspec its = { .it_value = { (time_t)(wd_ms / 1000), (long)(wd_ms % 1000) * 1000000 } };

	timerfd_settime(wd_fd, 0, &its, NULL);
}

static void watchdog_cb(int fd, void *arg)
{
	uint64_t v;

	(void)arg;
	if (read(fd, &v, sizeof(v)) == sizeof(v)) {
		wd_fired = true;
		hloop_stop(loop);
	}
}

static bool phase_complete(void)
{
	int i;

	for (i = ph_first; i < nprobes; i++)
		if (res[i].n < ph_runs)
			return false;
	return !ph_more || ph_more();
}

/* Called on every event of the phase: the watchdog waits from the last step. */
static void phase_step(void)
{
	long steps = ph_steps ? ph_steps() : 0;
	int i;

	for (i = ph_first; i < nprobes; i++)
		steps += res[i].n < ph_runs ? res[i].n : ph_runs;
	if (steps > wd_steps) {
		wd_steps = steps;
		watchdog_arm();
	}
	if (phase_complete())
		hloop_stop(loop);
}

static void done(struct probe *p, bool ok, const char *why, void *arg)
{
	int i = (int)(intptr_t)p->svc.fwmark;	/* the index, smuggled */
	struct result *r = &res[i];

	(void)arg;
	if (r->n && p->started_ms == r->prev_start)
		r->repeats++;
	r->prev_start = p->started_ms;
	if (r->n < MAXRUNS) {
		r->runs[r->n].start = p->started_ms;
		r->runs[r->n].ms = p->last_ms;
		r->runs[r->n].ok = ok;
	}
	r->n++;
	if (ok) {
		r->ok++;
	} else {
		r->fail++;
		if (why && !strncmp(why, "timeout", 7))
			r->timeouts++;
		/* the last failure's reason: a good probe's one failure shows why */
		snprintf(r->why, sizeof(r->why), "%s, %llu ms in", why ? why : "?",
			 (unsigned long long)(now_ms() - t0));
	}
	if (ph_result)
		ph_result(i);
	phase_step();
}

static int addf(uint16_t port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(uint16_t port, const char *fmt, ...)
{
	char words[800], line[900], *w[GRAMMAR_MAX_WORDS], why[256];
	struct op op;
	struct probe *p;
	int nw, i = nprobes++;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(words, sizeof(words), fmt, ap);
	va_end(ap);
	if (i >= NPROBES) {
		ktap_diag("too many probes");
		exit(1);
	}
	snprintf(line, sizeof(line), "health tcp/127.0.0.1:1 %s", words);
	nw = split_words(line, w, GRAMMAR_MAX_WORDS);
	if (nw < 0 || grammar_parse(nw, w, &op, why, sizeof(why))) {
		ktap_diag("bad probe '%s': %s", words, why);
		exit(1);
	}
	memset(&res[i], 0, sizeof(res[i]));
	specs[i] = *op.hc;
	op_release(&op);
	p = calloc(1, sizeof(*p));
	p->svc.fwmark = (uint32_t)i;
	p->be.af = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", p->be.addr);
	p->be.port = port;
	p->spec = &specs[i];
	probes[i] = p;
	if (hloop_add(loop, p)) {
		ktap_diag("hloop_add failed");
		exit(1);
	}
	return i;
}

/* Run the loop until each probe from @first has @runs results and @more(). */
static void run_phase(int first, int runs, bool (*more)(void), int (*steps)(void), void (*result)(int),
		      uint64_t watchdog_ms)
{
	ph_first = first;
	ph_runs = runs;
	ph_more = more;
	ph_steps = steps;
	ph_result = result;
	wd_ms = watchdog_ms;
	wd_fired = false;
	wd_steps = 0;
	wd_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	hloop_watch(loop, wd_fd, watchdog_cb, NULL);
	watchdog_arm();
	hloop_run(loop);
	ph_result = NULL;
}

static void phase_end(void)
{
	close(wd_fd);
	wd_fd = -1;
}

/* ---- the ticker: how late the loop serves a timer, and when ------------------- */

#define MAXTICKS 16384

static struct {
	int fd;
	uint64_t start_us, period_us, expired, max_late_us;
	uint64_t at[MAXTICKS];	/* when the loop served it (now_ms) */
	size_t n;
} tick;

static void tick_cb(int fd, void *arg)
{
	uint64_t v, now = now_us(), due;

	(void)arg;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	/* the oldest expiry not served yet: @v of them are served now */
	due = tick.start_us + (tick.expired + 1) * tick.period_us;
	tick.expired += v;
	if (now > due && now - due > tick.max_late_us)
		tick.max_late_us = now - due;
	if (tick.n < MAXTICKS)
		tick.at[tick.n++] = now / 1000;
}

static void tick_start(unsigned period_ms)
{
	struct itimerspec its;
	uint64_t first;

	memset(&tick, 0, sizeof(tick));
	tick.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	tick.period_us = period_ms * 1000ULL;
	tick.start_us = now_us();
	first = tick.start_us + tick.period_us;
	its.it_value.tv_sec = (time_t)(first / 1000000);
	its.it_value.tv_nsec = (long)(first % 1000000) * 1000;
	its.it_interval.tv_sec = (time_t)(tick.period_us / 1000000);
	its.it_interval.tv_nsec = (long)(tick.period_us % 1000000) * 1000;
	timerfd_settime(tick.fd, TFD_TIMER_ABSTIME, &its, NULL);
	hloop_watch(loop, tick.fd, tick_cb, NULL);
}

/* the loop's worst lateness in serving the ticker, in whole ms */
static unsigned tick_late_ms(void)
{
	return (unsigned)((tick.max_late_us + 999) / 1000);
}

/*
 * Times the loop served the ticker strictly between @a and @b (ms), and
 * the longest it went without doing so in there.
 */
static int ticks_between(uint64_t a, uint64_t b, uint64_t *away)
{
	uint64_t last = a;
	size_t k;
	int c = 0;

	for (k = 0; k < tick.n; k++) {
		if (tick.at[k] > a && tick.at[k] < b) {
			c++;
			if (away && tick.at[k] - last > *away)
				*away = tick.at[k] - last;
			last = tick.at[k];
		}
	}
	if (away && b - last > *away)
		*away = b - last;
	return c;
}

/* ---- the first phase: every kind of probe, its verdict, reason and timing ---- */

static uint16_t tcp_port, http_port, udp_port, tcp_closed, udp_closed;

struct set1 {
	int first;
	int tcp, tcp_closed, http, http_302, range, http_500, http_body, http_nobody, hang, reset;
	int http_closed, host, udp, udp_wrong, udp_closed, exec_ok, exec_fail, exec_hang, dns, dns_tcp;
	int probe_port;
};

/*
 * Every probe every @iv ms. The hanging ones time out at @th (3/5 of
 * the interval, as 300 ms of 500 did); the others have 9/10 of it: they
 * answer or fail on their own, and a timeout would hide their reason.
 */
static void add_set1(struct set1 *s, unsigned iv, unsigned th)
{
	char g[64], h[64];

	snprintf(g, sizeof(g), "interval %ums timeout %ums", iv, iv - iv / 10);
	snprintf(h, sizeof(h), "interval %ums timeout %ums", iv, th);
	s->first = nprobes;
	s->tcp = addf(tcp_port, "type tcp %s jitter 0", g);
	s->tcp_closed = addf(tcp_closed, "type tcp %s", g);
	s->http = addf(http_port, "type http path /ok %s", g);
	s->http_302 = addf(http_port, "type http path /302 %s", g);
	s->range = addf(http_port, "type http path /302 status 200 %s", g);
	s->http_500 = addf(http_port, "type http path /500 %s", g);
	s->http_body = addf(http_port, "type http path /ok expect healthy %s", g);
	s->http_nobody = addf(http_port, "type http path /other expect healthy %s", g);
	s->hang = addf(http_port, "type http path /hang %s", h);
	s->reset = addf(http_port, "type http path /reset %s", g);
	s->http_closed = addf(tcp_closed, "type http %s", g);
	s->host = addf(http_port, "type http path /ok host health.example expect \"named host\" %s", g);
	s->udp = addf(udp_port, "type udp send ping expect pong %s", g);
	s->udp_wrong = addf(udp_port, "type udp send hello expect pong %s", g);
	s->udp_closed = addf(udp_closed, "type udp %s", g);
	s->exec_ok = addf(tcp_port, "type exec command \"test $BACKEND_ADDR = 127.0.0.1\" %s", g);
	s->exec_fail = addf(tcp_port, "type exec command \"exit 3\" %s", g);
	s->exec_hang = addf(tcp_port, "type exec command \"sleep 30\" %s", h);
	s->dns = addf(http_port, "type http address no-such-host.invalid %s", g);
	s->dns_tcp = addf(tcp_port, "type tcp address no-such-host.invalid %s", g);
	/* the probe port, not the backend's */
	s->probe_port = addf(tcp_closed, "type tcp port %u %s", tcp_port, g);
}

static int set1_good(const struct set1 *s, int *v)
{
	int n = 0;

	v[n++] = s->tcp;
	v[n++] = s->http;
	v[n++] = s->http_302;
	v[n++] = s->http_body;
	v[n++] = s->host;
	v[n++] = s->udp;
	v[n++] = s->exec_ok;
	v[n++] = s->probe_port;
	return n;
}

/*
 * The calibration: the first phase's probes at 100 ms, then at twice
 * that and so on, until a round passes in which no good probe timed
 * out. The unit is the longest a good probe took in that round, or the
 * longest the loop was late to serve its ticker, whichever is more:
 * what a probe costs and how long the loop stalls (a posix_spawn() is
 * a fork under valgrind), on this machine, now. The first rounds also
 * load libcurl and (under valgrind) translate every path once.
 */
static unsigned cal_iv, cal_unit;

static bool calibrate(void)
{
	unsigned iv;

	for (iv = 100; iv <= 12800; iv *= 2) {
		int good[16], ng, k, r, base = nprobes;
		unsigned longest = 0, late;
		bool clean = true;
		struct set1 s;

		loop = hloop_new(done, NULL);
		if (!loop)
			return false;
		add_set1(&s, iv, iv * 3 / 5);
		tick_start(LOOP_GRID_MS);
		run_phase(s.first, CAL_RUNS, NULL, NULL, NULL, (uint64_t)WATCHDOG * iv);
		late = tick_late_ms();
		ng = set1_good(&s, good);
		for (k = 0; k < ng; k++) {
			struct result *g = &res[good[k]];

			if (g->timeouts || g->n < CAL_RUNS)
				clean = false;
			for (r = 0; r < g->n && r < MAXRUNS; r++)
				if (g->runs[r].ok && g->runs[r].ms > longest)
					longest = g->runs[r].ms;
		}
		hloop_free(loop);
		loop = NULL;
		close(tick.fd);
		phase_end();
		ktap_diag("calibration at a %u ms interval: %s; longest good probe %u ms, "
			  "loop late by up to %u ms", iv, clean ? "no good probe timed out" :
			  "a good probe timed out", longest, late);
		nprobes = base;	/* the slots are reused */
		if (clean && !wd_fired) {
			cal_iv = iv;
			cal_unit = longest > late ? longest : late;
			if (!cal_unit)
				cal_unit = 1;
			return true;
		}
	}
	return false;
}

/* ---- the spawn race: a child that holds copies of the probes' descriptors ---- */

/*
 * An exec probe's child held a copy of every descriptor until its exec,
 * and a probe socket the loop closed meanwhile stayed in epoll, naming
 * its probe: thousands of false "ok"s. The exec probes still start their
 * commands here among TCP probes that end, as when it was found; but
 * their children now close every descriptor before the loop runs again
 * (closefrom in posix_spawn, whose parent waits for the exec), so they
 * no longer open the window, and how often they did was a matter of
 * scheduling. Any child holding copies reopens it, and only
 * EPOLL_CTL_DEL before close() makes it harmless. So the test makes one,
 * on events, not on timers: a child forked while probes to a black hole
 * (a listener whose queue is full: a connect neither completes nor
 * fails) are running. Once the loop has closed such a probe's socket,
 * the child shuts its copy down: ready, and were it still in epoll, the
 * probe's next run (a connect still pending) would be called with it
 * and pass.
 */
#define NB	8	/* tcp probes to the black hole */
#define NR	30	/* tcp probes to a closed port */
#define NE	10	/* exec probes */
#define RUNS2	8	/* results per probe in this phase */
#define IV2	100	/* ms: the shortest interval */
#define TO2	60

static struct {
	int first_bh;		/* the black-hole probes: [first_bh, first_bh + NB) */
	pid_t pid;
	bool forked, released;
	int cmd[2], ack[2];
	int open_fds;		/* probe descriptors open in the loop at the fork */
	int ncap;		/* black-hole probes whose socket the child holds */
	int idx[NB], fd[NB];
	uint64_t start[NB];	/* the run the held socket belongs to */
	bool sent[NB], acked[NB];
	int after[NB];		/* results of the probe when its copy was ready */
	int until[NB];		/* ... when the child was killed */
} hold;

static void holder(void)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* ended by SIGKILL only: no exit handlers, no valgrind report */
	while (read(hold.cmd[0], &fd, sizeof(fd)) == sizeof(fd)) {
		shutdown(fd, SHUT_RDWR);
		if (write(hold.ack[1], &fd, sizeof(fd)) != sizeof(fd))
			break;
	}
	raise(SIGKILL);
}

static void holder_fork(void)
{
	int i, k;

	for (i = ph_first; i < nprobes; i++)
		if (probes[i]->running && probes[i]->fd >= 0)
			hold.open_fds++;
	for (k = 0; k < NB; k++) {
		struct probe *p = probes[hold.first_bh + k];

		if (p->running && p->fd >= 0) {
			hold.idx[hold.ncap] = hold.first_bh + k;
			hold.fd[hold.ncap] = p->fd;
			hold.start[hold.ncap] = p->started_ms;
			hold.ncap++;
		}
	}
	hold.forked = true;
	hold.pid = fork();
	if (hold.pid == 0)
		holder();
	if (hold.pid < 0)
		ktap_diag("fork: %s", strerror(errno));
}

static void holder_release(void)
{
	int st;

	if (hold.pid > 0) {
		kill(hold.pid, SIGKILL);
		waitpid(hold.pid, &st, 0);
		hold.pid = 0;
	}
}

/* released once every held probe has had two results after its copy was ready */
static void holder_check(void)
{
	int k;

	if (!hold.forked || hold.released || hold.pid <= 0)
		return;
	for (k = 0; k < hold.ncap; k++)
		if (!hold.acked[k] || res[hold.idx[k]].n < hold.after[k] + 2)
			return;
	holder_release();
	hold.released = true;
	for (k = 0; k < hold.ncap; k++)
		hold.until[k] = res[hold.idx[k]].n;
}

static void holder_ack(int fd, void *arg)
{
	int v, k;

	(void)arg;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	for (k = 0; k < hold.ncap; k++)
		if (hold.sent[k] && !hold.acked[k] && hold.fd[k] == v) {
			hold.acked[k] = true;
			hold.after[k] = res[hold.idx[k]].n;
		}
	holder_check();
	phase_step();
}

static void phase2_result(int i)
{
	int k, running = 0;

	if (!hold.forked) {
		for (k = 0; k < NB; k++)
			if (probes[hold.first_bh + k]->running && probes[hold.first_bh + k]->fd >= 0)
				running++;
		if (running >= NB / 2)
			holder_fork();
		return;
	}
	for (k = 0; k < hold.ncap; k++) {
		/* the held run has ended: the loop has closed its socket */
		if (hold.idx[k] == i && !hold.sent[k] && res[i].prev_start == hold.start[k] &&
		    hold.pid > 0) {
			hold.sent[k] = true;
			if (write(hold.cmd[1], &hold.fd[k], sizeof(hold.fd[k])) != sizeof(hold.fd[k]))
				ktap_diag("cannot talk to the child: %s", strerror(errno));
		}
	}
	holder_check();
}

static bool phase2_more(void)
{
	return hold.released;
}

static int phase2_steps(void)
{
	int k, n = hold.forked + hold.released;

	for (k = 0; k < hold.ncap; k++) {
		int after = hold.acked[k] ? res[hold.idx[k]].n - hold.after[k] : 0;

		n += hold.sent[k] + hold.acked[k] + (after < 2 ? after : 2);
	}
	return n;
}

/* A listener whose queue is full: a connect to it neither completes nor fails. */
static uint16_t black_hole(int *lfd, int *filler)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	*lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*lfd < 0 || *filler < 0 || bind(*lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(*lfd, 0) || getsockname(*lfd, (struct sockaddr *)&sa, &len))
		return 0;
	/* backlog 0 takes one connection, never accepted: the next SYNs are dropped */
	if (connect(*filler, (struct sockaddr *)&sa, len) && errno != EINPROGRESS)
		return 0;
	return ntohs(sa.sin_port);
}

/* ---- exec probes' commands: reaped without waiting, their jobs, stderr, user ---- */

/*
 * A command the loop kills but cannot reap yet. Deterministically: a
 * tracer (a process of the test's) holds it with ptrace. Its zombie is
 * then the tracer's to collect first; the loop, its real parent, cannot
 * reap it until the tracer has (and a blocking waitpid() would wait for
 * the tracer). The tracer lets go only when the test says so, after
 * other probes have run meanwhile; or, if the loop never gets that far,
 * after TRACER_GUARD_S, and it then says so and the test fails.
 */
#define TRACER_GUARD_S	120
#define HELD_MORE	3	/* results of another probe while the killed command is held */

enum { TR_ATTACH = 1, TR_RELEASE };

static struct {
	pid_t pid;		/* the tracer */
	int cmd[2], ack[2];
	int probe, tcp;		/* the held exec probe, a tcp probe that must go on */
	int state;		/* below */
	pid_t held;		/* the command being traced */
	uint64_t run;		/* the held run's start */
	int tcp_at_kill, tcp_while_held, reaping_at_kill, attempts;
	bool run_ended, guard_fired, reaped;
} tr;

enum { TS_IDLE, TS_ASKED, TS_ATTACHED, TS_KILLED, TS_RELEASING, TS_RELEASED, TS_DONE, TS_SKIP };

/* Collect a dead tracee (a stop of one not dead yet is waited through). */
static int tracee_collect(pid_t pid)
{
	int st;

	for (;;) {
		if (waitpid(pid, &st, __WALL) != pid)
			return errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return 0;
	}
}

static void tracer(void)
{
	struct pollfd pf = { .fd = tr.cmd[0], .events = POLLIN };
	pid_t held = 0;
	int msg[2];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		if (held && poll(&pf, 1, TRACER_GUARD_S * 1000) == 0) {
			/* nobody asked in time: the loop is stuck; let go and say so */
			msg[0] = TR_RELEASE;
			msg[1] = tracee_collect(held) ? errno : ETIMEDOUT;
			held = 0;
			if (write(tr.ack[1], msg, sizeof(msg)) != sizeof(msg))
				break;
			continue;
		}
		if (read(tr.cmd[0], msg, sizeof(msg)) != sizeof(msg))
			break;
		if (msg[0] == TR_ATTACH) {
			held = msg[1];
			msg[1] = ptrace(PTRACE_SEIZE, held, NULL, NULL) ? errno : 0;
			if (msg[1])
				held = 0;
		} else {
			msg[1] = held ? tracee_collect(held) : ESRCH;
			held = 0;
		}
		if (write(tr.ack[1], msg, sizeof(msg)) != sizeof(msg))
			break;
	}
	raise(SIGKILL);
}

static void tracer_send(int what, pid_t pid)
{
	int msg[2] = { what, (int)pid };

	if (write(tr.cmd[1], msg, sizeof(msg)) != sizeof(msg))
		ktap_diag("cannot talk to the tracer: %s", strerror(errno));
}

static bool pid_gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	bool gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	/* "PID (COMM) S ...": a zombie is as good as gone */
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[1] == ' ')
		gone = rp[2] == 'Z' || rp[2] == 'X';
	fclose(f);
	return gone;
}

/* On every event of the phase: move the held command along. */
static void tracer_step(void)
{
	struct probe *p = probes[tr.probe];

	switch (tr.state) {
	case TS_IDLE:
		if (p->running && p->pid > 0) {
			tr.held = p->pid;
			tr.run = p->started_ms;
			tr.run_ended = false;
			tr.attempts++;
			tr.state = TS_ASKED;
			tracer_send(TR_ATTACH, tr.held);
		}
		break;
	case TS_KILLED:
		/* the command is still held (dead, not reaped): the loop goes on meanwhile */
		if (hloop_reaping(loop))
			tr.tcp_while_held = res[tr.tcp].n - tr.tcp_at_kill;
		if (tr.tcp_while_held >= HELD_MORE) {
			tr.state = TS_RELEASING;
			tracer_send(TR_RELEASE, tr.held);
		}
		break;
	case TS_RELEASED:
		if (!hloop_reaping(loop) && pid_gone(tr.held)) {
			tr.reaped = true;
			tr.state = TS_DONE;
		}
		break;
	default:
		break;
	}
}

static void tracer_ack(int fd, void *arg)
{
	int msg[2];

	(void)arg;
	if (read(fd, msg, sizeof(msg)) != sizeof(msg))
		return;
	if (msg[0] == TR_ATTACH && tr.state == TS_ASKED) {
		if (!msg[1]) {
			/* held; and if its run has ended already, held dead */
			tr.state = tr.run_ended ? TS_KILLED : TS_ATTACHED;
		} else if (msg[1] == EPERM && tr.attempts > 5) {
			ktap_diag("cannot trace the command: %s", strerror(msg[1]));
			tr.state = TS_SKIP;
		} else {
			tr.state = TS_IDLE;	/* that run ended first: the next one */
		}
	} else if (msg[0] == TR_RELEASE) {
		if (msg[1] == ETIMEDOUT)
			tr.guard_fired = true;
		else if (msg[1])
			ktap_diag("the tracer could not collect its tracee: %s", strerror(msg[1]));
		tr.state = TS_RELEASED;
	}
	tracer_step();
	phase_step();
}

static struct {
	int bg, err, err_long, long_name, nul, endless, big, user;
	char dir[64], pidfile[96];
	pid_t bg_pid;
} x3;

static void phase3_result(int i)
{
	if (i == tr.probe && (tr.state == TS_ATTACHED || tr.state == TS_ASKED) &&
	    res[i].prev_start == tr.run) {
		/* the held run has ended: the loop killed it (whether held: the ack says) */
		tr.run_ended = true;
		tr.tcp_at_kill = res[tr.tcp].n;
		tr.reaping_at_kill = (int)hloop_reaping(loop);
		if (tr.state == TS_ATTACHED)
			tr.state = TS_KILLED;
	}
	if (i == x3.bg && !x3.bg_pid && res[i].ok) {
		FILE *f = fopen(x3.pidfile, "re");
		int v;

		if (f) {
			if (fscanf(f, "%d", &v) == 1)
				x3.bg_pid = v;
			fclose(f);
		}
	}
	tracer_step();
}

static bool phase3_more(void)
{
	return tr.state == TS_DONE || tr.state == TS_SKIP;
}

static int phase3_steps(void)
{
	return tr.state * 100 + tr.tcp_while_held;
}

/* descriptors open in this process: a loop freed leaves as many as before it */
static int fds_before;

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* the greatest and least gaps between a probe's starts, over its kept runs */
static void start_gaps(const struct result *r, uint64_t *min, uint64_t *max)
{
	int k;

	for (k = 1; k < r->n && k < MAXRUNS; k++) {
		uint64_t g = r->runs[k].start - r->runs[k - 1].start;

		if (g < *min)
			*min = g;
		if (g > *max)
			*max = g;
	}
}

int main(void)
{
	int tcp, http, udp, pipefd[2], st, bh_fd, bh_filler, k, i;
	unsigned iv, th, tick_ms, late, slack;
	uint16_t bh_port;
	struct set1 s;
	uint64_t elapsed;
	char c;
	pid_t child;

	ktap_plan(43);
	signal(SIGPIPE, SIG_IGN);
	tcp = listen_on(SOCK_STREAM, &tcp_port);
	http = listen_on(SOCK_STREAM, &http_port);
	udp = listen_on(SOCK_DGRAM, &udp_port);
	tcp_closed = held_tcp_port();
	udp_closed = closed_port(SOCK_DGRAM);
	bh_port = black_hole(&bh_fd, &bh_filler);
	if (tcp < 0 || http < 0 || udp < 0 || !tcp_closed || !udp_closed || !bh_port || pipe(pipefd) ||
	    pipe(hold.cmd) || pipe(hold.ack)) {
		ktap_diag("cannot set up loopback servers: %s", strerror(errno));
		return 1;
	}
	child = fork();
	if (child == 0) {
		close(pipefd[0]);
		serve(tcp, http, udp, pipefd[1]);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		ktap_diag("the server did not start");
		return 1;
	}
	close(tcp);
	close(http);
	close(udp);
	t0 = now_ms();

	i = calibrate();
	if (!ktap_ok(i, "calibration: the probes ran with no good one timing out, at a %u ms "
		     "interval; unit %u ms", cal_iv, cal_unit)) {
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		return ktap_finish();
	}
	/*
	 * The interval: long enough that the good probes' timeout (9/10 of
	 * it) is UNITS calibrated units, so the hanging probes' (3/5) is 6
	 * or more; at least twice the interval that ran clean, and 500 ms
	 * (300 ms for the hanging probes, as it always was). The ticker
	 * fires 30 times per hanging probe's timeout, but not more often
	 * than every 10 ms.
	 */
	iv = cal_unit * UNITS * 10 / 9;
	if (iv < 2 * cal_iv)
		iv = 2 * cal_iv;
	if (iv < 500)
		iv = 500;
	iv = (iv + 9) / 10 * 10;
	th = iv * 3 / 5;
	tick_ms = th / 30 > LOOP_GRID_MS ? th / 30 : LOOP_GRID_MS;

	fds_before = open_fds();
	loop = hloop_new(done, NULL);
	if (!loop) {
		ktap_diag("hloop_new failed");
		return 1;
	}
	add_set1(&s, iv, th);
	tick_start(tick_ms);
	t0 = now_ms();
	run_phase(s.first, RUNS, NULL, NULL, NULL, (uint64_t)WATCHDOG * iv);
	elapsed = now_ms() - t0;
	late = tick_late_ms();
	/*
	 * How late the loop may act on a deadline: its wake-up grid (twice,
	 * as curl's timer goes through it too), and what the ticker saw, to
	 * within one period, before the batch and within it.
	 */
	slack = 2 * LOOP_GRID_MS + 2 * (late + tick_ms) + 2;
	{
		int good[16], ng = set1_good(&s, good), r;
		uint32_t longest = 0;

		for (k = 0; k < ng; k++)
			for (r = 0; r < res[good[k]].n && r < MAXRUNS; r++)
				if (res[good[k]].runs[r].ms > longest)
					longest = res[good[k]].runs[r].ms;
		ktap_diag("interval %u ms, hanging probes' timeout %u ms, others' %u ms; %llu ms for %d results "
			  "each%s; the longest good probe %u ms; the loop was late by up to %u ms (ticker every "
			  "%u ms, %zu served)", iv, th, iv - iv / 10, (unsigned long long)elapsed, RUNS,
			  wd_fired ? " (stopped by the watchdog: stuck)" : "", longest, late, tick_ms,
			  tick.n);
	}

#define VERDICT(i, good, what) \
	ktap_ok(res[i].n >= RUNS && (good ? res[i].ok == res[i].n : res[i].fail == res[i].n), \
		"%s: %d probes, %d ok (%s)", what, res[i].n, res[i].ok, res[i].why)

	VERDICT(s.tcp, true, "tcp connect to a listener");
	VERDICT(s.tcp_closed, false, "tcp connect to a closed port");
	ktap_ok(strstr(res[s.tcp_closed].why, "refused") != NULL, "  reason names the refusal: %s",
		res[s.tcp_closed].why);
	VERDICT(s.http, true, "http 200");
	VERDICT(s.http_302, true, "http 302 inside the default range 200-399");
	VERDICT(s.range, false, "http 302 outside 'status 200'");
	VERDICT(s.http_500, false, "http 500");
	VERDICT(s.http_body, true, "http body contains the expected text");
	VERDICT(s.http_nobody, false, "http body without the expected text");
	VERDICT(s.hang, false, "http server that accepts and hangs");
	ktap_ok(res[s.hang].n && res[s.hang].timeouts == res[s.hang].n,
		"  reason is a timeout, every time (%d of %d): %s", res[s.hang].timeouts, res[s.hang].n,
		res[s.hang].why);
	{
		/*
		 * Each run took the timeout: not less (2 ms for rounding). How
		 * much more depends on how loaded the host is: shown, not
		 * judged (a probe that blocked the loop is caught below, and by
		 * the held command of the third phase).
		 */
		uint32_t lo = UINT32_MAX, hi = 0;
		int h[2] = { s.hang, s.exec_hang }, j;
		bool good = true;

		for (j = 0; j < 2; j++) {
			for (k = 0; k < res[h[j]].n && k < MAXRUNS; k++) {
				uint32_t ms = res[h[j]].runs[k].ms;

				if (ms + 2 < th)
					good = false;
				if (ms < lo)
					lo = ms;
				if (ms > hi)
					hi = ms;
			}
		}
		if (!res[s.hang].n || !res[s.exec_hang].n)
			good = false;
		ktap_ok(good, "  no run ended before the timeout (%u ms): %u to %u ms, http and exec (the loop "
			"was late by up to %u ms)", th, lo == UINT32_MAX ? 0 : lo, hi, slack);
	}
	VERDICT(s.reset, false, "http server that resets");
	VERDICT(s.http_closed, false, "http to a closed port");
	VERDICT(s.host, true, "http with a Host header (and no lookup of the name)");
	VERDICT(s.udp, true, "udp ping/pong");
	VERDICT(s.udp_wrong, false, "udp reply without the expected text");
	VERDICT(s.udp_closed, false, "udp to a closed port");
	VERDICT(s.exec_ok, true, "exec exit 0, with BACKEND_ADDR set");
	VERDICT(s.exec_fail, false, "exec exit 3");
	ktap_ok(strstr(res[s.exec_fail].why, "exited with 3") != NULL, "  reason: %s",
		res[s.exec_fail].why);
	ktap_ok(res[s.exec_hang].n >= RUNS && res[s.exec_hang].timeouts == res[s.exec_hang].n,
		"exec that hangs is killed at the timeout: %d probes, %d timed out (%s)",
		res[s.exec_hang].n, res[s.exec_hang].timeouts, res[s.exec_hang].why);
	VERDICT(s.dns, false, "http to a name that does not resolve");
	VERDICT(s.dns_tcp, false, "tcp to a name that does not resolve");
	VERDICT(s.probe_port, true, "probe port overrides the backend's");
	{
		/*
		 * A probe that blocked the loop for its run would leave it no
		 * turn to serve its ticker inside the run but one: the turn
		 * after the block, whose batch then ends the run. So every
		 * run of the hanging probes (a whole timeout each) must hold
		 * two turns at least; a stall must last the whole run to
		 * take them. The names that do not resolve are looked up in
		 * curl's thread (which valgrind runs one at a time with the
		 * loop): their runs are reported, not judged.
		 */
		int h[2] = { s.hang, s.exec_hang }, j, runs = 0, least = INT32_MAX, dns_runs = 0, dns_in = 0;
		uint32_t dns_long = 0;
		uint64_t away = 0;

		for (j = 0; j < 2; j++) {
			for (k = 0; k < res[h[j]].n && k < MAXRUNS; k++) {
				const struct run *r = &res[h[j]].runs[k];
				int in = ticks_between(r->start, r->start + r->ms, &away);

				runs++;
				if (in < least)
					least = in;
			}
		}
		h[0] = s.dns;
		h[1] = s.dns_tcp;
		for (j = 0; j < 2; j++) {
			for (k = 0; k < res[h[j]].n && k < MAXRUNS; k++) {
				const struct run *r = &res[h[j]].runs[k];

				dns_runs++;
				dns_in += ticks_between(r->start, r->start + r->ms, NULL);
				if (r->ms > dns_long)
					dns_long = r->ms;
			}
		}
		ktap_ok(runs >= 2 * RUNS && least >= 2,
			"no probe blocked the loop: in each of %d hanging runs the loop served its ticker "
			"(every %u ms) %d times at least, and went %llu ms at most without", runs, tick_ms,
			least == INT32_MAX ? 0 : least, (unsigned long long)away);
		ktap_diag("names that do not resolve: %d runs, the longest %u ms, %d ticks served during them",
			  dns_runs, dns_long, dns_in);
	}
	{
		/* starts keep their cadence: an interval apart (jitter 0), late by no more than the loop was */
		uint64_t lo = UINT64_MAX, hi = 0;

		/* not early ever; how late is the host's (shown, not judged) */
		start_gaps(&res[s.tcp], &lo, &hi);
		ktap_ok(res[s.tcp].n >= RUNS && lo >= iv,
			"probes never start early: the tcp probe's %d starts %llu to %llu ms apart (interval %u, "
			"jitter 0; the loop was late by up to %u ms)", res[s.tcp].n,
			(unsigned long long)(lo == UINT64_MAX ? 0 : lo), (unsigned long long)hi, iv, slack);
	}
	{
		/* a probe removed while running is freed when it ends; the
		 * rest are freed by hloop_free (valgrind: make check-valgrind)
		 */
		int left;

		hloop_remove(loop, probes[s.hang]);
		hloop_free(loop);
		close(tick.fd);
		phase_end();
		left = open_fds();
		/* no more (libraries may close one of theirs meanwhile) */
		ktap_ok(left >= 0 && left <= fds_before, "loop freed with probes in every state: %d "
			"descriptors open, %d before it", left, fds_before);
	}
	{
		int first = nprobes, bad = 0, exec_n = 0, exec_min = INT32_MAX, exec_max = 0, tcp_max = 0;
		int ok_held = 0, after = 0, bh_ok = 0, bh_n = 0, bh_to = 0, repeats = 0;
		uint64_t lo = UINT64_MAX, hi = 0;

		fds_before = open_fds();
		loop = hloop_new(done, NULL);
		if (!loop) {
			ktap_diag("hloop_new failed");
			return 1;
		}
		for (i = 0; i < NR; i++)
			addf(tcp_closed, "type tcp interval %ums timeout %ums jitter 0", IV2, TO2);
		hold.first_bh = nprobes;
		for (i = 0; i < NB; i++)
			addf(bh_port, "type tcp interval %ums timeout %ums jitter 0", IV2, TO2);
		for (i = 0; i < NE; i++)
			addf(tcp_port, "type exec command true interval %ums timeout %ums jitter 0", IV2, TO2);
		hloop_watch(loop, hold.ack[0], holder_ack, NULL);
		t0 = now_ms();
		run_phase(first, RUNS2, phase2_more, phase2_steps, phase2_result, (uint64_t)WATCHDOG * iv);
		elapsed = now_ms() - t0;
		holder_release();	/* if the watchdog ended it first */
		for (i = first; i < nprobes; i++)
			repeats += res[i].repeats;
		for (i = first; i < first + NR; i++) {
			if (res[i].ok || res[i].fail != res[i].n || res[i].n < RUNS2)
				bad++;
			if (res[i].n > tcp_max)
				tcp_max = res[i].n;
			start_gaps(&res[i], &lo, &hi);
		}
		for (i = hold.first_bh; i < hold.first_bh + NB; i++) {
			bh_n += res[i].n;
			bh_ok += res[i].ok;
			bh_to += res[i].timeouts;
		}
		for (k = 0; k < hold.ncap; k++) {
			const struct result *r = &res[hold.idx[k]];

			for (i = hold.after[k]; hold.acked[k] && i < hold.until[k] && i < MAXRUNS; i++) {
				after++;
				ok_held += r->runs[i].ok;
			}
		}
		for (i = hold.first_bh + NB; i < nprobes; i++) {
			exec_n += res[i].n;
			if (res[i].n < exec_min)
				exec_min = res[i].n;
			if (res[i].n > exec_max)
				exec_max = res[i].n;
		}
		ktap_diag("%llu ms for %d results each%s", (unsigned long long)elapsed, RUNS2,
			  wd_fired ? " (stopped by the watchdog: stuck)" : "");
		ktap_ok(exec_min >= RUNS2 && !repeats,
			"spawn race: every exec probe ran at least %d times: %d commands, %d to %d each; "
			"results without a start of their own: %d", RUNS2, exec_n, exec_min, exec_max, repeats);
		ktap_ok(!bad && lo >= IV2, "spawn race: %d tcp probes to a closed port, each at least %d times, "
			"none ok, starts at least %d ms apart (%d not so; the most probes %d; starts %llu ms "
			"apart at least)", NR, RUNS2, IV2, bad, tcp_max,
			(unsigned long long)(lo == UINT64_MAX ? 0 : lo));
		ktap_ok(hold.forked && hold.ncap && hold.released && after >= 2 * hold.ncap && !ok_held &&
			!bh_ok && bh_to == bh_n,
			"spawn race: a child forked with %d probe descriptors open held %d black-hole probes' "
			"sockets; the loop closed them, the child made its copies ready; those probes' %d "
			"results while they were: %d ok; all %d black-hole results: %d ok, %d timed out",
			hold.open_fds, hold.ncap, after, ok_held, bh_n, bh_ok, bh_to);
		hloop_free(loop);
		phase_end();
		i = open_fds();
		ktap_ok(i >= 0 && i <= fds_before, "second loop freed: %d descriptors open, %d before it", i,
			fds_before);
	}
	{
		/* exec probes' commands, and bodies that NUL or length would hide */
		static const char long_name[] =
			"a-very-long-dns-name-that-is-more-than-forty-five-characters-x.example.test";
		char g[64], cmd[256];
		int first;
		uint64_t deadline;

		snprintf(x3.dir, sizeof(x3.dir), "/tmp/test_health.XXXXXX");
		if (!mkdtemp(x3.dir) || pipe(tr.cmd) || pipe(tr.ack)) {
			ktap_diag("cannot set up phase 3: %s", strerror(errno));
			return 1;
		}
		snprintf(x3.pidfile, sizeof(x3.pidfile), "%s/bg.pid", x3.dir);
		/* the tracer, forked before the loop opens anything */
		tr.pid = fork();
		if (tr.pid == 0)
			tracer();
		close(tr.cmd[0]);
		close(tr.ack[1]);
		loop = hloop_new(done, NULL);
		if (!loop || tr.pid < 0) {
			ktap_diag("hloop_new or fork failed");
			return 1;
		}
		snprintf(g, sizeof(g), "interval %ums timeout %ums", iv, iv - iv / 10);
		first = nprobes;
		snprintf(cmd, sizeof(cmd), "sleep 301 & echo $! >%s; exit 0", x3.pidfile);
		x3.bg = addf(tcp_port, "type exec command \"%s\" %s", cmd, g);
		x3.err = addf(tcp_port, "type exec command \"echo 'no good: disk full' >&2; exit 4\" %s", g);
		/* more than a pipe holds: read as it comes, or the command would
		 * block; and its stderr blocks (a non-blocking one fails tr with
		 * EAGAIN when the pipe is full: exit 9)
		 */
		x3.err_long = addf(tcp_port, "type exec command \"head -c 2000000 /dev/zero | tr '\\\\0' x >&2 && "
				   "exit 5; exit 9\" %s", g);
		x3.long_name = addf(tcp_port, "type exec address %s command \"test \\\"$BACKEND_ADDR\\\" = %s\" %s",
				    long_name, long_name, g);
		x3.nul = addf(http_port, "type http path /nul expect healthy %s", g);
		x3.endless = addf(http_port, "type http path /endless expect healthy %s", g);
		x3.big = addf(http_port, "type http path /big expect healthy %s", g);
		tr.probe = addf(tcp_port, "type exec command \"exec sleep 1000\" interval %ums timeout %ums", iv, th);
		tr.tcp = addf(tcp_port, "type tcp interval %ums timeout %ums", IV2, TO2);
		hloop_watch(loop, tr.ack[0], tracer_ack, NULL);
		run_phase(first, 1, phase3_more, phase3_steps, phase3_result, (uint64_t)WATCHDOG * iv);
		hloop_free(loop);
		loop = NULL;
		phase_end();
		ktap_ok(res[x3.bg].n && res[x3.bg].ok == res[x3.bg].n && x3.bg_pid > 0,
			"exec: a command that succeeded after starting a background job (pid %d): %d ok of %d",
			(int)x3.bg_pid, res[x3.bg].ok, res[x3.bg].n);
		/* its job was killed with the probe's group; dying takes what it takes */
		deadline = now_ms() + 60000;
		while (x3.bg_pid > 0 && !pid_gone(x3.bg_pid) && now_ms() < deadline)
			usleep(10000);
		ktap_ok(x3.bg_pid > 0 && pid_gone(x3.bg_pid),
			"  the job is gone once the probe is done (its process group was killed)");
		if (x3.bg_pid > 0 && !pid_gone(x3.bg_pid))
			kill(x3.bg_pid, SIGKILL);
		ktap_ok(res[x3.err].n && !res[x3.err].ok &&
			strstr(res[x3.err].why, "command exited with 4: no good: disk full"),
			"exec: a failed command's stderr is its reason: %s", res[x3.err].why);
		ktap_ok(res[x3.err_long].n && !res[x3.err_long].timeouts &&
			strstr(res[x3.err_long].why, "exited with 5: xxxxxxxxxx") &&
			strlen(res[x3.err_long].why) < 140,
			"exec: 2,000,000 bytes on stderr: read as they came (no timeout), 100 kept: %.60s...",
			res[x3.err_long].why);
		ktap_ok(res[x3.long_name].n && res[x3.long_name].ok == res[x3.long_name].n,
			"exec: BACKEND_ADDR is a %zu-character probe address whole: %d ok of %d (%s)",
			strlen(long_name), res[x3.long_name].ok, res[x3.long_name].n, res[x3.long_name].why);
		ktap_ok(res[x3.nul].n && res[x3.nul].ok == res[x3.nul].n,
			"http: the expected text after a NUL in the body is found: %d ok of %d (%s)",
			res[x3.nul].ok, res[x3.nul].n, res[x3.nul].why);
		ktap_ok(res[x3.endless].n && res[x3.endless].ok == res[x3.endless].n,
			"http: a body that never ends passes once the text came: %d ok of %d (%s)",
			res[x3.endless].ok, res[x3.endless].n, res[x3.endless].why);
		ktap_ok(res[x3.big].n && !res[x3.big].ok && !res[x3.big].timeouts &&
			strstr(res[x3.big].why, "without the expected text"),
			"http: a body without the text fails after 64 KiB, not at the timeout: %s",
			res[x3.big].why);
		ktap_ok(tr.state == TS_DONE && tr.reaping_at_kill >= 1 && tr.tcp_while_held >= HELD_MORE &&
			!tr.guard_fired && tr.reaped,
			"exec: a killed command that cannot be reaped (held by a tracer) blocks nothing: "
			"%d to reap at its kill, %d results of another probe meanwhile, reaped once "
			"released: %s%s (%d attempts)", tr.reaping_at_kill, tr.tcp_while_held,
			tr.reaped ? "yes" : "no", tr.guard_fired ? "; the loop was stuck until the "
			"tracer's guard let go" : "", tr.attempts);
		kill(tr.pid, SIGKILL);
		waitpid(tr.pid, &st, 0);
		close(tr.cmd[1]);
		close(tr.ack[0]);
		unlink(x3.pidfile);
		rmdir(x3.dir);
	}
	if (geteuid()) {
		ktap_skip("exec: --probe-user (not root)");
	} else {
		struct passwd *pw = getpwnam("nobody");
		char why[256] = "", cmd[320];
		int first = nprobes, err = -1;

		loop = hloop_new(done, NULL);
		if (loop && pw)
			err = hloop_set_probe_user(loop, "nobody", why, sizeof(why));
		if (err) {
			ktap_ok(0, "exec: --probe-user nobody: %s", pw ? why : "no user nobody");
		} else {
			/* its uid, no capability at all, and none to be had */
			snprintf(cmd, sizeof(cmd), "test \\\"$(id -u)\\\" = %u && test \\\"$(id -g)\\\" = %u && "
				 "grep -Eq '^CapEff:[[:space:]]+0+$' /proc/self/status && "
				 "grep -Eq '^CapBnd:[[:space:]]+0+$' /proc/self/status && "
				 "grep -Eq '^NoNewPrivs:[[:space:]]+1$' /proc/self/status || { id >&2; exit 1; }",
				 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
			x3.user = addf(tcp_port, "type exec command \"%s\" interval %ums timeout %ums", cmd, iv,
				       iv - iv / 10);
			run_phase(first, 2, NULL, NULL, NULL, (uint64_t)WATCHDOG * iv);
			phase_end();
			ktap_ok(res[x3.user].n >= 2 && res[x3.user].ok == res[x3.user].n,
				"exec: --probe-user nobody: the command runs as %u:%u with no capability and "
				"no_new_privs: %d ok of %d (%s)", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
				res[x3.user].ok, res[x3.user].n, res[x3.user].why);
		}
		hloop_free(loop);
		loop = NULL;
	}
	close(hold.cmd[0]);
	close(hold.cmd[1]);
	close(hold.ack[0]);
	close(hold.ack[1]);
	close(bh_filler);
	close(bh_fd);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return ktap_finish();
}
