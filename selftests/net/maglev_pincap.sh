#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow pins under load: the review's B2 and B4, judged by counts.
#
#  1. "down" under load (B2). While 200 pinned UDP flows keep coming, a
#     backend is marked down and up again, ten times. Each time, once the
#     command has returned, no flow is answered by the down backend and its
#     pins reach 0 (a flow pinned while the new table was being built used
#     to keep it for the pin timeout).
#  2. A capped service does not evict other services' pins for nothing (B4).
#     The namespace's pin table is made small (1024 buckets) and service
#     :54's pins fill its chains (16 a bucket). Service :53, capped at one
#     pin, is then flooded with new flows: most cannot be pinned (its one
#     pin is rarely within the 65 buckets searched for a victim of its
#     own). Every pin of :54 that goes must have made room for a pin of
#     :53: evictions(:54) <= inserts(:53). (Each full chain used to lose a
#     pin of :54 before :53's own cap refused the flow: about one per
#     bucket, against a few hundred inserts.)
#
# Direct routing on one segment (topo_flat); the flood's sources are random
# addresses of 198.18.0.0/15, routed back to the client, which drops the
# answers.
#
#   br0 in DR: CL 10.0.2.2, DR 10.0.2.1 (VIP 10.0.2.100), B1..B3 10.0.2.11-13
#   udp/10.0.2.100:53  OPS, maglev, pin on, pin-max 1 (part 2)
#   udp/10.0.2.100:54  OPS, maglev, pin on

source "$(dirname "$0")/lib.sh"
lib_init

PARAMS=/sys/module/ip_vs_maglev/parameters
FLOOD_NET=198.18.0.0/15
A=udp/$FVIP:53
B=udp/$FVIP:54
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
pin() { # pin SERVICE FIELD: a field of the service's pinning object
	ipvsctl -j maglev show "$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["pinning"][sys.argv[1]])' "$2"
}
be_pins() { # be_pins SERVICE BACKEND
	ipvsctl -j maglev show "$1" | python3 -c '
import json,sys
s = json.load(sys.stdin)["services"][0]
print([b["pins"] for b in s["backends"] if b["backend"] == sys.argv[1]][0])' "$2"
}
ns_pins() {
	ipvsctl -j maglev info | python3 -c 'import json,sys; print(json.load(sys.stdin)["pins"]["entries"])'
}
flows() { # flows PORT SPORT N FILE: "SPORT BACKEND" per flow
	in_ns "$CL" "$MGTRAFFIC" conn -u -c "$FVIP" -p "$1" -s "$2" -n "$3" -t 2000 -v |
		awk '$1 == "flow" { print $2, $3 }' | sort >"$4"
}

setup_or_die "module" modprobe ip_vs_maglev
# the pin table is sized from pin_max when it is made: 1024 buckets
setup_or_die "pin_max 1024" bash -c "echo 1024 >$PARAMS/pin_max"
trap 'echo 262144 >$PARAMS/pin_max; lib_cleanup' EXIT
setup_or_die "topology" topo_flat 3
for i in 1 2 3; do
	setup_or_die "server b$i :53" serve "${BE[i]}" "b$i" 53 -u
	setup_or_die "server b$i :54" serve "${BE[i]}" "b$i" 54 -u
	setup_or_die "b$i routes the flood's sources to the client" \
		in_ns "${BE[i]}" ip route add "$FLOOD_NET" via 10.0.2.2
done
setup_or_die "DR routes the flood's sources to the client" in_ns "$DR" ip route add "$FLOOD_NET" via 10.0.2.2
setup_or_die "service :53" ipvsctl service add "$A" scheduler maglev ops on pin on
setup_or_die "service :54" ipvsctl service add "$B" scheduler maglev ops on pin on
for i in 1 2 3; do
	setup_or_die "b$i on :53" ipvsctl backend add "$A" "${BE_IP[i]}" method dr weight 100
	setup_or_die "b$i on :54" ipvsctl backend add "$B" "${BE_IP[i]}" method dr weight 100
done
setup_or_die "tables settle" wait_until 10 mg_settled "$DR" "$A"
# the table exists (1024 buckets); from now on the namespace's cap is high
setup_or_die "pin_max 100000" bash -c "echo 100000 >$PARAMS/pin_max"

# ---- 1. down under load -----------------------------------------------------
b3=${BE_IP[3]}:53
# the load: the same 200 flows, round after round, until told to stop
# (bounded: at most 2000 rounds). Paused on request, so that the check can
# send the very same flows (same source ports) itself.
load() {
	local r
	for r in $(seq 1 2000); do
		[ -e "$LIB_TMP/stop" ] && break
		if [ -e "$LIB_TMP/pause" ]; then
			touch "$LIB_TMP/paused"
			sleep 0.1
			continue
		fi
		rm -f "$LIB_TMP/paused"
		in_ns "$CL" "$MGTRAFFIC" conn -u -c "$FVIP" -p 53 -s 30000 -n 200 -t 500 >/dev/null
	done
}
pause_load() { touch "$LIB_TMP/pause"; wait_until 60 test -e "$LIB_TMP/paused"; }
resume_load() { rm -f "$LIB_TMP/pause"; }
load &
LOAD=$!
LIB_PIDS+=("$LOAD")
b3_pinned() { [ "$(be_pins "$A" "$b3")" -gt 0 ]; }
setup_or_die "b3 has pinned flows" wait_until 60 b3_pinned
b3_unpinned() { [ "$(be_pins "$A" "$b3")" = 0 ]; }
leaked=0 answered=0
for round in $(seq 1 10); do
	setup_or_die "round $round: mark b3 down" ipvsctl maglev down "$A" "$b3"
	# the flows pinned meanwhile, sent again: none may reach b3
	setup_or_die "round $round: pause the load" pause_load
	flows 53 30000 200 "$LIB_TMP/down$round"
	resume_load
	n=$(grep -c ' b3$' "$LIB_TMP/down$round")
	answered=$((answered + n))
	wait_until 20 b3_unpinned || leaked=$((leaked + 1))
	setup_or_die "round $round: mark b3 up" ipvsctl maglev up "$A" "$b3"
	# the flows keep the backends they were moved to: unpin them, so
	# that a third of them come back to b3 for the next round
	setup_or_die "round $round: flush the pins" ipvsctl maglev flush-pins "$A"
	setup_or_die "round $round: b3 pinned again" wait_until 60 b3_pinned
done
touch "$LIB_TMP/stop"
wait "$LOAD"
check "down under load, 10 rounds: no flow answered by the down backend ($answered)" test "$answered" -eq 0
check "down under load: its pins reached 0 every round ($leaked rounds kept some)" test "$leaked" -eq 0

# ---- 2. a capped service evicts nothing for an insert that fails ----------
check "cap :53 at one pin" ipvsctl maglev set "$A" pin-max 1
check "flush :53's pins" ipvsctl maglev flush-pins "$A"
flows 53 40000 1 "$LIB_TMP/a1"
check ":53 holds its one pin" test "$(pin "$A" entries)" -eq 1
# fill :54's chains: 1024 buckets x 16 (bounded: 20 rounds of 3 s)
full() { [ "$(ns_pins)" -ge 16000 ]; }
for round in $(seq 1 20); do
	full && break
	in_ns "$CL" "$MGTRAFFIC" flood -c "$FVIP" -p 54 -D 3000 -b "$FLOOD_NET" -r "$round" >/dev/null
done
log "namespace pins after filling :54: $(ns_pins) (1024 buckets of at most 16)"
check "the chains are (almost) all full" full
e0=$(pin "$B" evictions)
i0=$(pin "$A" inserts)
f0=$(pin "$A" insert_failures)
in_ns "$CL" "$MGTRAFFIC" flood -c "$FVIP" -p 53 -D 3000 -b "$FLOOD_NET" -r 99 >"$LIB_TMP/flood53"
e=$(($(pin "$B" evictions) - e0))
i=$(($(pin "$A" inserts) - i0))
f=$(($(pin "$A" insert_failures) - f0))
log ":53 flooded: $i pinned, $f left unpinned; :54 lost $e pins to evictions"
check "the case arose: :53's cap refused flows ($f) and let some in ($i)" test "$f" -ge 100 -a "$i" -ge 10
check ":54 lost no more pins than :53 inserted ($e <= $i)" test "$e" -le "$i"
check ":53 stayed at its cap" test "$(pin "$A" entries)" -le 1

exit "$(lib_result)"
