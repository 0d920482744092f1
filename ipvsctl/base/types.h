/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the types every layer shares (the bottom of the tree): exit
 * codes, and a service's and a backend's identity.
 */
#ifndef IPVSCTL_BASE_TYPES_H
#define IPVSCTL_BASE_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

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

#endif
