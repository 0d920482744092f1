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
	struct input doc = { 0 };
	size_t cap = 0, n;
	char *chunk, dname[300];
	bool blank = true, big = false, bol = true, eof;
	uint64_t t_first = 0;	/* the document's first line came */
	long ndoc = 0;
	int rc = EXIT_OK, drc;

	if (!f) {
		int e = errno;

		fprintf(stderr, "%s: %s: %s\n", c->prog, path, strerror(e));
		return e == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	chunk = malloc(CHUNK);
	if (!chunk) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		rc = EXIT_FAIL;
		goto out;
	}
	/* a pipe is read as far as it is filled, not a few KiB at a time */
	setvbuf(f, NULL, _IOFBF, 1u << 20);
	for (;;) {
		struct apply_res r = { 0 };

		eof = !fgets(chunk, CHUNK, f);
		n = eof ? 0 : strlen(chunk);
		if (!t_first)
			t_first = now_us();
		if (!eof && !(bol && (chunk[n - 1] == '\n' || feof(f)) && is_separator(chunk))) {
			/* the document's text: bounded, as a single apply's */
			bol = n && chunk[n - 1] == '\n';
			if (big || doc.len + n > APPLY_MAX_INPUT) {
				big = true;	/* skipped up to the separator */
				continue;
			}
			if (doc.len + n + 1 > cap) {
				size_t ncap = cap ? cap : 262144;
				char *b;

				while (ncap < doc.len + n + 1)
					ncap *= 2;
				b = realloc(doc.buf, ncap);
				if (!b) {
					fprintf(stderr, "%s: out of memory\n", c->prog);
					rc = EXIT_FAIL;
					break;
				}
				doc.buf = b;
				cap = ncap;
			}
			memcpy(doc.buf + doc.len, chunk, n);
			doc.len += n;
			if (chunk[strspn(chunk, " \t\r\n")])
				blank = false;
			continue;
		}
		if (eof && ferror(f)) {
			fprintf(stderr, "%s: %s: read error\n", c->prog, name);
			if (!rc)
				rc = EXIT_FAIL;
			break;
		}
		if (eof && !blank && !big) {
			/*
			 * Text after the last "---" at the end of the input: a
			 * producer that stopped in the middle of a document. Not
			 * applied: with a scope, half a state deletes the rest.
			 */
			ndoc++;
			fprintf(stderr, "%s: %s (document %ld): not ended by a '---' line; not applied\n",
				c->prog, name, ndoc);
			stream_ack(c, o, ndoc, EXIT_USAGE, &r);
			if (!rc)
				rc = EXIT_USAGE;
			break;
		}
		if (blank && !big) {
			/* nothing but blanks: a leading or doubled "---", or
			 * the tail after the last one, is no document
			 */
			doc.len = 0;
			bol = true;
			t_first = 0;
			if (eof)
				break;
			continue;
		}
		ndoc++;
		snprintf(dname, sizeof(dname), "%s (document %ld)", name, ndoc);
		if (big) {
			fprintf(stderr, "%s: %s: larger than %u MiB; nothing was changed\n",
				c->prog, dname, APPLY_MAX_INPUT >> 20);
			drc = EXIT_USAGE;
		} else {
			if (!doc.buf) {
				doc.buf = malloc(1);
				cap = 1;
				if (!doc.buf) {
					fprintf(stderr, "%s: out of memory\n", c->prog);
					rc = EXIT_FAIL;
					break;
				}
			}
			doc.buf[doc.len] = 0;
			drc = apply_doc(c, o, dname, doc.buf, doc.len, t_first, &r);
		}
		stream_ack(c, o, ndoc, drc, &r);
		free(r.plan);
		if (drc && !rc)
			rc = drc;
		doc.len = 0;
		blank = true;
		big = false;
		bol = true;
		t_first = 0;
		if (eof)
			break;
	}
out:
	free(chunk);
	free(doc.buf);
	if (f != stdin)
		fclose(f);
	return rc;
}
