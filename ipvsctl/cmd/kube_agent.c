// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube run: the node agent (kube_agent.h says who does what).
 *
 * Watchers follow client-go's reflector (facts from its documentation and
 * Kubernetes' "API Concepts"): list, then watch from the list's resource
 * version with bookmarks and a random timeout of 5 to 10 minutes; a clean
 * end of the watch is watched again from the last version seen; 410 (as
 * an HTTP status or an ERROR event) lists again, and the cache's relist
 * turns what vanished meanwhile into deletions; other errors back off
 * (1 s doubling to 30 s, with jitter) and watch again.
 *
 * Syncs, as kube-proxy's: none until both kinds have been listed once (a
 * restart must not delete services it has not heard of yet); then one at
 * most every --min-sync-period after a change, coalescing a burst, and one
 * every --sync-period anyway (IPVS or the table changed by someone else
 * is put back). A failed sync is retried after --min-sync-period doubled
 * up to --sync-period.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd/kube_agent.h"
#include "health/curl.h"
#include "kube/nftlib.h"

void ka_log(const struct agent *ag, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: kube: %s\n", ag->c->prog, msg);
}

static void wake(struct agent *ag)
{
	uint64_t one = 1;

	if (write(ag->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the main thread is awake anyway */
	}
}

/* ---- watchers (their own threads) ---------------------------------------- */

static const char *const kind_name[] = { "Services", "EndpointSlices" };

/* sleep @ms, or less if stopped */
static void nap(const struct agent *ag, unsigned int ms)
{
	while (ms && !__atomic_load_n(&ag->stop, __ATOMIC_RELAXED)) {
		unsigned int step = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static unsigned int backoff_ms(unsigned int *n)
{
	unsigned int ms = 1000u << (*n < 5 ? *n : 5);

	if (ms > 30000)
		ms = 30000;
	if (*n < 10)
		(*n)++;
	/* jitter: 50% to 100% */
	return ms / 2 + (unsigned int)random() % (ms / 2 + 1);
}

static void on_bad(const char *name, const char *why, void *arg)
{
	struct ka_watcher *t = arg;

	/* called under mu by kube_cache_replace */
	t->ag->bad++;
	ka_log(t->ag, "%s: %s (skipped)", name, why);
}

static int on_event(enum kube_event ev, json_object *obj, void *arg)
{
	struct ka_watcher *t = arg;
	struct agent *ag = t->ag;
	char why[512];
	int r;

	pthread_mutex_lock(&ag->mu);
	r = kube_cache_event(&ag->cache, t->kind, ev, obj, why, sizeof(why));
	ag->events[t->kind]++;
	if (r == -EINVAL)
		ag->bad++;
	pthread_mutex_unlock(&ag->mu);
	if (r == 1)
		wake(ag);
	else if (r == -EINVAL) {
		char name[KUBE_NS_MAX + KUBE_NAME_MAX + 2];

		/* the name as the API gives it only if it is a valid one:
		 * a refused object's may hold anything, control characters too
		 */
		kube_object_name(obj, name, sizeof(name));
		ka_log(ag, "%s %s: %s (skipped; the last good version, if any, is kept)",
		       kind_name[t->kind], name, why);
	}
	return r == -ENOMEM ? -ENOMEM : 0;
}

static int list_once(struct ka_watcher *t, char *rv, size_t rvlen)
{
	struct agent *ag = t->ag;
	size_t added = 0, changed = 0, deleted = 0;
	json_object *items;
	char why[512];
	int err;

	err = kube_api_list(&t->api, t->path, &items, rv, rvlen, &ag->stop, why, sizeof(why));
	if (err == -EINTR)
		return err;
	if (err) {
		ka_log(ag, "list %s: %s", kind_name[t->kind], why);
		return err;
	}
	pthread_mutex_lock(&ag->mu);
	err = kube_cache_replace(&ag->cache, t->kind, items, on_bad, t, &added, &changed, &deleted);
	if (!err) {
		ag->listed[t->kind] = true;
		ag->relists[t->kind]++;
	}
	pthread_mutex_unlock(&ag->mu);
	json_object_put(items);
	if (err) {
		ka_log(ag, "list %s: out of memory", kind_name[t->kind]);
		return err;
	}
	ka_log(ag, "listed %s at version %s: %zu added, %zu changed, %zu deleted", kind_name[t->kind],
	       rv, added, changed, deleted);
	wake(ag);
	return 0;
}

/* watch from @rv until the version expires (list again) or stop; true if
 * the watches delivered anything (an event or a bookmark)
 */
static bool watch_loop(struct ka_watcher *t, const char *rv)
{
	struct agent *ag = t->ag;
	struct kube_watch w;
	unsigned int fails = 0;
	bool progress = false;
	char why[512], keep[KUBE_RV_MAX];
	int err;

	if (kube_watch_init(&w, rv, on_event, t))
		return false;
	while (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED)) {
		unsigned int timeout = 300 + (unsigned int)random() % 300;

		err = kube_api_watch(&t->api, t->path, &w, timeout, &ag->stop, why, sizeof(why));
		progress |= w.events || w.bookmarks;
		if (err == -EINTR || __atomic_load_n(&ag->stop, __ATOMIC_RELAXED))
			break;
		if (err == -ESTALE) {
			ka_log(ag, "watch %s: %s: listing again", kind_name[t->kind], why);
			break;
		}
		if (!err) {
			fails = 0;
			continue;
		}
		pthread_mutex_lock(&ag->mu);
		ag->watch_errors[t->kind]++;
		pthread_mutex_unlock(&ag->mu);
		ka_log(ag, "watch %s: %s", kind_name[t->kind], why);
		/* a stream that is not one, or an event too large: its
		 * version cannot be trusted; list again
		 */
		if (err == -EPROTO || err == -EMSGSIZE)
			break;
		nap(ag, backoff_ms(&fails));
		/* the parser may hold half an event: a fresh one, same version */
		snprintf(keep, sizeof(keep), "%s", w.rv);
		kube_watch_free(&w);
		if (kube_watch_init(&w, keep, on_event, t))
			return progress;
	}
	kube_watch_free(&w);
	return progress;
}

/* List, then watch; again on 410 or a broken stream. The backoff runs
 * across lists: it starts again only once a watch delivered something,
 * so that a server that answers every watch with 410 (or a stream that
 * cannot be read) is not listed in a tight loop by every node.
 */
static void *watcher(void *arg)
{
	struct ka_watcher *t = arg;
	struct agent *ag = t->ag;
	unsigned int fails = 0;
	char rv[KUBE_RV_MAX];

	while (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED)) {
		if (list_once(t, rv, sizeof(rv))) {
			nap(ag, backoff_ms(&fails));
			continue;
		}
		if (watch_loop(t, rv))
			fails = 0;
		else if (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED))
			nap(ag, backoff_ms(&fails));
	}
	return NULL;
}

/* ---- the main thread ------------------------------------------------------ */

static uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

/* with hmu held */
static void observe(struct agent *ag, double secs)
{
	size_t i;

	for (i = 0; i < KA_BUCKETS; i++)
		if (secs <= 0.001 * (double)(1u << i))
			ag->hist[i]++;
	ag->hist[KA_BUCKETS]++;
	ag->hist_sum += secs;
}

/* translate the cache, under the lock; the rest outside it */
static int sync_now(struct agent *ag)
{
	struct kube_service *sv = NULL;
	struct kube_slice *sl = NULL;
	struct kube_sync_res res;
	struct kube_out out;
	unsigned long gen;
	uint64_t t0 = ka_now_ms();
	size_t nsvcs = 0, nslices = 0;
	char *text = NULL;
	int err;

	pthread_mutex_lock(&ag->mu);
	gen = ag->cache.gen;
	err = kube_cache_view(&ag->cache, &sv, &sl);
	if (!err) {
		nsvcs = ag->cache.nsvcs;
		nslices = ag->cache.nslices;
		err = kube_translate(&ag->node, sv, nsvcs, sl, nslices, &out);
		if (!err) {
			err = kube_nft_text(ag->so, &out, sv, nsvcs, &text);
			if (err)
				kube_out_free(&out);
		}
	}
	pthread_mutex_unlock(&ag->mu);
	free(sv);
	free(sl);
	if (err) {
		ka_log(ag, "sync: out of memory; nothing was changed");
		return err;
	}
	err = kube_sync_apply(ag->c, ag->so, &out, text, &res);
	free(text);
	if (!err) {
		ka_hc_publish(ag, out.hcs, out.nhcs);
		ag->synced_gen = gen;
	}
	pthread_mutex_lock(&ag->hmu);
	if (!err) {
		ag->services = out.services;
		ag->no_local_int = out.no_local_int;
		ag->no_local_ext = out.no_local_ext;
	} else if (res.failed_step == KUBE_STEP_NFT) {
		ag->nft_failures++;
	}
	ag->ct_deleted += res.ct_deleted;
	ag->ct_failures += res.ct_failed;
	observe(ag, (double)(ka_now_ms() - t0) / 1000.0);
	pthread_mutex_unlock(&ag->hmu);
	/* "at": the agent's own clock, from its start (a test reads the
	 * spacing of failed syncs from it)
	 */
	ka_log(ag, "sync %s: %zu Services, %zu EndpointSlices, %zu IPVS changes, %zu address changes, "
	       "%zu stale UDP entries cleared, %llu ms (at %llu ms)", err ? "FAILED" : "done", nsvcs,
	       nslices, res.ipvs_changes, res.vip_changes, res.ct_deleted,
	       (unsigned long long)(ka_now_ms() - t0), (unsigned long long)(t0 - ag->start_ms));
	kube_out_free(&out);
	return err;
}

/* when the next sync is due: a change waits --min-sync-period after the
 * last sync (coalescing a burst); without one, --sync-period (or a failed
 * sync's backoff)
 */
static uint64_t due_ms(struct agent *ag, bool *listed)
{
	uint64_t due = ag->next_sync_ms;
	unsigned long gen;

	pthread_mutex_lock(&ag->mu);
	gen = ag->cache.gen;
	*listed = ag->listed[KUBE_SERVICES] && ag->listed[KUBE_SLICES];
	pthread_mutex_unlock(&ag->mu);
	if (!*listed)
		return UINT64_MAX;
	if (!ag->have_synced || gen != ag->synced_gen) {
		if (!ag->pending_since_ms) {
			pthread_mutex_lock(&ag->hmu);
			ag->pending_since_ms = ka_now_ms();
			ag->last_queued_wall_s = wall_s();
			pthread_mutex_unlock(&ag->hmu);
		}
		/* after a failure, the backoff (next_sync_ms) stands: a change
		 * does not bring the retry forward
		 */
		if (!ag->fail_streak && ag->last_sync_ms + ag->min_sync_ms < due)
			due = ag->last_sync_ms + ag->min_sync_ms;
	}
	return due;
}

static void maybe_sync(struct agent *ag)
{
	unsigned int shift;
	uint64_t d, t0;
	bool listed;
	int err;

	ag->due = due_ms(ag, &listed);
	if (!listed || ka_now_ms() < ag->due)
		return;
	pthread_mutex_lock(&ag->hmu);
	ag->syncs++;
	pthread_mutex_unlock(&ag->hmu);
	t0 = ka_now_ms();
	err = sync_now(ag);
	ag->last_sync_ms = ka_now_ms();
	if (err) {
		pthread_mutex_lock(&ag->hmu);
		ag->sync_failures++;
		pthread_mutex_unlock(&ag->hmu);
		shift = ag->fail_streak < 5 ? ag->fail_streak : 5;
		ag->fail_streak++;
		/* 1 s (or --min-sync-period if longer) doubling, to --sync-period */
		d = (uint64_t)(ag->min_sync_ms > 1000 ? ag->min_sync_ms : 1000) << shift;
		ag->next_sync_ms = ag->last_sync_ms + (d < ag->sync_ms ? d : ag->sync_ms);
	} else {
		unsigned long gen;

		ag->fail_streak = 0;
		ag->have_synced = true;
		ag->next_sync_ms = ag->last_sync_ms + ag->sync_ms;
		/* what the sync applied is no longer pending; a change that came
		 * during it has waited since the sync began at most
		 */
		pthread_mutex_lock(&ag->mu);
		gen = ag->cache.gen;
		pthread_mutex_unlock(&ag->mu);
		pthread_mutex_lock(&ag->hmu);
		ag->last_ok_wall_s = wall_s();
		ag->pending_since_ms = gen == ag->synced_gen ? 0 : t0;
		pthread_mutex_unlock(&ag->hmu);
	}
	ag->due = due_ms(ag, &listed);
}

static int start_watchers(struct agent *ag, const struct kube_api *api)
{
	static const char *const paths[] = {
		"/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices",
	};
	sigset_t all, old;
	int i, err = 0;

	/* the threads take no signal: the main thread's signalfd has them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < 2 && !err; i++) {
		ag->w[i].ag = ag;
		ag->w[i].kind = (enum kube_kind)i;
		ag->w[i].path = paths[i];
		ag->w[i].api = *api;
		err = -pthread_create(&ag->w[i].th, NULL, watcher, &ag->w[i]);
		ag->w[i].started = !err;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static void stop_watchers(struct agent *ag)
{
	int i;

	__atomic_store_n(&ag->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		if (ag->w[i].started)
			pthread_join(ag->w[i].th, NULL);
}

/* the main loop: wake-ups from the watchers, signals, and the next sync's
 * time (the HTTP thread serves the sockets)
 */
static int loop(struct agent *ag)
{
	struct pollfd p[2] = {
		{ .fd = ag->efd, .events = POLLIN },
		{ .fd = ag->sfd, .events = POLLIN },
	};

	while (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED)) {
		uint64_t now = ka_now_ms(), wait = 1000;

		if (ag->due > now && ag->due - now < wait)
			wait = ag->due - now;
		else if (ag->due <= now)
			wait = 0;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, (int)wait) < 0 && errno != EINTR)
			return EXIT_FAIL;
		if (p[0].revents) {
			uint64_t v;

			if (read(ag->efd, &v, sizeof(v)) < 0) {
				/* nothing to read: another wake-up raced */
			}
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(ag->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				ka_log(ag, "signal %u: stopping (IPVS and the table stay as they are)",
				       si.ssi_signo);
			__atomic_store_n(&ag->stop, 1, __ATOMIC_RELAXED);
		}
		if (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED))
			maybe_sync(ag);
	}
	return EXIT_OK;
}

int kube_run(struct ctx *c, const struct kube_run_opts *ro)
{
	struct agent *ag = calloc(1, sizeof(*ag));
	sigset_t sigs;
	char why[512] = "";
	int rc = EXIT_FAIL;

	if (!ag)
		return EXIT_FAIL;
	ag->c = c;
	ag->so_own = *ro->so;
	ag->so_own.udp_digest = &ag->udp_digest;
	ag->so = &ag->so_own;
	ag->node = *ro->node;
	ag->min_sync_ms = ro->min_sync_ms;
	ag->sync_ms = ro->sync_ms;
	ag->efd = ag->sfd = ag->healthz_fd = ag->metrics_fd = -1;
	ag->due = UINT64_MAX;
	ag->start_ms = ka_now_ms();
	pthread_mutex_init(&ag->mu, NULL);
	pthread_mutex_init(&ag->hmu, NULL);
	kube_cache_init(&ag->cache, ro->node_name);
	srandom((unsigned int)(getpid() ^ time(NULL)));
	/* curl_global_init before any thread: curl_easy_init would do it
	 * lazily, and it is not thread-safe (libcurl's documentation)
	 */
	if (curl_load(why, sizeof(why)) || curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "%s: kube: %s\n", c->prog, why[0] ? why : "libcurl: global init failed");
		rc = EXIT_UNAVAIL;
		goto out;
	}
	/* no service without its table (source ranges, masquerading): a node
	 * that cannot change nftables is told now, not at every sync
	 */
	{
		struct nftlib *lib;
		int err = nftlib_open(&lib, why, sizeof(why));

		nftlib_close(lib);
		if (err) {
			fprintf(stderr, "%s: kube: %s\n", c->prog, why);
			rc = err == -EPERM ? EXIT_PERM : EXIT_UNAVAIL;
			goto out;
		}
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	ag->sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	ag->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ag->sfd < 0 || ag->efd < 0) {
		fprintf(stderr, "%s: kube: %s\n", c->prog, strerror(errno));
		goto out;
	}
	if (ro->healthz_addr && *ro->healthz_addr) {
		ag->healthz_fd = ka_listen(ro->healthz_addr, why, sizeof(why));
		if (ag->healthz_fd < 0) {
			fprintf(stderr, "%s: kube: --healthz-bind-address %s: %s\n", c->prog,
				ro->healthz_addr, why);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (ro->metrics_addr && *ro->metrics_addr) {
		ag->metrics_fd = ka_listen(ro->metrics_addr, why, sizeof(why));
		if (ag->metrics_fd < 0) {
			fprintf(stderr, "%s: kube: --metrics-bind-address %s: %s\n", c->prog,
				ro->metrics_addr, why);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (ka_http_start(ag)) {
		fprintf(stderr, "%s: kube: cannot start the HTTP thread\n", c->prog);
		goto out;
	}
	if (start_watchers(ag, ro->api)) {
		fprintf(stderr, "%s: kube: cannot start the watchers\n", c->prog);
		goto out;
	}
	ka_log(ag, "running as node %s, API server %s", ro->node_name, ro->api->server);
	rc = loop(ag);
out:
	stop_watchers(ag);
	ka_http_stop(ag);
	if (ag->efd >= 0)
		close(ag->efd);
	if (ag->sfd >= 0)
		close(ag->sfd);
	kube_cache_free(&ag->cache);
	pthread_mutex_destroy(&ag->mu);
	pthread_mutex_destroy(&ag->hmu);
	free(ag);
	return rc;
}
