#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hostile input, privilege and namespaces for the IPVS_MAGLEV family.
#
#   director namespace D: tcp/10.0.0.1:80 (maglev, 200 backends, slow
#   start and pinning parameters set) and 300 more maglev services, so
#   that dumps come in several parts
#
# 1. mgfuzz sends FUZZ_N (default 100,000) malformed or random messages
#    (tools/mgfuzz.py: garbage, wrong types and lengths, missing
#    attributes, unknown services, out-of-range values, lying lengths) and
#    abandons 200 dumps midway. Every request must be answered, every
#    refusal of a well-formed but wrong request must carry an extack
#    message, and the configuration (ipvsadm -Sn, the maglev parameters
#    and table digest) and the module's reference count must be unchanged.
# 2. Privilege: uid 65534 without capabilities gets every request refused
#    (a fuzz run, and one well-formed set); so does root of a user
#    namespace over the initial network namespace. Root of a user
#    namespace that owns a network namespace may change maglev services
#    there, and only there; IPVS itself stays out of its reach.
# 3. Namespaces: two namespaces with the same VIP keep separate state;
#    deleting one with live services gives back its module references.

source "$(dirname "$0")/lib.sh"
lib_init

FUZZ_N=${1:-${FUZZ_N:-100000}}
FUZZ=$LIB_DIR/tools/mgfuzz.py
SVC=tcp/10.0.0.1:80

setup_or_die "director namespace" mkns D hostile
setup_or_die "dummy for the VIPs" in_ns "$D" ip link add dum0 type dummy
{
	echo "service add $SVC scheduler maglev"
	echo "maglev set $SVC slow-start-aggression 2 slow-start-min-pct 20 pin on pin-max 5000"
	for i in $(seq 1 200); do
		echo "backend add $SVC 10.1.$((i / 250)).$((i % 250 + 1)):8080 method nat weight $((i % 7 + 1))"
	done
	for s in $(seq 1 300); do
		echo "service add tcp/10.2.$((s / 250)).$((s % 250 + 1)):80 scheduler maglev"
		echo "backend add tcp/10.2.$((s / 250)).$((s % 250 + 1)):80 10.3.0.1:80 method nat"
	done
} >"$LIB_TMP/state.conf"
setup_or_die "services applied" in_ns "$D" "$IPVSCTL" -q apply -f "$LIB_TMP/state.conf"
setup_or_die "the table settled" wait_until 10 mg_settled "$D" "$SVC"

# what must not change: IPVS, the maglev parameters and table, the refs
snapshot() {
	in_ns "$D" ipvsadm -Sn | sort | md5sum
	mg_json "$D" "$SVC" | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
ss, pin = s["slow_start"], s["pinning"]
print(s["table_size"], s["hash"], s["digest"], s["backends_known"], ss["window_ms"],
      ss["aggression"], ss["min_pct"], pin["mode"], pin["max"])'
	cat /sys/module/ip_vs_maglev/refcnt
}
before=$(snapshot)
setup_or_die "snapshot of the state ($(echo "$before" | sed -n 2p))" test -n "$(echo "$before" | sed -n 2p)"

# ---- 1. hostile input ----------------------------------------------------
# two fuzzers at once (one per vCPU: Python's own work is the slow part
# under emulation), with different seeds; 100 dumps abandoned by each
t0=$(date +%s)
in_ns "$D" python3 "$FUZZ" -n $((FUZZ_N / 2)) -s "$$" --svc tcp:10.0.0.1:80 --dumps 100 >"$LIB_TMP/fuzz1" 2>&1 &
f1=$!
in_ns "$D" python3 "$FUZZ" -n $((FUZZ_N - FUZZ_N / 2)) -s $(($$ + 1)) --svc tcp:10.0.0.1:80 --dumps 100 \
	>"$LIB_TMP/fuzz2" 2>&1 &
f2=$!
wait $f1
rc1=$?
wait $f2
rc2=$?
secs=$(($(date +%s) - t0))
sed 's/^/  fuzz 1: /' "$LIB_TMP/fuzz1"
sed 's/^/  fuzz 2: /' "$LIB_TMP/fuzz2"
sent=$(cat "$LIB_TMP/fuzz1" "$LIB_TMP/fuzz2" | awk '$1 == "total" { n += $2 } END { print n + 0 }')
dumps=$(cat "$LIB_TMP/fuzz1" "$LIB_TMP/fuzz2" | awk '$1 == "dumps" { n += $3 } END { print n + 0 }')
check "fuzz: $sent messages in ${secs}s ($((sent / (secs > 0 ? secs : 1)))/s), each answered, every well-formed refusal with an extack message" \
	test $rc1 -eq 0 -a $rc2 -eq 0
check "fuzz: $FUZZ_N messages sent" test "$sent" = "$FUZZ_N"
check "fuzz: $dumps dumps abandoned midway" test "$dumps" = 200
after=$(snapshot)
check "fuzz: IPVS, the maglev parameters, the table and the module's references unchanged" \
	test "$before" = "$after"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/  /'
check "fuzz: the family still answers" in_ns "$D" "$IPVSCTL" maglev show "$SVC" >/dev/null

# ---- 2. privilege --------------------------------------------------------
nobody() {
	in_ns "$D" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$@"
}
nobody python3 "$FUZZ" -n 2000 -s 7 --svc tcp:10.0.0.1:80 --unprivileged >"$LIB_TMP/fuzz-nobody" 2>&1
rc=$?
check "uid 65534: none of 2000 fuzz requests accepted ($(grep '^errnos' "$LIB_TMP/fuzz-nobody"))" test $rc -eq 0
nobody python3 "$FUZZ" --svc tcp:10.0.0.1:80 --set-table-size 251 >"$LIB_TMP/set-nobody" 2>&1
check "uid 65534: a well-formed table-size set is refused ($(cat "$LIB_TMP/set-nobody"))" \
	grep -q '^errno 1\b' "$LIB_TMP/set-nobody"
nobody "$IPVSCTL" maglev set "$SVC" table-size 251 >/dev/null 2>&1
rc=$?
check "uid 65534: ipvsctl maglev set exits 3 (not permitted; exit $rc)" test $rc -eq 3
check "uid 65534: nothing changed" test "$before" = "$(snapshot)"

# root of a user namespace, in the initial user namespace's netns
in_ns "$D" unshare -Ur python3 "$FUZZ" --svc tcp:10.0.0.1:80 --set-table-size 251 >"$LIB_TMP/set-userns" 2>&1
check "user namespace root over a netns it does not own: refused ($(cat "$LIB_TMP/set-userns"))" \
	grep -q '^errno 1\b' "$LIB_TMP/set-userns"
check "user namespace root: nothing changed" test "$before" = "$(snapshot)"

# a user namespace that owns a network namespace
unshare -Urn sleep 300 &
upid=$!
LIB_PIDS+=("$upid")
userns_ready() { [ "$(readlink /proc/$upid/ns/net)" != "$(readlink /proc/self/ns/net)" ]; }
setup_or_die "a user namespace owning a network namespace" wait_until 5 userns_ready
setup_or_die "an interface in it for the backend's subnet" nsenter -t "$upid" -n \
	sh -c 'ip link set lo up && ip link add d0 type dummy && ip addr add 10.9.9.1/24 dev d0 && ip link set d0 up'
setup_or_die "root (initial namespace) creates a maglev service in it" \
	nsenter -t "$upid" -n ipvsadm -A -t 10.9.9.9:80 -s maglev
setup_or_die "and a backend" nsenter -t "$upid" -n ipvsadm -a -t 10.9.9.9:80 -r 10.9.9.10:80 -m
nsenter -t "$upid" -U -n python3 "$FUZZ" --svc tcp:10.9.9.9:80 --set-table-size 251 >"$LIB_TMP/set-own" 2>&1
check "its user namespace root may set table-size there ($(cat "$LIB_TMP/set-own"))" \
	grep -q '^errno 0$' "$LIB_TMP/set-own"
own_size() { nsenter -t "$upid" -n "$IPVSCTL" -j maglev show tcp/10.9.9.9:80 | grep -q '"table_size":251'; }
check "the service in that namespace has table size 251" own_size
nsenter -t "$upid" -U -n ipvsadm -A -t 10.9.9.8:80 -s rr >/dev/null 2>&1
rc=$?
check "its user namespace root cannot create IPVS services (IPVS needs the initial namespace's CAP_NET_ADMIN; exit $rc)" \
	test $rc -ne 0
setup_or_die "its services deleted" nsenter -t "$upid" -n ipvsadm -C
unchanged() { [ "$before" = "$(snapshot)" ]; }
check "the director's namespace did not change, and the module's references are back" \
	wait_until 10 unchanged

# ---- 3. namespaces ---------------------------------------------------------
setup_or_die "namespace A" mkns NA same-a
setup_or_die "namespace B" mkns NB same-b
for ns in "$NA" "$NB"; do
	setup_or_die "VIP service in $ns" in_ns "$ns" ipvsadm -A -t 10.0.0.1:80 -s maglev
done
setup_or_die "backends in A" in_ns "$NA" ipvsadm -a -t 10.0.0.1:80 -r 10.5.0.1:80 -m
setup_or_die "backends in B" in_ns "$NB" ipvsadm -a -t 10.0.0.1:80 -r 10.6.0.1:80 -m
setup_or_die "table size in A" "$IPVSCTL" -N "$NA" maglev set "$SVC" table-size 251
check "same VIP in two namespaces: A's table size is 251" \
	test "$(mg_field "$NA" "$SVC" table_size)" = 251
check "same VIP in two namespaces: B's is still the default ($(mg_field "$NB" "$SVC" table_size))" \
	test "$(mg_field "$NB" "$SVC" table_size)" != 251
check "same VIP in two namespaces: each sees its own backend" \
	test "$(mg_json "$NA" "$SVC" | grep -o '10\.[56]\.0\.1' | sort -u)" = 10.5.0.1
refs_with=$(cat /sys/module/ip_vs_maglev/refcnt)
ip netns del "$NA"
refs_back() { [ "$(cat /sys/module/ip_vs_maglev/refcnt)" -eq $((refs_with - 1)) ]; }
wait_until 20 refs_back
check "deleting a namespace with a live maglev service gives its module reference back ($refs_with -> $(cat /sys/module/ip_vs_maglev/refcnt))" \
	refs_back
check "the other namespace's service is intact" test "$(mg_json "$NB" "$SVC" | grep -o '10\.6\.0\.1' | head -n 1)" = 10.6.0.1

exit "$(lib_result)"
