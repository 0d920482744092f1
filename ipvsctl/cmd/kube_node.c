// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: this node. The addresses its node ports are served on,
 * read from the kernel (kube sync, render and run), and for the agent its
 * Node object, watched (kube_watcher.c hands the objects here).
 *
 * Node-port addresses, as kube-proxy's IPVS mode chooses them when
 * --nodeport-addresses is not given (pkg/proxy/ipvs: every local address
 * but those of the dummy interface, and not loopback or IPv6 link-local
 * ones, netlinkHandle.isValidForSet), or those within its CIDRs when it is.
 * An address on the dummy interface and on another one too counts: it is
 * the node's own (GetAllLocalAddressesExcept, since kubernetes#114815).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "cmd/kube_agent.h"

static int ip_order(const void *pa, const void *pb)
{
	const struct kube_ip *a = pa, *b = pb;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

static bool np_candidate(const struct kube_ip *ip, const struct kube_cidr *f, size_t nf)
{
	size_t i;

	if (ip->af == AF_INET && ip->a[0] == 127)
		return false;
	if (ip->af == AF_INET6) {
		static const uint8_t lo6[16] = { [15] = 1 };

		if (!memcmp(ip->a, lo6, 16) || (ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80))
			return false;
	}
	if (!nf)
		return true;
	for (i = 0; i < nf; i++)
		if (kube_cidr_has(&f[i], ip))
			return true;
	return false;
}

int kube_node_addrs(const char *vip_dev, const struct kube_cidr *f, size_t nf,
		    struct kube_ip **v, size_t *n)
{
	struct ifaddrs *ifs, *i;
	struct kube_ip *out;
	size_t cnt = 0, k;

	*v = NULL;
	*n = 0;
	if (getifaddrs(&ifs))
		return -errno;
	for (i = ifs; i; i = i->ifa_next)
		cnt++;
	out = calloc(cnt + 1, sizeof(*out));
	if (!out) {
		freeifaddrs(ifs);
		return -ENOMEM;
	}
	for (i = ifs, cnt = 0; i; i = i->ifa_next) {
		struct kube_ip ip = { 0 };

		if (!i->ifa_addr || !i->ifa_name || (vip_dev && !strcmp(i->ifa_name, vip_dev)))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			memcpy(ip.a, &((const struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(ip.a, &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		else
			continue;
		ip.af = i->ifa_addr->sa_family;
		if (np_candidate(&ip, f, nf))
			out[cnt++] = ip;
	}
	freeifaddrs(ifs);
	/* sorted, each once (an address may be on two interfaces) */
	qsort(out, cnt, sizeof(*out), ip_order);
	for (k = 0; k < cnt; k++)
		if (!*n || ip_order(&out[*n - 1], &out[k]))
			out[(*n)++] = out[k];
	*v = out;
	return 0;
}

/* ---- the command line ------------------------------------------------------ */

/* --nodeport-addresses: CIDRs, repeated or comma-separated (kube-proxy's
 * form); NULL *f if none
 */
static int np_filter(struct ctx *c, const struct kube_args *a, struct kube_cidr **f, size_t *nf)
{
	size_t i, cap = 0;

	*f = NULL;
	*nf = 0;
	for (i = 0; a->np_addrs && a->np_addrs[i]; i++)
		cap += 1 + strlen(a->np_addrs[i]) / 2;	/* a bound on the commas */
	if (!cap)
		return 0;
	*f = calloc(cap, sizeof(**f));
	if (!*f) {
		fprintf(stderr, "%s: kube: out of memory\n", c->prog);
		return EXIT_FAIL;
	}
	for (i = 0; a->np_addrs[i]; i++) {
		char *dup = strdup(a->np_addrs[i]), *tok, *save = NULL;

		if (!dup) {
			fprintf(stderr, "%s: kube: out of memory\n", c->prog);
			return EXIT_FAIL;
		}
		for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (kube_cidr_parse(tok, &(*f)[*nf])) {
				usage_error(c, "--nodeport-addresses '%s': not an address prefix "
					    "(ADDR/LEN%s)", tok, strcmp(tok, "primary") ? "" :
					    "; 'primary' is not supported: give the prefixes");
				free(dup);
				return EXIT_USAGE;
			}
			(*nf)++;
		}
		free(dup);
	}
	if (!*nf) {
		usage_error(c, "--nodeport-addresses: no prefix given");
		return EXIT_USAGE;
	}
	return 0;
}

int kube_node_conf(struct ctx *c, const struct kube_args *a, const char *vip_dev,
		     struct kube_node_conf *n, struct kube_ip **ips, struct kube_cidr **f,
		     size_t *nf, bool *np_auto)
{
	size_t i, nip = 0;
	int rc, err;

	memset(n, 0, sizeof(*n));
	*np_auto = false;
	if (a->sched && (!*a->sched || strlen(a->sched) >= SCHED_MAX)) {
		usage_error(c, "--scheduler '%s': 1 to %d characters", a->sched, SCHED_MAX - 1);
		return EXIT_USAGE;
	}
	snprintf(n->sched, sizeof(n->sched), "%s", a->sched ? a->sched : "maglev");
	rc = np_filter(c, a, f, nf);
	if (rc)
		return rc;
	while (a->node_ips && a->node_ips[nip])
		nip++;
	if (nip && *nf) {
		usage_error(c, "--node-ip and --nodeport-addresses: one or the other");
		return EXIT_USAGE;
	}
	if (!nip) {
		err = kube_node_addrs(vip_dev, *f, *nf, ips, &nip);
		if (err) {
			fprintf(stderr, "%s: kube: the node's addresses: %s\n", c->prog, strerror(-err));
			return EXIT_FAIL;
		}
		*np_auto = true;
	} else {
		*ips = calloc(nip + 1, sizeof(**ips));
		if (!*ips) {
			fprintf(stderr, "%s: kube: out of memory\n", c->prog);
			return EXIT_FAIL;
		}
		for (i = 0; i < nip; i++)
			if (kube_ip_parse(a->node_ips[i], &(*ips)[i])) {
				usage_error(c, "--node-ip '%s': not an IP address", a->node_ips[i]);
				return EXIT_USAGE;
			}
	}
	n->nodeport_ips = *ips;
	n->n_nodeport_ips = nip;
	return 0;
}

/* ---- the agent: the addresses, at each sync (main thread) ---------------- */

/*
 * Reading every address costs a dump of them all, kube-ipvs0's thousands
 * included (50 ms at 10,000 under QEMU): a partial sync reads them only
 * when the kernel said an address of another interface came or went since
 * the last sync (rtnetlink's address groups), or it cannot tell (no
 * socket, or its buffer overflowed: ENOBUFS). Full syncs always read.
 */
int ka_node_addrs_watch(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* whether the node's addresses may have changed: what came on the socket,
 * drained (bounded: a flood of messages counts as a change)
 */
static bool addrs_moved(struct agent *ag)
{
	unsigned int vip = if_nametoindex(ag->so->vip_dev);
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool moved = ag->np_nl_fd < 0;
	int reads;

	for (reads = 0; ag->np_nl_fd >= 0 && reads < 4096; reads++) {
		ssize_t n = recv(ag->np_nl_fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *h;
		size_t len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return moved;
		if (n <= 0) {
			moved = true;	/* ENOBUFS: messages were lost */
			if (n < 0 && errno == ENOBUFS)
				continue;
			return true;
		}
		len = (size_t)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const struct ifaddrmsg *ifa = NLMSG_DATA(h);

			if ((h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifa)) && ifa->ifa_index != vip)
				moved = true;
		}
	}
	return true;
}

void ka_node_addrs_refresh(struct agent *ag)
{
	struct kube_ip *v;
	size_t n, i;
	int err;

	/* drained at every sync; read again only if something moved */
	if (!addrs_moved(ag) && !ag->incr.full)
		return;
	err = kube_node_addrs(ag->so->vip_dev, ag->np_cidrs, ag->nnp_cidrs, &v, &n);
	if (err) {
		/* keep serving on the addresses known; said once per failure run */
		if (!ag->np_read_failed)
			ka_log(ag, "the node's addresses: %s (node ports stay on those known)",
			       strerror(-err));
		ag->np_read_failed = true;
		return;
	}
	ag->np_read_failed = false;
	if (n == ag->nnp_ips && (!n || !memcmp(v, ag->np_ips, n * sizeof(*v)))) {
		free(v);
		return;
	}
	free(ag->np_ips);
	ag->np_ips = v;
	ag->nnp_ips = n;
	ag->np_dirty = true;	/* until a sync applied them */
	ag->node.nodeport_ips = v;
	ag->node.n_nodeport_ips = n;
	ag->so_own.nft.node_ips = v;
	ag->so_own.nft.nnode_ips = n;
	{
		char list[512] = "";
		size_t o = 0;

		for (i = 0; i < n && o + INET6_ADDRSTRLEN + 8 < sizeof(list); i++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(v[i].af, v[i].a, a, sizeof(a));
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? " " : "", a);
		}
		ka_log(ag, "node ports on %zu address%s: %s%s", n, n == 1 ? "" : "es", n ? list : "none",
		       i < n ? " ..." : "");
	}
}

/* ---- the agent: the Node object (its watcher's thread) ------------------- */

static bool cidrs_same(const struct kube_node *a, const struct kube_node *b)
{
	size_t i;

	if (a->npod_cidrs != b->npod_cidrs)
		return false;
	for (i = 0; i < a->npod_cidrs; i++)
		if (a->pod_cidrs[i].ip.af != b->pod_cidrs[i].ip.af ||
		    a->pod_cidrs[i].len != b->pod_cidrs[i].len ||
		    memcmp(a->pod_cidrs[i].ip.a, b->pod_cidrs[i].ip.a, 16))
			return false;
	return true;
}

/*
 * With mu held: take @n as the node now. Whether anything the agent reads
 * of it changed (*news), and whether the table must (true: the cache's
 * generation moved, a sync is due). A Node whose pod CIDRs are gone (it
 * registered again and is not allocated yet) keeps those last known: the
 * pods on the node keep their addresses meanwhile, and without any every
 * pod's traffic would be masqueraded (kube-proxy restarts instead).
 */
static bool node_take(struct agent *ag, const struct kube_node *n, bool *news)
{
	struct kube_node keep = *n;
	bool cidrs;

	if (!keep.npod_cidrs && ag->node_obj.npod_cidrs) {
		memcpy(keep.pod_cidrs, ag->node_obj.pod_cidrs, sizeof(keep.pod_cidrs));
		keep.npod_cidrs = ag->node_obj.npod_cidrs;
	}
	cidrs = !cidrs_same(&ag->node_obj, &keep);
	*news = !ag->node_known || cidrs || ag->node_obj.leaving != keep.leaving;
	ag->node_obj = keep;
	ag->node_known = true;
	__atomic_store_n(&ag->node_eligible, !keep.leaving, __ATOMIC_RELAXED);
	if (cidrs && ag->node_cidr_mode) {
		ag->cache.gen++;
		return true;
	}
	return false;
}

static void node_log(struct agent *ag, const struct kube_node *n, const char *how)
{
	char c[2][INET6_ADDRSTRLEN + 4] = { "", "" };
	size_t i;

	for (i = 0; i < n->npod_cidrs; i++) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(n->pod_cidrs[i].ip.af, n->pod_cidrs[i].ip.a, a, sizeof(a));
		snprintf(c[i], sizeof(c[i]), "%s/%u", a, n->pod_cidrs[i].len);
	}
	ka_log(ag, "node %s %s: pod CIDRs %s%s%s, %s", n->name, how, n->npod_cidrs ? c[0] : "none",
	       n->npod_cidrs > 1 ? " " : "", c[1], n->leaving ? "leaving (/healthz fails)" : "eligible");
}

/* a Node's metadata.name if it is a valid one (log lines), else "?" */
static const char *name_of(json_object *o)
{
	json_object *md, *name;
	const char *s;

	if (!json_object_object_get_ex(o, "metadata", &md) ||
	    !json_object_object_get_ex(md, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return "?";
	s = json_object_get_string(name);
	return strlen(s) < KUBE_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
	       strlen(s) && *s ? s : "?";
}

/* a Node refused: logged when the reason changed (a Node is written often:
 * its status), counted always; whether it is this node's
 */
static bool node_refused(struct agent *ag, json_object *o, const char *why)
{
	const char *name = name_of(o);

	pthread_mutex_lock(&ag->mu);
	ag->bad++;
	pthread_mutex_unlock(&ag->mu);
	if (strcmp(why, ag->node_bad_why)) {
		snprintf(ag->node_bad_why, sizeof(ag->node_bad_why), "%s", why);
		ka_log(ag, "Node %s: %s (skipped; the last good version, if any, is kept)", name, why);
	}
	return !strcmp(name, ag->cache.node);
}

int ka_node_listed(struct agent *ag, json_object *items)
{
	size_t i, cnt = items && json_object_is_type(items, json_type_array) ?
			json_object_array_length(items) : 0;
	struct kube_node n;
	bool news, ours_bad = false;
	char why[256];

	for (i = 0; i < cnt; i++) {
		json_object *o = json_object_array_get_idx(items, i);

		if (kube_node_parse(o, &n, why, sizeof(why))) {
			ours_bad |= node_refused(ag, o, why);
			continue;
		}
		/* the field selector asks for this node alone: anything else is
		 * the server's mistake, not ours to take
		 */
		if (strcmp(n.name, ag->cache.node))
			continue;
		ag->node_bad_why[0] = 0;
		pthread_mutex_lock(&ag->mu);
		node_take(ag, &n, &news);
		ag->listed[KA_NODES] = true;
		ag->relists[KA_NODES]++;
		pthread_mutex_unlock(&ag->mu);
		if (news)
			node_log(ag, &n, "listed");
		return 0;
	}
	pthread_mutex_lock(&ag->mu);
	ag->listed[KA_NODES] = true;
	ag->relists[KA_NODES]++;
	/* there but refused: as it was; known before and gone now: deleted
	 * while the watch was down
	 */
	if (!ours_bad && ag->node_known) {
		__atomic_store_n(&ag->node_eligible, 0, __ATOMIC_RELAXED);
		ag->node_known = false;
	}
	news = !ag->node_obj.npod_cidrs;
	pthread_mutex_unlock(&ag->mu);
	if (!ours_bad)
		ka_log(ag, "node %s: not found%s", ag->cache.node, ag->node_cidr_mode && news ?
		       "; no sync until it has spec.podCIDRs (--detect-local-mode NodeCIDR)" : "");
	return 0;
}

void ka_node_event(struct agent *ag, enum kube_event ev, json_object *obj, bool *changed)
{
	struct kube_node n;
	bool news = false;
	char why[256];

	*changed = false;
	pthread_mutex_lock(&ag->mu);
	ag->events[KA_NODES]++;
	pthread_mutex_unlock(&ag->mu);
	if (kube_node_parse(obj, &n, why, sizeof(why))) {
		node_refused(ag, obj, why);
		return;
	}
	if (strcmp(n.name, ag->cache.node))
		return;
	ag->node_bad_why[0] = 0;
	pthread_mutex_lock(&ag->mu);
	if (ev == KUBE_DELETED) {
		/* gone: not eligible; its pod CIDRs stay those last known (the
		 * pods do not move away with the object)
		 */
		ag->node_known = false;
		__atomic_store_n(&ag->node_eligible, 0, __ATOMIC_RELAXED);
	} else {
		*changed = node_take(ag, &n, &news);
	}
	pthread_mutex_unlock(&ag->mu);
	/* a Node changes often (its status): said only when what the agent
	 * reads of it did
	 */
	if (ev == KUBE_DELETED)
		ka_log(ag, "node %s deleted (/healthz fails)", n.name);
	else if (news)
		node_log(ag, &n, ev == KUBE_ADDED ? "added" : "changed");
}
