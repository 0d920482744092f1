// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl sysctl: the kernel settings a director needs, checked or set.
 *
 *   sysctl [check] [--dr]      show each, its recommended value, and exit 9
 *                              if any differs (1 if one cannot be read)
 *   sysctl set [--dr]          set those that differ
 *
 * In the namespace given with -N, like every command. The settings, their
 * values and why are kernel/sysctl.c's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <popt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kernel/sysctl.h"
#include "output/json.h"

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
	ipvs = nlc_family(nl, FAM_IPVS, NULL) > 0;
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
