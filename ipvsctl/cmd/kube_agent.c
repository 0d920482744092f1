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
 * restart must not delete services it has not heard of yet; with
 * --detect-local-mode NodeCIDR, until the Node has pod CIDRs); then one at
 * most every --min-sync-period after a change, coalescing a burst, and one
 * every --sync-period anyway. A sync is a partial one (kube.h, struct
 * kube_incr: only what changed), but for the first, one every
 * --full-sync-period, the one after a failure, and one whose cheap checks
 * found something changed under it (kube_sync_unchanged(), the canary):
 * those read everything and put right what someone else changed, as
 * kube-proxy's iptables and nftables modes do once an hour. A failed sync
 * is retried after --min-sync-period doubled up to --sync-period.
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

/* what a sync did to the table, for its log line */
static const char *nft_what(const struct kube_sync_res *r)
{
	static __thread char buf[48];

	if (r->nft_replaced)
		return "(replaced)";
	if (r->nft_skipped || !r->nft_elems)
		return "(unchanged)";
	snprintf(buf, sizeof(buf), "(%zu elements)", r->nft_elems);
	return buf;
}

/* translate the cache, under the lock; the rest outside it */
static int sync_now(struct agent *ag)
{
	struct kube_service *sv = NULL;
	struct kube_slice *sl = NULL;
	struct kube_sync_res res = { 0 };
	struct kube_out out = { 0 };
	struct kube_table t = { 0 };
	unsigned long gen;
	uint64_t t0 = ka_now_ms(), t1 = t0;
	size_t nsvcs = 0, nslices = 0;
	bool translated = false, addrs = false;
	int err = 0;

	pthread_mutex_lock(&ag->mu);
	gen = ag->cache.gen;
	nsvcs = ag->cache.nsvcs;
	nslices = ag->cache.nslices;
	pthread_mutex_unlock(&ag->mu);
	/* the node's addresses, which the node ports follow (kube-proxy's
	 * IPVS mode reads them at each sync too)
	 */
	if (ag->np_auto)
		ka_node_addrs_refresh(ag);
	addrs = ag->np_dirty;
	/* the cache as the last sync applied it: read what may have changed
	 * under it (outside the lock: netlink round trips), and apply
	 * nothing if nothing did (the periodic sync of an idle node)
	 */
	if (!ag->incr.full && gen == ag->synced_gen && !addrs) {
		int u = kube_sync_unchanged(ag->c, ag->so);

		if (!u) {
			res.partial = res.nft_skipped = res.vips_skipped = true;
			goto done;
		}
		if (u == 2)
			ag->incr.full = true;
	}
	pthread_mutex_lock(&ag->mu);
	gen = ag->cache.gen;
	nsvcs = ag->cache.nsvcs;
	nslices = ag->cache.nslices;
	/* --detect-local-mode NodeCIDR: the pods are the node's, as the
	 * Node says now (node_obj is written under mu, gen moved with it)
	 */
	if (ag->node_cidr_mode) {
		memcpy(ag->pod_cidrs, ag->node_obj.pod_cidrs, sizeof(ag->pod_cidrs));
		ag->so_own.nft.pod_cidrs = ag->pod_cidrs;
		ag->so_own.nft.npod_cidrs = ag->node_obj.npod_cidrs;
	}
	err = kube_cache_view(&ag->cache, &sv, &sl);
	if (!err) {
		err = kube_translate(&ag->node, sv, nsvcs, sl, nslices, &out);
		if (!err) {
			err = kube_nft_text(ag->so, &out, sv, nsvcs, &t);
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
	t1 = ka_now_ms();
	translated = true;
	err = kube_sync_apply(ag->c, ag->so, &out, &t, &res);
	free(t.text);
	if (!err) {
		ka_hc_publish(ag, out.hcs, out.nhcs);
		ag->synced_gen = gen;
		ag->np_dirty = false;
	}
done:
	pthread_mutex_lock(&ag->hmu);
	if (!err && translated) {
		ag->services = out.services;
		ag->no_local_int = out.no_local_int;
		ag->no_local_ext = out.no_local_ext;
	} else if (err && res.failed_step == KUBE_STEP_NFT) {
		ag->nft_failures++;
	}
	ag->full_syncs += !res.partial && !err;
	ag->ct_deleted += res.ct_deleted;
	ag->ct_failures += res.ct_failed;
	observe(ag, (double)(ka_now_ms() - t0) / 1000.0);
	pthread_mutex_unlock(&ag->hmu);
	/* "at": the agent's own clock, from its start (a test reads the
	 * spacing of failed syncs from it)
	 */
	ka_log(ag, "%s sync %s: %zu Services, %zu EndpointSlices, %zu IPVS changes (%zu services "
	       "read), %zu address changes, %zu stale UDP entries cleared, %llu ms (at %llu ms; "
	       "translate %llu, nftables %llu %s, IPVS %llu of which reading %llu, addresses %llu%s, "
	       "conntrack %llu)", res.partial ? "partial" : "full", err ? "FAILED" : "done", nsvcs,
	       nslices, res.ipvs_changes, res.svcs_read, res.vip_changes, res.ct_deleted,
	       (unsigned long long)(ka_now_ms() - t0), (unsigned long long)(t0 - ag->start_ms),
	       (unsigned long long)(t1 - t0), (unsigned long long)res.ms_nft, nft_what(&res),
	       (unsigned long long)res.ms_ipvs, (unsigned long long)res.ms_ipvs_read,
	       (unsigned long long)res.ms_vips, res.vips_skipped ? " unchanged" : "",
	       (unsigned long long)res.ms_ct);
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
	/* NodeCIDR: no sync before the node's pod CIDRs are known (every
	 * pod's traffic to a cluster IP would be masqueraded; kube-proxy
	 * waits for them too, and gives up after 5 minutes); once known they
	 * are never taken away (kube_node.c), so a sync that passed this
	 * test finds them
	 */
	*listed = ag->listed[KUBE_SERVICES] && ag->listed[KUBE_SLICES] &&
		  (!ag->node_cidr_mode || ag->node_obj.npod_cidrs);
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
	/* a full sync: the first, then one every --full-sync-period (and
	 * after a failure: kube_sync_apply() knows)
	 */
	ag->incr.full = !ag->have_synced || t0 - ag->last_full_ms >= ag->full_sync_ms;
	err = sync_now(ag);
	if (!err && ag->incr.full)
		ag->last_full_ms = t0;
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
	ag->so_own.incr = &ag->incr;
	ag->full_sync_ms = ro->full_sync_ms;
	ag->so = &ag->so_own;
	ag->node = *ro->node;
	ag->np_auto = ro->np_auto;
	ag->np_cidrs = ro->np_cidrs;
	ag->nnp_cidrs = ro->nnp_cidrs;
	ag->node_cidr_mode = ro->node_cidr_mode;
	ag->node_eligible = 1;
	ag->min_sync_ms = ro->min_sync_ms;
	ag->sync_ms = ro->sync_ms;
	ag->efd = ag->sfd = ag->healthz_fd = ag->metrics_fd = ag->np_nl_fd = -1;
	ag->due = UINT64_MAX;
	ag->start_ms = ka_now_ms();
	pthread_mutex_init(&ag->mu, NULL);
	pthread_mutex_init(&ag->hmu, NULL);
	kube_cache_init(&ag->cache, ro->node_name);
	/* the addresses read at the start are those known: a refresh that
	 * finds others (none, too) changes them
	 */
	if (ag->np_auto && ag->node.n_nodeport_ips) {
		ag->np_ips = malloc(ag->node.n_nodeport_ips * sizeof(*ag->np_ips));
		if (!ag->np_ips)
			goto out;
		memcpy(ag->np_ips, ag->node.nodeport_ips, ag->node.n_nodeport_ips * sizeof(*ag->np_ips));
		ag->nnp_ips = ag->node.n_nodeport_ips;
		ag->node.nodeport_ips = ag->so_own.nft.node_ips = ag->np_ips;
	}
	if (ag->np_auto)
		ag->np_nl_fd = ka_node_addrs_watch();
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
	if (ka_watchers_start(ag, ro->api)) {
		fprintf(stderr, "%s: kube: cannot start the watchers\n", c->prog);
		goto out;
	}
	ka_log(ag, "running as node %s, API server %s", ro->node_name, ro->api->server);
	rc = loop(ag);
out:
	ka_watchers_stop(ag);
	ka_http_stop(ag);
	if (ag->efd >= 0)
		close(ag->efd);
	if (ag->sfd >= 0)
		close(ag->sfd);
	if (ag->np_nl_fd >= 0)
		close(ag->np_nl_fd);
	kube_cache_free(&ag->cache);
	kube_incr_free(&ag->incr);
	free(ag->np_ips);
	pthread_mutex_destroy(&ag->mu);
	pthread_mutex_destroy(&ag->hmu);
	free(ag);
	return rc;
}
