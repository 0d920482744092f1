/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the kernel's IPVS generic netlink family, encoded and decoded.
 * I/O goes through nl.c.
 */
#ifndef IPVSCTL_KIPVS_H
#define IPVSCTL_KIPVS_H

#include "kernel/nl.h"
#include "model/model.h"

enum {
	LOAD_DESTS = 1 << 0,	/* backends of every service */
	LOAD_MAGLEV = 1 << 1,	/* maglev state of maglev services */
	LOAD_NO_STATS = 1 << 2,	/* without the backends' counters (a reconcile) */
};

/* All services into @m (which must be empty). */
int kipvs_load(struct nl *nl, struct model *m, unsigned int what);
/*
 * All services into @m, but backends and maglev state (@what) only of
 * those @want accepts; the others are left with none and !loaded. A
 * reconcile needs the details of the services it manages only: with
 * thousands of services, the kernel's state is read one dump per service.
 */
int kipvs_load_some(struct nl *nl, struct model *m, unsigned int what,
		    bool (*want)(const struct m_svc *s, void *arg), void *arg);
/*
 * The services @names names (those the kernel has) into @m, with their
 * details (@what): a request each, pipelined, rather than a dump of every
 * service. For a few services among thousands.
 */
int kipvs_load_named(struct nl *nl, struct model *m, unsigned int what,
		     const struct model *names);
/* One service into @m; -ENOENT if the kernel has none. */
int kipvs_load_one(struct nl *nl, struct model *m, const struct svc_id *id,
		   unsigned int what);

/* @c must be complete (merged with defaults or the current state). */
int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c);
int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c);
int kipvs_svc_del(struct nl *nl, const struct svc_id *id);
int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c);
int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c);
int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap);
int kipvs_flush(struct nl *nl);
int kipvs_zero(struct nl *nl, const struct svc_id *id /* NULL: all */);

int kipvs_get_timeouts(struct nl *nl, struct timeouts *t);
int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t);

/* Sync daemons: up to two (master and backup). */
int kipvs_get_daemons(struct nl *nl, struct daemon_conf *d, int *n);
int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d);
int kipvs_stop_daemon(struct nl *nl, uint32_t state);

int kipvs_info(struct nl *nl, uint32_t *version, uint32_t *conn_tab_size);

#endif
