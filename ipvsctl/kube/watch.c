// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: a watch answer's events, from the bytes as they come
 * (see watch.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube/watch.h"

int kube_watch_init(struct kube_watch *w, const char *rv,
		    int (*on_event)(enum kube_event ev, json_object *obj, void *arg), void *arg)
{
	memset(w, 0, sizeof(*w));
	/* a Service with its managed fields nests about 12 deep: room to spare */
	w->tok = json_tokener_new_ex(64);
	if (!w->tok)
		return -ENOMEM;
	snprintf(w->rv, sizeof(w->rv), "%s", rv ? rv : "");
	w->on_event = on_event;
	w->arg = arg;
	return 0;
}

void kube_watch_free(struct kube_watch *w)
{
	if (w->tok)
		json_tokener_free(w->tok);
	w->tok = NULL;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* the object's metadata.resourceVersion, kept if it fits */
static void take_rv(struct kube_watch *w, json_object *obj)
{
	json_object *md;
	const char *rv;

	if (!json_object_object_get_ex(obj, "metadata", &md))
		return;
	rv = str(md, "resourceVersion");
	if (rv && strlen(rv) < sizeof(w->rv))
		memcpy(w->rv, rv, strlen(rv) + 1);
}

/* an ERROR event's Status: 410 (Expired, Gone) or anything else */
static int status(struct kube_watch *w, json_object *st)
{
	const char *reason = str(st, "reason"), *msg = str(st, "message");
	json_object *code;
	int c = 0;

	if (json_object_object_get_ex(st, "code", &code) && json_object_is_type(code, json_type_int))
		c = json_object_get_int(code);
	snprintf(w->why, sizeof(w->why), "the server ended the watch: %d %s%s%.120s", c,
		 reason ? reason : "", msg ? ": " : "", msg ? msg : "");
	if (c == 410 || (reason && (!strcmp(reason, "Expired") || !strcmp(reason, "Gone"))))
		return -ESTALE;
	return -ECONNABORTED;
}

static int one_event(struct kube_watch *w, json_object *ev)
{
	const char *type = str(ev, "type");
	json_object *obj;
	enum kube_event kind;
	int err;

	if (!json_object_is_type(ev, json_type_object) || !type ||
	    !json_object_object_get_ex(ev, "object", &obj) ||
	    !json_object_is_type(obj, json_type_object)) {
		snprintf(w->why, sizeof(w->why), "not a watch event (no type or object)");
		return -EPROTO;
	}
	if (!strcmp(type, "ERROR"))
		return status(w, obj);
	if (!strcmp(type, "BOOKMARK")) {
		take_rv(w, obj);
		w->bookmarks++;
		return 0;
	}
	if (!strcmp(type, "ADDED"))
		kind = KUBE_ADDED;
	else if (!strcmp(type, "MODIFIED"))
		kind = KUBE_MODIFIED;
	else if (!strcmp(type, "DELETED"))
		kind = KUBE_DELETED;
	else {
		snprintf(w->why, sizeof(w->why), "an event of unknown type '%.32s'", type);
		return -EPROTO;
	}
	err = w->on_event(kind, obj, w->arg);
	if (err)
		return err;
	/* the version moves only once the event is taken */
	take_rv(w, obj);
	w->events++;
	return 0;
}

int kube_watch_feed(struct kube_watch *w, const char *buf, size_t len)
{
	while (len) {
		json_object *ev;
		enum json_tokener_error jerr;
		size_t used, take;
		int err;

		/* blanks between events (the newline after each) */
		if (!w->in_event && (*buf == '\n' || *buf == '\r' || *buf == ' ' || *buf == '\t')) {
			buf++;
			len--;
			continue;
		}
		/* never more than one byte past the cap: an event that
		 * ends beyond it is refused whole, even in one chunk
		 */
		take = len;
		if (take > KUBE_EVENT_MAX + 1 - w->in_event)
			take = KUBE_EVENT_MAX + 1 - w->in_event;
		ev = json_tokener_parse_ex(w->tok, buf, (int)take);
		jerr = json_tokener_get_error(w->tok);
		used = json_tokener_get_parse_end(w->tok);
		if (!ev && jerr != json_tokener_continue) {
			if (jerr == json_tokener_success)
				snprintf(w->why, sizeof(w->why), "not a watch event (a JSON null)");
			else
				snprintf(w->why, sizeof(w->why), "not JSON: %s",
					 json_tokener_error_desc(jerr));
			json_tokener_reset(w->tok);
			return -EPROTO;
		}
		w->in_event += used;
		buf += used;
		len -= used;
		if (w->in_event > KUBE_EVENT_MAX) {
			json_object_put(ev);
			json_tokener_reset(w->tok);
			snprintf(w->why, sizeof(w->why), "an event of more than %u MiB",
				 KUBE_EVENT_MAX >> 20);
			return -EMSGSIZE;
		}
		if (!ev)
			continue;
		w->in_event = 0;
		json_tokener_reset(w->tok);
		err = one_event(w, ev);
		json_object_put(ev);
		if (err)
			return err;
	}
	return 0;
}
