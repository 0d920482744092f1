// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: codec for the kernel's IPVS generic netlink family
 * (include/uapi/linux/ip_vs.h): requests encoded, replies decoded. Loading
 * the whole state is load.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/ipvs.h"

/* ---- encoding ------------------------------------------------------------ */

static int put_svc_id(struct nl_msg *msg, const struct svc_id *id)
{
	NLA_PUT_U16(msg, IPVS_SVC_ATTR_AF, id->af);
	if (id->fwmark) {
		NLA_PUT_U32(msg, IPVS_SVC_ATTR_FWMARK, id->fwmark);
	} else {
		NLA_PUT_U16(msg, IPVS_SVC_ATTR_PROTOCOL, id->proto);
		NLA_PUT(msg, IPVS_SVC_ATTR_ADDR, 16, id->addr);
		NLA_PUT_U16(msg, IPVS_SVC_ATTR_PORT, htons(id->port));
	}
	return 0;
nla_put_failure:
	return -EMSGSIZE;
}

int kipvs_put_svc(struct nl_msg *msg, const struct svc_id *id,
		   const struct svc_conf *c)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
	struct ip_vs_flags fl;

	if (!nest || put_svc_id(msg, id))
		return -EMSGSIZE;
	if (c) {
		fl.flags = c->flags & ~IP_VS_SVC_F_HASHED;
		fl.mask = ~0U;
		NLA_PUT_STRING(msg, IPVS_SVC_ATTR_SCHED_NAME, c->sched);
		NLA_PUT(msg, IPVS_SVC_ATTR_FLAGS, sizeof(fl), &fl);
		NLA_PUT_U32(msg, IPVS_SVC_ATTR_TIMEOUT, c->timeout);
		NLA_PUT_U32(msg, IPVS_SVC_ATTR_NETMASK, c->netmask);
		/* an empty name clears the persistence engine on edit */
		NLA_PUT_STRING(msg, IPVS_SVC_ATTR_PE_NAME, c->pe);
	}
	nla_nest_end(msg, nest);
	return 0;
nla_put_failure:
	return -EMSGSIZE;
}

static int put_dest(struct nl_msg *msg, const struct addr_port *ap,
		    const struct dest_conf *c)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_CMD_ATTR_DEST);

	if (!nest)
		return -EMSGSIZE;
	NLA_PUT(msg, IPVS_DEST_ATTR_ADDR, 16, ap->addr);
	NLA_PUT_U16(msg, IPVS_DEST_ATTR_PORT, htons(ap->port));
	NLA_PUT_U16(msg, IPVS_DEST_ATTR_ADDR_FAMILY, ap->af);
	if (c) {
		NLA_PUT_U32(msg, IPVS_DEST_ATTR_FWD_METHOD, c->fwd);
		NLA_PUT_U32(msg, IPVS_DEST_ATTR_WEIGHT, c->weight);
		NLA_PUT_U32(msg, IPVS_DEST_ATTR_U_THRESH, c->u_thresh);
		NLA_PUT_U32(msg, IPVS_DEST_ATTR_L_THRESH, c->l_thresh);
		if (c->fwd == FWD_TUN) {
			NLA_PUT_U8(msg, IPVS_DEST_ATTR_TUN_TYPE, c->tun_type);
			NLA_PUT_U16(msg, IPVS_DEST_ATTR_TUN_PORT, htons(c->tun_port));
			NLA_PUT_U16(msg, IPVS_DEST_ATTR_TUN_FLAGS, c->tun_flags);
		}
	}
	nla_nest_end(msg, nest);
	return 0;
nla_put_failure:
	return -EMSGSIZE;
}

/* Build, send, free. @fill adds the attributes. */
static int ipvs_do(struct nl *nl, uint8_t cmd, const struct svc_id *id,
		   const struct svc_conf *sc, const struct addr_port *ap,
		   const struct dest_conf *dc, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, cmd, false, e);

	if (!msg)
		return -errno;
	if ((id && kipvs_put_svc(msg, id, sc)) || (ap && put_dest(msg, ap, dc))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send_change(nl, msg, e);
}

int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		  struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_NEW_SERVICE, id, c, NULL, NULL, e);
}

int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		   struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_SET_SERVICE, id, c, NULL, NULL, e);
}

int kipvs_svc_del(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_DEL_SERVICE, id, NULL, NULL, NULL, e);
}

int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c, struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_NEW_DEST, id, NULL, ap, c, e);
}

int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c, struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_SET_DEST, id, NULL, ap, c, e);
}

int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_DEL_DEST, id, NULL, ap, NULL, e);
}

int kipvs_flush(struct nl *nl, struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_FLUSH, NULL, NULL, NULL, NULL, e);
}

int kipvs_zero(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{
	return ipvs_do(nl, IPVS_CMD_ZERO, id, NULL, NULL, NULL, e);
}

/* ---- decoding ------------------------------------------------------------- */

static void parse_stats(const struct nlattr *nest, struct stats *st)
{
	struct nlattr *s[IPVS_STATS_ATTR_MAX + 1];

	memset(st, 0, sizeof(*st));
	if (!nest || nlc_nested(s, IPVS_STATS_ATTR_MAX, nest))
		return;
#define STAT(a, f) do { if (s[a]) st->f = nla_len(s[a]) == 8 ? nla_get_u64(s[a]) : nla_get_u32(s[a]); } while (0)
	STAT(IPVS_STATS_ATTR_CONNS, conns);
	STAT(IPVS_STATS_ATTR_INPKTS, inpkts);
	STAT(IPVS_STATS_ATTR_OUTPKTS, outpkts);
	STAT(IPVS_STATS_ATTR_INBYTES, inbytes);
	STAT(IPVS_STATS_ATTR_OUTBYTES, outbytes);
	STAT(IPVS_STATS_ATTR_CPS, cps);
	STAT(IPVS_STATS_ATTR_INPPS, inpps);
	STAT(IPVS_STATS_ATTR_OUTPPS, outpps);
	STAT(IPVS_STATS_ATTR_INBPS, inbps);
	STAT(IPVS_STATS_ATTR_OUTBPS, outbps);
#undef STAT
}

int kipvs_parse_svc(const struct nlattr *nest, struct svc_id *id, struct svc_conf *c,
		     struct stats *st)
{
	struct nlattr *s[IPVS_SVC_ATTR_MAX + 1];

	if (!nest || nlc_nested(s, IPVS_SVC_ATTR_MAX, nest) || !s[IPVS_SVC_ATTR_AF])
		return -EPROTO;
	memset(id, 0, sizeof(*id));
	memset(c, 0, sizeof(*c));
	id->af = nla_get_u16(s[IPVS_SVC_ATTR_AF]);
	if (s[IPVS_SVC_ATTR_FWMARK])
		id->fwmark = nla_get_u32(s[IPVS_SVC_ATTR_FWMARK]);
	if (!id->fwmark) {
		if (!s[IPVS_SVC_ATTR_PROTOCOL] || !s[IPVS_SVC_ATTR_ADDR] || !s[IPVS_SVC_ATTR_PORT])
			return -EPROTO;
		id->proto = nla_get_u16(s[IPVS_SVC_ATTR_PROTOCOL]);
		nla_memcpy(id->addr, s[IPVS_SVC_ATTR_ADDR], 16);
		id->port = ntohs(nla_get_u16(s[IPVS_SVC_ATTR_PORT]));
	}
	if (s[IPVS_SVC_ATTR_SCHED_NAME])
		snprintf(c->sched, sizeof(c->sched), "%s", nla_get_string(s[IPVS_SVC_ATTR_SCHED_NAME]));
	if (s[IPVS_SVC_ATTR_PE_NAME])
		snprintf(c->pe, sizeof(c->pe), "%s", nla_get_string(s[IPVS_SVC_ATTR_PE_NAME]));
	if (s[IPVS_SVC_ATTR_FLAGS]) {
		struct ip_vs_flags fl;

		nla_memcpy(&fl, s[IPVS_SVC_ATTR_FLAGS], sizeof(fl));
		c->flags = fl.flags & ~IP_VS_SVC_F_HASHED;
	}
	if (s[IPVS_SVC_ATTR_TIMEOUT])
		c->timeout = nla_get_u32(s[IPVS_SVC_ATTR_TIMEOUT]);
	if (s[IPVS_SVC_ATTR_NETMASK])
		c->netmask = nla_get_u32(s[IPVS_SVC_ATTR_NETMASK]);
	c->set = SC_IPVS_ALL;
	if (st)
		parse_stats(s[IPVS_SVC_ATTR_STATS64] ? s[IPVS_SVC_ATTR_STATS64] :
			    s[IPVS_SVC_ATTR_STATS], st);
	return 0;
}

int kipvs_parse_dest(const struct nlattr *nest, int svc_af, struct m_dest *d, bool stats)
{
	struct nlattr *s[IPVS_DEST_ATTR_MAX + 1];

	if (!nest || nlc_nested(s, IPVS_DEST_ATTR_MAX, nest) ||
	    !s[IPVS_DEST_ATTR_ADDR] || !s[IPVS_DEST_ATTR_PORT])
		return -EPROTO;
	memset(d, 0, sizeof(*d));
	d->ap.af = s[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(s[IPVS_DEST_ATTR_ADDR_FAMILY]) : svc_af;
	nla_memcpy(d->ap.addr, s[IPVS_DEST_ATTR_ADDR], 16);
	d->ap.port = ntohs(nla_get_u16(s[IPVS_DEST_ATTR_PORT]));
	if (s[IPVS_DEST_ATTR_FWD_METHOD])
		d->c.fwd = nla_get_u32(s[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK;
	if (s[IPVS_DEST_ATTR_WEIGHT])
		d->c.weight = nla_get_u32(s[IPVS_DEST_ATTR_WEIGHT]);
	if (s[IPVS_DEST_ATTR_U_THRESH])
		d->c.u_thresh = nla_get_u32(s[IPVS_DEST_ATTR_U_THRESH]);
	if (s[IPVS_DEST_ATTR_L_THRESH])
		d->c.l_thresh = nla_get_u32(s[IPVS_DEST_ATTR_L_THRESH]);
	if (s[IPVS_DEST_ATTR_TUN_TYPE])
		d->c.tun_type = nla_get_u8(s[IPVS_DEST_ATTR_TUN_TYPE]);
	if (s[IPVS_DEST_ATTR_TUN_PORT])
		d->c.tun_port = ntohs(nla_get_u16(s[IPVS_DEST_ATTR_TUN_PORT]));
	if (s[IPVS_DEST_ATTR_TUN_FLAGS])
		d->c.tun_flags = nla_get_u16(s[IPVS_DEST_ATTR_TUN_FLAGS]);
	d->c.set = DC_ALL;
	if (s[IPVS_DEST_ATTR_ACTIVE_CONNS])
		d->active = nla_get_u32(s[IPVS_DEST_ATTR_ACTIVE_CONNS]);
	if (s[IPVS_DEST_ATTR_INACT_CONNS])
		d->inactive = nla_get_u32(s[IPVS_DEST_ATTR_INACT_CONNS]);
	if (s[IPVS_DEST_ATTR_PERSIST_CONNS])
		d->persist = nla_get_u32(s[IPVS_DEST_ATTR_PERSIST_CONNS]);
	if (stats)
		parse_stats(s[IPVS_DEST_ATTR_STATS64] ? s[IPVS_DEST_ATTR_STATS64] :
			    s[IPVS_DEST_ATTR_STATS], &d->st);
	d->mg.index = -1;
	return 0;
}

/* ---- config, daemons, info ------------------------------------------------ */

static int timeouts_cb(struct nlattr **tb, void *arg)
{
	struct timeouts *t = arg;

	if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP])
		t->tcp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]);
	if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN])
		t->tcp_fin = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
	if (tb[IPVS_CMD_ATTR_TIMEOUT_UDP])
		t->udp = nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]);
	return 0;
}

int kipvs_get_timeouts(struct nl *nl, struct timeouts *t, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_CONFIG, false, e);

	memset(t, 0, sizeof(*t));
	if (!msg)
		return -errno;
	return nlc_send(nl, msg, timeouts_cb, t, e);
}

int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_SET_CONFIG, false, e);

	if (!msg)
		return -errno;
	if (t->tcp)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t->tcp);
	if (t->tcp_fin)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t->tcp_fin);
	if (t->udp)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t->udp);
	return nlc_send_change(nl, msg, e);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

struct daemons_ctx {
	struct daemon_conf *d;
	int n;
};

static int daemon_cb(struct nlattr **tb, void *arg)
{
	struct nlattr *a[IPVS_DAEMON_ATTR_MAX + 1];
	struct daemons_ctx *c = arg;
	struct daemon_conf *d;

	if (c->n >= 2 || !tb[IPVS_CMD_ATTR_DAEMON] ||
	    nlc_nested(a, IPVS_DAEMON_ATTR_MAX, tb[IPVS_CMD_ATTR_DAEMON]))
		return 0;
	d = &c->d[c->n++];
	memset(d, 0, sizeof(*d));
	if (a[IPVS_DAEMON_ATTR_STATE])
		d->state = nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]);
	if (a[IPVS_DAEMON_ATTR_MCAST_IFN])
		snprintf(d->ifname, sizeof(d->ifname), "%s", nla_get_string(a[IPVS_DAEMON_ATTR_MCAST_IFN]));
	if (a[IPVS_DAEMON_ATTR_SYNC_ID])
		d->syncid = nla_get_u32(a[IPVS_DAEMON_ATTR_SYNC_ID]);
	if (a[IPVS_DAEMON_ATTR_SYNC_MAXLEN])
		d->maxlen = nla_get_u16(a[IPVS_DAEMON_ATTR_SYNC_MAXLEN]);
	if (a[IPVS_DAEMON_ATTR_MCAST_PORT])
		d->port = nla_get_u16(a[IPVS_DAEMON_ATTR_MCAST_PORT]);
	if (a[IPVS_DAEMON_ATTR_MCAST_TTL])
		d->ttl = nla_get_u8(a[IPVS_DAEMON_ATTR_MCAST_TTL]);
	if (a[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
		d->group_af = AF_INET6;
		nla_memcpy(d->group, a[IPVS_DAEMON_ATTR_MCAST_GROUP6], 16);
	} else if (a[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
		d->group_af = AF_INET;
		nla_memcpy(d->group, a[IPVS_DAEMON_ATTR_MCAST_GROUP], 4);
	}
	return 0;
}

int kipvs_get_daemons(struct nl *nl, struct daemon_conf *d, int *n, struct nl_err *e)
{
	struct daemons_ctx c = { .d = d };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DAEMON, true, e);
	int err;

	if (!msg)
		return -errno;
	err = nlc_send(nl, msg, daemon_cb, &c, e);
	*n = c.n;
	return err;
}

int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_NEW_DAEMON, false, e);
	struct nlattr *nest;

	if (!msg)
		return -errno;
	nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
	if (!nest)
		goto nla_put_failure;
	NLA_PUT_U32(msg, IPVS_DAEMON_ATTR_STATE, d->state);
	NLA_PUT_STRING(msg, IPVS_DAEMON_ATTR_MCAST_IFN, d->ifname);
	NLA_PUT_U32(msg, IPVS_DAEMON_ATTR_SYNC_ID, d->syncid);
	if (d->maxlen)
		NLA_PUT_U16(msg, IPVS_DAEMON_ATTR_SYNC_MAXLEN, d->maxlen);
	if (d->group_af == AF_INET)
		NLA_PUT(msg, IPVS_DAEMON_ATTR_MCAST_GROUP, 4, d->group);
	else if (d->group_af == AF_INET6)
		NLA_PUT(msg, IPVS_DAEMON_ATTR_MCAST_GROUP6, 16, d->group);
	if (d->port)
		NLA_PUT_U16(msg, IPVS_DAEMON_ATTR_MCAST_PORT, d->port);
	if (d->ttl)
		NLA_PUT_U8(msg, IPVS_DAEMON_ATTR_MCAST_TTL, d->ttl);
	nla_nest_end(msg, nest);
	return nlc_send_change(nl, msg, e);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int kipvs_stop_daemon(struct nl *nl, uint32_t state, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_DEL_DAEMON, false, e);
	struct nlattr *nest;

	if (!msg)
		return -errno;
	nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
	if (!nest)
		goto nla_put_failure;
	NLA_PUT_U32(msg, IPVS_DAEMON_ATTR_STATE, state);
	nla_nest_end(msg, nest);
	return nlc_send_change(nl, msg, e);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}
