// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: conntrack over ctnetlink, with a plain netlink socket (no
 * library): a dump of the UDP entries, and deletion by original tuple.
 *
 * The messages (include/uapi/linux/netfilter/nfnetlink_conntrack.h):
 * IPCTNL_MSG_CT_GET with NLM_F_DUMP answers one message per entry, a
 * struct nfgenmsg then attributes: CTA_TUPLE_ORIG and CTA_TUPLE_REPLY,
 * each nesting CTA_TUPLE_IP (CTA_IP_V4_SRC/DST or CTA_IP_V6_SRC/DST) and
 * CTA_TUPLE_PROTO (CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT,
 * ports in network order), and CTA_ZONE (be16) when not the default zone.
 * IPCTNL_MSG_CT_DELETE with CTA_TUPLE_ORIG (and CTA_ZONE) deletes one
 * (ctnetlink_del_conntrack); an entry already gone answers -ENOENT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/conntrack.h"

#define BUF_SIZE 65536

static int ct_socket(char *why, size_t whylen)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0) {
		snprintf(why, whylen, "ctnetlink: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* the attributes of a nest (or a message's, after its header), by type */
static void attrs(const void *p, size_t len, const struct nlattr **tb, int max)
{
	const struct nlattr *a = p;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(a->nla_len);

		if (type <= max)
			tb[type] = a;
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
}

static const void *payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t plen(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* one tuple: addresses of @af, protocol and ports; false if not UDP or malformed */
static bool tuple(const struct nlattr *t, int af, uint8_t *src, uint8_t *dst, uint16_t *sport,
		  uint16_t *dport)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	int s = af == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC;
	int d = af == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	size_t alen = af == AF_INET ? 4 : 16;
	uint16_t v;

	if (!t)
		return false;
	attrs(payload(t), plen(t), tb, CTA_TUPLE_MAX);
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO])
		return false;
	attrs(payload(tb[CTA_TUPLE_IP]), plen(tb[CTA_TUPLE_IP]), ip, CTA_IP_MAX);
	attrs(payload(tb[CTA_TUPLE_PROTO]), plen(tb[CTA_TUPLE_PROTO]), pr, CTA_PROTO_MAX);
	if (!ip[s] || !ip[d] || plen(ip[s]) != alen || plen(ip[d]) != alen ||
	    !pr[CTA_PROTO_NUM] || plen(pr[CTA_PROTO_NUM]) < 1 ||
	    *(const uint8_t *)payload(pr[CTA_PROTO_NUM]) != IPPROTO_UDP ||
	    !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT] ||
	    plen(pr[CTA_PROTO_SRC_PORT]) != 2 || plen(pr[CTA_PROTO_DST_PORT]) != 2)
		return false;
	memset(src, 0, 16);
	memset(dst, 0, 16);
	memcpy(src, payload(ip[s]), alen);
	memcpy(dst, payload(ip[d]), alen);
	memcpy(&v, payload(pr[CTA_PROTO_SRC_PORT]), 2);
	*sport = ntohs(v);
	memcpy(&v, payload(pr[CTA_PROTO_DST_PORT]), 2);
	*dport = ntohs(v);
	return true;
}

/* one entry of the dump into @e; false if it is not a UDP entry of @af */
static bool entry(const struct nlmsghdr *nh, int af, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1];
	uint8_t unused[16];
	uint16_t port, z;
	size_t off = NLMSG_SPACE(sizeof(struct nfgenmsg));

	if (nh->nlmsg_len < off)
		return false;
	attrs((const char *)nh + off, nh->nlmsg_len - off, tb, CTA_MAX);
	memset(e, 0, sizeof(*e));
	e->af = af;
	if (!tuple(tb[CTA_TUPLE_ORIG], af, e->osrc, e->odst, &e->osport, &e->odport) ||
	    !tuple(tb[CTA_TUPLE_REPLY], af, e->rsrc, unused, &e->rsport, &port))
		return false;
	if (tb[CTA_ZONE] && plen(tb[CTA_ZONE]) == 2) {
		memcpy(&z, payload(tb[CTA_ZONE]), 2);
		e->zone = ntohs(z);
	}
	return true;
}

static int request(int fd, uint16_t type, uint16_t flags, int af, const void *body, size_t blen)
{
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nfgenmsg *g = NLMSG_DATA(nh);
	size_t len = NLMSG_SPACE(sizeof(*g)) + blen;

	if (len > sizeof(buf))
		return -EMSGSIZE;
	memset(buf, 0, NLMSG_SPACE(sizeof(*g)));
	nh->nlmsg_len = (uint32_t)len;
	nh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	nh->nlmsg_seq = 1;
	g->nfgen_family = (uint8_t)af;
	g->version = NFNETLINK_V0;
	if (blen)
		memcpy(buf + NLMSG_SPACE(sizeof(*g)), body, blen);
	return send(fd, buf, len, 0) < 0 ? -errno : 0;
}

int ct_dump_udp(int af, size_t max, struct ct_entry **v, size_t *n, char *why, size_t whylen)
{
	char *buf = malloc(BUF_SIZE);
	size_t cap = 0;
	int fd, err = 0;
	bool done = false;

	*v = NULL;
	*n = 0;
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	fd = ct_socket(why, whylen);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = request(fd, IPCTNL_MSG_CT_GET, NLM_F_DUMP, af, NULL, 0);
	while (!err && !done) {
		ssize_t r = recv(fd, buf, BUF_SIZE, 0);
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;
		size_t left;

		if (r < 0) {
			err = -errno;
			break;
		}
		for (left = (size_t)r; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
			struct ct_entry e;

			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *me = NLMSG_DATA(nh);

				err = me->error ? me->error : -EPROTO;
				break;
			}
			if (!entry(nh, af, &e) || *n >= max)
				continue;
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct ct_entry *nv = realloc(*v, nc * sizeof(*nv));

				if (!nv) {
					err = -ENOMEM;
					break;
				}
				*v = nv;
				cap = nc;
			}
			(*v)[(*n)++] = e;
		}
	}
	close(fd);
	free(buf);
	if (err) {
		snprintf(why, whylen, "conntrack dump: %s%s", strerror(-err),
			 err == -EPERM ? " (CAP_NET_ADMIN is needed)" : "");
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return err;
}

/* append an attribute (header and payload) at @p; returns its aligned length */
static size_t put(char *p, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(p + NLA_HDRLEN, data, len);
	memset(p + NLA_HDRLEN + len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
	return NLA_ALIGN(a->nla_len);
}

/* CTA_TUPLE_ORIG of @e (and CTA_ZONE) at @p; returns the length */
static size_t orig_tuple(const struct ct_entry *e, char *p)
{
	size_t alen = e->af == AF_INET ? 4 : 16, o, ipo, pro;
	uint16_t sp = htons(e->osport), dp = htons(e->odport), z = htons(e->zone);
	uint8_t num = IPPROTO_UDP;
	struct nlattr *outer = (struct nlattr *)p, *ip, *pr;

	o = NLA_HDRLEN;
	ipo = o;
	ip = (struct nlattr *)(p + ipo);
	o += NLA_HDRLEN;
	o += put(p + o, e->af == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, e->osrc, alen);
	o += put(p + o, e->af == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, e->odst, alen);
	ip->nla_type = NLA_F_NESTED | CTA_TUPLE_IP;
	ip->nla_len = (uint16_t)(o - ipo);
	pro = o;
	pr = (struct nlattr *)(p + pro);
	o += NLA_HDRLEN;
	o += put(p + o, CTA_PROTO_NUM, &num, 1);
	o += put(p + o, CTA_PROTO_SRC_PORT, &sp, 2);
	o += put(p + o, CTA_PROTO_DST_PORT, &dp, 2);
	pr->nla_type = NLA_F_NESTED | CTA_TUPLE_PROTO;
	pr->nla_len = (uint16_t)(o - pro);
	outer->nla_type = NLA_F_NESTED | CTA_TUPLE_ORIG;
	outer->nla_len = (uint16_t)o;
	if (e->zone)
		o += put(p + o, CTA_ZONE, &z, 2);
	return o;
}

static int ack(int fd)
{
	char buf[1024];
	ssize_t r = recv(fd, buf, sizeof(buf), 0);
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;

	if (r < 0)
		return -errno;
	if (r < (ssize_t)NLMSG_HDRLEN || nh->nlmsg_type != NLMSG_ERROR ||
	    r < (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr)))
		return -EPROTO;
	return ((const struct nlmsgerr *)NLMSG_DATA(nh))->error;
}

int ct_delete(const struct ct_entry *v, const bool *del, size_t n, size_t *deleted, char *why,
	      size_t whylen)
{
	char body[256];
	int fd, err, first = 0;
	size_t i;

	*deleted = 0;
	fd = ct_socket(why, whylen);
	if (fd < 0)
		return fd;
	for (i = 0; i < n; i++) {
		if (!del[i])
			continue;
		err = request(fd, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, v[i].af, body,
			      orig_tuple(&v[i], body));
		if (!err)
			err = ack(fd);
		if (!err || err == -ENOENT)
			(*deleted)++;
		else if (!first)
			first = err;
	}
	close(fd);
	if (first)
		snprintf(why, whylen, "conntrack delete: %s", strerror(-first));
	return first;
}
