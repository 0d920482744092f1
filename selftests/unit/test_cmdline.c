// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl's command line, table-driven, without root, IPVS or a VM (after
 * ethtool's test-cmdline.c). Every command is run with
 * "-N /nonexistent/netns", so a command that passes validation stops when
 * it tries to enter that namespace, with exit code 4; one that does not
 * pass stops earlier with 2. --help and version exit 0.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "ktap.h"

#ifndef IPVSCTL_BIN
#define IPVSCTL_BIN "../../build/bin/ipvsctl"
#endif

extern char **environ;

static const struct {
	int rc;
	const char *args;
} cases[] = {
	/* help and version */
	{ 0, "--help" },
	{ 0, "--version" },
	{ 0, "version" },
	{ 0, "help service" },
	{ 0, "service --help" },
	{ 0, "backend --help" },
	{ 0, "list --help" },
	{ 0, "restore --help" },
	{ 0, "maglev --help" },
	{ 0, "sync --help" },
	{ 0, "timeout --help" },
	{ 2, "" },
	{ 2, "nosuchcommand" },
	{ 2, "--nosuchoption list" },
	{ 2, "help nosuchcommand" },
	/* daemon, health, drain: checked before the kernel is asked */
	{ 0, "daemon --help" },
	{ 0, "health --help" },
	{ 0, "drain --help" },
	{ 0, "undrain --help" },
	{ 2, "daemon" },
	{ 2, "daemon -f -" },
	{ 2, "daemon -f /dev/null extra" },
	{ 4, "daemon -f /nonexistent/file --check" },
	{ 0, "daemon -f /dev/null --check" },
	{ 0, "daemon -f /dev/null --check --probe-user nobody" },
	{ 0, "daemon -f /dev/null --check --probe-user 4242" },
	{ 2, "daemon -f /dev/null --check --probe-user no-such-user-here" },
	{ 4, "daemon -f /dev/null" },
	{ 2, "health" },
	{ 2, "health stat" },
	{ 2, "health status tcp/10.0.0.1" },
	{ 2, "health status tcp/10.0.0.1:80 10.0.0.2:80 extra" },
	{ 4, "health status --state-file /nonexistent/state.json" },
	{ 2, "drain" },
	{ 2, "drain tcp/10.0.0.1:80" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 extra" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --timeout 300" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --timeout 5x" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --then delete" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --interval 10ms" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --interval 500" },
	{ 4, "drain tcp/10.0.0.1:80 10.0.0.2:80 --interval 500ms --timeout 2h" },
	{ 2, "drain tcp/10.0.0.1:80 [fd00::1]:80" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.300:80" },
	{ 4, "drain tcp/10.0.0.1:80 10.0.0.2:80 --timeout 30s --then keep" },
	{ 4, "drain tcp/10.0.0.1:80 10.0.0.2 --timeout 0 --wait-inactive" },
	{ 2, "undrain tcp/10.0.0.1:80" },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 0" },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight x" },
	{ 4, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 5" },
	{ 4, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 100000" },
	{ 4, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 2147483647" },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 2147483648" },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 4294967297" },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 0x10" },
	/* services: valid (reach the namespace) */
	{ 4, "service add tcp/10.0.0.1:80" },
	{ 4, "service add tcp/10.0.0.1:80 scheduler rr flags flag-1,flag-3" },
	{ 4, "service add udp/[2001:db8::1]:53 scheduler sh flags sh-port ops on" },
	{ 4, "service add sctp/10.0.0.1:5060 pe sip" },
	{ 4, "service add fwmark/1 persistent 300 netmask 255.255.255.0" },
	{ 4, "service add fwmark6/4294967295 persistent 60 netmask 64" },
	{ 4, "service add tcp/10.0.0.1:80 scheduler maglev table-size 4093 hash src" },
	{ 4, "service edit tcp/10.0.0.1:80 ops off" },
	{ 4, "service edit tcp/10.0.0.1:80 persistent off pe none flags none" },
	{ 4, "service del tcp/10.0.0.1:80" },
	{ 4, "service flush" },
	{ 4, "flush" },
	/* services: invalid */
	{ 2, "service" },
	{ 2, "service add" },
	{ 2, "service add tcp/10.0.0.1" },
	{ 2, "service add tcp/10.0.0.256:80" },
	{ 2, "service add tcp/10.0.0.1:65536" },
	{ 2, "service add tcp/10.0.0.1:-1" },
	{ 2, "service add tcp/2001:db8::1:80" },
	{ 2, "service add icmp/10.0.0.1:80" },
	{ 2, "service add fwmark/0" },
	{ 2, "service add fwmark/4294967296" },
	{ 2, "service add fwmark/x" },
	{ 2, "service add tcp/10.0.0.1:80 scheduler" },
	{ 2, "service add tcp/10.0.0.1:80 scheduler aaaaaaaaaaaaaaaa" },
	{ 2, "service add tcp/10.0.0.1:80 flags flag-4" },
	{ 2, "service add tcp/10.0.0.1:80 persistent 0" },
	{ 2, "service add tcp/10.0.0.1:80 persistent forever" },
	{ 2, "service add tcp/10.0.0.1:80 netmask 255.0.255.0" },
	{ 2, "service add tcp/[2001:db8::1]:80 netmask 129" },
	{ 2, "service add tcp/10.0.0.1:80 table-size 250" },
	{ 2, "service add tcp/10.0.0.1:80 table-size 1048576" },
	{ 2, "service add tcp/10.0.0.1:80 hash sha1" },
	{ 2, "service add tcp/10.0.0.1:80 color blue" },
	{ 2, "service edit tcp/10.0.0.1:80" },
	{ 2, "service del tcp/10.0.0.1:80 extra" },
	{ 2, "service frobnicate tcp/10.0.0.1:80" },
	/* backends */
	{ 4, "backend add tcp/10.0.0.1:80 10.0.1.1" },
	{ 4, "backend add tcp/10.0.0.1:80 10.0.1.1:8080 weight 0 method nat upper 100 lower 10" },
	{ 4, "backend add tcp/10.0.0.1:80 [2001:db8::2]:80 method tun tun-type gue tun-port 6080 tun-csum remcsum" },
	{ 4, "backend edit tcp/10.0.0.1:80 10.0.1.1 weight 2147483647" },
	{ 4, "backend del tcp/10.0.0.1:80 10.0.1.1:80" },
	{ 2, "backend" },
	{ 2, "backend add tcp/10.0.0.1:80" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 weight -1" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 weight 2147483648" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 weight 1.5" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 weight 0x10" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 method bridge" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 method nat tun-type gre" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 method tun tun-type gue" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 method tun tun-type vxlan" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 method tun tun-csum csum" },
	{ 2, "backend add tcp/10.0.0.1:80 10.0.1.1 weight" },
	{ 2, "backend add tcp/10.0.0.1:80 [2001:db8::2:80" },
	{ 2, "backend edit tcp/10.0.0.1:80 10.0.1.1" },
	{ 2, "backend del tcp/10.0.0.1:80 10.0.1.1 weight 1" },
	/* listing and the rest */
	{ 4, "list" },
	{ 4, "list tcp/10.0.0.1:80 --stats --rate --maglev" },
	{ 4, "-j list" },
	{ 4, "list --json" },
	{ 4, "show fwmark/3" },
	{ 2, "list tcp/10.0.0.1" },
	{ 2, "list tcp/10.0.0.1:80 udp/10.0.0.1:53" },
	{ 2, "list --bogus" },
	{ 4, "zero" },
	{ 4, "zero udp/10.0.0.1:53" },
	{ 2, "zero udp/10.0.0.1" },
	{ 4, "timeout" },
	{ 4, "timeout show" },
	{ 4, "timeout set tcp 900 tcpfin 120 udp 300" },
	{ 2, "timeout set" },
	{ 2, "timeout set tcp 0" },
	{ 2, "timeout set sctp 10" },
	{ 2, "timeout get" },
	{ 4, "sync show" },
	{ 4, "sync start master ifname eth0 syncid 1 group 239.0.0.1 port 8848 ttl 1 maxlen 1472" },
	{ 4, "sync stop backup" },
	{ 2, "sync start" },
	{ 2, "sync start primary" },
	{ 2, "sync start master syncid 256" },
	{ 2, "sync stop master ifname eth0" },
	{ 4, "save" },
	{ 2, "save extra" },
	{ 4, "maglev info" },
	{ 4, "maglev show" },
	{ 4, "maglev set tcp/10.0.0.1:80 table-size 65521 hash 5tuple" },
	{ 4, "maglev lookup tcp/10.0.0.1:80 192.0.2.1:1234 192.0.2.2 to 10.0.0.1:80 proto udp" },
	{ 2, "maglev" },
	{ 2, "maglev info extra" },
	{ 2, "maglev set tcp/10.0.0.1:80" },
	{ 2, "maglev set tcp/10.0.0.1:80 table-size" },
	{ 2, "maglev set tcp/10.0.0.1:80 slow-start 20" },
	{ 4, "maglev set tcp/10.0.0.1:80 slow-start 20s" },
	{ 4, "maglev set tcp/10.0.0.1:80 slow-start 0" },
	{ 2, "service add tcp/10.0.0.1:80 slow-start 30" },
	{ 2, "maglev lookup tcp/10.0.0.1:80" },
	{ 2, "maglev lookup tcp/10.0.0.1:80 [2001:db8::1]:1" },
	{ 2, "maglev frob" },
	{ 4, "restore /nonexistent/file" },
	/* apply, sysctl: the input and options are checked before the kernel */
	{ 0, "apply --help" },
	{ 0, "sysctl --help" },
	{ 2, "apply extra" },
	{ 2, "apply --scope 10.0.0.0/33" },
	{ 2, "apply --scope fwmark:0" },
	{ 2, "apply --scope fwmark:9-3" },
	{ 2, "apply --scope example.com" },
	{ 2, "apply --scope fwmark:+5" },
	{ 2, "apply --scope fwmark:0x" },
	{ 4, "apply --scope fwmark:0x10-0x1f --dry-run --allow-empty" },
	/* over 53 characters: refused, not cut to a valid range */
	{ 2, "apply --scope fwmark:1-0000000000000000000000000000000000000000000000000099x" },
	{ 2, "apply --drain-timeout 300" },
	{ 2, "apply --format yaml" },
	{ 2, "apply --vip-dev waytoolonginterfacename" },
	{ 2, "apply --vip-dev a/b" },
	{ 4, "apply -f /nonexistent/file" },
	/* an input that names no service is refused before the kernel, unless
	 * the empty state is explicit
	 */
	{ 2, "apply -f /dev/null" },
	{ 4, "apply --allow-empty -f /dev/null" },
	{ 4, "apply --allow-empty" },
	{ 4, "apply --scope 10.96.0.0/12 --scope fd00::/64 --scope fwmark:1-9 --drain-timeout 0 --dry-run --allow-empty" },
	{ 2, "apply --format json -f /dev/null" },
	{ 4, "apply --check-sysctls --allow-empty -f /dev/null" },
	{ 4, "apply --max-deletes 10% --allow-empty -f /dev/null" },
	{ 2, "apply --max-deletes ten" },
	{ 4, "apply --stream -f /nonexistent/file" },
	{ 2, "apply --stream --format yaml" },
	/* no document in it: nothing to do, the namespace is never entered */
	{ 0, "apply --stream -f /dev/null" },
	{ 2, "daemon -f /dev/null --drain-timeout 5" },
	{ 2, "sysctl sett" },
	{ 2, "sysctl check extra" },
	{ 4, "sysctl" },
	{ 4, "sysctl set --dr" },
	{ 4, "-f /nonexistent/file" },
	{ 2, "-f /dev/null list" },
};

#define DURATION "a duration with its unit, like 500ms, 20s, 5m"

/* what a refusal says: the exit code, a part of standard error's first
 * line, and (if not NULL) what that line must not say
 */
static const struct {
	int rc;
	const char *args, *err, *not;
} msgs[] = {
	/* the namespace is the problem, not a socket never tried */
	{ 4, "list", "ipvsctl: network namespace /nonexistent/netns: No such file or directory",
	  "socket" },
	{ 4, "service add tcp/10.0.0.1:80",
	  "ipvsctl: network namespace /nonexistent/netns: No such file or directory", "socket" },
	{ 4, "apply --allow-empty -f /dev/null",
	  "network namespace /nonexistent/netns: No such file or directory", "socket" },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --timeout 300", "--timeout '300': " DURATION, NULL },
	{ 2, "drain tcp/10.0.0.1:80 10.0.0.2:80 --interval 500", "--interval '500': " DURATION, NULL },
	{ 2, "apply --drain-timeout 300", "--drain-timeout '300': " DURATION, NULL },
	{ 2, "daemon -f /dev/null --drain-timeout 5", "--drain-timeout '5': " DURATION, NULL },
	{ 2, "maglev set tcp/10.0.0.1:80 slow-start 20", "slow-start '20': " DURATION, NULL },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight 0",
	  "--weight '0': a weight from 1 to 2147483647", NULL },
	{ 2, "undrain tcp/10.0.0.1:80 10.0.0.2:80 --weight -1",
	  "--weight '-1': a weight from 1 to 2147483647", NULL },
};

/*
 * Standard output on /dev/full: a short write must fail with a message
 * (@STATE@ is a health state file naming this process, so that "health
 * status" has something to print and exits 0 otherwise).
 */
static const struct {
	int rc_null, rc_full;	/* stdout on /dev/null, on /dev/full */
	const char *args;
} full[] = {
	{ 0, 1, "--help" },
	{ 0, 1, "version" },
	{ 0, 1, "service --help" },
	{ 0, 1, "health status --state-file @STATE@" },
	{ 0, 1, "-j health status --state-file @STATE@" },
};

/*
 * What a check finds is not a failure: "health status" of a daemon that is
 * not running (@STOPPED@: its state file says so) exits 9, "a check found
 * differences", not 1, "failed" (ipvsctl(8), EXIT STATUS).
 */
static const struct {
	int rc;
	const char *args;
} checks[] = {
	{ 0, "health status --state-file @STATE@" },
	{ 9, "health status --state-file @STOPPED@" },
	{ 9, "-j health status --state-file @STOPPED@" },
	{ 9, "-q health status --state-file @STOPPED@" },
	{ 4, "health status tcp/10.0.0.9:80 --state-file @STATE@" },
};

/*
 * An imported ipvsadm -A line without -s gets maglev, not ipvsadm's wlc:
 * a warning names the file's first such line, once (@IPVSADM@: lines 2
 * and 4 lack -s), and none for ipvsadm-save's output, which has -s
 * (@SAVED@). "daemon --check" reads the file without a kernel; "restore"
 * reads all of it before it enters the namespace.
 */
static const struct {
	int rc;
	const char *args;
	int warnings;		/* lines of standard error with "warning" */
	const char *err;	/* in the first warning, after the path */
} imports[] = {
	{ 0, "daemon --check -f @IPVSADM@", 1,
	  ":2: warning: ipvsadm -A without -s: the scheduler is maglev here, not ipvsadm's wlc" },
	{ 4, "restore @IPVSADM@", 1,
	  ":2: warning: ipvsadm -A without -s: the scheduler is maglev here, not ipvsadm's wlc" },
	{ 4, "-q restore @IPVSADM@", 0, NULL },
	{ 0, "daemon --check -f @SAVED@", 0, NULL },
};

/* the number of lines of @path that have @s, and the first one in @buf */
static int grep_count(const char *path, const char *s, char *buf, size_t len)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	buf[0] = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, s))
			continue;
		if (!n++)
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return n;
}

/* @args with @STATE@ and @STOPPED@ replaced by those files' paths */
static void subst(const char *args, const char *state, const char *stopped, char *buf,
		  size_t len)
{
	char *at;

	snprintf(buf, len, "%s", args);
	at = strstr(buf, "@STATE@");
	if (at)
		snprintf(at, len - (size_t)(at - buf), "%s%s", state, args + (at - buf) + 7);
	at = strstr(buf, "@STOPPED@");
	if (at)
		snprintf(at, len - (size_t)(at - buf), "%s%s", stopped, args + (at - buf) + 9);
}

/*
 * Run ipvsctl -N /nonexistent/netns ARGS, standard input from /dev/null,
 * output to @out and errors to @err (files, created if need be).
 */
static int run_to(const char *args, const char *out, const char *err)
{
	char buf[512], *argv[64], *tok, *save;
	posix_spawn_file_actions_t fa;
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = IPVSCTL_BIN;
	argv[argc++] = "-N";
	argv[argc++] = "/nonexistent/netns";
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 63; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, IPVSCTL_BIN, &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* run ipvsctl -N /nonexistent/netns ARGS with its output discarded */
static int run(const char *args)
{
	return run_to(args, "/dev/null", "/dev/null");
}

/* the first line of @path, without its newline, in @buf */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

int main(void)
{
	size_t i, n = sizeof(cases) / sizeof(cases[0]), nm = sizeof(msgs) / sizeof(msgs[0]);
	size_t nf = sizeof(full) / sizeof(full[0]), nc = sizeof(checks) / sizeof(checks[0]);
	size_t ni = sizeof(imports) / sizeof(imports[0]);
	char errpath[] = "/tmp/test_cmdline.XXXXXX", statepath[] = "/tmp/test_cmdline.XXXXXX";
	char stoppedpath[] = "/tmp/test_cmdline.XXXXXX", ipvsadmpath[] = "/tmp/test_cmdline.XXXXXX";
	char savedpath[] = "/tmp/test_cmdline.XXXXXX";
	char line[1024];
	int rc, fd;
	FILE *f;

	if (access(IPVSCTL_BIN, X_OK)) {
		printf("TAP version 13\n1..0 # SKIP %s not built\n", IPVSCTL_BIN);
		return 4;
	}
	fd = mkstemp(errpath);
	if (fd < 0) {
		printf("TAP version 13\n1..0 # SKIP no temporary file\n");
		return 4;
	}
	close(fd);
	fd = mkstemp(statepath);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		unlink(errpath);
		printf("TAP version 13\n1..0 # SKIP no temporary file\n");
		return 4;
	}
	fprintf(f, "{\"version\": 1, \"running\": true, \"pid\": %d, \"config\": \"test\", "
		"\"backends\": [{\"service\": \"tcp/10.0.0.1:80\", \"backend\": \"10.0.0.2:80\", "
		"\"check\": \"tcp\", \"state\": \"up\"}]}\n", (int)getpid());
	fclose(f);
	/* a daemon that stopped: "running" false, and a pid no process has */
	fd = mkstemp(stoppedpath);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		unlink(errpath);
		unlink(statepath);
		printf("TAP version 13\n1..0 # SKIP no temporary file\n");
		return 4;
	}
	fprintf(f, "{\"version\": 1, \"running\": false, \"pid\": 2147483647, \"config\": \"test\", "
		"\"backends\": [{\"service\": \"tcp/10.0.0.1:80\", \"backend\": \"10.0.0.2:80\", "
		"\"check\": \"tcp\", \"state\": \"up\"}]}\n");
	fclose(f);
	fd = mkstemp(ipvsadmpath);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fprintf(f, "-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80\n"
			"-a -t 10.0.0.2:80 -r 10.0.1.1:80 -m -w 1\n-A -u 10.0.0.2:53\n");
		fclose(f);
		fd = mkstemp(savedpath);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
	}
	if (!f) {
		unlink(errpath);
		unlink(statepath);
		unlink(stoppedpath);
		unlink(ipvsadmpath);
		printf("TAP version 13\n1..0 # SKIP no temporary file\n");
		return 4;
	}
	fprintf(f, "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1\n");
	fclose(f);
	ktap_plan((unsigned int)(n + nm + nf + nc + ni));
	for (i = 0; i < n; i++) {
		rc = run(cases[i].args);
		ktap_ok(rc == cases[i].rc, "exit %d: ipvsctl %s%s", cases[i].rc, cases[i].args,
			rc == cases[i].rc ? "" : " (got another)");
		if (rc != cases[i].rc)
			ktap_diag("got %d", rc);
	}
	for (i = 0; i < nm; i++) {
		rc = run_to(msgs[i].args, "/dev/null", errpath);
		first_line(errpath, line, sizeof(line));
		if (!ktap_ok(rc == msgs[i].rc && strstr(line, msgs[i].err) &&
			     !(msgs[i].not && strstr(line, msgs[i].not)),
			     "exit %d and '%s': ipvsctl %s", msgs[i].rc, msgs[i].err, msgs[i].args))
			ktap_diag("got %d and '%s'", rc, line);
	}
	for (i = 0; i < nf; i++) {
		char args[512];
		int rc_null;

		subst(full[i].args, statepath, stoppedpath, args, sizeof(args));
		rc_null = run_to(args, "/dev/null", "/dev/null");
		rc = run_to(args, "/dev/full", errpath);
		first_line(errpath, line, sizeof(line));
		if (!ktap_ok(rc_null == full[i].rc_null && rc == full[i].rc_full &&
			     strstr(line, "writing standard output: No space left on device"),
			     "exit %d, or %d and a message with stdout on /dev/full: ipvsctl %s",
			     full[i].rc_null, full[i].rc_full, full[i].args))
			ktap_diag("got %d, and %d and '%s'", rc_null, rc, line);
	}
	for (i = 0; i < nc; i++) {
		char args[512];

		subst(checks[i].args, statepath, stoppedpath, args, sizeof(args));
		rc = run(args);
		if (!ktap_ok(rc == checks[i].rc, "exit %d: ipvsctl %s", checks[i].rc, checks[i].args))
			ktap_diag("got %d", rc);
	}
	for (i = 0; i < ni; i++) {
		char args[512], want[512], *at;
		int nw;

		snprintf(args, sizeof(args), "%s", imports[i].args);
		at = strchr(args, '@');
		snprintf(at, sizeof(args) - (size_t)(at - args), "%s",
			 strstr(imports[i].args, "@SAVED@") ? savedpath : ipvsadmpath);
		snprintf(want, sizeof(want), "%s%s", ipvsadmpath, imports[i].err ? imports[i].err : "");
		rc = run_to(args, "/dev/null", errpath);
		nw = grep_count(errpath, "warning", line, sizeof(line));
		if (!ktap_ok(rc == imports[i].rc && nw == imports[i].warnings &&
			     (!imports[i].err || strstr(line, want)),
			     "exit %d and %d warning%s: ipvsctl %s", imports[i].rc,
			     imports[i].warnings, imports[i].warnings == 1 ? "" : "s",
			     imports[i].args))
			ktap_diag("got %d, %d: '%s'", rc, nw, line);
	}
	unlink(errpath);
	unlink(statepath);
	unlink(stoppedpath);
	unlink(ipvsadmpath);
	unlink(savedpath);
	return ktap_finish();
}
