// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube sync: its IPVS step (kube_sync.c has the others and their
 * order). What may change is the managed file's business: only what a
 * sync made (one file per network namespace in --state-dir) and what is
 * wanted, but for a wanted service that exists and no sync made, which
 * is left alone; a leaving TCP or SCTP real server drains, a UDP one goes
 * at once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "kernel/load.h"
#include "model/addr.h"
#include "model/model.h"
#include "state/diff.h"
#include "state/managed.h"
#include "state/reconcile.h"

static unsigned long long netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long long)st.st_ino;
}

/* who wrote the managed file: this command, in this network namespace
 * (two namespaces sharing a --state-dir never take each other's list)
 */
static const char *owner(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "ipvsctl kube netns %llu", netns_ino());
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

/* one file per network namespace: two namespaces sharing a --state-dir
 * never touch each other's list
 */
int kube_managed_path(const struct kube_sync_opts *o, char *p, size_t len)
{
	if ((size_t)snprintf(p, len, "%s/kube-%llu.managed", o->state_dir, netns_ino()) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* sorted, each once */
static void set_sort(struct managed_set *u)
{
	size_t i, w = 0;

	managed_sort(u->v, u->n);
	for (i = 0; i < u->n; i++)
		if (!w || !svc_id_eq(&u->v[w - 1], &u->v[i]))
			u->v[w++] = u->v[i];
	u->n = w;
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
	set_sort(u);
	return 0;
}

static int ids_of(const struct model *want, struct managed_set *u)
{
	struct managed_set none = { 0 };

	return ids_union(&none, want, u);
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
	struct ctx *c;
	struct managed_set *u;			/* the scope: before + wanted */
	const struct managed_set *before;	/* what a sync made */
	struct svc_id *foreign;			/* wanted, but someone else's */
	size_t nforeign;
	const char *path;			/* the managed file: written here */
	bool write;
	char why[512];
};

static void set_remove(struct managed_set *u, const struct svc_id *id)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (svc_id_eq(&u->v[i], id)) {
			memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(*u->v));
			u->n--;
			return;
		}
}

/*
 * A wanted front end that IPVS already has, but that no sync made (an
 * operator's service, or kube-proxy's left behind): left alone, neither
 * taken over nor, later, deleted. Anyone who may write a Service's
 * externalIPs could otherwise take a node's service over.
 */
static int leave_foreign(struct model *want, const struct model *cur, struct kube_leave *k)
{
	size_t i;
	char name[96];

	for (i = want->n; i-- > 0;) {
		struct svc_id id = want->svcs[i].id;
		struct svc_id *nv;

		if (!model_find((struct model *)cur, &id) ||
		    managed_has(k->before->v, k->before->n, &id))
			continue;
		nv = realloc(k->foreign, (k->nforeign + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		k->foreign = nv;
		k->foreign[k->nforeign++] = id;
		fmt_svc(&id, name, sizeof(name));
		fprintf(stderr, "%s: kube: %s exists and was not made by ipvsctl kube (kube-proxy's? "
			"run kube-proxy --cleanup): left alone\n", k->c->prog, name);
		set_remove(k->u, &id);
		model_del(want, &id);
	}
	return 0;
}

static int kube_adjust(struct model *want, const struct model *cur, void *arg)
{
	struct kube_leave *k = arg;
	size_t i;
	int err;

	err = leave_foreign(want, cur, k);
	if (err)
		return err;
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
	/* before anything is sent: what may be made or changed, on disk,
	 * so that a crash in between forgets nothing
	 */
	if (k->write && managed_write(k->path, owner(), k->u->v, k->u->n, k->why, sizeof(k->why)))
		return -EIO;
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

/* the same wanted state (configuration and real servers, in any order) */
static bool svc_same(const struct m_svc *a, struct m_svc *b)
{
	size_t i;

	if (svc_conf_cmp(&a->c, &b->c, SC_IPVS_ALL | SC_MG_ALL) || a->ndests != b->ndests ||
	    !health_spec_eq(a->hc, b->hc))
		return false;
	for (i = 0; i < a->ndests; i++) {
		/* the same place first: translation keeps its order */
		struct m_dest *d = addr_port_eq(&a->dests[i].ap, &b->dests[i].ap) ? &b->dests[i] :
				   svc_find_dest(b, &a->dests[i].ap);

		if (!d || dest_conf_cmp(&a->dests[i].c, &d->c, DC_ALL))
			return false;
	}
	return true;
}

/* a copy of @s into @m (kube's services have no health check) */
static int svc_copy(struct model *m, const struct m_svc *s)
{
	struct m_svc *d = model_add(m, &s->id);

	if (!d)
		return -ENOMEM;
	*d = *s;
	d->hc = NULL;
	d->dests = NULL;
	d->ndests = d->cap = 0;
	if (!s->ndests)
		return 0;
	d->dests = malloc(s->ndests * sizeof(*d->dests));
	if (!d->dests)
		return -ENOMEM;
	memcpy(d->dests, s->dests, s->ndests * sizeof(*d->dests));
	d->ndests = d->cap = s->ndests;
	return 0;
}

static int name_add(struct model *names, const struct svc_id *id)
{
	if (model_find(names, id))
		return 0;
	return model_add(names, id) ? 0 : -ENOMEM;
}

/* services of the last sync's that each partial sync looks for, in turn */
#define KUBE_CANARY 64

int kube_ipvs_canary(struct ctx *c, struct kube_incr *in, bool *gone)
{
	struct model names, cur;
	struct nl_err e;
	struct nl *nl;
	size_t k;
	int err;

	*gone = false;
	if (!in->prev.n)
		return 0;
	err = ctx_nl(c, &nl);
	if (err)
		return err;
	model_init(&names);
	model_init(&cur);
	for (k = 0; k < KUBE_CANARY && k < in->prev.n && !err; k++) {
		const struct svc_id *id = &in->prev.svcs[(in->canary_pos + k) % in->prev.n].id;

		if (!model_find(&names, id) && !model_add(&names, id))
			err = -ENOMEM;
	}
	in->canary_pos = (in->canary_pos + k) % in->prev.n;
	if (!err)
		err = kipvs_load_named(nl, &cur, LOAD_NO_STATS, &names, &e);
	if (!err)
		*gone = cur.n != names.n;
	model_free(&names);
	model_free(&cur);
	return err;
}

/* a partial sync reads at most this many services, one request each;
 * more, and a full sync's one dump is cheaper
 */
#define KUBE_PARTIAL_MAX 2000

/*
 * The scope of a partial sync: in @names the services whose wanted state
 * differs from the last sync's, those no longer wanted, and those still
 * draining (each sync looks whether their connections ended); in @want_r
 * the wanted ones among them. 1 if there are too many (a full sync),
 * 0, or -ENOMEM.
 */
static int partial_scope(const struct model *want, const struct kube_incr *in,
			 struct model *names, struct model *want_r)
{
	struct model *prev = (struct model *)&in->prev;
	size_t i;
	int err = 0;

	for (i = 0; i < want->n && !err; i++) {
		struct m_svc *p = model_find(prev, &want->svcs[i].id);

		if (p && svc_same(&want->svcs[i], p))
			continue;
		err = name_add(names, &want->svcs[i].id);
		if (!err)
			err = svc_copy(want_r, &want->svcs[i]);
	}
	for (i = 0; i < prev->n && !err; i++)
		if (!model_find((struct model *)want, &prev->svcs[i].id))
			err = name_add(names, &prev->svcs[i].id);
	for (i = 0; i < in->ndraining && !err; i++) {
		struct m_svc *w = model_find((struct model *)want, &in->draining[i]);

		if (model_find(names, &in->draining[i]))
			continue;
		err = name_add(names, &in->draining[i]);
		if (!err && w)
			err = svc_copy(want_r, w);
	}
	if (err)
		return err;
	return names->n > KUBE_PARTIAL_MAX;
}

/* @a less the services of @names, plus those of @want_r, sorted: what is
 * managed after a partial sync (the rest is as it was)
 */
static int ids_after_partial(const struct managed_set *a, struct model *names,
			     const struct model *want_r, struct managed_set *u)
{
	size_t i;

	u->v = malloc((a->n + want_r->n + 1) * sizeof(*u->v));
	if (!u->v)
		return -ENOMEM;
	u->n = 0;
	for (i = 0; i < a->n; i++)
		if (!model_find(names, &a->v[i]))
			u->v[u->n++] = a->v[i];
	for (i = 0; i < want_r->n; i++)
		u->v[u->n++] = want_r->svcs[i].id;
	set_sort(u);
	return 0;
}

static bool set_same(const struct managed_set *a, const struct managed_set *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!svc_id_eq(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* after a success: what the next partial sync starts from (@want
 * taken); without memory for it, the next sync is a full one
 */
static void incr_keep(struct kube_incr *in, struct model *want, const struct leave_result *lr)
{
	size_t i;

	model_free(&in->prev);
	in->prev = *want;
	model_init(want);
	free(in->draining);
	in->draining = NULL;
	in->ndraining = 0;
	in->have_prev = true;
	if (!lr->n)
		return;
	in->draining = malloc(lr->n * sizeof(*in->draining));
	if (!in->draining) {
		in->have_prev = false;
		return;
	}
	for (i = 0; i < lr->n; i++)
		if (lr->v[i].svc.proto != IPPROTO_UDP &&
		    (!in->ndraining || !svc_id_eq(&in->draining[in->ndraining - 1], &lr->v[i].svc)))
			in->draining[in->ndraining++] = lr->v[i].svc;
}

int kube_step_ipvs(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		     struct kube_sync_res *res)
{
	struct rec_opts ro = { 0 };
	struct rec_result rr = { 0 };
	struct kube_leave lv = { .lo = { .timeout_s = o->drain_s, .now_s = (uint64_t)time(NULL) } };
	struct managed_set before = { 0 }, u = { 0 };
	struct model want, names, want_r;
	struct kube_incr *in = o->incr;
	bool partial = false;
	struct timeouts to;
	struct nl *nl;
	char path[4096], why[640];
	int err;

	err = ctx_nl(c, &nl);
	if (err)
		return err;
	model_init(&want);
	model_init(&names);
	model_init(&want_r);
	err = state_from_ops(nl, out->ops, out->nops, &want, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: kube: %s; nothing was changed\n", c->prog, why);
		goto out;
	}
	if (in && !in->full && in->have_prev) {
		bool gone = true;

		/* some of what the last sync made is gone (ipvsadm -C, ip_vs
		 * reloaded): this sync reads and puts back everything
		 */
		if (kube_ipvs_canary(c, in, &gone) || gone)
			in->full = true;
	}
	if (in && !in->full && in->have_prev) {
		err = partial_scope(&want, in, &names, &want_r);
		if (err < 0) {
			fprintf(stderr, "%s: kube: out of memory; nothing was changed\n", c->prog);
			goto out;
		}
		partial = !err;
		err = 0;
		if (partial && !names.n) {
			/* nothing wanted changed, nothing drains */
			res->partial = true;
			incr_keep(in, &want, &lv.lr);
			goto out;
		}
	}
	res->partial = partial;
	err = kube_managed_path(o, path, sizeof(path));
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
		/* not one a sync wrote whole: kept aside for the operator,
		 * never overwritten; the services it may list are left alone
		 */
		char bad[4200];

		snprintf(bad, sizeof(bad), "%s.unreadable", path);
		fprintf(stderr, "%s: kube: %s: %s; moved to %s: the services it lists are no longer "
			"managed (delete them by hand if they are the agent's)\n", c->prog, path, why,
			bad);
		if (!o->dry_run && rename(path, bad))
			err = -errno;
		else
			err = 0;
		before.v = NULL;
		before.n = 0;
	}
	if (!err)
		err = ids_union(&before, partial ? &want_r : &want, &u);
	if (err) {
		fprintf(stderr, "%s: kube: %s: %s; nothing was changed\n", c->prog, path,
			err == -ENOMEM ? "out of memory" : strerror(-err));
		goto out;
	}
	lv.c = c;
	lv.u = &u;
	lv.before = &before;
	lv.path = path;
	/* written before the change only if it adds to what is managed */
	lv.write = !o->dry_run && !set_same(&u, &before);
	ro.load_only = partial ? &names : NULL;
	ro.in_scope = in_managed;
	ro.scope_arg = &u;
	ro.adjust = kube_adjust;
	ro.adjust_arg = &lv;
	ro.timeouts = NULL;
	ro.dry_run = o->dry_run;
	ro.out = stdout;
	err = reconcile(nl, partial ? &want_r : &want, &ro, &rr);
	res->ipvs_changes = rr.changes;
	res->svcs_read = partial ? names.n : rr.svcs_seen;
	res->ms_ipvs_read = rr.us_load / 1000;
	if (err) {
		if (rr.failed_step)
			fprintf(stderr, "%s: kube: IPVS step %zu: %s; %s\n", c->prog, rr.failed_step,
				rr.why, rr.undo_err ? "rolling back FAILED: IPVS is partly changed" :
				"rolled back: nothing was changed");
		else
			fprintf(stderr, "%s: kube: IPVS: %s; nothing was changed\n", c->prog,
				lv.why[0] ? lv.why : rr.why);
		goto out;
	}
	if (!o->dry_run)
		store_drains(c, nl, &lv);
	if (!o->dry_run) {
		struct managed_set now = { 0 };

		/* what is managed now: what was wanted (the rest is gone),
		 * but for what was left alone
		 */
		err = partial ? ids_after_partial(&before, &names, &want_r, &now) :
				ids_of(&want, &now);
		for (size_t i = 0; !err && i < lv.nforeign; i++)
			set_remove(&now, &lv.foreign[i]);
		/* compared with what is on disk: the union if it was written */
		if (!err && !set_same(&now, lv.write ? &u : &before))
			err = managed_write(path, owner(), now.v, now.n, why, sizeof(why));
		free(now.v);
		if (err) {
			/* the union stays on disk: nothing is forgotten */
			fprintf(stderr, "%s: kube: %s: %s (IPVS was changed; the next full sync rewrites "
				"it)\n", c->prog, path, err == -ENOMEM ? "out of memory" : why);
			err = 0;
		}
	}
	if (in && !err && !o->dry_run)
		incr_keep(in, &want, &lv.lr);
out:
	free(lv.lr.v);
	free(lv.foreign);
	free(before.v);
	free(u.v);
	model_free(&want);
	model_free(&names);
	model_free(&want_r);
	return err;
}

void kube_incr_free(struct kube_incr *in)
{
	model_free(&in->prev);
	free(in->draining);
	free(in->vips);
	kube_nft_esets_free(in->nft_sets);
	memset(in, 0, sizeof(*in));
}

