#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The scheduler's parameters and its netlink family: table sizes (module
# default and per service), memory, hash input (per service and through
# ipvsadm's flag-1), exact weights, coalesced rebuilds, strict attribute
# validation with extack, namespaces and privilege.
#
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100:80, maglev, NAT) ---- B1..B3 :8080
#                    DR2 (no links: a second namespace with the same VIP)

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
GENL="python3 $LIB_DIR/tools/genl.py"
PARAMS=/sys/module/ip_vs_maglev/parameters
# IPVS_MAGLEV numbers (include/uapi/linux/ip_vs_maglev.h)
CMD_GET_INFO=1 CMD_SET_SERVICE=3
A_SERVICE=2
S_AF=1 S_PROTO=2 S_ADDR=3 S_PORT=4 S_TABLE_SIZE=6 S_HASH=7 S_REBUILDS=13

setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"

# ---- defaults, memory -----------------------------------------------------
check "default table size 65521" test "$(mg_field "$DR" "$SVC" table_size_active)" = 65521
check "no per-service size set" test "$(mg_field "$DR" "$SVC" table_size)" = 0
check "hash auto resolves to 5tuple" test "$(mg_field "$DR" "$SVC" hash_active)" = 5tuple
seed=$(printf '0x%016x' "$(cat $PARAMS/hash_seed)")
check "seed reported is the module's hash_seed ($seed)" test "$(mg_field "$DR" "$SVC" seed)" = "$seed"
fp=$(python3 "$LIB_DIR/tools/seedfp.py" "$seed")
check "its fingerprint is SipHash-2-4 keyed with (seed, \"maglevfp\") ($fp)" \
	test "$(mg_field "$DR" "$SVC" seed_fingerprint)" = "0x$fp"
check "the hash_seed parameter is readable by root only" test "$(stat -c %a $PARAMS/hash_seed)" = 400
check "the kernel log names the fingerprint, not the seed" \
	bash -c "dmesg | grep -q 'seed fingerprint $fp' && ! dmesg | grep -qi '${seed#0x}'"
check "last rebuild time is reported" test "$(mg_field "$DR" "$SVC" last_rebuild_age_ms)" -ge 0
tb=$(mg_field "$DR" "$SVC" table_bytes)
log "table bytes at M=65521, 3 backends: $tb ($(awk -v b="$tb" 'BEGIN { printf "%.3f", b / 65521 }') per slot; stock mh: 8 per slot)"
check "compact slots: 2 bytes each plus a small header" test "$tb" -ge $((2 * 65521)) -a "$tb" -lt $((2 * 65521 + 1024))
check "state bytes cover the table" test "$(mg_field "$DR" "$SVC" state_bytes)" -gt "$tb"

# ---- per-service table size -------------------------------------------------
check "ipvsctl sets table-size 4093" "$IPVSCTL" -N "$DR" maglev set "$SVC" table-size 4093
check "live table has 4093 slots" test "$(mg_field "$DR" "$SVC" table_size_active)" = 4093
check "and about 2 bytes per slot" test "$(mg_field "$DR" "$SVC" table_bytes)" -lt $((2 * 4093 + 1024))
rebuilds=$(mg_field "$DR" "$SVC" rebuilds)

"$IPVSCTL" -N "$DR" maglev set "$SVC" table-size 4096 2>"$LIB_TMP/err"
rc=$?
cat "$LIB_TMP/err"
check "a non-prime size is refused by the kernel (exit 6)" test $rc -eq 6
check "with the kernel's own message" grep -q 'kernel reports: table size must be a prime' "$LIB_TMP/err"
check "and nothing changed" test "$(mg_field "$DR" "$SVC" table_size_active)" = 4093

# ---- strict policies, extack, no change on bad input ------------------------
svc_id="[$S_AF, \"u16\", 2], [$S_PROTO, \"u16\", 6], [$S_ADDR, \"bin\", \"0a000164\"], [$S_PORT, \"be16\", 80]"
genl_expect() {
	local what=$1 pattern=$2 out
	shift 2
	out=$(in_ns "$DR" $GENL IPVS_MAGLEV "$@")
	log "$what: $out"
	check "$what: refused with a message matching '$pattern'" \
		bash -c "echo '$out' | grep -qE '^error [0-9]+ .*$pattern'"
}
genl_expect "size 1000" "prime" $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id, [$S_TABLE_SIZE, \"u32\", 1000]]]]"
genl_expect "size too large (the policy's range)" "out of range" $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id, [$S_TABLE_SIZE, \"u32\", 4294967291]]]]"
genl_expect "hash out of range" "." $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id, [$S_HASH, \"u8\", 9]]]]"
genl_expect "AF of the wrong length" "." $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [[$S_AF, \"u8\", 2], [$S_TABLE_SIZE, \"u32\", 8191]]]]"
genl_expect "a read-only attribute" "." $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id, [$S_REBUILDS, \"u64\", 0]]]]"
genl_expect "an unknown attribute" "." $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id, [200, \"u32\", 1]]]]"
genl_expect "no service" "required" $CMD_SET_SERVICE "[]"
genl_expect "no parameter" "no parameter" $CMD_SET_SERVICE "[[$A_SERVICE, \"nest\", [$svc_id]]]"
genl_expect "unknown service" "no service" $CMD_SET_SERVICE \
	"[[$A_SERVICE, \"nest\", [[$S_AF, \"u16\", 2], [$S_PROTO, \"u16\", 6], [$S_ADDR, \"bin\", \"0a000165\"], [$S_PORT, \"be16\", 80], [$S_TABLE_SIZE, \"u32\", 8191]]]]"
genl_expect "address of the wrong length" "length" $CMD_SET_SERVICE \
	"[[$A_SERVICE, \"nest\", [[$S_AF, \"u16\", 2], [$S_PROTO, \"u16\", 6], [$S_ADDR, \"bin\", \"0a0001\"], [$S_PORT, \"be16\", 80], [$S_TABLE_SIZE, \"u32\", 8191]]]]"
check "after all bad input: size unchanged" test "$(mg_field "$DR" "$SVC" table_size_active)" = 4093
check "after all bad input: no rebuild" test "$(mg_field "$DR" "$SVC" rebuilds)" = "$rebuilds"

# ---- module parameter table_size ---------------------------------------------
check "module parameter refuses a non-prime size" not bash -c "echo 4095 >$PARAMS/table_size"
check "module parameter takes 8191" bash -c "echo 8191 >$PARAMS/table_size"
check "'table-size default' follows the module parameter" \
	"$IPVSCTL" -N "$DR" maglev set "$SVC" table-size default
check "live table now 8191" test "$(mg_field "$DR" "$SVC" table_size_active)" = 8191
echo 65521 >$PARAMS/table_size

# ---- hash input ---------------------------------------------------------------
check "hash src set" "$IPVSCTL" -N "$DR" maglev set "$SVC" hash src
check "hash_active src" test "$(mg_field "$DR" "$SVC" hash_active)" = src
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 60 >"$LIB_TMP/src"
check "source-address hashing: one client's 60 flows all on one backend" \
	test "$(grep -c '^backend' "$LIB_TMP/src")" -eq 1 -a "$(total_of "$LIB_TMP/src")" = 60
check "hash auto set" "$IPVSCTL" -N "$DR" maglev set "$SVC" hash auto
check "ipvsadm -b flag-1 selects source hashing" ipvs -E -t "$VIP:80" -s maglev -b flag-1
check "hash_active follows the flag: src" test "$(mg_field "$DR" "$SVC" hash_active)" = src
"$IPVSCTL" -N "$DR" maglev lookup "$SVC" 10.0.1.2:1000 10.0.1.2:2000 10.0.1.2:3000 10.0.1.2:4000 >"$LIB_TMP/lk"
check "flag-1: lookups from one address agree" test "$(awk '{ print $2 }' "$LIB_TMP/lk" | sort -u | wc -l)" -eq 1
check "ipvsadm without the flag" ipvs -E -t "$VIP:80" -s maglev
check "hash_active back to 5tuple" test "$(mg_field "$DR" "$SVC" hash_active)" = 5tuple

# ---- weights at full resolution ---------------------------------------------
setup_or_die "weights 1:1000:0" bash -c "
	ip netns exec $DR ipvsadm -e -t $VIP:80 -r ${BE_IP[1]}:8080 -m -w 1 &&
	ip netns exec $DR ipvsadm -e -t $VIP:80 -r ${BE_IP[2]}:8080 -m -w 1000 &&
	ip netns exec $DR ipvsadm -e -t $VIP:80 -r ${BE_IP[3]}:8080 -m -w 0"
check "table settles" wait_until 10 mg_settled "$DR" "$SVC"
m=$(mg_field "$DR" "$SVC" table_size_active)
s1=$(mg_be_field "$DR" "$SVC" "${BE_IP[1]}:8080" slots)
s2=$(mg_be_field "$DR" "$SVC" "${BE_IP[2]}:8080" slots)
s3=$(mg_be_field "$DR" "$SVC" "${BE_IP[3]}:8080" slots)
log "M=$m slots 1:1000:0 -> $s1 $s2 $s3 (ideal $(awk -v m="$m" 'BEGIN { printf "%.2f %.2f 0", m / 1001, m * 1000 / 1001 }'))"
within() { # within SLOTS IDEAL: +-2 slots or +-1%
	awk -v s="$1" -v i="$2" 'BEGIN { d = s - i; if (d < 0) d = -d; exit !(d <= 2 || d <= i / 100) }'
}
check "weight 1 of 1001 gets its share" within "$s1" "$(awk -v m="$m" 'BEGIN { print m / 1001 }')"
check "weight 1000 of 1001 gets its share" within "$s2" "$(awk -v m="$m" 'BEGIN { print m * 1000 / 1001 }')"
check "weight 0 gets no slot" test "$s3" = 0
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 100 >"$LIB_TMP/w"
check "weight 0 backend got no connection" test "$(count_of b3 "$LIB_TMP/w")" = 0

# ---- bursts are coalesced -------------------------------------------------------
# Builds are at most one per rebuild_holdoff_ms (plus the first, at once,
# and the last, after the burst): that is the property, whatever the
# machine's speed. The holdoff is set from a calibration made here, ten
# times what one ipvsadm run takes (at least 2 s), so that each burst
# spans few holdoffs on any machine, and the bound is computed from the
# burst's measured length.
setup_or_die "burst service" ipvs -A -t 10.0.1.200:80 -s maglev
setup_or_die "calibration backend" ipvs -a -t 10.0.1.200:80 -r 10.0.3.1:80 -m -w 1
now_ms() { echo $(($(date +%s%N) / 1000000)); }
t=$(now_ms)
for _ in 1 2 3 4 5; do
	ipvs -e -t 10.0.1.200:80 -r 10.0.3.1:80 -m -w 1
done
one=$((($(now_ms) - t) / 5))
hold=$((one * 10))
[ "$hold" -lt 2000 ] && hold=2000
[ "$hold" -gt 60000 ] && hold=60000
log "one ipvsadm run: $one ms; rebuild_holdoff_ms for the bursts: $hold"
echo "$hold" >$PARAMS/rebuild_holdoff_ms
settle_s=$((hold / 1000 + 10))
check "calibration: table settles" wait_until "$settle_s" mg_settled "$DR" tcp/10.0.1.200:80
r0=$(mg_field "$DR" tcp/10.0.1.200:80 rebuilds)
t=$(now_ms)
for i in $(seq 2 50); do
	echo "-a -t 10.0.1.200:80 -r 10.0.3.$i:80 -m -w $i"
done | in_ns "$DR" ipvsadm -R
d=$(($(now_ms) - t))
check "burst: table settles" wait_until "$settle_s" mg_settled "$DR" tcp/10.0.1.200:80
r1=$(mg_field "$DR" tcp/10.0.1.200:80 rebuilds)
log "49 backends added by one ipvsadm -R in $d ms: $((r1 - r0)) rebuilds (holdoff $hold ms)"
check "49 additions in one burst: at most one rebuild per holdoff, +2 ($((r1 - r0)) <= $((d / hold + 2)))" \
	test $((r1 - r0)) -le $((d / hold + 2))
check "all 50 own slots" test "$(mg_field "$DR" tcp/10.0.1.200:80 owners)" = 50
# 50 separate ipvsadm processes
t=$(now_ms)
for i in $(seq 1 50); do
	ipvs -e -t 10.0.1.200:80 -r "10.0.3.$i:80" -m -w $((i + 1))
done
d=$(($(now_ms) - t))
check "burst 2: table settles" wait_until "$settle_s" mg_settled "$DR" tcp/10.0.1.200:80
r2=$(mg_field "$DR" tcp/10.0.1.200:80 rebuilds)
log "50 reweights by 50 ipvsadm processes in $d ms, holdoff $hold ms: $((r2 - r1)) rebuilds"
check "at most one rebuild per holdoff, +2 ($((r2 - r1)) <= $((d / hold + 2)))" test $((r2 - r1)) -le $((d / hold + 2))
check "far fewer than 50" test $((r2 - r1)) -lt 25
echo 100 >$PARAMS/rebuild_holdoff_ms

# ---- namespaces ----------------------------------------------------------------
setup_or_die "second namespace" mkns DR2 dr2
setup_or_die "same VIP there" in_ns "$DR2" ipvsadm -A -t "$VIP:80" -s maglev
setup_or_die "one backend there" in_ns "$DR2" ipvsadm -a -t "$VIP:80" -r 10.9.9.9:80 -m
check "DR sees its 2 services" test "$("$IPVSCTL" -N "$DR" -j maglev info | grep -o '"services":[0-9]*')" = '"services":2'
check "DR2 sees its 1 service" test "$("$IPVSCTL" -N "$DR2" -j maglev info | grep -o '"services":[0-9]*')" = '"services":1'
check "DR2's service has its own backend" test "$(mg_field "$DR2" "$SVC" backends_known)" = 1
check "DR's service is unchanged by DR2's" test "$(mg_field "$DR" "$SVC" backends_known)" = 3
"$IPVSCTL" -N "$DR2" maglev show tcp/10.0.1.200:80 2>/dev/null
check "DR's burst service is invisible in DR2 (exit 4)" test $? -eq 4

# ---- privilege ------------------------------------------------------------------
nobody() {
	in_ns "$DR" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}
nobody "$IPVSCTL" maglev info 2>"$LIB_TMP/perm"
rc=$?
cat "$LIB_TMP/perm"
check "without CAP_NET_ADMIN: ipvsctl maglev info is not permitted (exit 3)" test $rc -eq 3
nobody "$IPVSCTL" maglev set "$SVC" table-size 251 2>/dev/null
check "without CAP_NET_ADMIN: set is not permitted (exit 3)" test $? -eq 3
out=$(nobody $GENL IPVS_MAGLEV $CMD_GET_INFO)
check "without CAP_NET_ADMIN: raw netlink gets EPERM ($out)" bash -c "echo '$out' | grep -q '^error 1 '"
check "and nothing changed" test "$(mg_field "$DR" "$SVC" table_size_active)" = 65521

exit "$(lib_result)"
