/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the difference between two states, as ops of the grammar.
 * Pure: no kernel, tested on the host.
 */
#ifndef IPVSCTL_DIFF_H
#define IPVSCTL_DIFF_H

#include "grammar.h"

/* Is this current service managed (may it be changed or deleted)? */
typedef bool (*diff_scope_fn)(const struct m_svc *s, void *arg);

/*
 * The ops that take @cur to @want. Every service of @want is managed;
 * services only in @cur are deleted if @in_scope says they are managed
 * (NULL: none is). @want holds complete confs (as plan_build() leaves its
 * simulated state). Ops come in a safe order: services added (with their
 * parameters and backends), services changed and their backends, then
 * services deleted. Returns 0 and a malloc'd array (*ops, *n), or -ENOMEM.
 */
int model_diff(const struct model *cur, const struct model *want,
	       diff_scope_fn in_scope, void *arg, struct op **ops, size_t *n);

#endif
