/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvsctl: what a backend looks like in the kernel, decided in one place.
 *
 * Beyond its configured line, three things shape a backend: its health
 * (ipvsctl daemon's probes), an operator's drain (ipvsctl drain, which
 * keeps the weight in the maglev module's saved-weight field), and its
 * leaving the configuration (graceful termination: weight 0 until it is
 * idle or its deadline passes). apply, daemon and drain all ask this file
 * and none of them writes the rule itself, so that a new on-fail mode or
 * a new kind of drain is one edit here (the review's A1).
 *
 * Pure: no kernel, no I/O; tested on the host (selftests/unit/test_policy).
 */
#ifndef IPVSCTL_POLICY_H
#define IPVSCTL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"

enum be_health {
	BE_HEALTH_NONE,		/* not probed */
	BE_HEALTH_UP,
	BE_HEALTH_DOWN,
};

/* What is known of one backend of the configuration. */
struct be_in {
	const struct dest_conf *conf;	/* as configured (never NULL) */
	const struct m_dest *cur;	/* in the kernel now; NULL: absent */
	bool maglev;			/* the service's scheduler is maglev */
	enum be_health health;
	enum hc_fail on_fail;		/* when health is BE_HEALTH_DOWN */
};

/* What it must look like in the kernel. */
struct be_want {
	bool present;
	struct dest_conf c;		/* when present: the weight included */
	bool down;			/* the maglev module's down mark (maglev only) */
};

/*
 * The rules, in order:
 *  - a backend whose probes failed is removed (on-fail remove), or kept at
 *    weight 0 (quiesce), and with on-fail down on a maglev service also
 *    marked down (its flow pins are dropped). Health wins over a drain: a
 *    failing backend takes no new flows whatever weight it was left with;
 *  - a backend an operator drained (a saved weight in the kernel) keeps
 *    the weight it has in the kernel until it is undrained;
 *  - otherwise the configured line, and no down mark.
 */
void be_decide(const struct be_in *in, struct be_want *out);

/* A backend that left the configuration but is still in the kernel. */
enum be_leave {
	BE_LEAVE_DELETE_IDLE,		/* no connection, no pin (or no grace): delete now */
	BE_LEAVE_DELETE_EXPIRED,	/* its drain deadline passed: delete now */
	BE_LEAVE_DRAIN_START,		/* weight 0, a deadline set now */
	BE_LEAVE_DRAINING,		/* weight 0, its deadline kept */
};

/*
 * @timeout_s: the grace a leaving backend gets (0: none, deleted at once);
 * @now_s: wall-clock seconds. A maglev service keeps the deadline in the
 * kernel (the drain-deadline field); without the module there is none, and
 * the backend stays at weight 0 until idle.
 */
enum be_leave be_leave_decide(const struct m_dest *cur, bool maglev, uint32_t timeout_s,
			      uint64_t now_s);

/*
 * ipvsctl drain: the weight to save (the current one; or, for a backend
 * drained already, the weight saved then, so draining twice loses nothing).
 * The drained backend has weight 0.
 */
uint32_t be_drain_saved_weight(const struct m_dest *cur);

/*
 * ipvsctl undrain: the weight to restore: @explicit if not 0, else the saved
 * one. Returns 0 when there is none (then -ENOENT in *err if the backend is
 * at weight 0 with nothing saved, or 0 in *err if it is not drained at all).
 */
uint32_t be_undrain_weight(const struct m_dest *cur, uint32_t explicit_w, int *err);

#endif
