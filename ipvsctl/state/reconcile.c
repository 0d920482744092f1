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

int reconcile(struct nl *nl, const struct model *want, const struct rec_opts *o,
	      struct rec_result *r)
{
	struct model cur, adj;
	struct managed_arg mg;
	struct plan_env env;
	uint64_t t0;
	struct plan plan;
	struct plan_result pr;
	struct op *ops = NULL;
	size_t nops = 0, bad = 0, i;
	int err;

	memset(r, 0, sizeof(*r));
	memset(&env, 0, sizeof(env));
	model_init(&cur);
	model_init(&adj);
	/* the backends of managed services only: named, or in the scope */
	mg.want = want;
	mg.o = o;
	t0 = now_us();
	if (!o->in_scope && want->n <= RECONCILE_GET_MAX)
		/* a few services named, none in a scope: only they are read */
		err = kipvs_load_named(nl, &cur, LOAD_DESTS | LOAD_MAGLEV | LOAD_NO_STATS, want);
	else
		err = kipvs_load_some(nl, &cur, LOAD_DESTS | LOAD_MAGLEV | LOAD_NO_STATS, managed,
				      &mg);
	r->us_load = now_us() - t0;
	t0 += r->us_load;
	r->svcs_seen = cur.n;
	for (i = 0; i < cur.n; i++)
		r->svcs_read += cur.svcs[i].loaded;
	if (err) {
		/* the socket's explanation ("is IPVS available?") if it has one */
		snprintf(r->why, sizeof(r->why), "reading the current IPVS state: %s",
			 nl->why[0] ? nl->why : strerror(-err));
		goto out;
	}
	err = model_copy(&adj, want);
	if (err)
		goto nomem;
	if (o->adjust) {
		err = o->adjust(&adj, &cur, o->adjust_arg);
		if (err) {
			snprintf(r->why, sizeof(r->why), "%s", strerror(-err));
			goto out;
		}
	}
	err = model_diff(&cur, &adj, o->in_scope, o->scope_arg, &ops, &nops);
	if (err)
		goto nomem;
	for (i = 0; i < cur.n; i++)
		r->managed += managed(&cur.svcs[i], &mg);
	for (i = 0; i < nops; i++)
		r->deletes += ops[i].kind == OP_SVC_DEL;
	if (o->max_deletes_set && r->deletes > deletes_allowed(o, r->managed)) {
		snprintf(r->why, sizeof(r->why),
			 "the plan deletes %zu of the %zu managed services, more than --max-deletes %u%s allows",
			 r->deletes, r->managed, o->max_deletes, o->max_deletes_pct ? "%" : "");
		err = -ECANCELED;
		goto out;
	}
	if (o->timeouts && (o->timeouts->tcp || o->timeouts->tcp_fin || o->timeouts->udp)) {
		struct timeouts t;
		struct op *v;

		err = kipvs_get_timeouts(nl, &t);
		if (err) {
			snprintf(r->why, sizeof(r->why), "reading the timeouts: %s",
				 strerror(-err));
			goto out;
		}
		env.have_timeouts = true;
		env.timeouts = t;
		if ((o->timeouts->tcp && o->timeouts->tcp != t.tcp) ||
		    (o->timeouts->tcp_fin && o->timeouts->tcp_fin != t.tcp_fin) ||
		    (o->timeouts->udp && o->timeouts->udp != t.udp)) {
			v = realloc(ops, (nops + 1) * sizeof(*ops));
			if (!v)
				goto nomem;
			ops = v;
			memset(&ops[nops], 0, sizeof(ops[nops]));
			ops[nops].kind = OP_TIMEOUT;
			ops[nops].to = *o->timeouts;
			nops++;
		}
	}
	env.cur = &cur;
	kmaglev_defaults(nl, wants_maglev(&adj) || wants_maglev(&cur), &env.mg);
	err = plan_build(&plan, &env, ops, nops, &bad, r->why, sizeof(r->why));
	if (err)
		goto out;
	r->us_diff = now_us() - t0;
	t0 += r->us_diff;
	if (o->dry_run) {
		for (i = 0; i < plan.n; i++)
			step_print(o->out ? o->out : stdout, &plan.steps[i]);
		r->changes = plan.n;
		plan_free(&plan);
		goto out;
	}
	err = plan_run_batched(nl, &plan, &pr);
	r->us_run = now_us() - t0;
	if (err) {
		char step[256];
		FILE *f = fmemopen(step, sizeof(step), "w");

		if (f) {
			step_print(f, &plan.steps[pr.failed_step]);
			fclose(f);
			step[strcspn(step, "\n")] = 0;
		} else {
			step[0] = 0;
		}
		if (pr.unknown && err == -EIO)
			snprintf(r->why, sizeof(r->why), "no answer came for '%.200s': %.250s", step,
				 nl->why[0] ? nl->why : strerror(-err));
		else
			snprintf(r->why, sizeof(r->why), "the kernel refused '%.200s': %.250s", step,
				 nl->ext[0] ? nl->ext : strerror(-err));
		r->unknown = pr.unknown;
		r->failed_step = pr.failed_step + 1;
		r->undone = pr.undone;
		r->undo_err = pr.undo_err;
		r->changes = pr.failed_step;
	} else {
		r->changes = plan.n;
	}
	plan_free(&plan);
	goto out;
nomem:
	err = -ENOMEM;
	snprintf(r->why, sizeof(r->why), "out of memory");
out:
	free(ops);
	model_free(&adj);
	model_free(&cur);
	return err;
}

int leaver_store(struct nl *nl, const struct leaver *lv)
{
	struct mg_be_set set = {
		.set = MG_BE_SET_SAVED_WEIGHT | MG_BE_SET_DRAIN_DEADLINE,
		.saved_weight = 0,
		.drain_deadline = lv->deadline,
	};

	return kmaglev_set_backend(nl, &lv->svc, &lv->ap, &set);
}
