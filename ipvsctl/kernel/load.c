// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the state loader (see load.h). Services are dumped in one
 * request (or, a few among many, got one by one); the backends of each
 * service take a dump request each, pipelined over a few sockets
 * (nl_pipe.c); the maglev module's state of its services and backends is
 * merged in. Decoding is the codecs' (ipvs.c, maglev.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <linux/ip_vs.h>

#include "kernel/ipvs.h"
#include "kernel/load.h"
#include "kernel/maglev.h"

struct load_ctx {
	struct model *m;
	struct m_svc *svc;	/* for dest dumps */
	bool no_stats;		/* backends' counters not wanted (LOAD_NO_STATS) */
	int err;
};

static int svc_cb(struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;
	struct svc_conf c;
	struct stats st;
	struct svc_id id;
	struct m_svc *s;
	int err;

	err = kipvs_parse_svc(tb[IPVS_CMD_ATTR_SERVICE], &id, &c, &st);
	if (err)
		return err;
	s = model_find(l->m, &id);
	if (!s)
		s = model_add(l->m, &id);
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->st = st;
	return 0;
}

static int dest_cb(struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;
	struct m_dest d, *nd;
	int err;

	err = kipvs_parse_dest(tb[IPVS_CMD_ATTR_DEST], l->svc->id.af, &d, !l->no_stats);
	if (err)
		return err;
	nd = svc_add_dest(l->svc, &d.ap);
	if (!nd)
		return -ENOMEM;
	*nd = d;
	return 0;
}

static int load_dests(struct nl *nl, struct m_svc *s, bool no_stats, struct nl_err *e)
{
	struct load_ctx l = { .svc = s, .no_stats = no_stats };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DEST, true, e);

	if (!msg)
		return -errno;
	if (kipvs_put_svc(msg, &s->id, NULL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	s->ndests = 0;
	return nlc_send(nl, msg, dest_cb, &l, e);
}

struct dest_many {
	struct m_svc **svcs;
	bool no_stats;
};

static int dest_many_cb(size_t idx, struct nlattr **tb, void *arg)
{
	struct dest_many *dm = arg;
	struct load_ctx l = { .svc = dm->svcs[idx], .no_stats = dm->no_stats };

	return dest_cb(tb, &l);
}

/* The backends of @n services: pipelined (nlc_send_many()), or, if that
 * exchange fails as a whole, one dump at a time on the main socket.
 */
static int load_dests_many(struct nl *nl, struct m_svc **svcs, size_t n, bool no_stats,
			   struct nl_err *e)
{
	struct dest_many dm = { svcs, no_stats };
	struct nl_msg **reqs;
	size_t i, j;
	int *errs, err = -ENOMEM;

	if (!n)
		return 0;
	reqs = calloc(n, sizeof(*reqs));
	errs = calloc(n, sizeof(*errs));
	if (!reqs || !errs)
		goto out;
	for (i = 0; i < n; i++) {
		reqs[i] = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_DEST, true, e);
		if (!reqs[i] || kipvs_put_svc(reqs[i], &svcs[i]->id, NULL)) {
			err = reqs[i] ? -EMSGSIZE : -errno;
			for (j = 0; j <= i; j++)
				nlmsg_free(reqs[j]);
			goto out;
		}
		svcs[i]->ndests = 0;
	}
	/* dest_many_cb() touches only its own service: two threads can */
	err = nlc_send_many_par(nl, reqs, n, dest_many_cb, &dm, errs, e);
	for (i = 0; !err && i < n; i++)
		err = errs[i];
	if (err && err != -ENOMEM) {
		/* start again, the slow way */
		for (i = 0, err = 0; !err && i < n; i++)
			err = load_dests(nl, svcs[i], no_stats, e);
	}
out:
	free(reqs);
	free(errs);
	return err;
}

/* ---- maglev state merged in ------------------------------------------------ */

static int mg_svc_cb(const struct mg_svc_state *st, void *arg)
{
	struct model *m = arg;
	struct m_svc *s = model_find(m, &st->id);

	if (!s)
		return 0;	/* appeared between the two dumps */
	s->has_mg = true;
	svc_conf_from_mg(&s->c, &st->p);
	s->mg = *st;
	return 0;
}

static int mg_be_cb(const struct mg_be_state *be, void *arg)
{
	struct m_svc *s = arg;
	struct m_dest *d = svc_find_dest(s, &be->ap);

	if (!d)
		return 0;
	d->has_mg = true;
	d->mg = *be;
	return 0;
}

static int mg_be_many_cb(size_t idx, const struct mg_be_state *be, void *arg)
{
	struct m_svc **svcs = arg;

	return mg_be_cb(be, svcs[idx]);
}

static int load_maglev(struct nl *nl, struct model *m, unsigned int what, struct nl_err *e)
{
	const struct svc_id **ids = NULL;
	struct m_svc **svcs = NULL;
	size_t i, n = 0;
	int *errs = NULL, err;

	for (i = 0; i < m->n && !(svc_conf_is_maglev(&m->svcs[i].c) && m->svcs[i].loaded); i++)
		;
	if (i == m->n)
		return 0;	/* no maglev service: do not load the module */
	err = kmaglev_dump_svcs(nl, mg_svc_cb, m, e);
	if (err)
		return err;
	if (!(what & LOAD_DESTS))
		return 0;
	svcs = calloc(m->n, sizeof(*svcs));
	ids = calloc(m->n, sizeof(*ids));
	errs = calloc(m->n, sizeof(*errs));
	err = -ENOMEM;
	if (!svcs || !ids || !errs)
		goto out;
	for (i = 0; i < m->n; i++) {
		if (!m->svcs[i].has_mg || !m->svcs[i].loaded)
			continue;
		svcs[n] = &m->svcs[i];
		ids[n++] = &m->svcs[i].id;
	}
	err = kmaglev_dump_backends_many(nl, ids, n, mg_be_many_cb, svcs, errs, e);
	for (i = 0; !err && i < n; i++)
		if (errs[i] != -ENOENT)	/* the service left meanwhile */
			err = errs[i];
out:
	free(svcs);
	free(ids);
	free(errs);
	return err;
}

/* Backends and maglev state (@what) of the services marked loaded. */
static int load_details(struct nl *nl, struct model *m, unsigned int what, struct nl_err *e)
{
	struct m_svc **svcs;
	size_t i, n = 0;
	int err;

	if (what & LOAD_DESTS) {
		svcs = calloc(m->n ? m->n : 1, sizeof(*svcs));
		if (!svcs)
			return -ENOMEM;
		for (i = 0; i < m->n; i++)
			if (m->svcs[i].loaded)
				svcs[n++] = &m->svcs[i];
		err = load_dests_many(nl, svcs, n, what & LOAD_NO_STATS, e);
		free(svcs);
		if (err)
			return err;
	}
	return (what & LOAD_MAGLEV) ? load_maglev(nl, m, what, e) : 0;
}

static int load_some_once(struct nl *nl, struct model *m, unsigned int what,
			  bool (*want)(const struct m_svc *s, void *arg), void *arg,
			  struct nl_err *e)
{
	struct load_ctx l = { .m = m };
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, true, e);
	size_t i;
	int err;

	if (!msg)
		return -errno;
	err = nlc_send(nl, msg, svc_cb, &l, e);
	if (err)
		return err;
	for (i = 0; i < m->n; i++)
		m->svcs[i].loaded = !want || want(&m->svcs[i], arg);
	return load_details(nl, m, what, e);
}

static int svc_many_cb(size_t idx, struct nlattr **tb, void *arg)
{
	struct load_ctx *l = arg;

	(void)idx;
	return svc_cb(tb, l);
}

/* one service's GET on the main socket, into @l's model */
static int load_one_svc(struct nl *nl, struct load_ctx *l, const struct svc_id *id,
			struct nl_err *e)
{
	struct nl_msg *msg = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, false, e);

	if (!msg)
		return -errno;
	if (kipvs_put_svc(msg, id, NULL)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return nlc_send(nl, msg, svc_cb, l, e);
}

static int load_named_once(struct nl *nl, struct model *m, unsigned int what,
			   const struct model *names, struct nl_err *e)
{
	struct load_ctx l = { .m = m };
	struct nl_msg **reqs;
	size_t i, j;
	int *errs, err = -ENOMEM;

	if (!names->n)
		return 0;
	reqs = calloc(names->n, sizeof(*reqs));
	errs = calloc(names->n, sizeof(*errs));
	if (!reqs || !errs)
		goto out;
	for (i = 0; i < names->n; i++) {
		reqs[i] = nlc_req(nl, FAM_IPVS, IPVS_CMD_GET_SERVICE, false, e);
		if (!reqs[i] || kipvs_put_svc(reqs[i], &names->svcs[i].id, NULL)) {
			err = reqs[i] ? -EMSGSIZE : -errno;
			for (j = 0; j <= i; j++)
				nlmsg_free(reqs[j]);
			goto out;
		}
	}
	err = nlc_send_many(nl, reqs, names->n, svc_many_cb, &l, errs, e);
	for (i = 0; !err && i < names->n; i++)
		if (errs[i] && errs[i] != -ESRCH && errs[i] != -ENOENT)
			err = errs[i];
	if (err && err != -ENOMEM) {
		/* start again, the slow way, as load_dests_many() does: one
		 * request at a time on the main socket
		 */
		model_free(m);
		model_init(m);
		for (i = 0, err = 0; !err && i < names->n; i++) {
			err = load_one_svc(nl, &l, &names->svcs[i].id, e);
			if (err == -ESRCH || err == -ENOENT)
				err = 0;
		}
	}
	if (err)
		goto out;
	for (i = 0; i < m->n; i++)
		m->svcs[i].loaded = true;
	err = load_details(nl, m, what, e);
out:
	free(reqs);
	free(errs);
	return err;
}

static int load_one_once(struct nl *nl, struct model *m, const struct svc_id *id,
			 unsigned int what, struct nl_err *e)
{
	struct load_ctx l = { .m = m };
	struct m_svc *s;
	int err;

	err = load_one_svc(nl, &l, id, e);
	if (err == -ESRCH)
		err = -ENOENT;
	if (err)
		return err;
	s = model_find(m, id);
	if (!s)
		return -ENOENT;
	s->loaded = true;
	if (what & LOAD_DESTS) {
		err = load_dests(nl, s, what & LOAD_NO_STATS, e);
		if (err)
			return err;
	}
	if ((what & LOAD_MAGLEV) && svc_conf_is_maglev(&s->c)) {
		struct mg_svc_state st;

		err = kmaglev_get_svc(nl, id, &st, e);
		if (err)
			return err;
		mg_svc_cb(&st, m);
		s = model_find(m, id);
		if (what & LOAD_DESTS) {
			err = kmaglev_dump_backends(nl, id, mg_be_cb, s, e);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * A dump interrupted by a concurrent change (-EAGAIN from nl.c: the maglev
 * module marks its dumps so when its generation moved) may have skipped
 * or repeated entries: the whole state is read again, from an empty
 * model, a few times at most. Every caller passes an empty model.
 */
#define LOAD_TRIES 5

#define LOAD_AGAIN(m, call)						\
	({								\
		int __err, __try = 0;					\
		while ((__err = (call)) == -EAGAIN && ++__try < LOAD_TRIES) { \
			model_free(m);					\
			model_init(m);					\
		}							\
		__err;							\
	})

int kipvs_load_some(struct nl *nl, struct model *m, unsigned int what,
		    bool (*want)(const struct m_svc *s, void *arg), void *arg, struct nl_err *e)
{
	nlc_err_clear(e);
	return LOAD_AGAIN(m, load_some_once(nl, m, what, want, arg, e));
}

int kipvs_load_named(struct nl *nl, struct model *m, unsigned int what,
		     const struct model *names, struct nl_err *e)
{
	/* emptied here: with no name, or no memory, no request is made */
	nlc_err_clear(e);
	return LOAD_AGAIN(m, load_named_once(nl, m, what, names, e));
}

int kipvs_load(struct nl *nl, struct model *m, unsigned int what, struct nl_err *e)
{
	return kipvs_load_some(nl, m, what, NULL, NULL, e);
}

int kipvs_load_one(struct nl *nl, struct model *m, const struct svc_id *id,
		   unsigned int what, struct nl_err *e)
{
	nlc_err_clear(e);
	return LOAD_AGAIN(m, load_one_once(nl, m, id, what, e));
}
