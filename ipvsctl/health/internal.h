/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the probe loop's insides, shared by its files only: loop.c
 * (the loop, the heap, a probe's start, events and end), net.c (TCP, UDP
 * and libcurl's probes) and exec.c (exec probes: starting the command as
 * the probe user, its stderr, reaping).
 */
#ifndef IPVSCTL_HEALTH_INTERNAL_H
#define IPVSCTL_HEALTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "health/curl.h"
#include "health/loop.h"


enum {
	T_PROBE = 1,
	T_CURL,
	T_WATCH,
	T_STDERR,
	T_REAP,
};

#define BODY_MAX	65536
#define EXEC_POLL_MS	20
#define REAP_POLL_MAX_MS 1000	/* a command that cannot be reaped: looked at this often, at least */
#define STDERR_MAX	100	/* bytes of a command's stderr kept for its failure */
#define BATCH_MS	10	/* probes run up to this late, in batches */

struct curl_sock {
	struct hl_tag tag;
	int fd;				/* -1 once curl is done with it */
	struct curl_sock *next_dead;
};

struct watch {
	struct hl_tag tag;
	int fd;
	void (*fn)(int fd, void *arg);
	void *arg;
};

/*
 * An exec probe's stderr: a pipe read while the command runs, so that it
 * never blocks on a full pipe; the first STDERR_MAX bytes are kept. Its
 * own epoll registration (the probe's is its pidfd), so like a curl
 * socket it goes on the dead list when closed: an event of the same
 * batch may still name it.
 */
struct exec_err {
	struct hl_tag tag;
	int fd;				/* -1 once closed */
	size_t len;
	char text[STDERR_MAX + 1];
	struct exec_err *next_dead;
};

/*
 * A command killed (timeout, removal) that could not be reaped at once:
 * it is still exiting, or stuck (D state on a hung mount), or a tracer
 * holds its zombie. Watched through its pidfd, then (or without a pidfd)
 * looked at on a timer; never waited for.
 */
struct reap {
	struct hl_tag tag;
	int pidfd;			/* -1: looked at on the timer only */
	pid_t pid;
	bool polled;			/* its pidfd said "exited" too early, or none */
	uint32_t poll_ms;
	uint64_t due_ms;		/* the next look, if polled */
	struct reap *next;
};

/* exec probes' user (--probe-user) */
struct probe_user {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	int cap_last;			/* /proc/sys/kernel/cap_last_cap */
};

struct hloop {
	int ep;
	CURLM *multi;
	uint64_t curl_due;		/* 0: no curl timer */
	char curl_why[160];		/* why libcurl could not be opened */
	struct probe **heap;
	size_t n, cap;
	probe_done_fn done;
	void *arg;
	bool stop;
	uint64_t rng;
	struct watch **watches;
	size_t nwatches;
	/* curl sockets closed while epoll events may still name them: freed
	 * after the batch
	 */
	struct curl_sock *dead;
	struct exec_err *dead_err;	/* likewise */
	struct reap *reaps;
	size_t nreaps;
	struct probe_user user;
};


/* loop.c */
void reschedule(struct hloop *l, struct probe *p, uint64_t due);
void probe_target(const struct probe *p, int *af, uint8_t *addr, uint16_t *port);
/* release what a probe holds while running */
void probe_cleanup(struct hloop *l, struct probe *p);
void probe_finish(struct hloop *l, struct probe *p, bool ok, const char *why);
int probe_watch(struct hloop *l, struct probe *p, int fd, uint32_t events);

/* net.c */
bool self_connected(int fd);
void probe_start_tcp_udp(struct hloop *l, struct probe *p, bool udp);
void probe_start_curl(struct hloop *l, struct probe *p);
/* libcurl opened and its multi handle made, on first use: 0 or -errno */
int curl_ready(struct hloop *l);
/* the transfers libcurl has finished: their probes' results */
void curl_check_done(struct hloop *l);

/* exec.c */
void exec_err_read(struct hloop *l, struct exec_err *e);
void exec_err_close(struct hloop *l, struct probe *p);
void exec_err_text(const struct probe *p, char *buf, size_t len);
bool reap_leader(pid_t pid, int *status);
void reap_free(struct hloop *l, struct reap *r);
void reap_try(struct hloop *l, struct reap *r, uint64_t now);
void reap_later(struct hloop *l, pid_t pid, int pidfd);
void probe_start_exec(struct hloop *l, struct probe *p);

#endif
