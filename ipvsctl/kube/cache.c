// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: the agent's copy of Services and EndpointSlices (see
 * cache.h). Each kind is an array of pointers sorted by namespace/name:
 * a lookup is a binary search, an insertion or a removal moves pointers
 * only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* qsort_r */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "kube/cache.h"
#include "kube/internal.h"

/* ---- the two kinds, seen alike ------------------------------------------------- */

static const char *ns_of(enum kube_kind k, const void *o)
{
	return k == KUBE_SERVICES ? ((const struct kube_service *)o)->ns :
				    ((const struct kube_slice *)o)->ns;
}

static const char *name_of(enum kube_kind k, const void *o)
{
	return k == KUBE_SERVICES ? ((const struct kube_service *)o)->name :
				    ((const struct kube_slice *)o)->name;
}

static void ***arr_of(struct kube_cache *c, enum kube_kind k, size_t **n, size_t **cap)
{
	if (k == KUBE_SERVICES) {
		*n = &c->nsvcs;
		*cap = &c->svcs_cap;
		return (void ***)&c->svcs;
	}
	*n = &c->nslices;
	*cap = &c->slices_cap;
	return (void ***)&c->slices;
}

static void obj_free(enum kube_kind k, void *o)
{
	if (!o)
		return;
	if (k == KUBE_SERVICES)
		kube_service_free(o);
	else
		kube_slice_free(o);
	free(o);
}

/* a parsed object of @kind in new memory: 0, KUBE_IGNORED or -errno */
static int obj_parse(const struct kube_cache *c, enum kube_kind k, json_object *j, void **out,
		     char *why, size_t len)
{
	size_t size = k == KUBE_SERVICES ? sizeof(struct kube_service) : sizeof(struct kube_slice);
	void *o = calloc(1, size);
	int rc;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	rc = k == KUBE_SERVICES ? kube_service_parse(j, o, why, len) :
				  kube_slice_parse(j, c->node[0] ? c->node : NULL, o, why, len);
	if (rc) {
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* arrays of plain structs, filled in place in zeroed memory by the
 * parsers: equal contents compare equal byte for byte
 */
static bool mem_eq(const void *a, const void *b, size_t n, size_t size)
{
	return !n || !memcmp(a, b, n * size);
}

static bool svc_eq(const struct kube_service *a, const struct kube_service *b)
{
	return a->type == b->type && a->ncluster == b->ncluster &&
	       !memcmp(a->cluster_ips, b->cluster_ips, sizeof(a->cluster_ips)) &&
	       a->nexternal == b->nexternal &&
	       mem_eq(a->external_ips, b->external_ips, a->nexternal, sizeof(*a->external_ips)) &&
	       a->nlb == b->nlb && mem_eq(a->lb_ips, b->lb_ips, a->nlb, sizeof(*a->lb_ips)) &&
	       a->nranges == b->nranges &&
	       mem_eq(a->source_ranges, b->source_ranges, a->nranges, sizeof(*a->source_ranges)) &&
	       a->nports == b->nports && mem_eq(a->ports, b->ports, a->nports, sizeof(*a->ports)) &&
	       a->etp_local == b->etp_local && a->itp_local == b->itp_local &&
	       a->hc_node_port == b->hc_node_port && a->affinity_s == b->affinity_s;
}

static bool slice_eq(const struct kube_slice *a, const struct kube_slice *b)
{
	return !strcmp(a->service, b->service) && a->af == b->af && a->nports == b->nports &&
	       mem_eq(a->ports, b->ports, a->nports, sizeof(*a->ports)) && a->neps == b->neps &&
	       mem_eq(a->eps, b->eps, a->neps, sizeof(*a->eps));
}

static bool obj_eq(enum kube_kind k, const void *a, const void *b)
{
	return k == KUBE_SERVICES ? svc_eq(a, b) : slice_eq(a, b);
}

/* where ns/name is, or would go; *found if it is there */
static size_t find(void *const *v, size_t n, enum kube_kind k, const char *ns, const char *name,
		   bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ns_of(k, v[mid]), ns);

		if (!c)
			c = strcmp(name_of(k, v[mid]), name);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* ---- events ---------------------------------------------------------------- */

void kube_cache_init(struct kube_cache *c, const char *node)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->node, sizeof(c->node), "%s", node ? node : "");
}

void kube_cache_free(struct kube_cache *c)
{
	size_t i;

	for (i = 0; i < c->nsvcs; i++)
		obj_free(KUBE_SERVICES, c->svcs[i]);
	for (i = 0; i < c->nslices; i++)
		obj_free(KUBE_SLICES, c->slices[i]);
	free(c->svcs);
	free(c->slices);
	memset(c, 0, sizeof(*c));
}

static int drop(struct kube_cache *c, enum kube_kind k, const char *ns, const char *name)
{
	size_t *n, *cap, i;
	void ***v = arr_of(c, k, &n, &cap);
	bool found;

	i = find(*v, *n, k, ns, name, &found);
	if (!found)
		return 0;
	obj_free(k, (*v)[i]);
	memmove(&(*v)[i], &(*v)[i + 1], (*n - i - 1) * sizeof(**v));
	(*n)--;
	c->gen++;
	return 1;
}

/* @o (owned from here) in place of ns/name's version, or added */
static int put(struct kube_cache *c, enum kube_kind k, void *o)
{
	size_t *n, *cap, i;
	void ***v = arr_of(c, k, &n, &cap), **nv;
	bool found;

	i = find(*v, *n, k, ns_of(k, o), name_of(k, o), &found);
	if (found) {
		if (obj_eq(k, (*v)[i], o)) {
			obj_free(k, o);
			return 0;
		}
		obj_free(k, (*v)[i]);
		(*v)[i] = o;
		c->gen++;
		return 1;
	}
	nv = array_room(*v, *n, cap, sizeof(*nv), 64);
	if (!nv) {
		obj_free(k, o);
		return -ENOMEM;
	}
	*v = nv;
	memmove(&nv[i + 1], &nv[i], (*n - i) * sizeof(*nv));
	nv[i] = o;
	(*n)++;
	c->gen++;
	return 1;
}

int kube_cache_event(struct kube_cache *c, enum kube_kind kind, enum kube_event ev,
		     json_object *obj, char *why, size_t len)
{
	char ns[KUBE_NS_MAX], name[KUBE_NAME_MAX];
	json_object *labels;
	void *o;
	int rc;

	/* a deletion needs the name only: the rest may not parse */
	rc = kj_metadata(obj, ns, name, &labels, why, len);
	if (rc)
		return rc;
	if (ev == KUBE_DELETED)
		return drop(c, kind, ns, name);
	rc = obj_parse(c, kind, obj, &o, why, len);
	if (rc == KUBE_IGNORED)
		return drop(c, kind, ns, name);
	if (rc)
		return rc;
	return put(c, kind, o);
}

/* ---- relist ------------------------------------------------------------------ */

static int cmp_for(enum kube_kind k, const void *a, const void *b)
{
	int c = strcmp(ns_of(k, a), ns_of(k, b));

	return c ? c : strcmp(name_of(k, a), name_of(k, b));
}

/* Count what @nv (sorted, distinct) adds, changes and deletes against @old. */
static void count_diff(enum kube_kind k, void *const *old, size_t nold, void *const *nv, size_t n,
		       size_t *added, size_t *changed, size_t *deleted)
{
	size_t i = 0, j = 0, a = 0, ch = 0, d = 0;

	while (i < nold || j < n) {
		int c = i == nold ? 1 : j == n ? -1 : cmp_for(k, old[i], nv[j]);

		if (c < 0) {
			d++;
			i++;
		} else if (c > 0) {
			a++;
			j++;
		} else {
			ch += !obj_eq(k, old[i], nv[j]);
			i++;
			j++;
		}
	}
	if (added)
		*added = a;
	if (changed)
		*changed = ch;
	if (deleted)
		*deleted = d;
}

/* a parsed item and its place in the list, for a stable "the later wins";
 * a held object kept for a refused version of it: old, its index
 */
struct item {
	void *o;
	size_t at;
	bool kept;
	size_t old;
};

/* the held object named as @j is (valid names only), or -1 */
static long held_as(enum kube_kind kind, void *const *v, size_t n, json_object *j)
{
	char nm[KUBE_NS_MAX + KUBE_NAME_MAX + 1], *slash;
	struct kube_service ks = { 0 };
	struct kube_slice sl = { 0 };
	void *key = kind == KUBE_SERVICES ? (void *)&ks : (void *)&sl;
	size_t lo = 0, hi = n, nsl, nml;

	kube_object_name(j, nm, sizeof(nm));
	slash = strchr(nm, '/');
	if (!slash)
		return -1;
	*slash = 0;
	nsl = strlen(nm);
	nml = strlen(slash + 1);
	if (nsl >= KUBE_NS_MAX || nml >= KUBE_NAME_MAX)
		return -1;
	memcpy(kind == KUBE_SERVICES ? ks.ns : sl.ns, nm, nsl + 1);
	memcpy(kind == KUBE_SERVICES ? ks.name : sl.name, slash + 1, nml + 1);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp_for(kind, v[mid], key);

		if (!r)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int item_cmp(const void *pa, const void *pb, void *kind)
{
	const struct item *a = pa, *b = pb;
	int c = cmp_for(*(enum kube_kind *)kind, a->o, b->o);

	return c ? c : a->at < b->at ? -1 : a->at > b->at;
}

int kube_cache_replace(struct kube_cache *c, enum kube_kind kind, json_object *items,
		       void (*bad)(const char *name, const char *why, void *arg), void *arg,
		       size_t *added, size_t *changed, size_t *deleted)
{
	size_t total, *n, *cap, i, cnt = 0, j, a = 0, ch = 0, d = 0;
	void ***v = arr_of(c, kind, &n, &cap), **nv;
	char why[256], nm[KUBE_NS_MAX + KUBE_NAME_MAX + 1];
	struct item *it;
	bool *keep = NULL;
	long old;
	int rc;

	/* an empty list may come as null; anything else but a list would
	 * delete everything held: refused
	 */
	if (items && !json_object_is_type(items, json_type_array))
		return -EINVAL;
	total = items ? json_object_array_length(items) : 0;
	it = calloc(total + 1, sizeof(*it));
	nv = calloc(total + 1, sizeof(*nv));
	keep = calloc(*n + 1, sizeof(*keep));
	if (!it || !nv || !keep)
		goto nomem;
	for (i = 0; i < total; i++) {
		json_object *j1 = json_object_array_get_idx(items, i);

		rc = obj_parse(c, kind, j1, &it[cnt].o, why, sizeof(why));
		if (rc == -ENOMEM)
			goto nomem;
		if (rc < 0 && bad) {
			kube_object_name(j1, nm, sizeof(nm));
			bad(nm, why, arg);
		}
		if (!rc) {
			it[cnt++].at = i;
		} else if (rc == -EINVAL && (old = held_as(kind, *v, *n, j1)) >= 0 &&
			   !keep[old]) {
			/* refused now, held before: the last good version stays,
			 * as a watch event that does not parse leaves it
			 */
			keep[old] = true;
			it[cnt].o = (*v)[old];
			it[cnt].kept = true;
			it[cnt].old = (size_t)old;
			it[cnt++].at = i;
		}
	}
	qsort_r(it, cnt, sizeof(*it), item_cmp, &kind);
	/* a name twice: the later item, which sorts last of its name */
	for (i = 0, j = 0; i < cnt; i++) {
		if (i + 1 < cnt && !cmp_for(kind, it[i].o, it[i + 1].o)) {
			if (it[i].kept)
				keep[it[i].old] = false;	/* freed with the old list */
			else
				obj_free(kind, it[i].o);
		} else {
			nv[j++] = it[i].o;
		}
	}
	cnt = j;
	free(it);
	count_diff(kind, *v, *n, nv, cnt, &a, &ch, &d);
	for (i = 0; i < *n; i++)
		if (!keep[i])
			obj_free(kind, (*v)[i]);
	free(keep);
	free(*v);
	*v = nv;
	*n = cnt;
	*cap = total + 1;
	if (a || ch || d)
		c->gen++;
	if (added)
		*added = a;
	if (changed)
		*changed = ch;
	if (deleted)
		*deleted = d;
	return 0;
nomem:
	for (i = 0; it && i < cnt; i++)
		if (!it[i].kept)
			obj_free(kind, it[i].o);
	free(it);
	free(nv);
	free(keep);
	return -ENOMEM;
}

int kube_cache_view(const struct kube_cache *c, struct kube_service **svcs,
		    struct kube_slice **slices)
{
	size_t i;

	*svcs = calloc(c->nsvcs + 1, sizeof(**svcs));
	*slices = calloc(c->nslices + 1, sizeof(**slices));
	if (!*svcs || !*slices) {
		free(*svcs);
		free(*slices);
		*svcs = NULL;
		*slices = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < c->nsvcs; i++)
		(*svcs)[i] = *c->svcs[i];
	for (i = 0; i < c->nslices; i++)
		(*slices)[i] = *c->slices[i];
	return 0;
}
