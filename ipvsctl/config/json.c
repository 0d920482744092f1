// SPDX-License-Identifier: GPL-2.0
/*
 * apply's JSON input: see json.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "config/json.h"

/* ---- JSON input ------------------------------------------------------------- */

struct words {
	char *v[GRAMMAR_MAX_WORDS];
	int n;
	char store[GRAMMAR_MAX_WORDS][256];
};

static int words_add(struct words *w, const char *s, char *why, size_t whylen)
{
	if (w->n == GRAMMAR_MAX_WORDS) {
		snprintf(why, whylen, "too many options");
		return -E2BIG;
	}
	if (strlen(s) >= sizeof(w->store[0])) {
		snprintf(why, whylen, "value too long: '%.40s...'", s);
		return -EINVAL;
	}
	snprintf(w->store[w->n], sizeof(w->store[0]), "%s", s);
	w->v[w->n] = w->store[w->n];
	w->n++;
	return 0;
}

/* One JSON value as one grammar word: strings as they are, integers in
 * decimal, booleans on/off, arrays of strings joined with commas (flags).
 */
static int json_word(struct json_object *v, const char *key, char *out, size_t len,
		     char *why, size_t whylen)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_string:
		/* refused, never cut: a cut value could still be valid */
		if ((size_t)json_object_get_string_len(v) >= len) {
			snprintf(why, whylen, "\"%s\": a string of at most %zu bytes", key, len - 1);
			return -EINVAL;
		}
		snprintf(out, len, "%s", json_object_get_string(v));
		return 0;
	case json_type_int:
		snprintf(out, len, "%lld", (long long)json_object_get_int64(v));
		return 0;
	case json_type_boolean:
		snprintf(out, len, "%s", json_object_get_boolean(v) ? "on" : "off");
		return 0;
	case json_type_array:
		out[0] = 0;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (json_object_get_type(e) != json_type_string) {
				snprintf(why, whylen, "\"%s\": an array of strings", key);
				return -EINVAL;
			}
			if (strlen(out) + strlen(json_object_get_string(e)) + 2 > len) {
				snprintf(why, whylen, "\"%s\": too long", key);
				return -EINVAL;
			}
			if (i)
				strcat(out, ",");
			strcat(out, json_object_get_string(e));
		}
		if (!n)
			snprintf(out, len, "none");
		return 0;
	default:
		snprintf(why, whylen, "\"%s\": a string, an integer, a boolean or an array of strings",
			 key);
		return -EINVAL;
	}
}

/* Every key of @obj but @skip... as "key value" words. */
static int json_opts(struct json_object *obj, struct words *w, const char *const *skip,
		     char *why, size_t whylen)
{
	char val[256];
	int err;

	json_object_object_foreach(obj, key, v) {
		const char *const *s;
		bool skipped = false;

		for (s = skip; *s; s++)
			if (!strcmp(key, *s))
				skipped = true;
		if (skipped || json_object_get_type(v) == json_type_null)
			continue;
		err = json_word(v, key, val, sizeof(val), why, whylen);
		if (!err)
			err = words_add(w, key, why, whylen);
		if (!err)
			err = words_add(w, val, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

static int jops_push(struct jops *j, struct words *w, const char *where, char *why,
		     size_t whylen)
{
	char err_why[400];
	char **nw;

	if (j->n == j->cap) {
		/* two arrays of one length: both grown before @cap says so */
		size_t cap = j->cap, wcap = j->cap;
		struct op *v = array_room(j->v, j->n, &cap, sizeof(*v), 256);

		if (!v)
			return -ENOMEM;
		j->v = v;
		nw = array_room(j->where, j->n, &wcap, sizeof(*nw), 256);
		if (!nw)
			return -ENOMEM;
		j->where = nw;
		j->cap = cap;
	}
	j->where[j->n] = strdup(where);
	if (!j->where[j->n])
		return -ENOMEM;
	if (grammar_parse(w->n, w->v, &j->v[j->n], err_why, sizeof(err_why))) {
		snprintf(why, whylen, "%s: %s", where, err_why);
		free(j->where[j->n]);
		return -EINVAL;
	}
	j->v[j->n].file = j->where[j->n];
	j->v[j->n].line = 0;
	j->n++;
	return 0;
}

void jops_free(struct jops *j)
{
	size_t i;

	ops_free(j->v, j->n);
	for (i = 0; i < j->n; i++)
		free(j->where[i]);
	free(j->where);
	memset(j, 0, sizeof(*j));
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_get_type(v) != json_type_string)
		return NULL;
	return json_object_get_string(v);
}

/* One document being turned into ops. */
struct jdoc {
	const char *name;
	struct jops *j;
	struct words *w;
	char *why;
	size_t whylen;
};

static const char *const no_skip[] = { NULL };

/* words_add() and json_opts() messages do not say where; jops_push()'s
 * do: -EINVAL, with @where in front of a message that lacks it
 */
static int at(struct jdoc *d, const char *where)
{
	char tmp[400];

	if (strncmp(d->why, d->name, strlen(d->name))) {
		snprintf(tmp, sizeof(tmp), "%.399s", d->why);
		snprintf(d->why, d->whylen, "%.200s: %s", where, tmp);
	}
	return -EINVAL;
}

/* -EINVAL, with @fmt said */
static int bad(struct jdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct jdoc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, d->whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The text as one JSON object (the caller puts it), or NULL with @why. */
static struct json_object *parse_doc(struct jdoc *d, const char *text, int *err)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	enum json_tokener_error jerr;
	struct json_object *root;
	size_t end;

	*err = -ENOMEM;
	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success || text[strspn(text + end, " \t\r\n") + end]) {
		*err = bad(d, "%s: not valid JSON (%s, at byte %zu)", d->name,
			   jerr == json_tokener_continue ? "the document ends early" :
			   jerr != json_tokener_success ? json_tokener_error_desc(jerr) :
			   "text after the document", end);
		json_object_put(root);
		return NULL;
	}
	if (json_object_get_type(root) != json_type_object) {
		*err = bad(d, "%s: the document must be an object", d->name);
		json_object_put(root);
		return NULL;
	}
	json_object_object_foreach(root, key, val) {
		(void)val;
		if (strcmp(key, "services") && strcmp(key, "scope") && strcmp(key, "timeouts") &&
		    strcmp(key, "version")) {
			*err = bad(d, "%s: unknown key \"%s\" (services, scope, timeouts)", d->name,
				   key);
			json_object_put(root);
			return NULL;
		}
	}
	*err = 0;
	return root;
}

/* "scope": an array of scope words, into j->scope */
static int doc_scope(struct jdoc *d, struct json_object *v)
{
	size_t i, n;
	int err;

	if (json_object_get_type(v) != json_type_array)
		return bad(d, "%s: \"scope\": an array of strings", d->name);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char sw[300];

		if (json_object_get_type(e) != json_type_string)
			return bad(d, "%s: scope[%zu]: a string", d->name, i);
		err = scope_add(d->j->scope, json_object_get_string(e), sw, sizeof(sw));
		if (err) {
			snprintf(d->why, d->whylen, "%s: scope[%zu]: %s", d->name, i, sw);
			return err;
		}
	}
	return 0;
}

/* "timeouts": {"tcp": ..., ...} as "timeout set tcp ..." */
static int doc_timeouts(struct jdoc *d, struct json_object *v)
{
	char where[400];
	int err;

	d->w->n = 0;
	words_add(d->w, "timeout", d->why, d->whylen);
	words_add(d->w, "set", d->why, d->whylen);
	if (json_object_get_type(v) != json_type_object)
		return bad(d, "%s: \"timeouts\": an object", d->name);
	snprintf(where, sizeof(where), "%s: timeouts", d->name);
	err = json_opts(v, d->w, no_skip, d->why, d->whylen);
	return err ? err : jops_push(d->j, d->w, where, d->why, d->whylen);
}

/* a service's "backends": "backend add SERVICE ADDRESS ..." each */
static int doc_backends(struct jdoc *d, struct json_object *bes, const char *id,
			const char *where)
{
	static const char *const be_skip[] = { "address", NULL };
	size_t k, nb;

	if (json_object_get_type(bes) != json_type_array)
		return bad(d, "%s: \"backends\": an array", where);
	nb = json_object_array_length(bes);
	for (k = 0; k < nb; k++) {
		struct json_object *b = json_object_array_get_idx(bes, k);
		const char *a;
		char bw[320];

		snprintf(bw, sizeof(bw), "%.280s.backends[%zu]", where, k);
		if (json_object_get_type(b) != json_type_object || !(a = json_str(b, "address")))
			return bad(d, "%s: an object with \"address\"", bw);
		d->w->n = 0;
		if (words_add(d->w, "backend", d->why, d->whylen) ||
		    words_add(d->w, "add", d->why, d->whylen) ||
		    words_add(d->w, id, d->why, d->whylen) ||
		    words_add(d->w, a, d->why, d->whylen) ||
		    json_opts(b, d->w, be_skip, d->why, d->whylen) ||
		    jops_push(d->j, d->w, bw, d->why, d->whylen))
			return at(d, bw);
	}
	return 0;
}

/* a service's "health": "health SERVICE ..." */
static int doc_health(struct jdoc *d, struct json_object *hc, const char *id, const char *where)
{
	char hw[320];

	snprintf(hw, sizeof(hw), "%.300s.health", where);
	if (json_object_get_type(hc) != json_type_object)
		return bad(d, "%s: an object", hw);
	d->w->n = 0;
	if (words_add(d->w, "health", d->why, d->whylen) || words_add(d->w, id, d->why, d->whylen) ||
	    json_opts(hc, d->w, no_skip, d->why, d->whylen) ||
	    jops_push(d->j, d->w, hw, d->why, d->whylen))
		return at(d, hw);
	return 0;
}

/* services[@i]: "service add SERVICE ...", its backends and health */
static int doc_service(struct jdoc *d, struct json_object *s, size_t i)
{
	static const char *const svc_skip[] = { "service", "backends", "health", NULL };
	struct json_object *bes, *hc;
	char where[400];
	const char *id;
	int err;

	snprintf(where, sizeof(where), "%s: services[%zu]", d->name, i);
	if (json_object_get_type(s) != json_type_object || !(id = json_str(s, "service")))
		return bad(d, "%s: an object with \"service\": \"tcp/ADDR:PORT\"", where);
	d->w->n = 0;
	if (words_add(d->w, "service", d->why, d->whylen) ||
	    words_add(d->w, "add", d->why, d->whylen) || words_add(d->w, id, d->why, d->whylen) ||
	    json_opts(s, d->w, svc_skip, d->why, d->whylen) ||
	    jops_push(d->j, d->w, where, d->why, d->whylen))
		return at(d, where);
	if (json_object_object_get_ex(s, "backends", &bes) &&
	    json_object_get_type(bes) != json_type_null) {
		err = doc_backends(d, bes, id, where);
		if (err)
			return err;
	}
	if (json_object_object_get_ex(s, "health", &hc) &&
	    json_object_get_type(hc) != json_type_null)
		return doc_health(d, hc, id, where);
	return 0;
}

int json_to_ops(const char *name, const char *text, struct jops *j, char *why,
		size_t whylen)
{
	struct jdoc d = { .name = name, .j = j, .why = why, .whylen = whylen };
	struct json_object *root, *svcs, *v;
	size_t i, n;
	int err;

	root = parse_doc(&d, text, &err);
	if (!root)
		return err;
	d.w = malloc(sizeof(*d.w));
	if (!d.w) {
		json_object_put(root);
		return -ENOMEM;
	}
	if (json_object_object_get_ex(root, "scope", &v))
		err = doc_scope(&d, v);
	if (!err && json_object_object_get_ex(root, "timeouts", &v))
		err = doc_timeouts(&d, v);
	/* no "services": no state, refused by apply unless --allow-empty */
	if (!err && json_object_object_get_ex(root, "services", &svcs)) {
		j->services = true;
		if (json_object_get_type(svcs) != json_type_array)
			err = bad(&d, "%s: \"services\": an array", name);
		n = err ? 0 : json_object_array_length(svcs);
		for (i = 0; !err && i < n; i++)
			err = doc_service(&d, json_object_array_get_idx(svcs, i), i);
	}
	free(d.w);
	json_object_put(root);
	return err;
}

