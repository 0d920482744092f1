// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/kube/cache.c: the agent's copy of Services and EndpointSlices,
 * kept by watch events and relists. A refused object changes nothing; an
 * object that becomes one a proxy ignores is dropped; a relist says what
 * it added, changed and deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktap.h"
#include "kube/cache.h"

static json_object *svc(const char *name, int port, const char *extra)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\"},"
		 "\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":%d}]%s}}", name, port,
		 extra ? extra : "");
	return json_tokener_parse(buf);
}

static int event(struct kube_cache *c, enum kube_event ev, json_object *o)
{
	char why[256] = "";
	int rc = kube_cache_event(c, KUBE_SERVICES, ev, o, why, sizeof(why));

	if (rc < 0)
		ktap_diag("refused: %s", why);
	json_object_put(o);
	return rc;
}

static int port_of(const struct kube_cache *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsvcs; i++)
		if (!strcmp(c->svcs[i]->name, name))
			return c->svcs[i]->nports ? c->svcs[i]->ports[0].port : 0;
	return -1;
}

static char names[256];

static const char *order(const struct kube_cache *c)
{
	size_t i, len = 0;

	names[0] = 0;
	for (i = 0; i < c->nsvcs && len < sizeof(names) - 70; i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? " " : "",
					c->svcs[i]->name);
	return names;
}

static void events(void)
{
	struct kube_cache c;
	unsigned long gen;

	kube_cache_init(&c, "node-a");
	ktap_ok(event(&c, KUBE_ADDED, svc("web", 80, NULL)) == 1 && c.nsvcs == 1, "ADDED: held");
	gen = c.gen;
	ktap_ok(event(&c, KUBE_MODIFIED, svc("web", 80, NULL)) == 0 && c.gen == gen,
		"MODIFIED with nothing a proxy uses changed: no change, no new generation");
	ktap_ok(event(&c, KUBE_MODIFIED, svc("web", 81, NULL)) == 1 && port_of(&c, "web") == 81 &&
		c.gen == gen + 1, "MODIFIED: the new version");
	ktap_ok(event(&c, KUBE_MODIFIED, svc("web", 70000, NULL)) == -EINVAL &&
		port_of(&c, "web") == 81 && c.gen == gen + 1,
		"MODIFIED with a bad port: refused, the last good version stays");
	ktap_ok(event(&c, KUBE_ADDED, svc("b", 1, NULL)) == 1 && event(&c, KUBE_ADDED, svc("a", 2, NULL)) == 1 &&
		event(&c, KUBE_ADDED, svc("zz", 3, NULL)) == 1 && !strcmp(order(&c), "a b web zz"),
		"kept in namespace/name order (%s)", names);
	ktap_ok(event(&c, KUBE_MODIFIED, svc("b", 1, ",\"type\":\"ExternalName\"")) == 1 &&
		!strcmp(order(&c), "a web zz"), "MODIFIED into an ExternalName: dropped (%s)", names);
	ktap_ok(event(&c, KUBE_MODIFIED, svc("b", 1, ",\"type\":\"ExternalName\"")) == 0,
		"an ignored object not held: no change");
	ktap_ok(event(&c, KUBE_DELETED, svc("zz", 99999, ",\"type\":\"Nonsense\"")) == 1 &&
		!strcmp(order(&c), "a web"), "DELETED: dropped, even with a body that would not parse");
	ktap_ok(event(&c, KUBE_DELETED, svc("nope", 1, NULL)) == 0, "DELETED of one not held: no change");
	ktap_ok(event(&c, KUBE_ADDED, json_tokener_parse("{\"spec\":{}}")) == -EINVAL && c.nsvcs == 2,
		"an object with no metadata: refused");
	kube_cache_free(&c);
}

struct bad_seen {
	int n;
	char last[128];
};

static void on_bad(const char *name, const char *why, void *arg)
{
	struct bad_seen *b = arg;

	b->n++;
	snprintf(b->last, sizeof(b->last), "%s: %s", name, why);
}

static void relist(void)
{
	struct kube_cache c;
	struct bad_seen b = { 0 };
	size_t a = 9, ch = 9, d = 9;
	json_object *items = json_object_new_array(), *slice;
	struct kube_service *sv = NULL;
	struct kube_slice *sl = NULL;
	char why[256];
	int rc;

	kube_cache_init(&c, "node-a");
	event(&c, KUBE_ADDED, svc("a", 1, NULL));
	event(&c, KUBE_ADDED, svc("b", 2, NULL));
	event(&c, KUBE_ADDED, svc("c", 3, NULL));
	json_object_array_add(items, svc("d", 4, NULL));
	json_object_array_add(items, svc("b", 20, NULL));
	json_object_array_add(items, svc("e", 0, NULL));	/* port 0: refused */
	json_object_array_add(items, svc("c", 3, NULL));
	json_object_array_add(items, svc("h", 5, ",\"clusterIP\":\"None\""));
	rc = kube_cache_replace(&c, KUBE_SERVICES, items, on_bad, &b, &a, &ch, &d);
	ktap_ok(rc == 0 && !strcmp(order(&c), "b c d"), "relist: the list's services, sorted (%s)", names);
	ktap_ok(a == 1 && ch == 1 && d == 1, "  added 1 (d), changed 1 (b), deleted 1 (a): %zu %zu %zu",
		a, ch, d);
	ktap_ok(b.n == 1 && strstr(b.last, "default/e: spec.ports[0].port"),
		"  the refused one reported once, by name (%s)", b.last);
	ktap_ok(port_of(&c, "b") == 20, "  b's new version");
	json_object_put(items);

	slice = json_tokener_parse(
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"b-1\",\"labels\":"
		"{\"kubernetes.io/service-name\":\"b\"}},\"addressType\":\"IPv4\","
		"\"endpoints\":[{\"addresses\":[\"10.244.1.1\"]}]}");
	rc = kube_cache_event(&c, KUBE_SLICES, KUBE_ADDED, slice, why, sizeof(why));
	json_object_put(slice);
	ktap_ok(rc == 1 && c.nslices == 1 && !strcmp(c.slices[0]->service, "b"), "a slice held");
	ktap_ok(!kube_cache_view(&c, &sv, &sl) && sv[0].ports[0].port == 20 && !strcmp(sv[2].name, "d") &&
		sl[0].neps == 1, "the view: the objects as arrays, in order");
	free(sv);
	free(sl);
	kube_cache_free(&c);
}

static int slice_ev(struct kube_cache *c, enum kube_event ev, const char *eps)
{
	char buf[512], why[256];
	json_object *o;
	int rc;

	snprintf(buf, sizeof(buf), "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web-1\","
		 "\"labels\":{\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\","
		 "\"ports\":[{\"port\":8080}],\"endpoints\":[%s]}", eps);
	o = json_tokener_parse(buf);
	rc = kube_cache_event(c, KUBE_SLICES, ev, o, why, sizeof(why));
	json_object_put(o);
	return rc;
}

/* a change a proxy uses, in one field, must be a change */
static void changes(void)
{
	static const char *const extra[] = {
		",\"type\":\"NodePort\"", ",\"externalIPs\":[\"192.0.2.1\"]",
		",\"externalTrafficPolicy\":\"Local\"", ",\"internalTrafficPolicy\":\"Local\"",
		",\"sessionAffinity\":\"ClientIP\"", ",\"loadBalancerSourceRanges\":[\"10.0.0.0/8\"]",
		",\"healthCheckNodePort\":31000",
	};
	struct kube_cache c;
	size_t i, seen = 0;

	kube_cache_init(&c, "node-a");
	event(&c, KUBE_ADDED, svc("web", 80, NULL));
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		seen += event(&c, KUBE_MODIFIED, svc("web", 80, extra[i])) == 1;
		event(&c, KUBE_MODIFIED, svc("web", 80, NULL));
	}
	ktap_ok(seen == sizeof(extra) / sizeof(extra[0]), "each Service field a proxy uses: a change (%zu of %zu)",
		seen, sizeof(extra) / sizeof(extra[0]));
	ktap_ok(slice_ev(&c, KUBE_ADDED, "{\"addresses\":[\"10.244.1.5\"]}") == 1 &&
		slice_ev(&c, KUBE_MODIFIED, "{\"addresses\":[\"10.244.1.5\"]}") == 0,
		"a slice: held; the same again: no change");
	ktap_ok(slice_ev(&c, KUBE_MODIFIED, "{\"addresses\":[\"10.244.1.5\"],\"conditions\":{\"ready\":false}}") == 1 &&
		!c.slices[0]->eps[0].ready, "an endpoint's readiness flips: a change");
	ktap_ok(slice_ev(&c, KUBE_MODIFIED, "{\"addresses\":[\"10.244.1.5\"],\"nodeName\":\"node-a\"}") == 1 &&
		c.slices[0]->eps[0].local, "an endpoint moves to this node: a change, and local");
	ktap_ok(slice_ev(&c, KUBE_MODIFIED, "{\"addresses\":[\"10.244.1.5\"],\"nodeName\":\"node-a\"},"
			 "{\"addresses\":[\"10.244.1.6\"]}") == 1 && c.slices[0]->neps == 2,
		"an endpoint added: a change");
	kube_cache_free(&c);
}

static void relist_edges(void)
{
	struct kube_cache c;
	json_object *bad = json_tokener_parse("{\"oops\":1}"), *two = json_object_new_array();
	int rc;

	kube_cache_init(&c, NULL);
	event(&c, KUBE_ADDED, svc("web", 80, NULL));
	rc = kube_cache_replace(&c, KUBE_SERVICES, bad, NULL, NULL, NULL, NULL, NULL);
	ktap_ok(rc == -EINVAL && c.nsvcs == 1, "a relist whose items are not a list: refused, nothing deleted");
	json_object_array_add(two, svc("x", 1, NULL));
	json_object_array_add(two, svc("x", 2, NULL));
	rc = kube_cache_replace(&c, KUBE_SERVICES, two, NULL, NULL, NULL, NULL, NULL);
	ktap_ok(rc == 0 && c.nsvcs == 1 && port_of(&c, "x") == 2, "a name listed twice: the later kept");
	rc = kube_cache_replace(&c, KUBE_SERVICES, NULL, NULL, NULL, NULL, NULL, NULL);
	ktap_ok(rc == 0 && c.nsvcs == 0, "a null list: empty");
	json_object_put(bad);
	json_object_put(two);
	kube_cache_free(&c);
}

/* a held object that a relist gives in a version that does not parse:
 * its last good version stays, as a watch event that does not parse
 * leaves it (the name must be valid to be found)
 */
static void relist_keeps(void)
{
	struct kube_cache c;
	json_object *l1 = json_object_new_array(), *l2 = json_object_new_array();
	size_t a = 9, ch = 9, d = 9;
	int rc;

	kube_cache_init(&c, NULL);
	event(&c, KUBE_ADDED, svc("web", 80, NULL));
	json_object_array_add(l1, svc("web", 70000, NULL));
	json_object_array_add(l1, svc("x", 1, NULL));
	rc = kube_cache_replace(&c, KUBE_SERVICES, l1, NULL, NULL, &a, &ch, &d);
	ktap_ok(rc == 0 && !strcmp(order(&c), "web x") && port_of(&c, "web") == 80,
		"a relist refusing a held object keeps its last good version (%s, port %d)", names,
		port_of(&c, "web"));
	ktap_ok(a == 1 && ch == 0 && d == 0, "  counted: x added, web unchanged (%zu %zu %zu)", a, ch, d);
	json_object_array_add(l2, svc("web", 70000, NULL));
	json_object_array_add(l2, svc("web", 81, NULL));
	rc = kube_cache_replace(&c, KUBE_SERVICES, l2, NULL, NULL, &a, &ch, &d);
	ktap_ok(rc == 0 && !strcmp(order(&c), "web") && port_of(&c, "web") == 81 && d == 1,
		"  listed refused then valid: the valid one, x deleted (%s, port %d, %zu deleted)", names,
		port_of(&c, "web"), d);
	json_object_put(l1);
	json_object_put(l2);
	kube_cache_free(&c);
}

int main(void)
{
	ktap_plan(10 + 6 + 5 + 3 + 3);
	events();
	relist();
	changes();
	relist_edges();
	relist_keeps();
	return ktap_finish();
}
