#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fleet consistency: two directors given the same backends and weights in
# different orders (and by different paths: extra backends added and
# removed, weights changed on the way) build byte-identical tables, and
# send the same flows to the same backends.
#
# Two identical worlds, A and B, each with the same addresses:
#
#   CL-A 10.0.1.2 -- DR-A (VIP 10.0.1.100:80) -- B1-A..B5-A 10.0.2.11-15:8080
#   CL-B 10.0.1.2 -- DR-B (VIP 10.0.1.100:80) -- B1-B..B5-B 10.0.2.11-15:8080
#
# The same client 5-tuples are sent into both; every flow must reach the
# backend with the same name in both worlds.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
WEIGHTS=(0 10 20 30 40 50)

setup_or_die "world A" topo_std 5 A
CLA=$CL DRA=$DR BEA=("${BE[@]}")
setup_or_die "world B" topo_std 5 B
CLB=$CL DRB=$DR
for DR in "$DRA" "$DRB"; do
	setup_or_die "VIP" vip_local
done
for i in 1 2 3 4 5; do
	setup_or_die "server b$i in A" serve "${BEA[i - 1]}" "b$i" 8080
	setup_or_die "server b$i in B" serve "${BE[i]}" "b$i" 8080
done

# A: the plain way, backends 1..5 with their final weights
DR=$DRA
setup_or_die "A: service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3 4 5; do
	setup_or_die "A: backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w "${WEIGHTS[i]}"
done

# B: reverse order, a detour through other weights and an extra backend
DR=$DRB
setup_or_die "B: service" ipvs -A -t "$VIP:80" -s maglev
setup_or_die "B: extra backend" ipvs -a -t "$VIP:80" -r 10.0.2.99:8080 -m -w 70
for i in 5 4 3 2 1; do
	setup_or_die "B: backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done
for i in 3 1 5 2 4; do
	setup_or_die "B: weight $i" ipvs -e -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w "${WEIGHTS[i]}"
done
setup_or_die "B: drop the extra backend" ipvs -d -t "$VIP:80" -r 10.0.2.99:8080

check "A: table settles" wait_until 10 mg_settled "$DRA" "$SVC"
check "B: table settles" wait_until 10 mg_settled "$DRB" "$SVC"
da=$(mg_field "$DRA" "$SVC" digest)
db=$(mg_field "$DRB" "$SVC" digest)
log "digest A $da, B $db"
check "digests equal (byte-identical tables)" test -n "$da" -a "$da" = "$db"

# Flow by flow, from the tables: 2000 clients
clients=()
for p in $(seq 20000 21999); do
	clients+=("10.0.1.$((p % 7 + 2)):$p")
done
"$IPVSCTL" -N "$DRA" maglev lookup "$SVC" "${clients[@]}" >"$LIB_TMP/la"
"$IPVSCTL" -N "$DRB" maglev lookup "$SVC" "${clients[@]}" >"$LIB_TMP/lb"
check "2000 lookups answered in A" test "$(wc -l <"$LIB_TMP/la")" -eq 2000
check "the same 2000 flows map to the same backends in A and B" cmp -s "$LIB_TMP/la" "$LIB_TMP/lb"

# Flow by flow, with real traffic: 300 TCP flows from fixed source ports
in_ns "$CLA" "$MGTRAFFIC" conn -c "$VIP" -p 80 -s 30000 -n 300 -v >"$LIB_TMP/ta"
in_ns "$CLB" "$MGTRAFFIC" conn -c "$VIP" -p 80 -s 30000 -n 300 -v >"$LIB_TMP/tb"
check "A: 300 connections, no errors" test "$(errors_of "$LIB_TMP/ta")" = 0 -a "$(total_of "$LIB_TMP/ta")" = 300
check "B: 300 connections, no errors" test "$(errors_of "$LIB_TMP/tb")" = 0 -a "$(total_of "$LIB_TMP/tb")" = 300
check "every connection reached the same-named backend in A and B" \
	cmp -s <(grep '^flow' "$LIB_TMP/ta") <(grep '^flow' "$LIB_TMP/tb")
for i in 1 5; do
	log "b$i served $(count_of "b$i" "$LIB_TMP/ta") (weight ${WEIGHTS[i]} of 150)"
done

# The comparison can fail: a different weight in B must change its digest
# and some flows, and restoring it must restore both.
DR=$DRB
setup_or_die "B: reweight b3" ipvs -e -t "$VIP:80" -r "${BE_IP[3]}:8080" -m -w 31
check "B: table settles after reweight" wait_until 10 mg_settled "$DRB" "$SVC"
check "a different weight gives a different digest" \
	test "$(mg_field "$DRB" "$SVC" digest)" != "$da"
"$IPVSCTL" -N "$DRB" maglev lookup "$SVC" "${clients[@]}" >"$LIB_TMP/lb2"
check "and moves some flows" not cmp -s "$LIB_TMP/la" "$LIB_TMP/lb2"
setup_or_die "B: weight back" ipvs -e -t "$VIP:80" -r "${BE_IP[3]}:8080" -m -w 30
check "B: table settles after restoring" wait_until 10 mg_settled "$DRB" "$SVC"
check "restoring the weight restores the digest" test "$(mg_field "$DRB" "$SVC" digest)" = "$da"

exit "$(lib_result)"
