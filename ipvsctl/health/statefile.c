// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the health state file (see statefile.h): its one writer and
 * its one reader.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "base/clock.h"
#include "health/statefile.h"
#include "model/addr.h"

/* a JSON string: quotes, backslashes and control characters escaped */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

int statefile_write(const char *path, const struct statefile_head *h,
		    const struct probe *const *pv, size_t n, char *why, size_t whylen)
{
	char buf[96];
	char *text = NULL;
	size_t i, len = 0;
	FILE *f;
	int err;

	/* built in memory, then replaced in one step (atomicfile.c) */
	f = open_memstream(&text, &len);
	if (!f) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		goto out;
	}
	fprintf(f, "{\"version\":%d,\"pid\":%d,\"running\":%s,\"config\":", STATEFILE_VERSION,
		(int)getpid(),
		h->running ? "true" : "false");
	put_str(f, h->config);
	fprintf(f, ",\"started\":%llu,\"updated\":%llu,\"reloads\":%llu,\"transitions\":%llu,\"backends\":[",
		(unsigned long long)h->started_ms, (unsigned long long)wall_ms(),
		(unsigned long long)h->reloads, (unsigned long long)h->transitions);
	for (i = 0; i < n; i++) {
		const struct probe *p = pv[i];

		fmt_svc(&p->svc, buf, sizeof(buf));
		fprintf(f, "%s{\"service\":\"%s\",", i ? "," : "", buf);
		fmt_addr_port(p->be.af, p->be.addr, p->be.port, buf, sizeof(buf));
		fprintf(f, "\"backend\":\"%s\",\"check\":\"%s\",\"state\":\"%s\",\"since\":%llu,"
			"\"consecutive_ok\":%u,\"consecutive_failures\":%u,\"probes\":%llu,"
			"\"failures\":%llu,\"last_error\":",
			buf, hc_type_name(p->spec->type), p->up ? "up" : "down",
			(unsigned long long)p->since_ms, p->ok_run, p->fail_run,
			(unsigned long long)p->probes, (unsigned long long)p->failures);
		if (p->last_error[0])
			put_str(f, p->last_error);
		else
			fputs("null", f);
		fprintf(f, ",\"last_duration_ms\":%u,\"on_fail\":\"%s\",\"weight\":%u,\"applied\":%s}",
			p->last_ms, hc_fail_name(p->spec->on_fail), p->conf.weight,
			p->applied ? "true" : "false");
	}
	fputs("]}\n", f);
	if (fclose(f)) {
		err = -ENOMEM;
		snprintf(why, whylen, "%s", strerror(ENOMEM));
	} else {
		err = atomic_write(path, text, len, 0644, why, whylen);
	}
out:
	free(text);
	return err;
}

static json_object *jget(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

int statefile_read(const char *path, json_object **rootp, bool *alive, char *why,
		   size_t whylen)
{
	json_object *root, *pid;
	int err;

	errno = 0;
	root = json_object_from_file(path);
	if (!root) {
		err = errno ? -errno : -EINVAL;
		snprintf(why, whylen, "%s", errno ? strerror(errno) : "not JSON");
		return err;
	}
	pid = jget(root, "pid", json_type_int);
	if (!pid || json_object_get_int64(jget(root, "version", json_type_int)) != STATEFILE_VERSION ||
	    !jget(root, "backends", json_type_array)) {
		snprintf(why, whylen, "%s is not a state file this ipvsctl reads", path);
		json_object_put(root);
		return -EPROTO;
	}
	/* it says the daemon runs, and a process of its pid exists */
	*alive = json_object_get_boolean(jget(root, "running", json_type_boolean)) &&
		 json_object_get_int64(pid) > 0 &&
		 (kill((pid_t)json_object_get_int64(pid), 0) == 0 || errno == EPERM);
	*rootp = root;
	return 0;
}
