/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: from ops to kernel steps, all or nothing.
 *
 * plan_build() checks every op against a copy of the current state, in
 * order, as if the earlier ops had been applied, and turns each into
 * complete kernel steps (IPVS's requests need every field) together with
 * the steps that undo them. Nothing is sent: any error names the op.
 *
 * plan_run() sends the steps. If the kernel refuses one, the steps already
 * done are undone in reverse order, so a command or a file is applied
 * completely or not at all (counters zeroed on the way stay zeroed).
 */
#ifndef IPVSCTL_PLAN_H
#define IPVSCTL_PLAN_H

#include "config/grammar.h"
#include "kernel/nl.h"

struct step {
	enum op_kind kind;
	int op;			/* index of the op it implements */
	bool all;		/* OP_ZERO */
	struct svc_id svc;
	struct svc_conf sc;	/* complete */
	struct addr_port ap;
	struct dest_conf dc;	/* complete */
	struct timeouts to;
	struct daemon_conf dm;
	/* OP_MG_BE: the backend's module state to put back */
	bool mg_down;
	uint32_t mg_saved_weight;
	uint64_t mg_drain_deadline;
};

struct plan {
	struct step *steps;
	size_t n, cap;
	struct step *undo;	/* undo[ustart[i] .. ustart[i + 1]) reverts steps[i] */
	size_t nundo, ucap;
	size_t *ustart;		/* n + 1 entries once built */
	size_t ustart_cap;
};

/* State plan_build() may need beyond services: filled by the caller when
 * the ops touch timeouts or sync daemons.
 */
struct plan_env {
	struct model *cur;		/* current services (with backends) */
	struct mg_defaults mg;		/* the maglev module's defaults */
	bool have_timeouts;
	struct timeouts timeouts;
	bool have_daemons;
	struct daemon_conf daemons[2];
	int ndaemons;
};

void plan_init(struct plan *p);
void plan_free(struct plan *p);

/*
 * Validate and resolve @ops. 0 on success. On error returns -errno (the
 * kind of failure: -EEXIST, -ENOENT, -EINVAL...), sets *bad_op to the
 * index of the offending op and fills @why.
 */
int plan_build(struct plan *p, const struct plan_env *env, const struct op *ops,
	       size_t nops, size_t *bad_op, char *why, size_t whylen);

/* The same, also handing back the state the ops lead to (complete confs;
 * health checks attached): how a config file becomes a desired state.
 */
int plan_build_state(struct plan *p, const struct plan_env *env, const struct op *ops,
		     size_t nops, size_t *bad_op, char *why, size_t whylen,
		     struct model *out);

struct plan_result {
	size_t done;		/* steps applied and kept */
	size_t failed_step;	/* on error: the step the kernel refused */
	size_t undone;		/* on error: steps rolled back */
	int undo_err;		/* on error: 0 if the rollback was complete */
	size_t unknown;		/* on error: steps whose answer was lost (nl.h,
				 * NLC_NO_ANSWER), undone as if they took effect
				 */
};

/* 0, or the first refusal's -errno with its text in @e (nl.h: struct
 * nl_err; NULL if not wanted)
 */
int plan_run(struct nl *nl, const struct plan *p, struct plan_result *r, struct nl_err *e);

/*
 * The same, sending the steps in batches (much faster for thousands of
 * steps). For plans from model_diff() only: there every service and every
 * backend is touched by one step (a service's parameters by one more,
 * which fails if that step failed), so a step that follows a failed one
 * either fails too or does not depend on it, and the rollback is exact.
 */
int plan_run_batched(struct nl *nl, const struct plan *p, struct plan_result *r,
		     struct nl_err *e);

/* One step, as a line of the grammar (for messages and dry runs). */
void step_print(FILE *f, const struct step *s);

#endif
