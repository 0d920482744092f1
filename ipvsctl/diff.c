// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: model_diff() (see diff.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

struct oplist {
	struct op *v;
	size_t n, cap;
};

static struct op *op_push(struct oplist *l, enum op_kind kind, const struct svc_id *id)
{
	struct op *o;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct op *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	o = &l->v[l->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->svc = *id;
	return o;
}

static bool is_maglev(const struct svc_conf *c)
{
	return !strcmp(c->sched, "maglev");
}

/* every field of a conf, as given */
static void full_svc(struct op *o, const struct svc_conf *c)
{
	o->sc = *c;
	o->sc.set = SC_SCHED | SC_FLAGS | SC_PERSIST | SC_NETMASK | SC_OPS | SC_PE;
	if (is_maglev(c))
		o->sc.set |= SC_MG_ALL;
}

static void full_dest(struct op *o, const struct m_dest *d)
{
	o->dest = d->ap;
	o->dest_port_given = true;
	o->dc = d->c;
	o->dc.set = DC_WEIGHT | DC_FWD | DC_UTHRESH | DC_LTHRESH | DC_TUN_TYPE |
		    DC_TUN_PORT | DC_TUN_FLAGS;
}

static bool svc_conf_differs(const struct svc_conf *a, const struct svc_conf *b)
{
	if (strcmp(a->sched, b->sched) || a->flags != b->flags || a->timeout != b->timeout ||
	    a->netmask != b->netmask || strcmp(a->pe, b->pe))
		return true;
	if (!is_maglev(a))
		return false;
	return a->mg_table_size != b->mg_table_size || a->mg_hash != b->mg_hash ||
	       a->ss_window_ms != b->ss_window_ms || a->ss_aggr != b->ss_aggr ||
	       a->ss_min_pct != b->ss_min_pct || a->pin != b->pin || a->pin_max != b->pin_max;
}

static bool dest_conf_differs(const struct dest_conf *a, const struct dest_conf *b)
{
	if (a->weight != b->weight || a->fwd != b->fwd || a->u_thresh != b->u_thresh ||
	    a->l_thresh != b->l_thresh)
		return true;
	return a->fwd == FWD_TUN && (a->tun_type != b->tun_type || a->tun_port != b->tun_port ||
				     a->tun_flags != b->tun_flags);
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

			if (cd && !dest_conf_differs(&cd->c, &ws->dests[j].c))
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
