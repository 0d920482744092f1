// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl/state/policy.c: what a down, drained or leaving backend looks like in
 * the kernel. The daemon (on each probe transition and on each reload),
 * apply and drain all take their answer from here, so this table is the
 * rule: each row is one situation and what the kernel must then hold.
 */
#include <errno.h>
#include <string.h>

#include "ktap.h"
#include "state/policy.h"

enum cur_kind { CUR_NONE, CUR_PLAIN, CUR_DRAINED, CUR_DOWN, CUR_DRAINED_W };

static const struct row {
	const char *what;
	bool maglev;
	enum be_health health;
	enum hc_fail on_fail;
	enum cur_kind cur;
	/* expected */
	bool present;
	uint32_t weight;
	bool down;
} rows[] = {
	{ "not probed, in the kernel as configured", true, BE_HEALTH_NONE, HC_QUIESCE, CUR_PLAIN,
	  true, 7, false },
	{ "not probed, absent: added as configured", true, BE_HEALTH_NONE, HC_QUIESCE, CUR_NONE,
	  true, 7, false },
	{ "healthy: the configured weight", true, BE_HEALTH_UP, HC_QUIESCE, CUR_PLAIN,
	  true, 7, false },
	{ "healthy again after on-fail down: the down mark goes", true, BE_HEALTH_UP, HC_DOWN,
	  CUR_DOWN, true, 7, false },
	{ "failing, quiesce: weight 0, no mark", true, BE_HEALTH_DOWN, HC_QUIESCE, CUR_PLAIN,
	  true, 0, false },
	{ "failing, on-fail down, maglev: weight 0 and marked down", true, BE_HEALTH_DOWN, HC_DOWN,
	  CUR_PLAIN, true, 0, true },
	{ "failing, on-fail down, not maglev: weight 0 (no module, no mark)", false,
	  BE_HEALTH_DOWN, HC_DOWN, CUR_PLAIN, true, 0, false },
	{ "failing, quiesce, marked down earlier (on-fail was down): the mark goes", true,
	  BE_HEALTH_DOWN, HC_QUIESCE, CUR_DOWN, true, 0, false },
	{ "failing, on-fail remove: deleted", true, BE_HEALTH_DOWN, HC_REMOVE, CUR_PLAIN,
	  false, 0, false },
	{ "failing, on-fail remove, already absent: stays absent", true, BE_HEALTH_DOWN, HC_REMOVE,
	  CUR_NONE, false, 0, false },
	{ "drained by an operator, not probed: keeps its weight 0", true, BE_HEALTH_NONE,
	  HC_QUIESCE, CUR_DRAINED, true, 0, false },
	{ "drained by an operator, healthy: still drained", true, BE_HEALTH_UP, HC_QUIESCE,
	  CUR_DRAINED, true, 0, false },
	{ "drained, then given weight 3 by hand: 3 kept until undrained", true, BE_HEALTH_NONE,
	  HC_QUIESCE, CUR_DRAINED_W, true, 3, false },
	{ "drained with weight 3 by hand, failing: health wins, weight 0", true, BE_HEALTH_DOWN,
	  HC_QUIESCE, CUR_DRAINED_W, true, 0, false },
	{ "drained, failing with on-fail down: weight 0 and marked down", true, BE_HEALTH_DOWN,
	  HC_DOWN, CUR_DRAINED, true, 0, true },
};

static void make_cur(enum cur_kind k, struct m_dest *d)
{
	memset(d, 0, sizeof(*d));
	d->c.weight = 7;
	switch (k) {
	case CUR_DRAINED:
		d->c.weight = 0;
		d->mg.saved_weight = 7;
		break;
	case CUR_DRAINED_W:
		d->c.weight = 3;
		d->mg.saved_weight = 7;
		break;
	case CUR_DOWN:
		d->c.weight = 0;
		d->mg.down = true;
		break;
	default:
		break;
	}
}

static void test_decide(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct dest_conf conf = { .weight = 7, .fwd = 1 };
		struct m_dest cur;
		struct be_want w;

		make_cur(r->cur, &cur);
		memset(&w, 0xa5, sizeof(w));
		be_decide(&(struct be_in){ .conf = &conf, .cur = r->cur == CUR_NONE ? NULL : &cur,
					   .maglev = r->maglev, .health = r->health,
					   .on_fail = r->on_fail }, &w);
		if (!r->present) {
			ktap_ok(!w.present, "%s (present %d)", r->what, w.present);
			continue;
		}
		ktap_ok(w.present && w.c.weight == r->weight && w.down == r->down &&
			w.c.fwd == conf.fwd,
			"%s (present %d, weight %u, down %d)", r->what, w.present, w.c.weight,
			w.down);
	}
}

static void test_leave(void)
{
	struct m_dest d;

	memset(&d, 0, sizeof(d));
	d.active = 2;
	ktap_ok(be_leave_decide(&d, true, 0, 1000) == BE_LEAVE_DELETE_IDLE,
		"leaving with no grace (timeout 0): deleted at once, connections or not");
	d.active = 0;
	ktap_ok(be_leave_decide(&d, true, 60, 1000) == BE_LEAVE_DELETE_IDLE,
		"leaving, idle (no connection, no pin): deleted at once");
	d.mg.pins = 4;
	ktap_ok(be_leave_decide(&d, true, 60, 1000) == BE_LEAVE_DRAIN_START,
		"leaving with pinned flows, no deadline yet: a drain starts");
	d.mg.drain_deadline = 1060;
	ktap_ok(be_leave_decide(&d, true, 60, 1000) == BE_LEAVE_DRAINING,
		"leaving, its deadline ahead: keeps draining (deadline kept)");
	ktap_ok(be_leave_decide(&d, true, 60, 1060) == BE_LEAVE_DELETE_EXPIRED,
		"leaving, its deadline reached: deleted");
	d.mg.drain_deadline = 0;
	d.mg.pins = 0;
	d.active = 1;
	ktap_ok(be_leave_decide(&d, false, 60, 1000) == BE_LEAVE_DRAINING,
		"leaving a service without the module: weight 0 until idle (no deadline kept)");
}

static void test_drain(void)
{
	struct m_dest d;
	uint32_t w;
	int err;

	memset(&d, 0, sizeof(d));
	d.c.weight = 5;
	ktap_ok(be_drain_saved_weight(&d) == 5, "drain saves the current weight");
	d.c.weight = 0;
	d.mg.saved_weight = 5;
	ktap_ok(be_drain_saved_weight(&d) == 5,
		"draining a drained backend saves the weight saved then, not 0");
	w = be_undrain_weight(&d, 0, &err);
	ktap_ok(w == 5 && !err, "undrain restores the saved weight (%u)", w);
	w = be_undrain_weight(&d, 9, &err);
	ktap_ok(w == 9 && !err, "undrain --weight 9 wins over the saved one (%u)", w);
	d.mg.saved_weight = 0;
	w = be_undrain_weight(&d, 0, &err);
	ktap_ok(w == 0 && err == -ENOENT, "weight 0 and nothing saved: no weight to restore");
	d.c.weight = 4;
	w = be_undrain_weight(&d, 0, &err);
	ktap_ok(w == 0 && err == 0, "not drained (weight 4, nothing saved): nothing to do");
}

int main(void)
{
	ktap_plan(sizeof(rows) / sizeof(rows[0]) + 6 + 6);
	test_decide();
	test_leave();
	test_drain();
	return ktap_finish();
}
