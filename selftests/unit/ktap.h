/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP output for host unit tests, following the conventions of
 * tools/testing/selftests/kselftest.h: a plan, one "ok"/"not ok" line per
 * test point, "# " diagnostics, and a totals line. Exit status 0 when every
 * point passed, 1 otherwise (4, skip, is unused on the host).
 */
#ifndef _SELFTESTS_UNIT_KTAP_H
#define _SELFTESTS_UNIT_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned int ktap_n, ktap_pass, ktap_fail, ktap_skipped;

static inline void ktap_plan(unsigned int n)
{
	printf("TAP version 13\n1..%u\n", n);
	fflush(stdout);
}

static inline void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int ktap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	ktap_n++;
	if (cond)
		ktap_pass++;
	else
		ktap_fail++;
	printf("%s %u ", cond ? "ok" : "not ok", ktap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static inline void ktap_skip(const char *what)
{
	ktap_n++;
	ktap_skipped++;
	printf("ok %u # SKIP %s\n", ktap_n, what);
	fflush(stdout);
}

static inline int ktap_finish(void)
{
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
	       ktap_pass, ktap_fail, ktap_skipped);
	return ktap_fail ? 1 : 0;
}

#endif
