// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: keep the virtual addresses of a desired state on a dummy
 * interface (kube-proxy's kube-ipvs0), through rtnetlink (libnl-route-3).
 *
 * The interface is created (type dummy, up) if missing; an existing link
 * that is not a dummy is refused before anything is changed (vip_check()),
 * so a slip such as --vip-dev eth0 cannot strip a host's own addresses.
 * Every virtual address of the state's address-based services is added
 * (IPv4 /32, IPv6 /128 without DAD). An address is removed only when the
 * apply manages it: it lies in the apply's scope and no service of the
 * state wants it. An apply without a scope names only the services it
 * changes (an incremental or --stream document), so it only adds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/vip.h"

static int vaddr_cmp(const void *x, const void *y)
{
	const struct vaddr *a = x, *b = y;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

/* Sorted and without repeats, membership is a binary search: 10,000 VIPs
 * against 10,000 addresses costs n log n, not n * m.
 */
size_t vaddr_sort(struct vaddr *v, size_t n)
{
	size_t i, k = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), vaddr_cmp);
	for (i = 1; i < n; i++)
		if (vaddr_cmp(&v[k], &v[i]))
			v[++k] = v[i];
	return k + 1;
}

static bool vaddr_in(const struct vaddr *v, size_t n, const struct vaddr *x)
{
	return n && bsearch(x, v, n, sizeof(*v), vaddr_cmp);
}

static void vaddr_set(struct vaddr *v, int af, const void *a)
{
	memset(v, 0, sizeof(*v));
	v->af = af;
	memcpy(v->a, a, af == AF_INET ? 4 : 16);
}

/* may the apply remove this address? only if its scope manages it */
static bool in_scope(const struct scope *sc, const struct vaddr *x)
{
	struct svc_id id;

	if (!sc || scope_empty(sc))
		return false;
	memset(&id, 0, sizeof(id));
	id.af = x->af;
	memcpy(id.addr, x->a, sizeof(id.addr));
	return scope_has(sc, &id);
}

void vip_plan(const struct vaddr *have, size_t nhave, const struct vaddr *want, size_t nwant,
	      const struct scope *sc, bool *add, bool *del)
{
	size_t i;

	for (i = 0; i < nwant; i++)
		add[i] = !vaddr_in(have, nhave, &want[i]);
	for (i = 0; i < nhave; i++)
		del[i] = !vaddr_in(want, nwant, &have[i]) && in_scope(sc, &have[i]);
}

static int wanted(const struct model *want, struct vaddr **out, size_t *n)
{
	struct vaddr *v = calloc(want->n ? want->n : 1, sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < want->n; i++) {
		const struct svc_id *id = &want->svcs[i].id;

		if (!id->fwmark)
			vaddr_set(&v[k++], id->af, id->addr);
	}
	*out = v;
	*n = vaddr_sort(v, k);
	return 0;
}

static int nlerr(int e)
{
	/* libnl's codes to errno, for the messages */
	switch (-e) {
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static int addr_change(struct nl_sock *sk, bool add, int ifindex, int af, const uint8_t *a)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local;
	int err;

	if (!ra)
		return -ENOMEM;
	local = nl_addr_build(af, a, af == AF_INET ? 4 : 16);
	if (!local) {
		rtnl_addr_put(ra);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(local, af == AF_INET ? 32 : 128);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, af);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, af == AF_INET ? 32 : 128);
	if (af == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	err = add ? rtnl_addr_add(sk, ra, NLM_F_EXCL) : rtnl_addr_delete(sk, ra, 0);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return err < 0 ? nlerr(err) : 0;
}

struct walk {
	int ifindex;
	struct vaddr *have;
	size_t nhave, cap;
	int err;
};

static void collect(struct nl_object *o, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)o;
	struct walk *w = arg;
	struct nl_addr *l;
	struct vaddr *nv;

	if (rtnl_addr_get_ifindex(ra) != w->ifindex || w->err)
		return;
	l = rtnl_addr_get_local(ra);
	if (!l || (nl_addr_get_family(l) != AF_INET && nl_addr_get_family(l) != AF_INET6))
		return;
	/* the interface's own link-local address is not a VIP */
	if (nl_addr_get_family(l) == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)nl_addr_get_binary_addr(l)))
		return;
	if (w->nhave == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;

		nv = reallocarray(w->have, cap, sizeof(*nv));
		if (!nv) {
			w->err = -ENOMEM;
			return;
		}
		w->have = nv;
		w->cap = cap;
	}
	vaddr_set(&w->have[w->nhave++], nl_addr_get_family(l), nl_addr_get_binary_addr(l));
}

/* a link that exists must be a dummy: 0, -ENODEV if it does not exist */
static int link_kind_ok(struct rtnl_link *link, const char *dev, char *why, size_t whylen)
{
	const char *kind = rtnl_link_get_type(link);

	if (kind && !strcmp(kind, "dummy"))
		return 0;
	snprintf(why, whylen,
		 "interface %s is %s%s, not a dummy interface: --vip-dev removes addresses from its interface, so it must be one of its own (such as kube-ipvs0)",
		 dev, kind ? "of type " : "not of any named type", kind ? kind : "");
	return -EINVAL;
}

static int dev_name_ok(const char *dev, char *why, size_t whylen)
{
	if (*dev && strlen(dev) < IFNAMSIZ)
		return 0;
	snprintf(why, whylen, "interface name '%s': 1 to %d characters", dev, IFNAMSIZ - 1);
	return -EINVAL;
}

int vip_check(const char *dev, char *why, size_t whylen)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	int err = dev_name_ok(dev, why, whylen);

	if (err)
		return err;
	sk = nl_socket_alloc();
	if (!sk) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_get_kernel(sk, 0, dev, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
		err = 0;	/* created as a dummy by vip_sync() */
	} else if (err < 0) {
		err = nlerr(err);
		snprintf(why, whylen, "interface %s: %s", dev, strerror(-err));
	} else {
		err = link_kind_ok(link, dev, why, whylen);
	}
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

/* One sync: the socket, the link, and where its messages and counts go. */
struct vsync {
	struct nl_sock *sk;
	struct rtnl_link *link;
	const char *dev;
	bool dry_run;
	FILE *out;
	size_t *changes;
	char *why;
	size_t whylen;
};

/* -errno of libnl's @err, said as "@what: ..." */
static int vfail(struct vsync *s, int err, const char *what)
{
	err = nlerr(err);
	snprintf(s->why, s->whylen, "%s: %s", what, strerror(-err));
	return err;
}

/* an allocation of ours failed: said so */
static int vnomem(struct vsync *s)
{
	snprintf(s->why, s->whylen, "out of memory");
	return -ENOMEM;
}

/*
 * The dummy link: found, or created (a dry run only says so, with every
 * address it would get, and sets s->link NULL); then checked to be a
 * dummy and set up. 0, or -errno with @why.
 */
static int vip_link(struct vsync *s, const struct vaddr *v, size_t nv)
{
	char buf[INET6_ADDRSTRLEN + 64];
	size_t i;
	int err;

	err = rtnl_link_get_kernel(s->sk, 0, s->dev, &s->link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
		s->link = NULL;
		if (s->dry_run) {
			fprintf(s->out, "vip link add %s type dummy\n", s->dev);
			(*s->changes)++;
			for (i = 0; i < nv; i++) {
				inet_ntop(v[i].af, v[i].a, buf, sizeof(buf));
				fprintf(s->out, "vip add %s dev %s\n", buf, s->dev);
				(*s->changes)++;
			}
			return 0;
		}
		s->link = rtnl_link_alloc();
		if (!s->link)
			return vnomem(s);
		rtnl_link_set_name(s->link, s->dev);
		err = rtnl_link_set_type(s->link, "dummy");
		if (!err)
			err = rtnl_link_add(s->sk, s->link, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(s->link);
		s->link = NULL;
		if (err < 0) {
			snprintf(buf, sizeof(buf), "creating dummy interface %s", s->dev);
			return vfail(s, err, buf);
		}
		(*s->changes)++;
		err = rtnl_link_get_kernel(s->sk, 0, s->dev, &s->link);
	}
	if (err < 0) {
		s->link = NULL;
		snprintf(buf, sizeof(buf), "interface %s", s->dev);
		return vfail(s, err, buf);
	}
	/* checked before the IPVS changes too (vip_check()); again here, on
	 * the link whose addresses are about to change
	 */
	err = link_kind_ok(s->link, s->dev, s->why, s->whylen);
	if (err || (rtnl_link_get_flags(s->link) & IFF_UP))
		return err;
	if (!s->dry_run) {
		struct rtnl_link *chg = rtnl_link_alloc();

		if (!chg)
			return vnomem(s);
		rtnl_link_set_flags(chg, IFF_UP);
		err = rtnl_link_change(s->sk, s->link, chg, 0);
		rtnl_link_put(chg);
		if (err < 0) {
			snprintf(buf, sizeof(buf), "setting %s up", s->dev);
			return vfail(s, err, buf);
		}
	} else {
		fprintf(s->out, "vip link set %s up\n", s->dev);
	}
	(*s->changes)++;
	return 0;
}

/* Add (@add) or remove address @x on the link, or say so in a dry run. */
static int vip_change(struct vsync *s, int ifindex, bool add, const struct vaddr *x)
{
	char buf[INET6_ADDRSTRLEN];
	int err;

	inet_ntop(x->af, x->a, buf, sizeof(buf));
	if (s->dry_run) {
		fprintf(s->out, "vip %s %s dev %s\n", add ? "add" : "del", buf, s->dev);
	} else {
		err = addr_change(s->sk, add, ifindex, x->af, x->a);
		if (err) {
			snprintf(s->why, s->whylen, "%s %s %s %s: %s", add ? "adding" : "removing",
				 buf, add ? "to" : "from", s->dev, strerror(-err));
			return err;
		}
	}
	(*s->changes)++;
	return 0;
}

/* The link's addresses made those wanted (within the scope). */
static int vip_addrs(struct vsync *s, const struct vaddr *v, size_t nv, const struct scope *sc)
{
	struct nl_cache *addrs = NULL;
	struct walk w = { 0 };
	bool *add = NULL, *del = NULL;
	size_t i;
	int err;

	w.ifindex = rtnl_link_get_ifindex(s->link);
	err = rtnl_addr_alloc_cache(s->sk, &addrs);
	if (err < 0)
		return vfail(s, err, "reading addresses");
	nl_cache_foreach(addrs, collect, &w);
	nl_cache_free(addrs);
	if (w.err) {
		err = vnomem(s);
		goto out;
	}
	w.nhave = vaddr_sort(w.have, w.nhave);
	add = calloc(nv + 1, sizeof(*add));
	del = calloc(w.nhave + 1, sizeof(*del));
	if (!add || !del) {
		err = vnomem(s);
		goto out;
	}
	vip_plan(w.have, w.nhave, v, nv, sc, add, del);
	/* added first, then removed: a VIP moving between families or
	 * services is never missing in between
	 */
	err = 0;
	for (i = 0; !err && i < nv; i++)
		if (add[i])
			err = vip_change(s, w.ifindex, true, &v[i]);
	for (i = 0; !err && i < w.nhave; i++)
		if (del[i])
			err = vip_change(s, w.ifindex, false, &w.have[i]);
out:
	free(add);
	free(del);
	free(w.have);
	return err;
}

int vip_sync(const char *dev, const struct model *want, const struct scope *sc, bool dry_run,
	     FILE *out, size_t *changes, char *why, size_t whylen)
{
	struct vsync s = { .dev = dev, .dry_run = dry_run, .out = out, .changes = changes,
			   .why = why, .whylen = whylen };
	struct vaddr *v = NULL;
	size_t nv = 0;
	int err;

	*changes = 0;
	err = dev_name_ok(dev, why, whylen);
	if (err)
		return err;
	err = wanted(want, &v, &nv) ? vnomem(&s) : 0;
	s.sk = err ? NULL : nl_socket_alloc();
	if (!s.sk && !err)
		err = vnomem(&s);
	else if (s.sk && (err = nl_connect(s.sk, NETLINK_ROUTE)) < 0)
		err = vfail(&s, err, "rtnetlink");
	if (!err)
		err = vip_link(&s, v, nv);
	/* a dry run without the link: every step said already */
	if (!err && s.link)
		err = vip_addrs(&s, v, nv, sc);
	if (s.link)
		rtnl_link_put(s.link);
	if (s.sk)
		nl_socket_free(s.sk);
	free(v);
	return err;
}
