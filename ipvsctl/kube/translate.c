// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: Services and EndpointSlices -> IPVS, addresses, nftables
 * elements (see translate.h).
 *
 * Per Service, per address family (a family is served only where the
 * Service has a cluster IP of it, as kube-proxy's per-family proxiers
 * do), per port:
 *  - endpoints: those of the Service's slices of that family whose port
 *    of the same name and protocol has a number; an address listed by two
 *    slices (a slice being replaced) is one endpoint, ready, serving and
 *    local if either listing says so;
 *  - the cluster set: ready endpoints, or if none is ready, those serving
 *    while terminating; the local set: the same among this node's
 *    (kube-proxy's CategorizeEndpoints, without topology hints);
 *  - front ends: the cluster IP (internal policy), each external and
 *    load-balancer IP and each node-port address (external policy), each
 *    an IPVS service with the set its policy picks, weight 1, NAT.
 * Front ends are then sorted, the winner of each identity decided
 * (translate.h), and the ops and nftables elements made from the winners.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "base/array.h"
#include "kube/translate_int.h"

int kt_ip_cmp(const struct kube_ip *a, const struct kube_ip *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16);
}

static int vip_cmp(const void *a, const void *b)
{
	return kt_ip_cmp(a, b);
}

static void ip_of(struct kube_ip *ip, const struct addr_port *ap)
{
	memset(ip, 0, sizeof(*ip));
	ip->af = ap->af;
	memcpy(ip->a, ap->addr, sizeof(ip->a));
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

static int ep_cmp(const void *a, const void *b)
{
	return addr_port_cmp(&((const struct ep *)a)->ap, &((const struct ep *)b)->ap);
}

static int add_ep(struct work *w, const struct kube_endpoint *e, uint16_t port)
{
	struct ep *v = array_room(w->eps, w->neps, &w->eps_cap, sizeof(*v), 16), *x;

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
	x->local = e->local;
	return 0;
}

/* the endpoints of @p, family @af, from the service's slices: sorted,
 * an address listed twice merged (n log n, for services of thousands)
 */
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
	if (w->neps < 2)
		return 0;
	qsort(w->eps, w->neps, sizeof(*w->eps), ep_cmp);
	for (i = 1, j = 0; i < w->neps; i++) {
		struct ep *x = &w->eps[j], *y = &w->eps[i];

		if (addr_port_eq(&x->ap, &y->ap)) {
			x->ready |= y->ready;
			x->serving |= y->serving;
			x->terminating &= y->terminating;
			x->local |= y->local;
		} else {
			w->eps[++j] = *y;
		}
	}
	w->neps = j + 1;
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

static int add_fe(struct work *w, const struct fe *f)
{
	struct fe *v = array_room(w->fes, w->nfes, &w->fes_cap, sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	w->fes = v;
	v[w->nfes++] = *f;
	return 0;
}

int kt_add_nft(struct work *w, const struct kube_nft_elem *e)
{
	struct kube_out *o = w->out;
	struct kube_nft_elem *v = array_room(o->nft, o->nnft, &o->nft_cap, sizeof(*v), 64);

	if (!v)
		return -ENOMEM;
	o->nft = v;
	v[o->nnft++] = *e;
	return 0;
}

static int add_ip(struct kube_ip **v, size_t *n, size_t *cap, const struct kube_ip *ip)
{
	struct kube_ip *nv = array_room(*v, *n, cap, sizeof(*nv), 16);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = *ip;
	return 0;
}

/* hairpin elements: the port's local endpoints that a set may pick
 * (they may reach themselves through the Service)
 */
static int hairpins(struct work *w, size_t svc, int proto)
{
	struct kube_nft_elem e;
	size_t i;
	int err;

	for (i = 0; i < w->neps; i++) {
		if (!w->eps[i].local ||
		    !(w->eps[i].ready || (w->eps[i].serving && w->eps[i].terminating)))
			continue;
		memset(&e, 0, sizeof(e));
		e.kind = KN_HAIRPIN;
		ip_of(&e.ip, &w->eps[i].ap);
		e.proto = proto;
		e.port = w->eps[i].ap.port;
		e.svc = svc;
		err = kt_add_nft(w, &e);
		if (err)
			return err;
	}
	return 0;
}

/* this port's local ready addresses, for the health check's count */
static int hc_collect(struct work *w)
{
	struct kube_ip ip;
	size_t i;
	int err;

	for (i = 0; i < w->neps; i++) {
		if (!w->eps[i].local || !w->eps[i].ready)
			continue;
		ip_of(&ip, &w->eps[i].ap);
		err = add_ip(&w->hc_ips, &w->nhc, &w->hc_cap, &ip);
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
		    const struct kube_svc_port *p)
{
	const struct kube_service *s = &w->svcs[si];
	const struct kube_node_conf *node = w->node;
	bool ext_local = s->etp_local && externally_accessible(s);
	struct fe f = { .svc = si, .cip = cip, .cport = p->port };
	size_t cfirst, lfirst, i;
	long nc, nl;
	int err = 0;

	nc = pick(w, false, &cfirst);
	nl = nc < 0 ? nc : pick(w, true, &lfirst);
	if (nl < 0)
		return -ENOMEM;
	if (!nl && s->itp_local)
		w->no_local_int = true;
	if (!nl && ext_local)
		w->no_local_ext = true;

	f.id.af = cip->af;
	f.id.proto = p->proto;
	f.kind = FE_CLUSTER;
	memcpy(f.id.addr, cip->a, sizeof(f.id.addr));
	f.id.port = p->port;
	f.first = s->itp_local ? lfirst : cfirst;
	f.n = (size_t)(s->itp_local ? nl : nc);
	err = add_fe(w, &f);

	f.local = ext_local;
	f.first = ext_local ? lfirst : cfirst;
	f.n = (size_t)(ext_local ? nl : nc);
	for (i = 0; !err && i < s->nexternal + s->nlb; i++) {
		const struct kube_ip *ip = i < s->nexternal ? &s->external_ips[i] :
					   &s->lb_ips[i - s->nexternal];

		if (ip->af != cip->af)
			continue;
		f.kind = i < s->nexternal ? FE_EXTERNAL : FE_LB;
		memcpy(f.id.addr, ip->a, sizeof(f.id.addr));
		err = add_fe(w, &f);
	}
	if (p->node_port && s->type != KUBE_CLUSTER_IP) {
		f.kind = FE_NODEPORT;
		f.id.port = p->node_port;
		for (i = 0; !err && i < node->n_nodeport_ips; i++) {
			if (node->nodeport_ips[i].af != cip->af)
				continue;
			memcpy(f.id.addr, node->nodeport_ips[i].a, sizeof(f.id.addr));
			err = add_fe(w, &f);
		}
		/* the nftables elements of a node port come with one front
		 * end of its family, even with no node address given: one
		 * with an all-zero address stands for them (emit())
		 */
		if (!err) {
			memset(f.id.addr, 0, sizeof(f.id.addr));
			f.n = 0;
			err = add_fe(w, &f);
		}
	}
	if (!err)
		err = hairpins(w, si, p->proto);
	if (!err)
		err = hc_collect(w);
	return err;
}

static int vip_add(struct work *w, const struct kube_ip *ip)
{
	struct kube_out *o = w->out;

	return add_ip(&o->vips, &o->nvips, &o->vips_cap, ip);
}

static int hc_add(struct work *w, const struct kube_service *s)
{
	struct kube_out *o = w->out;
	struct kube_hc *v;
	size_t i, n = 0;

	if (w->nhc)
		qsort(w->hc_ips, w->nhc, sizeof(*w->hc_ips), vip_cmp);
	for (i = 0; i < w->nhc; i++)
		n += !i || kt_ip_cmp(&w->hc_ips[i], &w->hc_ips[i - 1]);
	v = array_room(o->hcs, o->nhcs, &o->hcs_cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	o->hcs = v;
	memset(&v[o->nhcs], 0, sizeof(v[o->nhcs]));
	v[o->nhcs].port = s->hc_node_port;
	memcpy(v[o->nhcs].ns, s->ns, sizeof(s->ns));
	memcpy(v[o->nhcs].name, s->name, sizeof(s->name));
	v[o->nhcs].local_ready = n;
	o->nhcs++;
	return 0;
}

static int one_service(struct work *w, size_t si, const struct kube_slice *const *sl, size_t nsl)
{
	const struct kube_service *s = &w->svcs[si];
	size_t f, i;
	int err = 0;

	w->nhc = 0;
	w->no_local_int = w->no_local_ext = false;
	for (f = 0; !err && f < s->ncluster; f++) {
		const struct kube_ip *cip = &s->cluster_ips[f];

		err = vip_add(w, cip);
		for (i = 0; !err && i < s->nexternal + s->nlb; i++) {
			const struct kube_ip *ip = i < s->nexternal ? &s->external_ips[i] :
						   &s->lb_ips[i - s->nexternal];

			if (ip->af == cip->af)
				err = vip_add(w, ip);
		}
		for (i = 0; !err && i < s->nports; i++) {
			err = gather(w, sl, nsl, cip->af, &s->ports[i]);
			if (!err)
				err = one_port(w, si, cip, &s->ports[i]);
		}
	}
	if (err)
		return err;
	if (s->ncluster && s->nports)
		w->out->services++;
	w->out->no_local_int += w->no_local_int;
	w->out->no_local_ext += w->no_local_ext;
	/* the health check answers for the load balancer */
	if (s->hc_node_port && s->type == KUBE_LOAD_BALANCER && s->etp_local)
		err = hc_add(w, s);
	return err;
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
	size_t i, first, n;
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
		err = kt_emit(&w);
	if (!err)
		kt_tidy(out);
	free(sorted);
	free(w.eps);
	free(w.pool);
	free(w.fes);
	free(w.hc_ips);
	if (err)
		kube_out_free(out);
	return err;
}
