/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: virtual addresses on a dummy interface (vip.c).
 */
#ifndef IPVSCTL_VIP_H
#define IPVSCTL_VIP_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"

/*
 * Make @dev (created as a dummy interface if missing, set up) hold exactly
 * the virtual addresses of @want's address-based services, in the current
 * network namespace. With @dry_run, print the changes on @out instead.
 * *changes counts them. Returns 0 or -errno with @why set.
 */
int vip_sync(const char *dev, const struct model *want, bool dry_run, FILE *out,
	     size_t *changes, char *why, size_t whylen);

#endif
