// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl sysctl: the kernel settings a director needs, checked or set.
 *
 *   sysctl [check] [--dr]      show each, its recommended value, and exit 9
 *                              if any differs (1 if one cannot be read)
 *   sysctl set [--dr]          set those that differ
 *
 * In the namespace given with -N, like every command. The values and the
 * reasons are those kube-proxy's IPVS mode sets (pkg/proxy/ipvs: conntrack,
 * expire_nodest_conn, expire_quiescent_template; arp_ignore/arp_announce
 * for strictARP), and the IPVS documentation's (Documentation/networking/
 * ipvs-sysctl.rst).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "kernel/sysctl.h"
#include "model/addr.h"
#include "output/json.h"

static const struct director_sysctl all_sysctls[] = {
	{ "net.ipv4.vs.conntrack", 1, false,
	  "keep netfilter conntrack entries for IPVS connections, so NAT and "
	  "masquerade rules (iptables/nftables) see them" },
	{ "net.ipv4.vs.expire_nodest_conn", 1, false,
	  "drop the connections of a deleted backend at their next packet, "
	  "instead of silently dropping their packets until they time out" },
	{ "net.ipv4.vs.expire_quiescent_template", 1, false,
	  "persistence templates of a weight-0 backend expire, so persistent "
	  "clients leave a drained backend" },
	{ "net.ipv4.conf.all.arp_ignore", 1, true,
	  "direct routing: answer ARP only for addresses of the receiving "
	  "interface (not for VIPs held on lo or a dummy interface)" },
	{ "net.ipv4.conf.all.arp_announce", 2, true,
	  "direct routing: never announce a VIP as an ARP source address" },
};

const struct director_sysctl *director_sysctls(size_t *n)
{
	*n = sizeof(all_sysctls) / sizeof(all_sysctls[0]);
	return all_sysctls;
}

static void sysctl_path(const char *name, char *buf, size_t len)
{
	size_t i, o = (size_t)snprintf(buf, len, "/proc/sys/");

	for (i = 0; name[i] && o + 1 < len; i++)
		buf[o++] = name[i] == '.' ? '/' : name[i];
	buf[o] = 0;
}

int sysctl_read(const char *name, long *v)
{
	char path[128], buf[32], *end;
	ssize_t n;
	int fd;

	sysctl_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	errno = 0;
	*v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -EIO;
	return 0;
}

static int sysctl_write(const char *name, long v)
{
	char path[128], buf[32];
	ssize_t n;
	int fd, len;

	sysctl_path(name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	n = write(fd, buf, (size_t)len);
	if (n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	return close(fd) ? -errno : 0;
}

static const char sysctl_help[] =
	"check (the default): show the kernel settings a director needs, with\n"
	"the recommended value and why; exit 9 if any differs, 1 if one cannot\n"
	"be read.\n"
	"set: set those that differ (and show them).\n"
	"--dr adds those direct routing needs (arp_ignore, arp_announce).\n"
	"The IPVS ones exist once ip_vs is loaded; ipvsctl loads it by asking.\n";

int cmd_sysctl(struct ctx *c, int argc, char **argv)
{
	int dr = 0, rc, nargs, err;
	struct poptOption opts[] = {
		{ "dr", 0, POPT_ARG_NONE, &dr, 0, "also the settings direct routing needs", NULL },
		POPT_TABLEEND
	};
	const struct director_sysctl *t;
	json_object *arr = NULL;
	const char **args;
	size_t n, i, differ = 0, failed = 0;
	bool set = false, ipvs;
	struct nl *nl;

	rc = cmd_options(c, argc, argv, opts, "sysctl [check|set] [--dr]", sysctl_help, &args,
			 &nargs);
	if (rc)
		return rc == CMD_OPTIONS_DONE ? EXIT_OK : rc;
	if (nargs > 1 || (nargs == 1 && strcmp(args[0], "check") && strcmp(args[0], "set"))) {
		usage_error(c, "sysctl: check or set (ipvsctl sysctl --help)");
		return EXIT_USAGE;
	}
	set = nargs == 1 && !strcmp(args[0], "set");
	/* into the namespace (-N), and IPVS loaded, so its sysctls exist:
	 * resolving the IPVS family is what makes the kernel load ip_vs
	 * (genetlink's request_module() on an unknown family name)
	 */
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);
	ipvs = nlc_family(nl, FAM_IPVS) > 0;
	if (!ipvs)
		fprintf(stderr, "%s: sysctl: IPVS is not available (modprobe ip_vs): its settings cannot be read or set\n",
			c->prog);
	if (c->o.json)
		arr = json_object_new_array();
	else
		printf("%-40s %7s %11s  %s\n", "SETTING", "VALUE", "RECOMMENDED", "WHY");
	t = director_sysctls(&n);
	for (i = 0; i < n; i++) {
		const char *state = "ok";
		char val[24] = "-";
		long v = 0;
		bool have;

		if (t[i].dr_only && !dr)
			continue;
		err = sysctl_read(t[i].name, &v);
		have = !err;
		if (have)
			snprintf(val, sizeof(val), "%ld", v);
		if (!have && !ipvs && !strncmp(t[i].name, "net.ipv4.vs.", 12)) {
			state = "ip_vs not loaded";
			failed++;
			differ++;
		} else if (!have || v != t[i].want) {
			state = "differs";
			differ++;
			if (set) {
				err = sysctl_write(t[i].name, t[i].want);
				if (err) {
					fprintf(stderr, "%s: sysctl: %s = %ld: %s\n", c->prog, t[i].name,
						t[i].want, strerror(-err));
					failed++;
					state = "not set";
				} else {
					if (!c->o.quiet && !c->o.json)
						fprintf(stderr, "%s: %s: %s -> %ld\n", c->prog, t[i].name,
							val, t[i].want);
					snprintf(val, sizeof(val), "%ld", t[i].want);
					state = "set";
				}
			}
		}
		if (c->o.json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(t[i].name));
			json_object_object_add(o, "value", have ? json_object_new_int64(v) : NULL);
			json_object_object_add(o, "recommended", json_object_new_int64(t[i].want));
			json_object_object_add(o, "state", json_object_new_string(state));
			json_object_object_add(o, "why", json_object_new_string(t[i].why));
			json_object_array_add(arr, o);
		} else {
			printf("%-40s %7s %11ld  %s%s%s\n", t[i].name, val, t[i].want,
			       strcmp(state, "ok") ? state : "", strcmp(state, "ok") ? ": " : "",
			       t[i].why);
		}
	}
	if (c->o.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "sysctls", arr);
		out_json(o);
	}
	/* check: one that could not be read is a failure to check (1), not
	 * a difference found (9)
	 */
	if (failed)
		return EXIT_FAIL;
	return differ && !set ? EXIT_DIFFERS : EXIT_OK;
}
