// SPDX-License-Identifier: GPL-2.0
/*
 * mgtraffic: traffic for the VM tests, fast under emulation.
 *
 *   mgtraffic serve -i ID -p PORT [-u|-S] [-b ADDR] [-r READYFILE] [-P]
 *	A backend. TCP (or SCTP with -S, one-to-one style): answers every
 *	connection with "ID\n", then answers every line it receives with
 *	"ID\n" until the peer closes. UDP: answers every datagram with
 *	"ID\n". Bound to every address of both families, or to ADDR alone
 *	with -b. With -P every answer is "ID@PEER\n" instead, PEER being the
 *	client's address as the server sees it (IPv4 dotted), so that a
 *	client's tally shows whether it was masqueraded. Runs until killed.
 *
 *   mgtraffic conn -c ADDR -p PORT [-n N | -D MS [-B MS]] [-u|-S] [-s SPORT]
 *		    [-b SRC] [-t MS] [-E N] [-v]
 *	A client. Opens N connections (TCP) or sends N datagrams from N
 *	sockets (UDP), one after another, each from source port SPORT+i when
 *	-s is given (and from address SRC with -b), and tallies which backend
 *	answered. With -D it runs for
 *	that long instead, counting per bucket of -B ms. -t is the per-try
 *	timeout (default 2000 ms). Output, one record per line:
 *	    flow SPORT ID          (-v only, every flow)
 *	    bucket K ID COUNT      (-B only)
 *	    backend ID COUNT
 *	    total N
 *	    errors N
 *
 *   mgtraffic hold -c ADDR -p PORT -D MS [-I MS] [-t MS] [-s SPORT]
 *	One long-lived TCP connection (from SPORT if given): a line every
 *	-I ms (default 100) for -D ms. Prints "backend ID", "replies N", "errors N". Exits 0 only if
 *	every line got an answer from the same backend.
 *
 *   mgtraffic flood -c ADDR -p PORT -D MS -b NET/PREFIX [-r SEED] [-N COUNT]
 *	Random UDP/IPv4 5-tuples for -D ms, as fast as one raw socket sends
 *	them: each datagram from a random address of NET/PREFIX and a random
 *	port. With -N, it stops once COUNT have been sent (or at -D). Needs CAP_NET_RAW. Prints "sent N", "seconds S", "rate R"
 *	(datagrams a second) and "send_errors N"; a full queue (ENOBUFS) is
 *	counted, not fatal.
 *
 * conn -D, hold and flood also stop early, printing their summary, on
 * SIGINT or SIGTERM.
 *
 * Every loop is bounded by a count or a deadline. Exit status: 0 ok,
 * 1 errors, 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDS		256
#define MAX_BUCKETS	1024
#define ID_LEN		64
#define MAX_CONNS	4096

struct opts {
	const char *id, *addr, *ready, *bind_addr;
	int port, n, sport, timeout_ms, duration_ms, bucket_ms, interval_ms;
	int max_errors;
	long count;
	bool udp, sctp, v6, verbose, peer;
};

static struct {
	char id[ID_LEN];
	long count;
} ids[MAX_IDS];
static int nids;
static long buckets[MAX_BUCKETS][MAX_IDS];

static void usage(void)
{
	fprintf(stderr,
		"usage: mgtraffic serve -i ID -p PORT [-u|-S] [-b ADDR] [-r READYFILE] [-P]\n"
		"       mgtraffic conn -c ADDR -p PORT [-n N | -D MS [-B MS]] [-u|-S] [-s SPORT] [-b SRC] [-t MS] [-E N] [-v]\n"
		"       mgtraffic hold -c ADDR -p PORT -D MS [-I MS] [-t MS] [-s SPORT]\n"
		"       mgtraffic flood -c ADDR -p PORT -D MS -b NET/PREFIX [-r SEED] [-N COUNT]\n");
	exit(2);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int id_index(const char *id)
{
	int i;

	for (i = 0; i < nids; i++)
		if (!strcmp(ids[i].id, id))
			return i;
	if (nids == MAX_IDS)
		return -1;
	snprintf(ids[nids].id, ID_LEN, "%s", id);
	return nids++;
}

static int make_addr(const struct opts *o, const char *host, int port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (o->v6 || (host && strchr(host, ':'))) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (host && inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		if (!host)
			s6->sin6_addr = in6addr_any;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (host && inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		if (!host)
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		*len = sizeof(*s4);
	}
	return 0;
}

/* wait for @events on @fd until @deadline (ms); 1 ready, 0 timeout */
static int wait_fd(int fd, short events, long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* conn and hold: SIGINT/SIGTERM end the run early, with its summary */
static void stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- serve ------------------------------------------------------------- */

/* the answer to a client at @peer: "ID\n", or "ID@PEER\n" with -P */
static int fmt_reply(const struct opts *o, const struct sockaddr_storage *peer, char *out,
		     size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int n;

	if (!o->peer)
		return snprintf(out, size, "%s\n", o->id);
	if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)peer;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
	} else if (peer->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, a, sizeof(a));
	}
	n = snprintf(out, size, "%s@%s\n", o->id, a);
	return n < (int)size ? n : (int)size - 1;
}

static int serve(const struct opts *o)
{
	struct sockaddr_storage ss;
	static struct pollfd fds[MAX_CONNS];
	static char reply[MAX_CONNS][ID_LEN];	/* each connection's answer */
	static int rlen[MAX_CONNS];
	char buf[2048];
	int nfds = 1, one = 1, lfd, i;
	socklen_t len;

	signal(SIGPIPE, SIG_IGN);
	if (o->bind_addr) {
		if (make_addr(o, o->bind_addr, o->port, &ss, &len))
			usage();
	} else {
		/* dual stack: one server answers IPv4 and IPv6 */
		struct opts o6 = *o;

		o6.v6 = true;
		if (make_addr(&o6, NULL, o->port, &ss, &len))
			usage();
	}
	lfd = socket(ss.ss_family, o->udp ? SOCK_DGRAM : SOCK_STREAM,
		     o->sctp ? IPPROTO_SCTP : 0);
	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	{
		int off = 0;

		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	if (bind(lfd, (struct sockaddr *)&ss, len))
		return perror("bind"), 1;
	if (!o->udp && listen(lfd, 1024))
		return perror("listen"), 1;
	if (o->ready) {
		FILE *f = fopen(o->ready, "w");

		if (!f)
			return perror(o->ready), 1;
		fclose(f);
	}

	if (o->udp) {
		/* answer from the address the datagram was sent to (a VIP, in
		 * direct routing), as a real UDP server bound to it would
		 */
		setsockopt(lfd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		for (;;) {
			struct sockaddr_storage peer;
			char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = {
				.msg_name = &peer, .msg_namelen = sizeof(peer),
				.msg_iov = &iov, .msg_iovlen = 1,
				.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
			};
			struct in6_pktinfo pi = { 0 };
			struct cmsghdr *cm;
			bool have_pi = false;
			ssize_t r = recvmsg(lfd, &mh, 0);

			if (r < 0)
				continue;
			for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
					memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
					have_pi = true;
				}
			iov.iov_base = reply[0];
			iov.iov_len = fmt_reply(o, &peer, reply[0], sizeof(reply[0]));
			mh.msg_controllen = 0;
			mh.msg_control = NULL;
			if (have_pi) {
				memset(cbuf, 0, sizeof(cbuf));
				mh.msg_control = cbuf;
				mh.msg_controllen = sizeof(cbuf);
				cm = CMSG_FIRSTHDR(&mh);
				cm->cmsg_level = IPPROTO_IPV6;
				cm->cmsg_type = IPV6_PKTINFO;
				cm->cmsg_len = CMSG_LEN(sizeof(pi));
				pi.ipi6_ifindex = 0;
				memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
			}
			sendmsg(lfd, &mh, 0);
		}
	}

	fds[0].fd = lfd;
	fds[0].events = POLLIN;
	for (;;) {
		if (poll(fds, nfds, -1) < 0)
			continue;
		if (fds[0].revents & POLLIN) {
			struct sockaddr_storage peer = { 0 };
			socklen_t plen = sizeof(peer);
			int c = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);

			if (c >= 0 && nfds == MAX_CONNS) {
				close(c);
			} else if (c >= 0) {
				rlen[nfds] = fmt_reply(o, &peer, reply[nfds], sizeof(reply[nfds]));
				if (write(c, reply[nfds], rlen[nfds]) != rlen[nfds]) {
					close(c);
				} else {
					fds[nfds].fd = c;
					fds[nfds].events = POLLIN;
					fds[nfds].revents = 0;
					nfds++;
				}
			}
		}
		for (i = 1; i < nfds; i++) {
			ssize_t r, k, lines = 0;

			if (!fds[i].revents)
				continue;
			r = read(fds[i].fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fds[i].fd);
				fds[i] = fds[--nfds];
				memcpy(reply[i], reply[nfds], sizeof(reply[i]));
				rlen[i] = rlen[nfds];
				i--;
				continue;
			}
			for (k = 0; k < r; k++)
				lines += buf[k] == '\n';
			while (lines-- > 0)
				if (write(fds[i].fd, reply[i], rlen[i]) != rlen[i])
					break;
		}
	}
	return 0;
}

/* ---- conn -------------------------------------------------------------- */

/* why the last flow failed, for the report of a failure */
static char flow_why[128];

/* read one "ID\n" answer into @id; 0 ok */
static int read_id(int fd, long deadline, char *id, bool udp)
{
	size_t got = 0;
	ssize_t r;

	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) != 1) {
			snprintf(flow_why, sizeof(flow_why), "no answer by the deadline (%zu bytes)",
				 got);
			return -1;
		}
		r = recv(fd, id + got, ID_LEN - 1 - got, 0);
		if (r <= 0) {
			snprintf(flow_why, sizeof(flow_why), "recv: %s",
				 r ? strerror(errno) : "closed before the answer");
			return -1;
		}
		got += r;
		id[got] = 0;
		if (strchr(id, '\n') || udp || got == ID_LEN - 1)
			break;
	}
	id[strcspn(id, "\n")] = 0;
	if (!id[0])
		snprintf(flow_why, sizeof(flow_why), "an empty answer");
	return id[0] ? 0 : -1;
}

static int one_flow(const struct opts *o, int sport, char *id)
{
	struct sockaddr_storage dst, src;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long deadline = now_ms() + o->timeout_ms;
	socklen_t dlen, slen;
	int fd, one = 1, rc = -1;

	if (make_addr(o, o->addr, o->port, &dst, &dlen))
		usage();
	fd = socket(dst.ss_family, (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK,
		    o->sctp ? IPPROTO_SCTP : 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sport || o->bind_addr) {
		if (make_addr(o, o->bind_addr, sport, &src, &slen))
			usage();
		src.ss_family = dst.ss_family;
		if (dst.ss_family == AF_INET6)
			slen = sizeof(struct sockaddr_in6);
		else
			slen = sizeof(struct sockaddr_in);
		if (bind(fd, (struct sockaddr *)&src, slen)) {
			snprintf(flow_why, sizeof(flow_why), "bind to port %d: %s", sport,
				 strerror(errno));
			goto out;
		}
	}
	/* RST (or ABORT) on close: no TIME_WAIT, so source ports can be
	 * reused at once
	 */
	if (!o->udp)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&dst, dlen) && errno != EINPROGRESS) {
		snprintf(flow_why, sizeof(flow_why), "connect: %s", strerror(errno));
		goto out;
	}
	if (o->udp) {
		if (send(fd, "x\n", 2, 0) != 2) {
			snprintf(flow_why, sizeof(flow_why), "send: %s", strerror(errno));
			goto out;
		}
	} else {
		int err = 0;
		socklen_t el = sizeof(err);

		if (wait_fd(fd, POLLOUT, deadline) != 1) {
			snprintf(flow_why, sizeof(flow_why), "not connected by the deadline");
			goto out;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			snprintf(flow_why, sizeof(flow_why), "connecting: %s", strerror(err));
			goto out;
		}
	}
	rc = read_id(fd, deadline, id, o->udp);
out:
	close(fd);
	return rc;
}

static int conn(const struct opts *o)
{
	long start = now_ms(), errors = 0, total = 0, i;
	int nb = 0, b, k;
	char id[ID_LEN];

	stop_on_signals();
	for (i = 0; !stop; i++) {
		long t = now_ms() - start;

		if (o->duration_ms ? t >= o->duration_ms : i >= o->n)
			break;
		if (one_flow(o, o->sport ? o->sport + (int)(i % 40000) : 0, id)) {
			errors++;
			/* say why (the first few): a failed flow is a finding */
			if (errors <= 5)
				fprintf(stderr, "mgtraffic: flow %ld (source port %d) failed after %ld ms: %s\n",
					i, o->sport ? o->sport + (int)(i % 40000) : 0,
					now_ms() - start - t, flow_why);
			if (o->max_errors && errors >= o->max_errors) {
				fprintf(stderr, "mgtraffic: giving up after %ld errors\n", errors);
				break;
			}
			if (o->verbose)
				printf("flow %d -\n", o->sport ? o->sport + (int)(i % 40000) : 0);
			continue;
		}
		total++;
		k = id_index(id);
		if (k < 0)
			continue;
		ids[k].count++;
		if (o->bucket_ms) {
			b = (int)(t / o->bucket_ms);
			if (b < MAX_BUCKETS) {
				buckets[b][k]++;
				if (b + 1 > nb)
					nb = b + 1;
			}
		}
		if (o->verbose)
			printf("flow %d %s\n", o->sport ? o->sport + (int)(i % 40000) : 0, id);
	}
	for (b = 0; b < nb; b++)
		for (k = 0; k < nids; k++)
			printf("bucket %d %s %ld\n", b, ids[k].id, buckets[b][k]);
	for (k = 0; k < nids; k++)
		printf("backend %s %ld\n", ids[k].id, ids[k].count);
	printf("total %ld\nerrors %ld\n", total, errors);
	return errors ? 1 : 0;
}

/* ---- hold -------------------------------------------------------------- */

static int hold(const struct opts *o)
{
	struct sockaddr_storage dst;
	char first[ID_LEN] = "", id[ID_LEN];
	long end = now_ms() + o->duration_ms, replies = 0, errors = 0;
	socklen_t dlen;
	int fd;

	if (make_addr(o, o->addr, o->port, &dst, &dlen))
		usage();
	fd = socket(dst.ss_family, SOCK_STREAM, 0);
	if (fd >= 0 && o->sport) {
		struct sockaddr_storage src;
		socklen_t slen;
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		make_addr(o, NULL, o->sport, &src, &slen);
		src.ss_family = dst.ss_family;
		slen = dst.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in);
		if (bind(fd, (struct sockaddr *)&src, slen)) {
			perror("bind");
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, dlen)) {
		perror("connect");
		printf("backend -\nreplies 0\nerrors 1\n");
		return 1;
	}
	if (read_id(fd, now_ms() + o->timeout_ms, first, false)) {
		printf("backend -\nreplies 0\nerrors 1\n");
		return 1;
	}
	printf("backend %s\n", first);
	fflush(stdout);
	stop_on_signals();
	while (!stop && now_ms() < end) {
		if (send(fd, "ping\n", 5, MSG_NOSIGNAL) != 5 ||
		    read_id(fd, now_ms() + o->timeout_ms, id, false) ||
		    strcmp(id, first)) {
			errors++;
			break;
		}
		replies++;
		usleep(o->interval_ms * 1000);
	}
	close(fd);
	printf("replies %ld\nerrors %ld\n", replies, errors);
	return errors ? 1 : 0;
}

/* ---- flood ------------------------------------------------------------- */

#define FLOOD_BATCH	64
#define FLOOD_PAYLOAD	8

struct flood_pkt {
	struct iphdr ip;
	struct udphdr udp;
	char payload[FLOOD_PAYLOAD];
} __attribute__((packed));

/* xorshift64*: quality enough for spreading tuples, and no libc state */
static uint64_t flood_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int flood(const struct opts *o)
{
	struct flood_pkt pkt[FLOOD_BATCH];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	char net[INET_ADDRSTRLEN + 4], *slash;
	long start, end, sent = 0, send_errors = 0;
	uint64_t seed;
	uint32_t base, hostmask;
	int fd, prefix, i, n;
	double secs;

	snprintf(net, sizeof(net), "%s", o->bind_addr);
	slash = strchr(net, '/');
	if (!slash)
		usage();
	*slash = '\0';
	prefix = atoi(slash + 1);
	if (prefix < 8 || prefix > 30 || inet_pton(AF_INET, net, &base) != 1 ||
	    inet_pton(AF_INET, o->addr, &dst.sin_addr) != 1)
		usage();
	hostmask = (1U << (32 - prefix)) - 1;
	base = ntohl(base) & ~hostmask;
	seed = o->ready ? strtoull(o->ready, NULL, 0) : (uint64_t)getpid() * 2654435761ULL;
	if (!seed)
		seed = 1;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);	/* implies IP_HDRINCL */
	if (fd < 0)
		return perror("socket(SOCK_RAW)"), 1;

	memset(pkt, 0, sizeof(pkt));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		pkt[i].ip.version = 4;
		pkt[i].ip.ihl = 5;
		pkt[i].ip.ttl = 64;
		pkt[i].ip.protocol = IPPROTO_UDP;
		pkt[i].ip.tot_len = htons(sizeof(pkt[i]));
		pkt[i].ip.daddr = dst.sin_addr.s_addr;
		/* the kernel fills in the IP checksum and, left 0, the id */
		pkt[i].udp.dest = htons(o->port);
		pkt[i].udp.len = htons(sizeof(pkt[i].udp) + FLOOD_PAYLOAD);
		/* UDP checksum 0: none, allowed over IPv4 (RFC 768) */
		memcpy(pkt[i].payload, "flood\n\0", FLOOD_PAYLOAD);
		iov[i].iov_base = &pkt[i];
		iov[i].iov_len = sizeof(pkt[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}

	stop_on_signals();
	start = now_ms();
	end = start + o->duration_ms;
	while (!stop && now_ms() < end && (!o->count || sent < o->count)) {
		for (i = 0; i < FLOOD_BATCH; i++) {
			uint64_t r = flood_rand(&seed);
			uint32_t host = (uint32_t)r & hostmask;

			/* neither the network nor the broadcast address */
			if (host == 0 || host == hostmask)
				host = 1;
			pkt[i].ip.saddr = htonl(base | host);
			pkt[i].udp.source = htons(1024 + (uint16_t)(r >> 32) % 64512);
		}
		n = sendmmsg(fd, msgs, FLOOD_BATCH, 0);
		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("sendmmsg");
				close(fd);
				return 1;
			}
			send_errors++;
			continue;
		}
		sent += n;
	}
	secs = (now_ms() - start) / 1000.0;
	close(fd);
	printf("sent %ld\nseconds %.1f\nrate %.0f\nsend_errors %ld\n",
	       sent, secs, secs > 0 ? sent / secs : 0.0, send_errors);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .n = 1, .timeout_ms = 2000, .interval_ms = 100 };
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "i:p:c:n:N:s:t:D:B:I:r:E:b:uS6vP")) != -1) {
		switch (c) {
		case 'i': o.id = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'c': o.addr = optarg; break;
		case 'n': o.n = atoi(optarg); break;
		case 'N': o.count = atol(optarg); break;
		case 's': o.sport = atoi(optarg); break;
		case 't': o.timeout_ms = atoi(optarg); break;
		case 'D': o.duration_ms = atoi(optarg); break;
		case 'B': o.bucket_ms = atoi(optarg); break;
		case 'I': o.interval_ms = atoi(optarg); break;
		case 'r': o.ready = optarg; break;
		case 'E': o.max_errors = atoi(optarg); break;
		case 'b': o.bind_addr = optarg; break;
		case 'u': o.udp = true; break;
		case 'S': o.sctp = true; break;
		case '6': o.v6 = true; break;
		case 'v': o.verbose = true; break;
		case 'P': o.peer = true; break;
		default: usage();
		}
	}
	if (o.port <= 0 || o.port > 65535 || o.timeout_ms <= 0 || (o.udp && o.sctp))
		usage();
	if (!strcmp(cmd, "serve") && o.id)
		return serve(&o);
	if (!strcmp(cmd, "conn") && o.addr && o.n >= 0)
		return conn(&o);
	if (!strcmp(cmd, "hold") && o.addr && o.duration_ms > 0)
		return hold(&o);
	if (!strcmp(cmd, "flood") && o.addr && o.bind_addr && o.duration_ms > 0)
		return flood(&o);
	usage();
	return 2;
}
