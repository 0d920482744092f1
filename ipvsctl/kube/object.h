/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: Kubernetes Services and EndpointSlices, as the node agent
 * uses them, read from their JSON (the shapes of "kubectl get -o json" and
 * of the API server's list and watch answers). Only what a service proxy
 * needs is kept; unknown fields are ignored. Every value that reaches the
 * kernel or a log line is checked here: an object with a bad one is
 * refused whole, with a reason, and changes nothing.
 *
 * Which objects a proxy leaves alone, and what each field means for it,
 * follow kube-proxy (pkg/proxy/serviceport.go, endpointslicecache.go,
 * pkg/proxy/util/utils.go ShouldSkipService, cmd/kube-proxy/app/server.go's
 * label selectors).
 */
#ifndef IPVSCTL_KUBE_OBJECT_H
#define IPVSCTL_KUBE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define KUBE_NS_MAX 64		/* a DNS label: 63 characters */
#define KUBE_NAME_MAX 254	/* a DNS subdomain: 253 */
#define KUBE_PORT_NAME_MAX 64	/* a DNS label */
/* the API's own caps (EndpointSlice: 1000 endpoints, 100 ports, 100
 * addresses each) and ours for a Service's lists: an object past them is
 * refused, so that no object costs more memory than a real one can
 */
#define KUBE_SLICE_EPS_MAX 1000
#define KUBE_SLICE_PORTS_MAX 100
#define KUBE_EP_ADDRS_MAX 100
#define KUBE_SVC_LIST_MAX 1000

/* what the parsers return besides 0 and -errno */
#define KUBE_IGNORED 1		/* valid, but not for a service proxy */

struct kube_ip {
	int af;			/* AF_INET, AF_INET6 */
	uint8_t a[16];		/* network order; IPv4 in the first 4 bytes */
};

struct kube_cidr {
	struct kube_ip ip;	/* host bits cleared */
	uint8_t len;
};

enum kube_svc_type {
	KUBE_CLUSTER_IP,
	KUBE_NODE_PORT,
	KUBE_LOAD_BALANCER,
};

struct kube_svc_port {
	char name[KUBE_PORT_NAME_MAX];	/* "" for a Service's only port */
	int proto;			/* IPPROTO_TCP, _UDP, _SCTP */
	uint16_t port;
	uint16_t node_port;		/* 0: none */
};

struct kube_service {
	char ns[KUBE_NS_MAX];
	char name[KUBE_NAME_MAX];
	enum kube_svc_type type;
	struct kube_ip cluster_ips[2];	/* one per family, spec.clusterIPs */
	size_t ncluster;
	struct kube_ip *external_ips;	/* spec.externalIPs */
	size_t nexternal;
	struct kube_ip *lb_ips;		/* status.loadBalancer.ingress[].ip, ipMode VIP */
	size_t nlb;
	struct kube_cidr *source_ranges; /* spec.loadBalancerSourceRanges */
	size_t nranges;
	struct kube_svc_port *ports;
	size_t nports;
	bool etp_local;			/* externalTrafficPolicy: Local */
	bool itp_local;			/* internalTrafficPolicy: Local */
	uint16_t hc_node_port;		/* healthCheckNodePort; 0: none */
	uint32_t affinity_s;		/* sessionAffinity ClientIP: its timeout; 0: none */
};

struct kube_slice_port {
	char name[KUBE_PORT_NAME_MAX];
	int proto;
	uint16_t port;			/* 0: none given (the port is unusable) */
};

/* 24 bytes: a cluster holds millions (a slice up to 1000, the API's cap) */
struct kube_endpoint {
	struct kube_ip ip;		/* addresses[0]: the others are the same pod */
	bool ready, serving, terminating;
	bool local;			/* nodeName is the parser's node */
};

struct kube_slice {
	char ns[KUBE_NS_MAX];
	char name[KUBE_NAME_MAX];
	char service[KUBE_NAME_MAX];	/* label kubernetes.io/service-name */
	int af;				/* addressType IPv4 or IPv6 */
	struct kube_slice_port *ports;
	size_t nports;
	struct kube_endpoint *eps;
	size_t neps;
};

/*
 * Parse one object. 0: parsed into @out; KUBE_IGNORED: not one a proxy
 * serves (why says which rule); -EINVAL: refused (why says which field
 * and why); -ENOMEM. On anything but 0, @out holds nothing to free.
 */
int kube_service_parse(json_object *o, struct kube_service *out, char *why, size_t len);
void kube_service_free(struct kube_service *s);
/* @node: this node's name, which makes an endpoint local */
int kube_slice_parse(json_object *o, const char *node, struct kube_slice *out, char *why,
		     size_t len);
void kube_slice_free(struct kube_slice *s);

/* a Node (node.c): what the agent reads of its own */
struct kube_node {
	char name[KUBE_NAME_MAX];
	struct kube_cidr pod_cidrs[2];	/* spec.podCIDRs (or podCIDR): one per family */
	size_t npod_cidrs;
	bool leaving;			/* a deletion timestamp, or the taint
					 * ToBeDeletedByClusterAutoscaler
					 */
};

/* 0, or -EINVAL with @why (a field of the wrong type, a CIDR that is not
 * one): @n is then zeroed but for what was read before
 */
int kube_node_parse(json_object *o, struct kube_node *n, char *why, size_t len);

/* "namespace/name" of an object's metadata, for log lines, or "?" */
void kube_object_name(json_object *o, char *buf, size_t len);

/* an address or a CIDR in Kubernetes' text (no brackets, no port) */
int kube_ip_parse(const char *s, struct kube_ip *ip);
int kube_cidr_parse(const char *s, struct kube_cidr *c);
bool kube_cidr_has(const struct kube_cidr *c, const struct kube_ip *ip);

#endif
