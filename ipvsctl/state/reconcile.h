/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: bring the kernel to a desired state, touching only what
 * differs: load the current state, diff (diff.h), plan and run all or
 * nothing (plan.h). Shared by "ipvsctl daemon" and "ipvsctl apply".
 */
#ifndef IPVSCTL_RECONCILE_H
#define IPVSCTL_RECONCILE_H

#include <stdint.h>
#include <stdio.h>

#include "state/diff.h"
#include "state/plan.h"

struct rec_opts {
	diff_scope_fn in_scope;		/* managed current services (NULL: none) */
	void *scope_arg;
	/* Called with a copy of the desired state and the current state
	 * before the diff: adjust what is wanted (health, drains). A nonzero
	 * return (-errno) stops the reconcile before anything is sent.
	 */
	int (*adjust)(struct model *want, const struct model *cur, void *arg);
	void *adjust_arg;
	const struct timeouts *timeouts; /* wanted (0 fields: leave); NULL: none */
	/* Read only these services (their ids; the rest of the model is
	 * unused), not the whole table: a reconcile of a few services that
	 * changed (kube run). @in_scope still decides which of them may
	 * change. NULL: as above (named, or all).
	 */
	const struct model *load_only;
	/* Deletion guard: refuse (-ECANCELED, before anything is sent) a
	 * plan that deletes more managed services than this: a count, or
	 * with max_deletes_pct a percentage of the managed services found.
	 */
	bool max_deletes_set, max_deletes_pct;
	uint32_t max_deletes;
	bool dry_run;			/* print the steps on @out, send nothing */
	FILE *out;
};

struct rec_result {
	size_t changes;			/* kernel steps sent (or planned) */
	size_t failed_step;		/* on failure: 1-based, 0 if none ran */
	size_t undone;			/* on failure: steps rolled back */
	int undo_err;
	size_t unknown;			/* on failure: steps without an answer, undone */
	char why[512];			/* on failure */
	/* where the time went, microseconds (apply --timing) */
	uint64_t us_load, us_diff, us_run;
	size_t svcs_seen, svcs_read;	/* current services; those read in full */
	size_t deletes, managed;	/* services the plan deletes, of those managed */
};

/* Returns 0 or -errno; on failure @r says what happened and what was
 * rolled back, and nothing is left half applied unless r->undo_err.
 */
int reconcile(struct nl *nl, const struct model *want, const struct rec_opts *o,
	      struct rec_result *r);

/* A config file's ops (no flush, zero or sync) as a desired state:
 * complete confs, health checks attached, and the timeouts it sets.
 * @nl may be NULL (a check without a kernel: built-in maglev defaults).
 * Returns 0, or -errno with @why naming the file and line.
 */
int state_from_ops(struct nl *nl, const struct op *ops, size_t n, struct model *want,
		   struct timeouts *to, char *why, size_t whylen);

/* Store the deadline of a drain leave_adjust() started (maglev services),
 * with saved weight 0: where the next apply or sweep finds it. 0, or
 * -errno with the kernel's text in @e.
 */
int leaver_store(struct nl *nl, const struct leaver *lv, struct nl_err *e);

/*
 * --max-deletes N or N% (apply, daemon): fills @o's guard. Returns 0, or
 * -EINVAL for anything but a decimal count or a percentage from 0 to 100.
 */
int parse_max_deletes(const char *s, struct rec_opts *o);

#endif
