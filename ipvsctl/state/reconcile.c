// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: reconcile() and state_from_ops() (see reconcile.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "state/reconcile.h"

static bool wants_maglev(const struct model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (sched_is_maglev(m->svcs[i].c.sched))
			return true;
	return false;
}

int state_from_ops(struct nl *nl, const struct op *ops, size_t n, struct model *want,
		   struct timeouts *to, char *why, size_t whylen)
{
	struct plan_env env;
	struct model empty;
	struct plan plan;
	size_t bad = 0, i;
	bool mg = false;
	int err;

	memset(to, 0, sizeof(*to));
	for (i = 0; i < n; i++) {
		const struct op *op = &ops[i];

		switch (op->kind) {
		case OP_FLUSH:
		case OP_ZERO:
		case OP_SYNC_START:
		case OP_SYNC_STOP:
			/* JSON input has no lines: its ops carry their
			 * place ("services[2]") as the file, line 0
			 */
			snprintf(why, whylen, "%s%s%.0d: %s has no place in a desired state (%s)",
				 op->file, op->line ? ":" : "", op->line,
				 op->kind == OP_FLUSH ? "flush" : op->kind == OP_ZERO ? "zero" : "sync",
				 op->kind == OP_FLUSH || op->kind == OP_ZERO ?
				 "it lists what should exist" : "run 'ipvsctl sync start' on its own");
			return -EINVAL;
		case OP_TIMEOUT:
			if (op->to.tcp)
				to->tcp = op->to.tcp;
			if (op->to.tcp_fin)
				to->tcp_fin = op->to.tcp_fin;
			if (op->to.udp)
				to->udp = op->to.udp;
			break;
		case OP_SVC_ADD:
		case OP_SVC_EDIT:
		case OP_MG_SET:
			mg = true;
			break;
		default:
			break;
		}
	}
	memset(&env, 0, sizeof(env));
	model_init(&empty);
	env.cur = &empty;
	kmaglev_defaults(nl, mg && nl, &env.mg);
	err = plan_build_state(&plan, &env, ops, n, &bad, why, whylen, want);
	if (err) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", why);
		snprintf(why, whylen, "%s%s%.0d: %s", ops[bad].file ? ops[bad].file : "?",
			 ops[bad].line ? ":" : "", ops[bad].line, tmp);
		return err;
	}
	plan_free(&plan);
	return 0;
}

/*
 * Up to this many services named without a scope are read one request
 * each; more, and one dump of every service is cheaper than the requests.
 */
#define RECONCILE_GET_MAX 2000

struct managed_arg {
	const struct model *want;
	const struct rec_opts *o;
};

static bool managed(const struct m_svc *s, void *arg)
{
	const struct managed_arg *a = arg;

	return model_find((struct model *)a->want, &s->id) ||
	       (a->o->in_scope && a->o->in_scope(s, a->o->scope_arg));
}

int parse_max_deletes(const char *s, struct rec_opts *o)
{
	size_t nd = strspn(s, "0123456789");
	bool pct = s[nd] == '%';
	unsigned long v;

	if (!nd || nd > 9 || s[nd + pct])
		return -EINVAL;
	v = strtoul(s, NULL, 10);
	if (pct && v > 100)
		return -EINVAL;
	o->max_deletes = (uint32_t)v;
	o->max_deletes_pct = pct;
	o->max_deletes_set = true;
	return 0;
}

/* how many deletions --max-deletes N or N% allows among @managed */
static size_t deletes_allowed(const struct rec_opts *o, size_t managed)
{
	if (!o->max_deletes_pct)
		return o->max_deletes;
	/* rounded down: 10% of 5 services allows none */
	return (size_t)((uint64_t)managed * o->max_deletes / 100);
}

/* One reconcile: what its steps share. */
struct rec {
	struct nl *nl;
	const struct rec_opts *o;
	struct rec_result *r;
	struct managed_arg mg;
	struct model cur, adj;
	struct op *ops;
	size_t nops;
	struct plan_env env;
	uint64_t t0;
};

/* The current state of the managed services only: named, or in the scope. */
static int rec_load(struct rec *x, const struct model *want)
{
	struct rec_result *r = x->r;
	unsigned int what = LOAD_DESTS | LOAD_MAGLEV | LOAD_NO_STATS;
	struct nl_err e;
	size_t i;
	int err;

	x->t0 = now_us();
	if (x->o->load_only)
		err = kipvs_load_named(x->nl, &x->cur, what, x->o->load_only, &e);
	else if (!x->o->in_scope && want->n <= RECONCILE_GET_MAX)
		/* a few services named, none in a scope: only they are read */
		err = kipvs_load_named(x->nl, &x->cur, what, want, &e);
	else
		err = kipvs_load_some(x->nl, &x->cur, what, managed, &x->mg, &e);
	r->us_load = now_us() - x->t0;
	x->t0 += r->us_load;
	r->svcs_seen = x->cur.n;
	for (i = 0; i < x->cur.n; i++)
		r->svcs_read += x->cur.svcs[i].loaded;
	if (err)
		/* the socket's explanation ("is IPVS available?") if it has one */
		snprintf(r->why, sizeof(r->why), "reading the current IPVS state: %s",
			 e.why[0] ? e.why : strerror(-err));
	return err;
}

/* The deletion guard: -ECANCELED if the plan deletes more than allowed. */
static int rec_guard(struct rec *x)
{
	const struct rec_opts *o = x->o;
	struct rec_result *r = x->r;
	size_t i;

	for (i = 0; i < x->cur.n; i++)
		r->managed += managed(&x->cur.svcs[i], &x->mg);
	for (i = 0; i < x->nops; i++)
		r->deletes += x->ops[i].kind == OP_SVC_DEL;
	if (!o->max_deletes_set || r->deletes <= deletes_allowed(o, r->managed))
		return 0;
	snprintf(r->why, sizeof(r->why),
		 "the plan deletes %zu of the %zu managed services, more than --max-deletes %u%s allows",
		 r->deletes, r->managed, o->max_deletes, o->max_deletes_pct ? "%" : "");
	return -ECANCELED;
}

/* Wanted timeouts that differ from the kernel's: one more op. */
static int rec_timeouts(struct rec *x)
{
	const struct timeouts *want = x->o->timeouts;
	struct timeouts t;
	struct op *v;
	int err;

	if (!want || !(want->tcp || want->tcp_fin || want->udp))
		return 0;
	err = kipvs_get_timeouts(x->nl, &t, NULL);
	if (err) {
		snprintf(x->r->why, sizeof(x->r->why), "reading the timeouts: %s", strerror(-err));
		return err;
	}
	x->env.have_timeouts = true;
	x->env.timeouts = t;
	if ((!want->tcp || want->tcp == t.tcp) && (!want->tcp_fin || want->tcp_fin == t.tcp_fin) &&
	    (!want->udp || want->udp == t.udp))
		return 0;
	v = realloc(x->ops, (x->nops + 1) * sizeof(*v));
	if (!v) {
		snprintf(x->r->why, sizeof(x->r->why), "out of memory");
		return -ENOMEM;
	}
	x->ops = v;
	memset(&x->ops[x->nops], 0, sizeof(x->ops[x->nops]));
	x->ops[x->nops].kind = OP_TIMEOUT;
	x->ops[x->nops].to = *want;
	x->nops++;
	return 0;
}

/* The plan sent; a failure said with the step the kernel refused. */
static int rec_run(struct rec *x, struct plan *plan)
{
	struct rec_result *r = x->r;
	struct plan_result pr;
	struct nl_err e;
	char step[256];
	FILE *f;
	int err;

	err = plan_run_batched(x->nl, plan, &pr, &e);
	r->us_run = now_us() - x->t0;
	if (!err) {
		r->changes = plan->n;
		return 0;
	}
	f = fmemopen(step, sizeof(step), "w");
	if (f) {
		step_print(f, &plan->steps[pr.failed_step]);
		fclose(f);
		step[strcspn(step, "\n")] = 0;
	} else {
		step[0] = 0;
	}
	if (pr.unknown && err == -EIO)
		snprintf(r->why, sizeof(r->why), "no answer came for '%.200s': %.250s", step,
			 e.why[0] ? e.why : strerror(-err));
	else
		snprintf(r->why, sizeof(r->why), "the kernel refused '%.200s': %.250s", step,
			 e.ext[0] ? e.ext : strerror(-err));
	r->unknown = pr.unknown;
	r->failed_step = pr.failed_step + 1;
	r->undone = pr.undone;
	r->undo_err = pr.undo_err;
	r->changes = pr.failed_step;
	return err;
}

int reconcile(struct nl *nl, const struct model *want, const struct rec_opts *o,
	      struct rec_result *r)
{
	struct rec x = { .nl = nl, .o = o, .r = r, .mg = { .want = want, .o = o } };
	struct plan plan;
	size_t bad = 0, i;
	int err;

	memset(r, 0, sizeof(*r));
	model_init(&x.cur);
	model_init(&x.adj);
	err = rec_load(&x, want);
	if (err)
		goto out;
	err = model_copy(&x.adj, want);
	if (err)
		goto nomem;
	if (o->adjust) {
		err = o->adjust(&x.adj, &x.cur, o->adjust_arg);
		if (err) {
			snprintf(r->why, sizeof(r->why), "%s", strerror(-err));
			goto out;
		}
	}
	err = model_diff(&x.cur, &x.adj, o->in_scope, o->scope_arg, &x.ops, &x.nops);
	if (err)
		goto nomem;
	err = rec_guard(&x);
	if (!err)
		err = rec_timeouts(&x);
	if (err)
		goto out;
	x.env.cur = &x.cur;
	kmaglev_defaults(nl, wants_maglev(&x.adj) || wants_maglev(&x.cur), &x.env.mg);
	err = plan_build(&plan, &x.env, x.ops, x.nops, &bad, r->why, sizeof(r->why));
	if (err)
		goto out;
	r->us_diff = now_us() - x.t0;
	x.t0 += r->us_diff;
	if (o->dry_run) {
		for (i = 0; i < plan.n; i++)
			step_print(o->out ? o->out : stdout, &plan.steps[i]);
		r->changes = plan.n;
	} else {
		err = rec_run(&x, &plan);
	}
	plan_free(&plan);
	goto out;
nomem:
	err = -ENOMEM;
	snprintf(r->why, sizeof(r->why), "out of memory");
out:
	free(x.ops);
	model_free(&x.adj);
	model_free(&x.cur);
	return err;
}

int leaver_store(struct nl *nl, const struct leaver *lv, struct nl_err *e)
{
	struct mg_be_set set = {
		.set = MG_BE_SET_SAVED_WEIGHT | MG_BE_SET_DRAIN_DEADLINE,
		.saved_weight = 0,
		.drain_deadline = lv->deadline,
	};

	return kmaglev_set_backend(nl, &lv->svc, &lv->ap, &set, e);
}
