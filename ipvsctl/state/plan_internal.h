/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: shared by the planner's files only: plan.c (the plan, the
 * dispatch, backends and the rest) and plan_svc.c (services and their
 * maglev parameters).
 */
#ifndef IPVSCTL_STATE_PLAN_INTERNAL_H
#define IPVSCTL_STATE_PLAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "state/plan.h"

/* One op being planned: what build_one() hands to the op's own planner. */
struct bctx {
	struct plan *p;
	struct model *sim;		/* the state as the ops so far leave it */
	const struct plan_env *env;
	const struct op *op;
	int idx;			/* the op's index, for its steps */
	struct m_svc *s;		/* the op's service in @sim, if it has one */
	char *why;
	size_t whylen;
};

#define NOMEM() do { snprintf(b->why, b->whylen, "out of memory"); return -ENOMEM; } while (0)
#define FAIL(e, ...) do { snprintf(b->why, b->whylen, __VA_ARGS__); return (e); } while (0)
/* the op's service, named for FAIL() only (formatting the name for every
 * op was a quarter of a large apply's time)
 */
#define SVC_NAME (fmt_svc(&b->op->svc, name, sizeof(name)), name)

/* Begin a step of op @op; its undo steps follow with undo_push(). */
struct step *step_push(struct plan *p, enum op_kind kind, int op);
struct step *undo_push(struct plan *p, enum op_kind kind);
/* A step (or with @undo, an undo step) on service @id: @sc, if given, its
 * complete configuration. NULL when out of memory.
 */
struct step *svc_step(struct plan *p, bool undo, enum op_kind kind, int idx,
		      const struct svc_id *id, const struct svc_conf *sc);
/* The same on backend @ap of service @id, @dc its configuration if given. */
struct step *dest_step(struct plan *p, bool undo, enum op_kind kind, int idx,
		       const struct svc_id *id, const struct addr_port *ap,
		       const struct dest_conf *dc);
/* the undo of the module's state of backend @d (down mark, drain), if any */
int push_mg_be_restore(struct plan *p, const struct svc_id *id, const struct m_dest *d);

/* plan_svc.c: each checks the op, adds its steps and undo steps, and
 * applies it to the simulated state; 0, or -errno with b->why set
 */
int plan_svc_add(struct bctx *b);
int plan_svc_edit(struct bctx *b);
int plan_svc_del(struct bctx *b);
int plan_flush(struct bctx *b);
int plan_mg_set(struct bctx *b);

#endif
