// SPDX-License-Identifier: GPL-2.0
/*
 * nl.c's parsers on the host, with canned netlink messages: no kernel,
 * no privilege.
 *
 * - nlc_batch_ack() reads a batch's acks from a buffer: matched by
 *   sequence number, duplicates and other numbers ignored, the extack
 *   text of the first error found where it is (after the whole request
 *   echoed back, or after its header only when NLM_F_CAPPED).
 * - nlc_pipe_read() reads a pipelined request's answers from a socket
 *   with recvmmsg(): here one end of an AF_UNIX datagram socketpair, the
 *   test writing the kernel's datagrams into the other. A dump ends with
 *   NLMSG_DONE, which may carry an errno and extack; a dump the kernel
 *   marked NLM_F_DUMP_INTR ends with -EAGAIN.
 * - nlc_batch_full() and the batch queue: bounded by requests and bytes;
 *   a call empties the caller's struct nl_err before anything else.
 * - nlc_msg_result(): the one reader of acks, errors and dump ends that
 *   every receive path uses (review A6).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/genl.h>

#include "kernel/nl_internal.h"
#include "ktap.h"

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

#define FAM_ID 0x20	/* a family id, as the kernel would have given */

/* ---- canned messages -------------------------------------------------------- */

struct wbuf {
	char b[8192] __attribute__((aligned(8)));
	size_t len;
};

static void put(struct wbuf *w, const void *data, size_t len)
{
	memset(w->b + w->len, 0, NLMSG_ALIGN(len));
	memcpy(w->b + w->len, data, len);
	w->len += NLMSG_ALIGN(len);
}

static void put_attr(struct wbuf *w, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	put(w, &a, sizeof(a));
	put(w, data, len);
}

/* a message begins: its header, length set by msg_end() */
static size_t msg_begin(struct wbuf *w, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };
	size_t off = w->len;

	put(w, &h, sizeof(h));
	return off;
}

static void msg_end(struct wbuf *w, size_t off)
{
	((struct nlmsghdr *)(w->b + off))->nlmsg_len = (uint32_t)(w->len - off);
}

/*
 * The request an ack answers, as the kernel echoes it back uncapped: a
 * generic netlink header and one attribute. Read as attributes, as a
 * wrong extack offset would read it, its first bytes make an attribute
 * longer than what follows, so the extack would not be found.
 */
static void put_request_body(struct wbuf *w)
{
	struct genlmsghdr g = { .cmd = IPVS_CMD_NEW_SERVICE, .version = 1 };
	uint32_t v = 7;

	put(w, &g, sizeof(g));
	put_attr(w, IPVS_CMD_ATTR_TIMEOUT_TCP, &v, sizeof(v));
}

#define REQ_BODY_LEN (GENL_HDRLEN + NLA_HDRLEN + 4)

/* an ack (error 0) or error of request @seq; capped: without the request body */
static void put_ack(struct wbuf *w, uint32_t seq, int error, bool capped, const char *ext)
{
	struct nlmsgerr e = { .error = error };
	size_t off;

	off = msg_begin(w, NLMSG_ERROR, (capped ? NLM_F_CAPPED : 0) | (ext ? NLM_F_ACK_TLVS : 0),
			seq);
	e.msg.nlmsg_len = NLMSG_LENGTH(REQ_BODY_LEN);
	e.msg.nlmsg_type = FAM_ID;
	e.msg.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	e.msg.nlmsg_seq = seq;
	put(w, &e, sizeof(e));
	if (!capped)
		put_request_body(w);
	if (ext)
		put_attr(w, NLMSGERR_ATTR_MSG, ext, strlen(ext) + 1);
	msg_end(w, off);
}

/* a dump's data message: one attribute, @val */
static void put_data(struct wbuf *w, uint32_t seq, uint16_t flags, uint32_t val)
{
	struct genlmsghdr g = { .cmd = IPVS_CMD_NEW_SERVICE, .version = 1 };
	size_t off = msg_begin(w, FAM_ID, NLM_F_MULTI | flags, seq);

	put(w, &g, sizeof(g));
	put_attr(w, IPVS_CMD_ATTR_TIMEOUT_TCP, &val, sizeof(val));
	msg_end(w, off);
}

/* a dump's end, with its errno (0: complete) and extack */
static void put_done(struct wbuf *w, uint32_t seq, uint16_t flags, int error, const char *ext)
{
	size_t off = msg_begin(w, NLMSG_DONE, NLM_F_MULTI | flags | (ext ? NLM_F_ACK_TLVS : 0), seq);

	put(w, &error, sizeof(error));
	if (ext)
		put_attr(w, NLMSGERR_ATTR_MSG, ext, strlen(ext) + 1);
	msg_end(w, off);
}

/* ---- nlc_batch_ack() ---------------------------------------------------------- */

#define BSEQ(i) (0x80000001u + (i))

static void test_batch_ack(void)
{
	uint32_t seq[4] = { BSEQ(0), BSEQ(1), BSEQ(2), BSEQ(3) };
	struct nl_err e;
	struct nl nl;
	struct wbuf w;
	int errs[4], i, short_err = -EIO;
	size_t got = 0, off;
	bool first = true;

	memset(&nl, 0, sizeof(nl));
	nl.bseq = seq;
	nlc_err_clear(&e);
	for (i = 0; i < 4; i++)
		errs[i] = NLC_NO_ANSWER;

	/* one read: the first error uncapped, its request echoed before the extack */
	memset(&w, 0, sizeof(w));
	put_ack(&w, BSEQ(0), 0, true, NULL);
	off = msg_begin(&w, NLMSG_NOOP, 0, BSEQ(1));	/* not an ack */
	msg_end(&w, off);
	put_ack(&w, BSEQ(1), -EINVAL, false, "weight out of range");
	put_ack(&w, BSEQ(0), -EEXIST, true, "a duplicate");	/* seen already */
	put_ack(&w, 7, -EPERM, false, "not ours");		/* another request's */
	put_ack(&w, BSEQ(2), -ENOENT, true, "a second error");
	off = msg_begin(&w, NLMSG_ERROR, 0, BSEQ(3));		/* too short for an ack */
	put(&w, &short_err, sizeof(short_err));
	msg_end(&w, off);
	nlc_batch_ack(&nl, (const struct nlmsghdr *)w.b, (int)w.len, errs, 4, &got, &first, &e);

	ktap_ok(errs[0] == 0 && errs[1] == -EINVAL && errs[2] == -ENOENT &&
		errs[3] == NLC_NO_ANSWER && got == 3,
		"batch acks: matched by sequence number; a duplicate, another's, a no-ack and a short one ignored (%d %d %d %d, %zu answers)",
		errs[0], errs[1], errs[2], errs[3], got);
	ktap_ok(!first && !strcmp(e.ext, "weight out of range"),
		"batch acks: the first error's extack, after the echoed request (uncapped): '%s'",
		e.ext);

	/* two reads: another's error first; the first error of ours capped */
	memset(&nl, 0, sizeof(nl));
	nl.bseq = seq;
	nlc_err_clear(&e);
	for (i = 0; i < 4; i++)
		errs[i] = NLC_NO_ANSWER;
	got = 0;
	first = true;
	memset(&w, 0, sizeof(w));
	put_ack(&w, 0x12345, -EPERM, true, "not ours");
	put_ack(&w, BSEQ(0), 0, true, NULL);
	nlc_batch_ack(&nl, (const struct nlmsghdr *)w.b, (int)w.len, errs, 4, &got, &first, &e);
	memset(&w, 0, sizeof(w));
	put_ack(&w, BSEQ(1), -EBUSY, true, "capped: after the request's header only");
	put_ack(&w, BSEQ(2), 0, false, NULL);
	put_ack(&w, BSEQ(3), -EINVAL, false, "a later error");
	nlc_batch_ack(&nl, (const struct nlmsghdr *)w.b, (int)w.len, errs, 4, &got, &first, &e);
	ktap_ok(errs[0] == 0 && errs[1] == -EBUSY && errs[2] == 0 && errs[3] == -EINVAL && got == 4,
		"batch acks: answers over two reads, all four found (%zu)", got);
	ktap_ok(!strcmp(e.ext, "capped: after the request's header only"),
		"batch acks: the first error's extack, capped: '%s'", e.ext);
}

/* ---- nlc_pipe_read() ---------------------------------------------------------- */

struct seen {
	int calls;
	size_t idx;
	uint32_t val;
};

static int seen_fn(size_t idx, struct nlattr **tb, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->idx = idx;
	s->val = tb[IPVS_CMD_ATTR_TIMEOUT_TCP] ? nla_get_u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]) : 0;
	return 0;
}

#define PIPE_SEQ 41

/*
 * The datagrams @dg (@n of them) written into a socketpair, and read by
 * nlc_pipe_read() for request 2 (sequence number PIPE_SEQ) until it
 * ends. Returns nlc_pipe_read()'s last result: 1 when the request ended.
 */
static int pipe_run(struct wbuf *dg, int n, struct nl_err *e, int *errs, struct seen *seen,
		    size_t bufsz)
{
	struct nlc_slot sl = { .idx = 2, .seq = PIPE_SEQ, .busy = true };
	char *buf = malloc(NLC_PIPE_VEC * bufsz);
	int sv[2], i, r = 0, tries;

	nlc_err_clear(e);
	memset(seen, 0, sizeof(*seen));
	for (i = 0; i < 4; i++)
		errs[i] = 0;
	if (!buf || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		free(buf);
		return -ENOMEM;
	}
	/* nothing more to read is an error here, not a wait */
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	for (i = 0; i < n; i++)
		if (send(sv[0], dg[i].b, dg[i].len, 0) != (ssize_t)dg[i].len)
			r = -errno;
	for (tries = 0; !r && tries < 8; tries++)
		r = nlc_pipe_read(sv[1], &sl, buf, bufsz, IPVS_CMD_ATTR_MAX, seen_fn, seen, errs,
				  e);
	if (r == 1 && sl.busy)
		r = -EINVAL;	/* ended, but the slot not freed */
	close(sv[0]);
	close(sv[1]);
	free(buf);
	return r;
}

static void test_pipe_read(void)
{
	struct wbuf dg[3];
	struct seen seen;
	struct nl_err e;
	int errs[4], r;

	/* a dump in two datagrams, with another request's message among them */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ - 1, 0, 99);
	put_data(&dg[0], PIPE_SEQ, 0, 300);
	put_done(&dg[1], PIPE_SEQ, 0, 0, NULL);
	r = pipe_run(dg, 2, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == 0 && seen.calls == 1 && seen.idx == 2 && seen.val == 300,
		"pipe: a dump read to its NLMSG_DONE, another request's message skipped (%d, err %d, %d calls)",
		r, errs[2], seen.calls);

	/* NLMSG_DONE carrying an errno and its extack */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ, 0, 300);
	put_done(&dg[0], PIPE_SEQ, 0, -ESRCH, "no such service");
	r = pipe_run(dg, 1, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -ESRCH && !strcmp(e.ext, "no such service"),
		"pipe: NLMSG_DONE's errno is the request's result, with its extack (%d, '%s')",
		errs[2], e.ext);

	/* the kernel marked the dump inconsistent: read on to its end, then -EAGAIN */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ, NLM_F_DUMP_INTR, 300);
	put_data(&dg[1], PIPE_SEQ, 0, 301);
	put_done(&dg[2], PIPE_SEQ, 0, 0, NULL);
	r = pipe_run(dg, 3, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -EAGAIN && seen.calls == 2,
		"pipe: NLM_F_DUMP_INTR on a data message: the dump is read to its end and ends in -EAGAIN (%d, %d calls)",
		errs[2], seen.calls);

	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ, 0, 300);
	put_done(&dg[1], PIPE_SEQ, NLM_F_DUMP_INTR, 0, NULL);
	r = pipe_run(dg, 2, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -EAGAIN,
		"pipe: NLM_F_DUMP_INTR on NLMSG_DONE: -EAGAIN (%d)", errs[2]);

	/* the flag on another request's message is not this one's */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ - 1, NLM_F_DUMP_INTR, 99);
	put_data(&dg[0], PIPE_SEQ, 0, 300);
	put_done(&dg[1], PIPE_SEQ, 0, 0, NULL);
	r = pipe_run(dg, 2, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == 0, "pipe: NLM_F_DUMP_INTR of another request's message does not count (%d)",
		errs[2]);

	/* an errno and the interruption: the errno says more */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ, NLM_F_DUMP_INTR, 300);
	put_done(&dg[1], PIPE_SEQ, 0, -ENOMEM, NULL);
	r = pipe_run(dg, 2, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -ENOMEM, "pipe: an interrupted dump that failed reports its errno (%d)",
		errs[2]);

	/* a request that is not a dump: its NLMSG_ERROR, uncapped and capped */
	memset(dg, 0, sizeof(dg));
	put_ack(&dg[0], PIPE_SEQ, -ENOENT, false, "no such destination");
	r = pipe_run(dg, 1, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -ENOENT && !strcmp(e.ext, "no such destination"),
		"pipe: an error, uncapped: its errno and extack (%d, '%s')", errs[2], e.ext);
	memset(dg, 0, sizeof(dg));
	put_ack(&dg[0], PIPE_SEQ, -EINVAL, true, "capped text");
	r = pipe_run(dg, 1, &e, errs, &seen, 4096);
	ktap_ok(r == 1 && errs[2] == -EINVAL && !strcmp(e.ext, "capped text"),
		"pipe: an error, capped: its errno and extack (%d, '%s')", errs[2], e.ext);

	/* a datagram larger than the buffer is an error, not a cut message */
	memset(dg, 0, sizeof(dg));
	put_data(&dg[0], PIPE_SEQ, 0, 300);
	put_done(&dg[0], PIPE_SEQ, 0, 0, NULL);
	r = pipe_run(dg, 1, &e, errs, &seen, 32);
	ktap_ok(r == -EMSGSIZE && seen.calls == 0, "pipe: a datagram larger than the buffer: -EMSGSIZE (%d)", r);
}

/* ---- the batch queue ---------------------------------------------------------- */

/* a request of @len bytes (a multiple of 4, at least 24) */
static struct nl_msg *req_of(struct nl *nl, size_t len)
{
	static char fill[NLC_REQ_SIZE];
	struct nl_msg *m = nlc_req(nl, FAM_IPVS, IPVS_CMD_NEW_DEST, false, NULL);

	if (m && nla_put(m, IPVS_CMD_ATTR_DEST, (int)(len - NLMSG_HDRLEN - GENL_HDRLEN - NLA_HDRLEN),
			 fill)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

static void test_batch_full(void)
{
	struct nl_err e;
	struct nl nl;
	size_t n;
	int err = 0;

	memset(&nl, 0, sizeof(nl));
	nl.sk = nl_socket_alloc();	/* never connected: a batch is only queued */
	nl.fam[FAM_IPVS] = FAM_ID;
	if (!nl.sk) {
		ktap_ok(0, "batch queue: a socket");
		ktap_ok(0, "batch queue: small requests");
		ktap_ok(0, "a call empties the caller's nl_err first");
		return;
	}
	/* requests of the largest size: bytes end the batch */
	nlc_batch_begin(&nl);
	for (n = 0; !nlc_batch_full(&nl) && n < 1000 && !err; n++)
		err = nlc_send(&nl, req_of(&nl, NLC_REQ_SIZE), NULL, NULL, NULL);
	ktap_ok(!err && n == NLC_BATCH_BYTES / NLC_REQ_SIZE && nl.blen <= NLC_BATCH_BYTES &&
		nlc_send(&nl, req_of(&nl, NLC_REQ_SIZE), NULL, NULL, NULL) == -E2BIG &&
		nlc_batch_pending(&nl) == n,
		"batch queue: %zu requests of NLC_REQ_SIZE fill it (%zu bytes of %d), one more is refused",
		n, nl.blen, NLC_BATCH_BYTES);
	nlc_batch_end(&nl);

	/* small ones: the count does */
	err = 0;
	nlc_batch_begin(&nl);
	for (n = 0; !nlc_batch_full(&nl) && n < 1000 && !err; n++)
		err = nlc_send(&nl, req_of(&nl, 40), NULL, NULL, NULL);
	ktap_ok(!err && n == NLC_BATCH_MAX &&
		nlc_send(&nl, req_of(&nl, 40), NULL, NULL, NULL) == -E2BIG,
		"batch queue: small requests, %zu of them fill it (NLC_BATCH_MAX)", n);
	nlc_batch_end(&nl);

	/* what an earlier call left is not this one's */
	snprintf(e.ext, sizeof(e.ext), "an earlier call's extack");
	snprintf(e.why, sizeof(e.why), "an earlier call's explanation");
	nlc_batch_begin(&nl);
	err = nlc_send(&nl, req_of(&nl, 40), NULL, NULL, &e);
	ktap_ok(!err && !e.ext[0] && !e.why[0],
		"a call empties the caller's nl_err first (%d, '%s', '%s')", err, e.ext, e.why);
	nlc_batch_end(&nl);
	nl_socket_free(nl.sk);
}

/* ---- nlc_msg_result(): the one reader of acks, errors and dump ends ------------ */

static void test_msg_result(void)
{
	struct nl_err e;
	struct wbuf w;
	struct nlmsghdr *h;
	int v;

	memset(&e, 0, sizeof(e));
	memset(&w, 0, sizeof(w));
	put_ack(&w, 1, 0, false, NULL);
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == 0 && !e.ext[0], "an ack is 0, no explanation (%d)", v);

	memset(&w, 0, sizeof(w));
	put_ack(&w, 1, -EINVAL, false, "bad weight");
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EINVAL && !strcmp(e.ext, "bad weight"),
		"an error, uncapped: its errno and extack (%d, '%s')", v, e.ext);

	memset(&w, 0, sizeof(w));
	memset(e.ext, 0, sizeof(e.ext));
	put_ack(&w, 1, -ENOENT, true, "no such service");
	v = nlc_msg_result((struct nlmsghdr *)w.b, NULL);
	ktap_ok(v == -ENOENT && !e.ext[0], "without an nl_err: the errno only, no text taken");
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -ENOENT && !strcmp(e.ext, "no such service"),
		"an error, capped: its errno and extack (%d, '%s')", v, e.ext);

	memset(&w, 0, sizeof(w));
	memset(e.ext, 0, sizeof(e.ext));
	put_done(&w, 1, 0, -EMSGSIZE, "too big");
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EMSGSIZE && !strcmp(e.ext, "too big"),
		"a dump's end with an errno: it, and its extack (%d, '%s')", v, e.ext);

	memset(&w, 0, sizeof(w));
	put_done(&w, 1, 0, EPERM, NULL);
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EPERM, "a positive errno is made negative (%d)", v);

	/* an uncapped error whose echoed length is bogus: no text, no overrun */
	memset(&w, 0, sizeof(w));
	memset(e.ext, 0, sizeof(e.ext));
	put_ack(&w, 1, -EINVAL, false, "x");
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)w.b))->msg.nlmsg_len = 0xfffffff0u;
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EINVAL && !e.ext[0], "an echoed length past the message: errno, no text");
	memset(&w, 0, sizeof(w));
	put_ack(&w, 1, -EINVAL, false, "x");
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)w.b))->msg.nlmsg_len = 4;
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EINVAL && !e.ext[0],
		"an echoed length shorter than a header: errno, no text (got '%s')", e.ext);

	/* a text attribute without its NUL: read no further than it */
	memset(&w, 0, sizeof(w));
	{
		struct nlmsgerr e = { .error = -EINVAL };
		size_t off = msg_begin(&w, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1);
		struct nlattr a = { .nla_len = NLA_HDRLEN + 4, .nla_type = NLMSGERR_ATTR_MSG };

		e.msg.nlmsg_len = NLMSG_HDRLEN;
		put(&w, &e, sizeof(e));
		put(&w, &a, sizeof(a));
		put(&w, "abcd", 4);
		msg_end(&w, off);
		memset(w.b + w.len, 'Z', 64);	/* what follows the message */
	}
	v = nlc_msg_result((struct nlmsghdr *)w.b, &e);
	ktap_ok(v == -EINVAL && !strcmp(e.ext, "abcd"),
		"a text without its NUL: as long as its attribute ('%s')", e.ext);

	/* an NLMSG_ERROR too short to hold its error */
	memset(&w, 0, sizeof(w));
	h = (struct nlmsghdr *)w.b;
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_len = NLMSG_LENGTH(2);
	v = nlc_msg_result(h, &e);
	ktap_ok(v == -EPROTO, "an error message too short for its error: -EPROTO (%d)", v);
}

int main(void)
{
	ktap_plan(4 + 9 + 3 + 10);
	test_batch_ack();
	test_pipe_read();
	test_batch_full();
	test_msg_result();
	return ktap_finish();
}
