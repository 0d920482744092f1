// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: model_diff() (see diff.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "model/addr.h"
#include "state/diff.h"
#include "state/policy.h"

struct oplist {
	struct op *v;
	size_t n, cap;
};

static struct op *op_push(struct oplist *l, enum op_kind kind, const struct svc_id *id)
{
	struct op *o;

	o = array_room(l->v, l->n, &l->cap, sizeof(*o), 64);
	if (!o)
		return NULL;
	l->v = o;
	o = &l->v[l->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->svc = *id;
	return o;
}

/* every field of a conf, as given */
static void full_svc(struct op *o, const struct svc_conf *c)
{
	o->sc = *c;
	o->sc.set = SC_IPVS_ALL;
	if (svc_conf_is_maglev(c))
		o->sc.set |= SC_MG_ALL;
}

static void full_dest(struct op *o, const struct m_dest *d)
{
	o->dest = d->ap;
	o->dest_port_given = true;
	o->dc = d->c;
	o->dc.set = DC_ALL;
}

/* maglev's parameters count where the wanted scheduler is maglev */
static bool svc_conf_differs(const struct svc_conf *want, const struct svc_conf *cur)
{
	return svc_conf_cmp(want, cur, SC_IPVS_ALL | (svc_conf_is_maglev(want) ? SC_MG_ALL : 0));
}

int model_diff(const struct model *cur, const struct model *want,
	       diff_scope_fn in_scope, void *arg, struct op **ops, size_t *n)
{
	struct model *c = (struct model *)cur;	/* lookups only */
	struct oplist l = { 0 };
	struct m_svc *cs;
	size_t i, j;
	struct op *o;

	/* new services first, whole */
	for (i = 0; i < want->n; i++) {
		const struct m_svc *ws = &want->svcs[i];

		if (model_find(c, &ws->id))
			continue;
		o = op_push(&l, OP_SVC_ADD, &ws->id);
		if (!o)
			goto nomem;
		full_svc(o, &ws->c);
		for (j = 0; j < ws->ndests; j++) {
			o = op_push(&l, OP_DEST_ADD, &ws->id);
			if (!o)
				goto nomem;
			full_dest(o, &ws->dests[j]);
		}
	}
	/* services in both: their parameters, then their backends */
	for (i = 0; i < want->n; i++) {
		const struct m_svc *ws = &want->svcs[i];

		cs = model_find(c, &ws->id);
		if (!cs)
			continue;
		if (svc_conf_differs(&ws->c, &cs->c)) {
			o = op_push(&l, OP_SVC_EDIT, &ws->id);
			if (!o)
				goto nomem;
			full_svc(o, &ws->c);
		}
		for (j = 0; j < ws->ndests; j++) {
			struct m_dest *cd = svc_find_dest(cs, &ws->dests[j].ap);

			if (cd && !dest_conf_cmp(&cd->c, &ws->dests[j].c, DC_ALL))
				continue;
			o = op_push(&l, cd ? OP_DEST_EDIT : OP_DEST_ADD, &ws->id);
			if (!o)
				goto nomem;
			full_dest(o, &ws->dests[j]);
		}
		for (j = 0; j < cs->ndests; j++) {
			if (svc_find_dest((struct m_svc *)ws, &cs->dests[j].ap))
				continue;
			o = op_push(&l, OP_DEST_DEL, &ws->id);
			if (!o)
				goto nomem;
			o->dest = cs->dests[j].ap;
			o->dest_port_given = true;
		}
	}
	/* managed services no longer wanted */
	for (i = 0; in_scope && i < cur->n; i++) {
		const struct m_svc *s = &cur->svcs[i];

		if (model_find((struct model *)want, &s->id) || !in_scope(s, arg))
			continue;
		o = op_push(&l, OP_SVC_DEL, &s->id);
		if (!o)
			goto nomem;
	}
	*ops = l.v;
	*n = l.n;
	return 0;
nomem:
	free(l.v);
	return -ENOMEM;
}

/* ---- graceful termination ---------------------------------------------------- */

void keep_operator_drains(struct model *want, const struct model *cur)
{
	size_t i, j;

	for (i = 0; i < cur->n; i++) {
		const struct m_svc *cs = &cur->svcs[i];
		struct m_svc *s = model_find(want, &cs->id);

		for (j = 0; s && j < cs->ndests; j++) {
			struct m_dest *dd = svc_find_dest(s, &cs->dests[j].ap);
			struct be_want bw;

			if (!dd)
				continue;
			be_decide(&(struct be_in){ .conf = &dd->c, .cur = &cs->dests[j],
						   .maglev = svc_conf_is_maglev(&cs->c) }, &bw);
			dd->c.weight = bw.c.weight;
		}
	}
}

int leave_adjust(struct model *want, const struct model *cur, const struct leave_opts *o,
		 struct leave_result *r)
{
	size_t i, j;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < cur->n; i++) {
		const struct m_svc *cs = &cur->svcs[i];
		struct m_svc *ws = model_find(want, &cs->id);
		bool maglev = svc_conf_is_maglev(&cs->c);

		if (!ws)
			continue;	/* the whole service goes (or is not managed) */
		for (j = 0; j < cs->ndests; j++) {
			const struct m_dest *cd = &cs->dests[j];
			struct m_dest *wd;
			struct leaver *lv, *v;
			enum be_leave how;

			if (svc_find_dest(ws, &cd->ap))
				continue;	/* still wanted */
			how = be_leave_decide(cd, maglev, o->timeout_s, o->now_s);
			switch (how) {
			case BE_LEAVE_DELETE_IDLE:
				r->deleted_idle++;
				continue;
			case BE_LEAVE_DELETE_EXPIRED:
				r->deleted_expired++;
				continue;
			case BE_LEAVE_DRAIN_START:
			case BE_LEAVE_DRAINING:
				break;
			}
			v = array_room(r->v, r->n, &r->cap, sizeof(*v), 16);
			if (!v)
				goto nomem;
			r->v = v;
			wd = svc_add_dest(ws, &cd->ap);
			if (!wd)
				goto nomem;
			wd->c = cd->c;
			wd->c.weight = 0;
			lv = &r->v[r->n++];
			memset(lv, 0, sizeof(*lv));
			lv->svc = cs->id;
			lv->ap = cd->ap;
			lv->maglev = maglev;
			lv->start = how == BE_LEAVE_DRAIN_START;
			lv->deadline = !maglev ? 0 : lv->start ? o->now_s + o->timeout_s :
				       cd->mg.drain_deadline;
		}
	}
	return 0;
nomem:
	free(r->v);
	memset(r, 0, sizeof(*r));
	return -ENOMEM;
}
