/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maglev consistent hashing: table population and lookup.
 *
 * This file and maglev.c are plain C. They include no kernel header beyond
 * the type shim below, so the very same code is compiled into the module,
 * the host unit tests (selftests/unit) and the benchmarks (selftests/bench).
 * Nothing here allocates, sleeps or locks: callers own all memory.
 *
 * Algorithm: Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, section 3.4. Each backend has a preference list
 * over the M slots (M prime) given by an offset and a skip derived from two
 * keyed hashes of its identity; backends take turns claiming their next
 * preferred free slot until the table is full.
 *
 * What this implementation adds to the paper, and to the kernel's ip_vs_mh:
 *  - Canonical order. Backends are sorted by identity (family, address,
 *    port) before population, and slot values are indices into that sorted
 *    order. The same set of (identity, weight) and the same seed therefore
 *    give a byte-identical table whatever order the configuration came in.
 *  - Exact weights. Each backend's slot count (its quota) is its weight's
 *    share of M, apportioned by largest remainder (Hamilton's method), so
 *    |slots - M*w/W| < 1 for every backend, at the full 32-bit resolution of
 *    IPVS weights.
 *  - Proportional turns. Backend i takes its k-th turn at virtual time
 *    (k + 1/2) * R / q_i, where q_i is its quota and R the largest quota.
 *    With equal weights this is exactly the paper's round robin; with
 *    unequal weights every backend's claims are spread evenly over the
 *    fill instead of the light ones finishing first. Turns are ordered by
 *    a counting sort over R buckets (ties by index), so a build costs
 *    O(M log M) probes plus O(M + N log N), with no per-turn division.
 *  - Compact slots: 16-bit backend indices, 2 bytes per slot.
 *
 * Hashing is keyed (mg_keys, derived from one 64-bit seed) and follows the
 * multiply-fold construction popularised by wyhash (Wang Yi, public
 * domain): fold the 128-bit product of two key-whitened 64-bit words.
 * Every value is converted to host order first and 128-bit products are
 * computed exactly, so results are identical on every architecture.
 */
#ifndef _IP_VS_MAGLEV_CORE_H
#define _IP_VS_MAGLEV_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

/* Table sizes: M must be prime. MG_SIZE_MAX keeps slot counts in 32 bits
 * with plenty of room and the table (2 bytes a slot) at 2 MiB at most.
 */
#define MG_SIZE_MIN		251u
#define MG_SIZE_MAX		1048573u	/* largest prime below 2^20 */
#define MG_SIZE_DEFAULT		65521u		/* largest prime below 2^16 */

/* Slot values are backend indices; at most this many backends get slots. */
#define MG_MAX_BACKENDS		65535u
#define MG_SLOT_NONE		0xffffu

/* The documented default seed ("maglev01" in ASCII). Directors that must
 * agree on their tables must use the same seed.
 */
#define MG_SEED_DEFAULT		0x6d61676c65763031ULL

struct mg_key {
	u64 k[4];
};

struct mg_keys {
	struct mg_key flow;	/* packet 5-tuple / source address hash */
	struct mg_key offset;	/* backend identity -> permutation offset */
	struct mg_key skip;	/* backend identity -> permutation skip */
	struct mg_key alt;	/* fallback probe sequence */
};

/* Canonical backend identity, ordered by memcmp():
 * [0] family (4 or 6), [1] 0, [2..17] address (IPv4 in [2..5], rest 0),
 * [18..19] port, all in network byte order.
 */
#define MG_ID_LEN		20
struct mg_id {
	u8 b[MG_ID_LEN];
};

struct mg_backend {
	struct mg_id id;
	u32 weight;		/* 0: gets no slots */
	u32 cookie;		/* caller's own reference, carried through the sort */
	u32 slots;		/* out: slots owned in the table */
};

/* Derive all keys from one seed (splitmix64 expansion). */
void mg_keys_init(struct mg_keys *keys, u64 seed);

/* @addr: 4 or 16 bytes, @port: 2 bytes, both in network byte order */
void mg_id_set(struct mg_id *id, int family, const void *addr, const void *port);

bool mg_is_prime(u32 n);

/* Bytes of scratch memory mg_build() needs for a table of @m slots and @n
 * backends. Never more than 7 * m + 12 * n + 64.
 */
size_t mg_scratch_size(u32 m, u32 n);

/*
 * mg_build - populate a table.
 * @slots:   m entries, written completely (MG_SLOT_NONE only if no backend
 *           has weight)
 * @m:       table size, a prime in [MG_SIZE_MIN, MG_SIZE_MAX]
 * @be:      backends; sorted in place into canonical order. Slot values
 *           index this sorted array. Identities must be unique.
 * @n:       number of backends, at most MG_MAX_BACKENDS
 * @scratch: mg_scratch_size(m, n) bytes, any alignment of 8
 *
 * Returns the number of backends that own slots, or -1 on invalid input.
 */
int mg_build(u16 *slots, u32 m, struct mg_backend *be, u32 n,
	     const struct mg_keys *keys, void *scratch);

/* Digest of a built table: changes with any slot and any identity. */
u64 mg_digest(const u16 *slots, u32 m, const struct mg_backend *be, u32 n);

/* ---- lookup: inline, used by the packet path ---------------------------- */

static inline u64 mg_mum(u64 a, u64 b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b;

	return (u64)r ^ (u64)(r >> 64);
#else
	u64 ha = a >> 32, la = (u32)a, hb = b >> 32, lb = (u32)b;
	u64 rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
	u64 t = rl + (rm0 << 32);
	u64 lo, hi;

	hi = rh + (rm0 >> 32) + (rm1 >> 32) + (t < rl);
	lo = t + (rm1 << 32);
	hi += (lo < t);
	return lo ^ hi;
#endif
}

/* Hash of an IPv4 flow; all arguments in host byte order. ports is
 * (client port << 16 | service port). Source-only hashing passes 0 for
 * daddr, ports and proto.
 */
static inline u32 mg_hash_v4(const struct mg_key *key, u32 saddr, u32 daddr,
			     u32 ports, u32 proto)
{
	u64 h;

	h = mg_mum(((u64)saddr << 32 | daddr) ^ key->k[0],
		   ((u64)ports << 32 | proto) ^ key->k[1]);
	h = mg_mum(h ^ key->k[2], 13 ^ key->k[3]);
	return (u32)(h ^ (h >> 32));
}

/* Hash of an IPv6 flow; addresses as four host-order words each. */
static inline u32 mg_hash_v6(const struct mg_key *key, const u32 *saddr,
			     const u32 *daddr, u32 ports, u32 proto)
{
	u64 a, b, h;

	a = mg_mum(((u64)saddr[0] << 32 | saddr[1]) ^ key->k[0],
		   ((u64)saddr[2] << 32 | saddr[3]) ^ key->k[1]);
	b = mg_mum(((u64)daddr[0] << 32 | daddr[1]) ^ key->k[2],
		   ((u64)daddr[2] << 32 | daddr[3]) ^ key->k[3]);
	h = mg_mum(a ^ ((u64)ports << 32 | proto) ^ key->k[1],
		   b ^ 37 ^ key->k[0]);
	return (u32)(h ^ (h >> 32));
}

/* Map a 32-bit hash onto [0, m) without a division (Lemire, "Fast Random
 * Integer Generation in an Interval", ACM TOMACS 2019).
 */
static inline u32 mg_reduce(u32 hash, u32 m)
{
	return (u32)(((u64)hash * m) >> 32);
}

/* The i-th alternative slot for a flow whose first choice is unusable:
 * a keyed re-hash, so every director falls back the same way.
 */
static inline u32 mg_alt_slot(const struct mg_key *alt, u32 hash, u32 i,
			      u32 m)
{
	u64 h = mg_mum(((u64)hash << 32 | i) ^ alt->k[0], alt->k[1]);

	return mg_reduce((u32)(h ^ (h >> 32)), m);
}

#endif /* _IP_VS_MAGLEV_CORE_H */
