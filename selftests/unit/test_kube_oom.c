// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/kube: every allocation of the agent's own code failing in turn.
 * One scenario (a relist of Services and of EndpointSlices, a watch
 * event, the view, a translation of a dual-stack load balancer with a
 * Local policy, affinity, an external IP and node ports) is run once to
 * count the allocations, then once per allocation with that one failing:
 * each run must end in -ENOMEM and give back everything it took.
 *
 * The code under test is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc,--wrap=free: its own calls come here (json-c's, inside
 * the shared library, do not). The count of live blocks is the leak
 * check: it must be back to 0 after each run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"
#include "kube/cache.h"
#include "kube/translate.h"
#include "kube/watch.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static long fail_at = -1;	/* the allocation to fail, from 0; -1: none */
static long allocs, live;

static int failing(void)
{
	return fail_at >= 0 && allocs++ == fail_at;
}

void *__wrap_malloc(size_t n)
{
	void *p;

	if (fail_at < 0)
		allocs++;
	if (failing())
		return NULL;
	p = __real_malloc(n);
	live += p != NULL;
	return p;
}

void *__wrap_calloc(size_t a, size_t b)
{
	void *p;

	if (fail_at < 0)
		allocs++;
	if (failing())
		return NULL;
	p = __real_calloc(a, b);
	live += p != NULL;
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (fail_at < 0)
		allocs++;
	if (failing())
		return NULL;
	p = __real_realloc(old, n);
	live += !old && p;
	return p;
}

void __wrap_free(void *p)
{
	live -= p != NULL;
	__real_free(p);
}

static const char services[] =
	"[{\"metadata\":{\"namespace\":\"d\",\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\","
	"\"clusterIPs\":[\"10.96.0.40\",\"fd00::40\"],\"externalTrafficPolicy\":\"Local\","
	"\"healthCheckNodePort\":31000,\"sessionAffinity\":\"ClientIP\",\"externalIPs\":[\"192.0.2.1\"],"
	"\"loadBalancerSourceRanges\":[\"203.0.113.0/24\"],\"ports\":[{\"port\":443,\"nodePort\":30443},"
	"{\"name\":\"x\",\"port\":444,\"nodePort\":30444}]},"
	"\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}},"
	"{\"metadata\":{\"namespace\":\"d\",\"name\":\"c\"},\"spec\":{\"clusterIP\":\"10.96.0.41\","
	"\"ports\":[{\"port\":80}]}}]";
static const char slices[] =
	"[{\"metadata\":{\"namespace\":\"d\",\"name\":\"lb-1\",\"labels\":{\"kubernetes.io/service-name\":\"lb\"}},"
	"\"addressType\":\"IPv4\",\"ports\":[{\"port\":8443},{\"name\":\"x\",\"port\":8444}],"
	"\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"nodeName\":\"node-a\"},"
	"{\"addresses\":[\"10.244.2.5\"],\"nodeName\":\"node-b\"}]},"
	"{\"metadata\":{\"namespace\":\"d\",\"name\":\"lb-2\",\"labels\":{\"kubernetes.io/service-name\":\"lb\"}},"
	"\"addressType\":\"IPv6\",\"ports\":[{\"port\":8443}],"
	"\"endpoints\":[{\"addresses\":[\"fd00::5\"],\"nodeName\":\"node-a\"}]}]";
static const char event[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"namespace\":\"e\",\"name\":\"n\"},"
	"\"spec\":{\"clusterIP\":\"10.96.0.50\",\"ports\":[{\"port\":1}]}}}\n";

static int on_event(enum kube_event ev, json_object *o, void *arg)
{
	char why[256];
	int rc = kube_cache_event(arg, KUBE_SERVICES, ev, o, why, sizeof(why));

	return rc < 0 ? rc : 0;
}

/* 0, or the first error */
static int scenario(size_t *nops)
{
	json_object *s = json_tokener_parse(services), *sl = json_tokener_parse(slices);
	struct kube_ip ips[2];
	struct kube_node_conf node = { .sched = "maglev", .nodeport_ips = ips, .n_nodeport_ips = 2 };
	struct kube_service *sv = NULL;
	struct kube_slice *sli = NULL;
	struct kube_cache c;
	struct kube_watch w;
	struct kube_out out;
	int rc, wrc = -1;

	kube_ip_parse("192.168.0.10", &ips[0]);
	kube_ip_parse("fd00::10", &ips[1]);
	kube_cache_init(&c, "node-a");
	rc = kube_cache_replace(&c, KUBE_SERVICES, s, NULL, NULL, NULL, NULL, NULL);
	if (!rc)
		rc = kube_cache_replace(&c, KUBE_SLICES, sl, NULL, NULL, NULL, NULL, NULL);
	if (!rc) {
		wrc = kube_watch_init(&w, "1", on_event, &c);
		rc = wrc ? wrc : kube_watch_feed(&w, event, strlen(event));
	}
	if (!rc)
		rc = kube_cache_view(&c, &sv, &sli);
	if (!rc) {
		rc = kube_translate(&node, sv, c.nsvcs, sli, c.nslices, &out);
		if (!rc) {
			*nops = out.nops;
			kube_out_free(&out);
		}
	}
	if (!wrc)
		kube_watch_free(&w);
	free(sv);
	free(sli);
	kube_cache_free(&c);
	json_object_put(s);
	json_object_put(sl);
	return rc;
}

int main(void)
{
	long total, n, wrong = 0, leaked = 0;
	size_t nops = 0;
	int rc;

	ktap_plan(3);
	rc = scenario(&nops);
	total = allocs;
	ktap_ok(rc == 0 && nops > 0 && live == 0 && total > 10,
		"the scenario, no failure: %zu ops, %ld allocations, %ld blocks left", nops, total, live);
	for (n = 0; n < total; n++) {
		fail_at = n;
		allocs = 0;
		live = 0;
		rc = scenario(&nops);
		if (rc != -ENOMEM) {
			wrong++;
			ktap_diag("allocation %ld failing: %d, not -ENOMEM", n, rc);
		}
		if (live) {
			leaked++;
			ktap_diag("allocation %ld failing: %ld blocks left", n, live);
		}
	}
	ktap_ok(!wrong, "each of the %ld allocations failing: -ENOMEM (%ld otherwise)", total, wrong);
	ktap_ok(!leaked, "  and everything given back (%ld runs left blocks)", leaked);
	return ktap_finish();
}
