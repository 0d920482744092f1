/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: the API server, over libcurl (opened on first use, see
 * health/curl.h). For now a list, blocking, page by page: what
 * 'kube render --server' reads, and the agent's relist.
 *
 * Facts (Kubernetes "API Concepts"): a list answers with the objects and
 * metadata.resourceVersion, the version a watch starts from; with limit,
 * also metadata.continue for the next page, which expires (410) if the
 * server compacted meanwhile: the list then starts again. A token is
 * sent as "Authorization: Bearer"; it is re-read from its file on 401
 * (projected tokens rotate).
 */
#ifndef IPVSCTL_KUBE_API_H
#define IPVSCTL_KUBE_API_H

#include <stddef.h>

#include <json-c/json.h>

#include "kube/watch.h"

struct kube_api {
	char server[512];		/* https://host:port, no trailing '/' */
	char token_file[256];		/* "" for none */
	char ca_file[256];		/* "" for the system's */
	char token[8192];		/* read from token_file */
	char selector[320];		/* the lists' and watches' selector, as a
					 * query term, escaped ("fieldSelector=..."):
					 * "" for KUBE_SELECTOR as labelSelector
					 */
};

/* The label selector kube-proxy lists and watches with. */
#define KUBE_SELECTOR "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"

/* The largest list answer (one page) taken, and the largest list (all its
 * pages): json-c's objects cost many times the text, so this bounds the
 * memory a broken or hostile server can make the agent take.
 */
#define KUBE_PAGE_MAX (256u << 20)
#define KUBE_LIST_MAX (512u << 20)

/*
 * Every object at @path ("/api/v1/services", ...), with the selector,
 * 500 a page: *items a new JSON array (the caller puts it), @rv the
 * list's version. 0, or -errno with @why: -EACCES (401, 403), -EPROTO (an
 * answer that is not a list), -EIO (HTTP or transport), -EMSGSIZE (over
 * KUBE_LIST_MAX), -ENOMEM, or -EINTR once *@stop is set (@stop may be
 * NULL: never).
 */
int kube_api_list(struct kube_api *a, const char *path, json_object **items, char *rv,
		  size_t rvlen, const volatile int *stop, char *why, size_t len);

/*
 * Watch @path from @w's resource version (kube_watch_init), with the
 * selector and bookmarks, for at most @timeout_s seconds (the server ends
 * it then; 30 s more and the connection is cut): the events go to @w.
 * Blocks; returns when the watch ends: 0 (the server closed it cleanly:
 * watch again from w->rv), -ESTALE (the version expired, as HTTP 410 or
 * an ERROR event: list again), -ECONNABORTED (another ERROR event), -EIO
 * (HTTP error, a transport error or a stream cut in the middle of an
 * event), -EACCES (401, 403), -EPROTO, -EMSGSIZE, -ENOMEM, or -EINTR once
 * *@stop is set (checked about once a second). @why says what happened.
 */
int kube_api_watch(struct kube_api *a, const char *path, struct kube_watch *w,
		   unsigned int timeout_s, const volatile int *stop, char *why, size_t len);

#endif
