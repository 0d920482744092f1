// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/kube/watch.c: a watch answer's events from its bytes, however
 * the connection cuts them: events in one chunk or split byte by byte,
 * bookmarks, both forms of "too old" (410), other errors, bytes that are
 * not a watch stream, and an event too large to hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"
#include "kube/watch.h"

#define SVC_EV(type, name, rv, port) "{\"type\":\"" type "\",\"object\":{\"kind\":\"Service\"," \
	"\"metadata\":{\"namespace\":\"default\",\"name\":\"" name "\",\"resourceVersion\":\"" rv "\"}," \
	"\"spec\":{\"clusterIP\":\"10.96.0.10\",\"ports\":[{\"port\":" port "}]}}}\n"

struct sink {
	struct kube_cache cache;
	int calls, fail_with;
	char log[512];
};

static int on_event(enum kube_event ev, json_object *obj, void *arg)
{
	struct sink *s = arg;
	char why[256];
	size_t len = strlen(s->log);
	int rc;

	s->calls++;
	if (s->fail_with)
		return s->fail_with;
	rc = kube_cache_event(&s->cache, KUBE_SERVICES, ev, obj, why, sizeof(why));
	snprintf(s->log + len, sizeof(s->log) - len, "%s%d:%d", len ? " " : "", (int)ev, rc);
	return 0;
}

static int feed_all(struct kube_watch *w, const char *text, size_t step)
{
	size_t len = strlen(text), i;
	int rc = 0;

	for (i = 0; i < len && !rc; i += step)
		rc = kube_watch_feed(w, text + i, len - i < step ? len - i : step);
	return rc;
}

static const char stream[] =
	SVC_EV("ADDED", "web", "101", "80")
	SVC_EV("MODIFIED", "web", "102", "81")
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"resourceVersion\":\"150\"}}}\n"
	SVC_EV("ADDED", "db", "160", "5432")
	SVC_EV("DELETED", "web", "170", "81");

static void run_stream(size_t step, const char *what)
{
	struct kube_watch w;
	struct sink s = { 0 };
	int rc;

	kube_cache_init(&s.cache, "node-a");
	kube_watch_init(&w, "100", on_event, &s);
	rc = feed_all(&w, stream, step);
	ktap_ok(rc == 0 && !strcmp(s.log, "0:1 1:1 0:1 2:1") && w.events == 4 && w.bookmarks == 1 &&
		!strcmp(w.rv, "170") && s.cache.nsvcs == 1 && !strcmp(s.cache.svcs[0]->name, "db"),
		"%s: 4 events, 1 bookmark, version 170, the cache holds db (%s; %s)", what, s.log, w.rv);
	kube_watch_free(&w);
	kube_cache_free(&s.cache);
}

static int one(const char *text, struct kube_watch *w, struct sink *s)
{
	kube_cache_init(&s->cache, "node-a");
	kube_watch_init(w, "1", on_event, s);
	return feed_all(w, text, 7);
}

static void done(struct kube_watch *w, struct sink *s)
{
	kube_watch_free(w);
	kube_cache_free(&s->cache);
}

static void endings(void)
{
	struct kube_watch w;
	struct sink s = { 0 };
	int rc;

	rc = one(SVC_EV("ADDED", "web", "5", "80")
		 "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		 "\"status\":\"Failure\",\"message\":\"too old resource version: 5 (9)\",\"reason\":\"Expired\","
		 "\"code\":410}}\n", &w, &s);
	ktap_ok(rc == -ESTALE && strstr(w.why, "410 Expired: too old") && !strcmp(w.rv, "5"),
		"ERROR 410 Expired: list again (%s)", w.why);
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	rc = one("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"reason\":\"Gone\"}}", &w, &s);
	ktap_ok(rc == -ESTALE, "ERROR with reason Gone and no code (older servers): list again");
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	rc = one("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\"}}",
		 &w, &s);
	ktap_ok(rc == -ECONNABORTED, "another ERROR: watch again (%s)", w.why);
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	rc = one("<html>502 Bad Gateway</html>", &w, &s);
	ktap_ok(rc == -EPROTO && s.calls == 0, "not JSON: refused (%s)", w.why);
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	rc = one("{\"type\":\"ADDED\"}\n", &w, &s);
	ktap_ok(rc == -EPROTO && s.calls == 0, "an event with no object: refused (%s)", w.why);
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	rc = one("{\"type\":\"RENAMED\",\"object\":{}}\n", &w, &s);
	ktap_ok(rc == -EPROTO, "an event of unknown type: refused (%s)", w.why);
	done(&w, &s);
	memset(&s, 0, sizeof(s));
	s.fail_with = -ENOMEM;
	rc = one(SVC_EV("ADDED", "web", "5", "80"), &w, &s);
	ktap_ok(rc == -ENOMEM && !strcmp(w.rv, "1") && w.events == 0,
		"the callback's error ends the feed; the version does not move past the event");
	done(&w, &s);
}

static void oversize(void)
{
	static char chunk[1 << 20];
	struct kube_watch w;
	struct sink s = { 0 };
	const char *head = "{\"type\":\"ADDED\",\"object\":{\"x\":\"";
	size_t i;
	int rc;

	kube_cache_init(&s.cache, "node-a");
	kube_watch_init(&w, "1", on_event, &s);
	memset(chunk, 'a', sizeof(chunk));
	rc = kube_watch_feed(&w, head, strlen(head));
	for (i = 0; !rc && i < 20; i++)
		rc = kube_watch_feed(&w, chunk, sizeof(chunk));
	ktap_ok(rc == -EMSGSIZE && i <= (KUBE_EVENT_MAX >> 20) + 1 && s.calls == 0,
		"an event over %u MiB: refused after %zu MiB (%s)", KUBE_EVENT_MAX >> 20, i, w.why);
	done(&w, &s);
}

/* one event of @size bytes in one chunk: taken under the cap, refused over it */
static int sized_event(size_t size, int *calls)
{
	const char *head = "{\"type\":\"ADDED\",\"object\":{\"x\":\"", *tail = "\"}}\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *buf = malloc(size + 1);
	struct kube_watch w;
	struct sink s = { 0 };
	int rc;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, hl);
	memset(buf + hl, 'a', size - hl - tl);
	memcpy(buf + size - tl, tail, tl);
	kube_cache_init(&s.cache, "node-a");
	kube_watch_init(&w, "1", on_event, &s);
	rc = kube_watch_feed(&w, buf, size);
	*calls = s.calls;
	done(&w, &s);
	free(buf);
	return rc;
}

static void cap_in_one_chunk(void)
{
	int calls = 0, rc;

	rc = sized_event(KUBE_EVENT_MAX - 64, &calls);
	ktap_ok(rc == 0 && calls == 1, "an event just under the cap, in one chunk: taken (%d)", rc);
	rc = sized_event(KUBE_EVENT_MAX + 64, &calls);
	ktap_ok(rc == -EMSGSIZE && calls == 0,
		"an event just over the cap that ends inside the chunk: refused whole (%d)", rc);
	{
		struct kube_watch w;
		struct sink s = { 0 };

		rc = one("null\n", &w, &s);
		ktap_ok(rc == -EPROTO && strstr(w.why, "JSON null"), "a JSON null: not a watch event (%s)",
			w.why);
		done(&w, &s);
		memset(&s, 0, sizeof(s));
		rc = one(SVC_EV("ADDED", "web", "5", "80"), &w, &s);
		ktap_ok(rc == 0 && w.in_event == 0, "after a whole event nothing is pending");
		rc = kube_watch_feed(&w, "{\"type\":\"ADD", strlen("{\"type\":\"ADD"));
		ktap_ok(rc == 0 && w.in_event == strlen("{\"type\":\"ADD"),
			"a stream cut inside an event: in_event says so (%d, %zu)", rc, w.in_event);
		done(&w, &s);
	}
}

int main(void)
{
	ktap_plan(3 + 7 + 1 + 5);
	run_stream(sizeof(stream), "the whole stream at once");
	run_stream(1, "byte by byte");
	run_stream(13, "in 13-byte chunks");
	endings();
	oversize();
	cap_in_one_chunk();
	return ktap_finish();
}
