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
#include "model/model.h"

#define KUBE_STATE_DIR "/run/ipvsctl"
#define KUBE_VIP_DEV "kube-ipvs0"

/*
 * What the agent's syncs keep from one to the next (kube run; kube sync
 * has none, and each of its syncs is a full one). A partial sync changes
 * only what differs from the last sync that succeeded: the IPVS services
 * whose wanted state changed (read and diffed alone), plus those with
 * real servers draining; the table when its text changed or the ruleset's
 * generation moved (someone else's commit, which may have touched it);
 * the addresses when the list changed. A full sync reads and diffs all.
 */
struct kube_incr {
	bool full;			/* set by the caller: this sync is a full one */
	bool have_prev;			/* the fields below hold the last success */
	struct model prev;		/* the IPVS state wanted then (before the drains) */
	struct svc_id *draining;	/* services with real servers draining after it */
	size_t ndraining;
	uint64_t nft_shape;		/* the table's text then, elements left out
					 * (0: unknown, the table is replaced)
					 */
	struct kube_nft_eset nft_sets[KUBE_NFT_ESETS];	/* and its elements */
	uint32_t nft_gen;		/* the ruleset's generation right after */
	struct kube_ip *vips;		/* the addresses then */
	size_t nvips;
	unsigned int vip_ifindex;	/* and their interface's index */
	bool ct_pending;		/* stale UDP entries not all cleared */
	size_t canary_pos;		/* kube_ipvs_canary()'s turn */
};

void kube_incr_free(struct kube_incr *in);

struct kube_sync_opts {
	const char *state_dir;		/* the managed file: STATE_DIR/kube.managed */
	const char *vip_dev;
	char vip_dev_path[64];		/* /sys/class/net/DEV */
	uint32_t drain_s;		/* a leaving TCP/SCTP real server's drain, at most */
	struct kube_incr *incr;		/* NULL: every sync a full one */
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
	bool partial;			/* only what changed was read and applied */
	size_t svcs_read;		/* IPVS services read */
	bool nft_skipped, vips_skipped;	/* unchanged: not applied */
	bool nft_replaced;		/* the table replaced whole */
	size_t nft_elems;		/* else: elements deleted and added */
	/* how long each step took, ms (the agent logs them) */
	uint64_t ms_nft, ms_ipvs_read, ms_ipvs, ms_vips, ms_ct;
};

/* the table for @out (translated from @svcs): its whole text (malloc'd)
 * and a hash of it without the elements (what a partial sync compares)
 */
struct kube_table {
	char *text;
	uint64_t shape;
};

/* 0 or -ENOMEM */
int kube_nft_text(const struct kube_sync_opts *o, const struct kube_out *out,
		  const struct kube_service *svcs, size_t nsvcs, struct kube_table *t);

/* kube_table.c: the nftables step of a sync; 0 or -errno, failures
 * reported. And whether the ruleset's generation, read after a commit of
 * ours into *after, shows ours as the only commit since @before (each
 * commit moves it on by one): if not, the table is not trusted to be as
 * written.
 */
int kube_step_nft(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		  const struct kube_table *t, struct kube_sync_res *res);
bool kube_nft_gen_after(uint32_t before, uint32_t *after);

/* Apply @out and the table @t; 0 or -errno, every failure reported */
int kube_sync_apply(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		    const struct kube_table *t, struct kube_sync_res *res);

/* kube_ipvs.c: the IPVS step of a sync (kube_sync.c says where it
 * stands), and the managed file's path; 0 or -errno, failures reported
 */
int kube_step_ipvs(struct ctx *c, const struct kube_sync_opts *o, const struct kube_out *out,
		   struct kube_sync_res *res);
int kube_managed_path(const struct kube_sync_opts *o, char *p, size_t len);

/* Whether the next few services of the last sync's (in turn) are still in
 * IPVS (*gone if not: ipvsadm -C, ip_vs reloaded); 0 or -errno
 */
int kube_ipvs_canary(struct ctx *c, struct kube_incr *in, bool *gone);

/*
 * For the agent's sync with nothing changed in the cache: 0 if the node is
 * as the last sync left it, read cheaply (the sysctls, the VIP interface,
 * the ruleset's generation, the canary above); 1 if a partial sync has
 * work still (draining, stale UDP entries); 2 if something changed under
 * it (a full sync is due).
 */
int kube_sync_unchanged(struct ctx *c, const struct kube_sync_opts *o);

/* kube_node.c: the addresses node ports are served on, as kube-proxy's
 * IPVS mode finds them: every interface's but @vip_dev's, less loopback
 * and IPv6 link-local ones; only those within @f if @nf. Sorted, each
 * once, *v malloc'd; 0 or -errno.
 */
int kube_node_addrs(const char *vip_dev, const struct kube_cidr *f, size_t nf,
		    struct kube_ip **v, size_t *n);

/* Remove what kube sync made; 0 or -errno, every failure reported */
int kube_cleanup(struct ctx *c, const struct kube_sync_opts *o);

struct kube_api;

/* the command line (cmd/kube.c) */
struct kube_args {
	char *file, *node, *sched, **node_ips, *server, *token_file, *ca_file;
	char **cidrs, *vip_dev, *state_dir, *min_sync, *sync, *full_sync, *healthz, *metrics;
	char *drain, **np_addrs, *detect_local;
	int nft, masq_all, masq_bit, dry_run, allow_empty;
};

/* kube_node.c: the node's conf from the command line: the scheduler, and
 * the node-port addresses: --node-ip's, else the node's own read now
 * (within --nodeport-addresses' prefixes, *f: *np_auto, the agent reads
 * them again at each sync); *ips and *f malloc'd; an exit code, errors
 * reported
 */
int kube_node_conf(struct ctx *c, const struct kube_args *a, const char *vip_dev,
		   struct kube_node_conf *n, struct kube_ip **ips, struct kube_cidr **f,
		   size_t *nf, bool *np_auto);

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
	uint32_t min_sync_ms, sync_ms, full_sync_ms;
	const char *healthz_addr, *metrics_addr;	/* "" or NULL: none */
	bool np_auto;			/* node ports on the node's addresses, read
					 * at each sync (no --node-ip)
					 */
	const struct kube_cidr *np_cidrs;	/* --nodeport-addresses */
	size_t nnp_cidrs;
	bool node_cidr_mode;		/* --detect-local-mode NodeCIDR */
};

/* kube_agent.c: the node agent, until SIGTERM or SIGINT; an exit code */
int kube_run(struct ctx *c, const struct kube_run_opts *ro);

#endif
