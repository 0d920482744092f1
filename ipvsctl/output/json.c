// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: JSON output helpers (see json.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <inttypes.h>
#include <linux/ip_vs.h>

#include "config/grammar.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "model/model.h"
#include "output/json.h"

int out_close(FILE *f)
{
	int err = 0;

	/*
	 * fflush() alone is not enough: a write that failed earlier (the
	 * buffer filled and was written, or not, mid-way) leaves only the
	 * stream's error flag, and what is still buffered may then go out.
	 */
	errno = 0;
	if (fflush(f) || ferror(f))
		err = errno ? -errno : -EIO;
	/* a descriptor closed before we ran, and never written to, is fine */
	if (fclose(f) && !err && errno != EBADF)
		err = errno ? -errno : -EIO;
	return err;
}

json_object *out_lines_json(const char *text, size_t len)
{
	json_object *arr = json_object_new_array();
	const char *end = text ? text + len : NULL, *p, *nl;

	if (!arr)
		return NULL;
	for (p = text; p && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p)
			json_object_array_add(arr, json_object_new_string_len(p, (int)(nl - p)));
	}
	return arr;
}

json_object *out_dry_run_json(size_t changes, const char *text, size_t len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "changes", json_object_new_int64((int64_t)changes));
	json_object_object_add(o, "dry_run", json_object_new_boolean(1));
	json_object_object_add(o, "plan", out_lines_json(text, len));
	return o;
}

/* Errors writing @o are caught once, by out_close(stdout) in main(). */
void out_json(json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (isatty(STDOUT_FILENO))
		flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

void out_addr_json(json_object *o, int af, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(af, addr, a, sizeof(a));
	json_object_object_add(o, "family", json_object_new_string(af == AF_INET6 ? "inet6" : "inet"));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "port", json_object_new_int(port));
}

void out_svc_json(json_object *o, const struct svc_id *id)
{
	char buf[96];

	fmt_svc(id, buf, sizeof(buf));
	json_object_object_add(o, "service", json_object_new_string(buf));
	if (id->fwmark) {
		json_object_object_add(o, "family",
				       json_object_new_string(id->af == AF_INET6 ? "inet6" : "inet"));
		json_object_object_add(o, "fwmark", json_object_new_int64(id->fwmark));
		return;
	}
	json_object_object_add(o, "protocol", json_object_new_string(proto_name(id->proto)));
	out_addr_json(o, id->af, id->addr, id->port);
}

void out_slow_start_json(json_object *o, uint32_t window_ms, uint32_t aggr_milli,
			 uint32_t min_pct, uint32_t ramping, uint64_t builds, uint64_t skips)
{
	json_object *ss = json_object_new_object();

	json_object_object_add(ss, "window_ms", json_object_new_int64(window_ms));
	json_object_object_add(ss, "aggression", json_object_new_double(aggr_milli / 1000.0));
	json_object_object_add(ss, "min_pct", json_object_new_int64(min_pct));
	json_object_object_add(ss, "ramping", json_object_new_int64(ramping));
	json_object_object_add(ss, "ramp_builds", json_object_new_int64((int64_t)builds));
	json_object_object_add(ss, "ramp_skips", json_object_new_int64((int64_t)skips));
	json_object_object_add(o, "slow_start", ss);
}

void out_pinning_json(json_object *o, uint8_t mode, uint32_t max,
		      const struct mg_pin_stats *p)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "mode", json_object_new_string(mg_pin_name(mode)));
	json_object_object_add(j, "active", json_object_new_boolean(p->active));
	json_object_object_add(j, "max", json_object_new_int64(max));
	json_object_object_add(j, "entries", json_object_new_int64(p->entries));
	json_object_object_add(j, "hits", json_object_new_int64((int64_t)p->hits));
	json_object_object_add(j, "misses", json_object_new_int64((int64_t)p->misses));
	json_object_object_add(j, "inserts", json_object_new_int64((int64_t)p->inserts));
	json_object_object_add(j, "insert_failures", json_object_new_int64((int64_t)p->insert_fails));
	json_object_object_add(j, "evictions", json_object_new_int64((int64_t)p->evictions));
	json_object_object_add(j, "expiries", json_object_new_int64((int64_t)p->expiries));
	json_object_object_add(j, "dropped", json_object_new_int64((int64_t)p->dropped));
	json_object_object_add(o, "pinning", j);
}

static json_object *stats_json(const struct stats *st, bool rates)
{
	json_object *o = json_object_new_object();

	if (rates) {
		json_object_object_add(o, "cps", json_object_new_int64((int64_t)st->cps));
		json_object_object_add(o, "pps_in", json_object_new_int64((int64_t)st->inpps));
		json_object_object_add(o, "pps_out", json_object_new_int64((int64_t)st->outpps));
		json_object_object_add(o, "bps_in", json_object_new_int64((int64_t)st->inbps));
		json_object_object_add(o, "bps_out", json_object_new_int64((int64_t)st->outbps));
	} else {
		json_object_object_add(o, "connections", json_object_new_int64((int64_t)st->conns));
		json_object_object_add(o, "packets_in", json_object_new_int64((int64_t)st->inpkts));
		json_object_object_add(o, "packets_out", json_object_new_int64((int64_t)st->outpkts));
		json_object_object_add(o, "bytes_in", json_object_new_int64((int64_t)st->inbytes));
		json_object_object_add(o, "bytes_out", json_object_new_int64((int64_t)st->outbytes));
	}
	return o;
}

static json_object *hex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	return json_object_new_string(buf);
}

/*
 * The maglev module's state of a service, the keys of ipvsctl(8)'s
 * "maglev" object: the one encoder, for "maglev show --json" and for
 * "list --json" alike. Without a table (table_size_active null) there
 * is no digest (null).
 */
void out_mg_svc_json(json_object *o, const struct mg_svc_state *st)
{
	json_object_object_add(o, "table_size", json_object_new_int64(st->p.table_size));
	json_object_object_add(o, "table_size_active",
			       st->has_table ? json_object_new_int64(st->table_size_active) : NULL);
	json_object_object_add(o, "hash", json_object_new_string(mg_hash_name(st->p.hash)));
	json_object_object_add(o, "hash_active", json_object_new_string(mg_hash_name(st->hash_active)));
	json_object_object_add(o, "seed", st->has_seed ? hex64(st->seed) : NULL);
	json_object_object_add(o, "seed_fingerprint", hex64(st->seed_fp));
	json_object_object_add(o, "backends_known", json_object_new_int64(st->backends));
	json_object_object_add(o, "owners", json_object_new_int64(st->owners));
	json_object_object_add(o, "rebuilds", json_object_new_int64((int64_t)st->rebuilds));
	json_object_object_add(o, "rebuild_failures", json_object_new_int64((int64_t)st->rebuild_fails));
	json_object_object_add(o, "last_error", json_object_new_int64(st->last_error));
	json_object_object_add(o, "last_rebuild_age_ms", json_object_new_int64((int64_t)st->age_ms));
	json_object_object_add(o, "build_ns", json_object_new_int64((int64_t)st->build_ns));
	json_object_object_add(o, "digest", st->has_table ? hex64(st->digest) : NULL);
	json_object_object_add(o, "table_bytes", json_object_new_int64((int64_t)st->table_bytes));
	json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)st->state_bytes));
	json_object_object_add(o, "pending", json_object_new_boolean(st->pending));
	json_object_object_add(o, "scheduler", json_object_new_string(st->as_mh ? "mh" : "maglev"));
	json_object_object_add(o, "serving_ms",
			       st->serving ? json_object_new_int64((int64_t)st->serving_ms) : NULL);
	out_slow_start_json(o, st->p.ss_window_ms, st->p.ss_aggression, st->p.ss_min_pct,
			    st->ramping, st->ramp_builds, st->ramp_skips);
	out_pinning_json(o, st->p.pin, st->p.pin_max, &st->pins);
}

/* The module's state of a backend: the one encoder, as above. */
void out_mg_be_json(json_object *o, const struct mg_be_state *be)
{
	json_object_object_add(o, "effective_weight", json_object_new_int64(be->eff_weight));
	json_object_object_add(o, "slots", json_object_new_int64(be->slots));
	json_object_object_add(o, "share_ppm", json_object_new_int64(be->share_ppm));
	json_object_object_add(o, "index", be->index >= 0 ? json_object_new_int64(be->index) : NULL);
	json_object_object_add(o, "available", json_object_new_boolean(be->available));
	json_object_object_add(o, "ramp_left_ms",
			       be->ramping ? json_object_new_int64(be->ramp_left_ms) : NULL);
	json_object_object_add(o, "ramp_ppm",
			       be->in_table ? json_object_new_int64(be->ramp_ppm) : NULL);
	json_object_object_add(o, "down", json_object_new_boolean(be->down));
	json_object_object_add(o, "pins", json_object_new_int64(be->pins));
	json_object_object_add(o, "drain_saved_weight",
			       be->saved_weight ? json_object_new_int64(be->saved_weight) : NULL);
	json_object_object_add(o, "drain_deadline",
			       be->drain_deadline ? json_object_new_int64((int64_t)be->drain_deadline) : NULL);
}

static json_object *dest_json(const struct m_dest *d)
{
	json_object *o = json_object_new_object(), *t;
	char buf[64];

	fmt_addr_port(d->ap.af, d->ap.addr, d->ap.port, buf, sizeof(buf));
	json_object_object_add(o, "backend", json_object_new_string(buf));
	out_addr_json(o, d->ap.af, d->ap.addr, d->ap.port);
	json_object_object_add(o, "method", json_object_new_string(fwd_name(d->c.fwd)));
	json_object_object_add(o, "weight", json_object_new_int64(d->c.weight));
	json_object_object_add(o, "upper_threshold", json_object_new_int64(d->c.u_thresh));
	json_object_object_add(o, "lower_threshold", json_object_new_int64(d->c.l_thresh));
	if (d->c.fwd == FWD_TUN) {
		t = json_object_new_object();
		json_object_object_add(t, "type", json_object_new_string(
			d->c.tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE ? "gue" :
			d->c.tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GRE ? "gre" : "ipip"));
		json_object_object_add(t, "port", json_object_new_int(d->c.tun_port));
		json_object_object_add(t, "checksum", json_object_new_string(
			d->c.tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM ? "remcsum" :
			d->c.tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_CSUM ? "csum" : "none"));
		json_object_object_add(o, "tunnel", t);
	} else {
		json_object_object_add(o, "tunnel", NULL);
	}
	json_object_object_add(o, "active_connections", json_object_new_int64(d->active));
	json_object_object_add(o, "inactive_connections", json_object_new_int64(d->inactive));
	json_object_object_add(o, "persistent_connections", json_object_new_int64(d->persist));
	json_object_object_add(o, "stats", stats_json(&d->st, false));
	json_object_object_add(o, "rates", stats_json(&d->st, true));
	if (d->has_mg) {
		t = json_object_new_object();
		out_mg_be_json(t, &d->mg);
		json_object_object_add(o, "maglev", t);
	} else {
		json_object_object_add(o, "maglev", NULL);
	}
	return o;
}

json_object *out_svc_full_json(const struct m_svc *s)
{
	json_object *o = json_object_new_object(), *arr, *p, *mg;
	char buf[64];
	size_t i;

	out_svc_json(o, &s->id);
	json_object_object_add(o, "scheduler", json_object_new_string(s->c.sched));
	arr = json_object_new_array();
	if (s->c.flags & IP_VS_SVC_F_SCHED1)
		json_object_array_add(arr, json_object_new_string("flag-1"));
	if (s->c.flags & IP_VS_SVC_F_SCHED2)
		json_object_array_add(arr, json_object_new_string("flag-2"));
	if (s->c.flags & IP_VS_SVC_F_SCHED3)
		json_object_array_add(arr, json_object_new_string("flag-3"));
	json_object_object_add(o, "flags", arr);
	if (s->c.flags & IP_VS_SVC_F_PERSISTENT) {
		p = json_object_new_object();
		json_object_object_add(p, "timeout", json_object_new_int64(s->c.timeout));
		fmt_netmask(s->id.af, s->c.netmask, buf, sizeof(buf));
		json_object_object_add(p, "netmask", json_object_new_string(buf));
		json_object_object_add(o, "persistent", p);
	} else {
		json_object_object_add(o, "persistent", NULL);
	}
	json_object_object_add(o, "ops", json_object_new_boolean(!!(s->c.flags & IP_VS_SVC_F_ONEPACKET)));
	json_object_object_add(o, "pe", s->c.pe[0] ? json_object_new_string(s->c.pe) : NULL);
	json_object_object_add(o, "stats", stats_json(&s->st, false));
	json_object_object_add(o, "rates", stats_json(&s->st, true));
	if (s->has_mg) {
		mg = json_object_new_object();
		out_mg_svc_json(mg, &s->mg);
		json_object_object_add(o, "maglev", mg);
	} else {
		json_object_object_add(o, "maglev", NULL);
	}
	arr = json_object_new_array();
	for (i = 0; i < s->ndests; i++)
		json_object_array_add(arr, dest_json(&s->dests[i]));
	json_object_object_add(o, "backends", arr);
	return o;
}

json_object *out_model_json(const struct model *m)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < m->n; i++)
		json_object_array_add(arr, out_svc_full_json(&m->svcs[i]));
	json_object_object_add(root, "services", arr);
	return root;
}
