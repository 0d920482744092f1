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
# about a datagram VIP:53 -> 10.0.1.2:P. IPVS schedules each (a connection
# to one backend, counted in its statistics); that backend must be the one
# "ipvsctl maglev lookup" gives the flow 10.0.1.2:P -> VIP:53.

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

# The connection entry an ICMP error creates lives 3 s (IPVS's first
# timeout; no state transition follows), so on a slow machine (KASAN) the
# first entries are gone before the last error is sent. The per-backend
# connection counters stay. So the errors are sent one backend's flows at a
# time (the flows "ipvsctl maglev lookup" gives it), and after each group
# only that backend's counter may have grown, by the group's size.
ports=$(seq 45000 45039)
clients=()
for p in $ports; do
	clients+=("10.0.1.2:$p")
done
"$IPVSCTL" -N "$DR" maglev lookup "$SVC" "${clients[@]}" |
	sed 's/^10\.0\.1\.2:\([0-9]*\) \([^ ]*\).*/\1 \2/' | sort >"$LIB_TMP/lookup"
check "the 40 flows span more than one backend (the checks can fail)" \
	test "$(awk '{ print $2 }' "$LIB_TMP/lookup" | sort -u | wc -l)" -gt 1

# send_errors PORT...: "port unreachable" to the VIP about VIP:53 -> client:PORT
send_errors() {
	in_ns "$CL" python3 - "$VIP" 10.0.1.2 "$@" <<'PY'
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
PY
}
# counters: "BACKEND CONNS" per backend, and their sum
counters() {
	in_ns "$DR" ipvsadm -Ln --stats --exact -u "$VIP:53" |
		awk '$1 == "->" && $2 ~ /:8053$/ { print $2, $3 }' | sort
}
total() { counters | awk '{ s += $2 } END { print s + 0 }'; }
scheduled() { [ "$(total)" -ge "$1" ]; }

base=$(total)
sent=0
wrong=0
for be in $(awk '{ print $2 }' "$LIB_TMP/lookup" | sort -u); do
	group=$(awk -v b="$be" '$2 == b { print $1 }' "$LIB_TMP/lookup")
	n=$(echo "$group" | grep -c .)
	counters >"$LIB_TMP/before"
	# shellcheck disable=SC2086 # one word per port
	setup_or_die "send the $n errors of $be's flows" send_errors $group
	sent=$((sent + n))
	if ! wait_until $((10 * ${TIMEOUT_SCALE:-1})) scheduled $((base + sent)); then
		fail "IPVS scheduled $(($(total) - base)) of the $sent errors sent"
		break
	fi
	counters >"$LIB_TMP/after"
	# every backend's growth: n for $be, 0 for the others
	bad=$(join "$LIB_TMP/before" "$LIB_TMP/after" |
		awk -v b="$be" -v n="$n" '{ d = $3 - $2; if (d != ($1 == b ? n : 0)) print $1 " +" d }')
	log "$be: $n errors of its flows; $(join "$LIB_TMP/before" "$LIB_TMP/after" | awk '{ printf "%s +%d  ", $1, $3 - $2 }')"
	[ -z "$bad" ] || { log "  wrong: $bad"; wrong=$((wrong + 1)); }
done
check "IPVS scheduled all 40 errors (the backends' connection counters grew by $(($(total) - base)))" \
	test "$(($(total) - base))" -eq 40
check "every error went to its flow's backend (groups with a wrong backend: $wrong)" test "$wrong" -eq 0

exit "$(lib_result)"
