// SPDX-License-Identifier: GPL-2.0
/*
 * ipvsctl: scopes, the services an apply manages (see scope.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "model/addr.h"
#include "model/model.h"
#include "model/scope.h"

/* ---- scope ------------------------------------------------------------------- */

int scope_add(struct scope *sc, const char *spec, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct scope_prefix p = { 0 };
	unsigned long len;

	if (!strcmp(spec, "all")) {
		sc->all = true;
		return 0;
	}
	if (!strncmp(spec, "fwmark:", 7)) {
		uint32_t lo, hi;
		void *v;

		if (parse_fwmark(spec + 7, &lo) == 0) {
			hi = lo;
		} else {
			char *dash;

			/* refused, never cut: a cut range can be a valid one */
			if (strlen(spec + 7) >= sizeof(buf))
				goto bad_mark;
			snprintf(buf, sizeof(buf), "%s", spec + 7);
			dash = strchr(buf, '-');
			if (!dash)
				goto bad_mark;
			*dash = 0;
			if (parse_fwmark(buf, &lo) || parse_fwmark(dash + 1, &hi) || hi < lo)
				goto bad_mark;
		}
		v = array_room(sc->marks, sc->nmarks, &sc->marks_cap, sizeof(*sc->marks), 4);
		if (!v)
			return -ENOMEM;
		sc->marks = v;
		sc->marks[sc->nmarks].lo = lo;
		sc->marks[sc->nmarks].hi = hi;
		sc->nmarks++;
		return 0;
bad_mark:
		snprintf(why, whylen,
			 "scope '%s': fwmark:N or fwmark:LO-HI (1 to 4294967295, decimal or 0x hex)",
			 spec);
		return -EINVAL;
	}
	if (strlen(spec) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", spec);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, p.addr) == 1)
		p.af = AF_INET;
	else if (inet_pton(AF_INET6, buf, p.addr) == 1)
		p.af = AF_INET6;
	else
		goto bad;
	p.len = p.af == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || len > p.len)
			goto bad;
		p.len = (uint8_t)len;
	}
	{
		struct scope_prefix *v = array_room(sc->pfx, sc->npfx, &sc->pfx_cap, sizeof(*v), 4);

		if (!v)
			return -ENOMEM;
		sc->pfx = v;
		sc->pfx[sc->npfx++] = p;
	}
	return 0;
bad:
	snprintf(why, whylen,
		 "scope '%s': an address prefix (10.96.0.0/12, 2001:db8::/64), an address, fwmark:LO-HI or all",
		 spec);
	return -EINVAL;
}

void scope_free(struct scope *sc)
{
	free(sc->pfx);
	free(sc->marks);
	memset(sc, 0, sizeof(*sc));
}

bool scope_empty(const struct scope *sc)
{
	return !sc->all && !sc->npfx && !sc->nmarks;
}

static bool prefix_has(const struct scope_prefix *p, int af, const uint8_t *addr)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (p->af != af || memcmp(p->addr, addr, full))
		return false;
	if (!rest)
		return true;
	return !((p->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest)));
}

bool scope_has(const struct scope *sc, const struct svc_id *id)
{
	size_t i;

	if (sc->all)
		return true;
	if (id->fwmark) {
		for (i = 0; i < sc->nmarks; i++)
			if (id->fwmark >= sc->marks[i].lo && id->fwmark <= sc->marks[i].hi)
				return true;
		return false;
	}
	for (i = 0; i < sc->npfx; i++)
		if (prefix_has(&sc->pfx[i], id->af, id->addr))
			return true;
	return false;
}

bool scope_fn(const struct m_svc *s, void *arg)
{
	return scope_has(arg, &s->id);
}

int scope_within(const struct scope *in, const struct scope *out, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, k;

	if (out->all)
		return 0;
	if (in->all) {
		snprintf(why, whylen, "scope \"all\" is wider than the command line's --scope");
		return -EINVAL;
	}
	for (i = 0; i < in->npfx; i++) {
		const struct scope_prefix *p = &in->pfx[i];

		for (k = 0; k < out->npfx; k++)
			if (out->pfx[k].len <= p->len && prefix_has(&out->pfx[k], p->af, p->addr))
				break;
		if (k == out->npfx) {
			inet_ntop(p->af, p->addr, a, sizeof(a));
			snprintf(why, whylen, "scope '%s/%u' is not inside the command line's --scope",
				 a, p->len);
			return -EINVAL;
		}
	}
	for (i = 0; i < in->nmarks; i++) {
		for (k = 0; k < out->nmarks; k++)
			if (out->marks[k].lo <= in->marks[i].lo && in->marks[i].hi <= out->marks[k].hi)
				break;
		if (k == out->nmarks) {
			snprintf(why, whylen,
				 "scope 'fwmark:%u-%u' is not inside the command line's --scope",
				 in->marks[i].lo, in->marks[i].hi);
			return -EINVAL;
		}
	}
	return 0;
}

