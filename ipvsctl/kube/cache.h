/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: the agent's copy of the cluster's Services and
 * EndpointSlices, kept from a list and the watch events after it. Pure:
 * the API client (api.c) hands it JSON objects; translate.c reads it.
 *
 * An object that does not parse is logged by the caller (the text is
 * given back) and changes nothing: the last good version of it, if any,
 * stays. An object that becomes one a proxy leaves alone (headless,
 * another proxy's label) is dropped, as if deleted.
 */
#ifndef IPVSCTL_KUBE_CACHE_H
#define IPVSCTL_KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "kube/object.h"

enum kube_kind {
	KUBE_SERVICES,
	KUBE_SLICES,
};

enum kube_event {
	KUBE_ADDED,
	KUBE_MODIFIED,
	KUBE_DELETED,
};

struct kube_cache {
	char node[KUBE_NAME_MAX];	/* this node: its endpoints are local */
	struct kube_service **svcs;	/* sorted by namespace/name */
	size_t nsvcs, svcs_cap;
	struct kube_slice **slices;	/* sorted by namespace/name */
	size_t nslices, slices_cap;
	unsigned long gen;		/* bumped by every change */
};

/* @node: this node's name (endpoints on it are local), or NULL */
void kube_cache_init(struct kube_cache *c, const char *node);
void kube_cache_free(struct kube_cache *c);

/*
 * One watch event for an object of @kind. Returns 1 if the cache changed,
 * 0 if not (an ignored object that was not held, a deletion of one not
 * held), -EINVAL with @why for an object refused (nothing changed), or
 * -ENOMEM (nothing changed).
 */
int kube_cache_event(struct kube_cache *c, enum kube_kind kind, enum kube_event ev,
		     json_object *obj, char *why, size_t len);

/*
 * A relist: @items (a JSON array of objects of @kind; NULL or a JSON null
 * is an empty list, as the API encodes one) replace what is held; anything
 * else is -EINVAL and changes nothing. Objects that do not parse are
 * skipped; for each, @bad is called
 * with its name and the reason (if @bad is set). The counts of what was
 * added, changed and deleted against the previous content go to
 * @added, @changed, @deleted (any may be NULL). A name listed twice (the
 * API never does it): the later entry is kept. 0, -EINVAL or -ENOMEM
 * (nothing changed).
 */
int kube_cache_replace(struct kube_cache *c, enum kube_kind kind, json_object *items,
		       void (*bad)(const char *name, const char *why, void *arg), void *arg,
		       size_t *added, size_t *changed, size_t *deleted);

/* The services and slices as arrays of values, for kube_translate(): new
 * arrays (shallow copies: they point into the cache's objects, valid
 * until the next change). Only the two arrays are the caller's to free:
 * never pass their elements to kube_service_free() or kube_slice_free().
 * 0 or -ENOMEM.
 */
int kube_cache_view(const struct kube_cache *c, struct kube_service **svcs,
		    struct kube_slice **slices);

#endif
