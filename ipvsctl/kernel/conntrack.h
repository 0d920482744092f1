/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: conntrack entries over ctnetlink (kernel/conntrack.c), read and
 * deleted: what a service proxy needs to clear the entries of a UDP
 * service's removed endpoints (kube/stale.c says which).
 */
#ifndef IPVSCTL_KERNEL_CONNTRACK_H
#define IPVSCTL_KERNEL_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a UDP entry: its original tuple (what deletes it) and reply source */
struct ct_entry {
	int af;
	uint8_t osrc[16], odst[16];	/* network order; IPv4 in the first 4 bytes */
	uint16_t osport, odport;	/* host order */
	uint8_t rsrc[16];
	uint16_t rsport;
	uint16_t zone;
};

/*
 * Every UDP entry of family @af in the current network namespace, into a
 * new array *@v (free() it) of *@n. At most @max entries are kept (a node
 * under a flood must not take unbounded memory; the next pass gets the
 * rest). 0, or -errno with @why set (-EPERM without CAP_NET_ADMIN).
 */
int ct_dump_udp(int af, size_t max, struct ct_entry **v, size_t *n, char *why, size_t whylen);

/*
 * Delete the entries of @v whose @del is set, one request each; one that
 * is gone already counts as deleted. *@deleted counts them. 0, or the
 * first error other than -ENOENT (the others are still tried), with @why.
 */
int ct_delete(const struct ct_entry *v, const bool *del, size_t n, size_t *deleted, char *why,
	      size_t whylen);

#endif
