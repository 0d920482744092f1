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

int grammar_parse_ipvsadm(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	bool v6 = false, have_svc = false, dest_cmd;
	const char *svcword = NULL, *rs = NULL, *mask = NULL;
	char svcbuf[128];
	int i, err, proto = 0;
	uint32_t v;

	memset(op, 0, sizeof(*op));
	if (argc < 1)
		WHY("empty command");
	if (!strcmp(argv[0], "-A") || !strcmp(argv[0], "--add-service"))
		op->kind = OP_SVC_ADD;
	else if (!strcmp(argv[0], "-E") || !strcmp(argv[0], "--edit-service"))
		op->kind = OP_SVC_EDIT;
	else if (!strcmp(argv[0], "-D") || !strcmp(argv[0], "--delete-service"))
		op->kind = OP_SVC_DEL;
	else if (!strcmp(argv[0], "-a") || !strcmp(argv[0], "--add-server"))
		op->kind = OP_DEST_ADD;
	else if (!strcmp(argv[0], "-e") || !strcmp(argv[0], "--edit-server"))
		op->kind = OP_DEST_EDIT;
	else if (!strcmp(argv[0], "-d") || !strcmp(argv[0], "--delete-server"))
		op->kind = OP_DEST_DEL;
	else if (!strcmp(argv[0], "-C") || !strcmp(argv[0], "--clear")) {
		op->kind = OP_FLUSH;
		return argc == 1 ? 0 : (snprintf(why, whylen, "-C takes no options"), -EINVAL);
	} else
		WHY("ipvsadm command '%s' cannot be restored (-A, -E, -D, -a, -e, -d, -C)", argv[0]);
	dest_cmd = op->kind >= OP_DEST_ADD;

	for (i = 1; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "-t") || !strcmp(k, "--tcp-service") ||
		    !strcmp(k, "-u") || !strcmp(k, "--udp-service") ||
		    !strcmp(k, "--sctp-service") || !strcmp(k, "-f") ||
		    !strcmp(k, "--fwmark-service")) {
			if (!val || have_svc)
				WHY("%s: one service address", k);
			proto = k[1] == 't' || !strcmp(k, "--tcp-service") ? IPPROTO_TCP :
				k[1] == 'u' || !strcmp(k, "--udp-service") ? IPPROTO_UDP :
				!strcmp(k, "--sctp-service") ? IPPROTO_SCTP : 0;
			svcword = val;
			have_svc = true;
			i++;
		} else if (!strcmp(k, "-6") || !strcmp(k, "--ipv6")) {
			v6 = true;
		} else if (!strcmp(k, "-s") || !strcmp(k, "--scheduler")) {
			if (!val || strlen(val) >= SCHED_MAX)
				WHY("-s: a scheduler name");
			snprintf(op->sc.sched, sizeof(op->sc.sched), "%s", val);
			op->sc.set |= SC_SCHED;
			i++;
		} else if (!strcmp(k, "-b") || !strcmp(k, "--sched-flags")) {
			err = val ? parse_sched_flags(val, &v) : -EINVAL;
			if (err == -ENAMETOOLONG)
				WHY("-b '%.40s...': too long, at most 127 characters", val);
			if (err)
				WHY("-b '%s': flag-1, flag-2, flag-3, sh-port, sh-fallback, mh-port, mh-fallback", val ? val : "");
			op->sc.flags |= v;
			op->sc.set |= SC_FLAGS;
			i++;
		} else if (!strcmp(k, "-p") || !strcmp(k, "--persistent")) {
			v = 360;	/* ipvsadm's default (1.31) */
			if (val && val[0] != '-') {
				if (parse_u32(val, 1, 31 * 24 * 3600, &v))
					WHY("-p '%s': seconds", val);
				i++;
			}
			op->sc.timeout = v;
			op->sc.set |= SC_PERSIST;
		} else if (!strcmp(k, "-M") || !strcmp(k, "--netmask")) {
			if (!val)
				WHY("-M: a netmask");
			mask = val;	/* parsed once the family is known */
			op->sc.set |= SC_NETMASK;
			i++;
		} else if (!strcmp(k, "-o") || !strcmp(k, "--ops")) {
			op->sc.flags |= IP_VS_SVC_F_ONEPACKET;
			op->sc.set |= SC_OPS;
		} else if (!strcmp(k, "--pe")) {
			if (!val || strlen(val) >= PE_MAX)
				WHY("--pe: an engine name");
			snprintf(op->sc.pe, sizeof(op->sc.pe), "%s", val);
			op->sc.set |= SC_PE;
			i++;
		} else if (!strcmp(k, "-r") || !strcmp(k, "--real-server")) {
			if (!val)
				WHY("-r: a real server address");
			rs = val;
			i++;
		} else if (!strcmp(k, "-g") || !strcmp(k, "--gatewaying")) {
			op->dc.fwd = FWD_DR;
			op->dc.set |= DC_FWD;
		} else if (!strcmp(k, "-i") || !strcmp(k, "--ipip")) {
			op->dc.fwd = FWD_TUN;
			op->dc.set |= DC_FWD;
		} else if (!strcmp(k, "-m") || !strcmp(k, "--masquerading")) {
			op->dc.fwd = FWD_NAT;
			op->dc.set |= DC_FWD;
		} else if (!strcmp(k, "-w") || !strcmp(k, "--weight")) {
			if (!val || parse_u32(val, 0, 2147483647, &op->dc.weight))
				WHY("-w '%s': a weight", val ? val : "");
			op->dc.set |= DC_WEIGHT;
			i++;
		} else if (!strcmp(k, "-x") || !strcmp(k, "--u-threshold")) {
			if (!val || parse_u32(val, 0, 2147483647, &op->dc.u_thresh))
				WHY("-x '%s': a connection count", val ? val : "");
			op->dc.set |= DC_UTHRESH;
			i++;
		} else if (!strcmp(k, "-y") || !strcmp(k, "--l-threshold")) {
			if (!val || parse_u32(val, 0, 2147483647, &op->dc.l_thresh))
				WHY("-y '%s': a connection count", val ? val : "");
			op->dc.set |= DC_LTHRESH;
			i++;
		} else if (!strcmp(k, "--tun-type")) {
			if (!val || parse_tun_type(val, &op->dc.tun_type))
				WHY("--tun-type '%s': ipip, gue or gre", val ? val : "");
			op->dc.set |= DC_TUN_TYPE;
			i++;
		} else if (!strcmp(k, "--tun-port")) {
			if (!val || parse_u32(val, 1, 65535, &v))
				WHY("--tun-port '%s': a port", val ? val : "");
			op->dc.tun_port = (uint16_t)v;
			op->dc.set |= DC_TUN_PORT;
			i++;
		} else if (!strcmp(k, "--tun-nocsum") || !strcmp(k, "--tun-csum") ||
			   !strcmp(k, "--tun-remcsum")) {
			op->dc.tun_flags = !strcmp(k, "--tun-csum") ? IP_VS_TUNNEL_ENCAP_FLAG_CSUM :
					   !strcmp(k, "--tun-remcsum") ? IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM :
					   IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
			op->dc.set |= DC_TUN_FLAGS;
		} else {
			WHY("ipvsadm option '%s' is not supported here", k);
		}
	}
	if (!have_svc)
		WHY("no service (-t, -u, --sctp-service or -f)");
	if (proto) {
		/* refused, never cut: a cut port can be a valid one */
		if (snprintf(svcbuf, sizeof(svcbuf), "%s/%s", proto_name(proto), svcword) >=
		    (int)sizeof(svcbuf))
			WHY("'%.40s...': too long for a service address", svcword);
		if (parse_svc(svcbuf, &op->svc, why, whylen))
			return -EINVAL;
	} else {
		if (parse_fwmark(svcword, &op->svc.fwmark))
			WHY("-f '%s': " FWMARK_HINT, svcword);
		op->svc.af = v6 ? AF_INET6 : AF_INET;
	}
	if (mask && parse_netmask(op->svc.af, mask, &op->sc.netmask))
		WHY("-M '%s': a netmask", mask);
	if (dest_cmd) {
		if (!rs)
			WHY("no real server (-r)");
		if (parse_backend_word(rs, op, why, whylen))
			return -EINVAL;
		if (op->sc.set)
			WHY("service options on a real-server command");
	} else if (rs || op->dc.set) {
		WHY("real-server options on a service command");
	}
	return 0;
}
