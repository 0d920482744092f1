// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl daemon: one backend's probe results applied to the kernel, the
 * probe set's order, and the managed set on disk (see daemon.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cmd/daemon.h"
#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"
#include "model/addr.h"
#include "state/managed.h"
#include "state/policy.h"

/* ---- probes: identity and order ------------------------------------------- */

int probe_cmp(const void *x, const void *y)
{
	const struct probe *a = *(struct probe *const *)x, *b = *(struct probe *const *)y;
	int r = svc_id_cmp(&a->svc, &b->svc);

	return r ? r : addr_port_cmp(&a->be, &b->be);
}

struct probe *probe_find(struct probe **v, size_t n, const struct svc_id *svc,
			 const struct addr_port *be)
{
	struct probe key, *kp = &key, **hit;

	key.svc = *svc;
	key.be = *be;
	hit = bsearch(&kp, v, n, sizeof(*v), probe_cmp);
	return hit ? *hit : NULL;
}

void probe_name(const struct probe *p, char *buf, size_t len)
{
	char s[80], b[64];

	fmt_svc(&p->svc, s, sizeof(s));
	fmt_addr_port(p->be.af, p->be.addr, p->be.port, b, sizeof(b));
	snprintf(buf, len, "%s backend %s", s, b);
}

/* ---- the managed services, on disk --------------------------------------------- */

/* Replace the managed set, in memory and on disk. @v is taken (sorted here). */
void managed_set(struct daemon *d, struct svc_id *v, size_t n)
{
	char why[4096 + 160];
	int err;

	managed_sort(v, n);
	free(d->managed);
	d->managed = v;
	d->nmanaged = n;
	err = managed_write(d->managed_path, d->managed_owner, v, n, why, sizeof(why));
	if (err && err != d->managed_err)
		dlog(d, "cannot write the managed services: %s; a service that leaves the file while "
		     "the daemon is stopped may stay in IPVS", why);
	else if (!err && d->managed_err)
		dlog(d, "the managed services are written to %s again", d->managed_path);
	d->managed_err = err;
}

/*
 * Before a change: the set on disk becomes what is managed now and what
 * @want adds, so that a crash in the middle forgets nothing; after it,
 * exactly @want (or, if it failed, what was managed before).
 */
void managed_union(struct daemon *d, const struct model *want)
{
	struct svc_id *v = malloc((d->nmanaged + want->n + 1) * sizeof(*v));
	size_t i, n;

	if (!v)
		return;
	if (d->nmanaged)
		memcpy(v, d->managed, d->nmanaged * sizeof(*v));
	n = d->nmanaged;
	for (i = 0; i < want->n; i++)
		if (!managed_has(d->managed, d->nmanaged, &want->svcs[i].id))
			v[n++] = want->svcs[i].id;
	if (n == d->nmanaged) {
		free(v);
		return;
	}
	managed_set(d, v, n);
}

void managed_from(struct daemon *d, const struct model *m)
{
	struct svc_id *v = malloc((m->n + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return;
	for (i = 0; i < m->n; i++)
		v[i] = m->svcs[i].id;
	managed_set(d, v, m->n);
}

/*
 * At start: the set the last run left. None (a first start, or a file that
 * is not whole) means nothing is deleted, as before there was a file.
 */
void managed_load(struct daemon *d)
{
	char why[4096 + 160];
	int err;

	err = managed_read(d->managed_path, d->managed_owner, &d->managed, &d->nmanaged, why,
			   sizeof(why));
	if (err == -ENOENT)
		return;
	if (err) {
		dlog(d, "the managed services are not read (%s): services that left the file while "
		     "the daemon was stopped are left alone", why);
		d->managed = NULL;
		d->nmanaged = 0;
		return;
	}
}

bool in_managed(const struct m_svc *s, void *arg)
{
	struct daemon *d = arg;

	return managed_has(d->managed, d->nmanaged, &s->id);
}

/* ---- the kernel: one backend ---------------------------------------------- */

/*
 * Make the kernel reflect @p's state. Returns 0, or -errno with @why set.
 * Only this backend is touched; its service is loaded fresh, so a service
 * changed or deleted behind the daemon's back is seen as it is.
 */
static int apply_probe(struct daemon *d, struct probe *p, char *why, size_t whylen)
{
	struct model m;
	struct m_svc *s;
	struct m_dest *cur;
	struct dest_conf dc;
	struct be_want bw;
	int err;

	model_init(&m);
	err = kipvs_load_one(d->nl, &m, &p->svc, LOAD_DESTS | (p->maglev ? LOAD_MAGLEV : 0), NULL);
	if (err) {
		snprintf(why, whylen, err == -ENOENT ? "the service is gone (SIGHUP re-applies the file)" :
			 "reading the service: %s", strerror(-err));
		goto out;
	}
	s = model_find(&m, &p->svc);
	cur = s ? svc_find_dest(s, &p->be) : NULL;
	be_decide(&(struct be_in){ .conf = &p->conf, .cur = cur, .maglev = p->maglev,
				   .health = p->up ? BE_HEALTH_UP : BE_HEALTH_DOWN,
				   .on_fail = p->spec->on_fail }, &bw);
	if (!bw.present) {
		if (cur) {
			err = kipvs_dest_del(d->nl, &p->svc, &p->be, NULL);
			if (err)
				snprintf(why, whylen, "removing it: %s", strerror(-err));
		}
		goto out;
	}
	if (!cur) {
		/* deleted behind the daemon's back: added back once healthy
		 * (on-fail remove deletes it itself), left alone while down
		 */
		if (!p->up) {
			snprintf(why, whylen, "it is not in the service (SIGHUP re-applies the file)");
			err = -ENOENT;
			goto out;
		}
		err = kipvs_dest_add(d->nl, &p->svc, &p->be, &bw.c, NULL);
		if (err)
			snprintf(why, whylen, "adding it back: %s", strerror(-err));
		goto out;
	}
	if (p->maglev && cur->mg.down != bw.down) {
		err = kmaglev_set_down(d->nl, &p->svc, &p->be, bw.down, NULL);
		if (err) {
			snprintf(why, whylen, "marking it %s: %s", bw.down ? "down" : "up",
				 strerror(-err));
			goto out;
		}
	}
	/* only the weight: the rest of the line is the reload's business */
	if (cur->c.weight != bw.c.weight) {
		dc = cur->c;
		dc.weight = bw.c.weight;
		err = kipvs_dest_edit(d->nl, &p->svc, &p->be, &dc, NULL);
		if (err && bw.c.weight)
			snprintf(why, whylen, "restoring weight %u: %s", bw.c.weight,
				 strerror(-err));
		else if (err)
			snprintf(why, whylen, "setting weight 0: %s", strerror(-err));
	}
out:
	model_free(&m);
	return err;
}

static const char *action_text(const struct probe *p)
{
	if (p->up)
		return p->spec->on_fail == HC_REMOVE ? "added back" : "weight restored";
	switch (p->spec->on_fail) {
	case HC_REMOVE:
		return "removed";
	case HC_DOWN:
		return p->maglev ? "weight 0, marked down" : "weight 0";
	default:
		return "weight 0";
	}
}

void probe_done(struct probe *p, bool ok, const char *why, void *arg)
{
	struct daemon *d = arg;
	char name[160], err[256];
	bool was = p->up, change = false;

	p->probes++;
	if (ok) {
		p->ok_run++;
		p->fail_run = 0;
		if (!p->up && p->ok_run >= p->spec->rise)
			change = true;
	} else {
		p->failures++;
		p->fail_run++;
		p->ok_run = 0;
		snprintf(p->last_error, sizeof(p->last_error), "%s", why ? why : "failed");
		if (p->up && p->fail_run >= p->spec->fall)
			change = true;
	}
	if (!change && p->applied)
		return;
	probe_name(p, name, sizeof(name));
	if (change) {
		p->up = !was;
		p->since_ms = wall_ms();
		d->transitions++;
		d->dirty = true;
		if (p->up)
			dlog(d, "%s: down -> up (%u good probes): %s", name, p->ok_run,
			     action_text(p));
		else
			dlog(d, "%s: up -> down (%u failed probes, last: %s): %s", name,
			     p->fail_run, p->last_error, action_text(p));
	}
	if (apply_probe(d, p, err, sizeof(err))) {
		/* a module may have been reloaded: its family has a new id */
		nlc_forget_families(d->nl);
		/* tried again after each probe; said again only when it changes */
		if (p->applied || change) {
			dlog(d, "%s: cannot apply '%s': %s", name, p->up ? "up" : "down", err);
			d->dirty = true;
		}
		p->applied = false;
	} else {
		if (!p->applied && !change)
			dlog(d, "%s: '%s' applied", name, p->up ? "up" : "down");
		if (!p->applied)
			d->dirty = true;
		p->applied = true;
	}
}

