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
 * The packet path takes no lock. It reads svc->sched_data (stable from
 * init_service until an RCU grace period after done_service) and the table
 * under rcu_read_lock(); a table is immutable once published.
 */
#ifndef _IP_VS_MAGLEV_H
#define _IP_VS_MAGLEV_H

#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <net/ip_vs.h>
#include <uapi/linux/ip_vs_maglev.h>

#include "maglev.h"
#include "slowstart.h"

/*
 * A published table. Immutable: a change builds a new one and swaps it in
 * with rcu_assign_pointer(). Each dest in @dests is held (ip_vs_dest_hold)
 * from publication until the table is replaced; memory is freed after a
 * grace period. Dropping the holds before the grace period ends is safe
 * because IPVS itself frees a dest only through call_rcu().
 */
struct ip_vs_maglev_table {
	struct rcu_head rcu;
	u32 size;			/* M, prime */
	u32 nr;				/* backends owning slots */
	u8 hash;			/* enum ipvs_maglev_hash, may be AUTO */
	u64 digest;
	size_t bytes;			/* this allocation */
	struct ip_vs_dest **dests;	/* nr, canonical order */
	u16 slots[];			/* M indices into dests */
};

/* The scheduler's record of one destination of the service. Exists from
 * add_dest to del_dest (or done_service); the dest is alive for all that
 * time, so @dest needs no reference of its own.
 */
struct ip_vs_maglev_backend {
	struct list_head list;		/* ip_vs_maglev_svc.backends */
	struct ip_vs_dest *dest;
	struct mg_id id;
	u32 eff_weight;			/* weight in the live table */
	u32 slots;			/* slots in the live table */
	int index;			/* index in the live table, or -1 */
	u32 weight_seen;		/* configured weight at the last change */
	bool ramping;			/* in slow start */
	u64 ramp_start;			/* ktime_get_ns() when it began */
	bool down;			/* marked down (health checks): no slot,
					 * no pin
					 */
	/* drain metadata for tools (uapi: SET_BACKEND); cleared when the
	 * weight is raised above 0
	 */
	u32 saved_weight;
	u64 drain_deadline;		/* seconds since the epoch */
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

	struct mutex lock;		/* everything below */
	struct list_head backends;
	u32 nr_backends;
	u32 table_size;			/* 0: module default */
	u8 hash;			/* enum ipvs_maglev_hash */
	u32 ss_window_ms;		/* slow start: 0 is off */
	u32 ss_aggression;		/* thousandths */
	u32 ss_min_pct;
	bool dirty;			/* backends changed since the last build */
	bool dying;			/* done_service ran: build nothing more */
	struct delayed_work work;	/* deferred builds and ramp steps */
	unsigned long last_build;	/* jiffies of the last publish */
	unsigned long not_before;	/* jiffies: no build before (holdoff, retry) */
	u32 ramps;			/* backends in slow start */
	unsigned long ramp_next;	/* jiffies of the next ramp step */
	u64 ramp_builds;		/* builds made by ramp steps */
	u64 ramp_skips;			/* ramp steps that changed no weight */

	/* flow pinning; the packet path reads these without the lock */
	u8 pin_mode;			/* enum ipvs_maglev_pin */
	bool pin_dead;			/* done_service: no new pins */
	u32 pin_max;			/* this service's cap, 0: the netns's */
	atomic_t pin_count;
	struct ip_vs_maglev_pin_stats __percpu *pstats;
	u64 rebuilds;
	u64 rebuild_fails;
	u64 build_ns;
	int last_error;

	struct rcu_head rcu;
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
	bool dying;
	struct ip_vs_maglev_pins __rcu *pins;	/* flow pins, made on first use */
	struct work_struct pins_work;		/* makes them for the packet path */
};

/* Service identity, as userspace names it. */
struct ip_vs_maglev_svc_key {
	u16 af;
	u16 protocol;
	union nf_inet_addr addr;
	__be16 port;
	u32 fwmark;
};

/* main.c: module parameters and keys */
extern struct mg_keys ip_vs_maglev_keys;
void ip_vs_maglev_ss_defaults(u32 *window_ms, u32 *aggression, u32 *min_pct);
u64 ip_vs_maglev_seed(void);
u32 ip_vs_maglev_default_table_size(void);
unsigned int ip_vs_maglev_holdoff_jiffies(void);
u32 ip_vs_maglev_pin_max(void);
u32 ip_vs_maglev_pin_timeout_jiffies(void);
struct ip_vs_maglev_net *ip_vs_maglev_net(struct net *net);

/* sched.c */
int ip_vs_maglev_sched_init(void);
void ip_vs_maglev_sched_exit(void);
struct ip_vs_maglev_svc *
ip_vs_maglev_svc_find(struct ip_vs_maglev_net *mn,
		      const struct ip_vs_maglev_svc_key *key);
void ip_vs_maglev_svc_key_of(const struct ip_vs_service *svc,
			     struct ip_vs_maglev_svc_key *key);
int ip_vs_maglev_rebuild(struct ip_vs_maglev_svc *ms);
int ip_vs_maglev_build_now(struct ip_vs_maglev_svc *ms);
void ip_vs_maglev_ss_changed(struct ip_vs_maglev_svc *ms);
int ip_vs_maglev_set_down(struct ip_vs_maglev_svc *ms, struct ip_vs_maglev_backend *b,
			  bool down);
struct ip_vs_maglev_backend *
ip_vs_maglev_backend_lookup(struct ip_vs_maglev_svc *ms, u16 af,
			    const union nf_inet_addr *addr, __be16 port);
u32 ip_vs_maglev_ramp_left_ms(const struct ip_vs_maglev_svc *ms,
			      const struct ip_vs_maglev_backend *b);
u8 ip_vs_maglev_hash_active(const struct ip_vs_maglev_svc *ms,
			    const struct ip_vs_maglev_table *t);
bool ip_vs_maglev_usable(const struct ip_vs_dest *dest);
struct ip_vs_dest *
ip_vs_maglev_pick(const struct ip_vs_maglev_table *t, u32 hash, u32 *slot,
		  bool *fallback);
u32 ip_vs_maglev_hash_flow(u8 hash, int af, const union nf_inet_addr *saddr,
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
			     struct ip_vs_dest *dest);
u32 ip_vs_maglev_pin_flush(struct ip_vs_maglev_net *mn, struct ip_vs_maglev_svc *ms,
			   const struct ip_vs_dest *dest);
u32 ip_vs_maglev_pins_count(struct ip_vs_maglev_net *mn);
void ip_vs_maglev_pin_count_dests(struct ip_vs_maglev_net *mn,
				  const struct ip_vs_maglev_svc *ms,
				  struct ip_vs_dest *const *dests, u32 *counts, u32 n);
u32 ip_vs_maglev_pin_entry_bytes(u8 af);
bool ip_vs_maglev_pin_wanted(const struct ip_vs_maglev_svc *ms);

/* netlink.c */
int ip_vs_maglev_genl_init(void);
void ip_vs_maglev_genl_exit(void);

#endif /* _IP_VS_MAGLEV_H */
