/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the kernel's IPVS generic netlink family, encoded and decoded.
 * I/O goes through nl.c.
 */
#ifndef IPVSCTL_KIPVS_H
#define IPVSCTL_KIPVS_H

#include "kernel/nl.h"
#include "model/model.h"

/*
 * Each request: 0 or -errno, the failure's text in @e (nl.h: struct
 * nl_err; NULL if not wanted). @c must be complete (merged with defaults
 * or the current state).
 */
int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		  struct nl_err *e);
int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		   struct nl_err *e);
int kipvs_svc_del(struct nl *nl, const struct svc_id *id, struct nl_err *e);
int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c, struct nl_err *e);
int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c, struct nl_err *e);
int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   struct nl_err *e);
int kipvs_flush(struct nl *nl, struct nl_err *e);
int kipvs_zero(struct nl *nl, const struct svc_id *id /* NULL: all */, struct nl_err *e);

int kipvs_get_timeouts(struct nl *nl, struct timeouts *t, struct nl_err *e);
int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t, struct nl_err *e);

/* Sync daemons: up to two (master and backup). */
int kipvs_get_daemons(struct nl *nl, struct daemon_conf *d, int *n, struct nl_err *e);
int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d, struct nl_err *e);
int kipvs_stop_daemon(struct nl *nl, uint32_t state, struct nl_err *e);

/* encoders and decoders, for the loader (load.c) */
struct nl_msg;
struct nlattr;
/* a service's identity, and with @c its configuration, as IPVS_CMD_ATTR_SERVICE */
int kipvs_put_svc(struct nl_msg *msg, const struct svc_id *id, const struct svc_conf *c);
/* IPVS_CMD_ATTR_SERVICE into @id, @c and @st */
int kipvs_parse_svc(const struct nlattr *nest, struct svc_id *id, struct svc_conf *c,
		    struct stats *st);
/* IPVS_CMD_ATTR_DEST of a service of family @svc_af into @d (counters if @stats) */
int kipvs_parse_dest(const struct nlattr *nest, int svc_af, struct m_dest *d, bool stats);

#endif
