#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two directors behind an ECMP route, configured by "ipvsctl apply" from
# the same state given in different orders:
#  - flows spread over both directors;
#  - each flow reaches the backend both directors' tables give it (same
#    digest, and every flow checked against both);
#  - when one director leaves the ECMP route, established TCP flows carry
#    on through the other: it has no connection entry for them, but with
#    net.ipv4.vs.sloppy_tcp=1 it schedules their next packet, and the
#    identical table sends it to the same backend (no sync daemon needed).
#
#   CL 10.0.1.2 --- RT 10.0.1.1 (ECMP, L4 hash: VIP via DR1 and DR2)
#                   RT 10.0.2.1 --+-- DR1 10.0.2.2  VIP 10.0.9.100 on lo
#                    (bridge in SW)+-- DR2 10.0.2.3  VIP on lo
#                                  +-- B1..B3 10.0.2.11-13, VIP on lo,
#                                      arp_ignore=1 arp_announce=2,
#                                      replying straight to RT (direct routing)

source "$(dirname "$0")/lib.sh"
lib_init

V=10.0.9.100
SVC=tcp/$V:80
NB=3

SWPORTS=0
veth_to_sw() { # veth_to_sw NS IF ADDR: a port of the switch in NS
	SWPORTS=$((SWPORTS + 1))
	ip link add "$2" netns "$1" type veth peer name "swp$SWPORTS" netns "$SW" || return 1
	in_ns "$SW" ip link set "swp$SWPORTS" master br0 up || return 1
	in_ns "$1" ip addr add "$3/24" dev "$2" || return 1
	in_ns "$1" ip link set "$2" up
}

topo() {
	mkns CL cl || return 1
	mkns RT rt || return 1
	mkns SW sw || return 1
	mkns DR1 dr1 || return 1
	mkns DR2 dr2 || return 1
	in_ns "$SW" ip link add br0 type bridge || return 1
	in_ns "$SW" ip link set br0 up || return 1
	ip link add cl0 netns "$CL" type veth peer name rt0 netns "$RT" || return 1
	in_ns "$CL" ip addr add 10.0.1.2/24 dev cl0 || return 1
	in_ns "$CL" ip link set cl0 up || return 1
	in_ns "$CL" ip route add default via 10.0.1.1 || return 1
	in_ns "$RT" ip addr add 10.0.1.1/24 dev rt0 || return 1
	in_ns "$RT" ip link set rt0 up || return 1
	veth_to_sw "$RT" lan0 10.0.2.1 || return 1
	in_ns "$RT" sysctl -qw net.ipv4.ip_forward=1 || return 1
	# the flow's ports choose the next hop
	in_ns "$RT" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 || return 1
	in_ns "$RT" sysctl -qw net.ipv4.conf.all.rp_filter=0 || return 1
	veth_to_sw "$DR1" lan0 10.0.2.2 || return 1
	veth_to_sw "$DR2" lan0 10.0.2.3 || return 1
	for d in "$DR1" "$DR2"; do
		in_ns "$d" ip addr add "$V/32" dev lo || return 1
		in_ns "$d" ip route add default via 10.0.2.1 || return 1
		# established flows may arrive here mid-stream (see above)
		in_ns "$d" sysctl -qw net.ipv4.vs.sloppy_tcp=1 || return 1
	done
	BE=()
	for i in $(seq 1 $NB); do
		mkns b "b$i" || return 1
		BE[i]=$b
		in_ns "$b" sysctl -qw net.ipv4.conf.all.arp_ignore=1 || return 1
		in_ns "$b" sysctl -qw net.ipv4.conf.all.arp_announce=2 || return 1
		veth_to_sw "$b" b0 "10.0.2.$((10 + i))" || return 1
		in_ns "$b" ip addr add "$V/32" dev lo || return 1
		in_ns "$b" ip route add default via 10.0.2.1 || return 1
	done
	in_ns "$RT" ip route add "$V/32" nexthop via 10.0.2.2 nexthop via 10.0.2.3
}

setup_or_die "module" modprobe ip_vs_maglev
# ip_vs's sysctls exist once it is loaded in the namespace: load it first
setup_or_die "ip_vs" modprobe ip_vs
setup_or_die "topology" topo
setup_or_die "servers" serve_all 80

# the same state, backends in two orders
state() { # state ORDER...: apply input
	echo "service add $SVC scheduler maglev"
	for i in "$@"; do
		echo "backend add $SVC 10.0.2.$((10 + i)):80 method dr weight 100"
	done
}
state 1 2 3 >"$LIB_TMP/dr1.conf"
state 3 1 2 >"$LIB_TMP/dr2.conf"
setup_or_die "DR1: apply" in_ns "$DR1" "$IPVSCTL" -q apply -f "$LIB_TMP/dr1.conf"
setup_or_die "DR2: apply (other order)" in_ns "$DR2" "$IPVSCTL" -q apply -f "$LIB_TMP/dr2.conf"
for d in "$DR1" "$DR2"; do
	setup_or_die "table settles" wait_until 10 mg_settled "$d" "$SVC"
done
d1=$(mg_field "$DR1" "$SVC" digest)
d2=$(mg_field "$DR2" "$SVC" digest)
check "both directors built the same table (digest $d1 / $d2)" test -n "$d1" -a "$d1" = "$d2"

# ---- flows spread, each to its table's backend -------------------------------------
N=120
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$V" -p 80 -n $N -s 41000 -v -t 3000)
check "$N connections through the ECMP route, all answered" \
	test "$(total_of <(echo "$out"))" = $N -a "$(errors_of <(echo "$out"))" = 0
conns() { # conns NS: connections the director scheduled
	in_ns "$1" ipvsadm -Ln --stats -t "$V:80" | awk '$1 == "TCP" { print $3 }'
}
# the counters are summed by IPVS's estimator (every 2 s on 6.2+)
counted() { [ $(($(conns "$DR1") + $(conns "$DR2"))) -ge $N ]; }
wait_until 10 counted
c1=$(conns "$DR1")
c2=$(conns "$DR2")
check "flows spread over both directors ($c1 + $c2, each at least $((N / 5)))" \
	test "$c1" -ge $((N / 5)) -a "$c2" -ge $((N / 5)) -a $((c1 + c2)) -ge $N
ports=$(awk '$1 == "flow" { print "10.0.1.2:" $2 }' <<<"$out")
# shellcheck disable=SC2086
in_ns "$DR1" "$IPVSCTL" maglev lookup "$SVC" $ports >"$LIB_TMP/l1"
# shellcheck disable=SC2086
in_ns "$DR2" "$IPVSCTL" maglev lookup "$SVC" $ports >"$LIB_TMP/l2"
check "both directors' tables give every one of the $N flows the same backend" \
	cmp -s "$LIB_TMP/l1" "$LIB_TMP/l2"
# the backend that answered each flow is the one the tables give it
bad=$(awk 'NR == FNR { if ($1 == "flow") got["10.0.1.2:" $2] = $3; next }
	{ split($2, a, ":"); split(a[1], o, "."); want = "b" (o[4] - 10)
	  if (got[$1] != want) bad++ }
	END { print bad + 0 }' <(echo "$out") "$LIB_TMP/l1")
check "each flow reached that backend, whichever director carried it ($bad wrong)" test "$bad" = 0

# ---- a director leaves the route; established flows carry on ------------------------------
carrier() { # carrier SPORT: the director holding an entry for the client's port
	local d
	for d in "$DR1" "$DR2"; do
		in_ns "$d" ipvsadm -Lnc | grep -q " 10.0.1.2:$1 " && echo "$d"
	done
}
# long-lived connections from 8 ports: some through each director. They
# last until the checks are done (SIGTERM ends them cleanly), not a fixed
# time that a slow machine could outlast before the route changes.
for p in $(seq 42000 42007); do
	in_ns "$CL" "$MGTRAFFIC" hold -c "$V" -p 80 -D 240000 -I 100 -s "$p" -t 3000 \
		>"$LIB_TMP/hold-$p" 2>&1 &
	LIB_PIDS+=($!)
	HOLDS[p]=$!
done
held() { [ "$(cat "$LIB_TMP"/hold-* | grep -c '^backend b')" = 8 ]; }
setup_or_die "8 long-lived connections established" wait_until 10 held
on1=()
for p in $(seq 42000 42007); do
	[ "$(carrier "$p")" = "$DR1" ] && on1+=("$p")
done
log "connections through DR1: ${on1[*]:-none}"
if [ ${#on1[@]} -eq 0 ]; then
	fail "none of the 8 long-lived connections went through DR1 (ECMP hash)"
else
	# DR1 leaves the ECMP group: its flows now reach DR2, mid-stream
	setup_or_die "DR1 out of the route" in_ns "$RT" ip route replace "$V/32" via 10.0.2.3
	on_dr2() { in_ns "$DR2" ipvsadm -Lnc | grep -q " 10.0.1.2:$1 "; }
	moved=0
	for p in "${on1[@]}"; do
		wait_until 10 on_dr2 "$p" && moved=$((moved + 1))
	done
	check "DR2 took over DR1's ${#on1[@]} established flows (sloppy_tcp)" test $moved = ${#on1[@]}
fi
ok=0
for p in $(seq 42000 42007); do
	# the background job is a subshell around ip netns exec, whose
	# child is mgtraffic: signal that, and the subshell ends with it
	pkill -TERM -P "${HOLDS[p]}" 2>/dev/null
done
for p in $(seq 42000 42007); do
	wait "${HOLDS[p]}" && ok=$((ok + 1))
	log "hold from $p: $(tr '\n' ' ' <"$LIB_TMP/hold-$p")"
done
check "all 8 long-lived connections ran to the end on their first backend ($ok)" test $ok = 8
exit "$(lib_result)"
