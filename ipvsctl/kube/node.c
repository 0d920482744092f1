// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: the Node object, as the agent reads its own node: the pod
 * CIDRs (--detect-local-mode NodeCIDR) and whether the node is leaving.
 *
 * Facts from Kubernetes' API reference (Node v1: spec.podCIDR and
 * spec.podCIDRs, "at most 1 value for each of IPv4 and IPv6"; spec.taints)
 * and kube-proxy's documented /healthz behaviour (KEP-3836): a node with a
 * deletion timestamp or the taint ToBeDeletedByClusterAutoscaler is not
 * eligible for load-balancer traffic, and its /healthz fails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube/internal.h"

#define TAINT_TO_BE_DELETED "ToBeDeletedByClusterAutoscaler"

static int node_cidrs(json_object *spec, struct kube_node *n, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	json_object *arr;
	const char *one;
	size_t i, cnt;
	int err;

	err = kj_array(spec, "podCIDRs", "spec.podCIDRs", &arr, why, len);
	if (!err)
		err = kj_str(spec, "podCIDR", "spec.podCIDR", &one, why, len);
	if (err)
		return err;
	cnt = arr ? json_object_array_length(arr) : 0;
	/* podCIDRs is the list; podCIDR, its first entry, is what clusters
	 * before dual stack wrote alone
	 */
	if (!cnt && one && *one) {
		if (kube_cidr_parse(one, &n->pod_cidrs[0]))
			return kj_bad(why, len, "spec.podCIDR: '%s' is not a CIDR", kj_show(one, show));
		n->npod_cidrs = 1;
		return 0;
	}
	if (cnt > 2)
		return kj_bad(why, len, "spec.podCIDRs: more than 2 (one per family)");
	for (i = 0; i < cnt; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s = json_object_is_type(e, json_type_string) ?
				json_object_get_string(e) : NULL;

		if (!s || kube_cidr_parse(s, &n->pod_cidrs[i]))
			return kj_bad(why, len, "spec.podCIDRs[%zu]: not a CIDR", i);
		if (i && n->pod_cidrs[0].ip.af == n->pod_cidrs[1].ip.af)
			return kj_bad(why, len, "spec.podCIDRs: two of one family");
	}
	n->npod_cidrs = cnt;
	return 0;
}

static int node_taints(json_object *spec, bool *leaving, char *why, size_t len)
{
	json_object *arr;
	size_t i, cnt;
	int err;

	err = kj_array(spec, "taints", "spec.taints", &arr, why, len);
	if (err)
		return err;
	cnt = arr ? json_object_array_length(arr) : 0;
	for (i = 0; i < cnt; i++) {
		const char *key;
		char path[48];

		snprintf(path, sizeof(path), "spec.taints[%zu].key", i);
		err = kj_str(json_object_array_get_idx(arr, i), "key", path, &key, why, len);
		if (err)
			return err;
		if (key && !strcmp(key, TAINT_TO_BE_DELETED))
			*leaving = true;
	}
	return 0;
}

int kube_node_parse(json_object *o, struct kube_node *n, char *why, size_t len)
{
	json_object *md = kj_member(o, "metadata"), *spec = kj_member(o, "spec");
	const char *s;
	int err;

	memset(n, 0, sizeof(*n));
	if (!md || !json_object_is_type(md, json_type_object))
		return kj_bad(why, len, "metadata: missing");
	err = kj_str(md, "name", "metadata.name", &s, why, len);
	if (!err)
		err = kj_copy_name(s, n->name, KUBE_NAME_MAX, true, "metadata.name", why, len);
	if (!err)
		err = kj_str(md, "deletionTimestamp", "metadata.deletionTimestamp", &s, why, len);
	if (err)
		return err;
	n->leaving = s != NULL;
	if (spec && !json_object_is_type(spec, json_type_object))
		return kj_bad(why, len, "spec: not an object");
	err = node_cidrs(spec, n, why, len);
	if (!err)
		err = node_taints(spec, &n->leaving, why, len);
	return err;
}
