// SPDX-License-Identifier: GPL-2.0
/*
 * apply's JSON input (ipvsctl.conf(5), "JSON FORM"): a document becomes
 * the same ops as the grammar, each object one grammar line, checked by
 * the same code. Kept apart from the command (cmd/apply_doc.c) so the fuzzer can reach it.
 */
#ifndef IPVSCTL_APPLY_JSON_H
#define IPVSCTL_APPLY_JSON_H

#include <stddef.h>

#include "config/grammar.h"
#include "model/scope.h"

struct jops {
	struct op *v;
	size_t n, cap;
	char **where;		/* "FILE: services[3].backends[1]", owned */
	struct scope *scope;	/* "scope" strings are added here */
	bool services;		/* the document has "services" (even []) */
};

/*
 * Parse @text (NUL-terminated; @name for messages) into @j. 0, or -EINVAL
 * with @why set (the place, then what is wrong), or -ENOMEM. @j is left
 * for jops_free() either way.
 */
int json_to_ops(const char *name, const char *text, struct jops *j, char *why,
		size_t whylen);
void jops_free(struct jops *j);

#endif
