// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: exec probes (see internal.h). The command runs by /bin/sh -c,
 * as the probe user if one is set (its uid, gid and groups, no
 * capabilities, no_new_privs); its stderr is read as it comes; a command
 * killed at its deadline is reaped when it can be, never waited for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "health/internal.h"
#include "model/addr.h"

/* ---- exec: stderr, and reaping without waiting ------------------------------- */

/*
 * Keep what the command wrote to stderr, up to STDERR_MAX; read the rest
 * away. At the end of the file (no writer left) the pipe is closed, or it
 * would stay ready.
 */
void exec_err_read(struct hloop *l, struct exec_err *e)
{
	char buf[4096];
	ssize_t r;

	while (e->fd >= 0) {
		r = read(e->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return;	/* EAGAIN: later */
		if (!r) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, e->fd, NULL);
			close(e->fd);
			e->fd = -1;
			return;
		}
		if (e->len < STDERR_MAX) {
			size_t take = (size_t)r < STDERR_MAX - e->len ? (size_t)r : STDERR_MAX - e->len;

			memcpy(e->text + e->len, buf, take);
			e->len += take;
		}
	}
}

void exec_err_close(struct hloop *l, struct probe *p)
{
	struct exec_err *e = p->err;

	if (!e)
		return;
	p->err = NULL;
	if (e->fd >= 0) {
		/* out of epoll before close(): see probe_cleanup() */
		epoll_ctl(l->ep, EPOLL_CTL_DEL, e->fd, NULL);
		close(e->fd);
		e->fd = -1;
	}
	e->next_dead = l->dead_err;
	l->dead_err = e;
}

/*
 * ": first line of stderr" for a failed command's reason, printable, or
 * nothing if it wrote nothing.
 */
void exec_err_text(const struct probe *p, char *buf, size_t len)
{
	const struct exec_err *e = p->err;
	size_t i, n = 0;

	buf[0] = 0;
	if (!e || !e->len || len < 4)
		return;
	memcpy(buf, ": ", 2);
	n = 2;
	for (i = 0; i < e->len && n + 1 < len; i++) {
		unsigned char ch = (unsigned char)e->text[i];

		if (ch == '\n' && i + 1 == e->len)
			break;
		buf[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	buf[n] = 0;
	if (n == 2)
		buf[0] = 0;
}

/*
 * If the command @pid (its process group's leader) has exited: kill what
 * is left of its group, then reap it. The group is killed first, while
 * the zombie leader keeps its id reserved; reaped, the id could name
 * another group. So a background job of a command that succeeded ("sleep
 * 300 & exit 0") does not outlive the probe. Only a child that left the
 * group (setsid) escapes. True once reaped; false if it has not exited,
 * or a tracer holds its zombie.
 */
bool reap_leader(pid_t pid, int *status)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != pid)
		return false;
	kill(-pid, SIGKILL);
	return waitpid(pid, status, WNOHANG) == pid;
}

void reap_free(struct hloop *l, struct reap *r)
{
	struct reap **pp;

	for (pp = &l->reaps; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			l->nreaps--;
			break;
		}
	}
	if (r->pidfd >= 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, r->pidfd, NULL);
		close(r->pidfd);
	}
	free(r);
}

/* Look at a killed command again: reaped, or looked at later (backing off). */
void reap_try(struct hloop *l, struct reap *r, uint64_t now)
{
	int status;

	if (reap_leader(r->pid, &status)) {
		reap_free(l, r);
		return;
	}
	if (!r->polled) {
		r->polled = true;
		r->poll_ms = EXEC_POLL_MS;
	} else if (r->poll_ms < REAP_POLL_MAX_MS) {
		r->poll_ms = r->poll_ms * 2 < REAP_POLL_MAX_MS ? r->poll_ms * 2 : REAP_POLL_MAX_MS;
	}
	r->due_ms = now + r->poll_ms;
}

/*
 * A killed command that has not exited yet: its pidfd (@pidfd, still in
 * epoll naming the probe, or -1) now names a reap, once (EPOLLONESHOT: a
 * zombie that a tracer holds stays "readable" without being reapable,
 * and is then looked at on the timer).
 */
void reap_later(struct hloop *l, pid_t pid, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT };
	struct reap *r = calloc(1, sizeof(*r));

	if (!r) {
		/* nothing to watch it with: it is left to init when we exit */
		if (pidfd >= 0) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, pidfd, NULL);
			close(pidfd);
		}
		return;
	}
	r->tag.kind = T_REAP;
	r->pid = pid;
	r->pidfd = pidfd;
	ev.data.ptr = r;
	if (pidfd < 0 || epoll_ctl(l->ep, EPOLL_CTL_MOD, pidfd, &ev)) {
		r->polled = true;
		r->poll_ms = EXEC_POLL_MS;
		r->due_ms = now_ms() + r->poll_ms;
	}
	r->next = l->reaps;
	l->reaps = r;
	l->nreaps++;
}

size_t hloop_reaping(const struct hloop *l)
{
	return l->nreaps;
}

/* ---- exec: starting the command -------------------------------------------------- */

/* In a forked child: @what and the errno's name on stderr (no stdio: async-signal-safe only). */
static void __attribute__((noreturn)) child_fail(const char *what)
{
	const char *name = strerrorname_np(errno);
	struct iovec iov[3] = {
		{ (void *)what, strlen(what) },
		{ (void *)": ", 2 },
		{ (void *)(name ? name : "?"), name ? strlen(name) : 1 },
	};

	if (writev(2, iov, 3) < 0)
		_exit(126);
	_exit(126);
}

/*
 * The child of spawn_as_user(), between fork and exec: what posix_spawn
 * does for the other path (its own process group, stdin and stdout on
 * /dev/null, stderr the pipe, no other descriptor, signals reset), then
 * the user: the bounding set emptied while it still may be (CAP_SETPCAP;
 * without it the rest still leaves no capability), groups, gid, uid
 * (from root, setuid() clears the permitted, effective and ambient
 * sets), and no_new_privs, so no set-user-ID or file-capability program
 * gives any back.
 */
static void __attribute__((noreturn)) exec_child(const struct probe_user *u, char **argv,
						 char **envp, int errfd)
{
	struct sigaction dfl;
	sigset_t none;
	int fd, sig, cap;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	closefrom(3);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (cap = 0; cap <= u->cap_last; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (setgroups((size_t)u->ngroups, u->groups))
		child_fail("probe-user: setgroups");
	if (setgid(u->gid))
		child_fail("probe-user: setgid");
	if (setuid(u->uid))
		child_fail("probe-user: setuid");
	/* setuid(0) would work again if anything had kept root's power */
	if (u->uid && (getuid() != u->uid || geteuid() != u->uid || !setuid(0))) {
		errno = EPERM;
		child_fail("probe-user: root's rights survived setuid");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail("probe-user: PR_SET_NO_NEW_PRIVS");
	execve(argv[0], argv, envp);
	child_fail("execve /bin/sh");
}

/*
 * posix_spawn() cannot change the user, so with a probe user the command
 * is forked. fork(), not vfork(): the child calls setuid(), which glibc
 * broadcasts to every thread of the process it thinks it is in.
 */
static int spawn_as_user(const struct probe_user *u, char **argv, char **envp, int errfd,
			 pid_t *pid)
{
	pid_t c = fork();

	if (c < 0)
		return errno;
	if (!c)
		exec_child(u, argv, envp, errfd);
	/* and here too: the group exists before the loop may kill it */
	setpgid(c, c);
	*pid = c;
	return 0;
}

static int spawn(char **argv, char **envp, int errfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	/* nothing else: libcurl's sockets are not close-on-exec, and a
	 * command must not hold the daemon's descriptors (glibc 2.34)
	 */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	/* its own process group, so a timeout kills what it started too */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	sigemptyset(&none);
	sigfillset(&all);
	/* the daemon blocks the signals it reads from a signalfd */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	err = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return err;
}

void probe_start_exec(struct hloop *l, struct probe *p)
{
	char ip[sizeof(p->spec->addr_name)], env_addr[sizeof(ip) + 16], env_port[32], env_svc[128];
	char *argv[] = { "/bin/sh", "-c", (char *)p->spec->command, NULL };
	char *envp[] = { env_addr, env_port, env_svc, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct epoll_event ev = { .events = EPOLLIN };
	struct exec_err *e;
	uint8_t addr[16];
	uint16_t port;
	int af, pfd, err, pipefd[2] = { -1, -1 };
	pid_t pid;

	probe_target(p, &af, addr, &port);
	/* a DNS name whole (up to 127 characters), or the address */
	if (p->spec->addr_name[0])
		snprintf(ip, sizeof(ip), "%s", p->spec->addr_name);
	else
		inet_ntop(af, addr, ip, sizeof(ip));
	snprintf(env_addr, sizeof(env_addr), "BACKEND_ADDR=%s", ip);
	snprintf(env_port, sizeof(env_port), "BACKEND_PORT=%u", port);
	fmt_svc(&p->svc, env_svc + 8, sizeof(env_svc) - 8);
	memcpy(env_svc, "SERVICE=", 8);
	/* stderr: a pipe, read as the command runs, so a failure can say why */
	e = calloc(1, sizeof(*e));
	/* only the loop's end is non-blocking: the command's stderr blocks,
	 * as any stderr does, rather than failing with EAGAIN when the loop
	 * is slow to read
	 */
	if (!e || pipe2(pipefd, O_CLOEXEC) ||
	    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK)) {
		int perr = errno;

		if (pipefd[0] >= 0) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		free(e);
		probe_finish(l, p, false, strerror(perr));
		return;
	}
	e->tag.kind = T_STDERR;
	e->fd = pipefd[0];
	p->err = e;
	ev.data.ptr = e;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, e->fd, &ev)) {
		close(pipefd[1]);
		probe_finish(l, p, false, "epoll");
		return;
	}
	if (l->user.set)
		err = spawn_as_user(&l->user, argv, envp, pipefd[1], &pid);
	else
		err = spawn(argv, envp, pipefd[1], &pid);
	close(pipefd[1]);
	if (err) {
		probe_finish(l, p, false, strerror(err));
		return;
	}
	p->pid = pid;
	pfd = pidfd_open(pid, 0);
	if (pfd < 0 && errno == ENOSYS) {
		/* no pidfd (valgrind): look every EXEC_POLL_MS instead */
		p->fd = -1;
		reschedule(l, p, p->started_ms + EXEC_POLL_MS);
		return;
	}
	if (pfd < 0 || probe_watch(l, p, pfd, EPOLLIN)) {
		if (pfd >= 0)
			close(pfd);
		p->fd = -1;
		probe_finish(l, p, false, "pidfd");
	}
}

int hloop_set_probe_user(struct hloop *l, const char *user, char *why, size_t len)
{
	struct passwd pw, *pwp = NULL;
	struct probe_user u = { .set = true, .cap_last = 63 };
	char buf[4096], *end;
	unsigned long num;
	FILE *f;
	int n = 64, err;

	err = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp);
	if (!pwp && !err && user[0] >= '0' && user[0] <= '9') {
		/* a number with no name: that uid, gid the same, no groups */
		errno = 0;
		num = strtoul(user, &end, 10);
		if (*end || errno || num >= (uid_t)-1) {
			snprintf(why, len, "probe user '%s': no such user", user);
			return -EINVAL;
		}
		u.uid = (uid_t)num;
		u.gid = (gid_t)num;
		u.ngroups = 0;
		u.groups = malloc(sizeof(gid_t));
		if (!u.groups)
			return -ENOMEM;
		u.groups[0] = u.gid;
		goto done;
	}
	if (!pwp) {
		snprintf(why, len, "probe user '%s': %s", user, err ? strerror(err) : "no such user");
		return err ? -err : -EINVAL;
	}
	u.uid = pw.pw_uid;
	u.gid = pw.pw_gid;
	for (;;) {
		int want = n;

		u.groups = malloc((size_t)n * sizeof(gid_t));
		if (!u.groups)
			return -ENOMEM;
		if (getgrouplist(pw.pw_name, pw.pw_gid, u.groups, &want) >= 0) {
			u.ngroups = want;
			break;
		}
		free(u.groups);
		u.groups = NULL;
		if (want <= n)
			return -EINVAL;
		n = want;
	}
done:
	/*
	 * The child needs CAP_SETUID, CAP_SETGID (the switch) and CAP_SETPCAP
	 * (to empty its bounding set): without them every exec probe would
	 * fail at run time, so the daemon refuses to start instead.
	 */
	f = fopen("/proc/self/status", "re");
	if (f) {
		unsigned long long eff = ~0ULL;
		char line[256];

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				break;
		fclose(f);
		if ((eff & 0x1c0) != 0x1c0) {	/* bits 6, 7, 8 */
			free(u.groups);
			snprintf(why, len,
				 "probe user '%s': the daemon lacks CAP_SETGID, CAP_SETUID or CAP_SETPCAP to switch to it (a systemd unit must name them in CapabilityBoundingSet)",
				 user);
			return -EPERM;
		}
	}
	/* the capabilities the kernel knows, to empty the bounding set */
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &n) == 1 && n >= 0 && n < 1024)
			u.cap_last = n;
		fclose(f);
	}
	free(l->user.groups);
	l->user = u;
	return 0;
}
