/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP output for host unit tests, following the conventions of
 * tools/testing/selftests/kselftest.h: a plan, one "ok"/"not ok" line per
 * test point, "# " diagnostics, and a totals line. Exit status 0 when every
 * point passed and as many ran as the plan announced, 1 otherwise (4, skip,
 * is unused on the host).
 */
#ifndef _SELFTESTS_UNIT_KTAP_H
#define _SELFTESTS_UNIT_KTAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned int ktap_n, ktap_pass, ktap_fail, ktap_planned, ktap_skipped;

static inline void ktap_plan(unsigned int n)
{
	ktap_planned = n;
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

/*
 * A test that returns early, or whose plan was miscounted, ran another
 * number of points than it planned: that is a failure too, or a path that
 * skips its checks would pass.
 */
static inline int ktap_finish(void)
{
	if (ktap_n != ktap_planned)
		printf("# planned %u points, ran %u\n", ktap_planned, ktap_n);
	printf("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:%u\n",
	       ktap_pass, ktap_fail, ktap_skipped, ktap_n != ktap_planned);
	return ktap_fail || ktap_n != ktap_planned ? 1 : 0;
}

#endif
