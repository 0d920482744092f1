// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: codec for the IPVS_MAGLEV generic netlink family.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include <linux/ip_vs_maglev.h>

#include "kernel/maglev.h"
#include "model/model.h"

/* a service's identity, inside an IPVS_MAGLEV_A_SERVICE nest */
static int put_svc_id_attrs(struct nl_msg *msg, const struct svc_id *id)
{
	NLA_PUT_U16(msg, IPVS_MAGLEV_SVC_A_AF, id->af);
	if (id->fwmark) {
		NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_FWMARK, id->fwmark);
	} else {
		NLA_PUT_U16(msg, IPVS_MAGLEV_SVC_A_PROTOCOL, id->proto);
		NLA_PUT(msg, IPVS_MAGLEV_SVC_A_ADDR, id->af == AF_INET6 ? 16 : 4, id->addr);
		NLA_PUT_U16(msg, IPVS_MAGLEV_SVC_A_PORT, htons(id->port));
	}
	return 0;
nla_put_failure:
	return -EMSGSIZE;
}

/* the nest with the identity alone */
static int put_svc_id(struct nl_msg *msg, const struct svc_id *id)
{
	struct nlattr *nest = nla_nest_start(msg, IPVS_MAGLEV_A_SERVICE);

	if (!nest || put_svc_id_attrs(msg, id))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static void get_addr(const struct nlattr *a, int af, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (a)
		memcpy(addr, nla_data(a), nla_len(a) > 16 ? 16 : nla_len(a));
	(void)af;
}

static void parse_svc_id(struct nlattr **s, struct svc_id *id)
{
	memset(id, 0, sizeof(*id));
	if (s[IPVS_MAGLEV_SVC_A_AF])
		id->af = nla_get_u16(s[IPVS_MAGLEV_SVC_A_AF]);
	if (s[IPVS_MAGLEV_SVC_A_FWMARK]) {
		id->fwmark = nla_get_u32(s[IPVS_MAGLEV_SVC_A_FWMARK]);
		return;
	}
	if (s[IPVS_MAGLEV_SVC_A_PROTOCOL])
		id->proto = nla_get_u16(s[IPVS_MAGLEV_SVC_A_PROTOCOL]);
	get_addr(s[IPVS_MAGLEV_SVC_A_ADDR], id->af, id->addr);
	if (s[IPVS_MAGLEV_SVC_A_PORT])
		id->port = ntohs(nla_get_u16(s[IPVS_MAGLEV_SVC_A_PORT]));
}

#define GET_U8(tb, a, dst)  do { if ((tb)[a]) (dst) = nla_get_u8((tb)[a]); } while (0)
#define GET_U32(tb, a, dst) do { if ((tb)[a]) (dst) = nla_get_u32((tb)[a]); } while (0)
#define GET_U64(tb, a, dst) do { if ((tb)[a]) (dst) = nla_get_u64((tb)[a]); } while (0)

static int parse_svc_state(struct nlattr **tb, struct mg_svc_state *st)
{
	struct nlattr *s[IPVS_MAGLEV_SVC_A_MAX + 1];

	if (!tb[IPVS_MAGLEV_A_SERVICE] ||
	    nlc_nested(s, IPVS_MAGLEV_SVC_A_MAX, tb[IPVS_MAGLEV_A_SERVICE]))
		return -EPROTO;
	memset(st, 0, sizeof(*st));
	parse_svc_id(s, &st->id);
	GET_U32(s, IPVS_MAGLEV_SVC_A_TABLE_SIZE, st->p.table_size);
	GET_U8(s, IPVS_MAGLEV_SVC_A_HASH, st->p.hash);
	GET_U32(s, IPVS_MAGLEV_SVC_A_SS_WINDOW_MS, st->p.ss_window_ms);
	GET_U32(s, IPVS_MAGLEV_SVC_A_SS_AGGRESSION, st->p.ss_aggression);
	GET_U32(s, IPVS_MAGLEV_SVC_A_SS_MIN_PCT, st->p.ss_min_pct);
	GET_U32(s, IPVS_MAGLEV_SVC_A_RAMPING, st->ramping);
	GET_U64(s, IPVS_MAGLEV_SVC_A_RAMP_BUILDS, st->ramp_builds);
	GET_U64(s, IPVS_MAGLEV_SVC_A_RAMP_SKIPS, st->ramp_skips);
	GET_U8(s, IPVS_MAGLEV_SVC_A_PIN, st->p.pin);
	GET_U32(s, IPVS_MAGLEV_SVC_A_PIN_MAX, st->p.pin_max);
	st->pins.active = s[IPVS_MAGLEV_SVC_A_PIN_ACTIVE] != NULL;
	GET_U32(s, IPVS_MAGLEV_SVC_A_PIN_ENTRIES, st->pins.entries);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_HITS, st->pins.hits);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_MISSES, st->pins.misses);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_INSERTS, st->pins.inserts);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_INSERT_FAILS, st->pins.insert_fails);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_EVICTIONS, st->pins.evictions);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_EXPIRIES, st->pins.expiries);
	GET_U64(s, IPVS_MAGLEV_SVC_A_PIN_DROPPED, st->pins.dropped);
	GET_U8(s, IPVS_MAGLEV_SVC_A_HASH_ACTIVE, st->hash_active);
	GET_U32(s, IPVS_MAGLEV_SVC_A_TABLE_SIZE_ACTIVE, st->table_size_active);
	GET_U32(s, IPVS_MAGLEV_SVC_A_BACKENDS, st->backends);
	GET_U32(s, IPVS_MAGLEV_SVC_A_OWNERS, st->owners);
	GET_U32(s, IPVS_MAGLEV_SVC_A_LAST_ERROR, st->last_error);
	st->has_seed = s[IPVS_MAGLEV_SVC_A_SEED] != NULL;
	GET_U64(s, IPVS_MAGLEV_SVC_A_SEED, st->seed);
	GET_U64(s, IPVS_MAGLEV_SVC_A_SEED_FP, st->seed_fp);
	GET_U64(s, IPVS_MAGLEV_SVC_A_REBUILDS, st->rebuilds);
	GET_U64(s, IPVS_MAGLEV_SVC_A_REBUILD_FAILS, st->rebuild_fails);
	GET_U64(s, IPVS_MAGLEV_SVC_A_LAST_REBUILD_AGE_MS, st->age_ms);
	GET_U64(s, IPVS_MAGLEV_SVC_A_BUILD_NS, st->build_ns);
	GET_U64(s, IPVS_MAGLEV_SVC_A_DIGEST, st->digest);
	GET_U64(s, IPVS_MAGLEV_SVC_A_TABLE_BYTES, st->table_bytes);
	GET_U64(s, IPVS_MAGLEV_SVC_A_STATE_BYTES, st->state_bytes);
	st->has_table = s[IPVS_MAGLEV_SVC_A_TABLE_SIZE_ACTIVE] != NULL;
	st->pending = s[IPVS_MAGLEV_SVC_A_PENDING] != NULL;
	st->as_mh = s[IPVS_MAGLEV_SVC_A_AS_MH] != NULL;
	st->serving = s[IPVS_MAGLEV_SVC_A_SERVING_MS] != NULL;
	GET_U64(s, IPVS_MAGLEV_SVC_A_SERVING_MS, st->serving_ms);
	return 0;
}

static int parse_backend(const struct nlattr *nest, struct mg_be_state *be)
{
	struct nlattr *b[IPVS_MAGLEV_BE_A_MAX + 1];

	if (!nest || nlc_nested(b, IPVS_MAGLEV_BE_A_MAX, nest))
		return -EPROTO;
	memset(be, 0, sizeof(*be));
	if (b[IPVS_MAGLEV_BE_A_AF])
		be->ap.af = nla_get_u16(b[IPVS_MAGLEV_BE_A_AF]);
	get_addr(b[IPVS_MAGLEV_BE_A_ADDR], be->ap.af, be->ap.addr);
	if (b[IPVS_MAGLEV_BE_A_PORT])
		be->ap.port = ntohs(nla_get_u16(b[IPVS_MAGLEV_BE_A_PORT]));
	GET_U32(b, IPVS_MAGLEV_BE_A_WEIGHT, be->weight);
	GET_U32(b, IPVS_MAGLEV_BE_A_EFF_WEIGHT, be->eff_weight);
	GET_U32(b, IPVS_MAGLEV_BE_A_SLOTS, be->slots);
	GET_U32(b, IPVS_MAGLEV_BE_A_SHARE_PPM, be->share_ppm);
	be->index = b[IPVS_MAGLEV_BE_A_INDEX] ? (int64_t)nla_get_u32(b[IPVS_MAGLEV_BE_A_INDEX]) : -1;
	be->available = b[IPVS_MAGLEV_BE_A_AVAILABLE] != NULL;
	be->ramping = b[IPVS_MAGLEV_BE_A_RAMP_LEFT_MS] != NULL;
	GET_U32(b, IPVS_MAGLEV_BE_A_RAMP_LEFT_MS, be->ramp_left_ms);
	be->in_table = b[IPVS_MAGLEV_BE_A_RAMP_PPM] != NULL;
	GET_U32(b, IPVS_MAGLEV_BE_A_RAMP_PPM, be->ramp_ppm);
	be->down = b[IPVS_MAGLEV_BE_A_DOWN] && nla_get_u8(b[IPVS_MAGLEV_BE_A_DOWN]);
	GET_U32(b, IPVS_MAGLEV_BE_A_PINS, be->pins);
	GET_U32(b, IPVS_MAGLEV_BE_A_SAVED_WEIGHT, be->saved_weight);
	GET_U64(b, IPVS_MAGLEV_BE_A_DRAIN_DEADLINE, be->drain_deadline);
	return 0;
}

/* ---- info ---------------------------------------------------------------- */

static int info_cb(struct nlattr **tb, void *arg)
{
	struct nlattr *i[IPVS_MAGLEV_INFO_A_MAX + 1];
	struct mg_info *info = arg;

	if (!tb[IPVS_MAGLEV_A_INFO] ||
	    nlc_nested(i, IPVS_MAGLEV_INFO_A_MAX, tb[IPVS_MAGLEV_A_INFO]))
		return -EPROTO;
	if (i[IPVS_MAGLEV_INFO_A_VERSION])
		snprintf(info->version, sizeof(info->version), "%s",
			 nla_get_string(i[IPVS_MAGLEV_INFO_A_VERSION]));
	info->has_seed = i[IPVS_MAGLEV_INFO_A_SEED] != NULL;
	GET_U64(i, IPVS_MAGLEV_INFO_A_SEED, info->seed);
	GET_U64(i, IPVS_MAGLEV_INFO_A_SEED_FP, info->seed_fp);
	info->has_host = i[IPVS_MAGLEV_INFO_A_PIN_ENTRIES_HOST] != NULL;
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_MAX_HOST, info->pin_max_host);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_MAX_USERNS, info->pin_max_userns);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_ENTRIES_HOST, info->pin_entries_host);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_ENTRIES_USERNS, info->pin_entries_userns);
	GET_U32(i, IPVS_MAGLEV_INFO_A_TABLE_SIZE, info->table_size);
	GET_U32(i, IPVS_MAGLEV_INFO_A_SERVICES, info->services);
	info->ss_aggression = 1000;
	info->ss_min_pct = 10;
	GET_U32(i, IPVS_MAGLEV_INFO_A_SS_WINDOW_MS, info->ss_window_ms);
	GET_U32(i, IPVS_MAGLEV_INFO_A_SS_AGGRESSION, info->ss_aggression);
	GET_U32(i, IPVS_MAGLEV_INFO_A_SS_MIN_PCT, info->ss_min_pct);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_MAX, info->pin_max);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_TIMEOUT_MS, info->pin_timeout_ms);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_ENTRIES, info->pin_entries);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_BYTES4, info->pin_bytes4);
	GET_U32(i, IPVS_MAGLEV_INFO_A_PIN_BYTES6, info->pin_bytes6);
	return 0;
}

int kmaglev_info(struct nl *nl, struct mg_info *info, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_GET_INFO, false, e);

	memset(info, 0, sizeof(*info));
	if (!msg)
		return -errno;
	return nlc_send(nl, msg, info_cb, info, e);
}

/* ---- services --------------------------------------------------------- */

static int svc_cb(struct nlattr **tb, void *arg)
{
	return parse_svc_state(tb, arg);
}

int kmaglev_get_svc(struct nl *nl, const struct svc_id *id, struct mg_svc_state *st,
		    struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_GET_SERVICE, false, e);

	if (!msg)
		return -errno;
	if (put_svc_id(msg, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send(nl, msg, svc_cb, st, e);
}

struct dump_svcs_ctx {
	int (*fn)(const struct mg_svc_state *st, void *arg);
	void *arg;
};

static int dump_svcs_cb(struct nlattr **tb, void *arg)
{
	struct dump_svcs_ctx *d = arg;
	struct mg_svc_state st;
	int err = parse_svc_state(tb, &st);

	return err ? err : d->fn(&st, d->arg);
}

int kmaglev_dump_svcs(struct nl *nl, int (*fn)(const struct mg_svc_state *st, void *arg),
		      void *arg, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_GET_SERVICE, true, e);
	struct dump_svcs_ctx d = { fn, arg };

	if (!msg)
		return -errno;
	return nlc_send(nl, msg, dump_svcs_cb, &d, e);
}

struct dump_be_ctx {
	int (*fn)(const struct mg_be_state *be, void *arg);
	void *arg;
};

static int dump_be_cb(struct nlattr **tb, void *arg)
{
	struct dump_be_ctx *d = arg;
	struct mg_be_state be;
	int err = parse_backend(tb[IPVS_MAGLEV_A_BACKEND], &be);

	return err ? err : d->fn(&be, d->arg);
}

int kmaglev_dump_backends(struct nl *nl, const struct svc_id *id,
			  int (*fn)(const struct mg_be_state *be, void *arg), void *arg,
			  struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_GET_BACKEND, true, e);
	struct dump_be_ctx d = { fn, arg };

	if (!msg)
		return -errno;
	if (put_svc_id(msg, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send(nl, msg, dump_be_cb, &d, e);
}

struct dump_be_many_ctx {
	int (*fn)(size_t idx, const struct mg_be_state *be, void *arg);
	void *arg;
};

static int dump_be_many_cb(size_t idx, struct nlattr **tb, void *arg)
{
	struct dump_be_many_ctx *d = arg;
	struct mg_be_state be;
	int err = parse_backend(tb[IPVS_MAGLEV_A_BACKEND], &be);

	return err ? err : d->fn(idx, &be, d->arg);
}

int kmaglev_dump_backends_many(struct nl *nl, const struct svc_id *const *ids, size_t n,
			       int (*fn)(size_t idx, const struct mg_be_state *be, void *arg),
			       void *arg, int *errs, struct nl_err *e)
{
	struct dump_be_many_ctx d = { fn, arg };
	struct nl_msg **reqs = calloc(n ? n : 1, sizeof(*reqs));
	size_t i, j;
	int err;

	nlc_err_clear(e);
	if (!reqs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		reqs[i] = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_GET_BACKEND, true, e);
		if (!reqs[i] || put_svc_id(reqs[i], ids[i])) {
			err = reqs[i] ? -EMSGSIZE : -errno;
			for (j = 0; j <= i; j++)
				nlmsg_free(reqs[j]);
			free(reqs);
			return err;
		}
	}
	err = nlc_send_many(nl, reqs, n, dump_be_many_cb, &d, errs, e);
	free(reqs);
	return err;
}

int kmaglev_set_svc(struct nl *nl, const struct svc_id *id, const struct mg_params *p,
		    struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_SET_SERVICE, false, e);
	struct nlattr *nest;

	if (!msg)
		return -errno;
	nest = nla_nest_start(msg, IPVS_MAGLEV_A_SERVICE);
	if (!nest || put_svc_id_attrs(msg, id))
		goto err;
	/* every parameter: the planner sends a service's whole set */
	NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_TABLE_SIZE, p->table_size);
	NLA_PUT_U8(msg, IPVS_MAGLEV_SVC_A_HASH, p->hash);
	NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_SS_WINDOW_MS, p->ss_window_ms);
	NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_SS_AGGRESSION, p->ss_aggression);
	NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_SS_MIN_PCT, p->ss_min_pct);
	NLA_PUT_U8(msg, IPVS_MAGLEV_SVC_A_PIN, p->pin);
	NLA_PUT_U32(msg, IPVS_MAGLEV_SVC_A_PIN_MAX, p->pin_max);
	nla_nest_end(msg, nest);
	return nlc_send_change(nl, msg, e);

nla_put_failure:
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* ---- lookup -------------------------------------------------------------- */

static int lookup_cb(struct nlattr **tb, void *arg)
{
	struct nlattr *b[IPVS_MAGLEV_BE_A_MAX + 1];
	struct mg_lookup *lk = arg;

	if (!tb[IPVS_MAGLEV_A_BACKEND] ||
	    nlc_nested(b, IPVS_MAGLEV_BE_A_MAX, tb[IPVS_MAGLEV_A_BACKEND]))
		return -EPROTO;
	if (b[IPVS_MAGLEV_BE_A_AF])
		lk->backend.af = nla_get_u16(b[IPVS_MAGLEV_BE_A_AF]);
	get_addr(b[IPVS_MAGLEV_BE_A_ADDR], lk->backend.af, lk->backend.addr);
	if (b[IPVS_MAGLEV_BE_A_PORT])
		lk->backend.port = ntohs(nla_get_u16(b[IPVS_MAGLEV_BE_A_PORT]));
	GET_U32(b, IPVS_MAGLEV_BE_A_INDEX, lk->index);
	GET_U32(b, IPVS_MAGLEV_BE_A_SLOT, lk->slot);
	lk->fallback = b[IPVS_MAGLEV_BE_A_FALLBACK] != NULL;
	return 0;
}

int kmaglev_lookup(struct nl *nl, const struct svc_id *id, struct mg_lookup *lk,
		   struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_LOOKUP, false, e);
	struct nlattr *f;
	int alen = id->af == AF_INET6 ? 16 : 4;

	if (!msg)
		return -errno;
	if (put_svc_id(msg, id))
		goto err;
	f = nla_nest_start(msg, IPVS_MAGLEV_A_FLOW);
	if (!f)
		goto err;
	NLA_PUT(msg, IPVS_MAGLEV_FLOW_A_SADDR, alen, lk->client.addr);
	NLA_PUT_U16(msg, IPVS_MAGLEV_FLOW_A_SPORT, htons(lk->client.port));
	if (lk->has_dst) {
		NLA_PUT(msg, IPVS_MAGLEV_FLOW_A_DADDR, alen, lk->dst.addr);
		NLA_PUT_U16(msg, IPVS_MAGLEV_FLOW_A_DPORT, htons(lk->dst.port));
	}
	if (lk->proto)
		NLA_PUT_U16(msg, IPVS_MAGLEV_FLOW_A_PROTOCOL, lk->proto);
	nla_nest_end(msg, f);
	return nlc_send(nl, msg, lookup_cb, lk, e);

nla_put_failure:
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* ---- pins, backends ---------------------------------------------------- */

int kmaglev_flush_pins(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_FLUSH_PINS, false, e);

	if (!msg)
		return -errno;
	if (id && put_svc_id(msg, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send_change(nl, msg, e);
}

int kmaglev_set_backend(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
			const struct mg_be_set *set, struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_MAGLEV, IPVS_MAGLEV_CMD_SET_BACKEND, false, e);
	struct nlattr *b;

	if (!msg)
		return -errno;
	if (put_svc_id(msg, id))
		goto err;
	b = nla_nest_start(msg, IPVS_MAGLEV_A_BACKEND);
	if (!b)
		goto err;
	NLA_PUT_U16(msg, IPVS_MAGLEV_BE_A_AF, ap->af);
	NLA_PUT(msg, IPVS_MAGLEV_BE_A_ADDR, ap->af == AF_INET6 ? 16 : 4, ap->addr);
	NLA_PUT_U16(msg, IPVS_MAGLEV_BE_A_PORT, htons(ap->port));
	if (set->set & MG_BE_SET_DOWN)
		NLA_PUT_U8(msg, IPVS_MAGLEV_BE_A_DOWN, set->down);
	if (set->set & MG_BE_SET_SAVED_WEIGHT)
		NLA_PUT_U32(msg, IPVS_MAGLEV_BE_A_SAVED_WEIGHT, set->saved_weight);
	if (set->set & MG_BE_SET_DRAIN_DEADLINE)
		NLA_PUT_U64(msg, IPVS_MAGLEV_BE_A_DRAIN_DEADLINE, set->drain_deadline);
	nla_nest_end(msg, b);
	return nlc_send_change(nl, msg, e);
nla_put_failure:
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int kmaglev_set_down(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		     bool down, struct nl_err *e)
{
	struct mg_be_set set = { .set = MG_BE_SET_DOWN, .down = down };

	return kmaglev_set_backend(nl, id, ap, &set, e);
}

/* The maglev module's defaults, or the built-in ones if it is absent. */
void kmaglev_defaults(struct nl *nl, bool ask, struct mg_defaults *d)
{
	struct mg_info info;

	d->ss_window_ms = 0;
	d->ss_aggr = 1000;
	d->ss_min_pct = 10;
	if (!ask || kmaglev_info(nl, &info, NULL))
		return;
	d->ss_window_ms = info.ss_window_ms;
	d->ss_aggr = info.ss_aggression;
	d->ss_min_pct = info.ss_min_pct;
}
