// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl list: services and backends, their counters, rates, and for
 * maglev services the scheduler's own state. People get a table; --json
 * gives the documented schema (ipvsctl(8)).
 */
#include <inttypes.h>
#include <linux/ip_vs.h>
#include <popt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config/grammar.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "output/json.h"

struct list_opts {
	int stats, rate, maglev;
};

static void svc_line(const struct m_svc *s)
{
	char name[96], buf[64];

	fmt_svc(&s->id, name, sizeof(name));
	printf("%s %s", name, s->c.sched);
	if (s->c.flags & (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3)) {
		fmt_sched_flags(s->c.flags, buf, sizeof(buf));
		printf(" flags %s", buf);
	}
	if (s->c.flags & IP_VS_SVC_F_PERSISTENT) {
		fmt_netmask(s->id.af, s->c.netmask, buf, sizeof(buf));
		printf(" persistent %u netmask %s", s->c.timeout, buf);
	}
	if (s->c.flags & IP_VS_SVC_F_ONEPACKET)
		printf(" ops");
	if (s->c.pe[0])
		printf(" pe %s", s->c.pe);
	if (s->has_mg)
		printf(" (table %u, hash %s, digest 0x%016" PRIx64 "%s)", s->mg.table_size_active,
		       mg_hash_name(s->mg.hash_active), s->mg.digest,
		       s->mg.pending ? ", rebuild pending" : "");
	printf("\n");
}

static void stats_cols(const struct stats *st, const struct list_opts *lo)
{
	if (lo->stats)
		printf(" %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64,
		       st->conns, st->inpkts, st->outpkts, st->inbytes, st->outbytes);
	if (lo->rate)
		printf(" %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64,
		       st->cps, st->inpps, st->outpps, st->inbps, st->outbps);
}

static void print_human(const struct model *m, const struct list_opts *lo)
{
	char buf[64];
	size_t i, j;

	printf("  %-42s %-6s %7s %7s %8s", "backend", "method", "weight", "active", "inactive");
	if (lo->maglev)
		printf(" %9s %8s %8s", "effective", "slots", "share");
	if (lo->stats)
		printf(" %10s %10s %10s %12s %12s", "conns", "inpkts", "outpkts", "inbytes", "outbytes");
	if (lo->rate)
		printf(" %8s %8s %8s %10s %10s", "cps", "inpps", "outpps", "inbps", "outbps");
	printf("\n");
	for (i = 0; i < m->n; i++) {
		const struct m_svc *s = &m->svcs[i];

		svc_line(s);
		if (lo->stats || lo->rate) {
			printf("  %-42s %-6s %7s %7s %8s", "(service)", "", "", "", "");
			if (lo->maglev)
				printf(" %9s %8s %8s", "", "", "");
			stats_cols(&s->st, lo);
			printf("\n");
		}
		for (j = 0; j < s->ndests; j++) {
			const struct m_dest *d = &s->dests[j];

			fmt_addr_port(d->ap.af, d->ap.addr, d->ap.port, buf, sizeof(buf));
			printf("  -> %-39s %-6s %7u %7u %8u", buf, fwd_name(d->c.fwd), d->c.weight,
			       d->active, d->inactive);
			if (lo->maglev) {
				if (d->has_mg)
					printf(" %9u %8u %7.2f%%", d->mg.eff_weight, d->mg.slots,
					       d->mg.share_ppm / 10000.0);
				else
					printf(" %9s %8s %8s", "-", "-", "-");
			}
			stats_cols(&d->st, lo);
			printf("\n");
		}
	}
}

static const char list_help[] =
	"List virtual services and their backends. With SERVICE, only that one.\n"
	"--json prints everything (counters, rates, maglev state) in the schema\n"
	"documented in ipvsctl(8).\n";

int cmd_list(struct ctx *c, int argc, char **argv)
{
	struct list_opts lo = { 0 };
	struct poptOption opts[] = {
		{ "stats", 's', POPT_ARG_NONE, &lo.stats, 0, "packet, byte and connection counters", NULL },
		{ "rate", 'r', POPT_ARG_NONE, &lo.rate, 0, "rates (per second)", NULL },
		{ "maglev", 'm', POPT_ARG_NONE, &lo.maglev, 0, "maglev columns: effective weight, slots, share", NULL },
		POPT_TABLEEND
	};
	const char **args;
	struct svc_id id;
	struct model m;
	char why[256], what[300];
	int nargs, rc;

	rc = cmd_options(c, argc, argv, opts, "[SERVICE] [--stats] [--rate] [--maglev]",
			 list_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs > 1) {
		usage_error(c, "list: one SERVICE at most");
		return EXIT_USAGE;
	}
	if (nargs == 1 && parse_svc(args[0], &id, why, sizeof(why))) {
		usage_error(c, "list: %s", why);
		return EXIT_USAGE;
	}
	snprintf(what, sizeof(what), "list%s%s", nargs == 1 ? " " : "", nargs == 1 ? args[0] : "");
	rc = ctx_load_state(c, what, nargs == 1 ? &id : NULL, &m, NULL);
	if (rc)
		return rc;
	if (c->o.json)
		out_json(out_model_json(&m));
	else
		print_human(&m, &lo);
	model_free(&m);
	return EXIT_OK;
}
