// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: ipvsadm-save's lines ("-A -t 10.0.0.1:80 -s rr") as ops, for
 * restore and apply.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"
#include "model/addr.h"

/* What the words of one ipvsadm line said, before the family is known. */
struct ipa {
	bool v6, have_svc;
	int proto;			/* 0: a firewall mark */
	const char *svcword, *rs, *mask;
};

#define NOT_MINE (-ENOENT)

/* -A, -E, -D, -a, -e, -d, -C: the op's kind; 1 for -C (which takes nothing) */
static int ipvsadm_command(const char *w, struct op *op, char *why, size_t whylen)
{
	static const struct {
		const char *s, *l;
		enum op_kind kind;
	} cmds[] = {
		{ "-A", "--add-service", OP_SVC_ADD },
		{ "-E", "--edit-service", OP_SVC_EDIT },
		{ "-D", "--delete-service", OP_SVC_DEL },
		{ "-a", "--add-server", OP_DEST_ADD },
		{ "-e", "--edit-server", OP_DEST_EDIT },
		{ "-d", "--delete-server", OP_DEST_DEL },
		{ "-C", "--clear", OP_FLUSH },
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(w, cmds[i].s) || !strcmp(w, cmds[i].l)) {
			op->kind = cmds[i].kind;
			return op->kind == OP_FLUSH;
		}
	WHY("ipvsadm command '%s' cannot be restored (-A, -E, -D, -a, -e, -d, -C)", w);
}

/*
 * A service option @k (with @val, the next word, if any): 1 if it took
 * @val, 0 if not, NOT_MINE if @k is no service option, -EINVAL (@why).
 */
static int ipvsadm_svc_option(struct ipa *a, const char *k, const char *val, struct op *op,
			      char *why, size_t whylen)
{
	uint32_t v;
	int err;

	if (!strcmp(k, "-t") || !strcmp(k, "--tcp-service") ||
	    !strcmp(k, "-u") || !strcmp(k, "--udp-service") ||
	    !strcmp(k, "--sctp-service") || !strcmp(k, "-f") ||
	    !strcmp(k, "--fwmark-service")) {
		if (!val || a->have_svc)
			WHY("%s: one service address", k);
		a->proto = k[1] == 't' || !strcmp(k, "--tcp-service") ? IPPROTO_TCP :
			   k[1] == 'u' || !strcmp(k, "--udp-service") ? IPPROTO_UDP :
			   !strcmp(k, "--sctp-service") ? IPPROTO_SCTP : 0;
		a->svcword = val;
		a->have_svc = true;
		return 1;
	}
	if (!strcmp(k, "-6") || !strcmp(k, "--ipv6")) {
		a->v6 = true;
		return 0;
	}
	if (!strcmp(k, "-s") || !strcmp(k, "--scheduler")) {
		if (!val || strlen(val) >= SCHED_MAX)
			WHY("-s: a scheduler name");
		snprintf(op->sc.sched, sizeof(op->sc.sched), "%s", val);
		op->sc.set |= SC_SCHED;
		return 1;
	}
	if (!strcmp(k, "-b") || !strcmp(k, "--sched-flags")) {
		err = val ? parse_sched_flags(val, &v) : -EINVAL;
		if (err == -ENAMETOOLONG)
			WHY("-b '%.40s...': too long, at most 127 characters", val);
		if (err)
			WHY("-b '%s': flag-1, flag-2, flag-3, sh-port, sh-fallback, mh-port, mh-fallback", val ? val : "");
		op->sc.flags |= v;
		op->sc.set |= SC_FLAGS;
		return 1;
	}
	if (!strcmp(k, "-p") || !strcmp(k, "--persistent")) {
		/* the timeout is optional: ipvsadm's default (1.31) */
		bool took = val && val[0] != '-';

		v = 360;
		if (took && parse_u32(val, 1, 31 * 24 * 3600, &v))
			WHY("-p '%s': seconds", val);
		op->sc.timeout = v;
		op->sc.set |= SC_PERSIST;
		return took;
	}
	if (!strcmp(k, "-M") || !strcmp(k, "--netmask")) {
		if (!val)
			WHY("-M: a netmask");
		a->mask = val;	/* parsed once the family is known */
		op->sc.set |= SC_NETMASK;
		return 1;
	}
	if (!strcmp(k, "-o") || !strcmp(k, "--ops")) {
		op->sc.flags |= IP_VS_SVC_F_ONEPACKET;
		op->sc.set |= SC_OPS;
		return 0;
	}
	if (!strcmp(k, "--pe")) {
		if (!val || strlen(val) >= PE_MAX)
			WHY("--pe: an engine name");
		snprintf(op->sc.pe, sizeof(op->sc.pe), "%s", val);
		op->sc.set |= SC_PE;
		return 1;
	}
	return NOT_MINE;
}

/* a forwarding method's option: 0, or NOT_MINE */
static int ipvsadm_fwd_option(const char *k, struct op *op)
{
	if (!strcmp(k, "-g") || !strcmp(k, "--gatewaying"))
		op->dc.fwd = FWD_DR;
	else if (!strcmp(k, "-i") || !strcmp(k, "--ipip"))
		op->dc.fwd = FWD_TUN;
	else if (!strcmp(k, "-m") || !strcmp(k, "--masquerading"))
		op->dc.fwd = FWD_NAT;
	else
		return NOT_MINE;
	op->dc.set |= DC_FWD;
	return 0;
}

/* A real-server option: as ipvsadm_svc_option(). */
static int ipvsadm_dest_option(struct ipa *a, const char *k, const char *val, struct op *op,
			       char *why, size_t whylen)
{
	uint32_t v;

	if (!strcmp(k, "-r") || !strcmp(k, "--real-server")) {
		if (!val)
			WHY("-r: a real server address");
		a->rs = val;
		return 1;
	}
	if (!ipvsadm_fwd_option(k, op))
		return 0;
	if (!strcmp(k, "-w") || !strcmp(k, "--weight")) {
		if (!val || parse_u32(val, 0, 2147483647, &op->dc.weight))
			WHY("-w '%s': a weight", val ? val : "");
		op->dc.set |= DC_WEIGHT;
		return 1;
	}
	if (!strcmp(k, "-x") || !strcmp(k, "--u-threshold")) {
		if (!val || parse_u32(val, 0, 2147483647, &op->dc.u_thresh))
			WHY("-x '%s': a connection count", val ? val : "");
		op->dc.set |= DC_UTHRESH;
		return 1;
	}
	if (!strcmp(k, "-y") || !strcmp(k, "--l-threshold")) {
		if (!val || parse_u32(val, 0, 2147483647, &op->dc.l_thresh))
			WHY("-y '%s': a connection count", val ? val : "");
		op->dc.set |= DC_LTHRESH;
		return 1;
	}
	if (!strcmp(k, "--tun-type")) {
		if (!val || parse_tun_type(val, &op->dc.tun_type))
			WHY("--tun-type '%s': ipip, gue or gre", val ? val : "");
		op->dc.set |= DC_TUN_TYPE;
		return 1;
	}
	if (!strcmp(k, "--tun-port")) {
		if (!val || parse_u32(val, 1, 65535, &v))
			WHY("--tun-port '%s': a port", val ? val : "");
		op->dc.tun_port = (uint16_t)v;
		op->dc.set |= DC_TUN_PORT;
		return 1;
	}
	if (!strcmp(k, "--tun-nocsum") || !strcmp(k, "--tun-csum") ||
	    !strcmp(k, "--tun-remcsum")) {
		op->dc.tun_flags = !strcmp(k, "--tun-csum") ? IP_VS_TUNNEL_ENCAP_FLAG_CSUM :
				   !strcmp(k, "--tun-remcsum") ? IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM :
				   IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
		op->dc.set |= DC_TUN_FLAGS;
		return 0;
	}
	return NOT_MINE;
}

/* The service, netmask and real server, once every word is read. */
static int ipvsadm_finish(const struct ipa *a, struct op *op, char *why, size_t whylen)
{
	char svcbuf[128];

	if (!a->have_svc)
		WHY("no service (-t, -u, --sctp-service or -f)");
	if (a->proto) {
		/* refused, never cut: a cut port can be a valid one */
		if (snprintf(svcbuf, sizeof(svcbuf), "%s/%s", proto_name(a->proto), a->svcword) >=
		    (int)sizeof(svcbuf))
			WHY("'%.40s...': too long for a service address", a->svcword);
		if (parse_svc(svcbuf, &op->svc, why, whylen))
			return -EINVAL;
	} else {
		if (parse_fwmark(a->svcword, &op->svc.fwmark))
			WHY("-f '%s': " FWMARK_HINT, a->svcword);
		op->svc.af = a->v6 ? AF_INET6 : AF_INET;
	}
	if (a->mask && parse_netmask(op->svc.af, a->mask, &op->sc.netmask))
		WHY("-M '%s': a netmask", a->mask);
	if (op->kind >= OP_DEST_ADD) {
		if (!a->rs)
			WHY("no real server (-r)");
		if (parse_backend_word(a->rs, op, why, whylen))
			return -EINVAL;
		if (op->sc.set)
			WHY("service options on a real-server command");
	} else if (a->rs || op->dc.set) {
		WHY("real-server options on a service command");
	}
	return 0;
}

int grammar_parse_ipvsadm(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct ipa a = { 0 };
	int i, r;

	memset(op, 0, sizeof(*op));
	if (argc < 1)
		WHY("empty command");
	r = ipvsadm_command(argv[0], op, why, whylen);
	if (r < 0)
		return r;
	if (r)	/* -C */
		return argc == 1 ? 0 : (snprintf(why, whylen, "-C takes no options"), -EINVAL);
	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		r = ipvsadm_svc_option(&a, k, val, op, why, whylen);
		if (r == NOT_MINE)
			r = ipvsadm_dest_option(&a, k, val, op, why, whylen);
		if (r == NOT_MINE)
			WHY("ipvsadm option '%s' is not supported here", k);
		if (r < 0)
			return r;
		i += r;
	}
	return ipvsadm_finish(&a, op, why, whylen);
}
