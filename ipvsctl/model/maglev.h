/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the maglev module's parameters and state of a service and of
 * a backend, as its IPVS_MAGLEV family reports them (kernel/maglev.c
 * decodes them) and as the model holds them (struct m_svc and m_dest
 * embed them). Pure data.
 */
#ifndef IPVSCTL_MODEL_MAGLEV_H
#define IPVSCTL_MODEL_MAGLEV_H

#include <stdbool.h>
#include <stdint.h>

#include "base/types.h"

/* A service's maglev parameters, all of them, as the module reports
 * them and as SET_SERVICE sends them. In the model they are fields of
 * struct svc_conf (SC_MG_ALL): svc_conf_to_mg() and svc_conf_from_mg()
 * are the one mapping.
 */
struct mg_params {
	uint32_t table_size;	/* 0: module default */
	uint8_t hash;		/* enum ipvs_maglev_hash */
	uint32_t ss_window_ms;	/* slow start: 0 off */
	uint32_t ss_aggression;	/* thousandths */
	uint32_t ss_min_pct;
	uint8_t pin;		/* enum ipvs_maglev_pin */
	uint32_t pin_max;	/* 0: the namespace's cap only */
};

struct mg_pin_stats {
	bool active;
	uint32_t entries;
	uint64_t hits, misses, inserts, insert_fails, evictions, expiries, dropped;
};

struct mg_svc_state {
	struct svc_id id;
	struct mg_params p;
	uint8_t hash_active;
	bool has_table;
	bool pending;
	bool as_mh;			/* scheduler name "mh" (the mh=1 mode) */
	uint32_t table_size_active;
	uint32_t backends;
	uint32_t owners;
	uint32_t last_error;
	bool has_seed;
	uint64_t seed, seed_fp;
	uint64_t rebuilds;
	uint64_t rebuild_fails;
	uint64_t age_ms;
	uint64_t build_ns;
	uint64_t digest;
	uint64_t table_bytes;
	uint64_t state_bytes;
	uint32_t ramping;
	uint64_t ramp_builds;
	uint64_t ramp_skips;
	bool serving;
	uint64_t serving_ms;	/* since the table first scheduled a flow */
	struct mg_pin_stats pins;
};

struct mg_be_state {
	struct addr_port ap;
	uint32_t weight;
	uint32_t eff_weight;
	uint32_t slots;
	uint32_t share_ppm;
	int64_t index;		/* -1: owns no slot */
	bool available;
	bool ramping;
	uint32_t ramp_left_ms;
	bool in_table;
	uint32_t ramp_ppm;	/* slow-start factor in the live table */
	bool down;
	uint32_t pins;
	uint32_t saved_weight;		/* drain metadata: 0 = not draining */
	uint64_t drain_deadline;	/* seconds since the epoch; 0 = none */
};

#endif
