#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""IPVS configuration through its setsockopt() interface, as a tenant has it.

IPVS's generic netlink family needs CAP_NET_ADMIN over the initial user
namespace (GENL_ADMIN_PERM), so ipvsadm fails in an unprivileged user's
namespace; its socket options need CAP_NET_ADMIN only over the user
namespace that owns the network namespace (net/netfilter/ipvs/ip_vs_ctl.c,
do_ip_vs_set_ctl). This is what any local user can do where unprivileged
user namespaces are allowed.

  ipvs_sockopt.py add-service udp|tcp VIP PORT SCHED FLAGS
  ipvs_sockopt.py add-dest udp|tcp VIP PORT RIP RPORT WEIGHT nat|dr

FLAGS: a number (IP_VS_SVC_F_*: 0x4 one-packet, 0x10 flag-2).
Structures as in include/uapi/linux/ip_vs.h (struct ip_vs_service_user,
struct ip_vs_dest_user), native byte order for host-order fields.
"""
import socket
import struct
import sys

IP_VS_BASE_CTL = 64 + 1024 + 64
IP_VS_SO_SET_ADD = IP_VS_BASE_CTL + 2
IP_VS_SO_SET_ADDDEST = IP_VS_BASE_CTL + 7
FWD = {"nat": 0x0000, "dr": 0x0003}   # IP_VS_CONN_F_MASQ, IP_VS_CONN_F_DROUTE
PROTO = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}


def svc_user(proto, vip, port, sched=b"", flags=0):
    # u16 protocol; __be32 addr; __be16 port; u32 fwmark; char sched_name[16];
    # unsigned flags; unsigned timeout; __be32 netmask
    return struct.pack("=H2x4sH2xI16sII4s", PROTO[proto], socket.inet_aton(vip),
                       socket.htons(port), 0, sched, flags, 0, b"\xff\xff\xff\xff")


def dest_user(rip, rport, weight, fwd):
    # __be32 addr; __be16 port; unsigned conn_flags; int weight;
    # u32 u_threshold; u32 l_threshold
    return struct.pack("=4sH2xIiII", socket.inet_aton(rip), socket.htons(rport),
                       FWD[fwd], weight, 0, 0)


def main(argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if len(argv) == 6 and argv[0] == "add-service":
        arg = svc_user(argv[1], argv[2], int(argv[3]), argv[4].encode(), int(argv[5], 0))
        s.setsockopt(socket.IPPROTO_IP, IP_VS_SO_SET_ADD, arg)
    elif len(argv) == 8 and argv[0] == "add-dest" and argv[7] in FWD:
        arg = svc_user(argv[1], argv[2], int(argv[3])) + \
            dest_user(argv[4], int(argv[5]), int(argv[6]), argv[7])
        s.setsockopt(socket.IPPROTO_IP, IP_VS_SO_SET_ADDDEST, arg)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except OSError as e:
        sys.stderr.write("ipvs_sockopt: %s\n" % e)
        sys.exit(1)
