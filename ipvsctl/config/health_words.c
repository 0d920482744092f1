// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: the words of a health check ("health SERVICE type http ..."),
 * for grammar_parse().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/internal.h"
#include "model/addr.h"

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
 * probe's URL and CURLOPT_CONNECT_TO (health/net.c). A DNS name, an IPv4
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

#define NOT_MINE 1

/* "address": a numeric address (no port), or a DNS name */
static int hw_address(struct health_spec *h, const char *val, char *why, size_t whylen)
{
	struct addr_port ap;

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
	return 0;
}

/* "status": a code, or a range like 200-399 */
static int hw_status(struct health_spec *h, const char *val, char *why, size_t whylen)
{
	uint32_t lo, hi;
	char buf[32], *dash;

	snprintf(buf, sizeof(buf), "%s", val);
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (strlen(val) >= sizeof(buf) || parse_u32(buf, 100, 599, &lo) ||
	    parse_u32(dash ? dash + 1 : buf, 100, 599, &hi) || hi < lo)
		WHY("health status '%s': a code or a range like 200-399", val);
	h->status_lo = (uint16_t)lo;
	h->status_hi = (uint16_t)hi;
	return 0;
}

/* What is probed and how: type, port, address, path, host, status,
 * expect, send, command. 0, -EINVAL (@why), or NOT_MINE.
 */
static int hw_what(struct health_spec *h, const char *k, const char *val, char *why,
		   size_t whylen)
{
	uint32_t v;

	if (!strcmp(k, "type")) {
		if (hc_type_parse(val, &h->type))
			WHY("health type '%s': tcp, http, https, tls, udp or exec", val);
	} else if (!strcmp(k, "port")) {
		if (parse_u32(val, 1, 65535, &v))
			WHY("health port '%s': 1 to 65535", val);
		h->port = (uint16_t)v;
	} else if (!strcmp(k, "address")) {
		return hw_address(h, val, why, whylen);
	} else if (!strcmp(k, "path")) {
		if (!is_http_path(val) || copy_word(h->path, sizeof(h->path), val))
			WHY("health path '%s': an absolute path (/...), up to 255 characters, without blanks or control characters",
			    val);
	} else if (!strcmp(k, "host")) {
		if (!is_http_host(val) || copy_word(h->host, sizeof(h->host), val))
			WHY("health host '%s': a DNS name (letters, digits, '-' and '.'), an IPv4 address or an [IPv6] address",
			    val);
	} else if (!strcmp(k, "status")) {
		return hw_status(h, val, why, whylen);
	} else if (!strcmp(k, "expect")) {
		if (copy_word(h->expect, sizeof(h->expect), val))
			WHY("health expect: up to 127 characters");
	} else if (!strcmp(k, "send")) {
		if (!*val || copy_word(h->send, sizeof(h->send), val))
			WHY("health send: 1 to 127 characters");
	} else if (!strcmp(k, "command")) {
		if (!*val || copy_word(h->command, sizeof(h->command), val))
			WHY("health command: 1 to 511 characters");
	} else {
		return NOT_MINE;
	}
	return 0;
}

/* When and what a result does: interval, timeout, rise, fall, initial,
 * jitter, on-fail, tls-verify. As hw_what().
 */
static int hw_when(struct health_spec *h, const char *k, const char *val, char *why,
		   size_t whylen)
{
	if (!strcmp(k, "interval")) {
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
		return NOT_MINE;
	}
	return 0;
}

/* the words that only make sense together */
static int hw_check(const struct health_spec *h, char *why, size_t whylen)
{
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

int health_words(int argc, char **argv, struct op *op, char *why, size_t whylen)
{
	struct health_spec *h;
	int i, r;

	/* on error the caller's op is released by grammar_parse() */
	h = op->hc = malloc(sizeof(*h));
	if (!h)
		WHY("out of memory");
	health_spec_defaults(h);
	for (i = 0; i < argc; i += 2) {
		const char *k = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			WHY("'%s' needs a value", k);
		r = hw_what(h, k, val, why, whylen);
		if (r == NOT_MINE)
			r = hw_when(h, k, val, why, whylen);
		if (r == NOT_MINE)
			WHY("unknown health option '%s'", k);
		if (r)
			return r;
	}
	return hw_check(h, why, whylen);
}
