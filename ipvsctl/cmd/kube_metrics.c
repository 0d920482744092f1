// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube run: /metrics, in Prometheus' text format. The names of
 * kube-proxy's metrics where one means the same (kubeproxy_..., from
 * pkg/proxy/metrics: dashboards and alerts keep working), ipvsctl_kube_...
 * for the rest.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/kube_agent.h"

static void counter(FILE *f, const char *name, const char *help, const char *type)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *ka_metrics_text(struct agent *ag, size_t *len)
{
	static const char *const kinds[KA_KINDS] = { "services", "endpointslices", "nodes" };
	uint64_t events[KA_KINDS], relists[KA_KINDS], werr[KA_KINDS], bad;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	size_t i;

	if (!f)
		return NULL;
	pthread_mutex_lock(&ag->mu);
	for (i = 0; i < KA_KINDS; i++) {
		events[i] = ag->events[i];
		relists[i] = ag->relists[i];
		werr[i] = ag->watch_errors[i];
	}
	bad = ag->bad;
	pthread_mutex_unlock(&ag->mu);

	counter(f, "kubeproxy_sync_proxy_rules_duration_seconds",
		"SyncProxyRules latency in seconds", "histogram");
	for (i = 0; i < KA_BUCKETS; i++)
		fprintf(f, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"%g\"} %llu\n",
			0.001 * (double)(1u << i), (unsigned long long)ag->hist[i]);
	fprintf(f, "kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
		(unsigned long long)ag->hist[KA_BUCKETS]);
	fprintf(f, "kubeproxy_sync_proxy_rules_duration_seconds_sum %.6f\n", ag->hist_sum);
	fprintf(f, "kubeproxy_sync_proxy_rules_duration_seconds_count %llu\n",
		(unsigned long long)ag->hist[KA_BUCKETS]);
	counter(f, "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
		"The last time proxy rules were successfully synced", "gauge");
	fprintf(f, "kubeproxy_sync_proxy_rules_last_timestamp_seconds %llu\n",
		(unsigned long long)ag->last_ok_wall_s);
	counter(f, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
		"The last time a sync of proxy rules was queued", "gauge");
	fprintf(f, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds %llu\n",
		(unsigned long long)ag->last_queued_wall_s);
	counter(f, "kubeproxy_sync_proxy_rules_no_local_endpoints_total",
		"Services with a Local traffic policy and no local endpoint", "gauge");
	fprintf(f, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} %zu\n",
		ag->no_local_int);
	fprintf(f, "kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"} %zu\n",
		ag->no_local_ext);
	counter(f, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total",
		"Syncs whose nftables transaction failed", "counter");
	fprintf(f, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total %llu\n",
		(unsigned long long)ag->nft_failures);
	counter(f, "kubeproxy_proxy_healthz_total", "/healthz answers by code", "counter");
	fprintf(f, "kubeproxy_proxy_healthz_total{code=\"200\"} %llu\n",
		(unsigned long long)ag->healthz[0]);
	fprintf(f, "kubeproxy_proxy_healthz_total{code=\"503\"} %llu\n",
		(unsigned long long)ag->healthz[1]);
	counter(f, "kubeproxy_proxy_livez_total", "/livez answers by code", "counter");
	fprintf(f, "kubeproxy_proxy_livez_total{code=\"200\"} %llu\n", (unsigned long long)ag->livez[0]);
	fprintf(f, "kubeproxy_proxy_livez_total{code=\"503\"} %llu\n", (unsigned long long)ag->livez[1]);
	counter(f, "ipvsctl_kube_syncs_total", "Syncs started", "counter");
	fprintf(f, "ipvsctl_kube_syncs_total %llu\n", (unsigned long long)ag->syncs);
	counter(f, "ipvsctl_kube_full_syncs_total",
		"Syncs done that read and rewrote everything (the rest applied only what changed)",
		"counter");
	fprintf(f, "ipvsctl_kube_full_syncs_total %llu\n", (unsigned long long)ag->full_syncs);
	counter(f, "ipvsctl_kube_sync_failures_total", "Syncs that failed (retried)", "counter");
	fprintf(f, "ipvsctl_kube_sync_failures_total %llu\n", (unsigned long long)ag->sync_failures);
	counter(f, "ipvsctl_kube_conntrack_deleted_total",
		"Stale UDP conntrack entries of removed endpoints deleted", "counter");
	fprintf(f, "ipvsctl_kube_conntrack_deleted_total %llu\n", (unsigned long long)ag->ct_deleted);
	counter(f, "ipvsctl_kube_conntrack_failures_total", "Conntrack cleanups that failed (retried)",
		"counter");
	fprintf(f, "ipvsctl_kube_conntrack_failures_total %llu\n", (unsigned long long)ag->ct_failures);
	counter(f, "ipvsctl_kube_services", "Services given a front end at the last sync", "gauge");
	fprintf(f, "ipvsctl_kube_services %zu\n", ag->services);
	counter(f, "ipvsctl_kube_healthcheck_ports", "healthCheckNodePort servers", "gauge");
	fprintf(f, "ipvsctl_kube_healthcheck_ports %zu\n", ag->nhcs);
	counter(f, "ipvsctl_kube_watch_events_total", "Watch events taken, by kind", "counter");
	for (i = 0; i < KA_KINDS; i++)
		fprintf(f, "ipvsctl_kube_watch_events_total{kind=\"%s\"} %llu\n", kinds[i],
			(unsigned long long)events[i]);
	counter(f, "ipvsctl_kube_lists_total", "Full lists (the first, and after 410 Gone)", "counter");
	for (i = 0; i < KA_KINDS; i++)
		fprintf(f, "ipvsctl_kube_lists_total{kind=\"%s\"} %llu\n", kinds[i],
			(unsigned long long)relists[i]);
	counter(f, "ipvsctl_kube_watch_errors_total", "Watches that ended in an error", "counter");
	for (i = 0; i < KA_KINDS; i++)
		fprintf(f, "ipvsctl_kube_watch_errors_total{kind=\"%s\"} %llu\n", kinds[i],
			(unsigned long long)werr[i]);
	counter(f, "ipvsctl_kube_objects_refused_total", "Objects that did not parse (skipped)",
		"counter");
	fprintf(f, "ipvsctl_kube_objects_refused_total %llu\n", (unsigned long long)bad);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
