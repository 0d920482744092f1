/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: health probes. One event loop (epoll, with libcurl's multi
 * interface driven from it), no thread per probe. The daemon owns the
 * probes; this file runs them and reports results.
 */
#ifndef IPVSCTL_HEALTH_H
#define IPVSCTL_HEALTH_H

#include <stdint.h>

#include "model/model.h"

struct hloop;
struct exec_err;

/* What an epoll registration is; first member of each registered thing. */
struct hl_tag {
	int kind;
};

struct probe {
	struct hl_tag tag;		/* the loop's */
	/* identity */
	struct svc_id svc;
	struct addr_port be;
	const struct health_spec *spec;	/* the service's (owned by the daemon) */
	struct dest_conf conf;		/* the backend as configured */
	bool maglev;			/* the service uses the maglev scheduler */

	/* health */
	bool up;
	uint32_t ok_run, fail_run;	/* consecutive results */
	uint64_t probes, failures;
	uint64_t since_ms;		/* CLOCK_REALTIME of the last change */
	char last_error[128];
	uint32_t last_ms;		/* duration of the last probe */
	bool applied;			/* the kernel reflects @up */

	/* scheduling (the loop's) */
	uint64_t due_ms;		/* next start, or the deadline if running */
	size_t heap_idx;
	bool running;
	uint64_t started_ms;
	int fd;				/* tcp, udp; pidfd for exec */
	int pid;
	void *curl;			/* CURL * for http, https, tls */
	void *slist;			/* its curl_slist (CONNECT_TO) */
	char *errbuf;			/* curl's detailed error, while running */
	char *body;			/* http body, up to a limit */
	size_t body_len;
	bool body_found;		/* it holds the expected text */
	struct exec_err *err;		/* exec: the command's stderr, while running */
	bool removed;			/* dropped from the config: free when idle */

	/* the daemon's */
	bool reused;			/* kept across a reload being tried */
	bool mark_pending;		/* the maglev down mark must change */
	bool mark_down;			/* to this (policy.c's be_decide()) */
};

/* The loop calls this when a probe finishes: @ok, and why not. */
typedef void (*probe_done_fn)(struct probe *p, bool ok, const char *why, void *arg);

struct hloop *hloop_new(probe_done_fn done, void *arg);
void hloop_free(struct hloop *l);

/* Start probing @p (first probe after a jittered part of its interval). */
int hloop_add(struct hloop *l, struct probe *p);
/* Stop probing @p; it is freed by the loop (now, or when its probe ends). */
void hloop_remove(struct hloop *l, struct probe *p);

/* Watch @fd for input; @fn is called from the loop. */
int hloop_watch(struct hloop *l, int fd, void (*fn)(int fd, void *arg), void *arg);

/*
 * Run exec probes' commands as @user (a name or a number): its uid, gid
 * and groups, no capabilities, and no_new_privs. 0, or -errno with @why
 * set. Needs CAP_SETUID and CAP_SETGID (and CAP_SETPCAP to empty the
 * capability bounding set).
 */
int hloop_set_probe_user(struct hloop *l, const char *user, char *why, size_t len);

/* Killed commands of exec probes not reaped yet (the loop reaps them when they can be). */
size_t hloop_reaping(const struct hloop *l);

/* Run until hloop_stop(). Returns 0, or -errno if epoll fails. */
int hloop_run(struct hloop *l);
void hloop_stop(struct hloop *l);

/* where "ipvsctl daemon" keeps its health state, and the readers look */
#define DEFAULT_STATE_FILE "/run/ipvsctl/health.json"

#endif
