// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/kube/object.c and slice.c: Services and EndpointSlices from their
 * JSON. Each row is one object: what the parser must say (parsed, ignored
 * as not a proxy's, or refused), and for a refusal the field its reason
 * must name. Then the values of the parsed ones.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "ktap.h"
#include "kube/object.h"

#define MD "\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"}"
#define SLICE_MD "\"metadata\":{\"namespace\":\"default\",\"name\":\"web-abc12\"," \
	"\"labels\":{\"kubernetes.io/service-name\":\"web\"}}"

enum want { OK, IGN, BAD };

static const struct svc_row {
	const char *what, *json;
	enum want want;
	const char *why;	/* a part of the reason */
} svc_rows[] = {
	{ "a ClusterIP service", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80}]}}",
	  OK, NULL },
	{ "unknown fields are ignored", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"x\":{\"y\":[1]},"
	  "\"ports\":[{\"port\":80,\"appProtocol\":\"http\",\"targetPort\":\"http\"}]},\"status\":{}}", OK, NULL },
	{ "headless (None)", "{" MD ",\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}}", IGN,
	  "headless" },
	{ "headless (clusterIPs None)", "{" MD ",\"spec\":{\"clusterIPs\":[\"None\"]}}", IGN, "headless" },
	{ "no cluster IP at all", "{" MD ",\"spec\":{\"ports\":[{\"port\":80}]}}", IGN, "headless" },
	{ "ExternalName", "{" MD ",\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"a.example\"}}",
	  IGN, "ExternalName" },
	{ "another proxy's", "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\",\"labels\":"
	  "{\"service.kubernetes.io/service-proxy-name\":\"other\"}},\"spec\":{\"clusterIP\":\"10.96.0.10\"}}",
	  IGN, "service-proxy-name" },
	{ "a port out of range", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":70000}]}}",
	  BAD, "spec.ports[0].port" },
	{ "port 0", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":0}]}}",
	  BAD, "spec.ports[0].port" },
	{ "a port as a string", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":\"80\"}]}}",
	  BAD, "spec.ports[0].port: not an integer" },
	{ "no port number", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"a\"}]}}",
	  BAD, "spec.ports[0].port: missing" },
	{ "a nodePort out of range", "{" MD ",\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.10\","
	  "\"ports\":[{\"port\":80,\"nodePort\":65536}]}}", BAD, "spec.ports[0].nodePort" },
	{ "ICMP", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80,\"protocol\":\"ICMP\"}]}}",
	  BAD, "spec.ports[0].protocol" },
	{ "lowercase tcp", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80,\"protocol\":\"tcp\"}]}}",
	  BAD, "spec.ports[0].protocol" },
	{ "a bad cluster IP", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.300\"}}", BAD, "spec.clusterIP" },
	{ "two cluster IPs of one family", "{" MD ",\"spec\":{\"clusterIPs\":[\"10.96.0.10\",\"10.96.0.11\"]}}",
	  BAD, "one family" },
	{ "three cluster IPs", "{" MD ",\"spec\":{\"clusterIPs\":[\"10.96.0.10\",\"fd00::1\",\"10.96.0.11\"]}}",
	  BAD, "spec.clusterIPs" },
	{ "a bad external IP", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"externalIPs\":[\"example.com\"]}}",
	  BAD, "spec.externalIPs[0]" },
	{ "external IPs not a list", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"externalIPs\":\"1.2.3.4\"}}",
	  BAD, "spec.externalIPs: not a list" },
	{ "a name with characters a rule must not see",
	  "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\\\" drop\"},\"spec\":{\"clusterIP\":\"10.96.0.10\"}}",
	  BAD, "metadata.name" },
	{ "a newline in a name is not passed on to the log",
	  "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\\nforged line\"},\"spec\":{}}",
	  BAD, "'web?forged line' is not" },
	{ "a NUL character inside a name",
	  "{\"metadata\":{\"namespace\":\"default\",\"name\":\"kube-dns\\u0000x\"},\"spec\":{}}",
	  BAD, "metadata.name: a NUL character" },
	{ "a Service labelled headless",
	  "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\",\"labels\":"
	  "{\"service.kubernetes.io/headless\":\"\"}},\"spec\":{\"clusterIP\":\"10.96.0.10\"}}",
	  IGN, "headless" },
	{ "a bad ipMode is named as such",
	  "{" MD ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\"},"
	  "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.2.3.4\",\"ipMode\":7}]}}}",
	  BAD, "ingress[0].ipMode: not a string" },
	{ "an uppercase namespace",
	  "{\"metadata\":{\"namespace\":\"Default\",\"name\":\"web\"},\"spec\":{\"clusterIP\":\"10.96.0.10\"}}",
	  BAD, "metadata.namespace" },
	{ "a namespace of 64 characters",
	  "{\"metadata\":{\"namespace\":\"a123456789a123456789a123456789a123456789a123456789a123456789abcd\","
	  "\"name\":\"web\"},\"spec\":{\"clusterIP\":\"10.96.0.10\"}}", BAD, "metadata.namespace" },
	{ "no metadata", "{\"spec\":{\"clusterIP\":\"10.96.0.10\"}}", BAD, "metadata" },
	{ "no spec", "{" MD "}", BAD, "spec" },
	{ "an unknown type", "{" MD ",\"spec\":{\"type\":\"Magic\",\"clusterIP\":\"10.96.0.10\"}}", BAD, "spec.type" },
	{ "an unknown traffic policy", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\","
	  "\"externalTrafficPolicy\":\"Nearest\"}}", BAD, "spec.externalTrafficPolicy" },
	{ "an unknown affinity", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"sessionAffinity\":\"Cookie\"}}",
	  BAD, "spec.sessionAffinity" },
	{ "an affinity timeout of 0", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"sessionAffinity\":\"ClientIP\","
	  "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":0}}}}", BAD, "timeoutSeconds" },
	{ "an affinity timeout over a day", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"sessionAffinity\":\"ClientIP\","
	  "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":86401}}}}", BAD, "timeoutSeconds" },
	{ "a source range that is no CIDR", "{" MD ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\","
	  "\"loadBalancerSourceRanges\":[\"10.0.0.0/33\"]}}", BAD, "loadBalancerSourceRanges[0]" },
	{ "a source range without a length", "{" MD ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\","
	  "\"loadBalancerSourceRanges\":[\"10.0.0.1\"]}}", BAD, "loadBalancerSourceRanges[0]" },
	{ "a bad load balancer IP", "{" MD ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\"},"
	  "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.2.3\"}]}}}", BAD, "ingress[0].ip" },
	{ "a health check port out of range", "{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\","
	  "\"healthCheckNodePort\":-1}}", BAD, "healthCheckNodePort" },
};

static const struct slice_row {
	const char *what, *json;
	enum want want;
	const char *why;
} slice_rows[] = {
	{ "an IPv4 slice", "{" SLICE_MD ",\"addressType\":\"IPv4\",\"ports\":[{\"port\":8080}],"
	  "\"endpoints\":[{\"addresses\":[\"10.244.1.5\"]}]}", OK, NULL },
	{ "no endpoints, no ports", "{" SLICE_MD ",\"addressType\":\"IPv6\",\"endpoints\":null}", OK, NULL },
	{ "FQDN", "{" SLICE_MD ",\"addressType\":\"FQDN\"}", IGN, "FQDN" },
	{ "no service-name label", "{\"metadata\":{\"namespace\":\"default\",\"name\":\"x\"},\"addressType\":\"IPv4\"}",
	  IGN, "service-name" },
	{ "headless", "{\"metadata\":{\"namespace\":\"default\",\"name\":\"x\",\"labels\":{"
	  "\"kubernetes.io/service-name\":\"web\",\"service.kubernetes.io/headless\":\"\"}},\"addressType\":\"IPv4\"}",
	  IGN, "headless" },
	{ "another proxy's", "{\"metadata\":{\"namespace\":\"default\",\"name\":\"x\",\"labels\":{"
	  "\"kubernetes.io/service-name\":\"web\",\"service.kubernetes.io/service-proxy-name\":\"o\"}},"
	  "\"addressType\":\"IPv4\"}", IGN, "service-proxy-name" },
	{ "no address type", "{" SLICE_MD ",\"endpoints\":[]}", BAD, "addressType" },
	{ "an unknown address type", "{" SLICE_MD ",\"addressType\":\"IPX\"}", BAD, "addressType" },
	{ "an IPv6 address in an IPv4 slice", "{" SLICE_MD ",\"addressType\":\"IPv4\","
	  "\"endpoints\":[{\"addresses\":[\"fd00::5\"]}]}", BAD, "endpoints[0].addresses[0]" },
	{ "an endpoint with no address", "{" SLICE_MD ",\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[]}]}",
	  BAD, "endpoints[0].addresses" },
	{ "a condition that is not a boolean", "{" SLICE_MD ",\"addressType\":\"IPv4\","
	  "\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"conditions\":{\"ready\":\"yes\"}}]}",
	  BAD, "endpoints[0].conditions.ready" },
	{ "a port out of range", "{" SLICE_MD ",\"addressType\":\"IPv4\",\"ports\":[{\"port\":65536}]}",
	  BAD, "ports[0].port" },
	{ "a bad service name label", "{\"metadata\":{\"namespace\":\"default\",\"name\":\"x\",\"labels\":{"
	  "\"kubernetes.io/service-name\":\"a b\"}},\"addressType\":\"IPv4\"}", BAD, "service-name" },
	{ "a bad node name", "{" SLICE_MD ",\"addressType\":\"IPv4\","
	  "\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"nodeName\":\"Node_1\"}]}", BAD, "endpoints[0].nodeName" },
	{ "a bad zone", "{" SLICE_MD ",\"addressType\":\"IPv4\","
	  "\"endpoints\":[{\"addresses\":[\"10.244.1.5\"],\"zone\":\"a zone\"}]}", BAD, "endpoints[0].zone" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *word(int rc)
{
	return rc == 0 ? "parsed" : rc == KUBE_IGNORED ? "ignored" : rc == -EINVAL ? "refused" : "error";
}

static int expect(enum want w)
{
	return w == OK ? 0 : w == IGN ? KUBE_IGNORED : -EINVAL;
}

static void svc_table(void)
{
	size_t i;

	for (i = 0; i < N(svc_rows); i++) {
		const struct svc_row *r = &svc_rows[i];
		json_object *o = json_tokener_parse(r->json);
		struct kube_service s;
		char why[256] = "";
		int rc = o ? kube_service_parse(o, &s, why, sizeof(why)) : -999;

		ktap_ok(rc == expect(r->want) && (!r->why || strstr(why, r->why)),
			"service, %s: %s (%s)", r->what, word(rc), why);
		if (rc == 0)
			kube_service_free(&s);
		json_object_put(o);
	}
}

static void slice_table(void)
{
	size_t i;

	for (i = 0; i < N(slice_rows); i++) {
		const struct slice_row *r = &slice_rows[i];
		json_object *o = json_tokener_parse(r->json);
		struct kube_slice s;
		char why[256] = "";
		int rc = o ? kube_slice_parse(o, "node-1", &s, why, sizeof(why)) : -999;

		ktap_ok(rc == expect(r->want) && (!r->why || strstr(why, r->why)),
			"slice, %s: %s (%s)", r->what, word(rc), why);
		if (rc == 0)
			kube_slice_free(&s);
		json_object_put(o);
	}
}

static int parse_svc(const char *json, struct kube_service *s)
{
	json_object *o = json_tokener_parse(json);
	char why[256];
	int rc = o ? kube_service_parse(o, s, why, sizeof(why)) : -999;

	if (rc)
		ktap_diag("%s", why);
	json_object_put(o);
	return rc;
}

static bool ip_is(const struct kube_ip *ip, int af, const char *text)
{
	struct kube_ip want;

	return !kube_ip_parse(text, &want) && want.af == af && ip->af == af &&
	       !memcmp(ip->a, want.a, af == AF_INET ? 4 : 16);
}

static void svc_values(void)
{
	struct kube_service s;
	int rc;

	rc = parse_svc("{" MD ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.10\","
		       "\"clusterIPs\":[\"fd00:10:96::a\",\"10.96.0.10\"],\"ipFamilies\":[\"IPv6\",\"IPv4\"],"
		       "\"ports\":[{\"name\":\"http\",\"port\":80,\"nodePort\":30080},"
		       "{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53,\"nodePort\":0},"
		       "{\"name\":\"s\",\"protocol\":\"SCTP\",\"port\":132}],"
		       "\"externalIPs\":[\"192.0.2.7\"],\"externalTrafficPolicy\":\"Local\","
		       "\"internalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":30555,"
		       "\"loadBalancerSourceRanges\":[\" 192.168.1.7/24 \",\"2001:db8::/32\"],"
		       "\"sessionAffinity\":\"ClientIP\"},"
		       "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"},"
		       "{\"ip\":\"198.51.100.2\",\"ipMode\":\"Proxy\"},{\"hostname\":\"lb.example\"},"
		       "{\"ip\":\"2001:db8::1\",\"ipMode\":\"VIP\"}]}}}", &s);
	ktap_ok(rc == 0, "a dual-stack LoadBalancer service parses");
	if (rc) {
		ktap_ok(0, "(skipped: values)");
		return;
	}
	ktap_ok(s.type == KUBE_LOAD_BALANCER && s.ncluster == 2 &&
		ip_is(&s.cluster_ips[0], AF_INET6, "fd00:10:96::a") &&
		ip_is(&s.cluster_ips[1], AF_INET, "10.96.0.10"),
		"  type and cluster IPs (clusterIPs wins over clusterIP; both families)");
	ktap_ok(s.nports == 3 && !strcmp(s.ports[0].name, "http") && s.ports[0].proto == IPPROTO_TCP &&
		s.ports[0].port == 80 && s.ports[0].node_port == 30080 &&
		s.ports[1].proto == IPPROTO_UDP && s.ports[1].node_port == 0 &&
		s.ports[2].proto == IPPROTO_SCTP && s.ports[2].port == 132,
		"  ports: names, protocols (TCP by default), node ports (0: none)");
	ktap_ok(s.nexternal == 1 && ip_is(&s.external_ips[0], AF_INET, "192.0.2.7"), "  external IP");
	ktap_ok(s.nlb == 2 && ip_is(&s.lb_ips[0], AF_INET, "198.51.100.1") &&
		ip_is(&s.lb_ips[1], AF_INET6, "2001:db8::1"),
		"  load balancer IPs: ipMode VIP or none; Proxy and hostnames left out");
	ktap_ok(s.nranges == 2 && s.source_ranges[0].len == 24 &&
		ip_is(&s.source_ranges[0].ip, AF_INET, "192.168.1.0") &&
		s.source_ranges[1].len == 32 && ip_is(&s.source_ranges[1].ip, AF_INET6, "2001:db8::"),
		"  source ranges: blanks trimmed, host bits cleared");
	ktap_ok(s.etp_local && s.itp_local && s.hc_node_port == 30555,
		"  traffic policies Local, health check node port");
	ktap_ok(s.affinity_s == 10800, "  ClientIP affinity, the API's default timeout (10800 s)");
	kube_service_free(&s);

	rc = parse_svc("{" MD ",\"spec\":{\"clusterIP\":\"10.96.0.10\",\"sessionAffinity\":\"ClientIP\","
		       "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}},\"ports\":[]}}", &s);
	ktap_ok(rc == 0 && s.affinity_s == 60 && s.type == KUBE_CLUSTER_IP && !s.etp_local &&
		!s.itp_local && s.nports == 0, "a ClusterIP service: its own affinity timeout, Cluster policies");
	if (!rc)
		kube_service_free(&s);
}

static void slice_values(void)
{
	json_object *o = json_tokener_parse(
		"{" SLICE_MD ",\"addressType\":\"IPv4\","
		"\"ports\":[{\"name\":\"http\",\"port\":8080},{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":null}],"
		"\"endpoints\":[{\"addresses\":[\"10.244.1.5\",\"10.244.1.6\"],\"nodeName\":\"node-1\","
		"\"zone\":\"zone-a\"},{\"addresses\":[\"10.244.2.9\"],\"conditions\":{\"ready\":false,"
		"\"serving\":true,\"terminating\":true}},{\"addresses\":[\"10.244.3.1\"],"
		"\"conditions\":{\"ready\":null}}]}");
	struct kube_slice s;
	char why[256];
	int rc = kube_slice_parse(o, "node-1", &s, why, sizeof(why));

	ktap_ok(rc == 0, "an IPv4 slice parses (%s)", rc ? why : "");
	json_object_put(o);
	if (rc) {
		ktap_ok(0, "(skipped: values)");
		return;
	}
	ktap_ok(!strcmp(s.ns, "default") && !strcmp(s.name, "web-abc12") && !strcmp(s.service, "web") &&
		s.af == AF_INET, "  its namespace, name, service and family");
	ktap_ok(s.nports == 2 && s.ports[0].port == 8080 && s.ports[0].proto == IPPROTO_TCP &&
		!strcmp(s.ports[1].name, "dns") && s.ports[1].proto == IPPROTO_UDP && s.ports[1].port == 0,
		"  ports (a null port: 0, unusable)");
	ktap_ok(s.neps == 3 && ip_is(&s.eps[0].ip, AF_INET, "10.244.1.5") && s.eps[0].local &&
		!s.eps[1].local && !s.eps[2].local,
		"  the first address of an endpoint; local: on the parser's node (node-1)");
	ktap_ok(s.eps[0].ready && s.eps[0].serving && !s.eps[0].terminating,
		"  no conditions: ready, serving, not terminating");
	ktap_ok(!s.eps[1].ready && s.eps[1].serving && s.eps[1].terminating,
		"  a terminating endpoint that still serves");
	ktap_ok(s.eps[2].ready, "  ready: null means ready");
	kube_slice_free(&s);
}

static void cidrs(void)
{
	struct kube_cidr c;
	struct kube_ip ip;

	ktap_ok(!kube_cidr_parse("10.1.0.0/16", &c) && !kube_ip_parse("10.1.255.3", &ip) &&
		kube_cidr_has(&c, &ip), "10.1.255.3 is in 10.1.0.0/16");
	ktap_ok(!kube_ip_parse("10.2.0.1", &ip) && !kube_cidr_has(&c, &ip), "10.2.0.1 is not");
	ktap_ok(!kube_ip_parse("::ffff:10.1.0.1", &ip) && !kube_cidr_has(&c, &ip),
		"an IPv6 address is in no IPv4 range");
	ktap_ok(!kube_cidr_parse("0.0.0.0/0", &c) && !kube_ip_parse("203.0.113.9", &ip) &&
		kube_cidr_has(&c, &ip), "0.0.0.0/0 holds every IPv4 address");
	ktap_ok(kube_cidr_parse("10.0.0.0/08", &c) && kube_cidr_parse("10.0.0.0/", &c) &&
		kube_cidr_parse("10.0.0.0/-1", &c) && kube_cidr_parse("fe80::1%eth0/64", &c),
		"refused: a leading zero, no length, a sign, a zone");
	ktap_ok(!kube_ip_parse("010.096.000.010", &ip) && !kube_cidr_parse("10.96.0.10/32", &c) &&
		kube_cidr_has(&c, &ip), "010.096.000.010 is 10.96.0.10 (decimal, as Kubernetes reads it)");
	ktap_ok(kube_ip_parse("10.96.0.256", &ip) && kube_ip_parse("10.96.0", &ip) &&
		kube_ip_parse("10.96.0.0010", &ip) && kube_ip_parse("10.96.0.1.", &ip) &&
		kube_ip_parse("1.2.3.4 ", &ip), "refused: 256, three parts, four digits, a trailing dot or blank");
}

/* Node: the pod CIDRs, whether it is leaving; bad fields refused */
static int node_of(const char *json, struct kube_node *n, char *why, size_t len)
{
	json_object *o = json_tokener_parse(json);
	int rc = o ? kube_node_parse(o, n, why, len) : -EINVAL;

	json_object_put(o);
	return rc;
}

static void nodes(void)
{
	struct kube_node n;
	char why[256] = "";
	int rc;

	rc = node_of("{\"kind\":\"Node\",\"metadata\":{\"name\":\"nd-1\",\"labels\":{\"a\":\"b\"}},"
		     "\"spec\":{\"podCIDR\":\"10.244.1.0/24\",\"podCIDRs\":[\"10.244.1.0/24\",\"fd00:1::/64\"],"
		     "\"unknown\":1},\"status\":{\"addresses\":[]}}", &n, why, sizeof(why));
	ktap_ok(!rc && !strcmp(n.name, "nd-1") && n.npod_cidrs == 2 && n.pod_cidrs[0].len == 24 &&
		n.pod_cidrs[1].ip.af == AF_INET6 && n.pod_cidrs[1].len == 64 && !n.leaving,
		"a Node: its name and both pod CIDRs, not leaving (%s)", why);
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDR\":\"10.244.2.0/24\"}}",
		     &n, why, sizeof(why));
	ktap_ok(!rc && n.npod_cidrs == 1 && n.pod_cidrs[0].ip.a[2] == 2,
		"  podCIDR alone (a cluster before dual stack)");
	rc = node_of("{\"metadata\":{\"name\":\"nd\"}}", &n, why, sizeof(why));
	ktap_ok(!rc && !n.npod_cidrs && !n.leaving, "  no spec: no pod CIDR, not leaving");
	rc = node_of("{\"metadata\":{\"name\":\"nd\",\"deletionTimestamp\":\"2026-12-05T10:00:00Z\"}}",
		     &n, why, sizeof(why));
	ktap_ok(!rc && n.leaving, "  a deletion timestamp: leaving");
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"taints\":[{\"key\":\"x\",\"effect\":"
		     "\"NoSchedule\"},{\"key\":\"ToBeDeletedByClusterAutoscaler\",\"value\":\"1\","
		     "\"effect\":\"NoSchedule\"}]}}", &n, why, sizeof(why));
	ktap_ok(!rc && n.leaving, "  the taint ToBeDeletedByClusterAutoscaler: leaving");
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDRs\":[\"10.244.1.0/33\"]}}",
		     &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "spec.podCIDRs[0]"), "refused: a pod CIDR that is not one (%s)",
		why);
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDRs\":[\"10.1.0.0/24\",\"10.2.0.0/24\"]}}",
		     &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "one family"), "refused: two pod CIDRs of one family (%s)", why);
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDRs\":[10]}}", &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "spec.podCIDRs[0]"), "refused: a pod CIDR that is not a string");
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDRs\":[\"10.1.0.0/24\",\"fd00::/64\","
		     "\"fd01::/64\"]}}", &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "more than 2"), "refused: three pod CIDRs (%s)", why);
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"podCIDRs\":[],\"podCIDR\":\"10.9.0.0/24\"}}",
		     &n, why, sizeof(why));
	ktap_ok(!rc && n.npod_cidrs == 1 && n.pod_cidrs[0].ip.a[1] == 9, "  an empty podCIDRs: podCIDR's");
	rc = node_of("{\"metadata\":{\"name\":\"nd\"},\"spec\":{\"taints\":[{\"key\":5}]}}",
		     &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "spec.taints[0].key"), "refused: a taint key that is not a string");
	rc = node_of("{\"metadata\":{\"name\":\"Bad Name\"}}", &n, why, sizeof(why));
	ktap_ok(rc == -EINVAL && strstr(why, "metadata.name"), "refused: a name Kubernetes does not allow");
}

int main(void)
{
	ktap_plan(N(svc_rows) + N(slice_rows) + 9 + 7 + 7 + 12);
	svc_table();
	slice_table();
	svc_values();
	slice_values();
	cidrs();
	nodes();
	return ktap_finish();
}
