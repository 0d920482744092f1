// SPDX-License-Identifier: GPL-2.0
/*
 * The health probe loop (ipvsctl/health.c) on the host, against servers
 * on 127.0.0.1 that a forked child runs: a TCP listener, an HTTP server
 * whose paths answer 200, 302, 500, hang, or reset, a UDP echo server, and
 * closed ports. Every probe kind is checked for its verdict, its reason
 * and its timing, and the loop for not blocking on a probe that hangs or
 * on a name that does not resolve.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../ipvsctl/grammar.h"
#include "../../ipvsctl/health.h"
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

#define NPROBES 84	/* 24, then 60 in the spawn-race phase */

struct result {
	int n, ok, fail;
	char why[128];
	uint64_t first_ms;	/* since the run began */
	uint32_t last_ms;	/* the probe's own duration */
};

static struct result res[NPROBES];
static struct probe *probes[NPROBES];
static struct health_spec specs[NPROBES];
static uint64_t t0;
static struct hloop *loop;
static int nprobes;

static void done(struct probe *p, bool ok, const char *why, void *arg)
{
	int i = (int)(intptr_t)p->svc.fwmark;	/* the index, smuggled */
	struct result *r = &res[i];

	(void)arg;
	if (!r->n)
		r->first_ms = now_ms() - t0;
	r->n++;
	if (ok)
		r->ok++;
	else
		r->fail++;
	/* the last failure's reason: a good probe's one failure shows why */
	if (!ok)
		snprintf(r->why, sizeof(r->why), "%s, %llu ms in", why ? why : "?",
			 (unsigned long long)(now_ms() - t0));
	r->last_ms = p->last_ms;
}

static int add(const char *words, uint16_t port)
{
	char line[512], *w[GRAMMAR_MAX_WORDS], why[256];
	struct op op;
	struct probe *p;
	int nw, i = nprobes++;

	snprintf(line, sizeof(line), "health tcp/127.0.0.1:1 %s", words);
	nw = split_words(line, w, GRAMMAR_MAX_WORDS);
	if (nw < 0 || grammar_parse(nw, w, &op, why, sizeof(why))) {
		ktap_diag("bad probe '%s': %s", words, why);
		exit(1);
	}
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

static void stop_cb(int fd, void *arg)
{
	uint64_t v;

	(void)arg;
	if (read(fd, &v, sizeof(v)) >= 0)
		hloop_stop(loop);
}

#include <sys/timerfd.h>

int main(void)
{
	uint16_t tcp_port, http_port, udp_port, tcp_closed, udp_closed;
	int tcp, http, udp, pipefd[2], tfd, st;
	struct itimerspec its = { .it_value = { 3, 500000000 } };
	int p_tcp, p_tcp_closed, p_http, p_http_302, p_http_500, p_http_body, p_http_nobody;
	int p_hang, p_reset, p_udp, p_udp_wrong, p_udp_closed, p_exec_ok, p_exec_fail;
	int p_exec_hang, p_dns, p_dns_tcp, p_host, p_http_closed, p_probe_port, p_range;
	uint64_t elapsed;
	char cmd[64];
	pid_t child;

	ktap_plan(30);
	signal(SIGPIPE, SIG_IGN);
	tcp = listen_on(SOCK_STREAM, &tcp_port);
	http = listen_on(SOCK_STREAM, &http_port);
	udp = listen_on(SOCK_DGRAM, &udp_port);
	tcp_closed = held_tcp_port();
	udp_closed = closed_port(SOCK_DGRAM);
	if (tcp < 0 || http < 0 || udp < 0 || !tcp_closed || !udp_closed || pipe(pipefd)) {
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
	if (read(pipefd[0], cmd, 1) != 1) {
		ktap_diag("the server did not start");
		return 1;
	}
	close(tcp);
	close(http);
	close(udp);

	loop = hloop_new(done, NULL);
	if (!loop) {
		ktap_diag("hloop_new failed");
		return 1;
	}
	/* every probe every 500 ms, its first within the first interval */
	p_tcp = add("type tcp interval 500ms timeout 300ms jitter 0", tcp_port);
	p_tcp_closed = add("type tcp interval 500ms timeout 300ms", tcp_closed);
	p_http = add("type http path /ok interval 500ms timeout 300ms", http_port);
	p_http_302 = add("type http path /302 interval 500ms timeout 300ms", http_port);
	p_range = add("type http path /302 status 200 interval 500ms timeout 300ms", http_port);
	p_http_500 = add("type http path /500 interval 500ms timeout 300ms", http_port);
	p_http_body = add("type http path /ok expect healthy interval 500ms timeout 300ms", http_port);
	p_http_nobody = add("type http path /other expect healthy interval 500ms timeout 300ms", http_port);
	p_hang = add("type http path /hang interval 500ms timeout 300ms", http_port);
	p_reset = add("type http path /reset interval 500ms timeout 300ms", http_port);
	p_http_closed = add("type http interval 500ms timeout 300ms", tcp_closed);
	p_host = add("type http path /ok host health.example expect \"named host\" interval 500ms timeout 300ms",
		     http_port);
	p_udp = add("type udp send ping expect pong interval 500ms timeout 300ms", udp_port);
	p_udp_wrong = add("type udp send hello expect pong interval 500ms timeout 300ms", udp_port);
	p_udp_closed = add("type udp interval 500ms timeout 300ms", udp_closed);
	p_exec_ok = add("type exec command \"test $BACKEND_ADDR = 127.0.0.1\" interval 500ms timeout 300ms",
			tcp_port);
	p_exec_fail = add("type exec command \"exit 3\" interval 500ms timeout 300ms", tcp_port);
	p_exec_hang = add("type exec command \"sleep 30\" interval 500ms timeout 300ms", tcp_port);
	p_dns = add("type http address no-such-host.invalid interval 500ms timeout 300ms", http_port);
	p_dns_tcp = add("type tcp address no-such-host.invalid interval 500ms timeout 300ms", tcp_port);
	snprintf(cmd, sizeof(cmd), "type tcp port %u interval 500ms timeout 300ms", tcp_port);
	p_probe_port = add(cmd, tcp_closed);	/* the probe port, not the backend's */

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(tfd, 0, &its, NULL);
	hloop_watch(loop, tfd, stop_cb, NULL);
	t0 = now_ms();
	hloop_run(loop);
	elapsed = now_ms() - t0;

#define VERDICT(i, good, what) \
	ktap_ok(res[i].n >= 5 && (good ? res[i].ok == res[i].n : res[i].fail == res[i].n), \
		"%s: %d probes, %d ok (%s)", what, res[i].n, res[i].ok, res[i].why)

	VERDICT(p_tcp, true, "tcp connect to a listener");
	VERDICT(p_tcp_closed, false, "tcp connect to a closed port");
	ktap_ok(strstr(res[p_tcp_closed].why, "refused") != NULL, "  reason names the refusal: %s",
		res[p_tcp_closed].why);
	VERDICT(p_http, true, "http 200");
	VERDICT(p_http_302, true, "http 302 inside the default range 200-399");
	VERDICT(p_range, false, "http 302 outside 'status 200'");
	VERDICT(p_http_500, false, "http 500");
	VERDICT(p_http_body, true, "http body contains the expected text");
	VERDICT(p_http_nobody, false, "http body without the expected text");
	VERDICT(p_hang, false, "http server that accepts and hangs");
	ktap_ok(!strncmp(res[p_hang].why, "timeout", 7),
		"  reason is a timeout: %s", res[p_hang].why);
	ktap_ok(res[p_hang].last_ms >= 280 && res[p_hang].last_ms < 450,
		"  it took the timeout (300 ms): %u ms", res[p_hang].last_ms);
	VERDICT(p_reset, false, "http server that resets");
	VERDICT(p_http_closed, false, "http to a closed port");
	VERDICT(p_host, true, "http with a Host header (and no lookup of the name)");
	VERDICT(p_udp, true, "udp ping/pong");
	VERDICT(p_udp_wrong, false, "udp reply without the expected text");
	VERDICT(p_udp_closed, false, "udp to a closed port");
	VERDICT(p_exec_ok, true, "exec exit 0, with BACKEND_ADDR set");
	VERDICT(p_exec_fail, false, "exec exit 3");
	ktap_ok(strstr(res[p_exec_fail].why, "exited with 3") != NULL, "  reason: %s",
		res[p_exec_fail].why);
	VERDICT(p_exec_hang, false, "exec that hangs is killed at the timeout");
	VERDICT(p_dns, false, "http to a name that does not resolve");
	VERDICT(p_dns_tcp, false, "tcp to a name that does not resolve");
	VERDICT(p_probe_port, true, "probe port overrides the backend's");
	/* 3.5 s at a 500 ms interval, the first within 500 ms: 6 or 7 probes
	 * each; fewer would mean something blocked the loop
	 */
	ktap_ok(res[p_tcp].n >= 6 && res[p_tcp].n <= 8,
		"no probe blocked the loop: %d tcp probes in %llu ms (6 to 8 expected)",
		res[p_tcp].n, (unsigned long long)elapsed);
	{
		/* a probe removed while running is freed when it ends; the
		 * rest are freed by hloop_free (valgrind: make check-valgrind)
		 */
		hloop_remove(loop, probes[p_hang]);
		hloop_free(loop);
		close(tfd);
		ktap_ok(1, "loop freed with probes in every state");
	}
	{
		/*
		 * Probes that end while an exec probe's command starts. The
		 * spawned child holds a copy of every descriptor until its
		 * exec has closed the close-on-exec ones, and the parent runs
		 * again before that. A probe socket closed in that window
		 * stayed in epoll, ready, and its probe counted thousands of
		 * "ok"s. 40 TCP probes to a closed port and 20 exec probes,
		 * every 100 ms for 2 s: most 10 ms batches start both kinds.
		 */
		struct itimerspec two = { .it_value = { 2, 0 } };
		int first = nprobes, i, bad = 0, exec_n = 0, exec_min = 1 << 30, exec_max = 0, tcp_max = 0;

		loop = hloop_new(done, NULL);
		if (!loop) {
			ktap_diag("hloop_new failed");
			return 1;
		}
		for (i = 0; i < 40; i++)
			add("type tcp interval 100ms timeout 90ms", tcp_closed);
		for (i = 0; i < 20; i++)
			add("type exec command true interval 100ms timeout 90ms", tcp_port);
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		timerfd_settime(tfd, 0, &two, NULL);
		hloop_watch(loop, tfd, stop_cb, NULL);
		hloop_run(loop);
		for (i = first; i < first + 40; i++) {
			if (res[i].ok || res[i].n < 10 || res[i].n > 25)
				bad++;
			if (res[i].n > tcp_max)
				tcp_max = res[i].n;
		}
		for (i = first + 40; i < nprobes; i++) {
			exec_n += res[i].n;
			if (res[i].n < exec_min)
				exec_min = res[i].n;
			if (res[i].n > exec_max)
				exec_max = res[i].n;
		}
		ktap_ok(exec_min >= 10 && exec_max <= 25,
			"spawn race: every exec probe ran 10 to 25 times: %d commands, %d to %d each",
			exec_n, exec_min, exec_max);
		ktap_ok(!bad, "spawn race: 40 tcp probes to a closed port, each 10 to 25 times, none ok "
			"(%d not so; the most probes %d)", bad, tcp_max);
		hloop_free(loop);
		close(tfd);
		ktap_ok(1, "second loop freed");
	}
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return ktap_finish();
}
