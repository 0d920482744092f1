// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the in-memory model of IPVS state (see model.h).
 */
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "base/array.h"
#include "model/model.h"

bool svc_id_eq(const struct svc_id *a, const struct svc_id *b)
{
	if (a->af != b->af || a->fwmark != b->fwmark)
		return false;
	if (a->fwmark)
		return true;
	return a->proto == b->proto && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->af == AF_INET6 ? 16 : 4);
}

/* the order listings print: address services before firewall marks,
 * IPv4 before IPv6, then protocol, address and port
 */
int svc_id_cmp(const struct svc_id *a, const struct svc_id *b)
{
	int r;

	if (!!a->fwmark != !!b->fwmark)
		return a->fwmark ? 1 : -1;
	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;
	if (a->fwmark)
		return a->fwmark < b->fwmark ? -1 : a->fwmark > b->fwmark;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* IPv4 before IPv6, then address and port */
int addr_port_cmp(const struct addr_port *a, const struct addr_port *b)
{
	int r;

	if (a->af != b->af)
		return a->af == AF_INET ? -1 : 1;
	r = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (r)
		return r;
	return a->port < b->port ? -1 : a->port > b->port;
}

bool addr_port_eq(const struct addr_port *a, const struct addr_port *b)
{
	return a->af == b->af && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->af == AF_INET6 ? 16 : 4);
}

static uint64_t svc_id_hash(const struct svc_id *id)
{
	/* FNV-1a over the identity's meaningful bytes */
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t buf[32];
	size_t n = 0, i;

	buf[n++] = (uint8_t)id->af;
	if (id->fwmark) {
		memcpy(buf + n, &id->fwmark, 4);
		n += 4;
	} else {
		buf[n++] = (uint8_t)id->proto;
		memcpy(buf + n, &id->port, 2);
		n += 2;
		memcpy(buf + n, id->addr, id->af == AF_INET6 ? 16 : 4);
		n += id->af == AF_INET6 ? 16 : 4;
	}
	for (i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h;
}

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

void model_free(struct model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->svcs[i].dests);
		free(m->svcs[i].hc);
	}
	free(m->svcs);
	free(m->idx);
	memset(m, 0, sizeof(*m));
}

#define IDX_EMPTY ((size_t)-1)

static int model_reindex(struct model *m)
{
	size_t cap = 64, i, j;

	while (cap < m->n * 2 + 1)
		cap *= 2;
	free(m->idx);
	m->idx = malloc(cap * sizeof(*m->idx));
	if (!m->idx) {
		m->idx_cap = 0;
		return -ENOMEM;
	}
	m->idx_cap = cap;
	for (i = 0; i < cap; i++)
		m->idx[i] = IDX_EMPTY;
	for (i = 0; i < m->n; i++) {
		j = svc_id_hash(&m->svcs[i].id) & (cap - 1);
		while (m->idx[j] != IDX_EMPTY)
			j = (j + 1) & (cap - 1);
		m->idx[j] = i;
	}
	return 0;
}

struct m_svc *model_find(struct model *m, const struct svc_id *id)
{
	size_t j, i;

	if (!m->idx_cap) {
		/* no index yet (or it could not be built): linear */
		for (i = 0; i < m->n; i++)
			if (svc_id_eq(&m->svcs[i].id, id))
				return &m->svcs[i];
		return NULL;
	}
	j = svc_id_hash(id) & (m->idx_cap - 1);
	while (m->idx[j] != IDX_EMPTY) {
		if (svc_id_eq(&m->svcs[m->idx[j]].id, id))
			return &m->svcs[m->idx[j]];
		j = (j + 1) & (m->idx_cap - 1);
	}
	return NULL;
}

struct m_svc *model_add(struct model *m, const struct svc_id *id)
{
	struct m_svc *s;

	s = array_room(m->svcs, m->n, &m->cap, sizeof(*s), 16);
	if (!s)
		return NULL;
	m->svcs = s;
	s = &m->svcs[m->n++];
	memset(s, 0, sizeof(*s));
	s->id = *id;
	if (m->n * 2 + 1 > m->idx_cap)
		model_reindex(m);
	else {
		size_t j = svc_id_hash(id) & (m->idx_cap - 1);

		while (m->idx[j] != IDX_EMPTY)
			j = (j + 1) & (m->idx_cap - 1);
		m->idx[j] = m->n - 1;
	}
	return s;
}

void model_del(struct model *m, const struct svc_id *id)
{
	struct m_svc *s = model_find(m, id);
	size_t i;

	if (!s)
		return;
	i = (size_t)(s - m->svcs);
	free(s->dests);
	free(s->hc);
	memmove(&m->svcs[i], &m->svcs[i + 1], (m->n - i - 1) * sizeof(*s));
	m->n--;
	model_reindex(m);
}

struct m_dest *svc_find_dest(struct m_svc *s, const struct addr_port *ap)
{
	size_t i;

	for (i = 0; i < s->ndests; i++)
		if (addr_port_eq(&s->dests[i].ap, ap))
			return &s->dests[i];
	return NULL;
}

struct m_dest *svc_add_dest(struct m_svc *s, const struct addr_port *ap)
{
	struct m_dest *d;

	/* 8: most services have fewer, and never need to grow */
	d = array_room(s->dests, s->ndests, &s->cap, sizeof(*d), 8);
	if (!d)
		return NULL;
	s->dests = d;
	d = &s->dests[s->ndests++];
	memset(d, 0, sizeof(*d));
	d->ap = *ap;
	d->mg.index = -1;
	return d;
}

void svc_del_dest(struct m_svc *s, const struct addr_port *ap)
{
	struct m_dest *d = svc_find_dest(s, ap);
	size_t i;

	if (!d)
		return;
	i = (size_t)(d - s->dests);
	memmove(&s->dests[i], &s->dests[i + 1], (s->ndests - i - 1) * sizeof(*d));
	s->ndests--;
}

int model_copy(struct model *dst, const struct model *src)
{
	size_t i;

	model_init(dst);
	if (!src->n)
		return 0;
	dst->svcs = calloc(src->n, sizeof(*dst->svcs));
	if (!dst->svcs)
		return -ENOMEM;
	dst->cap = src->n;
	for (i = 0; i < src->n; i++) {
		dst->svcs[i] = src->svcs[i];
		dst->svcs[i].dests = NULL;
		dst->svcs[i].cap = 0;
		dst->svcs[i].hc = NULL;
		if (src->svcs[i].hc) {
			dst->svcs[i].hc = malloc(sizeof(*dst->svcs[i].hc));
			if (!dst->svcs[i].hc) {
				dst->n = i + 1;
				model_free(dst);
				return -ENOMEM;
			}
			*dst->svcs[i].hc = *src->svcs[i].hc;
		}
		if (src->svcs[i].ndests) {
			dst->svcs[i].dests = malloc(src->svcs[i].ndests * sizeof(struct m_dest));
			if (!dst->svcs[i].dests) {
				dst->n = i + 1;
				model_free(dst);
				return -ENOMEM;
			}
			memcpy(dst->svcs[i].dests, src->svcs[i].dests,
			       src->svcs[i].ndests * sizeof(struct m_dest));
			dst->svcs[i].cap = src->svcs[i].ndests;
		}
		dst->n = i + 1;
	}
	return model_reindex(dst);
}

static int cmp_svc(const void *pa, const void *pb)
{
	return svc_id_cmp(&((const struct m_svc *)pa)->id, &((const struct m_svc *)pb)->id);
}

static int cmp_dest(const void *pa, const void *pb)
{
	return addr_port_cmp(&((const struct m_dest *)pa)->ap, &((const struct m_dest *)pb)->ap);
}

void model_sort(struct model *m)
{
	size_t i;

	qsort(m->svcs, m->n, sizeof(*m->svcs), cmp_svc);
	for (i = 0; i < m->n; i++)
		qsort(m->svcs[i].dests, m->svcs[i].ndests, sizeof(struct m_dest), cmp_dest);
	model_reindex(m);
}

static bool mh_served;

bool sched_is_maglev(const char *sched)
{
	return !strcmp(sched, "maglev") || (mh_served && !strcmp(sched, "mh"));
}

void svc_conf_to_mg(const struct svc_conf *c, struct mg_params *p)
{
	p->table_size = c->mg_table_size;
	p->hash = c->mg_hash;
	p->ss_window_ms = c->ss_window_ms;
	p->ss_aggression = c->ss_aggr;
	p->ss_min_pct = c->ss_min_pct;
	p->pin = c->pin;
	p->pin_max = c->pin_max;
}

void svc_conf_from_mg(struct svc_conf *c, const struct mg_params *p)
{
	c->mg_table_size = p->table_size;
	c->mg_hash = p->hash;
	c->ss_window_ms = p->ss_window_ms;
	c->ss_aggr = p->ss_aggression;
	c->ss_min_pct = p->ss_min_pct;
	c->pin = p->pin;
	c->pin_max = p->pin_max;
	c->set |= SC_MG_ALL;
}

bool svc_conf_is_maglev(const struct svc_conf *c)
{
	return sched_is_maglev(c->sched);
}

void sched_set_mh_served(bool served)
{
	mh_served = served;
}

bool sched_read_mh_served(void)
{
	char v[4] = "";
	FILE *f = fopen("/sys/module/ip_vs_maglev/parameters/mh", "re");

	if (!f)
		return false;	/* not loaded, or a version without the mode */
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	return v[0] == 'Y' || v[0] == '1';
}

void svc_conf_defaults(struct svc_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sched, sizeof(c->sched), "%s", "maglev");
	c->netmask = 0xffffffff;
	c->mg_hash = IPVS_MAGLEV_HASH_AUTO;
	c->ss_aggr = 1000;
	c->ss_min_pct = 10;
}

void svc_conf_mg_defaults(struct svc_conf *c, const struct mg_defaults *d)
{
	c->mg_table_size = 0;
	c->mg_hash = IPVS_MAGLEV_HASH_AUTO;
	c->ss_window_ms = d->ss_window_ms;
	c->ss_aggr = d->ss_aggr;
	c->ss_min_pct = d->ss_min_pct;
	c->pin = IPVS_MAGLEV_PIN_AUTO;
	c->pin_max = 0;
}

bool svc_conf_mg_nondefault(const struct svc_conf *c, const struct mg_defaults *d)
{
	struct svc_conf def = *c;

	svc_conf_mg_defaults(&def, d);
	return svc_conf_cmp(c, &def, SC_MG_ALL);
}

void dest_conf_defaults(struct dest_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->weight = 1;
	c->fwd = FWD_DR;	/* as ipvsadm: "gatewaying" unless told */
}

void svc_conf_merge(struct svc_conf *dst, const struct svc_conf *base)
{
	unsigned int given = dst->set;
	struct svc_conf out = *base;

	if (given & SC_SCHED)
		memcpy(out.sched, dst->sched, sizeof(out.sched));
	if (given & SC_FLAGS)
		out.flags = (out.flags & (IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET)) |
			    (dst->flags & ~(IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET));
	if (given & SC_PERSIST) {
		out.timeout = dst->timeout;
		if (dst->timeout)
			out.flags |= IP_VS_SVC_F_PERSISTENT;
		else
			out.flags &= ~IP_VS_SVC_F_PERSISTENT;
	}
	if (given & SC_NETMASK)
		out.netmask = dst->netmask;
	if (given & SC_OPS)
		out.flags = (out.flags & ~IP_VS_SVC_F_ONEPACKET) |
			    (dst->flags & IP_VS_SVC_F_ONEPACKET);
	if (given & SC_PE)
		memcpy(out.pe, dst->pe, sizeof(out.pe));
	if (given & SC_MG_TABLE_SIZE)
		out.mg_table_size = dst->mg_table_size;
	if (given & SC_MG_HASH)
		out.mg_hash = dst->mg_hash;
	if (given & SC_SS_WINDOW)
		out.ss_window_ms = dst->ss_window_ms;
	if (given & SC_SS_AGGR)
		out.ss_aggr = dst->ss_aggr;
	if (given & SC_SS_MIN)
		out.ss_min_pct = dst->ss_min_pct;
	if (given & SC_PIN)
		out.pin = dst->pin;
	if (given & SC_PIN_MAX)
		out.pin_max = dst->pin_max;
	out.set = base->set | given;
	*dst = out;
}

void dest_conf_merge(struct dest_conf *dst, const struct dest_conf *base)
{
	unsigned int given = dst->set;
	struct dest_conf out = *base;

	if (given & DC_WEIGHT)
		out.weight = dst->weight;
	if (given & DC_FWD)
		out.fwd = dst->fwd;
	if (given & DC_UTHRESH)
		out.u_thresh = dst->u_thresh;
	if (given & DC_LTHRESH)
		out.l_thresh = dst->l_thresh;
	if (given & DC_TUN_TYPE)
		out.tun_type = dst->tun_type;
	if (given & DC_TUN_PORT)
		out.tun_port = dst->tun_port;
	if (given & DC_TUN_FLAGS)
		out.tun_flags = dst->tun_flags;
	out.set = base->set | given;
	*dst = out;
}

#define SVC_F_OWN (IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET)

unsigned int svc_conf_cmp(const struct svc_conf *a, const struct svc_conf *b, unsigned int mask)
{
	uint32_t fl = a->flags ^ b->flags;
	unsigned int d = 0;

	if (strcmp(a->sched, b->sched))
		d |= SC_SCHED;
	if (fl & ~SVC_F_OWN)
		d |= SC_FLAGS;
	if (a->timeout != b->timeout || (fl & IP_VS_SVC_F_PERSISTENT))
		d |= SC_PERSIST;
	if (a->netmask != b->netmask)
		d |= SC_NETMASK;
	if (fl & IP_VS_SVC_F_ONEPACKET)
		d |= SC_OPS;
	if (strcmp(a->pe, b->pe))
		d |= SC_PE;
	if (a->mg_table_size != b->mg_table_size)
		d |= SC_MG_TABLE_SIZE;
	if (a->mg_hash != b->mg_hash)
		d |= SC_MG_HASH;
	if (a->ss_window_ms != b->ss_window_ms)
		d |= SC_SS_WINDOW;
	if (a->ss_aggr != b->ss_aggr)
		d |= SC_SS_AGGR;
	if (a->ss_min_pct != b->ss_min_pct)
		d |= SC_SS_MIN;
	if (a->pin != b->pin)
		d |= SC_PIN;
	if (a->pin_max != b->pin_max)
		d |= SC_PIN_MAX;
	return d & mask;
}

unsigned int dest_conf_cmp(const struct dest_conf *a, const struct dest_conf *b,
			   unsigned int mask)
{
	unsigned int d = 0;

	if (a->weight != b->weight)
		d |= DC_WEIGHT;
	if (a->fwd != b->fwd)
		d |= DC_FWD;
	if (a->u_thresh != b->u_thresh)
		d |= DC_UTHRESH;
	if (a->l_thresh != b->l_thresh)
		d |= DC_LTHRESH;
	if (a->fwd == FWD_TUN && b->fwd == FWD_TUN) {
		if (a->tun_type != b->tun_type)
			d |= DC_TUN_TYPE;
		if (a->tun_port != b->tun_port)
			d |= DC_TUN_PORT;
		if (a->tun_flags != b->tun_flags)
			d |= DC_TUN_FLAGS;
	}
	return d & mask;
}

void health_spec_defaults(struct health_spec *h)
{
	memset(h, 0, sizeof(*h));
	h->type = HC_TCP;
	snprintf(h->path, sizeof(h->path), "/");
	h->status_lo = 200;
	h->status_hi = 399;
	snprintf(h->send, sizeof(h->send), "ping");
	h->interval_ms = 2000;
	h->timeout_ms = 1000;
	h->rise = 2;
	h->fall = 3;
	h->initial_up = true;
	h->jitter_pct = 10;
	h->on_fail = HC_QUIESCE;
}

bool health_spec_eq(const struct health_spec *a, const struct health_spec *b)
{
	if (!a || !b)
		return a == b;
	return a->type == b->type && a->port == b->port && a->addr_af == b->addr_af &&
	       (!a->addr_af || !memcmp(a->addr, b->addr, 16)) &&
	       !strcmp(a->addr_name, b->addr_name) && !strcmp(a->host, b->host) &&
	       !strcmp(a->path, b->path) && a->status_lo == b->status_lo &&
	       a->status_hi == b->status_hi && !strcmp(a->expect, b->expect) &&
	       !strcmp(a->send, b->send) && !strcmp(a->command, b->command) &&
	       a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
	       a->rise == b->rise && a->fall == b->fall && a->initial_up == b->initial_up &&
	       a->jitter_pct == b->jitter_pct && a->on_fail == b->on_fail &&
	       a->tls_verify == b->tls_verify;
}
