// SPDX-License-Identifier: GPL-2.0
/*
 * bench_hash: the module's flow hash (mg_hash_v4/v6, kmod/maglev.h: two or
 * three 64x64->128-bit multiplications of key-xored words) against the
 * keyed hashes made for hostile input that the kernel offers
 * (lib/siphash.c): SipHash-2-4 (siphash) and, on 64-bit, SipHash-1-3
 * (hsiphash). Written here from the SipHash paper (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012), for the same inputs the
 * packet path hashes: the 5-tuple as two 64-bit words (IPv4) or five
 * (IPv6), as the kernel's siphash_2u64()/siphash_5u64()... would take them.
 *
 *   bench_hash selftest    the SipHash code against the paper's vector
 *   bench_hash MODE K      K hashes in a loop, for callgrind; MODE is
 *                          mg4 sip4 hsip4 mg6 sip6 hsip6
 *
 * scripts/bench.sh counts instructions with callgrind (repeatable on a
 * noisy machine): the figure for the evaluation in README's "Hardening".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kmod/maglev.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void sipround(struct sip *s)
{
	s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0; s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2; s->v2 = ROTL(s->v2, 32);
}

/* SipHash-c-d of @n whole 64-bit words (the message is 8n bytes) */
static inline uint64_t siphash_words(const uint64_t k[2], const uint64_t *w, int n,
				     int c, int d)
{
	struct sip s = {
		k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL,
		k[0] ^ 0x6c7967656e657261ULL, k[1] ^ 0x7465646279746573ULL,
	};
	uint64_t b = (uint64_t)(8 * n) << 56;
	int i, r;

	for (i = 0; i < n; i++) {
		s.v3 ^= w[i];
		for (r = 0; r < c; r++)
			sipround(&s);
		s.v0 ^= w[i];
	}
	s.v3 ^= b;
	for (r = 0; r < c; r++)
		sipround(&s);
	s.v0 ^= b;
	s.v2 ^= 0xff;
	for (r = 0; r < d; r++)
		sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* the general byte-string form, for the paper's test vector only */
static uint64_t siphash24_bytes(const uint64_t k[2], const uint8_t *m, size_t len)
{
	uint64_t w[4] = { 0 }, tail = (uint64_t)len << 56;
	size_t i, n = len / 8;
	struct sip s = {
		k[0] ^ 0x736f6d6570736575ULL, k[1] ^ 0x646f72616e646f6dULL,
		k[0] ^ 0x6c7967656e657261ULL, k[1] ^ 0x7465646279746573ULL,
	};
	int r;

	for (i = 0; i < n; i++) {
		memcpy(&w[0], m + 8 * i, 8);	/* little-endian host */
		s.v3 ^= w[0];
		sipround(&s);
		sipround(&s);
		s.v0 ^= w[0];
	}
	for (i = 0; i < len % 8; i++)
		tail |= (uint64_t)m[8 * n + i] << (8 * i);
	s.v3 ^= tail;
	sipround(&s);
	sipround(&s);
	s.v0 ^= tail;
	s.v2 ^= 0xff;
	for (r = 0; r < 4; r++)
		sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

static struct mg_keys keys;
static uint64_t skey[2];
static uint32_t v6s[4] = { 0x20010db8, 0, 0, 2 }, v6d[4] = { 0x20010db8, 0, 0, 0x100 };

#define LOOP(name, expr)							\
	__attribute__((noinline)) void name(long k);				\
	__attribute__((noinline)) void name(long k)				\
	{									\
		volatile uint64_t sink = 0;					\
		long i;								\
		for (i = 0; i < k; i++) {					\
			uint32_t s = 0x0a000002 + (uint32_t)i;			\
			uint32_t ports = (uint32_t)(i & 0xffff) << 16 | 80;	\
			sink += (expr);						\
		}								\
	}

LOOP(loop_mg4, mg_hash_v4(&keys.flow, s, 0xc0a80001, ports, 6))
LOOP(loop_sip4, ({ uint64_t w[2] = { (uint64_t)s << 32 | 0xc0a80001, (uint64_t)ports << 32 | 6 };
		   siphash_words(skey, w, 2, 2, 4); }))
LOOP(loop_hsip4, ({ uint64_t w[2] = { (uint64_t)s << 32 | 0xc0a80001, (uint64_t)ports << 32 | 6 };
		    siphash_words(skey, w, 2, 1, 3); }))
LOOP(loop_mg6, ({ v6s[3] = s; mg_hash_v6(&keys.flow, v6s, v6d, ports, 6); }))
LOOP(loop_sip6, ({ uint64_t w[5] = { (uint64_t)v6s[0] << 32 | v6s[1], (uint64_t)v6s[2] << 32 | s,
				     (uint64_t)v6d[0] << 32 | v6d[1], (uint64_t)v6d[2] << 32 | v6d[3],
				     (uint64_t)ports << 32 | 6 };
		   siphash_words(skey, w, 5, 2, 4); }))
LOOP(loop_hsip6, ({ uint64_t w[5] = { (uint64_t)v6s[0] << 32 | v6s[1], (uint64_t)v6s[2] << 32 | s,
				      (uint64_t)v6d[0] << 32 | v6d[1], (uint64_t)v6d[2] << 32 | v6d[3],
				      (uint64_t)ports << 32 | 6 };
		    siphash_words(skey, w, 5, 1, 3); }))

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(long); } modes[] = {
		{ "mg4", loop_mg4 }, { "sip4", loop_sip4 }, { "hsip4", loop_hsip4 },
		{ "mg6", loop_mg6 }, { "sip6", loop_sip6 }, { "hsip6", loop_hsip6 },
	};
	size_t i;

	mg_keys_init(&keys, MG_SEED_DEFAULT);
	skey[0] = keys.flow.k[0];
	skey[1] = keys.flow.k[1];
	if (argc == 2 && !strcmp(argv[1], "selftest")) {
		const uint64_t k[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
		uint8_t m[15];
		uint64_t w = 0, h;

		for (i = 0; i < sizeof(m); i++)
			m[i] = (uint8_t)i;
		h = siphash24_bytes(k, m, sizeof(m));
		/* and the word form agrees with the byte form on 8 bytes */
		memcpy(&w, m, 8);
		if (h != 0xa129ca6149be45e5ULL ||
		    siphash_words(k, &w, 1, 2, 4) != siphash24_bytes(k, m, 8)) {
			printf("siphash: WRONG (%016llx)\n", (unsigned long long)h);
			return 1;
		}
		printf("siphash: the paper's vector ok\n");
		return 0;
	}
	if (argc == 3)
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(argv[1], modes[i].name)) {
				modes[i].fn(atol(argv[2]));
				return 0;
			}
	fprintf(stderr, "usage: bench_hash selftest | bench_hash mg4|sip4|hsip4|mg6|sip6|hsip6 K\n");
	return 2;
}
