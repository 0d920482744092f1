// SPDX-License-Identifier: GPL-2.0
/*
 * bench_core: the Maglev core (kmod/maglev.c, the module's own source)
 * against a straightforward reference Maglev written here from the paper's
 * pseudocode (Eisenbud et al., NSDI 2016, section 3.4: equal weights,
 * backends take turns in the order given, next preferred slot computed as
 * (offset + j * skip) mod M). Both use the same keyed hashes, so the
 * differences are the algorithms'.
 *
 *   bench_core build       build times, Markdown rows
 *   bench_core quality     balance and disruption, Markdown rows
 *   bench_core lookup K    K lookups through ours (for callgrind)
 *   bench_core reflookup K K lookups through the reference (for callgrind)
 *
 * Times are the best of several runs (wall clock, CLOCK_MONOTONIC); the
 * lookup cost is measured by scripts/bench.sh with callgrind, which counts
 * instructions and is repeatable on a noisy machine.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../kmod/maglev.h"

static struct mg_keys keys;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void mk(struct mg_backend *b, uint32_t i)
{
	uint8_t a[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
	uint16_t port = htobe16(8080);

	memset(b, 0, sizeof(*b));
	mg_id_set(&b->id, 4, a, &port);
	b->weight = 1;
	b->cookie = i;
}

/* ---- the reference ------------------------------------------------------ */

static uint64_t ref_hash(const struct mg_key *key, const struct mg_id *id)
{
	/* the same identity hash shape as the core: fold of two keyed words */
	uint64_t w0 = 0, w1 = 0, w2 = 0;
	int i;

	for (i = 0; i < 8; i++)
		w0 = w0 << 8 | id->b[i];
	for (i = 8; i < 16; i++)
		w1 = w1 << 8 | id->b[i];
	for (i = 16; i < 20; i++)
		w2 = w2 << 8 | id->b[i];
	return mg_mum(mg_mum(w0 ^ key->k[0], w1 ^ key->k[1]) ^ key->k[2],
		      (w2 << 8 | 20) ^ key->k[3]);
}

/* entry[] gets backend indices in the order given; returns 0 */
static int ref_build(int32_t *entry, uint32_t m, const struct mg_backend *be,
		     uint32_t n, uint32_t *offset, uint32_t *skip, uint32_t *next)
{
	uint32_t i, filled = 0;

	for (i = 0; i < n; i++) {
		offset[i] = (uint32_t)(ref_hash(&keys.offset, &be[i].id) % m);
		skip[i] = (uint32_t)(ref_hash(&keys.skip, &be[i].id) % (m - 1)) + 1;
		next[i] = 0;
	}
	for (i = 0; i < m; i++)
		entry[i] = -1;
	if (!n)
		return 0;
	for (;;) {
		for (i = 0; i < n; i++) {
			uint32_t c = (uint32_t)((offset[i] + (uint64_t)next[i] * skip[i]) % m);

			while (entry[c] >= 0) {
				next[i]++;
				c = (uint32_t)((offset[i] + (uint64_t)next[i] * skip[i]) % m);
			}
			entry[c] = (int32_t)i;
			next[i]++;
			if (++filled == m)
				return 0;
		}
	}
}

/* ---- tables, either kind, as owner cookies per slot ---------------------- */

struct owners {
	uint32_t *o;	/* cookie of each slot's owner */
	uint32_t m;
};

static struct owners build_ours(const struct mg_backend *in, uint32_t n, uint32_t m,
				double *us)
{
	struct mg_backend *be = malloc(sizeof(*be) * n);
	uint16_t *slots = malloc(sizeof(*slots) * m);
	void *scratch = malloc(mg_scratch_size(m, n));
	struct owners t = { malloc(sizeof(uint32_t) * m), m };
	double t0;
	uint32_t i;

	memcpy(be, in, sizeof(*be) * n);
	t0 = now_us();
	mg_build(slots, m, be, n, &keys, scratch);
	if (us)
		*us = now_us() - t0;
	for (i = 0; i < m; i++)
		t.o[i] = be[slots[i]].cookie;
	free(be);
	free(slots);
	free(scratch);
	return t;
}

static struct owners build_ref(const struct mg_backend *be, uint32_t n, uint32_t m,
			       double *us)
{
	int32_t *entry = malloc(sizeof(*entry) * m);
	uint32_t *off = malloc(sizeof(uint32_t) * n), *skip = malloc(sizeof(uint32_t) * n);
	uint32_t *next = malloc(sizeof(uint32_t) * n);
	struct owners t = { malloc(sizeof(uint32_t) * m), m };
	double t0;
	uint32_t i;

	t0 = now_us();
	ref_build(entry, m, be, n, off, skip, next);
	if (us)
		*us = now_us() - t0;
	for (i = 0; i < m; i++)
		t.o[i] = be[entry[i]].cookie;
	free(entry);
	free(off);
	free(skip);
	free(next);
	return t;
}

typedef struct owners (*builder)(const struct mg_backend *, uint32_t, uint32_t, double *);

static double best_us(builder b, const struct mg_backend *be, uint32_t n, uint32_t m)
{
	double best = 1e18, us;
	int r, runs = m > 100000 ? 7 : 15;

	for (r = 0; r < runs; r++) {
		struct owners t = b(be, n, m, &us);

		free(t.o);
		if (us < best)
			best = us;
	}
	return best;
}

static void bench_build(void)
{
	static const uint32_t ms[] = { 4093, 65521, 131071 };
	static const uint32_t ns[] = { 3, 100, 1000 };
	struct mg_backend *be = malloc(sizeof(*be) * 1000);
	unsigned int a, b;
	uint32_t i;

	for (i = 0; i < 1000; i++)
		mk(&be[i], i);
	printf("| M | N | maglev (ours) | reference | ours / reference |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	for (a = 0; a < 3; a++)
		for (b = 0; b < 3; b++) {
			double o = best_us(build_ours, be, ns[b], ms[a]);
			double r = best_us(build_ref, be, ns[b], ms[a]);

			printf("| %u | %u | %.0f µs | %.0f µs | %.2f |\n",
			       ms[a], ns[b], o, r, o / r);
		}
	free(be);
}

/* max/mean slots per backend */
static double balance(const struct owners *t, uint32_t n)
{
	uint32_t *c = calloc(n, sizeof(uint32_t)), i, max = 0;

	for (i = 0; i < t->m; i++)
		c[t->o[i]]++;
	for (i = 0; i < n; i++)
		if (c[i] > max)
			max = c[i];
	free(c);
	return max / ((double)t->m / n);
}

/* share of the survivors' slots that changed owner */
static double moved(const struct owners *a, const struct owners *b, uint32_t changed)
{
	uint32_t i, mv = 0, n = 0;

	for (i = 0; i < a->m; i++) {
		if (a->o[i] == changed || b->o[i] == changed)
			continue;
		n++;
		mv += a->o[i] != b->o[i];
	}
	return n ? (double)mv / n : 0;
}

static void bench_quality(void)
{
	static const struct {
		uint32_t n, m;
	} bal[] = { { 3, 4093 }, { 100, 65521 }, { 1000, 131071 } };
	builder bs[2] = { build_ours, build_ref };
	struct mg_backend *be = malloc(sizeof(*be) * 1001), *less;
	double v[2][5];
	unsigned int k, i;

	for (i = 0; i < 1001; i++)
		mk(&be[i], i);
	for (k = 0; k < 2; k++) {
		struct owners full, rm, add;

		for (i = 0; i < 3; i++) {
			struct owners t = bs[k](be, bal[i].n, bal[i].m, NULL);

			v[k][i] = balance(&t, bal[i].n);
			free(t.o);
		}
		/* N=100, M=65521: remove backend 37, add backend 100 */
		less = malloc(sizeof(*less) * 99);
		memcpy(less, be, sizeof(*less) * 37);
		memcpy(less + 37, be + 38, sizeof(*less) * 62);
		full = bs[k](be, 100, 65521, NULL);
		rm = bs[k](less, 99, 65521, NULL);
		add = bs[k](be, 101, 65521, NULL);
		v[k][3] = moved(&full, &rm, 37);
		v[k][4] = moved(&full, &add, 100);
		free(full.o);
		free(rm.o);
		free(add.o);
		free(less);
	}
	printf("| quantity | maglev (ours) | reference | target |\n");
	printf("|---|---:|---:|---:|\n");
	for (i = 0; i < 3; i++)
		printf("| max/mean slots, N=%u, M=%u | %.4f | %.4f | ≤ 1.01 |\n",
		       bal[i].n, bal[i].m, v[0][i], v[1][i]);
	printf("| survivors' flows moved, remove 1 of 100, M=65521 | %.3f%% | %.3f%% | ≤ 1%% |\n",
	       v[0][3] * 100, v[1][3] * 100);
	printf("| survivors' flows moved, add a 101st, M=65521 | %.3f%% | %.3f%% | ≤ 1%% |\n",
	       v[0][4] * 100, v[1][4] * 100);
	free(be);
}

/* ---- lookups ------------------------------------------------------------- */

/* What schedule() does on its fast path: hash, slot, backend, usable? */
struct fake_dest {
	int weight;
	unsigned int flags;
};

static struct fake_dest dests[100];
static struct fake_dest *dptr[100];

__attribute__((noinline)) static struct fake_dest *
lookup_ours(const uint16_t *slots, uint32_t m, uint32_t s, uint32_t d, uint32_t ports)
{
	struct fake_dest *dest;

	dest = dptr[slots[mg_reduce(mg_hash_v4(&keys.flow, s, d, ports, 6), m)]];
	return dest->weight > 0 && !(dest->flags & 2) ? dest : NULL;
}

__attribute__((noinline)) static struct fake_dest *
lookup_ref(const int32_t *entry, uint32_t m, uint32_t s, uint32_t d, uint32_t ports)
{
	struct fake_dest *dest;

	dest = dptr[entry[mg_hash_v4(&keys.flow, s, d, ports, 6) % m]];
	return dest->weight > 0 && !(dest->flags & 2) ? dest : NULL;
}

__attribute__((noinline)) void lookup_loop_ours(const uint16_t *slots, uint32_t m, long k);
__attribute__((noinline)) void lookup_loop_ours(const uint16_t *slots, uint32_t m, long k)
{
	volatile uintptr_t sink = 0;
	long i;

	for (i = 0; i < k; i++)
		sink += (uintptr_t)lookup_ours(slots, m, 0x0a000002 + (uint32_t)i,
					       0xc0a80001, (uint32_t)(i & 0xffff) << 16 | 80);
}

__attribute__((noinline)) void lookup_loop_ref(const int32_t *entry, uint32_t m, long k);
__attribute__((noinline)) void lookup_loop_ref(const int32_t *entry, uint32_t m, long k)
{
	volatile uintptr_t sink = 0;
	long i;

	for (i = 0; i < k; i++)
		sink += (uintptr_t)lookup_ref(entry, m, 0x0a000002 + (uint32_t)i,
					      0xc0a80001, (uint32_t)(i & 0xffff) << 16 | 80);
}

static void bench_lookup(long k, int ref)
{
	struct mg_backend be[100], cp[100];
	uint16_t *slots = malloc(sizeof(uint16_t) * 65521);
	int32_t *entry = malloc(sizeof(int32_t) * 65521);
	uint32_t off[100], skip[100], next[100], i;
	void *scratch = malloc(mg_scratch_size(65521, 100));

	for (i = 0; i < 100; i++) {
		mk(&be[i], i);
		dests[i].weight = 1;
		dptr[i] = &dests[i];
	}
	memcpy(cp, be, sizeof(be));
	mg_build(slots, 65521, cp, 100, &keys, scratch);
	ref_build(entry, 65521, be, 100, off, skip, next);
	if (ref)
		lookup_loop_ref(entry, 65521, k);
	else
		lookup_loop_ours(slots, 65521, k);
	free(slots);
	free(entry);
	free(scratch);
}

int main(int argc, char **argv)
{
	mg_keys_init(&keys, MG_SEED_DEFAULT);
	if (argc >= 2 && !strcmp(argv[1], "build"))
		bench_build();
	else if (argc >= 2 && !strcmp(argv[1], "quality"))
		bench_quality();
	else if (argc >= 3 && !strcmp(argv[1], "lookup"))
		bench_lookup(atol(argv[2]), 0);
	else if (argc >= 3 && !strcmp(argv[1], "reflookup"))
		bench_lookup(atol(argv[2]), 1);
	else {
		fprintf(stderr, "usage: bench_core build|quality|lookup K|reflookup K\n");
		return 2;
	}
	return 0;
}
