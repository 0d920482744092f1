// SPDX-License-Identifier: GPL-2.0
/*
 * The one comparison of configurations (model.c: svc_conf_cmp(),
 * dest_conf_cmp()), which the planner, the diff and save share. A field
 * it leaves out makes apply either miss a change or make one every run.
 *
 * For every field of struct svc_conf and struct dest_conf, two confs that
 * differ in that field only must compare different, under that field's
 * bit. The fields are listed here by hand: C cannot enumerate a struct's
 * members. So that a field added to a struct without being listed here
 * does not pass unnoticed, the listed fields (and the set mask) must
 * account for every byte of the struct but alignment padding. The limit:
 * a new field small enough to sit in padding that was already there (a
 * uint8_t after another uint8_t, before a uint32_t) leaves the layout as
 * it was and is not caught; whoever adds a field is to add it to the
 * tables below too.
 */
#include <linux/ip_vs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/ip_vs_maglev.h>

#include "base/array.h"
#include "model/model.h"
#include "ktap.h"

struct field {
	const char *name;
	size_t off, size, align;
	unsigned int bit;	/* what the comparison must report */
};

#define FIELD(type, f, b) { #f, offsetof(struct type, f), sizeof(((struct type *)0)->f), \
			    _Alignof(__typeof__(((struct type *)0)->f)), b }

static const struct field svc_fields[] = {
	FIELD(svc_conf, sched, SC_SCHED),
	FIELD(svc_conf, flags, SC_FLAGS),
	FIELD(svc_conf, timeout, SC_PERSIST),
	FIELD(svc_conf, netmask, SC_NETMASK),
	FIELD(svc_conf, pe, SC_PE),
	FIELD(svc_conf, mg_table_size, SC_MG_TABLE_SIZE),
	FIELD(svc_conf, mg_hash, SC_MG_HASH),
	FIELD(svc_conf, ss_window_ms, SC_SS_WINDOW),
	FIELD(svc_conf, ss_aggr, SC_SS_AGGR),
	FIELD(svc_conf, ss_min_pct, SC_SS_MIN),
	FIELD(svc_conf, pin, SC_PIN),
	FIELD(svc_conf, pin_max, SC_PIN_MAX),
};

static const struct field dest_fields[] = {
	FIELD(dest_conf, weight, DC_WEIGHT),
	FIELD(dest_conf, fwd, DC_FWD),
	FIELD(dest_conf, u_thresh, DC_UTHRESH),
	FIELD(dest_conf, l_thresh, DC_LTHRESH),
	FIELD(dest_conf, tun_type, DC_TUN_TYPE),
	FIELD(dest_conf, tun_port, DC_TUN_PORT),
	FIELD(dest_conf, tun_flags, DC_TUN_FLAGS),
};

#define NSVC (sizeof(svc_fields) / sizeof(svc_fields[0]))
#define NDEST (sizeof(dest_fields) / sizeof(dest_fields[0]))

static int by_off(const void *a, const void *b)
{
	const struct field *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * Do @v (sorted here) and the set mask cover @size bytes, but for the
 * padding the compiler puts before a field to align it and at the end?
 */
static bool covers(const struct field *v, size_t n, size_t size, size_t align, char *why,
		   size_t whylen)
{
	struct field f[32];
	size_t end = sizeof(unsigned int), i;	/* "set" comes first */

	memcpy(f, v, n * sizeof(*f));
	qsort(f, n, sizeof(*f), by_off);
	for (i = 0; i < n; i++) {
		if (f[i].off < end || f[i].off - end >= f[i].align) {
			snprintf(why, whylen, "%zu unlisted bytes before %s", f[i].off - end,
				 f[i].name);
			return false;
		}
		end = f[i].off + f[i].size;
	}
	if (size - end >= align) {
		snprintf(why, whylen, "%zu unlisted bytes at the end", size - end);
		return false;
	}
	return true;
}

/* change one byte of field @f: any value but the old one will do */
static void poke(void *conf, const struct field *f)
{
	((unsigned char *)conf)[f->off] ^= 0x08;
}

static void test_svc_fields(void)
{
	struct svc_conf a, b;
	char why[128] = "";
	size_t i;
	bool ok;

	ok = offsetof(struct svc_conf, set) == 0 &&
	     covers(svc_fields, NSVC, sizeof(struct svc_conf), _Alignof(struct svc_conf),
		    why, sizeof(why));
	ktap_ok(ok, "svc_conf: the fields listed here are all there is%s%s", ok ? "" : ": ", why);
	svc_conf_defaults(&a);
	a.set = SC_IPVS_ALL;
	b = a;
	b.set = 0;
	ktap_ok(!svc_conf_cmp(&a, &b, ~0u), "svc_conf: the same values compare equal, whatever was given");
	for (i = 0; i < NSVC; i++) {
		unsigned int d;

		b = a;
		poke(&b, &svc_fields[i]);
		d = svc_conf_cmp(&a, &b, ~0u);
		ktap_ok(d == svc_fields[i].bit && !svc_conf_cmp(&a, &b, ~svc_fields[i].bit) &&
			svc_conf_cmp(&b, &a, ~0u) == d,
			"svc_conf: %s alone differs: reported as its own bit only (0x%x)",
			svc_fields[i].name, d);
	}
	/* the two flags that have their own words in the grammar */
	b = a;
	b.flags ^= IP_VS_SVC_F_PERSISTENT;
	ktap_ok(svc_conf_cmp(&a, &b, ~0u) == SC_PERSIST, "svc_conf: the persistent flag is SC_PERSIST's");
	b = a;
	b.flags ^= IP_VS_SVC_F_ONEPACKET;
	ktap_ok(svc_conf_cmp(&a, &b, ~0u) == SC_OPS, "svc_conf: the one-packet flag is SC_OPS's");
	/* and what the masks name: every field in exactly one of them */
	for (i = 0; i < NSVC; i++)
		if (!(svc_fields[i].bit & (SC_IPVS_ALL | SC_MG_ALL)) ||
		    (svc_fields[i].bit & SC_IPVS_ALL & SC_MG_ALL))
			break;
	ktap_ok(i == NSVC && !(SC_IPVS_ALL & SC_MG_ALL),
		"svc_conf: each field is in one of SC_IPVS_ALL and SC_MG_ALL");
}

static void test_dest_fields(void)
{
	struct dest_conf a, b;
	char why[128] = "";
	size_t i;
	bool ok;

	ok = offsetof(struct dest_conf, set) == 0 &&
	     covers(dest_fields, NDEST, sizeof(struct dest_conf), _Alignof(struct dest_conf),
		    why, sizeof(why));
	ktap_ok(ok, "dest_conf: the fields listed here are all there is%s%s", ok ? "" : ": ", why);
	/* a tunnel, whose tunnel fields count */
	dest_conf_defaults(&a);
	a.fwd = FWD_TUN;
	a.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_GUE;
	a.tun_port = 6080;
	a.set = DC_ALL;
	for (i = 0; i < NDEST; i++) {
		unsigned int d;

		b = a;
		poke(&b, &dest_fields[i]);
		d = dest_conf_cmp(&a, &b, ~0u);
		ktap_ok(d == dest_fields[i].bit && !dest_conf_cmp(&a, &b, ~dest_fields[i].bit) &&
			dest_conf_cmp(&b, &a, ~0u) == d,
			"dest_conf: %s alone differs: reported as its own bit only (0x%x)",
			dest_fields[i].name, d);
	}
	ktap_ok(DC_ALL == (1u << NDEST) - 1,
		"dest_conf: DC_ALL has a bit for each field, and no other");
	/* not a tunnel: the kernel ignores the tunnel fields, and so does the comparison */
	a.fwd = FWD_DR;
	b = a;
	b.tun_type = IP_VS_CONN_F_TUNNEL_TYPE_IPIP;
	b.tun_port = 1;
	b.tun_flags = 1;
	ktap_ok(!dest_conf_cmp(&a, &b, ~0u), "dest_conf: tunnel fields of a backend that is no tunnel do not count");
}

/* the maglev part against the module's defaults, through the same comparison */
static void test_mg_nondefault(void)
{
	const struct mg_defaults mg = { 0, 1000, 10 };
	struct svc_conf c;
	size_t i;
	bool ok;

	svc_conf_defaults(&c);
	svc_conf_mg_defaults(&c, &mg);
	ok = !svc_conf_mg_nondefault(&c, &mg);
	for (i = 0; i < NSVC && ok; i++) {
		struct svc_conf d = c;

		poke(&d, &svc_fields[i]);
		ok = svc_conf_mg_nondefault(&d, &mg) == !!(svc_fields[i].bit & SC_MG_ALL);
	}
	ktap_ok(ok, "svc_conf_mg_nondefault: each maglev field, and only those, moves it off the defaults");
}

/* which scheduler names ip_vs_maglev serves (the mh=1 mode) */
static void test_sched_is_maglev(void)
{
	sched_set_mh_served(false);
	ktap_ok(sched_is_maglev("maglev") && !sched_is_maglev("mh") && !sched_is_maglev("rr"),
		"without the mh mode: only \"maglev\" is a maglev service");
	sched_set_mh_served(true);
	ktap_ok(sched_is_maglev("maglev") && sched_is_maglev("mh") && !sched_is_maglev("sh") &&
		!sched_is_maglev("mhx"),
		"with mh=1: \"maglev\" and \"mh\" are, no other name");
	sched_set_mh_served(false);
}

/* base/array.c: the one growable array (the model's services and backends grow by it) */
static void test_array_room(void)
{
	size_t cap = 0, n, grown = 0, c;
	int *v = NULL, *nv;
	bool ok = true;

	for (n = 0; n < 1000; n++) {
		c = cap;
		nv = array_room(v, n, &cap, sizeof(*v), 8);
		if (!nv) {
			ok = false;
			break;
		}
		v = nv;
		if (cap != c)
			grown++;
		if (cap <= n || (c && cap != c && cap != 2 * c))
			ok = false;
		v[n] = (int)n;
	}
	for (n = 0; ok && n < 1000; n++)
		ok = v[n] == (int)n;
	/* 8, 16, ..., 1024: 8 allocations for 1,000 elements, every element kept */
	ktap_ok(ok && grown == 8 && cap == 1024,
		"array_room: 1,000 elements in %zu allocations (cap %zu), each kept", grown, cap);
	c = cap;
	nv = array_room(v, cap, &cap, SIZE_MAX / 1024, 8);
	ktap_ok(!nv && cap == c,
		"array_room: a size that would overflow is refused, the array left as it was");
	free(v);
}

int main(void)
{
	ktap_plan(1 + 1 + NSVC + 3 + 1 + NDEST + 2 + 1 + 2 + 2);
	test_array_room();
	test_svc_fields();
	test_dest_fields();
	test_mg_nondefault();
	test_sched_is_maglev();
	return ktap_finish();
}
