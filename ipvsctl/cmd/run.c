// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: running ops (see run.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "cmd/cmd.h"
#include "cmd/run.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "output/json.h"
#include "state/plan.h"

static void where(const struct op *op, char *buf, size_t len)
{
	if (op->file)
		snprintf(buf, len, "%s%s%.0d: ", op->file, op->line ? ":" : "", op->line);
	else
		buf[0] = 0;
}

/* Load what the ops need to be checked and undone; a failure's text in @e. */
static int load_env(struct nl *nl, const struct op *ops, size_t n, struct plan_env *env,
		    struct model *cur, struct nl_err *e)
{
	bool full = n > 1, timeouts = false, daemons = false;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (ops[i].kind == OP_FLUSH)
			full = true;
		if (ops[i].kind == OP_TIMEOUT)
			timeouts = true;
		if (ops[i].kind == OP_SYNC_START || ops[i].kind == OP_SYNC_STOP)
			daemons = true;
	}
	memset(env, 0, sizeof(*env));
	model_init(cur);
	env->cur = cur;
	if (full) {
		err = kipvs_load(nl, cur, LOAD_DESTS | LOAD_MAGLEV, e);
	} else if (n == 1 && ops[0].kind != OP_TIMEOUT && ops[0].kind != OP_SYNC_START &&
		   ops[0].kind != OP_SYNC_STOP && !(ops[0].kind == OP_ZERO && ops[0].all)) {
		err = kipvs_load_one(nl, cur, &ops[0].svc, LOAD_DESTS | LOAD_MAGLEV, e);
		if (err == -ENOENT)
			err = 0;	/* the plan reports a missing service */
	} else {
		err = 0;
	}
	if (err)
		return err;
	if (timeouts) {
		err = kipvs_get_timeouts(nl, &env->timeouts, e);
		if (err)
			return err;
		env->have_timeouts = true;
	}
	if (daemons) {
		err = kipvs_get_daemons(nl, env->daemons, &env->ndaemons, e);
		if (err)
			return err;
		env->have_daemons = true;
	}
	{
		bool mg = false;

		for (i = 0; i < n && !mg; i++)
			mg = ops[i].kind == OP_SVC_ADD || ops[i].kind == OP_SVC_EDIT ||
			     ops[i].kind == OP_MG_SET;
		for (i = 0; i < cur->n && !mg; i++)
			mg = sched_is_maglev(cur->svcs[i].c.sched);
		kmaglev_defaults(nl, mg, &env->mg);
	}
	return 0;
}

int exec_ops(struct ctx *c, const struct op *ops, size_t n, unsigned int flags)
{
	char why[512], loc[300];
	struct plan_result r;
	struct plan_env env;
	struct model cur;
	struct plan plan;
	size_t bad = 0, i;
	struct nl_err e;
	struct nl *nl;
	int err;

	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	err = load_env(nl, ops, n, &env, &cur, &e);
	if (err) {
		err_report(c, &e, err, "reading the current IPVS state");
		model_free(&cur);
		return exit_code(err);
	}
	err = plan_build(&plan, &env, ops, n, &bad, why, sizeof(why));
	model_free(&cur);
	if (err) {
		where(&ops[bad], loc, sizeof(loc));
		fprintf(stderr, "%s: %s%s%s\n", c->prog, loc, why,
			n > 1 ? "; nothing was changed" : "");
		/* found before anything was sent: bad input, not a refusal */
		return err == -EINVAL ? EXIT_USAGE : exit_code(err);
	}
	if ((flags & EXEC_DRY_RUN) && c->o.json) {
		/* one JSON document on stdout, the steps inside it */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		for (i = 0; f && i < plan.n; i++)
			step_print(f, &plan.steps[i]);
		if (!f || fclose(f)) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			free(text);
			plan_free(&plan);
			return EXIT_FAIL;
		}
		out_json(out_dry_run_json(plan.n, text, len));
		free(text);
		plan_free(&plan);
		return EXIT_OK;
	}
	if (flags & EXEC_DRY_RUN) {
		for (i = 0; i < plan.n; i++)
			step_print(stdout, &plan.steps[i]);
		if (!c->o.quiet)
			fprintf(stderr, "%s: dry run: %zu change%s, none sent\n", c->prog,
				plan.n, plan.n == 1 ? "" : "s");
		plan_free(&plan);
		return EXIT_OK;
	}
	err = plan_run(nl, &plan, &r, &e);
	if (err) {
		const struct op *op = &ops[plan.steps[r.failed_step].op];

		where(op, loc, sizeof(loc));
		fprintf(stderr, "%s: %sthe kernel refused: ", c->prog, loc);
		step_print(stderr, &plan.steps[r.failed_step]);
		err_report(c, &e, err, "%sstep %zu of %zu", loc, r.failed_step + 1, plan.n);
		{
			const struct step *f = &plan.steps[r.failed_step];

			/* IPVS says only ENOENT when a module is missing */
			if (err == -ENOENT && !e.ext[0] &&
			    (f->kind == OP_SVC_ADD || f->kind == OP_SVC_EDIT))
				fprintf(stderr, "%s: hint: is there a scheduler '%s'%s%s%s? (modinfo ip_vs_%s)\n",
					c->prog, f->sc.sched, f->sc.pe[0] ? " and a persistence engine '" : "",
					f->sc.pe, f->sc.pe[0] ? "'" : "", f->sc.sched);
		}
		if (r.undo_err)
			fprintf(stderr, "%s: rolling back the %zu change%s before it FAILED (%s): the state is partly changed\n",
				c->prog, r.undone, r.undone == 1 ? "" : "s", strerror(-r.undo_err));
		else if (r.undone)
			fprintf(stderr, "%s: rolled back the %zu change%s before it; nothing was changed\n",
				c->prog, r.undone, r.undone == 1 ? "" : "s");
		plan_free(&plan);
		return r.undo_err ? EXIT_FAIL : exit_code(err);
	}
	if ((flags & EXEC_SUMMARY) && !c->o.quiet)
		fprintf(stderr, "%s: %zu change%s applied\n", c->prog, plan.n,
			plan.n == 1 ? "" : "s");
	plan_free(&plan);
	return EXIT_OK;
}

int exec_command(struct ctx *c, int argc, char **argv)
{
	char why[512];
	struct op op;

	if (grammar_parse(argc, argv, &op, why, sizeof(why))) {
		usage_error(c, "%s (ipvsctl %s --help)", why, argv[0]);
		return EXIT_USAGE;
	}
	return exec_ops(c, &op, 1, 0);
}

int exec_read_file(struct ctx *c, const char *path, struct op **opsp,
		   size_t *np)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int rc;

	*opsp = NULL;
	*np = 0;
	if (!f) {
		int e = errno;

		fprintf(stderr, "%s: %s: %s\n", c->prog, path, strerror(e));
		return e == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	rc = exec_read_stream(c, f, strcmp(path, "-") ? path : "<stdin>", opsp, np);
	if (f != stdin)
		fclose(f);
	return rc;
}

int exec_read_stream(struct ctx *c, FILE *f, const char *name,
		     struct op **opsp, size_t *np)
{
	char *line = NULL, *words[GRAMMAR_MAX_WORDS], why[512];
	size_t cap = 0, n = 0, ncap = 0;
	struct op *no;
	struct op *ops = NULL;
	int lineno = 0, nw, rc = EXIT_OK;
	bool warned_sched = false;
	ssize_t len;

	*opsp = NULL;
	*np = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			fprintf(stderr, "%s: %s:%d: a NUL byte in the line; nothing was changed\n",
				c->prog, name, lineno);
			rc = EXIT_USAGE;
			break;
		}
		nw = split_words(line, words, GRAMMAR_MAX_WORDS);
		if (nw < 0) {
			if (nw == -E2BIG)
				fprintf(stderr, "%s: %s:%d: more than %d words; nothing was changed\n",
					c->prog, name, lineno, GRAMMAR_MAX_WORDS);
			else
				fprintf(stderr, "%s: %s:%d: a quote is not closed; nothing was changed\n",
					c->prog, name, lineno);
			rc = EXIT_USAGE;
			break;
		}
		if (!nw)
			continue;
		no = array_room(ops, n, &ncap, sizeof(*no), 64);
		if (!no) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			rc = EXIT_FAIL;
			break;
		}
		ops = no;
		if ((words[0][0] == '-' ? grammar_parse_ipvsadm : grammar_parse)(nw, words, &ops[n],
									     why, sizeof(why))) {
			fprintf(stderr, "%s: %s:%d: %s; nothing was changed\n", c->prog, name,
				lineno, why);
			rc = EXIT_USAGE;
			break;
		}
		ops[n].file = name;
		ops[n].line = lineno;
		/* ipvsadm's default is wlc, ours maglev: said once a file, as
		 * a hand-written script (ipvsadm-save always writes -s) is
		 * likely to do it on every line
		 */
		if (words[0][0] == '-' && ops[n].kind == OP_SVC_ADD &&
		    !(ops[n].sc.set & SC_SCHED) && !warned_sched && !c->o.quiet) {
			fprintf(stderr, "%s: %s:%d: warning: ipvsadm -A without -s: the scheduler is maglev here, not ipvsadm's wlc (-s wlc keeps it; only the file's first such line is reported)\n",
				c->prog, name, lineno);
			warned_sched = true;
		}
		n++;
	}
	if (rc == EXIT_OK && ferror(f)) {
		fprintf(stderr, "%s: %s: read error; nothing was changed\n", c->prog, name);
		rc = EXIT_USAGE;
	}
	free(line);
	if (rc != EXIT_OK) {
		ops_free(ops, n);
		return rc;
	}
	*opsp = ops;
	*np = n;
	return EXIT_OK;
}

int exec_file(struct ctx *c, const char *path, unsigned int flags)
{
	struct op *ops;
	size_t n, i;
	int rc;

	rc = exec_read_file(c, path, &ops, &n);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (ops[i].kind == OP_HEALTH && !(flags & EXEC_DRY_RUN) && !c->o.quiet) {
			fprintf(stderr, "%s: %s:%d: note: health checks run in 'ipvsctl daemon'; here the line is only checked\n",
				c->prog, ops[i].file, ops[i].line);
			break;
		}
	}
	if (n)
		rc = exec_ops(c, ops, n, flags | EXEC_SUMMARY);
	else if (!c->o.quiet)
		fprintf(stderr, "%s: %s: no commands\n", c->prog, strcmp(path, "-") ? path : "<stdin>");
	ops_free(ops, n);
	return rc;
}
