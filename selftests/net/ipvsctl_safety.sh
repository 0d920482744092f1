#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl apply and sysctl: what an empty, partial or mistaken input may
# do to a director is nothing (review-ipvsctl.md C1 to C6):
#  - --vip-dev: an apply naming only some services keeps the other
#    services' addresses; only an apply whose scope holds an address
#    removes it; an interface that is not a dummy is refused before
#    anything changes, and keeps its addresses;
#  - an empty input, or a blank --stream document, changes nothing even
#    with --scope; "services": [] (explicit) deletes what is in scope;
#  - --max-deletes refuses a plan deleting more than it allows;
#  - a JSON "scope" wider than --scope is refused;
#  - sysctl loads ip_vs itself, so a fresh node's IPVS settings are read
#    and set;
#  - apply --stream carries on across an unload and reload of
#    ip_vs_maglev (its generic netlink id changes);
#  - reading the named services does not depend on net.core.rmem_default;
#  - restore --flush changes only what differs from the file.
# No traffic: every check reads IPVS's, the links' or the modules' state.

source "$(dirname "$0")/lib.sh"
lib_init

setup_or_die "a namespace" mkns NS safety
ipvsctl() { in_ns "$NS" "$IPVSCTL" "$@"; }
# the namespace's IPVS services, one line each, sorted
services() { in_ns "$NS" ipvsadm -Sn | sort; }
vips() { # the addresses of interface $1, sorted, link-local left out
	in_ns "$NS" ip -br addr show dev "$1" | awk '{ $1 = ""; $2 = ""; print }' | tr ' ' '\n' |
		grep -v '^fe80\|^$' | sort | tr '\n' ' '
}
svc_json() { # svc_json ADDR...: a JSON state with tcp/ADDR:80, one backend each
	local first=1 a
	printf '{ "services": ['
	for a in "$@"; do
		[ $first = 1 ] || printf ','
		first=0
		printf ' { "service": "tcp/%s:80", "scheduler": "rr", "backends": [ { "address": "10.0.2.11:80", "method": "nat" } ] }' "$a"
	done
	printf ' ] }\n'
}

# ---- C5: sysctl loads ip_vs itself ----------------------------------------------
# Only if every IPVS module can be unloaded (no service left in any
# namespace by an earlier test); namespaces deleted just before are torn
# down asynchronously, so this is polled.
unload_ipvs() {
	local m
	for m in $(awk '$1 ~ /^ip_vs_/ { print $1 }' /proc/modules); do
		rmmod "$m" 2>/dev/null
	done
	rmmod ip_vs 2>/dev/null
	[ ! -d /sys/module/ip_vs ]
}
if [ -d /sys/module/ip_vs ] && [ ! -e /sys/module/ip_vs/initstate ]; then
	log "ip_vs is built in: the sysctl autoload checks do not apply"
elif wait_until 30 unload_ipvs; then
	setup_or_die "a fresh namespace" mkns FRESH sysfresh
	in_ns "$FRESH" "$IPVSCTL" sysctl check >"$LIB_TMP/sc.out" 2>&1
	rc=$?
	log "$(cat "$LIB_TMP/sc.out")"
	check "sysctl check with ip_vs unloaded: it loads ip_vs and reads its settings (conntrack is 0: exit 9)" \
		test "$rc" = 9 -a -d /sys/module/ip_vs -a \
		-n "$(grep -E '^net\.ipv4\.vs\.conntrack +0 ' "$LIB_TMP/sc.out")"
	unload_ipvs
	check "sysctl set with ip_vs unloaded: exit 0, the IPVS settings set" \
		in_ns "$FRESH" "$IPVSCTL" -q sysctl set
	check "net.ipv4.vs.conntrack and expire_nodest_conn are 1" \
		test "$(in_ns "$FRESH" sysctl -n net.ipv4.vs.conntrack net.ipv4.vs.expire_nodest_conn | tr '\n' ' ')" = "1 1 "
else
	log "IPVS modules still in use after 30 s ($(awk '$1 ~ /^ip_vs/ { print $1 "/" $3 }' /proc/modules | tr '\n' ' ')): the sysctl autoload checks are left out"
fi

# ---- C1: --vip-dev keeps the addresses of services an apply does not name ---------
svc_json 10.96.0.1 10.96.0.2 >"$LIB_TMP/ab.json"
svc_json 10.96.0.1 >"$LIB_TMP/a.json"
OUT=$(ipvsctl apply --vip-dev kube-ipvs0 -f "$LIB_TMP/ab.json" 2>&1)
rc=$?
log "apply A B: $OUT"
check "apply A and B --vip-dev kube-ipvs0: both addresses" \
	test "$rc" = 0 -a "$(vips kube-ipvs0)" = "10.96.0.1/32 10.96.0.2/32 "
OUT=$(ipvsctl apply --vip-dev kube-ipvs0 -f "$LIB_TMP/a.json" 2>&1)
rc=$?
log "apply A: $OUT"
check "then only A, no scope: B's service and address stay" \
	test "$rc" = 0 -a "$(vips kube-ipvs0)" = "10.96.0.1/32 10.96.0.2/32 " -a \
	-n "$(services | grep -F 10.96.0.2:80)"
setup_or_die "a stray address in 10.97/16" in_ns "$NS" ip addr add 10.97.0.9/32 dev kube-ipvs0
BEFORE=$(services)
OUT=$(ipvsctl apply --vip-dev kube-ipvs0 --scope 10.96.0.0/12 --max-deletes 0 -f "$LIB_TMP/a.json" 2>&1)
rc=$?
log "apply A --scope --max-deletes 0: $OUT"
check "only A with --scope and --max-deletes 0: refused (exit 2), nothing changed" \
	test "$rc" = 2 -a -n "$(grep -F 'deletes 1 of the 2 managed services' <<<"$OUT")" -a \
	"$(services)" = "$BEFORE" -a "$(vips kube-ipvs0)" = "10.96.0.1/32 10.96.0.2/32 10.97.0.9/32 "
OUT=$(ipvsctl apply --vip-dev kube-ipvs0 --scope 10.96.0.0/16 --max-deletes 50% -f "$LIB_TMP/a.json" 2>&1)
rc=$?
log "apply A --scope 10.96.0.0/16: $OUT"
check "with --scope 10.96.0.0/16 (--max-deletes 50%): B and its address go, 10.97.0.9 (outside) stays" \
	test "$rc" = 0 -a "$(vips kube-ipvs0)" = "10.96.0.1/32 10.97.0.9/32 " -a \
	-z "$(services | grep -F 10.96.0.2:80)"

# ---- C2: an interface that is not a dummy is refused ---------------------------------
setup_or_die "a veth with addresses" in_ns "$NS" ip link add eth9 type veth peer name eth9p
setup_or_die "its addresses" in_ns "$NS" ip addr add 192.0.2.9/24 dev eth9
setup_or_die "and a VIP-like one" in_ns "$NS" ip addr add 10.96.0.7/32 dev eth9
BEFORE=$(services)
svc_json 10.96.0.1 10.96.0.3 >"$LIB_TMP/ac.json"
OUT=$(ipvsctl apply --vip-dev eth9 --scope all -f "$LIB_TMP/ac.json" 2>&1)
rc=$?
log "apply --vip-dev eth9: $OUT"
check "--vip-dev eth9 (a veth): refused (exit 2) before any change" \
	test "$rc" = 2 -a -n "$(grep -F 'not a dummy interface' <<<"$OUT")" -a \
	-n "$(grep -F 'nothing was changed' <<<"$OUT")" -a "$(services)" = "$BEFORE"
check "and eth9 keeps its addresses" test "$(vips eth9)" = "10.96.0.7/32 192.0.2.9/24 "

# ---- C3: an empty input changes nothing ------------------------------------------------
setup_or_die "an unrelated service" ipvsctl service add tcp/192.0.2.1:8080 scheduler rr
BEFORE=$(services)
OUT=$(ipvsctl apply --scope all </dev/null 2>&1)
rc=$?
log "empty input: $OUT"
check "an empty input with --scope all: refused (exit 2), every service stays" \
	test "$rc" = 2 -a -n "$(grep -F 'names no service' <<<"$OUT")" -a "$(services)" = "$BEFORE"
OUT=$(printf -- '---\n\n---\n---\n' | ipvsctl apply --stream --scope all 2>&1)
rc=$?
log "blank stream: $OUT"
check "--stream of blank documents with --scope all: exit 0, no answer, every service stays" \
	test "$rc" = 0 -a -z "$OUT" -a "$(services)" = "$BEFORE"
OUT=$(echo '{ "services": [] }' | ipvsctl apply --scope 10.96.0.0/12 2>&1)
rc=$?
log "explicit empty state: $OUT"
check "JSON \"services\": [] with --scope 10.96.0.0/12: A goes, the unrelated service stays" \
	test "$rc" = 0 -a -z "$(services | grep -F 10.96.0.1:80)" -a \
	-n "$(services | grep -F 192.0.2.1:8080)"

# ---- C4: a document's scope stays inside --scope --------------------------------------
BEFORE=$(services)
OUT=$(printf '{ "scope": ["all"], "services": [ { "service": "tcp/10.96.0.5:80" } ] }\n' |
	ipvsctl apply --scope 10.96.0.0/12 2>&1)
rc=$?
log "widening scope: $OUT"
check "a document with scope all under --scope 10.96.0.0/12: refused, the unrelated service stays" \
	test "$rc" = 2 -a -n "$(grep -F 'wider' <<<"$OUT")" -a "$(services)" = "$BEFORE"

# ---- C9: named reads do not depend on net.core.rmem_default -----------------------------
# An apply without a scope reads the services it names with pipelined gets
# (a page-sized answer each, 32 to a write); with a small default receive
# buffer they were dropped (ENOBUFS) and the apply failed.
for i in $(seq 1 64); do
	echo "service add tcp/10.99.0.$i:80 scheduler rr"
	echo "backend add tcp/10.99.0.$i:80 10.0.2.11:80 method nat"
done >"$LIB_TMP/many.conf"
OUT=$(ipvsctl apply -f "$LIB_TMP/many.conf" 2>&1)
rc=$?
check "64 services applied" test "$rc" = 0 -a "$(services | grep -c '^-A .* 10\.99\.0\.')" = 64
RMEM=$(sysctl -n net.core.rmem_default)
setup_or_die "a small default receive buffer" sysctl -qw net.core.rmem_default=16384
OUT=$(ipvsctl apply -f "$LIB_TMP/many.conf" 2>&1)
rc=$?
sysctl -qw net.core.rmem_default="$RMEM"
log "apply with rmem_default 16384: $OUT"
check "with net.core.rmem_default at 16 KiB, the same 64 services read back: 0 changes" \
	test "$rc" = 0 -a -n "$(grep -F '0 changes applied' <<<"$OUT")"
in_ns "$NS" ipvsadm -C

# ---- C11: restore --flush changes only what differs -----------------------------------
setup_or_die "a state to save" ipvsctl service add tcp/10.96.1.1:80 scheduler maglev
setup_or_die "its backends" ipvsctl backend add tcp/10.96.1.1:80 10.0.2.11:80 method nat weight 5
setup_or_die "and another" ipvsctl backend add tcp/10.96.1.1:80 10.0.2.12:80 method nat weight 5
setup_or_die "saved" eval 'ipvsctl save >"$LIB_TMP/state"'
OUT=$(ipvsctl restore --flush "$LIB_TMP/state" 2>&1)
rc=$?
log "restore --flush of the saved state: $OUT"
check "restore --flush of the state as it is: 0 changes (no flush, no re-add)" \
	test "$rc" = 0 -a -n "$(grep -F '0 changes applied' <<<"$OUT")"
sed '/10\.0\.2\.12:80/s/weight 5/weight 7/' "$LIB_TMP/state" >"$LIB_TMP/state2"
setup_or_die "one more service, not in the file" ipvsctl service add tcp/10.96.1.2:80 scheduler rr
OUT=$(ipvsctl restore --flush "$LIB_TMP/state2" 2>&1)
rc=$?
log "restore --flush, one weight changed: $OUT"
check "restore --flush with one weight changed and one service not in the file: 2 changes" \
	test "$rc" = 0 -a -n "$(grep -F '2 changes applied' <<<"$OUT")" -a \
	-z "$(services | grep -F 10.96.1.2:80)" -a -n "$(services | grep -F '10.0.2.12:80 -m -w 7')"
OUT=$(ipvsctl restore --flush </dev/null 2>&1)
rc=$?
check "restore --flush of an empty input: refused, nothing deleted" \
	test "$rc" = 2 -a -n "$(services | grep -F 10.96.1.1:80)"
in_ns "$NS" ipvsadm -C

# ---- C6: --stream across a reload of ip_vs_maglev ---------------------------------------
mgdoc() { # mgdoc ADDR: a maglev service, ended by ---
	echo "service add tcp/$1:80 scheduler maglev"
	echo "backend add tcp/$1:80 10.0.2.11:80 method nat"
	echo "---"
}
setup_or_die "the stream's FIFOs" mkfifo "$LIB_TMP/s.in" "$LIB_TMP/s.out"
trap '' PIPE
in_ns "$NS" timeout 300 "$IPVSCTL" apply --stream --scope 10.98.0.0/16 <"$LIB_TMP/s.in" \
	>"$LIB_TMP/s.out" 2>"$LIB_TMP/stream.err" &
SPID=$!
exec {SW}>"$LIB_TMP/s.in" {SR}<"$LIB_TMP/s.out"
ack() { read -t 60 -r ACK <&"$SR" || ACK="(no answer in 60 s)"; log "stream: $ACK"; }
mgdoc 10.98.0.1 >&"$SW"
ack
check "stream document 1: a maglev service" test "$ACK" = "document 1: 2 changes applied"
printf '{ "services": [] }\n---\n' >&"$SW"
ack
check "stream document 2: it is deleted" test "$ACK" = "document 2: 1 change applied"
unload_mg() { rmmod ip_vs_maglev 2>/dev/null; [ ! -d /sys/module/ip_vs_maglev ]; }
if wait_until 30 unload_mg; then
	# loaded again by the next document (the family's module alias)
	mgdoc 10.98.0.2 >&"$SW"
	ack
	check "after ip_vs_maglev was unloaded: stream document 3 is applied (the family is looked up again)" \
		test "$ACK" = "document 3: 2 changes applied" -a -d /sys/module/ip_vs_maglev -a \
		-n "$(services | grep -F 10.98.0.2:80)"
else
	fail "ip_vs_maglev could not be unloaded in 30 s: $(awk '$1 == "ip_vs_maglev" { print $3 }' /proc/modules) users"
fi
exec {SW}>&-
wait "$SPID"
log "stream stderr: $(cat "$LIB_TMP/stream.err")"
in_ns "$NS" ipvsadm -C

exit "$(lib_result)"
