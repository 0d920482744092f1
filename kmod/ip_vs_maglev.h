/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ip_vs_maglev: objects shared by the module's files.
 *
 * Lifetimes and locking, outermost first:
 *
 *   IPVS's own config mutex      held by IPVS around every scheduler op
 *   ip_vs_maglev_net.lock        per netns: the service registry
 *   ip_vs_maglev_svc.lock        per service: backends, parameters, builds
 *
 * A lock may be taken while holding one above it, never the other way. The
 * module never takes IPVS's mutex itself: the rebuild work and the netlink
 * handlers run without it, which is why the scheduler keeps its own mirror
 * of the service's destinations (ip_vs_maglev_backend) instead of walking
 * svc->destinations.
 *
 * The packet path reads svc->sched_data (stable from init_service until
 * RCU grace periods after done_service) and the table under
 * rcu_read_lock(); a table is immutable once published. Without flow
 * pinning it takes no lock and allocates nothing. With pinning on, a new
 * flow's pin is allocated with GFP_ATOMIC and linked under a bucket
 * spinlock, and a stale pin is unlinked under one (pin.c).
 */
#ifndef _IP_VS_MAGLEV_H
#define _IP_VS_MAGLEV_H

#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <net/ip_vs.h>
#include <uapi/linux/ip_vs_maglev.h>

#include "maglev.h"
#include "pace.h"
#include "slowstart.h"

struct ip_vs_maglev_backend;

/*
 * A published table. Immutable: a change builds a new one and swaps it in
 * with rcu_replace_pointer(). It holds a reference on each backend in
 * @bes from publication until it is replaced (each backend holds its
 * dest); memory is freed after a grace period. Dropping the references
 * before the grace period ends is safe: a backend's memory is itself
 * freed through RCU, and IPVS frees a dest only through call_rcu().
 */
struct ip_vs_maglev_table {
	struct rcu_head rcu;
	u32 size;			/* M, prime */
	u32 nr;				/* backends owning slots */
	u8 hash;			/* enum ipvs_maglev_hash, may be AUTO */
	u64 digest;
	size_t bytes;			/* this allocation */
	struct ip_vs_dest **dests;	/* nr, canonical order: the packet path */
	struct ip_vs_maglev_backend **bes; /* nr, the same order: held */
	u16 slots[];			/* M indices into dests */
};

/*
 * The scheduler's record of one destination of the service, from add_dest
 * until del_dest (or done_service) unlists it and the last pin or table
 * naming it lets go. Reference counted: the service's list holds one, each
 * table naming it one, each flow pin to it one; it holds its dest from
 * creation until it is freed (through RCU: the packet path reads a pin's
 * backend without a reference).
 *
 * Fields marked (ms) change under the service's lock; @unpinned and @gone
 * are also read by the packet path (pins), with READ_ONCE.
 */
struct ip_vs_maglev_backend {
	/* read by every pin hit: kept apart from the counters below */
	struct ip_vs_dest *dest;	/* held */
	bool unpinned;			/* down, and its table published: its
					 * pins are unused
					 */
	bool gone;			/* unlisted: its pins are unused */

	struct list_head list;		/* ip_vs_maglev_svc.backends (ms) */
	struct rcu_head rcu;
	struct mg_id id;
	/* the live table (ms) */
	u32 table_weight;		/* configured weight it was built with */
	u32 factor;			/* slow-start factor it was built with (Q16) */
	u32 eff_weight;			/* weight * factor, as people read it */
	u32 slots;
	int index;			/* or -1 */
	/* slow start (ms) */
	u32 weight_seen;		/* configured weight at the last change */
	bool ramping;
	u64 ramp_start;			/* ktime_get_ns() when it began */
	bool down;			/* marked down (health checks): no slot (ms) */
	/* drain metadata for tools (uapi: SET_BACKEND); cleared when the
	 * weight is raised above 0 (ms)
	 */
	u32 saved_weight;
	u64 drain_deadline;		/* seconds since the epoch */

	/* written by every pin insert and unlink, on any CPU */
	refcount_t ref ____cacheline_aligned_in_smp;
	atomic_t pins;			/* flow pins to this backend */
};

/* Per-CPU counters of a service's flow pins. */
struct ip_vs_maglev_pin_stats {
	u64 hits, misses, inserts, insert_fails, evictions, expiries, dropped;
};

/* A flow, as pins key it: client to service, both families. */
struct ip_vs_maglev_pin_key {
	u8 af, proto;
	__be16 sport, dport;
	union nf_inet_addr saddr, daddr;
};

struct ip_vs_maglev_net;

struct ip_vs_maglev_svc {
	struct ip_vs_service *svc;
	struct ip_vs_maglev_net *mn;
	struct hlist_node hnode;	/* mn->hash, under mn->lock */
	struct list_head lnode;		/* mn->services, under mn->lock */

	struct ip_vs_maglev_table __rcu *table;
	/* jiffies (never 0) since the live table first scheduled a flow, 0
	 * while it has not: set by the packet path, cleared by a publish that
	 * leaves or enters an empty table. Slow start needs it: see
	 * ip_vs_maglev_ramp_begin().
	 */
	unsigned long serving_since;

	struct mutex lock;		/* everything below */
	struct list_head backends;
	u32 nr_backends;
	u32 table_size;			/* 0: module default */
	u8 hash;			/* enum ipvs_maglev_hash */
	bool as_mh;			/* created under the name "mh" (constant) */
	u32 ss_window_ms;		/* slow start: 0 is off */
	u32 ss_aggression;		/* thousandths */
	u32 ss_min_pct;
	u32 gen;			/* changes with the backend list (dumps) */
	struct mg_pace pace;		/* dirty, ramps, not_before, ramp_next:
					 * when the work runs (pace.h)
					 */
	bool dying;			/* done_service ran: build nothing more */
	bool resync;			/* a dest has no record: builds retry it */
	struct delayed_work work;	/* deferred builds and ramp steps */
	unsigned long last_build;	/* jiffies of the last publish */
	u64 ramp_builds;		/* builds made by ramp steps */
	u64 ramp_skips;			/* ramp steps that changed no weight */

	/* flow pinning; the packet path reads these without the lock */
	u8 pin_mode;			/* enum ipvs_maglev_pin */
	bool pin_dead;			/* done_service: no new pins (pin.c) */
	u32 pin_max;			/* this service's cap, 0: the netns's */
	atomic_t pin_count;
	struct ip_vs_maglev_pin_stats __percpu *pstats;
	u64 rebuilds;
	u64 rebuild_fails;
	u64 build_ns;
	int last_error;

	struct rcu_work reap;		/* after done_service: the last pins */
	struct rcu_head rcu;
	/* the creator's memory cgroup (a reference, or NULL), charged for
	 * what the work item and the packet path allocate for the service
	 */
	struct mem_cgroup *memcg;
};

struct ip_vs_maglev_pins;

/* Per network namespace. */
#define IP_VS_MAGLEV_HASH_BITS	10
struct ip_vs_maglev_net {
	struct mutex lock;		/* the registry: services, hash, count;
					 * creating the pin table
					 */
	struct list_head services;
	DECLARE_HASHTABLE(hash, IP_VS_MAGLEV_HASH_BITS);
	u32 nr_services;
	u32 gen;			/* changes with the service list (dumps) */
	bool dying;			/* our pernet exit ran (main.c) */
	atomic_t reaping;		/* dead services whose reap work is owed */
	struct ip_vs_maglev_pins __rcu *pins;	/* flow pins, made on first use */
	struct work_struct pins_work;		/* makes them for the packet path */
	struct mem_cgroup *memcg;	/* charged for the pin table pins_work
					 * makes: that of the first maglev
					 * service's creator (a reference)
					 */
	bool userns;			/* owned by a user namespace other than
					 * the initial one: pin_max_userns, and
					 * keys of its own (main.c)
					 */
	const struct mg_keys *keys;	/* every hash of this namespace's
					 * services: the module's, or own_keys
					 */
	u64 seed, seed_fp;		/* what keys came from */
	struct mg_keys own_keys;
};

/* Service identity, as userspace names it. */
struct ip_vs_maglev_svc_key {
	u16 af;
	u16 protocol;
	union nf_inet_addr addr;
	__be16 port;
	u32 fwmark;
};

/* Service parameters set together over netlink (ip_vs_maglev_set_params). */
enum {
	IP_VS_MAGLEV_SET_TABLE_SIZE	= 1 << 0,
	IP_VS_MAGLEV_SET_HASH		= 1 << 1,
	IP_VS_MAGLEV_SET_SS_WINDOW	= 1 << 2,
	IP_VS_MAGLEV_SET_SS_AGGRESSION	= 1 << 3,
	IP_VS_MAGLEV_SET_SS_MIN_PCT	= 1 << 4,
	IP_VS_MAGLEV_SET_PIN		= 1 << 5,
	IP_VS_MAGLEV_SET_PIN_MAX	= 1 << 6,
};

struct ip_vs_maglev_params {
	u32 set;			/* IP_VS_MAGLEV_SET_*: which are given */
	u32 table_size;
	u8 hash;
	u8 pin_mode;
	u32 ss_window_ms;
	u32 ss_aggression;
	u32 ss_min_pct;
	u32 pin_max;
};

/* main.c: module parameters and keys */
void ip_vs_maglev_ss_defaults(u32 *window_ms, u32 *aggression, u32 *min_pct);
u32 ip_vs_maglev_pin_max_host(void);
u32 ip_vs_maglev_pin_max_userns(void);
u32 ip_vs_maglev_default_table_size(void);
unsigned int ip_vs_maglev_holdoff_jiffies(void);
u32 ip_vs_maglev_pin_max(void);
u32 ip_vs_maglev_pin_timeout_jiffies(void);
struct ip_vs_maglev_net *ip_vs_maglev_net(struct net *net);
u32 ip_vs_maglev_next_gen(void);

/* sched.c */
int ip_vs_maglev_sched_init(bool as_mh);
void ip_vs_maglev_sched_exit(void);
struct ip_vs_maglev_svc *
ip_vs_maglev_svc_find(struct ip_vs_maglev_net *mn,
		      const struct ip_vs_maglev_svc_key *key);
void ip_vs_maglev_svc_key_of(const struct ip_vs_service *svc,
			     struct ip_vs_maglev_svc_key *key);
int ip_vs_maglev_rebuild(struct ip_vs_maglev_svc *ms);
int ip_vs_maglev_build_now(struct ip_vs_maglev_svc *ms);
int ip_vs_maglev_set_params(struct ip_vs_maglev_svc *ms, const struct ip_vs_maglev_params *p,
			    bool *flush);
void ip_vs_maglev_backend_put(struct ip_vs_maglev_backend *b);
int ip_vs_maglev_set_down(struct ip_vs_maglev_svc *ms, struct ip_vs_maglev_backend *b,
			  bool down, struct ip_vs_maglev_backend **flush);
struct ip_vs_maglev_backend *
ip_vs_maglev_backend_lookup(struct ip_vs_maglev_svc *ms, u16 af,
			    const union nf_inet_addr *addr, __be16 port);
u32 ip_vs_maglev_ramp_left_ms(const struct ip_vs_maglev_svc *ms,
			      const struct ip_vs_maglev_backend *b);
u8 ip_vs_maglev_hash_active(const struct ip_vs_maglev_svc *ms,
			    const struct ip_vs_maglev_table *t);
bool ip_vs_maglev_usable(const struct ip_vs_dest *dest);
int ip_vs_maglev_pick(const struct mg_keys *keys, const struct ip_vs_maglev_table *t,
		      u32 hash, u32 *slot, bool *fallback);
u32 ip_vs_maglev_hash_flow(const struct mg_keys *keys, u8 hash, int af,
			   const union nf_inet_addr *saddr,
			   const union nf_inet_addr *daddr, __be16 sport,
			   __be16 dport, u8 proto);
size_t ip_vs_maglev_state_bytes(const struct ip_vs_maglev_svc *ms);

/* pin.c */
int ip_vs_maglev_pin_init(void);
void ip_vs_maglev_pin_exit(void);
int ip_vs_maglev_pins_create(struct ip_vs_maglev_net *mn);
void ip_vs_maglev_pins_create_work(struct work_struct *work);
void ip_vs_maglev_pins_destroy(struct ip_vs_maglev_net *mn);
struct ip_vs_dest *ip_vs_maglev_pin_lookup(struct ip_vs_maglev_svc *ms,
					   const struct ip_vs_maglev_pin_key *k);
void ip_vs_maglev_pin_insert(struct ip_vs_maglev_svc *ms,
			     const struct ip_vs_maglev_pin_key *k,
			     struct ip_vs_maglev_backend *b);
u32 ip_vs_maglev_pin_flush(struct ip_vs_maglev_net *mn, const struct ip_vs_maglev_svc *ms,
			   const struct ip_vs_maglev_backend *b);
void ip_vs_maglev_pin_reap(struct ip_vs_maglev_net *mn, struct ip_vs_maglev_svc *ms);
u32 ip_vs_maglev_pins_count(struct ip_vs_maglev_net *mn);
u32 ip_vs_maglev_pins_host_count(bool userns);
u32 ip_vs_maglev_pin_entry_bytes(u8 af);
bool ip_vs_maglev_pin_wanted(const struct ip_vs_maglev_svc *ms);

/* netlink.c */
int ip_vs_maglev_genl_init(void);
void ip_vs_maglev_genl_exit(void);

#endif /* _IP_VS_MAGLEV_H */
