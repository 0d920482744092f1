/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl metrics: the state in the Prometheus text format. The metric
 * families, one table (metrics_table.c), for metrics.c, which reads the
 * state and writes the samples.
 */
#ifndef IPVSCTL_CMD_METRICS_H
#define IPVSCTL_CMD_METRICS_H

#include <stdbool.h>

enum fam_type {
	GAUGE,
	COUNTER,
};

/* What a family has one sample for. */
enum fam_scope {
	ONE,		/* this namespace, or the health daemon */
	SVC,		/* each virtual service */
	BE,		/* each backend of each service */
	HEALTH,		/* each health-checked backend in the state file */
};

enum metric {
	M_BUILD_INFO,
	M_IPVS_UP,
	M_MG_LOADED,
	M_MG_INFO,
	M_MG_NS_PINS,
	M_MG_NS_PIN_LIMIT,

	M_SVC_INFO,
	M_SVC_CONNS,
	M_SVC_INPKTS,
	M_SVC_OUTPKTS,
	M_SVC_INBYTES,
	M_SVC_OUTBYTES,

	M_BE_CONNS,
	M_BE_INPKTS,
	M_BE_OUTPKTS,
	M_BE_INBYTES,
	M_BE_OUTBYTES,
	M_BE_WEIGHT,
	M_BE_ACTIVE,
	M_BE_INACTIVE,

	M_MG_SLOTS,
	M_MG_REBUILDS,
	M_MG_REBUILD_FAILS,
	M_MG_PENDING,
	M_MG_LAST_REBUILD,
	M_MG_BUILD_TIME,
	M_MG_MEMORY,
	M_MG_RAMPING,
	M_MG_PINNING,
	M_MG_PINS,
	M_MG_PIN_LIMIT,
	M_MG_PIN_HITS,
	M_MG_PIN_MISSES,
	M_MG_PIN_INSERTS,
	M_MG_PIN_INSERT_FAILS,
	M_MG_PIN_EVICTIONS,
	M_MG_PIN_EXPIRIES,
	M_MG_PIN_DROPS,

	M_MG_BE_EFF_WEIGHT,
	M_MG_BE_SLOTS,
	M_MG_BE_AVAILABLE,
	M_MG_BE_DOWN,
	M_MG_BE_DRAINING,
	M_MG_BE_DRAIN_DEADLINE,
	M_MG_BE_PINS,

	M_HD_RUNNING,		/* the first health family */
	M_HD_STARTED,
	M_HD_UPDATED,
	M_HD_RELOADS,
	M_HD_TRANSITIONS,
	M_H_UP,
	M_H_APPLIED,
	M_H_SINCE,
	M_H_PROBES,
	M_H_FAILURES,
	M__COUNT
};

struct family {
	const char *name;
	const char *help;
	enum fam_type type;
	enum fam_scope scope;
	bool mg;		/* only services (backends) with maglev state */
};

/* every family: name, HELP text, TYPE, what it has a sample for */
extern const struct family fams[M__COUNT];

#endif
