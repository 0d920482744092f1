#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flow pinning on one-packet-scheduling (OPS) UDP services, where IPVS keeps
# no connection entry and every datagram is scheduled again:
#  - adding a backend moves no pinned flow; without pins about 1/(N+1) move;
#  - deleting a backend moves only its own flows;
#  - a drained backend (weight 0) keeps its pinned flows and gets no new ones;
#  - a backend marked down loses its pins;
#  - floods larger than the service's or the namespace's cap keep the
#    entries at the cap.
#
# Direct routing on one segment, so the backends answer the client
# themselves (from the VIP) and IPVS needs no entry for the replies:
#
#   br0 in DR: CL 10.0.2.2, DR 10.0.2.1 (VIP 10.0.2.100), B1..B4 10.0.2.11-14
#   udp/10.0.2.100:53  OPS, maglev, pin on      udp/10.0.2.100:54  OPS, pin off

source "$(dirname "$0")/lib.sh"
lib_init

PARAMS=/sys/module/ip_vs_maglev/parameters
ON=udp/$FVIP:53
OFF=udp/$FVIP:54
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
jq_svc() { # jq_svc SERVICE PY-EXPR over s
	ipvsctl -j maglev show "$1" | python3 -c "import json,sys; s=json.load(sys.stdin)['services'][0]; print($2)"
}
flows() { # flows PORT SPORT N FILE: "SPORT BACKEND" per flow, sorted
	in_ns "$CL" "$MGTRAFFIC" conn -u -c "$FVIP" -p "$1" -s "$2" -n "$3" -t 2000 -v |
		awk '$1 == "flow" { print $2, $3 }' | sort >"$4"
}
moved() { # moved A B: flows whose backend differs
	join "$1" "$2" | awk '$2 != $3' | wc -l
}

# The namespace's pin table is sized from pin_max when first needed, as it
# would be from a modprobe option on a real director: 5000 here.
setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "pin_max 5000" bash -c "echo 5000 >$PARAMS/pin_max"
restore_pin_max() { echo 262144 >$PARAMS/pin_max; echo 960000 >$PARAMS/pin_timeout_ms; }
trap 'restore_pin_max; lib_cleanup' EXIT
setup_or_die "topology" topo_flat 4
for i in 1 2 3 4; do
	setup_or_die "server b$i :53" serve "${BE[i]}" "b$i" 53 -u
	setup_or_die "server b$i :54" serve "${BE[i]}" "b$i" 54 -u
done
setup_or_die "service :53, pinned" ipvsctl service add "$ON" scheduler maglev ops on pin on
setup_or_die "service :54, not pinned" ipvsctl service add "$OFF" scheduler maglev ops on pin off
for i in 1 2 3; do
	setup_or_die "b$i" ipvsctl backend add "$ON" "${BE_IP[i]}" method dr weight 100
	setup_or_die "b$i" ipvsctl backend add "$OFF" "${BE_IP[i]}" method dr weight 100
done
check "pinning is active on :53" test "$(jq_svc "$ON" 's["pinning"]["active"]')" = True
check "and off on :54" test "$(jq_svc "$OFF" 's["pinning"]["active"]')" = False

# ---- adding a backend --------------------------------------------------
flows 53 30000 500 "$LIB_TMP/on1"
flows 54 30000 500 "$LIB_TMP/off1"
check "500 flows answered on each service" \
	test "$(grep -vc ' -$' "$LIB_TMP/on1")" -eq 500 -a "$(grep -vc ' -$' "$LIB_TMP/off1")" -eq 500
check "500 pins" test "$(jq_svc "$ON" 's["pinning"]["entries"]')" -eq 500
setup_or_die "add b4 to both" bash -c "$IPVSCTL -N $DR backend add $ON ${BE_IP[4]} method dr weight 100 &&
	$IPVSCTL -N $DR backend add $OFF ${BE_IP[4]} method dr weight 100"
setup_or_die "tables settle" wait_until 10 mg_settled "$DR" "$ON"
setup_or_die "tables settle" wait_until 10 mg_settled "$DR" "$OFF"
flows 53 30000 500 "$LIB_TMP/on2"
flows 54 30000 500 "$LIB_TMP/off2"
m_on=$(moved "$LIB_TMP/on1" "$LIB_TMP/on2")
m_off=$(moved "$LIB_TMP/off1" "$LIB_TMP/off2")
log "after adding b4: pinned service moved $m_on of 500 flows, unpinned moved $m_off (1/(N+1) = 125)"
check "pinning on: adding a backend moves 0 flows" test "$m_on" -eq 0
check "pinning off: about 1/(N+1) of the flows move (50..200 of 500)" test "$m_off" -ge 50 -a "$m_off" -le 200
check "pins were hit" test "$(jq_svc "$ON" 's["pinning"]["hits"]')" -ge 500
flows 53 35000 400 "$LIB_TMP/new"
check "new flows do reach b4" grep -q ' b4$' "$LIB_TMP/new"

# ---- deleting a backend moves only its flows ---------------------------
b2_flows=$(grep -c ' b2$' "$LIB_TMP/on2")
setup_or_die "delete b2" ipvsctl backend del "$ON" "${BE_IP[2]}"
flows 53 30000 500 "$LIB_TMP/on3"
check "deleting b2: its $b2_flows flows moved" \
	test "$(join "$LIB_TMP/on2" "$LIB_TMP/on3" | awk '$2 == "b2" && $3 != "b2"' | wc -l)" -eq "$b2_flows"
check "deleting b2: no other flow moved" \
	test "$(join "$LIB_TMP/on2" "$LIB_TMP/on3" | awk '$2 != "b2" && $2 != $3' | wc -l)" -eq 0
check "the pins to b2 were dropped" test "$(jq_svc "$ON" 's["pinning"]["dropped"]')" -ge "$b2_flows"

# ---- draining keeps pinned flows ---------------------------------------
b1_flows=$(grep -c ' b1$' "$LIB_TMP/on3")
setup_or_die "drain b1" ipvsctl backend edit "$ON" "${BE_IP[1]}" weight 0
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$ON"
check "drained b1 owns no slot" \
	test "$(jq_svc "$ON" '[b["slots"] for b in s["backends"] if b["backend"] == "'"${BE_IP[1]}"':53"][0]')" = 0
check "b1 reports its pins (at least the $b1_flows of these flows)" \
	test "$(jq_svc "$ON" '[b["pins"] for b in s["backends"] if b["backend"] == "'"${BE_IP[1]}"':53"][0]')" -ge "$b1_flows"
flows 53 30000 500 "$LIB_TMP/on4"
check "draining b1 keeps its $b1_flows pinned flows" \
	test "$(grep -c ' b1$' "$LIB_TMP/on4")" -eq "$b1_flows" -a "$b1_flows" -gt 0
check "and nothing else moved" test "$(moved "$LIB_TMP/on3" "$LIB_TMP/on4")" -eq 0
flows 53 40000 400 "$LIB_TMP/fresh"
check "new flows never reach the drained b1" not grep -q ' b1$' "$LIB_TMP/fresh"
check "new flows are all answered" test "$(grep -c ' -$' "$LIB_TMP/fresh")" -eq 0

# ---- down: pins dropped -------------------------------------------------
b3_pins() {
	jq_svc "$ON" '[b["pins"] for b in s["backends"] if b["backend"] == "'"${BE_IP[3]}"':53"][0]'
}
b3_before=$(b3_pins)
check "mark b3 down" ipvsctl maglev down "$ON" "${BE_IP[3]}:53"
check "its $b3_before pins are gone at once" test "$(b3_pins)" -eq 0 -a "$b3_before" -gt 0
check "b3 is reported down" \
	test "$(jq_svc "$ON" '[b["down"] for b in s["backends"] if b["backend"] == "'"${BE_IP[3]}"':53"][0]')" = True
flows 53 30000 500 "$LIB_TMP/on5"
check "no flow reaches the down b3" not grep -q ' b3$' "$LIB_TMP/on5"
check "mark b3 up" ipvsctl maglev up "$ON" "${BE_IP[3]}:53"

# ---- ipvsctl drain: a UDP backend drains through its pins ---------------------
# IPVS has no connection entry for OPS flows: the pins are what the drain
# waits for. They must outlive the gap between two rounds of the same
# flows, and expire soon once the flows stop: the pin timeout is four
# times what a round takes on this machine, measured here, and at least
# 5 s.
setup_or_die "settled" wait_until 10 mg_settled "$DR" "$ON"
# The pins keep the default idle timeout (960 s) while the flows come,
# however slow the machine; once they stop, it is lowered so that the
# drain can see them expire.
pin_to=5000
flows 53 30000 500 "$LIB_TMP/on6"
b4_flows=$(grep -c ' b4$' "$LIB_TMP/on6")
b4_weight() { jq_svc "$ON" '[b["weight"] for b in s["backends"] if b["backend"] == "'"${BE_IP[4]}"':53"] or ["none"]' |
	tr -d "[]'"; }
ip netns exec "$DR" "$IPVSCTL" drain "$ON" "${BE_IP[4]}:53" --timeout $((pin_to / 1000 + 120))s \
	--interval 200ms >"$LIB_TMP/udrain.out" 2>&1 &
UDRAIN=$!
LIB_PIDS+=("$UDRAIN")
b4_weight_is() { [ "$(b4_weight)" = "$1" ]; }
check "drain b4 (UDP, OPS, pinned): weight 0" wait_until 30 b4_weight_is 0
# its flows keep coming for three rounds: they stay with b4, and the drain
# waits
kept=1
seen=
for r in 1 2 3; do
	flows 53 30000 500 "$LIB_TMP/on7"
	n=$(grep -c ' b4$' "$LIB_TMP/on7")
	seen="$seen $n"
	[ "$n" -eq "$b4_flows" ] || kept=0
done
check "while its $b4_flows pinned flows keep coming, they stay on the draining b4 (rounds:$seen)" \
	test "$kept" = 1 -a "$b4_flows" -gt 0
check "and the drain waits for them" kill -0 "$UDRAIN"
setup_or_die "pin timeout $pin_to ms" bash -c "echo $pin_to >$PARAMS/pin_timeout_ms"
wait "$UDRAIN"
rc=$?
check "once they stop, their pins expire and the drain ends (exit $rc)" test "$rc" = 0
check "it counted the pins down" grep -Eq "0 active, 0 inactive, [1-9][0-9]* pinned" "$LIB_TMP/udrain.out"
check "b4 is removed" test "$(b4_weight)" = none
setup_or_die "pin timeout back" bash -c "echo 960000 >$PARAMS/pin_timeout_ms"

# ---- bounded memory ---------------------------------------------------------
check "flush the service's pins" ipvsctl maglev flush-pins "$ON"
check "entries 0" test "$(jq_svc "$ON" 's["pinning"]["entries"]')" -eq 0
check "cap the service at 1000 pins" ipvsctl maglev set "$ON" pin-max 1000
flows 53 20000 3000 "$LIB_TMP/flood"
check "3000 flows against a cap of 1000: all answered" test "$(grep -c ' -$' "$LIB_TMP/flood")" -eq 0
check "entries stay at the service's cap" test "$(jq_svc "$ON" 's["pinning"]["entries"]')" -le 1000
ev=$(jq_svc "$ON" 's["pinning"]["evictions"]')
fails=$(jq_svc "$ON" 's["pinning"]["insert_failures"]')
log "service cap: $ev evictions, $fails flows left unpinned"
check "every flow past the cap evicted an older pin (LRU-like), or was left unpinned" \
	test $((ev + fails)) -ge 2000
check "mostly by eviction" test "$ev" -ge 1800

setup_or_die "pin :54 too" ipvsctl maglev set "$OFF" pin on
flows 54 50000 8000 "$LIB_TMP/flood2"
check "namespace cap 5000, 8000 new flows: all answered" test "$(grep -c ' -$' "$LIB_TMP/flood2")" -eq 0
total=$(ipvsctl -j maglev info | python3 -c 'import json,sys; print(json.load(sys.stdin)["pins"]["entries"])')
ev=$(( $(jq_svc "$ON" 's["pinning"]["evictions"]') + $(jq_svc "$OFF" 's["pinning"]["evictions"]') ))
log "namespace pins after the flood: $total; evictions in all: $ev"
check "entries in the namespace stay at its cap" test "$total" -le 5000
check "the namespace cap evicted the least recently used" \
	test "$(jq_svc "$OFF" 's["pinning"]["insert_failures"]')" -le 800

bytes4=$(ipvsctl -j maglev info | python3 -c 'import json,sys; print(json.load(sys.stdin)["pins"]["bytes_per_entry_ipv4"])')
bytes6=$(ipvsctl -j maglev info | python3 -c 'import json,sys; print(json.load(sys.stdin)["pins"]["bytes_per_entry_ipv6"])')
log "memory per pinned flow: $bytes4 bytes (IPv4), $bytes6 bytes (IPv6), bucket share included"
check "an IPv4 pin costs at most 80 bytes" test "$bytes4" -le 80

# ---- ipvsadm users reach it with flag-2 ------------------------------------
setup_or_die "ipvsadm service with -b flag-2" in_ns "$DR" ipvsadm -A -u "$FVIP:55" -s maglev -o -b flag-2
check "flag-2 turns pinning on (pin auto)" \
	test "$(jq_svc "udp/$FVIP:55" 's["pinning"]["mode"], s["pinning"]["active"]')" = "auto True"

exit "$(lib_result)"
