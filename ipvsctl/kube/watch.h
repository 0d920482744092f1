/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl kube: the body of a watch answer, read as it arrives. The API
 * server writes one JSON object per event, {"type": ..., "object": ...},
 * each followed by a newline; the chunks the connection delivers do not
 * follow event boundaries. Pure: fed bytes, it calls back for each event
 * (tests feed it by hand; api.c feeds it from libcurl).
 *
 * Types: ADDED, MODIFIED, DELETED go to the callback; BOOKMARK only moves
 * the resource version; ERROR with code 410 (reason Expired or Gone) means
 * the version is too old and the caller must list again; another ERROR
 * ends the watch (the caller watches again from the last version). Facts:
 * Kubernetes' API concepts ("Efficient detection of changes", "Watch
 * bookmarks"), client-go's reflector (both 410 forms).
 */
#ifndef IPVSCTL_KUBE_WATCH_H
#define IPVSCTL_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "kube/cache.h"

#define KUBE_RV_MAX 64
/* the largest event accepted: etcd refuses objects over 1.5 MiB by
 * default, and an EndpointSlice of 1000 endpoints is far smaller; more is
 * a broken or hostile server. json-c's objects cost many times the text
 * (a list of small numbers, about 35 times): this bounds that too.
 */
#define KUBE_EVENT_MAX (4u << 20)

struct kube_watch {
	json_tokener *tok;
	size_t in_event;		/* bytes of the event being read: not 0
					 * when the answer ends, it was cut short
					 */
	char rv[KUBE_RV_MAX];		/* the last resource version seen */
	size_t events, bookmarks;
	/* an event: 0 to go on, or an error that ends the feed */
	int (*on_event)(enum kube_event ev, json_object *obj, void *arg);
	void *arg;
	char why[256];			/* what ended the feed */
};

/* 0 or -ENOMEM. @rv: where the watch starts (the list's version). */
int kube_watch_init(struct kube_watch *w, const char *rv,
		    int (*on_event)(enum kube_event ev, json_object *obj, void *arg), void *arg);
void kube_watch_free(struct kube_watch *w);

/*
 * Bytes of the answer, in order. 0: all taken. Else the watch is over
 * (why says why): -ESTALE, the version expired (list again); -ECONNABORTED,
 * the server ended it with another ERROR (watch again from w->rv);
 * -EPROTO, not a watch stream; -EMSGSIZE, an event over KUBE_EVENT_MAX;
 * or what the callback returned.
 */
int kube_watch_feed(struct kube_watch *w, const char *buf, size_t len);

#endif
