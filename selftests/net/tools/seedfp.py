#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The hash seed's fingerprint, as include/uapi/linux/ip_vs_maglev.h defines
it: SipHash-2-4 of the 64-bit message 0 keyed with (seed, "maglevfp").

  seedfp.py SEED        prints the fingerprint, 16 hex digits
  seedfp.py --selftest  checks this SipHash against the reference vector

SipHash-2-4 as specified by Aumasson and Bernstein, "SipHash: a fast
short-input PRF" (2012): appendix A's vector is the self-test. The key's
two 64-bit halves are taken as the kernel's siphash_key_t holds them.
"""
import struct
import sys

M64 = (1 << 64) - 1
FP_KEY1 = 0x6d61676c65766670    # "maglevfp"


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def sipround(v):
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16); v3 ^= v2
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21); v3 ^= v0
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash24(k0, k1, msg):
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    n = len(msg)
    tail = msg[n - n % 8:] + b"\0" * (7 - n % 8) + bytes([n & 0xff])
    for i in range(0, n - n % 8, 8):
        m, = struct.unpack("<Q", msg[i:i + 8])
        v[3] ^= m
        v = sipround(sipround(v))
        v[0] ^= m
    m, = struct.unpack("<Q", tail)
    v[3] ^= m
    v = sipround(sipround(v))
    v[0] ^= m
    v[2] ^= 0xff
    for _ in range(4):
        v = sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def fingerprint(seed):
    return siphash24(seed & M64, FP_KEY1, struct.pack("<Q", 0))


def selftest():
    key = bytes(range(16))
    k0, k1 = struct.unpack("<QQ", key)
    # the paper's appendix A: 15-byte message 00..0e
    return siphash24(k0, k1, bytes(range(15))) == 0xa129ca6149be45e5


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--selftest":
        ok = selftest()
        print("siphash-2-4 reference vector: %s" % ("ok" if ok else "WRONG"))
        sys.exit(0 if ok else 1)
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    print("%016x" % fingerprint(int(sys.argv[1], 0)))
