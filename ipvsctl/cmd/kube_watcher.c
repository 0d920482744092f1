// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube run: the watchers, one thread per kind (kube_agent.h says
 * who does what). Each lists, then watches from the list's resource
 * version, writing the cache under ag->mu and waking the main thread;
 * kube_agent.c's header says how they follow client-go's reflector.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/kube_agent.h"

static void wake(struct agent *ag)
{
	uint64_t one = 1;

	if (write(ag->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the main thread is awake anyway */
	}
}

/* ---- watchers (their own threads) ---------------------------------------- */

static const char *const kind_name[] = { "Services", "EndpointSlices", "Nodes" };

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
	bool changed;
	int r;

	if (t->kind == KA_NODES) {
		ka_node_event(ag, ev, obj, &changed);
		if (changed)
			wake(ag);
		return 0;
	}
	pthread_mutex_lock(&ag->mu);
	r = kube_cache_event(&ag->cache, (enum kube_kind)t->kind, ev, obj, why, sizeof(why));
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
	if (err == -EACCES && t->kind == KA_NODES) {
		/* a role from before the Node was watched: said once; the
		 * agent runs on without it (ClusterCIDR mode does not need it)
		 */
		if (!t->denied)
			ka_log(ag, "list Nodes: %s: the node is not watched (its role needs nodes "
			       "list and watch: examples/kube-proxy/ipvsctl-kube.yaml); trying again "
			       "every 5 minutes", why);
		t->denied = true;
		return err;
	}
	if (err) {
		ka_log(ag, "list %s: %s", kind_name[t->kind], why);
		return err;
	}
	if (t->kind == KA_NODES) {
		err = ka_node_listed(ag, items);
		json_object_put(items);
		/* the first list of it may be what the first sync waits for */
		wake(ag);
		return err;
	}
	pthread_mutex_lock(&ag->mu);
	err = kube_cache_replace(&ag->cache, (enum kube_kind)t->kind, items, on_bad, t, &added,
				 &changed, &deleted);
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
		int err = list_once(t, rv, sizeof(rv));

		if (err) {
			nap(ag, err == -EACCES && t->kind == KA_NODES ? 300000 : backoff_ms(&fails));
			continue;
		}
		if (watch_loop(t, rv))
			fails = 0;
		else if (!__atomic_load_n(&ag->stop, __ATOMIC_RELAXED))
			nap(ag, backoff_ms(&fails));
	}
	return NULL;
}

int ka_watchers_start(struct agent *ag, const struct kube_api *api)
{
	static const char *const paths[KA_KINDS] = {
		"/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/nodes",
	};
	sigset_t all, old;
	int i, err = 0;

	/* the threads take no signal: the main thread's signalfd has them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < KA_KINDS && !err; i++) {
		ag->w[i].ag = ag;
		ag->w[i].kind = i;
		ag->w[i].path = paths[i];
		ag->w[i].api = *api;
		/* this node alone (a node name needs no escaping but '=') */
		if (i == KA_NODES)
			snprintf(ag->w[i].api.selector, sizeof(ag->w[i].api.selector),
				 "fieldSelector=metadata.name%%3D%s", ag->cache.node);
		err = -pthread_create(&ag->w[i].th, NULL, watcher, &ag->w[i]);
		ag->w[i].started = !err;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

void ka_watchers_stop(struct agent *ag)
{
	int i;

	__atomic_store_n(&ag->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < KA_KINDS; i++)
		if (ag->w[i].started)
			pthread_join(ag->w[i].th, NULL);
}

