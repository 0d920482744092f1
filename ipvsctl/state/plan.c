// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: validate ops against a simulated state and resolve them into
 * kernel steps with their inverses (running them is plan_run.c's).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "model/addr.h"
#include "state/plan.h"
#include "state/plan_internal.h"

void plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
}

void plan_free(struct plan *p)
{
	free(p->steps);
	free(p->undo);
	free(p->ustart);
	memset(p, 0, sizeof(*p));
}

static struct step *push(struct step **v, size_t *n, size_t *cap)
{
	struct step *nv = array_room(*v, *n, cap, sizeof(**v), 32);

	if (!nv)
		return NULL;
	*v = nv;
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* Begin a step of op @op; its undo steps follow with undo_push(). */
struct step *step_push(struct plan *p, enum op_kind kind, int op)
{
	struct step *s;

	if (p->n + 2 > p->ustart_cap) {
		size_t c = p->ustart_cap ? p->ustart_cap * 2 : 32;
		size_t *nv = realloc(p->ustart, c * sizeof(*nv));

		if (!nv)
			return NULL;
		p->ustart = nv;
		p->ustart_cap = c;
	}
	s = push(&p->steps, &p->n, &p->cap);
	if (!s)
		return NULL;
	s->kind = kind;
	s->op = op;
	p->ustart[p->n - 1] = p->nundo;
	p->ustart[p->n] = p->nundo;
	return s;
}

struct step *undo_push(struct plan *p, enum op_kind kind)
{
	struct step *s = push(&p->undo, &p->nundo, &p->ucap);

	if (!s)
		return NULL;
	s->kind = kind;
	s->op = -1;
	p->ustart[p->n] = p->nundo;
	return s;
}

/* A step (or with @undo, an undo step) on service @id: @sc, if given, its
 * complete configuration. NULL when out of memory.
 */
struct step *svc_step(struct plan *p, bool undo, enum op_kind kind, int idx,
			     const struct svc_id *id, const struct svc_conf *sc)
{
	struct step *st = undo ? undo_push(p, kind) : step_push(p, kind, idx);

	if (st) {
		st->svc = *id;
		if (sc)
			st->sc = *sc;
	}
	return st;
}

/* The same on backend @ap of service @id, @dc its configuration if given. */
struct step *dest_step(struct plan *p, bool undo, enum op_kind kind, int idx,
			      const struct svc_id *id, const struct addr_port *ap,
			      const struct dest_conf *dc)
{
	struct step *st = svc_step(p, undo, kind, idx, id, NULL);

	if (st) {
		st->ap = *ap;
		if (dc)
			st->dc = *dc;
	}
	return st;
}

/*
 * The module keeps per-backend state that IPVS does not: the down mark
 * (health), and an operator's drain (saved weight, deadline). It goes
 * with the backend, or with the service's maglev scheduler. An undo that
 * brings a backend back brings that back too, or a rollback would end a
 * drain, or clear a health verdict, silently (review C10).
 */
int push_mg_be_restore(struct plan *p, const struct svc_id *id, const struct m_dest *d)
{
	struct step *u;

	if (!d->mg.down && !d->mg.saved_weight && !d->mg.drain_deadline)
		return 0;
	u = dest_step(p, true, OP_MG_BE, -1, id, &d->ap, NULL);
	if (!u)
		return -ENOMEM;
	u->mg_down = d->mg.down;
	u->mg_saved_weight = d->mg.saved_weight;
	u->mg_drain_deadline = d->mg.drain_deadline;
	return 0;
}

static int validate_dest(const struct bctx *b, const struct addr_port *ap,
			 const struct dest_conf *c)
{
	const char *bad;
	char name[64];

	if (ap->af != b->s->id.af && c->fwd != FWD_TUN)
		bad = "a backend of the other address family needs method tun";
	else if (c->fwd == FWD_TUN && c->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE && !c->tun_port)
		bad = "tun-type gue needs a tun-port";
	else if (c->fwd == FWD_TUN && c->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_IPIP && c->tun_flags)
		bad = "tun-csum applies to the gue and gre tunnel types";
	else if (c->l_thresh && c->u_thresh && c->l_thresh > c->u_thresh)
		bad = "lower threshold above the upper one";
	else
		return 0;
	fmt_addr_port(ap->af, ap->addr, ap->port, name, sizeof(name));
	FAIL(-EINVAL, "backend %s: %s", name, bad);
}

static int plan_dest_add(struct bctx *b, const struct addr_port *ap)
{
	const struct op *op = b->op;
	struct dest_conf dc, given = op->dc;
	char name[96], bname[64];
	struct m_dest *d;
	int err;

	if (svc_find_dest(b->s, ap)) {
		fmt_addr_port(ap->af, ap->addr, ap->port, bname, sizeof(bname));
		FAIL(-EEXIST, "service %s already has backend %s", SVC_NAME, bname);
	}
	dest_conf_defaults(&dc);
	dc.set = 0;
	dest_conf_merge(&given, &dc);
	dc = given;
	err = validate_dest(b, ap, &dc);
	if (err)
		return err;
	if (!dest_step(b->p, false, OP_DEST_ADD, b->idx, &op->svc, ap, &dc) ||
	    !dest_step(b->p, true, OP_DEST_DEL, -1, &op->svc, ap, NULL))
		NOMEM();
	d = svc_add_dest(b->s, ap);
	if (!d)
		NOMEM();
	d->c = dc;
	return 0;
}

static int plan_dest_del(struct bctx *b, const struct addr_port *ap, struct m_dest *d)
{
	const struct op *op = b->op;

	if (!dest_step(b->p, false, OP_DEST_DEL, b->idx, &op->svc, ap, NULL) ||
	    !dest_step(b->p, true, OP_DEST_ADD, -1, &op->svc, ap, &d->c))
		NOMEM();
	if (svc_conf_is_maglev(&b->s->c) && push_mg_be_restore(b->p, &op->svc, d))
		NOMEM();
	svc_del_dest(b->s, ap);
	return 0;
}

static int plan_dest_edit(struct bctx *b, const struct addr_port *ap, struct m_dest *d)
{
	const struct op *op = b->op;
	struct dest_conf dc = op->dc;
	int err;

	dest_conf_merge(&dc, &d->c);
	err = validate_dest(b, ap, &dc);
	if (err)
		return err;
	if (!dest_conf_cmp(&dc, &d->c, DC_ALL)) {
		d->c = dc;
		return 0;
	}
	if (!dest_step(b->p, false, OP_DEST_EDIT, b->idx, &op->svc, ap, &dc) ||
	    !dest_step(b->p, true, OP_DEST_EDIT, -1, &op->svc, ap, &d->c))
		NOMEM();
	/* a weight above 0 ends a drain in the module (its saved weight
	 * and deadline go): the undo puts them back after the weight
	 */
	if (svc_conf_is_maglev(&b->s->c) && dc.weight && push_mg_be_restore(b->p, &op->svc, d))
		NOMEM();
	d->c = dc;
	return 0;
}

static int plan_dest(struct bctx *b)
{
	const struct op *op = b->op;
	char name[96], bname[64];
	struct addr_port ap;
	struct m_dest *d;

	if (!b->s)
		FAIL(-ENOENT, "no service %s", SVC_NAME);
	ap = op->dest;
	if (!op->dest_port_given)
		ap.port = b->s->id.fwmark ? 0 : b->s->id.port;
	if (op->kind == OP_DEST_ADD)
		return plan_dest_add(b, &ap);
	d = svc_find_dest(b->s, &ap);
	if (!d) {
		fmt_addr_port(ap.af, ap.addr, ap.port, bname, sizeof(bname));
		FAIL(-ENOENT, "service %s has no backend %s", SVC_NAME, bname);
	}
	return op->kind == OP_DEST_DEL ? plan_dest_del(b, &ap, d) : plan_dest_edit(b, &ap, d);
}

static int plan_zero(struct bctx *b)
{
	struct step *st;
	char name[96];

	if (!b->op->all && !b->s)
		FAIL(-ENOENT, "no service %s", SVC_NAME);
	st = svc_step(b->p, false, OP_ZERO, b->idx, &b->op->svc, NULL);
	if (!st)
		NOMEM();
	st->all = b->op->all;
	return 0;	/* counters cannot be restored */
}

static int plan_timeout(struct bctx *b)
{
	const struct timeouts *to = &b->op->to, *now = &b->env->timeouts;
	struct step *st, *u;

	st = step_push(b->p, OP_TIMEOUT, b->idx);
	if (!st)
		NOMEM();
	st->to = *to;
	if (b->env->have_timeouts) {
		u = undo_push(b->p, OP_TIMEOUT);
		if (!u)
			NOMEM();
		u->to.tcp = to->tcp ? now->tcp : 0;
		u->to.tcp_fin = to->tcp_fin ? now->tcp_fin : 0;
		u->to.udp = to->udp ? now->udp : 0;
	}
	return 0;
}

static int plan_sync(struct bctx *b)
{
	const struct op *op = b->op;
	const struct plan_env *env = b->env;
	const struct daemon_conf *running = NULL;
	const char *which = op->dm.state == IP_VS_STATE_MASTER ? "master" : "backup";
	struct step *st, *u;
	int k;

	for (k = 0; env->have_daemons && k < env->ndaemons; k++)
		if (env->daemons[k].state == op->dm.state)
			running = &env->daemons[k];
	if (op->kind == OP_SYNC_START && running)
		FAIL(-EEXIST, "a %s sync daemon is already running", which);
	if (op->kind == OP_SYNC_STOP && env->have_daemons && !running)
		FAIL(-ENOENT, "no %s sync daemon is running", which);
	st = step_push(b->p, op->kind, b->idx);
	if (!st)
		NOMEM();
	st->dm = op->dm;
	if (op->kind == OP_SYNC_START) {
		u = undo_push(b->p, OP_SYNC_STOP);
		if (!u)
			NOMEM();
		u->dm.state = op->dm.state;
	} else if (running) {
		u = undo_push(b->p, OP_SYNC_START);
		if (!u)
			NOMEM();
		u->dm = *running;
	}
	return 0;
}

/* for the daemon: the service must exist; no kernel step */
static int plan_health(struct bctx *b)
{
	char name[96];

	if (!b->s)
		FAIL(-ENOENT, "health: no service %s", SVC_NAME);
	if (!b->s->hc)
		b->s->hc = malloc(sizeof(*b->s->hc));
	if (!b->s->hc)
		NOMEM();
	*b->s->hc = *b->op->hc;
	return 0;
}

/* Check @op against @sim, add its steps and their undo steps, apply it to @sim. */
static int build_one(struct plan *p, struct model *sim, const struct plan_env *env,
		     const struct op *op, int idx, char *why, size_t whylen)
{
	struct bctx bc = { .p = p, .sim = sim, .env = env, .op = op, .idx = idx,
			   .why = why, .whylen = whylen }, *b = &bc;

	if (op->kind != OP_FLUSH && op->kind != OP_TIMEOUT && op->kind != OP_SYNC_START &&
	    op->kind != OP_SYNC_STOP && !(op->kind == OP_ZERO && op->all))
		b->s = model_find(sim, &op->svc);

	switch (op->kind) {
	case OP_SVC_ADD:	return plan_svc_add(b);
	case OP_SVC_EDIT:	return plan_svc_edit(b);
	case OP_SVC_DEL:	return plan_svc_del(b);
	case OP_FLUSH:		return plan_flush(b);
	case OP_DEST_ADD:
	case OP_DEST_EDIT:
	case OP_DEST_DEL:	return plan_dest(b);
	case OP_ZERO:		return plan_zero(b);
	case OP_TIMEOUT:	return plan_timeout(b);
	case OP_SYNC_START:
	case OP_SYNC_STOP:	return plan_sync(b);
	case OP_HEALTH:		return plan_health(b);
	case OP_MG_SET:		return plan_mg_set(b);
	case OP_MG_BE:
		FAIL(-EINVAL, "backend state is no operation of the grammar");
	}
	FAIL(-EINVAL, "unknown operation");
}

/*
 * Most ops make one step and one undo step: room for @nops of each at
 * once, rather than by doubling, which copies every step so far each
 * time. Without it (no memory), the arrays grow as they go.
 */
static void plan_reserve(struct plan *p, size_t nops)
{
	if (nops <= 32)
		return;
	p->steps = malloc(nops * sizeof(*p->steps));
	p->cap = p->steps ? nops : 0;
	p->undo = malloc(nops * sizeof(*p->undo));
	p->ucap = p->undo ? nops : 0;
	p->ustart = malloc((nops + 2) * sizeof(*p->ustart));
	p->ustart_cap = p->ustart ? nops + 2 : 0;
	if (p->ustart)
		p->ustart[0] = 0;
}

int plan_build(struct plan *p, const struct plan_env *env, const struct op *ops,
	       size_t nops, size_t *bad_op, char *why, size_t whylen)
{
	return plan_build_state(p, env, ops, nops, bad_op, why, whylen, NULL);
}

int plan_build_state(struct plan *p, const struct plan_env *env, const struct op *ops,
		     size_t nops, size_t *bad_op, char *why, size_t whylen,
		     struct model *out)
{
	struct model sim;
	size_t i;
	int err;

	plan_init(p);
	plan_reserve(p, nops);
	err = model_copy(&sim, env->cur);
	if (err) {
		snprintf(why, whylen, "out of memory");
		return err;
	}
	for (i = 0; i < nops; i++) {
		err = build_one(p, &sim, env, &ops[i], (int)i, why, whylen);
		if (err) {
			*bad_op = i;
			model_free(&sim);
			plan_free(p);
			return err;
		}
	}
	if (out)
		*out = sim;	/* handed over */
	else
		model_free(&sim);
	if (!p->ustart) {
		p->ustart = calloc(1, sizeof(*p->ustart));
		if (!p->ustart) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}
