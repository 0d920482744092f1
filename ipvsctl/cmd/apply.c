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
#include <json-c/json.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/cmd.h"
#include "cmd/run.h"
#include "config/json.h"
#include "health/loop.h"
#include "kernel/sysctl.h"
#include "kernel/vip.h"
#include "model/addr.h"
#include "output/json.h"
#include "state/reconcile.h"

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
 * scoped controller cannot reach outside what it owns (a document's own
 * scope is bounded by the command line's: apply_doc()).
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

static bool names_a_service(const struct op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops[i].kind == OP_SVC_ADD)
			return true;
	return false;
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

static double tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

/* what each document is applied with: the command line's options */
struct apply_opts {
	char **scopes;		/* --scope SPECs, checked already */
	const char *format;	/* NULL or "auto", "grammar", "json" */
	const char *vip_dev;
	uint32_t drain_ms;
	uint32_t max_deletes;	/* with max_deletes_set; a percentage with _pct */
	bool max_deletes_set, max_deletes_pct;
	bool dry_run, check_sysctls, timing, allow_empty;
};

/* what became of one document */
struct apply_res {
	size_t changes;		/* made (or, with --dry-run, that would be) */
	size_t draining;
	size_t expired;		/* backends deleted at their drain deadline */
	bool applied;		/* the IPVS changes were made; a later step may have failed */
	bool undo_failed;	/* a kernel refusal, and rolling back failed too */
	/* --dry-run --json: the steps that would be sent, for the JSON
	 * document's "plan" rather than lines of their own on stdout;
	 * malloc'd, the caller frees it
	 */
	char *plan;
	size_t plan_len;
};

/*
 * Apply one desired state: @buf, @len bytes and NUL-terminated, named
 * @name in messages. Returns the exit code; errors are reported here.
 */
static int apply_doc(struct ctx *c, const struct apply_opts *o, const char *name, char *buf,
		     size_t len, uint64_t t_start, struct apply_res *res)
{
	char why[640];
	struct apply_ctx a = { 0 };
	struct rec_opts ro = { 0 };
	struct rec_result rr;
	struct scope sc = { 0 }, jsc = { 0 };
	struct jops j = { 0 };
	struct op *ops = NULL;
	struct model want;
	struct timeouts to;
	uint64_t t_parsed = 0, t_checked = 0;
	struct rusage ru0, ru1;
	size_t nops = 0, i, started = 0, vchanges = 0;
	bool json = false, explicit_empty = o->allow_empty;
	struct nl *nl;
	FILE *out = stdout;	/* a dry run's steps */
	int rc = EXIT_OK, err;

	memset(res, 0, sizeof(*res));
	if (o->dry_run && c->o.json) {
		/* stdout is to be one JSON document: the steps go in it */
		out = open_memstream(&res->plan, &res->plan_len);
		if (!out) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			return EXIT_FAIL;
		}
	}
	if (o->timing)
		getrusage(RUSAGE_SELF, &ru0);
	for (i = 0; o->scopes && o->scopes[i]; i++) {
		err = scope_add(&sc, o->scopes[i], why, sizeof(why));
		if (err) {
			/* checked by cmd_apply(): only memory can fail here */
			fprintf(stderr, "%s: out of memory\n", c->prog);
			rc = EXIT_FAIL;
			goto out;
		}
	}
	if (o->format && strcmp(o->format, "auto")) {
		json = !strcmp(o->format, "json");
	} else {
		/* no grammar line starts with a bracket: a JSON array is a
		 * JSON mistake, and is reported as one
		 */
		char first = buf[strspn(buf, " \t\r\n")];

		json = first == '{' || first == '[';
	}

	/* 1. the whole input, checked */
	if (json) {
		j.scope = &jsc;
		err = json_to_ops(name, buf, &j, why, sizeof(why));
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
		explicit_empty |= j.services;
		/* the operator's --scope is the bound: a document may narrow
		 * it, never widen it
		 */
		if (!scope_empty(&jsc)) {
			if (!scope_empty(&sc) && scope_within(&jsc, &sc, why, sizeof(why))) {
				fprintf(stderr, "%s: %s: %s; nothing was changed\n", c->prog, name, why);
				rc = EXIT_USAGE;
				goto out;
			}
			scope_free(&sc);
			sc = jsc;
			memset(&jsc, 0, sizeof(jsc));
		}
	} else if (len) {
		FILE *f = fmemopen(buf, len, "r");

		if (!f) {
			rc = EXIT_FAIL;
			goto out;
		}
		rc = exec_read_stream(c, f, name, &ops, &nops);
		fclose(f);
		if (rc)
			goto out;
	}
	t_parsed = now_us();
	model_init(&want);
	/* checked before the kernel is asked: a producer that crashed and
	 * wrote nothing (or only comments) must change nothing
	 */
	if (!explicit_empty && !names_a_service(ops, nops)) {
		fprintf(stderr,
			"%s: %s names no service; nothing was changed (an empty desired state%s must be explicit: --allow-empty, or JSON \"services\": [])\n",
			c->prog, name, scope_empty(&sc) ? "" : " deletes every service in the scope, so it");
		rc = EXIT_USAGE;
		goto out_model;
	}
	err = ctx_nl(c, &nl);
	if (err) {
		rc = exit_code(err);
		goto out_model;
	}
	/* genl ids are allocated anew when a module is reloaded, which may
	 * happen between two documents of a stream: looked up per document
	 */
	nlc_forget_families(nl);
	err = state_from_ops(nl, ops, nops, &want, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, why);
		rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		goto out_model;
	}
	rc = check_scope(c, &want, &sc);
	if (rc)
		goto out_model;
	if (o->vip_dev) {
		/* before any change: an interface not ours is refused */
		err = vip_check(o->vip_dev, why, sizeof(why));
		if (err) {
			fprintf(stderr, "%s: apply: --vip-dev: %s; nothing was changed\n", c->prog,
				why);
			rc = err == -EINVAL ? EXIT_USAGE : exit_code(err);
			goto out_model;
		}
	}
	t_checked = now_us();

	/* 2. the difference, applied all or nothing */
	a.lo.timeout_s = (o->drain_ms + 999) / 1000;
	a.lo.now_s = wall_ms() / 1000;
	ro.in_scope = scope_empty(&sc) ? NULL : scope_fn;
	ro.scope_arg = &sc;
	ro.adjust = apply_adjust;
	ro.adjust_arg = &a;
	ro.timeouts = &to;
	ro.max_deletes_set = o->max_deletes_set;
	ro.max_deletes_pct = o->max_deletes_pct;
	ro.max_deletes = o->max_deletes;
	ro.dry_run = o->dry_run;
	ro.out = out;
	err = reconcile(nl, &want, &ro, &rr);
	if (err) {
		if (rr.failed_step && rr.unknown && !rr.undo_err)
			fprintf(stderr, "%s: apply: step %zu of the plan: %s; every step that was or may have been applied (%zu without an answer) was rolled back: nothing was changed\n",
				c->prog, rr.failed_step, rr.why, rr.unknown);
		else if (rr.failed_step)
			fprintf(stderr, "%s: apply: step %zu of the plan: %s; %s\n", c->prog,
				rr.failed_step, rr.why,
				rr.undo_err ? "rolling back FAILED: the steps before it may be applied (ipvsctl list)" :
				"the other steps were rolled back: nothing was changed");
		else if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory; nothing was changed\n", c->prog);
		else
			fprintf(stderr, "%s: apply: %s; nothing was changed\n", c->prog, rr.why);
		res->undo_failed = rr.failed_step && rr.undo_err;
		/* the deletion guard is a refusal of the input, not the kernel's;
		 * lost answers or a failed rollback are not refusals either
		 */
		if (err == -ECANCELED)
			rc = EXIT_USAGE;
		else if (rr.undo_err || rr.unknown)
			rc = EXIT_FAIL;
		else
			rc = exit_code(err);
		goto out_model;
	}
	res->changes = rr.changes;
	res->applied = true;

	/* 3. new drains: their deadline where the next apply finds it */
	for (i = 0; i < a.lr.n; i++) {
		struct leaver *lv = &a.lr.v[i];
		char s[96], b[64];

		if (!lv->start)
			continue;
		fmt_svc(&lv->svc, s, sizeof(s));
		fmt_addr_port(lv->ap.af, lv->ap.addr, lv->ap.port, b, sizeof(b));
		started++;
		if (o->dry_run) {
			fprintf(out, "maglev set-backend %s %s drain-deadline %llu\n", s, b,
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
	if (o->vip_dev) {
		err = vip_sync(o->vip_dev, &want, &sc, o->dry_run, out, &vchanges, why,
			       sizeof(why));
		if (err) {
			fprintf(stderr, "%s: apply: the IPVS state is applied (%zu changes), but not the addresses: %s\n",
				c->prog, rr.changes + started, why);
			rc = err == -EINVAL ? EXIT_USAGE : exit_code(err);
		}
		started += vchanges;
	}
	res->changes = rr.changes + started;
	res->draining = a.lr.n;
	res->expired = a.lr.deleted_expired;
	if (o->check_sysctls)
		warn_sysctls(c, &want);
	if (o->timing) {
		getrusage(RUSAGE_SELF, &ru1);
		fprintf(stderr,
			"%s: timing: read+parse %.1f ms, check %.1f ms, kernel state %.1f ms "
			"(%zu services, %zu read in full), diff+plan %.1f ms, send %.1f ms, total %.1f ms "
			"(CPU: user %.1f ms, system %.1f ms)\n",
			c->prog, (t_parsed - t_start) / 1e3, (t_checked - t_parsed) / 1e3,
			rr.us_load / 1e3, rr.svcs_seen, rr.svcs_read, rr.us_diff / 1e3,
			rr.us_run / 1e3, (now_us() - t_start) / 1e3,
			tv_ms(&ru1.ru_utime) - tv_ms(&ru0.ru_utime),
			tv_ms(&ru1.ru_stime) - tv_ms(&ru0.ru_stime));
	}
out_model:
	model_free(&want);
	free(a.lr.v);
out:
	if (json)
		jops_free(&j);
	else
		ops_free(ops, nops);
	scope_free(&sc);
	scope_free(&jsc);
	if (out != stdout && fclose(out) && !rc) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = EXIT_FAIL;
	}
	return rc;
}

/* what became of a document, into @j: changes, dry_run, draining, ... */
static void res_json(struct json_object *j, const struct apply_opts *o,
		     const struct apply_res *r)
{
	json_object_object_add(j, "changes", json_object_new_int64((int64_t)r->changes));
	json_object_object_add(j, "dry_run", json_object_new_boolean(o->dry_run));
	json_object_object_add(j, "draining", json_object_new_int64((int64_t)r->draining));
	json_object_object_add(j, "drain_deadlines_passed",
			       json_object_new_int64((int64_t)r->expired));
	if (o->dry_run)
		json_object_object_add(j, "plan", out_lines_json(r->plan, r->plan_len));
}

/* the same as words: "N changes applied; M backends draining", a line */
static void res_text(FILE *f, const struct apply_opts *o, const struct apply_res *r)
{
	fprintf(f, "%s%zu change%s%s", o->dry_run ? "would make " : "", r->changes,
		r->changes == 1 ? "" : "s", o->dry_run ? "" : " applied");
	if (r->draining)
		fprintf(f, "; %zu backend%s draining", r->draining, r->draining == 1 ? "" : "s");
	if (r->expired)
		fprintf(f, "; %zu deleted at their drain deadline", r->expired);
	fprintf(f, "\n");
}

/*
 * The summary of a single apply: with --json one JSON document on stdout,
 * the dry run's steps inside it, and nothing else there; else a line, on
 * stdout after a dry run's steps, on stderr after changes.
 */
static void apply_summary(struct ctx *c, const struct apply_opts *o, const struct apply_res *r)
{
	bool to_stdout = o->dry_run && !c->o.json;

	if (c->o.json) {
		struct json_object *j = json_object_new_object();

		res_json(j, o, r);
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	}
	if (!c->o.quiet || to_stdout) {
		FILE *f = to_stdout ? stdout : stderr;

		fprintf(f, "%s: ", c->prog);
		res_text(f, o, r);
	}
}

/*
 * --stream: one document's result, one line on standard output, flushed,
 * so that a controller writing documents into a pipe can wait for it.
 */
static void stream_ack(struct ctx *c, const struct apply_opts *o, long doc, int rc,
		       const struct apply_res *r)
{
	if (c->o.json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "document", json_object_new_int64(doc));
		json_object_object_add(j, "exit_status", json_object_new_int(rc));
		if (rc)
			/* true: the document changed nothing */
			json_object_object_add(j, "unchanged",
					       json_object_new_boolean(!r->applied && !r->undo_failed));
		res_json(j, o, r);
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else if (rc && r->undo_failed) {
		printf("document %ld: failed (exit status %d); rolling back failed too\n", doc, rc);
	} else if (rc && !r->applied) {
		printf("document %ld: failed (exit status %d); nothing was changed\n", doc, rc);
	} else if (rc) {
		printf("document %ld: failed (exit status %d) after %zu change%s\n", doc, rc,
		       r->changes, r->changes == 1 ? "" : "s");
	} else {
		printf("document %ld: ", doc);
		res_text(stdout, o, r);
	}
	fflush(stdout);
}

/* a line that ends a --stream document: "---", blanks around it allowed */
static bool is_separator(const char *l)
{
	l += strspn(l, " \t");
	if (strncmp(l, "---", 3))
		return false;
	l += 3;
	return l[strspn(l, " \t\r\n")] == 0;
}

/*
 * --stream: documents separated by "---" lines, each applied as soon as its
 * separator (or the end of the input) is read. A document that fails
 * changes nothing (apply_doc()) and the stream goes on; the exit code is
 * that of the first failure. The input after the last separator is not
 * applied: blanks are nothing, anything else a document cut short.
 */
static int apply_stream(struct ctx *c, const struct apply_opts *o, const char *path,
			const char *name)
{
	enum { CHUNK = 65536 };	/* a longer line is read in pieces */
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct input doc = { 0 };
	size_t cap = 0, n;
	char *chunk, dname[300];
	bool blank = true, big = false, bol = true, eof;
	uint64_t t_first = 0;	/* the document's first line came */
	long ndoc = 0;
	int rc = EXIT_OK, drc;

	if (!f) {
		int e = errno;

		fprintf(stderr, "%s: %s: %s\n", c->prog, path, strerror(e));
		return e == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	chunk = malloc(CHUNK);
	if (!chunk) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = EXIT_FAIL;
		goto out;
	}
	/* a pipe is read as far as it is filled, not a few KiB at a time */
	setvbuf(f, NULL, _IOFBF, 1u << 20);
	for (;;) {
		struct apply_res r = { 0 };

		eof = !fgets(chunk, CHUNK, f);
		n = eof ? 0 : strlen(chunk);
		if (!t_first)
			t_first = now_us();
		if (!eof && !(bol && (chunk[n - 1] == '\n' || feof(f)) && is_separator(chunk))) {
			/* the document's text: bounded, as a single apply's */
			bol = n && chunk[n - 1] == '\n';
			if (big || doc.len + n > APPLY_MAX_INPUT) {
				big = true;	/* skipped up to the separator */
				continue;
			}
			if (doc.len + n + 1 > cap) {
				size_t ncap = cap ? cap : 262144;
				char *b;

				while (ncap < doc.len + n + 1)
					ncap *= 2;
				b = realloc(doc.buf, ncap);
				if (!b) {
					fprintf(stderr, "%s: out of memory\n", c->prog);
					rc = EXIT_FAIL;
					break;
				}
				doc.buf = b;
				cap = ncap;
			}
			memcpy(doc.buf + doc.len, chunk, n);
			doc.len += n;
			if (chunk[strspn(chunk, " \t\r\n")])
				blank = false;
			continue;
		}
		if (eof && ferror(f)) {
			fprintf(stderr, "%s: %s: read error\n", c->prog, name);
			if (!rc)
				rc = EXIT_FAIL;
			break;
		}
		if (eof && !blank && !big) {
			/*
			 * Text after the last "---" at the end of the input: a
			 * producer that stopped in the middle of a document. Not
			 * applied: with a scope, half a state deletes the rest.
			 */
			ndoc++;
			fprintf(stderr, "%s: %s (document %ld): not ended by a '---' line; not applied\n",
				c->prog, name, ndoc);
			stream_ack(c, o, ndoc, EXIT_USAGE, &r);
			if (!rc)
				rc = EXIT_USAGE;
			break;
		}
		if (blank && !big) {
			/* nothing but blanks: a leading or doubled "---", or
			 * the tail after the last one, is no document
			 */
			doc.len = 0;
			bol = true;
			t_first = 0;
			if (eof)
				break;
			continue;
		}
		ndoc++;
		snprintf(dname, sizeof(dname), "%s (document %ld)", name, ndoc);
		if (big) {
			fprintf(stderr, "%s: %s: larger than %u MiB; nothing was changed\n",
				c->prog, dname, APPLY_MAX_INPUT >> 20);
			drc = EXIT_USAGE;
		} else {
			if (!doc.buf) {
				doc.buf = malloc(1);
				cap = 1;
				if (!doc.buf) {
					fprintf(stderr, "%s: out of memory\n", c->prog);
					rc = EXIT_FAIL;
					break;
				}
			}
			doc.buf[doc.len] = 0;
			drc = apply_doc(c, o, dname, doc.buf, doc.len, t_first, &r);
		}
		stream_ack(c, o, ndoc, drc, &r);
		free(r.plan);
		if (drc && !rc)
			rc = drc;
		doc.len = 0;
		blank = true;
		big = false;
		bol = true;
		t_first = 0;
		if (eof)
			break;
	}
out:
	free(chunk);
	free(doc.buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

int cmd_apply(struct ctx *c, int argc, char **argv)
{
	char *file = NULL, *format = NULL, *drain_s = NULL, **scopes = NULL, *vip_dev = NULL;
	char *maxdel_s = NULL;
	char why[640];
	int dry_run = 0, check_sysctls = 0, timing = 0, stream = 0, allow_empty = 0, rc, err;
	int nargs;
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
		{ "allow-empty", 0, POPT_ARG_NONE, &allow_empty, 0,
		  "apply an input that names no service (deleting every service in the scope)",
		  NULL },
		{ "max-deletes", 0, POPT_ARG_STRING, &maxdel_s, 0,
		  "refuse a plan that deletes more services than N, or than N% of the managed ones",
		  "N|N%" },
		{ "dry-run", 'n', POPT_ARG_NONE, &dry_run, 0,
		  "print the changes, send nothing", NULL },
		{ "vip-dev", 0, POPT_ARG_STRING, &vip_dev, 0,
		  "keep the virtual addresses on this dummy interface (created if missing; addresses in the scope that no service wants are removed)",
		  "IFNAME" },
		{ "check-sysctls", 0, POPT_ARG_NONE, &check_sysctls, 0,
		  "warn about kernel settings that differ from what a director needs (ipvsctl sysctl)",
		  NULL },
		{ "stream", 0, POPT_ARG_NONE, &stream, 0,
		  "apply each document of the input (separated by '---' lines) as it arrives; one result line each",
		  NULL },
		{ "timing", 0, POPT_ARG_NONE, &timing, 0,
		  "print where the time went (reading, checking, the kernel's state, planning, sending)",
		  NULL },
		POPT_TABLEEND
	};
	struct apply_opts o = { 0 };
	struct apply_res res;
	struct scope sc = { 0 };
	struct input in = { 0 };
	const char *path, *name, **args;
	uint32_t drain_ms = 300000;
	uint64_t t_start;
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
	/* checked here, once; each document parses them again (a JSON
	 * document's own "scope" replaces them for that document, inside them)
	 */
	for (i = 0; scopes && scopes[i]; i++) {
		err = scope_add(&sc, scopes[i], why, sizeof(why));
		if (err) {
			usage_error(c, "apply: --%s", why);
			rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
			goto out;
		}
	}
	if (drain_s && parse_timeout_ms(drain_s, &drain_ms)) {
		usage_error(c, "apply: --drain-timeout '%s': " DURATION_HINT ", up to a week, or 0",
			    drain_s);
		rc = EXIT_USAGE;
		goto out;
	}
	if (maxdel_s) {
		struct rec_opts ro = { 0 };

		if (parse_max_deletes(maxdel_s, &ro)) {
			usage_error(c, "apply: --max-deletes '%s': a number of services, or a percentage of the managed ones (0%% to 100%%)",
				    maxdel_s);
			rc = EXIT_USAGE;
			goto out;
		}
		o.max_deletes = ro.max_deletes;
		o.max_deletes_pct = ro.max_deletes_pct;
		o.max_deletes_set = true;
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
	if (!file && !stream && isatty(STDIN_FILENO)) {
		usage_error(c, "apply: -f FILE, or the state on standard input (ipvsctl apply --help)");
		rc = EXIT_USAGE;
		goto out;
	}
	o.scopes = scopes;
	o.format = format;
	o.vip_dev = vip_dev;
	o.drain_ms = drain_ms;
	o.dry_run = dry_run;
	o.check_sysctls = check_sysctls;
	o.allow_empty = allow_empty;
	o.timing = timing;
	path = file ? file : "-";
	name = strcmp(path, "-") ? path : "<stdin>";
	if (stream) {
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
	scope_free(&sc);
	for (i = 0; scopes && scopes[i]; i++)
		free(scopes[i]);
	free(scopes);
	/* popt's copies */
	free(file);
	free(format);
	free(drain_s);
	free(vip_dev);
	free(maxdel_s);
	return rc;
}
