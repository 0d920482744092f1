// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: words: a line split into words, and a word printed so that it
 * reads back the same (see words.h).
 */
#include <stdbool.h>
#include <errno.h>
#include <string.h>

#include "config/words.h"

/*
 * Words are separated by blanks; "double quotes" make one word of what
 * they enclose, where \" and \\ stand for " and \. '#' outside quotes
 * starts a comment. The line is rewritten in place.
 */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int split_words(char *line, char **words, int max)
{
	char *p = line, *out;
	int n = 0;

	if (!strchr(line, '"')) {
		/* no quotes (nearly every line): words end in place */
		for (;;) {
			while (is_blank(*p))
				p++;
			if (!*p || *p == '#')
				return n;
			if (n == max)
				return -E2BIG;
			words[n++] = p;
			while (*p && !is_blank(*p))
				p++;
			if (!*p)
				return n;
			*p++ = 0;
		}
	}
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -E2BIG;
		words[n++] = out = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p != '"') {
				*out++ = *p++;
				continue;
			}
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*out++ = *p++;
			}
			if (*p != '"')
				return -EINVAL;	/* unterminated quote */
			p++;
		}
		if (*p)
			p++;
		*out = 0;
	}
	return n;
}

/* a word split_words() reads back as @s */
void print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
