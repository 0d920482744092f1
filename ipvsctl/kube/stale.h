/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: which conntrack entries of UDP services are stale, as
 * kube-proxy's conntrack cleanup decides (pkg/proxy/conntrack/cleanup.go,
 * CleanStaleEntries; facts only): for each UDP front end with at least
 * one real server, an entry whose original destination is the front end
 * and whose reply source is none of its real servers. That removes the
 * entries of endpoints that left (a client's next datagram would
 * otherwise follow the old entry into a pod that is gone: DNS black
 * holes) and those made while the front end had no endpoint (their reply
 * source is the front end itself). Pure: tested on the host.
 */
#ifndef IPVSCTL_KUBE_STALE_H
#define IPVSCTL_KUBE_STALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/grammar.h"
#include "kernel/conntrack.h"

/* Mark in @del (n entries) those of @v that are stale for @ops (translate's
 * OP_SVC_ADD, each followed by its OP_DEST_ADDs). Returns how many, or
 * -ENOMEM (as a negative long) with nothing marked.
 */
long kube_udp_stale(const struct op *ops, size_t nops, const struct ct_entry *v, size_t n,
		    bool *del);

/* A digest of the UDP front ends and their real servers: a cleanup is
 * needed only when it changes
 */
uint64_t kube_udp_digest(const struct op *ops, size_t nops);

#endif
