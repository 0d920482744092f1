// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl apply: one desired state applied (see apply.h), with its
 * checks: the scope, an empty input, the deletion guard, the sysctls and
 * the VIPs; and what became of it, as text or JSON.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "cmd/apply.h"
#include "cmd/run.h"
#include "config/json.h"
#include "kernel/sysctl.h"
#include "kernel/vip.h"
#include "model/addr.h"
#include "output/json.h"
#include "state/reconcile.h"

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

/* One document being applied: what its steps share. */
struct doc {
	struct ctx *c;
	const struct apply_opts *o;
	const char *name;
	struct scope sc;		/* the scope in force: --scope, or the document's */
	struct scope jsc;		/* the document's own, while being checked */
	bool json, explicit_empty;
	struct jops j;			/* JSON input's ops (json) */
	struct op *ops;			/* the ops (j.v for JSON) */
	size_t nops;
	struct model want;
	struct timeouts to;
	struct nl *nl;
	FILE *out;			/* a dry run's steps */
	struct apply_ctx a;		/* drains of leaving backends */
	struct rec_result rr;
	char why[640];
};

/* 1. the whole input, parsed: 0, or the exit code (reported) */
static int doc_parse(struct doc *d, char *buf, size_t len)
{
	struct ctx *c = d->c;
	size_t i;
	int err, rc;

	for (i = 0; d->o->scopes && d->o->scopes[i]; i++) {
		if (scope_add(&d->sc, d->o->scopes[i], d->why, sizeof(d->why))) {
			/* checked by cmd_apply(): only memory can fail here */
			fprintf(stderr, "%s: out of memory\n", c->prog);
			return EXIT_FAIL;
		}
	}
	if (d->o->format && strcmp(d->o->format, "auto")) {
		d->json = !strcmp(d->o->format, "json");
	} else {
		/* no grammar line starts with a bracket: a JSON array is a
		 * JSON mistake, and is reported as one
		 */
		char first = buf[strspn(buf, " \t\r\n")];

		d->json = first == '{' || first == '[';
	}
	if (!d->json) {
		FILE *f;

		if (!len)
			return 0;
		f = fmemopen(buf, len, "r");
		if (!f)
			return EXIT_FAIL;
		rc = exec_read_stream(c, f, d->name, &d->ops, &d->nops);
		fclose(f);
		return rc;
	}
	d->j.scope = &d->jsc;
	err = json_to_ops(d->name, buf, &d->j, d->why, sizeof(d->why));
	if (err) {
		if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", c->prog);
		else
			fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, d->why);
		return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	d->ops = d->j.v;
	d->nops = d->j.n;
	d->explicit_empty |= d->j.services;
	/* the operator's --scope is the bound: a document may narrow it,
	 * never widen it
	 */
	if (!scope_empty(&d->jsc)) {
		if (!scope_empty(&d->sc) && scope_within(&d->jsc, &d->sc, d->why, sizeof(d->why))) {
			fprintf(stderr, "%s: %s: %s; nothing was changed\n", c->prog, d->name,
				d->why);
			return EXIT_USAGE;
		}
		scope_free(&d->sc);
		d->sc = d->jsc;
		memset(&d->jsc, 0, sizeof(d->jsc));
	}
	return 0;
}

/* 2. the desired state built and checked, before any change: 0, or the
 * exit code (reported)
 */
static int doc_check(struct doc *d)
{
	struct ctx *c = d->c;
	int err, rc;

	/* checked before the kernel is asked: a producer that crashed and
	 * wrote nothing (or only comments) must change nothing
	 */
	if (!d->explicit_empty && !names_a_service(d->ops, d->nops)) {
		fprintf(stderr,
			"%s: %s names no service; nothing was changed (an empty desired state%s must be explicit: --allow-empty, or JSON \"services\": [])\n",
			c->prog, d->name,
			scope_empty(&d->sc) ? "" : " deletes every service in the scope, so it");
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &d->nl);
	if (err)
		return exit_code(err);
	/* genl ids are allocated anew when a module is reloaded, which may
	 * happen between two documents of a stream: looked up per document
	 */
	nlc_forget_families(d->nl);
	err = state_from_ops(d->nl, d->ops, d->nops, &d->want, &d->to, d->why, sizeof(d->why));
	if (err) {
		fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, d->why);
		return err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
	}
	rc = check_scope(c, &d->want, &d->sc);
	if (rc)
		return rc;
	if (d->o->vip_dev) {
		/* before any change: an interface not ours is refused */
		err = vip_check(d->o->vip_dev, d->why, sizeof(d->why));
		if (err) {
			fprintf(stderr, "%s: apply: --vip-dev: %s; nothing was changed\n", c->prog,
				d->why);
			return err == -EINVAL ? EXIT_USAGE : exit_code(err);
		}
	}
	return 0;
}

/* a failed reconcile in words, and its exit code */
static int doc_failed(struct doc *d, int err, struct apply_res *res)
{
	const struct rec_result *rr = &d->rr;
	const char *prog = d->c->prog;

	if (rr->failed_step && rr->unknown && !rr->undo_err)
		fprintf(stderr, "%s: apply: step %zu of the plan: %s; every step that was or may have been applied (%zu without an answer) was rolled back: nothing was changed\n",
			prog, rr->failed_step, rr->why, rr->unknown);
	else if (rr->failed_step)
		fprintf(stderr, "%s: apply: step %zu of the plan: %s; %s\n", prog,
			rr->failed_step, rr->why,
			rr->undo_err ? "rolling back FAILED: the steps before it may be applied (ipvsctl list)" :
			"the other steps were rolled back: nothing was changed");
	else if (err == -ENOMEM)
		fprintf(stderr, "%s: out of memory; nothing was changed\n", prog);
	else
		fprintf(stderr, "%s: apply: %s; nothing was changed\n", prog, rr->why);
	res->undo_failed = rr->failed_step && rr->undo_err;
	/* the deletion guard is a refusal of the input, not the kernel's;
	 * lost answers or a failed rollback are not refusals either
	 */
	if (err == -ECANCELED)
		return EXIT_USAGE;
	if (rr->undo_err || rr->unknown)
		return EXIT_FAIL;
	return exit_code(err);
}

/* 3. the difference, applied all or nothing: 0, or the exit code (reported) */
static int doc_reconcile(struct doc *d, struct apply_res *res)
{
	const struct apply_opts *o = d->o;
	struct rec_opts ro = {
		.in_scope = scope_empty(&d->sc) ? NULL : scope_fn,
		.scope_arg = &d->sc,
		.adjust = apply_adjust,
		.adjust_arg = &d->a,
		.timeouts = &d->to,
		.max_deletes_set = o->max_deletes_set,
		.max_deletes_pct = o->max_deletes_pct,
		.max_deletes = o->max_deletes,
		.dry_run = o->dry_run,
		.out = d->out,
	};
	int err;

	d->a.lo.timeout_s = (o->drain_ms + 999) / 1000;
	d->a.lo.now_s = wall_ms() / 1000;
	err = reconcile(d->nl, &d->want, &ro, &d->rr);
	if (err)
		return doc_failed(d, err, res);
	res->changes = d->rr.changes;
	res->applied = true;
	return 0;
}

/* 4. new drains: their deadline where the next apply finds it; the count
 * in *@started; the exit code of a failure (reported), else 0
 */
static int doc_store_drains(struct doc *d, size_t *started)
{
	int rc = EXIT_OK, err;
	size_t i;

	for (i = 0; i < d->a.lr.n; i++) {
		struct leaver *lv = &d->a.lr.v[i];
		char s[96], b[64];
		struct nl_err e;

		if (!lv->start)
			continue;
		fmt_svc(&lv->svc, s, sizeof(s));
		fmt_addr_port(lv->ap.af, lv->ap.addr, lv->ap.port, b, sizeof(b));
		(*started)++;
		if (d->o->dry_run) {
			fprintf(d->out, "maglev set-backend %s %s drain-deadline %llu\n", s, b,
				(unsigned long long)lv->deadline);
			continue;
		}
		err = leaver_store(d->nl, lv, &e);
		if (err) {
			/* the weight is 0 already; the next apply sets the deadline */
			fprintf(stderr, "%s: apply: %s %s is draining, but its deadline was not stored: %s\n",
				d->c->prog, s, b, e.ext[0] ? e.ext : strerror(-err));
			rc = exit_code(err);
		}
	}
	return rc;
}

/* 5. the virtual addresses, once the services are there: counted in
 * *@changes; the exit code of a failure (reported), else 0
 */
static int doc_vips(struct doc *d, size_t *changes)
{
	size_t vchanges = 0;
	int err;

	err = vip_sync(d->o->vip_dev, &d->want, &d->sc, d->o->dry_run, d->out, &vchanges, d->why,
		       sizeof(d->why));
	if (err)
		fprintf(stderr, "%s: apply: the IPVS state is applied (%zu changes), but not the addresses: %s\n",
			d->c->prog, *changes, d->why);
	*changes += vchanges;
	return err ? (err == -EINVAL ? EXIT_USAGE : exit_code(err)) : 0;
}

/*
 * Apply one desired state: @buf, @len bytes and NUL-terminated, named
 * @name in messages. Returns the exit code; errors are reported here.
 */
int apply_doc(struct ctx *c, const struct apply_opts *o, const char *name, char *buf,
	      size_t len, uint64_t t_start, struct apply_res *res)
{
	struct doc d = { .c = c, .o = o, .name = name, .out = stdout,
			 .explicit_empty = o->allow_empty };
	uint64_t t_parsed = 0, t_checked = 0;
	struct rusage ru0, ru1;
	size_t started = 0;
	int rc, rc2;

	memset(res, 0, sizeof(*res));
	model_init(&d.want);
	if (o->dry_run && c->o.json) {
		/* stdout is to be one JSON document: the steps go in it */
		d.out = open_memstream(&res->plan, &res->plan_len);
		if (!d.out) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			return EXIT_FAIL;
		}
	}
	if (o->timing)
		getrusage(RUSAGE_SELF, &ru0);
	rc = doc_parse(&d, buf, len);
	if (rc)
		goto out;
	t_parsed = now_us();
	rc = doc_check(&d);
	if (rc)
		goto out;
	t_checked = now_us();
	rc = doc_reconcile(&d, res);
	if (rc)
		goto out;
	rc = doc_store_drains(&d, &started);
	if (o->vip_dev) {
		size_t changes = d.rr.changes + started;

		rc2 = doc_vips(&d, &changes);
		started = changes - d.rr.changes;
		if (rc2)
			rc = rc2;
	}
	res->changes = d.rr.changes + started;
	res->draining = d.a.lr.n;
	res->expired = d.a.lr.deleted_expired;
	if (o->check_sysctls)
		warn_sysctls(c, &d.want);
	if (o->timing) {
		getrusage(RUSAGE_SELF, &ru1);
		fprintf(stderr,
			"%s: timing: read+parse %.1f ms, check %.1f ms, kernel state %.1f ms "
			"(%zu services, %zu read in full), diff+plan %.1f ms, send %.1f ms, total %.1f ms "
			"(CPU: user %.1f ms, system %.1f ms)\n",
			c->prog, (t_parsed - t_start) / 1e3, (t_checked - t_parsed) / 1e3,
			d.rr.us_load / 1e3, d.rr.svcs_seen, d.rr.svcs_read, d.rr.us_diff / 1e3,
			d.rr.us_run / 1e3, (now_us() - t_start) / 1e3,
			tv_ms(&ru1.ru_utime) - tv_ms(&ru0.ru_utime),
			tv_ms(&ru1.ru_stime) - tv_ms(&ru0.ru_stime));
	}
out:
	model_free(&d.want);
	free(d.a.lr.v);
	if (d.json)
		jops_free(&d.j);
	else
		ops_free(d.ops, d.nops);
	scope_free(&d.sc);
	scope_free(&d.jsc);
	if (d.out != stdout && fclose(d.out) && !rc) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = EXIT_FAIL;
	}
	return rc;
}

/* what became of a document, into @j: changes, dry_run, draining, ... */
void res_json(struct json_object *j, const struct apply_opts *o,
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
void res_text(FILE *f, const struct apply_opts *o, const struct apply_res *r)
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
void apply_summary(struct ctx *c, const struct apply_opts *o, const struct apply_res *r)
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
