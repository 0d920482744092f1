/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: what every command shares. One struct ctx per run carries the
 * options and the netlink socket; nothing is global. Only the command
 * layer (cmd/) and ipvsctl.c include this.
 */
#ifndef IPVSCTL_CMD_H
#define IPVSCTL_CMD_H

#include <stdbool.h>

#include "base/errors.h"
#include "base/types.h"
#include "kernel/nl.h"

struct opts {
	bool json;		/* machine output: the documented JSON schema */
	bool quiet;
	const char *netns;	/* -N NAME: act in that network namespace */
};

struct ctx {
	struct opts o;
	struct nl nl;
	bool nl_ready;
	const char *prog;
	void *cmd_popt;		/* the command's popt context; args point into it */
};

/* ctx.c */
int ctx_nl(struct ctx *c, struct nl **nl);
/*
 * The kernel's whole state (or only service @one) into @m, with backends
 * and maglev state, sorted as listings print it; the socket in *@nlp if
 * wanted. 0, or the exit code, the error reported after @what (the
 * command, and the service as given); the caller frees @m on success.
 */
struct model;
int ctx_load_state(struct ctx *c, const char *what, const struct svc_id *one,
		   struct model *m, struct nl **nlp);
/* close the socket, free the option parser's state */
void ctx_free(struct ctx *c);
/*
 * "PROG: WHAT: why" on stderr, for a failed call to the kernel: the why
 * is @e's (the nl_err the caller gave that call; NULL: none), else @err's
 * words; then the kernel's own text, if @e has one.
 */
void err_report(struct ctx *c, const struct nl_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void usage_error(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* err_report() of a request about @obj: "no such service", not ENOENT's
 * "No such file or directory"
 */
void err_report_obj(struct ctx *c, const struct nl_err *e, enum err_obj obj, int err,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Parse a command's options (its own @extra table plus the common --json
 * and --help) with popt. On success *args and *nargs are the remaining words
 * (args[0] is the first word after the command name) and 0 is returned.
 * Otherwise returns the exit code to end with: EXIT_OK after --help,
 * EXIT_USAGE after a bad option (reported).
 */
struct poptOption;
int cmd_options(struct ctx *c, int argc, char **argv,
		const struct poptOption *extra, const char *synopsis,
		const char *help, const char ***args, int *nargs);
#define CMD_OPTIONS_DONE 1000	/* internal: help printed */

/* command entry points: one family per file */
int cmd_service(struct ctx *c, int argc, char **argv);	/* service.c */
int cmd_backend(struct ctx *c, int argc, char **argv);
int cmd_flush(struct ctx *c, int argc, char **argv);
int cmd_zero(struct ctx *c, int argc, char **argv);
int cmd_timeout(struct ctx *c, int argc, char **argv);
int cmd_sync(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);	/* list.c */
int cmd_save(struct ctx *c, int argc, char **argv);	/* save.c */
int cmd_restore(struct ctx *c, int argc, char **argv);	/* restore.c */
int cmd_batch(struct ctx *c, int argc, char **argv);
int cmd_maglev(struct ctx *c, int argc, char **argv);	/* maglev.c */
int cmd_daemon(struct ctx *c, int argc, char **argv);	/* daemon.c */
int cmd_health(struct ctx *c, int argc, char **argv);	/* health.c */
int cmd_drain(struct ctx *c, int argc, char **argv);	/* drain.c */
int cmd_undrain(struct ctx *c, int argc, char **argv);
int cmd_apply(struct ctx *c, int argc, char **argv);	/* apply.c */
int cmd_sysctl(struct ctx *c, int argc, char **argv);	/* sysctl.c */
int cmd_metrics(struct ctx *c, int argc, char **argv);	/* metrics.c */
int cmd_kube(struct ctx *c, int argc, char **argv);	/* kube.c */

#endif
