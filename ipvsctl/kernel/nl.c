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
#include <linux/ip_vs.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/ip_vs_maglev.h>

#include "kernel/nl_internal.h"

static const struct {
	const char *name;
	int version;
	int maxattr;
} nlc_fams[FAM__COUNT] = {
	[FAM_IPVS] = { IPVS_GENL_NAME, IPVS_GENL_VERSION, IPVS_CMD_ATTR_MAX },
	[FAM_MAGLEV] = { IPVS_MAGLEV_GENL_NAME, IPVS_MAGLEV_GENL_VERSION,
			 IPVS_MAGLEV_A_MAX },
};

int nlc_errno(int nlerr)
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

void nlc_why(struct nl_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
}

int nlc_open(struct nl *nl, const char *netns, struct nl_err *e)
{
	int fd, err;

	memset(nl, 0, sizeof(*nl));
	nlc_err_clear(e);
	if (netns) {
		char path[512];

		if (strchr(netns, '/'))
			snprintf(path, sizeof(path), "%s", netns);
		else
			snprintf(path, sizeof(path), "/run/netns/%s", netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			nlc_why(e, "network namespace %s: %s", netns, strerror(errno));
			return err;
		}
		if (setns(fd, CLONE_NEWNET)) {
			err = -errno;
			nlc_why(e, "cannot enter network namespace %s: %s", netns, strerror(errno));
			close(fd);
			return err;
		}
		close(fd);
	}
	return nlc_sock_new(nl, e);
}

/* the main socket, in the current network namespace */
int nlc_sock_new(struct nl *nl, struct nl_err *e)
{
	int one = 1, fd, err;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	err = genl_connect(nl->sk);
	if (err) {
		nlc_why(e, "generic netlink: %s", nl_geterror(err));
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

int nlc_family(struct nl *nl, enum nlc_fam fam, struct nl_err *e)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	int id, tries;

	nlc_err_clear(e);
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
		nlc_why(e,
			"the kernel has no %s family: is the ip_vs_maglev module installed? (modprobe ip_vs_maglev)",
			nlc_fams[fam].name);
	else
		nlc_why(e, "the kernel has no %s family: is IPVS available? (modprobe ip_vs)",
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

struct nl_msg *nlc_req(struct nl *nl, enum nlc_fam fam, uint8_t cmd, bool dump,
		       struct nl_err *e)
{
	struct nl_msg *msg;
	int id = nlc_family(nl, fam, e);

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
	struct nl_err *e;
	nlc_reply_fn fn;
	void *arg;
	int maxattr;
	int err;
	bool done;
	bool intr;	/* a message of the dump had NLM_F_DUMP_INTR */
};

/* Extended ACK attributes follow the error (and, uncapped, the request). */
static void nlc_parse_ext(struct nl_err *e, const struct nlmsghdr *nlh, size_t payload_off)
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
		snprintf(e->ext, sizeof(e->ext), "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

/*
 * The result an NLMSG_ERROR or NLMSG_DONE reports (nl_internal.h), an
 * error's extended-ack text in @e->ext if @e. The one reader of these
 * messages: the libnl callbacks, the batch acks, the pipelined dumps and
 * the pipelined GETs all call it (the review's A6).
 */
int nlc_msg_result(const struct nlmsghdr *nlh, struct nl_err *e)
{
	const struct nlmsgerr *me;
	size_t off;
	int v;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* an empty DONE (old kernels) is a clean end */
		if (nlmsg_datalen(nlh) < (int)sizeof(int))
			return 0;
		v = *(const int *)nlmsg_data(nlh);
		v = v > 0 ? -v : v;
		if (v && e)
			nlc_parse_ext(e, nlh, NLMSG_HDRLEN + sizeof(int));
		return v;
	}
	if (nlh->nlmsg_type != NLMSG_ERROR || nlmsg_datalen(nlh) < (int)sizeof(*me))
		return -EPROTO;
	me = nlmsg_data(nlh);
	v = me->error > 0 ? -me->error : me->error;
	if (v && e) {
		/* the echoed request sits between the error and its
		 * attributes unless the kernel capped it to its header; an
		 * echoed length that is not one (shorter than a header, or
		 * past the message) leaves the text out
		 */
		off = NLMSG_HDRLEN + sizeof(*me);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (me->msg.nlmsg_len < NLMSG_HDRLEN ||
			    me->msg.nlmsg_len - NLMSG_HDRLEN > nlh->nlmsg_len - off)
				return v;
			off += NLMSG_ALIGN(me->msg.nlmsg_len) - NLMSG_HDRLEN;
		}
		nlc_parse_ext(e, nlh, off);
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
		nlc_why(ctx->e, "malformed reply from the kernel: %s", nl_geterror(err));
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
		ctx->err = nlc_msg_result(nlh, ctx->e);
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

static int nlc_err_cb(struct sockaddr_nl *who, struct nlmsgerr *me, void *arg)
{
	struct nlc_req_ctx *ctx = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)me - NLMSG_HDRLEN);
	int v;

	(void)who;
	v = nlc_msg_result(nlh, ctx->err ? NULL : ctx->e);
	if (!ctx->err)
		ctx->err = v;
	ctx->done = true;
	return NL_STOP;
}

int nlc_fam_maxattr(enum nlc_fam fam)
{
	return nlc_fams[fam].maxattr;
}

int nlc_send(struct nl *nl, struct nl_msg *msg, nlc_reply_fn fn, void *arg, struct nl_err *e)
{
	struct nlc_req_ctx ctx = { .e = e, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err, fam;

	nlc_err_clear(e);
	if (nl->batching && !fn && !(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP)) {
		err = nlc_batch_add(nl, msg);
		nlmsg_free(msg);
		return err;
	}

	ctx.maxattr = 0;
	for (fam = 0; fam < FAM__COUNT; fam++)
		if (nl->fam[fam] == nlmsg_hdr(msg)->nlmsg_type)
			ctx.maxattr = nlc_fams[fam].maxattr;

	/* nl_socket_get_cb() returns a reference of its own (libnl's
	 * nl_cb_get()): put once cloned, or the socket's callbacks outlive
	 * the socket
	 */
	cb = nl_socket_get_cb(nl->sk);
	if (cb) {
		struct nl_cb *orig = cb;

		cb = nl_cb_clone(orig);
		nl_cb_put(orig);
	}
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
		nlc_why(e, "netlink send: %s", nl_geterror(err));
		return nlc_errno(err);
	}
	while (!ctx.done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !ctx.done) {
			if (!ctx.err) {
				ctx.err = nlc_errno(err);
				nlc_why(e, "netlink receive: %s", nl_geterror(err));
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
		nlc_why(e, "a dump was interrupted by a concurrent change");
	}
	return ctx.err;
}

int nlc_send_change(struct nl *nl, struct nl_msg *msg, struct nl_err *e)
{
	nl->requests++;
	return nlc_send(nl, msg, NULL, NULL, e);
}

int nlc_nested(struct nlattr **tb, int max, const struct nlattr *nest)
{
	if (!nest) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return 0;
	}
	return nla_parse_nested(tb, max, (struct nlattr *)nest, NULL) ? -EPROTO : 0;
}

