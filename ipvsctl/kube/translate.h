/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: what a node's service proxy must hold, from the cluster's
 * Services and EndpointSlices and the node's own settings. Pure: nothing
 * here talks to the kernel or the API server, so every rule below is
 * tested on the host (selftests/unit/test_kube_translate.c).
 *
 * The output is three things the agent applies:
 *  - IPVS virtual services and their real servers, as ops of ipvsctl's
 *    grammar (config/grammar.h), which the apply machinery turns into a
 *    desired state (state_from_ops) and reconciles;
 *  - the addresses the node must own for them (kube-ipvs0);
 *  - the elements of the nftables sets that decide masquerading and
 *    source ranges (nft.c renders them).
 *
 * Semantics follow kube-proxy's documented behaviour (facts from
 * Kubernetes' documentation and pkg/proxy; see README "Replacing
 * kube-proxy"), with one deliberate difference from its IPVS mode: a
 * traffic policy of Local with no local endpoint gives no endpoint (as
 * the iptables and nftables modes and the documentation say), not the
 * cluster's endpoints.
 */
#ifndef IPVSCTL_KUBE_TRANSLATE_H
#define IPVSCTL_KUBE_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/grammar.h"
#include "kube/object.h"

struct kube_node_conf {
	char name[KUBE_NAME_MAX];	/* this node (endpoints' nodeName) */
	char sched[SCHED_MAX];		/* IPVS scheduler of every service */
	const struct kube_ip *nodeport_ips; /* NodePorts listen on these */
	size_t n_nodeport_ips;
	const struct kube_cidr *cluster_cidrs; /* pods: not masqueraded to ClusterIPs */
	size_t n_cluster_cidrs;
	bool masquerade_all;		/* masquerade every packet to a service */
};

/* what an nftables element says about a front end's traffic */
enum kube_nft_kind {
	KN_CLUSTER,		/* a ClusterIP:port: masqueraded unless from a pod */
	KN_EXTERNAL,		/* an external or LB IP:port: masqueraded */
	KN_EXTERNAL_LOCAL,	/* the same, policy Local: the client's address kept */
	KN_NODEPORT,		/* a node port (any node address): masqueraded */
	KN_NODEPORT_LOCAL,	/* the same, policy Local */
	KN_HAIRPIN,		/* a local endpoint ip:port: masqueraded when it
				 * reaches itself through a service
				 */
	KN_FIREWALL,		/* an LB IP:port with source ranges (svc's) */
};

struct kube_nft_elem {
	enum kube_nft_kind kind;
	struct kube_ip ip;	/* unset for node ports */
	int proto;
	uint16_t port;
	size_t svc;		/* index into the services given */
};

/* a healthCheckNodePort server: the service's local ready endpoints */
struct kube_hc {
	uint16_t port;
	size_t svc;
	size_t local_ready;	/* distinct addresses */
};

struct kube_out {
	struct op *ops;			/* OP_SVC_ADD then its OP_DEST_ADDs */
	size_t nops, ops_cap;
	struct kube_ip *vips;		/* sorted, distinct */
	size_t nvips, vips_cap;
	struct kube_nft_elem *nft;
	size_t nnft, nft_cap;
	struct kube_hc *hcs;
	size_t nhcs, hcs_cap;
	/* counts, for the log and the metrics */
	size_t services;		/* Services that gave at least one front end */
	size_t no_local;		/* Services with a Local policy and no local endpoint */
	size_t conflicts;		/* front ends claimed by a second Service */
};

/*
 * Build @out (initialised here) for @node from @svcs and @slices (in any
 * order; slices are matched to their Service by namespace and the
 * service-name label). 0 or -ENOMEM (then @out holds nothing).
 */
int kube_translate(const struct kube_node_conf *node, const struct kube_service *svcs,
		   size_t nsvcs, const struct kube_slice *slices, size_t nslices,
		   struct kube_out *out);
void kube_out_free(struct kube_out *out);

#endif
