// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: batches (see nl.h). Requests that change state are queued
 * without waiting for their acks, sent with one sendmsg() per batch and
 * their acks read with recvmmsg(); every ack goes through
 * nlc_msg_result(), as nlc_send()'s do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kernel/nl_internal.h"

void nlc_batch_begin(struct nl *nl)
{
	nl->batching = true;
	nl->blen = 0;
	nl->bn = 0;
}

size_t nlc_batch_pending(const struct nl *nl)
{
	return nl->bn;
}

bool nlc_batch_full(const struct nl *nl)
{
	return nl->bn >= NLC_BATCH_MAX || nl->blen + NLC_REQ_SIZE > NLC_BATCH_BYTES;
}

void nlc_batch_end(struct nl *nl)
{
	nl->batching = false;
	free(nl->bbuf);
	free(nl->bseq);
	nl->bbuf = NULL;
	nl->bseq = NULL;
	nl->blen = nl->bcap = nl->bn = 0;
}

int nlc_batch_add(struct nl *nl, struct nl_msg *msg)
{
	struct nlmsghdr *nlh;
	size_t len;

	/* the caller flushes when nlc_batch_full() says so: this is not
	 * reached, but a batch too large to write is refused here, not by
	 * the kernel with the whole batch
	 */
	nlh = nlmsg_hdr(msg);
	len = NLMSG_ALIGN(nlh->nlmsg_len);
	if (nl->bn == NLC_BATCH_MAX || nl->blen + len > NLC_BATCH_BYTES)
		return -E2BIG;
	/* port, sequence number and flags set here, not by libnl: its own
	 * sequence bookkeeping (which nlc_send() relies on) never sees
	 * batches; batch numbers have the top bit set
	 */
	nlh->nlmsg_pid = nl_socket_get_local_port(nl->sk);
	nlh->nlmsg_seq = 0x80000000u | nl->bseq_next++;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (nl->blen + len > nl->bcap) {
		size_t cap = nl->bcap ? nl->bcap * 2 : 16384;
		char *b;

		while (cap < nl->blen + len)
			cap *= 2;
		b = realloc(nl->bbuf, cap);
		if (!b)
			return -ENOMEM;
		nl->bbuf = b;
		nl->bcap = cap;
	}
	if (!nl->bseq) {
		nl->bseq = calloc(NLC_BATCH_MAX, sizeof(*nl->bseq));
		if (!nl->bseq)
			return -ENOMEM;
	}
	memset(nl->bbuf + nl->blen, 0, len);
	memcpy(nl->bbuf + nl->blen, nlh, nlh->nlmsg_len);
	nl->blen += len;
	nl->bseq[nl->bn++] = nlh->nlmsg_seq;
	return 0;
}

/* acks and errors: each request's result into errs[] (nl_internal.h) */
void nlc_batch_ack(struct nl *nl, const struct nlmsghdr *nlh, int left, int *errs, size_t n,
		   size_t *got, bool *first, struct nl_err *e)
{
	for (; nlmsg_ok(nlh, left); nlh = nlmsg_next((struct nlmsghdr *)nlh, &left)) {
		size_t i;

		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
			continue;
		for (i = 0; i < n; i++)
			if (nl->bseq[i] == nlh->nlmsg_seq)
				break;
		if (i == n || errs[i] != NLC_NO_ANSWER)
			continue;	/* not ours, or seen */
		/* the first error's explanation is the one kept */
		errs[i] = nlc_msg_result(nlh, *first ? e : NULL);
		(*got)++;
		if (errs[i])
			*first = false;
	}
}

/* recvmmsg()'s vector: @n buffers of @bufsz, one after another in @buf */
void nlc_mmsg_setup(struct mmsghdr *mm, struct iovec *iov, int n, char *buf,
			   size_t bufsz)
{
	int j;

	for (j = 0; j < n; j++) {
		iov[j].iov_base = buf + (size_t)j * bufsz;
		iov[j].iov_len = bufsz;
		memset(&mm[j], 0, sizeof(mm[j]));
		mm[j].msg_hdr.msg_iov = &iov[j];
		mm[j].msg_hdr.msg_iovlen = 1;
	}
}

#define NLC_ACK_VEC 64
#define NLC_ACK_BUF 2048	/* an ack with a capped request and extack */

int nlc_batch_flush(struct nl *nl, int *errs, struct nl_err *e)
{
	struct mmsghdr mm[NLC_ACK_VEC];
	struct iovec iov[NLC_ACK_VEC];
	size_t n = nl->bn, got = 0, i;
	int fd = nl_socket_get_fd(nl->sk), len, m, j;
	bool first = true;
	char *buf;

	nlc_err_clear(e);
	if (!n)
		return 0;
	buf = malloc((size_t)NLC_ACK_VEC * NLC_ACK_BUF);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		errs[i] = NLC_NO_ANSWER;
	len = nl_sendto(nl->sk, nl->bbuf, nl->blen);
	nl->blen = 0;
	nl->bn = 0;
	if (len < 0) {
		free(buf);
		nlc_why(e, "netlink send: %s", nl_geterror(len));
		return nlc_errno(len);
	}
	/* one ack (or error) per request, in order: many per system call */
	while (got < n) {
		nlc_mmsg_setup(mm, iov, NLC_ACK_VEC, buf, NLC_ACK_BUF);
		m = recvmmsg(fd, mm, NLC_ACK_VEC, MSG_WAITFORONE, NULL);
		if (m < 0 && errno == EINTR)
			continue;
		if (m <= 0) {
			nlc_why(e, "netlink receive: %s", m < 0 ? strerror(errno) : "end of data");
			break;
		}
		for (j = 0; j < m; j++)
			nlc_batch_ack(nl, (const struct nlmsghdr *)iov[j].iov_base,
				      (int)mm[j].msg_len, errs, n, &got, &first, e);
	}
	free(buf);
	if (got < n) {
		/*
		 * Answers were lost: the requests left at NLC_NO_ANSWER may or
		 * may not have taken effect, and their acks may still arrive.
		 * A new socket (same namespace: the process is in it already)
		 * keeps them away from the requests that follow, which would
		 * otherwise fail libnl's sequence check.
		 */
		struct nl_sock *old = nl->sk;

		if (e) {
			char why[sizeof(e->why)];

			snprintf(why, sizeof(why),
				 "the answers to %zu of %zu requests were lost (%.160s)",
				 n - got, n, e->why[0] ? e->why : "netlink receive");
			snprintf(e->why, sizeof(e->why), "%s", why);
		}
		/* if that fails, the old socket stays; the loss is what is told */
		if (nlc_sock_new(nl, NULL)) {
			nl->sk = old;	/* kept: a later request may still work */
		} else {
			nl_socket_free(old);
		}
	}
	return (int)n;
}
