// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl apply: bring IPVS to a desired state, declaratively.
 *
 *   apply [-f FILE|-] [--scope SPEC]... [--drain-timeout DURATION]
 *         [--format auto|grammar|json] [--dry-run]
 *
 * The input is a whole desired state, in ipvsctl's grammar (service add,
 * backend add, maglev set, timeout and health lines) or as JSON (see
 * ipvsctl.conf(5), "JSON FORM"). It is checked in full before anything is
 * sent; then the kernel's state is dumped, the difference computed, and
 * only that is applied, all or nothing (reconcile.c).
 *
 * Managed services: those the input names, and every current service in
 * a scope (--scope, or the JSON's "scope"). A managed service the input
 * does not name is deleted. A backend that leaves a service is drained:
 * weight 0, deleted once idle or past its deadline, by this or a later
 * apply (graceful termination; diff.c, leave_adjust()).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <json-c/json.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply_json.h"
#include "exec.h"
#include "health.h"
#include "reconcile.h"
#include "sysctl.h"
#include "vip.h"

#define APPLY_MAX_INPUT (512u << 20)	/* a desired state larger than this is a mistake */

static const char apply_help[] =
	"Make IPVS match the desired state in FILE (or standard input), changing\n"
	"only what differs. The whole input is checked before anything is sent,\n"
	"and the changes are applied all or nothing. Applying the same state\n"
	"twice makes no change the second time.\n\n"
	"Managed services are those the input names and, with --scope, every\n"
	"current service whose address is in a prefix or whose mark is in a\n"
	"range of the scope; a managed service the input does not name is\n"
	"deleted. Without a scope nothing the input does not name is touched.\n\n"
	"A backend that leaves a service is drained (weight 0) and deleted when\n"
	"it has no active connection and no pinned flow, or when --drain-timeout\n"
	"has passed (maglev services; the deadline is kept in the kernel, so any\n"
	"later apply finds it). Run apply again, or periodically, to finish\n"
	"drains. --drain-timeout 0 deletes leaving backends at once.\n\n"
	"SPEC: 10.96.0.0/12, 2001:db8::/64, an address, fwmark:LO-HI, or all.\n"
	"Input: ipvsctl's grammar, or JSON (a document starting with '{' or '['); see\n"
	"ipvsctl.conf(5), DESIRED STATE and JSON FORM. --timing prints where\n"
	"the time went.\n";

struct input {
	char *buf;
	size_t len;
};

static int read_all(struct ctx *c, const char *path, struct input *in)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 0, n;

	memset(in, 0, sizeof(*in));
	if (!f) {
		int e = errno;

		fprintf(stderr, "%s: %s: %s\n", c->prog, path, strerror(e));
		return e == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	for (;;) {
		if (cap - in->len < 65536) {
			char *b;

			if (cap >= APPLY_MAX_INPUT) {
				fprintf(stderr, "%s: %s: larger than %u MiB; nothing was changed\n",
					c->prog, path, APPLY_MAX_INPUT >> 20);
				goto fail;
			}
			cap = cap ? cap * 2 : 262144;
			b = realloc(in->buf, cap + 1);
			if (!b) {
				fprintf(stderr, "%s: out of memory\n", c->prog);
				goto fail;
			}
			in->buf = b;
		}
		n = fread(in->buf + in->len, 1, cap - in->len, f);
		in->len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: read error; nothing was changed\n", c->prog, path);
		goto fail;
	}
	if (!in->buf) {
		in->buf = malloc(1);
		if (!in->buf)
			goto fail;
	}
	in->buf[in->len] = 0;
	if (f != stdin)
		fclose(f);
	return EXIT_OK;
fail:
	if (f != stdin)
		fclose(f);
	free(in->buf);
	in->buf = NULL;
	return EXIT_USAGE;
}

/* ---- apply -------------------------------------------------------------------- */

struct apply_ctx {
	struct leave_opts lo;
	struct leave_result lr;
};

static int apply_adjust(struct model *want, const struct model *cur, void *arg)
{
	struct apply_ctx *a = arg;

	keep_operator_drains(want, cur);
	return leave_adjust(want, cur, &a->lo, &a->lr);
}

/* Services the input names that the scope does not hold: refused, so a
 * scoped controller cannot reach outside what it owns.
 */
static int check_scope(struct ctx *c, const struct model *want, const struct scope *sc)
{
	char b[96];
	size_t i;

	if (scope_empty(sc))
		return 0;
	for (i = 0; i < want->n; i++) {
		if (scope_has(sc, &want->svcs[i].id))
			continue;
		fmt_svc(&want->svcs[i].id, b, sizeof(b));
		fprintf(stderr, "%s: apply: service %s is outside the scope; nothing was changed\n",
			c->prog, b);
		return EXIT_USAGE;
	}
	return 0;
}

/* --check-sysctls: the settings that differ, as warnings (DR's too if a
 * backend of the state uses direct routing)
 */
static void warn_sysctls(struct ctx *c, const struct model *want)
{
	const struct director_sysctl *t;
	bool dr = false;
	size_t i, j, n;
	long v;

	for (i = 0; i < want->n && !dr; i++)
		for (j = 0; j < want->svcs[i].ndests; j++)
			if (want->svcs[i].dests[j].c.fwd == FWD_DR)
				dr = true;
	t = director_sysctls(&n);
	for (i = 0; i < n; i++) {
		if (t[i].dr_only && !dr)
			continue;
		if (sysctl_read(t[i].name, &v))
			fprintf(stderr, "%s: warning: %s cannot be read; recommended %ld\n",
				c->prog, t[i].name, t[i].want);
		else if (v != t[i].want)
			fprintf(stderr, "%s: warning: %s is %ld, recommended %ld: %s (ipvsctl sysctl set%s)\n",
				c->prog, t[i].name, v, t[i].want, t[i].why, dr ? " --dr" : "");
	}
}

int cmd_apply(struct ctx *c, int argc, char **argv)
{
	char *file = NULL, *format = NULL, *drain_s = NULL, **scopes = NULL, *vip_dev = NULL;
	char why[640];
	int dry_run = 0, check_sysctls = 0, timing = 0, rc, err, nargs;
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &file, 0,
		  "the desired state (default: standard input)", "FILE" },
		{ "scope", 's', POPT_ARG_ARGV, &scopes, 0,
		  "also manage (and delete) current services in SPEC (repeatable)", "SPEC" },
		{ "drain-timeout", 0, POPT_ARG_STRING, &drain_s, 0,
		  "how long a leaving backend drains (default 5m; 0: delete at once)",
		  "DURATION" },
		{ "format", 0, POPT_ARG_STRING, &format, 0,
		  "input format (default auto: JSON if it starts with '{' or '[')", "auto|grammar|json" },
		{ "dry-run", 'n', POPT_ARG_NONE, &dry_run, 0,
		  "print the changes, send nothing", NULL },
		{ "vip-dev", 0, POPT_ARG_STRING, &vip_dev, 0,
		  "keep the virtual addresses on this dummy interface (created if missing; its other addresses are removed)",
		  "IFNAME" },
		{ "check-sysctls", 0, POPT_ARG_NONE, &check_sysctls, 0,
		  "warn about kernel settings that differ from what a director needs (ipvsctl sysctl)",
		  NULL },
		{ "timing", 0, POPT_ARG_NONE, &timing, 0,
		  "print where the time went (reading, checking, the kernel's state, planning, sending)",
		  NULL },
		POPT_TABLEEND
	};
	struct apply_ctx a = { 0 };
	struct rec_opts ro = { 0 };
	struct rec_result rr;
	struct scope sc = { 0 };
	struct jops j = { 0 };
	struct op *ops = NULL;
	struct model want;
	struct timeouts to;
	struct input in = { 0 };
	const char *path, *name, **args;
	uint32_t drain_ms = 300000;
	uint64_t t_start = now_us(), t_parsed = 0, t_checked = 0;
	size_t nops = 0, i, started = 0, vchanges = 0;
	bool json = false;
	struct nl *nl;

	rc = cmd_options(c, argc, argv, opts,
			 "apply [-f FILE] [--scope SPEC]... [--drain-timeout DURATION] [--vip-dev IFNAME] [--dry-run]",
			 apply_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs) {
		usage_error(c, "apply: unexpected '%s' (the input is -f FILE or standard input)",
			    args[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	for (i = 0; scopes && scopes[i]; i++) {
		err = scope_add(&sc, scopes[i], why, sizeof(why));
		if (err) {
			usage_error(c, "apply: --%s", why);
			rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
			goto out;
		}
	}
	if (drain_s && parse_timeout_ms(drain_s, &drain_ms)) {
		usage_error(c, "apply: --drain-timeout '%s': a duration with its unit, like 30s, 5m, or 0",
			    drain_s);
		rc = EXIT_USAGE;
		goto out;
	}
	if (format && strcmp(format, "auto") && strcmp(format, "grammar") && strcmp(format, "json")) {
		usage_error(c, "apply: --format '%s': auto, grammar or json", format);
		rc = EXIT_USAGE;
		goto out;
	}
	if (vip_dev && (!*vip_dev || strlen(vip_dev) > 15 || strpbrk(vip_dev, "/: \t"))) {
		usage_error(c, "apply: --vip-dev '%s': an interface name of 1 to 15 characters", vip_dev);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!file && isatty(STDIN_FILENO)) {
		usage_error(c, "apply: -f FILE, or the state on standard input (ipvsctl apply --help)");
		rc = EXIT_USAGE;
		goto out;
	}
	path = file ? file : "-";
	name = strcmp(path, "-") ? path : "<stdin>";
	rc = read_all(c, path, &in);
	if (rc)
		goto out;
	if (format && strcmp(format, "auto"))
		json = !strcmp(format, "json");
	else {
		/* no grammar line starts with a bracket: a JSON array is a
		 * JSON mistake, and is reported as one
		 */
		char first = in.buf[strspn(in.buf, " \t\r\n")];

		json = first == '{' || first == '[';
	}

	/* 1. the whole input, checked */
	if (json) {
		j.scope = &sc;
		err = json_to_ops(name, in.buf, &j, why, sizeof(why));
		if (err) {
			if (err == -ENOMEM)
				fprintf(stderr, "%s: out of memory\n", c->prog);
			else
				fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, why);
			rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
			goto out;
		}
		ops = j.v;
		nops = j.n;
	} else if (in.len) {
		FILE *f = fmemopen(in.buf, in.len, "r");

		if (!f) {
			rc = EXIT_FAIL;
			goto out;
		}
		rc = exec_read_stream(c, f, name, false, &ops, &nops);
		fclose(f);
		if (rc)
			goto out;
	}
	t_parsed = now_us();
	model_init(&want);
	err = ctx_nl(c, &nl);
	if (err) {
		rc = exit_code(err);
		goto out_model;
	}
	err = state_from_ops(nl, ops, nops, &want, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, why);
		rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		goto out_model;
	}
	rc = check_scope(c, &want, &sc);
	if (rc)
		goto out_model;
	t_checked = now_us();

	/* 2. the difference, applied all or nothing */
	a.lo.timeout_s = (drain_ms + 999) / 1000;
	a.lo.now_s = wall_ms() / 1000;
	ro.in_scope = scope_empty(&sc) ? NULL : scope_fn;
	ro.scope_arg = &sc;
	ro.adjust = apply_adjust;
	ro.adjust_arg = &a;
	ro.timeouts = &to;
	ro.dry_run = dry_run;
	ro.out = stdout;
	err = reconcile(nl, &want, &ro, &rr);
	if (err) {
		if (rr.failed_step)
			fprintf(stderr, "%s: apply: step %zu of the plan: %s; %s\n", c->prog,
				rr.failed_step, rr.why,
				rr.undo_err ? "rolling back FAILED: the steps before it may be applied (ipvsctl list)" :
				"the other steps were rolled back: nothing was changed");
		else if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory; nothing was changed\n", c->prog);
		else
			fprintf(stderr, "%s: apply: %s; nothing was changed\n", c->prog, rr.why);
		rc = exit_code(err);
		goto out_model;
	}

	/* 3. new drains: their deadline where the next apply finds it */
	for (i = 0; i < a.lr.n; i++) {
		struct leaver *lv = &a.lr.v[i];
		char s[96], b[64];

		if (!lv->start)
			continue;
		fmt_svc(&lv->svc, s, sizeof(s));
		fmt_addr_port(lv->ap.af, lv->ap.addr, lv->ap.port, b, sizeof(b));
		started++;
		if (dry_run) {
			printf("maglev set-backend %s %s drain-deadline %llu\n", s, b,
			       (unsigned long long)lv->deadline);
			continue;
		}
		err = leaver_store(nl, lv);
		if (err) {
			/* the weight is 0 already; the next apply sets the deadline */
			fprintf(stderr, "%s: apply: %s %s is draining, but its deadline was not stored: %s\n",
				c->prog, s, b, nl->ext[0] ? nl->ext : strerror(-err));
			rc = exit_code(err);
		}
	}
	/* 4. the virtual addresses, once the services are there */
	if (vip_dev) {
		err = vip_sync(vip_dev, &want, dry_run, stdout, &vchanges, why, sizeof(why));
		if (err) {
			fprintf(stderr, "%s: apply: the IPVS state is applied (%zu changes), but not the addresses: %s\n",
				c->prog, rr.changes + started, why);
			rc = err == -EINVAL ? EXIT_USAGE : exit_code(err);
		}
		started += vchanges;
	}
	if (!c->o.quiet || dry_run) {
		FILE *o = dry_run ? stdout : stderr;

		fprintf(o, "%s: %s%zu change%s%s", c->prog, dry_run ? "would make " : "",
			rr.changes + started, rr.changes + started == 1 ? "" : "s",
			dry_run ? "" : " applied");
		if (a.lr.n)
			fprintf(o, "; %zu backend%s draining", a.lr.n, a.lr.n == 1 ? "" : "s");
		if (a.lr.deleted_expired)
			fprintf(o, "; %zu deleted at their drain deadline", a.lr.deleted_expired);
		fprintf(o, "\n");
	}
	if (check_sysctls)
		warn_sysctls(c, &want);
	if (timing)
		fprintf(stderr,
			"%s: timing: read+parse %.1f ms, check %.1f ms, kernel state %.1f ms "
			"(%zu services, %zu read in full), diff+plan %.1f ms, send %.1f ms, total %.1f ms\n",
			c->prog, (t_parsed - t_start) / 1e3, (t_checked - t_parsed) / 1e3,
			rr.us_load / 1e3, rr.svcs_seen, rr.svcs_read, rr.us_diff / 1e3,
			rr.us_run / 1e3, (now_us() - t_start) / 1e3);
	if (c->o.json) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "changes", json_object_new_int64((int64_t)(rr.changes + started)));
		json_object_object_add(r, "dry_run", json_object_new_boolean(dry_run));
		json_object_object_add(r, "draining", json_object_new_int64((int64_t)a.lr.n));
		json_object_object_add(r, "drain_deadlines_passed",
				       json_object_new_int64((int64_t)a.lr.deleted_expired));
		printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r);
	}
out_model:
	model_free(&want);
	free(a.lr.v);
out:
	if (json)
		jops_free(&j);
	else
		ops_free(ops, nops);
	free(in.buf);
	scope_free(&sc);
	for (i = 0; scopes && scopes[i]; i++)
		free(scopes[i]);
	free(scopes);
	/* popt's copies */
	free(file);
	free(format);
	free(drain_s);
	free(vip_dev);
	return rc;
}
