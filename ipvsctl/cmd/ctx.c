// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the run's context. Error reporting (the words of an errno are
 * base/errors.c's), the netlink socket opened on first use, and the one
 * option parser every command uses.
 */
#include <ctype.h>
#include <popt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kernel/load.h"
#include "model/model.h"

static void err_vreport(struct ctx *c, const struct nl_err *e, enum err_obj obj, int err,
			const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", c->prog);
	vfprintf(stderr, fmt, ap);
	if (e && e->why[0])
		fprintf(stderr, ": %s", e->why);
	else if (err)
		fprintf(stderr, ": %s", err_text(err, obj));
	fputc('\n', stderr);
	if (e && e->ext[0])
		fprintf(stderr, "%s: kernel reports: %s\n", c->prog, e->ext);
}

void err_report(struct ctx *c, const struct nl_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vreport(c, e, ERR_NONE, err, fmt, ap);
	va_end(ap);
}

void err_report_obj(struct ctx *c, const struct nl_err *e, enum err_obj obj, int err,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vreport(c, e, obj, err, fmt, ap);
	va_end(ap);
}

void usage_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctx_nl(struct ctx *c, struct nl **nl)
{
	struct nl_err e;
	int err;

	if (!c->nl_ready) {
		err = nlc_open(&c->nl, c->o.netns, &e);
		if (err) {
			/* a namespace that cannot be opened or entered: nlc_open()
			 * says so, naming it, and no socket was tried
			 */
			if (c->o.netns && strstr(e.why, "network namespace "))
				fprintf(stderr, "%s: %s\n", c->prog, e.why);
			else
				err_report(c, &e, err, "cannot open the netlink socket");
			return err;
		}
		c->nl_ready = true;
	}
	*nl = &c->nl;
	return 0;
}

/* ---- per-command options --------------------------------------------- */

/* the command's popt context (its words point into it) */
static void cmd_free_parse(struct ctx *c)
{
	if (c->cmd_popt)
		poptFreeContext(c->cmd_popt);
	c->cmd_popt = NULL;
}

int cmd_options(struct ctx *c, int argc, char **argv,
		const struct poptOption *extra, const char *synopsis,
		const char *help, const char ***args, int *nargs)
{
	int json = c->o.json, helpflag = 0;
	struct poptOption common[] = {
		{ "json", 'j', POPT_ARG_NONE, &json, 0,
		  "JSON output (schema in ipvsctl(8))", NULL },
		{ "help", 'h', POPT_ARG_NONE, &helpflag, 0, "this help", NULL },
		POPT_TABLEEND
	};
	struct poptOption table[] = {
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)extra, 0,
		  "Options:", NULL },
		{ NULL, 0, POPT_ARG_INCLUDE_TABLE, common, 0,
		  "Common options:", NULL },
		POPT_TABLEEND
	};
	const struct poptOption *t = extra ? table : table + 1;
	poptContext pc;
	const char **rest;
	int rc, n = 0;

	cmd_free_parse(c);
	pc = poptGetContext(argv[0], argc, (const char **)argv, t, 0);
	poptSetOtherOptionHelp(pc, synopsis);
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if (rc < -1) {
		const char *bad = poptBadOption(pc, POPT_BADOPTION_NOALIAS);

		/* "weight -1" reaches popt as an option: say what it is */
		if (rc == POPT_ERROR_BADOPT && bad[0] == '-' && isdigit((unsigned char)bad[1]))
			usage_error(c, "%s: '%s' is a negative number: no value here is below 0 (ipvsctl %s --help)",
				    argv[0], bad, argv[0]);
		else
			usage_error(c, "%s %s: %s (ipvsctl %s --help for usage)", argv[0],
				    bad, poptStrerror(rc), argv[0]);
		poptFreeContext(pc);
		return EXIT_USAGE;
	}
	if (helpflag) {
		/* popt's usage line is "Usage: ARGV0 SYNOPSIS": make it
		 * "Usage: ipvsctl CMD ARGS..." (the synopsis names the command)
		 */
		size_t l = strlen(argv[0]);
		char full[64];
		const char *hv[2] = { full, NULL };
		poptContext hc;

		snprintf(full, sizeof(full), "%s %s", c->prog, argv[0]);
		if (!strncmp(synopsis, argv[0], l) && synopsis[l] == ' ')
			synopsis += l + 1;
		hc = poptGetContext(full, 1, hv, t, 0);
		if (hc) {
			poptSetOtherOptionHelp(hc, synopsis);
			poptPrintHelp(hc, stdout, 0);
			poptFreeContext(hc);
		}
		if (help)
			printf("\n%s", help);
		poptFreeContext(pc);
		return CMD_OPTIONS_DONE;
	}
	c->o.json = json;
	rest = poptGetArgs(pc);
	while (rest && rest[n])
		n++;
	c->cmd_popt = pc;	/* rest points into it: freed at exit */
	*args = rest;
	*nargs = n;
	return 0;
}

int ctx_load_state(struct ctx *c, const char *what, const struct svc_id *one,
		   struct model *m, struct nl **nlp)
{
	struct nl_err e;
	struct nl *nl;
	int err;

	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	model_init(m);
	if (one)
		err = kipvs_load_one(nl, m, one, LOAD_DESTS | LOAD_MAGLEV, &e);
	else
		err = kipvs_load(nl, m, LOAD_DESTS | LOAD_MAGLEV, &e);
	if (err) {
		err_report_obj(c, &e, one ? ERR_SERVICE : ERR_NONE, err, "%s", what);
		model_free(m);
		return exit_code(err);
	}
	model_sort(m);
	if (nlp)
		*nlp = nl;
	return 0;
}

void ctx_free(struct ctx *c)
{
	if (c->nl_ready)
		nlc_close(&c->nl);
	c->nl_ready = false;
	cmd_free_parse(c);
}
