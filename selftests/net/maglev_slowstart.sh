#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Weighted slow start, judged by the module's own state: every check reads
# the ramp's position (ramp_ppm, the factor in the live table) and the
# slots in the same dump, so none depends on how fast this machine is.
#
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100, maglev, NAT) ---- B1..B4 :8080
#
#  1. A new service built with ipvsadm -A then three -a, at weight 1 (the
#     default of ipvsadm and keepalived), before it carries traffic: all
#     three take full weight together, none ramps (the review's R11: the
#     first one used to take 83% for the whole window).
#  2. Once it has carried traffic for a holdoff, a fourth backend of weight
#     1 joins: it ramps. At every reading, its slots are M * f / (3 + f)
#     within one slot, f being its reported factor: the ramp has the
#     factor's resolution at weight 1 (it used to take its full share at
#     once). Its factor rises; new connections sent while it ramps go to
#     it in a share between the table's shares before and after them; the
#     ramp ends at full weight with plain maglev's table (same digest),
#     and the builds it made are bounded by its steps.
#  3. Recovery: weight 0 and back ramps again; a weight change during the
#     ramp keeps its clock; a window of 0 ends every ramp.
#  4. A service switched to maglev, and ipvsctl's batch, do not ramp.

source "$(dirname "$0")/lib.sh"
lib_init

PARAMS=/sys/module/ip_vs_maglev/parameters
M=65521
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }

# be NS SERVICE BACKEND: "slots ramp_ppm ramp_left_ms weight" of a backend,
# all from one dump
be() {
	"$IPVSCTL" -N "$DR" -j maglev show "$1" | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
for b in s["backends"]:
    if b["backend"] == sys.argv[1]:
        print(b["slots"], b["ramp_ppm"], b["ramp_left_ms"], b["weight"])' "$2"
}
svc() { mg_field "$DR" "$1" "$2"; }
ss() { # ss SERVICE KEY: a slow_start field
	"$IPVSCTL" -N "$DR" -j maglev show "$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["services"][0]["slow_start"][sys.argv[1]])' "$2"
}
# share_ok SLOTS PPM OTHERS: the slots of a backend at factor PPM among
# OTHERS backends of the same weight at full weight: M*f/(OTHERS+f) +-1
share_ok() {
	awk -v s="$1" -v p="$2" -v o="$3" -v m=$M 'BEGIN {
		f = p / 1e6; want = m * f / (o + f); d = s - want
		exit !(d <= 1.5 && d >= -1.5) }'
}
serving_for() { # serving_for SERVICE MS: the table has served for >= MS
	local v
	v=$(svc "$1" serving_ms)
	[ "$v" != None ] && [ "$v" -ge "$2" ]
}
ppm_above() { # ppm_above SERVICE BACKEND PPM: its factor is above PPM
	local p
	read -r _ p _ _ < <(be "$1" "$2")
	[ "$p" != None ] && [ "$p" -gt "$3" ]
}
# on_curve PPM LEFT_MS WINDOW_MS: a linear ramp with a 10% floor, read
# LEFT_MS before its end, has a factor in the table no higher than the
# formula gives now (the table lags by at most a step) and no lower than
# the floor
on_curve() {
	awk -v p="$1" -v l="$2" -v w="$3" 'BEGIN {
		f = (w - l) / w; if (f < 0.1) f = 0.1
		exit !(p >= 99000 && p <= f * 1e6 + 1000) }'
}
settled() { wait_until 20 mg_settled "$DR" "$1"; }

setup_or_die "topology" topo_std 4
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "module" modprobe ip_vs_maglev
HOLDOFF=$(cat $PARAMS/rebuild_holdoff_ms)

# ---- 1. a new service's backends come up together -------------------------
SVC=tcp/$VIP:80
echo 20000 >$PARAMS/slow_start_ms
setup_or_die "ipvsadm -A, the module's default window" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "ipvsadm -a b$i (weight 1, ipvsadm's default)" \
		ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done
echo 0 >$PARAMS/slow_start_ms
check "the service has the module's window" test "$(ss "$SVC" window_ms)" = 20000
check "it has not served yet" test "$(svc "$SVC" serving_ms)" = None
check "nothing ramps" test "$(ss "$SVC" ramping)" = 0
for i in 1 2 3; do
	read -r slots ppm left _ < <(be "$SVC" "${BE_IP[i]}:8080")
	check "b$i: full weight at once (factor $ppm ppm, $left ms left), a third of the table ($slots)" \
		test "$ppm" = 1000000 -a "$left" = None -a "$slots" -ge 21839 -a "$slots" -le 21841
done

# ---- 2. a backend joining a serving service ramps, at weight 1 -----------
setup_or_die "traffic" in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 20
check "the service reports that it serves, for a holdoff (${HOLDOFF} ms)" \
	wait_until 30 serving_for "$SVC" "$HOLDOFF"
b4=${BE_IP[4]}:8080
setup_or_die "b4 joins (weight 1)" ipvs -a -t "$VIP:80" -r "$b4" -m -w 1
setup_or_die "table settles" settled "$SVC"
read -r slots0 ppm0 left0 _ < <(be "$SVC" "$b4")
check "b4 ramps ($left0 ms left)" test "$left0" != None
check "b4's factor follows the ramp's clock: $ppm0 ppm with $left0 of 20000 ms left" \
	on_curve "$ppm0" "$left0" 20000
check "b4's slots are that factor's share of the table, at weight 1 ($slots0; full: 16380)" \
	share_ok "$slots0" "$ppm0" 3

# new connections while it ramps: their share at b4 lies between the
# table's shares before and after them
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 1500 >"$LIB_TMP/ramp"
read -r slots1 ppm1 _ _ < <(be "$SVC" "$b4")
got=$(count_of b4 "$LIB_TMP/ramp")
log "b4 took $got of $(total_of "$LIB_TMP/ramp") new connections; table share from $slots0 to $slots1 slots"
check "b4's share of new connections follows the table ($got of 1500)" \
	awk -v g="$got" -v a="$slots0" -v b="$slots1" -v m=$M 'BEGIN {
		lo = 1500 * a / m; hi = 1500 * b / m
		# binomial spread, 4 sigma at the upper share
		sd = sqrt(1500 * (b / m) * (1 - b / m))
		exit !(g >= lo - 4 * sd - 5 && g <= hi + 4 * sd + 5) }'
# (above its first reading: on a slow machine the 1500 connections can
# outlast the 20 s window, and the factor is then already at its end)
check "the ramp moves: b4's factor rises above $ppm0 ppm" wait_until 60 ppm_above "$SVC" "$b4" "$ppm0"
read -r slots2 ppm2 left2 _ < <(be "$SVC" "$b4")
if [ "$left2" != None ]; then
	check "its factor still follows the clock ($ppm2 ppm, $left2 ms left)" on_curve "$ppm2" "$left2" 20000
fi
check "and its slots follow the factor ($slots2 at $ppm2 ppm)" share_ok "$slots2" "$ppm2" 3
ramp_over() { [ "$(ss "$SVC" ramping)" = 0 ]; }
check "the ramp ends" wait_until 90 ramp_over
read -r slots3 ppm3 left3 _ < <(be "$SVC" "$b4")
check "b4 at full weight: a quarter of the table ($slots3 slots, $ppm3 ppm)" \
	test "$ppm3" = 1000000 -a "$slots3" -ge 16380 -a "$slots3" -le 16381 -a "$left3" = None
builds=$(ss "$SVC" ramp_builds)
check "ramp builds are bounded by the steps: $builds for 20 steps of 1 s" \
	test "$builds" -ge 2 -a "$builds" -le 21
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 2000 >"$LIB_TMP/after"
end=$(count_of b4 "$LIB_TMP/after")
check "afterwards b4 takes a quarter of new connections ($end of 2000)" \
	test "$end" -ge 420 -a "$end" -le 580
ramped_digest=$(svc "$SVC" digest)

# ---- 3. recovery, retargeting, window 0 -----------------------------------
b2=${BE_IP[2]}:8080
check "a ten-minute window" ipvsctl maglev set "$SVC" slow-start 600s
setup_or_die "drain b2" ipvs -e -t "$VIP:80" -r "$b2" -m -w 0
setup_or_die "table settles" settled "$SVC"
read -r s _ l _ < <(be "$SVC" "$b2")
check "drained: b2 owns no slot and does not ramp" test "$s" = 0 -a "$l" = None
setup_or_die "undrain b2" ipvs -e -t "$VIP:80" -r "$b2" -m -w 1
setup_or_die "table settles" settled "$SVC"
read -r s p left _ < <(be "$SVC" "$b2")
check "undrained into a serving service: b2 ramps again ($left ms left, $p ppm)" \
	test "$left" != None -a "$p" -lt 200000
setup_or_die "retarget b2 to weight 2" ipvs -e -t "$VIP:80" -r "$b2" -m -w 2
setup_or_die "table settles" settled "$SVC"
read -r s p left2 w < <(be "$SVC" "$b2")
check "retargeting keeps the ramp's clock ($left2 <= $left ms left)" \
	test "$left2" != None -a "$left2" -le "$left"
check "and the factor applies to the new weight: slots at weight 2 among 1, 1, 1 at $p ppm" \
	awk -v s="$s" -v p="$p" -v m=$M 'BEGIN { f = 2 * p / 1e6; d = s - m * f / (3 + f); exit !(d <= 1.5 && d >= -1.5) }'
check "window 0 ends every ramp at once" ipvsctl maglev set "$SVC" slow-start off
read -r s p left _ < <(be "$SVC" "$b2")
check "b2 at full weight 2, no ramp" test "$p" = 1000000 -a "$left" = None -a "$(ss "$SVC" ramping)" = 0

# ---- 4. no ramp without traffic to protect; plain maglev's tables ---------
setup_or_die "reference :82, slow start off" ipvsctl service add "tcp/$VIP:82" scheduler maglev slow-start off
printf 'backend add tcp/%s:82 %s:8080 method nat weight 1\n' "$VIP" "${BE_IP[1]}" "$VIP" "${BE_IP[2]}" \
	"$VIP" "${BE_IP[3]}" "$VIP" "${BE_IP[4]}" >"$LIB_TMP/ref"
setup_or_die "reference backends in one batch" ipvsctl restore "$LIB_TMP/ref"
check ":82 settles" wait_until 10 mg_settled "$DR" "tcp/$VIP:82"
check "the table after the ramp is plain maglev's (same digest)" \
	test "$ramped_digest" = "$(svc "tcp/$VIP:82" digest)"
setup_or_die "service :83 with rr and four backends" ipvs -A -t "$VIP:83" -s rr
for i in 1 2 3 4; do
	setup_or_die "b$i on :83" ipvs -a -t "$VIP:83" -r "${BE_IP[i]}:8080" -m -w 1
done
setup_or_die "traffic through :83" in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 83 -n 20
echo 30000 >$PARAMS/slow_start_ms
setup_or_die "switched to maglev (ipvsadm -E)" ipvs -E -t "$VIP:83" -s maglev
echo 0 >$PARAMS/slow_start_ms
check "a service switched to maglev takes full weight at once" \
	test "$(ss "tcp/$VIP:83" ramping)" = 0 -a "$(ss "tcp/$VIP:83" window_ms)" = 30000
check "with the same table as the reference" \
	test "$(svc "tcp/$VIP:83" digest)" = "$(svc "tcp/$VIP:82" digest)"

exit "$(lib_result)"
