// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl apply: bring IPVS to a desired state, declaratively.
 *
 *   apply [-f FILE|-] [--scope SPEC]... [--drain-timeout DURATION]
 *         [--format auto|grammar|json] [--dry-run] [--stream]
 *
 * The input is a whole desired state, in ipvsctl's grammar (service add,
 * backend add, maglev set, timeout and health lines) or as JSON (see
 * ipvsctl.conf(5), "JSON FORM"). It is checked in full before anything is
 * sent; then the kernel's state is dumped, the difference computed, and
 * only that is applied, all or nothing (reconcile.c).
 *
 * Managed services: those the input names, and every current service in
 * a scope (--scope, or the JSON's "scope", which must lie inside the
 * command line's). A managed service the input does not name is deleted.
 * A backend that leaves a service is drained: weight 0, deleted once idle
 * or past its deadline, by this or a later apply (graceful termination;
 * diff.c, leave_adjust()).
 *
 * What an input that went wrong cannot do: an input naming no service
 * (a producer that crashed and wrote nothing) is refused unless the empty
 * state is explicit (--allow-empty, or JSON "services": []); a plan
 * deleting more services than --max-deletes allows is refused; --vip-dev
 * refuses an interface that is not a dummy, and removes only addresses
 * in the scope.
 *
 * --stream applies a sequence of such inputs, separated by "---" lines,
 * one at a time as each arrives (apply_stream()). A document of nothing
 * but blanks (a leading or doubled "---") is no document: it is skipped;
 * one not ended by "---" when the input ends is refused.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <popt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/apply.h"
#include "state/reconcile.h"

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
	"A JSON document's own \"scope\" replaces --scope for that document and\n"
	"must lie inside it.\n\n"
	"Safety: an input that names no service is refused (a producer that\n"
	"wrote nothing must change nothing) unless --allow-empty is given or\n"
	"the JSON says \"services\": []. --max-deletes N or N% refuses a plan\n"
	"deleting more of the managed services than that. --vip-dev refuses\n"
	"an interface that is not a dummy, and removes an address only if it\n"
	"is in the scope and no service wants it.\n"
	"Input: ipvsctl's grammar, or JSON (a document starting with '{' or '['); see\n"
	"ipvsctl.conf(5), DESIRED STATE and JSON FORM. --timing prints where\n"
	"the time went.\n\n"
	"--stream: the input is documents, each ended by a line '---', each\n"
	"applied as soon as it ends and answered by one\n"
	"line on standard output (with --json, a line of JSON), for a controller\n"
	"that keeps ipvsctl running. A failed document changes nothing and the\n"
	"stream goes on; the exit status is the first failure's. A document of\n"
	"nothing but blanks (from a leading or doubled '---') is skipped,\n"
	"unanswered; text after the last '---' at the end of the input (a\n"
	"producer that stopped mid-document) is refused, not applied. The generic netlink families are looked up again for each\n"
	"document, so a reloaded module is found.\n";

int read_all(struct ctx *c, const char *path, struct input *in)
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

/* apply's options as popt leaves them (its copies: freed by the caller) */
struct apply_args {
	char *file, *format, *drain_s, **scopes, *vip_dev, *maxdel_s;
	int dry_run, check_sysctls, timing, stream, allow_empty;
};

/* The options checked, into @o: 0, or the exit code (reported). */
static int apply_options(struct ctx *c, const struct apply_args *a, struct apply_opts *o)
{
	struct scope sc = { 0 };
	char why[640];
	size_t i;
	int err;

	/* checked here, once; each document parses them again (a JSON
	 * document's own "scope" replaces them for that document, inside them)
	 */
	for (i = 0; a->scopes && a->scopes[i]; i++) {
		err = scope_add(&sc, a->scopes[i], why, sizeof(why));
		if (err) {
			scope_free(&sc);
			usage_error(c, "apply: --%s", why);
			return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		}
	}
	scope_free(&sc);
	o->drain_ms = 300000;
	if (a->drain_s && parse_timeout_ms(a->drain_s, &o->drain_ms)) {
		usage_error(c, "apply: --drain-timeout '%s': " DURATION_HINT ", up to a week, or 0",
			    a->drain_s);
		return EXIT_USAGE;
	}
	if (a->maxdel_s) {
		struct rec_opts ro = { 0 };

		if (parse_max_deletes(a->maxdel_s, &ro)) {
			usage_error(c, "apply: --max-deletes '%s': a number of services, or a percentage of the managed ones (0%% to 100%%)",
				    a->maxdel_s);
			return EXIT_USAGE;
		}
		o->max_deletes = ro.max_deletes;
		o->max_deletes_pct = ro.max_deletes_pct;
		o->max_deletes_set = true;
	}
	if (a->format && strcmp(a->format, "auto") && strcmp(a->format, "grammar") &&
	    strcmp(a->format, "json")) {
		usage_error(c, "apply: --format '%s': auto, grammar or json", a->format);
		return EXIT_USAGE;
	}
	if (a->vip_dev && (!*a->vip_dev || strlen(a->vip_dev) > 15 ||
			   strpbrk(a->vip_dev, "/: \t"))) {
		usage_error(c, "apply: --vip-dev '%s': an interface name of 1 to 15 characters",
			    a->vip_dev);
		return EXIT_USAGE;
	}
	if (!a->file && !a->stream && isatty(STDIN_FILENO)) {
		usage_error(c, "apply: -f FILE, or the state on standard input (ipvsctl apply --help)");
		return EXIT_USAGE;
	}
	o->scopes = a->scopes;
	o->format = a->format;
	o->vip_dev = a->vip_dev;
	o->dry_run = a->dry_run;
	o->check_sysctls = a->check_sysctls;
	o->allow_empty = a->allow_empty;
	o->timing = a->timing;
	return 0;
}

int cmd_apply(struct ctx *c, int argc, char **argv)
{
	struct apply_args a = { 0 };
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &a.file, 0,
		  "the desired state (default: standard input)", "FILE" },
		{ "scope", 's', POPT_ARG_ARGV, &a.scopes, 0,
		  "also manage (and delete) current services in SPEC (repeatable)", "SPEC" },
		{ "drain-timeout", 0, POPT_ARG_STRING, &a.drain_s, 0,
		  "how long a leaving backend drains (default 5m; 0: delete at once)",
		  "DURATION" },
		{ "format", 0, POPT_ARG_STRING, &a.format, 0,
		  "input format (default auto: JSON if it starts with '{' or '[')", "auto|grammar|json" },
		{ "allow-empty", 0, POPT_ARG_NONE, &a.allow_empty, 0,
		  "apply an input that names no service (deleting every service in the scope)",
		  NULL },
		{ "max-deletes", 0, POPT_ARG_STRING, &a.maxdel_s, 0,
		  "refuse a plan that deletes more services than N, or than N% of the managed ones",
		  "N|N%" },
		{ "dry-run", 'n', POPT_ARG_NONE, &a.dry_run, 0,
		  "print the changes, send nothing", NULL },
		{ "vip-dev", 0, POPT_ARG_STRING, &a.vip_dev, 0,
		  "keep the virtual addresses on this dummy interface (created if missing; addresses in the scope that no service wants are removed)",
		  "IFNAME" },
		{ "check-sysctls", 0, POPT_ARG_NONE, &a.check_sysctls, 0,
		  "warn about kernel settings that differ from what a director needs (ipvsctl sysctl)",
		  NULL },
		{ "stream", 0, POPT_ARG_NONE, &a.stream, 0,
		  "apply each document of the input (separated by '---' lines) as it arrives; one result line each",
		  NULL },
		{ "timing", 0, POPT_ARG_NONE, &a.timing, 0,
		  "print where the time went (reading, checking, the kernel's state, planning, sending)",
		  NULL },
		POPT_TABLEEND
	};
	struct apply_opts o = { 0 };
	struct apply_res res;
	struct input in = { 0 };
	const char *path, *name, **args;
	uint64_t t_start;
	int rc, nargs;
	size_t i;

	rc = cmd_options(c, argc, argv, opts,
			 "apply [-f FILE] [--scope SPEC]... [--drain-timeout DURATION] [--vip-dev IFNAME] [--allow-empty] [--max-deletes N|N%] [--dry-run] [--stream]",
			 apply_help, &args, &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs) {
		usage_error(c, "apply: unexpected '%s' (the input is -f FILE or standard input)",
			    args[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = apply_options(c, &a, &o);
	if (rc)
		goto out;
	path = a.file ? a.file : "-";
	name = strcmp(path, "-") ? path : "<stdin>";
	if (a.stream) {
		rc = apply_stream(c, &o, path, name);
		goto out;
	}
	t_start = now_us();
	rc = read_all(c, path, &in);
	if (rc)
		goto out;
	rc = apply_doc(c, &o, name, in.buf, in.len, t_start, &res);
	if (res.applied)
		apply_summary(c, &o, &res);
	free(res.plan);
out:
	free(in.buf);
	for (i = 0; a.scopes && a.scopes[i]; i++)
		free(a.scopes[i]);
	free(a.scopes);
	/* popt's copies */
	free(a.file);
	free(a.format);
	free(a.drain_s);
	free(a.vip_dev);
	free(a.maxdel_s);
	return rc;
}

