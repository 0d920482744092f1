#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ICMP errors are hashed as the flow they belong to. With the schedule_icmp
# sysctl, IPVS schedules an ICMP error that matches no connection using the
# header embedded in it, which runs from the service back to the client
# (IPVS marks it "inverse"). maglev must hash it as client -> service, so
# the error reaches the backend the flow itself would reach.
#
#   CL 10.0.1.2 ---- DR (UDP VIP 10.0.1.100:53, maglev, NAT) ---- B1..B3 :8053
#
# For 40 client ports P, the client sends "port unreachable" to the VIP
# about a datagram VIP:53 -> 10.0.1.2:P. IPVS records a connection entry
# for each; its backend must be the one "ipvsctl maglev lookup" gives the
# flow 10.0.1.2:P -> VIP:53.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=udp/$VIP:53

setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "service" ipvs -A -u "$VIP:53" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -u "$VIP:53" -r "${BE_IP[i]}:8053" -m
done
setup_or_die "schedule_icmp" in_ns "$DR" sysctl -qw net.ipv4.vs.schedule_icmp=1
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"

ports=$(seq 45000 45039)
setup_or_die "send 40 ICMP errors" in_ns "$CL" python3 - "$VIP" 10.0.1.2 $ports <<'EOF'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

vip, client, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for port in ports:
    # the datagram the error is about: VIP:53 -> client:port
    udp = struct.pack("!HHHH", 53, port, 8 + 4, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 12, 1, 0, 64, 17, 0,
                     socket.inet_aton(vip), socket.inet_aton(client))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    body = struct.pack("!I", 0) + ip + udp
    icmp = struct.pack("!BBH", 3, 3, 0) + body
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    s.sendto(icmp, (vip, 0))
EOF

conns() {
	in_ns "$DR" ipvsadm -Lnc | awk '$1 == "UDP" && $4 ~ /^10\.0\.1\.2:/ { split($4, c, ":"); print c[2], $6 }' | sort
}
check "IPVS scheduled all 40 errors" wait_until 10 bash -c "[ \$(ip netns exec $DR ipvsadm -Lnc | grep -c '^UDP') -ge 40 ]"
conns >"$LIB_TMP/conns"
cat "$LIB_TMP/conns" | head -n 5

clients=()
for p in $ports; do
	clients+=("10.0.1.2:$p")
done
"$IPVSCTL" -N "$DR" maglev lookup "$SVC" "${clients[@]}" |
	sed 's/^10\.0\.1\.2:\([0-9]*\) \([^ ]*\).*/\1 \2/' | sort >"$LIB_TMP/lookup"
check "40 connection entries for 40 errors" test "$(wc -l <"$LIB_TMP/conns")" -eq 40
check "every error went to its flow's backend" cmp -s "$LIB_TMP/conns" "$LIB_TMP/lookup"
check "the flows span more than one backend (the check can fail)" \
	test "$(awk '{ print $2 }' "$LIB_TMP/lookup" | sort -u | wc -l)" -gt 1

exit "$(lib_result)"
