/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the difference between two states, as ops of the grammar.
 * Pure: no kernel, tested on the host.
 */
#ifndef IPVSCTL_DIFF_H
#define IPVSCTL_DIFF_H

#include "config/grammar.h"
#include "model/scope.h"

/* Is this current service managed (may it be changed or deleted)? */
typedef bool (*diff_scope_fn)(const struct m_svc *s, void *arg);

/*
 * The ops that take @cur to @want. Every service of @want is managed;
 * services only in @cur are deleted if @in_scope says they are managed
 * (NULL: none is). @want holds complete confs (as plan_build() leaves its
 * simulated state). Ops come in a safe order: services added (with their
 * parameters and backends), services changed and their backends, then
 * services deleted. Returns 0 and a malloc'd array (*ops, *n), or -ENOMEM.
 */
int model_diff(const struct model *cur, const struct model *want,
	       diff_scope_fn in_scope, void *arg, struct op **ops, size_t *n);

/*
 * Graceful termination. A backend of a service that stays in the desired
 * state but whose backend leaves it is drained, not deleted: it is put
 * back into @want at weight 0, until it is idle (no active connection, no
 * flow pin) or its drain deadline (maglev services: kept in the kernel)
 * has passed; then it is left out, so the diff deletes it.
 *
 * A leaver drained by an operator ("ipvsctl drain": saved weight nonzero)
 * is treated the same. A drain started here saves weight 0, which is how
 * a later apply tells it from an operator's drain when the backend comes
 * back (an operator's drain keeps weight 0 until undrained).
 */
struct leaver {
	struct svc_id svc;
	struct addr_port ap;
	bool maglev;
	bool start;		/* a new drain: its deadline is to be stored */
	uint64_t deadline;	/* seconds since the epoch; 0: none (not maglev) */
};

struct leave_opts {
	uint32_t timeout_s;	/* 0: delete leavers at once */
	uint64_t now_s;		/* wall clock, seconds since the epoch */
};

struct leave_result {
	struct leaver *v;	/* malloc'd: the backends kept draining */
	size_t n, cap;
	size_t deleted_idle, deleted_expired;
};

int leave_adjust(struct model *want, const struct model *cur, const struct leave_opts *o,
		 struct leave_result *r);
/* An operator's drain (ipvsctl drain) of a backend still wanted: keep
 * it at weight 0. Shared by apply and the daemon.
 */
void keep_operator_drains(struct model *want, const struct model *cur);

#endif
