// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: keep the virtual addresses of a desired state on a dummy
 * interface (kube-proxy's kube-ipvs0), through rtnetlink (libnl-route-3).
 *
 * The interface is owned by ipvsctl: it is created (type dummy, up) if
 * missing, and its addresses become exactly the virtual addresses of the
 * state's address-based services (IPv4 /32, IPv6 /128 without DAD).
 * Addresses on it that no service wants are removed.
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
#include <stdlib.h>
#include <string.h>

#include "vip.h"

struct vaddr {
	int af;
	uint8_t a[16];
};

static bool vaddr_in(const struct vaddr *v, size_t n, int af, const void *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].af == af && !memcmp(v[i].a, a, af == AF_INET ? 4 : 16))
			return true;
	return false;
}

static int wanted(const struct model *want, struct vaddr **out, size_t *n)
{
	struct vaddr *v = NULL;
	size_t i, k = 0;

	for (i = 0; i < want->n; i++) {
		const struct svc_id *id = &want->svcs[i].id;
		struct vaddr *nv;

		if (id->fwmark || vaddr_in(v, k, id->af, id->addr))
			continue;
		nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&v[k], 0, sizeof(v[k]));
		v[k].af = id->af;
		memcpy(v[k].a, id->addr, id->af == AF_INET ? 4 : 16);
		k++;
	}
	*out = v;
	*n = k;
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
	size_t nhave;
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
	nv = realloc(w->have, (w->nhave + 1) * sizeof(*nv));
	if (!nv) {
		w->err = -ENOMEM;
		return;
	}
	w->have = nv;
	memset(&nv[w->nhave], 0, sizeof(*nv));
	nv[w->nhave].af = nl_addr_get_family(l);
	memcpy(nv[w->nhave].a, nl_addr_get_binary_addr(l), nv[w->nhave].af == AF_INET ? 4 : 16);
	w->nhave++;
}

int vip_sync(const char *dev, const struct model *want, bool dry_run, FILE *out,
	     size_t *changes, char *why, size_t whylen)
{
	struct nl_cache *addrs = NULL;
	struct rtnl_link *link = NULL;
	struct nl_sock *sk = NULL;
	struct walk w = { 0 };
	struct vaddr *v = NULL;
	size_t nv = 0, i;
	char buf[INET6_ADDRSTRLEN];
	int err;

	*changes = 0;
	if (!*dev || strlen(dev) >= IFNAMSIZ) {
		snprintf(why, whylen, "interface name '%s': 1 to %d characters", dev, IFNAMSIZ - 1);
		return -EINVAL;
	}
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
	if (w.err) {
		err = w.err;
		goto nomem;
	}
	/* added first, then removed: a VIP moving between families or
	 * services is never missing in between
	 */
	for (i = 0; i < nv; i++) {
		if (vaddr_in(w.have, w.nhave, v[i].af, v[i].a))
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
		if (vaddr_in(v, nv, w.have[i].af, w.have[i].a))
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
	free(w.have);
	free(v);
	return err;
}
