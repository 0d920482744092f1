/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: virtual addresses on a dummy interface (vip.c).
 */
#ifndef IPVSCTL_VIP_H
#define IPVSCTL_VIP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/model.h"
#include "model/scope.h"

struct vaddr {
	int af;
	uint8_t a[16];		/* IPv4 in the first 4 bytes, the rest 0 */
};

/* Sort @v and drop repeats; returns the new count. */
size_t vaddr_sort(struct vaddr *v, size_t n);

/*
 * Which addresses change, given what the interface @have and what the
 * state wants (both sorted by vaddr_sort()). add[i]: want[i] is missing.
 * del[i]: have[i] is wanted by no service and lies in @sc, the apply's
 * scope; an address outside it (or any, with no scope) is never removed,
 * because an apply without a scope names only the services it changes.
 * Pure, for the host tests.
 */
void vip_plan(const struct vaddr *have, size_t nhave, const struct vaddr *want, size_t nwant,
	      const struct scope *sc, bool *add, bool *del);

/*
 * Before anything is changed: refuse @dev if it exists and is not a dummy
 * interface (kube-ipvs0 is; eth0 is not). 0, or -errno with @why set.
 */
int vip_check(const char *dev, char *why, size_t whylen);

/*
 * Make @dev (created as a dummy interface if missing, set up) hold the
 * virtual addresses of @want's address-based services, in the current
 * network namespace, removing those vip_plan() says may go. With
 * @dry_run, print the changes on @out instead. *changes counts them.
 * Returns 0 or -errno with @why set.
 */
int vip_sync(const char *dev, const struct model *want, const struct scope *sc, bool dry_run,
	     FILE *out, size_t *changes, char *why, size_t whylen);

#endif
