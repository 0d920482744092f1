// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the Maglev core (kmod/maglev.c), the same source the
 * module compiles. Each check states the property it guards and fails when
 * that property is broken.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "../../kmod/maglev.h"
#include "ktap.h"

/* test_maglev_portable.c: mg_mum() compiled without __int128 */
u64 mg_mum_portable(u64 a, u64 b);

static u64 rng_state = 0x1234567887654321ULL;

static u64 rnd(void)
{
	/* xorshift64* (Vigna): a deterministic test stream */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static struct mg_keys keys;

static void mk_backend(struct mg_backend *b, u32 n, u32 weight)
{
	u8 addr[4] = { 10, 0, (u8)(n >> 8), (u8)n };
	uint16_t port = htobe16(80);

	memset(b, 0, sizeof(*b));
	mg_id_set(&b->id, 4, addr, &port);
	b->weight = weight;
	b->cookie = n;
}

struct built {
	u16 *slots;
	struct mg_backend *be;
	u32 m, n;
	int owners;
};

static struct built build(const struct mg_backend *in, u32 n, u32 m)
{
	struct built b = { .m = m, .n = n };
	void *scratch = malloc(mg_scratch_size(m, n));

	b.slots = malloc(sizeof(u16) * m);
	b.be = malloc(sizeof(*b.be) * (n ? n : 1));
	memcpy(b.be, in, sizeof(*in) * n);
	b.owners = mg_build(b.slots, m, b.be, n, &keys, scratch);
	free(scratch);
	return b;
}

static void unbuild(struct built *b)
{
	free(b->slots);
	free(b->be);
}

/* cookie of the backend owning slot i */
static u32 owner(const struct built *b, u32 i)
{
	return b->slots[i] == MG_SLOT_NONE ? UINT32_MAX : b->be[b->slots[i]].cookie;
}

static void test_mum(void)
{
	int i, bad = 0;

	for (i = 0; i < 100000; i++) {
		u64 a = rnd(), b = rnd();

		if (i < 4) {
			a = i & 1 ? ~0ULL : 0;
			b = i & 2 ? ~0ULL : 1;
		}
		if (mg_mum(a, b) != mg_mum_portable(a, b))
			bad++;
	}
	ktap_ok(!bad, "mum: portable 64x64 product equals __int128 (%d mismatches)", bad);
}

static void test_primes(void)
{
	static const u32 p[] = { 251, 4093, 65521, 131071, 1048573 };
	static const u32 np[] = { 0, 1, 4, 65535, 65537 * 3, 131073, 1048575 };
	int ok = 1;
	unsigned int i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		ok &= mg_is_prime(p[i]);
	for (i = 0; i < sizeof(np) / sizeof(np[0]); i++)
		ok &= !mg_is_prime(np[i]);
	ktap_ok(ok, "is_prime: known primes and composites");
}

static void test_order_independent(void)
{
	enum { N = 57 };
	struct mg_backend be[N], sh[N];
	struct built a, b;
	u32 i;
	int same;

	for (i = 0; i < N; i++)
		mk_backend(&be[i], i, 1 + rnd() % 1000);
	memcpy(sh, be, sizeof(be));
	for (i = N - 1; i > 0; i--) {
		u32 j = rnd() % (i + 1);
		struct mg_backend t = sh[i];

		sh[i] = sh[j];
		sh[j] = t;
	}
	a = build(be, N, 65521);
	b = build(sh, N, 65521);
	same = !memcmp(a.slots, b.slots, sizeof(u16) * 65521) &&
	       mg_digest(a.slots, 65521, a.be, N) == mg_digest(b.slots, 65521, b.be, N);
	ktap_ok(same, "order: shuffled configuration gives a byte-identical table and digest");
	unbuild(&a);
	unbuild(&b);
}

static void test_full_and_exact(const char *what, const u32 *w, u32 n, u32 m)
{
	struct mg_backend *be = calloc(n, sizeof(*be));
	u32 *count = calloc(n, sizeof(u32));
	double total = 0, worst_abs = 0, worst_rel = 0;
	struct built b;
	u32 i, empty = 0;
	int ok = 1;

	for (i = 0; i < n; i++) {
		mk_backend(&be[i], i, w[i]);
		total += w[i];
	}
	b = build(be, n, m);
	for (i = 0; i < m; i++) {
		if (b.slots[i] == MG_SLOT_NONE)
			empty++;
		else
			count[b.slots[i]]++;
	}
	for (i = 0; i < n; i++) {
		double ideal = (double)m * b.be[i].weight / total;
		double d = fabs(count[i] - ideal);

		if (count[i] != b.be[i].slots)
			ok = 0;
		if (b.be[i].weight == 0 && count[i])
			ok = 0;
		if (d > worst_abs)
			worst_abs = d;
		if (ideal > 0 && d / ideal > worst_rel)
			worst_rel = d / ideal;
		/* the bar: +-1% relative or +-2 slots; ours is < 1 slot */
		if (d >= 1.0)
			ok = 0;
	}
	ktap_ok(ok && !empty,
		"weights %s: every slot owned, |slots - M*w/W| < 1 (worst %.3f slots, %.3f%%)",
		what, worst_abs, worst_rel * 100);
	unbuild(&b);
	free(be);
	free(count);
}

static void test_weights(void)
{
	u32 w[1000];
	u32 i;

	w[0] = 1;
	w[1] = 1000;
	test_full_and_exact("1:1000", w, 2, 65521);
	for (i = 0; i < 100; i++)
		w[i] = 1;
	test_full_and_exact("100 equal", w, 100, 65521);
	for (i = 0; i < 1000; i++)
		w[i] = 1 + rnd() % 65535;
	test_full_and_exact("1000 random 1..65535", w, 1000, 65521);
	for (i = 0; i < 10; i++)
		w[i] = i % 3 ? 1 + rnd() % 100 : 0;
	test_full_and_exact("with zeros", w, 10, 4093);
	w[0] = 2147483647;
	w[1] = 1;
	w[2] = 2147483647;
	test_full_and_exact("INT_MAX", w, 3, 131071);
}

static void test_balance(void)
{
	enum { N = 100 };
	struct mg_backend be[N];
	struct built b;
	u32 count[N] = { 0 }, i, max = 0;
	double mean = 65521.0 / N;

	for (i = 0; i < N; i++)
		mk_backend(&be[i], i, 1);
	b = build(be, N, 65521);
	for (i = 0; i < 65521; i++)
		count[b.slots[i]]++;
	for (i = 0; i < N; i++)
		if (count[i] > max)
			max = count[i];
	ktap_ok(max / mean <= 1.01, "balance: max/mean %.4f <= 1.01 at N=100, M=65521", max / mean);
	unbuild(&b);
}

/*
 * Flows moved among survivors: slots whose owner was a backend present in
 * both tables and is now a different backend. The paper's Maglev moves
 * about 0.5% when one of 100 is removed.
 */
static double moved_among_survivors(const struct built *a, const struct built *b,
				    u32 changed_cookie)
{
	u32 i, moved = 0, considered = 0;

	for (i = 0; i < a->m; i++) {
		u32 oa = owner(a, i), ob = owner(b, i);

		if (oa == changed_cookie || ob == changed_cookie)
			continue;
		considered++;
		if (oa != ob)
			moved++;
	}
	return considered ? (double)moved / considered : 0;
}

static void test_disruption(void)
{
	enum { N = 100 };
	struct mg_backend be[N + 1];
	struct built full, less, more;
	double rm, add;
	u32 i;

	for (i = 0; i < N + 1; i++)
		mk_backend(&be[i], i, 1);
	full = build(be, N, 65521);
	/* remove backend 37 */
	{
		struct mg_backend tmp[N];
		u32 j = 0;

		for (i = 0; i < N; i++)
			if (i != 37)
				tmp[j++] = be[i];
		less = build(tmp, N - 1, 65521);
	}
	more = build(be, N + 1, 65521);
	rm = moved_among_survivors(&full, &less, 37);
	add = moved_among_survivors(&full, &more, N);
	ktap_ok(rm <= 0.01, "disruption: removing 1 of 100 moves %.3f%% of survivors' slots (<= 1%%)", rm * 100);
	ktap_ok(add <= 0.01, "disruption: adding a 101st moves %.3f%% of survivors' slots (<= 1%%)", add * 100);
	unbuild(&full);
	unbuild(&less);
	unbuild(&more);
}

static void test_zero_and_dups(void)
{
	struct mg_backend be[3];
	struct built b;
	u32 i, none = 0;

	for (i = 0; i < 3; i++)
		mk_backend(&be[i], i, 0);
	b = build(be, 3, 251);
	for (i = 0; i < 251; i++)
		none += b.slots[i] == MG_SLOT_NONE;
	ktap_ok(b.owners == 0 && none == 251, "all weights 0: no slot owned");
	unbuild(&b);

	mk_backend(&be[0], 1, 1);
	mk_backend(&be[1], 2, 1);
	mk_backend(&be[2], 1, 5);
	b = build(be, 3, 251);
	ktap_ok(b.owners == -1, "duplicate identity rejected");
	unbuild(&b);

	b = build(be, 2, 250);
	ktap_ok(b.owners == -1, "table size outside range rejected");
	unbuild(&b);
}

/* Flow hash spread: 2M random IPv4 5-tuples onto 10 equal backends. */
static void test_flow_spread(void)
{
	enum { N = 10, FLOWS = 2000000 };
	struct mg_backend be[N];
	struct built b;
	u32 count[N] = { 0 }, i;
	double worst = 0;

	for (i = 0; i < N; i++)
		mk_backend(&be[i], i, 1);
	b = build(be, N, 65521);
	for (i = 0; i < FLOWS; i++) {
		u64 r = rnd();
		u32 h = mg_hash_v4(&keys.flow, 0x0a000000 | (u32)(r & 0xffff),
				   0xc0a80001, ((u32)(r >> 16) & 0xffff0000) | 80, 6);

		count[b.slots[mg_reduce(h, 65521)]]++;
	}
	for (i = 0; i < N; i++) {
		double d = fabs(count[i] - FLOWS / (double)N) / (FLOWS / (double)N);

		if (d > worst)
			worst = d;
	}
	ktap_ok(worst < 0.01, "flow hash: worst backend deviates %.3f%% from 1/N over 2M flows", worst * 100);

	/* one client address, many ports: must spread (stock mh cannot) */
	memset(count, 0, sizeof(count));
	for (i = 0; i < 100000; i++) {
		u32 h = mg_hash_v4(&keys.flow, 0x0a000001, 0xc0a80001,
				   (1024 + i) << 16 | 80, 6);

		count[b.slots[mg_reduce(h, 65521)]]++;
	}
	worst = 0;
	for (i = 0; i < N; i++) {
		double d = fabs(count[i] - 10000.0) / 10000.0;

		if (d > worst)
			worst = d;
	}
	ktap_ok(worst < 0.05, "flow hash: one client, 100k ports spread within %.2f%% per backend", worst * 100);
	unbuild(&b);
}

/* Keys from different seeds must differ; same seed, same keys. */
static void test_keys(void)
{
	struct mg_keys a, b, c;

	mg_keys_init(&a, 1);
	mg_keys_init(&b, 1);
	mg_keys_init(&c, 2);
	ktap_ok(!memcmp(&a, &b, sizeof(a)) && memcmp(&a, &c, sizeof(a)),
		"keys: deterministic per seed, different across seeds");
}

#define GOLDEN_DIGEST 0x8e4ff2bf7ebbf697ULL

/*
 * Golden value: directors running different releases must build the same
 * table. If this digest changes, the on-the-wire compatibility of the
 * algorithm changed: that needs a new seed/version story, not a new value.
 */
static void test_golden(void)
{
	enum { N = 7 };
	struct mg_backend be[N];
	struct built b;
	u64 d;
	u32 i;

	for (i = 0; i < N; i++)
		mk_backend(&be[i], i, 1 + i * 3);
	b = build(be, N, 4093);
	d = mg_digest(b.slots, 4093, b.be, N);
	ktap_diag("golden digest %016llx", (unsigned long long)d);
	ktap_ok(d == GOLDEN_DIGEST, "golden: table for a fixed config is stable across releases");
	unbuild(&b);
}

int main(void)
{
	mg_keys_init(&keys, MG_SEED_DEFAULT);
	ktap_plan(18);
	test_mum();
	test_primes();
	test_keys();
	test_order_independent();
	test_weights();
	test_balance();
	test_disruption();
	test_zero_and_dups();
	test_flow_spread();
	test_golden();
	return ktap_finish();
}
