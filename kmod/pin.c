// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_maglev: 5-tuple flow pinning.
 *
 * IPVS keeps a flow on its backend through its connection entry, but only
 * while one exists: one-packet-scheduling (OPS) services have none, and an
 * idle TCP flow seen again under sloppy_tcp, or rescheduled under
 * conn_reuse_mode, has lost it. If the Maglev table changed meanwhile the
 * flow would land elsewhere. A pin remembers the backend a flow was given,
 * and schedule() consults it before the table (the idea of Katran's LRU
 * flow table, Facebook; implemented here in the scheduler).
 *
 * One table per network namespace, shared by its services (the key holds
 * the service): one memory budget (pin_max), one bucket array sized once,
 * eviction across the namespace. Each service counts its own entries and
 * may have its own cap.
 *
 * Lifetimes. A pin holds a reference on its backend record (which holds
 * the dest) from insertion until it is unlinked, and whoever unlinks it
 * drops the reference at that moment; the pin's memory, and a backend's,
 * is freed after an RCU grace period. So a pin never points at freed
 * memory. A pin is used only while its backend is listed (not deleted),
 * not marked down, linked to its service in IPVS and the pin not idle;
 * otherwise it is dropped where it is found (lookup, sweep). Each backend
 * counts its pins, so dumps need no walk of the table.
 *
 * A service's pins after done_service: done_service sets pin_dead, which
 * insertion checks under the bucket lock, and queues a reap after an RCU
 * grace period (sched.c). Insertion runs inside the packet path's RCU
 * read-side section, so once the grace period has passed, every insertion
 * that read pin_dead false has finished, and the reap (ip_vs_maglev_pin_reap)
 * finds every pin the service will ever have: the handshake does not
 * depend on which buckets are empty or on any count.
 *
 * Memory. Four caps, checked in this order at insertion: the service's
 * own, the namespace's (pin_max), and two across namespaces: all of them
 * together (pin_max_host), and those owned by a user namespace other than
 * the initial one together (pin_max_userns), which any local user can
 * create where unprivileged user namespaces are allowed. Over a
 * namespace's cap or a host cap, the namespace evicts among its own pins:
 * never another namespace's. Entries come from SLAB_ACCOUNT caches and,
 * where the kernel lets a module charge from softirq (compat.h), are
 * charged to the memory cgroup of the service's creator.
 *
 * Packet path: lookups walk a bucket's singly-linked chain under
 * rcu_read_lock() without a lock; insertions take the bucket's spinlock,
 * allocate with GFP_NOWAIT and may fail (the flow is then simply not
 * pinned). Chains are capped at IP_VS_MAGLEV_PIN_CHAIN entries and the
 * bucket hash is keyed with a per-namespace random secret, so no traffic
 * can make a lookup long. When the namespace or the service is full, the
 * least recently used entry of the bucket is evicted (LRU-like, O(1)).
 *
 * Expiry: an entry idle for pin_timeout_ms is a miss at lookup and is
 * reclaimed by a per-namespace work that sweeps a slice of the buckets
 * every second.
 */
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <net/ip_vs.h>

#include "ip_vs_maglev.h"

#define IP_VS_MAGLEV_PIN_CHAIN		16	/* entries a bucket may hold */
#define IP_VS_MAGLEV_PIN_LOCKS		256	/* bucket spinlocks */
#define IP_VS_MAGLEV_PIN_GC_SLICE	32	/* the sweep covers 1/32 a second */
#define IP_VS_MAGLEV_PIN_TOUCH		HZ	/* refresh last_used at most so often */
#define IP_VS_MAGLEV_PIN_EVICT_SCAN	64	/* buckets searched for a victim */

struct ip_vs_maglev_pin {
	struct ip_vs_maglev_pin __rcu *next;
	struct ip_vs_maglev_svc *svc;	/* owner; key */
	struct ip_vs_maglev_backend *be; /* held */
	struct rcu_head rcu;
	u32 last_used;			/* jiffies, 32 bits */
	u8 af;				/* key: AF_INET, AF_INET6 */
	u8 proto;			/* key */
	__be16 sport;			/* key: client's */
	__be16 dport;			/* key: service's */
	__be32 addr[];			/* key: saddr then daddr; 2 or 8 words */
};

#define IP_VS_MAGLEV_PIN_SIZE(words) \
	(offsetof(struct ip_vs_maglev_pin, addr) + (words) * sizeof(__be32))

struct ip_vs_maglev_pins {
	struct ip_vs_maglev_pin __rcu **buckets;
	u32 mask;
	atomic_t count;
	struct mg_key key;		/* random: pins need not agree across hosts */
	spinlock_t locks[IP_VS_MAGLEV_PIN_LOCKS];
	struct delayed_work gc;
	u32 gc_cursor;
	struct rcu_head rcu;
};

static struct kmem_cache *ip_vs_maglev_pin4_cache __read_mostly;
static struct kmem_cache *ip_vs_maglev_pin6_cache __read_mostly;

/* Pins of every namespace, and of those with mn->userns: the host caps */
static atomic_t ip_vs_maglev_pins_host = ATOMIC_INIT(0);
static atomic_t ip_vs_maglev_pins_userns = ATOMIC_INIT(0);

/* ---- keys ---------------------------------------------------------------- */

static u32 ip_vs_maglev_pin_hash(const struct ip_vs_maglev_pins *p,
				 const struct ip_vs_maglev_svc *ms,
				 const struct ip_vs_maglev_pin_key *k)
{
	u32 ports = (u32)ntohs(k->sport) << 16 | ntohs(k->dport);
	u32 h;

	if (k->af == AF_INET6)
		h = mg_hash_v6(&p->key, (const u32 *)k->saddr.ip6,
			       (const u32 *)k->daddr.ip6, ports, k->proto);
	else
		h = mg_hash_v4(&p->key, (__force u32)k->saddr.ip,
			       (__force u32)k->daddr.ip, ports, k->proto);
	/* the service is part of the key */
	return h ^ (u32)hash_ptr(ms, 32);
}

static bool ip_vs_maglev_pin_match(const struct ip_vs_maglev_pin *pin,
				   const struct ip_vs_maglev_svc *ms,
				   const struct ip_vs_maglev_pin_key *k)
{
	if (pin->svc != ms || pin->af != k->af || pin->proto != k->proto ||
	    pin->sport != k->sport || pin->dport != k->dport)
		return false;
	if (k->af == AF_INET6)
		return !memcmp(pin->addr, &k->saddr.in6, 16) &&
		       !memcmp(pin->addr + 4, &k->daddr.in6, 16);
	return pin->addr[0] == k->saddr.ip && pin->addr[1] == k->daddr.ip;
}

static spinlock_t *ip_vs_maglev_pin_lock(struct ip_vs_maglev_pins *p, u32 bucket)
{
	return &p->locks[bucket % IP_VS_MAGLEV_PIN_LOCKS];
}

static bool ip_vs_maglev_pin_idle(const struct ip_vs_maglev_pin *pin, u32 now,
				  u32 timeout)
{
	return now - READ_ONCE(pin->last_used) >= timeout;
}

/* Reserve a slot under @max; false if full. */
static bool ip_vs_maglev_pin_reserve(atomic_t *count, u32 max)
{
	int c;

	do {
		c = atomic_read(count);
		if (max && c >= (int)max)
			return false;
	} while (atomic_cmpxchg(count, c, c + 1) != c);
	return true;
}

/* A slot under the host caps, for a pin of @mn; false if full. */
static bool ip_vs_maglev_pin_reserve_host(const struct ip_vs_maglev_net *mn)
{
	if (!ip_vs_maglev_pin_reserve(&ip_vs_maglev_pins_host,
				      ip_vs_maglev_pin_max_host()))
		return false;
	if (mn->userns &&
	    !ip_vs_maglev_pin_reserve(&ip_vs_maglev_pins_userns,
				      ip_vs_maglev_pin_max_userns())) {
		atomic_dec(&ip_vs_maglev_pins_host);
		return false;
	}
	return true;
}

static void ip_vs_maglev_pin_unreserve_host(const struct ip_vs_maglev_net *mn)
{
	if (mn->userns)
		atomic_dec(&ip_vs_maglev_pins_userns);
	atomic_dec(&ip_vs_maglev_pins_host);
}

static void ip_vs_maglev_pin_free_rcu(struct rcu_head *head)
{
	struct ip_vs_maglev_pin *pin = container_of(head, struct ip_vs_maglev_pin, rcu);

	kmem_cache_free(pin->af == AF_INET6 ? ip_vs_maglev_pin6_cache :
			ip_vs_maglev_pin4_cache, pin);
}

/*
 * Unlink @pin, whose predecessor link is @link, drop its dest reference and
 * free it after a grace period. Bucket lock held.
 */
static void ip_vs_maglev_pin_unlink(struct ip_vs_maglev_pins *p,
				    struct ip_vs_maglev_pin __rcu **link,
				    struct ip_vs_maglev_pin *pin)
{
	struct ip_vs_maglev_svc *ms = pin->svc;

	rcu_assign_pointer(*link, rcu_dereference_protected(pin->next, 1));
	ip_vs_maglev_pin_unreserve_host(ms->mn);
	atomic_dec(&p->count);
	atomic_dec(&ms->pin_count);
	atomic_dec(&pin->be->pins);
	ip_vs_maglev_backend_put(pin->be);
	call_rcu(&pin->rcu, ip_vs_maglev_pin_free_rcu);
}

/* May the flow of @pin still go to its backend? Any context. */
static bool ip_vs_maglev_pin_usable(const struct ip_vs_maglev_pin *pin)
{
	const struct ip_vs_maglev_backend *be = pin->be;

	return !READ_ONCE(be->gone) && !READ_ONCE(be->unpinned) &&
	       ip_vs_maglev_dest_linked(be->dest);
}

/* ---- packet path ------------------------------------------------------------ */

/*
 * The pinned backend of a flow, or NULL. A pin whose backend was deleted
 * or marked down, or that has been idle too long, is dropped: the flow is
 * scheduled again. Caller: rcu_read_lock(), softirq.
 */
struct ip_vs_dest *ip_vs_maglev_pin_lookup(struct ip_vs_maglev_svc *ms,
					   const struct ip_vs_maglev_pin_key *k)
{
	struct ip_vs_maglev_pins *p = rcu_dereference(ms->mn->pins);
	struct ip_vs_maglev_pin __rcu **link;
	struct ip_vs_maglev_pin *pin;
	u32 h, bucket, now = (u32)jiffies;
	spinlock_t *lock;
	bool usable;

	if (!p)
		return NULL;
	h = ip_vs_maglev_pin_hash(p, ms, k);
	bucket = h & p->mask;
	for (pin = rcu_dereference(p->buckets[bucket]); pin;
	     pin = rcu_dereference(pin->next)) {
		if (!ip_vs_maglev_pin_match(pin, ms, k))
			continue;
		usable = ip_vs_maglev_pin_usable(pin);
		if (usable && !ip_vs_maglev_pin_idle(pin, now, ip_vs_maglev_pin_timeout_jiffies())) {
			if (now - READ_ONCE(pin->last_used) >= IP_VS_MAGLEV_PIN_TOUCH)
				WRITE_ONCE(pin->last_used, now);
			this_cpu_inc(ms->pstats->hits);
			return pin->be->dest;
		}
		/* stale: drop it under the lock, if still there */
		lock = ip_vs_maglev_pin_lock(p, bucket);
		spin_lock_bh(lock);
		for (link = &p->buckets[bucket];
		     rcu_dereference_protected(*link, lockdep_is_held(lock));
		     link = &rcu_dereference_protected(*link, 1)->next) {
			if (rcu_dereference_protected(*link, 1) == pin) {
				ip_vs_maglev_pin_unlink(p, link, pin);
				if (usable)
					this_cpu_inc(ms->pstats->expiries);
				else
					this_cpu_inc(ms->pstats->dropped);
				break;
			}
		}
		spin_unlock_bh(lock);
		break;
	}
	this_cpu_inc(ms->pstats->misses);
	return NULL;
}

/*
 * The least recently used entry of @bucket (of service @only, if not
 * NULL), with the link that points at it; NULL if none. Bucket lock held.
 */
static struct ip_vs_maglev_pin *
ip_vs_maglev_pin_oldest(struct ip_vs_maglev_pins *p, u32 bucket,
			const struct ip_vs_maglev_svc *only, u32 now,
			struct ip_vs_maglev_pin __rcu ***victim_link)
{
	struct ip_vs_maglev_pin __rcu **link;
	struct ip_vs_maglev_pin *pin, *victim = NULL;
	u32 age = 0;

	for (link = &p->buckets[bucket]; (pin = rcu_dereference_protected(*link, 1));
	     link = &pin->next) {
		if (only && pin->svc != only)
			continue;
		if (!victim || now - READ_ONCE(pin->last_used) > age) {
			victim = pin;
			*victim_link = link;
			age = now - READ_ONCE(pin->last_used);
		}
	}
	return victim;
}

static void ip_vs_maglev_pin_evict_one(struct ip_vs_maglev_pins *p,
				       struct ip_vs_maglev_pin __rcu **link,
				       struct ip_vs_maglev_pin *victim)
{
	this_cpu_inc(victim->svc->pstats->evictions);
	ip_vs_maglev_pin_unlink(p, link, victim);
}

/*
 * Make room: unlink the least recently used entry (of service @only, if
 * not NULL) of @bucket, whose lock is held; failing that, of the first of
 * the next IP_VS_MAGLEV_PIN_EVICT_SCAN buckets that has one. A service
 * with few entries in a large table rarely has one in the inserting
 * bucket; the bounded scan keeps the work per packet small. True if one
 * went.
 */
static bool ip_vs_maglev_pin_evict(struct ip_vs_maglev_pins *p, u32 bucket,
				   const struct ip_vs_maglev_svc *only, u32 now)
{
	struct ip_vs_maglev_pin __rcu **link;
	struct ip_vs_maglev_pin *victim;
	spinlock_t *lock;
	u32 i, b;

	victim = ip_vs_maglev_pin_oldest(p, bucket, only, now, &link);
	if (victim) {
		ip_vs_maglev_pin_evict_one(p, link, victim);
		return true;
	}
	/* The next buckets' locks all differ from the one held: there are at
	 * least 1024 buckets, so (bucket + i) & mask, i <= 64, never comes
	 * back to bucket's lock (bucket % IP_VS_MAGLEV_PIN_LOCKS).
	 */
	BUILD_BUG_ON(IP_VS_MAGLEV_PIN_EVICT_SCAN >= IP_VS_MAGLEV_PIN_LOCKS);
	for (i = 1; i <= IP_VS_MAGLEV_PIN_EVICT_SCAN; i++) {
		b = (bucket + i) & p->mask;
		if (!rcu_access_pointer(p->buckets[b]))
			continue;
		lock = ip_vs_maglev_pin_lock(p, b);
		/* never wait on another lock while holding one: skip busy */
		if (spin_trylock(lock)) {
			victim = ip_vs_maglev_pin_oldest(p, b, only, now, &link);
			if (victim)
				ip_vs_maglev_pin_evict_one(p, link, victim);
			spin_unlock(lock);
			if (victim)
				return true;
		}
	}
	return false;
}

static u32 ip_vs_maglev_pin_chain(struct ip_vs_maglev_pins *p, u32 bucket,
				  const struct ip_vs_maglev_svc *ms,
				  const struct ip_vs_maglev_pin_key *k, bool *dup)
{
	struct ip_vs_maglev_pin *it;
	u32 n = 0;

	*dup = false;
	for (it = rcu_dereference_protected(p->buckets[bucket], 1); it;
	     it = rcu_dereference_protected(it->next, 1)) {
		if (ip_vs_maglev_pin_match(it, ms, k))
			*dup = true;
		n++;
	}
	return n;
}

/*
 * Pin a flow to backend @b. May fail (full, no memory, @b just freed): the
 * flow is then not pinned, which is what happens without pinning at all.
 * Caller: rcu_read_lock(), softirq; @b comes from the live table.
 */
void ip_vs_maglev_pin_insert(struct ip_vs_maglev_svc *ms,
			     const struct ip_vs_maglev_pin_key *k,
			     struct ip_vs_maglev_backend *b)
{
	struct ip_vs_maglev_pins *p = rcu_dereference(ms->mn->pins);
	u32 h, bucket, now = (u32)jiffies, svc_max = READ_ONCE(ms->pin_max);
	struct ip_vs_maglev_pin __rcu **link;
	struct ip_vs_maglev_pin *pin, *victim;
	struct mem_cgroup *memcg;
	spinlock_t *lock;
	bool dup;

	if (!p)
		return;
	h = ip_vs_maglev_pin_hash(p, ms, k);
	bucket = h & p->mask;
	lock = ip_vs_maglev_pin_lock(p, bucket);

	/* GFP_NOWAIT, not GFP_ATOMIC: a memory cgroup lets atomic charges
	 * past its limit; a pin is optional, so at the limit it fails
	 */
	memcg = ip_vs_maglev_pkt_memcg_enter(ms->memcg);
	pin = kmem_cache_alloc(k->af == AF_INET6 ? ip_vs_maglev_pin6_cache :
			       ip_vs_maglev_pin4_cache, GFP_NOWAIT | __GFP_NOWARN);
	ip_vs_maglev_pkt_memcg_leave(memcg);
	if (!pin)
		goto fail;
	pin->svc = ms;
	pin->be = b;
	pin->last_used = now;
	pin->af = k->af;
	pin->proto = k->proto;
	pin->sport = k->sport;
	pin->dport = k->dport;
	if (k->af == AF_INET6) {
		memcpy(pin->addr, &k->saddr.in6, 16);
		memcpy(pin->addr + 4, &k->daddr.in6, 16);
	} else {
		pin->addr[0] = k->saddr.ip;
		pin->addr[1] = k->daddr.ip;
	}

	spin_lock_bh(lock);
	/* done_service: no pin of a dead service (see the top of the file) */
	if (READ_ONCE(ms->pin_dead))
		goto drop;
	/* a pin no lookup would use: a backend deleted or marked down since
	 * the packet read the table; nor one that has lost its last reference
	 */
	if (READ_ONCE(b->gone) || READ_ONCE(b->unpinned) || !refcount_inc_not_zero(&b->ref))
		goto drop;
	ip_vs_maglev_pin_chain(p, bucket, ms, k, &dup);
	if (dup)
		goto drop_ref;	/* pinned meanwhile, on another CPU */
	/*
	 * The service's cap first: a capped service makes room among its
	 * own pins only, or inserts nothing; then the namespace's, then the
	 * host's, each making room in this namespace only; the chain cap
	 * last, when the insert is certain, so a full chain never loses
	 * another service's pin for nothing. An eviction for a cap can
	 * still be followed by a failed insert, if another CPU (or, for the
	 * host's caps, another namespace) took the freed slot meanwhile:
	 * the flow then goes unpinned, as without pinning.
	 */
	if (!ip_vs_maglev_pin_reserve(&ms->pin_count, svc_max) &&
	    (!ip_vs_maglev_pin_evict(p, bucket, ms, now) ||
	     !ip_vs_maglev_pin_reserve(&ms->pin_count, svc_max)))
		goto full;
	if (!ip_vs_maglev_pin_reserve(&p->count, ip_vs_maglev_pin_max()) &&
	    (!ip_vs_maglev_pin_evict(p, bucket, NULL, now) ||
	     !ip_vs_maglev_pin_reserve(&p->count, ip_vs_maglev_pin_max())))
		goto full_svc;
	if (!ip_vs_maglev_pin_reserve_host(ms->mn) &&
	    (!ip_vs_maglev_pin_evict(p, bucket, NULL, now) ||
	     !ip_vs_maglev_pin_reserve_host(ms->mn)))
		goto full_net;
	if (ip_vs_maglev_pin_chain(p, bucket, ms, k, &dup) >= IP_VS_MAGLEV_PIN_CHAIN) {
		victim = ip_vs_maglev_pin_oldest(p, bucket, NULL, now, &link);
		ip_vs_maglev_pin_evict_one(p, link, victim);
	}
	atomic_inc(&b->pins);
	RCU_INIT_POINTER(pin->next, rcu_dereference_protected(p->buckets[bucket], 1));
	rcu_assign_pointer(p->buckets[bucket], pin);
	spin_unlock_bh(lock);
	this_cpu_inc(ms->pstats->inserts);
	return;

drop_ref:
	ip_vs_maglev_backend_put(b);
drop:
	spin_unlock_bh(lock);
	kmem_cache_free(k->af == AF_INET6 ? ip_vs_maglev_pin6_cache :
			ip_vs_maglev_pin4_cache, pin);
	return;
full_net:
	atomic_dec(&p->count);
full_svc:
	atomic_dec(&ms->pin_count);
full:
	ip_vs_maglev_backend_put(b);
	spin_unlock_bh(lock);
	kmem_cache_free(k->af == AF_INET6 ? ip_vs_maglev_pin6_cache :
			ip_vs_maglev_pin4_cache, pin);
fail:
	this_cpu_inc(ms->pstats->insert_fails);
}

/* ---- sweeping ---------------------------------------------------------- */

/*
 * Unlink the entries of buckets [from, to) that @drop says to. Process
 * context; the bucket locks are taken one at a time.
 */
static u32 ip_vs_maglev_pin_sweep(struct ip_vs_maglev_pins *p, u32 from, u32 to,
				  bool (*drop)(const struct ip_vs_maglev_pin *pin, void *arg),
				  void *arg, bool count_expiry)
{
	struct ip_vs_maglev_pin __rcu **link;
	struct ip_vs_maglev_pin *pin;
	u32 b, dropped = 0;
	spinlock_t *lock;

	for (b = from; b < to; b++) {
		if (!rcu_access_pointer(p->buckets[b]))
			continue;
		lock = ip_vs_maglev_pin_lock(p, b);
		spin_lock_bh(lock);
		link = &p->buckets[b];
		while ((pin = rcu_dereference_protected(*link, lockdep_is_held(lock)))) {
			if (drop(pin, arg)) {
				if (count_expiry && !ip_vs_maglev_pin_usable(pin))
					this_cpu_inc(pin->svc->pstats->dropped);
				else if (count_expiry)
					this_cpu_inc(pin->svc->pstats->expiries);
				ip_vs_maglev_pin_unlink(p, link, pin);
				dropped++;
			} else {
				link = &pin->next;
			}
		}
		spin_unlock_bh(lock);
		if ((b & 1023) == 1023)
			cond_resched();
	}
	return dropped;
}

static bool ip_vs_maglev_pin_stale(const struct ip_vs_maglev_pin *pin, void *arg)
{
	u32 now = *(u32 *)arg;

	return ip_vs_maglev_pin_idle(pin, now, ip_vs_maglev_pin_timeout_jiffies()) ||
	       !ip_vs_maglev_pin_usable(pin);
}

static void ip_vs_maglev_pin_gc(struct work_struct *work)
{
	struct ip_vs_maglev_pins *p =
		container_of(to_delayed_work(work), struct ip_vs_maglev_pins, gc);
	u32 n = p->mask + 1, slice = max_t(u32, 1024, n / IP_VS_MAGLEV_PIN_GC_SLICE);
	u32 now = (u32)jiffies, to;

	to = min(p->gc_cursor + slice, n);
	ip_vs_maglev_pin_sweep(p, p->gc_cursor, to, ip_vs_maglev_pin_stale, &now, true);
	p->gc_cursor = to == n ? 0 : to;
	queue_delayed_work(system_power_efficient_wq, &p->gc, HZ);
}

struct ip_vs_maglev_pin_match_arg {
	const struct ip_vs_maglev_svc *ms;	/* NULL: any */
	const struct ip_vs_maglev_backend *be;	/* NULL: any */
};

static bool ip_vs_maglev_pin_of(const struct ip_vs_maglev_pin *pin, void *arg)
{
	const struct ip_vs_maglev_pin_match_arg *m = arg;

	return (!m->ms || pin->svc == m->ms) && (!m->be || pin->be == m->be);
}

/*
 * Drop the pins of service @ms (to backend @b only, if not NULL), or of
 * every service if @ms is NULL: a command, so its result is what the
 * sweep saw; a packet already in schedule() may pin a flow just after.
 * Returns how many.
 *
 * Process context, with no lock of this module held: a sweep of the whole
 * table must not hold up IPVS's configuration, whose scheduler ops take
 * mn->lock and ms->lock under IPVS's mutex. @ms and @b are only compared
 * with, never dereferenced: @ms may be deleted meanwhile (its reap sweeps
 * too). The caller keeps the pin table alive: a netlink handler's socket
 * holds the namespace, and only the namespace's exit destroys the table.
 */
u32 ip_vs_maglev_pin_flush(struct ip_vs_maglev_net *mn, const struct ip_vs_maglev_svc *ms,
			   const struct ip_vs_maglev_backend *b)
{
	struct ip_vs_maglev_pin_match_arg m = { .ms = ms, .be = b };
	struct ip_vs_maglev_pins *p;

	might_sleep();
	p = rcu_dereference_protected(mn->pins, 1);	/* see above */
	if (!p)
		return 0;
	return ip_vs_maglev_pin_sweep(p, 0, p->mask + 1, ip_vs_maglev_pin_of, &m, false);
}

/*
 * The reap of a dead service (sched.c), a grace period after done_service
 * set pin_dead: every pin @ms will ever have is linked by now, and
 * pin_count counts exactly them (an insert's reservation is undone before
 * it leaves its read-side section), so the sweep, with no other shortcut,
 * drops them all. No lock is held over it (see ip_vs_maglev_pin_flush());
 * the namespace's exit waits for reaps before it destroys the table.
 * Process context.
 */
void ip_vs_maglev_pin_reap(struct ip_vs_maglev_net *mn, struct ip_vs_maglev_svc *ms)
{
	if (atomic_read(&ms->pin_count))
		ip_vs_maglev_pin_flush(mn, ms, NULL);
	WARN_ON_ONCE(atomic_read(&ms->pin_count));
}

/* ---- the table --------------------------------------------------------------- */

/* A table for @mn, if it has none. Process context, mn->lock held. */
int ip_vs_maglev_pins_create(struct ip_vs_maglev_net *mn)
{
	u32 n, max = ip_vs_maglev_pin_max(), i;
	struct ip_vs_maglev_pins *p;

	lockdep_assert_held(&mn->lock);
	if (rcu_access_pointer(mn->pins))
		return 0;
	/* an unprivileged user's namespace never holds more than they all
	 * may together, so its table is no larger than that needs
	 */
	if (mn->userns)
		max = min(max, ip_vs_maglev_pin_max_userns());
	/* about two entries a bucket when full */
	n = roundup_pow_of_two(clamp_t(u32, max / 2, 1024, 1u << 22));
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->buckets = kvcalloc(n, sizeof(*p->buckets), GFP_KERNEL_ACCOUNT);
	if (!p->buckets) {
		kfree(p);
		return -ENOMEM;
	}
	p->mask = n - 1;
	atomic_set(&p->count, 0);
	for (i = 0; i < 4; i++)
		p->key.k[i] = get_random_u64();
	for (i = 0; i < IP_VS_MAGLEV_PIN_LOCKS; i++)
		spin_lock_init(&p->locks[i]);
	INIT_DELAYED_WORK(&p->gc, ip_vs_maglev_pin_gc);
	rcu_assign_pointer(mn->pins, p);
	queue_delayed_work(system_power_efficient_wq, &p->gc, HZ);
	return 0;
}

static void ip_vs_maglev_pins_free_rcu(struct rcu_head *head)
{
	struct ip_vs_maglev_pins *p = container_of(head, struct ip_vs_maglev_pins, rcu);

	kvfree(p->buckets);
	kfree(p);
}

/*
 * The namespace is going away (our pernet exit). Its packet hooks are gone
 * (IPVS's device exit ran), but its maglev services still exist: IPVS
 * flushes them after this. Their pins are dropped here, every one of
 * them, and the table freed; done_service then finds none. Process
 * context, mn->dying set, no reap pending.
 */
void ip_vs_maglev_pins_destroy(struct ip_vs_maglev_net *mn)
{
	struct ip_vs_maglev_pins *p;

	mutex_lock(&mn->lock);
	p = rcu_dereference_protected(mn->pins, lockdep_is_held(&mn->lock));
	RCU_INIT_POINTER(mn->pins, NULL);
	mutex_unlock(&mn->lock);
	if (!p)
		return;
	cancel_delayed_work_sync(&p->gc);
	ip_vs_maglev_pin_sweep(p, 0, p->mask + 1, ip_vs_maglev_pin_of,
			       &(struct ip_vs_maglev_pin_match_arg){ 0 }, false);
	WARN_ON_ONCE(atomic_read(&p->count));
	call_rcu(&p->rcu, ip_vs_maglev_pins_free_rcu);
}

/* Work that creates a namespace's table when the packet path wanted one. */
void ip_vs_maglev_pins_create_work(struct work_struct *work)
{
	struct ip_vs_maglev_net *mn =
		container_of(work, struct ip_vs_maglev_net, pins_work);
	struct mem_cgroup *old;

	mutex_lock(&mn->lock);
	old = ip_vs_maglev_memcg_enter(mn->memcg);	/* not the kworker's */
	if (!mn->dying && ip_vs_maglev_pins_create(mn))
		pr_warn_ratelimited("cannot allocate the flow pin table: flows stay unpinned\n");
	ip_vs_maglev_memcg_leave(old);
	mutex_unlock(&mn->lock);
}

u32 ip_vs_maglev_pins_host_count(bool userns)
{
	return atomic_read(userns ? &ip_vs_maglev_pins_userns : &ip_vs_maglev_pins_host);
}

u32 ip_vs_maglev_pins_count(struct ip_vs_maglev_net *mn)
{
	struct ip_vs_maglev_pins *p;
	u32 c = 0;

	rcu_read_lock();
	p = rcu_dereference(mn->pins);
	if (p)
		c = atomic_read(&p->count);
	rcu_read_unlock();
	return c;
}

/* Bytes one entry costs, with its share of a full bucket array (two
 * entries a bucket, one pointer a bucket).
 */
u32 ip_vs_maglev_pin_entry_bytes(u8 af)
{
	return kmem_cache_size(af == AF_INET6 ? ip_vs_maglev_pin6_cache :
			       ip_vs_maglev_pin4_cache) + sizeof(void *) / 2;
}

int ip_vs_maglev_pin_init(void)
{
	ip_vs_maglev_pin4_cache = kmem_cache_create("ip_vs_maglev_pin4",
						    IP_VS_MAGLEV_PIN_SIZE(2), 8,
						    SLAB_ACCOUNT, NULL);
	ip_vs_maglev_pin6_cache = kmem_cache_create("ip_vs_maglev_pin6",
						    IP_VS_MAGLEV_PIN_SIZE(8), 8,
						    SLAB_ACCOUNT, NULL);
	if (!ip_vs_maglev_pin4_cache || !ip_vs_maglev_pin6_cache) {
		kmem_cache_destroy(ip_vs_maglev_pin4_cache);
		kmem_cache_destroy(ip_vs_maglev_pin6_cache);
		return -ENOMEM;
	}
	return 0;
}

void ip_vs_maglev_pin_exit(void)
{
	/* every pin was freed through call_rcu(): wait for them first */
	rcu_barrier();
	kmem_cache_destroy(ip_vs_maglev_pin4_cache);
	kmem_cache_destroy(ip_vs_maglev_pin6_cache);
}
