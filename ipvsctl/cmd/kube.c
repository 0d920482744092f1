// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: a node's service proxy, as kube-proxy's IPVS mode, from a
 * cluster's Services and EndpointSlices ("kubectl get services,endpointslices
 * -A -o json", or listed from the API server).
 *   render  prints the IPVS services as commands of the grammar (or with
 *           --nft the nftables table); offline;
 *   sync    applies them once (cmd/kube_sync.c);
 *   cleanup removes what sync made.
 * The node agent (to come) computes the same from its watch.
 */
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "config/units.h"
#include "kube/api.h"
#include "kube/cache.h"
#include "kube/translate.h"

static const char kube_help[] =
	"render: print, as ipvsctl commands, the IPVS services kube-proxy's IPVS\n"
	"mode would give this node for the Services and EndpointSlices in FILE\n"
	"(a JSON List, an array or one object, as 'kubectl get services,endpointslices\n"
	"-A -o json' prints; default: standard input). One service per cluster\n"
	"IP, external IP, load-balancer IP (ipMode VIP) and node-port address,\n"
	"and port; weight 1, NAT; sessionAffinity ClientIP as persistence.\n"
	"Endpoints: the ready ones, or if none is ready those serving while\n"
	"terminating; with a traffic policy of Local, those on this node only\n"
	"(none if it has none: traffic from outside the cluster is dropped, as\n"
	"Kubernetes documents; kube-proxy's IPVS mode used the other nodes').\n"
	"The scheduler is maglev unless --scheduler says otherwise (kube-proxy: rr).\n\n"
	"--node NAME is this node (default: the host name, lowercased, as\n"
	"kube-proxy); --node-ip ADDR (repeatable) the addresses node ports are\n"
	"served on (default: this node's own, every interface's but --vip-dev's,\n"
	"less loopback and IPv6 link-local ones, within --nodeport-addresses'\n"
	"prefixes if given; run reads them again at each sync). An object that does\n"
	"not parse is named on standard error and skipped; the others are\n"
	"rendered. Nothing is sent to the kernel. --nft prints the nftables table\n"
	"instead (masquerading, source ranges, hairpin, Local shortcuts).\n\n"
	"sync: apply that state once: net.ipv4.vs.conntrack=1, the IPVS services\n"
	"(only those a sync made, listed in --state-dir, may change or go), the\n"
	"cluster, external and LB IPs on --vip-dev (default kube-ipvs0), and the\n"
	"table inet ipvsctl, replaced in one transaction (libnftables).\n"
	"--cluster-cidr: the pods' addresses (their traffic to cluster IPs is not\n"
	"masqueraded). cleanup: remove what sync made, nothing else.\n";


static void args_free(struct kube_args *a)
{
	size_t i;

	for (i = 0; a->node_ips && a->node_ips[i]; i++)
		free(a->node_ips[i]);
	free(a->node_ips);
	for (i = 0; a->cidrs && a->cidrs[i]; i++)
		free(a->cidrs[i]);
	free(a->cidrs);
	for (i = 0; a->np_addrs && a->np_addrs[i]; i++)
		free(a->np_addrs[i]);
	free(a->np_addrs);
	free(a->detect_local);
	free(a->vip_dev);
	free(a->state_dir);
	free(a->min_sync);
	free(a->sync);
	free(a->full_sync);
	free(a->healthz);
	free(a->metrics);
	free(a->drain);
	free(a->file);
	free(a->node);
	free(a->sched);
	free(a->server);
	free(a->token_file);
	free(a->ca_file);
}

static void on_bad(const char *name, const char *why, void *arg)
{
	struct ctx *c = arg;

	fprintf(stderr, "%s: kube: %s: %s (skipped)\n", c->prog, name, why);
}

/* the objects of @root: a List's items, an array, or one object */
static json_object *items_of(json_object *root)
{
	json_object *items, *arr;

	if (json_object_is_type(root, json_type_array))
		return json_object_get(root);
	if (json_object_object_get_ex(root, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		return json_object_get(items);
	arr = json_object_new_array();
	if (arr && json_object_array_add(arr, json_object_get(root))) {
		json_object_put(root);	/* the reference the array did not take */
		json_object_put(arr);
		arr = NULL;
	}
	return arr;
}

/* split by kind: Service, EndpointSlice; anything else is left out */
static int split(json_object *items, json_object *svcs, json_object *slices, size_t *other)
{
	size_t i, n = json_object_array_length(items);

	*other = 0;
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(items, i), *k;
		const char *kind = json_object_object_get_ex(o, "kind", &k) ?
				   json_object_get_string(k) : NULL;
		json_object *to;

		if (!kind)
			kind = json_object_object_get_ex(o, "addressType", NULL) ? "EndpointSlice" :
										    "Service";
		to = !strcmp(kind, "Service") ? svcs : !strcmp(kind, "EndpointSlice") ? slices : NULL;
		if (!to) {
			(*other)++;
			continue;
		}
		if (json_object_array_add(to, json_object_get(o))) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	return 0;
}

/* this node's name: --node, or the host name, in lower case (kube-proxy) */
static int node_name(struct ctx *c, const char *given, char *name)
{
	char host[256];
	const char *src = given;
	size_t i;

	if (!src) {
		if (gethostname(host, sizeof(host)))
			host[0] = 0;
		host[sizeof(host) - 1] = 0;
		src = host;
	}
	for (i = 0; src[i] && i < KUBE_NAME_MAX - 1; i++)
		name[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	name[i] = 0;
	if (!name[0] || strlen(src) >= KUBE_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(name)) {
		usage_error(c, "%s '%s' is not a node name (lowercase letters, digits, '-' and '.')",
			    given ? "--node" : "the host name", src);
		return EXIT_USAGE;
	}
	return 0;
}

/* the objects of @root, parsed, cached and translated for @node */
struct kube_run {
	struct kube_cache cache;
	struct kube_service *sv;
	struct kube_slice *sl;
	struct kube_out out;
	size_t other;
	bool translated;
};

static int run_translate(struct ctx *c, const char *name, const struct kube_node_conf *node,
			 json_object *root, struct kube_run *r)
{
	json_object *items = items_of(root), *svcs = json_object_new_array(),
		    *slices = json_object_new_array();
	int rc = 0;

	memset(r, 0, sizeof(*r));
	kube_cache_init(&r->cache, name);
	if (!items || !svcs || !slices || split(items, svcs, slices, &r->other) ||
		    kube_cache_replace(&r->cache, KUBE_SERVICES, svcs, on_bad, c, NULL, NULL, NULL) ||
		    kube_cache_replace(&r->cache, KUBE_SLICES, slices, on_bad, c, NULL, NULL, NULL) ||
		    kube_cache_view(&r->cache, &r->sv, &r->sl) ||
		    kube_translate(node, r->sv, r->cache.nsvcs, r->sl, r->cache.nslices, &r->out)) {
		fprintf(stderr, "%s: kube: out of memory\n", c->prog);
		rc = EXIT_FAIL;
	} else {
		r->translated = true;
	}
	json_object_put(items);
	json_object_put(svcs);
	json_object_put(slices);
	return rc;
}

static void run_free(struct kube_run *r)
{
	if (r->translated)
		kube_out_free(&r->out);
	free(r->sv);
	free(r->sl);
	kube_cache_free(&r->cache);
}

static void run_summary(struct ctx *c, const struct kube_run *r)
{
	if (c->o.quiet)
		return;
	fprintf(stderr, "%s: kube: %zu Services, %zu EndpointSlices: %zu Services rendered",
		c->prog, r->cache.nsvcs, r->cache.nslices, r->out.services);
	if (r->out.conflicts)
		fprintf(stderr, ", %zu front ends claimed twice (the first Service keeps each)",
			r->out.conflicts);
	if (r->other)
		fprintf(stderr, ", %zu objects of other kinds left out", r->other);
	fputc('\n', stderr);
}

static int render(struct ctx *c, const struct kube_args *a, const struct kube_sync_opts *so,
		  const struct kube_run *r)
{
	size_t i;

	if (a->nft) {
		if (kube_nft_render(stdout, &so->nft, &r->out, r->sv, r->cache.nsvcs)) {
			fprintf(stderr, "%s: kube: standard output: write error\n", c->prog);
			return EXIT_FAIL;
		}
	} else {
		for (i = 0; i < r->out.nops; i++)
			grammar_print(stdout, &r->out.ops[i]);
	}
	run_summary(c, r);
	return EXIT_OK;
}

static int sync_once(struct ctx *c, const struct kube_sync_opts *so, const struct kube_run *r,
		     bool allow_empty)
{
	struct kube_sync_res res;
	struct kube_table t;
	int err;

	run_summary(c, r);
	/* a cluster always has a Service (default/kubernetes): input with
	 * none is taken for a mistake (a failed kubectl, a truncated file)
	 * that would delete every service a sync made, as apply does
	 */
	if (!r->cache.nsvcs && !allow_empty) {
		fprintf(stderr, "%s: kube: the input names no Service; nothing was changed "
			"(--allow-empty to remove every service a sync made)\n", c->prog);
		return EXIT_USAGE;
	}
	if (kube_nft_text(so, &r->out, r->sv, r->cache.nsvcs, &t)) {
		fprintf(stderr, "%s: kube: out of memory; nothing was changed\n", c->prog);
		return EXIT_FAIL;
	}
	err = kube_sync_apply(c, so, &r->out, &t, &res);
	free(t.text);
	if (err)
		return err == -EPERM || err == -EACCES ? EXIT_PERM : err == -ENOMEM ? EXIT_FAIL :
		       EXIT_UNAVAIL;
	if (!c->o.quiet)
		fprintf(stderr, "%s: kube: %s: %zu IPVS change%s, %zu address change%s, nftables table %s, "
			"%zu stale UDP entr%s cleared\n",
			c->prog, so->dry_run ? "dry run" : "synced", res.ipvs_changes,
			res.ipvs_changes == 1 ? "" : "s", res.vip_changes,
			res.vip_changes == 1 ? "" : "s", so->dry_run ? "checked" : "replaced",
			res.ct_deleted, res.ct_deleted == 1 ? "y" : "ies");
	return EXIT_OK;
}

static int run_agent(struct ctx *c, const struct kube_args *a, const struct kube_node_conf *node,
		     const struct kube_sync_opts *so, const char *name, bool np_auto,
		     const struct kube_cidr *f, size_t nf)
{
	struct kube_run_opts ro = {
		.so = so, .node = node, .node_name = name,
		.np_auto = np_auto, .np_cidrs = f, .nnp_cidrs = nf,
		.node_cidr_mode = a->detect_local && !strcmp(a->detect_local, "NodeCIDR"),
		.min_sync_ms = 1000, .sync_ms = 30000, .full_sync_ms = 3600000,
		.healthz_addr = a->healthz ? a->healthz : "0.0.0.0:10256",
		.metrics_addr = a->metrics ? a->metrics : "127.0.0.1:10249",
	};
	struct kube_api api;
	int rc;

	if (so->dry_run || a->file) {
		usage_error(c, "kube run: --dry-run and -f are for render and sync");
		return EXIT_USAGE;
	}
	if ((a->min_sync && parse_duration_ms(a->min_sync, 3600000, &ro.min_sync_ms)) ||
	    (a->sync && (parse_duration_ms(a->sync, 86400000, &ro.sync_ms) || !ro.sync_ms)) ||
	    (a->full_sync && (parse_duration_ms(a->full_sync, 604800000, &ro.full_sync_ms) ||
			      !ro.full_sync_ms))) {
		usage_error(c, "kube run: --min-sync-period, --sync-period and --full-sync-period take "
			    "a duration with its unit (1s, 500ms, 1h); the last two more than 0");
		return EXIT_USAGE;
	}
	rc = kube_api_conf(c, a, &api);
	if (rc)
		return rc;
	ro.api = &api;
	return kube_run(c, &ro);
}

/* the options of sync, cleanup and render --nft */
static int sync_conf(struct ctx *c, const struct kube_args *a, const struct kube_node_conf *node,
		     struct kube_sync_opts *so, struct kube_cidr **cidrs)
{
	size_t i, n = 0;

	memset(so, 0, sizeof(*so));
	so->state_dir = a->state_dir ? a->state_dir : KUBE_STATE_DIR;
	so->vip_dev = a->vip_dev ? a->vip_dev : KUBE_VIP_DEV;
	so->dry_run = a->dry_run;
	if (strlen(so->vip_dev) >= 16 || !*so->vip_dev || strchr(so->vip_dev, '/')) {
		usage_error(c, "--vip-dev '%s': not an interface name", so->vip_dev);
		return EXIT_USAGE;
	}
	snprintf(so->vip_dev_path, sizeof(so->vip_dev_path), "/sys/class/net/%s", so->vip_dev);
	so->drain_s = 300;
	if (a->drain) {
		uint32_t ms;

		if (parse_duration_ms(a->drain, 86400000, &ms)) {
			usage_error(c, "--drain-timeout '%s': a duration with its unit (5m, 30s), or 0",
				    a->drain);
			return EXIT_USAGE;
		}
		so->drain_s = (ms + 999) / 1000;
	}
	if (a->detect_local && strcmp(a->detect_local, "ClusterCIDR") &&
	    strcmp(a->detect_local, "NodeCIDR")) {
		usage_error(c, "--detect-local-mode '%s': ClusterCIDR or NodeCIDR", a->detect_local);
		return EXIT_USAGE;
	}
	if (a->detect_local && !strcmp(a->detect_local, "NodeCIDR") && a->cidrs) {
		usage_error(c, "--detect-local-mode NodeCIDR takes the pods' addresses from the Node: "
			    "no --cluster-cidr");
		return EXIT_USAGE;
	}
	if (a->masq_bit < 0 || a->masq_bit > 31) {
		usage_error(c, "--masquerade-bit %d: 0 to 31", a->masq_bit);
		return EXIT_USAGE;
	}
	while (a->cidrs && a->cidrs[n])
		n++;
	*cidrs = calloc(n + 1, sizeof(**cidrs));
	if (!*cidrs) {
		fprintf(stderr, "%s: kube: out of memory\n", c->prog);
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++)
		if (kube_cidr_parse(a->cidrs[i], &(*cidrs)[i])) {
			usage_error(c, "--cluster-cidr '%s': not an address prefix (ADDR/LEN)",
				    a->cidrs[i]);
			return EXIT_USAGE;
		}
	so->nft.pod_cidrs = *cidrs;
	so->nft.npod_cidrs = n;
	so->nft.masquerade_all = a->masq_all;
	so->nft.masq_bit = (unsigned int)a->masq_bit;
	so->nft.node_ips = node->nodeport_ips;
	so->nft.nnode_ips = node->n_nodeport_ips;
	return 0;
}

int cmd_kube(struct ctx *c, int argc, char **argv)
{
	struct kube_args a = { .masq_bit = KUBE_MASQ_BIT_DEFAULT };
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &a.file, 0,
		  "the objects (default: standard input)", "FILE" },
		{ "node", 0, POPT_ARG_STRING, &a.node, 0,
		  "this node's name (default: the host name, lowercased)", "NAME" },
		{ "node-ip", 0, POPT_ARG_ARGV, &a.node_ips, 0,
		  "an address node ports are served on (repeatable; default: the node's own)", "ADDR" },
		{ "nodeport-addresses", 0, POPT_ARG_ARGV, &a.np_addrs, 0,
		  "node ports on the node's addresses within these prefixes only (repeatable, or "
		  "comma-separated)", "CIDR" },
		{ "scheduler", 0, POPT_ARG_STRING, &a.sched, 0,
		  "the IPVS scheduler of every service (default maglev)", "NAME" },
		{ "server", 0, POPT_ARG_STRING, &a.server, 0,
		  "list the objects from this API server instead of a file", "URL" },
		{ "token-file", 0, POPT_ARG_STRING, &a.token_file, 0,
		  "a bearer token for the API server, read from FILE", "FILE" },
		{ "ca-file", 0, POPT_ARG_STRING, &a.ca_file, 0,
		  "the API server's CA certificates (default: the system's)", "FILE" },
		{ "nft", 0, POPT_ARG_NONE, &a.nft, 0,
		  "render: print the nftables table instead of the IPVS services", NULL },
		{ "cluster-cidr", 0, POPT_ARG_ARGV, &a.cidrs, 0,
		  "the pods' addresses (repeatable; traffic from them to a cluster IP is not masqueraded)",
		  "CIDR" },
		{ "detect-local-mode", 0, POPT_ARG_STRING, &a.detect_local, 0,
		  "which traffic is the pods': ClusterCIDR (--cluster-cidr, default) or, for run, "
		  "NodeCIDR (the Node's spec.podCIDRs)", "MODE" },
		{ "masquerade-all", 0, POPT_ARG_NONE, &a.masq_all, 0,
		  "masquerade all traffic to cluster IPs", NULL },
		{ "masquerade-bit", 0, POPT_ARG_INT, &a.masq_bit, 0,
		  "the packet mark bit that asks for masquerading (default 14)", "N" },
		{ "vip-dev", 0, POPT_ARG_STRING, &a.vip_dev, 0,
		  "the dummy interface holding the service addresses (default kube-ipvs0)", "DEV" },
		{ "state-dir", 0, POPT_ARG_STRING, &a.state_dir, 0,
		  "where the list of the services made is kept (default /run/ipvsctl)", "DIR" },
		{ "allow-empty", 0, POPT_ARG_NONE, &a.allow_empty, 0,
		  "sync: apply input with no Service (it removes every service a sync made)", NULL },
		{ "dry-run", 'n', POPT_ARG_NONE, &a.dry_run, 0,
		  "sync, cleanup: print the steps, check the table, change nothing", NULL },
		{ "drain-timeout", 0, POPT_ARG_STRING, &a.drain, 0,
		  "sync, run: how long a leaving TCP or SCTP endpoint may drain (default 5m; 0: none)",
		  "D" },
		{ "min-sync-period", 0, POPT_ARG_STRING, &a.min_sync, 0,
		  "run: the least time between two syncs after changes (default 1s)", "D" },
		{ "sync-period", 0, POPT_ARG_STRING, &a.sync, 0,
		  "run: a sync at least this often (default 30s)", "D" },
		{ "full-sync-period", 0, POPT_ARG_STRING, &a.full_sync, 0,
		  "run: a sync that reads and rewrites everything at least this often (default 1h)",
		  "D" },
		{ "healthz-bind-address", 0, POPT_ARG_STRING, &a.healthz, 0,
		  "run: /healthz and /livez (default 0.0.0.0:10256; \"\": none)", "HOST:PORT" },
		{ "metrics-bind-address", 0, POPT_ARG_STRING, &a.metrics, 0,
		  "run: /metrics (default 127.0.0.1:10249; \"\": none)", "HOST:PORT" },
		POPT_TABLEEND
	};
	struct kube_ip *ips = NULL;
	struct kube_cidr *cidrs = NULL, *npf = NULL;
	size_t nnpf = 0;
	bool np_auto = false;
	struct kube_node_conf node;
	struct kube_sync_opts so;
	struct kube_run run;
	char name[KUBE_NAME_MAX];
	const char **args;
	json_object *root = NULL;
	const char *sub;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, opts, "kube render|sync|run|cleanup [-f FILE | --server URL "
			 "[--token-file FILE] [--ca-file FILE]] [--node NAME] [--node-ip ADDR]... "
			 "[--nodeport-addresses CIDR]... [--scheduler NAME] [--nft] [--cluster-cidr CIDR]... "
			 "[--detect-local-mode ClusterCIDR|NodeCIDR] [--masquerade-all] "
			 "[--masquerade-bit N] [--vip-dev DEV] [--state-dir DIR] [--drain-timeout D] [--allow-empty] "
			 "[--dry-run] "
			 "[--min-sync-period D] [--sync-period D] [--healthz-bind-address HOST:PORT] "
			 "[--metrics-bind-address HOST:PORT]",
			 kube_help, &args, &nargs);
	if (rc)
		goto out;
	sub = nargs == 1 ? args[0] : NULL;
	if (!sub || (strcmp(sub, "render") && strcmp(sub, "sync") && strcmp(sub, "cleanup") &&
		     strcmp(sub, "run"))) {
		usage_error(c, nargs ? "kube: unknown command '%s' (render, sync, run, cleanup)" :
			    "kube: which command? (render, sync, run, cleanup)%s", nargs ? args[0] : "");
		rc = EXIT_USAGE;
		goto out;
	}
	if (c->o.json) {
		usage_error(c, "kube %s: --json is not supported", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if (a.nft && strcmp(sub, "render")) {
		usage_error(c, "kube %s: --nft is for render", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = node_name(c, a.node, name);
	if (!rc)
		rc = kube_node_conf(c, &a, a.vip_dev ? a.vip_dev : KUBE_VIP_DEV, &node, &ips, &npf,
				    &nnpf, &np_auto);
	if (!rc)
		rc = sync_conf(c, &a, &node, &so, &cidrs);
	if (rc)
		goto out;
	if (a.detect_local && !strcmp(a.detect_local, "NodeCIDR") && strcmp(sub, "run")) {
		usage_error(c, "kube %s: --detect-local-mode NodeCIDR is for run (it watches the Node)",
			    sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!strcmp(sub, "cleanup")) {
		rc = kube_cleanup(c, &so) ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if (!strcmp(sub, "run")) {
		rc = run_agent(c, &a, &node, &so, name, np_auto, npf, nnpf);
		goto out;
	}
	rc = kube_read_objects(c, &a, &root);
	if (!rc)
		rc = run_translate(c, name, &node, root, &run);
	/* the objects are in the cache now: their JSON tree (many times the
	 * input's size) goes before the kernel steps, which reuse its memory
	 */
	json_object_put(root);
	root = NULL;
	if (!rc) {
		rc = !strcmp(sub, "render") ? render(c, &a, &so, &run) :
		     sync_once(c, &so, &run, a.allow_empty);
		run_free(&run);
	}
out:
	free(ips);
	free(cidrs);
	free(npf);
	args_free(&a);
	return rc;
}
