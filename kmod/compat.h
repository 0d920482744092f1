/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel compatibility for ip_vs_maglev, force-included into every object
 * (Kbuild: -include compat.h). Every version or feature test of the module
 * lives here and nowhere else; each shim names the upstream change it covers.
 * Tests are by feature, never by version number: Debian's stable kernels
 * backport IPVS changes, so version numbers lie.
 */
#ifndef _IP_VS_MAGLEV_COMPAT_H
#define _IP_VS_MAGLEV_COMPAT_H

/* maglev.c is built with IP_VS_MAGLEV_PLAIN_C: it must not need any of this. */
#if defined(__KERNEL__) && !defined(IP_VS_MAGLEV_PLAIN_C)

#include <net/ip_vs.h>

/*
 * "ipvs: separate destination availability state" (6.1.184, 6.12.105 and
 * mainline) moved IP_VS_DEST_F_AVAILABLE from dest->flags to
 * IP_VS_DEST_CF_AVAILABLE in dest->cflags. Before it, the flag was in the
 * UAPI header.
 */
#ifdef IP_VS_DEST_CF_AVAILABLE
static inline bool ip_vs_maglev_dest_linked(const struct ip_vs_dest *dest)
{
	return READ_ONCE(dest->cflags) & IP_VS_DEST_CF_AVAILABLE;
}
#else
static inline bool ip_vs_maglev_dest_linked(const struct ip_vs_dest *dest)
{
	return dest->flags & IP_VS_DEST_F_AVAILABLE;
}
#endif

/*
 * Newer IPVS clears svc->scheduler itself in ip_vs_unbind_scheduler(),
 * before it calls done_service: a packet that reads the pointer after that
 * does not call the scheduler, so only packets already past that read are
 * in schedule() when done_service runs, and a grace period covers them
 * (the change the lvs review cites as 193989cc6d80, "ipvs: clear the svc
 * scheduler ptr early on edit"; it also dropped the function's second
 * argument, which is what the Kbuild probe looks for). Before it
 * (Debian's 5.10), a scheduler switch calls done_service with the pointer
 * still set, and new packets keep entering schedule() and reading
 * svc->sched_data until the caller clears it after done_service returns,
 * so a grace period started in done_service would not cover them. Do here
 * what the change does: clear it first. IPVS's own callers clear it again
 * or never read it after done_service.
 */
#ifdef IP_VS_MAGLEV_HAVE_EARLY_UNBIND
static inline void ip_vs_maglev_unbind_early(struct ip_vs_service *svc)
{
}
#else
static inline void ip_vs_maglev_unbind_early(struct ip_vs_service *svc)
{
	rcu_assign_pointer(svc->scheduler, NULL);
	smp_wmb();	/* paired with smp_rmb() in ip_vs_schedule() */
}
#endif

/*
 * "genetlink: use struct genl_info for dump's info" (6.2) replaced
 * genl_dumpit_info's attrs with a struct genl_info. Kbuild probe.
 */
#include <net/genetlink.h>
#ifdef IP_VS_MAGLEV_HAVE_GENL_INFO_DUMP
static inline struct nlattr **ip_vs_maglev_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#else
static inline struct nlattr **ip_vs_maglev_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/*
 * "netlink: add NLA_BE16/NLA_BE32 types" (5.x, after 5.10) lets a policy
 * say an attribute is in network byte order, which policy dumps then
 * report. Ports are; before it they can only be NLA_U16, which validates
 * the same two bytes. Kbuild probe.
 */
#ifdef IP_VS_MAGLEV_HAVE_NLA_BE16
#define IP_VS_MAGLEV_NLA_BE16	NLA_BE16
#else
#define IP_VS_MAGLEV_NLA_BE16	NLA_U16
#endif

/*
 * Charging an allocation made in softirq to a chosen memory cgroup:
 * set_active_memcg() there writes the per-CPU int_active_memcg, which 6.1
 * and later export and 5.10 does not (a module using it would not link).
 * Kbuild probes the kernel's Module.symvers. Without it, a pin allocated
 * in softirq (forwarded traffic) is charged to no one, and one allocated
 * in process context (a connection the director itself opens, scheduled
 * from LOCAL_OUT) to the sending task's cgroup; the host caps on pins
 * (pin.c) bound them all the same. The packet path runs in either
 * context: ip_vs_maglev_pkt_memcg_*() are for it, the others for process
 * context only (the work items).
 */
#include <linux/sched/mm.h>
#ifdef IP_VS_MAGLEV_HAVE_INT_ACTIVE_MEMCG
static inline struct mem_cgroup *ip_vs_maglev_pkt_memcg_enter(struct mem_cgroup *memcg)
{
	return set_active_memcg(memcg);
}

static inline void ip_vs_maglev_pkt_memcg_leave(struct mem_cgroup *old)
{
	set_active_memcg(old);
}

static inline struct mem_cgroup *ip_vs_maglev_memcg_enter(struct mem_cgroup *memcg)
{
	return set_active_memcg(memcg);
}

static inline void ip_vs_maglev_memcg_leave(struct mem_cgroup *old)
{
	set_active_memcg(old);
}
#else
static inline struct mem_cgroup *ip_vs_maglev_pkt_memcg_enter(struct mem_cgroup *memcg)
{
	return NULL;
}

static inline void ip_vs_maglev_pkt_memcg_leave(struct mem_cgroup *old)
{
}

/* What set_active_memcg() does in process context, without the reference
 * its interrupt branch makes to int_active_memcg.
 */
static inline struct mem_cgroup *ip_vs_maglev_memcg_enter(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *old = current->active_memcg;

	WARN_ON_ONCE(in_interrupt());
	current->active_memcg = memcg;
	return old;
#else
	return NULL;
#endif
}

static inline void ip_vs_maglev_memcg_leave(struct mem_cgroup *old)
{
#ifdef CONFIG_MEMCG
	current->active_memcg = old;
#endif
}
#endif

#endif /* __KERNEL__ && !IP_VS_MAGLEV_PLAIN_C */
#endif /* _IP_VS_MAGLEV_COMPAT_H */
