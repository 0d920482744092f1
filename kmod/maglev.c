// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev table population; see maglev.h for the algorithm and what it adds
 * to the paper. Plain C: compiled into the module and into host tests.
 */
#include "maglev.h"

/* The shim: sorting and 64-bit division, the only library calls. */
#ifdef __KERNEL__
#include <linux/math64.h>
#include <linux/sort.h>
#include <linux/string.h>
#define mg_sort(base, num, size, cmp)	sort(base, num, size, cmp, NULL)
#define mg_div64_rem(a, b, rem)		div64_u64_rem(a, b, rem)
#else
#include <stdlib.h>
#include <string.h>
#define mg_sort(base, num, size, cmp)	qsort(base, num, size, cmp)
static inline u64 mg_div64_rem(u64 a, u64 b, u64 *rem)
{
	*rem = a % b;
	return a / b;
}
#endif

/* splitmix64 (Steele, Lea, Flood, "Fast Splittable Pseudorandom Number
 * Generators", OOPSLA 2014): expands one seed into independent keys.
 */
static u64 mg_splitmix64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void mg_keys_init(struct mg_keys *keys, u64 seed)
{
	struct mg_key *all[] = { &keys->flow, &keys->offset, &keys->skip,
				 &keys->alt };
	u64 state = seed;
	unsigned int i, j;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		for (j = 0; j < 4; j++)
			all[i]->k[j] = mg_splitmix64(&state);
}

void mg_id_set(struct mg_id *id, int family, const void *addr, const void *port_be)
{
	const u8 *port = port_be;

	memset(id, 0, sizeof(*id));
	id->b[0] = family == 6 ? 6 : 4;
	memcpy(&id->b[2], addr, family == 6 ? 16 : 4);
	id->b[18] = port[0];
	id->b[19] = port[1];
}

bool mg_is_prime(u32 n)
{
	u32 d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

static u64 mg_be64(const u8 *p)
{
	return (u64)p[0] << 56 | (u64)p[1] << 48 | (u64)p[2] << 40 |
	       (u64)p[3] << 32 | (u64)p[4] << 24 | (u64)p[5] << 16 |
	       (u64)p[6] << 8 | (u64)p[7];
}

static u64 mg_hash_id(const struct mg_key *key, const struct mg_id *id)
{
	u64 w2 = (u64)id->b[16] << 24 | (u64)id->b[17] << 16 |
		 (u64)id->b[18] << 8 | id->b[19];
	u64 h;

	h = mg_mum(mg_be64(&id->b[0]) ^ key->k[0],
		   mg_be64(&id->b[8]) ^ key->k[1]);
	return mg_mum(h ^ key->k[2], (w2 << 8 | MG_ID_LEN) ^ key->k[3]);
}

static int mg_cmp_backend(const void *a, const void *b)
{
	const struct mg_backend *x = a, *y = b;

	return memcmp(x->id.b, y->id.b, MG_ID_LEN);
}

/* Apportionment: largest fractional remainder first, then lower index. */
struct mg_rem {
	u64 frac;
	u32 idx;
	u32 pad;
};

static int mg_cmp_rem(const void *a, const void *b)
{
	const struct mg_rem *x = a, *y = b;

	if (x->frac != y->frac)
		return x->frac > y->frac ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

/* Per-backend build state, in scratch. */
struct mg_turn {
	u32 next;	/* next preferred slot to try */
	u32 skip;	/* permutation stride, in [1, m-1] */
	u32 quota;	/* slots this backend will own */
};

#define MG_ALIGN8(x)	(((x) + 7) & ~(size_t)7)

struct mg_scratch {
	struct mg_turn *turn;	/* n */
	struct mg_rem *rem;	/* n */
	u64 *used;		/* bitmap of m */
	u32 *pos;		/* R + 1 bucket positions, R <= m */
	u16 *ev;		/* m turns, in order */
};

static size_t mg_scratch_layout(u32 m, u32 n, void *base, struct mg_scratch *s)
{
	size_t off = 0;
	u8 *p = base;

	if (s)
		s->turn = (struct mg_turn *)(p + off);
	off += MG_ALIGN8((size_t)n * sizeof(struct mg_turn));
	if (s)
		s->rem = (struct mg_rem *)(p + off);
	off += MG_ALIGN8((size_t)n * sizeof(struct mg_rem));
	if (s)
		s->used = (u64 *)(p + off);
	off += ((size_t)m + 63) / 64 * 8;
	if (s)
		s->pos = (u32 *)(p + off);
	off += MG_ALIGN8(((size_t)m + 1) * sizeof(u32));
	if (s)
		s->ev = (u16 *)(p + off);
	off += MG_ALIGN8((size_t)m * sizeof(u16));
	return off;
}

size_t mg_scratch_size(u32 m, u32 n)
{
	return mg_scratch_layout(m, n, NULL, NULL);
}

/* Quotas by largest remainder: sum(quota) == m exactly. */
static void mg_apportion(const struct mg_backend *be, u32 n, u32 m, u64 total,
			 struct mg_scratch *s)
{
	u64 given = 0;
	u32 i, left;

	for (i = 0; i < n; i++) {
		u64 share = (u64)m * be[i].weight;

		s->turn[i].quota = (u32)mg_div64_rem(share, total, &s->rem[i].frac);
		s->rem[i].idx = i;
		s->rem[i].pad = 0;
		given += s->turn[i].quota;
	}
	left = m - (u32)given;		/* < n, since each floor loses < 1 */
	if (!left)
		return;
	mg_sort(s->rem, n, sizeof(*s->rem), mg_cmp_rem);
	for (i = 0; i < left; i++)
		s->turn[s->rem[i].idx].quota++;
}

/*
 * Order all m turns by virtual time. Backend i's k-th turn falls in bucket
 * floor((2k + 1) * R / (2 q_i)). The bucket sequence is walked with an
 * integer DDA (quotient and remainder of 2R / 2q_i added per turn), so no
 * turn needs a division. Within a bucket, turns are in backend order.
 */
static void mg_order_turns(u32 n, u32 r_max, struct mg_scratch *s)
{
	u32 i, b, k, pass;

	memset(s->pos, 0, ((size_t)r_max + 1) * sizeof(u32));
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			u32 q = s->turn[i].quota, den, quo, rm, r;

			if (!q)
				continue;
			den = 2 * q;
			quo = (2 * r_max) / den;
			rm = (2 * r_max) % den;
			b = r_max / den;
			r = r_max % den;
			for (k = 0; k < q; k++) {
				if (pass == 0)
					s->pos[b + 1]++;
				else
					s->ev[s->pos[b]++] = (u16)i;
				b += quo;
				r += rm;
				if (r >= den) {
					r -= den;
					b++;
				}
			}
		}
		if (pass == 0)
			for (b = 0; b < r_max; b++)
				s->pos[b + 1] += s->pos[b];
	}
}

int mg_build(u16 *slots, u32 m, struct mg_backend *be, u32 n,
	     const struct mg_keys *keys, void *scratch)
{
	struct mg_scratch s;
	u64 total = 0, r;
	u32 i, e, r_max = 0;
	int owners = 0;

	if (m < MG_SIZE_MIN || m > MG_SIZE_MAX || n > MG_MAX_BACKENDS)
		return -1;
	mg_scratch_layout(m, n, scratch, &s);

	if (n > 1)
		mg_sort(be, n, sizeof(*be), mg_cmp_backend);
	for (i = 0; i < n; i++) {
		if (i && !memcmp(be[i - 1].id.b, be[i].id.b, MG_ID_LEN))
			return -1;
		total += be[i].weight;
		be[i].slots = 0;
	}
	if (!total) {
		for (i = 0; i < m; i++)
			slots[i] = MG_SLOT_NONE;
		return 0;
	}

	mg_apportion(be, n, m, total, &s);
	for (i = 0; i < n; i++) {
		struct mg_turn *t = &s.turn[i];

		if (!t->quota)
			continue;
		mg_div64_rem(mg_hash_id(&keys->offset, &be[i].id), m, &r);
		t->next = (u32)r;
		mg_div64_rem(mg_hash_id(&keys->skip, &be[i].id), m - 1, &r);
		t->skip = (u32)r + 1;
		if (t->quota > r_max)
			r_max = t->quota;
		be[i].slots = t->quota;
		owners++;
	}
	mg_order_turns(n, r_max, &s);

	memset(s.used, 0, ((size_t)m + 63) / 64 * 8);
	/* Exactly m turns for m slots: a free slot always exists, and since m
	 * is prime every skip visits all slots, so each probe loop ends.
	 */
	for (e = 0; e < m; e++) {
		struct mg_turn *t = &s.turn[s.ev[e]];
		u32 c = t->next;

		while (s.used[c >> 6] & (1ULL << (c & 63))) {
			c += t->skip;
			if (c >= m)
				c -= m;
		}
		s.used[c >> 6] |= 1ULL << (c & 63);
		slots[c] = s.ev[e];
		c += t->skip;
		if (c >= m)
			c -= m;
		t->next = c;
	}
	return owners;
}

u64 mg_digest(const u16 *slots, u32 m, const struct mg_backend *be, u32 n)
{
	const u64 k = 0x9fb21c651e98df25ULL;
	u64 h = mg_mum((u64)m << 32 | n, k);
	u32 i, j;

	for (i = 0; i < m; i += 4) {
		u64 w = 0;

		for (j = 0; j < 4 && i + j < m; j++)
			w |= (u64)slots[i + j] << (16 * j);
		h = mg_mum(h ^ w, k);
	}
	for (i = 0; i < n; i++) {
		h = mg_mum(h ^ mg_be64(&be[i].id.b[0]), k);
		h = mg_mum(h ^ mg_be64(&be[i].id.b[8]), k);
		h = mg_mum(h ^ ((u64)be[i].id.b[16] << 56 |
				(u64)be[i].id.b[17] << 48 |
				(u64)be[i].id.b[18] << 40 |
				(u64)be[i].id.b[19] << 32 | be[i].slots), k);
	}
	return h;
}
