// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the netlink socket. Nothing else in ipvsctl talks to the kernel.
 *
 * One socket for the whole run, and for reading many services at once a
 * few more (nlc_send_many), opened on first use. NETLINK_EXT_ACK is on, so
 * the kernel's own explanation of a refusal reaches the user;
 * NETLINK_CAP_ACK keeps acks small. Replies, multipart dumps, acks and
 * errors are read by one loop (nlc_send) that always drains a request's
 * replies completely, so a failed callback never leaves stale messages
 * for the next request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/ip_vs_maglev.h>

#include "nl_internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const struct {
	const char *name;
	int version;
	int maxattr;
} nlc_fams[FAM__COUNT] = {
	[FAM_IPVS] = { IPVS_GENL_NAME, IPVS_GENL_VERSION, IPVS_CMD_ATTR_MAX },
	[FAM_MAGLEV] = { IPVS_MAGLEV_GENL_NAME, IPVS_MAGLEV_GENL_VERSION,
			 IPVS_MAGLEV_A_MAX },
};

static int nlc_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	default:		return -EIO;
	}
}

static int nlc_sock_new(struct nl *nl);

int nlc_open(struct nl *nl, const char *netns)
{
	int fd, err;

	memset(nl, 0, sizeof(*nl));
	if (netns) {
		char path[512];

		if (strchr(netns, '/'))
			snprintf(path, sizeof(path), "%s", netns);
		else
			snprintf(path, sizeof(path), "/run/netns/%s", netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			snprintf(nl->why, sizeof(nl->why), "network namespace %s: %s",
				 netns, strerror(errno));
			return err;
		}
		if (setns(fd, CLONE_NEWNET)) {
			err = -errno;
			snprintf(nl->why, sizeof(nl->why), "cannot enter network namespace %s: %s",
				 netns, strerror(errno));
			close(fd);
			return err;
		}
		close(fd);
	}
	return nlc_sock_new(nl);
}

/* the main socket, in the current network namespace */
static int nlc_sock_new(struct nl *nl)
{
	int one = 1, fd, err;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	err = genl_connect(nl->sk);
	if (err) {
		snprintf(nl->why, sizeof(nl->why), "generic netlink: %s", nl_geterror(err));
		nl_socket_free(nl->sk);
		nl->sk = NULL;
		return nlc_errno(err);
	}
	fd = nl_socket_get_fd(nl->sk);
	/* best effort: older kernels lack them, and that is fine */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* the send buffer holds a whole batch (nl.h: NLC_BATCH_BYTES); the
	 * kernel doubles the value, and a write may use all but 32 bytes
	 * of that
	 */
	nl_socket_set_buffer_size(nl->sk, 4 << 20, NLC_BATCH_BYTES);
	/*
	 * One read per message: no MSG_PEEK to size the buffer first (half
	 * the receive calls of a large apply), with a buffer larger than any
	 * dump message the kernel builds (at most 32 KiB, net/netlink's
	 * max_recvmsg_len cap).
	 */
	nl_socket_disable_msg_peek(nl->sk);
	nl_socket_set_msg_buf_size(nl->sk, 64 << 10);
	return 0;
}

void nlc_close(struct nl *nl)
{
	int i;

	if (nl->helper) {
		nlc_close(nl->helper);
		free(nl->helper);
		nl->helper = NULL;
	}
	for (i = 0; i < nl->npfd; i++)
		close(nl->pfd[i]);
	nl->npfd = 0;
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/*
 * Kernels before 5.17 have no module alias for the IPVS family, so
 * looking it up does not load ip_vs there: run modprobe, as ipvsadm does
 * when IPVS is missing. Once per process; by its absolute path (cron's
 * PATH has no sbin), with no descriptor but 0 to 2 (/dev/null) and no
 * blocked signal; modprobe's own errors are left out (the lookup after
 * it says what matters). A unit with ProtectKernelModules= cannot load
 * modules: there ip_vs must be loaded at boot (modules-load.d).
 */
static void nlc_modprobe_ipvs(void)
{
	static const char *const paths[] = { "/usr/sbin/modprobe", "/sbin/modprobe" };
	static bool tried;
	char *argv[] = { "modprobe", "-q", "--", "ip_vs", NULL };
	char *envp[] = { "PATH=/usr/sbin:/sbin:/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	size_t i;
	pid_t pid;
	int st;

	if (tried)
		return;
	tried = true;
	if (posix_spawn_file_actions_init(&fa))
		return;
	if (posix_spawnattr_init(&at)) {
		posix_spawn_file_actions_destroy(&fa);
		return;
	}
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (access(paths[i], X_OK))
			continue;
		if (!posix_spawn(&pid, paths[i], &fa, &at, argv, envp))
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		break;
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
}

int nlc_family(struct nl *nl, enum nlc_fam fam)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int id, tries;

	if (nl->fam[fam] > 0)
		return nl->fam[fam];
	if (fam == FAM_IPVS) {
		id = genl_ctrl_resolve(nl->sk, nlc_fams[fam].name);
		if (id > 0)
			return nl->fam[fam] = id;
		nlc_modprobe_ipvs();
	}
	/*
	 * Looking a family up loads its module. ip_vs_maglev registers its
	 * family from a work item just after loading (see kmod/netlink.c),
	 * so give a fresh load a moment: 50 tries of 20 ms.
	 */
	for (tries = 0; tries < 50; tries++) {
		id = genl_ctrl_resolve(nl->sk, nlc_fams[fam].name);
		if (id > 0) {
			nl->fam[fam] = id;
			return id;
		}
		if (id != -NLE_OBJ_NOTFOUND || fam != FAM_MAGLEV)
			break;
		nanosleep(&pause, NULL);
	}
	if (fam == FAM_MAGLEV)
		snprintf(nl->why, sizeof(nl->why),
			 "the kernel has no %s family: is the ip_vs_maglev module installed? (modprobe ip_vs_maglev)",
			 nlc_fams[fam].name);
	else
		snprintf(nl->why, sizeof(nl->why),
			 "the kernel has no %s family: is IPVS available? (modprobe ip_vs)",
			 nlc_fams[fam].name);
	return -EPROTONOSUPPORT;
}

void nlc_forget_families(struct nl *nl)
{
	int fam;

	for (fam = 0; fam < FAM__COUNT; fam++)
		nl->fam[fam] = 0;
}

/*
 * A request's buffer, NLC_REQ_SIZE (nl.h). libnl's default is a page,
 * zeroed: for the 60,000 requests of a large apply that was 240 MB of
 * memset. The largest request ipvsctl builds (a service with every
 * attribute, or a maglev backend's settings) is under 300 bytes; one that
 * did not fit would fail with -EMSGSIZE, not be cut.
 */

struct nl_msg *nlc_req(struct nl *nl, enum nlc_fam fam, uint8_t cmd, bool dump)
{
	struct nl_msg *msg;
	int id = nlc_family(nl, fam);

	if (id < 0) {
		errno = -id;
		return NULL;
	}
	msg = nlmsg_alloc_size(NLC_REQ_SIZE);
	if (!msg) {
		errno = ENOMEM;
		return NULL;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, id, 0,
			 dump ? NLM_F_DUMP : 0, cmd, nlc_fams[fam].version)) {
		nlmsg_free(msg);
		errno = ENOMEM;
		return NULL;
	}
	return msg;
}

struct nlc_req_ctx {
	struct nl *nl;
	nlc_reply_fn fn;
	void *arg;
	int maxattr;
	int err;
	bool done;
	bool intr;	/* a message of the dump had NLM_F_DUMP_INTR */
};

/* Extended ACK attributes follow the error (and, uncapped, the request). */
static void nlc_parse_ext(struct nl *nl, const struct nlmsghdr *nlh,
			 size_t payload_off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t len = nlh->nlmsg_len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= payload_off)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlh + payload_off),
		      (int)(len - payload_off), NULL))
		return;
	/* the text as long as its attribute, NUL or not */
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(nl->ext, sizeof(nl->ext), "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

/*
 * The result an NLMSG_ERROR (an ack, or an error with its extended ack) or
 * an NLMSG_DONE (a dump's end, carrying the dump's errno) reports: 0, or a
 * negative errno. With @ext, an error's extended-ack text is kept in
 * nl->ext. The one reader of these messages: the libnl callbacks, the
 * batch acks, the pipelined dumps and the pipelined GETs all call it (the
 * review's A6). A message too short to hold its error is -EPROTO.
 */
int nlc_msg_result(struct nl *nl, const struct nlmsghdr *nlh, bool ext)
{
	const struct nlmsgerr *e;
	size_t off;
	int v;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* an empty DONE (old kernels) is a clean end */
		if (nlmsg_datalen(nlh) < (int)sizeof(int))
			return 0;
		v = *(const int *)nlmsg_data(nlh);
		v = v > 0 ? -v : v;
		if (v && ext)
			nlc_parse_ext(nl, nlh, NLMSG_HDRLEN + sizeof(int));
		return v;
	}
	if (nlh->nlmsg_type != NLMSG_ERROR || nlmsg_datalen(nlh) < (int)sizeof(*e))
		return -EPROTO;
	e = nlmsg_data(nlh);
	v = e->error > 0 ? -e->error : e->error;
	if (v && ext) {
		/* the echoed request sits between the error and its
		 * attributes unless the kernel capped it to its header; an
		 * echoed length that is not one (shorter than a header, or
		 * past the message) leaves the text out
		 */
		off = NLMSG_HDRLEN + sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
			    e->msg.nlmsg_len - NLMSG_HDRLEN > nlh->nlmsg_len - off)
				return v;
			off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
		}
		nlc_parse_ext(nl, nlh, off);
	}
	return v;
}

static int nlc_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlc_req_ctx *ctx = arg;
	struct nlattr *tb[64];
	int err;

	if (nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->intr = true;
	if (ctx->err || !ctx->fn)
		return NL_SKIP;		/* keep draining */
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, ctx->maxattr, NULL);
	if (err) {
		ctx->err = -EPROTO;
		snprintf(ctx->nl->why, sizeof(ctx->nl->why),
			 "malformed reply from the kernel: %s", nl_geterror(err));
		return NL_SKIP;
	}
	ctx->err = ctx->fn(tb, ctx->arg);
	return NL_OK;
}

static int nlc_finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlc_req_ctx *ctx = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ctx->intr = true;
	/* a dump that failed carries its errno (and extack) in NLMSG_DONE */
	if (!ctx->err)
		ctx->err = nlc_msg_result(ctx->nl, nlh, true);
	ctx->done = true;
	return NL_STOP;
}

static int nlc_ack_cb(struct nl_msg *msg, void *arg)
{
	struct nlc_req_ctx *ctx = arg;

	(void)msg;
	ctx->done = true;
	return NL_STOP;
}

static int nlc_err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlc_req_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	int v;

	(void)who;
	v = nlc_msg_result(ctx->nl, nlh, !ctx->err);
	if (!ctx->err)
		ctx->err = v;
	ctx->done = true;
	return NL_STOP;
}

/* ---- batches ------------------------------------------------------------ */

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

static int nlc_batch_add(struct nl *nl, struct nl_msg *msg)
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
		   size_t *got, bool *first)
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
		errs[i] = nlc_msg_result(nl, nlh, *first);
		(*got)++;
		if (errs[i])
			*first = false;
	}
}

/* recvmmsg()'s vector: @n buffers of @bufsz, one after another in @buf */
static void nlc_mmsg_setup(struct mmsghdr *mm, struct iovec *iov, int n, char *buf,
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

int nlc_batch_flush(struct nl *nl, int *errs)
{
	struct mmsghdr mm[NLC_ACK_VEC];
	struct iovec iov[NLC_ACK_VEC];
	size_t n = nl->bn, got = 0, i;
	int fd = nl_socket_get_fd(nl->sk), len, m, j;
	bool first = true;
	char *buf;

	nl->ext[0] = 0;
	nl->why[0] = 0;
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
		snprintf(nl->why, sizeof(nl->why), "netlink send: %s", nl_geterror(len));
		return nlc_errno(len);
	}
	/* one ack (or error) per request, in order: many per system call */
	while (got < n) {
		nlc_mmsg_setup(mm, iov, NLC_ACK_VEC, buf, NLC_ACK_BUF);
		m = recvmmsg(fd, mm, NLC_ACK_VEC, MSG_WAITFORONE, NULL);
		if (m < 0 && errno == EINTR)
			continue;
		if (m <= 0) {
			snprintf(nl->why, sizeof(nl->why), "netlink receive: %s",
				 m < 0 ? strerror(errno) : "end of data");
			break;
		}
		for (j = 0; j < m; j++)
			nlc_batch_ack(nl, (const struct nlmsghdr *)iov[j].iov_base,
				      (int)mm[j].msg_len, errs, n, &got, &first);
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
		char why[sizeof(nl->why)];

		snprintf(why, sizeof(why), "the answers to %zu of %zu requests were lost (%.160s)",
			 n - got, n, nl->why[0] ? nl->why : "netlink receive");
		if (nlc_sock_new(nl)) {
			nl->sk = old;	/* kept: a later request may still work */
		} else {
			nl_socket_free(old);
		}
		snprintf(nl->why, sizeof(nl->why), "%s", why);
	}
	return (int)n;
}

int nlc_send(struct nl *nl, struct nl_msg *msg, nlc_reply_fn fn, void *arg)
{
	struct nlc_req_ctx ctx = { .nl = nl, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err, fam;

	if (nl->batching && !fn && !(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP)) {
		err = nlc_batch_add(nl, msg);
		nlmsg_free(msg);
		return err;
	}

	nl->ext[0] = 0;
	nl->why[0] = 0;
	ctx.maxattr = 0;
	for (fam = 0; fam < FAM__COUNT; fam++)
		if (nl->fam[fam] == nlmsg_hdr(msg)->nlmsg_type)
			ctx.maxattr = nlc_fams[fam].maxattr;

	cb = nl_cb_clone(nl_socket_get_cb(nl->sk));
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nlc_valid_cb, &ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nlc_finish_cb, &ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nlc_ack_cb, &ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, nlc_err_cb, &ctx);

	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		snprintf(nl->why, sizeof(nl->why), "netlink send: %s", nl_geterror(err));
		return nlc_errno(err);
	}
	while (!ctx.done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !ctx.done) {
			if (!ctx.err) {
				ctx.err = nlc_errno(err);
				snprintf(nl->why, sizeof(nl->why), "netlink receive: %s",
					 nl_geterror(err));
			}
			break;
		}
	}
	nl_cb_put(cb);
	/*
	 * A dump the kernel marked inconsistent (a change between two of its
	 * parts: the maglev module's dumps check a generation) may have
	 * skipped or repeated entries: -EAGAIN, for the caller to dump again.
	 * libnl reports it only after NLMSG_DONE has stopped the loop, which
	 * is why it is looked for in the messages themselves.
	 */
	if (!ctx.err && ctx.intr) {
		ctx.err = -EAGAIN;
		snprintf(nl->why, sizeof(nl->why),
			 "a dump was interrupted by a concurrent change");
	}
	return ctx.err;
}

/* ---- pipelined requests ----------------------------------------------------- */

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
int nlc_pipe_read(struct nl *nl, int fd, struct nlc_slot *sl, char *buf, size_t bufsz,
		  int maxattr, nlc_many_fn fn, void *arg, int *errs)
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
				int e = nlc_msg_result(nl, nlh, !errs[sl->idx]);

				if (!errs[sl->idx])
					errs[sl->idx] = e;
				if (!errs[sl->idx] && sl->intr)
					errs[sl->idx] = -EAGAIN;
				sl->busy = false;
				/* nothing of this socket follows the end
				 * of its one request in flight
				 */
				return 1;
			}
			if (genlmsg_parse(nlh, 0, tb, maxattr, NULL)) {
				snprintf(nl->why, sizeof(nl->why), "malformed reply from the kernel");
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
		    int *errs, char *buf, size_t bufsz, int maxattr)
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
						errs[first + i] = nlc_msg_result(nl, nlh, false);
						continue;
					}
					if (genlmsg_parse(nlh, 0, tb, maxattr, NULL)) {
						snprintf(nl->why, sizeof(nl->why),
							 "malformed reply from the kernel");
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
		  int *errs)
{
	struct nlc_slot sl[NLC_PIPE] = { 0 };
	size_t next = 0, done = 0, i;
	long pg = sysconf(_SC_PAGESIZE);
	size_t bufsz = pg >= 4096 ? (size_t)pg : 4096;
	int maxattr = 0, fam, err, k;
	char *buf = NULL;

	nl->ext[0] = 0;
	nl->why[0] = 0;
	for (i = 0; i < n; i++)
		errs[i] = 0;
	if (!n)
		return 0;
	for (fam = 0; fam < FAM__COUNT; fam++)
		if (nl->fam[fam] == nlmsg_hdr(reqs[0])->nlmsg_type)
			maxattr = nlc_fams[fam].maxattr;
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
		err = nlc_gets(nl, reqs, n, fn, arg, errs, buf, bufsz, maxattr);
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
				err = nlc_pipe_read(nl, nl->pfd[k], &sl[k], buf, bufsz, maxattr,
						    fn, arg, errs);
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
	if (err && !nl->why[0])
		snprintf(nl->why, sizeof(nl->why), "netlink: %s", strerror(-err));
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

	w->err = nlc_send_many(w->nl, w->reqs, w->n, nlc_par_fn, w, w->errs);
	return NULL;
}

int nlc_send_many_par(struct nl *nl, struct nl_msg **reqs, size_t n, nlc_many_fn fn, void *arg,
		      int *errs)
{
	sigset_t all, old;
	struct nlc_par w;
	pthread_t t;
	size_t h = n / 2;
	int err;

	if (n < NLC_PAR_MIN)
		return nlc_send_many(nl, reqs, n, fn, arg, errs);
	if (!nl->helper) {
		nl->helper = calloc(1, sizeof(*nl->helper));
		if (!nl->helper)
			return nlc_send_many(nl, reqs, n, fn, arg, errs);
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
		return nlc_send_many(nl, reqs, n, fn, arg, errs);
	err = nlc_send_many(nl, reqs, h, fn, arg, errs);
	pthread_join(t, NULL);
	if (!err && w.err) {
		err = w.err;
		memcpy(nl->ext, w.nl->ext, sizeof(nl->ext));
		memcpy(nl->why, w.nl->why, sizeof(nl->why));
	}
	return err;
}

int nlc_nested(struct nlattr **tb, int max, const struct nlattr *nest)
{
	if (!nest) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return 0;
	}
	return nla_parse_nested(tb, max, (struct nlattr *)nest, NULL) ? -EPROTO : 0;
}
