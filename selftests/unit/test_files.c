// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's files on the host: atomic_write() (ipvsctl/base/atomicfile.c),
 * which replaces the state file and the metrics textfile, and the managed
 * set (ipvsctl/state/managed.c), which decides what a starting daemon deletes,
 * and the health state file (ipvsctl/health/statefile.c): what its one
 * writer writes, its one reader reads back. Everything happens in a fresh directory under /tmp.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "health/statefile.h"
#include "model/addr.h"
#include "state/managed.h"
#include "ktap.h"

#define OWNER "netns 4026531840 config /etc/ipvsctl/lb.conf"

static char dir[64];

static char *at(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static bool has(const char *path, const char *text)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return !strcmp(buf, text);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		ktap_diag("cannot write %s: %s", path, strerror(errno));
		exit(1);
	}
}

static void test_atomic(void)
{
	char why[512], tmp[256];
	struct stat st;
	mode_t old;
	int err;

	/* a new file, and its mode whatever the umask */
	old = umask(077);
	err = atomic_write(at("state"), "one\n", 4, 0644, why, sizeof(why));
	umask(old);
	ktap_ok(!err && has(at("state"), "one\n") && !stat(at("state"), &st) && (st.st_mode & 0777) == 0644,
		"atomic_write: creates the file, mode 0644 under umask 077 (%s)", err ? why : "ok");
	err = atomic_write(at("state"), "two\n", 4, 0644, why, sizeof(why));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", at("state"), (int)getpid());
	ktap_ok(!err && has(at("state"), "two\n") && access(tmp, F_OK),
		"atomic_write: replaces it, and leaves no temporary file");

	/* a link planted under the temporary name: removed, never followed */
	put(at("victim"), "precious\n");
	if (symlink(at("victim"), tmp))
		ktap_diag("symlink: %s", strerror(errno));
	err = atomic_write(at("state"), "three\n", 6, 0644, why, sizeof(why));
	ktap_ok(!err && has(at("victim"), "precious\n") && has(at("state"), "three\n") &&
		!lstat(at("state"), &st) && S_ISREG(st.st_mode),
		"atomic_write: a symlink planted at the temporary name is not followed (its target intact)");

	/* the temporary name taken by a directory: the write fails, the old file stays */
	if (mkdir(tmp, 0700))
		ktap_diag("mkdir: %s", strerror(errno));
	err = atomic_write(at("state"), "four\n", 5, 0644, why, sizeof(why));
	ktap_ok(err && strstr(why, "cannot create") && has(at("state"), "three\n"),
		"atomic_write: a failed create leaves the old file whole: %s", why);
	rmdir(tmp);

	/* the rename fails (the target is a non-empty directory): old intact, no tmp left */
	mkdir(at("busy"), 0700);
	put(at("busy/x"), "x");
	err = atomic_write(at("busy"), "five\n", 5, 0644, why, sizeof(why));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", at("busy"), (int)getpid());
	ktap_ok(err && strstr(why, "cannot rename") && has(at("busy/x"), "x") && access(tmp, F_OK),
		"atomic_write: a failed rename leaves the old one and removes the temporary file: %s", why);
	unlink(at("busy/x"));
	rmdir(at("busy"));

	/* a directory that does not exist: an error that names the step */
	err = atomic_write(at("nodir/state"), "six\n", 4, 0644, why, sizeof(why));
	ktap_ok(err == -ENOENT && strstr(why, "cannot create"),
		"atomic_write: a missing directory is an error, said: %s", why);
	unlink(at("victim"));
	unlink(at("state"));
}

static void svc(struct svc_id *id, int proto, const char *addr, uint16_t port, uint32_t mark)
{
	memset(id, 0, sizeof(*id));
	id->af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(id->af, addr, id->addr);
	id->proto = proto;
	id->port = port;
	id->fwmark = mark;
	if (mark) {
		id->proto = 0;
		id->port = 0;
		memset(id->addr, 0, sizeof(id->addr));
	}
}

static void test_managed(void)
{
	struct svc_id in[4], *out = NULL, probe;
	size_t n = 0, i;
	char why[512];
	bool same = true;
	int err;
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "tcp/10.0.0.1:80\nend 1\n", "no header" },
		{ "ipvsctl-managed 2\ntcp/10.0.0.1:80\nend 1\n", "another version" },
		{ "ipvsctl-managed 1\nowner " OWNER "\ntcp/10.0.0.1:80\n", "cut short (no end)" },
		{ "ipvsctl-managed 1\nowner " OWNER "\ntcp/10.0.0.1:80\nend 2\n", "a count that does not match" },
		{ "ipvsctl-managed 1\nowner " OWNER "\ntcp/10.0.0.1:80\ntcp/10.0.0.2:8\nend 1\n", "one line too many" },
		{ "ipvsctl-managed 1\nowner " OWNER "\ntcp/10.0.0.1:80\nend 1\ntcp/10.0.0.3:80\n", "text after the end" },
		{ "ipvsctl-managed 1\nowner " OWNER "\ntcp/10.0.0.1:80\nnot a service\nend 2\n", "a line that is no service" },
		{ "", "empty" },
	};

	svc(&in[0], IPPROTO_TCP, "10.0.0.2", 443, 0);
	svc(&in[1], IPPROTO_UDP, "2001:db8::1", 53, 0);
	svc(&in[2], 0, "0.0.0.0", 0, 7);
	svc(&in[3], IPPROTO_TCP, "10.0.0.1", 80, 0);
	err = managed_write(at("m"), OWNER, in, 4, why, sizeof(why));
	if (!err)
		err = managed_read(at("m"), OWNER, &out, &n, why, sizeof(why));
	for (i = 0; !err && i < 4; i++)
		if (!managed_has(out, n, &in[i]))
			same = false;
	svc(&probe, IPPROTO_TCP, "10.0.0.1", 81, 0);
	ktap_ok(!err && n == 4 && same && !managed_has(out, n, &probe),
		"managed: 4 services (tcp, udp over IPv6, fwmark) written and read back, and no other (%s)",
		err ? why : "ok");
	free(out);
	out = NULL;
	err = managed_write(at("m"), OWNER, NULL, 0, why, sizeof(why));
	if (!err)
		err = managed_read(at("m"), OWNER, &out, &n, why, sizeof(why));
	ktap_ok(!err && n == 0, "managed: an empty set is a file too, read back empty");
	free(out);
	out = NULL;
	err = managed_read(at("none"), OWNER, &out, &n, why, sizeof(why));
	ktap_ok(err == -ENOENT && !out, "managed: no file is -ENOENT (a first start)");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(at("m"), bad[i].text);
		out = NULL;
		n = 99;
		err = managed_read(at("m"), OWNER, &out, &n, why, sizeof(why));
		ktap_ok(err == -EINVAL && !out && n == 99, "managed: refused whole: %s (%s)", bad[i].what,
			err ? why : "accepted");
		free(out);
	}
	/* a set another daemon wrote is not this one's */
	err = managed_write(at("m"), "netns 1 config /etc/other.conf", in, 4, why, sizeof(why));
	out = NULL;
	n = 99;
	if (!err)
		err = managed_read(at("m"), OWNER, &out, &n, why, sizeof(why));
	ktap_ok(err == -ESTALE && !out && n == 99,
		"managed: a set written by another daemon (owner) is refused (%s)", err ? why : "accepted");
	free(out);
	put(at("m"), "ipvsctl-managed 1\ntcp/10.0.0.1:80\nend 1\n");
	out = NULL;
	err = managed_read(at("m"), OWNER, &out, &n, why, sizeof(why));
	ktap_ok(err == -EINVAL && !out, "managed: a set without an owner line is refused");
	free(out);
	unlink(at("m"));
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "(absent)";
}

static void test_statefile(void)
{
	struct health_spec spec;
	struct probe p[2];
	const struct probe *pv[2] = { &p[0], &p[1] };
	struct statefile_head h = { .running = true, .config = "/etc/ipvsctl/a \"b\".conf",
				    .started_ms = 1000, .reloads = 2, .transitions = 3 };
	json_object *root = NULL, *arr, *b;
	char why[512];
	bool alive = false;
	int err;

	health_spec_defaults(&spec);
	spec.type = HC_HTTP;
	spec.on_fail = HC_DOWN;
	memset(p, 0, sizeof(p));
	p[0].spec = p[1].spec = &spec;
	parse_svc("tcp/10.0.0.1:80", &p[0].svc, why, sizeof(why));
	p[1].svc = p[0].svc;
	parse_addr_port("10.0.0.2:8080", AF_INET, &p[0].be, true, why, sizeof(why));
	parse_addr_port("[2001:db8::2]:8080", AF_INET6, &p[1].be, true, why, sizeof(why));
	p[0].up = true;
	p[0].conf.weight = 5;
	p[0].applied = true;
	p[1].probes = 7;
	p[1].failures = 7;
	/* a control character and a quote: escaped, and read back the same */
	snprintf(p[1].last_error, sizeof(p[1].last_error), "HTTP 503 \"busy\"\x01");

	err = statefile_write(at("state.json"), &h, pv, 2, why, sizeof(why));
	ktap_ok(!err, "statefile: written (%s)", err ? why : "ok");
	err = statefile_read(at("state.json"), &root, &alive, why, sizeof(why));
	ktap_ok(!err && alive, "statefile: read back, and this process (its writer) is alive (%d)", err);
	if (err)
		return;
	json_object_object_get_ex(root, "backends", &arr);
	b = json_object_array_get_idx(arr, 1);
	ktap_ok(!strcmp(jstr(root, "config"), h.config) && json_object_array_length(arr) == 2 &&
		!strcmp(jstr(json_object_array_get_idx(arr, 0), "backend"), "10.0.0.2:8080") &&
		!strcmp(jstr(json_object_array_get_idx(arr, 0), "state"), "up") &&
		!strcmp(jstr(b, "backend"), "[2001:db8::2]:8080") &&
		!strcmp(jstr(b, "check"), "http") && !strcmp(jstr(b, "on_fail"), "down") &&
		!strcmp(jstr(b, "last_error"), p[1].last_error) && !strcmp(jstr(b, "state"), "down"),
		"statefile: every field as written, escaped text included ('%s', '%s')",
		jstr(root, "config"), jstr(b, "last_error"));
	json_object_put(root);

	h.running = false;
	statefile_write(at("state.json"), &h, pv, 0, why, sizeof(why));
	root = NULL;
	err = statefile_read(at("state.json"), &root, &alive, why, sizeof(why));
	ktap_ok(!err && !alive, "statefile: a daemon's last state (running false) reads as not alive");
	json_object_put(root);

	put(at("v2.json"), "{\"version\":2,\"pid\":1,\"backends\":[]}");
	root = NULL;
	err = statefile_read(at("v2.json"), &root, &alive, why, sizeof(why));
	ktap_ok(err == -EPROTO && !root, "statefile: another version is refused, said: %s", why);
	put(at("v2.json"), "{\"version\":1,\"pid\":\"1\",\"running\":true,\"backends\":[]}");
	root = NULL;
	err = statefile_read(at("v2.json"), &root, &alive, why, sizeof(why));
	ktap_ok(err == -EPROTO && !root,
		"statefile: a pid that is not a number is refused (health status and metrics alike)");
	put(at("bad.json"), "not json");
	err = statefile_read(at("bad.json"), &root, &alive, why, sizeof(why));
	ktap_ok(err == -EINVAL && !root, "statefile: not JSON is refused, said: %s", why);
	err = statefile_read(at("none.json"), &root, &alive, why, sizeof(why));
	ktap_ok(err == -ENOENT, "statefile: a missing file is -ENOENT (%d)", err);
	unlink(at("state.json"));
	unlink(at("v2.json"));
	unlink(at("bad.json"));
}

int main(void)
{
	ktap_plan(27);
	snprintf(dir, sizeof(dir), "/tmp/test_files.XXXXXX");
	if (!mkdtemp(dir)) {
		ktap_diag("mkdtemp: %s", strerror(errno));
		return 1;
	}
	test_atomic();
	test_managed();
	test_statefile();
	rmdir(dir);
	return ktap_finish();
}
