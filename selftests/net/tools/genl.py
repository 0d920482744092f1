#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink for tests: build any message, however wrong, send
it, and report the kernel's answer including its extended ACK message.

As a program:
    genl.py [--fail-nth N] FAMILY CMD [--dump] [ATTRS]
        ATTRS is JSON: a list of [type, kind, value]; kind is one of
        u8 u16 u32 u64 be16 str bin(hex string) nest(list of ATTRS) raw
        (hex, any length, type as given). Prints one line:
            ok MESSAGES            the request was accepted
            error ERRNO MESSAGE    the kernel refused it (MESSAGE: extack)
        Exit status 0 for ok, 1 for error, 2 for usage.

        --fail-nth N (kernels with CONFIG_FAULT_INJECTION): make the N-th
        fault-injectable call (allocation) of the request's sendmsg fail.
        N is written to /proc/thread-self/fail-nth just before sendmsg,
        which runs the generic netlink handler in this task, read back
        when it returns and reset to 0 before the reply is read. A second
        line says which:
            fault injected         the N-th call happened and failed
            fault not-reached LEFT sendmsg made N - LEFT such calls only
        The netlink core counts too: its failures show as "error 105"
        (ENOBUFS: the request or its reply was dropped) or "error 12".
        The debugfs knobs of failslab and fail_page_alloc (ignore-gfp-wait,
        the stack filter) decide which calls count.

    genl.py --batch
        The same requests, one a line on stdin (words as above; ATTRS may
        hold spaces), each answered by the lines above and a line ".";
        "netns NAME" moves to namespace NAME (ip netns). For a shell
        coprocess that sends many requests.

As a module: Genl(family).request(cmd, attrs, dump=False) returns
(errno, extack_message, [reply attribute dicts]); with fail_nth=N set on
the object, the next request's sendmsg fails its N-th call and
fault_left is what the kernel left of N (0: injected).
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
        self.fail_nth = None     # N for the next request's sendmsg
        self.fault_left = None   # what the kernel left of it (0: injected)
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
        msg = hdr + body
        if self.fail_nth is None:
            self.sock.send(msg)
        else:
            self.send_failing(msg)
        return self.receive(seq)

    def send_failing(self, msg):
        """sendmsg with its fail_nth-th injectable call failing. The
        handler runs inside sendmsg, in this task, so nothing but the
        request is counted: the counter is armed just before the call and
        reset before anything else is done (a request refused by sendmsg
        itself raises OSError, as without injection)."""
        n, self.fail_nth = self.fail_nth, None
        fd = os.open("/proc/thread-self/fail-nth", os.O_RDWR)
        arm, disarm = str(n).encode(), b"0"
        try:
            os.write(fd, arm)
            try:
                self.sock.send(msg)
            finally:
                self.fault_left = int(os.pread(fd, 32, 0))
                os.write(fd, disarm)
        finally:
            os.close(fd)

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


def run(genls, args, out):
    """One request from command-line words; prints its result lines to
    out. genls caches a Genl per family. Returns 0 ok, 1 error, 2 usage."""
    fail_nth = None
    if args[:1] == ["--fail-nth"]:
        if len(args) < 2 or not args[1].isdigit() or int(args[1]) < 1:
            print("usage: --fail-nth takes a count from 1", file=out)
            return 2
        fail_nth = int(args[1])
        args = args[2:]
    if len(args) < 2 or not args[1].isdigit():
        print("usage: FAMILY CMD [--dump] [ATTRS]", file=out)
        return 2
    family, cmd = args[0], int(args[1])
    dump = "--dump" in args[2:]
    rest = [a for a in args[2:] if a != "--dump"]
    try:
        attrs = json.loads(" ".join(rest)) if rest else []
    except ValueError as e:
        print("usage: ATTRS: %s" % e, file=out)
        return 2
    g = None
    rc = 0
    try:
        g = genls.get(family)
        if g is None:
            g = genls[family] = Genl(family)
        g.fail_nth = fail_nth
        g.fault_left = None
        err, ext, replies = g.request(cmd, attrs, dump=dump)
    except OSError as e:
        print("error %d %s" % (e.errno or 0, e.strerror), file=out)
        rc = 1
    else:
        if err:
            print("error %d %s" % (err, ext), file=out)
            rc = 1
        else:
            print("ok %d" % len(replies), file=out)
    if fail_nth is not None:
        left = g.fault_left if g else None
        if left is None:
            print("fault unknown (the request was not sent)", file=out)
        elif left == 0:
            print("fault injected", file=out)
        else:
            print("fault not-reached %d" % left, file=out)
    return rc


def setns(name):
    """Move this process into network namespace NAME (ip netns)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:   # CLONE_NEWNET
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    finally:
        os.close(fd)


def batch(inp, out):
    """--batch: one request a line, in run()'s words; "netns NAME" moves
    to another namespace. Each answer ends with a line ".". For a shell
    coprocess: no interpreter start per request."""
    genls = {}
    for line in inp:
        words = line.split()
        if not words:
            continue
        if words[0] == "netns" and len(words) == 2:
            for g in genls.values():
                g.sock.close()
            genls = {}
            try:
                setns(words[1])
                print("ok 0", file=out)
            except OSError as e:
                print("error %d %s" % (e.errno or 0, e.strerror), file=out)
        else:
            run(genls, words, out)
        print(".", file=out)
        out.flush()
    return 0


def main(argv):
    if argv[1:] == ["--batch"]:
        return batch(sys.stdin, sys.stdout)
    rc = run({}, argv[1:], sys.stdout)
    if rc == 2:
        print(__doc__, file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
