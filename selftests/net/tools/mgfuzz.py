#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
mgfuzz: hostile input for the IPVS_MAGLEV generic netlink family.

    mgfuzz.py -n COUNT [-s SEED] [--svc PROTO:ADDR:PORT] [--dumps N] [--json]

Sends COUNT messages over raw netlink sockets, built to be wrong in every
way the family must survive:

  garbage   random command, flags and payload after a valid genl header
  types     real commands with attributes of the wrong type or length,
            unknown attribute numbers, NLA_REJECT (read-only) attributes,
            nests that are not nests, and zero-length attributes
  missing   real commands without the attributes they need
  unknown   well-formed requests for services that do not exist
  range     out-of-range values for the real service (--svc): they must
            be refused, so they change nothing
  trunc     headers whose lengths lie: nlmsg_len or nla_len past the end,
            nla_len below the header size (sent alone, one per write)
  dumps     (--dumps N) dumps of services and backends abandoned midway:
            the socket is closed after the first part is read

With --unprivileged (a caller without CAP_NET_ADMIN over the namespace),
success is: no request of any class was accepted. --set-table-size N
sends one well-formed SET_SERVICE instead (for privilege tests).

The requests ask for acks with extended acks on. Prints one line per
class, "class sent N errors N extack N ok N", and "total N". With --json,
the same as a JSON object. Exit 0 when every request was answered (an ack
or an error for each) and every refusal of the "missing", "unknown" and
"range" classes carried an extack message; 1 otherwise.

Only this machine's kernel is addressed (AF_NETLINK); every loop is
bounded by COUNT.
"""

import argparse
import errno
import json
import random
import select
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_ACK_TLVS = 0x200
NLM_F_CAPPED = 0x100
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLA_F_NESTED = 0x8000

# include/uapi/linux/ip_vs_maglev.h
CMD_GET_INFO, CMD_GET_SERVICE, CMD_SET_SERVICE, CMD_GET_BACKEND, \
    CMD_LOOKUP, CMD_SET_BACKEND, CMD_FLUSH_PINS = range(1, 8)
CMDS = list(range(1, 8))
A_INFO, A_SERVICE, A_BACKEND, A_FLOW = 1, 2, 3, 4
SVC_AF, SVC_PROTOCOL, SVC_ADDR, SVC_PORT, SVC_FWMARK, SVC_TABLE_SIZE, \
    SVC_HASH = range(1, 8)
SVC_SS_WINDOW_MS, SVC_SS_AGGRESSION, SVC_SS_MIN_PCT = 25, 26, 27
SVC_PIN, SVC_PIN_MAX = 31, 32
SVC_MAX = 41
BE_AF, BE_ADDR, BE_PORT, BE_WEIGHT = 1, 2, 3, 4
BE_DOWN, BE_SAVED_WEIGHT, BE_DRAIN_DEADLINE = 14, 16, 17
BE_MAX = 18
FLOW_PROTOCOL, FLOW_SADDR, FLOW_DADDR, FLOW_SPORT, FLOW_DPORT = range(1, 6)


RNG = random.Random()    # reseeded in main(): runs are reproducible


def nla(t, payload):
    hdr = struct.pack("=HH", 4 + len(payload), t)
    pad = (4 - len(payload) % 4) % 4
    return hdr + payload + b"\0" * pad


def u8(v):
    return struct.pack("=B", v & 0xFF)


def u16(v):
    return struct.pack("=H", v & 0xFFFF)


def be16(v):
    return struct.pack("!H", v & 0xFFFF)


def u32(v):
    return struct.pack("=I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("=Q", v & 0xFFFFFFFFFFFFFFFF)


def nest(t, *attrs):
    return nla(t | NLA_F_NESTED, b"".join(attrs))


def extack_msg(data, off, end):
    """NLMSGERR_ATTR_MSG among the TLVs in data[off:end], or None."""
    while off + 4 <= end:
        alen, atyp = struct.unpack_from("=HH", data, off)
        if alen < 4:
            break
        if atyp & 0x3FFF == NLMSGERR_ATTR_MSG:
            return data[off + 4:off + alen].split(b"\0")[0].decode(errors="replace")
        off += (alen + 3) & ~3
    return None


class Genl:
    def __init__(self):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sk.bind((0, 0))
        self.seq = 1

    def close(self):
        self.sk.close()

    def msg(self, fam, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        # padded to 4 bytes: in a batch the kernel finds the next message
        # at the aligned offset
        return self.seq, (struct.pack("=IHHII", 16 + len(body), fam, flags, self.seq, 0) +
                          body + b"\0" * ((4 - len(body) % 4) % 4))

    def replies(self, want, timeout=3.0, until=None):
        """Read until an error/ack for every seq in @want (or for @until,
        which is in @want), or timeout.
        Returns {seq: (errno, extack message or None)}."""
        got = {}
        while len(got) < len(want) and (until is None or until not in got):
            r, _, _ = select.select([self.sk], [], [], timeout)
            if not r:
                break
            try:
                data = self.sk.recv(1 << 20)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    continue
                raise
            off = 0
            while off + 16 <= len(data):
                ln, typ, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
                if ln < 16:
                    break
                if typ in (NLMSG_ERROR, NLMSG_DONE) and seq in want and \
                        not (typ == NLMSG_DONE and ln < 20):
                    # an error or ack; or a dump's end, which carries the
                    # dump's error (a dump that could not start answers so)
                    err = -struct.unpack_from("=i", data, off + 16)[0]
                    msg = None
                    if flags & NLM_F_ACK_TLVS:
                        if typ == NLMSG_DONE:
                            toff = off + 20     # after the error code
                        else:
                            # struct nlmsgerr: the error, then the request
                            # echoed (all of it on an error unless capped,
                            # else its header)
                            olen = struct.unpack_from("=I", data, off + 20)[0]
                            echo = olen if err and not flags & NLM_F_CAPPED else 16
                            toff = off + 16 + 4 + ((echo + 3) & ~3)
                        msg = extack_msg(data, toff, off + ln)
                    got[seq] = (err, msg)
                off += (ln + 3) & ~3
        return got

    def family(self, name):
        seq, m = self.msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                          nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"),
                          flags=NLM_F_REQUEST)
        self.sk.send(m)
        r, _, _ = select.select([self.sk], [], [], 3.0)
        if not r:
            return None
        data = self.sk.recv(65536)
        ln, typ = struct.unpack_from("=IH", data, 0)
        if typ == NLMSG_ERROR:
            return None
        off = 20
        while off + 4 <= ln:
            alen, atyp = struct.unpack_from("=HH", data, off)
            if alen < 4:
                break
            if atyp == CTRL_ATTR_FAMILY_ID:
                return struct.unpack_from("=H", data, off + 4)[0]
            off += (alen + 3) & ~3
        return None


def svc_id(rng, svc, unknown):
    proto, addr, port = svc
    if unknown:
        # a port no test uses, sometimes a fwmark nobody set
        if rng.random() < 0.2:
            return [nla(SVC_AF, u16(socket.AF_INET)), nla(SVC_FWMARK, u32(rng.randrange(0xF0000000, 0xFFFFFFFF)))]
        port = rng.randrange(40000, 60000)
    return [nla(SVC_AF, u16(socket.AF_INET)), nla(SVC_PROTOCOL, u16(proto)),
            nla(SVC_ADDR, socket.inet_aton(addr)), nla(SVC_PORT, be16(port))]


def rand_attr(rng, maxtype):
    t = rng.randrange(0, maxtype + 8)
    kind = rng.randrange(6)
    if kind == 0:
        payload = b""
    elif kind == 1:
        payload = RNG.randbytes(rng.choice([1, 2, 3, 5, 7, 17, 33]))
    elif kind == 2:
        payload = u64(rng.getrandbits(64))
    elif kind == 3:
        payload = nla(rng.randrange(0, 50), RNG.randbytes(rng.randrange(0, 12)))
    elif kind == 4:
        payload = RNG.randbytes(rng.randrange(0, 300))
    else:
        payload = u32(rng.getrandbits(32))
    if rng.random() < 0.2:
        t |= NLA_F_NESTED
    return nla(t, payload)


def gen(rng, cls, fam, g, svc):
    """One request of class @cls: (bytes, seq)."""
    if cls == "garbage":
        cmd = rng.randrange(256)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if rng.random() < 0.2 else 0)
        return g.msg(fam, cmd, RNG.randbytes(rng.randrange(0, 200)), flags=flags,
                     version=rng.randrange(256))
    if cls == "types":
        cmd = rng.choice(CMDS)
        inner = b"".join(rand_attr(rng, SVC_MAX if rng.random() < 0.7 else BE_MAX)
                         for _ in range(rng.randrange(1, 6)))
        top = rng.choice([A_SERVICE, A_BACKEND, A_FLOW, A_INFO, rng.randrange(0, 40)])
        attrs = nla(top | (NLA_F_NESTED if rng.random() < 0.7 else 0), inner)
        if rng.random() < 0.5:
            attrs += rand_attr(rng, 8)
        return g.msg(fam, cmd, attrs)
    if cls == "missing":
        choice = rng.randrange(7)
        if choice == 0:
            return g.msg(fam, CMD_SET_SERVICE, b"")
        if choice == 1:   # a parameter but no identity
            return g.msg(fam, CMD_SET_SERVICE, nest(A_SERVICE, nla(SVC_TABLE_SIZE, u32(251))))
        if choice == 2:   # identity without an address
            return g.msg(fam, CMD_SET_SERVICE, nest(A_SERVICE, nla(SVC_AF, u16(2)),
                                                    nla(SVC_PROTOCOL, u16(6)), nla(SVC_PORT, be16(80)),
                                                    nla(SVC_TABLE_SIZE, u32(251))))
        if choice == 3:
            return g.msg(fam, CMD_SET_BACKEND, nest(A_SERVICE, *svc_id(rng, svc, False)))
        if choice == 4:
            return g.msg(fam, CMD_LOOKUP, nest(A_SERVICE, *svc_id(rng, svc, False)))
        if choice == 5:
            return g.msg(fam, CMD_GET_BACKEND, b"", flags=NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
        return g.msg(fam, CMD_SET_BACKEND, nest(A_SERVICE, *svc_id(rng, svc, False)) +
                     nest(A_BACKEND, nla(BE_AF, u16(2)), nla(BE_DOWN, u8(1))))
    if cls == "unknown":
        sid = svc_id(rng, svc, True)
        choice = rng.randrange(5)
        if choice == 0:
            return g.msg(fam, CMD_SET_SERVICE, nest(A_SERVICE, *sid, nla(SVC_TABLE_SIZE, u32(251))))
        if choice == 1:
            return g.msg(fam, CMD_GET_SERVICE, nest(A_SERVICE, *sid))
        if choice == 2:
            return g.msg(fam, CMD_SET_BACKEND, nest(A_SERVICE, *sid) +
                         nest(A_BACKEND, nla(BE_AF, u16(2)), nla(BE_ADDR, RNG.randbytes(4)),
                              nla(BE_PORT, be16(rng.randrange(65536))), nla(BE_DOWN, u8(1))))
        if choice == 3:
            return g.msg(fam, CMD_LOOKUP, nest(A_SERVICE, *sid) +
                         nest(A_FLOW, nla(FLOW_SADDR, RNG.randbytes(4))))
        return g.msg(fam, CMD_FLUSH_PINS, nest(A_SERVICE, *sid))
    if cls == "range":
        sid = svc_id(rng, svc, False)
        bad = rng.choice([
            nla(SVC_TABLE_SIZE, u32(rng.choice([1, 2, 250, 252, 1048574, 1048576, 0xFFFFFFFF, 65520]))),
            nla(SVC_HASH, u8(rng.randrange(4, 256))),  # past IPVS_MAGLEV_HASH_MAX (3)
            nla(SVC_SS_WINDOW_MS, u32(rng.choice([3600001, 0x7FFFFFFF, 0xFFFFFFFF]))),
            nla(SVC_SS_AGGRESSION, u32(rng.choice([0, 99, 10001, 0xFFFFFFFF]))),
            nla(SVC_SS_MIN_PCT, u32(rng.choice([101, 1000, 0xFFFFFFFF]))),
            nla(SVC_PIN, u8(rng.randrange(3, 256))),
            nla(SVC_TABLE_SIZE, u16(251)),          # right value, wrong width
            nla(SVC_PORT + 100, u32(1)),            # beyond the policy
        ])
        if rng.random() < 0.3:   # a good parameter with the bad one: all or nothing
            bad = nla(SVC_SS_MIN_PCT, u32(50)) + bad
        return g.msg(fam, CMD_SET_SERVICE, nest(A_SERVICE, *sid, bad))
    raise ValueError(cls)


def trunc_msg(rng, fam, g, svc):
    seq, m = g.msg(fam, CMD_SET_SERVICE,
                   nest(A_SERVICE, *svc_id(rng, svc, False), nla(SVC_TABLE_SIZE, u32(251))))
    m = bytearray(m)
    how = rng.randrange(4)
    if how == 0:    # nlmsg_len past the end
        struct.pack_into("=I", m, 0, len(m) + rng.randrange(1, 4000))
    elif how == 1:  # the nest's length past the end
        struct.pack_into("=H", m, 20, len(m) - 20 + rng.randrange(4, 200))
    elif how == 2:  # an attribute shorter than its header
        struct.pack_into("=H", m, 24, rng.randrange(0, 4))
    else:           # cut in the middle of an attribute
        m = m[:rng.randrange(21, len(m) - 1)]
        struct.pack_into("=I", m, 0, len(m))
    return seq, bytes(m)


def interrupted_dumps(fam, n, svc, rng):
    done = 0
    for _ in range(n):
        g = Genl()
        if rng.random() < 0.5:
            _, m = g.msg(fam, CMD_GET_SERVICE, b"", flags=NLM_F_REQUEST | NLM_F_DUMP)
        else:
            _, m = g.msg(fam, CMD_GET_BACKEND, nest(A_SERVICE, *svc_id(rng, svc, False)),
                         flags=NLM_F_REQUEST | NLM_F_DUMP)
        g.sk.send(m)
        r, _, _ = select.select([g.sk], [], [], 3.0)
        if r:
            g.sk.recv(65536)     # the first part only
            done += 1
        g.close()                # the rest of the dump is abandoned
    return done


def main():
    ap = argparse.ArgumentParser(description="hostile input for IPVS_MAGLEV")
    ap.add_argument("-n", type=int, default=100000)
    ap.add_argument("-s", "--seed", type=int, default=1)
    ap.add_argument("--svc", default="tcp:10.0.0.1:80", help="the real service PROTO:ADDR:PORT")
    ap.add_argument("--dumps", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--unprivileged", action="store_true",
                    help="the caller lacks CAP_NET_ADMIN: no request may succeed")
    ap.add_argument("--set-table-size", type=int, metavar="N",
                    help="only send one valid SET_SERVICE of --svc; exit 0 if it was accepted")
    a = ap.parse_args()

    proto, addr, port = a.svc.split(":")
    svc = ({"tcp": 6, "udp": 17, "sctp": 132}[proto], addr, int(port))
    rng = random.Random(a.seed)
    RNG.seed(a.seed + 1)
    g = Genl()
    fam = g.family("IPVS_MAGLEV")
    if fam is None:
        print("mgfuzz: no IPVS_MAGLEV family (module not loaded?)", file=sys.stderr)
        return 2

    if a.set_table_size is not None:
        seq, m = g.msg(fam, CMD_SET_SERVICE,
                       nest(A_SERVICE, *svc_id(rng, svc, False), nla(SVC_TABLE_SIZE, u32(a.set_table_size))))
        g.sk.send(m)
        r = g.replies({seq})
        e, msg = r.get(seq, (-1, None))
        print("errno %d%s" % (e, (" (%s)" % msg) if msg else ""))
        return 0 if e == 0 else 1

    classes = ["garbage", "types", "missing", "unknown", "range", "trunc"]
    weights = [25, 30, 10, 15, 15, 5]
    stats = {c: {"sent": 0, "errors": 0, "extack": 0, "ok": 0, "unanswered": 0} for c in classes}
    errnos = {}
    need_extack = {"missing", "unknown", "range"}
    no_extack = []
    sent = 0
    batch = []
    while sent < a.n:
        cls = rng.choices(classes, weights)[0]
        if cls == "trunc":
            # alone: a lying length would swallow the next messages
            seq, m = trunc_msg(rng, fam, g, svc)
            g.sk.send(m)
            # a message the kernel cannot even frame gets no answer: a
            # well-formed request after it, in its own write, tells when
            # everything before it was handled
            sentinel, sm = g.msg(fam, CMD_GET_INFO, b"")
            g.sk.send(sm)
            r = g.replies({seq, sentinel}, until=sentinel)
            stats[cls]["sent"] += 1
            sent += 1
            if seq in r:
                e, msg = r[seq]
                stats[cls]["errors" if e else "ok"] += 1
                stats[cls]["extack"] += msg is not None
            # a message the kernel could not parse may get no answer at all
            continue
        seq, m = gen(rng, cls, fam, g, svc)
        batch.append((seq, cls, m))
        sent += 1
        if len(batch) == 32 or sent == a.n:
            g.sk.send(b"".join(m for _, _, m in batch))
            r = g.replies({s for s, _, _ in batch})
            for s, c, _ in batch:
                st = stats[c]
                st["sent"] += 1
                if s not in r:
                    st["unanswered"] += 1
                    continue
                e, msg = r[s]
                if e:
                    st["errors"] += 1
                    errnos[errno.errorcode.get(e, str(e))] = errnos.get(errno.errorcode.get(e, str(e)), 0) + 1
                    if msg is not None:
                        st["extack"] += 1
                    elif c in need_extack and len(no_extack) < 5:
                        no_extack.append((c, e))
                else:
                    st["ok"] += 1
            batch = []
    dumps = interrupted_dumps(fam, a.dumps, svc, rng) if a.dumps else 0
    g.close()

    bad = 0
    for c in classes:
        st = stats[c]
        if c != "trunc":
            bad += st["unanswered"]
        if a.unprivileged:
            bad += st["ok"]
        elif c in need_extack:
            bad += st["ok"] + (st["errors"] - st["extack"])
    out = {"classes": stats, "errnos": errnos, "total": sent, "dumps_interrupted": dumps,
           "failures": bad, "examples_without_extack": no_extack}
    if a.json:
        print(json.dumps(out, indent=1))
    else:
        for c in classes:
            st = stats[c]
            print("%s sent %d errors %d extack %d ok %d unanswered %d" %
                  (c, st["sent"], st["errors"], st["extack"], st["ok"], st["unanswered"]))
        print("errnos " + " ".join("%s=%d" % kv for kv in sorted(errnos.items())))
        print("dumps interrupted %d" % dumps)
        for c, e in no_extack:
            print("no extack: class %s errno %d" % (c, e))
        print("total %d" % sent)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
