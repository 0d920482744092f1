/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: words. A line of a file and a command line are the same words.
 */
#ifndef IPVSCTL_CONFIG_WORDS_H
#define IPVSCTL_CONFIG_WORDS_H

#include <stdio.h>

/* Split @line in place into words; "quotes" group, '#' starts a comment.
 * Returns the number of words, -E2BIG (too many) or -EINVAL (open quote).
 */
int split_words(char *line, char **words, int max);

/* @s as one word that split_words() reads back as @s: "quoted", with
 * " and \\ escaped
 */
void print_quoted(FILE *f, const char *s);

#endif
