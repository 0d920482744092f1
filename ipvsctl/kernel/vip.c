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

int vip_sync(const char *dev, const struct model *want, const struct scope *sc, bool dry_run,
	     FILE *out, size_t *changes, char *why, size_t whylen)
{
	struct nl_cache *addrs = NULL;
	struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	struct walk w = { 0 };
	struct vaddr *v = NULL;
	bool *add = NULL, *del = NULL;
	size_t nv = 0, i;
	char buf[INET6_ADDRSTRLEN];
	int err;

	*changes = 0;
	err = dev_name_ok(dev, why, whylen);
	if (err)
		return err;
	err = wanted(want, &v, &nv);
	if (err)
		goto nomem;
	sk = nl_socket_alloc();
	if (!sk)
		goto nomem;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		err = nlerr(err);
		snprintf(why, whylen, "rtnetlink: %s", strerror(-err));
		goto out;
	}
	err = rtnl_link_get_kernel(sk, 0, dev, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
		if (dry_run) {
			fprintf(out, "vip link add %s type dummy\n", dev);
			(*changes)++;
			for (i = 0; i < nv; i++) {
				inet_ntop(v[i].af, v[i].a, buf, sizeof(buf));
				fprintf(out, "vip add %s dev %s\n", buf, dev);
				(*changes)++;
			}
			err = 0;
			goto out;
		}
		link = rtnl_link_alloc();
		if (!link)
			goto nomem;
		rtnl_link_set_name(link, dev);
		err = rtnl_link_set_type(link, "dummy");
		if (!err)
			err = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(link);
		link = NULL;
		if (err < 0) {
			err = nlerr(err);
			snprintf(why, whylen, "creating dummy interface %s: %s", dev, strerror(-err));
			goto out;
		}
		(*changes)++;
		err = rtnl_link_get_kernel(sk, 0, dev, &link);
	}
	if (err < 0) {
		err = nlerr(err);
		snprintf(why, whylen, "interface %s: %s", dev, strerror(-err));
		goto out;
	}
	/* checked before the IPVS changes too (vip_check()); again here, on
	 * the link whose addresses are about to change
	 */
	err = link_kind_ok(link, dev, why, whylen);
	if (err)
		goto out;
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		if (dry_run) {
			fprintf(out, "vip link set %s up\n", dev);
		} else {
			struct rtnl_link *chg = rtnl_link_alloc();

			if (!chg)
				goto nomem;
			rtnl_link_set_flags(chg, IFF_UP);
			err = rtnl_link_change(sk, link, chg, 0);
			rtnl_link_put(chg);
			if (err < 0) {
				err = nlerr(err);
				snprintf(why, whylen, "setting %s up: %s", dev, strerror(-err));
				goto out;
			}
		}
		(*changes)++;
	}
	w.ifindex = rtnl_link_get_ifindex(link);
	err = rtnl_addr_alloc_cache(sk, &addrs);
	if (err < 0) {
		err = nlerr(err);
		snprintf(why, whylen, "reading addresses: %s", strerror(-err));
		goto out;
	}
	nl_cache_foreach(addrs, collect, &w);
	if (w.err)
		goto nomem;
	w.nhave = vaddr_sort(w.have, w.nhave);
	add = calloc(nv + 1, sizeof(*add));
	del = calloc(w.nhave + 1, sizeof(*del));
	if (!add || !del)
		goto nomem;
	vip_plan(w.have, w.nhave, v, nv, sc, add, del);
	/* added first, then removed: a VIP moving between families or
	 * services is never missing in between
	 */
	for (i = 0; i < nv; i++) {
		if (!add[i])
			continue;
		inet_ntop(v[i].af, v[i].a, buf, sizeof(buf));
		if (dry_run) {
			fprintf(out, "vip add %s dev %s\n", buf, dev);
		} else {
			err = addr_change(sk, true, w.ifindex, v[i].af, v[i].a);
			if (err) {
				snprintf(why, whylen, "adding %s to %s: %s", buf, dev, strerror(-err));
				goto out;
			}
		}
		(*changes)++;
	}
	for (i = 0; i < w.nhave; i++) {
		if (!del[i])
			continue;
		inet_ntop(w.have[i].af, w.have[i].a, buf, sizeof(buf));
		if (dry_run) {
			fprintf(out, "vip del %s dev %s\n", buf, dev);
		} else {
			err = addr_change(sk, false, w.ifindex, w.have[i].af, w.have[i].a);
			if (err) {
				snprintf(why, whylen, "removing %s from %s: %s", buf, dev, strerror(-err));
				goto out;
			}
		}
		(*changes)++;
	}
	err = 0;
	goto out;
nomem:
	err = -ENOMEM;
	snprintf(why, whylen, "out of memory");
out:
	if (addrs)
		nl_cache_free(addrs);
	if (link)
		rtnl_link_put(link);
	if (sk)
		nl_socket_free(sk);
	free(add);
	free(del);
	free(w.have);
	free(v);
	return err;
}
