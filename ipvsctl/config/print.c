// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: an op printed as one line of the grammar (what save writes).
 */
#include <arpa/inet.h>
#include <stdio.h>

#include <linux/ip_vs_maglev.h>

#include "config/grammar.h"
#include "model/addr.h"

static void print_ss(FILE *f, const struct svc_conf *c)
{
	char buf[32];

	if (c->set & SC_SS_WINDOW) {
		if (c->ss_window_ms) {
			fmt_duration_ms(c->ss_window_ms, buf, sizeof(buf));
			fprintf(f, " slow-start %s", buf);
		} else {
			fprintf(f, " slow-start off");
		}
	}
	if (c->set & SC_SS_AGGR) {
		fmt_milli(c->ss_aggr, buf, sizeof(buf));
		fprintf(f, " slow-start-aggression %s", buf);
	}
	if (c->set & SC_SS_MIN)
		fprintf(f, " slow-start-min-pct %u", c->ss_min_pct);
	if (c->set & SC_PIN)
		fprintf(f, " pin %s", mg_pin_name(c->pin));
	if (c->set & SC_PIN_MAX)
		fprintf(f, " pin-max %u", c->pin_max);
}

static void print_svc(FILE *f, const struct op *op, const char *svc)
{
	const struct svc_conf *c = &op->sc;
	char buf[64];

	fprintf(f, "service %s %s", op->kind == OP_SVC_ADD ? "add" : "edit", svc);
	if (c->set & SC_SCHED)
		fprintf(f, " scheduler %s", c->sched);
	if ((c->set & SC_FLAGS) && (c->flags & SCHED_FLAGS)) {
		fmt_sched_flags(c->flags, buf, sizeof(buf));
		fprintf(f, " flags %s", buf);
	}
	if ((c->set & SC_PERSIST) && c->timeout) {
		fprintf(f, " persistent %u", c->timeout);
		fmt_netmask(op->svc.af, c->netmask, buf, sizeof(buf));
		fprintf(f, " netmask %s", buf);
	}
	if ((c->set & SC_OPS) && (c->flags & IP_VS_SVC_F_ONEPACKET))
		fprintf(f, " ops on");
	if ((c->set & SC_PE) && c->pe[0])
		fprintf(f, " pe %s", c->pe);
	if ((c->set & SC_MG_TABLE_SIZE) && c->mg_table_size)
		fprintf(f, " table-size %u", c->mg_table_size);
	if ((c->set & SC_MG_HASH) && c->mg_hash != IPVS_MAGLEV_HASH_AUTO)
		fprintf(f, " hash %s", mg_hash_name(c->mg_hash));
	print_ss(f, c);
}

static void print_dest(FILE *f, const struct op *op, const char *svc)
{
	const struct dest_conf *d = &op->dc;
	char be[64];

	fmt_addr_port(op->dest.af, op->dest.addr, op->dest.port, be, sizeof(be));
	if (op->kind == OP_DEST_DEL) {
		fprintf(f, "backend del %s %s", svc, be);
		return;
	}
	fprintf(f, "backend %s %s %s", op->kind == OP_DEST_ADD ? "add" : "edit", svc, be);
	if (d->set & DC_FWD)
		fprintf(f, " method %s", fwd_name(d->fwd));
	if (d->set & DC_WEIGHT)
		fprintf(f, " weight %u", d->weight);
	if ((d->set & DC_UTHRESH) && d->u_thresh)
		fprintf(f, " upper %u", d->u_thresh);
	if ((d->set & DC_LTHRESH) && d->l_thresh)
		fprintf(f, " lower %u", d->l_thresh);
	if (d->fwd == FWD_TUN && (d->set & DC_TUN_TYPE) &&
	    d->tun_type != IP_VS_CONN_F_TUNNEL_TYPE_IPIP) {
		fprintf(f, " tun-type %s", d->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE ? "gue" : "gre");
		if (d->tun_port)
			fprintf(f, " tun-port %u", d->tun_port);
		if (d->tun_flags)
			fprintf(f, " tun-csum %s", d->tun_flags & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM ?
				"remcsum" : "csum");
	}
}

static void print_timeout(FILE *f, const struct op *op)
{
	fprintf(f, "timeout set");
	if (op->to.tcp)
		fprintf(f, " tcp %u", op->to.tcp);
	if (op->to.tcp_fin)
		fprintf(f, " tcpfin %u", op->to.tcp_fin);
	if (op->to.udp)
		fprintf(f, " udp %u", op->to.udp);
}

static void print_sync(FILE *f, const struct op *op)
{
	char buf[64];

	fprintf(f, "sync %s %s", op->kind == OP_SYNC_START ? "start" : "stop",
		op->dm.state == IP_VS_STATE_MASTER ? "master" : "backup");
	if (op->kind != OP_SYNC_START)
		return;
	fprintf(f, " ifname %s syncid %u", op->dm.ifname, op->dm.syncid);
	if (op->dm.maxlen)
		fprintf(f, " maxlen %u", op->dm.maxlen);
	if (op->dm.group_af) {
		inet_ntop(op->dm.group_af, op->dm.group, buf, sizeof(buf));
		fprintf(f, " group %s", buf);
	}
	if (op->dm.port)
		fprintf(f, " port %u", op->dm.port);
	if (op->dm.ttl)
		fprintf(f, " ttl %u", op->dm.ttl);
}

/* " WORD" and @text quoted, if @text is set */
static void print_word_text(FILE *f, const char *word, const char *text)
{
	if (!text[0])
		return;
	fprintf(f, " %s ", word);
	print_quoted(f, text);
}

static void print_health(FILE *f, const struct health_spec *h, const char *svc)
{
	char buf[64];

	fprintf(f, "health %s type %s", svc, hc_type_name(h->type));
	if (h->port)
		fprintf(f, " port %u", h->port);
	if (h->addr_af) {
		inet_ntop(h->addr_af, h->addr, buf, sizeof(buf));
		fprintf(f, " address %s", buf);
	} else if (h->addr_name[0]) {
		fprintf(f, " address %s", h->addr_name);
	}
	if (h->type == HC_HTTP || h->type == HC_HTTPS) {
		fprintf(f, " path ");
		print_quoted(f, h->path);
		print_word_text(f, "host", h->host);
		fprintf(f, " status %u-%u", h->status_lo, h->status_hi);
	}
	print_word_text(f, "expect", h->expect);
	if (h->type == HC_UDP) {
		fprintf(f, " send ");
		print_quoted(f, h->send);
	}
	if (h->type == HC_EXEC) {
		fprintf(f, " command ");
		print_quoted(f, h->command);
	}
	fmt_duration_ms(h->interval_ms, buf, sizeof(buf));
	fprintf(f, " interval %s", buf);
	fmt_duration_ms(h->timeout_ms, buf, sizeof(buf));
	fprintf(f, " timeout %s rise %u fall %u initial %s jitter %u on-fail %s", buf,
		h->rise, h->fall, h->initial_up ? "up" : "down", h->jitter_pct,
		hc_fail_name(h->on_fail));
	if (h->tls_verify)
		fprintf(f, " tls-verify on");
}

static void print_mg_set(FILE *f, const struct op *op, const char *svc)
{
	const struct svc_conf *c = &op->sc;

	fprintf(f, "maglev set %s", svc);
	if (c->set & SC_MG_TABLE_SIZE) {
		if (c->mg_table_size)
			fprintf(f, " table-size %u", c->mg_table_size);
		else
			fprintf(f, " table-size default");
	}
	if (c->set & SC_MG_HASH)
		fprintf(f, " hash %s", mg_hash_name(c->mg_hash));
	print_ss(f, c);
}

void grammar_print(FILE *f, const struct op *op)
{
	char svc[96];

	fmt_svc(&op->svc, svc, sizeof(svc));
	switch (op->kind) {
	case OP_SVC_ADD:
	case OP_SVC_EDIT:
		print_svc(f, op, svc);
		break;
	case OP_SVC_DEL:
		fprintf(f, "service del %s", svc);
		break;
	case OP_FLUSH:
		fprintf(f, "flush");
		break;
	case OP_DEST_ADD:
	case OP_DEST_EDIT:
	case OP_DEST_DEL:
		print_dest(f, op, svc);
		break;
	case OP_ZERO:
		fprintf(f, op->all ? "zero" : "zero %s", svc);
		break;
	case OP_TIMEOUT:
		print_timeout(f, op);
		break;
	case OP_SYNC_START:
	case OP_SYNC_STOP:
		print_sync(f, op);
		break;
	case OP_HEALTH:
		print_health(f, op->hc, svc);
		break;
	case OP_MG_SET:
		print_mg_set(f, op, svc);
		break;
	case OP_MG_BE:
		/* an undo step, printed only in messages; no grammar reads it */
		fprintf(f, "maglev backend-state %s", svc);
		break;
	}
	fputc('\n', f);
}
