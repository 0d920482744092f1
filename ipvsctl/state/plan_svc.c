// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the planners of services and their maglev parameters: add,
 * edit (a scheduler change included), del, flush and maglev set (see
 * plan_internal.h).
 */
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/addr.h"
#include "state/plan_internal.h"

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

/* maglev parameters given for a service whose scheduler is not maglev */
static int check_mg_words(const struct bctx *b, const struct svc_conf *sc)
{
	char name[96];

	if ((b->op->sc.set & SC_MG_ALL) && !svc_conf_is_maglev(sc))
		FAIL(-EINVAL, "service %s: table-size, hash, slow-start and pin are maglev parameters, and the scheduler is %s",
		     SVC_NAME, sc->sched);
	return 0;
}

int plan_svc_add(struct bctx *b)
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

int plan_svc_edit(struct bctx *b)
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

int plan_svc_del(struct bctx *b)
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

int plan_flush(struct bctx *b)
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

int plan_mg_set(struct bctx *b)
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
