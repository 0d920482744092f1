// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the health probe loop (see loop.h).
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
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/array.h"
#include "base/clock.h"
#include "health/internal.h"

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
	struct probe **v = array_room(l->heap, l->n, &l->cap, sizeof(*v), 256);

	if (!v)
		return -ENOMEM;
	l->heap = v;
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

void reschedule(struct hloop *l, struct probe *p, uint64_t due)
{
	p->due_ms = due;
	heap_fix(l, p->heap_idx);
}

/* ---- probes ------------------------------------------------------------------ */

void probe_target(const struct probe *p, int *af, uint8_t *addr, uint16_t *port)
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

void probe_cleanup(struct hloop *l, struct probe *p)
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

void probe_finish(struct hloop *l, struct probe *p, bool ok, const char *why)
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

int probe_watch(struct hloop *l, struct probe *p, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = p };

	p->fd = fd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void probe_event(struct hloop *l, struct probe *p, uint32_t events);

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
			char text[STDERR_MAX + 3];

			/* what it wrote before it exited is in the pipe now */
			if (p->err)
				exec_err_read(l, p->err);
			exec_err_text(p, text, sizeof(text));
			if (WIFEXITED(status))
				snprintf(why, sizeof(why), "command exited with %d%s", WEXITSTATUS(status), text);
			else
				snprintf(why, sizeof(why), "command killed by signal %d%s", WTERMSIG(status), text);
			probe_finish(l, p, false, why);
		}
		return;
	default:
		(void)events;
		return;
	}
}

/* ---- the loop ------------------------------------------------------------------- */

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

