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
#include <netinet/in.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "kernel/sysctl.h"
#include "kernel/vip.h"
#include "kube/nft.h"
#include "kube/nftlib.h"
#include "kube/stale.h"
#include "kernel/conntrack.h"
#include "model/model.h"

/* whether an interface other than @dev holds @ip (getifaddrs' list) */
static bool held_elsewhere(const struct ifaddrs *ifs, const char *dev, const struct kube_ip *ip)
{
	const struct ifaddrs *i;

	for (i = ifs; i; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || !i->ifa_name || !strcmp(i->ifa_name, dev) ||
		    i->ifa_addr->sa_family != ip->af)
			continue;
		a = ip->af == AF_INET ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr :
			(const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!memcmp(a, ip->a, ip->af == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

/* a model of the VIPs alone (vip_sync reads the addresses of its
 * services), less those another interface holds (an external IP that is
 * the node's own: it is local already, and a copy on kube-ipvs0 would
 * outlive the node's)
 */
static int vip_model(const struct kube_out *out, const char *dev, struct model *m)
{
	struct ifaddrs *ifs = NULL;
	size_t i;
	int err = 0;

	model_init(m);
	if (out->nvips && getifaddrs(&ifs))
		ifs = NULL;	/* none known: all go on dev */
	for (i = 0; i < out->nvips && !err; i++) {
		struct svc_id id = { .af = out->vips[i].af, .proto = IPPROTO_TCP };

		if (held_elsewhere(ifs, dev, &out->vips[i]))
			continue;
		memcpy(id.addr, out->vips[i].a, sizeof(id.addr));
		if (!model_find(m, &id) && !model_add(m, &id))
			err = -ENOMEM;
	}
	if (ifs)
		freeifaddrs(ifs);
	return err;
}

/* the sysctls kube-proxy's IPVS mode sets (its NewProxier), those of a
 * NAT director (kernel/sysctl.c says why each), and forwarding
 */
static int step_sysctls(struct ctx *c, const struct kube_sync_opts *o)
{
	const struct director_sysctl *d;
	size_t i, n;
	long v;
	int err = 0;

	if (o->dry_run)
		return 0;
	d = director_sysctls(&n);
	for (i = 0; i <= n && !err; i++) {
		const char *name = i < n ? d[i].name : "net.ipv4.ip_forward";
		long want = i < n ? d[i].want : 1;

		if (i < n && d[i].dr_only)
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

static int step_vips(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		     struct kube_sync_res *res)
{
	struct scope all = { .all = true };
	struct model m;
	char why[512];
	int err;

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
	return err;
}

static int step_nft(struct ctx *c, const struct kube_sync_opts *o, const char *text)
{
	struct nftlib *lib = NULL;
	char why[1024];
	int err;

	err = nftlib_open(&lib, why, sizeof(why));
	if (!err)
		err = nftlib_run(lib, text, o->dry_run, why, sizeof(why));
	nftlib_close(lib);
	if (err)
		fprintf(stderr, "%s: kube: %s (nftables, IPVS and the addresses were not changed)\n",
			c->prog, why);
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

	if (o->dry_run || (o->udp_digest && d && *o->udp_digest == d))
		return;
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
}

int kube_nft_text(const struct kube_sync_opts *o, const struct kube_out *out,
		  const struct kube_service *svcs, size_t nsvcs, char **text)
{
	size_t len = 0;
	FILE *f = open_memstream(text, &len);
	int err;

	if (!f) {
		*text = NULL;
		return -ENOMEM;
	}
	err = kube_nft_render(f, &o->nft, out, svcs, nsvcs);
	if (fclose(f) || err) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

int kube_sync_apply(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const char *nft_text, struct kube_sync_res *res)
{
	char why[512];
	int err;

	memset(res, 0, sizeof(*res));
	err = vip_check(o->vip_dev, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s; nothing was changed\n", c->prog, why);
		return err;
	}
	err = step_sysctls(c, o);
	/* the table first: a new front end's source ranges are in force
	 * before IPVS serves it, and a node without libnftables serves no
	 * front end without them (fail closed)
	 */
	if (!err) {
		err = step_nft(c, o, nft_text);
		if (err)
			res->failed_step = KUBE_STEP_NFT;
	}
	if (!err) {
		err = kube_step_ipvs(c, o, out, res);
		if (err)
			res->failed_step = KUBE_STEP_IPVS;
	}
	if (!err) {
		err = step_vips(c, o, out, res);
		if (err)
			res->failed_step = KUBE_STEP_VIPS;
	}
	if (!err)
		step_conntrack(c, o, out, res);
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
