// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube render: the IPVS services a node's proxy holds for a
 * cluster's Services and EndpointSlices ("kubectl get services,endpointslices
 * -A -o json"), printed as commands of the grammar. Offline: nothing is
 * read from or sent to the kernel or the API server. The node agent
 * (to come) computes the same thing from its watch and applies it.
 */
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd/cmd.h"
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
	"served on (default: none, no node-port services). An object that does\n"
	"not parse is named on standard error and skipped; the others are\n"
	"rendered. Nothing is sent to the kernel.\n";

struct kube_args {
	char *file, *node, *sched, **node_ips, *server, *token_file, *ca_file;
};

static void args_free(struct kube_args *a)
{
	size_t i;

	for (i = 0; a->node_ips && a->node_ips[i]; i++)
		free(a->node_ips[i]);
	free(a->node_ips);
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

static int node_conf(struct ctx *c, const struct kube_args *a, struct kube_node_conf *n,
		     struct kube_ip **ips)
{
	size_t i, nip = 0;

	memset(n, 0, sizeof(*n));
	if (a->sched && (!*a->sched || strlen(a->sched) >= SCHED_MAX)) {
		usage_error(c, "--scheduler '%s': 1 to %d characters", a->sched, SCHED_MAX - 1);
		return EXIT_USAGE;
	}
	snprintf(n->sched, sizeof(n->sched), "%s", a->sched ? a->sched : "maglev");
	while (a->node_ips && a->node_ips[nip])
		nip++;
	*ips = calloc(nip + 1, sizeof(**ips));
	if (!*ips) {
		fprintf(stderr, "%s: kube: out of memory\n", c->prog);
		return EXIT_FAIL;
	}
	for (i = 0; i < nip; i++)
		if (kube_ip_parse(a->node_ips[i], &(*ips)[i])) {
			usage_error(c, "--node-ip '%s': not an IP address", a->node_ips[i]);
			return EXIT_USAGE;
		}
	n->nodeport_ips = *ips;
	n->n_nodeport_ips = nip;
	return 0;
}

static int render(struct ctx *c, const char *name, const struct kube_node_conf *node,
		  json_object *root)
{
	json_object *items = items_of(root), *svcs = json_object_new_array(),
		    *slices = json_object_new_array();
	struct kube_service *sv = NULL;
	struct kube_slice *sl = NULL;
	struct kube_cache cache;
	struct kube_out out;
	size_t other = 0, i;
	int rc = 0;

	kube_cache_init(&cache, name);
	if (!items || !svcs || !slices || split(items, svcs, slices, &other) ||
		    kube_cache_replace(&cache, KUBE_SERVICES, svcs, on_bad, c, NULL, NULL, NULL) ||
		    kube_cache_replace(&cache, KUBE_SLICES, slices, on_bad, c, NULL, NULL, NULL) ||
		    kube_cache_view(&cache, &sv, &sl) ||
		    kube_translate(node, sv, cache.nsvcs, sl, cache.nslices, &out)) {
		fprintf(stderr, "%s: kube: out of memory\n", c->prog);
		rc = EXIT_FAIL;
	} else {
		for (i = 0; i < out.nops; i++)
			grammar_print(stdout, &out.ops[i]);
		if (!c->o.quiet) {
			fprintf(stderr, "%s: kube: %zu Services, %zu EndpointSlices: %zu Services rendered",
				c->prog, cache.nsvcs, cache.nslices, out.services);
			if (out.conflicts)
				fprintf(stderr, ", %zu front ends claimed twice (the first Service keeps each)",
					out.conflicts);
			if (other)
				fprintf(stderr, ", %zu objects of other kinds left out", other);
			fputc('\n', stderr);
		}
		kube_out_free(&out);
	}
	free(sv);
	free(sl);
	kube_cache_free(&cache);
	json_object_put(items);
	json_object_put(svcs);
	json_object_put(slices);
	return rc;
}

/* Services and EndpointSlices from the API server, as one array */
static int from_server(struct ctx *c, const struct kube_args *a, json_object **root)
{
	static const char *const paths[] = {
		"/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices",
	};
	struct kube_api api = { 0 };
	json_object *items;
	char rv[KUBE_RV_MAX], why[512];
	size_t i, j;
	int err;

	if (strlen(a->server) >= sizeof(api.server) ||
	    (a->token_file && strlen(a->token_file) >= sizeof(api.token_file)) ||
	    (a->ca_file && strlen(a->ca_file) >= sizeof(api.ca_file))) {
		usage_error(c, "kube render: --server, --token-file or --ca-file too long");
		return EXIT_USAGE;
	}
	snprintf(api.server, sizeof(api.server), "%s", a->server);
	for (i = strlen(api.server); i && api.server[i - 1] == '/'; i--)
		api.server[i - 1] = 0;
	snprintf(api.token_file, sizeof(api.token_file), "%s", a->token_file ? a->token_file : "");
	snprintf(api.ca_file, sizeof(api.ca_file), "%s", a->ca_file ? a->ca_file : "");
	*root = json_object_new_array();
	if (!*root)
		return EXIT_FAIL;
	for (i = 0; i < 2; i++) {
		err = kube_api_list(&api, paths[i], &items, rv, sizeof(rv), why, sizeof(why));
		if (err) {
			fprintf(stderr, "%s: kube: %s: %s\n", c->prog, paths[i], why);
			json_object_put(*root);
			*root = NULL;
			return err == -EACCES ? EXIT_PERM : err == -ENOMEM ? EXIT_FAIL : EXIT_UNAVAIL;
		}
		for (j = 0; !err && j < json_object_array_length(items); j++) {
			json_object *o = json_object_get(json_object_array_get_idx(items, j));

			if (json_object_array_add(*root, o)) {
				json_object_put(o);
				err = -ENOMEM;
			}
		}
		json_object_put(items);
		if (err) {
			json_object_put(*root);
			*root = NULL;
			return EXIT_FAIL;
		}
	}
	return 0;
}

int cmd_kube(struct ctx *c, int argc, char **argv)
{
	struct kube_args a = { 0 };
	struct poptOption opts[] = {
		{ "file", 'f', POPT_ARG_STRING, &a.file, 0,
		  "the objects (default: standard input)", "FILE" },
		{ "node", 0, POPT_ARG_STRING, &a.node, 0,
		  "this node's name (default: the host name, lowercased)", "NAME" },
		{ "node-ip", 0, POPT_ARG_ARGV, &a.node_ips, 0,
		  "an address node ports are served on (repeatable)", "ADDR" },
		{ "scheduler", 0, POPT_ARG_STRING, &a.sched, 0,
		  "the IPVS scheduler of every service (default maglev)", "NAME" },
		{ "server", 0, POPT_ARG_STRING, &a.server, 0,
		  "list the objects from this API server instead of a file", "URL" },
		{ "token-file", 0, POPT_ARG_STRING, &a.token_file, 0,
		  "a bearer token for the API server, read from FILE", "FILE" },
		{ "ca-file", 0, POPT_ARG_STRING, &a.ca_file, 0,
		  "the API server's CA certificates (default: the system's)", "FILE" },
		POPT_TABLEEND
	};
	struct kube_ip *ips = NULL;
	struct kube_node_conf node;
	char name[KUBE_NAME_MAX];
	const char **args;
	json_object *root;
	int nargs, rc;

	rc = cmd_options(c, argc, argv, opts, "kube render [-f FILE | --server URL [--token-file FILE] [--ca-file FILE]] "
			 "[--node NAME] [--node-ip ADDR]... [--scheduler NAME]",
			 kube_help, &args, &nargs);
	if (rc)
		goto out;
	if (nargs != 1 || strcmp(args[0], "render")) {
		usage_error(c, nargs ? "kube: unknown command '%s' (render)" : "kube: which command? (render)",
			    nargs ? args[0] : "");
		rc = EXIT_USAGE;
		goto out;
	}
	if (c->o.json) {
		usage_error(c, "kube render prints commands: --json is not supported");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = node_name(c, a.node, name);
	if (!rc)
		rc = node_conf(c, &a, &node, &ips);
	if (rc)
		goto out;
	if (a.server) {
		if (a.file) {
			usage_error(c, "kube render: -f and --server: one or the other");
			rc = EXIT_USAGE;
			goto out;
		}
		rc = from_server(c, &a, &root);
		if (rc)
			goto out;
	} else {
		root = a.file && strcmp(a.file, "-") ? json_object_from_file(a.file) :
		       json_object_from_fd(STDIN_FILENO);
	}
	if (!root) {
		fprintf(stderr, "%s: kube: %s: not JSON: %s", c->prog,
			a.file && strcmp(a.file, "-") ? a.file : "standard input",
			json_util_get_last_err() ? json_util_get_last_err() : "empty\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = render(c, name, &node, root);
	json_object_put(root);
out:
	free(ips);
	args_free(&a);
	return rc;
}
