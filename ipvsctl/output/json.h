/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the one JSON printer. Every listing command builds a json-c
 * object with these helpers and hands it to out_json(), so field names and
 * formats are the same everywhere (schema: ipvsctl(8), JSON OUTPUT).
 */
#ifndef IPVSCTL_OUTPUT_H
#define IPVSCTL_OUTPUT_H

#include <stdio.h>

#include <json-c/json.h>

#include "base/types.h"

/* Print @o on stdout (pretty when stdout is a tty, else one line) and free it. */
void out_json(json_object *o);

/*
 * Flush and close @f, after its last write: 0, or -errno if any write to
 * it failed (a full disk, a closed pipe), not only the last. main() calls
 * it on stdout after every command, so that "ipvsctl save > file" or a
 * listing cut short by a full disk exits non-zero with a message.
 */
int out_close(FILE *f);

/*
 * A dry run's steps, as --json gives them: the lines of @text (what
 * step_print() and the like wrote, @len bytes) as an array of strings, one
 * per line, empty lines left out. NULL if out of memory.
 */
json_object *out_lines_json(const char *text, size_t len);

/* restore's and batch's dry run with --json, one document:
 * {"changes": N, "dry_run": true, "plan": out_lines_json(@text)}
 */
json_object *out_dry_run_json(size_t changes, const char *text, size_t len);

/* "family", "address", "port" */
void out_addr_json(json_object *o, int af, const uint8_t *addr, uint16_t port);

/* "service" (the SERVICE word), "family", and "protocol"/"address"/"port"
 * or "fwmark"
 */
void out_svc_json(json_object *o, const struct svc_id *id);

/* "slow_start": {"window_ms", "aggression", "min_pct", "ramping",
 * "ramp_builds", "ramp_skips"}
 */
void out_slow_start_json(json_object *o, uint32_t window_ms, uint32_t aggr_milli,
			 uint32_t min_pct, uint32_t ramping, uint64_t builds, uint64_t skips);

/* "pinning": {"mode", "active", "max", "entries", "hits", "misses",
 * "inserts", "insert_failures", "evictions", "expiries", "dropped"}
 */
struct mg_pin_stats;
void out_pinning_json(json_object *o, uint8_t mode, uint32_t max,
		      const struct mg_pin_stats *p);

struct model;
struct m_svc;

/* The listing schema (ipvsctl(8), JSON OUTPUT): {"services": [...]} */
json_object *out_model_json(const struct model *m);
/* the maglev module's state of a service and of a backend: the keys of
 * ipvsctl(8)'s maglev objects, added to @o (one encoder for every command)
 */
struct mg_svc_state;
struct mg_be_state;
void out_mg_svc_json(json_object *o, const struct mg_svc_state *st);
void out_mg_be_json(json_object *o, const struct mg_be_state *be);
json_object *out_svc_full_json(const struct m_svc *s);

#endif
