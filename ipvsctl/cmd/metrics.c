// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl metrics: IPVS counters, the maglev scheduler's state and the
 * health daemon's view, in the Prometheus text exposition format 0.0.4,
 * for node_exporter's textfile collector (or anything that reads it).
 *
 *   metrics [--textfile PATH] [--state-file PATH]
 *
 * The state is read once (the IPVS dump with its maglev state, the module's
 * namespace totals, the health daemon's state file) and formatted into
 * memory; only then is anything written: to standard output, or with
 * --textfile to PATH.tmp.<pid> beside PATH, synced and renamed over PATH.
 * A collector reading PATH sees the previous run's file or this one's,
 * never a part of one; node_exporter reads only names ending in ".prom",
 * so it never reads the temporary file.
 *
 * Every family is declared once in fams[] (name, type, help, what it has a
 * sample for) and metric_value() gives each sample's value; families print
 * in that order, each with HELP and TYPE, and only when they have a
 * sample. ipvsctl(8), METRICS, documents the same list: change both.
 *
 * Reading nothing from a namespace (no IPVS, not permitted) still writes
 * the output, with ipvsctl_ipvs_up 0, so that a collector stops serving the
 * last good numbers; the exit status says what went wrong.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <popt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomicfile.h"
#include "base/clock.h"
#include "cmd/cmd.h"
#include "cmd/metrics.h"
#include "health/statefile.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"

#ifndef IPVSCTL_VERSION
#define IPVSCTL_VERSION "unknown"
#endif

/* One run: what was read, and where the text goes. */
struct mx {
	FILE *f;			/* a memory stream, written out at the end */
	const char *netns;		/* -N: a "netns" label on every sample */
	bool ipvs_up;
	const struct model *m;
	bool mg_loaded;
	bool mg_info;			/* mg is valid */
	struct mg_info mg;
	json_object *hstate;		/* the health daemon's state file, if read */
	json_object *hbackends;		/* its backends, if the daemon runs */
	bool hrunning;
	uint64_t now_ms;		/* the wall clock, once for every sample */
};

/* One sample's subject: a service, a backend, or a state-file entry. */
struct row {
	const struct m_svc *s;
	const struct m_dest *d;
	json_object *h;
};

/*
 * A value: an unsigned integer with @scale decimals (3 for milliseconds
 * as seconds, 9 for nanoseconds), printed exactly, with no floating point.
 */
struct val {
	uint64_t n;
	unsigned int scale;
};

static bool val(struct val *v, uint64_t n, unsigned int scale)
{
	v->n = n;
	v->scale = scale;
	return true;
}

static void put_val(FILE *f, const struct val *v)
{
	uint64_t div = 1;
	unsigned int i;

	if (!v->scale) {
		fprintf(f, "%" PRIu64, v->n);
		return;
	}
	for (i = 0; i < v->scale; i++)
		div *= 10;
	fprintf(f, "%" PRIu64 ".%0*" PRIu64, v->n / div, (int)v->scale, v->n % div);
}

/* ---- the health daemon's state file ----------------------------------- */

static json_object *jget(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* a non-negative integer field; false if absent */
static bool jval(json_object *o, const char *key, unsigned int scale, struct val *v)
{
	json_object *j = jget(o, key, json_type_int);
	int64_t n;

	if (!j)
		return false;
	n = json_object_get_int64(j);
	return val(v, n > 0 ? (uint64_t)n : 0, scale);
}

/*
 * Read the state file "ipvsctl daemon" writes (schema: ipvsctl(8)). A
 * missing file means no daemon: a comment says so and there are no health
 * metrics. Returns 0, or an exit code if the file is there but unusable.
 */
static int health_read(struct ctx *c, struct mx *x, const char *path, char *note, size_t len)
{
	json_object *root;
	char why[PATH_MAX + 128];
	int err;

	err = statefile_read(path, &root, &x->hrunning, why, sizeof(why));
	if (err == -ENOENT) {
		snprintf(note, len, "no health state file %s (is 'ipvsctl daemon' running?): no health metrics",
			 path);
		return 0;
	}
	if (err == -EPROTO) {
		fprintf(stderr, "%s: metrics: %s\n", c->prog, why);
		snprintf(note, len, "%s is not a health state file: no health metrics", path);
		return EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "%s: metrics: cannot read %s: %s\n", c->prog, path, why);
		snprintf(note, len, "cannot read the health state file %s: no health metrics", path);
		return EXIT_FAIL;
	}
	x->hstate = root;
	if (x->hrunning)
		x->hbackends = jget(root, "backends", json_type_array);
	else
		snprintf(note, len, "the health daemon (pid %" PRId64 ") is not running: %s",
			 json_object_get_int64(jget(root, "pid", json_type_int)),
			 "of the health metrics only ipvsctl_health_daemon_running");
	return 0;
}

/* ---- values --------------------------------------------------------------- */

/* The sample of family @f for @r; false if it has none. */
static bool metric_value(const struct mx *x, enum metric f, const struct row *r, struct val *v)
{
	const struct m_svc *s = r->s;
	const struct m_dest *d = r->d;
	json_object *h = r->h, *j;

	switch (f) {
	case M_BUILD_INFO:	return val(v, 1, 0);
	case M_IPVS_UP:		return val(v, x->ipvs_up, 0);
	case M_MG_LOADED:	return val(v, x->mg_loaded, 0);
	case M_MG_INFO:		return x->mg_info && val(v, 1, 0);
	case M_MG_NS_PINS:	return x->mg_info && val(v, x->mg.pin_entries, 0);
	case M_MG_NS_PIN_LIMIT:	return x->mg_info && val(v, x->mg.pin_max, 0);

	case M_SVC_INFO:	return val(v, 1, 0);
	case M_SVC_CONNS:	return val(v, s->st.conns, 0);
	case M_SVC_INPKTS:	return val(v, s->st.inpkts, 0);
	case M_SVC_OUTPKTS:	return val(v, s->st.outpkts, 0);
	case M_SVC_INBYTES:	return val(v, s->st.inbytes, 0);
	case M_SVC_OUTBYTES:	return val(v, s->st.outbytes, 0);

	case M_BE_CONNS:	return val(v, d->st.conns, 0);
	case M_BE_INPKTS:	return val(v, d->st.inpkts, 0);
	case M_BE_OUTPKTS:	return val(v, d->st.outpkts, 0);
	case M_BE_INBYTES:	return val(v, d->st.inbytes, 0);
	case M_BE_OUTBYTES:	return val(v, d->st.outbytes, 0);
	case M_BE_WEIGHT:	return val(v, d->c.weight, 0);
	case M_BE_ACTIVE:	return val(v, d->active, 0);
	case M_BE_INACTIVE:	return val(v, d->inactive, 0);

	case M_MG_SLOTS:	return val(v, s->mg.table_size_active, 0);
	case M_MG_REBUILDS:	return val(v, s->mg.rebuilds, 0);
	case M_MG_REBUILD_FAILS: return val(v, s->mg.rebuild_fails, 0);
	case M_MG_PENDING:	return val(v, s->mg.pending, 0);
	case M_MG_LAST_REBUILD:
		/* an age goes stale in a file read later: a timestamp does not */
		return s->mg.rebuilds && x->now_ms > s->mg.age_ms &&
		       val(v, x->now_ms - s->mg.age_ms, 3);
	case M_MG_BUILD_TIME:	return s->mg.rebuilds && val(v, s->mg.build_ns, 9);
	case M_MG_MEMORY:	return val(v, s->mg.state_bytes, 0);
	case M_MG_RAMPING:	return val(v, s->mg.ramping, 0);
	case M_MG_PINNING:	return val(v, s->mg.pins.active, 0);
	case M_MG_PINS:		return val(v, s->mg.pins.entries, 0);
	case M_MG_PIN_LIMIT:	return s->c.pin_max && val(v, s->c.pin_max, 0);
	case M_MG_PIN_HITS:	return val(v, s->mg.pins.hits, 0);
	case M_MG_PIN_MISSES:	return val(v, s->mg.pins.misses, 0);
	case M_MG_PIN_INSERTS:	return val(v, s->mg.pins.inserts, 0);
	case M_MG_PIN_INSERT_FAILS: return val(v, s->mg.pins.insert_fails, 0);
	case M_MG_PIN_EVICTIONS: return val(v, s->mg.pins.evictions, 0);
	case M_MG_PIN_EXPIRIES:	return val(v, s->mg.pins.expiries, 0);
	case M_MG_PIN_DROPS:	return val(v, s->mg.pins.dropped, 0);

	case M_MG_BE_EFF_WEIGHT: return val(v, d->mg.eff_weight, 0);
	case M_MG_BE_SLOTS:	return val(v, d->mg.slots, 0);
	case M_MG_BE_AVAILABLE:	return val(v, d->mg.available, 0);
	case M_MG_BE_DOWN:	return val(v, d->mg.down, 0);
	case M_MG_BE_DRAINING:	return val(v, d->mg.saved_weight != 0, 0);
	case M_MG_BE_DRAIN_DEADLINE:
		return d->mg.saved_weight && d->mg.drain_deadline &&
		       val(v, d->mg.drain_deadline, 0);
	case M_MG_BE_PINS:	return val(v, d->mg.pins, 0);

	case M_HD_RUNNING:	return x->hstate && val(v, x->hrunning, 0);
	case M_HD_STARTED:	return x->hrunning && jval(x->hstate, "started", 3, v);
	case M_HD_UPDATED:	return x->hrunning && jval(x->hstate, "updated", 3, v);
	case M_HD_RELOADS:	return x->hrunning && jval(x->hstate, "reloads", 0, v);
	case M_HD_TRANSITIONS:	return x->hrunning && jval(x->hstate, "transitions", 0, v);
	case M_H_UP:
		j = jget(h, "state", json_type_string);
		return j && val(v, !strcmp(json_object_get_string(j), "up"), 0);
	case M_H_APPLIED:
		j = jget(h, "applied", json_type_boolean);
		return j && val(v, json_object_get_boolean(j), 0);
	case M_H_SINCE:		return jval(h, "since", 3, v);
	case M_H_PROBES:	return jval(h, "probes", 0, v);
	case M_H_FAILURES:	return jval(h, "failures", 0, v);
	case M__COUNT:
		break;
	}
	return false;
}

/* ---- the text format ------------------------------------------------------ */

/*
 * HELP text escapes backslash and newline; a label value also the double
 * quote (exposition format 0.0.4).
 */
static void put_escaped(FILE *f, const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && label)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

struct label {
	const char *name;
	const char *value;
};

#define MAX_LABELS 8

static void put_sample(FILE *f, const char *name, const struct label *l, size_t n,
		       const struct val *v)
{
	size_t i;

	fputs(name, f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%c%s=\"", i ? ',' : '{', l[i].name);
		put_escaped(f, l[i].value, true);
		fputc('"', f);
	}
	fputs(n ? "} " : " ", f);
	put_val(f, v);
	fputc('\n', f);
}

/* Text for the labels of @r's sample of @f, kept for as long as the line. */
struct label_buf {
	char svc[96], be[64], addr[INET6_ADDRSTRLEN], port[8], mark[12];
};

static size_t row_labels(const struct mx *x, enum metric f, const struct row *r,
			 struct label *l, struct label_buf *b)
{
	const struct svc_id *id;
	size_t n = 0;

	if (x->netns)
		l[n++] = (struct label){ "netns", x->netns };
	if (r->s) {
		fmt_svc(&r->s->id, b->svc, sizeof(b->svc));
		l[n++] = (struct label){ "service", b->svc };
	}
	if (r->d) {
		fmt_addr_port(r->d->ap.af, r->d->ap.addr, r->d->ap.port, b->be, sizeof(b->be));
		l[n++] = (struct label){ "backend", b->be };
	}
	if (r->h) {
		/* the daemon writes both as ipvsctl names them (fmt_svc) */
		json_object *s = jget(r->h, "service", json_type_string);
		json_object *be = jget(r->h, "backend", json_type_string);

		if (!s || !be)
			return 0;
		l[n++] = (struct label){ "service", json_object_get_string(s) };
		l[n++] = (struct label){ "backend", json_object_get_string(be) };
	}
	switch (f) {
	case M_BUILD_INFO:
		l[n++] = (struct label){ "version", IPVSCTL_VERSION };
		break;
	case M_MG_INFO:
		l[n++] = (struct label){ "version", x->mg.version };
		break;
	case M_SVC_INFO:
		id = &r->s->id;
		l[n++] = (struct label){ "family", id->af == AF_INET6 ? "inet6" : "inet" };
		if (id->fwmark) {
			snprintf(b->mark, sizeof(b->mark), "%u", id->fwmark);
			l[n++] = (struct label){ "fwmark", b->mark };
		} else {
			inet_ntop(id->af, id->addr, b->addr, sizeof(b->addr));
			snprintf(b->port, sizeof(b->port), "%u", id->port);
			l[n++] = (struct label){ "protocol", proto_name(id->proto) };
			l[n++] = (struct label){ "vip", b->addr };
			l[n++] = (struct label){ "port", b->port };
		}
		l[n++] = (struct label){ "scheduler", r->s->c.sched };
		break;
	default:
		break;
	}
	return n;
}

static void emit_row(const struct mx *x, enum metric f, const struct row *r, bool *head)
{
	const struct family *fam = &fams[f];
	struct label l[MAX_LABELS];
	struct label_buf b;
	struct val v;
	size_t n;

	if (fam->mg && !(r->d ? r->d->has_mg : r->s->has_mg))
		return;
	if (!metric_value(x, f, r, &v))
		return;
	n = row_labels(x, f, r, l, &b);
	if (r->h && !n)
		return;		/* an entry without a name: not ours to guess */
	if (!*head) {
		fprintf(x->f, "# HELP %s ", fam->name);
		put_escaped(x->f, fam->help, false);
		fprintf(x->f, "\n# TYPE %s %s\n", fam->name, fam->type == COUNTER ? "counter" : "gauge");
		*head = true;
	}
	put_sample(x->f, fam->name, l, n, &v);
}

static void emit_family(const struct mx *x, enum metric f)
{
	const struct model *m = x->m;
	struct row r = { 0 };
	bool head = false;
	size_t i, j, n;

	switch (fams[f].scope) {
	case ONE:
		emit_row(x, f, &r, &head);
		break;
	case SVC:
		for (i = 0; i < m->n; i++) {
			r.s = &m->svcs[i];
			emit_row(x, f, &r, &head);
		}
		break;
	case BE:
		for (i = 0; i < m->n; i++) {
			r.s = &m->svcs[i];
			for (j = 0; j < r.s->ndests; j++) {
				r.d = &r.s->dests[j];
				emit_row(x, f, &r, &head);
			}
		}
		break;
	case HEALTH:
		n = x->hbackends ? json_object_array_length(x->hbackends) : 0;
		for (i = 0; i < n; i++) {
			r.h = json_object_array_get_idx(x->hbackends, i);
			emit_row(x, f, &r, &head);
		}
		break;
	}
}

/* ---- output ------------------------------------------------------------------ */

/* Replace @path atomically (atomicfile.c), readable by the collector whatever our umask. */
static int write_textfile(struct ctx *c, const char *path, const char *buf, size_t len)
{
	char why[PATH_MAX + 128];
	int err;

	err = atomic_write(path, buf, len, 0644, why, sizeof(why));
	if (err)
		fprintf(stderr, "%s: metrics: %s\n", c->prog, why);
	return err;
}

/* A file that cannot be written: "not permitted" and "not found" as
 * elsewhere; anything else (no space, I/O) is a failed operation, not
 * the kernel refusing a request.
 */
static int file_exit_code(int err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
	case ENOENT:
		return exit_code(err);
	default:
		return EXIT_FAIL;
	}
}

/* ---- the command ---------------------------------------------------------------- */

/* The module is looked for, not asked for: looking its netlink family up
 * would load it, and reading metrics must change nothing.
 */
static bool maglev_module_loaded(void)
{
	return access("/sys/module/ip_vs_maglev", F_OK) == 0;
}

static const char metrics_help[] =
	"Print IPVS counters, maglev state and the health daemon's view in the\n"
	"Prometheus text format (0.0.4). With --textfile, replace PATH atomically\n"
	"instead, for node_exporter's textfile collector (PATH ending in .prom).\n"
	"Metric names: ipvsctl(8), METRICS.\n\n"
	"Without a health state file (no daemon) there are no health metrics,\n"
	"and that is not an error. When IPVS cannot be read, the output is\n"
	"written all the same, saying ipvsctl_ipvs_up 0.\n\n"
	"Exit status: 0 ok; 1 the state file is unreadable, or PATH could not\n"
	"be written; 3 not permitted; 4 no such namespace, or no directory for\n"
	"PATH; 7 IPVS unavailable.\n";

int cmd_metrics(struct ctx *c, int argc, char **argv)
{
	char *textfile = NULL, *state = NULL;
	struct poptOption opts[] = {
		{ "textfile", 0, POPT_ARG_STRING, &textfile, 0,
		  "replace PATH atomically instead of printing", "PATH" },
		{ "state-file", 0, POPT_ARG_STRING, &state, 0,
		  "the health daemon's state file (default " DEFAULT_STATE_FILE ")", "PATH" },
		POPT_TABLEEND
	};
	struct mx x = { .netns = c->o.netns };
	char note[512] = "", *buf = NULL;
	const char **args;
	struct model m;
	struct nl_err e;
	struct nl *nl;
	int nargs, rc, err, hrc;
	enum metric f;
	size_t len = 0, i;

	rc = cmd_options(c, argc, argv, opts, "metrics [--textfile PATH] [--state-file PATH]",
			 metrics_help, &args, &nargs);
	if (rc)
		return rc;
	if (nargs) {
		usage_error(c, "metrics: takes no argument, not '%s' (ipvsctl metrics --help)", args[0]);
		return EXIT_USAGE;
	}
	if (c->o.json) {
		usage_error(c, "metrics: no --json: the output is the Prometheus text format");
		return EXIT_USAGE;
	}
	if (textfile && !textfile[0]) {
		usage_error(c, "metrics: --textfile: an empty PATH");
		return EXIT_USAGE;
	}
	err = ctx_nl(c, &nl);
	if (err)
		return exit_code(err);

	model_init(&m);
	err = kipvs_load(nl, &m, LOAD_DESTS | LOAD_MAGLEV, &e);
	if (err) {
		err_report(c, &e, err, "metrics: cannot read IPVS");
		rc = exit_code(err);
		model_free(&m);		/* a part read is not the state */
		model_init(&m);
	} else {
		x.ipvs_up = true;
		model_sort(&m);
	}
	x.now_ms = wall_ms();
	x.m = &m;
	x.mg_loaded = maglev_module_loaded();
	for (i = 0; i < m.n && !x.mg_loaded; i++)
		x.mg_loaded = m.svcs[i].has_mg;
	if (x.mg_loaded && x.ipvs_up) {
		err = kmaglev_info(nl, &x.mg, &e);
		if (err) {
			err_report(c, &e, err, "metrics: cannot read the maglev module's state");
			rc = exit_code(err);
		} else {
			x.mg_info = true;
		}
	}
	hrc = health_read(c, &x, state ? state : DEFAULT_STATE_FILE, note, sizeof(note));
	if (!rc)
		rc = hrc;

	x.f = open_memstream(&buf, &len);
	if (!x.f) {
		err = -errno;
		fprintf(stderr, "%s: metrics: %s\n", c->prog, strerror(errno));
		rc = exit_code(err);
		goto out;
	}
	for (f = 0; f < M__COUNT; f++) {
		if (f == M_HD_RUNNING && note[0]) {
			fputs("# ", x.f);
			put_escaped(x.f, note, false);
			fputc('\n', x.f);
		}
		emit_family(&x, f);
	}
	if (fclose(x.f)) {
		fprintf(stderr, "%s: metrics: %s\n", c->prog, strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (textfile) {
		err = write_textfile(c, textfile, buf, len);
		if (err)
			rc = file_exit_code(err);
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "%s: metrics: standard output: %s\n", c->prog, strerror(errno));
		rc = EXIT_FAIL;
	}
out:
	free(buf);
	json_object_put(x.hstate);
	model_free(&m);
	return rc;
}
