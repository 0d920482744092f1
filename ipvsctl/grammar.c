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
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "grammar.h"
#include "kmaglev.h"

#define WHY(...) do { snprintf(why, whylen, __VA_ARGS__); return -EINVAL; } while (0)

/*
 * Words are separated by blanks; "double quotes" make one word of what
 * they enclose, where \" and \\ stand for " and \. '#' outside quotes
 * starts a comment. The line is rewritten in place.
 */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int split_words(char *line, char **words, int max)
{
	char *p = line, *out;
	int n = 0;

	if (!strchr(line, '"')) {
		/* no quotes (nearly every line): words end in place */
		for (;;) {
			while (is_blank(*p))
				p++;
			if (!*p || *p == '#')
				return n;
			if (n == max)
				return -E2BIG;
			words[n++] = p;
			while (*p && !is_blank(*p))
				p++;
			if (!*p)
				return n;
			*p++ = 0;
		}
	}
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -E2BIG;
		words[n++] = out = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p != '"') {
				*out++ = *p++;
				continue;
			}
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*out++ = *p++;
			}
			if (*p != '"')
				return -EINVAL;	/* unterminated quote */
			p++;
		}
		if (*p)
			p++;
		*out = 0;
	}
	return n;
}

const char *fwd_name(uint32_t fwd)
{
	switch (fwd) {
	case FWD_NAT:	return "nat";
	case FWD_DR:	return "dr";
	case FWD_TUN:	return "tun";
	case FWD_LOCAL:	return "local";
	default:	return "?";
	}
}

static const struct {
	const char *name;
	uint32_t flag;
} sched_flags[] = {
	{ "flag-1", IP_VS_SVC_F_SCHED1 },
	{ "flag-2", IP_VS_SVC_F_SCHED2 },
	{ "flag-3", IP_VS_SVC_F_SCHED3 },
	/* ipvsadm's names for the same bits */
	{ "sh-fallback", IP_VS_SVC_F_SCHED1 },
	{ "sh-port", IP_VS_SVC_F_SCHED2 },
	{ "mh-fallback", IP_VS_SVC_F_SCHED1 },
	{ "mh-port", IP_VS_SVC_F_SCHED2 },
};

#define SCHED_FLAGS (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3)

void fmt_sched_flags(uint32_t flags, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < 3; i++)
		if (flags & sched_flags[i].flag)
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "",
					sched_flags[i].name);
	if (!off)
		snprintf(buf, len, "none");
}

static int parse_sched_flags(const char *s, uint32_t *flags)
{
	char buf[128], *tok, *save;
	size_t i;

	*flags = 0;
	if (!strcmp(s, "none"))
		return 0;
	/* refused, never cut: a cut list can be a valid one */
	if (strlen(s) >= sizeof(buf))
		return -ENAMETOOLONG;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(sched_flags) / sizeof(sched_flags[0]); i++)
			if (!strcmp(tok, sched_flags[i].name))
				break;
		if (i == sizeof(sched_flags) / sizeof(sched_flags[0]))
			return -EINVAL;
		*flags |= sched_flags[i].flag;
	}
	return 0;
}

void fmt_netmask(int af, uint32_t netmask, char *buf, size_t len)
{
	struct in_addr a;

	if (af == AF_INET6) {
		snprintf(buf, len, "%u", netmask);
		return;
	}
	a.s_addr = netmask;
	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

/* IPv4: dotted mask or prefix length; IPv6: prefix length 1..128 */
static int parse_netmask(int af, const char *s, uint32_t *mask)
{
	struct in_addr a;
	uint32_t plen, m;

	if (af == AF_INET6)
		return parse_u32(s, 1, 128, mask);
	if (inet_pton(AF_INET, s, &a) == 1) {
		m = ntohl(a.s_addr);
		if (m & (~m >> 1))	/* not contiguous */
			return -EINVAL;
		*mask = a.s_addr;
		return 0;
	}
	if (parse_u32(s, 1, 32, &plen))
		return -EINVAL;
	*mask = htonl(plen == 32 ? 0xffffffffU : ~(0xffffffffU >> plen));
	return 0;
}

static int parse_tun_type(const char *s, uint8_t *type)
{
	if (!strcmp(s, "ipip"))
		*type = IP_VS_CONN_F_TUNNEL_TYPE_IPIP;
	else if (!strcmp(s, "gue"))
		*type = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
	else if (!strcmp(s, "gre"))
		*type = IP_VS_CONN_F_TUNNEL_TYPE_GRE;
	else
		return -EINVAL;
	return 0;
}

/*
 * A duration in ms: a whole number and its unit, "500ms", "20s", "5m",
 * "1h". The unit is required: a bare "20" read as milliseconds where one
 * meant seconds is a slow start of 20 ms, or a health check 50 times too
 * often. 0 alone needs none.
 */
int parse_duration_ms(const char *s, uint32_t max_ms, uint32_t *ms)
{
	char num[32];
	size_t n = strspn(s, "0123456789");
	uint32_t v, mult;

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (!strcmp(s + n, "ms") || !s[n])
		mult = 1;
	else if (!strcmp(s + n, "s"))
		mult = 1000;
	else if (!strcmp(s + n, "m"))
		mult = 60000;
	else if (!strcmp(s + n, "h"))
		mult = 3600000;
	else
		return -EINVAL;
	if (parse_u32(num, 0, max_ms / mult, &v))
		return -ERANGE;
	if (!s[n] && v)
		return -EINVAL;	/* a bare number: only 0 */
	*ms = v * mult;
	return 0;
}

int parse_timeout_ms(const char *s, uint32_t *ms)
{
	return parse_duration_ms(s, 7 * 86400000u, ms);
}

/* "1", "1.5", "0.25" -> thousandths */
static int parse_milli(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint32_t ip = 0, frac = 0, scale = 1000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		ip = ip * 10 + (uint32_t)(*p++ - '0');
		if (ip > 1000000)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (uint32_t)(*p - '0') * scale;
			}
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	ip = ip * 1000 + frac;
	if (ip < min || ip > max)
		return -ERANGE;
	*v = ip;
	return 0;
}

void fmt_duration_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else
		snprintf(buf, len, "%ums", ms);
}

void fmt_milli(uint32_t v, char *buf, size_t len)
{
	if (v % 1000 == 0)
		snprintf(buf, len, "%u", v / 1000);
	else if (v % 100 == 0)
		snprintf(buf, len, "%u.%u", v / 1000, (v % 1000) / 100);
	else if (v % 10 == 0)
		snprintf(buf, len, "%u.%02u", v / 1000, (v % 1000) / 10);
	else
		snprintf(buf, len, "%u.%03u", v / 1000, v % 1000);
}

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

static int parse_backend_word(const char *s, struct op *op, char *why, size_t whylen)
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

static const char *const hc_names[] = {
	[HC_TCP] = "tcp", [HC_HTTP] = "http", [HC_HTTPS] = "https",
	[HC_TLS] = "tls", [HC_UDP] = "udp", [HC_EXEC] = "exec",
};

const char *hc_type_name(int type)
{
	return type >= 0 && type <= HC_EXEC ? hc_names[type] : "?";
}

const char *hc_fail_name(int on_fail)
{
	return on_fail == HC_REMOVE ? "remove" : on_fail == HC_DOWN ? "down" : "quiesce";
}

static int copy_word(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -ENAMETOOLONG;
	snprintf(dst, len, "%s", src);
	return 0;
}

/* A name to look up: letters, digits, '-' and '.', not all digits. */
static bool is_dns_name(const char *s)
{
	bool alpha = false;
	size_t n = strlen(s);

	if (!n || n > 127 || s[0] == '-' || s[0] == '.')
		return false;
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			alpha = true;
		else if (!(*s >= '0' && *s <= '9') && *s != '-' && *s != '.')
			return false;
	}
	return alpha;
}

/*
 * The HTTP host: the Host header and TLS server name, pasted into the
 * probe's URL and CURLOPT_CONNECT_TO (health.c). A DNS name, an IPv4
 * address or an IPv6 one in brackets; anything else, like '/', '?', '@',
 * ':' or a blank, would change the URL's authority, and curl would
 * connect to another host than the backend.
 */
static bool is_http_host(const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t a[16];
	size_t n = strlen(s);

	if (is_dns_name(s) || inet_pton(AF_INET, s, a) == 1)
		return true;
	if (n < 3 || n - 2 >= sizeof(buf) || s[0] != '[' || s[n - 1] != ']')
		return false;
	memcpy(buf, s + 1, n - 2);
	buf[n - 2] = 0;
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* The HTTP path, pasted after the URL's authority: absolute, and no
 * blank or control character, which would end or split the request line.
 */
static bool is_http_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
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

static int health_words(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct health_spec *h;
	struct addr_port ap;
	uint32_t v, lo, hi;
	char *dash;
	int i, t;

	/* on error the caller's op is released by grammar_parse() */
	h = op->hc = malloc(sizeof(*h));
	if (!h)
		WHY("out of memory");
	health_spec_defaults(h);
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			WHY("'%s' needs a value", k);
		if (!strcmp(k, "type")) {
			for (t = 0; t <= HC_EXEC && strcmp(val, hc_names[t]); t++)
				;
			if (t > HC_EXEC)
				WHY("health type '%s': tcp, http, https, tls, udp or exec", val);
			h->type = (enum hc_type)t;
		} else if (!strcmp(k, "port")) {
			if (parse_u32(val, 1, 65535, &v))
				WHY("health port '%s': 1 to 65535", val);
			h->port = (uint16_t)v;
		} else if (!strcmp(k, "address")) {
			h->addr_af = 0;
			h->addr_name[0] = 0;
			if (!parse_addr_port(val, 0, &ap, false, why, whylen)) {
				if (ap.port)
					WHY("health address '%s': give the port with 'port'", val);
				h->addr_af = ap.af;
				memcpy(h->addr, ap.addr, 16);
			} else if (is_dns_name(val)) {
				copy_word(h->addr_name, sizeof(h->addr_name), val);
			} else {
				WHY("health address '%s': an IPv4 or IPv6 address, or a DNS name", val);
			}
		} else if (!strcmp(k, "path")) {
			if (!is_http_path(val) || copy_word(h->path, sizeof(h->path), val))
				WHY("health path '%s': an absolute path (/...), up to 255 characters, without blanks or control characters",
				    val);
		} else if (!strcmp(k, "host")) {
			if (!is_http_host(val) || copy_word(h->host, sizeof(h->host), val))
				WHY("health host '%s': a DNS name (letters, digits, '-' and '.'), an IPv4 address or an [IPv6] address",
				    val);
		} else if (!strcmp(k, "status")) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%s", val);
			dash = strchr(buf, '-');
			if (dash)
				*dash = 0;
			if (strlen(val) >= sizeof(buf) || parse_u32(buf, 100, 599, &lo) ||
			    parse_u32(dash ? dash + 1 : buf, 100, 599, &hi) || hi < lo)
				WHY("health status '%s': a code or a range like 200-399", val);
			h->status_lo = (uint16_t)lo;
			h->status_hi = (uint16_t)hi;
		} else if (!strcmp(k, "expect")) {
			if (copy_word(h->expect, sizeof(h->expect), val))
				WHY("health expect: up to 127 characters");
		} else if (!strcmp(k, "send")) {
			if (!*val || copy_word(h->send, sizeof(h->send), val))
				WHY("health send: 1 to 127 characters");
		} else if (!strcmp(k, "command")) {
			if (!*val || copy_word(h->command, sizeof(h->command), val))
				WHY("health command: 1 to 511 characters");
		} else if (!strcmp(k, "interval")) {
			if (parse_duration_ms(val, 3600000, &h->interval_ms) || h->interval_ms < 100)
				WHY("health interval '%s': " DURATION_HINT ", from 100ms to 1h", val);
		} else if (!strcmp(k, "timeout")) {
			if (parse_duration_ms(val, 600000, &h->timeout_ms) || h->timeout_ms < 10)
				WHY("health timeout '%s': " DURATION_HINT ", from 10ms to 10m", val);
		} else if (!strcmp(k, "rise")) {
			if (parse_u32(val, 1, 100, &h->rise))
				WHY("health rise '%s': 1 to 100 probes", val);
		} else if (!strcmp(k, "fall")) {
			if (parse_u32(val, 1, 100, &h->fall))
				WHY("health fall '%s': 1 to 100 probes", val);
		} else if (!strcmp(k, "initial")) {
			if (strcmp(val, "up") && strcmp(val, "down"))
				WHY("health initial '%s': up or down", val);
			h->initial_up = !strcmp(val, "up");
		} else if (!strcmp(k, "jitter")) {
			if (parse_u32(val, 0, 50, &h->jitter_pct))
				WHY("health jitter '%s': 0 to 50 percent of the interval", val);
		} else if (!strcmp(k, "on-fail")) {
			if (!strcmp(val, "quiesce"))
				h->on_fail = HC_QUIESCE;
			else if (!strcmp(val, "down"))
				h->on_fail = HC_DOWN;
			else if (!strcmp(val, "remove"))
				h->on_fail = HC_REMOVE;
			else
				WHY("health on-fail '%s': quiesce, down or remove", val);
		} else if (!strcmp(k, "tls-verify")) {
			if (strcmp(val, "on") && strcmp(val, "off"))
				WHY("health tls-verify '%s': on or off", val);
			h->tls_verify = !strcmp(val, "on");
		} else {
			WHY("unknown health option '%s'", k);
		}
	}
	if (h->timeout_ms >= h->interval_ms)
		WHY("health timeout must be shorter than the interval");
	if (h->type == HC_EXEC && !h->command[0])
		WHY("health type exec needs a command");
	if (h->type != HC_EXEC && h->command[0])
		WHY("health command goes with type exec");
	if (h->type == HC_UDP && h->addr_name[0])
		WHY("health type udp needs a numeric address, not the name '%s'", h->addr_name);
	return 0;
}

int grammar_parse(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	const char *obj, *verb;
	uint32_t v;
	int i;

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
	if (!strcmp(obj, "service")) {
		if (!strcmp(verb, "add"))
			op->kind = OP_SVC_ADD;
		else if (!strcmp(verb, "edit"))
			op->kind = OP_SVC_EDIT;
		else if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
			op->kind = OP_SVC_DEL;
		else
			WHY("service '%s': add, edit, del or flush", verb);
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
	if (!strcmp(obj, "backend")) {
		if (!strcmp(verb, "add"))
			op->kind = OP_DEST_ADD;
		else if (!strcmp(verb, "edit"))
			op->kind = OP_DEST_EDIT;
		else if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
			op->kind = OP_DEST_DEL;
		else
			WHY("backend '%s': add, edit or del", verb);
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
	if (!strcmp(obj, "zero")) {
		op->kind = OP_ZERO;
		if (argc == 1) {
			op->all = true;
			return 0;
		}
		if (argc > 2)
			WHY("zero takes at most one SERVICE");
		return parse_svc(argv[1], &op->svc, why, whylen);
	}
	if (!strcmp(obj, "timeout")) {
		if (strcmp(verb, "set"))
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
	if (!strcmp(obj, "sync")) {
		if (!strcmp(verb, "start"))
			op->kind = OP_SYNC_START;
		else if (!strcmp(verb, "stop"))
			op->kind = OP_SYNC_STOP;
		else
			WHY("sync '%s': start or stop ('sync show' lists daemons)", verb);
		return daemon_words(argc - 2, argv + 2, op, why, whylen);
	}
	if (!strcmp(obj, "health")) {
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
	if (!strcmp(obj, "maglev")) {
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
	WHY("unknown command '%s'", obj);
}

/* ---- ipvsadm's words, as ipvsadm-save writes them ----------------------- */

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

/* ---- printing --------------------------------------------------------------- */

/* a word split_words() reads back as @s */
static void print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

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

void grammar_print(FILE *f, const struct op *op)
{
	char svc[96], be[64], buf[64];
	const struct svc_conf *c = &op->sc;
	const struct dest_conf *d = &op->dc;

	fmt_svc(&op->svc, svc, sizeof(svc));
	switch (op->kind) {
	case OP_SVC_ADD:
	case OP_SVC_EDIT:
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
		break;
	case OP_SVC_DEL:
		fprintf(f, "service del %s", svc);
		break;
	case OP_FLUSH:
		fprintf(f, "flush");
		break;
	case OP_DEST_ADD:
	case OP_DEST_EDIT:
		fmt_addr_port(op->dest.af, op->dest.addr, op->dest.port, be, sizeof(be));
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
		break;
	case OP_DEST_DEL:
		fmt_addr_port(op->dest.af, op->dest.addr, op->dest.port, be, sizeof(be));
		fprintf(f, "backend del %s %s", svc, be);
		break;
	case OP_ZERO:
		fprintf(f, op->all ? "zero" : "zero %s", svc);
		break;
	case OP_TIMEOUT:
		fprintf(f, "timeout set");
		if (op->to.tcp)
			fprintf(f, " tcp %u", op->to.tcp);
		if (op->to.tcp_fin)
			fprintf(f, " tcpfin %u", op->to.tcp_fin);
		if (op->to.udp)
			fprintf(f, " udp %u", op->to.udp);
		break;
	case OP_SYNC_START:
	case OP_SYNC_STOP:
		fprintf(f, "sync %s %s", op->kind == OP_SYNC_START ? "start" : "stop",
			op->dm.state == IP_VS_STATE_MASTER ? "master" : "backup");
		if (op->kind == OP_SYNC_START) {
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
		break;
	case OP_HEALTH: {
		const struct health_spec *h = op->hc;

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
			if (h->host[0]) {
				fprintf(f, " host ");
				print_quoted(f, h->host);
			}
			fprintf(f, " status %u-%u", h->status_lo, h->status_hi);
		}
		if (h->expect[0]) {
			fprintf(f, " expect ");
			print_quoted(f, h->expect);
		}
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
		break;
	}
	case OP_MG_SET:
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
		break;
	case OP_MG_BE:
		/* an undo step, printed only in messages; no grammar reads it */
		fprintf(f, "maglev backend-state %s", svc);
		break;
	}
	fputc('\n', f);
}
