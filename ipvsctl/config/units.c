// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: units: durations, thousandths, netmasks, scheduler flags,
 * forwarding methods and tunnel types, parsed and printed (see units.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/units.h"
#include "model/addr.h"
#include "model/model.h"

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

int parse_sched_flags(const char *s, uint32_t *flags)
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
int parse_netmask(int af, const char *s, uint32_t *mask)
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

int parse_tun_type(const char *s, uint8_t *type)
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
int parse_milli(const char *s, uint32_t min, uint32_t max, uint32_t *v)
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
