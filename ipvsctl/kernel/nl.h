/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl's only door to the kernel: one generic netlink socket per run,
 * opened once, with extended ACKs (and a few more for pipelined reads);
 * family ids resolved once; one send/receive loop for requests and
 * multipart dumps.
 */
#ifndef IPVSCTL_NL_H
#define IPVSCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

enum nlc_fam {
	FAM_IPVS,	/* the kernel's IPVS family */
	FAM_MAGLEV,	/* the ip_vs_maglev module's IPVS_MAGLEV family */
	FAM__COUNT
};

/*
 * What one call to the kernel says when it fails. The caller owns it and
 * passes it to the call, which empties it first and fills it on failure;
 * nothing else writes it, so what it holds is that call's, not an earlier
 * one's. Every function below that takes one accepts NULL: the caller
 * wants the errno only.
 */
struct nl_err {
	char ext[512];	/* the kernel's extended-ACK message, if it sent one */
	char why[256];	/* ipvsctl's own (namespace, socket, family, reply format) */
};

/* Empty @e (NULL: nothing to do), as each call taking one does first. */
static inline void nlc_err_clear(struct nl_err *e)
{
	if (e)
		e->ext[0] = e->why[0] = 0;
}

struct nl {
	struct nl_sock *sk;
	int fam[FAM__COUNT];	/* family id; 0 while unresolved */
	unsigned long requests;	/* requests sent that change state */
	/* batching (nlc_batch_*): requests without replies, queued */
	bool batching;
	char *bbuf;
	size_t blen, bcap;
	uint32_t *bseq;
	uint32_t bseq_next;
	size_t bn;
	/* nlc_send_many(): extra sockets, opened on first use */
	int pfd[4];
	int npfd;
	uint32_t pseq;
	/* nlc_send_many_par(): the second thread's own sockets */
	struct nl *helper;
};

/* a libnl error (NLE_*, either sign) as -errno */
int nlc_errno(int nlerr);

/* Open the socket, in network namespace @netns (a name under /run/netns,
 * or a path) if not NULL. Returns 0 or -errno; on error @e->why explains.
 */
int nlc_open(struct nl *nl, const char *netns, struct nl_err *e);
void nlc_close(struct nl *nl);

/* The family's id, resolving it on first use. -EPROTONOSUPPORT, with
 * @e->why set, if the kernel does not have it (module not loadable).
 */
int nlc_family(struct nl *nl, enum nlc_fam fam, struct nl_err *e);

/* Forget the resolved ids: a long-running user calls this when a module
 * may have been reloaded (its family then has a new id).
 */
void nlc_forget_families(struct nl *nl);

/* A new request for @fam. NULL and errno set on failure (@e->why says
 * why the family is missing).
 */
struct nl_msg *nlc_req(struct nl *nl, enum nlc_fam fam, uint8_t cmd, bool dump,
		       struct nl_err *e);

/*
 * Called once per reply message with its top-level attributes (indexed up
 * to the family's maximum). Return 0 to go on, or -errno to stop.
 */
typedef int (*nlc_reply_fn)(struct nlattr **tb, void *arg);

/*
 * Send @msg (consumed) and read every reply up to the ack or the end of
 * the dump. Returns 0, or -errno with @e->ext holding the kernel's
 * extack message if it sent one (@e->why: a failure of ipvsctl's side).
 * @fn may be NULL. A dump the kernel marked interrupted (NLM_F_DUMP_INTR)
 * returns -EAGAIN once read to its end: what @fn was given may have gaps
 * or repeats; dump again.
 */
int nlc_send(struct nl *nl, struct nl_msg *msg, nlc_reply_fn fn, void *arg, struct nl_err *e);
/* nlc_send() of a request that changes state (counted in nl->requests),
 * answered by an ack only
 */
int nlc_send_change(struct nl *nl, struct nl_msg *msg, struct nl_err *e);

/*
 * Batching, for a long run of changes: between nlc_batch_begin() and
 * nlc_batch_end(), nlc_send() of a request without a reply function only
 * queues it (returns 0). nlc_batch_flush() sends the queue in one write;
 * the kernel handles the requests in order, each on its own (a failure
 * does not stop the ones after it), and acks each. errs[i] gets request
 * i's result; the return is the number flushed, or -errno if the write
 * itself failed (then none was sent). @e->ext holds the extack of the
 * first failure. If the answers could not all be read, the requests left
 * without one have errs[i] == NLC_NO_ANSWER: each may or may not have
 * taken effect (@e->why says how many). The socket is then replaced by a
 * new one, so late answers cannot be taken for those of later requests.
 */
#define NLC_NO_ANSWER 1
#define NLC_BATCH_MAX 128
/*
 * A batch is one write, and a netlink write larger than the socket's
 * send buffer fails whole (EMSGSIZE). The main socket's send buffer is
 * set for this many bytes of requests (nlc_open()), and a batch is full
 * when it has NLC_BATCH_MAX requests or no room left for one more of
 * NLC_REQ_SIZE, the most a request can hold (nlc_req()).
 */
#define NLC_BATCH_BYTES (32 << 10)
#define NLC_REQ_SIZE 1024
void nlc_batch_begin(struct nl *nl);
size_t nlc_batch_pending(const struct nl *nl);
/* Must the queue be flushed before another request is sent? */
bool nlc_batch_full(const struct nl *nl);
int nlc_batch_flush(struct nl *nl, int *errs, struct nl_err *e);
void nlc_batch_end(struct nl *nl);

/*
 * Many requests of one family (dumps, or gets), pipelined: each of a few
 * extra sockets of this netns carries one request at a time, so the
 * kernel builds one socket's reply while another's is read, and replies
 * are read into a page-sized buffer, so the kernel builds dumps in
 * page-sized buffers (the main socket's reads are 64 KiB, and net/netlink
 * sizes a dump's buffers by the largest read seen: for thousands of small
 * dumps that costs more than the dumps). Gets (no dump among @reqs) go
 * instead many to a write, their answers many to a read.
 *
 * @fn gets each reply message with its request's index. errs[i] gets
 * request i's own result (0, or the kernel's -errno: -ESRCH for a service
 * that does not exist; -EAGAIN for a dump marked interrupted), and
 * @e->ext the extack of a request that failed, if the kernel sent one
 * (not kept for gets, whose -ESRCH is an answer). The requests are
 * consumed. Returns 0, or -errno (@e->why says what) if the exchange
 * itself failed (a socket error, a message larger than a page, or @fn's
 * error): the caller should then not trust what @fn collected, and may
 * redo the requests one at a time.
 */
typedef int (*nlc_many_fn)(size_t idx, struct nlattr **tb, void *arg);
int nlc_send_many(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		  int *errs, struct nl_err *e);
/*
 * The same, with the second half of @reqs (when there are enough) sent
 * and read by a second thread on sockets of its own: one thread parses
 * answers while the kernel, which takes the IPVS family's requests one at
 * a time, serves the other. @fn then runs on both threads at once, each
 * time for a different @idx: it must only touch what belongs to @idx.
 * The second thread has an nl_err of its own; if only it failed, its
 * text is copied into @e.
 */
int nlc_send_many_par(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		      int *errs, struct nl_err *e);

/* Parse a nested attribute; NULL-safe (tb cleared if @nest is NULL). */
int nlc_nested(struct nlattr **tb, int max, const struct nlattr *nest);

#endif
