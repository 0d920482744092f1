#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl apply: a declarative state, in JSON and in the grammar.
#  - a full apply, then the same state again: zero changes, counted;
#  - the grammar and the JSON forms of one state are the same state;
#  - --dry-run prints the plan and changes nothing;
#  - a bad input (a bad value in the last backend, broken JSON) changes
#    nothing, and names where it is;
#  - scope: a service outside the scope is never touched; a service in the
#    scope that the input drops is deleted; an input naming a service
#    outside its scope is refused;
#  - graceful termination: a backend that leaves, with a connection open,
#    is drained (weight 0, deadline in the module), kept while the
#    connection lives (re-applies change nothing), deleted by the first
#    apply after it closes; with a connection that outlives
#    --drain-timeout, deleted by the first apply past the deadline;
#  - an operator's drain (ipvsctl drain --then keep) survives an apply;
#  - the daemon drains a backend that leaves its file, and deletes it
#    once its connection closes;
#  - the worked Kubernetes example (examples/kube-proxy) applied;
#  - --stream: documents applied one by one as they arrive, each
#    answered by a line; a bad one changes nothing, the stream goes on.
#
# Standard topology: CL -- DR -- B1, B2, B3, NAT, VIP 10.0.1.100.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
ipvsctl() { in_ns "$DR" "$IPVSCTL" "$@"; }
weight_of() { # weight_of ADDR:PORT -> weight or "none"
	ipvs -Ln -t "$VIP:80" | awk -v be="$1" '$1 == "->" && $2 == be { print $4; f = 1 } END { if (!f) print "none" }'
}
active_of() {
	ipvs -Ln -t "$VIP:80" | awk -v be="$1" '$1 == "->" && $2 == be { print $5; f = 1 } END { if (!f) print "none" }'
}
is() { [ "$("$1" "$2")" = "$3" ]; }
# changes_of OUTPUT: N from "ipvsctl: N changes applied"
changes_of() { sed -n 's/.*: \([0-9]*\) changes\{0,1\} applied.*/\1/p' <<<"$1" | tail -n 1; }
state() { ipvsctl save; }

setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 80
# what a director should set (ipvsctl sysctl): a connection cut by a
# deletion must not linger in IPVS's table and count against the backend
# when it comes back
setup_or_die "expire_nodest_conn" in_ns "$DR" sysctl -qw net.ipv4.vs.expire_nodest_conn=1
B1=${BE_IP[1]}:80
B2=${BE_IP[2]}:80
B3=${BE_IP[3]}:80
# outside any scope: another controller's service
setup_or_die "an unrelated service" ipvsctl service add tcp/192.0.2.1:8080 scheduler rr
setup_or_die "its backend" ipvsctl backend add tcp/192.0.2.1:8080 10.0.2.11 method nat weight 7

# json B... : the desired state with these backends of SVC
json() {
	local first=1 b
	printf '{ "scope": ["10.0.1.0/24", "fd00:ff::/64"],\n  "services": [\n'
	printf '  { "service": "%s", "scheduler": "maglev", "slow-start": "2s",\n    "backends": [' "$SVC"
	for b in "$@"; do
		[ $first = 1 ] || printf ','
		first=0
		printf '\n      { "address": "%s", "weight": 100, "method": "nat" }' "$b"
	done
	printf ' ] },\n'
	printf '  { "service": "udp/%s:53", "scheduler": "rr",\n' "$VIP"
	printf '    "backends": [ { "address": "%s:53", "weight": 1, "method": "nat" } ] },\n' "${BE_IP[1]}"
	printf '  { "service": "tcp/[%s]:443", "scheduler": "maglev", "hash": "src", "pin": "on",\n' "$VIP6"
	printf '    "backends": [ { "address": "[%s]:443", "weight": 3 } ] }\n  ] }\n' "${BE_IP6[2]}"
}
apply() { # apply ARGS < input: output in OUT, exit code in RC
	OUT=$(ip netns exec "$DR" "$IPVSCTL" apply "$@" 2>&1)
	RC=$?
	log "apply $*: rc $RC: $OUT"
}

# ---- full, then idempotent --------------------------------------------------------
json "$B1" "$B2" "$B3" >"$LIB_TMP/s1.json"
apply -f "$LIB_TMP/s1.json"
check "full apply: exit 0, 10 changes (3 services, 5 backends, 2 maglev parameter sets)" \
	test "$RC" = 0 -a "$(changes_of "$OUT")" = 10
check "the maglev service has its 3 backends at weight 100" \
	test "$(weight_of "$B1")/$(weight_of "$B2")/$(weight_of "$B3")" = 100/100/100
mg_path() { # mg_path SERVICE A.B: a nested field of "maglev show"
	mg_json "$DR" "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)["services"][0]
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$2"
}
check "slow start 2 s, as asked" test "$(mg_path "$SVC" slow_start.window_ms)" = 2000
check "the IPv6 service hashes the source, pins on" \
	test "$(mg_path "tcp/[$VIP6]:443" hash)/$(mg_path "tcp/[$VIP6]:443" pinning.mode)" = src/on
apply -f "$LIB_TMP/s1.json"
check "the same state again: 0 changes" test "$RC" = 0 -a "$(changes_of "$OUT")" = 0
apply < "$LIB_TMP/s1.json"
check "from standard input too: 0 changes" test "$RC" = 0 -a "$(changes_of "$OUT")" = 0
check "the unrelated service is untouched" \
	test "$(ipvs -Ln -t 192.0.2.1:8080 | awk '$1 == "->" && $2 ~ /^[0-9[]/ { print $2, $4 }')" = "10.0.2.11:8080 7"

# the grammar form of the same state (what save prints) is the same state
ipvsctl save | grep -v '192.0.2.1' >"$LIB_TMP/s1.conf"
apply --scope 10.0.1.0/24 --scope fd00:ff::/64 -f "$LIB_TMP/s1.conf"
check "the grammar form of the state: 0 changes" test "$RC" = 0 -a "$(changes_of "$OUT")" = 0

# ---- dry run and bad input ------------------------------------------------------------
before=$(state)
json "$B1" "$B2" >"$LIB_TMP/s2.json"
OUT=$(ip netns exec "$DR" "$IPVSCTL" apply --dry-run -f "$LIB_TMP/s2.json" 2>&1)
RC=$?
log "dry run: $OUT"
check "--dry-run exits 0 and prints the drain of b3" \
	test "$RC" = 0 -a -n "$(grep -F "$B3" <<<"$OUT")"
check "--dry-run changed nothing" test "$(state)" = "$before"
sed 's/"weight": 3/"weight": "heavy"/' "$LIB_TMP/s2.json" >"$LIB_TMP/bad.json"
apply -f "$LIB_TMP/bad.json"
check "a bad weight in the last backend: exit 2, named by its place" \
	test "$RC" = 2 -a -n "$(grep -F 'services[2].backends[0]' <<<"$OUT")"
check "and nothing changed (b3 still there at 100)" test "$(state)" = "$before"
printf '{ "services": [ { "service": "tcp/10.0.1.100:80" ' >"$LIB_TMP/broken.json"
apply -f "$LIB_TMP/broken.json"
check "truncated JSON: exit 2, nothing changed" test "$RC" = 2 -a "$(state)" = "$before"
printf '{ "services": [ { "service": "tcp/198.51.100.1:80" } ] }' >"$LIB_TMP/outside.json"
apply --scope 10.0.1.0/24 -f "$LIB_TMP/outside.json"
check "a service outside the scope: refused (exit 2)" \
	test "$RC" = 2 -a -n "$(grep -F 'outside the scope' <<<"$OUT")"
check "and nothing changed" test "$(state)" = "$before"

# the kernel refuses a step in the middle of a batch (a scheduler it does
# not have): the steps before it and the ones after it in the same batch
# are all rolled back
{
	echo "service add tcp/10.0.1.200:80 scheduler rr"
	echo "backend add tcp/10.0.1.200:80 10.0.2.11 method nat"
	echo "service add tcp/10.0.1.201:80 scheduler nosuchsched"
	echo "backend add tcp/10.0.1.201:80 10.0.2.11 method nat"
	echo "service add tcp/10.0.1.202:80 scheduler rr"
	echo "backend add tcp/10.0.1.202:80 10.0.2.12 method nat"
} >"$LIB_TMP/refused.conf"
apply -f "$LIB_TMP/refused.conf"
check "a step the kernel refuses mid-batch (no such scheduler): exit 4, the step named" \
	test "$RC" = 4 -a -n "$(grep -F "refused 'service add tcp/10.0.1.201:80 scheduler nosuchsched'" <<<"$OUT")" -a \
	-n "$(grep -F 'rolled back: nothing was changed' <<<"$OUT")"
check "and everything is rolled back, after it too" test "$(state)" = "$before"

# ---- graceful termination: drained while a connection lives -------------------------------
sport=$(mg_port_to "$DR" "$SVC" "$B3" 40000)
setup_or_die "a client port that maps to b3" test -n "$sport"
# 15 s: longer than the checks below take, even under emulation
in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -D 15000 -I 100 -s "$sport" -t 2000 \
	>"$LIB_TMP/hold.out" 2>&1 &
HOLD=$!
LIB_PIDS+=("$HOLD")
setup_or_die "a long-lived connection on b3" wait_until 10 is active_of "$B3" 1

apply -f "$LIB_TMP/s2.json" --drain-timeout 10m
check "b3 left the state: apply drains it (weight 0, still there)" \
	test "$RC" = 0 -a "$(weight_of "$B3")" = 0
check "it says 1 backend draining" grep -q "1 backend draining" <<<"$OUT"
dl=$(mg_be_field "$DR" "$SVC" "$B3" drain_deadline)
check "the module keeps its drain deadline ($dl), no weight to restore (it left the state)" \
	test "$dl" != None -a "$dl" -gt "$(date +%s)" -a \
	"$(mg_be_field "$DR" "$SVC" "$B3" drain_saved_weight)" = None
apply -f "$LIB_TMP/s2.json" --drain-timeout 10m
check "re-applied while the connection lives: 0 changes, still draining" \
	test "$RC" = 0 -a "$(changes_of "$OUT")" = 0 -a "$(weight_of "$B3")" = 0
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 30 -t 2000)
check "new connections meanwhile: none to b3, all answered" \
	test "$(count_of b3 <(echo "$out"))" = 0 -a "$(errors_of <(echo "$out"))" = 0
check "the connection is still open" kill -0 "$HOLD"
wait "$HOLD"
hold_rc=$?
check "the connection to b3 worked through the drain until it closed ($(tr '\n' ' ' <"$LIB_TMP/hold.out"))" \
	test "$hold_rc" = 0 -a "$(awk '$1 == "backend" { print $2 }' "$LIB_TMP/hold.out")" = b3
setup_or_die "the connection is gone from b3" wait_until 20 is active_of "$B3" 0
apply -f "$LIB_TMP/s2.json" --drain-timeout 10m
check "the first apply after it closed deletes b3 (1 change)" \
	test "$RC" = 0 -a "$(weight_of "$B3")" = none -a "$(changes_of "$OUT")" = 1

# ---- graceful termination: past the deadline --------------------------------------------
apply -f "$LIB_TMP/s1.json"
check "b3 back in the state: added, weight 100" test "$RC" = 0 -a "$(weight_of "$B3")" = 100
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -D 60000 -I 100 -s "$sport" -t 2000 \
	>"$LIB_TMP/hold.out" 2>&1 &
HOLD=$!
LIB_PIDS+=("$HOLD")
setup_or_die "a long-lived connection on b3" wait_until 10 is active_of "$B3" 1
apply -f "$LIB_TMP/s2.json" --drain-timeout 2s
check "drained with a 2 s deadline" test "$RC" = 0 -a "$(weight_of "$B3")" = 0
deadline=$(($(mg_be_field "$DR" "$SVC" "$B3" drain_deadline) + 1))
past() { [ "$(date +%s)" -ge "$1" ]; }
setup_or_die "the deadline passes" wait_until 10 past "$deadline"
open=$(active_of "$B3")
kill -0 "$HOLD" 2>/dev/null || open=closed
apply -f "$LIB_TMP/s2.json" --drain-timeout 2s
check "the first apply past the deadline deletes b3, its connection still open ($open active)" \
	test "$RC" = 0 -a "$(weight_of "$B3")" = none -a "$open" = 1
check "and says so" grep -q "1 deleted at their drain deadline" <<<"$OUT"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null

# ---- the daemon drains a backend that leaves its file -------------------------------------
conf() { # conf B...: the daemon's file
	local b
	echo "service add $SVC scheduler maglev slow-start 2s"
	for b in "$@"; do
		echo "backend add $SVC $b method nat weight 100"
	done
}
conf "$B1" "$B2" "$B3" >"$LIB_TMP/lb.conf"
ip netns exec "$DR" "$IPVSCTL" daemon -f "$LIB_TMP/lb.conf" --state-file "$LIB_TMP/hs.json" \
	--drain-timeout 5m 2>"$LIB_TMP/daemon.log" &
DAEMON=$!
LIB_PIDS+=("$DAEMON")
setup_or_die "the daemon applies its file (b3 back)" wait_until 10 is weight_of "$B3" 100
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
sport2=$(mg_port_to "$DR" "$SVC" "$B3" 43000)
setup_or_die "another client port that maps to b3" test -n "$sport2"
in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -D 8000 -I 100 -s "$sport2" -t 2000 \
	>"$LIB_TMP/hold.out" 2>&1 &
HOLD=$!
LIB_PIDS+=("$HOLD")
setup_or_die "a long-lived connection on b3" wait_until 10 is active_of "$B3" 1
conf "$B1" "$B2" >"$LIB_TMP/lb.conf"
kill -HUP "$DAEMON"
check "daemon: b3 left the file: drained on SIGHUP (weight 0, kept)" wait_until 10 is weight_of "$B3" 0
check "it says so" wait_until 5 grep -q "backend $B3: left the file; draining" "$LIB_TMP/daemon.log"
wait "$HOLD"
check "the connection lived until it closed ($(tr '\n' ' ' <"$LIB_TMP/hold.out"))" test $? = 0
check "b3 deleted by the daemon within 10 s of the connection closing" \
	wait_until 10 is weight_of "$B3" none
kill "$DAEMON"
wait "$DAEMON"
log "$(cat "$LIB_TMP/daemon.log")"

# ---- scope: a dropped service goes, others stay -------------------------------------
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["services"] = [s for s in d["services"] if not s["service"].startswith("udp/")]
print(json.dumps(d))' "$LIB_TMP/s2.json" >"$LIB_TMP/s3.json"
apply -f "$LIB_TMP/s3.json"
check "a service dropped from the state, in scope: deleted" \
	test "$RC" = 0 -a -z "$(ipvs -Ln -u "$VIP:53" 2>/dev/null)"
check "the unrelated service is still untouched" \
	test "$(ipvs -Ln -t 192.0.2.1:8080 | awk '$1 == "->" && $2 ~ /^[0-9[]/ { print $2, $4 }')" = "10.0.2.11:8080 7"

# ---- an operator's drain survives an apply -------------------------------------------
setup_or_die "operator drains b2" ipvsctl drain "$SVC" "$B2" --then keep --timeout 5s
apply -f "$LIB_TMP/s3.json"
check "apply leaves an operator's drain at weight 0 (b2 is still in the state)" \
	test "$RC" = 0 -a "$(weight_of "$B2")" = 0 -a "$(changes_of "$OUT")" = 0
setup_or_die "undrain b2" ipvsctl undrain "$SVC" "$B2"
apply -f "$LIB_TMP/s3.json"
check "after undrain, apply has nothing to do" test "$RC" = 0 -a "$(changes_of "$OUT")" = 0 -a \
	"$(weight_of "$B2")" = 100

# ---- an empty state in scope --------------------------------------------------------------
# an input without services is refused (a producer that wrote nothing);
# "services": [] says it
echo '{ "scope": ["10.0.1.0/24", "fd00:ff::/64"] }' >"$LIB_TMP/empty.json"
apply -f "$LIB_TMP/empty.json"
check "a state that names no service is refused, nothing deleted" \
	test "$RC" = 2 -a "$(ipvs -Ln | grep -c '^TCP\|^UDP')" -gt 1
echo '{ "scope": ["10.0.1.0/24", "fd00:ff::/64"], "services": [] }' >"$LIB_TMP/empty.json"
apply -f "$LIB_TMP/empty.json"
check "an explicit empty state deletes every service in scope, and only those" \
	test "$RC" = 0 -a "$(ipvs -Ln | grep -c '^TCP\|^UDP')" = 1

# ---- the worked Kubernetes example ----------------------------------------------------
# examples/kube-proxy: kubectl's Services and EndpointSlices through jq
KUBE=$IPVSM_SRC/examples/kube-proxy
kube() { # kube SAMPLE: the apply input
	jq -f "$KUBE/services-to-apply.jq" --arg scope 10.96.0.0/12,fd00:10:96::/112 "$1"
}
setup_or_die "jq turns the sample into apply input" kube "$KUBE/sample.json" >"$LIB_TMP/k1.json"
apply -f "$LIB_TMP/k1.json"
check "kube sample: 8 services (2 ports of web, dns v4+v6 x udp+tcp, edge's cluster and LB IPs)" \
	test "$RC" = 0 -a "$(ipvs -Ln | grep -c '^TCP\|^UDP')" = 9
check "web has its 2 ready endpoints, not the terminating one" \
	test "$(ipvs -Ln -t 10.96.0.20:80 | awk '$1 == "->" && $2 ~ /^[0-9[]/ { print $2 }' | sort | tr '\n' ' ')" = "10.0.2.11:8080 10.0.2.12:8080 "
check "ClientIP affinity is persistence 600 s" \
	test -n "$(ipvs -Ln -u 10.96.0.10:53 | grep 'persistent 600')"
check "the IPv6 cluster IP has the IPv6 endpoint" \
	test -n "$(ipvs -Ln -t '[fd00:10:96::a]:53' | grep -F '[fd00:2::14]:53')"
jq '(.items[] | select(.kind == "EndpointSlice" and .metadata.name == "web-abcde") | .endpoints[1].conditions.ready) = false' \
	"$KUBE/sample.json" >"$LIB_TMP/sample2.json"
kube "$LIB_TMP/sample2.json" >"$LIB_TMP/k2.json"
apply -f "$LIB_TMP/k2.json"
check "a pod turning not-ready: its idle backend goes from both web ports (2 changes)" \
	test "$RC" = 0 -a "$(changes_of "$OUT")" = 2 -a \
	-z "$(ipvs -Ln -t 10.96.0.20:80 | grep -F 10.0.2.12)"
apply -f "$LIB_TMP/k2.json"
check "and again: 0 changes" test "$RC" = 0 -a "$(changes_of "$OUT")" = 0
check "the other controller's service is still there" \
	test "$(ipvs -Ln -t 192.0.2.1:8080 | awk '$1 == "->" && $2 ~ /^[0-9[]/ { print $2, $4 }')" = "10.0.2.11:8080 7"

# ---- the sysctls a director needs ---------------------------------------------------------
setup_or_die "a fresh namespace" mkns SX sx
in_ns "$SX" "$IPVSCTL" sysctl check >"$LIB_TMP/sc.out" 2>&1
rc=$?
log "$(cat "$LIB_TMP/sc.out")"
check "sysctl check in a fresh namespace: exit 9 (differences), expire_nodest_conn differs" \
	test "$rc" = 9 -a -n "$(grep 'expire_nodest_conn .* differs' "$LIB_TMP/sc.out")"
echo "service add tcp/10.0.1.100:80 scheduler maglev" >"$LIB_TMP/sx.conf"
echo "backend add tcp/10.0.1.100:80 10.0.2.11 method dr" >>"$LIB_TMP/sx.conf"
OUT=$(in_ns "$SX" "$IPVSCTL" apply --check-sysctls -f "$LIB_TMP/sx.conf" 2>&1)
check "apply --check-sysctls warns, DR ones included for a DR backend" \
	test -n "$(grep 'warning: net.ipv4.vs.conntrack is 0, recommended 1' <<<"$OUT")" -a \
	-n "$(grep 'warning: net.ipv4.conf.all.arp_announce is 0, recommended 2' <<<"$OUT")"
check "sysctl set --dr: exit 0" in_ns "$SX" "$IPVSCTL" -q sysctl set --dr
check "the five are set" test "$(in_ns "$SX" sysctl -n net.ipv4.vs.conntrack \
	net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template \
	net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce | tr '\n' ' ')" = "1 1 1 1 2 "
check "sysctl check --dr now: exit 0" in_ns "$SX" "$IPVSCTL" sysctl check --dr
check "--json: every one ok" test "$(in_ns "$SX" "$IPVSCTL" -j sysctl --dr | python3 -c '
import json, sys
print(all(s["state"] == "ok" for s in json.load(sys.stdin)["sysctls"]))')" = True
check "the other namespace is untouched" test "$(in_ns "$DR" sysctl -n net.ipv4.vs.expire_quiescent_template)" = 0

# ---- virtual addresses on a dummy interface (kube-ipvs0) ---------------------------------------
vips() { in_ns "$SX" ip -br addr show dev kube-ipvs0 | awk '{ $1 = ""; $2 = ""; print }' | tr ' ' '\n' | grep -v '^fe80\|^$' | sort | tr '\n' ' '; }
printf '{ "services": [ { "service": "tcp/10.96.0.1:443", "backends": [ { "address": "10.0.2.11:6443" } ] },\n  { "service": "udp/[fd00:10:96::a]:53" }, { "service": "tcp/[fd00:10:96::a]:53" } ] }' \
	>"$LIB_TMP/v1.json"
OUT=$(in_ns "$SX" "$IPVSCTL" apply --dry-run --vip-dev kube-ipvs0 -f "$LIB_TMP/v1.json" 2>&1)
check "--dry-run --vip-dev: the interface and addresses it would add, nothing done" \
	test -n "$(grep -F 'vip link add kube-ipvs0 type dummy' <<<"$OUT")" -a \
	-n "$(grep -F 'vip add fd00:10:96::a dev kube-ipvs0' <<<"$OUT")" -a \
	-z "$(in_ns "$SX" ip link show kube-ipvs0 2>/dev/null)"
OUT=$(in_ns "$SX" "$IPVSCTL" apply --vip-dev kube-ipvs0 -f "$LIB_TMP/v1.json" 2>&1)
RC=$?
log "vip apply: $OUT"
check "apply --vip-dev: a dummy interface, up, with each VIP once" \
	test "$RC" = 0 -a -n "$(in_ns "$SX" ip -d link show kube-ipvs0 | grep -w dummy)" -a \
	"$(vips)" = "10.96.0.1/32 fd00:10:96::a/128 "
check "and it is up" in_ns "$SX" ip link show up dev kube-ipvs0
setup_or_die "a stray address on it" in_ns "$SX" ip addr add 10.9.9.9/32 dev kube-ipvs0
OUT=$(in_ns "$SX" "$IPVSCTL" apply --vip-dev kube-ipvs0 -f "$LIB_TMP/v1.json" 2>&1)
check "the same state again, no scope: the stray address is not the apply's to remove (0 changes)" \
	test "$(changes_of "$OUT")" = 0 -a "$(vips)" = "10.9.9.9/32 10.96.0.1/32 fd00:10:96::a/128 "
OUT=$(in_ns "$SX" "$IPVSCTL" apply --vip-dev kube-ipvs0 --scope 10.96.0.0/12 --scope fd00:10:96::/112 \
	--scope 10.9.9.9 -f "$LIB_TMP/v1.json" 2>&1)
log "vip apply with a scope: $OUT"
check "with a scope holding 10.9.9.9: only the stray address goes (1 change)" \
	test "$(changes_of "$OUT")" = 1 -a "$(vips)" = "10.96.0.1/32 fd00:10:96::a/128 "
OUT=$(in_ns "$SX" "$IPVSCTL" apply --vip-dev kube-ipvs0 -f "$LIB_TMP/v1.json" 2>&1)
check "and again: 0 changes" test "$(changes_of "$OUT")" = 0
printf '{ "scope": ["10.96.0.0/12", "fd00:10:96::/112"], "services": [ { "service": "tcp/10.96.0.1:443",\n  "backends": [ { "address": "10.0.2.11:6443" } ] } ] }' >"$LIB_TMP/v2.json"
OUT=$(in_ns "$SX" "$IPVSCTL" apply --vip-dev kube-ipvs0 -f "$LIB_TMP/v2.json" 2>&1)
log "vip apply: $OUT"
check "the IPv6 services leave: their address goes with them (3 changes)" \
	test "$(changes_of "$OUT")" = 3 -a "$(vips)" = "10.96.0.1/32 "
# ---- --stream: documents applied as they arrive ---------------------------------------------
# A controller keeps one ipvsctl running and writes a document per change;
# each is applied at its "---" and answered by one line, before the next
# is read. A bad document changes nothing and the stream goes on.
setup_or_die "a namespace for the stream" mkns ST applystream
sdoc() { # sdoc WEIGHT B...: tcp/10.9.0.1:80 with these backends
	local w=$1 b
	shift
	echo "service add tcp/10.9.0.1:80 scheduler rr"
	for b in "$@"; do
		echo "backend add tcp/10.9.0.1:80 $b method nat weight $w"
	done
	echo "---"
}
sbackends() { in_ns "$ST" ipvsadm -Ln -t 10.9.0.1:80 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2 "/" $4 }' | sort | tr '\n' ' '; }
# the stream's input and output: FIFOs held open by this shell
setup_or_die "the stream's FIFOs" mkfifo "$LIB_TMP/s.in" "$LIB_TMP/s.out"
# (bounded: it is gone in 300 s whatever happens; a write after it is
# gone fails instead of killing this shell)
trap '' PIPE
in_ns "$ST" timeout 300 "$IPVSCTL" apply --stream --drain-timeout 0 <"$LIB_TMP/s.in" \
	>"$LIB_TMP/s.out" 2>"$LIB_TMP/stream.err" &
SPID=$!
exec {SW}>"$LIB_TMP/s.in" {SR}<"$LIB_TMP/s.out"
ack() { read -t 60 -r ACK <&"$SR" || ACK="(no answer in 60 s)"; log "stream: $ACK"; }
sdoc 1 10.0.2.11:80 10.0.2.12:80 >&"$SW"
ack
check "document 1: its line, and it is applied before the next is written" \
	test "$ACK" = "document 1: 3 changes applied" -a "$(sbackends)" = "10.0.2.11:80/1 10.0.2.12:80/1 "
sdoc heavy 10.0.2.11:80 10.0.2.13:80 >&"$SW"
ack
check "document 2, a bad weight: failed, nothing changed" \
	test "$ACK" = "document 2: failed (exit status 2); nothing was changed" -a \
	"$(sbackends)" = "10.0.2.11:80/1 10.0.2.12:80/1 "
check "its error names the document and the line" \
	grep -q '<stdin> (document 2):2:' "$LIB_TMP/stream.err"
sdoc 2 10.0.2.11:80 10.0.2.13:80 >&"$SW"
ack
check "document 3, after the failure: a backend replaced, the other reweighted (3 changes)" \
	test "$ACK" = "document 3: 3 changes applied" -a "$(sbackends)" = "10.0.2.11:80/2 10.0.2.13:80/2 "
sdoc 2 10.0.2.11:80 10.0.2.13:80 >&"$SW"
ack
check "document 4, the same: 0 changes" test "$ACK" = "document 4: 0 changes applied"
# a last document not ended by a separator is a producer that stopped
# mid-document: refused, not applied
sdoc 2 10.0.2.11:80 | head -n -1 >&"$SW"
exec {SW}>&-
ack
wait "$SPID"
RC=$?
exec {SR}<&-
trap - PIPE
check "the last document, cut off by the end of the input: refused, nothing changed; exit 2" \
	test "$ACK" = "document 5: failed (exit status 2); nothing was changed" -a "$RC" = 2 -a \
	"$(sbackends)" = "10.0.2.11:80/2 10.0.2.13:80/2 "
# (the cut-off document above changed nothing: b3 leaves now, 1 change)
OUT=$(printf '%s\n---\n\n' "$(sdoc 2 10.0.2.11:80 | head -n -1)" |
	in_ns "$ST" "$IPVSCTL" -j apply --stream 2>&1)
RC=$?
log "stream --json: $OUT"
check "--json: a line of JSON per document, blanks after the last separator no document" \
	test "$RC" = 0 -a "$(python3 -c 'import json, sys
lines = sys.stdin.read().splitlines()
r = [json.loads(l) for l in lines]
print(len(r), r[0]["document"], r[0]["exit_status"], r[0]["changes"])' <<<"$OUT")" = "1 1 0 1"
exit "$(lib_result)"
