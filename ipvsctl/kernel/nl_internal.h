/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: shared by the netlink core's files (nl.c, nl_batch.c,
 * nl_pipe.c) and their tests only (selftests/unit/test_nl.c, which feeds
 * the parsers canned messages). Nothing else in ipvsctl includes this:
 * nl.h is the interface.
 */
#ifndef IPVSCTL_NL_INTERNAL_H
#define IPVSCTL_NL_INTERNAL_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct mmsghdr;
struct iovec;

/*
 * The helpers below fill the caller's nl_err (NULL: no text wanted) but
 * do not empty it: they serve a call of nl.h, which did.
 */
/* printf into @e->why */
void nlc_why(struct nl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a new main socket for @nl (the old one closed), ext acks on; @e->why
 * says why not
 */
int nlc_sock_new(struct nl *nl, struct nl_err *e);
/* the highest attribute of family @fam's replies */
int nlc_fam_maxattr(enum nlc_fam fam);
/* queue @msg in @nl's batch (nlc_send() while batching); 0 or -errno */
int nlc_batch_add(struct nl *nl, struct nl_msg *msg);
/* recvmmsg()'s vector: @n buffers of @bufsz, one after another in @buf */
void nlc_mmsg_setup(struct mmsghdr *mm, struct iovec *iov, int n, char *buf, size_t bufsz);

/*
 * The result an NLMSG_ERROR (an ack, or an error with its extended ack)
 * or an NLMSG_DONE (a dump's end, carrying the dump's errno) reports: 0,
 * or a negative errno; an error's extack text goes to @e->ext (NULL: the
 * errno only). A message too short to hold its error is -EPROTO.
 */
int nlc_msg_result(const struct nlmsghdr *nlh, struct nl_err *e);
/*
 * The acks (NLMSG_ERROR) in @left bytes at @nlh, for the @n requests of
 * a batch (their sequence numbers in nl->bseq): each request's result
 * into errs[i], which the caller set to NLC_NO_ANSWER; *got counts the
 * answers found. Acks of other sequence numbers, and a second ack of one
 * request, are ignored. The extack text of the first error goes to
 * @e->ext, while *first is true (then it is cleared).
 */
void nlc_batch_ack(struct nl *nl, const struct nlmsghdr *nlh, int left, int *errs, size_t n,
		   size_t *got, bool *first, struct nl_err *e);

/* one extra socket's request in flight (nlc_send_many()) */
struct nlc_slot {
	size_t idx;		/* request in flight */
	uint32_t seq;
	bool busy;
	bool intr;		/* its dump had NLM_F_DUMP_INTR: -EAGAIN */
};

/* messages read by one nlc_pipe_read() call at most */
#define NLC_PIPE_VEC 2

/*
 * Read socket @fd (a few datagrams, each at most @bufsz; @buf holds
 * NLC_PIPE_VEC of them) for the request of slot @sl: its replies go to
 * @fn, parsed up to @maxattr; its end (NLMSG_DONE, or NLMSG_ERROR) sets
 * errs[sl->idx] (the errno it carries, with its extack in @e->ext, or
 * -EAGAIN for a dump marked NLM_F_DUMP_INTR) and frees the slot. Returns
 * 1 when the request has ended, 0 when it has not yet, or -errno
 * (-EMSGSIZE for a datagram larger than @bufsz, -EPROTO for a malformed
 * reply, said in @e->why; @fn's error).
 */
int nlc_pipe_read(int fd, struct nlc_slot *sl, char *buf, size_t bufsz, int maxattr,
		  nlc_many_fn fn, void *arg, int *errs, struct nl_err *e);

#endif
