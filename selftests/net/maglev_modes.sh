#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# maglev under every forwarding method, family and protocol: each case
# sends traffic through a maglev VIP and checks that every connection (or
# datagram) is answered and that every backend takes part.
#
# NAT (topo_std):                         DR and TUN (topo_flat):
#   CL 10.0.1.2 / fd00:1::2                 one L2 segment on DR's br0:
#    |                                        CL 10.0.2.2, DR 10.0.2.1,
#   DR VIP 10.0.1.100 / fd00:ff::100          B1..B3 10.0.2.11-13,
#    | br0 10.0.2.1 / fd00:2::1               VIP 10.0.2.100 on DR and on
#   B1..B3 10.0.2.11-13 / fd00:2::11-13       every backend's lo; backends
#                                             answer the client directly
# Cases: NAT TCP/IPv6, NAT UDP/IPv4, NAT UDP/IPv6, NAT SCTP/IPv4,
#        DR TCP/IPv4, TUN TCP/IPv4 (NAT TCP/IPv4 is maglev_basic.sh).

source "$(dirname "$0")/lib.sh"
lib_init

N=150

# traffic NAME CLIENT_NS VIP PORT MGTRAFFIC_FLAGS...: N flows, all answered,
# every one of the three backends seen
SCALE=${TIMEOUT_SCALE:-1}
traffic() {
	local name=$1 ns=$2 vip=$3 port=$4 i c out
	out=$LIB_TMP/$(echo "$name" | tr -c "A-Za-z0-9\n" _)
	shift 4
	# every flow here must be answered: how long one may take to be is
	# scaled with the machine (TIMEOUT_SCALE: 8 on the debug kernel)
	in_ns "$ns" "$MGTRAFFIC" conn -c "$vip" -p "$port" -n $N -t $((3000 * SCALE)) -E 5 "$@" \
		>"$out"
	check "$name: $N flows answered, no errors" \
		test "$(total_of "$out")" = $N -a "$(errors_of "$out")" = 0
	for i in 1 2 3; do
		c=$(count_of "b$i" "$out")
		check "$name: backend b$i answered $c (at least $((N / 6)))" test "$c" -ge $((N / 6))
	done
}

# ---- NAT: IPv6 TCP, UDP both families, SCTP -----------------------------
setup_or_die "NAT topology" topo_std 3
setup_or_die "VIPs" vip_local
setup_or_die "TCP servers" serve_all 8080
setup_or_die "UDP servers" serve_all 8053 -u
# Each SCTP backend is bound to its one IPv4 address. A server bound to
# every address lists them all in its INIT-ACK (RFC 9260 5.1.2), which
# IPVS forwards without rewriting: the client then adds the backend's own
# address as a second path of the association, probes it with HEARTBEATs
# sent to the service's port (which the backend does not serve there), and
# the backend's ABORT for that out-of-the-blue packet resets the
# association. Quick flows end before the first probe; one whose reply is
# delayed (a DATA chunk reordered ahead of the COOKIE-ACK and dropped, so
# resent after rto_initial, 3 s) does not: seen on a loaded debug kernel.
# With a single bound address the INIT-ACK lists none (the kernel's
# sctp_bind_addrs_to_raw() leaves it out), as an SCTP real server behind
# NAT must be set up.
for i in 1 2 3; do
	setup_or_die "SCTP server $i" serve "${BE[i]}" "b$i" 8132 -S -b "${BE_IP[i]}"
done

setup_or_die "TCP6 service" ipvs -A -t "[$VIP6]:80" -s maglev
setup_or_die "UDP service" ipvs -A -u "$VIP:53" -s maglev
setup_or_die "UDP6 service" ipvs -A -u "[$VIP6]:53" -s maglev
setup_or_die "SCTP service" ipvs -A --sctp-service "$VIP:132" -s maglev
for i in 1 2 3; do
	setup_or_die "TCP6 backend $i" ipvs -a -t "[$VIP6]:80" -r "[${BE_IP6[i]}]:8080" -m
	setup_or_die "UDP backend $i" ipvs -a -u "$VIP:53" -r "${BE_IP[i]}:8053" -m
	setup_or_die "UDP6 backend $i" ipvs -a -u "[$VIP6]:53" -r "[${BE_IP6[i]}]:8053" -m
	setup_or_die "SCTP backend $i" ipvs -a --sctp-service "$VIP:132" -r "${BE_IP[i]}:8132" -m
done

traffic "NAT TCP/IPv6" "$CL" "$VIP6" 80
traffic "NAT UDP/IPv4" "$CL" "$VIP" 53 -u
traffic "NAT UDP/IPv6" "$CL" "$VIP6" 53 -u
# SCTP picks ephemeral ports at random, so 150 associations reuse a port
# about one run in three; IPVS then drops the new INIT of a reused tuple
# whose old entry is still tracked (conn_reuse_mode) and the client only
# retries after rto_initial (3 s, net.sctp.rto_initial). Distinct source
# ports keep every flow new; a 4 s timeout leaves room for one INIT
# retransmission should the emulated link lose a packet.
traffic "NAT SCTP/IPv4" "$CL" "$VIP" 132 -S -s 30000 -t $((4000 * SCALE))
check "IPv6 service reports a table" \
	test "$(mg_field "$DR" "tcp/[$VIP6]:80" owners)" = 3
lib_cleanup
LIB_NS=()
LIB_PIDS=()
LIB_TMP=$(mktemp -d /tmp/ipvsm.XXXXXX)

# ---- DR and TUN ----------------------------------------------------------
setup_or_die "flat topology" topo_flat 3
setup_or_die "TUN receive side" flat_tun
setup_or_die "TCP servers" serve_all 80

setup_or_die "DR service" ipvs -A -t "$FVIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "DR backend $i" ipvs -a -t "$FVIP:80" -r "${BE_IP[i]}:80" -g
done
traffic "DR TCP/IPv4" "$CL" "$FVIP" 80
setup_or_die "DR service removed" ipvs -D -t "$FVIP:80"

setup_or_die "TUN service" ipvs -A -t "$FVIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "TUN backend $i" ipvs -a -t "$FVIP:80" -r "${BE_IP[i]}:80" -i
done
traffic "TUN TCP/IPv4" "$CL" "$FVIP" 80
check "TUN: ipvsadm shows Tunnel forwarding" \
	test "$(ipvs -Ln | grep -c Tunnel)" -eq 3

exit "$(lib_result)"
