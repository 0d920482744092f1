/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the kernel's state read into a model: IPVS's services and
 * backends, with the maglev module's state merged in.
 */
#ifndef IPVSCTL_KERNEL_LOAD_H
#define IPVSCTL_KERNEL_LOAD_H

#include <stdbool.h>

#include "kernel/nl.h"
#include "model/model.h"

enum {
	LOAD_DESTS = 1 << 0,	/* backends of every service */
	LOAD_MAGLEV = 1 << 1,	/* maglev state of maglev services */
	LOAD_NO_STATS = 1 << 2,	/* without the backends' counters (a reconcile) */
};

/*
 * All services into @m (which must be empty). Each loader returns 0 or
 * -errno, the failure's text in @e (nl.h: struct nl_err; NULL if not
 * wanted).
 */
int kipvs_load(struct nl *nl, struct model *m, unsigned int what, struct nl_err *e);
/*
 * All services into @m, but backends and maglev state (@what) only of
 * those @want accepts; the others are left with none and !loaded. A
 * reconcile needs the details of the services it manages only: with
 * thousands of services, the kernel's state is read one dump per service.
 */
int kipvs_load_some(struct nl *nl, struct model *m, unsigned int what,
		    bool (*want)(const struct m_svc *s, void *arg), void *arg, struct nl_err *e);
/*
 * The services @names names (those the kernel has) into @m, with their
 * details (@what): a request each, pipelined, rather than a dump of every
 * service. For a few services among thousands.
 */
int kipvs_load_named(struct nl *nl, struct model *m, unsigned int what,
		     const struct model *names, struct nl_err *e);
/* One service into @m; -ENOENT if the kernel has none. */
int kipvs_load_one(struct nl *nl, struct model *m, const struct svc_id *id,
		   unsigned int what, struct nl_err *e);

#endif
