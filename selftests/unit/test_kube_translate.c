// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/kube/translate.c: what a node's proxy holds for a set of
 * Services and EndpointSlices. Each row is a situation of kube-proxy's
 * documented behaviour (README "Replacing kube-proxy"), given as the
 * objects' JSON, and what must come out, as text: the IPVS services in
 * ipvsctl's grammar, the node's addresses, the nftables elements, the
 * health-check servers and the counts.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "ktap.h"
#include "kube/translate.h"
#include "model/addr.h"

#define SVC(ns, name, spec) "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\"},\"spec\":" spec "}"
#define SLICE(ns, name, svc, af, rest) "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name \
	"\",\"labels\":{\"kubernetes.io/service-name\":\"" svc "\"}},\"addressType\":\"" af "\"," rest "}"
#define EP(ip, node) "{\"addresses\":[\"" ip "\"],\"nodeName\":\"" node "\"}"
#define EP_C(ip, node, cond) "{\"addresses\":[\"" ip "\"],\"nodeName\":\"" node "\",\"conditions\":" cond "}"


static const struct row {
	const char *what;
	const char *objects;	/* a JSON array of Services and EndpointSlices */
	const char *want;	/* the dump, line by line */
} rows[] = {
	{ "a ClusterIP service: its ready endpoints, weight 1, NAT",
	  "[" SVC("default", "web", "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"name\":\"http\",\"port\":80}]}") ","
	  SLICE("default", "web-1", "web", "IPv4", "\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":["
		EP("10.244.1.5", "node-a") "," EP("10.244.2.7", "node-b") ","
		"{\"addresses\":[\"10.244.2.8\"],\"nodeName\":\"node-b\",\"conditions\":{\"ready\":false}}]") "]",
	  "service add tcp/10.96.0.10:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.10:80 10.244.1.5:8080 method nat weight 1\n"
	  "backend add tcp/10.96.0.10:80 10.244.2.7:8080 method nat weight 1\n"
	  "vip 10.96.0.10\n"
	  "nft cluster 10.96.0.10 tcp 80 default/web\n"
	  "nft hairpin 10.244.1.5 tcp 8080 default/web\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "no endpoint ready: those serving while terminating",
	  "[" SVC("default", "web", "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80}]}") ","
	  SLICE("default", "web-1", "web", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP_C("10.244.1.5", "node-b", "{\"ready\":false,\"serving\":true,\"terminating\":true}") ","
		EP_C("10.244.1.6", "node-b", "{\"ready\":false,\"serving\":false,\"terminating\":true}") "]") "]",
	  "service add tcp/10.96.0.10:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.10:80 10.244.1.5:8080 method nat weight 1\n"
	  "vip 10.96.0.10\n"
	  "nft cluster 10.96.0.10 tcp 80 default/web\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "ports matched by name and protocol; a slice of another namespace is not the service's",
	  "[" SVC("default", "dns", "{\"clusterIP\":\"10.96.0.53\",\"ports\":[{\"name\":\"dns\",\"protocol\":\"UDP\","
		  "\"port\":53},{\"name\":\"dns-tcp\",\"port\":53}]}") ","
	  SLICE("default", "dns-1", "dns", "IPv4", "\"ports\":[{\"name\":\"dns-tcp\",\"port\":5353},"
		"{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":5300},{\"name\":\"metrics\",\"port\":9153}],"
		"\"endpoints\":[" EP("10.244.3.2", "node-b") "]") ","
	  SLICE("other", "dns-1", "dns", "IPv4", "\"ports\":[{\"name\":\"dns\",\"protocol\":\"UDP\",\"port\":53}],"
		"\"endpoints\":[" EP("10.244.9.9", "node-b") "]") "]",
	  "service add tcp/10.96.0.53:53 scheduler maglev\n"
	  "backend add tcp/10.96.0.53:53 10.244.3.2:5353 method nat weight 1\n"
	  "service add udp/10.96.0.53:53 scheduler maglev\n"
	  "backend add udp/10.96.0.53:53 10.244.3.2:5300 method nat weight 1\n"
	  "vip 10.96.0.53\n"
	  "nft cluster 10.96.0.53 tcp 53 default/dns\n"
	  "nft cluster 10.96.0.53 udp 53 default/dns\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "NodePort: a service on each node address of the family, masqueraded",
	  "[" SVC("default", "np", "{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.20\",\"ports\":[{\"port\":80,"
		  "\"nodePort\":30080}]}") ","
	  SLICE("default", "np-1", "np", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.20:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.20:80 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30080 scheduler maglev\n"
	  "backend add tcp/192.168.0.10:30080 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30080 scheduler maglev\n"
	  "backend add tcp/192.168.1.10:30080 10.244.2.7:8080 method nat weight 1\n"
	  "vip 10.96.0.20\n"
	  "nft cluster 10.96.0.20 tcp 80 default/np\n"
	  "nft nodeport 0.0.0.0 tcp 30080 default/np\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "externalTrafficPolicy Local: node ports and external IPs get this node's endpoints only",
	  "[" SVC("default", "np", "{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.20\",\"externalIPs\":[\"192.0.2.1\"],"
		  "\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}") ","
	  SLICE("default", "np-1", "np", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.1.5", "node-a") "," EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.20:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.20:80 10.244.1.5:8080 method nat weight 1\n"
	  "backend add tcp/10.96.0.20:80 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.0.2.1:80 scheduler maglev\n"
	  "backend add tcp/192.0.2.1:80 10.244.1.5:8080 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30080 scheduler maglev\n"
	  "backend add tcp/192.168.0.10:30080 10.244.1.5:8080 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30080 scheduler maglev\n"
	  "backend add tcp/192.168.1.10:30080 10.244.1.5:8080 method nat weight 1\n"
	  "vip 10.96.0.20\n"
	  "vip 192.0.2.1\n"
	  "nft cluster 10.96.0.20 tcp 80 default/np\n"
	  "nft external-local 192.0.2.1 tcp 80 default/np\n"
	  "nft nodeport-local 0.0.0.0 tcp 30080 default/np\n"
	  "nft shortcut 0.0.0.0 tcp 30080 -> 10.96.0.20 80 default/np\n"
	  "nft shortcut 192.0.2.1 tcp 80 -> 10.96.0.20 80 default/np\n"
	  "nft hairpin 10.244.1.5 tcp 8080 default/np\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "externalTrafficPolicy Local and no local endpoint: none (not the cluster's)",
	  "[" SVC("default", "np", "{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.20\","
		  "\"externalTrafficPolicy\":\"Local\",\"ports\":[{\"port\":80,\"nodePort\":30080}]}") ","
	  SLICE("default", "np-1", "np", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.20:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.20:80 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30080 scheduler maglev\n"
	  "service add tcp/192.168.1.10:30080 scheduler maglev\n"
	  "vip 10.96.0.20\n"
	  "nft cluster 10.96.0.20 tcp 80 default/np\n"
	  "nft nodeport-local 0.0.0.0 tcp 30080 default/np\n"
	  "nft shortcut 0.0.0.0 tcp 30080 -> 10.96.0.20 80 default/np\n"
	  "services 1 no-local 0/1 conflicts 0\n" },
	{ "externalTrafficPolicy Local on a ClusterIP service with no external address: no effect",
	  "[" SVC("default", "c", "{\"clusterIP\":\"10.96.0.30\",\"externalTrafficPolicy\":\"Local\","
		  "\"ports\":[{\"port\":80}]}") ","
	  SLICE("default", "c-1", "c", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.30:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.30:80 10.244.2.7:8080 method nat weight 1\n"
	  "vip 10.96.0.30\n"
	  "nft cluster 10.96.0.30 tcp 80 default/c\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "internalTrafficPolicy Local: the cluster IP gets this node's endpoints only",
	  "[" SVC("default", "c", "{\"clusterIP\":\"10.96.0.30\",\"internalTrafficPolicy\":\"Local\","
		  "\"ports\":[{\"port\":80}]}") ","
	  SLICE("default", "c-1", "c", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.1.5", "node-a") "," EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.30:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.30:80 10.244.1.5:8080 method nat weight 1\n"
	  "vip 10.96.0.30\n"
	  "nft cluster 10.96.0.30 tcp 80 default/c\n"
	  "nft hairpin 10.244.1.5 tcp 8080 default/c\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "LoadBalancer: its VIP address, source ranges, affinity, the health check's count",
	  "[{\"metadata\":{\"namespace\":\"default\",\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\","
	  "\"clusterIP\":\"10.96.0.40\",\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31000,"
	  "\"sessionAffinity\":\"ClientIP\",\"loadBalancerSourceRanges\":[\"203.0.113.0/24\"],"
	  "\"ports\":[{\"port\":443,\"nodePort\":30443},{\"name\":\"x\",\"port\":444,\"nodePort\":30444}]},"
	  "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.1\"}]}}},"
	  SLICE("default", "lb-1", "lb", "IPv4", "\"ports\":[{\"port\":8443},{\"name\":\"x\",\"port\":8444}],"
		"\"endpoints\":[" EP("10.244.1.5", "node-a") "," EP("10.244.1.6", "node-a") ","
		EP_C("10.244.1.7", "node-a", "{\"ready\":false}") "," EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.40:443 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/10.96.0.40:443 10.244.1.5:8443 method nat weight 1\n"
	  "backend add tcp/10.96.0.40:443 10.244.1.6:8443 method nat weight 1\n"
	  "backend add tcp/10.96.0.40:443 10.244.2.7:8443 method nat weight 1\n"
	  "service add tcp/10.96.0.40:444 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/10.96.0.40:444 10.244.1.5:8444 method nat weight 1\n"
	  "backend add tcp/10.96.0.40:444 10.244.1.6:8444 method nat weight 1\n"
	  "backend add tcp/10.96.0.40:444 10.244.2.7:8444 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30443 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/192.168.0.10:30443 10.244.1.5:8443 method nat weight 1\n"
	  "backend add tcp/192.168.0.10:30443 10.244.1.6:8443 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30444 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/192.168.0.10:30444 10.244.1.5:8444 method nat weight 1\n"
	  "backend add tcp/192.168.0.10:30444 10.244.1.6:8444 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30443 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/192.168.1.10:30443 10.244.1.5:8443 method nat weight 1\n"
	  "backend add tcp/192.168.1.10:30443 10.244.1.6:8443 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30444 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/192.168.1.10:30444 10.244.1.5:8444 method nat weight 1\n"
	  "backend add tcp/192.168.1.10:30444 10.244.1.6:8444 method nat weight 1\n"
	  "service add tcp/198.51.100.1:443 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/198.51.100.1:443 10.244.1.5:8443 method nat weight 1\n"
	  "backend add tcp/198.51.100.1:443 10.244.1.6:8443 method nat weight 1\n"
	  "service add tcp/198.51.100.1:444 scheduler maglev persistent 10800 netmask 255.255.255.255\n"
	  "backend add tcp/198.51.100.1:444 10.244.1.5:8444 method nat weight 1\n"
	  "backend add tcp/198.51.100.1:444 10.244.1.6:8444 method nat weight 1\n"
	  "vip 10.96.0.40\n"
	  "vip 198.51.100.1\n"
	  "nft cluster 10.96.0.40 tcp 443 default/lb\n"
	  "nft cluster 10.96.0.40 tcp 444 default/lb\n"
	  "nft external-local 198.51.100.1 tcp 443 default/lb\n"
	  "nft external-local 198.51.100.1 tcp 444 default/lb\n"
	  "nft nodeport-local 0.0.0.0 tcp 30443 default/lb\n"
	  "nft nodeport-local 0.0.0.0 tcp 30444 default/lb\n"
	  "nft shortcut 0.0.0.0 tcp 30443 -> 10.96.0.40 443 default/lb\n"
	  "nft shortcut 0.0.0.0 tcp 30444 -> 10.96.0.40 444 default/lb\n"
	  "nft shortcut 198.51.100.1 tcp 443 -> 10.96.0.40 443 default/lb\n"
	  "nft shortcut 198.51.100.1 tcp 444 -> 10.96.0.40 444 default/lb\n"
	  "nft hairpin 10.244.1.5 tcp 8443 default/lb\n"
	  "nft hairpin 10.244.1.5 tcp 8444 default/lb\n"
	  "nft hairpin 10.244.1.6 tcp 8443 default/lb\n"
	  "nft hairpin 10.244.1.6 tcp 8444 default/lb\n"
	  "nft firewall 198.51.100.1 tcp 443 default/lb\n"
	  "nft firewall 198.51.100.1 tcp 444 default/lb\n"
	  "hc 31000 default/lb 2\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "dual stack: each family's cluster IP, its slices and its node addresses",
	  "[" SVC("default", "ds", "{\"type\":\"NodePort\",\"clusterIPs\":[\"10.96.0.50\",\"fd00:96::50\"],"
		  "\"ports\":[{\"port\":80,\"nodePort\":30050}]}") ","
	  SLICE("default", "ds-4", "ds", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") ","
	  SLICE("default", "ds-6", "ds", "IPv6", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("fd00:244:2::7", "node-b") "]") "]",
	  "service add tcp/10.96.0.50:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.50:80 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30050 scheduler maglev\n"
	  "backend add tcp/192.168.0.10:30050 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30050 scheduler maglev\n"
	  "backend add tcp/192.168.1.10:30050 10.244.2.7:8080 method nat weight 1\n"
	  "service add tcp/[fd00:96::50]:80 scheduler maglev\n"
	  "backend add tcp/[fd00:96::50]:80 [fd00:244:2::7]:8080 method nat weight 1\n"
	  "service add tcp/[fd00:168::10]:30050 scheduler maglev\n"
	  "backend add tcp/[fd00:168::10]:30050 [fd00:244:2::7]:8080 method nat weight 1\n"
	  "vip 10.96.0.50\n"
	  "vip fd00:96::50\n"
	  "nft cluster 10.96.0.50 tcp 80 default/ds\n"
	  "nft cluster fd00:96::50 tcp 80 default/ds\n"
	  "nft nodeport 0.0.0.0 tcp 30050 default/ds\n"
	  "nft nodeport :: tcp 30050 default/ds\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "two Services claiming one external IP and port: the first keeps it",
	  "[" SVC("a", "one", "{\"clusterIP\":\"10.96.0.61\",\"externalIPs\":[\"192.0.2.9\"],\"ports\":[{\"port\":80}]}") ","
	  SVC("b", "two", "{\"clusterIP\":\"10.96.0.62\",\"externalIPs\":[\"192.0.2.9\"],\"ports\":[{\"port\":80}]}") ","
	  SLICE("a", "one-1", "one", "IPv4", "\"ports\":[{\"port\":81}],\"endpoints\":[" EP("10.244.2.1", "node-b") "]") ","
	  SLICE("b", "two-1", "two", "IPv4", "\"ports\":[{\"port\":82}],\"endpoints\":[" EP("10.244.2.2", "node-b") "]") "]",
	  "service add tcp/10.96.0.61:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.61:80 10.244.2.1:81 method nat weight 1\n"
	  "service add tcp/10.96.0.62:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.62:80 10.244.2.2:82 method nat weight 1\n"
	  "service add tcp/192.0.2.9:80 scheduler maglev\n"
	  "backend add tcp/192.0.2.9:80 10.244.2.1:81 method nat weight 1\n"
	  "vip 10.96.0.61\n"
	  "vip 10.96.0.62\n"
	  "vip 192.0.2.9\n"
	  "nft cluster 10.96.0.61 tcp 80 a/one\n"
	  "nft cluster 10.96.0.62 tcp 80 b/two\n"
	  "nft external 192.0.2.9 tcp 80 a/one\n"
	  "services 2 no-local 0/0 conflicts 1\n" },
	{ "a Service with no slice: its front ends, with no backend (IPVS refuses new flows)",
	  "[" SVC("default", "e", "{\"clusterIP\":\"10.96.0.70\",\"ports\":[{\"protocol\":\"SCTP\",\"port\":132}]}") "]",
	  "service add sctp/10.96.0.70:132 scheduler maglev\n"
	  "vip 10.96.0.70\n"
	  "nft cluster 10.96.0.70 sctp 132 default/e\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "an endpoint listed by two slices is one, ready if either says so",
	  "[" SVC("default", "web", "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":80}]}") ","
	  SLICE("default", "web-1", "web", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP_C("10.244.2.7", "node-b", "{\"ready\":false}") "]") ","
	  SLICE("default", "web-2", "web", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") "]",
	  "service add tcp/10.96.0.10:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.10:80 10.244.2.7:8080 method nat weight 1\n"
	  "vip 10.96.0.10\n"
	  "nft cluster 10.96.0.10 tcp 80 default/web\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "an external IP naming another Service's cluster IP does not take it (CVE-2020-8554)",
	  "[" SVC("aaa", "evil", "{\"clusterIP\":\"10.96.0.99\",\"externalIPs\":[\"10.96.0.10\"],"
		  "\"ports\":[{\"protocol\":\"UDP\",\"port\":53}]}") ","
	  SVC("kube-system", "kube-dns", "{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"protocol\":\"UDP\",\"port\":53}]}") ","
	  SLICE("aaa", "evil-1", "evil", "IPv4", "\"ports\":[{\"protocol\":\"UDP\",\"port\":5353}],"
		"\"endpoints\":[" EP("10.244.6.6", "node-b") "]") ","
	  SLICE("kube-system", "dns-1", "kube-dns", "IPv4", "\"ports\":[{\"protocol\":\"UDP\",\"port\":53}],"
		"\"endpoints\":[" EP("10.244.3.2", "node-b") "]") "]",
	  "service add udp/10.96.0.10:53 scheduler maglev\n"
	  "backend add udp/10.96.0.10:53 10.244.3.2:53 method nat weight 1\n"
	  "service add udp/10.96.0.99:53 scheduler maglev\n"
	  "backend add udp/10.96.0.99:53 10.244.6.6:5353 method nat weight 1\n"
	  "vip 10.96.0.10\n"
	  "vip 10.96.0.99\n"
	  "nft cluster 10.96.0.10 udp 53 kube-system/kube-dns\n"
	  "nft cluster 10.96.0.99 udp 53 aaa/evil\n"
	  "services 2 no-local 0/0 conflicts 1\n" },
	{ "a Service listing its own cluster IP as an external IP: the cluster IP's, no conflict",
	  "[" SVC("default", "self", "{\"clusterIP\":\"10.96.0.11\",\"externalIPs\":[\"10.96.0.11\"],"
		  "\"ports\":[{\"port\":80}]}") "]",
	  "service add tcp/10.96.0.11:80 scheduler maglev\n"
	  "vip 10.96.0.11\n"
	  "nft cluster 10.96.0.11 tcp 80 default/self\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "source ranges of the other family only: no firewall for this one",
	  "[{\"metadata\":{\"namespace\":\"default\",\"name\":\"lb6\"},\"spec\":{\"type\":\"LoadBalancer\","
	  "\"clusterIP\":\"10.96.0.41\",\"loadBalancerSourceRanges\":[\"2001:db8::/32\"],"
	  "\"ports\":[{\"port\":443}]},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"198.51.100.2\"}]}}}]",
	  "service add tcp/10.96.0.41:443 scheduler maglev\n"
	  "service add tcp/198.51.100.2:443 scheduler maglev\n"
	  "vip 10.96.0.41\n"
	  "vip 198.51.100.2\n"
	  "nft cluster 10.96.0.41 tcp 443 default/lb6\n"
	  "nft external 198.51.100.2 tcp 443 default/lb6\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "internalTrafficPolicy Local, no local endpoint; an address local in its second listing",
	  "[" SVC("default", "c", "{\"clusterIP\":\"10.96.0.30\",\"internalTrafficPolicy\":\"Local\","
		  "\"ports\":[{\"port\":80}]}") ","
	  SVC("default", "d", "{\"clusterIP\":\"10.96.0.31\",\"internalTrafficPolicy\":\"Local\","
		  "\"ports\":[{\"port\":80}]}") ","
	  SLICE("default", "c-1", "c", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.2.7", "node-b") "]") ","
	  SLICE("default", "d-1", "d", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		"{\"addresses\":[\"10.244.1.9\"]}]") ","
	  SLICE("default", "d-2", "d", "IPv4", "\"ports\":[{\"port\":8080}],\"endpoints\":["
		EP("10.244.1.9", "node-a") "]") "]",
	  "service add tcp/10.96.0.30:80 scheduler maglev\n"
	  "service add tcp/10.96.0.31:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.31:80 10.244.1.9:8080 method nat weight 1\n"
	  "vip 10.96.0.30\n"
	  "vip 10.96.0.31\n"
	  "nft cluster 10.96.0.30 tcp 80 default/c\n"
	  "nft cluster 10.96.0.31 tcp 80 default/d\n"
	  "nft hairpin 10.244.1.9 tcp 8080 default/d\n"
	  "services 2 no-local 1/0 conflicts 0\n" },
	{ "single-stack IPv6: its node port on the IPv6 node address only; affinity /128",
	  "[" SVC("default", "v6", "{\"type\":\"NodePort\",\"clusterIPs\":[\"fd00:96::60\"],\"sessionAffinity\":\"ClientIP\","
		  "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":30}},"
		  "\"ports\":[{\"protocol\":\"SCTP\",\"port\":132,\"nodePort\":30132}]}") ","
	  SLICE("default", "v6-1", "v6", "IPv6", "\"ports\":[{\"protocol\":\"SCTP\",\"port\":9132}],"
		"\"endpoints\":[" EP("fd00:244:2::9", "node-b") "]") "]",
	  "service add sctp/[fd00:96::60]:132 scheduler maglev persistent 30 netmask 128\n"
	  "backend add sctp/[fd00:96::60]:132 [fd00:244:2::9]:9132 method nat weight 1\n"
	  "service add sctp/[fd00:168::10]:30132 scheduler maglev persistent 30 netmask 128\n"
	  "backend add sctp/[fd00:168::10]:30132 [fd00:244:2::9]:9132 method nat weight 1\n"
	  "vip fd00:96::60\n"
	  "nft cluster fd00:96::60 sctp 132 default/v6\n"
	  "nft nodeport :: sctp 30132 default/v6\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
	{ "the health check counts local ready addresses once, over ports with a number",
	  "[{\"metadata\":{\"namespace\":\"default\",\"name\":\"lb\"},\"spec\":{\"type\":\"LoadBalancer\","
	  "\"clusterIP\":\"10.96.0.42\",\"externalTrafficPolicy\":\"Local\",\"healthCheckNodePort\":31001,"
	  "\"ports\":[{\"port\":80,\"nodePort\":30081},{\"name\":\"b\",\"port\":81,\"nodePort\":30082}]}},"
	  SLICE("default", "lb-1", "lb", "IPv4", "\"ports\":[{\"port\":8080},{\"name\":\"b\",\"port\":8081}],"
		"\"endpoints\":[" EP("10.244.1.5", "node-a") ","
		EP_C("10.244.1.6", "node-a", "{\"ready\":false,\"serving\":true,\"terminating\":true}") "]") ","
	  SLICE("default", "lb-2", "lb", "IPv4", "\"ports\":[{\"name\":\"c\",\"port\":null}],"
		"\"endpoints\":[" EP("10.244.1.8", "node-a") "]") "]",
	  "service add tcp/10.96.0.42:80 scheduler maglev\n"
	  "backend add tcp/10.96.0.42:80 10.244.1.5:8080 method nat weight 1\n"
	  "service add tcp/10.96.0.42:81 scheduler maglev\n"
	  "backend add tcp/10.96.0.42:81 10.244.1.5:8081 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30081 scheduler maglev\n"
	  "backend add tcp/192.168.0.10:30081 10.244.1.5:8080 method nat weight 1\n"
	  "service add tcp/192.168.0.10:30082 scheduler maglev\n"
	  "backend add tcp/192.168.0.10:30082 10.244.1.5:8081 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30081 scheduler maglev\n"
	  "backend add tcp/192.168.1.10:30081 10.244.1.5:8080 method nat weight 1\n"
	  "service add tcp/192.168.1.10:30082 scheduler maglev\n"
	  "backend add tcp/192.168.1.10:30082 10.244.1.5:8081 method nat weight 1\n"
	  "vip 10.96.0.42\n"
	  "nft cluster 10.96.0.42 tcp 80 default/lb\n"
	  "nft cluster 10.96.0.42 tcp 81 default/lb\n"
	  "nft nodeport-local 0.0.0.0 tcp 30081 default/lb\n"
	  "nft nodeport-local 0.0.0.0 tcp 30082 default/lb\n"
	  "nft shortcut 0.0.0.0 tcp 30081 -> 10.96.0.42 80 default/lb\n"
	  "nft shortcut 0.0.0.0 tcp 30082 -> 10.96.0.42 81 default/lb\n"
	  "nft hairpin 10.244.1.5 tcp 8080 default/lb\n"
	  "nft hairpin 10.244.1.5 tcp 8081 default/lb\n"
	  "nft hairpin 10.244.1.6 tcp 8080 default/lb\n"
	  "nft hairpin 10.244.1.6 tcp 8081 default/lb\n"
	  "hc 31001 default/lb 1\n"
	  "services 1 no-local 0/0 conflicts 0\n" },
};

static const char *const kinds[] = {
	[KN_CLUSTER] = "cluster", [KN_EXTERNAL] = "external", [KN_EXTERNAL_LOCAL] = "external-local",
	[KN_NODEPORT] = "nodeport", [KN_NODEPORT_LOCAL] = "nodeport-local", [KN_SHORTCUT] = "shortcut",
	[KN_HAIRPIN] = "hairpin", [KN_FIREWALL] = "firewall",
};

static void ip_text(const struct kube_ip *ip, char *buf, size_t len)
{
	if (!ip->af || !inet_ntop(ip->af, ip->a, buf, (socklen_t)len))
		snprintf(buf, len, "-");
}

/* everything @o says, one line each, in the order of the rows above */
static char *dump(const struct kube_out *o, const struct kube_service *svcs)
{
	char *text = NULL, a[64];
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (i = 0; i < o->nops; i++) {
		grammar_print(f, &o->ops[i]);
	}
	for (i = 0; i < o->nvips; i++) {
		ip_text(&o->vips[i], a, sizeof(a));
		fprintf(f, "vip %s\n", a);
	}
	for (i = 0; i < o->nnft; i++) {
		const struct kube_nft_elem *e = &o->nft[i];
		char to[64];

		ip_text(&e->ip, a, sizeof(a));
		fprintf(f, "nft %s %s %s %u", kinds[e->kind], a, proto_name(e->proto), e->port);
		if (e->kind == KN_SHORTCUT) {
			ip_text(&e->to, to, sizeof(to));
			fprintf(f, " -> %s %u", to, e->to_port);
		}
		fprintf(f, " %s/%s\n", svcs[e->svc].ns, svcs[e->svc].name);
	}
	for (i = 0; i < o->nhcs; i++)
		fprintf(f, "hc %u %s/%s %zu\n", o->hcs[i].port, o->hcs[i].ns, o->hcs[i].name,
			o->hcs[i].local_ready);
	fprintf(f, "services %zu no-local %zu/%zu conflicts %zu\n", o->services, o->no_local_int,
		o->no_local_ext, o->conflicts);
	fclose(f);
	return text;
}

static struct kube_ip node_ips[3];

static void run_row(const struct row *r)
{
	json_object *arr = json_tokener_parse(r->objects);
	struct kube_service svcs[8];
	struct kube_slice slices[8];
	size_t nsvc = 0, nsl = 0, i;
	struct kube_node_conf node = {
		.sched = "maglev", .nodeport_ips = node_ips, .n_nodeport_ips = 3,
	};
	struct kube_out out;
	char why[256], *text = NULL;
	int err = arr ? 0 : -1;

	for (i = 0; !err && i < json_object_array_length(arr); i++) {
		json_object *o = json_object_array_get_idx(arr, i);

		if (json_object_object_get_ex(o, "addressType", NULL))
			err = kube_slice_parse(o, "node-a", &slices[nsl++], why, sizeof(why));
		else
			err = kube_service_parse(o, &svcs[nsvc++], why, sizeof(why));
		if (err)
			ktap_diag("object %zu: %s", i, why);
	}
	if (!err)
		err = kube_translate(&node, svcs, nsvc, slices, nsl, &out);
	if (!err) {
		text = dump(&out, svcs);
		kube_out_free(&out);
	}
	if (!ktap_ok(text && !strcmp(text, r->want), "%s", r->what))
		ktap_diag("got:\n%s", text ? text : "(nothing)");
	free(text);
	for (i = 0; i < nsvc; i++)
		kube_service_free(&svcs[i]);
	for (i = 0; i < nsl; i++)
		kube_slice_free(&slices[i]);
	json_object_put(arr);
}

int main(void)
{
	size_t i;

	kube_ip_parse("192.168.0.10", &node_ips[0]);
	kube_ip_parse("192.168.1.10", &node_ips[1]);
	kube_ip_parse("fd00:168::10", &node_ips[2]);
	ktap_plan(sizeof(rows) / sizeof(rows[0]));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	return ktap_finish();
}
