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

/* Parameters, as set: a field is sent only if its bit is in @set. */
enum {
	MG_SET_TABLE_SIZE = 1 << 0,
	MG_SET_HASH = 1 << 1,
	MG_SET_SS_WINDOW = 1 << 2,
	MG_SET_SS_AGGR = 1 << 3,
	MG_SET_SS_MIN = 1 << 4,
	MG_SET_PIN = 1 << 5,
	MG_SET_PIN_MAX = 1 << 6,
};

struct mg_params {
	unsigned int set;
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
