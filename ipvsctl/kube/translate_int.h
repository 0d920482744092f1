/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: what translate.c and emit.c share: the work of one
 * translation.
 */
#ifndef IPVSCTL_KUBE_TRANSLATE_INT_H
#define IPVSCTL_KUBE_TRANSLATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/translate.h"

/* a candidate endpoint of one port, one family */
struct ep {
	struct addr_port ap;
	bool ready, serving, terminating, local;
};

/* kinds of front end, in the order that wins a conflict */
enum fe_kind {
	FE_CLUSTER,
	FE_LB,
	FE_EXTERNAL,
	FE_NODEPORT,
};

/* a front end waiting to be emitted, with the backends it gets */
struct fe {
	struct svc_id id;
	enum fe_kind kind;
	bool local;		/* external policy Local */
	size_t svc;
	const struct kube_ip *cip; /* the Service's cluster IP of this family */
	uint16_t cport;		/* its port there */
	size_t first, n;	/* its backends in the pool */
};

struct work {
	const struct kube_node_conf *node;
	const struct kube_service *svcs;
	struct kube_out *out;
	struct ep *eps;			/* the current port's endpoints */
	size_t neps, eps_cap;
	struct addr_port *pool;		/* every front end's backends */
	size_t npool, pool_cap;
	struct fe *fes;
	size_t nfes, fes_cap;
	struct kube_ip *hc_ips;		/* the Service's local ready addresses */
	size_t nhc, hc_cap;
	bool no_local_int, no_local_ext; /* a port of the Service had none */
};

int kt_ip_cmp(const struct kube_ip *a, const struct kube_ip *b);
int kt_add_nft(struct work *w, const struct kube_nft_elem *e);
/* the ops and nftables elements of the winning front ends (emit.c) */
int kt_emit(struct work *w);
/* sort the addresses and elements, and drop repeats (emit.c) */
void kt_tidy(struct kube_out *out);

#endif
