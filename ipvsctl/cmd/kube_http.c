// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube run: its HTTP servers, in the main thread's poll() loop.
 *
 *  - --healthz-bind-address (kube-proxy: 0.0.0.0:10256): /healthz and
 *    /livez, 200 while healthy, else 503;
 *  - --metrics-bind-address (kube-proxy: 127.0.0.1:10249): /metrics
 *    (Prometheus text), /healthz, /proxyMode;
 *  - one server per healthCheckNodePort of a Service with
 *    externalTrafficPolicy Local, on every address: any method and path
 *    get 200 if the node has a ready endpoint of the Service and the
 *    proxy is healthy, else 503, with the headers and body kube-proxy
 *    sends (load balancers read them).
 * The answers' shapes, names and semantics follow kube-proxy's
 * (pkg/proxy/healthcheck, pkg/proxy/metrics; facts gathered with
 * citations in the project's notes). Healthy: no change to the Services
 * or EndpointSlices has waited for more than twice --sync-period without
 * being applied (kube-proxy's healthTimeout).
 *
 * A request is read whole (up to its blank line, 2 KiB at most) within 3
 * s, answered, and the connection closed; at most KA_CONNS_MAX at once:
 * a new connection beyond that takes the place of the oldest unanswered
 * one, so a client that holds connections open cannot keep a load
 * balancer's probe out, and nothing blocks the loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd/kube_agent.h"

#define REQ_TIMEOUT_MS 3000

uint64_t ka_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int listen_on(const struct sockaddr *sa, socklen_t len, char *why, size_t wlen)
{
	int one = 1, off = 0;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, wlen, "%s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, sa, len) || listen(fd, 64)) {
		int err = -errno;

		snprintf(why, wlen, "%s", strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/* "HOST:PORT" or "[V6]:PORT"; 0.0.0.0 and :: listen on both families */
int ka_listen(const char *addr, char *why, size_t wlen)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	char host[128];
	const char *colon = strrchr(addr, ':');
	size_t hl;
	char *end;
	long port;

	if (!colon || colon == addr) {
		snprintf(why, wlen, "not HOST:PORT");
		return -EINVAL;
	}
	port = strtol(colon + 1, &end, 10);
	hl = (size_t)(colon - addr);
	if (*end || port < 1 || port > 65535 || hl >= sizeof(host)) {
		snprintf(why, wlen, "not HOST:PORT with a port from 1 to 65535");
		return -EINVAL;
	}
	memcpy(host, addr, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::")) {
		int fd;

		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons((uint16_t)port);
		fd = listen_on((struct sockaddr *)&s6, sizeof(s6), why, wlen);
		if (fd != -EAFNOSUPPORT)
			return fd;
		/* a kernel without IPv6 (ipv6.disable=1): IPv4 alone */
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		s4.sin_port = htons((uint16_t)port);
		return listen_on((struct sockaddr *)&s4, sizeof(s4), why, wlen);
	}
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		s4.sin_port = htons((uint16_t)port);
		return listen_on((struct sockaddr *)&s4, sizeof(s4), why, wlen);
	}
	if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons((uint16_t)port);
		return listen_on((struct sockaddr *)&s6, sizeof(s6), why, wlen);
	}
	snprintf(why, wlen, "'%s' is not an IP address", host);
	return -EINVAL;
}

static bool ka_healthy(struct agent *ag)
{
	bool ok;

	pthread_mutex_lock(&ag->hmu);
	ok = !ag->pending_since_ms || ka_now_ms() - ag->pending_since_ms <= 2ull * ag->sync_ms;
	pthread_mutex_unlock(&ag->hmu);
	return ok;
}

/* ---- health-check node ports -------------------------------------------- */

static struct ka_hc *hc_find(struct agent *ag, uint16_t port)
{
	size_t i;

	for (i = 0; i < ag->nhcs; i++)
		if (ag->hcs[i].port == port)
			return &ag->hcs[i];
	return NULL;
}

void ka_hc_publish(struct agent *ag, const struct kube_hc *hcs, size_t n)
{
	struct kube_hc *v = malloc((n + 1) * sizeof(*v));

	if (!v)
		return;	/* the servers stay as they were; the next sync tries again */
	if (n)
		memcpy(v, hcs, n * sizeof(*v));
	pthread_mutex_lock(&ag->hmu);
	free(ag->hc_want);
	ag->hc_want = v;
	ag->nhc_want = n;
	ag->hc_gen++;
	pthread_mutex_unlock(&ag->hmu);
}

/* HTTP thread: the servers of @hcs, opened and closed (a copy of what
 * the main thread published)
 */
static void hc_update(struct agent *ag, const struct kube_hc *hcs, size_t n)
{
	struct ka_hc *nv = calloc(n + 1, sizeof(*nv)), *old;
	size_t i, k = 0, j;
	char why[256], a[16];

	if (!nv)
		return;	/* the servers stay as they were; the next sync tries again */
	for (i = 0; i < n && k < KA_HCS_MAX; i++) {
		nv[k].port = hcs[i].port;
		snprintf(nv[k].ns, sizeof(nv[k].ns), "%s", hcs[i].ns);
		snprintf(nv[k].name, sizeof(nv[k].name), "%s", hcs[i].name);
		nv[k].local_ready = hcs[i].local_ready;
		old = hc_find(ag, hcs[i].port);
		if (old && old->fd >= 0) {
			nv[k].fd = old->fd;
			old->fd = -1;	/* moved */
		} else {
			snprintf(a, sizeof(a), "[::]:%u", hcs[i].port);
			nv[k].fd = ka_listen(a, why, sizeof(why));
			if (nv[k].fd < 0)
				ka_log(ag, "health-check node port %u of %s/%s: %s (tried again at the next sync)",
				       hcs[i].port, hcs[i].ns, hcs[i].name, why);
			else
				ka_log(ag, "health-check node port %u of %s/%s: serving", hcs[i].port,
				       hcs[i].ns, hcs[i].name);
		}
		k++;
	}
	for (j = 0; j < ag->nhcs; j++)
		if (ag->hcs[j].fd >= 0) {
			ka_log(ag, "health-check node port %u: closed", ag->hcs[j].port);
			close(ag->hcs[j].fd);
		}
	/* connections name their server by port: one whose port went is
	 * answered as a Service without endpoints
	 */
	free(ag->hcs);
	ag->hcs = nv;
	ag->nhcs = k;
}

/* ---- connections ----------------------------------------------------------- */

static void conn_close(struct agent *ag, size_t i)
{
	close(ag->conns[i].fd);
	ag->conns[i] = ag->conns[--ag->nconns];
}

static void ka_accept(struct agent *ag, int lfd, int kind)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ka_conn *cn;

	if (fd < 0)
		return;
	if (ag->nconns == KA_CONNS_MAX) {
		size_t i, old = 0;

		for (i = 1; i < ag->nconns; i++)
			if (ag->conns[i].deadline_ms < ag->conns[old].deadline_ms)
				old = i;
		conn_close(ag, old);
	}
	cn = &ag->conns[ag->nconns++];
	memset(cn, 0, sizeof(*cn));
	cn->fd = fd;
	cn->kind = kind >= KA_HC ? KA_HC : kind;
	cn->hc_port = kind >= KA_HC ? ag->hcs[kind - KA_HC].port : 0;
	cn->deadline_ms = ka_now_ms() + REQ_TIMEOUT_MS;
}

static void ka_conns_expire(struct agent *ag)
{
	uint64_t now = ka_now_ms();
	size_t i;

	for (i = ag->nconns; i-- > 0;)
		if (now >= ag->conns[i].deadline_ms)
			conn_close(ag, i);
}

static void ka_close_all(struct agent *ag)
{
	size_t i;

	while (ag->nconns)
		conn_close(ag, ag->nconns - 1);
	for (i = 0; i < ag->nhcs; i++)
		if (ag->hcs[i].fd >= 0)
			close(ag->hcs[i].fd);
	free(ag->hcs);
	ag->hcs = NULL;
	ag->nhcs = 0;
	if (ag->healthz_fd >= 0)
		close(ag->healthz_fd);
	if (ag->metrics_fd >= 0)
		close(ag->metrics_fd);
	ag->healthz_fd = ag->metrics_fd = -1;
}

static void rfc3339(uint64_t s, char *out, size_t len)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void reply(int fd, int code, const char *ctype, const char *extra, const char *body,
		  size_t blen)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nX-Content-Type-Options: nosniff\r\n"
			 "%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 code, code == 200 ? "OK" : code == 404 ? "Not Found" : "Service Unavailable",
			 ctype, extra ? extra : "", blen);
	struct timeval tv = { .tv_sec = 1 };

	/* the answer fits the socket's buffer: blocking at most a second */
	fcntl(fd, F_SETFL, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (n > 0 && send(fd, head, (size_t)n, MSG_NOSIGNAL) == n && blen)
		(void)!send(fd, body, blen, MSG_NOSIGNAL);
}

static void answer_hc(struct agent *ag, int fd, uint16_t port)
{
	const struct ka_hc *h = hc_find(ag, port);
	size_t local = h ? h->local_ready : 0;
	bool healthy = ka_healthy(ag);
	char body[512], extra[96];
	int n;

	n = snprintf(body, sizeof(body),
		     "{\n\t\"service\": {\n\t\t\"namespace\": \"%s\",\n\t\t\"name\": \"%s\"\n\t},\n"
		     "\t\"localEndpoints\": %zu,\n\t\"serviceProxyHealthy\": %s\n}",
		     h ? h->ns : "", h ? h->name : "", local, healthy ? "true" : "false");
	snprintf(extra, sizeof(extra), "X-Load-Balancing-Endpoint-Weight: %zu\r\n", local);
	reply(fd, local && healthy ? 200 : 503, "application/json", extra, body, (size_t)n);
}

/* /healthz fails too while the node is leaving (its Node deleted, or
 * tainted ToBeDeletedByClusterAutoscaler: load balancers then drain it);
 * /livez does not (kube-proxy, KEP-3836)
 */
static void answer_healthz(struct agent *ag, int fd, bool livez)
{
	bool eligible = __atomic_load_n(&ag->node_eligible, __ATOMIC_RELAXED);
	bool healthy = ka_healthy(ag) && (livez || eligible);
	char body[512], last[40], now[40];
	uint64_t t = (uint64_t)time(NULL), last_ok;
	int n;

	pthread_mutex_lock(&ag->hmu);
	last_ok = ag->last_ok_wall_s;
	pthread_mutex_unlock(&ag->hmu);
	/* as kube-proxy: a healthy answer shows lastUpdated as now */
	rfc3339(healthy ? t : last_ok, last, sizeof(last));
	rfc3339(t, now, sizeof(now));
	n = snprintf(body, sizeof(body),
		     "{\"lastUpdated\": \"%s\",\"currentTime\": \"%s\",%s\"healthy\": %s}", last, now,
		     livez ? "" : eligible ? "\"nodeEligible\": true," : "\"nodeEligible\": false,",
		     healthy ? "true" : "false");
	(livez ? ag->livez : ag->healthz)[healthy ? 0 : 1]++;
	reply(fd, healthy ? 200 : 503, "application/json", NULL, body, (size_t)n);
}

static void answer(struct agent *ag, struct ka_conn *cn)
{
	char path[256] = "";
	size_t len;
	char *m;

	if (cn->kind == KA_HC) {
		answer_hc(ag, cn->fd, cn->hc_port);
		return;
	}
	if (sscanf(cn->buf, "%*15s %255s", path) != 1)
		path[0] = 0;
	path[strcspn(path, "?")] = 0;
	if (cn->kind == KA_HEALTHZ && (!strcmp(path, "/healthz") || !strcmp(path, "/livez"))) {
		answer_healthz(ag, cn->fd, !strcmp(path, "/livez"));
	} else if (cn->kind == KA_METRICS && !strcmp(path, "/metrics")) {
		pthread_mutex_lock(&ag->hmu);
		m = ka_metrics_text(ag, &len);
		pthread_mutex_unlock(&ag->hmu);
		if (m)
			reply(cn->fd, 200, "text/plain; version=0.0.4", NULL, m, len);
		else
			reply(cn->fd, 503, "text/plain", NULL, "out of memory\n", 14);
		free(m);
	} else if (cn->kind == KA_METRICS && !strcmp(path, "/healthz")) {
		/* kube-proxy's metrics server: a plain liveness check ("ok"),
		 * not the proxy's health (a probe pointed here must not restart
		 * the agent while its node drains)
		 */
		reply(cn->fd, 200, "text/plain; charset=utf-8", NULL, "ok", 2);
	} else if (cn->kind == KA_METRICS && !strcmp(path, "/proxyMode")) {
		reply(cn->fd, 200, "text/plain", NULL, "ipvs", 4);
	} else {
		reply(cn->fd, 404, "text/plain", NULL, "404 page not found\n", 19);
	}
}

static void ka_conn_io(struct agent *ag, size_t i)
{
	struct ka_conn *cn = &ag->conns[i];
	ssize_t r;

	if (i >= ag->nconns)
		return;
	r = recv(cn->fd, cn->buf + cn->len, sizeof(cn->buf) - 1 - cn->len, 0);
	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(ag, i);
		return;
	}
	cn->len += (size_t)r;
	cn->buf[cn->len] = 0;
	if (strstr(cn->buf, "\r\n\r\n") || strstr(cn->buf, "\n\n") ||
	    cn->len == sizeof(cn->buf) - 1) {
		answer(ag, cn);
		conn_close(ag, i);
	}
}

/* ---- the thread ------------------------------------------------------------ */

/* a new list of health-check servers from the main thread, if any */
static void hc_refresh(struct agent *ag)
{
	struct kube_hc *v = NULL;
	size_t n = 0;
	bool changed;

	pthread_mutex_lock(&ag->hmu);
	changed = ag->hc_gen != ag->hc_seen;
	if (changed && ag->nhc_want) {
		v = malloc(ag->nhc_want * sizeof(*v));
		if (v) {
			memcpy(v, ag->hc_want, ag->nhc_want * sizeof(*v));
			n = ag->nhc_want;
		}
	}
	if (changed && (v || !ag->nhc_want))
		ag->hc_seen = ag->hc_gen;
	pthread_mutex_unlock(&ag->hmu);
	if (changed && (v || !n))
		hc_update(ag, v, n);
	free(v);
}

#define KIND_CONN 2000000
#define KIND_HC 1000000

static void *http_thread(void *arg)
{
	struct agent *ag = arg;
	size_t max = 2 + KA_HCS_MAX + KA_CONNS_MAX, n, i;
	struct pollfd *p = calloc(max, sizeof(*p));
	int *kind = calloc(max, sizeof(*kind));

	if (!p || !kind) {
		ka_log(ag, "the HTTP servers: out of memory; not serving");
		free(p);
		free(kind);
		return NULL;
	}
	while (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED)) {
		hc_refresh(ag);
		n = 0;
#define ADD(fd_, k_)                                           \
	do {                                                   \
		if ((fd_) >= 0 && n < max) {                   \
			p[n].fd = (fd_);                       \
			p[n].events = POLLIN;                  \
			p[n].revents = 0;                      \
			kind[n++] = (k_);                      \
		}                                              \
	} while (0)
		ADD(ag->healthz_fd, KA_HEALTHZ);
		ADD(ag->metrics_fd, KA_METRICS);
		for (i = 0; i < ag->nhcs; i++)
			ADD(ag->hcs[i].fd, (int)(KIND_HC + i));
		for (i = 0; i < ag->nconns; i++)
			ADD(ag->conns[i].fd, (int)(KIND_CONN + i));
#undef ADD
		/* a quarter of a second: how soon a stop or new servers are seen */
		if (poll(p, n, 250) < 0 && errno != EINTR)
			break;
		/* connections first, from the last: their indexes move as they close */
		for (i = n; i-- > 0;)
			if (p[i].revents && kind[i] >= KIND_CONN)
				ka_conn_io(ag, (size_t)(kind[i] - KIND_CONN));
		for (i = 0; i < n; i++) {
			if (!p[i].revents || kind[i] >= KIND_CONN)
				continue;
			if (kind[i] >= KIND_HC)
				ka_accept(ag, p[i].fd, KA_HC + kind[i] - KIND_HC);
			else
				ka_accept(ag, p[i].fd, kind[i]);
		}
		ka_conns_expire(ag);
	}
	free(p);
	free(kind);
	return NULL;
}

int ka_http_start(struct agent *ag)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&ag->http_th, NULL, http_thread, ag);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ag->http_started = !err;
	return err;
}

void ka_http_stop(struct agent *ag)
{
	__atomic_store_n(&ag->stop, 1, __ATOMIC_RELAXED);
	if (ag->http_started)
		pthread_join(ag->http_th, NULL);
	ag->http_started = false;
	ka_close_all(ag);
	free(ag->hc_want);
	ag->hc_want = NULL;
	ag->nhc_want = 0;
}
