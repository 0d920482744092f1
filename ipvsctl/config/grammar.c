// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the grammar (see grammar.h and ipvsctl.conf(5)).
 *
 *   service add|edit SERVICE [scheduler NAME] [flags F,...|none]
 *                    [persistent SECONDS|off] [netmask MASK] [ops on|off]
 *                    [pe NAME|none] [table-size N|default]
 *                    [hash auto|5tuple|src|srcport]
 *   service del SERVICE
 *   flush                                   (also: service flush)
 *   backend add|edit SERVICE BACKEND [weight N] [method nat|dr|tun]
 *                    [tun-type ipip|gue|gre] [tun-port N]
 *                    [tun-csum none|csum|remcsum] [upper N] [lower N]
 *   backend del SERVICE BACKEND
 *   zero [SERVICE]
 *   timeout set [tcp S] [tcpfin S] [udp S]
 *   sync start master|backup [ifname IF] [syncid N] [maxlen N]
 *                    [group ADDR] [port N] [ttl N]
 *   sync stop master|backup
 *   maglev set SERVICE [table-size N|default] [hash auto|5tuple|src|srcport] ...
 *   health SERVICE [type tcp|http|https|tls|udp|exec] [port N] [address A]
 *                    [path P] [host H] [status LO-HI] [expect S] [send S]
 *                    [command C] [interval D] [timeout D] [rise N] [fall N]
 *                    [initial up|down] [jitter PCT] [on-fail quiesce|down|remove]
 *                    [tls-verify on|off]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "model/addr.h"

/* ---- ipvsctl's own words ------------------------------------------------ */

static int svc_options(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct svc_conf *c = &op->sc;
	uint32_t v;
	int i, err;

	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(k, "ops")) {
			c->set |= SC_OPS;
			c->flags |= IP_VS_SVC_F_ONEPACKET;
			if (val && (!strcmp(val, "on") || !strcmp(val, "off"))) {
				if (!strcmp(val, "off"))
					c->flags &= ~IP_VS_SVC_F_ONEPACKET;
				i++;
			}
			continue;
		}
		if (!val)
			WHY("'%s' needs a value", k);
		i++;
		if (!strcmp(k, "scheduler") || !strcmp(k, "sched")) {
			if (!*val || strlen(val) >= SCHED_MAX)
				WHY("scheduler name '%s': 1 to %d characters", val, SCHED_MAX - 1);
			snprintf(c->sched, sizeof(c->sched), "%s", val);
			c->set |= SC_SCHED;
		} else if (!strcmp(k, "flags")) {
			err = parse_sched_flags(val, &v);
			if (err == -ENAMETOOLONG)
				WHY("flags '%.40s...': too long, at most 127 characters", val);
			if (err)
				WHY("flags '%s': a comma list of flag-1, flag-2, flag-3 (or sh-port, sh-fallback, mh-port, mh-fallback), or none", val);
			c->flags = (c->flags & ~SCHED_FLAGS) | v;
			c->set |= SC_FLAGS;
		} else if (!strcmp(k, "persistent")) {
			if (!strcmp(val, "off"))
				v = 0;
			else if (parse_u32(val, 1, 31 * 24 * 3600, &v))
				WHY("persistent '%s': seconds from 1 to 2678400, or off", val);
			c->timeout = v;
			c->set |= SC_PERSIST;
		} else if (!strcmp(k, "netmask")) {
			if (parse_netmask(op->svc.af, val, &c->netmask))
				WHY(op->svc.af == AF_INET6 ? "netmask '%s': an IPv6 prefix length from 1 to 128" :
				    "netmask '%s': a dotted mask like 255.255.255.0, or a prefix length from 1 to 32", val);
			c->set |= SC_NETMASK;
		} else if (!strcmp(k, "pe")) {
			if (strlen(val) >= PE_MAX)
				WHY("persistence engine name '%s' is too long", val);
			snprintf(c->pe, sizeof(c->pe), "%s", strcmp(val, "none") ? val : "");
			c->set |= SC_PE;
		} else if (!strcmp(k, "table-size")) {
			if (!strcmp(val, "default"))
				v = 0;
			else if (parse_u32(val, 251, 1048573, &v))
				WHY("table-size '%s': a prime from 251 to 1048573, or default", val);
			c->mg_table_size = v;
			c->set |= SC_MG_TABLE_SIZE;
		} else if (!strcmp(k, "hash")) {
			if (mg_hash_parse(val, &c->mg_hash))
				WHY("hash '%s': auto, 5tuple or src", val);
			c->set |= SC_MG_HASH;
		} else if (!strcmp(k, "slow-start")) {
			if (!strcmp(val, "off"))
				v = 0;
			else if (parse_duration_ms(val, 3600000, &v))
				WHY("slow-start '%s': " DURATION_HINT ", up to 1h, or off", val);
			c->ss_window_ms = v;
			c->set |= SC_SS_WINDOW;
		} else if (!strcmp(k, "slow-start-aggression")) {
			if (parse_milli(val, 100, 10000, &c->ss_aggr))
				WHY("slow-start-aggression '%s': from 0.1 to 10 (1: linear)", val);
			c->set |= SC_SS_AGGR;
		} else if (!strcmp(k, "pin")) {
			if (mg_pin_parse(val, &c->pin))
				WHY("pin '%s': on, off or auto (auto: on with flag-2)", val);
			c->set |= SC_PIN;
		} else if (!strcmp(k, "pin-max")) {
			if (parse_u32(val, 0, 1u << 24, &c->pin_max))
				WHY("pin-max '%s': flows this service may pin, 0 (only the namespace's cap) to 16777216", val);
			c->set |= SC_PIN_MAX;
		} else if (!strcmp(k, "slow-start-min-pct")) {
			if (parse_u32(val, 0, 100, &c->ss_min_pct))
				WHY("slow-start-min-pct '%s': a percent of the weight, 0 to 100", val);
			c->set |= SC_SS_MIN;
		} else {
			WHY("unknown service option '%s'", k);
		}
	}
	return 0;
}

static int dest_options(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct dest_conf *c = &op->dc;
	uint32_t v;
	int i;

	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			WHY("'%s' needs a value", k);
		i++;
		if (!strcmp(k, "weight")) {
			if (parse_u32(val, 0, 2147483647, &c->weight))
				WHY("weight '%s': a number from 0 to 2147483647", val);
			c->set |= DC_WEIGHT;
		} else if (!strcmp(k, "method")) {
			if (!strcmp(val, "nat") || !strcmp(val, "masq"))
				c->fwd = FWD_NAT;
			else if (!strcmp(val, "dr") || !strcmp(val, "route"))
				c->fwd = FWD_DR;
			else if (!strcmp(val, "tun") || !strcmp(val, "ipip"))
				c->fwd = FWD_TUN;
			else
				WHY("method '%s': nat, dr or tun", val);
			c->set |= DC_FWD;
		} else if (!strcmp(k, "tun-type")) {
			if (parse_tun_type(val, &c->tun_type))
				WHY("tun-type '%s': ipip, gue or gre", val);
			c->set |= DC_TUN_TYPE;
		} else if (!strcmp(k, "tun-port")) {
			if (parse_u32(val, 1, 65535, &v))
				WHY("tun-port '%s': a port from 1 to 65535", val);
			c->tun_port = (uint16_t)v;
			c->set |= DC_TUN_PORT;
		} else if (!strcmp(k, "tun-csum")) {
			if (!strcmp(val, "none"))
				c->tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
			else if (!strcmp(val, "csum"))
				c->tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
			else if (!strcmp(val, "remcsum"))
				c->tun_flags = IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM;
			else
				WHY("tun-csum '%s': none, csum or remcsum", val);
			c->set |= DC_TUN_FLAGS;
		} else if (!strcmp(k, "upper")) {
			if (parse_u32(val, 0, 2147483647, &c->u_thresh))
				WHY("upper '%s': a connection count, 0 for none", val);
			c->set |= DC_UTHRESH;
		} else if (!strcmp(k, "lower")) {
			if (parse_u32(val, 0, 2147483647, &c->l_thresh))
				WHY("lower '%s': a connection count, 0 for the default", val);
			c->set |= DC_LTHRESH;
		} else {
			WHY("unknown backend option '%s'", k);
		}
	}
	if ((c->set & (DC_TUN_TYPE | DC_TUN_PORT | DC_TUN_FLAGS)) &&
	    (c->set & DC_FWD) && c->fwd != FWD_TUN)
		WHY("tun-type, tun-port and tun-csum only go with method tun");
	if ((c->set & DC_TUN_TYPE) && c->tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE &&
	    !(c->set & DC_TUN_PORT) && op->kind == OP_DEST_ADD)
		WHY("tun-type gue needs a tun-port");
	if ((c->set & DC_TUN_FLAGS) && c->tun_flags &&
	    !((c->set & DC_TUN_TYPE) && c->tun_type != IP_VS_CONN_F_TUNNEL_TYPE_IPIP) &&
	    op->kind == OP_DEST_ADD)
		WHY("tun-csum applies to the gue and gre tunnel types");
	return 0;
}

int parse_backend_word(const char *s, struct op *op, char *why, size_t whylen)
{
	/* a backend may be of the other family (IPVS's mixed families, TUN) */
	if (parse_addr_port(s, 0, &op->dest, false, why, whylen))
		return -EINVAL;
	op->dest_port_given = strchr(s, ']') ? strstr(s, "]:") != NULL :
			      (strchr(s, ':') && !strchr(strchr(s, ':') + 1, ':'));
	return 0;
}

static int daemon_words(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct daemon_conf *d = &op->dm;
	struct addr_port ap;
	uint32_t v;
	int i;

	if (argc < 1 || (strcmp(argv[0], "master") && strcmp(argv[0], "backup")))
		WHY("sync %s: master or backup", op->kind == OP_SYNC_START ? "start" : "stop");
	d->state = !strcmp(argv[0], "master") ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP;
	if (op->kind == OP_SYNC_STOP) {
		if (argc > 1)
			WHY("sync stop takes only master or backup");
		return 0;
	}
	snprintf(d->ifname, sizeof(d->ifname), "eth0");
	for (i = 1; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			WHY("'%s' needs a value", k);
		if (!strcmp(k, "ifname")) {
			if (!*val || strlen(val) >= sizeof(d->ifname))
				WHY("ifname '%s': an interface name", val);
			snprintf(d->ifname, sizeof(d->ifname), "%s", val);
		} else if (!strcmp(k, "syncid")) {
			if (parse_u32(val, 0, 255, &d->syncid))
				WHY("syncid '%s': a number from 0 to 255", val);
		} else if (!strcmp(k, "maxlen")) {
			if (parse_u32(val, 1, 65507, &v))
				WHY("maxlen '%s': a UDP payload size", val);
			d->maxlen = (uint16_t)v;
		} else if (!strcmp(k, "group")) {
			if (parse_addr_port(val, 0, &ap, false, why, whylen))
				return -EINVAL;
			d->group_af = ap.af;
			memcpy(d->group, ap.addr, 16);
		} else if (!strcmp(k, "port")) {
			if (parse_u32(val, 1, 65535, &v))
				WHY("port '%s': a port from 1 to 65535", val);
			d->port = (uint16_t)v;
		} else if (!strcmp(k, "ttl")) {
			if (parse_u32(val, 1, 255, &v))
				WHY("ttl '%s': from 1 to 255", val);
			d->ttl = (uint8_t)v;
		} else {
			WHY("unknown sync option '%s'", k);
		}
	}
	return 0;
}

void op_release(struct op *op)
{
	free(op->hc);
	op->hc = NULL;
}

void ops_free(struct op *ops, size_t n)
{
	size_t i;

	for (i = 0; ops && i < n; i++)
		op_release(&ops[i]);
	free(ops);
}

/* "add", "edit", "del" (or "delete") as @add, @edit, @del; -1 if none */
static int verb_kind(const char *verb, enum op_kind add, enum op_kind edit, enum op_kind del)
{
	if (!strcmp(verb, "add"))
		return add;
	if (!strcmp(verb, "edit"))
		return edit;
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return del;
	return -1;
}

/* service add|edit|del SERVICE [options] */
static int parse_service(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	const char *verb = argc > 1 ? argv[1] : "";
	int kind = verb_kind(verb, OP_SVC_ADD, OP_SVC_EDIT, OP_SVC_DEL);

	if (kind < 0)
		WHY("service '%s': add, edit, del or flush", verb);
	op->kind = (enum op_kind)kind;
	if (argc < 3)
		WHY("service %s: SERVICE required", verb);
	if (parse_svc(argv[2], &op->svc, why, whylen))
		return -EINVAL;
	if (op->kind == OP_SVC_DEL) {
		if (argc > 3)
			WHY("service del takes only SERVICE");
		return 0;
	}
	if (op->kind == OP_SVC_EDIT && argc == 3)
		WHY("service edit: nothing to change");
	return svc_options(argc - 3, argv + 3, op, why, whylen);
}

/* backend add|edit|del SERVICE BACKEND [options] */
static int parse_backend(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	const char *verb = argc > 1 ? argv[1] : "";
	int kind = verb_kind(verb, OP_DEST_ADD, OP_DEST_EDIT, OP_DEST_DEL);

	if (kind < 0)
		WHY("backend '%s': add, edit or del", verb);
	op->kind = (enum op_kind)kind;
	if (argc < 4)
		WHY("backend %s: SERVICE and BACKEND required", verb);
	if (parse_svc(argv[2], &op->svc, why, whylen) ||
	    parse_backend_word(argv[3], op, why, whylen))
		return -EINVAL;
	if (op->kind == OP_DEST_DEL) {
		if (argc > 4)
			WHY("backend del takes only SERVICE and BACKEND");
		return 0;
	}
	if (op->kind == OP_DEST_EDIT && argc == 4)
		WHY("backend edit: nothing to change");
	return dest_options(argc - 4, argv + 4, op, why, whylen);
}

/* zero [SERVICE] */
static int parse_zero(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	op->kind = OP_ZERO;
	if (argc == 1) {
		op->all = true;
		return 0;
	}
	if (argc > 2)
		WHY("zero takes at most one SERVICE");
	return parse_svc(argv[1], &op->svc, why, whylen);
}

/* timeout set [tcp S] [tcpfin S] [udp S] */
static int parse_timeout(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	uint32_t v;
	int i;

	if (argc < 2 || strcmp(argv[1], "set"))
		WHY("timeout: 'set' changes timeouts ('timeout show' lists them)");
	op->kind = OP_TIMEOUT;
	if (argc < 4)
		WHY("timeout set: give tcp, tcpfin and/or udp with seconds");
	for (i = 2; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val || parse_u32(val, 1, 31 * 24 * 3600, &v))
			WHY("timeout %s: seconds from 1 to 2678400", k);
		if (!strcmp(k, "tcp"))
			op->to.tcp = v;
		else if (!strcmp(k, "tcpfin"))
			op->to.tcp_fin = v;
		else if (!strcmp(k, "udp"))
			op->to.udp = v;
		else
			WHY("timeout '%s': tcp, tcpfin or udp", k);
	}
	return 0;
}

/* sync start|stop master|backup [options] */
static int parse_sync(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (!strcmp(verb, "start"))
		op->kind = OP_SYNC_START;
	else if (!strcmp(verb, "stop"))
		op->kind = OP_SYNC_STOP;
	else
		WHY("sync '%s': start or stop ('sync show' lists daemons)", verb);
	return daemon_words(argc - 2, argv + 2, op, why, whylen);
}

/* health SERVICE [words] */
static int parse_health(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	op->kind = OP_HEALTH;
	if (argc < 2)
		WHY("health: SERVICE required");
	if (parse_svc(argv[1], &op->svc, why, whylen))
		return -EINVAL;
	if (health_words(argc - 2, argv + 2, op, why, whylen)) {
		op_release(op);
		return -EINVAL;
	}
	return 0;
}

/* maglev set SERVICE [maglev parameters] */
static int parse_maglev(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (strcmp(verb, "set"))
		WHY("maglev '%s': only 'maglev set' is a change", verb);
	op->kind = OP_MG_SET;
	if (argc < 4)
		WHY("maglev set: SERVICE and parameters required");
	if (parse_svc(argv[2], &op->svc, why, whylen))
		return -EINVAL;
	if (svc_options(argc - 3, argv + 3, op, why, whylen))
		return -EINVAL;
	if (op->sc.set & ~SC_MG_ALL)
		WHY("maglev set: only table-size, hash, slow-start, slow-start-aggression, slow-start-min-pct, pin, pin-max");
	return 0;
}

int grammar_parse(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	static const struct {
		const char *word;
		int (*parse)(int argc, char **argv, struct op *op, char *why, size_t whylen);
	} objs[] = {
		{ "service", parse_service }, { "backend", parse_backend },
		{ "zero", parse_zero }, { "timeout", parse_timeout }, { "sync", parse_sync },
		{ "health", parse_health }, { "maglev", parse_maglev },
	};
	const char *obj, *verb;
	size_t i;

	memset(op, 0, sizeof(*op));
	why[0] = 0;
	if (argc < 1)
		WHY("empty command");
	obj = argv[0];
	verb = argc > 1 ? argv[1] : "";
	if (!strcmp(obj, "flush") || (!strcmp(obj, "service") && !strcmp(verb, "flush"))) {
		if (argc != (!strcmp(obj, "flush") ? 1 : 2))
			WHY("flush takes no arguments");
		op->kind = OP_FLUSH;
		return 0;
	}
	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		if (!strcmp(obj, objs[i].word))
			return objs[i].parse(argc, argv, op, why, whylen);
	WHY("unknown command '%s'", obj);
}
