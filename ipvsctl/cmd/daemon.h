/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl daemon: shared by its files only. daemon.c is the command, its
 * log, signals and timer; daemon_probe.c applies one backend's probe
 * results and keeps the managed set on disk; daemon_load.c applies the
 * file (at start and on SIGHUP) and builds the probe set.
 */
#ifndef IPVSCTL_CMD_DAEMON_H
#define IPVSCTL_CMD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "health/loop.h"
#include "model/model.h"
#include "state/diff.h"
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

/* daemon.c */
void dlog(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the state file, from the probes (health/statefile.c writes it) */
void state_write(struct daemon *d, bool running);

/* daemon_probe.c: probes by service and backend, their order and names */
int probe_cmp(const void *x, const void *y);
struct probe *probe_find(struct probe **v, size_t n, const struct svc_id *svc,
			 const struct addr_port *be);
void probe_name(const struct probe *p, char *buf, size_t len);
/* the managed set: replaced, grown by @want, set from @m, read at start */
void managed_set(struct daemon *d, struct svc_id *v, size_t n);
void managed_union(struct daemon *d, const struct model *want);
void managed_from(struct daemon *d, const struct model *m);
void managed_load(struct daemon *d);
/* a diff_scope_fn: is @s in the managed set */
bool in_managed(const struct m_svc *s, void *arg);
/* the loop's probe_done_fn: a result, applied to the kernel on a transition */
void probe_done(struct probe *p, bool ok, const char *why, void *arg);

/* daemon_load.c */
int adjust_want(struct model *want, const struct model *cur, void *arg);
void leavers_done(struct daemon *d);
void apply_marks(struct daemon *d);
/* apply the file (@initial: at start), and start probing its backends */
int daemon_load(struct daemon *d, bool initial);

#endif
