// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: codec for the kernel's IPVS generic netlink family
 * (include/uapi/linux/ip_vs.h). Services are dumped in one request (or,
 * a few among many, got one by one); the backends of each service take a
 * dump request each, pipelined over a few sockets (nl.c, nlc_send_many()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include <linux/ip_vs_maglev.h>

#include "kernel/ipvs.h"
#include "kernel/maglev.h"

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

static int put_svc(struct nl_msg *msg, const struct svc_id *id,
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
		   const struct dest_conf *dc)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, cmd, false);

	if (!msg)
		return -errno;
	if ((id && put_svc(msg, id, sc)) || (ap && put_dest(msg, ap, dc))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nl->requests++;
	return nlc_send(nl, msg, NULL, NULL);
}

int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c)
{
	return ipvs_do(nl, IPVS_CMD_NEW_SERVICE, id, c, NULL, NULL);
}

int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c)
{
	return ipvs_do(nl, IPVS_CMD_SET_SERVICE, id, c, NULL, NULL);
}

int kipvs_svc_del(struct nl *nl, const struct svc_id *id)
{
	return ipvs_do(nl, IPVS_CMD_DEL_SERVICE, id, NULL, NULL, NULL);
}

int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c)
{
	return ipvs_do(nl, IPVS_CMD_NEW_DEST, id, NULL, ap, c);
}

int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c)
{
	return ipvs_do(nl, IPVS_CMD_SET_DEST, id, NULL, ap, c);
}

int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap)
{
	return ipvs_do(nl, IPVS_CMD_DEL_DEST, id, NULL, ap, NULL);
}

int kipvs_flush(struct nl *nl)
{
	return ipvs_do(nl, IPVS_CMD_FLUSH, NULL, NULL, NULL, NULL);
}

int kipvs_zero(struct nl *nl, const struct svc_id *id)
{
	return ipvs_do(nl, IPVS_CMD_ZERO, id, NULL, NULL, NULL);
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

static int nl_parse_svc(const struct nlattr *nest, struct svc_id *id, struct svc_conf *c,
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

static int nl_parse_dest(const struct nlattr *nest, int svc_af, struct m_dest *d, bool stats)
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
	d->mg_index = -1;
	return 0;
}

struct load_ctx {
	struct model *m;
	struct m_svc *svc;	/* for dest dumps */
	bool no_stats;		/* backends' counters not wanted (LOAD_NO_STATS) */
	int err;
};

static int svc_cb(struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;
	struct svc_conf c;
	struct stats st;
	struct svc_id id;
	struct m_svc *s;
	int err;

	err = nl_parse_svc(tb[IPVS_CMD_ATTR_SERVICE], &id, &c, &st);
	if (err)
		return err;
	s = model_find(l->m, &id);
	if (!s)
		s = model_add(l->m, &id);
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->st = st;
	return 0;
}

static int dest_cb(struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;
	struct m_dest d, *nd;
	int err;

	err = nl_parse_dest(tb[IPVS_CMD_ATTR_DEST], l->svc->id.af, &d, !l->no_stats);
	if (err)
		return err;
	nd = svc_add_dest(l->svc, &d.ap);
	if (!nd)
		return -ENOMEM;
	*nd = d;
	return 0;
}

static int load_dests(struct nl *nl, struct m_svc *s, bool no_stats)
{
	struct load_ctx l = { .svc = s, .no_stats = no_stats };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DEST, true);

	if (!msg)
		return -errno;
	if (put_svc(msg, &s->id, NULL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	s->ndests = 0;
	return nlc_send(nl, msg, dest_cb, &l);
}

struct dest_many {
	struct m_svc **svcs;
	bool no_stats;
};

static int dest_many_cb(size_t idx, struct nlattr **tb, void *arg)
{
	struct dest_many *dm = arg;
	struct load_ctx l = { .svc = dm->svcs[idx], .no_stats = dm->no_stats };

	return dest_cb(tb, &l);
}

/* The backends of @n services: pipelined (nlc_send_many()), or, if that
 * exchange fails as a whole, one dump at a time on the main socket.
 */
static int load_dests_many(struct nl *nl, struct m_svc **svcs, size_t n, bool no_stats)
{
	struct dest_many dm = { svcs, no_stats };
	struct nl_msg **reqs;
	size_t i, j;
	int *errs, err = -ENOMEM;

	if (!n)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	errs = calloc(n, sizeof(*errs));
	if (!reqs || !errs)
		goto out;
	for (i = 0; i < n; i++) {
		reqs[i] = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DEST, true);
		if (!reqs[i] || put_svc(reqs[i], &svcs[i]->id, NULL)) {
			err = reqs[i] ? -EMSGSIZE : -errno;
			for (j = 0; j <= i; j++)
				nlmsg_free(reqs[j]);
			goto out;
		}
		svcs[i]->ndests = 0;
	}
	/* dest_many_cb() touches only its own service: two threads can */
	err = nlc_send_many_par(nl, reqs, n, dest_many_cb, &dm, errs);
	for (i = 0; !err && i < n; i++)
		err = errs[i];
	if (err && err != -ENOMEM) {
		/* start again, the slow way */
		for (i = 0, err = 0; !err && i < n; i++)
			err = load_dests(nl, svcs[i], no_stats);
	}
out:
	free(reqs);
	free(errs);
	return err;
}

/* ---- maglev state merged in ------------------------------------------------ */

static int mg_svc_cb(const struct mg_svc_state *st, void *arg)
{
	struct model *m = arg;
	struct m_svc *s = model_find(m, &st->id);

	if (!s)
		return 0;	/* appeared between the two dumps */
	s->has_mg = true;
	s->c.mg_table_size = st->p.table_size;
	s->c.mg_hash = st->p.hash;
	s->c.ss_window_ms = st->p.ss_window_ms;
	s->c.ss_aggr = st->p.ss_aggression;
	s->c.ss_min_pct = st->p.ss_min_pct;
	s->c.set |= SC_MG_ALL;
	s->c.pin = st->p.pin;
	s->c.pin_max = st->p.pin_max;
	s->mg.pin_active = st->pins.active;
	s->mg.pin_entries = st->pins.entries;
	s->mg.pin_hits = st->pins.hits;
	s->mg.pin_misses = st->pins.misses;
	s->mg.pin_inserts = st->pins.inserts;
	s->mg.pin_insert_fails = st->pins.insert_fails;
	s->mg.pin_evictions = st->pins.evictions;
	s->mg.pin_expiries = st->pins.expiries;
	s->mg.pin_dropped = st->pins.dropped;
	s->mg.ramping = st->ramping;
	s->mg.ramp_builds = st->ramp_builds;
	s->mg.ramp_skips = st->ramp_skips;
	s->mg.table_size_active = st->table_size_active;
	s->mg.backends = st->backends;
	s->mg.owners = st->owners;
	s->mg.last_error = st->last_error;
	s->mg.hash_active = st->hash_active;
	s->mg.pending = st->pending;
	s->mg.has_seed = st->has_seed;
	s->mg.seed = st->seed;
	s->mg.seed_fp = st->seed_fp;
	s->mg.rebuilds = st->rebuilds;
	s->mg.rebuild_fails = st->rebuild_fails;
	s->mg.age_ms = st->age_ms;
	s->mg.build_ns = st->build_ns;
	s->mg.digest = st->digest;
	s->mg.table_bytes = st->table_bytes;
	s->mg.state_bytes = st->state_bytes;
	return 0;
}

static int mg_be_cb(const struct mg_be_state *be, void *arg)
{
	struct m_svc *s = arg;
	struct m_dest *d = svc_find_dest(s, &be->ap);

	if (!d)
		return 0;
	d->has_mg = true;
	d->mg_eff_weight = be->eff_weight;
	d->mg_slots = be->slots;
	d->mg_share_ppm = be->share_ppm;
	d->mg_index = be->index;
	d->mg_available = be->available;
	d->mg_ramping = be->ramping;
	d->mg_ramp_left_ms = be->ramp_left_ms;
	d->mg_down = be->down;
	d->mg_pins = be->pins;
	d->mg_saved_weight = be->saved_weight;
	d->mg_drain_deadline = be->drain_deadline;
	return 0;
}

static bool is_maglev(const struct m_svc *s)
{
	return sched_is_maglev(s->c.sched);
}

static int mg_be_many_cb(size_t idx, const struct mg_be_state *be, void *arg)
{
	struct m_svc **svcs = arg;

	return mg_be_cb(be, svcs[idx]);
}

static int load_maglev(struct nl *nl, struct model *m, unsigned int what)
{
	const struct svc_id **ids = NULL;
	struct m_svc **svcs = NULL;
	size_t i, n = 0;
	int *errs = NULL, err;

	for (i = 0; i < m->n && !(is_maglev(&m->svcs[i]) && m->svcs[i].loaded); i++)
		;
	if (i == m->n)
		return 0;	/* no maglev service: do not load the module */
	err = kmaglev_dump_svcs(nl, mg_svc_cb, m);
	if (err)
		return err;
	if (!(what & LOAD_DESTS))
		return 0;
	svcs = calloc(m->n, sizeof(*svcs));
	ids = calloc(m->n, sizeof(*ids));
	errs = calloc(m->n, sizeof(*errs));
	err = -ENOMEM;
	if (!svcs || !ids || !errs)
		goto out;
	for (i = 0; i < m->n; i++) {
		if (!m->svcs[i].has_mg || !m->svcs[i].loaded)
			continue;
		svcs[n] = &m->svcs[i];
		ids[n++] = &m->svcs[i].id;
	}
	err = kmaglev_dump_backends_many(nl, ids, n, mg_be_many_cb, svcs, errs);
	for (i = 0; !err && i < n; i++)
		if (errs[i] != -ENOENT)	/* the service left meanwhile */
			err = errs[i];
out:
	free(svcs);
	free(ids);
	free(errs);
	return err;
}

/* Backends and maglev state (@what) of the services marked loaded. */
static int load_details(struct nl *nl, struct model *m, unsigned int what)
{
	struct m_svc **svcs;
	size_t i, n = 0;
	int err;

	if (what & LOAD_DESTS) {
		svcs = calloc(m->n ? m->n : 1, sizeof(*svcs));
		if (!svcs)
			return -ENOMEM;
		for (i = 0; i < m->n; i++)
			if (m->svcs[i].loaded)
				svcs[n++] = &m->svcs[i];
		err = load_dests_many(nl, svcs, n, what & LOAD_NO_STATS);
		free(svcs);
		if (err)
			return err;
	}
	return (what & LOAD_MAGLEV) ? load_maglev(nl, m, what) : 0;
}

static int load_some_once(struct nl *nl, struct model *m, unsigned int what,
			  bool (*want)(const struct m_svc *s, void *arg), void *arg)
{
	struct load_ctx l = { .m = m };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, true);
	size_t i;
	int err;

	if (!msg)
		return -errno;
	err = nlc_send(nl, msg, svc_cb, &l);
	if (err)
		return err;
	for (i = 0; i < m->n; i++)
		m->svcs[i].loaded = !want || want(&m->svcs[i], arg);
	return load_details(nl, m, what);
}

static int svc_many_cb(size_t idx, struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;

	(void)idx;
	return svc_cb(tb, l);
}

/* one service's GET on the main socket, into @l's model */
static int load_one_svc(struct nl *nl, struct load_ctx *l, const struct svc_id *id)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, false);

	if (!msg)
		return -errno;
	if (put_svc(msg, id, NULL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send(nl, msg, svc_cb, l);
}

static int load_named_once(struct nl *nl, struct model *m, unsigned int what,
			   const struct model *names)
{
	struct load_ctx l = { .m = m };
	struct nl_msg **reqs;
	size_t i, j;
	int *errs, err = -ENOMEM;

	if (!names->n)
		return 0;
	reqs = calloc(names->n, sizeof(*reqs));
	errs = calloc(names->n, sizeof(*errs));
	if (!reqs || !errs)
		goto out;
	for (i = 0; i < names->n; i++) {
		reqs[i] = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, false);
		if (!reqs[i] || put_svc(reqs[i], &names->svcs[i].id, NULL)) {
			err = reqs[i] ? -EMSGSIZE : -errno;
			for (j = 0; j <= i; j++)
				nlmsg_free(reqs[j]);
			goto out;
		}
	}
	err = nlc_send_many(nl, reqs, names->n, svc_many_cb, &l, errs);
	for (i = 0; !err && i < names->n; i++)
		if (errs[i] && errs[i] != -ESRCH && errs[i] != -ENOENT)
			err = errs[i];
	if (err && err != -ENOMEM) {
		/* start again, the slow way, as load_dests_many() does: one
		 * request at a time on the main socket
		 */
		model_free(m);
		model_init(m);
		for (i = 0, err = 0; !err && i < names->n; i++) {
			err = load_one_svc(nl, &l, &names->svcs[i].id);
			if (err == -ESRCH || err == -ENOENT)
				err = 0;
		}
	}
	if (err)
		goto out;
	for (i = 0; i < m->n; i++)
		m->svcs[i].loaded = true;
	err = load_details(nl, m, what);
out:
	free(reqs);
	free(errs);
	return err;
}

static int load_one_once(struct nl *nl, struct model *m, const struct svc_id *id,
			 unsigned int what)
{
	struct load_ctx l = { .m = m };
	struct m_svc *s;
	int err;

	err = load_one_svc(nl, &l, id);
	if (err == -ESRCH)
		err = -ENOENT;
	if (err)
		return err;
	s = model_find(m, id);
	if (!s)
		return -ENOENT;
	s->loaded = true;
	if (what & LOAD_DESTS) {
		err = load_dests(nl, s, what & LOAD_NO_STATS);
		if (err)
			return err;
	}
	if ((what & LOAD_MAGLEV) && is_maglev(s)) {
		struct mg_svc_state st;

		err = kmaglev_get_svc(nl, id, &st);
		if (err)
			return err;
		mg_svc_cb(&st, m);
		s = model_find(m, id);
		if (what & LOAD_DESTS) {
			err = kmaglev_dump_backends(nl, id, mg_be_cb, s);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * A dump interrupted by a concurrent change (-EAGAIN from nl.c: the maglev
 * module marks its dumps so when its generation moved) may have skipped
 * or repeated entries: the whole state is read again, from an empty
 * model, a few times at most. Every caller passes an empty model.
 */
#define LOAD_TRIES 5

#define LOAD_AGAIN(m, call)						\
	({								\
		int __err, __try = 0;					\
		while ((__err = (call)) == -EAGAIN && ++__try < LOAD_TRIES) { \
			model_free(m);					\
			model_init(m);					\
		}							\
		__err;							\
	})

int kipvs_load_some(struct nl *nl, struct model *m, unsigned int what,
		    bool (*want)(const struct m_svc *s, void *arg), void *arg)
{
	return LOAD_AGAIN(m, load_some_once(nl, m, what, want, arg));
}

int kipvs_load_named(struct nl *nl, struct model *m, unsigned int what,
		     const struct model *names)
{
	return LOAD_AGAIN(m, load_named_once(nl, m, what, names));
}

int kipvs_load(struct nl *nl, struct model *m, unsigned int what)
{
	return kipvs_load_some(nl, m, what, NULL, NULL);
}

int kipvs_load_one(struct nl *nl, struct model *m, const struct svc_id *id,
		   unsigned int what)
{
	return LOAD_AGAIN(m, load_one_once(nl, m, id, what));
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

int kipvs_get_timeouts(struct nl *nl, struct timeouts *t)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_CONFIG, false);

	memset(t, 0, sizeof(*t));
	if (!msg)
		return -errno;
	return nlc_send(nl, msg, timeouts_cb, t);
}

int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_SET_CONFIG, false);

	if (!msg)
		return -errno;
	if (t->tcp)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, t->tcp);
	if (t->tcp_fin)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t->tcp_fin);
	if (t->udp)
		NLA_PUT_U32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, t->udp);
	nl->requests++;
	return nlc_send(nl, msg, NULL, NULL);
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

int kipvs_get_daemons(struct nl *nl, struct daemon_conf *d, int *n)
{
	struct daemons_ctx c = { .d = d };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DAEMON, true);
	int err;

	if (!msg)
		return -errno;
	err = nlc_send(nl, msg, daemon_cb, &c);
	*n = c.n;
	return err;
}

int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_NEW_DAEMON, false);
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
	nl->requests++;
	return nlc_send(nl, msg, NULL, NULL);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int kipvs_stop_daemon(struct nl *nl, uint32_t state)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_DEL_DAEMON, false);
	struct nlattr *nest;

	if (!msg)
		return -errno;
	nest = nla_nest_start(msg, IPVS_CMD_ATTR_DAEMON);
	if (!nest)
		goto nla_put_failure;
	NLA_PUT_U32(msg, IPVS_DAEMON_ATTR_STATE, state);
	nla_nest_end(msg, nest);
	nl->requests++;
	return nlc_send(nl, msg, NULL, NULL);
nla_put_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

struct info_ctx {
	uint32_t *version, *size;
};

static int info_cb(struct nlattr **tb, void *arg)
{
	struct info_ctx *c = arg;

	if (tb[IPVS_INFO_ATTR_VERSION])
		*c->version = nla_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
	if (tb[IPVS_INFO_ATTR_CONN_TAB_SIZE])
		*c->size = nla_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
	return 0;
}

int kipvs_info(struct nl *nl, uint32_t *version, uint32_t *conn_tab_size)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_INFO, false);
	struct info_ctx c = { version, conn_tab_size };

	if (!msg)
		return -errno;
	*version = *conn_tab_size = 0;
	return nlc_send(nl, msg, info_cb, &c);
}
