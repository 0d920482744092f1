/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the health state file, where "ipvsctl daemon" says what its
 * probes see and "ipvsctl health status" and "ipvsctl metrics" read it.
 * Its schema is ipvsctl(8)'s (JSON OUTPUT, "health status"): version 1,
 * pid, running, config, started, updated, reloads, transitions and
 * backends[] (service, backend, check, state, since, consecutive_ok,
 * consecutive_failures, probes, failures, last_error, last_duration_ms,
 * on_fail, weight, applied). Written here, read here: nowhere else.
 */
#ifndef IPVSCTL_HEALTH_STATEFILE_H
#define IPVSCTL_HEALTH_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "health/loop.h"

#define STATEFILE_VERSION 1

/* the daemon's part of the file */
struct statefile_head {
	bool running;			/* false: its last state, written on exit */
	const char *config;		/* the file it applies */
	uint64_t started_ms;		/* CLOCK_REALTIME */
	uint64_t reloads, transitions;
};

/*
 * Replace the file at @path (written in memory, then renamed over it:
 * atomicfile.c) with @h and the @n probes of @pv. Written directly, not
 * through json-c objects: at 10,000 backends it runs every few seconds
 * and must stay cheap. 0, or -errno with @why set.
 */
int statefile_write(const char *path, const struct statefile_head *h,
		    const struct probe *const *pv, size_t n, char *why, size_t whylen);

/*
 * Read and check the file at @path. 0 with *root its JSON (the caller
 * puts it) and *alive whether the daemon that wrote it still runs (the
 * file says running and a process of its pid exists); -ENOENT if there
 * is none; -EINVAL if it is not JSON; -EPROTO if it is not a state file
 * of this version; another -errno if it cannot be read. @why says which.
 */
int statefile_read(const char *path, json_object **root, bool *alive, char *why,
		   size_t whylen);

#endif
