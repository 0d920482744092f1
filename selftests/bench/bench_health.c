// SPDX-License-Identifier: GPL-2.0
/*
 * The health probe loop (ipvsctl/health/loop.c) at scale, natively on the host:
 * N backends on loopback (127.1.x.y, port 80 of one accepting server in a
 * child process), a TCP connect probe each every INTERVAL ms. After one
 * warm-up interval, the loop's own CPU time (getrusage: user + system,
 * which includes the loopback handshakes done in its context) is measured
 * over WINDOW seconds, with the probes made and failed.
 *
 *   bench_health N INTERVAL_MS WINDOW_S PORT
 *
 * Output: one line, "probes/s cpu% failures".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "health/loop.h"

static struct hloop *loop;
static uint64_t probes, failures;
static bool counting;

static void done(struct probe *p, bool ok, const char *why, void *arg)
{
	(void)p;
	(void)why;
	(void)arg;
	if (!counting)
		return;
	probes++;
	if (!ok)
		failures++;
}

static void stop_cb(int fd, void *arg)
{
	uint64_t v;

	(void)arg;
	if (read(fd, &v, sizeof(v)) >= 0)
		hloop_stop(loop);
}

/* accept and close, as fast as they come */
static void server(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int ep = epoll_create1(0), n, i, c;

	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++)
			while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
				close(c);
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void run_for(uint32_t ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (long)(ms % 1000) * 1000000 } };
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	timerfd_settime(tfd, 0, &its, NULL);
	hloop_watch(loop, tfd, stop_cb, NULL);
	hloop_run(loop);
	/* hloop_watch has no unwatch: the fd stays registered, disarmed */
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct health_spec spec;
	uint32_t n, iv, win, i;
	uint64_t t0;
	double c0, c1;
	int lfd, one = 1;
	pid_t child;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_health N INTERVAL_MS WINDOW_S PORT\n");
		return 2;
	}
	n = (uint32_t)atoi(argv[1]);
	iv = (uint32_t)atoi(argv[2]);
	win = (uint32_t)atoi(argv[3]);
	sa.sin_port = htons((uint16_t)atoi(argv[4]));
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096)) {
		perror("bench_health: server");
		return 1;
	}
	child = fork();
	if (!child) {
		server(lfd);
		_exit(0);
	}
	close(lfd);

	health_spec_defaults(&spec);
	spec.type = HC_TCP;
	spec.interval_ms = iv;
	spec.timeout_ms = iv / 2;
	loop = hloop_new(done, NULL);
	for (i = 0; i < n; i++) {
		struct probe *p = calloc(1, sizeof(*p));
		uint32_t a = 0x7f010001 + i;	/* 127.1.0.1 ... */

		p->be.af = AF_INET;
		a = htonl(a);
		memcpy(p->be.addr, &a, 4);
		p->be.port = ntohs(sa.sin_port);
		p->spec = &spec;
		if (!p || hloop_add(loop, p)) {
			fprintf(stderr, "bench_health: out of memory\n");
			return 1;
		}
	}
	run_for(iv);			/* warm-up: every probe once */
	counting = true;
	c0 = cpu_s();
	t0 = now_ms();
	run_for(win * 1000);
	c1 = cpu_s();
	printf("%.0f %.1f %llu\n", probes * 1000.0 / (double)(now_ms() - t0),
	       100.0 * (c1 - c0) / ((double)(now_ms() - t0) / 1000.0),
	       (unsigned long long)failures);
	hloop_free(loop);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
