// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_maglev: the IPVS scheduler operations.
 *
 * The scheduler keeps, per service, a mirror of the service's destinations
 * (ip_vs_maglev_backend) and publishes immutable Maglev tables built from
 * it (see maglev.h for the algorithm). IPVS calls add_dest, del_dest and
 * upd_dest with its config mutex held and ignores their return value, so
 * a failure there must leave a working table behind: a build that fails
 * keeps the previous table, is counted and reported through netlink, and
 * is retried from the work item.
 *
 * Bursts of changes are coalesced: a change builds at once if no build
 * happened within rebuild_holdoff_ms, otherwise one delayed build covers
 * every change made meanwhile. Until then the live table may still name a
 * removed or drained backend; the packet path checks each choice and falls
 * back deterministically, so no flow is sent to an unusable backend.
 *
 * The packet path (ip_vs_maglev_schedule) runs in softirq (or in process
 * context, for LOCAL_OUT) under rcu_read_lock(): one hash, one slot, one
 * pointer, one availability check. It never sleeps. Without flow pinning
 * it takes no lock and allocates nothing; with pinning on, pin.c's insert
 * allocates with GFP_NOWAIT and takes a bucket spinlock.
 *
 * What may run at the same time as what:
 *  - schedule(): on any CPU, at any time between init_service and the
 *    grace period that follows done_service, concurrently with everything
 *    below. It reads the live table, the fields marked for it in
 *    ip_vs_maglev.h, and IPVS's own dest fields.
 *  - init_service, done_service, add_dest, del_dest, upd_dest: process
 *    context, under IPVS's config mutex (one per netns from 7.x, global
 *    before), so never two of them at once for a service.
 *  - the service's delayed work (builds, ramp steps) and the netlink
 *    handlers: process context, without IPVS's mutex.
 * All three groups take ms->lock around everything they read or write of
 * the backend mirror, so the mirror is consistent under it. IPVS writes
 * dest->weight (before it calls upd_dest) and a dest's availability without
 * our lock: a build therefore reads each weight exactly once and decides
 * everything from that copy (ip_vs_maglev_rebuild()).
 */
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>

#include <net/ip_vs.h>

#include "ip_vs_maglev.h"

/* Keyed re-hashes tried before the linear fallback scan. */
#define IP_VS_MAGLEV_ALT_TRIES	8
/* Retry delay after a failed build. */
#define IP_VS_MAGLEV_RETRY	HZ

static struct workqueue_struct *ip_vs_maglev_wq;

/* ---- identity ------------------------------------------------------- */

static void ip_vs_maglev_id_of(const struct ip_vs_dest *dest, struct mg_id *id)
{
	mg_id_set(id, dest->af == AF_INET6 ? 6 : 4, &dest->addr, &dest->port);
}

void ip_vs_maglev_svc_key_of(const struct ip_vs_service *svc,
			     struct ip_vs_maglev_svc_key *key)
{
	memset(key, 0, sizeof(*key));
	key->af = svc->af;
	if (svc->fwmark) {
		key->fwmark = svc->fwmark;
		return;
	}
	key->protocol = svc->protocol;
	key->addr = svc->addr;
	key->port = svc->port;
}

static u32 ip_vs_maglev_key_hash(const struct ip_vs_maglev_svc_key *key)
{
	return jhash(key, sizeof(*key), 0);
}

struct ip_vs_maglev_svc *
ip_vs_maglev_svc_find(struct ip_vs_maglev_net *mn,
		      const struct ip_vs_maglev_svc_key *key)
{
	struct ip_vs_maglev_svc_key k;
	struct ip_vs_maglev_svc *ms;

	lockdep_assert_held(&mn->lock);
	hash_for_each_possible(mn->hash, ms, hnode, ip_vs_maglev_key_hash(key)) {
		ip_vs_maglev_svc_key_of(ms->svc, &k);
		if (!memcmp(&k, key, sizeof(k)))
			return ms;
	}
	return NULL;
}

/* ---- packet path ------------------------------------------------------ */

/* May new flows go to @dest right now? Linked to its service, not over its
 * upper connection threshold, weight above 0.
 */
bool ip_vs_maglev_usable(const struct ip_vs_dest *dest)
{
	return ip_vs_maglev_dest_linked(dest) &&
	       !(READ_ONCE(dest->flags) & IP_VS_DEST_F_OVERLOAD) &&
	       atomic_read(&dest->weight) > 0;
}

/*
 * The backend for a flow hash, as an index into the table's dests: the
 * table's choice if usable, else the first usable of IP_VS_MAGLEV_ALT_TRIES
 * keyed alternative slots, else the first usable backend scanning from a
 * hashed start; -1 if none is usable. Deterministic for a given table, so
 * directors with equal tables fall back identically; bounded by the number
 * of backends, like the lc and wlc schedulers' scan.
 * Caller: rcu_read_lock(), t->nr > 0.
 */
int ip_vs_maglev_pick(const struct mg_keys *keys, const struct ip_vs_maglev_table *t,
		      u32 hash, u32 *slot, bool *fallback)
{
	u32 i, s, at;

	s = mg_reduce(hash, t->size);
	if (slot)
		*slot = s;
	if (fallback)
		*fallback = false;
	if (likely(ip_vs_maglev_usable(t->dests[t->slots[s]])))
		return t->slots[s];

	if (fallback)
		*fallback = true;
	for (i = 1; i <= IP_VS_MAGLEV_ALT_TRIES; i++) {
		at = mg_alt_slot(&keys->alt, hash, i, t->size);
		if (ip_vs_maglev_usable(t->dests[t->slots[at]]))
			return t->slots[at];
	}
	at = mg_reduce(hash, t->nr);
	for (i = 0; i < t->nr; i++) {
		if (ip_vs_maglev_usable(t->dests[at]))
			return at;
		if (++at == t->nr)
			at = 0;
	}
	return -1;
}

u32 ip_vs_maglev_hash_flow(const struct mg_keys *keys, u8 hash, int af,
			   const union nf_inet_addr *saddr,
			   const union nf_inet_addr *daddr, __be16 sport,
			   __be16 dport, u8 proto)
{
	const struct mg_key *key = &keys->flow;
	u32 s[4], d[4], ports;
	int i;

	if (af != AF_INET6) {
		if (hash == IPVS_MAGLEV_HASH_SRC_ADDR)
			return mg_hash_v4(key, ntohl(saddr->ip), 0, 0, 0);
		if (hash == IPVS_MAGLEV_HASH_SRC_ADDR_PORT)
			return mg_hash_v4(key, ntohl(saddr->ip), 0,
					  (u32)ntohs(sport) << 16, 0);
		ports = (u32)ntohs(sport) << 16 | ntohs(dport);
		return mg_hash_v4(key, ntohl(saddr->ip), ntohl(daddr->ip),
				  ports, proto);
	}

	for (i = 0; i < 4; i++) {
		s[i] = ntohl(saddr->ip6[i]);
		d[i] = hash == IPVS_MAGLEV_HASH_FIVE_TUPLE ? ntohl(daddr->ip6[i]) : 0;
	}
	if (hash == IPVS_MAGLEV_HASH_SRC_ADDR)
		return mg_hash_v6(key, s, d, 0, 0);
	if (hash == IPVS_MAGLEV_HASH_SRC_ADDR_PORT)
		return mg_hash_v6(key, s, d, (u32)ntohs(sport) << 16, 0);
	ports = (u32)ntohs(sport) << 16 | ntohs(dport);
	return mg_hash_v6(key, s, d, ports, proto);
}

u8 ip_vs_maglev_hash_active(const struct ip_vs_maglev_svc *ms,
			    const struct ip_vs_maglev_table *t)
{
	u8 hash = t ? t->hash : IPVS_MAGLEV_HASH_AUTO;

	if (hash != IPVS_MAGLEV_HASH_AUTO)
		return hash;
	/* ms->as_mh is constant for the service's life: a switch between
	 * the two names is done_service() and a new init_service()
	 */
	if (ms->as_mh)
		return READ_ONCE(ms->svc->flags) & IP_VS_SVC_F_SCHED2 ?
		       IPVS_MAGLEV_HASH_SRC_ADDR_PORT : IPVS_MAGLEV_HASH_SRC_ADDR;
	return READ_ONCE(ms->svc->flags) & IP_VS_SVC_F_SCHED1 ?
	       IPVS_MAGLEV_HASH_SRC_ADDR : IPVS_MAGLEV_HASH_FIVE_TUPLE;
}

bool ip_vs_maglev_pin_wanted(const struct ip_vs_maglev_svc *ms)
{
	switch (READ_ONCE(ms->pin_mode)) {
	case IPVS_MAGLEV_PIN_ON:
		return true;
	case IPVS_MAGLEV_PIN_OFF:
		return false;
	default:
		/* AUTO: "ipvsadm -b flag-2" under the name maglev; under the
		 * name mh, flag-2 is mh-port (the hash), and pins are asked
		 * for explicitly (ipvsctl maglev set ... pin on)
		 */
		if (ms->as_mh)
			return false;
		return READ_ONCE(ms->svc->flags) & IP_VS_SVC_F_SCHED2;
	}
}

static struct ip_vs_dest *
ip_vs_maglev_schedule(struct ip_vs_service *svc, const struct sk_buff *skb,
		      struct ip_vs_iphdr *iph)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	const struct ip_vs_maglev_table *t;
	struct ip_vs_maglev_pin_key key;
	const struct mg_keys *keys;
	__be16 _ports[2], *ports;
	struct ip_vs_dest *dest;
	bool pin;
	u8 hash;
	int i;

	/* The flow, client to service. ICMP errors (with the schedule_icmp
	 * sysctl) arrive with the embedded header marked inverse: the client
	 * is its destination. They are hashed as the flow they belong to.
	 */
	key.af = svc->af;
	key.proto = iph->protocol;
	key.sport = 0;
	key.dport = 0;
	if (likely(!ip_vs_iph_inverse(iph))) {
		key.saddr = iph->saddr;
		key.daddr = iph->daddr;
	} else {
		key.saddr = iph->daddr;
		key.daddr = iph->saddr;
	}
	t = rcu_dereference(ms->table);
	hash = ip_vs_maglev_hash_active(ms, t);
	pin = ip_vs_maglev_pin_wanted(ms);
	if ((pin || hash == IPVS_MAGLEV_HASH_FIVE_TUPLE ||
	     hash == IPVS_MAGLEV_HASH_SRC_ADDR_PORT) &&
	    (key.proto == IPPROTO_TCP || key.proto == IPPROTO_UDP ||
	     key.proto == IPPROTO_SCTP)) {
		/* the ports lead the header for all three */
		ports = frag_safe_skb_hp(skb, iph->len, sizeof(_ports), _ports);
		if (likely(ports)) {
			key.sport = ports[ip_vs_iph_inverse(iph) ? 1 : 0];
			key.dport = ports[ip_vs_iph_inverse(iph) ? 0 : 1];
		}
	}

	/* A pinned flow keeps its backend, even one drained to weight 0
	 * and no longer in the table: that is graceful draining for flows
	 * IPVS has no connection entry for. (Not one deleted or marked down:
	 * pin.c checks.)
	 */
	if (pin) {
		if (unlikely(!rcu_access_pointer(ms->mn->pins))) {
			/* the table is made in process context */
			queue_work(system_wq, &ms->mn->pins_work);
			pin = false;
		} else {
			dest = ip_vs_maglev_pin_lookup(ms, &key);
			if (dest)
				return dest;
		}
	}

	if (unlikely(!t || !t->nr))
		goto none;
	keys = ms->mn->keys;
	i = ip_vs_maglev_pick(keys, t,
			      ip_vs_maglev_hash_flow(keys, hash, key.af, &key.saddr,
						     &key.daddr, key.sport,
						     key.dport, key.proto),
			      NULL, NULL);
	if (likely(i >= 0)) {
		/* the service now carries traffic: see ramp_begin() */
		if (unlikely(!READ_ONCE(ms->serving_since)))
			WRITE_ONCE(ms->serving_since, jiffies | 1);
		if (pin)
			ip_vs_maglev_pin_insert(ms, &key, t->bes[i]);
		return t->dests[i];
	}
none:
	ip_vs_scheduler_err(svc, "no destination available");
	return NULL;
}

/* ---- backends: references ------------------------------------------------ */

static void ip_vs_maglev_backend_hold(struct ip_vs_maglev_backend *b)
{
	refcount_inc(&b->ref);
}

/*
 * Drop a reference; the last one drops the backend's dest and frees it
 * after a grace period (a pin's backend is read under RCU without a
 * reference). Any context: pins are unlinked in softirq too.
 */
void ip_vs_maglev_backend_put(struct ip_vs_maglev_backend *b)
{
	if (refcount_dec_and_test(&b->ref)) {
		ip_vs_dest_put(b->dest);
		kfree_rcu(b, rcu);
	}
}

/* ---- tables ------------------------------------------------------------ */

/*
 * Above a page, kmalloc() takes whole power-of-two page orders (and
 * kmalloc-8k just above one page): the 131144 bytes of a 65521-slot table
 * would occupy 262144, the 8288 of a 4093-slot one 16384. vmalloc() rounds
 * to pages and costs one page pointer per page besides, so where that
 * wastes less, use it. The packet path reads a slot and a pointer either
 * way; kvfree() releases both kinds, from an RCU callback too.
 */
static void *ip_vs_maglev_alloc_tight(size_t bytes)
{
	size_t paged = PAGE_ALIGN(bytes) +
		       (PAGE_ALIGN(bytes) >> PAGE_SHIFT) * sizeof(struct page *);

	if (bytes > PAGE_SIZE && paged < roundup_pow_of_two(bytes))
		return __vmalloc(bytes, GFP_KERNEL_ACCOUNT);
	return kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
}

static struct ip_vs_maglev_table *ip_vs_maglev_table_alloc(u32 m, u32 n)
{
	struct ip_vs_maglev_table *t;
	size_t off, bytes;

	/* An empty table carries no slots: schedule() stops at t->nr == 0. */
	off = ALIGN(sizeof(*t) + (n ? sizeof(u16) * m : 0), sizeof(void *));
	bytes = off + 2 * sizeof(void *) * n;
	t = ip_vs_maglev_alloc_tight(bytes);
	if (!t)
		return NULL;
	t->bytes = bytes;
	t->size = m;
	t->nr = n;
	t->dests = (struct ip_vs_dest **)((u8 *)t + off);
	t->bes = (struct ip_vs_maglev_backend **)(t->dests + n);
	return t;
}

static void ip_vs_maglev_table_free_rcu(struct rcu_head *head)
{
	kvfree(container_of(head, struct ip_vs_maglev_table, rcu));
}

/* Retire a table that is no longer published. Config context only. */
static void ip_vs_maglev_table_retire(struct ip_vs_maglev_table *t)
{
	u32 i;

	for (i = 0; i < t->nr; i++)
		ip_vs_maglev_backend_put(t->bes[i]);
	call_rcu(&t->rcu, ip_vs_maglev_table_free_rcu);
}

/* ---- slow start --------------------------------------------------------- */

/* Ramp steps: one per 1/20 of the window, at least 250 ms apart. */
#define IP_VS_MAGLEV_RAMP_STEPS		20
#define IP_VS_MAGLEV_RAMP_MIN_STEP_MS	250

static u64 ip_vs_maglev_window_ns(const struct ip_vs_maglev_svc *ms)
{
	return (u64)ms->ss_window_ms * NSEC_PER_MSEC;
}

static u64 ip_vs_maglev_step_ns(const struct ip_vs_maglev_svc *ms)
{
	return max_t(u64, ms->ss_window_ms / IP_VS_MAGLEV_RAMP_STEPS,
		     IP_VS_MAGLEV_RAMP_MIN_STEP_MS) * NSEC_PER_MSEC;
}

static bool ip_vs_maglev_ramp_over(const struct ip_vs_maglev_svc *ms,
				   const struct ip_vs_maglev_backend *b, u64 now)
{
	return !ms->ss_window_ms || now - b->ramp_start >= ip_vs_maglev_window_ns(ms);
}

/* The slow-start factor (Q16) of @b in a table built at @now. */
static u32 ip_vs_maglev_factor(const struct ip_vs_maglev_svc *ms,
			       const struct ip_vs_maglev_backend *b, u64 now)
{
	if (!b->ramping || ip_vs_maglev_ramp_over(ms, b, now))
		return MG_SS_ONE;
	return mg_ss_factor(now - b->ramp_start, ip_vs_maglev_window_ns(ms),
			    ms->ss_aggression, ms->ss_min_pct);
}

u32 ip_vs_maglev_ramp_left_ms(const struct ip_vs_maglev_svc *ms,
			      const struct ip_vs_maglev_backend *b)
{
	u64 now = ktime_get_ns(), end;

	if (!b->ramping || ip_vs_maglev_ramp_over(ms, b, now))
		return 0;
	end = b->ramp_start + ip_vs_maglev_window_ns(ms);
	return (u32)div_u64(end - now + NSEC_PER_MSEC - 1, NSEC_PER_MSEC);
}

/*
 * Enter slow start, where it protects somebody. A ramp moves load from the
 * backends already serving onto a cold one gradually; it only makes sense
 * when there is load to move. So a backend ramps only if
 *  - the service has been scheduling new flows through its live table for
 *    at least the rebuild holdoff (serving_since, set by the packet path),
 *  - and another backend owns slots in that table and can take flows.
 * A new service's backends, added one by one before it carries traffic or
 * within a holdoff of its first flow (ipvsadm -A then -a, keepalived,
 * ipvsctl apply), therefore come up at full weight together, instead of
 * the first one taking most of the load for the whole window; a service
 * coming back from no usable backend likewise. A backend joining, or
 * coming back to, a service that is serving ramps.
 */
static void ip_vs_maglev_ramp_begin(struct ip_vs_maglev_svc *ms,
				    struct ip_vs_maglev_backend *b)
{
	unsigned long since = READ_ONCE(ms->serving_since);
	struct ip_vs_maglev_backend *o;

	if (!ms->ss_window_ms || b->ramping || b->down || !since ||
	    time_before(jiffies, since + ip_vs_maglev_holdoff_jiffies()))
		return;
	list_for_each_entry(o, &ms->backends, list) {
		if (o != b && o->slots && !o->down && ip_vs_maglev_usable(o->dest)) {
			b->ramping = true;
			b->ramp_start = ktime_get_ns();
			/* the first ramp: its first step is one step away */
			if (!ms->pace.ramps++)
				ms->pace.ramp_next = jiffies +
					max_t(unsigned long, 1,
					      nsecs_to_jiffies(ip_vs_maglev_step_ns(ms)));
			return;
		}
	}
}

static void ip_vs_maglev_ramp_end(struct ip_vs_maglev_svc *ms,
				  struct ip_vs_maglev_backend *b)
{
	if (b->ramping) {
		b->ramping = false;
		ms->pace.ramps--;
	}
}

/* After a build (or a skipped step): when is the next ramp step due? No
 * later than the earliest end of a ramp, so that ramp gets its final build
 * on time.
 */
static void ip_vs_maglev_ramp_plan(struct ip_vs_maglev_svc *ms, u64 now)
{
	u64 next = now + ip_vs_maglev_step_ns(ms), end;
	struct ip_vs_maglev_backend *b;

	if (!ms->pace.ramps)
		return;
	list_for_each_entry(b, &ms->backends, list) {
		if (!b->ramping)
			continue;
		end = b->ramp_start + ip_vs_maglev_window_ns(ms);
		if (end < next)
			next = end;
	}
	ms->pace.ramp_next = jiffies + max_t(unsigned long, 1,
					     nsecs_to_jiffies(next > now ? next - now : 0));
}

/* A ramp step is due: does any factor in the table change? Ramps already
 * over whose full weight is already in the table end here without a build.
 * At Q16 resolution the factor moves at every step of a ramp, whatever the
 * backend's weight.
 */
static bool ip_vs_maglev_ramp_moves(struct ip_vs_maglev_svc *ms, u64 now)
{
	struct ip_vs_maglev_backend *b;
	bool moves = false;

	list_for_each_entry(b, &ms->backends, list) {
		if (!b->ramping)
			continue;
		if (b->table_weight && ip_vs_maglev_factor(ms, b, now) != b->factor)
			moves = true;
		else if (ip_vs_maglev_ramp_over(ms, b, now))
			ip_vs_maglev_ramp_end(ms, b);
	}
	return moves;
}

/* ---- building a table ------------------------------------------------------ */

/* One backend as a build sees it: read once, used for every decision. */
struct ip_vs_maglev_input {
	struct ip_vs_maglev_backend *b;
	u32 weight;		/* configured IPVS weight, read once; >= 0 */
	u32 factor;		/* slow-start factor, Q16 */
};

/* A build's scratch memory, sized for @nr backends of which @n have slots. */
struct ip_vs_maglev_work_mem {
	struct ip_vs_maglev_input *in;	/* nr, list order */
	struct mg_backend *mb;		/* n */
	u32 *w, *f, *tw;		/* n: weights, factors, table weights */
	void *scratch;			/* mg_build()'s */
};

static void ip_vs_maglev_work_mem_free(struct ip_vs_maglev_work_mem *wm)
{
	kvfree(wm->scratch);
	kvfree(wm->in);
}

static int ip_vs_maglev_work_mem_alloc(struct ip_vs_maglev_work_mem *wm, u32 nr, u32 m)
{
	memset(wm, 0, sizeof(*wm));
	if (!nr)
		return 0;
	/* one allocation: the inputs, then mb[], then the three u32 arrays */
	wm->in = kvmalloc(array_size(nr, sizeof(*wm->in) + sizeof(*wm->mb) + 3 * sizeof(u32)),
			  GFP_KERNEL);
	wm->scratch = kvmalloc(mg_scratch_size(m, min_t(u32, nr, MG_MAX_BACKENDS)),
			       GFP_KERNEL);
	if (!wm->in || !wm->scratch) {
		ip_vs_maglev_work_mem_free(wm);
		return -ENOMEM;
	}
	wm->mb = (struct mg_backend *)(wm->in + nr);
	wm->w = (u32 *)(wm->mb + nr);
	wm->f = wm->w + nr;
	wm->tw = wm->f + nr;
	return 0;
}

/* Identify a service in a log line. */
static void ip_vs_maglev_warn_svc(const struct ip_vs_maglev_svc *ms, const char *what, int err)
{
	const struct ip_vs_service *svc = ms->svc;

	if (svc->fwmark)
		pr_warn_ratelimited("fwmark %u (%s): %s (%d)\n", svc->fwmark,
				    svc->af == AF_INET6 ? "IPv6" : "IPv4", what, err);
	else if (svc->af == AF_INET6)
		pr_warn_ratelimited("%s [%pI6c]:%u: %s (%d)\n", ip_vs_proto_name(svc->protocol),
				    &svc->addr.in6, ntohs(svc->port), what, err);
	else
		pr_warn_ratelimited("%s %pI4:%u: %s (%d)\n", ip_vs_proto_name(svc->protocol),
				    &svc->addr.ip, ntohs(svc->port), what, err);
}

/*
 * Build a table from the backends and publish it. On failure nothing
 * changes: the previous table stays live, the backends keep describing it,
 * and a retry is paced (not_before). Called with ms->lock held, in process
 * context.
 *
 * IPVS writes dest->weight without our lock, before it calls upd_dest, so
 * a weight may change while this runs. Each is read exactly once, into
 * wm.in[], and the count of backends with slots, the table's size, its
 * contents and the commit all come from that one pass.
 */
static void ip_vs_maglev_resync(struct ip_vs_maglev_svc *ms);

int ip_vs_maglev_rebuild(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_table *t, *old;
	struct ip_vs_maglev_work_mem wm;
	struct ip_vs_maglev_backend *b;
	struct ip_vs_maglev_input *in;
	u64 now;
	u32 m, nr, n = 0, i, j;
	int err;

	lockdep_assert_held(&ms->lock);

	/* backends whose record could not be made: try again first */
	if (ms->resync)
		ip_vs_maglev_resync(ms);
	now = ktime_get_ns();
	nr = ms->nr_backends;

	m = ms->table_size ? ms->table_size : ip_vs_maglev_default_table_size();
	err = ip_vs_maglev_work_mem_alloc(&wm, nr, m);
	if (err)
		goto err;

	/* the one pass over the weights */
	i = 0;
	list_for_each_entry(b, &ms->backends, list) {
		in = &wm.in[i++];
		in->b = b;
		in->weight = max(atomic_read(&b->dest->weight), 0);
		in->factor = ip_vs_maglev_factor(ms, b, now);
		if (!in->weight || b->down || n == MG_MAX_BACKENDS)
			continue;
		wm.w[n] = in->weight;
		wm.f[n] = in->factor;
		wm.mb[n].cookie = i - 1;
		n++;
	}
	mg_ss_table_weights(wm.w, wm.f, n, wm.tw);
	for (j = 0; j < n; j++) {
		wm.mb[j].id = wm.in[wm.mb[j].cookie].b->id;
		wm.mb[j].weight = wm.tw[j];
	}

	err = -ENOMEM;
	t = ip_vs_maglev_table_alloc(m, n);
	if (!t)
		goto err_free;
	if (n && mg_build(t->slots, m, wm.mb, n, ms->mn->keys, wm.scratch) < 0) {
		/* duplicate identities: IPVS never allows them */
		err = -EINVAL;
		kvfree(t);
		goto err_free;
	}
	t->hash = ms->hash;
	t->digest = mg_digest(t->slots, n ? m : 0, wm.mb, n);
	for (j = 0; j < n; j++) {
		b = wm.in[wm.mb[j].cookie].b;
		t->dests[j] = b->dest;
		t->bes[j] = b;
		ip_vs_maglev_backend_hold(b);
	}

	/* Nothing can fail from here: commit. */
	for (i = 0; i < nr; i++) {
		in = &wm.in[i];
		b = in->b;
		b->index = -1;
		b->slots = 0;
		b->eff_weight = 0;
		b->table_weight = 0;
		b->factor = MG_SS_ONE;
		/* a ramp ends when its window does, or with the weight */
		if (b->ramping && (ip_vs_maglev_ramp_over(ms, b, now) || !in->weight))
			ip_vs_maglev_ramp_end(ms, b);
	}
	for (j = 0; j < n; j++) {
		in = &wm.in[wm.mb[j].cookie];
		b = in->b;
		b->index = j;
		b->slots = wm.mb[j].slots;
		b->table_weight = in->weight;
		b->factor = in->factor;
		b->eff_weight = mg_ss_weight(in->weight, in->factor);
	}
	old = rcu_replace_pointer(ms->table, t, lockdep_is_held(&ms->lock));
	/* serving starts afresh whenever the table empties or fills again */
	if (!old || !old->nr || !n)
		WRITE_ONCE(ms->serving_since, 0);
	if (old)
		ip_vs_maglev_table_retire(old);

	ms->pace.dirty = false;
	ms->rebuilds++;
	ms->last_build = jiffies;
	ms->pace.not_before = ms->last_build + ip_vs_maglev_holdoff_jiffies();
	ms->build_ns = ktime_get_ns() - now;
	ms->last_error = 0;
	if (ms->resync) {
		/* a record is still missing: the next try after the retry delay */
		ms->last_error = -ENOMEM;
		ms->pace.dirty = true;
		ms->pace.not_before = jiffies + IP_VS_MAGLEV_RETRY;
	}
	ip_vs_maglev_ramp_plan(ms, now);
	ip_vs_maglev_work_mem_free(&wm);
	return 0;

err_free:
	ip_vs_maglev_work_mem_free(&wm);
err:
	ms->rebuild_fails++;
	ms->last_error = err;
	ms->pace.not_before = jiffies + IP_VS_MAGLEV_RETRY;
	ip_vs_maglev_warn_svc(ms, "table rebuild failed; the previous table stays in use, retried in 1 s",
			      err);
	return err;
}

/* Queue the work for what pace.h says comes next, if anything. */
static void ip_vs_maglev_arm(struct ip_vs_maglev_svc *ms)
{
	unsigned long delay;

	if (!ms->dying && mg_pace_next(&ms->pace, jiffies, &delay))
		mod_delayed_work(ip_vs_maglev_wq, &ms->work, delay);
}

/*
 * A change that affects the table happened (ms->pace.dirty is set): build
 * now unless the holdoff or a retry delay says wait, else leave it to the
 * work. Called with ms->lock held.
 */
static void ip_vs_maglev_changed(struct ip_vs_maglev_svc *ms)
{
	lockdep_assert_held(&ms->lock);
	if (ms->dying)
		return;
	if (mg_pace_due(&ms->pace, jiffies) == MG_PACE_BUILD)
		ip_vs_maglev_rebuild(ms);	/* a failure paces a retry */
	ip_vs_maglev_arm(ms);
}

static void ip_vs_maglev_work(struct work_struct *work)
{
	struct ip_vs_maglev_svc *ms =
		container_of(to_delayed_work(work), struct ip_vs_maglev_svc, work);
	struct mem_cgroup *memcg;
	u64 now;

	mutex_lock(&ms->lock);
	if (ms->dying)
		goto out;
	/* tables and records built here are the service creator's, not the
	 * kworker's (which nobody would be charged for)
	 */
	memcg = ip_vs_maglev_memcg_enter(ms->memcg);
	switch (mg_pace_due(&ms->pace, jiffies)) {
	case MG_PACE_BUILD:
		ip_vs_maglev_rebuild(ms);
		break;
	case MG_PACE_STEP:
		now = ktime_get_ns();
		if (!ip_vs_maglev_ramp_moves(ms, now)) {
			ms->ramp_skips++;
			ip_vs_maglev_ramp_plan(ms, now);
			break;
		}
		ms->pace.dirty = true;
		if (!ip_vs_maglev_rebuild(ms))
			ms->ramp_builds++;
		break;
	case MG_PACE_IDLE:
		break;
	}
	ip_vs_maglev_arm(ms);
	ip_vs_maglev_memcg_leave(memcg);
out:
	mutex_unlock(&ms->lock);
}

/* An explicit request (netlink): build now, whatever the holdoff. */
int ip_vs_maglev_build_now(struct ip_vs_maglev_svc *ms)
{
	int err;

	lockdep_assert_held(&ms->lock);
	err = ip_vs_maglev_rebuild(ms);
	ip_vs_maglev_arm(ms);
	return err;
}

/*
 * Health checks marked @b down (or up again). A down backend owns no slot
 * and its pins are not used: unlike a drained one's, its flows move.
 * Either the new table is published and the mark holds, or (the build
 * failed) nothing changed, its pins included, and the error says so.
 * Caller: ms->lock.
 *
 * The packet path learns of the mark through @unpinned, set only once the
 * table without the backend is published: from then on a pin lookup
 * drops the backend's pins instead of using them, so no flow reaches it
 * through a pin, not even one pinned by a packet that still held the old
 * table. Dropping the rest is memory reclaim: *@flush is set to the
 * backend, with a reference, for the caller to flush its pins once it
 * holds none of this module's locks (ip_vs_maglev_pin_flush()), then put.
 */
int ip_vs_maglev_set_down(struct ip_vs_maglev_svc *ms, struct ip_vs_maglev_backend *b,
			  bool down, struct ip_vs_maglev_backend **flush)
{
	bool was_ramping = b->ramping, was_dirty = ms->pace.dirty;
	u64 was_start = b->ramp_start;
	int err;

	lockdep_assert_held(&ms->lock);
	*flush = NULL;
	if (b->down == down)
		return 0;
	b->down = down;
	if (down)
		ip_vs_maglev_ramp_end(ms, b);
	else if (atomic_read(&b->dest->weight) > 0)
		ip_vs_maglev_ramp_begin(ms, b);
	ms->pace.dirty = true;
	err = ip_vs_maglev_rebuild(ms);
	if (err) {
		b->down = !down;
		if (b->ramping && !was_ramping) {
			ip_vs_maglev_ramp_end(ms, b);
		} else if (!b->ramping && was_ramping) {
			b->ramping = true;
			b->ramp_start = was_start;
			ms->pace.ramps++;
		}
		ms->pace.dirty = was_dirty;
		ip_vs_maglev_arm(ms);
		return err;
	}
	WRITE_ONCE(b->unpinned, down);
	if (down && atomic_read(&b->pins)) {
		ip_vs_maglev_backend_hold(b);
		*flush = b;
	}
	ip_vs_maglev_arm(ms);
	return 0;
}

/* The backend of @ms at @af/@addr/@port, or NULL. ms->lock held. */
struct ip_vs_maglev_backend *
ip_vs_maglev_backend_lookup(struct ip_vs_maglev_svc *ms, u16 af,
			    const union nf_inet_addr *addr, __be16 port)
{
	struct ip_vs_maglev_backend *b;

	lockdep_assert_held(&ms->lock);
	list_for_each_entry(b, &ms->backends, list)
		if (b->dest->af == af && b->dest->port == port &&
		    ip_vs_addr_equal(af, &b->dest->addr, addr))
			return b;
	return NULL;
}

/* ---- service parameters (netlink) ----------------------------------------- */

/*
 * Apply @p (the fields it marks) to @ms, all or nothing: if a table must
 * be built for them and the build fails, every field is as it was and the
 * error is returned. Pinning changes only after a successful build; if it
 * goes off, *@flush says the caller should flush the service's pins once
 * it holds none of this module's locks (ip_vs_maglev_pin_flush()).
 * Caller: mn->lock (a pin table, if pinning goes on, exists already) and
 * ms->lock.
 */
int ip_vs_maglev_set_params(struct ip_vs_maglev_svc *ms, const struct ip_vs_maglev_params *p,
			    bool *flush)
{
	u32 old_size = ms->table_size, old_ss_ms = ms->ss_window_ms;
	u32 old_ss_aggr = ms->ss_aggression, old_ss_pct = ms->ss_min_pct;
	u8 old_hash = ms->hash;
	bool was_dirty = ms->pace.dirty, build;
	int err;

	lockdep_assert_held(&ms->lock);
	*flush = false;
	if (p->set & IP_VS_MAGLEV_SET_TABLE_SIZE)
		ms->table_size = p->table_size;
	if (p->set & IP_VS_MAGLEV_SET_HASH)
		ms->hash = p->hash;
	if (p->set & IP_VS_MAGLEV_SET_SS_WINDOW)
		ms->ss_window_ms = p->ss_window_ms;
	if (p->set & IP_VS_MAGLEV_SET_SS_AGGRESSION)
		ms->ss_aggression = p->ss_aggression;
	if (p->set & IP_VS_MAGLEV_SET_SS_MIN_PCT)
		ms->ss_min_pct = p->ss_min_pct;
	/* a new curve (a window of 0 included: it ends every ramp) moves
	 * the ramps in the table
	 */
	build = ms->table_size != old_size || ms->hash != old_hash || was_dirty ||
		(ms->pace.ramps && (ms->ss_window_ms != old_ss_ms ||
				    ms->ss_aggression != old_ss_aggr ||
				    ms->ss_min_pct != old_ss_pct));
	if (build) {
		ms->pace.dirty = true;
		err = ip_vs_maglev_build_now(ms);
		if (err) {
			ms->table_size = old_size;
			ms->hash = old_hash;
			ms->ss_window_ms = old_ss_ms;
			ms->ss_aggression = old_ss_aggr;
			ms->ss_min_pct = old_ss_pct;
			ms->pace.dirty = was_dirty;
			ip_vs_maglev_arm(ms);
			return err;
		}
	}
	if (p->set & IP_VS_MAGLEV_SET_PIN_MAX)
		WRITE_ONCE(ms->pin_max, p->pin_max);
	if (p->set & IP_VS_MAGLEV_SET_PIN) {
		WRITE_ONCE(ms->pin_mode, p->pin_mode);
		/* off: give the memory back now */
		*flush = !ip_vs_maglev_pin_wanted(ms) && atomic_read(&ms->pin_count);
	}
	return 0;
}

/* ---- backends ------------------------------------------------------- */

static struct ip_vs_maglev_backend *
ip_vs_maglev_backend_find(struct ip_vs_maglev_svc *ms,
			  const struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_backend *b;

	list_for_each_entry(b, &ms->backends, list)
		if (b->dest == dest)
			return b;
	return NULL;
}

static struct ip_vs_maglev_backend *ip_vs_maglev_backend_new(struct ip_vs_dest *dest,
							     gfp_t gfp)
{
	struct ip_vs_maglev_backend *b;

	b = kzalloc(sizeof(*b), gfp);
	if (!b)
		return NULL;
	b->dest = dest;
	ip_vs_dest_hold(dest);
	refcount_set(&b->ref, 1);		/* the service's list */
	atomic_set(&b->pins, 0);
	b->index = -1;
	b->factor = MG_SS_ONE;
	ip_vs_maglev_id_of(dest, &b->id);
	return b;
}

static void ip_vs_maglev_backend_link(struct ip_vs_maglev_svc *ms,
				      struct ip_vs_maglev_backend *b)
{
	b->weight_seen = max(atomic_read(&b->dest->weight), 0);
	list_add_tail(&b->list, &ms->backends);
	ms->nr_backends++;
	ms->gen = ip_vs_maglev_next_gen();
	if (b->weight_seen)
		ms->pace.dirty = true;
}

static void ip_vs_maglev_add_failed(struct ip_vs_maglev_svc *ms,
				    struct ip_vs_dest *dest)
{
	ms->last_error = -ENOMEM;
	/* the next build tries again (ip_vs_maglev_resync()) */
	ms->resync = true;
	ms->pace.dirty = true;
	if (dest->af == AF_INET6)
		pr_warn_ratelimited("out of memory: backend [%pI6c]:%u gets no new flows until its record is made (retried every second)\n",
				    &dest->addr.in6, ntohs(dest->port));
	else
		pr_warn_ratelimited("out of memory: backend %pI4:%u gets no new flows until its record is made (retried every second)\n",
				    &dest->addr.ip, ntohs(dest->port));
}

static struct ip_vs_maglev_backend *
ip_vs_maglev_backend_add(struct ip_vs_maglev_svc *ms, struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_backend *b = ip_vs_maglev_backend_new(dest, GFP_KERNEL_ACCOUNT);

	if (b)
		ip_vs_maglev_backend_link(ms, b);
	else
		ip_vs_maglev_add_failed(ms, dest);
	return b;
}

/*
 * Make the records that add_dest or init_service could not allocate, so a
 * backend is never left out of the table for good after a transient
 * ENOMEM. Called by every build, with ms->lock held, in process context.
 *
 * The module never takes IPVS's mutex, so svc->destinations is walked
 * under RCU, as IPVS's own schedulers do: IPVS links a dest with
 * list_add_rcu() before it calls add_dest, and unlinks it with
 * list_del_rcu() before it calls del_dest, and both callbacks wait for
 * ms->lock. So a dest seen here is either still listed, holding IPVS's
 * reference (taking ours is safe), or unlinked with its del_dest still to
 * run, which will find and drop the record made here. A dest whose
 * del_dest already ran was unlinked before we took ms->lock: this walk
 * cannot see it. add_dest looks for an existing record first (a dest
 * linked, and seen here, before its add_dest ran).
 *
 * Allocation is atomic (an RCU read section) and may fail again: then
 * ms->resync stays set and the build after the retry delay tries again.
 */
static void ip_vs_maglev_resync(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_backend *b;
	struct ip_vs_dest *dest;
	bool missing = false;

	lockdep_assert_held(&ms->lock);
	rcu_read_lock();
	list_for_each_entry_rcu(dest, &ms->svc->destinations, n_list) {
		if (ip_vs_maglev_backend_find(ms, dest))
			continue;
		/* not GFP_ATOMIC: memcg lets atomic charges past its limit */
		b = ip_vs_maglev_backend_new(dest, GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
		if (!b) {
			missing = true;
			break;
		}
		ip_vs_maglev_backend_link(ms, b);
		if (b->weight_seen)
			ip_vs_maglev_ramp_begin(ms, b);
	}
	rcu_read_unlock();
	ms->resync = missing;
}

/* Unlist @b. Its pins are no longer used from now on (pin.c); the last of
 * them, or of the tables naming it, frees it.
 */
static void ip_vs_maglev_backend_del(struct ip_vs_maglev_svc *ms,
				     struct ip_vs_maglev_backend *b)
{
	if (b->index >= 0)
		ms->pace.dirty = true;
	ip_vs_maglev_ramp_end(ms, b);
	WRITE_ONCE(b->gone, true);
	list_del(&b->list);
	ms->nr_backends--;
	ms->gen = ip_vs_maglev_next_gen();
	ip_vs_maglev_backend_put(b);
}

static int ip_vs_maglev_add_dest(struct ip_vs_service *svc,
				 struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	struct ip_vs_maglev_backend *b;

	mutex_lock(&ms->lock);
	/* a build's resync may have recorded it already: see there */
	b = ip_vs_maglev_backend_find(ms, dest);
	if (!b) {
		b = ip_vs_maglev_backend_add(ms, dest);
		if (b && b->weight_seen)
			ip_vs_maglev_ramp_begin(ms, b);
	}
	ip_vs_maglev_changed(ms);
	mutex_unlock(&ms->lock);
	return b ? 0 : -ENOMEM;
}

static int ip_vs_maglev_del_dest(struct ip_vs_service *svc,
				 struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	struct ip_vs_maglev_backend *b;

	mutex_lock(&ms->lock);
	b = ip_vs_maglev_backend_find(ms, dest);
	if (b)
		ip_vs_maglev_backend_del(ms, b);
	ip_vs_maglev_changed(ms);
	mutex_unlock(&ms->lock);
	return 0;
}

static int ip_vs_maglev_upd_dest(struct ip_vs_service *svc,
				 struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	struct ip_vs_maglev_backend *b;
	int err = 0;
	u32 w;

	mutex_lock(&ms->lock);
	b = ip_vs_maglev_backend_find(ms, dest);
	if (!b) {
		/* a backend we failed to record earlier: record it now */
		if (!ip_vs_maglev_backend_add(ms, dest))
			err = -ENOMEM;
		goto out;
	}
	/*
	 * Slow start: 0 -> above 0 (recovery, undrain) starts a ramp; 0 ends
	 * it; any other change retargets it: the ramp keeps its start time
	 * and the factor applies to the new weight. The weight is read once.
	 */
	w = max(atomic_read(&dest->weight), 0);
	if (!b->weight_seen && w)
		ip_vs_maglev_ramp_begin(ms, b);
	else if (!w)
		ip_vs_maglev_ramp_end(ms, b);
	if (w) {
		/* a weight above 0 ends any drain the metadata describes */
		b->saved_weight = 0;
		b->drain_deadline = 0;
	}
	b->weight_seen = w;
	if (b->down)
		w = 0;
	if (w != b->table_weight ||
	    (w && ip_vs_maglev_factor(ms, b, ktime_get_ns()) != b->factor))
		ms->pace.dirty = true;
out:
	ip_vs_maglev_changed(ms);
	mutex_unlock(&ms->lock);
	return err;
}

/* ---- services ----------------------------------------------------------- */

size_t ip_vs_maglev_state_bytes(const struct ip_vs_maglev_svc *ms)
{
	const struct ip_vs_maglev_table *t =
		rcu_dereference_protected(ms->table, lockdep_is_held(&ms->lock));

	return sizeof(*ms) + ms->nr_backends * sizeof(struct ip_vs_maglev_backend) +
	       (t ? t->bytes : 0);
}

static void ip_vs_maglev_svc_free_rcu(struct rcu_head *head)
{
	struct ip_vs_maglev_svc *ms = container_of(head, struct ip_vs_maglev_svc, rcu);

	free_percpu(ms->pstats);
	mem_cgroup_put(ms->memcg);
	kfree(ms);
}

/* Drop what the service holds: the backends' list references and the
 * table's. Pins hold their own. Config context.
 */
static void ip_vs_maglev_svc_release(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_backend *b, *tmp;
	struct ip_vs_maglev_table *t;

	list_for_each_entry_safe(b, tmp, &ms->backends, list) {
		WRITE_ONCE(b->gone, true);
		list_del(&b->list);
		ip_vs_maglev_backend_put(b);
	}
	ms->nr_backends = 0;
	t = rcu_replace_pointer(ms->table, NULL, true);
	if (t)
		ip_vs_maglev_table_retire(t);
	mutex_destroy(&ms->lock);
}

/*
 * After done_service and a grace period: no packet can be in schedule()
 * for @ms any more, and none that started after done_service set pin_dead
 * can have linked a pin (pin.c checks it under the bucket lock). So the
 * sweep sees every pin of @ms there will ever be. Then @ms is freed after
 * one more grace period; the namespace's exit waits for this work.
 */
static void ip_vs_maglev_svc_reap(struct work_struct *work)
{
	struct ip_vs_maglev_svc *ms =
		container_of(to_rcu_work(work), struct ip_vs_maglev_svc, reap);
	struct ip_vs_maglev_net *mn = ms->mn;

	ip_vs_maglev_pin_reap(mn, ms);
	call_rcu(&ms->rcu, ip_vs_maglev_svc_free_rcu);
	/* the last access to mn: its exit may free it as soon as it sees 0 */
	if (atomic_dec_and_test(&mn->reaping))
		wake_up_var(&mn->reaping);
}

static int ip_vs_maglev_init_svc_as(struct ip_vs_service *svc, bool as_mh)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(svc->ipvs->net);
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms;
	struct ip_vs_dest *dest;

	/* The service's own state is the one thing that may fail: after it,
	 * nothing does. A service left without a scheduler (5.10 does not
	 * restore the old one on a switch) would drop every new connection.
	 */
	ms = kzalloc(sizeof(*ms), GFP_KERNEL_ACCOUNT);
	if (!ms)
		return -ENOMEM;
	ms->pstats = alloc_percpu_gfp(struct ip_vs_maglev_pin_stats, GFP_KERNEL_ACCOUNT);
	if (!ms->pstats) {
		kfree(ms);
		return -ENOMEM;
	}

	ms->svc = svc;
	ms->mn = mn;
	/* config context: current is the process that asked for maglev */
	ms->memcg = get_mem_cgroup_from_mm(current->mm);
	ms->hash = IPVS_MAGLEV_HASH_AUTO;
	ms->as_mh = as_mh;
	ms->pin_mode = IPVS_MAGLEV_PIN_AUTO;
	atomic_set(&ms->pin_count, 0);
	ip_vs_maglev_ss_defaults(&ms->ss_window_ms, &ms->ss_aggression, &ms->ss_min_pct);
	mutex_init(&ms->lock);
	INIT_LIST_HEAD(&ms->backends);
	INIT_DELAYED_WORK(&ms->work, ip_vs_maglev_work);
	INIT_RCU_WORK(&ms->reap, ip_vs_maglev_svc_reap);
	ms->last_build = jiffies - ip_vs_maglev_holdoff_jiffies() - 1;
	ms->pace.not_before = jiffies;
	ms->gen = ip_vs_maglev_next_gen();

	/*
	 * A service switching to maglev ("ipvsadm -E -s maglev") already has
	 * destinations; IPVS holds its mutex, so the list is stable. A record
	 * that cannot be allocated is made by a later build (the work's retry,
	 * ip_vs_maglev_resync()), as after a failed add_dest. A table that
	 * cannot be built now is retried by the work; until then schedule()
	 * finds none and reports it.
	 */
	mutex_lock(&ms->lock);
	list_for_each_entry(dest, &svc->destinations, n_list)
		ip_vs_maglev_backend_add(ms, dest);
	ms->pace.dirty = true;
	ip_vs_maglev_rebuild(ms);
	ip_vs_maglev_arm(ms);
	mutex_unlock(&ms->lock);

	ip_vs_maglev_svc_key_of(svc, &key);
	mutex_lock(&mn->lock);
	/* "-b flag-2" at creation: have the pin table ready (if this fails,
	 * the packet path asks again)
	 */
	if (!mn->memcg)
		mn->memcg = get_mem_cgroup_from_mm(current->mm);
	if (ip_vs_maglev_pin_wanted(ms))
		ip_vs_maglev_pins_create(mn);
	hash_add(mn->hash, &ms->hnode, ip_vs_maglev_key_hash(&key));
	list_add_tail(&ms->lnode, &mn->services);
	mn->nr_services++;
	mn->gen = ip_vs_maglev_next_gen();
	mutex_unlock(&mn->lock);

	svc->sched_data = ms;
	return 0;
}

/*
 * IPVS calls init_service before it publishes svc->scheduler, so the name
 * a service was created under is told by which of the two structures
 * called: one entry point each.
 */
static int ip_vs_maglev_init_svc(struct ip_vs_service *svc)
{
	return ip_vs_maglev_init_svc_as(svc, false);
}

static int ip_vs_maglev_init_svc_mh(struct ip_vs_service *svc)
{
	return ip_vs_maglev_init_svc_as(svc, true);
}

static void ip_vs_maglev_done_svc(struct ip_vs_service *svc)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	struct ip_vs_maglev_net *mn = ms->mn;
	bool reap;

	/* IPVS stops calling schedule() for this service (compat.h); packets
	 * already past its check may still be in it until a grace period ends
	 */
	ip_vs_maglev_unbind_early(svc);

	/*
	 * Netlink handlers find services under mn->lock and keep it while
	 * they use one, so once unhashed here nobody else can reach ms.
	 *
	 * Pins: a packet already in schedule() may still link one. Stop new
	 * ones (pin.c reads pin_dead under the bucket lock), and reap what is
	 * left after a grace period, when no such packet remains. If this
	 * namespace is going away, our pernet exit has run already (IPVS
	 * flushes services from its own exit, which runs after ours): the
	 * pin table is gone with every pin, and no packet can arrive.
	 */
	mutex_lock(&mn->lock);
	hash_del(&ms->hnode);
	list_del(&ms->lnode);
	mn->nr_services--;
	mn->gen = ip_vs_maglev_next_gen();
	WRITE_ONCE(ms->pin_dead, true);
	reap = !mn->dying;
	if (reap)
		atomic_inc(&mn->reaping);
	mutex_unlock(&mn->lock);

	mutex_lock(&ms->lock);
	ms->dying = true;
	mutex_unlock(&ms->lock);
	cancel_delayed_work_sync(&ms->work);

	/* The dest references of the table and the backend records are
	 * dropped before we return: IPVS frees a dying namespace's dests
	 * after this without looking at their refcounts. (Pins' references
	 * are gone already in that case, see above.)
	 */
	ip_vs_maglev_svc_release(ms);
	if (reap)
		queue_rcu_work(ip_vs_maglev_wq, &ms->reap);
	else
		call_rcu(&ms->rcu, ip_vs_maglev_svc_free_rcu);
}

static struct ip_vs_scheduler ip_vs_maglev_scheduler = {
	.name =			"maglev",
	.refcnt =		ATOMIC_INIT(0),
	.module =		THIS_MODULE,
	.n_list =		LIST_HEAD_INIT(ip_vs_maglev_scheduler.n_list),
	.init_service =		ip_vs_maglev_init_svc,
	.done_service =		ip_vs_maglev_done_svc,
	.add_dest =		ip_vs_maglev_add_dest,
	.del_dest =		ip_vs_maglev_del_dest,
	.upd_dest =		ip_vs_maglev_upd_dest,
	.schedule =		ip_vs_maglev_schedule,
};

/*
 * The same scheduler under the name "mh" (module parameter mh=1), so that
 * tools that accept only IPVS's own names (keepalived, kube-proxy,
 * kube-router) get the maglev table. Registered at load only: IPVS finds
 * a scheduler by name in one list, so with the stock ip_vs_mh loaded the
 * name is taken and the load fails as a whole (nothing is registered).
 */
static struct ip_vs_scheduler ip_vs_maglev_mh_scheduler = {
	.name =			"mh",
	.refcnt =		ATOMIC_INIT(0),
	.module =		THIS_MODULE,
	.n_list =		LIST_HEAD_INIT(ip_vs_maglev_mh_scheduler.n_list),
	.init_service =		ip_vs_maglev_init_svc_mh,
	.done_service =		ip_vs_maglev_done_svc,
	.add_dest =		ip_vs_maglev_add_dest,
	.del_dest =		ip_vs_maglev_del_dest,
	.upd_dest =		ip_vs_maglev_upd_dest,
	.schedule =		ip_vs_maglev_schedule,
};

static bool ip_vs_maglev_mh_registered __ro_after_init;

int ip_vs_maglev_sched_init(bool as_mh)
{
	int err;

	ip_vs_maglev_wq = alloc_workqueue("ip_vs_maglev", WQ_UNBOUND, 0);
	if (!ip_vs_maglev_wq)
		return -ENOMEM;
	/*
	 * "mh" first: it is the registration that fails in practice (the
	 * stock ip_vs_mh holds the name), and while this module is still
	 * loading IPVS may already bind a service to a scheduler registered
	 * here (try_module_get() accepts a module that is coming) and
	 * unregistering does not unbind it. So nothing is registered before
	 * the step that can fail.
	 */
	if (as_mh) {
		err = register_ip_vs_scheduler(&ip_vs_maglev_mh_scheduler);
		if (err) {
			pr_err("mh=1: the scheduler name \"mh\" is taken (is ip_vs_mh loaded? unload it first)\n");
			/* IPVS says EINVAL for a name in use; not EEXIST,
			 * which modprobe takes for "already loaded" (exit 0)
			 */
			err = -EBUSY;
			goto err_wq;
		}
		ip_vs_maglev_mh_registered = true;
	}
	err = register_ip_vs_scheduler(&ip_vs_maglev_scheduler);
	if (err)
		goto err_mh;
	if (as_mh)
		pr_info("serving the scheduler names \"maglev\" and \"mh\"\n");
	return 0;

err_mh:
	if (ip_vs_maglev_mh_registered)
		unregister_ip_vs_scheduler(&ip_vs_maglev_mh_scheduler);
	ip_vs_maglev_mh_registered = false;
err_wq:
	destroy_workqueue(ip_vs_maglev_wq);
	return err;
}

void ip_vs_maglev_sched_exit(void)
{
	if (ip_vs_maglev_mh_registered)
		unregister_ip_vs_scheduler(&ip_vs_maglev_mh_scheduler);
	unregister_ip_vs_scheduler(&ip_vs_maglev_scheduler);
	/* Every service is gone (IPVS held our module until then). Wait for
	 * the grace periods their reap works were queued behind; then
	 * destroying the queue runs those works. (pin.c's exit waits for the
	 * last call_rcu()s they make.)
	 */
	rcu_barrier();
	destroy_workqueue(ip_vs_maglev_wq);
}
