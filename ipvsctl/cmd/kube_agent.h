/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube run: the node agent. Shared by cmd/kube_agent.c (watchers,
 * sync loop) and cmd/kube_http.c (health, metrics and health-check node
 * port servers).
 *
 * Threads: one watcher per kind (Services, EndpointSlices, and this
 * node's Node: kube_node.c), each a blocking list then watch over
 * libcurl, writing the cache under @mu and waking the main thread through
 * @efd; the main thread does everything else of the kernel (sync pacing,
 * applying) in one poll() loop; one more thread serves HTTP (health, metrics, health-check node ports), so that
 * a long sync never delays a load balancer's probe. What they share is
 * marked below with the lock that guards it.
 */
#ifndef IPVSCTL_CMD_KUBE_AGENT_H
#define IPVSCTL_CMD_KUBE_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmd/kube.h"
#include "kube/api.h"
#include "kube/cache.h"

#define KA_CONNS_MAX 64		/* HTTP connections at once; a new one takes the oldest's place */
#define KA_HCS_MAX 4096		/* health-check node ports */
#define KA_BUCKETS 15		/* sync duration: 1 ms x 2^0..14 (kube-proxy's) */

struct ka_conn {
	int fd;
	int kind;		/* KA_HEALTHZ, KA_METRICS, or an hc index + KA_HC */
	uint16_t hc_port;
	char buf[2048];
	size_t len;
	uint64_t deadline_ms;
};

enum { KA_HEALTHZ, KA_METRICS, KA_HC };

struct ka_hc {
	uint16_t port;
	int fd;
	char ns[KUBE_NS_MAX];
	char name[KUBE_NAME_MAX];
	size_t local_ready;
};

/* the watchers: KUBE_SERVICES, KUBE_SLICES (kube/cache.h), and this node */
#define KA_NODES 2
#define KA_KINDS 3

struct ka_watcher {
	struct agent *ag;
	int kind;			/* an enum kube_kind, or KA_NODES */
	const char *path;
	struct kube_api api;
	pthread_t th;
	bool started;
	bool denied;			/* its list answered 403 (said once) */
};

struct agent {
	struct ctx *c;
	const struct kube_sync_opts *so;	/* &so_own */
	struct kube_sync_opts so_own;
	uint64_t udp_digest;		/* see kube_sync_opts */
	struct kube_incr incr;		/* the main thread's (kube_sync_opts) */
	uint32_t full_sync_ms;
	uint64_t last_full_ms;		/* when the last full sync began */
	struct kube_node_conf node;	/* the main thread's */
	uint32_t min_sync_ms, sync_ms;
	/* the node-port addresses: read at each sync unless --node-ip gave
	 * them (np_auto false); the main thread's (kube_node.c)
	 */
	bool np_auto, np_read_failed;
	bool np_dirty;			/* np_ips not yet applied by a sync */
	int np_nl_fd;			/* ka_node_addrs_watch()'s, or -1 */
	const struct kube_cidr *np_cidrs;	/* --nodeport-addresses */
	size_t nnp_cidrs;
	struct kube_ip *np_ips;
	size_t nnp_ips;
	bool node_cidr_mode;		/* --detect-local-mode NodeCIDR */
	struct kube_cidr pod_cidrs[2];	/* the main thread's copy of the node's, for the table */
	int node_eligible;		/* __atomic only: no deletion, no taint (healthz) */
	char node_bad_why[256];		/* the Nodes watcher's: the last refusal logged */
	volatile int stop;		/* __atomic_load_n/_store_n only */
	int efd;			/* eventfd: the cache changed */
	int sfd;			/* signalfd */

	pthread_mutex_t mu;		/* guards the fields down to 'bad' */
	struct kube_cache cache;
	struct kube_node node_obj;	/* this node, as last listed or watched */
	bool node_known;		/* node_obj holds it (it exists) */
	bool listed[KA_KINDS];
	uint64_t events[KA_KINDS], relists[KA_KINDS], watch_errors[KA_KINDS];
	uint64_t bad;			/* objects refused */

	/* the main thread's */
	struct ka_watcher w[KA_KINDS];
	unsigned long synced_gen;
	bool have_synced;
	uint64_t last_sync_ms, next_sync_ms, due;
	unsigned int fail_streak;
	uint64_t start_ms;

	/* written by the main thread, read by the HTTP thread: under hmu
	 * (the main thread reads its own writes without it). Lock order:
	 * hmu before mu; the main thread never holds both.
	 */
	pthread_mutex_t hmu;
	uint64_t pending_since_ms;	/* a change not yet applied since (0: none) */
	uint64_t last_ok_wall_s, last_queued_wall_s;
	uint64_t syncs, full_syncs, sync_failures, nft_failures, ct_deleted, ct_failures;
	uint64_t hist[KA_BUCKETS + 1];	/* +Inf last */
	double hist_sum;
	size_t services, no_local_int, no_local_ext;
	struct kube_hc *hc_want;	/* the health-check servers wanted */
	size_t nhc_want;
	unsigned long hc_gen;

	/* the HTTP thread's (kube_http.c): it never waits for a sync */
	pthread_t http_th;
	bool http_started;
	unsigned long hc_seen;
	uint64_t healthz[2], livez[2];	/* [0] 200, [1] 503 */
	int healthz_fd, metrics_fd;
	struct ka_hc *hcs;
	size_t nhcs;
	struct ka_conn conns[KA_CONNS_MAX];
	size_t nconns;
};

/* kube_watcher.c: the watcher threads, started (0 or -errno) and
 * stopped (ag->stop set, joined)
 */
int ka_watchers_start(struct agent *ag, const struct kube_api *api);
void ka_watchers_stop(struct agent *ag);

/* kube_node.c: the node-port addresses read again (main thread): if they
 * changed, ag->node and the table's conf point to the new ones and
 * np_dirty is set (the sync that applies them clears it); the Node object
 * from a list (0; the list is the caller's) or a watch event (*changed if
 * the table must change: the cache's generation moved), in a watcher
 */
void ka_node_addrs_refresh(struct agent *ag);
int ka_node_addrs_watch(void);	/* a socket told of address changes, or -1 */
int ka_node_listed(struct agent *ag, json_object *items);
void ka_node_event(struct agent *ag, enum kube_event ev, json_object *obj, bool *changed);

/* kube_http.c */
uint64_t ka_now_ms(void);
int ka_listen(const char *addr, char *why, size_t len);	/* "HOST:PORT"; fd or -errno */
/* main thread: the health-check servers wanted now (copied) */
void ka_hc_publish(struct agent *ag, const struct kube_hc *hcs, size_t n);
/* the HTTP thread, serving healthz_fd, metrics_fd and the health-check
 * ports until ag->stop; 0 or -errno
 */
int ka_http_start(struct agent *ag);
void ka_http_stop(struct agent *ag);	/* joins it, closes every socket */

/* kube_metrics.c: the /metrics text (malloc'd), or NULL; HTTP thread,
 * with hmu held
 */
char *ka_metrics_text(struct agent *ag, size_t *len);

void ka_log(const struct agent *ag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
