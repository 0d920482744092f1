// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: words of the one grammar shared by the command line and files.
 *
 *   SERVICE  := tcp/ADDR:PORT | udp/ADDR:PORT | sctp/ADDR:PORT
 *             | fwmark/MARK | fwmark6/MARK
 *   ADDR     := dotted IPv4 | [IPv6] (brackets required with a port)
 *
 * Every parser is strict: the whole word must match, numbers must be in
 * range, and a failure fills @why with what was wrong.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "model/addr.h"
#include "model/model.h"

/*
 * Whole numbers are decimal, as ipvsadm reads them: "010" is ten and
 * "080" eighty, never octal. No blank, no sign, no fraction. @hex also
 * takes 0x followed by hex digits: for firewall marks only, which iptables
 * and nft print in hex.
 */
static int parse_number(const char *s, bool hex, uint32_t min, uint32_t max, uint32_t *v)
{
	const char *digits = "0123456789";
	unsigned long long x;
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
		digits = "0123456789abcdefABCDEF";
	}
	/* strtoull() alone would skip blanks and take a sign */
	if (!*s || s[strspn(s, digits)])
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*v = (uint32_t)x;
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	return parse_number(s, false, min, max, v);
}

int parse_fwmark(const char *s, uint32_t *mark)
{
	return parse_number(s, true, 1, UINT32_MAX, mark);
}

const char *proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_SCTP:	return "sctp";
	default:		return "?";
	}
}

int parse_addr_port(const char *s, int af_hint, struct addr_port *ap,
		    bool need_port, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon;
	uint32_t p;
	size_t n;

	memset(ap, 0, sizeof(*ap));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(why, whylen, "'%s': expected [IPv6]:PORT", s);
			return -EINVAL;
		}
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		if (n >= sizeof(host))
			goto bad_addr;
		memcpy(host, s + 1, n);
		host[n] = 0;
		if (inet_pton(AF_INET6, host, ap->addr) != 1)
			goto bad_addr;
		ap->af = AF_INET6;
	} else if ((colon = strchr(s, ':')) && strchr(colon + 1, ':')) {
		/* bare IPv6, no port */
		if (inet_pton(AF_INET6, s, ap->addr) != 1)
			goto bad_addr;
		ap->af = AF_INET6;
	} else {
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			port = colon + 1;
		if (n >= sizeof(host))
			goto bad_addr;
		memcpy(host, s, n);
		host[n] = 0;
		if (inet_pton(AF_INET, host, ap->addr) != 1)
			goto bad_addr;
		ap->af = AF_INET;
	}
	if (af_hint && af_hint != ap->af && af_hint != -1) {
		snprintf(why, whylen, "'%s': address family does not match the service's", s);
		return -EINVAL;
	}
	if (port) {
		if (parse_u32(port, 0, 65535, &p)) {
			snprintf(why, whylen, "'%s': port must be a number from 0 to 65535", s);
			return -EINVAL;
		}
		ap->port = (uint16_t)p;
	} else if (need_port) {
		snprintf(why, whylen, "'%s': a port is required (ADDR:PORT, or [IPv6]:PORT)", s);
		return -EINVAL;
	}
	return 0;

bad_addr:
	snprintf(why, whylen, "'%s': not an IPv4 or IPv6 address", s);
	return -EINVAL;
}

int parse_svc(const char *s, struct svc_id *id, char *why, size_t whylen)
{
	static const struct {
		const char *prefix;
		int proto;
	} kinds[] = {
		{ "tcp/", IPPROTO_TCP },
		{ "udp/", IPPROTO_UDP },
		{ "sctp/", IPPROTO_SCTP },
	};
	struct addr_port ap;
	size_t i;
	int err;

	memset(id, 0, sizeof(*id));
	if (!strncmp(s, "fwmark/", 7) || !strncmp(s, "fwmark6/", 8)) {
		bool v6 = s[6] == '6';

		if (parse_fwmark(s + (v6 ? 8 : 7), &id->fwmark)) {
			snprintf(why, whylen, "'%s': " FWMARK_HINT, s);
			return -EINVAL;
		}
		id->af = v6 ? AF_INET6 : AF_INET;
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(s, kinds[i].prefix, n))
			continue;
		err = parse_addr_port(s + n, 0, &ap, true, why, whylen);
		if (err)
			return err;
		id->af = ap.af;
		id->proto = kinds[i].proto;
		memcpy(id->addr, ap.addr, sizeof(id->addr));
		id->port = ap.port;
		return 0;
	}
	snprintf(why, whylen,
		 "'%s': a service is tcp/ADDR:PORT, udp/ADDR:PORT, sctp/ADDR:PORT, fwmark/MARK or fwmark6/MARK", s);
	return -EINVAL;
}

void fmt_addr_port(int af, const uint8_t *addr, uint16_t port, char *buf,
		   size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(af, addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");	/* no address (an op without a service) */
	if (af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

void fmt_svc(const struct svc_id *id, char *buf, size_t len)
{
	char ap[INET6_ADDRSTRLEN + 10];

	if (id->fwmark) {
		snprintf(buf, len, "fwmark%s/%u", id->af == AF_INET6 ? "6" : "", id->fwmark);
		return;
	}
	fmt_addr_port(id->af, id->addr, id->port, ap, sizeof(ap));
	snprintf(buf, len, "%s/%s", proto_name(id->proto), ap);
}

static const char *const mg_hash_names[] = {
	[IPVS_MAGLEV_HASH_AUTO] = "auto",
	[IPVS_MAGLEV_HASH_FIVE_TUPLE] = "5tuple",
	[IPVS_MAGLEV_HASH_SRC_ADDR] = "src",
	[IPVS_MAGLEV_HASH_SRC_ADDR_PORT] = "srcport",
};
_Static_assert(sizeof(mg_hash_names) / sizeof(mg_hash_names[0]) == IPVS_MAGLEV_HASH_MAX + 1,
	       "a name for every enum ipvs_maglev_hash value");

const char *mg_hash_name(uint8_t hash)
{
	return hash <= IPVS_MAGLEV_HASH_MAX ? mg_hash_names[hash] : "?";
}

int mg_hash_parse(const char *s, uint8_t *hash)
{
	uint8_t i;

	for (i = 0; i <= IPVS_MAGLEV_HASH_MAX; i++)
		if (!strcmp(s, mg_hash_names[i])) {
			*hash = i;
			return 0;
		}
	return -EINVAL;
}

static const char *const mg_pin_names[] = {
	[IPVS_MAGLEV_PIN_AUTO] = "auto",
	[IPVS_MAGLEV_PIN_ON] = "on",
	[IPVS_MAGLEV_PIN_OFF] = "off",
};

const char *mg_pin_name(uint8_t pin)
{
	return pin <= IPVS_MAGLEV_PIN_MAX ? mg_pin_names[pin] : "?";
}

int mg_pin_parse(const char *s, uint8_t *pin)
{
	uint8_t i;

	for (i = 0; i <= IPVS_MAGLEV_PIN_MAX; i++)
		if (!strcmp(s, mg_pin_names[i])) {
			*pin = i;
			return 0;
		}
	return -EINVAL;
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

int hc_type_parse(const char *s, enum hc_type *type)
{
	int t;

	for (t = 0; t <= HC_EXEC; t++)
		if (!strcmp(s, hc_names[t])) {
			*type = (enum hc_type)t;
			return 0;
		}
	return -EINVAL;
}
