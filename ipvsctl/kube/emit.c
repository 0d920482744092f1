// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: from the front ends translate.c found, the winner of each
 * identity (translate.h says which), and its ops and nftables elements.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "base/array.h"
#include "kube/translate_int.h"

/* front ends by identity, then by kind (the winner first), then by service */
static int fe_cmp(const void *pa, const void *pb)
{
	const struct fe *a = pa, *b = pb;
	int c = svc_id_cmp(&a->id, &b->id);

	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->svc < b->svc ? -1 : a->svc > b->svc;
}

static int add_op(struct kube_out *o, struct op **opp)
{
	struct op *v = array_room(o->ops, o->nops, &o->ops_cap, sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	o->ops = v;
	*opp = &v[o->nops++];
	memset(*opp, 0, sizeof(**opp));
	(*opp)->file = "kube";
	return 0;
}

static int emit_ops(struct work *w, const struct fe *f)
{
	const struct kube_service *s = &w->svcs[f->svc];
	struct kube_out *o = w->out;
	struct op *op;
	size_t j;
	int err = add_op(o, &op);

	if (err)
		return err;
	op->kind = OP_SVC_ADD;
	op->svc = f->id;
	op->sc.set = SC_SCHED;
	snprintf(op->sc.sched, sizeof(op->sc.sched), "%s", w->node->sched);
	/* ClientIP affinity: persistence per client address (a full
	 * mask, as kube-proxy's)
	 */
	if (s->affinity_s) {
		op->sc.set |= SC_PERSIST | SC_NETMASK;
		op->sc.timeout = s->affinity_s;
		op->sc.netmask = f->id.af == AF_INET ? 0xffffffff : 128;
	}
	for (j = f->first; j < f->first + f->n; j++) {
		err = add_op(o, &op);
		if (err)
			return err;
		op->kind = OP_DEST_ADD;
		op->svc = f->id;
		op->dest = w->pool[j];
		op->dest_port_given = true;
		op->dc.set = DC_WEIGHT | DC_FWD;
		op->dc.weight = 1;
		op->dc.fwd = FWD_NAT;
	}
	return 0;
}

static bool has_range_of(const struct kube_service *s, int af)
{
	size_t i;

	for (i = 0; i < s->nranges; i++)
		if (s->source_ranges[i].ip.af == af)
			return true;
	return false;
}

/* the nftables elements of a winning front end */
static int emit_nft(struct work *w, const struct fe *f)
{
	const struct kube_service *s = &w->svcs[f->svc];
	struct kube_nft_elem e = { .proto = f->id.proto, .port = f->id.port, .svc = f->svc };
	int err;

	e.ip.af = f->id.af;
	memcpy(e.ip.a, f->id.addr, sizeof(e.ip.a));
	switch (f->kind) {
	case FE_CLUSTER:
		e.kind = KN_CLUSTER;
		return kt_add_nft(w, &e);
	case FE_NODEPORT:
		e.kind = f->local ? KN_NODEPORT_LOCAL : KN_NODEPORT;
		memset(e.ip.a, 0, sizeof(e.ip.a));
		break;
	case FE_LB:
	case FE_EXTERNAL:
		e.kind = f->local ? KN_EXTERNAL_LOCAL : KN_EXTERNAL;
		break;
	}
	err = kt_add_nft(w, &e);
	if (!err && f->kind == FE_LB && has_range_of(s, f->id.af)) {
		e.kind = KN_FIREWALL;
		err = kt_add_nft(w, &e);
	}
	if (!err && f->local) {
		e.kind = KN_SHORTCUT;
		e.to = *f->cip;
		e.to_port = f->cport;
		err = kt_add_nft(w, &e);
	}
	return err;
}

static bool is_nodeport_mark(const struct fe *f)
{
	static const uint8_t zero[16];

	return f->kind == FE_NODEPORT && !memcmp(f->id.addr, zero, sizeof(zero));
}

int kt_emit(struct work *w)
{
	size_t i, win = 0;
	int err;

	qsort(w->fes, w->nfes, sizeof(*w->fes), fe_cmp);
	for (i = 0; i < w->nfes; i++) {
		const struct fe *f = &w->fes[i];

		if (i && svc_id_eq(&w->fes[win].id, &f->id)) {
			/* lost to the winner: counted if another Service's */
			if (w->fes[win].svc != f->svc && !is_nodeport_mark(f))
				w->out->conflicts++;
			continue;
		}
		win = i;
		err = is_nodeport_mark(f) ? 0 : emit_ops(w, f);
		/* a node port's elements come with its all-zero mark, once
		 * per family; the addresses' front ends make none
		 */
		if (!err && (f->kind != FE_NODEPORT || is_nodeport_mark(f)))
			err = emit_nft(w, f);
		if (err)
			return err;
	}
	return 0;
}

/* elements by kind, address, protocol, port; then by service, so that
 * the first of a duplicate is the first Service's
 */
static int nft_cmp(const void *pa, const void *pb)
{
	const struct kube_nft_elem *a = pa, *b = pb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = kt_ip_cmp(&a->ip, &b->ip);
	if (!c && a->proto != b->proto)
		c = a->proto < b->proto ? -1 : 1;
	if (!c && a->port != b->port)
		c = a->port < b->port ? -1 : 1;
	if (!c && a->svc != b->svc)
		c = a->svc < b->svc ? -1 : 1;
	return c;
}

static bool nft_same(const struct kube_nft_elem *a, const struct kube_nft_elem *b)
{
	return a->kind == b->kind && a->proto == b->proto && a->port == b->port &&
	       !kt_ip_cmp(&a->ip, &b->ip);
}

static int vip_cmp(const void *a, const void *b)
{
	return kt_ip_cmp(a, b);
}

void kt_tidy(struct kube_out *out)
{
	size_t i, j;

	if (out->nvips) {
		qsort(out->vips, out->nvips, sizeof(*out->vips), vip_cmp);
		for (i = 1, j = 1; i < out->nvips; i++)
			if (kt_ip_cmp(&out->vips[i], &out->vips[j - 1]))
				out->vips[j++] = out->vips[i];
		out->nvips = j;
	}
	if (out->nnft) {
		qsort(out->nft, out->nnft, sizeof(*out->nft), nft_cmp);
		for (i = 1, j = 1; i < out->nnft; i++)
			if (!nft_same(&out->nft[i], &out->nft[j - 1]))
				out->nft[j++] = out->nft[i];
		out->nnft = j;
	}
}

