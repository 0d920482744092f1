// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl restore, batch: a file of commands (ipvsctl's grammar, or
 * ipvsadm-save's lines) applied all or nothing; restore --flush replaces
 * the whole state with it.
 */
#include <errno.h>
#include <popt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/run.h"
#include "output/json.h"
#include "state/reconcile.h"

static const char restore_help[] =
	"Apply a file of commands (default: standard input), all or nothing:\n"
	"every line is checked against the current state before anything is\n"
	"sent, and a refusal by the kernel rolls back what was applied.\n"
	"Lines are ipvsctl commands (what 'ipvsctl save' prints) or ipvsadm\n"
	"commands as 'ipvsadm-save -n' prints them; '#' starts a comment.\n\n"
	"--flush: the file is the whole state. Services and backends it does\n"
	"not have are deleted, the others changed only where they differ (as\n"
	"'apply --scope all' does): what stays the same is never touched, so\n"
	"its connections and counters live on. A file that names no service\n"
	"is refused (use 'ipvsctl flush' to delete everything).\n";

static bool all_services(const struct m_svc *s, void *arg)
{
	(void)s;
	(void)arg;
	return true;
}

/*
 * restore --flush: the file as the desired state, applied as a difference
 * with every current service managed (reconcile(), batched and all or
 * nothing). A flush followed by the file's adds would leave the data path
 * without services meanwhile, and cut every connection (review C11).
 */
static int replace_state(struct ctx *c, const char *path, bool dry)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	struct rec_opts ro = { 0 };
	struct rec_result rr;
	struct timeouts to;
	struct model want;
	struct op *ops;
	char *text = NULL;	/* --json --dry-run: the steps */
	size_t n, i, len = 0;
	char why[640];
	struct nl *nl;
	int rc, err;

	rc = exec_read_file(c, path, &ops, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && ops[i].kind != OP_SVC_ADD; i++)
		;
	if (i == n) {
		fprintf(stderr, "%s: %s names no service; nothing was changed (to delete every service: ipvsctl flush)\n",
			c->prog, name);
		ops_free(ops, n);
		return EXIT_USAGE;
	}
	model_init(&want);
	err = ctx_nl(c, &nl);
	if (err) {
		rc = exit_code(err);
		goto out;
	}
	err = state_from_ops(nl, ops, n, &want, &to, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: %s; nothing was changed\n", c->prog, why);
		rc = err == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		goto out;
	}
	ro.in_scope = all_services;
	ro.timeouts = &to;
	ro.dry_run = dry;
	ro.out = stdout;
	/* --json: the steps go into the one JSON document */
	if (dry && c->o.json) {
		ro.out = open_memstream(&text, &len);
		if (!ro.out) {
			fprintf(stderr, "%s: out of memory\n", c->prog);
			rc = EXIT_FAIL;
			goto out;
		}
	}
	err = reconcile(nl, &want, &ro, &rr);
	if (ro.out != stdout && fclose(ro.out) && !err) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = EXIT_FAIL;
		goto out;
	}
	if (err) {
		if (rr.failed_step)
			fprintf(stderr, "%s: restore: step %zu of the plan: %s; %s\n", c->prog,
				rr.failed_step, rr.why,
				rr.undo_err ? "rolling back FAILED: the steps before it may be applied (ipvsctl list)" :
				"the other steps were rolled back: nothing was changed");
		else
			fprintf(stderr, "%s: restore: %s; nothing was changed\n", c->prog, rr.why);
		rc = rr.undo_err || rr.unknown ? EXIT_FAIL : exit_code(err);
		goto out;
	}
	if (dry && c->o.json)
		out_json(out_dry_run_json(rr.changes, text, len));
	else if (!c->o.quiet)
		fprintf(stderr, dry ? "%s: dry run: %zu change%s, none sent\n" :
			"%s: %zu change%s applied\n", c->prog, rr.changes,
			rr.changes == 1 ? "" : "s");
	rc = EXIT_OK;
out:
	free(text);
	model_free(&want);
	ops_free(ops, n);
	return rc;
}

static int run_file(struct ctx *c, int argc, char **argv, const char *synopsis)
{
	int flush = 0, dry = 0;
	struct poptOption opts[] = {
		{ "flush", 'F', POPT_ARG_NONE, &flush, 0,
		  "the file is the whole state: what it lacks is deleted, the rest changed where it differs",
		  NULL },
		{ "dry-run", 'n', POPT_ARG_NONE, &dry, 0, "check and print the changes, send nothing", NULL },
		POPT_TABLEEND
	};
	const char **args;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, opts, synopsis, restore_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs > 1) {
		usage_error(c, "%s: one FILE at most", argv[0]);
		return EXIT_USAGE;
	}
	if (flush)
		return replace_state(c, nargs ? args[0] : "-", dry);
	return exec_file(c, nargs ? args[0] : "-", dry ? EXEC_DRY_RUN : 0);
}

int cmd_restore(struct ctx *c, int argc, char **argv)
{
	return run_file(c, argc, argv, "[FILE] [--flush] [--dry-run]");
}

int cmd_batch(struct ctx *c, int argc, char **argv)
{
	return run_file(c, argc, argv, "FILE [--flush] [--dry-run]");
}
