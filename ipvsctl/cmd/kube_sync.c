// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube sync and cleanup: a node's proxy state applied once.
 *
 * Order, each step only after the one before succeeded:
 *  1. the sysctls kube-proxy sets (net.ipv4.vs.conntrack: without it IPVS
 *     bypasses conntrack and nothing is masqueraded; expire_nodest_conn,
 *     expire_quiescent_template, ip_forward);
 *  2. the nftables table, replaced in one transaction, before IPVS: a new
 *     front end's source ranges hold before it is served, and without
 *     libnftables nothing is served unguarded;
 *  3. the IPVS services (reconcile: diff against the kernel, all or
 *     nothing), in scope only those a sync made before (the managed file
 *     in --state-dir, one per network namespace, written before the
 *     change with the union of before and after, so that a crash forgets
 *     nothing) and those it wants, but for a wanted one that exists and
 *     no sync made: an operator's own services are never touched;
 *  4. the addresses on the VIP interface (kube-ipvs0, wholly the proxy's,
 *     as with kube-proxy): cluster, external and load-balancer IPs only,
 *     none that another interface holds;
 *  5. the stale conntrack entries of UDP services.
 * A failed step is reported with what was done before it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "kernel/sysctl.h"
#include "kernel/vip.h"
#include "kube/nft.h"
#include "kube/nftlib.h"
#include "kube/stale.h"
#include "kernel/conntrack.h"
#include "model/model.h"

static int ip_cmp(const void *pa, const void *pb)
{
	const struct kube_ip *a = pa, *b = pb;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : 16);
}

/* the addresses of every interface but @dev, sorted (getifaddrs' list:
 * one pass, so that 10,000 VIPs on @dev cost n log n, not n squared);
 * 0 or -ENOMEM; none known (getifaddrs failed): an empty set
 */
static int held_elsewhere(const char *dev, struct kube_ip **v, size_t *n)
{
	struct ifaddrs *ifs = NULL, *i;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (getifaddrs(&ifs))
		return 0;
	for (i = ifs; i; i = i->ifa_next)
		cap += i->ifa_addr && i->ifa_name && strcmp(i->ifa_name, dev) &&
		       (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6);
	*v = calloc(cap + 1, sizeof(**v));
	if (!*v) {
		freeifaddrs(ifs);
		return -ENOMEM;
	}
	for (i = ifs; i; i = i->ifa_next) {
		struct kube_ip *x = &(*v)[*n];

		if (!i->ifa_addr || !i->ifa_name || !strcmp(i->ifa_name, dev))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			memcpy(x->a, &((const struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(x->a, &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		else
			continue;
		x->af = i->ifa_addr->sa_family;
		(*n)++;
	}
	freeifaddrs(ifs);
	qsort(*v, *n, sizeof(**v), ip_cmp);
	return 0;
}

/* a model of the VIPs alone (vip_sync reads the addresses of its
 * services), less those another interface holds (an external IP that is
 * the node's own: it is local already, and a copy on kube-ipvs0 would
 * outlive the node's)
 */
static int vip_model(const struct kube_out *out, const char *dev, struct model *m)
{
	struct kube_ip *other = NULL;
	size_t i, nother = 0;
	int err = 0;

	model_init(m);
	if (out->nvips)
		err = held_elsewhere(dev, &other, &nother);
	for (i = 0; i < out->nvips && !err; i++) {
		struct svc_id id = { .af = out->vips[i].af, .proto = IPPROTO_TCP };

		if (bsearch(&out->vips[i], other, nother, sizeof(*other), ip_cmp))
			continue;
		memcpy(id.addr, out->vips[i].a, sizeof(id.addr));
		if (!model_find(m, &id) && !model_add(m, &id))
			err = -ENOMEM;
	}
	free(other);
	return err;
}

/* the sysctls kube-proxy's IPVS mode sets (its NewProxier), those of a
 * NAT director (kernel/sysctl.c says why each), and forwarding: the
 * @i-th's name and value; 0 for one of direct routing's (not set), -1
 * past the last
 */
static int kube_sysctl(size_t i, const char **name, long *want)
{
	const struct director_sysctl *d;
	size_t n;

	d = director_sysctls(&n);
	if (i > n)
		return -1;
	if (i < n && d[i].dr_only)
		return 0;
	*name = i < n ? d[i].name : "net.ipv4.ip_forward";
	*want = i < n ? d[i].want : 1;
	return 1;
}

static int step_sysctls(struct ctx *c, const struct kube_sync_opts *o)
{
	const char *name;
	size_t i;
	long v, want;
	int err = 0, k;

	if (o->dry_run)
		return 0;
	for (i = 0; !err && (k = kube_sysctl(i, &name, &want)) >= 0; i++) {
		if (!k)
			continue;
		err = sysctl_read(name, &v);
		if (!err && v != want)
			err = sysctl_write(name, want);
		if (err)
			fprintf(stderr, "%s: kube: %s: %s (is ip_vs loaded?); nothing else was changed\n",
				c->prog, name, strerror(-err));
	}
	return err;
}

/* the sysctls as they should be (read only) */
static bool sysctls_ok(void)
{
	const char *name;
	size_t i;
	long v, want;
	int k;

	for (i = 0; (k = kube_sysctl(i, &name, &want)) >= 0; i++)
		if (k && (sysctl_read(name, &v) || v != want))
			return false;
	return true;
}

static bool vips_same(const struct kube_incr *in, const struct kube_out *out)
{
	size_t i;

	if (in->nvips != out->nvips)
		return false;
	for (i = 0; i < out->nvips; i++)
		if (ip_cmp(&in->vips[i], &out->vips[i]))
			return false;
	return true;
}

/* after a success: the addresses the next partial sync compares with */
static void vips_keep(struct kube_incr *in, const struct kube_out *out, const char *dev)
{
	/* deleted and made again by someone: another index, a full step */
	in->vip_ifindex = if_nametoindex(dev);
	free(in->vips);
	in->nvips = 0;
	in->vips = malloc((out->nvips + 1) * sizeof(*in->vips));
	if (!in->vips) {
		in->have_prev = false;	/* the next sync is a full one */
		return;
	}
	memcpy(in->vips, out->vips, out->nvips * sizeof(*in->vips));
	in->nvips = out->nvips;
}

/* the addresses on the VIP interface; in a partial sync, only if the list
 * changed since the last sync
 */
static int step_vips(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		     struct kube_sync_res *res)
{
	struct scope all = { .all = true };
	struct kube_incr *in = o->incr;
	struct model m;
	char why[512];
	int err;

	if (in && !in->full && in->have_prev && in->vip_ifindex &&
	    if_nametoindex(o->vip_dev) == in->vip_ifindex && vips_same(in, out)) {
		res->vips_skipped = true;
		return 0;
	}

	err = vip_model(out, o->vip_dev, &m);
	if (!err)
		err = vip_sync(o->vip_dev, &m, &all, o->dry_run, stdout, &res->vip_changes, why,
			       sizeof(why));
	else
		snprintf(why, sizeof(why), "out of memory");
	model_free(&m);
	if (err)
		fprintf(stderr, "%s: kube: %s: %s (%zu address change%s made before it; the rest of "
			"the addresses as they were)\n", c->prog, o->vip_dev, why, res->vip_changes,
			res->vip_changes == 1 ? " was" : "s were");
	else if (in && !o->dry_run)
		vips_keep(in, out, o->vip_dev);
	return err;
}

#define CT_MAX 262144	/* entries read a pass: 15 MiB at most */

/*
 * Clear the conntrack entries of UDP services that point to an endpoint
 * that left (kube/stale.h), when the UDP services' real servers changed
 * since the last pass that completed (*o->udp_digest; always without
 * one). A failure is reported and retried at the next sync; it is not the
 * sync's failure (IPVS and the table are right).
 */
static void step_conntrack(struct ctx *c, const struct kube_sync_opts *o,
			   const struct kube_out *out, struct kube_sync_res *res)
{
	static const int afs[] = { AF_INET, AF_INET6 };
	uint64_t d = kube_udp_digest(out->ops, out->nops);
	bool complete = true;
	char why[256];
	size_t i;

	if (o->incr)
		o->incr->ct_pending = true;	/* until a pass completes */
	if (o->dry_run || (o->udp_digest && d && *o->udp_digest == d)) {
		if (o->incr)
			o->incr->ct_pending = false;
		return;
	}
	for (i = 0; i < 2; i++) {
		struct ct_entry *v = NULL;
		size_t n = 0, del = 0;
		bool *mark;
		long stale;
		int err = ct_dump_udp(afs[i], CT_MAX, &v, &n, why, sizeof(why));

		if (err) {
			fprintf(stderr, "%s: kube: %s (stale UDP entries are cleared at the next sync)\n",
				c->prog, why);
			res->ct_failed = true;
			return;
		}
		complete &= n < CT_MAX;
		mark = calloc(n + 1, sizeof(*mark));
		stale = mark ? kube_udp_stale(out->ops, out->nops, v, n, mark) : -ENOMEM;
		if (stale > 0) {
			err = ct_delete(v, mark, n, &del, why, sizeof(why));
			res->ct_deleted += del;
			if (err) {
				fprintf(stderr, "%s: kube: %s (retried at the next sync)\n", c->prog, why);
				res->ct_failed = true;
			}
		} else if (stale < 0) {
			res->ct_failed = true;
		}
		free(mark);
		free(v);
	}
	if (o->udp_digest && complete && !res->ct_failed)
		*o->udp_digest = d;
	if (o->incr)
		o->incr->ct_pending = !complete || res->ct_failed;
}

int kube_sync_unchanged(struct ctx *c, const struct kube_sync_opts *o)
{
	struct kube_incr *in = o->incr;
	uint32_t gen;
	bool gone;
	char why[256];

	if (!in || in->full || !in->have_prev || !in->nft_shape || !in->vip_ifindex)
		return 2;
	if (!sysctls_ok() || if_nametoindex(o->vip_dev) != in->vip_ifindex ||
	    nftlib_gen(&gen, why, sizeof(why)) || gen != in->nft_gen ||
	    kube_ipvs_canary(c, in, &gone) || gone)
		return 2;
	return in->ndraining || in->ct_pending;
}

/* ms since *t, which moves to now */
static uint64_t lap_ms(uint64_t *t)
{
	uint64_t now = now_us(), d = now - *t;

	*t = now;
	return d / 1000;
}

int kube_sync_apply(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const struct kube_table *tab, struct kube_sync_res *res)
{
	char why[512];
	uint64_t t;
	int err;

	memset(res, 0, sizeof(*res));
	if (o->incr && !o->incr->have_prev)
		o->incr->full = true;
	/* until the IPVS step says (a full one if too much changed) */
	res->partial = o->incr && !o->incr->full;
	err = vip_check(o->vip_dev, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s; nothing was changed\n", c->prog, why);
		return err;
	}
	err = step_sysctls(c, o);
	t = now_us();
	/* the table first: a new front end's source ranges are in force
	 * before IPVS serves it, and a node without libnftables serves no
	 * front end without them (fail closed)
	 */
	if (!err) {
		err = kube_step_nft(c, o, out, tab, res);
		if (err)
			res->failed_step = KUBE_STEP_NFT;
		res->ms_nft = lap_ms(&t);
	}
	if (!err) {
		err = kube_step_ipvs(c, o, out, res);
		if (err)
			res->failed_step = KUBE_STEP_IPVS;
		res->ms_ipvs = lap_ms(&t);
	}
	if (!err) {
		err = step_vips(c, o, out, res);
		if (err)
			res->failed_step = KUBE_STEP_VIPS;
		res->ms_vips = lap_ms(&t);
	}
	if (!err) {
		step_conntrack(c, o, out, res);
		res->ms_ct = lap_ms(&t);
	}
	/* after a failure, the next sync reads and applies everything */
	if (err && o->incr)
		o->incr->have_prev = false;
	return err;
}

/*
 * cleanup: the nftables table, the IPVS services of the managed file, the
 * VIP interface's addresses (the interface itself stays, as kube-proxy's
 * cleanup leaves it), then the managed file. Each part alone if asked.
 */
int kube_cleanup(struct ctx *c, const struct kube_sync_opts *o)
{
	struct kube_out none = { 0 };
	struct kube_sync_res res = { 0 };
	struct nftlib *lib = NULL;
	char path[4096], why[1024];
	int err;

	/* IPVS first (all or nothing), then the addresses, then the table:
	 * each failure says what went before it
	 */
	err = kube_step_ipvs(c, o, &none, &res);
	if (err)
		return err;
	if (access(o->vip_dev_path, F_OK) == 0) {
		err = step_vips(c, o, &none, &res);
		if (err) {
			fprintf(stderr, "%s: kube: cleanup stopped: the IPVS services were deleted, the "
				"table is still there\n", c->prog);
			return err;
		}
	}
	err = nftlib_open(&lib, why, sizeof(why));
	if (!err)
		err = nftlib_run(lib, kube_nft_cleanup, o->dry_run, why, sizeof(why));
	nftlib_close(lib);
	if (err) {
		fprintf(stderr, "%s: kube: %s: the IPVS services and the addresses were deleted, the "
			"table is still there\n", c->prog, why);
		return err;
	}
	if (!o->dry_run && !kube_managed_path(o, path, sizeof(path)) && unlink(path) && errno != ENOENT)
		fprintf(stderr, "%s: kube: %s: %s\n", c->prog, path, strerror(errno));
	return 0;
}
