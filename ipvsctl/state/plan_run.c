// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: run a plan's steps (one by one, or in batches), and on a
 * refusal roll back what was applied, with the inverse steps the plan
 * holds (see plan.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ipvs.h"
#include "kernel/maglev.h"
#include "state/plan.h"

static int step_exec(struct nl *nl, const struct step *s, struct nl_err *e)
{
	struct mg_be_set be;
	struct mg_params mp;

	switch (s->kind) {
	case OP_SVC_ADD:
		return kipvs_svc_add(nl, &s->svc, &s->sc, e);
	case OP_SVC_EDIT:
		return kipvs_svc_edit(nl, &s->svc, &s->sc, e);
	case OP_SVC_DEL:
		return kipvs_svc_del(nl, &s->svc, e);
	case OP_FLUSH:
		return kipvs_flush(nl, e);
	case OP_DEST_ADD:
		return kipvs_dest_add(nl, &s->svc, &s->ap, &s->dc, e);
	case OP_DEST_EDIT:
		return kipvs_dest_edit(nl, &s->svc, &s->ap, &s->dc, e);
	case OP_DEST_DEL:
		return kipvs_dest_del(nl, &s->svc, &s->ap, e);
	case OP_ZERO:
		return kipvs_zero(nl, s->all ? NULL : &s->svc, e);
	case OP_TIMEOUT:
		return kipvs_set_timeouts(nl, &s->to, e);
	case OP_SYNC_START:
		return kipvs_start_daemon(nl, &s->dm, e);
	case OP_SYNC_STOP:
		return kipvs_stop_daemon(nl, s->dm.state, e);
	case OP_HEALTH:
		return 0;
	case OP_MG_BE:
		be.set = MG_BE_SET_DOWN | MG_BE_SET_SAVED_WEIGHT | MG_BE_SET_DRAIN_DEADLINE;
		be.down = s->mg_down;
		be.saved_weight = s->mg_saved_weight;
		be.drain_deadline = s->mg_drain_deadline;
		return kmaglev_set_backend(nl, &s->svc, &s->ap, &be, e);
	case OP_MG_SET:
		svc_conf_to_mg(&s->sc, &mp);
		return kmaglev_set_svc(nl, &s->svc, &mp, e);
	}
	return -EINVAL;
}

/* what became of a step */
enum { ST_NOT, ST_DONE, ST_UNKNOWN };

/*
 * Undo the steps that took effect, newest first; each step's own undo
 * list in order (a recreated service comes before its backends). A step
 * whose answer was lost (ST_UNKNOWN) is undone too, as if it had taken
 * effect: its undo is the state from before it, so where the step did
 * not take effect, an undo step finding that state already (a backend
 * to delete that is not there, a service to recreate that is) is not a
 * failure.
 */
static void plan_undo(struct nl *nl, const struct plan *p, const uint8_t *st, size_t upto,
		      struct plan_result *r)
{
	size_t i = upto, j;
	int uerr;

	while (i-- > 0) {
		if (st[i] == ST_NOT)
			continue;
		for (j = p->ustart[i]; j < p->ustart[i + 1]; j++) {
			uerr = step_exec(nl, &p->undo[j], NULL);	/* the errno is enough */
			if (st[i] == ST_UNKNOWN &&
			    (uerr == -ENOENT || uerr == -ESRCH || uerr == -EEXIST))
				uerr = 0;
			if (uerr && !r->undo_err)
				r->undo_err = uerr;
		}
		r->undone++;
	}
}

/*
 * With @batch, the steps go to the kernel in batches, as many as
 * nlc_batch_full() allows in one write (nl.h: NLC_BATCH_MAX requests,
 * NLC_BATCH_BYTES): one system call and one wait per batch instead of per
 * step, which is most of the cost of a large apply. The kernel handles a
 * batch's requests in order and goes on after a failure, so when one
 * fails, the later ones of its batch may have taken effect: every step
 * that did is undone, newest first, and the result names the first
 * failure. Those undos were computed as if every earlier step had
 * succeeded, which holds for plans where no step's effect depends on an
 * earlier step having succeeded rather than failed outright (see
 * plan_run_batched() in plan.h); other plans run one step at a time.
 * The text of the first failure goes to @e.
 */
static int plan_run_mode(struct nl *nl, const struct plan *p, struct plan_result *r, bool batch,
			 struct nl_err *e)
{
	struct nl_err now, first;	/* the last step's or flush's; the first failure's */
	int errs[NLC_BATCH_MAX], err = 0;
	size_t i, k, base = 0, fail = SIZE_MAX;
	uint8_t *ok;	/* ST_* of each step */

	memset(r, 0, sizeof(*r));
	nlc_err_clear(e);
	nlc_err_clear(&first);
	ok = calloc(p->n ? p->n : 1, sizeof(*ok));
	if (!ok)
		return -ENOMEM;
	if (batch)
		nlc_batch_begin(nl);
	for (i = 0; i < p->n && fail == SIZE_MAX; i++) {
		size_t queued = nlc_batch_pending(nl);

		err = step_exec(nl, &p->steps[i], &now);
		if (nlc_batch_pending(nl) > queued) {
			/* queued: its result comes with the flush */
		} else if (err) {
			/* refused before it was sent (or not batchable): the
			 * queue before it is sent first, to know its results
			 */
			first = now;
			fail = i;
		} else {
			/* done synchronously */
			if (!nlc_batch_pending(nl))
				base = i + 1;
			ok[i] = ST_DONE;
			continue;
		}
		if (fail == SIZE_MAX && !nlc_batch_full(nl) && i + 1 < p->n)
			continue;
		/* flush: the queued steps are base.. (those not done synchronously) */
		{
			size_t nq = nlc_batch_pending(nl);
			int nf = nlc_batch_flush(nl, errs, &now);

			for (k = 0; base < p->n && k < nq; base++) {
				if (ok[base] || base == fail)
					continue;
				if (nf < 0) {
					if (fail == SIZE_MAX || base < fail) {
						fail = base;
						err = nf;
						first = now;
					}
					k++;
					continue;
				}
				if (!errs[k]) {
					ok[base] = ST_DONE;
					k++;
					continue;
				}
				if (errs[k] == NLC_NO_ANSWER) {
					ok[base] = ST_UNKNOWN;
					r->unknown++;
				}
				if (fail == SIZE_MAX || base < fail) {
					fail = base;
					err = errs[k] == NLC_NO_ANSWER ? -EIO : errs[k];
					first = now;
				}
				k++;
			}
			base = i + 1;
		}
	}
	if (batch)
		nlc_batch_end(nl);
	if (fail == SIZE_MAX) {
		free(ok);
		r->done = p->n;
		return 0;
	}
	r->failed_step = fail;
	plan_undo(nl, p, ok, p->n, r);
	if (e)
		*e = first;
	free(ok);
	return err;
}

int plan_run(struct nl *nl, const struct plan *p, struct plan_result *r, struct nl_err *e)
{
	return plan_run_mode(nl, p, r, false, e);
}

int plan_run_batched(struct nl *nl, const struct plan *p, struct plan_result *r,
		     struct nl_err *e)
{
	return plan_run_mode(nl, p, r, true, e);
}

void step_print(FILE *f, const struct step *s)
{
	struct op op;

	memset(&op, 0, sizeof(op));
	op.kind = s->kind;
	op.all = s->all;
	op.svc = s->svc;
	op.sc = s->sc;
	op.sc.set = SC_IPVS_ALL;
	if (s->kind == OP_MG_SET)
		op.sc.set = SC_MG_ALL;
	op.dest = s->ap;
	op.dc = s->dc;
	op.dc.set = DC_ALL;
	op.to = s->to;
	op.dm = s->dm;
	grammar_print(f, &op);
}
