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
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		struct step *nv = realloc(*v, c * sizeof(**v));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
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

#define NOMEM() do { snprintf(why, whylen, "out of memory"); return -ENOMEM; } while (0)
#define FAIL(e, ...) do { snprintf(why, whylen, __VA_ARGS__); return (e); } while (0)
/* in build_one(): the service's and the backend's names, for FAIL() only
 * (formatting them for every op was a quarter of a large apply's time)
 */
#define SVC_NAME (fmt_svc(&op->svc, name, sizeof(name)), name)
#define BE_NAME (fmt_addr_port(ap.af, ap.addr, ap.port, bname, sizeof(bname)), bname)

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
	u = undo_push(p, OP_MG_BE);
	if (!u)
		return -ENOMEM;
	u->svc = *id;
	u->ap = d->ap;
	u->mg_down = d->mg.down;
	u->mg_saved_weight = d->mg.saved_weight;
	u->mg_drain_deadline = d->mg.drain_deadline;
	return 0;
}

/* Steps that (re)create service @s as it is: service, maglev params, backends. */
static int push_recreate(struct plan *p, const struct m_svc *s, const struct mg_defaults *mg)
{
	struct step *u;
	size_t i;

	u = undo_push(p, OP_SVC_ADD);
	if (!u)
		return -ENOMEM;
	u->svc = s->id;
	u->sc = s->c;
	if (svc_conf_is_maglev(&s->c) && svc_conf_mg_nondefault(&s->c, mg)) {
		u = undo_push(p, OP_MG_SET);
		if (!u)
			return -ENOMEM;
		u->svc = s->id;
		u->sc = s->c;
	}
	for (i = 0; i < s->ndests; i++) {
		u = undo_push(p, OP_DEST_ADD);
		if (!u)
			return -ENOMEM;
		u->svc = s->id;
		u->ap = s->dests[i].ap;
		u->dc = s->dests[i].c;
		if (svc_conf_is_maglev(&s->c) && push_mg_be_restore(p, &s->id, &s->dests[i]))
			return -ENOMEM;
	}
	return 0;
}

static int validate_dest(const struct m_svc *s, const struct addr_port *ap,
			 const struct dest_conf *c, char *why, size_t whylen)
{
	const char *bad;
	char name[64];

	if (ap->af != s->id.af && c->fwd != FWD_TUN)
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

static int build_one(struct plan *p, struct model *sim, const struct plan_env *env,
		     const struct op *op, int idx, char *why, size_t whylen)
{
	struct m_svc *s = NULL;
	struct m_dest *d;
	struct svc_conf sc;
	struct dest_conf dc;
	struct addr_port ap;
	struct step *st, *u;
	char name[96], bname[64];
	size_t i;
	int err;

	/* names for messages are formatted only when one is needed */
	if (op->kind != OP_FLUSH && op->kind != OP_TIMEOUT && op->kind != OP_SYNC_START &&
	    op->kind != OP_SYNC_STOP && !(op->kind == OP_ZERO && op->all))
		s = model_find(sim, &op->svc);

	switch (op->kind) {
	case OP_SVC_ADD:
		if (s)
			FAIL(-EEXIST, "service %s already exists", SVC_NAME);
		svc_conf_defaults(&sc);
		svc_conf_mg_defaults(&sc, &env->mg);
		if (op->svc.af == AF_INET6)
			sc.netmask = 128;
		sc.set = 0;
		{
			struct svc_conf given = op->sc;

			svc_conf_merge(&given, &sc);
			sc = given;
		}
		if ((op->sc.set & SC_MG_ALL) && !svc_conf_is_maglev(&sc))
			FAIL(-EINVAL, "service %s: table-size, hash, slow-start and pin are maglev parameters, and the scheduler is %s",
			     SVC_NAME, sc.sched);
		st = step_push(p, OP_SVC_ADD, idx);
		if (!st)
			NOMEM();
		st->svc = op->svc;
		st->sc = sc;
		u = undo_push(p, OP_SVC_DEL);
		if (!u)
			NOMEM();
		u->svc = op->svc;
		if (svc_conf_is_maglev(&sc) && svc_conf_mg_nondefault(&sc, &env->mg)) {
			st = step_push(p, OP_MG_SET, idx);
			if (!st)
				NOMEM();
			st->svc = op->svc;
			st->sc = sc;
			/* undone by deleting the service, the step before */
		}
		s = model_add(sim, &op->svc);
		if (!s)
			NOMEM();
		s->c = sc;
		return 0;

	case OP_SVC_EDIT: {
		struct svc_conf mg_now;
		bool resched;

		if (!s)
			FAIL(-ENOENT, "no service %s", SVC_NAME);
		mg_now = s->c;
		sc = op->sc;
		svc_conf_merge(&sc, &s->c);
		resched = strcmp(s->c.sched, sc.sched);
		if ((op->sc.set & SC_MG_ALL) && !svc_conf_is_maglev(&sc))
			FAIL(-EINVAL, "service %s: table-size, hash, slow-start and pin are maglev parameters, and the scheduler is %s",
			     SVC_NAME, sc.sched);
		/* the maglev parameters in force before this edit's own */
		if (resched)
			svc_conf_mg_defaults(&mg_now, &env->mg);
		if (svc_conf_is_maglev(&sc) && resched) {
			/* switching to maglev starts from its defaults */
			struct svc_conf given = op->sc;

			given.set &= SC_MG_ALL;
			svc_conf_mg_defaults(&sc, &env->mg);
			svc_conf_merge(&given, &sc);
			sc = given;
		}
		if (svc_conf_cmp(&sc, &s->c, SC_IPVS_ALL)) {
			st = step_push(p, OP_SVC_EDIT, idx);
			if (!st)
				NOMEM();
			st->svc = op->svc;
			st->sc = sc;
			u = undo_push(p, OP_SVC_EDIT);
			if (!u)
				NOMEM();
			u->svc = op->svc;
			u->sc = s->c;
			if (svc_conf_is_maglev(&s->c) && resched && svc_conf_mg_nondefault(&s->c, &env->mg)) {
				/* back to maglev, whose parameters were reset */
				u = undo_push(p, OP_MG_SET);
				if (!u)
					NOMEM();
				u->svc = op->svc;
				u->sc = s->c;
			}
			/* and whose backend state went with the old scheduler */
			for (i = 0; svc_conf_is_maglev(&s->c) && resched && i < s->ndests; i++)
				if (push_mg_be_restore(p, &op->svc, &s->dests[i]))
					NOMEM();
			if (resched)
				for (i = 0; i < s->ndests; i++) {
					s->dests[i].mg.down = false;
					s->dests[i].mg.saved_weight = 0;
					s->dests[i].mg.drain_deadline = 0;
				}
		}
		if (svc_conf_is_maglev(&sc) && svc_conf_cmp(&sc, &mg_now, SC_MG_ALL)) {
			st = step_push(p, OP_MG_SET, idx);
			if (!st)
				NOMEM();
			st->svc = op->svc;
			st->sc = sc;
			if (!resched) {
				u = undo_push(p, OP_MG_SET);
				if (!u)
					NOMEM();
				u->svc = op->svc;
				u->sc = s->c;
			}
		}
		s->c = sc;
		return 0;
	}

	case OP_SVC_DEL:
		if (!s)
			FAIL(-ENOENT, "no service %s", SVC_NAME);
		st = step_push(p, OP_SVC_DEL, idx);
		if (!st)
			NOMEM();
		st->svc = op->svc;
		if (push_recreate(p, s, &env->mg))
			NOMEM();
		model_del(sim, &op->svc);
		return 0;

	case OP_FLUSH:
		st = step_push(p, OP_FLUSH, idx);
		if (!st)
			NOMEM();
		for (i = 0; i < sim->n; i++)
			if (push_recreate(p, &sim->svcs[i], &env->mg))
				NOMEM();
		model_free(sim);
		model_init(sim);
		return 0;

	case OP_DEST_ADD:
	case OP_DEST_EDIT:
	case OP_DEST_DEL:
		if (!s)
			FAIL(-ENOENT, "no service %s", SVC_NAME);
		ap = op->dest;
		if (!op->dest_port_given)
			ap.port = s->id.fwmark ? 0 : s->id.port;
		
		d = svc_find_dest(s, &ap);
		if (op->kind == OP_DEST_ADD) {
			if (d)
				FAIL(-EEXIST, "service %s already has backend %s", SVC_NAME, BE_NAME);
			dest_conf_defaults(&dc);
			dc.set = 0;
			{
				struct dest_conf given = op->dc;

				dest_conf_merge(&given, &dc);
				dc = given;
			}
			err = validate_dest(s, &ap, &dc, why, whylen);
			if (err)
				return err;
			st = step_push(p, OP_DEST_ADD, idx);
			if (!st)
				NOMEM();
			st->svc = op->svc;
			st->ap = ap;
			st->dc = dc;
			u = undo_push(p, OP_DEST_DEL);
			if (!u)
				NOMEM();
			u->svc = op->svc;
			u->ap = ap;
			d = svc_add_dest(s, &ap);
			if (!d)
				NOMEM();
			d->c = dc;
			return 0;
		}
		if (!d)
			FAIL(-ENOENT, "service %s has no backend %s", SVC_NAME, BE_NAME);
		if (op->kind == OP_DEST_DEL) {
			st = step_push(p, OP_DEST_DEL, idx);
			if (!st)
				NOMEM();
			st->svc = op->svc;
			st->ap = ap;
			u = undo_push(p, OP_DEST_ADD);
			if (!u)
				NOMEM();
			u->svc = op->svc;
			u->ap = ap;
			u->dc = d->c;
			if (svc_conf_is_maglev(&s->c) && push_mg_be_restore(p, &op->svc, d))
				NOMEM();
			svc_del_dest(s, &ap);
			return 0;
		}
		dc = op->dc;
		dest_conf_merge(&dc, &d->c);
		err = validate_dest(s, &ap, &dc, why, whylen);
		if (err)
			return err;
		if (!dest_conf_cmp(&dc, &d->c, DC_ALL)) {
			d->c = dc;
			return 0;
		}
		st = step_push(p, OP_DEST_EDIT, idx);
		if (!st)
			NOMEM();
		st->svc = op->svc;
		st->ap = ap;
		st->dc = dc;
		u = undo_push(p, OP_DEST_EDIT);
		if (!u)
			NOMEM();
		u->svc = op->svc;
		u->ap = ap;
		u->dc = d->c;
		/* a weight above 0 ends a drain in the module (its saved weight
		 * and deadline go): the undo puts them back after the weight
		 */
		if (svc_conf_is_maglev(&s->c) && dc.weight && push_mg_be_restore(p, &op->svc, d))
			NOMEM();
		d->c = dc;
		return 0;

	case OP_ZERO:
		if (!op->all && !s)
			FAIL(-ENOENT, "no service %s", SVC_NAME);
		st = step_push(p, OP_ZERO, idx);
		if (!st)
			NOMEM();
		st->all = op->all;
		st->svc = op->svc;
		return 0;	/* counters cannot be restored */

	case OP_TIMEOUT:
		st = step_push(p, OP_TIMEOUT, idx);
		if (!st)
			NOMEM();
		st->to = op->to;
		if (env->have_timeouts) {
			u = undo_push(p, OP_TIMEOUT);
			if (!u)
				NOMEM();
			u->to.tcp = op->to.tcp ? env->timeouts.tcp : 0;
			u->to.tcp_fin = op->to.tcp_fin ? env->timeouts.tcp_fin : 0;
			u->to.udp = op->to.udp ? env->timeouts.udp : 0;
		}
		return 0;

	case OP_SYNC_START:
	case OP_SYNC_STOP: {
		const struct daemon_conf *running = NULL;
		int k;

		for (k = 0; env->have_daemons && k < env->ndaemons; k++)
			if (env->daemons[k].state == op->dm.state)
				running = &env->daemons[k];
		if (op->kind == OP_SYNC_START && running)
			FAIL(-EEXIST, "a %s sync daemon is already running",
			     op->dm.state == IP_VS_STATE_MASTER ? "master" : "backup");
		if (op->kind == OP_SYNC_STOP && env->have_daemons && !running)
			FAIL(-ENOENT, "no %s sync daemon is running",
			     op->dm.state == IP_VS_STATE_MASTER ? "master" : "backup");
		st = step_push(p, op->kind, idx);
		if (!st)
			NOMEM();
		st->dm = op->dm;
		if (op->kind == OP_SYNC_START) {
			u = undo_push(p, OP_SYNC_STOP);
			if (!u)
				NOMEM();
			u->dm.state = op->dm.state;
		} else if (running) {
			u = undo_push(p, OP_SYNC_START);
			if (!u)
				NOMEM();
			u->dm = *running;
		}
		return 0;
	}

	case OP_HEALTH:
		/* for the daemon: the service must exist; no kernel step */
		if (!s)
			FAIL(-ENOENT, "health: no service %s", SVC_NAME);
		if (!s->hc)
			s->hc = malloc(sizeof(*s->hc));
		if (!s->hc)
			NOMEM();
		*s->hc = *op->hc;
		return 0;

	case OP_MG_BE:
		FAIL(-EINVAL, "backend state is no operation of the grammar");

	case OP_MG_SET:
		if (!s)
			FAIL(-ENOENT, "no service %s", SVC_NAME);
		if (!svc_conf_is_maglev(&s->c))
			FAIL(-EINVAL, "service %s uses scheduler %s, not maglev", SVC_NAME, s->c.sched);
		sc = op->sc;
		svc_conf_merge(&sc, &s->c);
		if (!svc_conf_cmp(&sc, &s->c, SC_MG_ALL))
			return 0;
		st = step_push(p, OP_MG_SET, idx);
		if (!st)
			NOMEM();
		st->svc = op->svc;
		st->sc = sc;
		u = undo_push(p, OP_MG_SET);
		if (!u)
			NOMEM();
		u->svc = op->svc;
		u->sc = s->c;
		s->c = sc;
		return 0;
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
