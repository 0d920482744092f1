/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: shared by cmd/kube.c (the command, its input) and
 * cmd/kube_sync.c (applying a node's proxy state once).
 */
#ifndef IPVSCTL_CMD_KUBE_H
#define IPVSCTL_CMD_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"
#include "kube/nft.h"
#include "kube/translate.h"

#define KUBE_STATE_DIR "/run/ipvsctl"
#define KUBE_VIP_DEV "kube-ipvs0"

struct kube_sync_opts {
	const char *state_dir;		/* the managed file: STATE_DIR/kube.managed */
	const char *vip_dev;
	char vip_dev_path[64];		/* /sys/class/net/DEV */
	bool dry_run;			/* print the IPVS and address steps, check
					 * the nftables table, change nothing
					 */
	struct kube_nft_conf nft;
};

struct kube_sync_res {
	size_t ipvs_changes, vip_changes;
};

/* Apply @out (translated from @svcs); 0 or -errno, every failure reported */
int kube_sync_apply(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const struct kube_service *svcs, size_t nsvcs, struct kube_sync_res *res);

/* Remove what kube sync made; 0 or -errno, every failure reported */
int kube_cleanup(struct ctx *c, const struct kube_sync_opts *o);

#endif
