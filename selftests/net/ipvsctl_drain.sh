#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl drain / undrain on a maglev TCP service:
#  - a long-lived connection to a draining backend keeps working until it
#    closes; no new connection reaches the backend meanwhile; the backend
#    is removed right after the connection closes (exit 0);
#  - the timeout path removes the backend and says so (exit 8);
#  - --then keep leaves it at weight 0 with its weight saved in the
#    module's drain metadata; undrain restores it and slow start ramps it;
#  - an interrupted drain leaves weight 0 and exits 130 for SIGINT, 143
#    for SIGTERM (128 + the signal).
# (UDP services drain through their flow pins: maglev_pinning.sh.)
#
# Standard topology: CL -- DR -- B1, B2, NAT, VIP 10.0.1.100.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
ipvsctl() { in_ns "$DR" "$IPVSCTL" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
weight_of() { # weight_of ADDR:PORT -> weight or "none"
	ipvs -Ln -t "$VIP:80" | awk -v be="$1" '$1 == "->" && $2 == be { print $4; f = 1 } END { if (!f) print "none" }'
}
active_of() {
	ipvs -Ln -t "$VIP:80" | awk -v be="$1" '$1 == "->" && $2 == be { print $5; f = 1 } END { if (!f) print "none" }'
}
is() { [ "$("$1" "$2")" = "$3" ]; }

setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "topology" topo_std 2
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 80
B1=${BE_IP[1]}:80
setup_or_die "service" ipvsctl service add "$SVC" scheduler maglev slow-start 60s
setup_or_die "b1" ipvsctl backend add "$SVC" "$B1" method nat weight 1
setup_or_die "b2" ipvsctl backend add "$SVC" "${BE_IP[2]}:80" method nat weight 1
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"

# a client port whose flow the table gives to b1
sport=$(mg_port_to "$DR" "$SVC" "$B1" 40000)
setup_or_die "a client port that maps to b1" test -n "$sport"

# hold SECONDS SPORT: a long-lived connection from SPORT, a line every 100 ms
hold() {
	in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -D "$(($1 * 1000))" -I 100 -s "$2" -t 2000 \
		>"$LIB_TMP/hold.out" 2>&1 &
	HOLD=$!
	LIB_PIDS+=("$HOLD")
}
# drain_bg ARGS: ipvsctl drain in the background (DRAIN: its pid)
drain_bg() {
	ip netns exec "$DR" "$IPVSCTL" drain "$SVC" "$B1" "$@" >"$LIB_TMP/drain.out" 2>&1 &
	DRAIN=$!
	LIB_PIDS+=("$DRAIN")
}

# ---- a connection through the drain ---------------------------------------
# It lasts until the checks below are done (SIGTERM ends it cleanly), not a
# fixed time that a slow machine could outlast before them.
hold 240 "$sport"
setup_or_die "the long-lived connection is on b1" wait_until 10 is active_of "$B1" 1
drain_bg --timeout 60s --interval 200ms
check "drain sets b1's weight to 0" wait_until 5 is weight_of "$B1" 0
check "the module keeps the weight to restore (1)" \
	test "$(mg_be_field "$DR" "$SVC" "$B1" drain_saved_weight)" = 1
check "and the deadline" test "$(mg_be_field "$DR" "$SVC" "$B1" drain_deadline)" != None
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 40 -t 2000)
check "during the drain, 40 new connections: none to b1, all answered" \
	test "$(count_of b1 <(echo "$out"))" = 0 -a "$(total_of <(echo "$out"))" = 40 -a \
	"$(errors_of <(echo "$out"))" = 0
check "the drain is still waiting for the connection" kill -0 "$DRAIN"
pkill -TERM -P "$HOLD"	# mgtraffic, the child of the background subshell
wait "$HOLD"
hold_rc=$?
t_closed=$(now_ms)
check "the long-lived connection worked until it closed ($(tr '\n' ' ' <"$LIB_TMP/hold.out"))" \
	test "$hold_rc" = 0 -a "$(awk '$1 == "backend" { print $2 }' "$LIB_TMP/hold.out")" = b1
wait_until 10 is weight_of "$B1" none
t_removed=$(now_ms)
log "b1 removed $((t_removed - t_closed)) ms after the connection closed"
check "b1 removed once the connection closed" test "$(weight_of "$B1")" = none
wait "$DRAIN"
rc=$?
check "drain exits 0 (drained)" test "$rc" = 0
check "it showed the connection counting down" grep -q "1 active" "$LIB_TMP/drain.out"
check "and the outcome" grep -q "drained in .*: removed" "$LIB_TMP/drain.out"
log "$(cat "$LIB_TMP/drain.out")"

# ---- the timeout path ----------------------------------------------------------
# The connection cut by the removal must not outlive it in IPVS's table
# (it would count again when b1 comes back): what a director should set.
setup_or_die "expire_nodest_conn" in_ns "$DR" sysctl -qw net.ipv4.vs.expire_nodest_conn=1
# b1 comes back at full weight, so the client port still maps to it (a
# backend joining a serving service would ramp)
setup_or_die "slow start off for now" ipvsctl maglev set "$SVC" slow-start off
setup_or_die "b1 back" ipvsctl backend add "$SVC" "$B1" method nat weight 1
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
hold 30 "$sport"
setup_or_die "a connection on b1" wait_until 10 is active_of "$B1" 1
t0=$(now_ms)
ip netns exec "$DR" "$IPVSCTL" drain "$SVC" "$B1" --timeout 2s --interval 200ms >"$LIB_TMP/drain.out" 2>&1
rc=$?
t1=$(now_ms)
# it must wait its timeout out (how much longer the machine took, the
# wall clock cannot judge)
check "drain --timeout 2s with a connection open exits 8, not before 2 s ($((t1 - t0)) ms)" \
	test "$rc" = 8 -a $((t1 - t0)) -ge 2000
check "it reports the timeout" grep -q "TIMED OUT.*1 active.*removed" "$LIB_TMP/drain.out"
check "and b1 is removed" test "$(weight_of "$B1")" = none
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

# ---- keep, then undrain ----------------------------------------------------------
setup_or_die "b1 back" ipvsctl backend add "$SVC" "$B1" method nat weight 1
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
json=$(ipvsctl -j drain "$SVC" "$B1" --then keep --timeout 10s 2>"$LIB_TMP/drain.err")
rc=$?
log "drain --then keep: rc $rc, $json $(cat "$LIB_TMP/drain.err")"
check "drain --then keep of an idle backend exits 0 at once" test "$rc" = 0
check "--json: outcome drained, kept" \
	test "$(echo "$json" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["outcome"], o["removed"], o["saved_weight"])')" = "drained False 1"
check "b1 kept at weight 0" test "$(weight_of "$B1")" = 0
check "its weight stays saved (1), without a deadline" \
	test "$(mg_be_field "$DR" "$SVC" "$B1" drain_saved_weight)/$(mg_be_field "$DR" "$SVC" "$B1" drain_deadline)" = 1/None
setup_or_die "slow start on again" ipvsctl maglev set "$SVC" slow-start 60s
setup_or_die "the service serves (an undrained backend ramps)" wait_until 30 mg_serving "$DR" "$SVC"
check "undrain" ipvsctl undrain "$SVC" "$B1"
check "b1 has weight 1 again" test "$(weight_of "$B1")" = 1
ramp=$(mg_be_field "$DR" "$SVC" "$B1" ramp_left_ms)
check "and ramps (slow start: $ramp ms left)" test "$ramp" != None -a "$ramp" != none
check "the metadata is cleared" test "$(mg_be_field "$DR" "$SVC" "$B1" drain_saved_weight)" = None
check "undrain again: nothing to do, exit 0" ipvsctl undrain "$SVC" "$B1"
check "drain of a backend that does not exist: exit 4" \
	test "$(ipvsctl drain "$SVC" 10.0.2.99:80 >/dev/null 2>&1; echo $?)" = 4

# ---- interrupted -------------------------------------------------------------------
# b1 is ramping since the undrain, so $sport may map elsewhere until its
# ramp ends: end it (slow start off ends every ramp) rather than wait 60 s
setup_or_die "slow start off: b1's ramp ends" ipvsctl maglev set "$SVC" slow-start off
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
setup_or_die "the client port maps to b1 again" \
	test "$(mg_port_to "$DR" "$SVC" "$B1" "$sport")" = "$sport"
hold 20 "$sport"
setup_or_die "a connection on b1" wait_until 10 is active_of "$B1" 1
drain_bg --timeout 60s --interval 200ms
setup_or_die "draining" wait_until 5 is weight_of "$B1" 0
kill -INT "$DRAIN"
wait "$DRAIN"
rc=$?
check "SIGINT: drain exits 130" test "$rc" = 130
check "b1 stays at weight 0, still there" test "$(weight_of "$B1")" = 0
check "it says how to undo it" grep -q "undrain .* restores 1" "$LIB_TMP/drain.out"
check "undrain restores weight 1" ipvsctl undrain "$SVC" "$B1"
check "weight 1" test "$(weight_of "$B1")" = 1
# the held connection is still on b1: a second drain waits for it
drain_bg --timeout 60s --interval 200ms
setup_or_die "draining again" wait_until 5 is weight_of "$B1" 0
kill -TERM "$DRAIN"
wait "$DRAIN"
rc=$?
check "SIGTERM: drain exits 143, not SIGINT's 130" test "$rc" = 143
check "b1 stays at weight 0 after SIGTERM" test "$(weight_of "$B1")" = 0
check "undrain after SIGTERM restores weight 1" ipvsctl undrain "$SVC" "$B1"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

exit "$(lib_result)"
