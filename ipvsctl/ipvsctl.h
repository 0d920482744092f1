/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: shared types. One struct ctx per run carries the options and
 * the netlink socket; nothing is global.
 */
#ifndef IPVSCTL_H
#define IPVSCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "nl.h"

/* Exit codes, documented in ipvsctl(8). Mapped from errors in one place:
 * exit_code() in ipvsctl.c.
 */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* failed, or did not finish: our own errors
				 * (memory, I/O, an unreadable reply) included */
	EXIT_USAGE = 2,		/* bad command line or input file */
	EXIT_PERM = 3,		/* not permitted (needs CAP_NET_ADMIN) */
	EXIT_NOTFOUND = 4,	/* no such service, backend or namespace */
	EXIT_EXISTS = 5,	/* already exists */
	EXIT_KERNEL = 6,	/* the kernel refused the request */
	EXIT_UNAVAIL = 7,	/* IPVS or the maglev module is not available */
	EXIT_DRAIN_TIMEOUT = 8,	/* drain: the timeout came before the backend was idle */
	EXIT_DIFFERS = 9,	/* a check ran, and what it found differs from
				 * what it wants (sysctl check, health status) */
	/* drain, stopped by a signal: 128 + the signal, as a shell reports it */
	EXIT_INTERRUPTED = 128 + 2,	/* SIGINT */
	EXIT_TERMINATED = 128 + 15,	/* SIGTERM */
};

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

/* A service, as named on the command line or in files. */
struct svc_id {
	int af;			/* AF_INET, AF_INET6 */
	int proto;		/* IPPROTO_TCP/UDP/SCTP; 0 for fwmark */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint16_t port;		/* host order */
	uint32_t fwmark;	/* nonzero: a firewall-mark service */
};

/* A backend (real server) address. */
struct addr_port {
	int af;
	uint8_t addr[16];
	uint16_t port;		/* host order */
};

/* ipvsctl.c */
int ctx_nl(struct ctx *c, struct nl **nl);
void err_report(struct ctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void usage_error(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* errors.c: an errno (either sign) as an exit code, EXIT_* */
int exit_code(int err);

/* What a failed request was about, for the words of a missing object. */
enum err_obj {
	ERR_NONE,
	ERR_SERVICE,		/* ENOENT/ESRCH: "no such service" */
	ERR_BACKEND,		/* "no such backend" */
	ERR_SERVICE_BACKEND,	/* either may be missing (the kernel's extack says which) */
};

/* @err (either sign) in words: strerror(), but for a missing @obj. */
const char *err_text(int err, enum err_obj obj);

/* err_report() of a request about @obj: "no such service", not ENOENT's
 * "No such file or directory"
 */
void err_report_obj(struct ctx *c, enum err_obj obj, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

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

/* parse.c: the one grammar's words */
int parse_svc(const char *s, struct svc_id *id, char *why, size_t whylen);
int parse_addr_port(const char *s, int af_hint, struct addr_port *ap,
		    bool need_port, char *why, size_t whylen);
/* a decimal number from @min to @max: no blank, sign, octal or hex */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v);
/* a firewall mark, 1 to 4294967295: decimal, or hex as 0x... */
int parse_fwmark(const char *s, uint32_t *mark);
#define FWMARK_HINT "a firewall mark is a number from 1 to 4294967295 (decimal, or hex as 0x10)"
void fmt_svc(const struct svc_id *id, char *buf, size_t len);
void fmt_addr_port(int af, const uint8_t *addr, uint16_t port, char *buf,
		   size_t len);
const char *proto_name(int proto);
const char *mg_hash_name(uint8_t hash);		/* enum ipvs_maglev_hash */
int mg_hash_parse(const char *s, uint8_t *hash);
const char *mg_pin_name(uint8_t pin);			/* enum ipvs_maglev_pin */
int mg_pin_parse(const char *s, uint8_t *pin);

/* command entry points: one family per file */
int cmd_service(struct ctx *c, int argc, char **argv);	/* cmd_service.c */
int cmd_backend(struct ctx *c, int argc, char **argv);
int cmd_flush(struct ctx *c, int argc, char **argv);
int cmd_zero(struct ctx *c, int argc, char **argv);
int cmd_timeout(struct ctx *c, int argc, char **argv);
int cmd_sync(struct ctx *c, int argc, char **argv);
int cmd_list(struct ctx *c, int argc, char **argv);	/* cmd_list.c */
int cmd_save(struct ctx *c, int argc, char **argv);	/* cmd_save.c */
int cmd_restore(struct ctx *c, int argc, char **argv);
int cmd_batch(struct ctx *c, int argc, char **argv);
int cmd_maglev(struct ctx *c, int argc, char **argv);	/* cmd_maglev.c */
int cmd_daemon(struct ctx *c, int argc, char **argv);	/* cmd_daemon.c */
int cmd_health(struct ctx *c, int argc, char **argv);	/* cmd_health.c */
int cmd_drain(struct ctx *c, int argc, char **argv);	/* cmd_drain.c */
int cmd_undrain(struct ctx *c, int argc, char **argv);
int cmd_apply(struct ctx *c, int argc, char **argv);	/* cmd_apply.c */
int cmd_sysctl(struct ctx *c, int argc, char **argv);	/* cmd_sysctl.c */

#endif
