// SPDX-License-Identifier: GPL-2.0
/*
 * ktap.h itself: a program's exit status must say whether every planned
 * point ran and passed. Each case runs in a child, with its KTAP lines
 * sent to /dev/null, and its exit status is checked here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

/* plan @plan points, run @ran of them, @fails of those failing */
static int child_status(unsigned int plan, unsigned int ran, unsigned int fails)
{
	unsigned int i;
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(99);
		ktap_n = ktap_pass = ktap_fail = 0;
		ktap_plan(plan);
		for (i = 0; i < ran; i++)
			ktap_ok(i >= fails, "point %u", i + 1);
		_exit(ktap_finish());
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	static const struct {
		unsigned int plan, ran, fails;
		int rc;
		const char *what;
	} cases[] = {
		{ 3, 3, 0, 0, "every planned point ran and passed" },
		{ 3, 3, 1, 1, "a point failed" },
		{ 3, 2, 0, 1, "fewer points ran than planned (an early return)" },
		{ 3, 4, 0, 1, "more points ran than planned (a miscounted plan)" },
		{ 0, 0, 0, 0, "an empty plan, nothing run" },
	};
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	int rc;

	ktap_plan((unsigned int)n);
	for (i = 0; i < n; i++) {
		rc = child_status(cases[i].plan, cases[i].ran, cases[i].fails);
		ktap_ok(rc == cases[i].rc, "%s: plan %u, ran %u, %u failed: exit %d (want %d)",
			cases[i].what, cases[i].plan, cases[i].ran, cases[i].fails, rc,
			cases[i].rc);
	}
	return ktap_finish();
}
