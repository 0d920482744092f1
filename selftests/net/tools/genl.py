#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink for tests: build any message, however wrong, send
it, and report the kernel's answer including its extended ACK message.

As a program:
    genl.py FAMILY CMD [--dump] [ATTRS]
        ATTRS is JSON: a list of [type, kind, value]; kind is one of
        u8 u16 u32 u64 be16 str bin(hex string) nest(list of ATTRS) raw
        (hex, any length, type as given). Prints one line:
            ok MESSAGES            the request was accepted
            error ERRNO MESSAGE    the kernel refused it (MESSAGE: extack)
        Exit status 0 for ok, 1 for error, 2 for usage.

As a module: Genl(family).request(cmd, attrs, dump=False) returns
(errno, extack_message, [reply attribute dicts]).
"""

import errno
import json
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 1
NLM_F_MULTI = 2
NLM_F_ACK = 4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
NLA_F_NESTED = 0x8000


def attr(atype, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * ((4 - length % 4) % 4)


def encode(spec):
    out = b""
    for atype, kind, value in spec:
        if kind == "u8":
            p = struct.pack("=B", value & 0xff)
        elif kind == "u16":
            p = struct.pack("=H", value & 0xffff)
        elif kind == "be16":
            p = struct.pack("!H", value & 0xffff)
        elif kind == "u32":
            p = struct.pack("=I", value & 0xffffffff)
        elif kind == "u64":
            p = struct.pack("=Q", value & 0xffffffffffffffff)
        elif kind == "str":
            p = value.encode() + b"\0"
        elif kind == "bin":
            p = bytes.fromhex(value)
        elif kind == "nest":
            p = encode(value)
            atype |= NLA_F_NESTED
        elif kind == "raw":
            # arbitrary bytes, length field honest; for fuzzing payloads
            p = bytes.fromhex(value)
        else:
            raise ValueError("unknown attribute kind %r" % kind)
        out += attr(atype, p)
    return out


def parse_attrs(data):
    attrs = {}
    off = 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4:
            break
        attrs[atype & 0x3fff] = data[off + 4:off + length]
        off += (length + 3) & ~3
    return attrs


class Genl:
    def __init__(self, family=None, family_id=None):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.sock.settimeout(5)
        self.seq = 1
        if family_id is None:
            err, msg, replies = self.request_raw(
                GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                encode([[CTRL_ATTR_FAMILY_NAME, "str", family]]), version=1)
            if err:
                raise OSError(err, "family %s: %s" % (family, msg or os.strerror(err)))
            family_id = struct.unpack("=H", replies[0][CTRL_ATTR_FAMILY_ID])[0]
        self.family_id = family_id

    def send_bytes(self, data):
        self.sock.send(data)

    def request_raw(self, msg_type, cmd, payload, dump=False, version=1,
                    flags=None, raw_header=None):
        seq = self.seq
        self.seq += 1
        if flags is None:
            flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        genl_hdr = raw_header if raw_header is not None else struct.pack("=BBH", cmd, version, 0)
        body = genl_hdr + payload
        hdr = struct.pack("=IHHII", 16 + len(body), msg_type, flags, seq, 0)
        self.sock.send(hdr + body)
        return self.receive(seq)

    def receive(self, seq):
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, flags, mseq, _ = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    return errno.EPROTO, "bad message length", replies
                msg = data[off:off + length]
                off += (length + 3) & ~3
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg, 16)[0]
                    ext = ""
                    if flags & NLM_F_ACK_TLVS:
                        tlv_off = 16 + 4 + 16
                        if not flags & NLM_F_CAPPED:
                            tlv_off = 16 + 4 + struct.unpack_from("=I", msg, 20)[0]
                        tlvs = parse_attrs(msg[tlv_off:])
                        if NLMSGERR_ATTR_MSG in tlvs:
                            ext = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
                    return err, ext, replies
                if mtype == NLMSG_DONE:
                    err = 0
                    ext = ""
                    if len(msg) >= 20:
                        err = -struct.unpack_from("=i", msg, 16)[0]
                        if flags & NLM_F_ACK_TLVS:
                            tlvs = parse_attrs(msg[20:])
                            if NLMSGERR_ATTR_MSG in tlvs:
                                ext = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
                    return max(err, 0), ext, replies
                replies.append(parse_attrs(msg[20:]))
                if not flags & NLM_F_MULTI:
                    # a do-request's reply; its ack follows
                    continue

    def request(self, cmd, attrs, dump=False):
        return self.request_raw(self.family_id, cmd, encode(attrs), dump=dump)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    family, cmd = argv[1], int(argv[2])
    dump = "--dump" in argv[3:]
    rest = [a for a in argv[3:] if a != "--dump"]
    attrs = json.loads(rest[0]) if rest else []
    try:
        g = Genl(family)
        err, ext, replies = g.request(cmd, attrs, dump=dump)
    except OSError as e:
        print("error %d %s" % (e.errno or 0, e.strerror))
        return 1
    if err:
        print("error %d %s" % (err, ext))
        return 1
    print("ok %d" % len(replies))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
