// SPDX-License-Identifier: GPL-2.0
/*
 * apply's JSON input: see json.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
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

int json_to_ops(const char *name, const char *text, struct jops *j, char *why,
		size_t whylen)
{
	static const char *const svc_skip[] = { "service", "backends", "health", NULL };
	static const char *const be_skip[] = { "address", NULL };
	static const char *const none[] = { NULL };
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *root, *svcs, *v;
	enum json_tokener_error jerr;
	char where[400];
	struct words *w;
	size_t i, k, n;
	int err = 0;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success ||
	    text[strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") +
		 json_tokener_get_parse_end(tok)]) {
		snprintf(why, whylen, "%s: not valid JSON (%s, at byte %zu)", name,
			 jerr == json_tokener_continue ? "the document ends early" :
			 jerr != json_tokener_success ? json_tokener_error_desc(jerr) :
			 "text after the document", json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		json_object_put(root);
		return -EINVAL;
	}
	json_tokener_free(tok);
	w = malloc(sizeof(*w));
	if (!w) {
		json_object_put(root);
		return -ENOMEM;
	}
	if (json_object_get_type(root) != json_type_object) {
		snprintf(why, whylen, "%s: the document must be an object", name);
		err = -EINVAL;
		goto out;
	}
	json_object_object_foreach(root, key, val) {
		(void)val;
		if (strcmp(key, "services") && strcmp(key, "scope") && strcmp(key, "timeouts") &&
		    strcmp(key, "version")) {
			snprintf(why, whylen, "%s: unknown key \"%s\" (services, scope, timeouts)",
				 name, key);
			err = -EINVAL;
			goto out;
		}
	}
	if (json_object_object_get_ex(root, "scope", &v)) {
		if (json_object_get_type(v) != json_type_array) {
			snprintf(why, whylen, "%s: \"scope\": an array of strings", name);
			err = -EINVAL;
			goto out;
		}
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			char sw[300];

			if (json_object_get_type(e) != json_type_string) {
				snprintf(why, whylen, "%s: scope[%zu]: a string", name, i);
				err = -EINVAL;
				goto out;
			}
			err = scope_add(j->scope, json_object_get_string(e), sw, sizeof(sw));
			if (err) {
				snprintf(why, whylen, "%s: scope[%zu]: %s", name, i, sw);
				goto out;
			}
		}
	}
	if (json_object_object_get_ex(root, "timeouts", &v)) {
		w->n = 0;
		words_add(w, "timeout", why, whylen);
		words_add(w, "set", why, whylen);
		if (json_object_get_type(v) != json_type_object) {
			snprintf(why, whylen, "%s: \"timeouts\": an object", name);
			err = -EINVAL;
			goto out;
		}
		snprintf(where, sizeof(where), "%s: timeouts", name);
		err = json_opts(v, w, none, why, whylen);
		if (!err)
			err = jops_push(j, w, where, why, whylen);
		if (err)
			goto out;
	}
	if (!json_object_object_get_ex(root, "services", &svcs))
		goto out;	/* no state: refused by apply unless --allow-empty */
	j->services = true;
	if (json_object_get_type(svcs) != json_type_array) {
		snprintf(why, whylen, "%s: \"services\": an array", name);
		err = -EINVAL;
		goto out;
	}
	n = json_object_array_length(svcs);
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(svcs, i), *bes, *hc;
		const char *id;
		size_t nb;

		snprintf(where, sizeof(where), "%s: services[%zu]", name, i);
		if (json_object_get_type(s) != json_type_object || !(id = json_str(s, "service"))) {
			snprintf(why, whylen, "%s: an object with \"service\": \"tcp/ADDR:PORT\"",
				 where);
			err = -EINVAL;
			goto out;
		}
		w->n = 0;
		if (words_add(w, "service", why, whylen) || words_add(w, "add", why, whylen) ||
		    words_add(w, id, why, whylen) || json_opts(s, w, svc_skip, why, whylen) ||
		    jops_push(j, w, where, why, whylen)) {
			err = -EINVAL;
			goto prefix;
		}
		if (json_object_object_get_ex(s, "backends", &bes) &&
		    json_object_get_type(bes) != json_type_null) {
			if (json_object_get_type(bes) != json_type_array) {
				snprintf(why, whylen, "%s: \"backends\": an array", where);
				err = -EINVAL;
				goto out;
			}
			nb = json_object_array_length(bes);
			for (k = 0; k < nb; k++) {
				struct json_object *b = json_object_array_get_idx(bes, k);
				const char *a;
				char bw[320];

				snprintf(bw, sizeof(bw), "%.280s.backends[%zu]", where, k);
				if (json_object_get_type(b) != json_type_object ||
				    !(a = json_str(b, "address"))) {
					snprintf(why, whylen, "%s: an object with \"address\"", bw);
					err = -EINVAL;
					goto out;
				}
				w->n = 0;
				if (words_add(w, "backend", why, whylen) ||
				    words_add(w, "add", why, whylen) ||
				    words_add(w, id, why, whylen) ||
				    words_add(w, a, why, whylen) ||
				    json_opts(b, w, be_skip, why, whylen) ||
				    jops_push(j, w, bw, why, whylen)) {
					err = -EINVAL;
					snprintf(where, sizeof(where), "%s", bw);
					goto prefix;
				}
			}
		}
		if (json_object_object_get_ex(s, "health", &hc) &&
		    json_object_get_type(hc) != json_type_null) {
			char hw[320];

			snprintf(hw, sizeof(hw), "%.300s.health", where);
			if (json_object_get_type(hc) != json_type_object) {
				snprintf(why, whylen, "%s: an object", hw);
				err = -EINVAL;
				goto out;
			}
			w->n = 0;
			if (words_add(w, "health", why, whylen) || words_add(w, id, why, whylen) ||
			    json_opts(hc, w, none, why, whylen) ||
			    jops_push(j, w, hw, why, whylen)) {
				err = -EINVAL;
				snprintf(where, sizeof(where), "%s", hw);
				goto prefix;
			}
		}
	}
	goto out;
prefix:
	/* words_add/json_opts messages do not say where; jops_push's do */
	if (strncmp(why, name, strlen(name))) {
		char tmp[400];

		snprintf(tmp, sizeof(tmp), "%.399s", why);
		snprintf(why, whylen, "%.200s: %s", where, tmp);
	}
out:
	free(w);
	json_object_put(root);
	return err;
}

