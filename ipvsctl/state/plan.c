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
static struct step *step_push(struct plan *p, enum op_kind kind, int op)
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

static struct step *undo_push(struct plan *p, enum op_kind kind)
{
	struct step *s = push(&p->undo, &p->nundo, &p->ucap);

	if (!s)
		return NULL;
	s->kind = kind;
	s->op = -1;
	p->ustart[p->n] = p->nundo;
	return s;
}

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

/* A step (or with @undo, an undo step) on service @id: @sc, if given, its
 * complete configuration. NULL when out of memory.
 */
static struct step *svc_step(struct plan *p, bool undo, enum op_kind kind, int idx,
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
static struct step *dest_step(struct plan *p, bool undo, enum op_kind kind, int idx,
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
static int push_mg_be_restore(struct plan *p, const struct svc_id *id, const struct m_dest *d)
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

/* Steps that (re)create service @s as it is: service, maglev params, backends. */
static int push_recreate(struct plan *p, const struct m_svc *s, const struct mg_defaults *mg)
{
	bool maglev = svc_conf_is_maglev(&s->c);
	size_t i;

	if (!svc_step(p, true, OP_SVC_ADD, -1, &s->id, &s->c))
		return -ENOMEM;
	if (maglev && svc_conf_mg_nondefault(&s->c, mg) &&
	    !svc_step(p, true, OP_MG_SET, -1, &s->id, &s->c))
		return -ENOMEM;
	for (i = 0; i < s->ndests; i++) {
		if (!dest_step(p, true, OP_DEST_ADD, -1, &s->id, &s->dests[i].ap, &s->dests[i].c))
			return -ENOMEM;
		if (maglev && push_mg_be_restore(p, &s->id, &s->dests[i]))
			return -ENOMEM;
	}
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

/* maglev parameters given for a service whose scheduler is not maglev */
static int check_mg_words(const struct bctx *b, const struct svc_conf *sc)
{
	char name[96];

	if ((b->op->sc.set & SC_MG_ALL) && !svc_conf_is_maglev(sc))
		FAIL(-EINVAL, "service %s: table-size, hash, slow-start and pin are maglev parameters, and the scheduler is %s",
		     SVC_NAME, sc->sched);
	return 0;
}

static int plan_svc_add(struct bctx *b)
{
	const struct op *op = b->op;
	struct svc_conf sc, given = op->sc;
	char name[96];
	int err;

	if (b->s)
		FAIL(-EEXIST, "service %s already exists", SVC_NAME);
	/* what is not given is the kernel's default (maglev's: the module's) */
	svc_conf_defaults(&sc);
	svc_conf_mg_defaults(&sc, &b->env->mg);
	if (op->svc.af == AF_INET6)
		sc.netmask = 128;
	sc.set = 0;
	svc_conf_merge(&given, &sc);
	sc = given;
	err = check_mg_words(b, &sc);
	if (err)
		return err;
	if (!svc_step(b->p, false, OP_SVC_ADD, b->idx, &op->svc, &sc) ||
	    !svc_step(b->p, true, OP_SVC_DEL, -1, &op->svc, NULL))
		NOMEM();
	/* undone by deleting the service, the step before */
	if (svc_conf_is_maglev(&sc) && svc_conf_mg_nondefault(&sc, &b->env->mg) &&
	    !svc_step(b->p, false, OP_MG_SET, b->idx, &op->svc, &sc))
		NOMEM();
	b->s = model_add(b->sim, &op->svc);
	if (!b->s)
		NOMEM();
	b->s->c = sc;
	return 0;
}

/*
 * A scheduler change (@resched) ends the module's state of the service:
 * the undo puts back the old maglev parameters and every backend's down
 * mark and drain, and the simulation forgets them.
 */
static int plan_resched_undo(struct bctx *b, bool resched)
{
	struct m_svc *s = b->s;
	size_t i;

	if (!resched)
		return 0;
	if (svc_conf_is_maglev(&s->c)) {
		/* back to maglev, whose parameters were reset */
		if (svc_conf_mg_nondefault(&s->c, &b->env->mg) &&
		    !svc_step(b->p, true, OP_MG_SET, -1, &s->id, &s->c))
			return -ENOMEM;
		/* and whose backend state went with the old scheduler */
		for (i = 0; i < s->ndests; i++)
			if (push_mg_be_restore(b->p, &s->id, &s->dests[i]))
				return -ENOMEM;
	}
	for (i = 0; i < s->ndests; i++) {
		s->dests[i].mg.down = false;
		s->dests[i].mg.saved_weight = 0;
		s->dests[i].mg.drain_deadline = 0;
	}
	return 0;
}

static int plan_svc_edit(struct bctx *b)
{
	const struct op *op = b->op;
	struct m_svc *s = b->s;
	struct svc_conf sc, mg_now;
	char name[96];
	bool resched;
	int err;

	if (!s)
		FAIL(-ENOENT, "no service %s", SVC_NAME);
	mg_now = s->c;
	sc = op->sc;
	svc_conf_merge(&sc, &s->c);
	resched = strcmp(s->c.sched, sc.sched);
	err = check_mg_words(b, &sc);
	if (err)
		return err;
	/* the maglev parameters in force before this edit's own */
	if (resched)
		svc_conf_mg_defaults(&mg_now, &b->env->mg);
	if (svc_conf_is_maglev(&sc) && resched) {
		/* switching to maglev starts from its defaults */
		struct svc_conf given = op->sc;

		given.set &= SC_MG_ALL;
		svc_conf_mg_defaults(&sc, &b->env->mg);
		svc_conf_merge(&given, &sc);
		sc = given;
	}
	if (svc_conf_cmp(&sc, &s->c, SC_IPVS_ALL)) {
		if (!svc_step(b->p, false, OP_SVC_EDIT, b->idx, &op->svc, &sc) ||
		    !svc_step(b->p, true, OP_SVC_EDIT, -1, &op->svc, &s->c) ||
		    plan_resched_undo(b, resched))
			NOMEM();
	}
	if (svc_conf_is_maglev(&sc) && svc_conf_cmp(&sc, &mg_now, SC_MG_ALL)) {
		if (!svc_step(b->p, false, OP_MG_SET, b->idx, &op->svc, &sc))
			NOMEM();
		if (!resched && !svc_step(b->p, true, OP_MG_SET, -1, &op->svc, &s->c))
			NOMEM();
	}
	s->c = sc;
	return 0;
}

static int plan_svc_del(struct bctx *b)
{
	char name[96];

	if (!b->s)
		FAIL(-ENOENT, "no service %s", SVC_NAME);
	if (!svc_step(b->p, false, OP_SVC_DEL, b->idx, &b->op->svc, NULL) ||
	    push_recreate(b->p, b->s, &b->env->mg))
		NOMEM();
	model_del(b->sim, &b->op->svc);
	return 0;
}

static int plan_flush(struct bctx *b)
{
	size_t i;

	if (!step_push(b->p, OP_FLUSH, b->idx))
		NOMEM();
	for (i = 0; i < b->sim->n; i++)
		if (push_recreate(b->p, &b->sim->svcs[i], &b->env->mg))
			NOMEM();
	model_free(b->sim);
	model_init(b->sim);
	return 0;
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

static int plan_mg_set(struct bctx *b)
{
	struct m_svc *s = b->s;
	struct svc_conf sc;
	char name[96];

	if (!s)
		FAIL(-ENOENT, "no service %s", SVC_NAME);
	if (!svc_conf_is_maglev(&s->c))
		FAIL(-EINVAL, "service %s uses scheduler %s, not maglev", SVC_NAME, s->c.sched);
	sc = b->op->sc;
	svc_conf_merge(&sc, &s->c);
	if (!svc_conf_cmp(&sc, &s->c, SC_MG_ALL))
		return 0;
	if (!svc_step(b->p, false, OP_MG_SET, b->idx, &b->op->svc, &sc) ||
	    !svc_step(b->p, true, OP_MG_SET, -1, &b->op->svc, &s->c))
		NOMEM();
	s->c = sc;
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
