// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube sync and cleanup: a node's proxy state applied once.
 *
 * Order, each step only after the one before succeeded:
 *  1. the sysctls kube-proxy sets (net.ipv4.vs.conntrack: without it IPVS
 *     bypasses conntrack and nothing is masqueraded; expire_nodest_conn,
 *     expire_quiescent_template, ip_forward);
 *  2. the IPVS services (reconcile: diff against the kernel, all or
 *     nothing), in scope only those this command made before (the
 *     managed file in --state-dir, written before the change with the
 *     union of before and after, so that a crash forgets nothing) and
 *     those it wants: an operator's own services are never touched;
 *  3. the addresses on the VIP interface (kube-ipvs0, wholly the proxy's,
 *     as with kube-proxy): cluster, external and load-balancer IPs only;
 *  4. the nftables table, replaced in one transaction.
 * A failed step is reported with what was done before it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <time.h>
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
#include "state/diff.h"
#include "state/managed.h"
#include "state/reconcile.h"

/* who wrote the managed file: this command, in this network namespace
 * (two namespaces sharing a --state-dir never take each other's list)
 */
static const char *owner(void)
{
	static char buf[64];
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	snprintf(buf, sizeof(buf), "ipvsctl kube netns %llu", (unsigned long long)st.st_ino);
	return buf;
}

struct managed_set {
	struct svc_id *v;
	size_t n;
};

static bool in_managed(const struct m_svc *s, void *arg)
{
	const struct managed_set *m = arg;

	return managed_has(m->v, m->n, &s->id);
}

static int managed_path(const struct kube_sync_opts *o, char *p, size_t len)
{
	if ((size_t)snprintf(p, len, "%s/kube.managed", o->state_dir) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* @a's ids and @want's, sorted (a copy: the caller frees it) */
static int ids_union(const struct managed_set *a, const struct model *want, struct managed_set *u)
{
	size_t i;

	u->v = malloc((a->n + want->n + 1) * sizeof(*u->v));
	if (!u->v)
		return -ENOMEM;
	if (a->n)
		memcpy(u->v, a->v, a->n * sizeof(*u->v));
	for (i = 0; i < want->n; i++)
		u->v[a->n + i] = want->svcs[i].id;
	u->n = a->n + want->n;
	managed_sort(u->v, u->n);
	return 0;
}

static int ids_of(const struct model *want, struct managed_set *u)
{
	struct managed_set none = { 0 };

	return ids_union(&none, want, u);
}

/* a model of the VIPs alone (vip_sync reads the addresses of its services) */
static int vip_model(const struct kube_out *out, struct model *m)
{
	size_t i;

	model_init(m);
	for (i = 0; i < out->nvips; i++) {
		struct svc_id id = { .af = out->vips[i].af, .proto = IPPROTO_TCP };

		memcpy(id.addr, out->vips[i].a, sizeof(id.addr));
		if (!model_find(m, &id) && !model_add(m, &id))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Graceful termination, as kube-proxy's IPVS mode: a TCP or SCTP real
 * server that leaves is kept at weight 0 while it has connections, and
 * deleted once it has none (each sync looks again) or when --drain-timeout
 * passes (maglev services; others wait for their connections, as
 * kube-proxy does); a UDP one is deleted at once, so that a client's flow
 * (DNS) is not kept on a pod that is gone (kube-proxy's
 * graceful_termination.go; facts only).
 */
struct kube_leave {
	struct leave_opts lo;
	struct leave_result lr;
};

static int kube_adjust(struct model *want, const struct model *cur, void *arg)
{
	struct kube_leave *k = arg;
	size_t i;
	int err;

	keep_operator_drains(want, cur);
	err = leave_adjust(want, cur, &k->lo, &k->lr);
	if (err)
		return err;
	for (i = 0; i < k->lr.n; i++) {
		struct leaver *lv = &k->lr.v[i];
		struct m_svc *ws;

		if (lv->svc.proto != IPPROTO_UDP)
			continue;
		ws = model_find(want, &lv->svc);
		if (ws)
			svc_del_dest(ws, &lv->ap);
		lv->start = false;
	}
	return 0;
}

/* new drains of maglev services: their deadline where the next sync finds it */
static void store_drains(struct ctx *c, struct nl *nl, const struct kube_leave *k)
{
	struct nl_err e;
	size_t i;
	int err;

	for (i = 0; i < k->lr.n; i++) {
		if (!k->lr.v[i].start || k->lr.v[i].svc.proto == IPPROTO_UDP)
			continue;
		err = leaver_store(nl, &k->lr.v[i], &e);
		if (err)
			fprintf(stderr, "%s: kube: a drain's deadline was not stored (%s); the next sync stores it\n",
				c->prog, e.ext[0] ? e.ext : strerror(-err));
	}
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
			fprintf(stderr, "%s: kube: %s: %s (is ip_vs loaded?); nothing was changed\n",
				c->prog, name, strerror(-err));
	}
	return err;
}

static int step_ipvs(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		     struct kube_sync_res *res)
{
	struct rec_opts ro = { 0 };
	struct rec_result rr = { 0 };
	struct kube_leave lv = { .lo = { .timeout_s = o->drain_s, .now_s = (uint64_t)time(NULL) } };
	struct managed_set before = { 0 }, u = { 0 };
	struct model want;
	struct timeouts to;
	struct nl *nl;
	char path[4096], why[640];
	int err;

	err = ctx_nl(c, &nl);
	if (err)
		return err;
	model_init(&want);
	err = state_from_ops(nl, out->ops, out->nops, &want, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s; nothing was changed\n", c->prog, why);
		goto out;
	}
	err = managed_path(o, path, sizeof(path));
	if (!err && !o->dry_run && mkdir(o->state_dir, 0755) && errno != EEXIST)
		err = -errno;
	if (err) {
		fprintf(stderr, "%s: kube: --state-dir %s: %s; nothing was changed\n", c->prog,
			o->state_dir, strerror(-err));
		goto out;
	}
	err = managed_read(path, owner(), &before.v, &before.n, why, sizeof(why));
	if (err == -ENOENT) {
		err = 0;
	} else if (err && err != -ENOMEM) {
		/* not ours whole: delete nothing of it, say so */
		fprintf(stderr, "%s: kube: %s: %s; no service will be deleted this time\n",
			c->prog, path, why);
		before.v = NULL;
		before.n = 0;
		err = 0;
	}
	if (!err)
		err = ids_union(&before, &want, &u);
	if (!err && !o->dry_run)
		err = managed_write(path, owner(), u.v, u.n, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s: %s; nothing was changed\n", c->prog, path,
			err == -ENOMEM ? "out of memory" : why);
		goto out;
	}
	ro.in_scope = in_managed;
	ro.scope_arg = &u;
	ro.adjust = kube_adjust;
	ro.adjust_arg = &lv;
	ro.timeouts = NULL;
	ro.dry_run = o->dry_run;
	ro.out = stdout;
	err = reconcile(nl, &want, &ro, &rr);
	res->ipvs_changes = rr.changes;
	res->ipvs_done = !err;
	if (err) {
		if (rr.failed_step)
			fprintf(stderr, "%s: kube: IPVS step %zu: %s; %s\n", c->prog, rr.failed_step,
				rr.why, rr.undo_err ? "rolling back FAILED: IPVS is partly changed" :
				"rolled back: nothing was changed");
		else
			fprintf(stderr, "%s: kube: IPVS: %s; nothing was changed\n", c->prog, rr.why);
		goto out;
	}
	if (!o->dry_run)
		store_drains(c, nl, &lv);
	if (!o->dry_run) {
		struct managed_set now = { 0 };

		/* what is managed now: what was wanted (the rest is gone) */
		err = ids_of(&want, &now);
		if (!err)
			err = managed_write(path, owner(), now.v, now.n, why, sizeof(why));
		free(now.v);
		if (err) {
			/* the union stays on disk: nothing is forgotten */
			fprintf(stderr, "%s: kube: %s: %s (IPVS was changed; the next sync rewrites it)\n",
				c->prog, path, err == -ENOMEM ? "out of memory" : why);
			err = 0;
		}
	}
out:
	free(lv.lr.v);
	free(before.v);
	free(u.v);
	model_free(&want);
	return err;
}

static int step_vips(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		     struct kube_sync_res *res)
{
	struct scope all = { .all = true };
	struct model m;
	char why[512];
	int err;

	err = vip_model(out, &m);
	if (!err)
		err = vip_sync(o->vip_dev, &m, &all, o->dry_run, stdout, &res->vip_changes, why,
			       sizeof(why));
	else
		snprintf(why, sizeof(why), "out of memory");
	model_free(&m);
	if (err)
		fprintf(stderr, "%s: kube: %s: %s (IPVS was changed; the addresses and nftables were not)\n",
			c->prog, o->vip_dev, why);
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
		fprintf(stderr, "%s: kube: %s (IPVS and the addresses were changed; nftables was not)\n",
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
	if (!err)
		err = step_ipvs(c, o, out, res);
	if (!err)
		err = step_vips(c, o, out, res);
	res->failed_step = err ? (res->ipvs_done ? KUBE_STEP_VIPS : KUBE_STEP_IPVS) : 0;
	if (!err) {
		err = step_nft(c, o, nft_text);
		if (err)
			res->failed_step = KUBE_STEP_NFT;
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
	struct kube_sync_res res;
	struct nftlib *lib = NULL;
	char path[4096], why[1024];
	int err;

	err = nftlib_open(&lib, why, sizeof(why));
	if (!err)
		err = nftlib_run(lib, kube_nft_cleanup, o->dry_run, why, sizeof(why));
	nftlib_close(lib);
	if (err) {
		fprintf(stderr, "%s: kube: %s; nothing was changed\n", c->prog, why);
		return err;
	}
	err = step_ipvs(c, o, &none, &res);
	if (err)
		return err;
	if (access(o->vip_dev_path, F_OK) == 0) {
		err = step_vips(c, o, &none, &res);
		if (err)
			return err;
	}
	if (!o->dry_run && !managed_path(o, path, sizeof(path)) && unlink(path) && errno != ENOENT)
		fprintf(stderr, "%s: kube: %s: %s\n", c->prog, path, strerror(errno));
	return 0;
}
