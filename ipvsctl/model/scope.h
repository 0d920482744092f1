/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPVSCTL_MODEL_SCOPE_H
#define IPVSCTL_MODEL_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/types.h"

/*
 * Scope: which current services a declarative apply manages (may change
 * or delete). A service is in scope if its virtual address lies in one of
 * the prefixes, or its firewall mark in one of the ranges, or @all.
 */
struct scope_prefix {
	int af;
	uint8_t addr[16];
	uint8_t len;
};

struct scope {
	bool all;
	struct scope_prefix *pfx;
	size_t npfx, pfx_cap;
	struct { uint32_t lo, hi; } *marks;
	size_t nmarks, marks_cap;
};

/* "CIDR", "ADDR" (a single address), "fwmark:LO[-HI]" or "all". */
int scope_add(struct scope *sc, const char *spec, char *why, size_t whylen);
void scope_free(struct scope *sc);
bool scope_empty(const struct scope *sc);
bool scope_has(const struct scope *sc, const struct svc_id *id);
/* a filter of services (state/diff.h's diff_scope_fn) over a struct scope */
struct m_svc;
bool scope_fn(const struct m_svc *s, void *arg);
/* Every prefix and mark range of @in lies inside @out: 0, or -EINVAL
 * with @why naming the first that does not. How a document's own scope
 * is bounded by the operator's --scope.
 */
int scope_within(const struct scope *in, const struct scope *out, char *why, size_t whylen);

#endif
