// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl health status: the health daemon's live state, from the state
 * file it replaces atomically (ipvsctl daemon --state-file).
 *
 *   health status [SERVICE [BACKEND]] [--state-file PATH] [--json]
 *
 * Exit status: 0 the daemon is running; 1 it is not (the state shown is
 * its last); 4 no state file, or nothing matches SERVICE/BACKEND.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "health/loop.h"
#include "health/statefile.h"
#include "model/addr.h"
#include "output/json.h"


static const char health_help[] =
	"Subcommands:\n"
	"  status [SERVICE [BACKEND]]   backends' health, as 'ipvsctl daemon' sees it\n\n"
	"Exit status: 0 the daemon is running, 9 it is not (its last state is\n"
	"shown), 4 no state file or no such service/backend, 1 a state file\n"
	"this ipvsctl cannot read.\n";

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static void fmt_age(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
}

static int health_status(struct ctx *c, const char *path, int nargs, const char **args)
{
	json_object *root, *arr, *out, *v;
	struct svc_id want_svc, id;
	struct addr_port want_be, ap;
	char why[PATH_MAX + 128], age[32];
	bool running;
	size_t i, n, shown = 0;
	int64_t now = (int64_t)wall_ms(), pid;
	int rc, err;

	if (nargs > 2) {
		usage_error(c, "health status: [SERVICE [BACKEND]] at most");
		return EXIT_USAGE;
	}
	if (nargs >= 1 && parse_svc(args[0], &want_svc, why, sizeof(why))) {
		usage_error(c, "health status: %s", why);
		return EXIT_USAGE;
	}
	if (nargs == 2) {
		if (parse_addr_port(args[1], want_svc.af, &want_be, false, why, sizeof(why))) {
			usage_error(c, "health status: %s", why);
			return EXIT_USAGE;
		}
		if (!want_be.port)
			want_be.port = want_svc.port;
	}
	err = statefile_read(path, &root, &running, why, sizeof(why));
	if (err == -EPROTO) {
		fprintf(stderr, "%s: health status: %s\n", c->prog, why);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "%s: health status: cannot read %s: %s (is 'ipvsctl daemon' running? --state-file?)\n",
			c->prog, path, why);
		return EXIT_NOTFOUND;
	}
	pid = jint(root, "pid");
	json_object_object_get_ex(root, "backends", &arr);

	out = json_object_new_array();
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(arr, i);
		const char *svc = jstr(b, "service"), *be = jstr(b, "backend");

		if (!svc || !be)
			continue;
		if (nargs >= 1 && (parse_svc(svc, &id, why, sizeof(why)) ||
				   !svc_id_eq(&id, &want_svc)))
			continue;
		if (nargs == 2 && (parse_addr_port(be, id.af, &ap, false, why, sizeof(why)) ||
				   !addr_port_eq(&ap, &want_be)))
			continue;
		json_object_array_add(out, json_object_get(b));
	}
	shown = json_object_array_length(out);
	if (c->o.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "daemon_running", json_object_new_boolean(running));
		json_object_object_add(o, "pid", json_object_new_int64(pid));
		json_object_object_add(o, "config", jstr(root, "config") ?
				       json_object_new_string(jstr(root, "config")) : NULL);
		json_object_object_add(o, "started", json_object_new_int64(jint(root, "started")));
		json_object_object_add(o, "updated", json_object_new_int64(jint(root, "updated")));
		json_object_object_add(o, "reloads", json_object_new_int64(jint(root, "reloads")));
		json_object_object_add(o, "transitions",
				       json_object_new_int64(jint(root, "transitions")));
		json_object_object_add(o, "backends", out);
		out_json(o);
	} else {
		fmt_age(now - jint(root, "started"), age, sizeof(age));
		printf("daemon pid %" PRId64 " %s, config %s, up %s, %" PRId64 " reloads, %" PRId64
		       " transitions\n", pid, running ? "running" : "NOT RUNNING (last state)",
		       jstr(root, "config") ? jstr(root, "config") : "?", age,
		       jint(root, "reloads"), jint(root, "transitions"));
		if (shown)
			printf("%-28s %-26s %-5s %-5s %-7s %8s %8s  %s\n", "SERVICE", "BACKEND",
			       "CHECK", "STATE", "FOR", "PROBES", "FAILED", "LAST ERROR");
		for (i = 0; i < shown; i++) {
			json_object *b = json_object_array_get_idx(out, i);
			const char *last = jstr(b, "last_error");

			json_object_object_get_ex(b, "applied", &v);
			fmt_age(now - jint(b, "since"), age, sizeof(age));
			printf("%-28s %-26s %-5s %-5s %-7s %8" PRId64 " %8" PRId64 "  %s%s\n",
			       jstr(b, "service"), jstr(b, "backend"),
			       jstr(b, "check") ? jstr(b, "check") : "?",
			       jstr(b, "state") ? jstr(b, "state") : "?", age, jint(b, "probes"),
			       jint(b, "failures"), last ? last : "",
			       v && !json_object_get_boolean(v) ? " (NOT APPLIED)" : "");
		}
		json_object_put(out);
	}
	/* the daemon not running is what this check found, not a failure */
	rc = running ? EXIT_OK : EXIT_DIFFERS;
	if (nargs && !shown) {
		fprintf(stderr, "%s: health status: no health-checked backend matches\n", c->prog);
		rc = EXIT_NOTFOUND;
	}
	if (!running && !c->o.quiet)
		fprintf(stderr, "%s: health status: the daemon (pid %" PRId64 ") is not running\n",
			c->prog, pid);
	json_object_put(root);
	return rc;
}

int cmd_health(struct ctx *c, int argc, char **argv)
{
	char *state = NULL;
	struct poptOption opts[] = {
		{ "state-file", 0, POPT_ARG_STRING, &state, 0,
		  "the daemon's state file (default " DEFAULT_STATE_FILE ")", "PATH" },
		POPT_TABLEEND
	};
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, opts, "status [SERVICE [BACKEND]] [--state-file PATH]",
			 health_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs < 1 || strcmp(args[0], "status")) {
		usage_error(c, "health: %s%s (ipvsctl health --help)",
			    nargs ? "unknown subcommand " : "which? status",
			    nargs ? args[0] : "");
		return EXIT_USAGE;
	}
	return health_status(c, state ? state : DEFAULT_STATE_FILE, nargs - 1, args + 1);
}
