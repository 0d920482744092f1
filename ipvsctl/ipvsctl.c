// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: control IPVS and the maglev scheduler over generic netlink.
 *
 * The dispatch table below is the whole command set; each command lives in
 * its own file and takes (ctx, argc, argv) with argv[0] its own name.
 */
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/model.h"
#include "output/json.h"

#ifndef IPVSCTL_VERSION
#define IPVSCTL_VERSION "unknown"
#endif

static int cmd_version(struct ctx *c, int argc, char **argv);
static int cmd_help(struct ctx *c, int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "service",	cmd_service,	"add, edit, del or flush virtual services" },
	{ "backend",	cmd_backend,	"add, edit or del backends (real servers)" },
	{ "list",	cmd_list,	"list services, backends, counters, rates, maglev state" },
	{ "show",	cmd_list,	"the same as list" },
	{ "flush",	cmd_flush,	"delete every service" },
	{ "zero",	cmd_zero,	"zero counters" },
	{ "timeout",	cmd_timeout,	"show or set connection timeouts" },
	{ "sync",	cmd_sync,	"start, stop or show the connection-sync daemon" },
	{ "save",	cmd_save,	"print the state as ipvsctl commands" },
	{ "restore",	cmd_restore,	"apply commands from a file or stdin, all or nothing" },
	{ "batch",	cmd_batch,	"the same as restore, with a FILE" },
	{ "maglev",	cmd_maglev,	"maglev scheduler state: info, show, set, lookup" },
	{ "apply",	cmd_apply,	"make IPVS match a desired state (grammar or JSON), changing only the difference" },
	{ "sysctl",	cmd_sysctl,	"check or set the kernel settings a director needs" },
	{ "daemon",	cmd_daemon,	"apply a file, then health-check its backends" },
	{ "health",	cmd_health,	"health status: what the daemon's probes see" },
	{ "metrics",	cmd_metrics,	"IPVS, maglev and health state for Prometheus (textfile collector)" },
	{ "kube",	cmd_kube,	"Kubernetes: render the IPVS services of a node's proxy" },
	{ "drain",	cmd_drain,	"take a backend out gracefully, then remove it" },
	{ "undrain",	cmd_undrain,	"give a drained backend its weight back" },
	{ "version",	cmd_version,	"print the version" },
	{ "help",	cmd_help,	"help on a command" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: ipvsctl [-j|--json] [-N|--netns NAME] COMMAND [ARGS...]\n"
		"       ipvsctl [-N NAME] -f FILE      (the same as: ipvsctl batch FILE)\n"
		"       ipvsctl COMMAND --help\n\n"
		"Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\nOptions:\n"
		"  -j, --json           machine-readable JSON output (see ipvsctl(8))\n"
		"  -N, --netns=NAME     act in network namespace NAME (/run/netns/NAME)\n"
		"  -f, --file=FILE      apply a file of commands, all or nothing ('-': stdin)\n"
		"  -q, --quiet          print nothing but errors\n"
		"  -V, --version        print the version\n"
		"  -h, --help           this help\n\n"
		"Exit status: 0 ok, 1 failed, 2 usage, 3 not permitted, 4 not found,\n"
		"5 exists, 6 kernel refused, 7 IPVS or ip_vs_maglev unavailable,\n"
		"8 a drain timed out, 9 a check found differences,\n"
		"130 or 143 a drain was stopped by SIGINT or SIGTERM.\n");
}

/* ---- commands -------------------------------------------------------- */

static int cmd_version(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	printf("ipvsctl %s\n", IPVSCTL_VERSION);
	return EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	const struct command *cmd;
	char *hargv[] = { NULL, "--help", NULL };

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd || cmd->fn == cmd_help) {
		usage_error(c, "no command '%s' (ipvsctl --help lists them)", argv[1]);
		return EXIT_USAGE;
	}
	hargv[0] = argv[1];
	return cmd->fn(c, 2, hargv);
}

int main(int argc, char **argv)
{
	struct ctx c = { .prog = "ipvsctl" };
	int json = 0, quiet = 0, version = 0, help = 0, rc, err;
	char *netns = NULL, *file = NULL;
	const struct command *cmd;
	const char **rest;
	poptContext pc;
	struct poptOption table[] = {
		{ "json", 'j', POPT_ARG_NONE, &json, 0, "JSON output", NULL },
		{ "netns", 'N', POPT_ARG_STRING, &netns, 0, "network namespace", "NAME" },
		{ "file", 'f', POPT_ARG_STRING, &file, 0, "apply a file of commands", "FILE" },
		{ "quiet", 'q', POPT_ARG_NONE, &quiet, 0, "print only errors", NULL },
		{ "version", 'V', POPT_ARG_NONE, &version, 0, "print the version", NULL },
		{ "help", 'h', POPT_ARG_NONE, &help, 0, "show help", NULL },
		POPT_TABLEEND
	};
	int n;

	pc = poptGetContext("ipvsctl", argc, (const char **)argv, table,
			    POPT_CONTEXT_POSIXMEHARDER);
	while ((rc = poptGetNextOpt(pc)) > 0)
		;
	if (rc < -1) {
		usage_error(&c, "%s: %s (ipvsctl --help for usage)",
			    poptBadOption(pc, POPT_BADOPTION_NOALIAS), poptStrerror(rc));
		poptFreeContext(pc);
		return EXIT_USAGE;
	}
	c.o.json = json;
	c.o.quiet = quiet;
	/* ip_vs_maglev's mh=1 mode: its "mh" services are maglev services */
	sched_set_mh_served(sched_read_mh_served());
	c.o.netns = netns;
	rest = poptGetArgs(pc);

	if (version) {
		rc = cmd_version(&c, 0, NULL);
		goto out;
	}
	if (file) {
		char *fargv[] = { "batch", file, NULL };

		if (rest && rest[0]) {
			usage_error(&c, "-f FILE takes no command");
			rc = EXIT_USAGE;
			goto out;
		}
		rc = cmd_batch(&c, 2, fargv);
		goto out;
	}
	if (help || !rest || !rest[0]) {
		usage(help ? stdout : stderr);
		rc = help ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	cmd = find_command(rest[0]);
	if (!cmd) {
		usage_error(&c, "unknown command '%s' (ipvsctl --help lists them)", rest[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	for (n = 0; rest[n]; n++)
		;
	rc = cmd->fn(&c, n, (char **)rest);
	if (rc == CMD_OPTIONS_DONE)
		rc = EXIT_OK;
out:
	ctx_free(&c);
	poptFreeContext(pc);
	/* every command's output, save's and --json's included: a short
	 * write must not exit 0
	 */
	err = out_close(stdout);
	if (err) {
		fprintf(stderr, "%s: writing standard output: %s\n", c.prog, strerror(-err));
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	return rc;
}
