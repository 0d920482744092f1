// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl service, backend, flush, zero, timeout, sync: the commands that
 * change state. Each parses into the grammar's op and runs through
 * exec_ops(), the same path as batch files.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/ip_vs.h>
#include <popt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/run.h"
#include "kernel/ipvs.h"
#include "model/addr.h"
#include "output/json.h"

static const char service_help[] =
	"  service add SERVICE [OPTIONS]     add a virtual service\n"
	"  service edit SERVICE OPTIONS      change the options given, keep the rest\n"
	"  service del SERVICE               delete it and its backends\n"
	"  service flush                     delete every service\n\n"
	"OPTIONS:\n"
	"  scheduler NAME                    maglev (default), rr, wlc, mh, sh, ...\n"
	"  flags F[,F...]|none               scheduler flags: flag-1, flag-2, flag-3\n"
	"                                    (also sh-port, sh-fallback, mh-port, mh-fallback)\n"
	"  persistent SECONDS|off            persistence timeout\n"
	"  netmask MASK                      persistence granularity (IPv4 mask or prefix length)\n"
	"  ops on|off                        one-packet scheduling (UDP)\n"
	"  pe NAME|none                      persistence engine (sip)\n"
	"  table-size N|default              maglev: table size, a prime\n"
	"  hash auto|5tuple|src|srcport      maglev: what the flow hash reads\n"
	"  slow-start DURATION|off           maglev: slow-start window (20s, 500ms)\n"
	"  slow-start-aggression X           maglev: ramp curve, 0.1 to 10 (1: linear)\n"
	"  slow-start-min-pct N              maglev: ramp floor, percent of the weight\n"
	"  pin on|off|auto                   maglev: flow pinning (auto: on with flag-2)\n"
	"  pin-max N                         maglev: this service's pin cap\n\n"
	"SERVICE is tcp/ADDR:PORT, udp/ADDR:PORT, sctp/ADDR:PORT, fwmark/MARK or\n"
	"fwmark6/MARK; IPv6 addresses in brackets: tcp/[2001:db8::1]:443.\n";

static const char backend_help[] =
	"  backend add SERVICE BACKEND [OPTIONS]\n"
	"  backend edit SERVICE BACKEND OPTIONS\n"
	"  backend del SERVICE BACKEND\n\n"
	"BACKEND is ADDR[:PORT] (the service's port if none), [IPv6][:PORT].\n\n"
	"OPTIONS:\n"
	"  weight N                          0..2147483647 (default 1; 0 drains)\n"
	"  method nat|dr|tun                 forwarding (default dr, as ipvsadm)\n"
	"  tun-type ipip|gue|gre             with method tun (default ipip)\n"
	"  tun-port N                        UDP port for gue\n"
	"  tun-csum none|csum|remcsum        checksums for gue and gre\n"
	"  upper N                           upper connection threshold (0: none)\n"
	"  lower N                           lower connection threshold\n";

/* "ipvsctl OBJ ..." -> the grammar's words, then exec */
static int run_words(struct ctx *c, const char *obj, const char **args, int nargs)
{
	char *words[GRAMMAR_MAX_WORDS];
	int i;

	if (nargs + 1 > GRAMMAR_MAX_WORDS) {
		usage_error(c, "%s: too many words", obj);
		return EXIT_USAGE;
	}
	words[0] = (char *)obj;
	for (i = 0; i < nargs; i++)
		words[i + 1] = (char *)args[i];
	return exec_command(c, nargs + 1, words);
}

int cmd_service(struct ctx *c, int argc, char **argv)
{
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, NULL, "add|edit|del|flush SERVICE [OPTIONS]",
			 service_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs < 1) {
		usage_error(c, "service: add, edit, del or flush (ipvsctl service --help)");
		return EXIT_USAGE;
	}
	return run_words(c, "service", args, nargs);
}

int cmd_backend(struct ctx *c, int argc, char **argv)
{
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, NULL, "add|edit|del SERVICE BACKEND [OPTIONS]",
			 backend_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs < 1) {
		usage_error(c, "backend: add, edit or del (ipvsctl backend --help)");
		return EXIT_USAGE;
	}
	return run_words(c, "backend", args, nargs);
}

int cmd_flush(struct ctx *c, int argc, char **argv)
{
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, NULL, "", "Delete every virtual service and backend.\n",
			 &args, &nargs);
	if (rc)
		return rc;
	return run_words(c, "flush", args, nargs);
}

int cmd_zero(struct ctx *c, int argc, char **argv)
{
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, NULL, "[SERVICE]",
			 "Zero the packet, byte and connection counters of one service or all.\n",
			 &args, &nargs);
	if (rc)
		return rc;
	return run_words(c, "zero", args, nargs);
}

/* ---- timeout ---------------------------------------------------------------- */

int cmd_timeout(struct ctx *c, int argc, char **argv)
{
	const char **args;
	struct timeouts t;
	struct nl_err e;
	struct nl *nl;
	int nargs, rc, err;

	rc = cmd_options(c, argc, argv, NULL, "show | set [tcp S] [tcpfin S] [udp S]",
			 "Show or set IPVS connection timeouts, in seconds.\n", &args, &nargs);
	if (rc)
		return rc;
	if (nargs >= 1 && !strcmp(args[0], "set"))
		return run_words(c, "timeout", args, nargs);
	if (nargs > 1 || (nargs == 1 && strcmp(args[0], "show"))) {
		usage_error(c, "timeout: show or set (ipvsctl timeout --help)");
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = kipvs_get_timeouts(nl, &t, &e);
	if (err) {
		err_report(c, &e, err, "timeout show");
		return exit_code(err);
	}
	if (c->o.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "tcp", json_object_new_int64(t.tcp));
		json_object_object_add(o, "tcpfin", json_object_new_int64(t.tcp_fin));
		json_object_object_add(o, "udp", json_object_new_int64(t.udp));
		out_json(o);
	} else {
		printf("tcp %u tcpfin %u udp %u\n", t.tcp, t.tcp_fin, t.udp);
	}
	return EXIT_OK;
}

/* ---- sync ------------------------------------------------------------------ */

static const char sync_help[] =
	"IPVS's connection synchronisation daemon: a master sends connection\n"
	"state over multicast, backups on other directors receive it.\n\n"
	"  sync start master|backup [ifname IF] [syncid N] [maxlen N]\n"
	"                           [group ADDR] [port N] [ttl N]\n"
	"  sync stop master|backup\n"
	"  sync show\n";

int cmd_sync(struct ctx *c, int argc, char **argv)
{
	struct daemon_conf d[2];
	const char **args;
	char buf[64];
	struct nl_err e;
	struct nl *nl;
	int nargs, rc, err, n, i;

	rc = cmd_options(c, argc, argv, NULL, "start|stop|show ...", sync_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs >= 1 && (!strcmp(args[0], "start") || !strcmp(args[0], "stop")))
		return run_words(c, "sync", args, nargs);
	if (nargs > 1 || (nargs == 1 && strcmp(args[0], "show"))) {
		usage_error(c, "sync: start, stop or show (ipvsctl sync --help)");
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = kipvs_get_daemons(nl, d, &n, &e);
	if (err) {
		err_report(c, &e, err, "sync show");
		return exit_code(err);
	}
	if (c->o.json) {
		json_object *arr = json_object_new_array(), *root = json_object_new_object();

		for (i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "state", json_object_new_string(
				d[i].state == IP_VS_STATE_MASTER ? "master" : "backup"));
			json_object_object_add(o, "ifname", json_object_new_string(d[i].ifname));
			json_object_object_add(o, "syncid", json_object_new_int64(d[i].syncid));
			json_object_object_add(o, "maxlen", json_object_new_int64(d[i].maxlen));
			if (d[i].group_af) {
				inet_ntop(d[i].group_af, d[i].group, buf, sizeof(buf));
				json_object_object_add(o, "group", json_object_new_string(buf));
			} else {
				json_object_object_add(o, "group", NULL);
			}
			json_object_object_add(o, "port", json_object_new_int64(d[i].port));
			json_object_object_add(o, "ttl", json_object_new_int64(d[i].ttl));
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "daemons", arr);
		out_json(root);
		return EXIT_OK;
	}
	if (!n)
		printf("no sync daemon running\n");
	for (i = 0; i < n; i++) {
		printf("%s ifname %s syncid %u", d[i].state == IP_VS_STATE_MASTER ? "master" : "backup",
		       d[i].ifname, d[i].syncid);
		if (d[i].maxlen)
			printf(" maxlen %u", d[i].maxlen);
		if (d[i].group_af) {
			inet_ntop(d[i].group_af, d[i].group, buf, sizeof(buf));
			printf(" group %s", buf);
		}
		if (d[i].port)
			printf(" port %u", d[i].port);
		if (d[i].ttl)
			printf(" ttl %u", d[i].ttl);
		printf("\n");
	}
	return EXIT_OK;
}
