/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: shared by cmd/kube.c (the command, its input) and
 * cmd/kube_sync.c (applying a node's proxy state once).
 */
#ifndef IPVSCTL_CMD_KUBE_H
#define IPVSCTL_CMD_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cmd/cmd.h"
#include "kube/nft.h"
#include "kube/translate.h"

#define KUBE_STATE_DIR "/run/ipvsctl"
#define KUBE_VIP_DEV "kube-ipvs0"

struct kube_sync_opts {
	const char *state_dir;		/* the managed file: STATE_DIR/kube.managed */
	const char *vip_dev;
	char vip_dev_path[64];		/* /sys/class/net/DEV */
	uint32_t drain_s;		/* a leaving TCP/SCTP real server's drain, at most */
	uint64_t *udp_digest;		/* the UDP services' at the last conntrack
					 * cleanup (NULL: clean every time)
					 */
	bool dry_run;			/* print the IPVS and address steps, check
					 * the nftables table, change nothing
					 */
	struct kube_nft_conf nft;
};

enum kube_step { KUBE_STEP_IPVS = 1, KUBE_STEP_VIPS, KUBE_STEP_NFT };

struct kube_sync_res {
	size_t ipvs_changes, vip_changes;
	size_t ct_deleted;		/* stale UDP conntrack entries deleted */
	bool ct_failed;
	enum kube_step failed_step;	/* 0: none */
};

/* the table's text for @out (translated from @svcs): *text malloc'd; 0 or -ENOMEM */
int kube_nft_text(const struct kube_sync_opts *o, const struct kube_out *out,
		  const struct kube_service *svcs, size_t nsvcs, char **text);

/* Apply @out and the table @nft_text; 0 or -errno, every failure reported */
int kube_sync_apply(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const char *nft_text, struct kube_sync_res *res);

/* kube_ipvs.c: the IPVS step of a sync (kube_sync.c says where it
 * stands), and the managed file's path; 0 or -errno, failures reported
 */
int kube_step_ipvs(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		   struct kube_sync_res *res);
int kube_managed_path(const struct kube_sync_opts *o, char *p, size_t len);

/* Remove what kube sync made; 0 or -errno, every failure reported */
int kube_cleanup(struct ctx *c, const struct kube_sync_opts *o);

struct kube_api;

/* the command line (cmd/kube.c) */
struct kube_args {
	char *file, *node, *sched, **node_ips, *server, *token_file, *ca_file;
	char **cidrs, *vip_dev, *state_dir, *min_sync, *sync, *healthz, *metrics, *drain;
	int nft, masq_all, masq_bit, dry_run, allow_empty;
};

/* kube_input.c: the API server's address and credentials, and the
 * objects; an exit code, errors reported
 */
int kube_api_conf(struct ctx *c, const struct kube_args *a, struct kube_api *api);
int kube_read_objects(struct ctx *c, const struct kube_args *a, json_object **root);

struct kube_run_opts {
	const struct kube_sync_opts *so;
	const struct kube_node_conf *node;
	const char *node_name;
	const struct kube_api *api;
	uint32_t min_sync_ms, sync_ms;
	const char *healthz_addr, *metrics_addr;	/* "" or NULL: none */
};

/* kube_agent.c: the node agent, until SIGTERM or SIGINT; an exit code */
int kube_run(struct ctx *c, const struct kube_run_opts *ro);

#endif
