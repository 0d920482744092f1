// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: a Service from its JSON (see object.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "kube/internal.h"

/* ---- Service ------------------------------------------------------------------ */

static int svc_type(json_object *spec, struct kube_service *s, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	const char *t;
	int err = kj_str(spec, "type", "spec.type", &t, why, len);

	if (err)
		return err;
	if (!t || !strcmp(t, "ClusterIP"))
		s->type = KUBE_CLUSTER_IP;
	else if (!strcmp(t, "NodePort"))
		s->type = KUBE_NODE_PORT;
	else if (!strcmp(t, "LoadBalancer"))
		s->type = KUBE_LOAD_BALANCER;
	else if (!strcmp(t, "ExternalName"))
		return kj_ignored(why, len, "type ExternalName (a DNS name, nothing to proxy)");
	else
		return kj_bad(why, len, "spec.type: '%s' is not ClusterIP, NodePort, LoadBalancer or ExternalName",
			      kj_show(t, show));
	return 0;
}

static int svc_cluster_ips(json_object *spec, struct kube_service *s, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	json_object *arr;
	const char *one;
	size_t i, n;
	int err;

	err = kj_array(spec, "clusterIPs", "spec.clusterIPs", &arr, why, len);
	if (!err)
		err = kj_str(spec, "clusterIP", "spec.clusterIP", &one, why, len);
	if (err)
		return err;
	n = arr ? json_object_array_length(arr) : 0;
	if (!n) {
		/* before dual-stack: clusterIP alone */
		if (!one || !*one || !strcmp(one, "None"))
			return kj_ignored(why, len, "headless (no cluster IP)");
		if (kube_ip_parse(one, &s->cluster_ips[0]))
			return kj_bad(why, len, "spec.clusterIP: '%s' is not an IP address", kj_show(one, show));
		s->ncluster = 1;
		return 0;
	}
	if (n > 2)
		return kj_bad(why, len, "spec.clusterIPs: %zu addresses (at most one per family)", n);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *ip = json_object_is_type(e, json_type_string) ?
				 json_object_get_string(e) : NULL;

		if (i == 0 && ip && (!*ip || !strcmp(ip, "None")))
			return kj_ignored(why, len, "headless (no cluster IP)");
		if (!ip || kube_ip_parse(ip, &s->cluster_ips[i]))
			return kj_bad(why, len, "spec.clusterIPs[%zu]: not an IP address", i);
	}
	if (n == 2 && s->cluster_ips[0].af == s->cluster_ips[1].af)
		return kj_bad(why, len, "spec.clusterIPs: two addresses of one family");
	s->ncluster = n;
	return 0;
}

static int svc_ports(json_object *spec, struct kube_service *s, char *why, size_t len)
{
	json_object *arr;
	char path[64];
	size_t i, n;
	int err;

	err = kj_array(spec, "ports", "spec.ports", &arr, why, len);
	if (err)
		return err;
	n = arr ? json_object_array_length(arr) : 0;
	if (!n)
		return 0;
	if (n > KUBE_SVC_LIST_MAX)
		return kj_bad(why, len, "spec.ports: more than %d", KUBE_SVC_LIST_MAX);
	s->ports = calloc(n, sizeof(*s->ports));
	if (!s->ports)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(arr, i);
		struct kube_svc_port *sp = &s->ports[i];
		int64_t v;

		err = kj_port_entry(p, "spec.ports", i, sp->name, &sp->proto, &sp->port, true, why,
				    len);
		if (err)
			return err;
		snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
		err = kj_int(p, "nodePort", path, 0, 65535, 0, &v, why, len);
		if (err)
			return err;
		sp->node_port = (uint16_t)v;
		s->nports++;
	}
	return 0;
}

static int svc_lb_ips(json_object *o, struct kube_service *s, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	json_object *ing = kj_member(kj_member(kj_member(o, "status"), "loadBalancer"), "ingress");
	size_t i, n;

	if (!ing)
		return 0;
	if (!json_object_is_type(ing, json_type_array))
		return kj_bad(why, len, "status.loadBalancer.ingress: not a list");
	n = json_object_array_length(ing);
	if (!n)
		return 0;
	if (n > KUBE_SVC_LIST_MAX)
		return kj_bad(why, len, "status.loadBalancer.ingress: more than %d", KUBE_SVC_LIST_MAX);
	s->lb_ips = calloc(n, sizeof(*s->lb_ips));
	if (!s->lb_ips)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ing, i);
		const char *ip, *mode;
		char path[64];
		int err;

		if (!json_object_is_type(e, json_type_object))
			return kj_bad(why, len, "status.loadBalancer.ingress[%zu]: not an object", i);

		snprintf(path, sizeof(path), "status.loadBalancer.ingress[%zu].ipMode", i);
		err = kj_str(e, "ipMode", path, &mode, why, len);
		snprintf(path, sizeof(path), "status.loadBalancer.ingress[%zu].ip", i);
		if (!err)
			err = kj_str(e, "ip", path, &ip, why, len);
		if (err)
			return err;
		/* a hostname only, or ipMode Proxy (the load balancer proxies:
		 * traffic arrives for the node, not the VIP): not bound here
		 */
		if (!ip || (mode && strcmp(mode, "VIP")))
			continue;
		if (kube_ip_parse(ip, &s->lb_ips[s->nlb]))
			return kj_bad(why, len, "%s: '%s' is not an IP address", path,
				      kj_show(ip, show));
		s->nlb++;
	}
	return 0;
}

static int svc_ranges(json_object *spec, struct kube_service *s, char *why, size_t len)
{
	json_object *arr;
	size_t i, n;
	int err;

	err = kj_array(spec, "loadBalancerSourceRanges", "spec.loadBalancerSourceRanges", &arr,
			   why, len);
	if (err)
		return err;
	n = arr ? json_object_array_length(arr) : 0;
	if (!n)
		return 0;
	if (n > KUBE_SVC_LIST_MAX)
		return kj_bad(why, len, "spec.loadBalancerSourceRanges: more than %d", KUBE_SVC_LIST_MAX);
	s->source_ranges = calloc(n, sizeof(*s->source_ranges));
	if (!s->source_ranges)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_string) ||
		    kube_cidr_parse(json_object_get_string(e), &s->source_ranges[i]))
			return kj_bad(why, len, "spec.loadBalancerSourceRanges[%zu]: not a CIDR", i);
	}
	s->nranges = n;
	return 0;
}

static int policy(json_object *spec, const char *key, bool *local, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	const char *p;
	char path[64];
	int err;

	snprintf(path, sizeof(path), "spec.%s", key);
	err = kj_str(spec, key, path, &p, why, len);
	if (err)
		return err;
	if (!p || !strcmp(p, "Cluster"))
		*local = false;
	else if (!strcmp(p, "Local"))
		*local = true;
	else
		return kj_bad(why, len, "%s: '%s' is not Cluster or Local", path,
			      kj_show(p, show));
	return 0;
}

static int svc_affinity(json_object *spec, struct kube_service *s, char *why, size_t len)
{
	char show[KJ_SHOW_MAX];
	const char *a;
	int64_t t;
	int err = kj_str(spec, "sessionAffinity", "spec.sessionAffinity", &a, why, len);

	if (err)
		return err;
	if (!a || !strcmp(a, "None"))
		return 0;
	if (strcmp(a, "ClientIP"))
		return kj_bad(why, len, "spec.sessionAffinity: '%s' is not None or ClientIP",
			      kj_show(a, show));
	/* the API's default and bounds (ClientIPConfig) */
	err = kj_int(kj_member(kj_member(spec, "sessionAffinityConfig"), "clientIP"),
			 "timeoutSeconds", "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
			 1, 86400, 10800, &t, why, len);
	if (err)
		return err;
	s->affinity_s = (uint32_t)t;
	return 0;
}

void kube_service_free(struct kube_service *s)
{
	free(s->external_ips);
	free(s->lb_ips);
	free(s->source_ranges);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}

int kube_service_parse(json_object *o, struct kube_service *s, char *why, size_t len)
{
	json_object *labels, *spec, *arr;
	int64_t v;
	int err;

	memset(s, 0, sizeof(*s));
	err = kj_metadata(o, s->ns, s->name, &labels, why, len);
	if (err)
		return err;
	/* the label selector kube-proxy lists and watches with, for
	 * Services and EndpointSlices alike
	 */
	if (kj_member(labels, LABEL_PROXY_NAME))
		return kj_ignored(why, len, "labelled " LABEL_PROXY_NAME " (another proxy's)");
	if (kj_member(labels, LABEL_HEADLESS))
		return kj_ignored(why, len, "labelled " LABEL_HEADLESS);
	spec = kj_member(o, "spec");
	if (!spec || !json_object_is_type(spec, json_type_object))
		return kj_bad(why, len, "spec: missing");
	err = svc_type(spec, s, why, len);
	if (!err)
		err = svc_cluster_ips(spec, s, why, len);
	if (!err)
		err = svc_ports(spec, s, why, len);
	if (!err)
		err = kj_array(spec, "externalIPs", "spec.externalIPs", &arr, why, len);
	if (!err)
		err = kj_ip_list(arr, "spec.externalIPs", &s->external_ips, &s->nexternal, why, len);
	if (!err)
		err = svc_lb_ips(o, s, why, len);
	if (!err)
		err = svc_ranges(spec, s, why, len);
	if (!err)
		err = policy(spec, "externalTrafficPolicy", &s->etp_local, why, len);
	if (!err)
		err = policy(spec, "internalTrafficPolicy", &s->itp_local, why, len);
	if (!err)
		err = kj_int(spec, "healthCheckNodePort", "spec.healthCheckNodePort", 0, 65535,
				 0, &v, why, len);
	if (!err) {
		s->hc_node_port = (uint16_t)v;
		err = svc_affinity(spec, s, why, len);
	}
	if (err)
		kube_service_free(s);
	return err;
}

