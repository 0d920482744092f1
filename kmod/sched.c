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
 * The packet path (ip_vs_maglev_schedule) runs in softirq under
 * rcu_read_lock(): one hash, one slot, one pointer, one availability check.
 * It takes no lock, allocates nothing and never sleeps.
 */
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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
 * The backend for a flow hash: the table's choice if usable, else the first
 * usable of IP_VS_MAGLEV_ALT_TRIES keyed alternative slots, else the first
 * usable backend scanning from a hashed start. Deterministic for a given
 * table, so directors with equal tables fall back identically; bounded by
 * the number of backends, like the lc and wlc schedulers' scan.
 * Caller: rcu_read_lock(), t->nr > 0.
 */
struct ip_vs_dest *
ip_vs_maglev_pick(const struct ip_vs_maglev_table *t, u32 hash, u32 *slot,
		  bool *fallback)
{
	struct ip_vs_dest *dest;
	u32 i, s, at;

	s = mg_reduce(hash, t->size);
	if (slot)
		*slot = s;
	if (fallback)
		*fallback = false;
	dest = t->dests[t->slots[s]];
	if (likely(ip_vs_maglev_usable(dest)))
		return dest;

	if (fallback)
		*fallback = true;
	for (i = 1; i <= IP_VS_MAGLEV_ALT_TRIES; i++) {
		at = mg_alt_slot(&ip_vs_maglev_keys.alt, hash, i, t->size);
		dest = t->dests[t->slots[at]];
		if (ip_vs_maglev_usable(dest))
			return dest;
	}
	at = mg_reduce(hash, t->nr);
	for (i = 0; i < t->nr; i++) {
		dest = t->dests[at];
		if (ip_vs_maglev_usable(dest))
			return dest;
		if (++at == t->nr)
			at = 0;
	}
	return NULL;
}

u32 ip_vs_maglev_hash_flow(u8 hash, int af, const union nf_inet_addr *saddr,
			   const union nf_inet_addr *daddr, __be16 sport,
			   __be16 dport, u8 proto)
{
	const struct mg_key *key = &ip_vs_maglev_keys.flow;
	u32 s[4], d[4], ports;
	int i;

	if (af != AF_INET6) {
		if (hash == IPVS_MAGLEV_HASH_SRC_ADDR)
			return mg_hash_v4(key, ntohl(saddr->ip), 0, 0, 0);
		ports = (u32)ntohs(sport) << 16 | ntohs(dport);
		return mg_hash_v4(key, ntohl(saddr->ip), ntohl(daddr->ip),
				  ports, proto);
	}

	for (i = 0; i < 4; i++) {
		s[i] = ntohl(saddr->ip6[i]);
		d[i] = hash == IPVS_MAGLEV_HASH_SRC_ADDR ? 0 : ntohl(daddr->ip6[i]);
	}
	if (hash == IPVS_MAGLEV_HASH_SRC_ADDR)
		return mg_hash_v6(key, s, d, 0, 0);
	ports = (u32)ntohs(sport) << 16 | ntohs(dport);
	return mg_hash_v6(key, s, d, ports, proto);
}

u8 ip_vs_maglev_hash_active(const struct ip_vs_maglev_svc *ms,
			    const struct ip_vs_maglev_table *t)
{
	u8 hash = t ? t->hash : IPVS_MAGLEV_HASH_AUTO;

	if (hash != IPVS_MAGLEV_HASH_AUTO)
		return hash;
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
	default:	/* AUTO: "ipvsadm -b flag-2" */
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
	__be16 _ports[2], *ports;
	struct ip_vs_dest *dest;
	bool pin;
	u8 hash;

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
	if ((pin || hash == IPVS_MAGLEV_HASH_FIVE_TUPLE) &&
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
	 * IPVS has no connection entry for.
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
	dest = ip_vs_maglev_pick(t, ip_vs_maglev_hash_flow(hash, key.af, &key.saddr,
							   &key.daddr, key.sport,
							   key.dport, key.proto),
				 NULL, NULL);
	if (likely(dest)) {
		if (pin)
			ip_vs_maglev_pin_insert(ms, &key, dest);
		return dest;
	}
none:
	ip_vs_scheduler_err(svc, "no destination available");
	return NULL;
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
	bytes = off + sizeof(struct ip_vs_dest *) * n;
	t = ip_vs_maglev_alloc_tight(bytes);
	if (!t)
		return NULL;
	t->bytes = bytes;
	t->size = m;
	t->nr = n;
	t->dests = (struct ip_vs_dest **)((u8 *)t + off);
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
		ip_vs_dest_put(t->dests[i]);
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

static bool ip_vs_maglev_ramp_over(const struct ip_vs_maglev_svc *ms,
				   const struct ip_vs_maglev_backend *b, u64 now)
{
	return !ms->ss_window_ms || now - b->ramp_start >= ip_vs_maglev_window_ns(ms);
}

/* The weight a backend should have in a table built at @now. */
static u32 ip_vs_maglev_target_weight(const struct ip_vs_maglev_svc *ms,
				      const struct ip_vs_maglev_backend *b, u64 now)
{
	int w = atomic_read(&b->dest->weight);

	if (w <= 0 || b->down)
		return 0;
	if (!b->ramping || ip_vs_maglev_ramp_over(ms, b, now))
		return w;
	return mg_ss_weight(w, mg_ss_factor(now - b->ramp_start,
					    ip_vs_maglev_window_ns(ms),
					    ms->ss_aggression, ms->ss_min_pct));
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
 * Enter slow start: only when the service already has another backend
 * that can take new flows (a new service, or one coming back from no
 * backend at all, takes its full weight at once).
 */
static void ip_vs_maglev_ramp_begin(struct ip_vs_maglev_svc *ms,
				    struct ip_vs_maglev_backend *b)
{
	struct ip_vs_maglev_backend *o;

	if (!ms->ss_window_ms || b->ramping)
		return;
	list_for_each_entry(o, &ms->backends, list) {
		if (o != b && ip_vs_maglev_usable(o->dest)) {
			b->ramping = true;
			b->ramp_start = ktime_get_ns();
			ms->ramps++;
			return;
		}
	}
}

static void ip_vs_maglev_ramp_end(struct ip_vs_maglev_svc *ms,
				  struct ip_vs_maglev_backend *b)
{
	if (b->ramping) {
		b->ramping = false;
		ms->ramps--;
	}
}

/* After a build (or a skipped step): when is the next ramp step due? No
 * later than the earliest end of a ramp, so that ramp gets its final build
 * on time.
 */
static void ip_vs_maglev_ramp_plan(struct ip_vs_maglev_svc *ms, u64 now)
{
	u64 step = max_t(u64, ms->ss_window_ms / IP_VS_MAGLEV_RAMP_STEPS,
			 IP_VS_MAGLEV_RAMP_MIN_STEP_MS) * NSEC_PER_MSEC;
	u64 next = now + step, end;
	struct ip_vs_maglev_backend *b;

	if (!ms->ramps)
		return;
	list_for_each_entry(b, &ms->backends, list) {
		if (!b->ramping)
			continue;
		end = b->ramp_start + ip_vs_maglev_window_ns(ms);
		if (end < next)
			next = end;
	}
	ms->ramp_next = jiffies + max_t(unsigned long, 1, nsecs_to_jiffies(next > now ? next - now : 0));
}

/* A ramp step is due: does any weight change? Ramps already over whose
 * weight is already in the table end here without a build.
 */
static bool ip_vs_maglev_ramp_moves(struct ip_vs_maglev_svc *ms, u64 now)
{
	struct ip_vs_maglev_backend *b;
	bool moves = false;

	list_for_each_entry(b, &ms->backends, list) {
		if (!b->ramping)
			continue;
		if (ip_vs_maglev_target_weight(ms, b, now) != b->eff_weight)
			moves = true;
		else if (ip_vs_maglev_ramp_over(ms, b, now))
			ip_vs_maglev_ramp_end(ms, b);
	}
	return moves;
}

/*
 * Build a table from the backends and publish it. On failure nothing
 * changes: the previous table stays live and the backends keep describing
 * it. Called with ms->lock held, in process context.
 */
int ip_vs_maglev_rebuild(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_backend *b, **vec = NULL;
	struct ip_vs_maglev_table *t, *old;
	struct mg_backend *mb = NULL;
	void *scratch = NULL;
	u64 now = ktime_get_ns();
	u32 m, n = 0, i, w;
	int err = -ENOMEM;

	lockdep_assert_held(&ms->lock);

	m = ms->table_size ? ms->table_size : ip_vs_maglev_default_table_size();
	list_for_each_entry(b, &ms->backends, list)
		if (ip_vs_maglev_target_weight(ms, b, now) && n < MG_MAX_BACKENDS)
			n++;

	t = ip_vs_maglev_table_alloc(m, n);
	if (!t)
		goto err;
	if (n) {
		mb = kvmalloc_array(n, sizeof(*mb), GFP_KERNEL);
		vec = kvmalloc_array(n, sizeof(*vec), GFP_KERNEL);
		scratch = kvmalloc(mg_scratch_size(m, n), GFP_KERNEL);
		if (!mb || !vec || !scratch)
			goto err_free;
	}

	i = 0;
	list_for_each_entry(b, &ms->backends, list) {
		w = ip_vs_maglev_target_weight(ms, b, now);
		if (!w || i == n)
			continue;
		vec[i] = b;
		mb[i].id = b->id;
		mb[i].weight = w;
		mb[i].cookie = i;
		i++;
	}
	if (n && mg_build(t->slots, m, mb, n, &ip_vs_maglev_keys, scratch) < 0) {
		/* duplicate identities: IPVS never allows them */
		err = -EINVAL;
		goto err_free;
	}
	t->hash = ms->hash;
	t->digest = mg_digest(t->slots, n ? m : 0, mb, n);
	for (i = 0; i < n; i++) {
		t->dests[i] = vec[mb[i].cookie]->dest;
		ip_vs_dest_hold(t->dests[i]);
	}

	/* Nothing can fail from here: commit. */
	list_for_each_entry(b, &ms->backends, list) {
		b->index = -1;
		b->slots = 0;
		b->eff_weight = 0;
		/* a ramp ends when its window does, or with the weight */
		if (b->ramping && (ip_vs_maglev_ramp_over(ms, b, now) ||
				   atomic_read(&b->dest->weight) <= 0))
			ip_vs_maglev_ramp_end(ms, b);
	}
	for (i = 0; i < n; i++) {
		b = vec[mb[i].cookie];
		b->index = i;
		b->slots = mb[i].slots;
		b->eff_weight = mb[i].weight;
	}
	old = rcu_replace_pointer(ms->table, t, lockdep_is_held(&ms->lock));
	if (old)
		ip_vs_maglev_table_retire(old);

	ms->dirty = false;
	ms->rebuilds++;
	ms->last_build = jiffies;
	ms->not_before = ms->last_build + ip_vs_maglev_holdoff_jiffies();
	ms->build_ns = ktime_get_ns() - now;
	ms->last_error = 0;
	ip_vs_maglev_ramp_plan(ms, now);
	kvfree(scratch);
	kvfree(vec);
	kvfree(mb);
	return 0;

err_free:
	kvfree(scratch);
	kvfree(vec);
	kvfree(mb);
	kvfree(t);
err:
	ms->rebuild_fails++;
	ms->last_error = err;
	ms->not_before = jiffies + IP_VS_MAGLEV_RETRY;
	pr_warn_ratelimited("%s table rebuild failed (%d); the previous table stays in use\n",
			    ms->svc->fwmark ? "fwmark service" : "service", err);
	return err;
}

/*
 * Arm the work for what comes next: a deferred build (dirty, once the
 * holdoff or a retry delay allows) or a ramp step, whichever is first.
 * The due time is recomputed on every call and the work re-armed to it
 * (mod_delayed_work), so a build queued under a longer holdoff, or made
 * moot by an explicit rebuild, never delays a later one; within a burst
 * the due time is fixed, so re-arming never postpones a build.
 */
static void ip_vs_maglev_arm(struct ip_vs_maglev_svc *ms)
{
	unsigned long now = jiffies, when = 0;
	bool armed = false;

	if (ms->dying)
		return;
	if (ms->dirty) {
		when = ms->not_before;
		armed = true;
	}
	if (ms->ramps && (!armed || time_before(ms->ramp_next, when))) {
		when = ms->ramp_next;
		armed = true;
	}
	if (armed)
		mod_delayed_work(ip_vs_maglev_wq, &ms->work,
				 time_after(when, now) ? when - now : 0);
}

/*
 * A change that affects the table happened (ms->dirty is set): build now
 * unless a build happened within the holdoff, else leave it to the work.
 * Called with ms->lock held.
 */
static void ip_vs_maglev_changed(struct ip_vs_maglev_svc *ms)
{
	lockdep_assert_held(&ms->lock);
	if (!ms->dirty || ms->dying)
		return;
	if (time_after_eq(jiffies, ms->not_before))
		ip_vs_maglev_rebuild(ms);	/* a failure sets a retry time */
	ip_vs_maglev_arm(ms);
}

static void ip_vs_maglev_work(struct work_struct *work)
{
	struct ip_vs_maglev_svc *ms =
		container_of(to_delayed_work(work), struct ip_vs_maglev_svc, work);
	u64 now;

	mutex_lock(&ms->lock);
	if (ms->dying)
		goto out;
	if (ms->ramps && time_after_eq(jiffies, ms->ramp_next)) {
		now = ktime_get_ns();
		if (ip_vs_maglev_ramp_moves(ms, now)) {
			ms->dirty = true;
			ms->ramp_builds++;
		} else {
			ms->ramp_skips++;
			ip_vs_maglev_ramp_plan(ms, now);
		}
	}
	if (ms->dirty && time_after_eq(jiffies, ms->not_before))
		ip_vs_maglev_rebuild(ms);
	ip_vs_maglev_arm(ms);
out:
	mutex_unlock(&ms->lock);
}

/*
 * Health checks marked @b down (or up again). A down backend takes no new
 * flows and keeps no pins: unlike a drained one, its flows are moved.
 */
int ip_vs_maglev_set_down(struct ip_vs_maglev_svc *ms, struct ip_vs_maglev_backend *b,
			  bool down)
{
	lockdep_assert_held(&ms->lock);
	if (b->down == down)
		return 0;
	b->down = down;
	if (down) {
		ip_vs_maglev_ramp_end(ms, b);
		ip_vs_maglev_pin_flush(ms->mn, ms, b->dest);
	} else if (atomic_read(&b->dest->weight) > 0) {
		ip_vs_maglev_ramp_begin(ms, b);
	}
	ms->dirty = true;
	return ip_vs_maglev_build_now(ms);
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

/* An explicit request (netlink): build now, whatever the holdoff. */
int ip_vs_maglev_build_now(struct ip_vs_maglev_svc *ms)
{
	int err;

	lockdep_assert_held(&ms->lock);
	err = ip_vs_maglev_rebuild(ms);
	ip_vs_maglev_arm(ms);
	return err;
}

/* Slow-start parameters of the service changed (netlink). */
void ip_vs_maglev_ss_changed(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_backend *b;

	lockdep_assert_held(&ms->lock);
	if (!ms->ss_window_ms)
		list_for_each_entry(b, &ms->backends, list)
			ip_vs_maglev_ramp_end(ms, b);
	ms->dirty = true;
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

static int ip_vs_maglev_backend_add(struct ip_vs_maglev_svc *ms,
				    struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_backend *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	b->dest = dest;
	b->index = -1;
	b->weight_seen = max(atomic_read(&dest->weight), 0);
	ip_vs_maglev_id_of(dest, &b->id);
	list_add_tail(&b->list, &ms->backends);
	ms->nr_backends++;
	if (b->weight_seen)
		ms->dirty = true;
	return 0;
}

static void ip_vs_maglev_backend_del(struct ip_vs_maglev_svc *ms,
				     struct ip_vs_maglev_backend *b)
{
	if (b->index >= 0)
		ms->dirty = true;
	ip_vs_maglev_ramp_end(ms, b);
	list_del(&b->list);
	ms->nr_backends--;
	kfree(b);
}

static void ip_vs_maglev_add_failed(struct ip_vs_maglev_svc *ms,
				    struct ip_vs_dest *dest)
{
	ms->last_error = -ENOMEM;
	if (dest->af == AF_INET6)
		pr_warn_ratelimited("out of memory: backend [%pI6c]:%u gets no new flows until it is edited or re-added\n",
				    &dest->addr.in6, ntohs(dest->port));
	else
		pr_warn_ratelimited("out of memory: backend %pI4:%u gets no new flows until it is edited or re-added\n",
				    &dest->addr.ip, ntohs(dest->port));
}

static int ip_vs_maglev_add_dest(struct ip_vs_service *svc,
				 struct ip_vs_dest *dest)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	int err;

	mutex_lock(&ms->lock);
	err = ip_vs_maglev_backend_add(ms, dest);
	if (err)
		ip_vs_maglev_add_failed(ms, dest);
	else if (atomic_read(&dest->weight) > 0)
		ip_vs_maglev_ramp_begin(ms, list_last_entry(&ms->backends,
							    struct ip_vs_maglev_backend, list));
	ip_vs_maglev_changed(ms);
	mutex_unlock(&ms->lock);
	return err;
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
	int err = 0, w;

	mutex_lock(&ms->lock);
	b = ip_vs_maglev_backend_find(ms, dest);
	if (!b) {
		/* a backend we failed to record earlier: record it now */
		err = ip_vs_maglev_backend_add(ms, dest);
		if (err)
			ip_vs_maglev_add_failed(ms, dest);
		goto out;
	}
	/*
	 * Slow start: 0 -> above 0 (recovery, undrain) starts a ramp; 0 ends
	 * it; any other change retargets it: the ramp keeps its start time
	 * and the factor applies to the new weight.
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
	if (ip_vs_maglev_target_weight(ms, b, ktime_get_ns()) != b->eff_weight)
		ms->dirty = true;
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
	kfree(ms);
}

static void ip_vs_maglev_svc_free(struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_backend *b, *tmp;
	struct ip_vs_maglev_table *t;

	list_for_each_entry_safe(b, tmp, &ms->backends, list) {
		list_del(&b->list);
		kfree(b);
	}
	t = rcu_replace_pointer(ms->table, NULL, true);
	if (t)
		ip_vs_maglev_table_retire(t);
	mutex_destroy(&ms->lock);
	/* schedule() may still be reading ms through svc->sched_data */
	call_rcu(&ms->rcu, ip_vs_maglev_svc_free_rcu);
}

static int ip_vs_maglev_init_svc(struct ip_vs_service *svc)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(svc->ipvs->net);
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms;
	struct ip_vs_dest *dest;
	int err;

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
	ms->hash = IPVS_MAGLEV_HASH_AUTO;
	ms->pin_mode = IPVS_MAGLEV_PIN_AUTO;
	atomic_set(&ms->pin_count, 0);
	ip_vs_maglev_ss_defaults(&ms->ss_window_ms, &ms->ss_aggression, &ms->ss_min_pct);
	mutex_init(&ms->lock);
	INIT_LIST_HEAD(&ms->backends);
	INIT_DELAYED_WORK(&ms->work, ip_vs_maglev_work);
	ms->last_build = jiffies - ip_vs_maglev_holdoff_jiffies() - 1;
	ms->not_before = jiffies;

	/* A service switching to maglev ("ipvsadm -E -s maglev") already has
	 * destinations; IPVS holds its mutex, so the list is stable.
	 */
	mutex_lock(&ms->lock);
	list_for_each_entry(dest, &svc->destinations, n_list) {
		err = ip_vs_maglev_backend_add(ms, dest);
		if (err)
			goto err_unlock;
	}
	err = ip_vs_maglev_rebuild(ms);
	if (err)
		goto err_unlock;
	mutex_unlock(&ms->lock);

	ip_vs_maglev_svc_key_of(svc, &key);
	mutex_lock(&mn->lock);
	/* "-b flag-2" at creation: have the pin table ready (if this fails,
	 * the packet path asks again)
	 */
	if (ip_vs_maglev_pin_wanted(ms))
		ip_vs_maglev_pins_create(mn);
	hash_add(mn->hash, &ms->hnode, ip_vs_maglev_key_hash(&key));
	list_add_tail(&ms->lnode, &mn->services);
	mn->nr_services++;
	mutex_unlock(&mn->lock);

	svc->sched_data = ms;
	return 0;

err_unlock:
	mutex_unlock(&ms->lock);
	ip_vs_maglev_svc_free(ms);
	return err;
}

static void ip_vs_maglev_done_svc(struct ip_vs_service *svc)
{
	struct ip_vs_maglev_svc *ms = svc->sched_data;
	struct ip_vs_maglev_net *mn = ms->mn;

	/* Netlink handlers find services under mn->lock and keep it while
	 * they use one, so once unhashed here nobody else can reach ms.
	 */
	mutex_lock(&mn->lock);
	hash_del(&ms->hnode);
	list_del(&ms->lnode);
	mn->nr_services--;
	mutex_unlock(&mn->lock);

	mutex_lock(&ms->lock);
	ms->dying = true;
	mutex_unlock(&ms->lock);
	cancel_delayed_work_sync(&ms->work);

	/* No pin of this service may outlive it: stop new ones (checked
	 * under the bucket locks the flush takes), then drop them all, with
	 * the dest references they hold.
	 */
	WRITE_ONCE(ms->pin_dead, true);
	ip_vs_maglev_pin_flush(mn, ms, NULL);

	/* Every dest reference is dropped before we return: IPVS frees the
	 * service's dests after this without looking at their refcounts when
	 * the namespace goes away.
	 */
	ip_vs_maglev_svc_free(ms);
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

int ip_vs_maglev_sched_init(void)
{
	int err;

	ip_vs_maglev_wq = alloc_workqueue("ip_vs_maglev", WQ_UNBOUND, 0);
	if (!ip_vs_maglev_wq)
		return -ENOMEM;
	err = register_ip_vs_scheduler(&ip_vs_maglev_scheduler);
	if (err)
		goto err_wq;
	return 0;

err_wq:
	destroy_workqueue(ip_vs_maglev_wq);
	return err;
}

void ip_vs_maglev_sched_exit(void)
{
	unregister_ip_vs_scheduler(&ip_vs_maglev_scheduler);
	/* every service is gone (IPVS held our module until then); wait for
	 * the tables they retired
	 */
	rcu_barrier();
	destroy_workqueue(ip_vs_maglev_wq);
}
