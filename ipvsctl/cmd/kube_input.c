// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: where the objects come from (cmd/kube.c's input): a file,
 * standard input, or the API server (--server, or the in-cluster
 * configuration).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd/cmd.h"
#include "cmd/kube.h"
#include "kube/api.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * The API server: --server (with --token-file, --ca-file), or inside a
 * pod the in-cluster configuration (KUBERNETES_SERVICE_HOST and _PORT, the
 * service account's token and CA), as client-go's InClusterConfig reads it.
 */
int kube_api_conf(struct ctx *c, const struct kube_args *a, struct kube_api *api)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *tf = a->token_file, *ca = a->ca_file;
	char server[600];
	size_t i;

	memset(api, 0, sizeof(*api));
	if (a->server) {
		snprintf(server, sizeof(server), "%s", a->server);
	} else if (host && *host && port && *port) {
		snprintf(server, sizeof(server), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
			 host, port);
		if (!tf)
			tf = SA_DIR "/token";
		if (!ca)
			ca = SA_DIR "/ca.crt";
	} else {
		usage_error(c, "kube: no API server: --server URL, or run in a pod (KUBERNETES_SERVICE_HOST)");
		return EXIT_USAGE;
	}
	if (strlen(server) >= sizeof(api->server) || (tf && strlen(tf) >= sizeof(api->token_file)) ||
	    (ca && strlen(ca) >= sizeof(api->ca_file))) {
		usage_error(c, "kube: --server, --token-file or --ca-file too long");
		return EXIT_USAGE;
	}
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) {
		usage_error(c, "kube: --server %s: an http:// or https:// URL", server);
		return EXIT_USAGE;
	}
	snprintf(api->server, sizeof(api->server), "%s", server);
	for (i = strlen(api->server); i && api->server[i - 1] == '/'; i--)
		api->server[i - 1] = 0;
	snprintf(api->token_file, sizeof(api->token_file), "%s", tf ? tf : "");
	snprintf(api->ca_file, sizeof(api->ca_file), "%s", ca ? ca : "");
	return 0;
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

	err = kube_api_conf(c, a, &api);
	if (err)
		return err;
	*root = json_object_new_array();
	if (!*root)
		return EXIT_FAIL;
	for (i = 0; i < 2; i++) {
		err = kube_api_list(&api, paths[i], &items, rv, sizeof(rv), NULL, why, sizeof(why));
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

/* the objects: from the API server, a file or standard input */
int kube_read_objects(struct ctx *c, const struct kube_args *a, json_object **root)
{
	if (a->server) {
		if (a->file) {
			usage_error(c, "kube: -f and --server: one or the other");
			return EXIT_USAGE;
		}
		return from_server(c, a, root);
	}
	*root = a->file && strcmp(a->file, "-") ? json_object_from_file(a->file) :
		json_object_from_fd(STDIN_FILENO);
	if (!*root) {
		fprintf(stderr, "%s: kube: %s: not JSON: %s", c->prog,
			a->file && strcmp(a->file, "-") ? a->file : "standard input",
			json_util_get_last_err() ? json_util_get_last_err() : "empty\n");
		return EXIT_USAGE;
	}
	return 0;
}

