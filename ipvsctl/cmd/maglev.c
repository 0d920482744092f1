// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl maglev: the scheduler's own state and parameters.
 *
 *   maglev info
 *   maglev show [SERVICE]
 *   maglev set SERVICE [table-size N|default] [hash auto|5tuple|src|srcport]
 *		      [slow-start DURATION|off] [slow-start-aggression X]
 *		      [slow-start-min-pct N]
 *   maglev lookup SERVICE CLIENT[:PORT]... [to ADDR:PORT] [proto tcp|udp|sctp]
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "base/array.h"
#include "cmd/cmd.h"
#include "cmd/run.h"
#include "config/grammar.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "output/json.h"

static const char maglev_help[] =
	"Subcommands:\n"
	"  info                          module version, seed, default table size\n"
	"  show [SERVICE]                table state and per-backend slots\n"
	"  set SERVICE PARAM VALUE...    table-size N|default, hash auto|5tuple|src|srcport,\n"
	"                                slow-start DURATION|off, slow-start-aggression X,\n"
	"                                slow-start-min-pct N, pin on|off|auto, pin-max N\n"
	"  lookup SERVICE CLIENT[:PORT]... [to ADDR:PORT] [proto tcp|udp|sctp]\n"
	"                                which backend the table gives each flow\n"
	"  flush-pins [SERVICE]          drop the flow pins of a service, or all\n"
	"  down|up SERVICE BACKEND       mark a backend down (no slot, pins dropped)\n"
	"                                or up again (what health checks do)\n\n"
	"SERVICE is tcp/ADDR:PORT, udp/ADDR:PORT, sctp/ADDR:PORT, fwmark/MARK or\n"
	"fwmark6/MARK; IPv6 addresses in brackets: tcp/[fd00::1]:80.\n";

/* ---- show -------------------------------------------------------------- */

struct show_ctx {
	struct ctx *c;
	struct nl *nl;
	json_object *jsvcs;
	int err;
};

static json_object *be_json(const struct mg_be_state *be)
{
	json_object *o = json_object_new_object();
	char buf[64];

	out_addr_json(o, be->ap.af, be->ap.addr, be->ap.port);
	fmt_addr_port(be->ap.af, be->ap.addr, be->ap.port, buf, sizeof(buf));
	json_object_object_add(o, "backend", json_object_new_string(buf));
	json_object_object_add(o, "weight", json_object_new_int64(be->weight));
	out_mg_be_json(o, be);
	return o;
}

static int be_collect(const struct mg_be_state *be, void *arg)
{
	json_object *arr = arg;

	json_object_array_add(arr, be_json(be));
	return 0;
}

static int be_print(const struct mg_be_state *be, void *arg)
{
	char buf[64];

	(void)arg;
	fmt_addr_port(be->ap.af, be->ap.addr, be->ap.port, buf, sizeof(buf));
	printf("    %-40s %8u %9u %8u %7.3f%%", buf, be->weight, be->eff_weight,
	       be->slots, be->share_ppm / 10000.0);
	if (be->pins)
		printf("  %u pinned", be->pins);
	if (be->down)
		printf("  DOWN");
	if (be->saved_weight)
		printf("  draining (weight %u saved)", be->saved_weight);
	if (be->ramping)
		printf("  slow start, %.1f s left", be->ramp_left_ms / 1000.0);
	printf("%s\n", be->available ? "" : "  (unavailable)");
	return 0;
}

static json_object *svc_json(const struct mg_svc_state *st)
{
	json_object *o = json_object_new_object();

	out_svc_json(o, &st->id);
	out_mg_svc_json(o, st);
	return o;
}

/* The seed where the kernel told it (privileged callers), its fingerprint
 * always: directors with equal fingerprints have equal seeds.
 */
static void fmt_seed(bool has_seed, uint64_t seed, uint64_t fp, char *buf, size_t len)
{
	if (has_seed)
		snprintf(buf, len, "seed 0x%016" PRIx64 " (fingerprint %016" PRIx64 ")", seed, fp);
	else
		snprintf(buf, len, "seed fingerprint %016" PRIx64, fp);
}

static void svc_print(const struct mg_svc_state *st)
{
	char name[96], seed[64];

	fmt_svc(&st->id, name, sizeof(name));
	printf("%s%s\n", name, st->as_mh ? " (scheduler name mh, mh's flag meanings)" : "");
	fmt_seed(st->has_seed, st->seed, st->seed_fp, seed, sizeof(seed));
	printf("  table %u slots%s, hash %s%s, %s\n",
	       st->table_size_active, st->p.table_size ? "" : " (default)",
	       mg_hash_name(st->hash_active),
	       st->p.hash == IPVS_MAGLEV_HASH_AUTO ? " (auto)" : "", seed);
	printf("  backends %u, owning slots %u, digest 0x%016" PRIx64 "%s\n",
	       st->backends, st->owners, st->digest, st->pending ? ", rebuild pending" : "");
	printf("  rebuilds %" PRIu64 " (%" PRIu64 " failed%s%s), last %.1f s ago taking %.3f ms, memory %.1f KiB\n",
	       st->rebuilds, st->rebuild_fails, st->last_error ? ", last error " : "",
	       st->last_error ? strerror((int)st->last_error) : "",
	       st->age_ms / 1000.0, st->build_ns / 1e6, st->state_bytes / 1024.0);
	if (st->p.ss_window_ms) {
		char w[32], a[32];

		fmt_duration_ms(st->p.ss_window_ms, w, sizeof(w));
		fmt_milli(st->p.ss_aggression, a, sizeof(a));
		printf("  slow start %s, aggression %s, min %u%%: %u backend%s ramping\n", w, a,
		       st->p.ss_min_pct, st->ramping, st->ramping == 1 ? "" : "s");
	}
	if (st->pins.active || st->pins.entries)
		printf("  pinning %s%s: %u flows (cap %s), %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
		       " evicted, %" PRIu64 " expired, %" PRIu64 " failed\n",
		       mg_pin_name(st->p.pin), st->pins.active ? " (on)" : " (off)", st->pins.entries,
		       st->p.pin_max ? "own" : "namespace", st->pins.hits, st->pins.misses,
		       st->pins.evictions, st->pins.expiries, st->pins.insert_fails);
	printf("    %-40s %8s %9s %8s %8s\n", "BACKEND", "WEIGHT", "EFFECTIVE", "SLOTS", "SHARE");
}

struct be_vec {
	struct mg_be_state *v;
	size_t n, cap;
};

static int be_vec_add(const struct mg_be_state *be, void *arg)
{
	struct be_vec *bv = arg;
	struct mg_be_state *v = array_room(bv->v, bv->n, &bv->cap, sizeof(*v), 16);

	if (!v)
		return -ENOMEM;
	bv->v = v;
	bv->v[bv->n++] = *be;
	return 0;
}

/* The same table and the same backend list: nothing was built between. */
static bool same_table(const struct mg_svc_state *a, const struct mg_svc_state *b)
{
	return a->rebuilds == b->rebuilds && a->rebuild_fails == b->rebuild_fails &&
	       a->has_table == b->has_table && a->digest == b->digest &&
	       a->owners == b->owners && a->backends == b->backends &&
	       a->pending == b->pending && a->as_mh == b->as_mh;
}

/*
 * One service and its backends as one snapshot. They come from two
 * requests (the service's state, then a dump of its backends), and a
 * build or a backend change can land between them: the backends' slots
 * would then not add up to the owners and the table shown. So the state is
 * read again after the backends, and the whole read repeated until
 * nothing changed in between (a few tries: on a service rebuilt without
 * pause, the last read is shown and said to be a moving target).
 * Returns -ENOENT if the service went away meanwhile.
 */
#define SHOW_TRIES	8

static int show_one(struct show_ctx *s, const struct mg_svc_state *first, struct nl_err *e)
{
	struct mg_svc_state st = *first, again;
	struct be_vec bv = { 0 };
	json_object *o, *bes;
	int err = 0, i;
	size_t k;

	for (i = 0; i < SHOW_TRIES; i++) {
		bv.n = 0;
		err = kmaglev_dump_backends(s->nl, &st.id, be_vec_add, &bv, e);
		if (!err)
			err = kmaglev_get_svc(s->nl, &st.id, &again, e);
		if (err)
			break;
		if (same_table(&st, &again))
			break;
		st = again;
	}
	if (err) {
		free(bv.v);
		return err;
	}
	if (i == SHOW_TRIES)
		fprintf(stderr, "ipvsctl: maglev show: the table of a service changed on each of %d reads; "
			"showing the last, which may not add up\n", SHOW_TRIES);
	if (!s->c->o.json) {
		svc_print(&st);
		for (k = 0; k < bv.n; k++)
			be_print(&bv.v[k], NULL);
	} else {
		o = svc_json(&st);
		bes = json_object_new_array();
		for (k = 0; k < bv.n; k++)
			be_collect(&bv.v[k], bes);
		json_object_object_add(o, "backends", bes);
		json_object_array_add(s->jsvcs, o);
	}
	free(bv.v);
	return 0;
}

struct svc_list {
	struct mg_svc_state *v;
	size_t n, cap;
};

static int svc_list_add(const struct mg_svc_state *st, void *arg)
{
	struct svc_list *l = arg;
	struct mg_svc_state *v = array_room(l->v, l->n, &l->cap, sizeof(*v), 16);

	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = *st;
	return 0;
}

static int maglev_show(struct ctx *c, int argc, const char **argv)
{
	struct show_ctx s = { .c = c };
	struct svc_list l = { 0 };
	struct mg_svc_state st;
	struct nl_err e;
	struct svc_id id;
	char why[256];
	size_t i;
	int err;

	if (argc > 1) {
		usage_error(c, "maglev show: one SERVICE at most");
		return EXIT_USAGE;
	}
	if (argc == 1) {
		if (parse_svc(argv[0], &id, why, sizeof(why))) {
			usage_error(c, "maglev show: %s", why);
			return EXIT_USAGE;
		}
	}
	err = ctx_nl(c, &s.nl);
	if (err)
		return exit_code(err);
	if (argc == 1) {
		err = kmaglev_get_svc(s.nl, &id, &st, &e);
		if (err) {
			err_report_obj(c, &e, ERR_SERVICE, err, "maglev show %s", argv[0]);
			return exit_code(err);
		}
		err = svc_list_add(&st, &l);
	} else {
		err = kmaglev_dump_svcs(s.nl, svc_list_add, &l, &e);
	}
	if (err) {
		err_report(c, &e, err, "maglev show");
		free(l.v);
		return exit_code(err);
	}

	if (c->o.json)
		s.jsvcs = json_object_new_array();
	for (i = 0; i < l.n && !err; i++) {
		err = show_one(&s, &l.v[i], &e);
		/* listing all: one deleted since the list was read is not shown */
		if (err == -ENOENT && argc == 0)
			err = 0;
	}
	free(l.v);
	if (err) {
		json_object_put(s.jsvcs);
		err_report(c, &e, err, "maglev show: backends");
		return exit_code(err);
	}
	if (c->o.json) {
		json_object *root = json_object_new_object();

		json_object_object_add(root, "services", s.jsvcs);
		out_json(root);
	}
	return EXIT_OK;
}

/* ---- info -------------------------------------------------------------- */

static int maglev_info(struct ctx *c, int argc)
{
	struct mg_info info;
	struct nl_err e;
	struct nl *nl;
	int err;

	if (argc) {
		usage_error(c, "maglev info takes no arguments");
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = kmaglev_info(nl, &info, &e);
	if (err) {
		err_report(c, &e, err, "maglev info");
		return exit_code(err);
	}
	if (c->o.json) {
		json_object *o = json_object_new_object();
		char buf[32];

		json_object_object_add(o, "version", json_object_new_string(info.version));
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, info.seed);
		json_object_object_add(o, "seed", info.has_seed ? json_object_new_string(buf) : NULL);
		snprintf(buf, sizeof(buf), "0x%016" PRIx64, info.seed_fp);
		json_object_object_add(o, "seed_fingerprint", json_object_new_string(buf));
		json_object *pins = json_object_new_object(), *ss = json_object_new_object();

		json_object_object_add(o, "table_size", json_object_new_int64(info.table_size));
		json_object_object_add(o, "services", json_object_new_int64(info.services));
		json_object_object_add(ss, "window_ms", json_object_new_int64(info.ss_window_ms));
		json_object_object_add(ss, "aggression", json_object_new_double(info.ss_aggression / 1000.0));
		json_object_object_add(ss, "min_pct", json_object_new_int64(info.ss_min_pct));
		json_object_object_add(o, "slow_start_defaults", ss);
		json_object_object_add(pins, "max", json_object_new_int64(info.pin_max));
		json_object_object_add(pins, "timeout_ms", json_object_new_int64(info.pin_timeout_ms));
		json_object_object_add(pins, "entries", json_object_new_int64(info.pin_entries));
		json_object_object_add(pins, "bytes_per_entry_ipv4", json_object_new_int64(info.pin_bytes4));
		json_object_object_add(pins, "bytes_per_entry_ipv6", json_object_new_int64(info.pin_bytes6));
		json_object_object_add(pins, "max_host", json_object_new_int64(info.pin_max_host));
		json_object_object_add(pins, "max_userns", json_object_new_int64(info.pin_max_userns));
		json_object_object_add(pins, "entries_host",
				       info.has_host ? json_object_new_int64(info.pin_entries_host) : NULL);
		json_object_object_add(pins, "entries_userns",
				       info.has_host ? json_object_new_int64(info.pin_entries_userns) : NULL);
		json_object_object_add(o, "pins", pins);
		out_json(o);
	} else {
		char w[32], a[32], seed[64];

		fmt_duration_ms(info.ss_window_ms, w, sizeof(w));
		fmt_milli(info.ss_aggression, a, sizeof(a));
		fmt_seed(info.has_seed, info.seed, info.seed_fp, seed, sizeof(seed));
		printf("ip_vs_maglev %s\n  %s, default table size %u, %u maglev service%s in this namespace\n",
		       info.version, seed, info.table_size, info.services,
		       info.services == 1 ? "" : "s");
		printf("  slow start defaults: window %s, aggression %s, min %u%%\n",
		       info.ss_window_ms ? w : "off", a, info.ss_min_pct);
		printf("  flow pins: %u of %u in this namespace, idle timeout %u s, %u bytes each (IPv4), %u (IPv6)\n",
		       info.pin_entries, info.pin_max, info.pin_timeout_ms / 1000, info.pin_bytes4,
		       info.pin_bytes6);
		if (info.has_host)
			printf("  flow pins of every namespace: %u of %u; of unprivileged users' namespaces: %u of %u\n",
			       info.pin_entries_host, info.pin_max_host,
			       info.pin_entries_userns, info.pin_max_userns);
		else
			printf("  flow pins of every namespace: at most %u; of unprivileged users' namespaces: at most %u\n",
			       info.pin_max_host, info.pin_max_userns);
	}
	return EXIT_OK;
}

/* ---- set: a change like any other, through the grammar ----------------- */

static int maglev_set(struct ctx *c, int argc, const char **argv)
{
	char *words[GRAMMAR_MAX_WORDS];
	int i;

	if (argc + 2 > GRAMMAR_MAX_WORDS) {
		usage_error(c, "maglev set: too many words");
		return EXIT_USAGE;
	}
	words[0] = "maglev";
	words[1] = "set";
	for (i = 0; i < argc; i++)
		words[i + 2] = (char *)argv[i];
	return exec_command(c, argc + 2, words);
}

/* ---- lookup -------------------------------------------------------------- */

static int maglev_lookup(struct ctx *c, int argc, const char **argv)
{
	struct mg_lookup tmpl = { 0 }, lk;
	json_object *arr = NULL, *o;
	char why[256], buf[64], cbuf[64];
	int i, nclients = 0, err;
	struct nl_err e;
	struct svc_id id;
	struct nl *nl;

	if (argc < 2) {
		usage_error(c, "maglev lookup: SERVICE and CLIENT[:PORT] required");
		return EXIT_USAGE;
	}
	if (parse_svc(argv[0], &id, why, sizeof(why))) {
		usage_error(c, "maglev lookup: %s", why);
		return EXIT_USAGE;
	}
	/* validate every word first */
	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "to") || !strcmp(argv[i], "proto")) {
			if (!v) {
				usage_error(c, "maglev lookup: '%s' needs a value", argv[i]);
				return EXIT_USAGE;
			}
			if (!strcmp(argv[i], "to")) {
				if (parse_addr_port(v, id.af, &tmpl.dst, true, why, sizeof(why))) {
					usage_error(c, "maglev lookup: %s", why);
					return EXIT_USAGE;
				}
				tmpl.has_dst = true;
			} else if (!strcmp(v, "tcp")) {
				tmpl.proto = IPPROTO_TCP;
			} else if (!strcmp(v, "udp")) {
				tmpl.proto = IPPROTO_UDP;
			} else if (!strcmp(v, "sctp")) {
				tmpl.proto = IPPROTO_SCTP;
			} else {
				usage_error(c, "maglev lookup: proto '%s': tcp, udp or sctp", v);
				return EXIT_USAGE;
			}
			i++;
			continue;
		}
		if (parse_addr_port(argv[i], id.af, &lk.client, false, why, sizeof(why))) {
			usage_error(c, "maglev lookup: %s", why);
			return EXIT_USAGE;
		}
		nclients++;
	}
	if (!nclients) {
		usage_error(c, "maglev lookup: CLIENT[:PORT] required");
		return EXIT_USAGE;
	}

	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	if (c->o.json)
		arr = json_object_new_array();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "to") || !strcmp(argv[i], "proto")) {
			i++;
			continue;
		}
		lk = tmpl;
		parse_addr_port(argv[i], id.af, &lk.client, false, why, sizeof(why));
		err = kmaglev_lookup(nl, &id, &lk, &e);
		if (err) {
			json_object_put(arr);
			err_report_obj(c, &e, ERR_SERVICE, err, "maglev lookup %s", argv[i]);
			return exit_code(err);
		}
		fmt_addr_port(lk.backend.af, lk.backend.addr, lk.backend.port, buf, sizeof(buf));
		fmt_addr_port(lk.client.af, lk.client.addr, lk.client.port, cbuf, sizeof(cbuf));
		if (c->o.json) {
			o = json_object_new_object();
			json_object_object_add(o, "client", json_object_new_string(cbuf));
			json_object_object_add(o, "backend", json_object_new_string(buf));
			json_object_object_add(o, "index", json_object_new_int64(lk.index));
			json_object_object_add(o, "slot", json_object_new_int64(lk.slot));
			json_object_object_add(o, "fallback", json_object_new_boolean(lk.fallback));
			json_object_array_add(arr, o);
		} else if (nclients == 1) {
			printf("%s%s\n", buf, lk.fallback ? " (fallback: first choice unavailable)" : "");
		} else {
			printf("%s %s%s\n", cbuf, buf, lk.fallback ? " fallback" : "");
		}
	}
	if (c->o.json) {
		o = json_object_new_object();
		json_object_object_add(o, "lookups", arr);
		out_json(o);
	}
	return EXIT_OK;
}

/* ---- flush-pins, down, up: runtime actions, not configuration --------------- */

static int maglev_flush_pins(struct ctx *c, int argc, const char **argv)
{
	struct nl_err e;
	struct svc_id id;
	char why[256];
	struct nl *nl;
	int err;

	if (argc > 1 || (argc == 1 && parse_svc(argv[0], &id, why, sizeof(why)))) {
		usage_error(c, "maglev flush-pins: %s", argc > 1 ? "one SERVICE at most" : why);
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = kmaglev_flush_pins(nl, argc ? &id : NULL, &e);
	if (err) {
		err_report_obj(c, &e, argc ? ERR_SERVICE : ERR_NONE, err, "maglev flush-pins%s%s",
			       argc ? " " : "", argc ? argv[0] : "");
		return exit_code(err);
	}
	return EXIT_OK;
}

static int maglev_down_up(struct ctx *c, bool down, int argc, const char **argv)
{
	struct addr_port ap;
	struct nl_err e;
	struct svc_id id;
	char why[256];
	struct nl *nl;
	int err;

	if (argc != 2 || parse_svc(argv[0], &id, why, sizeof(why)) ||
	    parse_addr_port(argv[1], 0, &ap, true, why, sizeof(why))) {
		usage_error(c, "maglev %s: %s", down ? "down" : "up",
			    argc != 2 ? "SERVICE and BACKEND (ADDR:PORT) required" : why);
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = kmaglev_set_down(nl, &id, &ap, down, &e);
	if (err) {
		err_report_obj(c, &e, ERR_SERVICE_BACKEND, err, "maglev %s %s %s",
			       down ? "down" : "up", argv[0], argv[1]);
		return exit_code(err);
	}
	return EXIT_OK;
}

int cmd_maglev(struct ctx *c, int argc, char **argv)
{
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, NULL, "info|show|set|lookup ...", maglev_help,
			 &args, &nargs);
	if (rc)
		return rc;
	if (nargs < 1) {
		usage_error(c, "maglev: which? info, show, set or lookup (ipvsctl maglev --help)");
		return EXIT_USAGE;
	}
	/* each subcommand validates its words before opening the socket */
	if (!strcmp(args[0], "info"))
		return maglev_info(c, nargs - 1);
	if (!strcmp(args[0], "show"))
		return maglev_show(c, nargs - 1, args + 1);
	if (!strcmp(args[0], "set"))
		return maglev_set(c, nargs - 1, args + 1);
	if (!strcmp(args[0], "lookup"))
		return maglev_lookup(c, nargs - 1, args + 1);
	if (!strcmp(args[0], "flush-pins"))
		return maglev_flush_pins(c, nargs - 1, args + 1);
	if (!strcmp(args[0], "down") || !strcmp(args[0], "up"))
		return maglev_down_up(c, !strcmp(args[0], "down"), nargs - 1, args + 1);
	usage_error(c, "maglev: unknown subcommand '%s' (info, show, set, lookup, flush-pins, down, up)",
		    args[0]);
	return EXIT_USAGE;
}
