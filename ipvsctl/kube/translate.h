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
 * Kubernetes' documentation and pkg/proxy, gathered with citations in the
 * project's notes), with these deliberate differences from its IPVS mode:
 *  - a traffic policy of Local with no local endpoint gives no endpoint to
 *    traffic from outside the cluster (the documented semantics, and the
 *    iptables and nftables modes'), not the cluster's endpoints; traffic
 *    from the cluster itself (pods, the node) to an external front end of
 *    a Local service is sent to the Service's cluster IP instead
 *    (KN_SHORTCUT, as the nftables mode does), where the cluster set serves
 *    it;
 *  - when two Services claim one front end, the cluster IP (allocated by
 *    the API server, unique) beats a load-balancer IP, which beats an
 *    external IP (anyone may write one: CVE-2020-8554), which beats a node
 *    port; among equals the first Service in the order given.
 * Topology hints (zones) are not used yet: endpoints are cluster-wide.
 */
#ifndef IPVSCTL_KUBE_TRANSLATE_H
#define IPVSCTL_KUBE_TRANSLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/grammar.h"
#include "kube/object.h"

/* this node's part (which endpoints are its own: the slices say, parsed
 * with its name)
 */
struct kube_node_conf {
	char sched[SCHED_MAX];		/* IPVS scheduler of every service */
	const struct kube_ip *nodeport_ips; /* NodePorts listen on these */
	size_t n_nodeport_ips;
};

/* what an nftables element says about a front end's traffic */
enum kube_nft_kind {
	KN_CLUSTER,		/* a ClusterIP:port: masqueraded unless from a pod */
	KN_EXTERNAL,		/* an external or LB IP:port: masqueraded */
	KN_EXTERNAL_LOCAL,	/* the same, policy Local: the client's address kept */
	KN_NODEPORT,		/* a node port (any node address of ip's family):
				 * masqueraded
				 */
	KN_NODEPORT_LOCAL,	/* the same, policy Local */
	KN_SHORTCUT,		/* policy Local: from a pod or the node, ip:port
				 * (a node port if ip is all zeros) is sent to
				 * the cluster IP to:to_port
				 */
	KN_HAIRPIN,		/* a local endpoint ip:port: masqueraded when it
				 * reaches itself through a service
				 */
	KN_FIREWALL,		/* an LB IP:port whose Service has source ranges
				 * of its family
				 */
};

struct kube_nft_elem {
	enum kube_nft_kind kind;
	struct kube_ip ip;	/* a node port's: the family, address all zeros */
	int proto;
	uint16_t port;
	struct kube_ip to;	/* KN_SHORTCUT */
	uint16_t to_port;
	size_t svc;		/* index into the services given: valid as long
				 * as they are (the caller's view of its cache)
				 */
};

/* a healthCheckNodePort server: the service's local ready endpoints */
struct kube_hc {
	uint16_t port;
	char ns[KUBE_NS_MAX];
	char name[KUBE_NAME_MAX];
	size_t local_ready;	/* distinct addresses, both families, of the
				 * ports the Service uses
				 */
};

struct kube_out {
	struct op *ops;			/* OP_SVC_ADD then its OP_DEST_ADDs */
	size_t nops, ops_cap;
	struct kube_ip *vips;		/* sorted, distinct: cluster, external and LB IPs
					 * (the caller leaves out those another
					 * interface holds)
					 */
	size_t nvips, vips_cap;
	struct kube_nft_elem *nft;
	size_t nnft, nft_cap;
	struct kube_hc *hcs;
	size_t nhcs, hcs_cap;
	/* counts, for the log and the metrics */
	size_t services;		/* Services that gave at least one front end */
	size_t no_local_int;		/* Services with internal policy Local and no local endpoint */
	size_t no_local_ext;		/* ... external policy Local */
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
