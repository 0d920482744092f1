// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the health probe loop (see health.h).
 *
 * Probes wait in a min-heap keyed by their next start, or, while running,
 * by their deadline. epoll watches the probes' sockets (tcp, udp), the
 * pidfds of exec probes, the sockets libcurl asks for (http, https, tls,
 * through curl_multi_socket_action) and whatever the daemon registers
 * (its signalfd). Nothing blocks: a probe that hangs hits its deadline.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dlfcn.h>
#include <stddef.h>

/* the calls go through curl_fn below, not the header's type-checking macros */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "base/clock.h"
#include "health/loop.h"
#include "model/addr.h"

/*
 * libcurl is opened with dlopen() when the first HTTP, HTTPS or TLS probe
 * (or a DNS name) needs it, not linked: with the TLS, HTTP/2, LDAP, SSH
 * and Kerberos libraries it brings, it was 30 of ipvsctl's 37 shared
 * objects, and loading them at every start cost 3 ms natively and about
 * 90 ms under emulation, for every "ipvsctl list" of a shell script.
 * The soname is libcurl's ABI 4 (every libcurl since 7.16); the options
 * used need 7.87 (CURLOPT_QUICK_EXIT; CURLOPT_PROTOCOLS_STR is 7.85),
 * which debian/control requires and curl_load() checks: an older one
 * would refuse QUICK_EXIT, and a name still being looked up when its
 * probe ends would then be waited for, in the loop.
 */
#define CURL_SONAME "libcurl.so.4"
#define CURL_MIN_VERSION 0x075700	/* 7.87.0 */
#define CURL_MIN_TEXT "7.87.0"

static struct {
	void *dl;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	curl_version_info_data *(*version_info)(CURLversion);
} curl_fn;

/* curl.h's own pass-through macros for these three */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init	curl_fn.global_init
#define curl_global_cleanup	curl_fn.global_cleanup
#define curl_easy_init		curl_fn.easy_init
#define curl_easy_setopt	curl_fn.easy_setopt
#define curl_easy_getinfo	curl_fn.easy_getinfo
#define curl_easy_cleanup	curl_fn.easy_cleanup
#define curl_easy_strerror	curl_fn.easy_strerror
#define curl_slist_append	curl_fn.slist_append
#define curl_slist_free_all	curl_fn.slist_free_all
#define curl_multi_init		curl_fn.multi_init
#define curl_multi_cleanup	curl_fn.multi_cleanup
#define curl_multi_setopt	curl_fn.multi_setopt
#define curl_multi_add_handle	curl_fn.multi_add_handle
#define curl_multi_remove_handle curl_fn.multi_remove_handle
#define curl_multi_assign	curl_fn.multi_assign
#define curl_multi_socket_action curl_fn.multi_socket_action
#define curl_multi_info_read	curl_fn.multi_info_read
#define curl_version_info	curl_fn.version_info

/* Open libcurl once. 0, or -1 with @why saying what is missing. */
static int curl_load(char *why, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(f) { "curl_" #f, offsetof(typeof(curl_fn), f) }
		SYM(global_init), SYM(global_cleanup), SYM(easy_init), SYM(easy_setopt),
		SYM(easy_getinfo), SYM(easy_cleanup), SYM(easy_strerror), SYM(slist_append),
		SYM(slist_free_all), SYM(multi_init), SYM(multi_cleanup), SYM(multi_setopt),
		SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_assign),
		SYM(multi_socket_action), SYM(multi_info_read), SYM(version_info),
#undef SYM
	};
	curl_version_info_data *v;
	size_t i;
	void *f;

	if (curl_fn.dl)
		return 0;
	curl_fn.dl = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!curl_fn.dl) {
		snprintf(why, len, "HTTP, HTTPS and TLS probes need libcurl: %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		f = dlsym(curl_fn.dl, syms[i].name);
		if (!f) {
			snprintf(why, len, "%s has no %s: libcurl too old", CURL_SONAME,
				 syms[i].name);
			dlclose(curl_fn.dl);
			memset(&curl_fn, 0, sizeof(curl_fn));
			return -1;
		}
		memcpy((char *)&curl_fn + syms[i].off, &f, sizeof(f));
	}
	v = curl_version_info(CURLVERSION_NOW);
	if (!v || v->version_num < CURL_MIN_VERSION) {
		snprintf(why, len, "libcurl %s is too old: HTTP, HTTPS and TLS probes need "
			 CURL_MIN_TEXT " or later", v && v->version ? v->version : "?");
		dlclose(curl_fn.dl);
		memset(&curl_fn, 0, sizeof(curl_fn));
		return -1;
	}
	return 0;
}

extern char **environ;

enum {
	T_PROBE = 1,
	T_CURL,
	T_WATCH,
	T_STDERR,
	T_REAP,
};

#define BODY_MAX	65536
#define EXEC_POLL_MS	20
#define REAP_POLL_MAX_MS 1000	/* a command that cannot be reaped: looked at this often, at least */
#define STDERR_MAX	100	/* bytes of a command's stderr kept for its failure */
#define BATCH_MS	10	/* probes run up to this late, in batches */

struct curl_sock {
	struct hl_tag tag;
	int fd;				/* -1 once curl is done with it */
	struct curl_sock *next_dead;
};

struct watch {
	struct hl_tag tag;
	int fd;
	void (*fn)(int fd, void *arg);
	void *arg;
};

/*
 * An exec probe's stderr: a pipe read while the command runs, so that it
 * never blocks on a full pipe; the first STDERR_MAX bytes are kept. Its
 * own epoll registration (the probe's is its pidfd), so like a curl
 * socket it goes on the dead list when closed: an event of the same
 * batch may still name it.
 */
struct exec_err {
	struct hl_tag tag;
	int fd;				/* -1 once closed */
	size_t len;
	char text[STDERR_MAX + 1];
	struct exec_err *next_dead;
};

/*
 * A command killed (timeout, removal) that could not be reaped at once:
 * it is still exiting, or stuck (D state on a hung mount), or a tracer
 * holds its zombie. Watched through its pidfd, then (or without a pidfd)
 * looked at on a timer; never waited for.
 */
struct reap {
	struct hl_tag tag;
	int pidfd;			/* -1: looked at on the timer only */
	pid_t pid;
	bool polled;			/* its pidfd said "exited" too early, or none */
	uint32_t poll_ms;
	uint64_t due_ms;		/* the next look, if polled */
	struct reap *next;
};

/* exec probes' user (--probe-user) */
struct probe_user {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	int cap_last;			/* /proc/sys/kernel/cap_last_cap */
};

struct hloop {
	int ep;
	CURLM *multi;
	uint64_t curl_due;		/* 0: no curl timer */
	char curl_why[160];		/* why libcurl could not be opened */
	struct probe **heap;
	size_t n, cap;
	probe_done_fn done;
	void *arg;
	bool stop;
	uint64_t rng;
	struct watch **watches;
	size_t nwatches;
	/* curl sockets closed while epoll events may still name them: freed
	 * after the batch
	 */
	struct curl_sock *dead;
	struct exec_err *dead_err;	/* likewise */
	struct reap *reaps;
	size_t nreaps;
	struct probe_user user;
};

/* xorshift64 (Marsaglia): jitter needs no more */
static uint64_t rnd(struct hloop *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng;
}

/* ---- the heap ------------------------------------------------------------ */

static void heap_swap(struct hloop *l, size_t a, size_t b)
{
	struct probe *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_fix(struct hloop *l, size_t i)
{
	size_t c;

	while (i > 0 && l->heap[(i - 1) / 2]->due_ms > l->heap[i]->due_ms) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		c = 2 * i + 1;
		if (c >= l->n)
			break;
		if (c + 1 < l->n && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (l->heap[i]->due_ms <= l->heap[c]->due_ms)
			break;
		heap_swap(l, i, c);
		i = c;
	}
}

static int heap_push(struct hloop *l, struct probe *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct probe **v = realloc(l->heap, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->heap = v;
		l->cap = cap;
	}
	p->heap_idx = l->n;
	l->heap[l->n++] = p;
	heap_fix(l, p->heap_idx);
	return 0;
}

static void heap_del(struct hloop *l, struct probe *p)
{
	size_t i = p->heap_idx;

	if (i >= l->n || l->heap[i] != p)
		return;
	l->n--;
	if (i != l->n) {
		l->heap[i] = l->heap[l->n];
		l->heap[i]->heap_idx = i;
		heap_fix(l, i);
	}
	p->heap_idx = (size_t)-1;
}

static void reschedule(struct hloop *l, struct probe *p, uint64_t due)
{
	p->due_ms = due;
	heap_fix(l, p->heap_idx);
}

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

/* ---- probes ------------------------------------------------------------------ */

static void probe_target(const struct probe *p, int *af, uint8_t *addr, uint16_t *port)
{
	if (p->spec->addr_af) {
		*af = p->spec->addr_af;
		memcpy(addr, p->spec->addr, 16);
	} else {
		*af = p->be.af;
		memcpy(addr, p->be.addr, 16);
	}
	*port = p->spec->port ? p->spec->port : p->be.port;
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

/* ---- exec: stderr, and reaping without waiting ------------------------------- */

/*
 * Keep what the command wrote to stderr, up to STDERR_MAX; read the rest
 * away. At the end of the file (no writer left) the pipe is closed, or it
 * would stay ready.
 */
static void exec_err_read(struct hloop *l, struct exec_err *e)
{
	char buf[4096];
	ssize_t r;

	while (e->fd >= 0) {
		r = read(e->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;	/* EAGAIN: later */
		if (!r) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, e->fd, NULL);
			close(e->fd);
			e->fd = -1;
			return;
		}
		if (e->len < STDERR_MAX) {
			size_t take = (size_t)r < STDERR_MAX - e->len ? (size_t)r : STDERR_MAX - e->len;

			memcpy(e->text + e->len, buf, take);
			e->len += take;
		}
	}
}

static void exec_err_close(struct hloop *l, struct probe *p)
{
	struct exec_err *e = p->err;

	if (!e)
		return;
	p->err = NULL;
	if (e->fd >= 0) {
		/* out of epoll before close(): see probe_cleanup() */
		epoll_ctl(l->ep, EPOLL_CTL_DEL, e->fd, NULL);
		close(e->fd);
		e->fd = -1;
	}
	e->next_dead = l->dead_err;
	l->dead_err = e;
}

/*
 * ": first line of stderr" for a failed command's reason, printable, or
 * nothing if it wrote nothing.
 */
static void exec_err_text(const struct probe *p, char *buf, size_t len)
{
	const struct exec_err *e = p->err;
	size_t i, n = 0;

	buf[0] = 0;
	if (!e || !e->len || len < 4)
		return;
	memcpy(buf, ": ", 2);
	n = 2;
	for (i = 0; i < e->len && n + 1 < len; i++) {
		unsigned char ch = (unsigned char)e->text[i];

		if (ch == '\n' && i + 1 == e->len)
			break;
		buf[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	buf[n] = 0;
	if (n == 2)
		buf[0] = 0;
}

/*
 * If the command @pid (its process group's leader) has exited: kill what
 * is left of its group, then reap it. The group is killed first, while
 * the zombie leader keeps its id reserved; reaped, the id could name
 * another group. So a background job of a command that succeeded ("sleep
 * 300 & exit 0") does not outlive the probe. Only a child that left the
 * group (setsid) escapes. True once reaped; false if it has not exited,
 * or a tracer holds its zombie.
 */
static bool reap_leader(pid_t pid, int *status)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != pid)
		return false;
	kill(-pid, SIGKILL);
	return waitpid(pid, status, WNOHANG) == pid;
}

static void reap_free(struct hloop *l, struct reap *r)
{
	struct reap **pp;

	for (pp = &l->reaps; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			l->nreaps--;
			break;
		}
	}
	if (r->pidfd >= 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, r->pidfd, NULL);
		close(r->pidfd);
	}
	free(r);
}

/* Look at a killed command again: reaped, or looked at later (backing off). */
static void reap_try(struct hloop *l, struct reap *r, uint64_t now)
{
	int status;

	if (reap_leader(r->pid, &status)) {
		reap_free(l, r);
		return;
	}
	if (!r->polled) {
		r->polled = true;
		r->poll_ms = EXEC_POLL_MS;
	} else if (r->poll_ms < REAP_POLL_MAX_MS) {
		r->poll_ms = r->poll_ms * 2 < REAP_POLL_MAX_MS ? r->poll_ms * 2 : REAP_POLL_MAX_MS;
	}
	r->due_ms = now + r->poll_ms;
}

/*
 * A killed command that has not exited yet: its pidfd (@pidfd, still in
 * epoll naming the probe, or -1) now names a reap, once (EPOLLONESHOT: a
 * zombie that a tracer holds stays "readable" without being reapable,
 * and is then looked at on the timer).
 */
static void reap_later(struct hloop *l, pid_t pid, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	struct reap *r = calloc(1, sizeof(*r));

	if (!r) {
		/* nothing to watch it with: it is left to init when we exit */
		if (pidfd >= 0) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, pidfd, NULL);
			close(pidfd);
		}
		return;
	}
	r->tag.kind = T_REAP;
	r->pid = pid;
	r->pidfd = pidfd;
	ev.data.ptr = r;
	if (pidfd < 0 || epoll_ctl(l->ep, EPOLL_CTL_MOD, pidfd, &ev)) {
		r->polled = true;
		r->poll_ms = EXEC_POLL_MS;
		r->due_ms = now_ms() + r->poll_ms;
	}
	r->next = l->reaps;
	l->reaps = r;
	l->nreaps++;
}

size_t hloop_reaping(const struct hloop *l)
{
	return l->nreaps;
}

/* Release what a probe holds while running. */
static void probe_cleanup(struct hloop *l, struct probe *p)
{
	if (p->curl) {
		curl_multi_remove_handle(l->multi, p->curl);
		curl_easy_cleanup(p->curl);
		p->curl = NULL;
	}
	if (p->slist) {
		curl_slist_free_all(p->slist);
		p->slist = NULL;
	}
	free(p->errbuf);
	p->errbuf = NULL;
	exec_err_close(l, p);
	if (p->pid > 0) {
		int status;

		/*
		 * The command and whatever it started: its own process group.
		 * Not waited for: a child stuck in D state would stall every
		 * probe. Reaped now if it is already gone, else when its pidfd
		 * says so (the pidfd goes with it).
		 */
		kill(-p->pid, SIGKILL);
		if (!reap_leader(p->pid, &status)) {
			reap_later(l, p->pid, p->fd);
			p->fd = -1;
		}
		p->pid = 0;
	}
	if (p->fd >= 0) {
		/*
		 * Out of epoll first, then closed. close() alone removes the
		 * registration only with the file's last reference, and an
		 * exec probe's child holds a copy of every descriptor from
		 * posix_spawn() until its exec has closed the O_CLOEXEC ones:
		 * the parent runs again before that (vfork is done at
		 * exec_mmap(), close-on-exec comes later in begin_new_exec()).
		 * A socket closed in that window stayed registered, ready,
		 * and named this probe: thousands of false "ok"s in a few ms.
		 */
		epoll_ctl(l->ep, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		p->fd = -1;
	}
	free(p->body);
	p->body = NULL;
	p->body_len = 0;
	p->body_found = false;
}

static void probe_finish(struct hloop *l, struct probe *p, bool ok, const char *why)
{
	uint64_t now = now_ms(), iv = p->spec->interval_ms, j, next;

	probe_cleanup(l, p);
	p->running = false;
	p->last_ms = (uint32_t)(now - p->started_ms);
	if (p->removed) {
		heap_del(l, p);
		free(p);
		return;
	}
	l->done(p, ok, why, l->arg);
	/*
	 * The next start: an interval after this one started, give or take
	 * the jitter. Starts keep their cadence whatever a probe takes (the
	 * timeout is shorter than the interval), so "fall" failures take at
	 * most fall x interval (+ jitter) after the first.
	 */
	j = iv * p->spec->jitter_pct / 100;
	next = p->started_ms + iv - j + (j ? rnd(l) % (2 * j + 1) : 0);
	reschedule(l, p, next > now ? next : now);
}

static int probe_watch(struct hloop *l, struct probe *p, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = p };

	p->fd = fd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static bool self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t al = sizeof(a), bl = sizeof(b);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	return !getsockname(fd, (struct sockaddr *)&a, &al) &&
	       !getpeername(fd, (struct sockaddr *)&b, &bl) && al == bl && !memcmp(&a, &b, al);
}

static void probe_start_tcp_udp(struct hloop *l, struct probe *p, bool udp)
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

static int curl_ready(struct hloop *l);

static void probe_start_curl(struct hloop *l, struct probe *p)
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

static void probe_event(struct hloop *l, struct probe *p, uint32_t events);

/* ---- exec: starting the command -------------------------------------------------- */

/* In a forked child: @what and the errno's name on stderr (no stdio: async-signal-safe only). */
static void __attribute__((noreturn)) child_fail(const char *what)
{
	const char *name = strerrorname_np(errno);
	struct iovec iov[3] = {
		{ (void *)what, strlen(what) },
		{ (void *)": ", 2 },
		{ (void *)(name ? name : "?"), name ? strlen(name) : 1 },
	};

	if (writev(2, iov, 3) < 0)
		_exit(126);
	_exit(126);
}

/*
 * The child of spawn_as_user(), between fork and exec: what posix_spawn
 * does for the other path (its own process group, stdin and stdout on
 * /dev/null, stderr the pipe, no other descriptor, signals reset), then
 * the user: the bounding set emptied while it still may be (CAP_SETPCAP;
 * without it the rest still leaves no capability), groups, gid, uid
 * (from root, setuid() clears the permitted, effective and ambient
 * sets), and no_new_privs, so no set-user-ID or file-capability program
 * gives any back.
 */
static void __attribute__((noreturn)) exec_child(const struct probe_user *u, char **argv,
						 char **envp, int errfd)
{
	struct sigaction dfl;
	sigset_t none;
	int fd, sig, cap;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	closefrom(3);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (cap = 0; cap <= u->cap_last; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (setgroups((size_t)u->ngroups, u->groups))
		child_fail("probe-user: setgroups");
	if (setgid(u->gid))
		child_fail("probe-user: setgid");
	if (setuid(u->uid))
		child_fail("probe-user: setuid");
	/* setuid(0) would work again if anything had kept root's power */
	if (u->uid && (getuid() != u->uid || geteuid() != u->uid || !setuid(0))) {
		errno = EPERM;
		child_fail("probe-user: root's rights survived setuid");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail("probe-user: PR_SET_NO_NEW_PRIVS");
	execve(argv[0], argv, envp);
	child_fail("execve /bin/sh");
}

/*
 * posix_spawn() cannot change the user, so with a probe user the command
 * is forked. fork(), not vfork(): the child calls setuid(), which glibc
 * broadcasts to every thread of the process it thinks it is in.
 */
static int spawn_as_user(const struct probe_user *u, char **argv, char **envp, int errfd,
			 pid_t *pid)
{
	pid_t c = fork();

	if (c < 0)
		return errno;
	if (!c)
		exec_child(u, argv, envp, errfd);
	/* and here too: the group exists before the loop may kill it */
	setpgid(c, c);
	*pid = c;
	return 0;
}

static int spawn(char **argv, char **envp, int errfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	/* nothing else: libcurl's sockets are not close-on-exec, and a
	 * command must not hold the daemon's descriptors (glibc 2.34)
	 */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	/* its own process group, so a timeout kills what it started too */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	sigemptyset(&none);
	sigfillset(&all);
	/* the daemon blocks the signals it reads from a signalfd */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	err = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err;
}

static void probe_start_exec(struct hloop *l, struct probe *p)
{
	char ip[sizeof(p->spec->addr_name)], env_addr[sizeof(ip) + 16], env_port[32], env_svc[128];
	char *argv[] = { "/bin/sh", "-c", (char *)p->spec->command, NULL };
	char *envp[] = { env_addr, env_port, env_svc, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct epoll_event ev = { .events = EPOLLIN };
	struct exec_err *e;
	uint8_t addr[16];
	uint16_t port;
	int af, pfd, err, pipefd[2] = { -1, -1 };
	pid_t pid;

	probe_target(p, &af, addr, &port);
	/* a DNS name whole (up to 127 characters), or the address */
	if (p->spec->addr_name[0])
		snprintf(ip, sizeof(ip), "%s", p->spec->addr_name);
	else
		inet_ntop(af, addr, ip, sizeof(ip));
	snprintf(env_addr, sizeof(env_addr), "BACKEND_ADDR=%s", ip);
	snprintf(env_port, sizeof(env_port), "BACKEND_PORT=%u", port);
	fmt_svc(&p->svc, env_svc + 8, sizeof(env_svc) - 8);
	memcpy(env_svc, "SERVICE=", 8);
	/* stderr: a pipe, read as the command runs, so a failure can say why */
	e = calloc(1, sizeof(*e));
	/* only the loop's end is non-blocking: the command's stderr blocks,
	 * as any stderr does, rather than failing with EAGAIN when the loop
	 * is slow to read
	 */
	if (!e || pipe2(pipefd, O_CLOEXEC) ||
	    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK)) {
		int perr = errno;

		if (pipefd[0] >= 0) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		free(e);
		probe_finish(l, p, false, strerror(perr));
		return;
	}
	e->tag.kind = T_STDERR;
	e->fd = pipefd[0];
	p->err = e;
	ev.data.ptr = e;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, e->fd, &ev)) {
		close(pipefd[1]);
		probe_finish(l, p, false, "epoll");
		return;
	}
	if (l->user.set)
		err = spawn_as_user(&l->user, argv, envp, pipefd[1], &pid);
	else
		err = spawn(argv, envp, pipefd[1], &pid);
	close(pipefd[1]);
	if (err) {
		probe_finish(l, p, false, strerror(err));
		return;
	}
	p->pid = pid;
	pfd = pidfd_open(pid, 0);
	if (pfd < 0 && errno == ENOSYS) {
		/* no pidfd (valgrind): look every EXEC_POLL_MS instead */
		p->fd = -1;
		reschedule(l, p, p->started_ms + EXEC_POLL_MS);
		return;
	}
	if (pfd < 0 || probe_watch(l, p, pfd, EPOLLIN)) {
		if (pfd >= 0)
			close(pfd);
		p->fd = -1;
		probe_finish(l, p, false, "pidfd");
	}
}

/* A running probe is due: its deadline, or (exec without pidfd) a look. */
static void probe_due(struct hloop *l, struct probe *p, uint64_t now)
{
	if (p->spec->type == HC_EXEC && p->pid > 0 && p->fd < 0 &&
	    now < p->started_ms + p->spec->timeout_ms) {
		probe_event(l, p, 0);
		if (p->running) {
			uint64_t next = now + EXEC_POLL_MS, end = p->started_ms + p->spec->timeout_ms;

			reschedule(l, p, next < end ? next : end);
		}
		return;
	}
	{
		char why[64];

		snprintf(why, sizeof(why), "timeout: no answer in %u ms", p->spec->timeout_ms);
		probe_finish(l, p, false, why);
	}
}

static void probe_start(struct hloop *l, struct probe *p)
{
	bool curl = p->spec->type == HC_HTTP || p->spec->type == HC_HTTPS ||
		    p->spec->type == HC_TLS || p->spec->addr_name[0];

	/* loading libcurl (and its TLS library) is not the probe's time:
	 * 13 ms natively, but 233 ms under valgrind on a busy host, and
	 * test_health's first HTTP probe then missed its 300 ms timeout
	 */
	if (curl)
		curl_ready(l);
	p->running = true;
	p->started_ms = now_ms();
	reschedule(l, p, p->started_ms + p->spec->timeout_ms);
	switch (p->spec->type) {
	case HC_TCP:
		if (p->spec->addr_name[0])
			probe_start_curl(l, p);
		else
			probe_start_tcp_udp(l, p, false);
		break;
	case HC_UDP:
		probe_start_tcp_udp(l, p, true);
		break;
	case HC_HTTP:
	case HC_HTTPS:
	case HC_TLS:
		probe_start_curl(l, p);
		break;
	case HC_EXEC:
		probe_start_exec(l, p);
		break;
	}
}

/* A probe's own fd is ready. */
static void probe_event(struct hloop *l, struct probe *p, uint32_t events)
{
	char buf[2048], why[160];
	int err = 0, status;
	socklen_t el = sizeof(err);
	ssize_t r;

	/* an event from before this probe's last end says nothing of now */
	if (!p->running || (p->spec->type == HC_EXEC ? p->pid <= 0 : p->fd < 0))
		return;
	switch (p->spec->type) {
	case HC_TCP:
		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			snprintf(why, sizeof(why), "connect: %s", strerror(err));
			probe_finish(l, p, false, why);
		} else if (self_connected(p->fd)) {
			/* a local port nothing listens on, and the kernel chose
			 * it as the source port too: TCP's simultaneous open
			 * connected the probe to itself
			 */
			probe_finish(l, p, false, "connect: connected to itself (nothing listens)");
		} else {
			probe_finish(l, p, true, NULL);
		}
		return;
	case HC_UDP:
		r = recv(p->fd, buf, sizeof(buf) - 1, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;		/* nothing yet: wait on */
		if (r < 0) {
			snprintf(why, sizeof(why), "recv: %s", strerror(errno));
			probe_finish(l, p, false, why);
			return;
		}
		buf[r] = 0;
		if (p->spec->expect[0] && !memmem(buf, (size_t)r, p->spec->expect, strlen(p->spec->expect)))
			probe_finish(l, p, false, "reply without the expected text");
		else
			probe_finish(l, p, true, NULL);
		return;
	case HC_EXEC:
		if (!reap_leader(p->pid, &status))
			return;
		p->pid = 0;
		if (WIFEXITED(status) && !WEXITSTATUS(status)) {
			probe_finish(l, p, true, NULL);
		} else {
			/* what it wrote before it exited is in the pipe now */
			if (p->err)
				exec_err_read(l, p->err);
			exec_err_text(p, buf, STDERR_MAX + 3);
			if (WIFEXITED(status))
				snprintf(why, sizeof(why), "command exited with %d%s", WEXITSTATUS(status), buf);
			else
				snprintf(why, sizeof(why), "command killed by signal %d%s", WTERMSIG(status), buf);
			probe_finish(l, p, false, why);
		}
		return;
	default:
		(void)events;
		return;
	}
}

static void curl_check_done(struct hloop *l)
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

/* ---- the loop ------------------------------------------------------------------- */

/*
 * libcurl (and the TLS library it loads) only once an HTTP, HTTPS or TLS
 * probe, or a DNS name, needs it: a daemon of TCP probes does without.
 */
static int curl_ready(struct hloop *l)
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

static void free_dead(struct hloop *l)
{
	struct curl_sock *cs;
	struct exec_err *e;

	while ((cs = l->dead)) {
		l->dead = cs->next_dead;
		free(cs);
	}
	while ((e = l->dead_err)) {
		l->dead_err = e->next_dead;
		free(e);
	}
}

struct hloop *hloop_new(probe_done_fn done, void *arg)
{
	struct hloop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		hloop_free(l);
		return NULL;
	}
	l->done = done;
	l->arg = arg;
	l->rng = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid() ^ 1;
	return l;
}

void hloop_free(struct hloop *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		probe_cleanup(l, l->heap[i]);
		free(l->heap[i]);
	}
	free(l->heap);
	/* killed commands not reaped yet are not waited for: init reaps them */
	while (l->reaps)
		reap_free(l, l->reaps);
	free(l->user.groups);
	for (i = 0; i < l->nwatches; i++)
		free(l->watches[i]);
	free(l->watches);
	if (l->multi) {
		curl_multi_cleanup(l->multi);
		curl_global_cleanup();
	}
	free_dead(l);
	if (l->ep >= 0)
		close(l->ep);
	free(l);
}

int hloop_add(struct hloop *l, struct probe *p)
{
	p->tag.kind = T_PROBE;
	p->fd = -1;
	p->pid = 0;
	p->curl = NULL;
	p->err = NULL;
	p->body_found = false;
	p->running = false;
	p->removed = false;
	/* spread the first probes over an interval */
	p->due_ms = now_ms() + rnd(l) % (p->spec->interval_ms + 1);
	return heap_push(l, p);
}

void hloop_remove(struct hloop *l, struct probe *p)
{
	if (p->running) {
		p->removed = true;	/* freed when it finishes, at its deadline */
		return;
	}
	heap_del(l, p);
	free(p);
}

int hloop_watch(struct hloop *l, int fd, void (*fn)(int fd, void *arg), void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct watch *w = calloc(1, sizeof(*w)), **v;

	if (!w)
		return -ENOMEM;
	v = realloc(l->watches, (l->nwatches + 1) * sizeof(*v));
	if (!v) {
		free(w);
		return -ENOMEM;
	}
	l->watches = v;
	w->tag.kind = T_WATCH;
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev)) {
		free(w);
		return -errno;
	}
	l->watches[l->nwatches++] = w;
	return 0;
}

int hloop_set_probe_user(struct hloop *l, const char *user, char *why, size_t len)
{
	struct passwd pw, *pwp = NULL;
	struct probe_user u = { .set = true, .cap_last = 63 };
	char buf[4096], *end;
	unsigned long num;
	FILE *f;
	int n = 64, err;

	err = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (!pwp && !err && user[0] >= '0' && user[0] <= '9') {
		/* a number with no name: that uid, gid the same, no groups */
		errno = 0;
		num = strtoul(user, &end, 10);
		if (*end || errno || num >= (uid_t)-1) {
			snprintf(why, len, "probe user '%s': no such user", user);
			return -EINVAL;
		}
		u.uid = (uid_t)num;
		u.gid = (gid_t)num;
		u.ngroups = 0;
		u.groups = malloc(sizeof(gid_t));
		if (!u.groups)
			return -ENOMEM;
		u.groups[0] = u.gid;
		goto done;
	}
	if (!pwp) {
		snprintf(why, len, "probe user '%s': %s", user, err ? strerror(err) : "no such user");
		return err ? -err : -EINVAL;
	}
	u.uid = pw.pw_uid;
	u.gid = pw.pw_gid;
	for (;;) {
		int want = n;

		u.groups = malloc((size_t)n * sizeof(gid_t));
		if (!u.groups)
			return -ENOMEM;
		if (getgrouplist(pw.pw_name, pw.pw_gid, u.groups, &want) >= 0) {
			u.ngroups = want;
			break;
		}
		free(u.groups);
		u.groups = NULL;
		if (want <= n)
			return -EINVAL;
		n = want;
	}
done:
	/*
	 * The child needs CAP_SETUID, CAP_SETGID (the switch) and CAP_SETPCAP
	 * (to empty its bounding set): without them every exec probe would
	 * fail at run time, so the daemon refuses to start instead.
	 */
	f = fopen("/proc/self/status", "re");
	if (f) {
		unsigned long long eff = ~0ULL;
		char line[256];

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				break;
		fclose(f);
		if ((eff & 0x1c0) != 0x1c0) {	/* bits 6, 7, 8 */
			free(u.groups);
			snprintf(why, len,
				 "probe user '%s': the daemon lacks CAP_SETGID, CAP_SETUID or CAP_SETPCAP to switch to it (a systemd unit must name them in CapabilityBoundingSet)",
				 user);
			return -EPERM;
		}
	}
	/* the capabilities the kernel knows, to empty the bounding set */
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &n) == 1 && n >= 0 && n < 1024)
			u.cap_last = n;
		fclose(f);
	}
	free(l->user.groups);
	l->user = u;
	return 0;
}

void hloop_stop(struct hloop *l)
{
	l->stop = true;
}

int hloop_run(struct hloop *l)
{
	struct epoll_event evs[256];
	struct reap *r, *next;
	int n, i, running;

	l->stop = false;
	while (!l->stop) {
		uint64_t now = now_ms(), due = UINT64_MAX;
		int timeout = -1;

		if (l->n)
			due = l->heap[0]->due_ms;
		if (l->curl_due && l->curl_due < due)
			due = l->curl_due;
		for (r = l->reaps; r; r = r->next)
			if (r->polled && r->due_ms < due)
				due = r->due_ms;
		if (due != UINT64_MAX) {
			/* wake on a BATCH_MS grid: probes due close together start
			 * (and time out) in one pass, not one wakeup each
			 */
			due = (due + BATCH_MS - 1) / BATCH_MS * BATCH_MS;
			timeout = due > now ? (int)(due - now > 60000 ? 60000 : due - now) : 0;
		}
		n = epoll_wait(l->ep, evs, 256, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !l->stop; i++) {
			struct hl_tag *t = evs[i].data.ptr;

			if (t->kind == T_PROBE) {
				probe_event(l, (struct probe *)t, evs[i].events);
			} else if (t->kind == T_STDERR) {
				exec_err_read(l, (struct exec_err *)t);
			} else if (t->kind == T_REAP) {
				reap_try(l, (struct reap *)t, now_ms());
			} else if (t->kind == T_CURL) {
				int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
					    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
					    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

				if (((struct curl_sock *)t)->fd < 0)
					continue;	/* closed earlier in this batch */
				curl_multi_socket_action(l->multi, ((struct curl_sock *)t)->fd, flags,
							 &running);
				curl_check_done(l);
			} else {
				struct watch *w = (struct watch *)t;

				w->fn(w->fd, w->arg);
			}
		}
		free_dead(l);
		now = now_ms();
		for (r = l->reaps; r; r = next) {
			next = r->next;
			if (r->polled && r->due_ms <= now)
				reap_try(l, r, now);
		}
		if (l->multi && l->curl_due && l->curl_due <= now) {
			l->curl_due = 0;
			curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
			curl_check_done(l);
		}
		/* due probes: start the idle ones, time out the running ones */
		while (!l->stop && l->n && l->heap[0]->due_ms <= now) {
			struct probe *p = l->heap[0];

			if (p->running)
				probe_due(l, p, now);
			else
				probe_start(l, p);
		}
	}
	return 0;
}
