// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl apply --stream: documents separated by "---" lines, each
 * applied as it arrives and answered with one line (see apply.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cmd/apply.h"

static void stream_ack(struct ctx *c, const struct apply_opts *o, long doc, int rc,
		       const struct apply_res *r)
{
	if (c->o.json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "document", json_object_new_int64(doc));
		json_object_object_add(j, "exit_status", json_object_new_int(rc));
		if (rc)
			/* true: the document changed nothing */
			json_object_object_add(j, "unchanged",
					       json_object_new_boolean(!r->applied && !r->undo_failed));
		res_json(j, o, r);
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else if (rc && r->undo_failed) {
		printf("document %ld: failed (exit status %d); rolling back failed too\n", doc, rc);
	} else if (rc && !r->applied) {
		printf("document %ld: failed (exit status %d); nothing was changed\n", doc, rc);
	} else if (rc) {
		printf("document %ld: failed (exit status %d) after %zu change%s\n", doc, rc,
		       r->changes, r->changes == 1 ? "" : "s");
	} else {
		printf("document %ld: ", doc);
		res_text(stdout, o, r);
	}
	fflush(stdout);
}

/* a line that ends a --stream document: "---", blanks around it allowed */
static bool is_separator(const char *l)
{
	l += strspn(l, " \t");
	if (strncmp(l, "---", 3))
		return false;
	l += 3;
	return l[strspn(l, " \t\r\n")] == 0;
}

/* the document being read: its text so far, and what is known of it */
struct stream_doc {
	struct input in;
	size_t cap;
	bool blank;		/* nothing but blanks so far */
	bool big;		/* over APPLY_MAX_INPUT: skipped up to the separator */
	bool bol;		/* the next chunk starts a line */
	uint64_t t_first;	/* its first line came (0: not yet) */
};

static void doc_reset(struct stream_doc *d)
{
	d->in.len = 0;
	d->blank = true;
	d->big = false;
	d->bol = true;
	d->t_first = 0;
}

/* @n bytes of a document's text: kept, bounded as a single apply's input */
static int doc_take(struct stream_doc *d, const char *chunk, size_t n)
{
	d->bol = n && chunk[n - 1] == '\n';
	if (d->big || d->in.len + n > APPLY_MAX_INPUT) {
		d->big = true;
		return 0;
	}
	if (d->in.len + n + 1 > d->cap) {
		size_t ncap = d->cap ? d->cap : 262144;
		char *b;

		while (ncap < d->in.len + n + 1)
			ncap *= 2;
		b = realloc(d->in.buf, ncap);
		if (!b)
			return -ENOMEM;
		d->in.buf = b;
		d->cap = ncap;
	}
	memcpy(d->in.buf + d->in.len, chunk, n);
	d->in.len += n;
	if (chunk[strspn(chunk, " \t\r\n")])
		d->blank = false;
	return 0;
}

/* document number @ndoc, ended by its separator: applied (or refused, if
 * too large) and answered; its exit code, or -ENOMEM
 */
static int doc_apply(struct ctx *c, const struct apply_opts *o, struct stream_doc *d,
		     const char *name, long ndoc)
{
	struct apply_res r = { 0 };
	char dname[300];
	int drc;

	snprintf(dname, sizeof(dname), "%s (document %ld)", name, ndoc);
	if (d->big) {
		fprintf(stderr, "%s: %s: larger than %u MiB; nothing was changed\n",
			c->prog, dname, APPLY_MAX_INPUT >> 20);
		drc = EXIT_USAGE;
	} else {
		if (!d->in.buf) {
			d->in.buf = malloc(1);
			d->cap = 1;
			if (!d->in.buf)
				return -ENOMEM;
		}
		d->in.buf[d->in.len] = 0;
		drc = apply_doc(c, o, dname, d->in.buf, d->in.len, d->t_first, &r);
	}
	stream_ack(c, o, ndoc, drc, &r);
	free(r.plan);
	return drc;
}

/*
 * --stream: documents separated by "---" lines, each applied as soon as its
 * separator (or the end of the input) is read. A document that fails
 * changes nothing (apply_doc()) and the stream goes on; the exit code is
 * that of the first failure. The input after the last separator is not
 * applied: blanks are nothing, anything else a document cut short.
 */
int apply_stream(struct ctx *c, const struct apply_opts *o, const char *path,
		 const char *name)
{
	enum { CHUNK = 65536 };	/* a longer line is read in pieces */
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	struct stream_doc d = { 0 };
	size_t n;
	char *chunk;
	bool eof;
	long ndoc = 0;
	int rc = EXIT_OK, drc;

	if (!f) {
		int e = errno;

		fprintf(stderr, "%s: %s: %s\n", c->prog, path, strerror(e));
		return e == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	doc_reset(&d);
	chunk = malloc(CHUNK);
	if (!chunk)
		goto nomem;
	/* a pipe is read as far as it is filled, not a few KiB at a time */
	setvbuf(f, NULL, _IOFBF, 1u << 20);
	for (;;) {
		eof = !fgets(chunk, CHUNK, f);
		n = eof ? 0 : strlen(chunk);
		if (!d.t_first)
			d.t_first = now_us();
		if (!eof && !(d.bol && (chunk[n - 1] == '\n' || feof(f)) && is_separator(chunk))) {
			if (doc_take(&d, chunk, n))
				goto nomem;
			continue;
		}
		if (eof && ferror(f)) {
			fprintf(stderr, "%s: %s: read error\n", c->prog, name);
			if (!rc)
				rc = EXIT_FAIL;
			break;
		}
		if (eof && !d.blank && !d.big) {
			/*
			 * Text after the last "---" at the end of the input: a
			 * producer that stopped in the middle of a document. Not
			 * applied: with a scope, half a state deletes the rest.
			 */
			struct apply_res r = { 0 };

			ndoc++;
			fprintf(stderr, "%s: %s (document %ld): not ended by a '---' line; not applied\n",
				c->prog, name, ndoc);
			stream_ack(c, o, ndoc, EXIT_USAGE, &r);
			if (!rc)
				rc = EXIT_USAGE;
			break;
		}
		/* nothing but blanks (a leading or doubled "---", or the
		 * tail after the last one) is no document
		 */
		if (!d.blank || d.big) {
			drc = doc_apply(c, o, &d, name, ++ndoc);
			if (drc < 0)
				goto nomem;
			if (drc && !rc)
				rc = drc;
		}
		doc_reset(&d);
		if (eof)
			break;
	}
out:
	free(chunk);
	free(d.in.buf);
	if (f != stdin)
		fclose(f);
	return rc;
nomem:
	fprintf(stderr, "%s: out of memory\n", c->prog);
	rc = EXIT_FAIL;
	goto out;
}
