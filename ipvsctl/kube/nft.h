/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: the nftables side of a node's service proxy. IPVS does
 * the load balancing; the table inet ipvsctl does what kube-proxy's IPVS
 * mode does with iptables and ipsets around it:
 *  - marks the connections to masquerade (cluster IPs from outside the
 *    pods' CIDRs, external and load-balancer IPs and node ports of
 *    policy Cluster) and masquerades them after IPVS has chosen the pod;
 *  - masquerades a pod reaching itself through a service (hairpin);
 *  - drops what a Service's loadBalancerSourceRanges leave out;
 *  - sends traffic from inside the cluster (the pods' CIDRs, the node)
 *    to an external front end of a Local policy to the cluster IP
 *    instead (KN_SHORTCUT in translate.h).
 * Rendering is pure (text for libnftables or nft -f, tested on the host);
 * nftlib.c sends it. The text replaces the whole table in one
 * transaction and touches no other table.
 */
#ifndef IPVSCTL_KUBE_NFT_H
#define IPVSCTL_KUBE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kube/object.h"
#include "kube/translate.h"

#define KUBE_NFT_TABLE "ipvsctl"
#define KUBE_MASQ_BIT_DEFAULT 14	/* kube-proxy's --iptables-masquerade-bit */

struct kube_nft_conf {
	const struct kube_cidr *pod_cidrs;	/* --cluster-cidr: the pods' addresses */
	size_t npod_cidrs;
	bool masquerade_all;			/* every packet to a cluster IP */
	unsigned int masq_bit;			/* 0..31 */
	const struct kube_ip *node_ips;		/* the node's own addresses */
	size_t nnode_ips;
};

/*
 * The nft text that makes table inet ipvsctl hold @out's elements (@svcs:
 * the Services @out was translated from, for source ranges), replacing
 * whatever the table held, into @f. 0, or -EIO if writing failed.
 */
int kube_nft_render(FILE *f, const struct kube_nft_conf *c, const struct kube_out *out,
		    const struct kube_service *svcs, size_t nsvcs);

/* the same, with the element sets declared empty (@elems false): what
 * stays when only elements change
 */
int kube_nft_render_ex(FILE *f, const struct kube_nft_conf *c, const struct kube_out *out,
		       const struct kube_service *svcs, size_t nsvcs, bool elems);

/*
 * The elements of each set whose elements follow the Services (cluster4,
 * ..., shortcut-np-key6: 10 sets per family), each as nft writes it
 * between the braces of "add element inet ipvsctl NAME { ... }", sorted,
 * each once: what a partial sync diffs against the last one's.
 */
#define KUBE_NFT_ESETS 20
struct kube_nft_eset {
	char name[32];
	char **v;
	size_t n;
};
int kube_nft_esets(const struct kube_out *out, struct kube_nft_eset *sets);	/* 0 or -ENOMEM */
void kube_nft_esets_free(struct kube_nft_eset *sets);

/* the text that removes the table (and nothing else); valid whether or
 * not the table exists
 */
extern const char kube_nft_cleanup[];

#endif
