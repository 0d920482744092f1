// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the network probes (see internal.h): TCP (a connect), UDP (a
 * datagram and its reply) and, through libcurl's multi interface driven
 * from the loop's epoll, HTTP, HTTPS and TLS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/clock.h"
#include "health/internal.h"

/* xorshift64 (Marsaglia): jitter needs no more */

/* ---- curl glue ------------------------------------------------------------- */

static int curl_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct hloop *l = userp;
	struct curl_sock *cs = socketp;
	struct epoll_event ev = { 0 };

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, s, NULL);
			cs->fd = -1;
			cs->next_dead = l->dead;
			l->dead = cs;
			curl_multi_assign(l->multi, s, NULL);
		}
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return -1;
		cs->tag.kind = T_CURL;
		cs->fd = s;
		ev.data.ptr = cs;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, s, &ev)) {
			free(cs);
			return -1;
		}
		curl_multi_assign(l->multi, s, cs);
		return 0;
	}
	ev.data.ptr = cs;
	epoll_ctl(l->ep, EPOLL_CTL_MOD, s, &ev);
	return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct hloop *l = userp;

	(void)multi;
	l->curl_due = timeout_ms < 0 ? 0 : now_ms() + (uint64_t)timeout_ms;
	return 0;
}

/*
 * The body, searched for the expected text as it arrives (memmem: a NUL
 * in the body hides nothing). The transfer stops once the text is found
 * or BODY_MAX bytes came without it: the rest cannot change the verdict,
 * and an endless body would otherwise run into the timeout.
 * curl_check_done() tells that stop from a failure by body_found and
 * body_len.
 */
static size_t curl_body_cb(char *data, size_t size, size_t n, void *userp)
{
	struct probe *p = userp;
	size_t len = size * n, elen = strlen(p->spec->expect), room, take, from;

	if (!elen)
		return len;
	if (!p->body) {
		p->body = malloc(BODY_MAX);
		if (!p->body)
			return 0;	/* curl fails the transfer */
		p->body_len = 0;
	}
	room = BODY_MAX - p->body_len;
	take = len < room ? len : room;
	/* a match may straddle the previous piece */
	from = p->body_len >= elen - 1 ? p->body_len - (elen - 1) : 0;
	memcpy(p->body + p->body_len, data, take);
	p->body_len += take;
	if (memmem(p->body + from, p->body_len - from, p->spec->expect, elen)) {
		p->body_found = true;
		return 0;	/* enough: curl ends the transfer (CURLE_WRITE_ERROR) */
	}
	return p->body_len == BODY_MAX ? 0 : len;
}

/* A transfer that curl_body_cb() ended on purpose. */
static bool body_done(const struct probe *p, CURLcode rc)
{
	return rc == CURLE_WRITE_ERROR && p->body && (p->body_found || p->body_len == BODY_MAX);
}

static socklen_t make_sa(int af, const uint8_t *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		return sizeof(*s6);
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	memcpy(&((struct sockaddr_in *)ss)->sin_addr, addr, 4);
	return sizeof(struct sockaddr_in);
}

/* Release what a probe holds while running. */
bool self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t al = sizeof(a), bl = sizeof(b);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	return !getsockname(fd, (struct sockaddr *)&a, &al) &&
	       !getpeername(fd, (struct sockaddr *)&b, &bl) && al == bl && !memcmp(&a, &b, al);
}

void probe_start_tcp_udp(struct hloop *l, struct probe *p, bool udp)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage ss;
	uint8_t addr[16];
	uint16_t port;
	socklen_t len;
	int af, fd;

	probe_target(p, &af, addr, &port);
	len = make_sa(af, addr, port, &ss);
	fd = socket(af, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		probe_finish(l, p, false, strerror(errno));
		return;
	}
	/* RST on close: 10,000 probes a second leave no TIME_WAIT */
	if (!udp)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		char why[96];

		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		close(fd);
		probe_finish(l, p, false, why);
		return;
	}
	if (udp && self_connected(fd)) {
		/* connect() chose the target's port as the source: a local
		 * port nothing is bound to, or the kernel would not have
		 * (the datagram would come back to the probe itself)
		 */
		close(fd);
		probe_finish(l, p, false, "connect: connected to itself (nothing listens)");
		return;
	}
	if (udp && send(fd, p->spec->send, strlen(p->spec->send), 0) < 0) {
		char why[96];

		snprintf(why, sizeof(why), "send: %s", strerror(errno));
		close(fd);
		probe_finish(l, p, false, why);
		return;
	}
	if (probe_watch(l, p, fd, udp ? EPOLLIN : EPOLLOUT)) {
		close(fd);
		p->fd = -1;
		probe_finish(l, p, false, "epoll");
	}
}

void probe_start_curl(struct hloop *l, struct probe *p)
{
	const char *scheme = p->spec->type == HC_HTTP ? "http" : "https";
	char url[640], connect_to[320], ip[sizeof(p->spec->addr_name)];
	struct curl_slist *ct = NULL;
	const char *bad = NULL;
	char why[160];
	CURLcode rc = CURLE_OK;
	uint8_t addr[16];
	uint16_t port;
	CURL *e;
	int af;

	if (curl_ready(l)) {
		probe_finish(l, p, false, l->curl_why[0] ? l->curl_why : "libcurl: cannot initialise");
		return;
	}
	probe_target(p, &af, addr, &port);
	if (p->spec->addr_name[0])
		snprintf(ip, sizeof(ip), "%s", p->spec->addr_name);
	else if (af == AF_INET6) {
		ip[0] = '[';
		inet_ntop(af, addr, ip + 1, sizeof(ip) - 2);
		strcat(ip, "]");
	} else {
		inet_ntop(af, addr, ip, sizeof(ip));
	}
	e = curl_easy_init();
	if (!e) {
		probe_finish(l, p, false, "curl_easy_init failed");
		return;
	}
	/* each option matters (QUICK_EXIT, PROTOCOLS_STR, the TLS checks): one refused fails the probe */
#define SETOPT(opt, val) \
	do { \
		if (rc == CURLE_OK && (rc = curl_easy_setopt(e, opt, val)) != CURLE_OK) \
			bad = #opt; \
	} while (0)
	if (p->spec->type == HC_TCP) {
		/* a TCP probe of a DNS name: curl looks it up without blocking
		 * the loop and stops once connected
		 */
		snprintf(url, sizeof(url), "http://%s:%u/", ip, port);
		SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	} else if (p->spec->host[0]) {
		/* Host (and SNI) is the name; the connection goes to the
		 * backend (or the probe address), so the name is never looked up
		 */
		snprintf(url, sizeof(url), "%s://%s:%u%s", scheme, p->spec->host, port, p->spec->path);
		snprintf(connect_to, sizeof(connect_to), "%s:%u:%s:%u", p->spec->host, port, ip, port);
		ct = curl_slist_append(NULL, connect_to);
		if (!ct) {
			curl_easy_cleanup(e);
			probe_finish(l, p, false, "out of memory");
			return;
		}
		SETOPT(CURLOPT_CONNECT_TO, ct);
	} else {
		snprintf(url, sizeof(url), "%s://%s:%u%s", scheme, ip, port, p->spec->path);
	}
	p->errbuf = calloc(1, CURL_ERROR_SIZE);
	if (p->errbuf)
		SETOPT(CURLOPT_ERRORBUFFER, p->errbuf);
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PRIVATE, p);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	/* a name still being looked up when the probe ends is abandoned, not
	 * waited for (which would stall every other probe)
	 */
	SETOPT(CURLOPT_QUICK_EXIT, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)p->spec->timeout_ms);
	SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(CURLOPT_FORBID_REUSE, 1L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, p->spec->tls_verify ? 1L : 0L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, p->spec->tls_verify ? 2L : 0L);
	SETOPT(CURLOPT_USERAGENT, "ipvsctl-health/" IPVSCTL_VERSION);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	if (p->spec->type == HC_TLS) {
		SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	} else if (p->spec->type != HC_TCP) {
		SETOPT(CURLOPT_WRITEFUNCTION, curl_body_cb);
		SETOPT(CURLOPT_WRITEDATA, p);
	}
#undef SETOPT
	p->curl = e;
	p->slist = ct;
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "libcurl refused %s: %s", bad, curl_easy_strerror(rc));
		probe_finish(l, p, false, why);
		return;
	}
	if (curl_multi_add_handle(l->multi, e) != CURLM_OK)
		probe_finish(l, p, false, "curl_multi_add_handle failed");
}

void curl_check_done(struct hloop *l)
{
	char why[160];
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(l->multi, &left))) {
		struct probe *p = NULL;
		long code = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (!p)
			continue;
		if (m->data.result != CURLE_OK && !body_done(p, m->data.result)) {
			/* curl's detail says more ("Recv failure: Connection
			 * reset by peer"); a timeout is called one
			 */
			const char *detail = p->errbuf && p->errbuf[0] ? p->errbuf :
					     curl_easy_strerror(m->data.result);

			snprintf(why, sizeof(why), "%s%s",
				 m->data.result == CURLE_OPERATION_TIMEDOUT ? "timeout: " : "", detail);
			probe_finish(l, p, false, why);
			continue;
		}
		if (p->spec->type == HC_TLS || p->spec->type == HC_TCP) {
			probe_finish(l, p, true, NULL);
			continue;
		}
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		if (code < p->spec->status_lo || code > p->spec->status_hi) {
			snprintf(why, sizeof(why), "HTTP status %ld, not %u-%u", code,
				 p->spec->status_lo, p->spec->status_hi);
			probe_finish(l, p, false, why);
		} else if (p->spec->expect[0] && !p->body_found) {
			probe_finish(l, p, false, "body without the expected text");
		} else {
			probe_finish(l, p, true, NULL);
		}
	}
}

/*
 * libcurl (and the TLS library it loads) only once an HTTP, HTTPS or TLS
 * probe, or a DNS name, needs it: a daemon of TCP probes does without.
 */
int curl_ready(struct hloop *l)
{
	if (l->multi)
		return 0;
	if (curl_load(l->curl_why, sizeof(l->curl_why)))
		return -ENOENT;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	l->multi = curl_multi_init();
	if (!l->multi) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	if (curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb) ||
	    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l) ||
	    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) ||
	    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l)) {
		/* without them the loop never hears of curl's sockets */
		snprintf(l->curl_why, sizeof(l->curl_why), "libcurl refused a multi option");
		curl_multi_cleanup(l->multi);
		l->multi = NULL;
		curl_global_cleanup();
		return -EINVAL;
	}
	return 0;
}
