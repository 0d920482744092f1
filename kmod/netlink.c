// SPDX-License-Identifier: GPL-2.0
/*
 * ip_vs_maglev: the IPVS_MAGLEV generic netlink family. The contract with
 * userspace, command by command, is documented in
 * include/uapi/linux/ip_vs_maglev.h.
 *
 * Every handler runs in process context. The family is parallel_ops:
 * genl_mutex is not taken, so a long dump or a build here never stalls
 * other generic netlink families. The handlers serialize among themselves
 * and with the scheduler by their own locks: services are found and used
 * under their namespace's ip_vs_maglev_net.lock, which done_service also
 * takes to unhash a service, so a service cannot go away under a handler;
 * its state is read and changed under its ms->lock.
 *
 * Input is validated completely before anything changes; every rejection
 * carries an extack message saying what was wrong.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "ip_vs_maglev.h"

/*
 * Ranges live in the policies, so that policy dumps show them; what a
 * policy cannot say (a prime, one of two families) the handlers check.
 * Bounds beyond s16 need a range object (NLA_POLICY_FULL_RANGE).
 */
static struct netlink_range_validation ip_vs_maglev_table_size_range = {
	.max = MG_SIZE_MAX,
};
static struct netlink_range_validation ip_vs_maglev_ss_window_range = {
	.max = MG_SS_WINDOW_MAX_MS,
};
static struct netlink_range_validation ip_vs_maglev_pin_max_range = {
	.max = 1 << 24,
};
static struct netlink_range_validation ip_vs_maglev_weight_range = {
	.max = INT_MAX,
};

static const struct nla_policy ip_vs_maglev_svc_policy[IPVS_MAGLEV_SVC_A_MAX + 1] = {
	[IPVS_MAGLEV_SVC_A_AF]			= NLA_POLICY_RANGE(NLA_U16, AF_INET, AF_INET6),
	[IPVS_MAGLEV_SVC_A_PROTOCOL]		= NLA_POLICY_MAX(NLA_U16, 255),
	[IPVS_MAGLEV_SVC_A_ADDR]		= { .type = NLA_BINARY, .len = 16 },
	[IPVS_MAGLEV_SVC_A_PORT]		= { .type = IP_VS_MAGLEV_NLA_BE16 },
	[IPVS_MAGLEV_SVC_A_FWMARK]		= NLA_POLICY_MIN(NLA_U32, 1),
	[IPVS_MAGLEV_SVC_A_TABLE_SIZE]		= NLA_POLICY_FULL_RANGE(NLA_U32,
							&ip_vs_maglev_table_size_range),
	[IPVS_MAGLEV_SVC_A_HASH]		= NLA_POLICY_MAX(NLA_U8, IPVS_MAGLEV_HASH_MAX),
	/* state is reported, never accepted */
	[IPVS_MAGLEV_SVC_A_HASH_ACTIVE]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_TABLE_SIZE_ACTIVE]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_SEED]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_BACKENDS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_OWNERS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_REBUILDS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_REBUILD_FAILS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_LAST_ERROR]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_LAST_REBUILD_AGE_MS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_BUILD_NS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_DIGEST]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_TABLE_BYTES]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_STATE_BYTES]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PENDING]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PAD]			= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_SS_WINDOW_MS]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&ip_vs_maglev_ss_window_range),
	[IPVS_MAGLEV_SVC_A_SS_AGGRESSION]	= NLA_POLICY_RANGE(NLA_U32, MG_SS_AGGR_MIN,
								   MG_SS_AGGR_MAX),
	[IPVS_MAGLEV_SVC_A_SS_MIN_PCT]		= NLA_POLICY_MAX(NLA_U32, 100),
	[IPVS_MAGLEV_SVC_A_RAMPING]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_RAMP_BUILDS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_RAMP_SKIPS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN]			= NLA_POLICY_MAX(NLA_U8, IPVS_MAGLEV_PIN_MAX),
	[IPVS_MAGLEV_SVC_A_PIN_MAX]		= NLA_POLICY_FULL_RANGE(NLA_U32,
							&ip_vs_maglev_pin_max_range),
	[IPVS_MAGLEV_SVC_A_PIN_ACTIVE]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_ENTRIES]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_HITS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_MISSES]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_INSERTS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_INSERT_FAILS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_EVICTIONS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_EXPIRIES]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_PIN_DROPPED]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_SERVING_MS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_SEED_FP]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_SVC_A_AS_MH]		= { .type = NLA_REJECT },
};

static const struct nla_policy ip_vs_maglev_be_policy[IPVS_MAGLEV_BE_A_MAX + 1] = {
	[IPVS_MAGLEV_BE_A_AF]		= NLA_POLICY_RANGE(NLA_U16, AF_INET, AF_INET6),
	[IPVS_MAGLEV_BE_A_ADDR]		= { .type = NLA_BINARY, .len = 16 },
	[IPVS_MAGLEV_BE_A_PORT]		= { .type = IP_VS_MAGLEV_NLA_BE16 },
	[IPVS_MAGLEV_BE_A_DOWN]		= NLA_POLICY_MAX(NLA_U8, 1),
	[IPVS_MAGLEV_BE_A_SAVED_WEIGHT]	= NLA_POLICY_FULL_RANGE(NLA_U32,
						   &ip_vs_maglev_weight_range),
	[IPVS_MAGLEV_BE_A_DRAIN_DEADLINE] = { .type = NLA_U64 },
	[IPVS_MAGLEV_BE_A_PAD]		= { .type = NLA_REJECT },
	/* reported, never accepted */
	[IPVS_MAGLEV_BE_A_WEIGHT]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_EFF_WEIGHT]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_SLOTS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_SHARE_PPM]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_INDEX]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_AVAILABLE]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_SLOT]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_FALLBACK]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_RAMP_LEFT_MS]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_PINS]		= { .type = NLA_REJECT },
	[IPVS_MAGLEV_BE_A_RAMP_PPM]	= { .type = NLA_REJECT },
};

static const struct nla_policy ip_vs_maglev_flow_policy[IPVS_MAGLEV_FLOW_A_MAX + 1] = {
	[IPVS_MAGLEV_FLOW_A_PROTOCOL]	= NLA_POLICY_MAX(NLA_U16, 255),
	[IPVS_MAGLEV_FLOW_A_SADDR]	= { .type = NLA_BINARY, .len = 16 },
	[IPVS_MAGLEV_FLOW_A_DADDR]	= { .type = NLA_BINARY, .len = 16 },
	[IPVS_MAGLEV_FLOW_A_SPORT]	= { .type = IP_VS_MAGLEV_NLA_BE16 },
	[IPVS_MAGLEV_FLOW_A_DPORT]	= { .type = IP_VS_MAGLEV_NLA_BE16 },
};

static const struct nla_policy ip_vs_maglev_policy[IPVS_MAGLEV_A_MAX + 1] = {
	[IPVS_MAGLEV_A_INFO]	= { .type = NLA_REJECT },
	[IPVS_MAGLEV_A_SERVICE]	= NLA_POLICY_NESTED(ip_vs_maglev_svc_policy),
	[IPVS_MAGLEV_A_BACKEND]	= NLA_POLICY_NESTED(ip_vs_maglev_be_policy),
	[IPVS_MAGLEV_A_FLOW]	= NLA_POLICY_NESTED(ip_vs_maglev_flow_policy),
};

static struct genl_family ip_vs_maglev_family;

/*
 * May the sender of @skb read the hash seed? Every command needs
 * CAP_NET_ADMIN over the namespace's owner (GENL_UNS_ADMIN_PERM), which
 * root of any user namespace has over its own network namespaces. The
 * seed is the host's secret (main.c): only a sender privileged over the
 * initial user namespace gets it; the others get its fingerprint. What
 * netlink_capable() checks (the socket's opener and the caller), without
 * an audit record for every caller who is refused: a refusal here is not
 * an error, the seed is just left out.
 */
static bool ip_vs_maglev_may_see_seed(const struct sk_buff *skb)
{
	const struct socket *sock = NETLINK_CB(skb).sk->sk_socket;

	return sock && sock->file &&
	       file_ns_capable(sock->file, &init_user_ns, CAP_NET_ADMIN) &&
	       ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN);
}

/* ---- parsing ------------------------------------------------------------ */

/* An address attribute for family @af: 4 bytes for AF_INET (16 accepted,
 * as the IPVS family sends union nf_inet_addr), 16 for AF_INET6.
 */
static int ip_vs_maglev_get_addr(const struct nlattr *attr, u16 af,
				 union nf_inet_addr *addr,
				 struct netlink_ext_ack *extack)
{
	int len = nla_len(attr);

	memset(addr, 0, sizeof(*addr));
	if (af == AF_INET && (len == 4 || len == 16)) {
		memcpy(&addr->ip, nla_data(attr), 4);
		return 0;
	}
	if (af == AF_INET6 && len == 16) {
		memcpy(&addr->in6, nla_data(attr), 16);
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "address length does not match the address family (4 bytes for AF_INET, 16 for AF_INET6)");
	return -EINVAL;
}

static int ip_vs_maglev_parse_svc(const struct nlattr *nest, struct nlattr **a,
				  struct ip_vs_maglev_svc_key *key,
				  struct netlink_ext_ack *extack)
{
	u16 proto;
	int err;

	if (!nest) {
		NL_SET_ERR_MSG_MOD(extack,
				   "IPVS_MAGLEV_A_SERVICE (the service identity) is required");
		return -EINVAL;
	}
	err = nla_parse_nested(a, IPVS_MAGLEV_SVC_A_MAX, nest,
			       ip_vs_maglev_svc_policy, extack);
	if (err)
		return err;

	memset(key, 0, sizeof(*key));
	if (!a[IPVS_MAGLEV_SVC_A_AF]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "service address family (IPVS_MAGLEV_SVC_A_AF) is required");
		return -EINVAL;
	}
	key->af = nla_get_u16(a[IPVS_MAGLEV_SVC_A_AF]);
	if (key->af != AF_INET && key->af != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, a[IPVS_MAGLEV_SVC_A_AF],
				    "service address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}

	if (a[IPVS_MAGLEV_SVC_A_FWMARK]) {
		/* not 0: the policy */
		key->fwmark = nla_get_u32(a[IPVS_MAGLEV_SVC_A_FWMARK]);
		if (a[IPVS_MAGLEV_SVC_A_ADDR] || a[IPVS_MAGLEV_SVC_A_PORT] ||
		    a[IPVS_MAGLEV_SVC_A_PROTOCOL]) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "give either a fwmark, or protocol, address and port; not both");
			return -EINVAL;
		}
		return 0;
	}

	if (!a[IPVS_MAGLEV_SVC_A_PROTOCOL] || !a[IPVS_MAGLEV_SVC_A_ADDR] ||
	    !a[IPVS_MAGLEV_SVC_A_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a service is named by fwmark, or by protocol, address and port");
		return -EINVAL;
	}
	proto = nla_get_u16(a[IPVS_MAGLEV_SVC_A_PROTOCOL]);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP) {
		NL_SET_ERR_MSG_ATTR(extack, a[IPVS_MAGLEV_SVC_A_PROTOCOL],
				    "service protocol must be TCP, UDP or SCTP");
		return -EPROTONOSUPPORT;
	}
	key->protocol = proto;
	key->port = nla_get_be16(a[IPVS_MAGLEV_SVC_A_PORT]);
	return ip_vs_maglev_get_addr(a[IPVS_MAGLEV_SVC_A_ADDR], key->af,
				     &key->addr, extack);
}

static struct ip_vs_maglev_svc *
ip_vs_maglev_find(struct ip_vs_maglev_net *mn,
		  const struct ip_vs_maglev_svc_key *key,
		  const struct nlattr *nest, struct netlink_ext_ack *extack)
{
	struct ip_vs_maglev_svc *ms = ip_vs_maglev_svc_find(mn, key);

	if (!ms)
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "no service using the maglev scheduler has this identity in this network namespace");
	return ms;
}

/* ---- replies -------------------------------------------------------- */

static int ip_vs_maglev_put_addr(struct sk_buff *skb, int type, u16 af,
				 const union nf_inet_addr *addr)
{
	return nla_put(skb, type, af == AF_INET6 ? 16 : 4, addr);
}

static int ip_vs_maglev_put_svc_id(struct sk_buff *skb,
				   const struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_svc_key key;

	ip_vs_maglev_svc_key_of(ms->svc, &key);
	if (nla_put_u16(skb, IPVS_MAGLEV_SVC_A_AF, key.af))
		return -EMSGSIZE;
	if (key.fwmark)
		return nla_put_u32(skb, IPVS_MAGLEV_SVC_A_FWMARK, key.fwmark);
	if (nla_put_u16(skb, IPVS_MAGLEV_SVC_A_PROTOCOL, key.protocol) ||
	    ip_vs_maglev_put_addr(skb, IPVS_MAGLEV_SVC_A_ADDR, key.af, &key.addr) ||
	    nla_put_be16(skb, IPVS_MAGLEV_SVC_A_PORT, key.port))
		return -EMSGSIZE;
	return 0;
}

static int ip_vs_maglev_put_pin_state(struct sk_buff *skb,
				      const struct ip_vs_maglev_svc *ms)
{
	struct ip_vs_maglev_pin_stats sum = { 0 }, *pc;
	int cpu;

	for_each_possible_cpu(cpu) {
		pc = per_cpu_ptr(ms->pstats, cpu);
		sum.hits += READ_ONCE(pc->hits);
		sum.misses += READ_ONCE(pc->misses);
		sum.inserts += READ_ONCE(pc->inserts);
		sum.insert_fails += READ_ONCE(pc->insert_fails);
		sum.evictions += READ_ONCE(pc->evictions);
		sum.expiries += READ_ONCE(pc->expiries);
		sum.dropped += READ_ONCE(pc->dropped);
	}
	if (nla_put_u8(skb, IPVS_MAGLEV_SVC_A_PIN, ms->pin_mode) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_PIN_MAX, ms->pin_max) ||
	    (ip_vs_maglev_pin_wanted(ms) && nla_put_flag(skb, IPVS_MAGLEV_SVC_A_PIN_ACTIVE)) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_PIN_ENTRIES, atomic_read(&ms->pin_count)) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_HITS, sum.hits, IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_MISSES, sum.misses, IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_INSERTS, sum.inserts, IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_INSERT_FAILS, sum.insert_fails,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_EVICTIONS, sum.evictions,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_EXPIRIES, sum.expiries,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_PIN_DROPPED, sum.dropped, IPVS_MAGLEV_SVC_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Caller holds ms->lock. */
static int ip_vs_maglev_put_svc_state(struct sk_buff *skb, bool seed,
				      struct ip_vs_maglev_svc *ms)
{
	const struct ip_vs_maglev_table *t =
		rcu_dereference_protected(ms->table, lockdep_is_held(&ms->lock));
	struct ip_vs_maglev_backend *b;
	unsigned long serving;
	u32 owners = 0;

	list_for_each_entry(b, &ms->backends, list)
		owners += b->slots > 0;

	if (nla_put_u32(skb, IPVS_MAGLEV_SVC_A_TABLE_SIZE, ms->table_size) ||
	    nla_put_u8(skb, IPVS_MAGLEV_SVC_A_HASH, ms->hash) ||
	    nla_put_u8(skb, IPVS_MAGLEV_SVC_A_HASH_ACTIVE,
		       ip_vs_maglev_hash_active(ms, t)) ||
	    (seed && nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_SEED,
				       ms->mn->seed, IPVS_MAGLEV_SVC_A_PAD)) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_SEED_FP, ms->mn->seed_fp,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    (ms->as_mh && nla_put_flag(skb, IPVS_MAGLEV_SVC_A_AS_MH)) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_BACKENDS, ms->nr_backends) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_OWNERS, owners) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_REBUILDS, ms->rebuilds,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_REBUILD_FAILS,
			      ms->rebuild_fails, IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_LAST_ERROR, -ms->last_error) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_LAST_REBUILD_AGE_MS,
			      jiffies64_to_msecs(jiffies - ms->last_build),
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_BUILD_NS, ms->build_ns,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_STATE_BYTES,
			      ip_vs_maglev_state_bytes(ms), IPVS_MAGLEV_SVC_A_PAD))
		return -EMSGSIZE;
	if (t && (nla_put_u32(skb, IPVS_MAGLEV_SVC_A_TABLE_SIZE_ACTIVE, t->size) ||
		  nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_DIGEST, t->digest,
				    IPVS_MAGLEV_SVC_A_PAD) ||
		  nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_TABLE_BYTES, t->bytes,
				    IPVS_MAGLEV_SVC_A_PAD)))
		return -EMSGSIZE;
	if (ms->pace.dirty && nla_put_flag(skb, IPVS_MAGLEV_SVC_A_PENDING))
		return -EMSGSIZE;
	serving = READ_ONCE(ms->serving_since);
	if (serving && nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_SERVING_MS,
					 jiffies64_to_msecs(jiffies - serving),
					 IPVS_MAGLEV_SVC_A_PAD))
		return -EMSGSIZE;
	if (nla_put_u32(skb, IPVS_MAGLEV_SVC_A_SS_WINDOW_MS, ms->ss_window_ms) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_SS_AGGRESSION, ms->ss_aggression) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_SS_MIN_PCT, ms->ss_min_pct) ||
	    nla_put_u32(skb, IPVS_MAGLEV_SVC_A_RAMPING, ms->pace.ramps) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_RAMP_BUILDS, ms->ramp_builds,
			      IPVS_MAGLEV_SVC_A_PAD) ||
	    nla_put_u64_64bit(skb, IPVS_MAGLEV_SVC_A_RAMP_SKIPS, ms->ramp_skips,
			      IPVS_MAGLEV_SVC_A_PAD))
		return -EMSGSIZE;
	return ip_vs_maglev_put_pin_state(skb, ms);
}

static int ip_vs_maglev_put_svc(struct sk_buff *skb, struct ip_vs_maglev_svc *ms,
				bool seed)
{
	struct nlattr *nest;
	int err;

	nest = nla_nest_start(skb, IPVS_MAGLEV_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	err = ip_vs_maglev_put_svc_id(skb, ms);
	if (!err) {
		mutex_lock(&ms->lock);
		err = ip_vs_maglev_put_svc_state(skb, seed, ms);
		mutex_unlock(&ms->lock);
	}
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Caller holds ms->lock. */
static int ip_vs_maglev_put_backend(struct sk_buff *skb,
				    const struct ip_vs_maglev_svc *ms,
				    const struct ip_vs_maglev_backend *b)
{
	const struct ip_vs_maglev_table *t =
		rcu_dereference_protected(ms->table, lockdep_is_held(&ms->lock));
	const struct ip_vs_dest *dest = b->dest;
	int weight = atomic_read(&dest->weight);
	struct nlattr *nest;
	u32 ppm = 0;

	if (t && t->size)
		ppm = (u32)div_u64((u64)b->slots * 1000000, t->size);
	nest = nla_nest_start(skb, IPVS_MAGLEV_A_BACKEND);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, IPVS_MAGLEV_BE_A_AF, dest->af) ||
	    ip_vs_maglev_put_addr(skb, IPVS_MAGLEV_BE_A_ADDR, dest->af, &dest->addr) ||
	    nla_put_be16(skb, IPVS_MAGLEV_BE_A_PORT, dest->port) ||
	    nla_put_u32(skb, IPVS_MAGLEV_BE_A_WEIGHT, weight > 0 ? weight : 0) ||
	    nla_put_u32(skb, IPVS_MAGLEV_BE_A_EFF_WEIGHT, b->eff_weight) ||
	    nla_put_u32(skb, IPVS_MAGLEV_BE_A_SLOTS, b->slots) ||
	    nla_put_u32(skb, IPVS_MAGLEV_BE_A_SHARE_PPM, ppm) ||
	    (b->index >= 0 && nla_put_u32(skb, IPVS_MAGLEV_BE_A_INDEX, b->index)) ||
	    (b->ramping && nla_put_u32(skb, IPVS_MAGLEV_BE_A_RAMP_LEFT_MS,
				       ip_vs_maglev_ramp_left_ms(ms, b))) ||
	    (b->down && nla_put_u8(skb, IPVS_MAGLEV_BE_A_DOWN, 1)) ||
	    nla_put_u32(skb, IPVS_MAGLEV_BE_A_PINS, atomic_read(&b->pins)) ||
	    (b->table_weight &&
	     nla_put_u32(skb, IPVS_MAGLEV_BE_A_RAMP_PPM,
			 (u32)div_u64((u64)b->factor * 1000000, MG_SS_ONE))) ||
	    (b->saved_weight &&
	     nla_put_u32(skb, IPVS_MAGLEV_BE_A_SAVED_WEIGHT, b->saved_weight)) ||
	    (b->drain_deadline &&
	     nla_put_u64_64bit(skb, IPVS_MAGLEV_BE_A_DRAIN_DEADLINE, b->drain_deadline,
			       IPVS_MAGLEV_BE_A_PAD)) ||
	    (ip_vs_maglev_usable(dest) && !b->down &&
	     nla_put_flag(skb, IPVS_MAGLEV_BE_A_AVAILABLE))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

static int ip_vs_maglev_nl_get_info(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	u32 services, ss_ms, ss_aggr, ss_pct;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	mutex_lock(&mn->lock);
	services = mn->nr_services;
	mutex_unlock(&mn->lock);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ip_vs_maglev_family, 0,
				IPVS_MAGLEV_CMD_GET_INFO);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, IPVS_MAGLEV_A_INFO);
	if (!nest ||
	    nla_put_string(msg, IPVS_MAGLEV_INFO_A_VERSION, IP_VS_MAGLEV_VERSION) ||
	    nla_put_u64_64bit(msg, IPVS_MAGLEV_INFO_A_SEED_FP, mn->seed_fp,
			      IPVS_MAGLEV_INFO_A_PAD) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_TABLE_SIZE,
			ip_vs_maglev_default_table_size()) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_SERVICES, services))
		goto err;
	ip_vs_maglev_ss_defaults(&ss_ms, &ss_aggr, &ss_pct);
	if (nla_put_u32(msg, IPVS_MAGLEV_INFO_A_SS_WINDOW_MS, ss_ms) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_SS_AGGRESSION, ss_aggr) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_SS_MIN_PCT, ss_pct) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_MAX, ip_vs_maglev_pin_max()) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_TIMEOUT_MS,
			jiffies_to_msecs(ip_vs_maglev_pin_timeout_jiffies())) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_ENTRIES, ip_vs_maglev_pins_count(mn)) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_BYTES4, ip_vs_maglev_pin_entry_bytes(AF_INET)) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_BYTES6, ip_vs_maglev_pin_entry_bytes(AF_INET6)) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_MAX_HOST, ip_vs_maglev_pin_max_host()) ||
	    nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_MAX_USERNS, ip_vs_maglev_pin_max_userns()))
		goto err;
	/* the secret, and what other namespaces do: privileged callers only */
	if (ip_vs_maglev_may_see_seed(skb) &&
	    (nla_put_u64_64bit(msg, IPVS_MAGLEV_INFO_A_SEED, mn->seed,
			       IPVS_MAGLEV_INFO_A_PAD) ||
	     nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_ENTRIES_HOST,
			 ip_vs_maglev_pins_host_count(false)) ||
	     nla_put_u32(msg, IPVS_MAGLEV_INFO_A_PIN_ENTRIES_USERNS,
			 ip_vs_maglev_pins_host_count(true))))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int ip_vs_maglev_nl_get_svc(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = ip_vs_maglev_parse_svc(info->attrs[IPVS_MAGLEV_A_SERVICE], a, &key,
				     info->extack);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&mn->lock);
	ms = ip_vs_maglev_find(mn, &key, info->attrs[IPVS_MAGLEV_A_SERVICE],
			       info->extack);
	if (!ms) {
		err = -ENOENT;
		goto err_unlock;
	}
	hdr = genlmsg_put_reply(msg, info, &ip_vs_maglev_family, 0,
				IPVS_MAGLEV_CMD_GET_SERVICE);
	err = -EMSGSIZE;
	if (!hdr || ip_vs_maglev_put_svc(msg, ms, ip_vs_maglev_may_see_seed(skb)))
		goto err_unlock;
	mutex_unlock(&mn->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&mn->lock);
	nlmsg_free(msg);
	return err;
}

static int ip_vs_maglev_nl_dump_svc(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(sock_net(skb->sk));
	struct ip_vs_maglev_svc *ms;
	long idx = 0, start = cb->args[0];
	void *hdr;

	/* decided once, by whoever started the dump: args[1] 1 no, 2 yes */
	if (!cb->args[1])
		cb->args[1] = 1 + ip_vs_maglev_may_see_seed(cb->skb);
	mutex_lock(&mn->lock);
	/* the dump resumes by index: flag it if the list changed meanwhile */
	cb->seq = mn->gen;
	list_for_each_entry(ms, &mn->services, lnode) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ip_vs_maglev_family,
				  NLM_F_MULTI, IPVS_MAGLEV_CMD_GET_SERVICE);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		if (ip_vs_maglev_put_svc(skb, ms, cb->args[1] == 2)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
full:
	mutex_unlock(&mn->lock);
	return skb->len;
}

static int ip_vs_maglev_nl_dump_backends(struct sk_buff *skb,
					 struct netlink_callback *cb)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(sock_net(skb->sk));
	struct nlattr *nest = ip_vs_maglev_dump_attrs(cb)[IPVS_MAGLEV_A_SERVICE];
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_backend *b;
	struct ip_vs_maglev_svc *ms;
	long idx = 0, start = cb->args[0];
	struct nlattr *snest;
	void *hdr;
	int err;

	err = ip_vs_maglev_parse_svc(nest, a, &key, cb->extack);
	if (err)
		return err;

	mutex_lock(&mn->lock);
	ms = ip_vs_maglev_find(mn, &key, nest, cb->extack);
	if (!ms) {
		mutex_unlock(&mn->lock);
		return -ENOENT;
	}
	mutex_lock(&ms->lock);
	/* the dump resumes by index: flag it if the list changed meanwhile
	 * (a service deleted and made again has a new generation too)
	 */
	cb->seq = ms->gen;
	list_for_each_entry(b, &ms->backends, list) {
		if (idx++ < start)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &ip_vs_maglev_family,
				  NLM_F_MULTI, IPVS_MAGLEV_CMD_GET_BACKEND);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		snest = nla_nest_start(skb, IPVS_MAGLEV_A_SERVICE);
		if (!snest || ip_vs_maglev_put_svc_id(skb, ms)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, snest);
		if (ip_vs_maglev_put_backend(skb, ms, b)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&ms->lock);
	mutex_unlock(&mn->lock);
	return skb->len;
}

/* SET_SERVICE's request, checked: what the policy cannot check. */
static int ip_vs_maglev_parse_params(struct nlattr **a, const struct nlattr *nest,
				     struct ip_vs_maglev_params *p,
				     struct netlink_ext_ack *extack)
{
	static const struct {
		int attr;
		u32 flag;
	} map[] = {
		{ IPVS_MAGLEV_SVC_A_TABLE_SIZE, IP_VS_MAGLEV_SET_TABLE_SIZE },
		{ IPVS_MAGLEV_SVC_A_HASH, IP_VS_MAGLEV_SET_HASH },
		{ IPVS_MAGLEV_SVC_A_SS_WINDOW_MS, IP_VS_MAGLEV_SET_SS_WINDOW },
		{ IPVS_MAGLEV_SVC_A_SS_AGGRESSION, IP_VS_MAGLEV_SET_SS_AGGRESSION },
		{ IPVS_MAGLEV_SVC_A_SS_MIN_PCT, IP_VS_MAGLEV_SET_SS_MIN_PCT },
		{ IPVS_MAGLEV_SVC_A_PIN, IP_VS_MAGLEV_SET_PIN },
		{ IPVS_MAGLEV_SVC_A_PIN_MAX, IP_VS_MAGLEV_SET_PIN_MAX },
	};
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (a[map[i].attr])
			p->set |= map[i].flag;
	if (!p->set) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "no parameter to set");
		return -EINVAL;
	}
	/* ranges: the policy */
	if (a[IPVS_MAGLEV_SVC_A_TABLE_SIZE]) {
		p->table_size = nla_get_u32(a[IPVS_MAGLEV_SVC_A_TABLE_SIZE]);
		if (p->table_size && (p->table_size < MG_SIZE_MIN || !mg_is_prime(p->table_size))) {
			NL_SET_ERR_MSG_ATTR(extack, a[IPVS_MAGLEV_SVC_A_TABLE_SIZE],
					    "table size must be a prime between 251 and 1048573, or 0 for the module default");
			return -EINVAL;
		}
	}
	if (a[IPVS_MAGLEV_SVC_A_HASH])
		p->hash = nla_get_u8(a[IPVS_MAGLEV_SVC_A_HASH]);
	if (a[IPVS_MAGLEV_SVC_A_SS_WINDOW_MS])
		p->ss_window_ms = nla_get_u32(a[IPVS_MAGLEV_SVC_A_SS_WINDOW_MS]);
	if (a[IPVS_MAGLEV_SVC_A_SS_AGGRESSION])
		p->ss_aggression = nla_get_u32(a[IPVS_MAGLEV_SVC_A_SS_AGGRESSION]);
	if (a[IPVS_MAGLEV_SVC_A_SS_MIN_PCT])
		p->ss_min_pct = nla_get_u32(a[IPVS_MAGLEV_SVC_A_SS_MIN_PCT]);
	if (a[IPVS_MAGLEV_SVC_A_PIN])
		p->pin_mode = nla_get_u8(a[IPVS_MAGLEV_SVC_A_PIN]);
	if (a[IPVS_MAGLEV_SVC_A_PIN_MAX])
		p->pin_max = nla_get_u32(a[IPVS_MAGLEV_SVC_A_PIN_MAX]);
	return 0;
}

static int ip_vs_maglev_nl_set_svc(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	struct nlattr *nest = info->attrs[IPVS_MAGLEV_A_SERVICE];
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_params p;
	struct ip_vs_maglev_svc *ms;
	bool flush = false;
	int err;

	err = ip_vs_maglev_parse_svc(nest, a, &key, info->extack);
	if (err)
		return err;
	err = ip_vs_maglev_parse_params(a, nest, &p, info->extack);
	if (err)
		return err;

	mutex_lock(&mn->lock);
	ms = ip_vs_maglev_find(mn, &key, nest, info->extack);
	if (!ms) {
		err = -ENOENT;
		goto out;
	}
	/* pinning on: the namespace's pin table first (it may fail, and
	 * nothing has changed yet)
	 */
	if ((p.set & IP_VS_MAGLEV_SET_PIN) && p.pin_mode != IPVS_MAGLEV_PIN_OFF) {
		err = ip_vs_maglev_pins_create(mn);
		if (err) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "cannot allocate the flow pin table; nothing changed");
			goto out;
		}
	}
	mutex_lock(&ms->lock);
	err = ip_vs_maglev_set_params(ms, &p, &flush);
	mutex_unlock(&ms->lock);
	if (err)
		NL_SET_ERR_MSG_MOD(info->extack,
				   "cannot build the new table (out of memory); nothing changed");
out:
	mutex_unlock(&mn->lock);
	/* pinning went off: its memory back, holding no lock (pin.c) */
	if (flush)
		ip_vs_maglev_pin_flush(mn, ms, NULL);
	return err;
}

static int ip_vs_maglev_nl_lookup(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	struct nlattr *nest = info->attrs[IPVS_MAGLEV_A_SERVICE];
	struct nlattr *fnest = info->attrs[IPVS_MAGLEV_A_FLOW];
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct nlattr *f[IPVS_MAGLEV_FLOW_A_MAX + 1];
	const struct ip_vs_maglev_table *t;
	union nf_inet_addr saddr, daddr, baddr;
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms;
	__be16 sport = 0, dport, bport;
	const struct ip_vs_dest *dest;
	u32 slot, h;
	struct nlattr *bnest;
	struct sk_buff *msg;
	bool fallback;
	u16 proto, baf;
	int index = -1;
	void *hdr;
	int err;

	err = ip_vs_maglev_parse_svc(nest, a, &key, info->extack);
	if (err)
		return err;
	if (!fnest) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "IPVS_MAGLEV_A_FLOW (the flow to look up) is required");
		return -EINVAL;
	}
	err = nla_parse_nested(f, IPVS_MAGLEV_FLOW_A_MAX, fnest,
			       ip_vs_maglev_flow_policy, info->extack);
	if (err)
		return err;
	if (!f[IPVS_MAGLEV_FLOW_A_SADDR]) {
		NL_SET_ERR_MSG_ATTR(info->extack, fnest, "the flow's source address is required");
		return -EINVAL;
	}
	err = ip_vs_maglev_get_addr(f[IPVS_MAGLEV_FLOW_A_SADDR], key.af, &saddr,
				    info->extack);
	if (err)
		return err;
	daddr = key.addr;
	if (f[IPVS_MAGLEV_FLOW_A_DADDR]) {
		err = ip_vs_maglev_get_addr(f[IPVS_MAGLEV_FLOW_A_DADDR], key.af,
					    &daddr, info->extack);
		if (err)
			return err;
	}
	if (f[IPVS_MAGLEV_FLOW_A_SPORT])
		sport = nla_get_be16(f[IPVS_MAGLEV_FLOW_A_SPORT]);
	dport = key.port;
	if (f[IPVS_MAGLEV_FLOW_A_DPORT])
		dport = nla_get_be16(f[IPVS_MAGLEV_FLOW_A_DPORT]);
	proto = key.fwmark ? IPPROTO_TCP : key.protocol;
	if (f[IPVS_MAGLEV_FLOW_A_PROTOCOL])
		proto = nla_get_u16(f[IPVS_MAGLEV_FLOW_A_PROTOCOL]);	/* <= 255: policy */

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&mn->lock);
	ms = ip_vs_maglev_find(mn, &key, nest, info->extack);
	err = -ENOENT;
	if (!ms)
		goto err_unlock;
	rcu_read_lock();
	t = rcu_dereference(ms->table);
	if (t && t->nr) {
		h = ip_vs_maglev_hash_flow(mn->keys, ip_vs_maglev_hash_active(ms, t),
					   key.af, &saddr, &daddr, sport, dport,
					   proto);
		index = ip_vs_maglev_pick(mn->keys, t, h, &slot, &fallback);
	}
	if (index >= 0) {
		dest = t->dests[index];
		baf = dest->af;
		baddr = dest->addr;
		bport = dest->port;
	}
	rcu_read_unlock();
	if (index < 0) {
		NL_SET_ERR_MSG_MOD(info->extack, "no backend of this service can take new flows");
		goto err_unlock;
	}

	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &ip_vs_maglev_family, 0,
				IPVS_MAGLEV_CMD_LOOKUP);
	if (!hdr)
		goto err_unlock;
	bnest = nla_nest_start(msg, IPVS_MAGLEV_A_BACKEND);
	if (!bnest ||
	    nla_put_u16(msg, IPVS_MAGLEV_BE_A_AF, baf) ||
	    ip_vs_maglev_put_addr(msg, IPVS_MAGLEV_BE_A_ADDR, baf, &baddr) ||
	    nla_put_be16(msg, IPVS_MAGLEV_BE_A_PORT, bport) ||
	    nla_put_u32(msg, IPVS_MAGLEV_BE_A_INDEX, index) ||
	    nla_put_u32(msg, IPVS_MAGLEV_BE_A_SLOT, slot) ||
	    (fallback && nla_put_flag(msg, IPVS_MAGLEV_BE_A_FALLBACK)))
		goto err_unlock;
	nla_nest_end(msg, bnest);
	mutex_unlock(&mn->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&mn->lock);
	nlmsg_free(msg);
	return err;
}

static int ip_vs_maglev_nl_flush_pins(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	struct nlattr *nest = info->attrs[IPVS_MAGLEV_A_SERVICE];
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms = NULL;
	bool any = true;
	int err;

	if (nest) {
		err = ip_vs_maglev_parse_svc(nest, a, &key, info->extack);
		if (err)
			return err;
	}
	mutex_lock(&mn->lock);
	if (nest) {
		ms = ip_vs_maglev_find(mn, &key, nest, info->extack);
		if (!ms) {
			mutex_unlock(&mn->lock);
			return -ENOENT;
		}
		any = atomic_read(&ms->pin_count);
	}
	mutex_unlock(&mn->lock);
	/* the sweep holds no lock (pin.c); ms is only compared with */
	if (any)
		ip_vs_maglev_pin_flush(mn, ms, NULL);
	return 0;
}

static int ip_vs_maglev_nl_set_backend(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_maglev_net *mn = ip_vs_maglev_net(genl_info_net(info));
	struct nlattr *nest = info->attrs[IPVS_MAGLEV_A_SERVICE];
	struct nlattr *bnest = info->attrs[IPVS_MAGLEV_A_BACKEND];
	struct nlattr *a[IPVS_MAGLEV_SVC_A_MAX + 1];
	struct nlattr *b[IPVS_MAGLEV_BE_A_MAX + 1];
	struct ip_vs_maglev_backend *be, *flush = NULL;
	struct ip_vs_maglev_svc_key key;
	struct ip_vs_maglev_svc *ms;
	union nf_inet_addr addr;
	u16 af;
	int err;

	err = ip_vs_maglev_parse_svc(nest, a, &key, info->extack);
	if (err)
		return err;
	if (!bnest) {
		NL_SET_ERR_MSG_MOD(info->extack, "IPVS_MAGLEV_A_BACKEND (the backend) is required");
		return -EINVAL;
	}
	err = nla_parse_nested(b, IPVS_MAGLEV_BE_A_MAX, bnest, ip_vs_maglev_be_policy,
			       info->extack);
	if (err)
		return err;
	if (!b[IPVS_MAGLEV_BE_A_AF] || !b[IPVS_MAGLEV_BE_A_ADDR] || !b[IPVS_MAGLEV_BE_A_PORT]) {
		NL_SET_ERR_MSG_ATTR(info->extack, bnest,
				    "a backend is named by family, address and port");
		return -EINVAL;
	}
	af = nla_get_u16(b[IPVS_MAGLEV_BE_A_AF]);
	if (af != AF_INET && af != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(info->extack, b[IPVS_MAGLEV_BE_A_AF],
				    "backend address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	err = ip_vs_maglev_get_addr(b[IPVS_MAGLEV_BE_A_ADDR], af, &addr, info->extack);
	if (err)
		return err;
	if (!b[IPVS_MAGLEV_BE_A_DOWN] && !b[IPVS_MAGLEV_BE_A_SAVED_WEIGHT] &&
	    !b[IPVS_MAGLEV_BE_A_DRAIN_DEADLINE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, bnest,
				    "nothing to set (DOWN, SAVED_WEIGHT or DRAIN_DEADLINE)");
		return -EINVAL;
	}

	mutex_lock(&mn->lock);
	ms = ip_vs_maglev_find(mn, &key, nest, info->extack);
	err = -ENOENT;
	if (!ms)
		goto out;
	mutex_lock(&ms->lock);
	be = ip_vs_maglev_backend_lookup(ms, af, &addr, nla_get_be16(b[IPVS_MAGLEV_BE_A_PORT]));
	if (!be) {
		NL_SET_ERR_MSG_ATTR(info->extack, bnest, "the service has no such backend");
	} else {
		/* the mark first: it is the one step that can fail */
		err = 0;
		if (b[IPVS_MAGLEV_BE_A_DOWN])
			err = ip_vs_maglev_set_down(ms, be, nla_get_u8(b[IPVS_MAGLEV_BE_A_DOWN]),
						    &flush);
		if (err) {
			NL_SET_ERR_MSG_MOD(info->extack,
					   "cannot build the table the mark needs (out of memory); nothing changed");
		} else {
			if (b[IPVS_MAGLEV_BE_A_SAVED_WEIGHT])
				be->saved_weight = nla_get_u32(b[IPVS_MAGLEV_BE_A_SAVED_WEIGHT]);
			if (b[IPVS_MAGLEV_BE_A_DRAIN_DEADLINE])
				be->drain_deadline = nla_get_u64(b[IPVS_MAGLEV_BE_A_DRAIN_DEADLINE]);
		}
	}
	mutex_unlock(&ms->lock);
out:
	mutex_unlock(&mn->lock);
	/* marked down: the pins it had, unused already, go (pin.c) */
	if (flush) {
		ip_vs_maglev_pin_flush(mn, ms, flush);
		ip_vs_maglev_backend_put(flush);
	}
	return err;
}

static const struct genl_small_ops ip_vs_maglev_ops[] = {
	{
		.cmd = IPVS_MAGLEV_CMD_GET_INFO,
		.doit = ip_vs_maglev_nl_get_info,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_GET_SERVICE,
		.doit = ip_vs_maglev_nl_get_svc,
		.dumpit = ip_vs_maglev_nl_dump_svc,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_SET_SERVICE,
		.doit = ip_vs_maglev_nl_set_svc,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_GET_BACKEND,
		.dumpit = ip_vs_maglev_nl_dump_backends,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_LOOKUP,
		.doit = ip_vs_maglev_nl_lookup,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_SET_BACKEND,
		.doit = ip_vs_maglev_nl_set_backend,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IPVS_MAGLEV_CMD_FLUSH_PINS,
		.doit = ip_vs_maglev_nl_flush_pins,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family ip_vs_maglev_family = {
	.name		= IPVS_MAGLEV_GENL_NAME,
	.version	= IPVS_MAGLEV_GENL_VERSION,
	.maxattr	= IPVS_MAGLEV_A_MAX,
	.policy		= ip_vs_maglev_policy,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.small_ops	= ip_vs_maglev_ops,
	.n_small_ops	= ARRAY_SIZE(ip_vs_maglev_ops),
};

/*
 * The family is registered from a work item, not from module init. IPVS
 * loads this module with request_module() from inside its own generic
 * netlink handler ("ipvsadm -A ... -s maglev"), holding genl_mutex and
 * cb_lock; genl_register_family() needs both, so registering in init would
 * deadlock: the handler waits for modprobe, which would wait for the
 * handler's locks.
 *
 * Yet a lookup of the family by name loads the module too
 * (MODULE_ALIAS_GENL_FAMILY: the controller calls request_module() with
 * no lock held) and looks again as soon as init returns: to succeed on
 * that first lookup, the family must be registered by then. So init
 * waits for the work, for at most IP_VS_MAGLEV_GENL_WAIT_MS. Loaded by the
 * controller, or by modprobe, the work finishes at once. Loaded from
 * IPVS's handler, it cannot until init has returned: init gives up after
 * the wait, the request goes on, and the work registers the family once
 * the handler is done (that "ipvsadm -A" takes the wait longer, once).
 * ipvsctl retries its own lookups briefly either way.
 */
#define IP_VS_MAGLEV_GENL_WAIT_MS	250

static bool ip_vs_maglev_genl_registered;
static DECLARE_COMPLETION(ip_vs_maglev_genl_done);

static void ip_vs_maglev_genl_register(struct work_struct *work)
{
	int err = genl_register_family(&ip_vs_maglev_family);

	if (err)
		pr_err("cannot register generic netlink family %s: %d\n",
		       IPVS_MAGLEV_GENL_NAME, err);
	else
		ip_vs_maglev_genl_registered = true;
	complete_all(&ip_vs_maglev_genl_done);
}

static DECLARE_WORK(ip_vs_maglev_genl_work, ip_vs_maglev_genl_register);

int __init ip_vs_maglev_genl_init(void)
{
	schedule_work(&ip_vs_maglev_genl_work);
	wait_for_completion_timeout(&ip_vs_maglev_genl_done,
				    msecs_to_jiffies(IP_VS_MAGLEV_GENL_WAIT_MS));
	return 0;
}

void ip_vs_maglev_genl_exit(void)
{
	/* after this, the work is neither pending nor running */
	cancel_work_sync(&ip_vs_maglev_genl_work);
	if (ip_vs_maglev_genl_registered)
		genl_unregister_family(&ip_vs_maglev_family);
}
