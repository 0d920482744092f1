/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: the JSON readers object.c and slice.c share (json.c).
 * Each reader that fails writes why, naming the field by its path
 * ("spec.ports[1].port"), and returns -EINVAL.
 */
#ifndef IPVSCTL_KUBE_INTERNAL_H
#define IPVSCTL_KUBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "kube/object.h"

/* labels a proxy obeys */
#define LABEL_PROXY_NAME "service.kubernetes.io/service-proxy-name"
#define LABEL_HEADLESS "service.kubernetes.io/headless"
#define LABEL_SERVICE_NAME "kubernetes.io/service-name"

/* a member of an object, or NULL if @o is not an object or has none (or null) */
json_object *kj_member(json_object *o, const char *key);
int kj_bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define KJ_SHOW_MAX 65
const char *kj_show(const char *s, char *buf);
/* valid, but not an object a service proxy serves: KUBE_IGNORED */
int kj_ignored(char *why, size_t len, const char *what);
/* a string member: *out NULL if absent or null */
int kj_str(json_object *o, const char *key, const char *path, const char **out,
	   char *why, size_t len);
/* an integer member from @min to @max; @dflt if absent or null */
int kj_int(json_object *o, const char *key, const char *path, int64_t min, int64_t max,
	   int64_t dflt, int64_t *out, char *why, size_t len);
/* an array member: *out NULL if absent or null */
int kj_array(json_object *o, const char *key, const char *path, json_object **out,
	     char *why, size_t len);
bool kj_name_ok(const char *s, size_t max, bool dots);
int kj_copy_name(const char *s, char *dst, size_t max, bool dots, const char *path,
		 char *why, size_t len);
/* a list of address strings, into a new array */
int kj_ip_list(json_object *arr, const char *path, struct kube_ip **out, size_t *n,
	       char *why, size_t len);
/* metadata.namespace and .name (checked), and the labels object if any */
int kj_metadata(json_object *o, char *ns, char *name, json_object **labels, char *why,
		size_t len);
/* TCP (also when absent), UDP or SCTP */
int kj_proto(const char *s, const char *path, int *proto, char *why, size_t len);
/*
 * Entry @i of a ports list (@list: "spec.ports", "ports"): its name,
 * protocol and port; the port from 1 and @required, or from 0 with an
 * absent one read as 0.
 */
int kj_port_entry(json_object *p, const char *list, size_t i, char *name, int *proto,
		  uint16_t *port, bool required, char *why, size_t len);
/* a port's optional name */
int kj_port_name(json_object *p, const char *path, char *dst, char *why, size_t len);

#endif
