// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: stale UDP conntrack entries (stale.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "kube/stale.h"

/* a UDP front end's real server, or the front end itself (rs.af == 0) */
struct pair {
	struct addr_port fe;
	struct addr_port rs;
};

static int ap_cmp(const struct addr_port *a, const struct addr_port *b)
{
	int c;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port ? 1 : 0;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const struct pair *a = pa, *b = pb;
	int c = ap_cmp(&a->fe, &b->fe);

	return c ? c : ap_cmp(&a->rs, &b->rs);
}

/* every (front end, real server) of the UDP services, sorted */
static struct pair *pairs_of(const struct op *ops, size_t nops, size_t *n)
{
	struct pair *v = malloc((nops + 1) * sizeof(*v));
	size_t i;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < nops; i++) {
		const struct op *o = &ops[i];

		if (o->kind != OP_DEST_ADD || o->svc.proto != IPPROTO_UDP || o->svc.fwmark)
			continue;
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].fe.af = o->svc.af;
		memcpy(v[*n].fe.addr, o->svc.addr, sizeof(o->svc.addr));
		v[*n].fe.port = o->svc.port;
		v[*n].rs.af = o->dest.af;
		memcpy(v[*n].rs.addr, o->dest.addr, sizeof(o->dest.addr));
		v[*n].rs.port = o->dest.port;
		if (!o->dest_port_given)
			v[*n].rs.port = o->svc.port;
		(*n)++;
	}
	qsort(v, *n, sizeof(*v), pair_cmp);
	return v;
}

/* whether @fe has a real server in @v, and whether @rs is one */
static void look(const struct pair *v, size_t n, const struct addr_port *fe,
		 const struct addr_port *rs, bool *has_fe, bool *has_rs)
{
	size_t lo = 0, hi = n;
	struct pair key = { .fe = *fe, .rs = *rs };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pair_cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*has_rs = lo < n && !pair_cmp(&v[lo], &key);
	*has_fe = *has_rs || (lo < n && !ap_cmp(&v[lo].fe, fe)) ||
		  (lo > 0 && !ap_cmp(&v[lo - 1].fe, fe));
}

long kube_udp_stale(const struct op *ops, size_t nops, const struct ct_entry *v, size_t n,
		    bool *del)
{
	size_t np, i;
	long stale = 0;
	struct pair *p = pairs_of(ops, nops, &np);

	if (!p)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct addr_port fe = { .af = v[i].af, .port = v[i].odport };
		struct addr_port rs = { .af = v[i].af, .port = v[i].rsport };
		bool has_fe, has_rs;

		memcpy(fe.addr, v[i].odst, sizeof(fe.addr));
		memcpy(rs.addr, v[i].rsrc, sizeof(rs.addr));
		look(p, np, &fe, &rs, &has_fe, &has_rs);
		del[i] = has_fe && !has_rs;
		stale += del[i];
	}
	free(p);
	return stale;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= b[k];
		h *= 1099511628211ull;
	}
	return h;
}

/* field by field: the structs' padding is not part of it */
static uint64_t fnv_ap(uint64_t h, const struct addr_port *a)
{
	h = fnv(h, &a->af, sizeof(a->af));
	h = fnv(h, a->addr, sizeof(a->addr));
	return fnv(h, &a->port, sizeof(a->port));
}

uint64_t kube_udp_digest(const struct op *ops, size_t nops)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	size_t np, i;
	struct pair *p = pairs_of(ops, nops, &np);

	if (!p)
		return 0;	/* unknown: a cleanup will run */
	for (i = 0; i < np; i++)
		h = fnv_ap(fnv_ap(h, &p[i].fe), &p[i].rs);
	free(p);
	return h ? h : 1;
}
