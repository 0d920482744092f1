#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A chosen backend that cannot take new flows is never chosen, and while
# any backend can, no flow goes without one:
#  - drained (weight 0) or deleted, before the deferred rebuild removes its
#    slots: its flows fall back, deterministically;
#  - over its upper connection threshold (overloaded): the same, and with
#    two of three backends overloaded everything goes to the third.
#
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100:80, maglev, NAT) ---- B1..B3 :8080

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
PARAMS=/sys/module/ip_vs_maglev/parameters

setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"

clients=()
for p in $(seq 40000 40299); do
	clients+=("10.0.1.2:$p")
done
lookup_all() {
	"$IPVSCTL" -N "$DR" maglev lookup "$SVC" "${clients[@]}"
}

# traffic_avoids NAME BACKEND_ID: 150 connections, none failed, none to ID
traffic_avoids() {
	in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 150 -E 5 >"$LIB_TMP/t"
	check "$1: 150 connections, none failed" \
		test "$(total_of "$LIB_TMP/t")" = 150 -a "$(errors_of "$LIB_TMP/t")" = 0
	check "$1: none reached $2" test "$(count_of "$2" "$LIB_TMP/t")" = 0
}

# Make the next change wait for a deferred rebuild: a build happened just
# now (the explicit set below), and the holdoff is long.
defer_next_build() {
	echo 60000 >$PARAMS/rebuild_holdoff_ms
	"$IPVSCTL" -N "$DR" maglev set "$SVC" table-size "$1"
}

# settle_now: an explicit parameter change builds at once
settle_now() {
	echo 100 >$PARAMS/rebuild_holdoff_ms
	"$IPVSCTL" -N "$DR" maglev set "$SVC" table-size "$1"
}

lookup_all >"$LIB_TMP/before"
b1=${BE_IP[1]}:8080

# ---- drained: weight 0, rebuild pending ------------------------------------
setup_or_die "defer" defer_next_build 65521
setup_or_die "drain b1" ipvs -e -t "$VIP:80" -r "$b1" -m -w 0
check "drain: rebuild is pending" test "$(mg_field "$DR" "$SVC" pending)" = true
check "drain: b1 still owns slots in the live table" test "$(mg_be_field "$DR" "$SVC" "$b1" slots)" -gt 0
check "drain: b1 reported unavailable" test "$(mg_be_field "$DR" "$SVC" "$b1" available)" = false
traffic_avoids "drain" b1
lookup_all >"$LIB_TMP/drain1"
lookup_all >"$LIB_TMP/drain2"
check "drain: no lookup returns b1" not grep -q " $b1" "$LIB_TMP/drain1"
check "drain: b1's flows are marked as fallbacks" \
	test "$(grep -c fallback "$LIB_TMP/drain1")" -eq "$(grep -c " $b1" "$LIB_TMP/before")"
check "drain: the fallback is deterministic" cmp -s "$LIB_TMP/drain1" "$LIB_TMP/drain2"
check "drain: other backends' flows did not move" \
	test "$(join <(grep -v " $b1" "$LIB_TMP/before" | sort) <(sort "$LIB_TMP/drain1") | awk '$2 != $3' | wc -l)" -eq 0
setup_or_die "rebuild" settle_now default
check "drain: after the rebuild b1 owns no slot" test "$(mg_be_field "$DR" "$SVC" "$b1" slots)" = 0
check "drain: and no flow falls back" not grep -q fallback <(lookup_all)
setup_or_die "undrain b1" ipvs -e -t "$VIP:80" -r "$b1" -m -w 1
check "undrain: table settles" wait_until 10 mg_settled "$DR" "$SVC"

# ---- deleted, rebuild pending ------------------------------------------------
b2=${BE_IP[2]}:8080
setup_or_die "defer" defer_next_build 65521
setup_or_die "delete b2" ipvs -d -t "$VIP:80" -r "$b2"
check "delete: rebuild is pending" test "$(mg_field "$DR" "$SVC" pending)" = true
traffic_avoids "delete" b2
check "delete: no lookup returns b2" not grep -q " $b2" <(lookup_all)
setup_or_die "rebuild" settle_now default
check "delete: b2 is gone from the table" test "$(mg_be_field "$DR" "$SVC" "$b2" slots)" = none
setup_or_die "re-add b2" ipvs -a -t "$VIP:80" -r "$b2" -m -w 1
check "re-add: table settles" wait_until 10 mg_settled "$DR" "$SVC"
lookup_all >"$LIB_TMP/readd"
check "re-adding b2 restores the original table" cmp -s "$LIB_TMP/before" "$LIB_TMP/readd"

# ---- overloaded: upper connection threshold -------------------------------
# A fresh service on port 81 (no old connections count against anybody),
# b1 and b2 with an upper threshold of 1 from the start. One held
# connection each fills them: IPVS marks a backend overloaded when a
# connection binds to it (5.10 and later alike).
SVC81=tcp/$VIP:81
setup_or_die "service :81" ipvs -A -t "$VIP:81" -s maglev
setup_or_die "b1 :81, threshold 1" ipvs -a -t "$VIP:81" -r "$b1" -m -w 1 -x 1
setup_or_die "b2 :81, threshold 1" ipvs -a -t "$VIP:81" -r "$b2" -m -w 1 -x 1
setup_or_die "b3 :81" ipvs -a -t "$VIP:81" -r "${BE_IP[3]}:8080" -m -w 1
setup_or_die "table :81 settles" wait_until 10 mg_settled "$DR" "$SVC81"
"$IPVSCTL" -N "$DR" maglev lookup "$SVC81" "${clients[@]}" >"$LIB_TMP/l81"
sport_for() { # sport_for BACKEND: a client port the table sends to it
	grep " $1\$" "$LIB_TMP/l81" | head -n 1 | sed 's/^10.0.1.2:\([0-9]*\) .*/\1/'
}
p1=$(sport_for "$b1")
p2=$(sport_for "$b2")
setup_or_die "client ports for b1 ($p1) and b2 ($p2)" test -n "$p1" -a -n "$p2"
bg_in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 81 -s "$p1" -D 60000 -I 500 >"$LIB_TMP/h1"
bg_in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 81 -s "$p2" -D 60000 -I 500 >"$LIB_TMP/h2"
check "overload: held connections reach b1 and b2" wait_until 10 bash -c \
	"grep -q '^backend b1' $LIB_TMP/h1 && grep -q '^backend b2' $LIB_TMP/h2"
check "overload: b1 reported unavailable" test "$(mg_be_field "$DR" "$SVC81" "$b1" available)" = false
check "overload: b2 reported unavailable" test "$(mg_be_field "$DR" "$SVC81" "$b2" available)" = false
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 81 -n 150 -E 5 >"$LIB_TMP/ov"
check "overload: 150 new connections, none failed" \
	test "$(total_of "$LIB_TMP/ov")" = 150 -a "$(errors_of "$LIB_TMP/ov")" = 0
check "overload: all went to b3, the only backend below its threshold" \
	test "$(count_of b3 "$LIB_TMP/ov")" = 150
check "overload: the table itself is unchanged" test "$(mg_field "$DR" "$SVC81" pending)" = false
check "overload: b1's flows are marked as fallbacks" \
	grep -q fallback <("$IPVSCTL" -N "$DR" maglev lookup "$SVC81" "10.0.1.2:$p1")
setup_or_die "thresholds off" ipvs -e -t "$VIP:81" -r "$b1" -m -w 1
setup_or_die "thresholds off" ipvs -e -t "$VIP:81" -r "$b2" -m -w 1
check "after the thresholds go, b1's flows are b1's again" \
	not grep -q fallback <("$IPVSCTL" -N "$DR" maglev lookup "$SVC81" "${clients[@]}")

exit "$(lib_result)"
