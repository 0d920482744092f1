// SPDX-License-Identifier: GPL-2.0
/*
 * What a bad, empty or partial input to "ipvsctl apply" may do: nothing.
 * Host tests, without root, IPVS or a VM:
 *  - vip_plan(): which addresses --vip-dev adds and removes (an apply
 *    without a scope only adds; one with a scope removes only unwanted
 *    addresses inside it);
 *  - scope_within(): a JSON document's scope is bounded by --scope;
 *  - the binary, run with "-N /nonexistent/netns" (an input that passes
 *    validation stops at that namespace with exit 4, one that does not
 *    stops earlier with 2): empty inputs refused, blank --stream
 *    documents skipped, a widening JSON scope refused, --max-deletes
 *    checked.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"
#include "kernel/vip.h"

#ifndef IPVSCTL_BIN
#define IPVSCTL_BIN "../../build/bin/ipvsctl"
#endif

extern char **environ;

static struct vaddr va(const char *s)
{
	struct vaddr v;

	memset(&v, 0, sizeof(v));
	v.af = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(v.af, s, v.a) != 1)
		abort();
	return v;
}

static void scope_of(struct scope *sc, const char *const *specs)
{
	char why[256];

	memset(sc, 0, sizeof(*sc));
	for (; *specs; specs++)
		if (scope_add(sc, *specs, why, sizeof(why)))
			abort();
}

/* the plan for @have and @want under @scope, as "+ADDR -ADDR ..." */
static void plan_str(const char *const *have_s, const char *const *want_s,
		     const char *const *scope_s, char *out, size_t len)
{
	struct vaddr have[16], want[16];
	bool add[16], del[16];
	size_t nh = 0, nw = 0, i, o = 0;
	char a[INET6_ADDRSTRLEN];
	struct scope sc;

	for (; *have_s; have_s++)
		have[nh++] = va(*have_s);
	for (; *want_s; want_s++)
		want[nw++] = va(*want_s);
	nh = vaddr_sort(have, nh);
	nw = vaddr_sort(want, nw);
	scope_of(&sc, scope_s);
	vip_plan(have, nh, want, nw, &sc, add, del);
	out[0] = 0;
	for (i = 0; i < nw; i++)
		if (add[i]) {
			inet_ntop(want[i].af, want[i].a, a, sizeof(a));
			o += snprintf(out + o, len - o, "+%s ", a);
		}
	for (i = 0; i < nh; i++)
		if (del[i]) {
			inet_ntop(have[i].af, have[i].a, a, sizeof(a));
			o += snprintf(out + o, len - o, "-%s ", a);
		}
	scope_free(&sc);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

static void test_vip_plan(void)
{
	char p[512];

	/* C1: A and B applied, then a document naming only A */
	plan_str(L("10.96.0.1", "10.96.0.2"), L("10.96.0.1"), NONE, p, sizeof(p));
	ktap_ok(!strcmp(p, ""), "vip: no scope, B's address is kept (plan '%s')", p);
	plan_str(L("10.96.0.1"), L("10.96.0.1", "10.96.0.3", "fd00::a"), NONE, p, sizeof(p));
	ktap_ok(!strcmp(p, "+10.96.0.3 +fd00::a "), "vip: no scope, missing addresses added ('%s')",
		p);
	/* a scope: only unwanted addresses inside it go */
	plan_str(L("10.96.0.1", "10.96.0.2", "192.168.7.7", "fd00::b"), L("10.96.0.1"),
		 L("10.96.0.0/12"), p, sizeof(p));
	ktap_ok(!strcmp(p, "-10.96.0.2 "),
		"vip: scope 10.96.0.0/12 removes 10.96.0.2 only, not 192.168.7.7 or fd00::b ('%s')",
		p);
	plan_str(L("10.96.0.1", "192.168.7.7", "fd00::b"), L("10.96.0.1"), L("all"), p, sizeof(p));
	ktap_ok(!strcmp(p, "-192.168.7.7 -fd00::b "), "vip: scope all removes every unwanted ('%s')",
		p);
	/* an address two services share (tcp and udp) is wanted once */
	plan_str(L("10.96.0.1"), L("10.96.0.1", "10.96.0.1"), L("all"), p, sizeof(p));
	ktap_ok(!strcmp(p, ""), "vip: a shared address is neither added nor removed ('%s')", p);
	/* a fwmark scope holds no address */
	plan_str(L("10.96.0.2"), NONE, L("fwmark:1-100"), p, sizeof(p));
	ktap_ok(!strcmp(p, ""), "vip: a fwmark scope removes no address ('%s')", p);
}

static int within(const char *const *in_s, const char *const *out_s, char *why, size_t len)
{
	struct scope in, out;
	int err;

	scope_of(&in, in_s);
	scope_of(&out, out_s);
	why[0] = 0;
	err = scope_within(&in, &out, why, len);
	scope_free(&in);
	scope_free(&out);
	return err;
}

static void test_scope_within(void)
{
	char why[256];

	ktap_ok(within(L("all"), L("10.96.0.0/12"), why, sizeof(why)) &&
		strstr(why, "wider"), "scope: \"all\" does not fit in 10.96.0.0/12 (%s)", why);
	ktap_ok(within(L("10.0.0.0/8"), L("10.96.0.0/12"), why, sizeof(why)) &&
		strstr(why, "10.0.0.0/8"), "scope: 10.0.0.0/8 does not fit in 10.96.0.0/12 (%s)",
		why);
	ktap_ok(!within(L("10.96.1.0/24", "10.100.0.1"), L("10.96.0.0/12"), why, sizeof(why)),
		"scope: 10.96.1.0/24 and 10.100.0.1 fit in 10.96.0.0/12");
	ktap_ok(within(L("fd00::/64"), L("10.96.0.0/12"), why, sizeof(why)) != 0,
		"scope: an IPv6 prefix does not fit in an IPv4 one");
	ktap_ok(!within(L("fwmark:10-20"), L("fwmark:1-100"), why, sizeof(why)) &&
		within(L("fwmark:10-200"), L("fwmark:1-100"), why, sizeof(why)) != 0,
		"scope: fwmark:10-20 fits in fwmark:1-100, fwmark:10-200 does not");
	ktap_ok(!within(L("all"), L("all"), why, sizeof(why)) &&
		!within(L("10.0.0.0/8"), L("all"), why, sizeof(why)),
		"scope: anything fits in all");
}

/* run ipvsctl with @input on stdin; exit code, stdout and stderr */
static int run(const char *input, char *out, size_t outlen, char *err, size_t errlen,
	       const char *const *args)
{
	char in_path[] = "/tmp/test_apply.inXXXXXX", out_path[] = "/tmp/test_apply.outXXXXXX";
	char err_path[] = "/tmp/test_apply.errXXXXXX";
	const char *argv[32] = { IPVSCTL_BIN, "-N", "/nonexistent/netns" };
	int fi = mkstemp(in_path), fo = mkstemp(out_path), fe = mkstemp(err_path);
	posix_spawn_file_actions_t fa;
	size_t n = 3;
	ssize_t r;
	pid_t pid;
	int st = 0;

	if (fi < 0 || fo < 0 || fe < 0 || write(fi, input, strlen(input)) < 0)
		abort();
	lseek(fi, 0, SEEK_SET);
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fi, 0);
	posix_spawn_file_actions_adddup2(&fa, fo, 1);
	posix_spawn_file_actions_adddup2(&fa, fe, 2);
	if (posix_spawn(&pid, IPVSCTL_BIN, &fa, NULL, (char **)argv, environ))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) != pid)
		abort();
	r = pread(fo, out, outlen - 1, 0);
	out[r > 0 ? r : 0] = 0;
	r = pread(fe, err, errlen - 1, 0);
	err[r > 0 ? r : 0] = 0;
	err[strcspn(err, "\n")] = 0;
	close(fi);
	close(fo);
	close(fe);
	unlink(in_path);
	unlink(out_path);
	unlink(err_path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_binary(void)
{
	char out[4096], err[4096];
	int rc;

	/* C3: a producer that crashed and wrote nothing */
	rc = run("", out, sizeof(out), err, sizeof(err),
		 L("apply", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 2 && strstr(err, "names no service") && strstr(err, "nothing was changed"),
		"empty input with --scope: refused before the kernel (rc %d: %s)", rc, err);
	rc = run("# only a comment\n\n", out, sizeof(out), err, sizeof(err), L("apply"));
	ktap_ok(rc == 2 && strstr(err, "names no service"),
		"a comment-only input: refused (rc %d)", rc);
	rc = run("{ }", out, sizeof(out), err, sizeof(err), L("apply", "--scope", "all"));
	ktap_ok(rc == 2 && strstr(err, "names no service"),
		"JSON without \"services\": refused (rc %d)", rc);
	rc = run("{ \"services\": [] }", out, sizeof(out), err, sizeof(err),
		 L("apply", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 4, "JSON \"services\": [] is explicit: it reaches the kernel stage (rc %d)",
		rc);
	rc = run("", out, sizeof(out), err, sizeof(err),
		 L("apply", "--allow-empty", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 4, "--allow-empty: an empty input reaches the kernel stage (rc %d)", rc);

	/* C3: blank --stream documents are no documents */
	rc = run("---\n\n---\n  \n---\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--stream", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 0 && !out[0], "--stream: leading and doubled '---' apply nothing (rc %d, '%s')",
		rc, out);
	rc = run("---\nservice add tcp/10.96.0.1:80\n---\n---\n", out, sizeof(out), err,
		 sizeof(err), L("apply", "--stream"));
	ktap_ok(rc == 4 && !strcmp(out, "document 1: failed (exit status 4); nothing was changed\n"),
		"--stream: only the document with text is one (rc %d, '%s')", rc, out);
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--stream", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 2 && strstr(err, "not ended by a '---' line") &&
		!strcmp(out, "document 1: failed (exit status 2); nothing was changed\n"),
		"--stream: a document cut off by the end of the input is refused, not applied (rc %d)",
		rc);
	rc = run("# a comment\n---\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--stream", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 2 && strstr(out, "document 1: failed (exit status 2); nothing was changed"),
		"--stream: a comment-only document is refused and answered (rc %d)", rc);

	/* C4: the document's scope lies inside --scope */
	rc = run("{ \"scope\": [\"all\"], \"services\": [] }", out, sizeof(out), err, sizeof(err),
		 L("apply", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 2 && strstr(err, "wider") && strstr(err, "nothing was changed"),
		"JSON scope all under --scope 10.96.0.0/12: refused (rc %d: %s)", rc, err);
	rc = run("{ \"scope\": [\"10.0.0.0/8\"], \"services\": [] }", out, sizeof(out), err,
		 sizeof(err), L("apply", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 2 && strstr(err, "not inside"), "JSON scope 10.0.0.0/8: refused (rc %d)", rc);
	rc = run("{ \"scope\": [\"10.96.3.0/24\"], \"services\": [] }", out, sizeof(out), err,
		 sizeof(err), L("apply", "--scope", "10.96.0.0/12"));
	ktap_ok(rc == 4, "JSON scope 10.96.3.0/24 inside --scope: accepted (rc %d)", rc);
	rc = run("{ \"scope\": [\"all\"], \"services\": [] }", out, sizeof(out), err, sizeof(err),
		 L("apply"));
	ktap_ok(rc == 4, "JSON scope all without --scope: accepted (rc %d)", rc);

	/* the deletion guard's argument */
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--max-deletes", "101%"));
	ktap_ok(rc == 2 && strstr(err, "--max-deletes"), "--max-deletes 101%%: refused (rc %d)", rc);
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--max-deletes", "-1"));
	ktap_ok(rc == 2, "--max-deletes -1: refused (rc %d)", rc);
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--max-deletes", "0x10"));
	ktap_ok(rc == 2, "--max-deletes 0x10: refused (rc %d)", rc);
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--max-deletes", "10%"));
	ktap_ok(rc == 4, "--max-deletes 10%%: accepted (rc %d)", rc);
	rc = run("service add tcp/10.96.0.1:80\n", out, sizeof(out), err, sizeof(err),
		 L("apply", "--max-deletes", "0"));
	ktap_ok(rc == 4, "--max-deletes 0: accepted (rc %d)", rc);
}

int main(void)
{
	ktap_plan(6 + 6 + 18);
	test_vip_plan();
	test_scope_within();
	test_binary();
	return ktap_finish();
}
