#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mh=1 mode: ip_vs_maglev also serves the IPVS scheduler name "mh", so
# that tools accepting only IPVS's own names get the Maglev table.
#  - off by default; with mh=1, "ipvsadm -s mh" services are maglev
#    services (reported with "scheduler": "mh"), with mh's flag meanings:
#    no flag hashes the source address, mh-port adds the source port,
#    mh-fallback is accepted;
#  - two namespaces given the same backends in different orders build
#    byte-identical tables through the "mh" name (stock mh's tables depend
#    on the order);
#  - a kube-proxy-style sequence (ipvsadm calls, a terminating endpoint
#    set to weight 0, no flag): the weight-0 backend owns no slot and no
#    new flow is given to it;
#  - keepalived with lvs_sched mh, mh-port and inhibit_on_failure: the
#    service gets the maglev table; a failed backend's weight goes to 0
#    (no new connection fails or reaches it); back, it ramps;
#  - the name cannot be served twice: stock ip_vs_mh cannot load while
#    the mode is on, and ip_vs_maglev mh=1 refuses to load (registering
#    nothing) while ip_vs_mh is loaded.
# No traffic: tables are read with ipvsctl maglev show/lookup.

source "$(dirname "$0")/lib.sh"
lib_init

param() { cat /sys/module/ip_vs_maglev/parameters/mh 2>/dev/null; }
unload() { rmmod ip_vs_maglev 2>/dev/null; ! module_loaded; }
# every namespace of an earlier test is gone (their services hold the module)
setup_or_die "ip_vs_maglev loaded" modprobe ip_vs_maglev
check "mh is off by default (parameters/mh: $(param))" test "$(param)" = N
setup_or_die "ip_vs_maglev unloaded (no service left by earlier tests)" wait_until 60 unload
setup_or_die "modprobe ip_vs_maglev mh=1" modprobe ip_vs_maglev mh=1
check "mh=1: parameters/mh says Y" test "$(param)" = Y
check "  and the kernel log says both names are served" \
	eval 'dmesg | grep -q "ip_vs_maglev: serving the scheduler names \"maglev\" and \"mh\""'

SVC=tcp/$VIP:80
IPS=(10.0.2.11 10.0.2.12 10.0.2.13 10.0.2.14 10.0.2.15)
W=(5 1 3 2 4)
setup_or_die "namespace A" mkns NSA mha
setup_or_die "namespace B" mkns NSB mhb
# A: backends in order, B: reversed, with a detour through other weights
setup_or_die "A: ipvsadm -A -s mh -b mh-port" in_ns "$NSA" ipvsadm -A -t "$VIP:80" -s mh -b mh-port
for i in 0 1 2 3 4; do
	setup_or_die "A: backend $i" in_ns "$NSA" ipvsadm -a -t "$VIP:80" -r "${IPS[i]}:80" -m -w "${W[i]}"
done
setup_or_die "B: ipvsadm -A -s mh -b mh-port" in_ns "$NSB" ipvsadm -A -t "$VIP:80" -s mh -b mh-port
for i in 4 3 2 1 0; do
	setup_or_die "B: backend $i" in_ns "$NSB" ipvsadm -a -t "$VIP:80" -r "${IPS[i]}:80" -m -w 9
done
for i in 2 0 4 1 3; do
	setup_or_die "B: weight $i" in_ns "$NSB" ipvsadm -e -t "$VIP:80" -r "${IPS[i]}:80" -m -w "${W[i]}"
done
check "A: table settles" wait_until 10 mg_settled "$NSA" "$SVC"
check "B: table settles" wait_until 10 mg_settled "$NSB" "$SVC"
check "an mh service is reported with \"scheduler\": \"mh\"" \
	test "$(mg_field "$NSA" "$SVC" scheduler)" = mh
check "mh-port: the hash is the source address and port" \
	test "$(mg_field "$NSA" "$SVC" hash_active)" = srcport
da=$(mg_field "$NSA" "$SVC" digest)
db=$(mg_field "$NSB" "$SVC" digest)
log "digests: A $da, B $db"
check "configured in different orders: byte-identical tables (equal digests)" \
	test -n "$da" -a "$da" = "$db"
# the source port decides: some port of one client reaches each backend
ports() { local p; for p in $(seq 1024 1423); do echo "10.0.1.2:$p"; done; }
# shellcheck disable=SC2046 # one word per client
n=$("$IPVSCTL" -N "$NSA" maglev lookup "$SVC" $(ports) | awk '{ print $2 }' | sort -u | wc -l)
check "mh-port: one client's 400 source ports reach all 5 backends ($n)" test "$n" -eq 5

# no flag: source-address hashing, as mh does (every port of a client to one backend)
setup_or_die "A: mh-fallback only" in_ns "$NSA" ipvsadm -E -t "$VIP:80" -s mh -b mh-fallback
check "A: mh-fallback alone is accepted; the hash is the source address" \
	wait_until 10 eval '[ "$(mg_field "$NSA" "$SVC" hash_active)" = src ]'
# shellcheck disable=SC2046 # one word per client
n=$("$IPVSCTL" -N "$NSA" maglev lookup "$SVC" $(ports) | awk '{ print $2 }' | sort -u | wc -l)
check "  one client's 400 source ports all reach one backend ($n)" test "$n" -eq 1

# kube-proxy's sequence: a service with mh and no flag, endpoints of
# weight 1, a terminating one set to weight 0
setup_or_die "C: namespace" mkns NSC mhc
setup_or_die "C: ipvsadm -A -s mh" in_ns "$NSC" ipvsadm -A -t "$VIP:80" -s mh
for i in 0 1 2; do
	setup_or_die "C: endpoint $i" in_ns "$NSC" ipvsadm -a -t "$VIP:80" -r "${IPS[i]}:80" -m -w 1
done
setup_or_die "C: endpoint 1 terminating: weight 0" \
	in_ns "$NSC" ipvsadm -e -t "$VIP:80" -r "${IPS[1]}:80" -m -w 0
check "C: table settles" wait_until 10 mg_settled "$NSC" "$SVC"
check "C: the weight-0 endpoint owns no slot" \
	test "$(mg_be_field "$NSC" "$SVC" "${IPS[1]}:80" slots)" = 0
clients() { local a; for a in $(seq 1 250); do echo "10.7.$((a / 200)).$((a % 200 + 1)):40000"; done; }
# shellcheck disable=SC2046 # one word per client
n=$("$IPVSCTL" -N "$NSC" maglev lookup "$SVC" $(clients) | awk -v b="${IPS[1]}:80" '$2 == b' | wc -l)
check "C: of 250 new clients, none is given the weight-0 endpoint ($n)" test "$n" -eq 0
"$IPVSCTL" -N "$NSC" metrics >"$LIB_TMP/metrics"
check "C: the metrics name the scheduler mh, and give the service maglev's table metrics" \
	eval 'grep -q "^ipvsctl_service_info{.*scheduler=\"mh\".*} 1$" "$LIB_TMP/metrics" &&
	      grep -q "^ipvsctl_maglev_table_slots{" "$LIB_TMP/metrics"'

# keepalived, as it is (2.2.7 refuses "lvs_sched maglev"): lvs_sched mh,
# mh-port, inhibit_on_failure. A failing backend goes to weight 0 (no slot,
# no new flow); back, it ramps under slow start.
setup_or_die "world K" topo_std 3 K
setup_or_die "K: VIP" vip_local
for i in 1 2 3; do
	setup_or_die "K: server b$i" serve "${BE[i]}" "b$i" 8080
	PID_B[i]=$LAST_PID
done
KCONF=$LIB_TMP/keepalived.conf
{
	echo "global_defs { router_id ipvsm_mh }"
	echo "virtual_server $VIP 80 {"
	echo "  delay_loop 1"
	echo "  lvs_sched mh"
	echo "  mh-port"
	echo "  lvs_method NAT"
	echo "  protocol TCP"
	for i in 1 2 3; do
		echo "  real_server ${BE_IP[i]} 8080 {"
		echo "    weight 10"
		echo "    inhibit_on_failure"
		echo "    TCP_CHECK { connect_timeout 1 }"
		echo "  }"
	done
	echo "}"
} >"$KCONF"
bg_in_ns "$DR" keepalived -n -l -C -f "$KCONF" -p "$LIB_TMP/k.pid" -c "$LIB_TMP/kc.pid" \
	-r "$LIB_TMP/kv.pid" >"$LIB_TMP/keepalived.log" 2>&1
KA=$LAST_PID
kweight() { ipvs -Ln -t "$VIP:80" | awk -v r="${BE_IP[$1]}:8080" '$2 == r { print $4 }'; }
all_up() { [ "$(kweight 1)" = 10 ] && [ "$(kweight 2)" = 10 ] && [ "$(kweight 3)" = 10 ]; }
setup_or_die "keepalived created the service, its 3 backends up" wait_until 60 all_up
check "keepalived's mh service is a maglev service (\"scheduler\": \"mh\", hash srcport)" \
	eval '[ "$(mg_field "$DR" "$SVC" scheduler)" = mh ] && [ "$(mg_field "$DR" "$SVC" hash_active)" = srcport ]'
check "  with a table (digest $(mg_field "$DR" "$SVC" digest))" \
	eval '[ "$(mg_field "$DR" "$SVC" digest)" != None ]'
# slow start for the recovery, and traffic so that the table serves
setup_or_die "slow start 5m" "$IPVSCTL" -N "$DR" maglev set "$SVC" slow-start 5m
setup_or_die "traffic" in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 20
setup_or_die "the table serves" wait_until 30 mg_serving "$DR" "$SVC"
kill "${PID_B[2]}"
check "b2's server stopped: keepalived sets its weight to 0 (inhibit_on_failure)" \
	wait_until 60 eval '[ "$(kweight 2)" = 0 ]'
check "  b2 owns no slot" wait_until 10 eval '[ "$(mg_be_field "$DR" "$SVC" "${BE_IP[2]}:8080" slots)" = 0 ]'
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 200 >"$LIB_TMP/k-down"
check "  200 new connections: none fails ($(errors_of "$LIB_TMP/k-down") errors), none reaches b2 ($(count_of b2 "$LIB_TMP/k-down"))" \
	eval '[ "$(errors_of "$LIB_TMP/k-down")" = 0 ] && [ "$(count_of b2 "$LIB_TMP/k-down")" = 0 ] && [ "$(total_of "$LIB_TMP/k-down")" = 200 ]'
setup_or_die "b2's server back" serve "${BE[2]}" b2 8080
check "b2 back: keepalived restores its weight" wait_until 60 eval '[ "$(kweight 2)" = 10 ]'
check "  and it ramps under slow start (ramp_left_ms $(mg_be_field "$DR" "$SVC" "${BE_IP[2]}:8080" ramp_left_ms))" \
	wait_until 10 eval '[ "$(mg_be_field "$DR" "$SVC" "${BE_IP[2]}:8080" ramp_left_ms)" != None ]'
kill "$KA"
wait "$KA" 2>/dev/null
log "keepalived: $(grep -c . "$LIB_TMP/keepalived.log") log lines; $(grep -i -m 3 'invalid\|error' "$LIB_TMP/keepalived.log")"
ipvs -C

# one owner of the name
if [ -e "/lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/ip_vs_mh.ko" ] ||
   modinfo ip_vs_mh >/dev/null 2>&1; then
	modprobe ip_vs_mh 2>"$LIB_TMP/mh.err"
	rc=$?
	check "stock ip_vs_mh cannot load while ip_vs_maglev serves mh (exit $rc)" \
		eval '[ $rc -ne 0 ] && [ ! -d /sys/module/ip_vs_mh ]'
	for ns in "$NSA" "$NSB" "$NSC"; do in_ns "$ns" ipvsadm -C; done
	setup_or_die "ip_vs_maglev unloaded" wait_until 30 unload
	setup_or_die "stock ip_vs_mh loaded" modprobe ip_vs_mh
	modprobe ip_vs_maglev mh=1 2>"$LIB_TMP/mg.err"
	rc=$?
	check "ip_vs_maglev mh=1 refuses to load while ip_vs_mh is (exit $rc), nothing registered" \
		eval '[ $rc -ne 0 ] && ! module_loaded'
	check "  and the kernel log says why" eval 'dmesg | grep -q "is ip_vs_mh loaded? unload it first"'
	rmmod ip_vs_mh
else
	fail "the kernel has no ip_vs_mh module to test the refusals with"
fi
for ns in "$NSA" "$NSB" "$NSC"; do in_ns "$ns" ipvsadm -C 2>/dev/null; done
# the next tests get the module as they expect it: without the mode
wait_until 30 unload
setup_or_die "ip_vs_maglev loaded again without mh" modprobe ip_vs_maglev
exit "$(lib_result)"
