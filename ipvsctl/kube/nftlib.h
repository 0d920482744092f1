/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: nftables text sent through libnftables, opened with
 * dlopen() when first needed (as health/curl.c opens libcurl): ipvsctl
 * builds and runs without it, and only a command that changes nftables
 * asks for it (Debian: libnftables1).
 */
#ifndef IPVSCTL_KUBE_NFTLIB_H
#define IPVSCTL_KUBE_NFTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFTLIB_SONAME "libnftables.so.1"

struct nftlib;

/*
 * A libnftables context for the current network namespace. 0, or -errno
 * with @why set: -ENOENT without the library, -EPERM without
 * CAP_NET_ADMIN (checked first: libnftables 1.0.6 exits the process when
 * it cannot open its netlink socket).
 */
int nftlib_open(struct nftlib **lib, char *why, size_t whylen);

/*
 * Run @text as one transaction (every command or none: libnftables
 * parses and checks the whole buffer, then sends it in one batch the
 * kernel commits whole). With @check, the kernel checks it and commits
 * nothing. 0, or -EINVAL with nft's message in @why.
 */
int nftlib_run(struct nftlib *lib, const char *text, bool check, char *why, size_t whylen);

void nftlib_close(struct nftlib *lib);

/*
 * The ruleset's generation in the current network namespace (every
 * nftables commit, anyone's, moves it on), without libnftables; with
 * @gen NULL, only whether nfnetlink answers (CAP_NET_ADMIN). 0, or -errno
 * with @why set.
 */
int nftlib_gen(uint32_t *gen, char *why, size_t whylen);

#endif
