// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl kube: lists from the API server (see api.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health/curl.h"
#include "kube/api.h"

struct body {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *nb;

	if (add > KUBE_PAGE_MAX - b->len) {
		b->too_big = true;
		return 0;	/* ends the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;

		while (cap < b->len + add + 1)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb)
			return 0;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = 0;
	return add;
}

/* the token file's content, blanks at the end left out */
static int read_token(struct kube_api *a, char *why, size_t len)
{
	ssize_t n;
	int fd;

	a->token[0] = 0;
	if (!a->token_file[0])
		return 0;
	fd = open(a->token_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", a->token_file, strerror(errno));
		return -EACCES;
	}
	n = read(fd, a->token, sizeof(a->token) - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, len, "%s: %s", a->token_file, strerror(errno));
		return -EACCES;
	}
	while (n > 0 && (a->token[n - 1] == '\n' || a->token[n - 1] == ' ' || a->token[n - 1] == '\r'))
		n--;
	a->token[n] = 0;
	return 0;
}

/* the message of a Status answer, or the start of the body */
static void status_text(const struct body *b, long code, char *why, size_t len)
{
	json_object *st = b->buf ? json_tokener_parse(b->buf) : NULL, *m;

	if (st && json_object_object_get_ex(st, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(why, len, "HTTP %ld: %.200s", code, json_object_get_string(m));
	else
		snprintf(why, len, "HTTP %ld", code);
	json_object_put(st);
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un);

/* what every request to the API server sets: a dead peer (no RST) is
 * found by TCP keepalive within about a minute, not at the timeout
 */
static void common_opts(CURL *c)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
}

/* the request headers: JSON, and the bearer token if there is one; NULL
 * without memory (curl_slist_free_all() it)
 */
static struct curl_slist *headers(const struct kube_api *a)
{
	char auth[sizeof(a->token) + 32];
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json"), *hdr;

	if (!h || !a->token[0])
		return h;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
	hdr = curl_slist_append(h, auth);
	if (!hdr)
		curl_slist_free_all(h);
	return hdr;
}

/* what a transfer stops on: *@stop set, checked about once a second */
static void stop_on(CURL *c, const volatile int *stop)
{
	if (!stop)
		return;
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
}

/* One GET of @url into @b, stopped early once *@stop is set. Returns the
 * HTTP status, or -errno.
 */
static long get(struct kube_api *a, const char *url, struct body *b, const volatile int *stop,
		char *why, size_t len)
{
	struct curl_slist *hdr;
	CURLcode rc;
	long code = 0;
	CURL *c;

	b->len = 0;
	b->too_big = false;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	hdr = headers(a);
	if (!hdr) {
		curl_easy_cleanup(c);
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	common_opts(c);
	/* a page of 500 objects; a slow server is not waited for forever */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	stop_on(c, stop);
	if (a->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, a->ca_file);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED))
		snprintf(why, len, "stopped");
	else if (b->too_big)
		snprintf(why, len, "%s: an answer of more than %u MiB", url, KUBE_PAGE_MAX >> 20);
	else
		snprintf(why, len, "%s: %s", a->server, curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK)
		return stop && __atomic_load_n(stop, __ATOMIC_RELAXED) ? -EINTR : b->too_big ? -EMSGSIZE : -EIO;
	return code;
}

/* a page: its items appended to @all, its version and continue token */
static int page(const struct body *b, json_object *all, char *rv, size_t rvlen, char *cont,
		size_t clen, char *why, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(64);
	json_object *o, *md, *items, *v;
	size_t i, n;
	int err = 0;

	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, b->buf ? b->buf : "", (int)b->len);
	json_tokener_free(tok);
	if (!o || !json_object_object_get_ex(o, "items", &items) ||
	    !(json_object_is_type(items, json_type_array) || json_object_is_type(items, json_type_null)) ||
	    !json_object_object_get_ex(o, "metadata", &md) ||
	    !json_object_object_get_ex(md, "resourceVersion", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) >= rvlen) {
		snprintf(why, len, "the answer is not a list");
		json_object_put(o);
		return -EPROTO;
	}
	snprintf(rv, rvlen, "%s", json_object_get_string(v));
	cont[0] = 0;
	if (json_object_object_get_ex(md, "continue", &v) && json_object_is_type(v, json_type_string))
		snprintf(cont, clen, "%s", json_object_get_string(v));
	n = items ? json_object_array_length(items) : 0;
	for (i = 0; !err && i < n; i++)
		if (json_object_array_add(all, json_object_get(json_object_array_get_idx(items, i))))
			err = -ENOMEM;
	json_object_put(o);
	return err;
}

/* @s percent-encoded for a query value (RFC 3986: unreserved kept) */
static int escape(const char *s, char *out, size_t olen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';

		if (o + (keep ? 1 : 3) >= olen)
			return -ENAMETOOLONG;
		if (keep) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = 0;
	return 0;
}

/* the selector term of every list and watch */
static int selector(const struct kube_api *a, char *out, size_t len)
{
	char sel[256];
	int n;

	if (a->selector[0])
		n = snprintf(out, len, "%s", a->selector);
	else if (escape(KUBE_SELECTOR, sel, sizeof(sel)))
		return -ENAMETOOLONG;
	else
		n = snprintf(out, len, "labelSelector=%s", sel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int url_of(const struct kube_api *a, const char *path, const char *cont, char *url,
		  size_t ulen)
{
	char sel[sizeof(a->selector)], c[3 * 2048];
	int n;

	if (selector(a, sel, sizeof(sel)) || escape(cont, c, sizeof(c)))
		return -ENAMETOOLONG;
	n = snprintf(url, ulen, "%s%s?limit=500&%s%s%s", a->server, path, sel,
		     c[0] ? "&continue=" : "", c);
	return n < 0 || (size_t)n >= ulen ? -ENAMETOOLONG : 0;
}

int kube_api_list(struct kube_api *a, const char *path, json_object **items, char *rv,
		  size_t rvlen, const volatile int *stop, char *why, size_t len)
{
	struct body b = { 0 };
	size_t total = 0;
	char url[8192], cont[2048] = "";
	int restarts = 0, reauth = 0, err;
	json_object *all;
	long code;

	*items = NULL;
	if (curl_load(why, len))
		return -ENOSYS;
	err = read_token(a, why, len);
	if (err)
		return err;
	all = json_object_new_array();
	if (!all)
		return -ENOMEM;
	for (;;) {
		err = url_of(a, path, cont, url, sizeof(url));
		if (err) {
			snprintf(why, len, "a continue token too long");
			break;
		}
		code = get(a, url, &b, stop, why, len);
		if (code < 0) {
			err = (int)code;
			break;
		}
		if (code == 401 && !reauth++ && a->token_file[0]) {
			err = read_token(a, why, len);	/* rotated: once more */
			if (err)
				break;
			continue;
		}
		if (code == 410 && cont[0] && restarts++ < 3) {
			/* the continue token expired: from the start */
			json_object_put(all);
			all = json_object_new_array();
			if (!all) {
				err = -ENOMEM;
				break;
			}
			cont[0] = 0;
			continue;
		}
		if (code != 200) {
			status_text(&b, code, why, len);
			err = code == 401 || code == 403 ? -EACCES : -EIO;
			break;
		}
		total += b.len;
		if (total > KUBE_LIST_MAX) {
			snprintf(why, len, "a list of more than %u MiB", KUBE_LIST_MAX >> 20);
			err = -EMSGSIZE;
			break;
		}
		err = page(&b, all, rv, rvlen, cont, sizeof(cont), why, len);
		if (err || !cont[0])
			break;
	}
	free(b.buf);
	if (err) {
		json_object_put(all);
		return err;
	}
	*items = all;
	return 0;
}

/* ---- watch ------------------------------------------------------------ */

struct wctx {
	struct kube_watch *w;
	const volatile int *stop;
	struct body err;		/* the body of an answer that is not 200 */
	long code;
	int feed_err;
	CURL *c;
};

static size_t on_watch(char *p, size_t size, size_t n, void *arg)
{
	struct wctx *x = arg;
	size_t len = size * n;

	if (!x->code)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->code);
	if (x->code != 200)
		return on_data(p, size, n, &x->err);
	x->feed_err = kube_watch_feed(x->w, p, len);
	return x->feed_err ? 0 : len;
}

/* @arg: the stop flag; nonzero aborts the transfer (called about once a second) */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const volatile int *stop = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return __atomic_load_n(stop, __ATOMIC_RELAXED);
}

static int watch_url(const struct kube_api *a, const char *path, const char *rv,
		     unsigned int timeout_s, char *url, size_t ulen)
{
	char sel[sizeof(a->selector)], v[3 * KUBE_RV_MAX];
	int n;

	if (selector(a, sel, sizeof(sel)) || escape(rv, v, sizeof(v)))
		return -ENAMETOOLONG;
	n = snprintf(url, ulen, "%s%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%u"
		     "&%s&resourceVersion=%s", a->server, path, timeout_s, sel, v);
	return n < 0 || (size_t)n >= ulen ? -ENAMETOOLONG : 0;
}

/* what the end of a watch transfer means (kube_api_watch's returns) */
static int watch_end(struct wctx *x, CURLcode rc, const char *server, char *why, size_t len)
{
	if (x->stop && __atomic_load_n(x->stop, __ATOMIC_RELAXED)) {
		snprintf(why, len, "stopped");
		return -EINTR;
	}
	if (x->feed_err) {
		snprintf(why, len, "%s", x->w->why);
		return x->feed_err;
	}
	if (x->code && x->code != 200) {
		status_text(&x->err, x->code, why, len);
		return x->code == 410 ? -ESTALE : x->code == 401 || x->code == 403 ? -EACCES : -EIO;
	}
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s: %s", server, curl_easy_strerror(rc));
		return -EIO;
	}
	if (x->w->in_event) {
		snprintf(why, len, "the stream ended in the middle of an event");
		return -EIO;
	}
	snprintf(why, len, "the server ended the watch");
	return 0;
}

int kube_api_watch(struct kube_api *a, const char *path, struct kube_watch *w,
		   unsigned int timeout_s, const volatile int *stop, char *why, size_t len)
{
	struct wctx x = { .w = w, .stop = stop };
	struct curl_slist *hdr = NULL;
	char url[8192];
	CURLcode rc;
	int err;

	if (curl_load(why, len))
		return -ENOSYS;
	err = read_token(a, why, len);
	if (err)
		return err;
	if (watch_url(a, path, w->rv, timeout_s, url, sizeof(url))) {
		snprintf(why, len, "a resource version too long");
		return -EPROTO;
	}
	x.c = curl_easy_init();
	hdr = x.c ? headers(a) : NULL;
	if (!hdr) {
		if (x.c)
			curl_easy_cleanup(x.c);
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	curl_easy_setopt(x.c, CURLOPT_URL, url);
	curl_easy_setopt(x.c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, on_watch);
	curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
	stop_on(x.c, stop);
	common_opts(x.c);
	curl_easy_setopt(x.c, CURLOPT_TIMEOUT, (long)timeout_s + 30L);
	if (a->ca_file[0])
		curl_easy_setopt(x.c, CURLOPT_CAINFO, a->ca_file);
	rc = curl_easy_perform(x.c);
	if (!x.code)
		curl_easy_getinfo(x.c, CURLINFO_RESPONSE_CODE, &x.code);
	err = watch_end(&x, rc, a->server, why, len);
	curl_easy_cleanup(x.c);
	curl_slist_free_all(hdr);
	free(x.err.buf);
	return err;
}
