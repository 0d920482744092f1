/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the IPVS_MAGLEV family (include/uapi/linux/ip_vs_maglev.h),
 * encoded and decoded. I/O goes through nl.c.
 */
#ifndef IPVSCTL_KMAGLEV_H
#define IPVSCTL_KMAGLEV_H

#include "base/types.h"
#include "kernel/nl.h"
#include "model/maglev.h"

struct mg_info {
	char version[32];
	bool has_seed;		/* the seed is told only to a caller
				 * privileged over the initial user namespace
				 */
	uint64_t seed, seed_fp;
	bool has_host;		/* the host's pin counts: likewise */
	uint32_t pin_max_host, pin_max_userns, pin_entries_host, pin_entries_userns;
	uint32_t table_size;
	uint32_t services;
	uint32_t ss_window_ms, ss_aggression, ss_min_pct;	/* defaults */
	uint32_t pin_max, pin_timeout_ms, pin_entries, pin_bytes4, pin_bytes6;
};


/* SET_BACKEND: a field is sent only if its bit is in @set. */
enum {
	MG_BE_SET_DOWN = 1 << 0,
	MG_BE_SET_SAVED_WEIGHT = 1 << 1,
	MG_BE_SET_DRAIN_DEADLINE = 1 << 2,
};

struct mg_be_set {
	unsigned int set;
	bool down;
	uint32_t saved_weight;
	uint64_t drain_deadline;
};

struct mg_lookup {
	struct addr_port client;	/* port 0 if not given */
	bool has_dst;
	struct addr_port dst;		/* default: the service's */
	int proto;			/* 0: the service's */
	/* reply */
	struct addr_port backend;
	uint32_t index, slot;
	bool fallback;
};


/* Each request: 0 or -errno, the failure's text in @e (nl.h: struct
 * nl_err; NULL if not wanted).
 */
int kmaglev_info(struct nl *nl, struct mg_info *info, struct nl_err *e);
int kmaglev_get_svc(struct nl *nl, const struct svc_id *id, struct mg_svc_state *st,
		    struct nl_err *e);
int kmaglev_dump_svcs(struct nl *nl, int (*fn)(const struct mg_svc_state *st, void *arg),
		      void *arg, struct nl_err *e);
int kmaglev_dump_backends(struct nl *nl, const struct svc_id *id,
			  int (*fn)(const struct mg_be_state *be, void *arg), void *arg,
			  struct nl_err *e);
/* The same for many services at once (nl.c, nlc_send_many()): @fn gets
 * the index of the service in @ids; errs[i] service i's own result.
 */
int kmaglev_dump_backends_many(struct nl *nl, const struct svc_id *const *ids, size_t n,
			       int (*fn)(size_t idx, const struct mg_be_state *be, void *arg),
			       void *arg, int *errs, struct nl_err *e);
int kmaglev_set_svc(struct nl *nl, const struct svc_id *id, const struct mg_params *p,
		    struct nl_err *e);
int kmaglev_lookup(struct nl *nl, const struct svc_id *id, struct mg_lookup *lk,
		   struct nl_err *e);
int kmaglev_flush_pins(struct nl *nl, const struct svc_id *id /* NULL: all */,
		       struct nl_err *e);
int kmaglev_set_backend(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
			const struct mg_be_set *set, struct nl_err *e);
int kmaglev_set_down(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		     bool down, struct nl_err *e);


/* The module's defaults for a new service (GET_INFO), asked only if
 * @ask; the built-in ones if not asked, or if the module is absent (that
 * is not an error: nothing is said).
 */
struct mg_defaults;
void kmaglev_defaults(struct nl *nl, bool ask, struct mg_defaults *d);

#endif
