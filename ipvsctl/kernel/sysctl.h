/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the sysctls a director needs (kernel/sysctl.c), for "ipvsctl
 * sysctl" and "ipvsctl apply --check-sysctls".
 */
#ifndef IPVSCTL_SYSCTL_H
#define IPVSCTL_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/types.h"

struct director_sysctl {
	const char *name;	/* net.ipv4.vs.conntrack */
	long want;
	bool dr_only;		/* needed for direct routing only */
	const char *why;
};

const struct director_sysctl *director_sysctls(size_t *n);
/* The current namespace's value: 0 or -errno. */
int sysctl_read(const char *name, long *v);
/* write @v to sysctl @name: 0 or -errno */
int sysctl_write(const char *name, long v);

#endif
