/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl apply: shared by its files only. apply.c is the command and
 * its input; apply_doc.c applies one desired state and says what became
 * of it; apply_stream.c applies a stream of them (--stream).
 */
#ifndef IPVSCTL_CMD_APPLY_H
#define IPVSCTL_CMD_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cmd/cmd.h"

#define APPLY_MAX_INPUT (512u << 20)	/* a desired state larger than this is a mistake */

struct input {
	char *buf;
	size_t len;
};

/* what each document is applied with: the command line's options */
struct apply_opts {
	char **scopes;		/* --scope SPECs, checked already */
	const char *format;	/* NULL or "auto", "grammar", "json" */
	const char *vip_dev;
	uint32_t drain_ms;
	uint32_t max_deletes;	/* with max_deletes_set; a percentage with _pct */
	bool max_deletes_set, max_deletes_pct;
	bool dry_run, check_sysctls, timing, allow_empty;
};

/* what became of one document */
struct apply_res {
	size_t changes;		/* made (or, with --dry-run, that would be) */
	size_t draining;
	size_t expired;		/* backends deleted at their drain deadline */
	bool applied;		/* the IPVS changes were made; a later step may have failed */
	bool undo_failed;	/* a kernel refusal, and rolling back failed too */
	/* --dry-run --json: the steps that would be sent, for the JSON
	 * document's "plan" rather than lines of their own on stdout;
	 * malloc'd, the caller frees it
	 */
	char *plan;
	size_t plan_len;
};

/* apply.c: @path ("-": stdin) read whole into @in; an exit code */
int read_all(struct ctx *c, const char *path, struct input *in);

/*
 * apply_doc.c: apply one desired state, @buf (@len bytes, NUL-terminated,
 * named @name in messages); what became of it in @res. Returns the exit
 * code; errors are reported.
 */
int apply_doc(struct ctx *c, const struct apply_opts *o, const char *name, char *buf,
	      size_t len, uint64_t t_start, struct apply_res *res);
/* what became of a document: into @j, or as text */
void res_json(struct json_object *j, const struct apply_opts *o, const struct apply_res *r);
void res_text(FILE *f, const struct apply_opts *o, const struct apply_res *r);
/* the one document's summary, as --json or text asks */
void apply_summary(struct ctx *c, const struct apply_opts *o, const struct apply_res *r);

/* apply_stream.c: every document of @path (named @name in messages), one
 * at a time as each arrives; the exit code of the first that failed
 */
int apply_stream(struct ctx *c, const struct apply_opts *o, const char *path,
		 const char *name);

#endif
