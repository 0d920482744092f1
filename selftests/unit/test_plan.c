// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl's grammar and planner on the host, against a fake kernel: the
 * kernel calls plan_run() makes are replaced by functions that apply them
 * to a model, and can refuse the k-th one. Every rollback must bring the
 * fake kernel back to where it started.
 */
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "model/addr.h"
#include "config/grammar.h"
#include "kernel/ipvs.h"
#include "kernel/maglev.h"
#include "state/diff.h"
#include "state/plan.h"
#include "ktap.h"

/* ---- the fake kernel ------------------------------------------------------- */

static struct model fk;
static const struct mg_defaults fk_mg = { 0, 1000, 10 };	/* the module's */
static struct nl fk_nl;		/* never used: the fake kernel has no socket */
static struct nl_err fk_err;	/* what plan_run() says of a refusal */
static int fk_calls, fk_fail_at;	/* refuse call number fail_at (1-based) */

static int fk_gate(void)
{
	return ++fk_calls == fk_fail_at ? -EINVAL : 0;
}

/*
 * The fake kernel takes batches as the real one does (nl.c): while
 * plan_run batches, each request takes effect at once, in order, and its
 * result is queued for nlc_batch_flush(); a failure does not stop the
 * later requests of the batch.
 */
static bool fk_batching;
static int fk_q[NLC_BATCH_MAX], fk_qcall[NLC_BATCH_MAX];	/* result, call number */
static size_t fk_qn;
/* answers lost from the flushed request number fk_lose_from (1-based) on,
 * as when reading the acks fails: the requests took effect (or not) all
 * the same
 */
static size_t fk_lose_from;
/*
 * A batch's limits, as nl.c has them (nl.h, nlc_batch_full()): each
 * request counts fk_req_bytes, and fk_budget bytes go in one write. A
 * request queued past them is an overflow: nl.c refuses it, the kernel
 * would refuse the whole write.
 */
static size_t fk_qbytes, fk_req_bytes = 160, fk_budget = NLC_BATCH_BYTES;
static unsigned int fk_overflows, fk_flushes;

static int fk_queue(int err)
{
	if (fk_qn == NLC_BATCH_MAX || fk_qbytes + fk_req_bytes > fk_budget) {
		fk_overflows++;
		return -E2BIG;
	}
	fk_qcall[fk_qn] = fk_calls;
	fk_q[fk_qn++] = err;
	fk_qbytes += fk_req_bytes;
	return 0;
}

/* A refusal's text, as the kernel's extack would be: which call it was. */
static void fk_refusal_text(struct nl_err *e, int call)
{
	if (e)
		snprintf(e->ext, sizeof(e->ext), "fake kernel: call %d refused", call);
}

/* A call's result: queued while batching, else at once with its text. */
static int fk_ret(int err, struct nl_err *e)
{
	nlc_err_clear(e);
	if (fk_batching)
		return fk_queue(err);
	if (err)
		fk_refusal_text(e, fk_calls);
	return err;
}

/* did plan_run() say call @call was refused? */
static bool fk_said(int call)
{
	struct nl_err want;

	fk_refusal_text(&want, call);
	return !strcmp(fk_err.ext, want.ext);
}

void nlc_batch_begin(struct nl *nl)
{
	(void)nl;
	fk_batching = true;
	fk_qn = 0;
	fk_qbytes = 0;
}

size_t nlc_batch_pending(const struct nl *nl)
{
	(void)nl;
	return fk_qn;
}

bool nlc_batch_full(const struct nl *nl)
{
	(void)nl;
	return fk_qn >= NLC_BATCH_MAX || fk_qbytes + NLC_REQ_SIZE > fk_budget;
}

int nlc_batch_flush(struct nl *nl, int *errs, struct nl_err *e)
{
	size_t n = fk_qn;

	size_t i;

	(void)nl;
	nlc_err_clear(e);
	memcpy(errs, fk_q, n * sizeof(*errs));
	for (i = 0; fk_lose_from && i < n; i++)
		if (i + 1 >= fk_lose_from)
			errs[i] = NLC_NO_ANSWER;
	/* the first refusal's text, as nl_batch.c keeps the first extack */
	for (i = 0; i < n && (!errs[i] || errs[i] == NLC_NO_ANSWER); i++)
		;
	if (i < n)
		fk_refusal_text(e, fk_qcall[i]);
	fk_qn = 0;
	fk_qbytes = 0;
	fk_flushes += n > 0;
	return (int)n;
}

void nlc_batch_end(struct nl *nl)
{
	(void)nl;
	fk_batching = false;
}

int kipvs_svc_add(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		  struct nl_err *e)
{
	struct m_svc *s;

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (model_find(&fk, id))
		return fk_ret(-EEXIST, e);
	s = model_add(&fk, id);
	s->c = *c;
	/* a new maglev service starts from the module's defaults */
	svc_conf_mg_defaults(&s->c, &fk_mg);
	return fk_ret(0, e);
}

int kipvs_svc_edit(struct nl *nl, const struct svc_id *id, const struct svc_conf *c,
		   struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);
	bool resched;

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!s)
		return fk_ret(-ESRCH, e);
	resched = strcmp(s->c.sched, c->sched);
	{
		struct svc_conf mg = s->c;

		s->c = *c;
		if (resched)
			svc_conf_mg_defaults(&s->c, &fk_mg);
		else
			s->c.mg_table_size = mg.mg_table_size, s->c.mg_hash = mg.mg_hash,
			s->c.ss_window_ms = mg.ss_window_ms, s->c.ss_aggr = mg.ss_aggr,
			s->c.ss_min_pct = mg.ss_min_pct, s->c.pin = mg.pin,
			s->c.pin_max = mg.pin_max;
		/* the module's per-backend state goes with the old scheduler */
		for (size_t i = 0; resched && i < s->ndests; i++) {
			s->dests[i].mg.down = false;
			s->dests[i].mg.saved_weight = 0;
			s->dests[i].mg.drain_deadline = 0;
		}
	}
	return fk_ret(0, e);
}

int kipvs_svc_del(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{
	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!model_find(&fk, id))
		return fk_ret(-ESRCH, e);
	model_del(&fk, id);
	return fk_ret(0, e);
}

int kipvs_dest_add(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   const struct dest_conf *c, struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!s)
		return fk_ret(-ESRCH, e);
	if (svc_find_dest(s, ap))
		return fk_ret(-EEXIST, e);
	svc_add_dest(s, ap)->c = *c;
	return fk_ret(0, e);
}

int kipvs_dest_edit(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		    const struct dest_conf *c, struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);
	struct m_dest *d = s ? svc_find_dest(s, ap) : NULL;

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!d)
		return fk_ret(-ENOENT, e);
	/* the module ends a drain when the weight goes above 0 */
	if (c->weight && !strcmp(s->c.sched, "maglev")) {
		d->mg.saved_weight = 0;
		d->mg.drain_deadline = 0;
	}
	d->c = *c;
	return fk_ret(0, e);
}

int kipvs_dest_del(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
		   struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!s || !svc_find_dest(s, ap))
		return fk_ret(-ENOENT, e);
	svc_del_dest(s, ap);
	return fk_ret(0, e);
}

int kipvs_flush(struct nl *nl, struct nl_err *e)
{
	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	model_free(&fk);
	model_init(&fk);
	return fk_ret(0, e);
}

int kipvs_zero(struct nl *nl, const struct svc_id *id, struct nl_err *e)
{
	(void)nl;
	(void)id;
	return fk_ret(fk_gate(), e);
}

static struct timeouts fk_to = { 900, 120, 300 };

int kipvs_set_timeouts(struct nl *nl, const struct timeouts *t, struct nl_err *e)
{
	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (t->tcp)
		fk_to.tcp = t->tcp;
	if (t->tcp_fin)
		fk_to.tcp_fin = t->tcp_fin;
	if (t->udp)
		fk_to.udp = t->udp;
	return fk_ret(0, e);
}

int kipvs_start_daemon(struct nl *nl, const struct daemon_conf *d, struct nl_err *e)
{
	(void)nl;
	(void)d;
	return fk_ret(fk_gate(), e);
}

int kipvs_stop_daemon(struct nl *nl, uint32_t state, struct nl_err *e)
{
	(void)nl;
	(void)state;
	return fk_ret(fk_gate(), e);
}

int kmaglev_set_svc(struct nl *nl, const struct svc_id *id, const struct mg_params *p,
		    struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	if (!s || strcmp(s->c.sched, "maglev"))
		return fk_ret(-ENOENT, e);
	{
		/* every parameter, as the module takes them */
		unsigned int set = s->c.set;

		svc_conf_from_mg(&s->c, p);
		s->c.set = set;
	}
	return fk_ret(0, e);
}

/* the module's per-backend state: kept per backend, gone with it, and gone
 * with the maglev scheduler (kipvs_svc_edit() above, when it changes)
 */
int kmaglev_set_backend(struct nl *nl, const struct svc_id *id, const struct addr_port *ap,
			const struct mg_be_set *set, struct nl_err *e)
{
	struct m_svc *s = model_find(&fk, id);
	struct m_dest *d = NULL;
	size_t i;

	(void)nl;
	if (fk_gate())
		return fk_ret(-EINVAL, e);
	for (i = 0; s && i < s->ndests; i++)
		if (!memcmp(&s->dests[i].ap, ap, sizeof(*ap)))
			d = &s->dests[i];
	if (!s || strcmp(s->c.sched, "maglev") || !d)
		return fk_ret(-ENOENT, e);
	if (set->set & MG_BE_SET_DOWN)
		d->mg.down = set->down;
	if (set->set & MG_BE_SET_SAVED_WEIGHT)
		d->mg.saved_weight = set->saved_weight;
	if (set->set & MG_BE_SET_DRAIN_DEADLINE)
		d->mg.drain_deadline = set->drain_deadline;
	return fk_ret(0, e);
}

/* ---- helpers ---------------------------------------------------------------- */

/* The model as text (services and backends, sorted): equal text, equal state. */
static char *dump(const struct model *src)
{
	struct model m;
	char *buf = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&buf, &len);

	model_copy(&m, src);
	model_sort(&m);
	for (i = 0; i < m.n; i++) {
		struct op op = { .kind = OP_SVC_ADD, .svc = m.svcs[i].id, .sc = m.svcs[i].c };

		op.sc.set = ~0U;
		grammar_print(f, &op);
		for (j = 0; j < m.svcs[i].ndests; j++) {
			struct op d = { .kind = OP_DEST_ADD, .svc = m.svcs[i].id,
					.dest = m.svcs[i].dests[j].ap, .dc = m.svcs[i].dests[j].c };

			d.dc.set = ~0U;
			grammar_print(f, &d);
			if (m.svcs[i].dests[j].mg.down || m.svcs[i].dests[j].mg.saved_weight ||
			    m.svcs[i].dests[j].mg.drain_deadline)
				fprintf(f, "  module state: down %d saved-weight %u deadline %llu\n",
					m.svcs[i].dests[j].mg.down,
					m.svcs[i].dests[j].mg.saved_weight,
					(unsigned long long)m.svcs[i].dests[j].mg.drain_deadline);
		}
	}
	fclose(f);
	model_free(&m);
	return buf;
}

/*
 * A fixture that does not load is a broken test, not a result: stop the
 * program (review T3). Going on, the checks would run against whatever
 * state was left, an empty fake kernel say, and could pass vacuously.
 */
static void fixture_bail(const char *what, const char *why)
{
	printf("Bail out! fixture %s: %s\n", what, why);
	fflush(stdout);
	exit(1);
}

/* @text's commands into @ops: all of them, or the program stops */
static int parse_lines(const char *text, struct op *ops, int max)
{
	char *copy = strdup(text), *line, *save, *w[GRAMMAR_MAX_WORDS], why[256];
	int n = 0, nw;

	if (!copy)
		fixture_bail("text", "out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		nw = split_words(line, w, GRAMMAR_MAX_WORDS);
		if (nw <= 0)
			continue;
		if (n == max)
			fixture_bail(line, "more commands than the test has room for");
		if ((w[0][0] == '-' ? grammar_parse_ipvsadm : grammar_parse)(nw, w, &ops[n], why, sizeof(why)))
			fixture_bail(line, why);
		n++;
	}
	free(copy);
	return n;
}

static void fk_load(const char *text)
{
	struct op ops[64];
	struct plan_env env = { 0 };
	struct model empty;
	struct plan p;
	struct plan_result r;
	size_t bad;
	char why[256];
	int n = parse_lines(text, ops, 64);

	model_free(&fk);
	model_init(&fk);
	model_init(&empty);
	env.cur = &empty;
	env.mg = fk_mg;
	if (plan_build(&p, &env, ops, (size_t)n, &bad, why, sizeof(why)))
		fixture_bail("plan", why);
	fk_calls = 0;
	fk_fail_at = 0;
	if (plan_run(&fk_nl, &p, &r, &fk_err) || r.done != p.n)
		fixture_bail("run", "the fake kernel refused it");
	plan_free(&p);
	while (n > 0)
		op_release(&ops[--n]);
}

/* ---- tests ------------------------------------------------------------------- */

static const char *initial =
	"service add tcp/10.0.0.1:80 scheduler maglev table-size 4093 hash src slow-start 20s slow-start-aggression 1.5\n"
	"backend add tcp/10.0.0.1:80 10.0.1.1:80 method nat weight 3\n"
	"backend add tcp/10.0.0.1:80 10.0.1.2:80 method nat weight 1 upper 10 lower 5\n"
	"service add udp/[fd00::1]:53 scheduler sh flags flag-1,flag-2 ops on\n"
	"backend add udp/[fd00::1]:53 [fd00::2]:53 method tun tun-type gue tun-port 6080 tun-csum csum\n"
	"service add fwmark/7 scheduler rr persistent 300 netmask 24\n"
	"backend add fwmark/7 10.0.1.9 weight 2\n";

static const char *changes =
	"backend edit tcp/10.0.0.1:80 10.0.1.1:80 weight 5\n"
	"backend edit tcp/10.0.0.1:80 10.0.1.1:80 weight 0\n"
	"service edit tcp/10.0.0.1:80 scheduler wlc\n"
	"service edit tcp/10.0.0.1:80 scheduler maglev table-size 251\n"
	"maglev set tcp/10.0.0.1:80 slow-start 500ms slow-start-min-pct 5 pin on pin-max 1000\n"
	"backend del tcp/10.0.0.1:80 10.0.1.2:80\n"
	"service del udp/[fd00::1]:53\n"
	"service add tcp/10.0.0.2:443 scheduler maglev hash 5tuple\n"
	"backend add tcp/10.0.0.2:443 10.0.1.3:443 method nat\n"
	"maglev set tcp/10.0.0.2:443 table-size 509\n"
	"timeout set tcp 60\n"
	"flush\n"
	"service add tcp/10.0.0.3:80\n"
	"backend add tcp/10.0.0.3:80 10.0.1.4\n";

/* an operator's drain and a health verdict on the maglev service of @initial */
static void fk_meta(void)
{
	struct m_svc *s = NULL;
	size_t i;

	for (i = 0; i < fk.n && !s; i++)
		if (!strcmp(fk.svcs[i].c.sched, "maglev"))
			s = &fk.svcs[i];
	for (i = 0; s && i < s->ndests; i++) {
		if (i == 0) {
			/* drained by an operator: weight 0, its weight saved */
			s->dests[i].c.weight = 0;
			s->dests[i].mg.saved_weight = 3;
			s->dests[i].mg.drain_deadline = 1700000000;
		} else {
			s->dests[i].mg.down = true;
		}
	}
}

static void test_rollback(void)
{
	struct op ops[64];
	struct plan_env env = { 0 };
	struct plan_result r;
	char *before, *after, why[256];
	struct plan p;
	size_t bad, k, nsteps;
	int n, bad_k = 0, bad_text = 0, good;

	fk_load(initial);
	fk_meta();
	before = dump(&fk);
	if (!strstr(before, "module state: down 1") || !strstr(before, "saved-weight 3")) {
		ktap_ok(0, "rollback: the fixture's module state is set");
		free(before);
		return;
	}
	n = parse_lines(changes, ops, 64);
	env.cur = &fk;
	env.mg = fk_mg;
	env.have_timeouts = true;
	env.timeouts = fk_to;
	if (plan_build(&p, &env, ops, (size_t)n, &bad, why, sizeof(why))) {
		ktap_ok(0, "rollback: the plan builds (%s at op %zu)", why, bad);
		free(before);
		return;
	}
	nsteps = p.n;
	ktap_diag("%d ops -> %zu kernel steps, %zu undo steps", n, p.n, p.nundo);
	/* refuse each step in turn: every time, the state must come back */
	for (k = 1; k <= nsteps; k++) {
		struct timeouts to0 = fk_to;

		fk_load(initial);
		fk_meta();
		fk_to = to0;
		fk_calls = 0;
		fk_fail_at = (int)k;
		if (!plan_run(&fk_nl, &p, &r, &fk_err) || r.undo_err) {
			bad_k = (int)k;
			break;
		}
		if (!fk_said((int)k) && !bad_text)
			bad_text = (int)k;
		after = dump(&fk);
		good = !strcmp(before, after) && fk_to.tcp == to0.tcp;
		free(after);
		if (!good) {
			bad_k = (int)k;
			break;
		}
	}
	ktap_ok(!bad_k, "rollback: refusing any one of %zu steps restores the initial state, the maglev backends' drain and down marks included%s",
		nsteps, bad_k ? " (failed)" : "");
	if (bad_k)
		ktap_diag("first bad refusal: step %d", bad_k);
	/* the undo steps are calls too: their results must not replace it */
	ktap_ok(!bad_k && !bad_text,
		"rollback: the error text handed back is the refused call's (%s)",
		bad_text ? fk_err.ext : "each time");

	/* and without a refusal, the end state is the one the ops describe */
	fk_load(initial);
	fk_calls = 0;
	fk_fail_at = 0;
	ktap_ok(!plan_run(&fk_nl, &p, &r, &fk_err) && fk.n == 1 && fk.svcs[0].ndests == 1,
		"rollback: the full plan applies and leaves one service with one backend");
	plan_free(&p);
	free(before);
}

static void test_validation(void)
{
	static const struct {
		const char *text;
		int err;
		size_t op;
		const char *why;
	} cases[] = {
		{ "service add tcp/10.0.0.1:80\n", -EEXIST, 0, "already exists" },
		{ "backend add tcp/10.9.9.9:80 10.0.1.1\n", -ENOENT, 0, "no service" },
		{ "service add tcp/10.0.0.9:80 scheduler rr\nbackend add tcp/10.0.0.9:80 10.0.1.1\nbackend add tcp/10.0.0.9:80 10.0.1.1:80\n",
		  -EEXIST, 2, "already has backend" },
		{ "service add tcp/10.0.0.9:80 scheduler rr table-size 4093\n", -EINVAL, 0, "maglev parameters" },
		{ "service add tcp/10.0.0.9:80 scheduler rr slow-start 20s\n", -EINVAL, 0, "maglev parameters" },
		{ "service del tcp/10.0.0.1:80\nbackend add tcp/10.0.0.1:80 10.0.1.7\n", -ENOENT, 1, "no service" },
		{ "backend add tcp/10.0.0.1:80 [fd00::5]:80 method nat\n", -EINVAL, 0, "other address family" },
		{ "maglev set fwmark/7 hash src\n", -EINVAL, 0, "not maglev" },
		{ "backend edit tcp/10.0.0.1:80 10.0.1.2:80 lower 20\n", -EINVAL, 0, "lower threshold above" },
	};
	struct plan_env env = { .cur = &fk, .mg = fk_mg };
	struct op ops[8];
	char why[256];
	struct plan p;
	size_t i, bad;
	int n, err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fk_load(initial);
		n = parse_lines(cases[i].text, ops, 8);
		bad = 99;
		why[0] = 0;
		err = plan_build(&p, &env, ops, (size_t)n, &bad, why, sizeof(why));
		ktap_ok(err == cases[i].err && bad == cases[i].op && strstr(why, cases[i].why),
			"validation %zu: '%s' at op %zu (%s)", i, cases[i].why, cases[i].op, why);
		if (!err)
			plan_free(&p);
	}
}

static void test_idempotent(void)
{
	struct plan_env env = { .cur = &fk, .mg = fk_mg };
	struct op ops[8];
	char why[256];
	struct plan p;
	size_t bad;
	int n;

	fk_load(initial);
	n = parse_lines("backend edit tcp/10.0.0.1:80 10.0.1.1:80 weight 3\n"
			"service edit tcp/10.0.0.1:80 scheduler maglev\n"
			"maglev set tcp/10.0.0.1:80 table-size 4093 hash src slow-start 20s\n", ops, 8);
	ktap_ok(!plan_build(&p, &env, ops, (size_t)n, &bad, why, sizeof(why)) && p.n == 0,
		"edits to the current values make no kernel step");
	plan_free(&p);
}

static void test_grammar_roundtrip(void)
{
	static const char *lines[] = {
		"service add tcp/10.0.0.1:80 scheduler maglev table-size 4093 hash src",
		"service add udp/[fd00::1]:53 scheduler sh flags flag-1,flag-2 ops on",
		"service add fwmark6/9 scheduler rr persistent 300 netmask 64",
		"service add sctp/10.0.0.1:5060 scheduler wrr pe sip",
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 method tun weight 5 upper 10 lower 2 tun-type gue tun-port 6080 tun-csum remcsum",
		"backend del tcp/10.0.0.1:80 10.0.1.1:80",
		"service del fwmark/42",
		"flush",
		"zero tcp/10.0.0.1:80",
		"timeout set tcp 60 udp 30",
		"sync start master ifname eth1 syncid 3 group 239.1.2.3 port 8848 ttl 2",
		"sync stop backup",
		"maglev set tcp/10.0.0.1:80 table-size default hash auto",
		"maglev set tcp/10.0.0.1:80 slow-start 20s slow-start-aggression 1.5 slow-start-min-pct 5",
		"service add tcp/10.0.0.1:81 scheduler maglev slow-start 1500ms slow-start-aggression 0.25",
		"service add udp/10.0.0.1:53 scheduler maglev ops on pin on pin-max 5000",
		"health tcp/10.0.0.1:80 type http port 8080 address 10.0.9.9 path \"/healthz\" host \"www.example\" status 200-299 expect \"ok \\\"q\\\" \\\\\" interval 2s timeout 1s rise 2 fall 3 initial down jitter 10 on-fail down tls-verify on",
		"health udp/10.0.0.1:53 type udp address fd00::9 expect \"pong\" send \"ping me\" interval 500ms timeout 200ms rise 1 fall 1 initial up jitter 0 on-fail quiesce",
		"health tcp/10.0.0.1:80 type exec command \"curl -sf http://$BACKEND_ADDR/ # not a comment\" interval 5s timeout 3s rise 2 fall 3 initial up jitter 10 on-fail remove",
		"health tcp/10.0.0.1:80 type tcp address db.example interval 2s timeout 1s rise 2 fall 3 initial up jitter 10 on-fail quiesce",
	};
	char *w[GRAMMAR_MAX_WORDS], copy[512], why[256], *out = NULL;
	size_t i, len = 0;
	int bad = 0;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct op op;
		FILE *f = open_memstream(&out, &len);
		int n;

		snprintf(copy, sizeof(copy), "%s", lines[i]);
		n = split_words(copy, w, GRAMMAR_MAX_WORDS);
		if (grammar_parse(n, w, &op, why, sizeof(why))) {
			ktap_diag("'%s': %s", lines[i], why);
			bad++;
			fclose(f);
			free(out);
			continue;
		}
		grammar_print(f, &op);
		op_release(&op);
		fclose(f);
		if (strncmp(out, lines[i], strlen(lines[i])) || out[strlen(lines[i])] != '\n') {
			ktap_diag("'%s' printed as '%s'", lines[i], out);
			bad++;
		}
		free(out);
		out = NULL;
	}
	ktap_ok(!bad, "grammar: %zu commands parse and print back unchanged", sizeof(lines) / sizeof(lines[0]));
	{
		/* a quote left open is an error, not a word */
		char q[] = "health tcp/10.0.0.1:80 type exec command \"sleep 1";

		ktap_ok(split_words(q, w, GRAMMAR_MAX_WORDS) == -EINVAL,
			"grammar: an unterminated quote is refused");
	}
}

static void test_ipvsadm_import(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "-A -t 10.0.0.1:80 -s rr", "service add tcp/10.0.0.1:80 scheduler rr" },
		{ "-A -u 10.0.0.1:53 -s sh -o -b sh-fallback,sh-port", "service add udp/10.0.0.1:53 scheduler sh flags flag-1,flag-2 ops on" },
		{ "-A -t [fd00::1]:443 -s wlc -p 600 -M 64", "service add tcp/[fd00::1]:443 scheduler wlc persistent 600 netmask 64" },
		{ "-A -f 42 -s maglev -p 360", "service add fwmark/42 scheduler maglev persistent 360 netmask 255.255.255.255" },
		{ "-A -f 43 -6 -s lc", "service add fwmark6/43 scheduler lc" },
		{ "-A --sctp-service 10.0.0.2:5000 -s wrr --pe sip", "service add sctp/10.0.0.2:5000 scheduler wrr pe sip" },
		{ "-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3", "backend add tcp/10.0.0.1:80 10.0.1.1:8080 method nat weight 3" },
		{ "-a -u 10.0.0.1:53 -r 10.0.1.1:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum",
		  "backend add udp/10.0.0.1:53 10.0.1.1:53 method tun weight 1 tun-type gue tun-port 6080 tun-csum csum" },
		{ "-a -f 42 -r 10.0.1.5:0 -g -w 1", "backend add fwmark/42 10.0.1.5:0 method dr weight 1" },
	};
	char *w[GRAMMAR_MAX_WORDS], copy[512], why[256], *out = NULL;
	size_t i, len;
	int bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct op op;
		FILE *f;
		int n;

		snprintf(copy, sizeof(copy), "%s", cases[i].in);
		n = split_words(copy, w, GRAMMAR_MAX_WORDS);
		if (grammar_parse_ipvsadm(n, w, &op, why, sizeof(why))) {
			ktap_diag("'%s': %s", cases[i].in, why);
			bad++;
			continue;
		}
		if (op.kind == OP_SVC_ADD && !(op.sc.set & SC_NETMASK) && (op.sc.set & SC_PERSIST))
			op.sc.netmask = 0xffffffff, op.sc.set |= SC_NETMASK;
		f = open_memstream(&out, &len);
		grammar_print(f, &op);
		fclose(f);
		if (strncmp(out, cases[i].out, strlen(cases[i].out)) || out[strlen(cases[i].out)] != '\n') {
			ktap_diag("'%s' became '%s'", cases[i].in, out);
			bad++;
		}
		free(out);
		out = NULL;
	}
	ktap_ok(!bad, "ipvsadm-save lines: %zu forms import to the expected commands",
		sizeof(cases) / sizeof(cases[0]));
}

/* A file's state, as state_from_ops() builds it (from an empty model). */
static int want_from(const char *text, struct model *want)
{
	struct plan_env env = { 0 };
	struct model empty;
	struct op ops[64];
	struct plan p;
	char why[256];
	size_t bad;
	int n = parse_lines(text, ops, 64);

	model_init(&empty);
	env.cur = &empty;
	env.mg = fk_mg;
	if (plan_build_state(&p, &env, ops, (size_t)n, &bad, why, sizeof(why), want)) {
		ktap_diag("want_from: %s", why);
		while (n > 0)
			op_release(&ops[--n]);
		return -1;
	}
	while (n > 0)
		op_release(&ops[--n]);
	plan_free(&p);
	return 0;
}

/* diff @cur (the fake kernel) to @want, apply the ops; return the step count */
static int diff_apply(const struct model *want, diff_scope_fn scope, size_t *nops_out)
{
	struct plan_env env = { .cur = &fk, .mg = fk_mg };
	struct plan_result r;
	struct op *ops;
	struct model cur;
	char why[256];
	struct plan p;
	size_t n, bad;
	int steps;

	model_copy(&cur, &fk);
	if (model_diff(&cur, want, scope, NULL, &ops, &n))
		return -1;
	*nops_out = n;
	env.cur = &cur;
	if (plan_build(&p, &env, ops, n, &bad, why, sizeof(why))) {
		ktap_diag("diff_apply: op %zu: %s", bad, why);
		free(ops);
		model_free(&cur);
		return -1;
	}
	fk_calls = 0;
	fk_fail_at = 0;
	if (getenv("TEST_PLAN_VERBOSE")) {
		size_t i;

		for (i = 0; i < p.n; i++)
			step_print(stdout, &p.steps[i]);
	}
	steps = plan_run(&fk_nl, &p, &r, &fk_err) ? -1 : (int)p.n;
	plan_free(&p);
	free(ops);
	model_free(&cur);
	return steps;
}

static bool scope_all(const struct m_svc *s, void *arg)
{
	(void)s;
	(void)arg;
	return true;
}

static bool scope_tcp(const struct m_svc *s, void *arg)
{
	(void)arg;
	return s->id.proto == IPPROTO_TCP;
}

static void test_diff(void)
{
	static const char *target =
		"service add tcp/10.0.0.1:80 scheduler maglev table-size 251 slow-start 5s\n"
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 method nat weight 4\n"
		"backend add tcp/10.0.0.1:80 10.0.1.5:80 method nat weight 1\n"
		"service add tcp/10.0.0.4:80 scheduler rr\n"
		"backend add tcp/10.0.0.4:80 10.0.1.6 weight 2\n"
		"health tcp/10.0.0.4:80 type http path /healthz\n"
		"service add fwmark/7 scheduler rr persistent 300 netmask 24\n"
		"backend add fwmark/7 10.0.1.9 weight 2\n";
	struct model want, copy;
	char *a, *b;
	size_t nops;
	int steps;

	/* from the initial state to the target: then the same target twice */
	fk_load(initial);
	if (want_from(target, &want)) {
		ktap_ok(0, "diff: the target state builds");
		return;
	}
	ktap_ok(want.n == 3 && model_find(&want, &want.svcs[1].id)->hc &&
		!strcmp(model_find(&want, &want.svcs[1].id)->hc->path, "/healthz"),
		"diff: a file becomes a state, health checks attached");
	steps = diff_apply(&want, scope_all, &nops);
	a = dump(&fk);
	b = dump(&want);
	ktap_ok(steps > 0 && !strcmp(a, b), "diff: applying the diff reaches the target (%d steps)",
		steps);
	free(a);
	free(b);
	steps = diff_apply(&want, scope_all, &nops);
	ktap_ok(steps == 0 && nops == 0, "diff: a second diff is empty (%zu ops, %d steps)", nops,
		steps);

	/* out of scope: the UDP service of the initial state is kept */
	fk_load(initial);
	steps = diff_apply(&want, scope_tcp, &nops);
	{
		struct svc_id udp;
		char why[128];

		parse_svc("udp/[fd00::1]:53", &udp, why, sizeof(why));
		ktap_ok(steps > 0 && model_find(&fk, &udp) && fk.n == 4,
			"diff: a service out of scope is left alone (%zu services)", fk.n);
	}
	/* no scope: nothing is deleted, everything wanted is there */
	fk_load(initial);
	steps = diff_apply(&want, NULL, &nops);
	ktap_ok(steps > 0 && fk.n == 4, "diff: without a scope nothing is deleted");

	/* one weight changed: exactly one step */
	diff_apply(&want, scope_all, &nops);
	model_copy(&copy, &want);
	copy.svcs[0].dests[0].c.weight = 9;
	steps = diff_apply(&copy, scope_all, &nops);
	ktap_ok(steps == 1 && nops == 1, "diff: one weight changed is one step (%d)", steps);
	model_free(&copy);
	model_free(&want);
}

static void test_scope(void)
{
	struct scope sc = { 0 };
	struct svc_id a, b, c6, m;
	char why[256];
	bool bad;

	parse_svc("tcp/10.96.3.4:80", &a, why, sizeof(why));
	parse_svc("tcp/10.112.0.1:80", &b, why, sizeof(why));
	parse_svc("udp/[2001:db8::53]:53", &c6, why, sizeof(why));
	parse_svc("fwmark/150", &m, why, sizeof(why));
	ktap_ok(!scope_add(&sc, "10.96.0.0/12", why, sizeof(why)) &&
		!scope_add(&sc, "2001:db8::/120", why, sizeof(why)) &&
		!scope_add(&sc, "fwmark:100-199", why, sizeof(why)) &&
		scope_has(&sc, &a) && !scope_has(&sc, &b) && scope_has(&sc, &c6) &&
		scope_has(&sc, &m), "scope: prefixes (v4 /12, v6 /120) and mark ranges hold what they should");
	bad = scope_add(&sc, "10.0.0.0/33", why, sizeof(why)) == -EINVAL &&
	      scope_add(&sc, "fwmark:9-3", why, sizeof(why)) == -EINVAL &&
	      scope_add(&sc, "10.0.0.0/", why, sizeof(why)) == -EINVAL &&
	      scope_add(&sc, "example.com", why, sizeof(why)) == -EINVAL;
	ktap_ok(bad && sc.npfx == 2 && sc.nmarks == 1,
		"scope: bad prefixes and ranges are refused and add nothing");
	scope_free(&sc);
}

/* one backend of @svc in @m, with observed counters */
static struct m_dest *obs(struct model *m, const char *svc, const char *be)
{
	struct addr_port ap;
	struct svc_id id;
	char why[128];

	parse_svc(svc, &id, why, sizeof(why));
	parse_addr_port(be, id.af, &ap, true, why, sizeof(why));
	return svc_find_dest(model_find(m, &id), &ap);
}

static void test_leave(void)
{
	static const char *state =
		"service add tcp/10.0.0.1:80 scheduler maglev\n"
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 weight 5\n"
		"backend add tcp/10.0.0.1:80 10.0.1.2:80 weight 5\n"
		"backend add tcp/10.0.0.1:80 10.0.1.3:80 weight 5\n"
		"backend add tcp/10.0.0.1:80 10.0.1.4:80 weight 0\n"
		"backend add tcp/10.0.0.1:80 10.0.1.5:80 weight 5\n"
		"service add tcp/10.0.0.2:80 scheduler rr\n"
		"backend add tcp/10.0.0.2:80 10.0.1.1:80 weight 1\n"
		"backend add tcp/10.0.0.2:80 10.0.1.2:80 weight 1\n";
	static const char *target =
		"service add tcp/10.0.0.1:80 scheduler maglev\n"
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 weight 5\n"
		"backend add tcp/10.0.0.1:80 10.0.1.5:80 weight 5\n"
		"service add tcp/10.0.0.2:80 scheduler rr\n"
		"backend add tcp/10.0.0.2:80 10.0.1.1:80 weight 1\n";
	struct leave_opts lo = { .timeout_s = 300, .now_s = 1000000 };
	struct leave_result r;
	struct model cur, want;
	struct m_dest *d;
	bool ok;

	/* current: .2 idle (goes at once), .3 busy (drains, new), .4 busy and
	 * draining since before with a passed deadline (goes), .5 drained by
	 * an operator but still wanted (stays at 0); rr's .2 busy (drains, no
	 * deadline: not maglev)
	 */
	if (want_from(state, &cur) || want_from(target, &want)) {
		ktap_ok(0, "leave: the states build");
		return;
	}
	obs(&cur, "tcp/10.0.0.1:80", "10.0.1.3:80")->active = 2;
	d = obs(&cur, "tcp/10.0.0.1:80", "10.0.1.4:80");
	d->active = 1;
	d->mg.drain_deadline = 999999;
	d = obs(&cur, "tcp/10.0.0.1:80", "10.0.1.5:80");
	d->c.weight = 0;
	d->mg.saved_weight = 5;
	d->mg.drain_deadline = 2000000;
	obs(&cur, "tcp/10.0.0.2:80", "10.0.1.2:80")->mg.pins = 0;
	obs(&cur, "tcp/10.0.0.2:80", "10.0.1.2:80")->active = 1;

	keep_operator_drains(&want, &cur);
	ok = !leave_adjust(&want, &cur, &lo, &r);
	ktap_ok(ok && r.n == 2 && r.deleted_idle == 1 && r.deleted_expired == 1,
		"leave: 2 draining, 1 idle and 1 past its deadline deleted (%zu, %zu, %zu)", r.n,
		r.deleted_idle, r.deleted_expired);
	ok = r.n == 2 && r.v[0].maglev && r.v[0].start && r.v[0].deadline == 1000300 &&
	     !r.v[1].maglev && !r.v[1].deadline;
	d = obs(&want, "tcp/10.0.0.1:80", "10.0.1.3:80");
	ok = ok && d && d->c.weight == 0 && !obs(&want, "tcp/10.0.0.1:80", "10.0.1.2:80") &&
	     !obs(&want, "tcp/10.0.0.1:80", "10.0.1.4:80");
	d = obs(&want, "tcp/10.0.0.1:80", "10.0.1.5:80");
	ok = ok && d && d->c.weight == 0;
	d = obs(&want, "tcp/10.0.0.2:80", "10.0.1.2:80");
	ok = ok && d && d->c.weight == 0;
	ktap_ok(ok, "leave: busy leavers kept at weight 0 (maglev: deadline now + timeout), idle and expired ones left out, an operator's drain kept");
	free(r.v);
	model_free(&want);

	/* --drain-timeout 0: every leaver goes at once */
	want_from(target, &want);
	lo.timeout_s = 0;
	ok = !leave_adjust(&want, &cur, &lo, &r);
	ktap_ok(ok && r.n == 0 && r.deleted_idle == 4, "leave: timeout 0 deletes every leaver (%zu)",
		r.deleted_idle);
	free(r.v);
	model_free(&want);
	model_free(&cur);
}

/* Refuse each step of @p in turn, batched: 0 if every run rolls back to
 * @before, or the first step whose refusal does not; *@bad_text the first
 * whose text is not that refusal's
 */
static int batched_refusals(const struct plan *p, const char *before, int *bad_text)
{
	struct plan_result r;
	char *after;
	size_t k;
	int bad_k = 0;

	for (k = 1; k <= p->n && !bad_k; k++) {
		fk_load(initial);
		fk_calls = 0;
		fk_fail_at = (int)k;
		if (!plan_run_batched(&fk_nl, p, &r, &fk_err) || r.undo_err ||
		    r.failed_step != k - 1) {
			bad_k = (int)k;
			break;
		}
		if (!fk_said((int)k) && !*bad_text)
			*bad_text = (int)k;
		after = dump(&fk);
		if (strcmp(before, after))
			bad_k = (int)k;
		free(after);
	}
	return bad_k;
}

/* A diff's plan sent in batches: refusing any one step (the later steps
 * of its batch still take effect) must still roll back to the start.
 */
static void test_batched_rollback(void)
{
	static const char *target =
		"service add tcp/10.0.0.1:80 scheduler maglev table-size 251 slow-start 5s\n"
		"backend add tcp/10.0.0.1:80 10.0.1.1:80 method nat weight 4\n"
		"backend add tcp/10.0.0.1:80 10.0.1.5:80 method nat weight 1\n"
		"service add tcp/10.0.0.4:80 scheduler rr\n"
		"backend add tcp/10.0.0.4:80 10.0.1.6 weight 2\n"
		"service add fwmark/7 scheduler rr persistent 300 netmask 24\n"
		"backend add fwmark/7 10.0.1.9 weight 2\n";
	struct plan_env env = { .mg = fk_mg };
	struct plan_result r;
	struct model want, cur;
	struct op *ops;
	struct plan p;
	char *before, *after, why[256];
	size_t n, bad, k;
	int bad_k = 0, bad_text = 0;
	bool reached;

	fk_load(initial);
	before = dump(&fk);
	if (want_from(target, &want)) {
		ktap_ok(0, "batched rollback: the target builds");
		free(before);
		return;
	}
	model_copy(&cur, &fk);
	env.cur = &cur;
	if (model_diff(&cur, &want, scope_all, NULL, &ops, &n) ||
	    plan_build(&p, &env, ops, n, &bad, why, sizeof(why))) {
		ktap_ok(0, "batched rollback: the plan builds");
		free(before);
		return;
	}
	bad_k = batched_refusals(&p, before, &bad_text);
	ktap_ok(!bad_k, "batched rollback: refusing any one of %zu steps of a diff, in one batch, restores the start%s",
		p.n, bad_k ? " (failed)" : "");
	if (bad_k)
		ktap_diag("first bad refusal: step %d", bad_k);
	ktap_ok(!bad_k && !bad_text,
		"batched rollback: the error text handed back is the refused call's, from its batch's acks (%s)",
		bad_text ? fk_err.ext : "each time");
	/*
	 * Requests of the largest size, and room for four in a write (review
	 * C24: a batch is bounded by bytes too): the plan goes in several
	 * batches, each flushed before a request that would not fit, and a
	 * refusal in any of them still rolls back to the start.
	 */
	fk_req_bytes = NLC_REQ_SIZE;
	fk_budget = 4 * NLC_REQ_SIZE;
	fk_overflows = 0;
	fk_flushes = 0;
	bad_k = batched_refusals(&p, before, &bad_text);
	fk_load(initial);
	fk_calls = 0;
	fk_fail_at = 0;
	fk_flushes = 0;
	reached = false;
	if (!plan_run_batched(&fk_nl, &p, &r, &fk_err)) {
		char *a = dump(&fk), *b = dump(&want);

		reached = !strcmp(a, b);
		free(a);
		free(b);
	}
	ktap_ok(!bad_k && !bad_text && reached && !fk_overflows && fk_flushes == (p.n + 3) / 4,
		"batched, 4 requests' worth of bytes to a write: %zu steps in %u batches, none overfull (%u), rollbacks exact, the refused call's text, the target reached",
		p.n, fk_flushes, fk_overflows);
	if (bad_k)
		ktap_diag("first bad refusal: step %d", bad_k);
	fk_req_bytes = 160;
	fk_budget = NLC_BATCH_BYTES;
	/*
	 * The answers lost from step k on (review C8): those steps took effect
	 * unseen, and must be undone as if applied; and with step k also
	 * refused, its undo finds the state it restores already there.
	 */
	bad_k = 0;
	for (k = 1; k <= p.n && !bad_k; k++) {
		int refuse;

		for (refuse = 0; refuse <= 1 && !bad_k; refuse++) {
			fk_load(initial);
			fk_calls = 0;
			fk_fail_at = refuse ? (int)k : 0;
			fk_lose_from = k;
			if (!plan_run_batched(&fk_nl, &p, &r, &fk_err) || r.undo_err ||
			    r.failed_step != k - 1 || r.unknown != p.n - k + 1)
				bad_k = (int)k;
			fk_lose_from = 0;
			after = dump(&fk);
			if (strcmp(before, after))
				bad_k = (int)k;
			free(after);
			if (bad_k)
				ktap_diag("answers lost from step %zu%s: failed step %zu, %zu unknown, undo %d",
					  k, refuse ? " (refused)" : "", r.failed_step, r.unknown,
					  r.undo_err);
		}
	}
	ktap_ok(!bad_k, "batched: answers lost from any step on (that step applied or refused) are rolled back to the start");
	fk_load(initial);
	fk_calls = 0;
	fk_fail_at = 0;
	after = NULL;
	if (!plan_run_batched(&fk_nl, &p, &r, &fk_err)) {
		char *a = dump(&fk), *b = dump(&want);

		ktap_ok(!strcmp(a, b), "batched: without a refusal the target is reached (%zu steps)", p.n);
		free(a);
		free(b);
	} else {
		ktap_ok(0, "batched: without a refusal the target is reached");
	}
	plan_free(&p);
	free(ops);
	model_free(&cur);
	model_free(&want);
	free(before);
}

int main(void)
{
	model_init(&fk);
	ktap_plan(32);
	test_grammar_roundtrip();
	test_ipvsadm_import();
	test_validation();
	test_idempotent();
	test_rollback();
	test_diff();
	test_scope();
	test_leave();
	test_batched_rollback();
	model_free(&fk);
	return ktap_finish();
}
