/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: run a list of ops (one command, a batch file, a restore) all or
 * nothing, with messages that name the file and line of a bad op.
 */
#ifndef IPVSCTL_EXEC_H
#define IPVSCTL_EXEC_H

#include <stdio.h>

#include "cmd/cmd.h"
#include "config/grammar.h"

enum {
	EXEC_DRY_RUN = 1 << 0,	/* print the kernel steps, send nothing */
	EXEC_SUMMARY = 1 << 1,	/* print "N changes applied" */
};

/* Returns an exit code (EXIT_*), having reported any error. */
int exec_ops(struct ctx *c, const struct op *ops, size_t n, unsigned int flags);

/* Parse @argv as one command of the grammar and run it. */
int exec_command(struct ctx *c, int argc, char **argv);

/* Read a file (or "-": stdin) of commands in ipvsctl's grammar or in
 * ipvsadm-save's (lines starting with '-'), validate all of it, apply it.
 */
int exec_file(struct ctx *c, const char *path, unsigned int flags);

/* Read and parse such a file into a malloc'd array of ops. Returns an
 * exit code, having reported any error; on success the caller frees *ops.
 */
int exec_read_file(struct ctx *c, const char *path, struct op **ops, size_t *n);

/* The same, from an open stream named @name in messages (not closed). */
int exec_read_stream(struct ctx *c, FILE *f, const char *name, struct op **ops, size_t *n);

#endif
