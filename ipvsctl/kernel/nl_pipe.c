// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: pipelined requests (see nl.h). Reading many services at once,
 * up to NLC_PIPE requests are in flight on extra sockets, and on two
 * threads for large sets (nlc_send_many_par()); every reply and ack is
 * read by nlc_pipe_read() and goes through nlc_msg_result().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "kernel/nl_internal.h"

/* the receive buffer asked for each extra socket (nlc_gets_chunk()) */
#define NLC_PIPE_RCVBUF (1 << 20)

#define NLC_PIPE 4	/* requests in flight: measured in a 2-vCPU VM, 4 gain 18% on 1 */

static int nlc_pipe_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rcv = NLC_PIPE_RCVBUF, fd;

	while (nl->npfd < NLC_PIPE) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
		if (fd < 0)
			return -errno;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int err = -errno;

			close(fd);
			return err;
		}
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
		/* room for a chunk of gets' answers (nlc_gets()), whatever
		 * net.core.rmem_default says: forced where privileged (as
		 * ipvsctl mostly is), else as far as rmem_max allows
		 */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		nl->pfd[nl->npfd++] = fd;
	}
	return 0;
}

/*
 * Read socket @fd until request @sl ends (nl_internal.h); 1 when it has,
 * 0 or -errno. @buf holds NLC_PIPE_VEC messages of @bufsz: a dump's data
 * and its NLMSG_DONE, which the kernel queues while the first is read
 * (netlink_recvmsg() runs the dump on), come in one call.
 */
int nlc_pipe_read(int fd, struct nlc_slot *sl, char *buf, size_t bufsz, int maxattr,
		  nlc_many_fn fn, void *arg, int *errs, struct nl_err *e)
{
	struct mmsghdr mm[NLC_PIPE_VEC];
	struct iovec iov[NLC_PIPE_VEC];
	struct nlmsghdr *nlh;
	struct nlattr *tb[64];
	int left, err, m, j;

	nlc_mmsg_setup(mm, iov, NLC_PIPE_VEC, buf, bufsz);
	m = recvmmsg(fd, mm, NLC_PIPE_VEC, MSG_WAITFORONE, NULL);
	if (m < 0)
		return errno == EINTR ? 0 : -errno;
	for (j = 0; j < m; j++) {
		if (mm[j].msg_hdr.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		left = (int)mm[j].msg_len;
		for (nlh = iov[j].iov_base; nlmsg_ok(nlh, left); nlh = nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != sl->seq)
				continue;	/* not this request's */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				sl->intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				int v = nlc_msg_result(nlh, errs[sl->idx] ? NULL : e);

				if (!errs[sl->idx])
					errs[sl->idx] = v;
				if (!errs[sl->idx] && sl->intr)
					errs[sl->idx] = -EAGAIN;
				sl->busy = false;
				/* nothing of this socket follows the end
				 * of its one request in flight
				 */
				return 1;
			}
			if (genlmsg_parse(nlh, 0, tb, maxattr, NULL)) {
				nlc_why(e, "malformed reply from the kernel");
				return -EPROTO;
			}
			err = fn(sl->idx, tb, arg);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The next request, if any, on idle socket @k. */
static int nlc_pipe_send(struct nl *nl, int k, struct nlc_slot *sl, struct nl_msg **reqs,
			 size_t n, size_t *next)
{
	struct nlmsghdr *nlh;

	if (sl->busy || *next >= n)
		return 0;
	nlh = nlmsg_hdr(reqs[*next]);
	nlh->nlmsg_pid = 0;
	nlh->nlmsg_seq = sl->seq = ++nl->pseq;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (send(nl->pfd[k], nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	sl->idx = (*next)++;
	sl->busy = true;
	sl->intr = false;
	return 0;
}

/*
 * Gets (no dump among @reqs): up to NLC_GETS_CHUNK to a write on the
 * first extra socket, without NLM_F_ACK, so each has one answer (its
 * reply or an error), read many to a call. Each answer is a buffer of
 * about a page (its truesize, under 2 pages, is what the receive buffer
 * counts), and one that does not fit is dropped (ENOBUFS): the chunk is
 * sized from the receive buffer the socket really has (nlc_gets_chunk()).
 */
#define NLC_GETS_CHUNK 32

static size_t nlc_gets_chunk(int fd, size_t bufsz)
{
	int rcv = 0;
	socklen_t len = sizeof(rcv);
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len) || rcv <= 0)
		return 1;
	/* the kernel reports twice what it counts against (socket(7)) but
	 * counts each answer's truesize: a page of data and its overhead
	 */
	n = (size_t)rcv / (2 * bufsz);
	return n < 1 ? 1 : n > NLC_GETS_CHUNK ? NLC_GETS_CHUNK : n;
}

static int nlc_gets(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		    int *errs, char *buf, size_t bufsz, int maxattr, struct nl_err *e)
{
	struct mmsghdr mm[NLC_GETS_CHUNK];
	struct iovec iov[NLC_GETS_CHUNK];
	size_t first, cnt, got, i, chunk;
	uint32_t seq0;
	char *wbuf;
	int fd = nl->pfd[0], m, j, err = 0;

	wbuf = malloc(NLC_GETS_CHUNK * (size_t)NLMSG_ALIGN(bufsz));
	if (!wbuf)
		return -ENOMEM;
	chunk = nlc_gets_chunk(fd, bufsz);
	for (first = 0; first < n && !err; first += cnt) {
		size_t wlen = 0;

		cnt = n - first < chunk ? n - first : chunk;
		seq0 = nl->pseq + 1;
		for (i = 0; i < cnt; i++) {
			struct nlmsghdr *nlh = nlmsg_hdr(reqs[first + i]);

			if (NLMSG_ALIGN(nlh->nlmsg_len) > NLMSG_ALIGN(bufsz)) {
				err = -EMSGSIZE;
				goto out;
			}
			nlh->nlmsg_pid = 0;
			nlh->nlmsg_seq = ++nl->pseq;
			nlh->nlmsg_flags |= NLM_F_REQUEST;
			memset(wbuf + wlen, 0, NLMSG_ALIGN(nlh->nlmsg_len));
			memcpy(wbuf + wlen, nlh, nlh->nlmsg_len);
			wlen += NLMSG_ALIGN(nlh->nlmsg_len);
			errs[first + i] = 1;	/* no answer yet */
		}
		if (send(fd, wbuf, wlen, 0) < 0) {
			err = -errno;
			goto out;
		}
		for (got = 0; got < cnt && !err;) {
			nlc_mmsg_setup(mm, iov, NLC_GETS_CHUNK, buf, bufsz);
			m = recvmmsg(fd, mm, (unsigned int)(cnt - got), MSG_WAITFORONE, NULL);
			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0) {
				err = m < 0 ? -errno : -EIO;
				break;
			}
			for (j = 0; j < m && !err; j++) {
				struct nlmsghdr *nlh = iov[j].iov_base;
				int left = (int)mm[j].msg_len;
				struct nlattr *tb[64];

				if (mm[j].msg_hdr.msg_flags & MSG_TRUNC) {
					err = -EMSGSIZE;
					break;
				}
				for (; nlmsg_ok(nlh, left); nlh = nlmsg_next(nlh, &left)) {
					i = nlh->nlmsg_seq - seq0;
					if (nlh->nlmsg_seq < seq0 || i >= cnt || errs[first + i] != 1)
						continue;	/* not an answer of this chunk */
					got++;
					errs[first + i] = 0;
					if (nlh->nlmsg_type == NLMSG_ERROR) {
						/* per item: ENOENT is an answer here,
						 * so no explanation is kept
						 */
						errs[first + i] = nlc_msg_result(nlh, NULL);
						continue;
					}
					if (genlmsg_parse(nlh, 0, tb, maxattr, NULL)) {
						nlc_why(e, "malformed reply from the kernel");
						err = -EPROTO;
						break;
					}
					err = fn(first + i, tb, arg);
					if (err)
						break;
				}
			}
		}
	}
out:
	free(wbuf);
	return err;
}

int nlc_send_many(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		  int *errs, struct nl_err *e)
{
	struct nlc_slot sl[NLC_PIPE] = { 0 };
	size_t next = 0, done = 0, i;
	long pg = sysconf(_SC_PAGESIZE);
	size_t bufsz = pg >= 4096 ? (size_t)pg : 4096;
	int maxattr = 0, fam, err, k;
	char *buf = NULL;

	nlc_err_clear(e);
	for (i = 0; i < n; i++)
		errs[i] = 0;
	if (!n)
		return 0;
	for (fam = 0; fam < FAM__COUNT; fam++)
		if (nl->fam[fam] == nlmsg_hdr(reqs[0])->nlmsg_type)
			maxattr = nlc_fam_maxattr(fam);
	err = nlc_pipe_open(nl);
	if (err)
		goto out;
	for (i = 0; i < n && !(nlmsg_hdr(reqs[i])->nlmsg_flags & NLM_F_DUMP); i++)
		;
	buf = malloc((i == n ? NLC_GETS_CHUNK : NLC_PIPE_VEC) * bufsz);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (i == n) {
		err = nlc_gets(nl, reqs, n, fn, arg, errs, buf, bufsz, maxattr, e);
		goto out;
	}
	/* every socket gets a request; then each, in turn, is read to the
	 * end of its request and given the next one
	 */
	for (k = 0; k < nl->npfd; k++) {
		err = nlc_pipe_send(nl, k, &sl[k], reqs, n, &next);
		if (err)
			goto out;
	}
	while (done < n) {
		for (k = 0; k < nl->npfd; k++) {
			while (sl[k].busy) {
				err = nlc_pipe_read(nl->pfd[k], &sl[k], buf, bufsz, maxattr, fn,
						    arg, errs, e);
				if (err < 0)
					goto out;
				if (err)
					done++;
			}
			err = nlc_pipe_send(nl, k, &sl[k], reqs, n, &next);
			if (err)
				goto out;
		}
	}
	err = 0;
out:
	if (err && e && !e->why[0])
		nlc_why(e, "netlink: %s", strerror(-err));
	free(buf);
	for (i = 0; i < n; i++)
		nlmsg_free(reqs[i]);
	if (err) {
		/* a request may still be answering: start afresh next time */
		for (k = 0; k < nl->npfd; k++)
			close(nl->pfd[k]);
		nl->npfd = 0;
	}
	return err;
}

/* ---- the same on two threads ------------------------------------------------ */

/*
 * Fewer requests than this go on one thread: a judgement, not a
 * measurement; starting a thread costs about what a few dumps do, and
 * small reads are quick either way.
 */
#define NLC_PAR_MIN 64

struct nlc_par {
	struct nl *nl;		/* the helper: family ids copied, sockets its own */
	struct nl_err e;	/* and its own error text */
	struct nl_msg **reqs;
	size_t n, off;		/* reqs[0] is the caller's request @off */
	nlc_many_fn fn;
	void *arg;
	int *errs;
	int err;
};

static int nlc_par_fn(size_t idx, struct nlattr **tb, void *arg)
{
	struct nlc_par *w = arg;

	return w->fn(w->off + idx, tb, w->arg);
}

static void *nlc_par_main(void *arg)
{
	struct nlc_par *w = arg;

	w->err = nlc_send_many(w->nl, w->reqs, w->n, nlc_par_fn, w, w->errs, &w->e);
	return NULL;
}

int nlc_send_many_par(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		      int *errs, struct nl_err *e)
{
	sigset_t all, old;
	struct nlc_par w;
	pthread_t t;
	size_t h = n / 2;
	int err;

	if (n < NLC_PAR_MIN)
		return nlc_send_many(nl, reqs, n, fn, arg, errs, e);
	if (!nl->helper) {
		nl->helper = calloc(1, sizeof(*nl->helper));
		if (!nl->helper)
			return nlc_send_many(nl, reqs, n, fn, arg, errs, e);
	}
	memcpy(nl->helper->fam, nl->fam, sizeof(nl->fam));
	w.nl = nl->helper;
	w.reqs = reqs + h;
	w.n = n - h;
	w.off = h;
	w.fn = fn;
	w.arg = arg;
	w.errs = errs + h;
	w.err = 0;
	/* signals stay with the main thread: the helper starts with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t, NULL, nlc_par_main, &w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return nlc_send_many(nl, reqs, n, fn, arg, errs, e);
	err = nlc_send_many(nl, reqs, h, fn, arg, errs, e);
	pthread_join(t, NULL);
	if (!err && w.err) {
		err = w.err;
		if (e)
			*e = w.e;
	}
	return err;
}
