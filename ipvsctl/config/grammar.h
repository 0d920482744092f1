/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: the one grammar. A command on the command line and a line in a
 * file (batch, restore, save output) are the same words and parse into the
 * same struct op. ipvsadm-save lines ("-A -t ...") parse into it too.
 */
#ifndef IPVSCTL_GRAMMAR_H
#define IPVSCTL_GRAMMAR_H

#include <stdio.h>

#include "config/units.h"
#include "config/words.h"
#include "model/model.h"

enum op_kind {
	OP_SVC_ADD,
	OP_SVC_EDIT,
	OP_SVC_DEL,
	OP_FLUSH,
	OP_DEST_ADD,
	OP_DEST_EDIT,
	OP_DEST_DEL,
	OP_ZERO,
	OP_TIMEOUT,
	OP_SYNC_START,
	OP_SYNC_STOP,
	OP_MG_SET,
	OP_HEALTH,		/* a health check: for ipvsctl daemon, no kernel step */
	OP_MG_BE,		/* not a grammar line: a plan's undo step that puts a
				 * maglev backend's down mark and drain metadata back
				 */
};

struct op {
	enum op_kind kind;
	const char *file;	/* where it came from, for messages */
	int line;		/* 0 on the command line */
	bool all;		/* OP_ZERO: every service */
	bool dest_port_given;	/* OP_DEST_*: else the service's port */
	struct svc_id svc;
	struct svc_conf sc;	/* .set: which fields were given */
	struct addr_port dest;
	struct dest_conf dc;	/* .set: which fields were given */
	struct timeouts to;
	struct daemon_conf dm;
	struct health_spec *hc;	/* OP_HEALTH: owned (op_release) */
};

#define GRAMMAR_MAX_WORDS 64

/* Free what an op owns (its health check); the op itself is the caller's. */
void op_release(struct op *op);
/* op_release() on each, then free(@ops). */
void ops_free(struct op *ops, size_t n);

/* Parse one command in ipvsctl's grammar. 0, or -EINVAL with @why set.
 * Only state-changing commands parse into an op; "list" and the like are
 * not ops and give -EINVAL ("not a change").
 */
int grammar_parse(int argc, char **argv, struct op *op, char *why, size_t whylen);

/* Parse one ipvsadm command line as ipvsadm-save writes it. */
int grammar_parse_ipvsadm(int argc, char **argv, struct op *op, char *why, size_t whylen);

/* Print @op as one line of ipvsctl's grammar (what save writes). */
void grammar_print(FILE *f, const struct op *op);


#endif
