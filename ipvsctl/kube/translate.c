// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: Services and EndpointSlices -> IPVS, addresses, nftables
 * elements (see translate.h).
 *
 * Per Service, per address family (a family is served only where the
 * Service has a cluster IP of it, as kube-proxy's per-family proxiers
 * do), per port:
 *  - endpoints: those of the Service's slices of that family whose port
 *    of the same name and protocol has a number; an address listed twice
 *    is one endpoint, ready if any listing says so;
 *  - the cluster set: ready endpoints, or if none is ready, those serving
 *    while terminating; the local set: the same among this node's
 *    (kube-proxy's CategorizeEndpoints, without topology hints);
 *  - front ends: the cluster IP (internal policy), each external and
 *    load-balancer IP and each node-port address (external policy), each
 *    an IPVS service with the set its policy picks, weight 1, NAT.
 * Two Services claiming one front end (external IPs are not checked by
 * the API server): the first in the order given keeps it (the cache gives
 * namespace/name order), and the claim is counted (kube_out.conflicts).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "base/array.h"
#include "kube/translate.h"

/* a candidate endpoint of one port, one family */
struct ep {
	struct addr_port ap;
	bool ready, serving, terminating, local;
};

/* a front end waiting to be emitted, with the backends it gets */
struct fe {
	struct svc_id id;
	size_t svc;
	uint32_t affinity_s;
	size_t first, n;	/* its backends in the pool */
};

struct work {
	const struct kube_node_conf *node;
	const struct kube_service *svcs;
	struct kube_out *out;
	struct ep *eps;			/* the current port's endpoints */
	size_t neps, eps_cap;
	struct addr_port *pool;		/* every front end's backends */
	size_t npool, pool_cap;
	struct fe *fes;
	size_t nfes, fes_cap;
};

static int ip_cmp(const struct kube_ip *a, const struct kube_ip *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16);
}

/* ---- slices by service ----------------------------------------------------- */

static int slice_cmp(const void *pa, const void *pb)
{
	const struct kube_slice *a = *(const struct kube_slice *const *)pa;
	const struct kube_slice *b = *(const struct kube_slice *const *)pb;
	int c = strcmp(a->ns, b->ns);

	if (!c)
		c = strcmp(a->service, b->service);
	return c ? c : strcmp(a->name, b->name);
}

/* the first of @v (sorted) whose service is ns/name, and how many */
static size_t slices_of(const struct kube_slice **v, size_t n, const char *ns, const char *name,
			size_t *count)
{
	size_t lo = 0, hi = n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid]->ns, ns);

		if (!c)
			c = strcmp(v[mid]->service, name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < n && !strcmp(v[i]->ns, ns) && !strcmp(v[i]->service, name); i++)
		;
	*count = i - lo;
	return lo;
}

/* ---- endpoints --------------------------------------------------------------------- */

static int add_ep(struct work *w, const struct kube_endpoint *e, uint16_t port)
{
	struct ep *x, *v;
	size_t i;

	for (i = 0; i < w->neps; i++) {
		x = &w->eps[i];
		if (x->ap.port == port && !memcmp(x->ap.addr, e->ip.a, sizeof(e->ip.a))) {
			x->ready |= e->ready;
			x->serving |= e->serving;
			x->terminating &= e->terminating;
			return 0;
		}
	}
	v = array_room(w->eps, w->neps, &w->eps_cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	w->eps = v;
	x = &v[w->neps++];
	memset(x, 0, sizeof(*x));
	x->ap.af = e->ip.af;
	memcpy(x->ap.addr, e->ip.a, sizeof(x->ap.addr));
	x->ap.port = port;
	x->ready = e->ready;
	x->serving = e->serving;
	x->terminating = e->terminating;
	x->local = e->node[0] && !strcmp(e->node, w->node->name);
	return 0;
}

/* the endpoints of @p, family @af, from the service's slices */
static int gather(struct work *w, const struct kube_slice *const *sl, size_t nsl, int af,
		  const struct kube_svc_port *p)
{
	size_t i, j, k;
	int err;

	w->neps = 0;
	for (i = 0; i < nsl; i++) {
		const struct kube_slice *s = sl[i];

		if (s->af != af)
			continue;
		for (j = 0; j < s->nports; j++) {
			const struct kube_slice_port *sp = &s->ports[j];

			if (!sp->port || sp->proto != p->proto || strcmp(sp->name, p->name))
				continue;
			for (k = 0; k < s->neps; k++) {
				err = add_ep(w, &s->eps[k], sp->port);
				if (err)
					return err;
			}
			break;
		}
	}
	return 0;
}

/*
 * Pick the set a front end gets (@local: this node's only) into the pool:
 * the ready ones; if none is ready, those serving while terminating.
 * Returns how many, or -ENOMEM; *first is where they start.
 */
static long pick(struct work *w, bool local, size_t *first)
{
	bool any_ready = false;
	size_t i, n = 0;

	for (i = 0; i < w->neps; i++)
		if (w->eps[i].ready && (!local || w->eps[i].local))
			any_ready = true;
	*first = w->npool;
	for (i = 0; i < w->neps; i++) {
		const struct ep *e = &w->eps[i];
		struct addr_port *v;

		if (local && !e->local)
			continue;
		if (any_ready ? !e->ready : !(e->serving && e->terminating))
			continue;
		v = array_room(w->pool, w->npool, &w->pool_cap, sizeof(*v), 64);
		if (!v)
			return -ENOMEM;
		w->pool = v;
		w->pool[w->npool++] = e->ap;
		n++;
	}
	return (long)n;
}

/* ---- what goes out ----------------------------------------------------------- */

static int add_fe(struct work *w, size_t svc, int af, const struct kube_ip *ip, int proto,
		  uint16_t port, size_t first, size_t n)
{
	struct fe *v = array_room(w->fes, w->nfes, &w->fes_cap, sizeof(*v), 64), *f;

	if (!v)
		return -ENOMEM;
	w->fes = v;
	f = &v[w->nfes++];
	memset(f, 0, sizeof(*f));
	f->id.af = af;
	f->id.proto = proto;
	memcpy(f->id.addr, ip->a, sizeof(f->id.addr));
	f->id.port = port;
	f->svc = svc;
	f->affinity_s = w->svcs[svc].affinity_s;
	f->first = first;
	f->n = n;
	return 0;
}

static int add_nft(struct work *w, enum kube_nft_kind kind, const struct kube_ip *ip, int proto,
		   uint16_t port, size_t svc)
{
	struct kube_out *o = w->out;
	struct kube_nft_elem *v = array_room(o->nft, o->nnft, &o->nft_cap, sizeof(*v), 64), *e;

	if (!v)
		return -ENOMEM;
	o->nft = v;
	e = &v[o->nnft++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	if (ip)
		e->ip = *ip;
	e->proto = proto;
	e->port = port;
	e->svc = svc;
	return 0;
}

static int add_vip(struct work *w, const struct kube_ip *ip)
{
	struct kube_out *o = w->out;
	struct kube_ip *v = array_room(o->vips, o->nvips, &o->vips_cap, sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	o->vips = v;
	v[o->nvips++] = *ip;
	return 0;
}

/* the hairpin elements of the local endpoints among pool[first, first+n) */
static int hairpins(struct work *w, size_t svc, int proto, size_t first, size_t n)
{
	size_t i, j;
	int err;

	for (i = first; i < first + n; i++) {
		struct kube_ip ip = { .af = w->pool[i].af };

		for (j = 0; j < w->neps; j++)
			if (w->eps[j].local && addr_port_eq(&w->eps[j].ap, &w->pool[i]))
				break;
		if (j == w->neps)
			continue;
		memcpy(ip.a, w->pool[i].addr, sizeof(ip.a));
		err = add_nft(w, KN_HAIRPIN, &ip, proto, w->pool[i].port, svc);
		if (err)
			return err;
	}
	return 0;
}

static bool externally_accessible(const struct kube_service *s)
{
	return s->type != KUBE_CLUSTER_IP || s->nexternal || s->nlb;
}

/* Every front end of port @p of service @si in family @af. */
static int one_port(struct work *w, size_t si, const struct kube_ip *cip,
		    const struct kube_svc_port *p, bool *no_local)
{
	const struct kube_service *s = &w->svcs[si];
	const struct kube_node_conf *node = w->node;
	bool ext_local = s->etp_local && externally_accessible(s);
	size_t cfirst, lfirst, efirst, ifirst, i;
	long nc, nl, ne, ni;
	int err = 0;

	nc = pick(w, false, &cfirst);
	nl = nc < 0 ? nc : pick(w, true, &lfirst);
	if (nl < 0)
		return -ENOMEM;
	if ((ext_local || s->itp_local) && !nl)
		*no_local = true;
	ifirst = s->itp_local ? lfirst : cfirst;
	ni = s->itp_local ? nl : nc;
	efirst = ext_local ? lfirst : cfirst;
	ne = ext_local ? nl : nc;

	err = add_fe(w, si, cip->af, cip, p->proto, p->port, ifirst, (size_t)ni);
	if (!err)
		err = add_nft(w, KN_CLUSTER, cip, p->proto, p->port, si);
	for (i = 0; !err && i < s->nexternal + s->nlb; i++) {
		const struct kube_ip *ip = i < s->nexternal ? &s->external_ips[i] :
					   &s->lb_ips[i - s->nexternal];

		if (ip->af != cip->af)
			continue;
		err = add_fe(w, si, ip->af, ip, p->proto, p->port, efirst, (size_t)ne);
		if (!err)
			err = add_nft(w, ext_local ? KN_EXTERNAL_LOCAL : KN_EXTERNAL, ip, p->proto,
				      p->port, si);
		if (!err && i >= s->nexternal && s->nranges)
			err = add_nft(w, KN_FIREWALL, ip, p->proto, p->port, si);
	}
	if (p->node_port && s->type != KUBE_CLUSTER_IP) {
		for (i = 0; !err && i < node->n_nodeport_ips; i++)
			if (node->nodeport_ips[i].af == cip->af)
				err = add_fe(w, si, cip->af, &node->nodeport_ips[i], p->proto,
					     p->node_port, efirst, (size_t)ne);
		/* node ports are matched by protocol and port alone: once */
		if (!err && cip == &s->cluster_ips[0])
			err = add_nft(w, ext_local ? KN_NODEPORT_LOCAL : KN_NODEPORT, NULL, p->proto,
				      p->node_port, si);
	}
	if (!err)
		err = hairpins(w, si, p->proto, cfirst, (size_t)nc);
	if (!err)
		err = hairpins(w, si, p->proto, lfirst, (size_t)nl);
	return err;
}

static int one_service(struct work *w, size_t si, const struct kube_slice *const *sl, size_t nsl)
{
	const struct kube_service *s = &w->svcs[si];
	bool no_local = false;
	size_t f, i, nready = 0;
	int err;

	for (f = 0; f < s->ncluster; f++) {
		const struct kube_ip *cip = &s->cluster_ips[f];

		err = add_vip(w, cip);
		for (i = 0; !err && i < s->nexternal + s->nlb; i++) {
			const struct kube_ip *ip = i < s->nexternal ? &s->external_ips[i] :
						   &s->lb_ips[i - s->nexternal];

			if (ip->af == cip->af)
				err = add_vip(w, ip);
		}
		for (i = 0; !err && i < s->nports; i++) {
			err = gather(w, sl, nsl, cip->af, &s->ports[i]);
			if (!err)
				err = one_port(w, si, cip, &s->ports[i], &no_local);
		}
		if (err)
			return err;
	}
	if (s->ncluster && s->nports)
		w->out->services++;
	if (no_local)
		w->out->no_local++;
	/* the health check answers for the load balancer: this node's
	 * ready endpoints, counted by address over every port and family
	 */
	if (s->hc_node_port && s->type == KUBE_LOAD_BALANCER && s->etp_local) {
		struct kube_out *o = w->out;
		struct kube_hc *v;

		for (f = 0; f < nsl; f++)
			for (i = 0; i < sl[f]->neps; i++) {
				const struct kube_endpoint *e = &sl[f]->eps[i];
				size_t g, h;
				bool seen = false;

				if (!e->ready || strcmp(e->node, w->node->name))
					continue;
				/* distinct addresses: seen in an earlier listing? */
				for (g = 0; g <= f && !seen; g++)
					for (h = 0; h < (g < f ? sl[g]->neps : i) && !seen; h++)
						seen = sl[g]->eps[h].ready &&
						       !strcmp(sl[g]->eps[h].node, w->node->name) &&
						       !ip_cmp(&sl[g]->eps[h].ip, &e->ip);
				if (!seen)
					nready++;
			}
		v = array_room(o->hcs, o->nhcs, &o->hcs_cap, sizeof(*v), 16);
		if (!v)
			return -ENOMEM;
		o->hcs = v;
		v[o->nhcs].port = s->hc_node_port;
		v[o->nhcs].svc = si;
		v[o->nhcs].local_ready = nready;
		o->nhcs++;
	}
	return 0;
}

/* front ends in identity order; a claim by two Services: by service order */
static int fe_cmp(const void *pa, const void *pb)
{
	const struct fe *a = pa, *b = pb;
	int c = svc_id_cmp(&a->id, &b->id);

	if (c)
		return c;
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

static int emit(struct work *w)
{
	struct kube_out *o = w->out;
	size_t i, j;
	struct op *op;
	int err;

	qsort(w->fes, w->nfes, sizeof(*w->fes), fe_cmp);
	for (i = 0; i < w->nfes; i++) {
		const struct fe *f = &w->fes[i];

		if (i && svc_id_eq(&w->fes[i - 1].id, &f->id)) {
			/* claimed by an earlier Service (or twice by one) */
			if (w->fes[i - 1].svc != f->svc)
				o->conflicts++;
			continue;
		}
		err = add_op(o, &op);
		if (err)
			return err;
		op->kind = OP_SVC_ADD;
		op->svc = f->id;
		op->sc.set = SC_SCHED;
		snprintf(op->sc.sched, sizeof(op->sc.sched), "%s", w->node->sched);
		/* ClientIP affinity: persistence per client address (a
		 * full mask, as kube-proxy's)
		 */
		if (f->affinity_s) {
			op->sc.set |= SC_PERSIST | SC_NETMASK;
			op->sc.timeout = f->affinity_s;
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
	}
	return 0;
}

static int vip_cmp(const void *a, const void *b)
{
	return ip_cmp(a, b);
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
	c = a->ip.af || b->ip.af ? ip_cmp(&a->ip, &b->ip) : 0;
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
	       (!(a->ip.af || b->ip.af) || !ip_cmp(&a->ip, &b->ip));
}

void kube_out_free(struct kube_out *out)
{
	free(out->ops);
	free(out->vips);
	free(out->nft);
	free(out->hcs);
	memset(out, 0, sizeof(*out));
}

int kube_translate(const struct kube_node_conf *node, const struct kube_service *svcs,
		   size_t nsvcs, const struct kube_slice *slices, size_t nslices,
		   struct kube_out *out)
{
	struct work w = { .node = node, .svcs = svcs, .out = out };
	const struct kube_slice **sorted;
	size_t i, j, first, n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	sorted = calloc(nslices + 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < nslices; i++)
		sorted[i] = &slices[i];
	qsort(sorted, nslices, sizeof(*sorted), slice_cmp);
	for (i = 0; !err && i < nsvcs; i++) {
		first = slices_of(sorted, nslices, svcs[i].ns, svcs[i].name, &n);
		err = one_service(&w, i, sorted + first, n);
	}
	if (!err)
		err = emit(&w);
	if (!err && out->nvips) {
		qsort(out->vips, out->nvips, sizeof(*out->vips), vip_cmp);
		for (i = 1, j = 1; i < out->nvips; i++)
			if (ip_cmp(&out->vips[i], &out->vips[j - 1]))
				out->vips[j++] = out->vips[i];
		out->nvips = j;
	}
	if (!err && out->nnft) {
		qsort(out->nft, out->nnft, sizeof(*out->nft), nft_cmp);
		for (i = 1, j = 1; i < out->nnft; i++)
			if (!nft_same(&out->nft[i], &out->nft[j - 1]))
				out->nft[j++] = out->nft[i];
		out->nnft = j;
	}
	free(sorted);
	free(w.eps);
	free(w.pool);
	free(w.fes);
	if (err)
		kube_out_free(out);
	return err;
}
