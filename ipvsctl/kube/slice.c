// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: an EndpointSlice from its JSON (see object.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "kube/internal.h"

/* ---- EndpointSlice -------------------------------------------------------------- */

static int slice_ports(json_object *o, struct kube_slice *s, char *why, size_t len)
{
	json_object *arr;
	size_t i, n;
	int err = kj_array(o, "ports", "ports", &arr, why, len);

	if (err)
		return err;
	n = arr ? json_object_array_length(arr) : 0;
	if (!n)
		return 0;
	if (n > KUBE_SLICE_PORTS_MAX)
		return kj_bad(why, len, "ports: %zu, more than the API's %d", n, KUBE_SLICE_PORTS_MAX);
	s->ports = calloc(n, sizeof(*s->ports));
	if (!s->ports)
		return -ENOMEM;
	/* a port with no number (or 0) is "all ports", which a proxy
	 * cannot use: read as 0, and skipped by translate.c
	 */
	for (i = 0; i < n; i++) {
		struct kube_slice_port *sp = &s->ports[i];

		err = kj_port_entry(json_object_array_get_idx(arr, i), "ports", i, sp->name,
				    &sp->proto, &sp->port, false, why, len);
		if (err)
			return err;
		s->nports++;
	}
	return 0;
}

/* a condition: absent or null means @dflt (EndpointConditions) */
static int cond(json_object *c, const char *key, bool dflt, bool *out, const char *path,
		char *why, size_t len)
{
	json_object *v = kj_member(c, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return kj_bad(why, len, "%s.%s: not true or false", path, key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int endpoint(json_object *e, int af, const char *node, struct kube_endpoint *ep,
		    const char *path, char *why, size_t len)
{
	char name[KUBE_NAME_MAX];
	json_object *addrs, *c, *a;
	const char *s;
	char p[80];
	int err;

	if (!json_object_is_type(e, json_type_object))
		return kj_bad(why, len, "%s: not an object", path);
	snprintf(p, sizeof(p), "%s.addresses", path);
	err = kj_array(e, "addresses", p, &addrs, why, len);
	if (err)
		return err;
	if (!addrs || !json_object_array_length(addrs))
		return kj_bad(why, len, "%s: no address", p);
	if (json_object_array_length(addrs) > KUBE_EP_ADDRS_MAX)
		return kj_bad(why, len, "%s: more than %d addresses", p, KUBE_EP_ADDRS_MAX);
	/* the others are the same endpoint's (EndpointSlice API): one is used */
	a = json_object_array_get_idx(addrs, 0);
	if (!json_object_is_type(a, json_type_string) ||
	    kube_ip_parse(json_object_get_string(a), &ep->ip) || ep->ip.af != af)
		return kj_bad(why, len, "%s[0]: not an %s address", p, af == AF_INET ? "IPv4" : "IPv6");
	c = kj_member(e, "conditions");
	snprintf(p, sizeof(p), "%s.conditions", path);
	/* ready and serving absent: true (kube-proxy), terminating: false */
	err = cond(c, "ready", true, &ep->ready, p, why, len);
	if (!err)
		err = cond(c, "serving", true, &ep->serving, p, why, len);
	if (!err)
		err = cond(c, "terminating", false, &ep->terminating, p, why, len);
	snprintf(p, sizeof(p), "%s.nodeName", path);
	if (!err)
		err = kj_str(e, "nodeName", p, &s, why, len);
	if (!err && s) {
		err = kj_copy_name(s, name, KUBE_NAME_MAX, true, p, why, len);
		ep->local = !err && node && !strcmp(name, node);
	}
	/* a zone is a label value: letters, digits, '-', '_' and '.'
	 * (checked; kept when topology hints are used)
	 */
	snprintf(p, sizeof(p), "%s.zone", path);
	if (!err)
		err = kj_str(e, "zone", p, &s, why, len);
	if (!err && s && (strlen(s) >= KUBE_NAME_MAX ||
			  strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
			  strlen(s)))
		return kj_bad(why, len, "%s: not a zone name", p);
	return err;
}

void kube_slice_free(struct kube_slice *s)
{
	free(s->ports);
	free(s->eps);
	memset(s, 0, sizeof(*s));
}

int kube_slice_parse(json_object *o, const char *node, struct kube_slice *s, char *why,
		     size_t len)
{
	char show[KJ_SHOW_MAX];
	json_object *labels, *arr = NULL;
	const char *t, *svc;
	char path[64];
	size_t i, n;
	int err;

	memset(s, 0, sizeof(*s));
	err = kj_metadata(o, s->ns, s->name, &labels, why, len);
	if (err)
		return err;
	if (kj_member(labels, LABEL_PROXY_NAME))
		return kj_ignored(why, len, "labelled " LABEL_PROXY_NAME " (another proxy's)");
	if (kj_member(labels, LABEL_HEADLESS))
		return kj_ignored(why, len, "labelled " LABEL_HEADLESS);
	err = kj_str(labels, LABEL_SERVICE_NAME, "metadata.labels." LABEL_SERVICE_NAME, &svc,
			 why, len);
	if (err)
		return err;
	if (!svc)
		return kj_ignored(why, len, "no label " LABEL_SERVICE_NAME " (no service)");
	err = kj_copy_name(svc, s->service, KUBE_NAME_MAX, true,
			"metadata.labels." LABEL_SERVICE_NAME, why, len);
	if (!err)
		err = kj_str(o, "addressType", "addressType", &t, why, len);
	if (err)
		return err;
	if (!t)
		return kj_bad(why, len, "addressType: missing");
	if (!strcmp(t, "IPv4"))
		s->af = AF_INET;
	else if (!strcmp(t, "IPv6"))
		s->af = AF_INET6;
	else if (!strcmp(t, "FQDN"))
		return kj_ignored(why, len, "addressType FQDN (names, nothing to proxy)");
	else
		return kj_bad(why, len, "addressType: '%s' is not IPv4, IPv6 or FQDN", kj_show(t, show));
	err = slice_ports(o, s, why, len);
	if (!err)
		err = kj_array(o, "endpoints", "endpoints", &arr, why, len);
	n = !err && arr ? json_object_array_length(arr) : 0;
	if (n > KUBE_SLICE_EPS_MAX)
		err = kj_bad(why, len, "endpoints: %zu, more than the API's %d", n, KUBE_SLICE_EPS_MAX);
	if (!err && n) {
		s->eps = calloc(n, sizeof(*s->eps));
		if (!s->eps)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < n; i++) {
		snprintf(path, sizeof(path), "endpoints[%zu]", i);
		err = endpoint(json_object_array_get_idx(arr, i), s->af, node, &s->eps[i], path, why,
			       len);
		if (!err)
			s->neps++;
	}
	if (err)
		kube_slice_free(s);
	return err;
}
