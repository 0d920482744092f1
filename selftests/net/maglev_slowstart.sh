#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Weighted slow start. A fourth backend joins a three-backend service with
# a 20 s window: its share of new connections, in 4 s buckets, starts below
# 10%, rises in every bucket, and ends at 25% +- 4%. A backend drained to
# weight 0 and back ramps again. With the window at 0 nothing ramps and the
# table is exactly plain maglev's.
#
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100:80, maglev, NAT) ---- B1..B4 :8080
#
# Expected share of b4 (linear ramp, minimum 10%, weights 100 each) in the
# buckets' middles, f = 0.1, 0.3, 0.5, 0.7, 0.9: 3.2%, 9.1%, 14.3%, 18.9%,
# 23.1%; then 25%.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
PARAMS=/sys/module/ip_vs_maglev/parameters
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
svc_field() { # svc_field SERVICE PY-EXPR over s (the service)
	ipvsctl -j maglev show "$1" | python3 -c "import json,sys; s=json.load(sys.stdin)['services'][0]; print($2)"
}
be_field() { # be_field SERVICE BACKEND KEY
	ipvsctl -j maglev show "$1" | python3 -c "
import json,sys
s = json.load(sys.stdin)['services'][0]
print([b['$3'] for b in s['backends'] if b['backend'] == '$2'][0])"
}

setup_or_die "topology" topo_std 4
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 100
done
check "ipvsctl sets a 20 s window" ipvsctl maglev set "$SVC" slow-start 20s
check "the service reports it" test "$(svc_field "$SVC" 's["slow_start"]["window_ms"], s["slow_start"]["aggression"], s["slow_start"]["min_pct"]')" = "20000 1.0 10"
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
builds0=$(svc_field "$SVC" 's["slow_start"]["ramp_builds"]')

# ---- the ramp, measured on new connections --------------------------------
# an established connection, held through the whole ramp: it must keep
# its backend (every answer from the same one)
bg_in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -D 23000 -I 250 >"$LIB_TMP/hold"
hold_pid=$LAST_PID
setup_or_die "held connection is up" wait_until 10 grep -q '^backend b' "$LIB_TMP/hold"
setup_or_die "add b4" ipvs -a -t "$VIP:80" -r "${BE_IP[4]}:8080" -m -w 100
b4=${BE_IP[4]}:8080
for k in 1 2; do
	bg_in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -D 20000 -B 4000 >"$LIB_TMP/ramp$k"
	pids[k]=$LAST_PID
done
check "b4 is in slow start" test "$(be_field "$SVC" "$b4" ramp_left_ms)" -gt 15000
check "b4's effective weight is below its weight" test "$(be_field "$SVC" "$b4" effective_weight)" -lt 100
check "b4's configured weight is 100" test "$(be_field "$SVC" "$b4" weight)" = 100
wait "${pids[1]}" "${pids[2]}"
cat "$LIB_TMP/ramp1" "$LIB_TMP/ramp2" | awk '
	$1 == "bucket" { t[$2] += $4; if ($3 == "b4") b[$2] += $4 }
	END { for (k = 0; k < 5; k++) printf "%d %d %d %.2f\n", k, t[k], b[k], t[k] ? 100 * b[k] / t[k] : -1 }' >"$LIB_TMP/shares"
log "bucket connections b4 share%   (expected 3.2 9.1 14.3 18.9 23.1)"
sed 's/^/  /' "$LIB_TMP/shares"
first=$(awk 'NR == 1 { print $4 }' "$LIB_TMP/shares")
check "first bucket: b4 below 10% ($first%)" awk -v s="$first" 'BEGIN { exit !(s >= 0 && s < 10) }'
check "five buckets, each with at least 300 connections" \
	test "$(awk '$2 >= 300' "$LIB_TMP/shares" | wc -l)" -eq 5
check "b4's share rises in every bucket" \
	awk '{ if (NR > 1 && $4 <= prev) bad = 1; prev = $4 } END { exit bad }' "$LIB_TMP/shares"
wait "$hold_pid"
hold_rc=$?
cat "$LIB_TMP/hold"
check "the connection established before the ramp kept its backend throughout" \
	test "$hold_rc" -eq 0 -a "$(awk '$1 == "replies" { print $2 }' "$LIB_TMP/hold")" -ge 40
check "ramp ends" wait_until 10 bash -c "[ \"\$($IPVSCTL -N $DR -j maglev show $SVC | grep -o '\"ramping\":[0-9]*')\" = '\"ramping\":0' ]"
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 2000 >"$LIB_TMP/after"
end=$(awk -v c="$(count_of b4 "$LIB_TMP/after")" -v t="$(total_of "$LIB_TMP/after")" 'BEGIN { printf "%.2f", 100 * c / t }')
check "at the end b4 has 25% +- 4% of 2000 new connections ($end%)" \
	awk -v s="$end" 'BEGIN { exit !(s >= 21 && s <= 29) }'
check "and exactly a quarter of the table" test "$(be_field "$SVC" "$b4" slots)" -ge 16380
ramped_digest=$(mg_field "$DR" "$SVC" digest)
builds=$(($(svc_field "$SVC" 's["slow_start"]["ramp_builds"]') - builds0))
log "ramp builds for the 20 s window: $builds (at most one per 1 s step)"
check "rebuilds are bounded: at most 21 for 20 steps" test "$builds" -le 21 -a "$builds" -ge 5

# ---- recovery: weight 0 and back ramps again ------------------------------
b2=${BE_IP[2]}:8080
check "window 4 s" ipvsctl maglev set "$SVC" slow-start 4s
setup_or_die "drain b2" ipvs -e -t "$VIP:80" -r "$b2" -m -w 0
check "drained: b2 not ramping, no slot" wait_until 10 bash -c "[ \"\$($IPVSCTL -N $DR -j maglev show $SVC | python3 -c 'import json,sys; print([b[\"slots\"] for b in json.load(sys.stdin)[\"services\"][0][\"backends\"] if b[\"backend\"] == \"$b2\"][0])')\" = 0 ]"
setup_or_die "undrain b2" ipvs -e -t "$VIP:80" -r "$b2" -m -w 100
check "undrained: b2 ramps again" test "$(be_field "$SVC" "$b2" ramp_left_ms)" -gt 1000
e1=$(be_field "$SVC" "$b2" effective_weight)
check "its effective weight starts low ($e1)" test "$e1" -lt 60
check "and grows" wait_until 10 bash -c "[ \$($IPVSCTL -N $DR -j maglev show $SVC | python3 -c 'import json,sys; print([b[\"effective_weight\"] for b in json.load(sys.stdin)[\"services\"][0][\"backends\"] if b[\"backend\"] == \"$b2\"][0])') -gt $e1 ]"
# a weight change during the ramp retargets it: same start, new weight
left=$(be_field "$SVC" "$b2" ramp_left_ms)
setup_or_die "retarget b2 to 200" ipvs -e -t "$VIP:80" -r "$b2" -m -w 200
check "retargeting keeps the ramp's clock" test "$(be_field "$SVC" "$b2" ramp_left_ms)" -le "$left"
check "then full weight 200" wait_until 10 bash -c "[ \$($IPVSCTL -N $DR -j maglev show $SVC | python3 -c 'import json,sys; print([b[\"effective_weight\"] for b in json.load(sys.stdin)[\"services\"][0][\"backends\"] if b[\"backend\"] == \"$b2\"][0])') = 200 ]"
check "and out of slow start" test "$(be_field "$SVC" "$b2" ramp_left_ms)" = None

# ---- a new service does not ramp; window 0 is plain maglev ---------------
setup_or_die "service :81, slow start off" ipvsctl service add "tcp/$VIP:81" scheduler maglev slow-start off
setup_or_die "reference :82" ipvsctl service add "tcp/$VIP:82" scheduler maglev slow-start off
for i in 1 2 3 4; do
	setup_or_die "backend $i on :81" ipvsctl backend add "tcp/$VIP:81" "${BE_IP[i]}:8080" method nat weight 100
done
printf 'backend add tcp/%s:82 %s:8080 method nat weight 100\n' "$VIP" "${BE_IP[1]}" "$VIP" "${BE_IP[2]}" \
	"$VIP" "${BE_IP[3]}" "$VIP" "${BE_IP[4]}" >"$LIB_TMP/ref"
setup_or_die "reference backends in one batch" ipvsctl restore "$LIB_TMP/ref"
check ":81 settles" wait_until 10 mg_settled "$DR" "tcp/$VIP:81"
check ":82 settles" wait_until 10 mg_settled "$DR" "tcp/$VIP:82"
check "window 0: nothing ramped" test "$(svc_field "tcp/$VIP:81" 's["slow_start"]["ramp_builds"]')" = 0
check "window 0: the table equals plain maglev's (same digest)" \
	test "$(mg_field "$DR" "tcp/$VIP:81" digest)" = "$(mg_field "$DR" "tcp/$VIP:82" digest)"
check "and the table after a ramp is plain maglev's too" \
	test "$ramped_digest" = "$(mg_field "$DR" "tcp/$VIP:82" digest)"

# ---- the module parameter reaches ipvsadm users --------------------------
echo 5000 >$PARAMS/slow_start_ms
setup_or_die "ipvsadm service" ipvs -A -t "$VIP:83" -s maglev
setup_or_die "ipvsadm backend 1" ipvs -a -t "$VIP:83" -r "${BE_IP[1]}:8080" -m -w 10
setup_or_die "ipvsadm backend 2" ipvs -a -t "$VIP:83" -r "${BE_IP[2]}:8080" -m -w 10
echo 0 >$PARAMS/slow_start_ms
check "slow_start_ms=5000: the new service has the window" \
	test "$(svc_field "tcp/$VIP:83" 's["slow_start"]["window_ms"]')" = 5000
check "its first backend took full weight at once (new service)" \
	test "$(be_field "tcp/$VIP:83" "${BE_IP[1]}:8080" ramp_left_ms)" = None
check "its second backend ramps" test "$(be_field "tcp/$VIP:83" "${BE_IP[2]}:8080" ramp_left_ms)" != None

exit "$(lib_result)"
