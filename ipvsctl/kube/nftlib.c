// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: libnftables through dlopen() (nftlib.h). The five calls
 * used are declared here with the types of libnftables.h (1.0.6, the
 * soname libnftables.so.1 since 0.9.x), so the header is not needed to
 * build. One context, used by one thread (libnftables' contexts cache
 * the ruleset and are not thread-safe).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kube/nftlib.h"

struct nft_ctx;

struct nftlib {
	void *dl;
	struct nft_ctx *ctx;
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	int (*buffer_error)(struct nft_ctx *ctx);
	const char *(*get_error_buffer)(struct nft_ctx *ctx);
	int (*run)(struct nft_ctx *ctx, const char *buf);
	void (*set_dry_run)(struct nft_ctx *ctx, bool dry);
};

/* the NFTA_GEN_ID attribute of a NFT_MSG_NEWGEN answer (linux/netfilter/
 * nf_tables.h: NEWGEN 15, NFTA_GEN_ID 1, a u32 in network order)
 */
static bool gen_id(const struct nlmsghdr *nh, size_t len, uint32_t *gen)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(4);	/* struct nfgenmsg */

	if (nh->nlmsg_type != ((10 << 8) | 15) || nh->nlmsg_len > len)
		return false;
	while (off + sizeof(struct nlattr) <= nh->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)((const char *)nh + off);

		if (a->nla_len < sizeof(*a) || off + a->nla_len > nh->nlmsg_len)
			return false;
		if ((a->nla_type & NLA_TYPE_MASK) == 1 && a->nla_len >= sizeof(*a) + 4) {
			memcpy(gen, (const char *)a + NLA_HDRLEN, 4);
			*gen = ntohl(*gen);
			return true;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return false;
}

int nftlib_gen(uint32_t *gen, char *why, size_t whylen)
{
	struct {
		struct nlmsghdr nh;
		uint8_t body[4];	/* struct nfgenmsg */
	} req = { 0 };
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	bool have = false, done;
	ssize_t r;
	int err = 0;

	if (fd < 0) {
		snprintf(why, whylen, "no nfnetlink socket: %s", strerror(errno));
		return -errno;
	}
	/* NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN (16): the ruleset's
	 * generation, a read every nftables client may make
	 */
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = (10 << 8) | 16;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
	} else {
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* the answer, then its ack (NLMSG_ERROR, 0 or -errno), in one
		 * datagram or two
		 */
		for (done = false; !done;) {
			int len;

			r = recv(fd, buf, sizeof(buf), 0);
			if (r < 0) {
				err = -errno;
				break;
			}
			len = (int)r;
			for (nh = (struct nlmsghdr *)buf; !done && NLMSG_OK(nh, len);
			     nh = NLMSG_NEXT(nh, len)) {
				if (nh->nlmsg_seq != req.nh.nlmsg_seq)
					continue;
				if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_DONE) {
					if (nh->nlmsg_type == NLMSG_ERROR &&
					    nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
						err = *(int *)NLMSG_DATA(nh);
					done = true;
				} else if (gen && !have) {
					have = gen_id(nh, nh->nlmsg_len, gen);
				}
			}
			if (!NLMSG_OK((struct nlmsghdr *)buf, (int)r))
				done = true;	/* nothing that parses: give up */
		}
	}
	close(fd);
	if (!err && gen && !have)
		err = -EPROTO;
	if (err == -EPERM)
		snprintf(why, whylen, "nftables: permission denied (CAP_NET_ADMIN is needed)");
	else if (err)
		snprintf(why, whylen, "nftables: %s", strerror(-err));
	return err;
}

int nftlib_open(struct nftlib **lib, char *why, size_t whylen)
{
	static const char *const names[] = {
		"nft_ctx_new", "nft_ctx_free", "nft_ctx_buffer_error", "nft_ctx_get_error_buffer",
		"nft_run_cmd_from_buffer", "nft_ctx_set_dry_run",
	};
	struct nftlib *l;
	void *f[6];
	size_t i;
	int err;

	*lib = NULL;
	/* nfnetlink needs CAP_NET_ADMIN in the namespace's user namespace
	 * for every message, a read included (nfnetlink_rcv): ask the kernel
	 * with a harmless request before libnftables, which exit()s on its
	 * own socket's failure, ever tries
	 */
	err = nftlib_gen(NULL, why, whylen);
	if (err)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	l->dl = dlopen(NFTLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!l->dl) {
		snprintf(why, whylen, "%s: not found (install libnftables1)", NFTLIB_SONAME);
		free(l);
		return -ENOENT;
	}
	for (i = 0; i < 6; i++) {
		f[i] = dlsym(l->dl, names[i]);
		if (!f[i]) {
			snprintf(why, whylen, "%s: no %s", NFTLIB_SONAME, names[i]);
			dlclose(l->dl);
			free(l);
			return -ENOENT;
		}
	}
	/* object to function pointers through memcpy: ISO C has no cast */
	memcpy(&l->ctx_new, &f[0], sizeof(f[0]));
	memcpy(&l->ctx_free, &f[1], sizeof(f[1]));
	memcpy(&l->buffer_error, &f[2], sizeof(f[2]));
	memcpy(&l->get_error_buffer, &f[3], sizeof(f[3]));
	memcpy(&l->run, &f[4], sizeof(f[4]));
	memcpy(&l->set_dry_run, &f[5], sizeof(f[5]));
	l->ctx = l->ctx_new(0);
	if (!l->ctx || l->buffer_error(l->ctx)) {
		snprintf(why, whylen, "nftables: no context (out of memory)");
		nftlib_close(l);
		return -ENOMEM;
	}
	*lib = l;
	return 0;
}

int nftlib_run(struct nftlib *l, const char *text, bool check, char *why, size_t whylen)
{
	const char *msg;
	size_t n;
	int rc;

	l->set_dry_run(l->ctx, check);
	rc = l->run(l->ctx, text);
	/* the error buffer rewinds when read: read it after every run */
	msg = l->get_error_buffer(l->ctx);
	if (!rc)
		return 0;
	snprintf(why, whylen, "nftables refused the table: %s", msg && *msg ? msg : "(no message)");
	n = strlen(why);
	while (n && (why[n - 1] == '\n' || why[n - 1] == ' '))
		why[--n] = 0;
	return -EINVAL;
}

void nftlib_close(struct nftlib *l)
{
	if (!l)
		return;
	if (l->ctx)
		l->ctx_free(l->ctx);
	if (l->dl)
		dlclose(l->dl);
	free(l);
}
