/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: shared by the files of the grammar (config/) only.
 */
#ifndef IPVSCTL_CONFIG_INTERNAL_H
#define IPVSCTL_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "config/grammar.h"

/* set @why (a buffer of @whylen) and return -EINVAL */
#define WHY(...) do { snprintf(why, whylen, __VA_ARGS__); return -EINVAL; } while (0)

/* "health SERVICE ..." from argv[2] on (grammar_parse() checked the
 * service): @op becomes OP_HEALTH with its spec
 */
int health_words(int argc, char **argv, struct op *op, char *why, size_t whylen);

/* a backend's ADDR[:PORT] into @op->dest (either family: IPVS mixes
 * them for TUN), noting whether the port was given
 */
int parse_backend_word(const char *s, struct op *op, char *why, size_t whylen);

#endif
