#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `ipvsctl kube run`, the node agent, against a fake API server
# (tools/fakeapi.py) on the node's loopback: the first sync after both
# lists, watch events, bookmarks, 410 Gone as an ERROR event and as an
# HTTP status (a relist that turns what vanished into deletions), a
# dropped stream, slow answers, a refused object, /healthz /livez
# /metrics, healthCheckNodePort answers, and a churn of thousands of
# EndpointSlice changes that converges while an established connection
# to a surviving endpoint stays up.
#
#   node ND: the agent, the fake API server on 127.0.0.1,
#            cbr0 10.244.1.1/24 with pods P1 10.244.1.2, P2 10.244.1.3
#
# Every wait is a deadline polled on state; nothing is judged by time.

source "$(dirname "$0")/lib.sh"
lib_init
command -v nft >/dev/null || skip "nft not installed"
command -v curl >/dev/null || skip "curl not installed"
echo 'table inet ipvsctl-probe { chain p { type nat hook postrouting priority srcnat; fib saddr type local masquerade fully-random; }; }' |
	nft -c -f - 2>/dev/null || skip "no nf_tables NAT, fib or masquerade in this kernel"

FAKE=$LIB_DIR/tools/fakeapi.py
SCALE=${TIMEOUT_SCALE:-1}
W=$((30 * SCALE))	# seconds a state is waited for

topo() {
	local i
	mkns ND nd || return 1
	mkns P1 p1 || return 1
	mkns P2 p2 || return 1
	in_ns "$ND" ip link add cbr0 type bridge || return 1
	in_ns "$ND" ip addr add 10.244.1.1/24 dev cbr0 || return 1
	in_ns "$ND" ip link set cbr0 up || return 1
	in_ns "$ND" sysctl -qw net.ipv4.ip_forward=1 || return 1
	for i in 1 2; do
		local p=P$i
		ip link add eth0 netns "${!p}" type veth peer name "veth-p$i" netns "$ND" || return 1
		in_ns "$ND" ip link set "veth-p$i" master cbr0 up || return 1
		in_ns "${!p}" ip addr add "10.244.1.$((i + 1))/24" dev eth0 || return 1
		in_ns "${!p}" ip link set eth0 up || return 1
		in_ns "${!p}" ip route add default via 10.244.1.1 || return 1
	done
}

setup_or_die "topology" topo
setup_or_die "pod servers" serve "$P1" p1 8080
setup_or_die "pod servers" serve "$P2" p2 8080

# ---- objects ------------------------------------------------------------
svc() { # svc NAME CLUSTER_IP [extra spec JSON members]
	printf '{"kind": "Service", "apiVersion": "v1", "metadata": {"namespace": "default", "name": "%s"},
 "spec": {"type": "ClusterIP", "clusterIP": "%s", "clusterIPs": ["%s"],
          "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080%s}]%s}}' \
		"$1" "$2" "$2" "${4:-}" "${3:-}"
}
slice() { # slice SVC NAME EP[,EP...] [node]
	local eps="" a
	for a in ${3//,/ }; do
		eps+="${eps:+, }{\"addresses\": [\"$a\"], \"conditions\": {\"ready\": true}, \"nodeName\": \"${4:-nd}\"}"
	done
	printf '{"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
 "metadata": {"namespace": "default", "name": "%s", "labels": {"kubernetes.io/service-name": "%s"}},
 "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
 "endpoints": [%s]}' "$2" "$1" "$eps"
}
{
	echo '{"kind": "List", "items": ['
	svc web 10.96.0.10
	echo ,
	slice web web-1 10.244.1.2,10.244.1.3
	echo ,
	svc keep 10.96.0.20
	echo ,
	slice keep keep-1 10.244.1.2
	echo ,
	svc hc 10.96.0.30 ', "externalTrafficPolicy": "Local", "healthCheckNodePort": 32001, "type": "LoadBalancer"' \
		', "nodePort": 30030'
	echo ,
	slice hc hc-1 10.244.1.3
	echo ,
	svc hcnone 10.96.0.31 ', "externalTrafficPolicy": "Local", "healthCheckNodePort": 32002, "type": "LoadBalancer"' \
		', "nodePort": 30031'
	echo ,
	slice hcnone hcnone-1 10.244.9.9 other-node
	echo ']}'
} >"$LIB_TMP/objects.json"

start_fake() {
	bg_in_ns "$ND" python3 "$FAKE" --port 0 --ready "$LIB_TMP/fake.port" \
		--objects "$LIB_TMP/objects.json" --token t0ken
	wait_until 20 test -s "$LIB_TMP/fake.port" || return 1
	PORT=$(cat "$LIB_TMP/fake.port")
}
setup_or_die "fake API server" start_fake
echo t0ken >"$LIB_TMP/token"

ctl() { # ctl JSON: a control request to the fake server
	in_ns "$ND" curl -sf -X POST --data-binary "$1" "http://127.0.0.1:$PORT/control" >/dev/null
}
ctl_apply() {
	ctl "{\"op\": \"apply\", \"object\": $1}"
}

start_agent() {
	bg_in_ns "$ND" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" \
		--token-file "$LIB_TMP/token" --node nd --node-ip 10.244.1.1 \
		--cluster-cidr 10.244.0.0/16 --state-dir "$LIB_TMP/state" \
		--healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 \
		--min-sync-period 200ms --sync-period 2s --drain-timeout 600s
	AGENT=$LAST_PID
}
start_agent 2>"$LIB_TMP/agent.err"

# dests VIP: the real servers of tcp VIP:80, sorted, one line
dests() {
	in_ns "$ND" ipvsadm -L -n -t "$1:80" 2>/dev/null | awk '$1 == "->" && $2 ~ /^[0-9]/ { print $2 }' |
		sort | tr '\n' ' '
}
has_dests() { # has_dests VIP "A:P B:P "
	[ "$(dests "$1")" = "$2" ]
}
metric() { # metric NAME{LABELS}: its value, 0 if absent
	in_ns "$ND" curl -sf "http://127.0.0.1:10249/metrics" |
		awk -v m="$1" '$1 == m { print $2; f = 1 } END { if (!f) print 0 }'
}
metric_ge() { # metric_ge NAME N
	[ "$(metric "$1")" -ge "$2" ] 2>/dev/null
}

# 1. the first sync: both lists, then everything
check "the first sync: web's endpoints" wait_until $W has_dests 10.96.0.10 "10.244.1.2:8080 10.244.1.3:8080 "
check "  keep's" has_dests 10.96.0.20 "10.244.1.2:8080 "
check "  the table is there" wait_until $W in_ns "$ND" nft list table inet ipvsctl
f=$LIB_TMP/t1
in_ns "$ND" "$MGTRAFFIC" conn -c 10.96.0.10 -p 80 -n 20 -t $((2000 * SCALE)) >"$f"
check "  the node reaches web through its cluster IP ($(total_of "$f") answered)" \
	test "$(total_of "$f")" = 20 -a "$(errors_of "$f")" = 0

# 2. health and metrics
code() { in_ns "$ND" curl -s -o "$LIB_TMP/body" -D "$LIB_TMP/head" -w '%{http_code}' "$@"; }
c=$(code http://127.0.0.1:10256/healthz)
check "/healthz: 200 ($c: $(cat "$LIB_TMP/body"))" test "$c" = 200
c=$(code http://127.0.0.1:10256/livez)
check "/livez: 200 ($c)" test "$c" = 200
c=$(code http://127.0.0.1:10249/proxyMode)
check "/proxyMode: ipvs ($c $(cat "$LIB_TMP/body"))" test "$c" = 200 -a "$(cat "$LIB_TMP/body")" = ipvs
check "/metrics: a sync's timestamp" metric_ge kubeproxy_sync_proxy_rules_last_timestamp_seconds 1
check "/metrics: the sync histogram counted it" metric_ge kubeproxy_sync_proxy_rules_duration_seconds_count 1
c=$(code http://127.0.0.1:10256/other)
check "an unknown path: 404 ($c)" test "$c" = 404

# 3. healthCheckNodePort, as kube-proxy answers it
c=$(code http://10.244.1.1:32001/anything)
check "healthCheckNodePort of a Service with a local endpoint: 200 ($c)" test "$c" = 200
check "  X-Load-Balancing-Endpoint-Weight: 1" grep -qi '^X-Load-Balancing-Endpoint-Weight: 1' "$LIB_TMP/head"
check "  its body names the Service and counts 1" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["service"] == {"namespace": "default", "name": "hc"} and d["localEndpoints"] == 1 and d["serviceProxyHealthy"] is True))' \
	"$LIB_TMP/body"
c=$(code -X POST http://10.244.1.1:32002/)
check "healthCheckNodePort of a Service with no local endpoint: 503, any method ($c)" test "$c" = 503
check "  weight 0" grep -qi '^X-Load-Balancing-Endpoint-Weight: 0' "$LIB_TMP/head"

# 4. watch events
ctl_apply "$(slice web web-1 10.244.1.2)"
check "an EndpointSlice changed: the endpoint leaves" wait_until $W has_dests 10.96.0.10 "10.244.1.2:8080 "
ctl_apply "$(svc new 10.96.0.40)"
ctl_apply "$(slice new new-1 10.244.1.3)"
check "a Service added: served" wait_until $W has_dests 10.96.0.40 "10.244.1.3:8080 "
ctl '{"op": "bookmark"}'
ctl '{"op": "delete", "kind": "Service", "namespace": "default", "name": "new"}'
check "a Service deleted (after a bookmark): gone" wait_until $W not in_ns "$ND" ipvsadm -L -n -t 10.96.0.40:80

# 5. 410 Gone, as an ERROR event and as a status: a relist; a deletion
#    made while the watch was down arrives as the list's absence
lists0=$(metric 'ipvsctl_kube_lists_total{kind="services"}')
ctl '{"op": "expire", "as": "event"}'
check "410 as an ERROR event: Services listed again" \
	wait_until $W metric_ge 'ipvsctl_kube_lists_total{kind="services"}' $((lists0 + 1))
ctl_apply "$(svc gap 10.96.0.50)"
ctl_apply "$(slice gap gap-1 10.244.1.2)"
check "  then a new Service is served" wait_until $W has_dests 10.96.0.50 "10.244.1.2:8080 "
lists1=$(metric 'ipvsctl_kube_lists_total{kind="services"}')
ctl '{"op": "expire", "as": "status"}'
ctl '{"op": "delete", "kind": "Service", "namespace": "default", "name": "gap"}'
check "410 as a status: listed again" \
	wait_until $W metric_ge 'ipvsctl_kube_lists_total{kind="services"}' $((lists1 + 1))
check "  the Service deleted meanwhile is gone" wait_until $W not in_ns "$ND" ipvsadm -L -n -t 10.96.0.50:80

# 6. a dropped stream, then slow answers
errs0=$(metric 'ipvsctl_kube_watch_errors_total{kind="endpointslices"}')
# both watches must be up for the drop to cut one (after the 410s above a
# watcher may still be backing off before it watches again)
watching() {
	[ "$(in_ns "$ND" curl -sf "http://127.0.0.1:$PORT/control" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["watchers"])')" -ge 2 ]
}
check "both watches are up again" wait_until $W watching
ctl '{"op": "drop"}'
check "a dropped stream is counted" \
	wait_until $W metric_ge 'ipvsctl_kube_watch_errors_total{kind="endpointslices"}' $((errs0 + 1))
ctl_apply "$(slice web web-1 10.244.1.2,10.244.1.3)"
check "  and the watch goes on: a change after it arrives" \
	wait_until $W has_dests 10.96.0.10 "10.244.1.2:8080 10.244.1.3:8080 "
ctl '{"op": "slow", "ms": 300}'
ctl_apply "$(slice web web-1 10.244.1.3)"
check "slow answers: the change still arrives" wait_until $W has_dests 10.96.0.10 "10.244.1.3:8080 "
ctl '{"op": "slow", "ms": 0}'

# 7. a refused object: named, skipped, nothing else changed
bad0=$(metric ipvsctl_kube_objects_refused_total)
ctl_apply '{"kind": "Service", "apiVersion": "v1", "metadata": {"namespace": "default", "name": "broken"},
 "spec": {"clusterIP": "10.96.0.60", "ports": [{"protocol": "TCP", "port": 70000}]}}'
check "a Service with port 70000: refused and counted" \
	wait_until $W metric_ge ipvsctl_kube_objects_refused_total $((bad0 + 1))
check "  and named in the log" wait_until $W grep -q 'broken.*70000' "$LIB_TMP/agent.err"
check "  nothing else changed" has_dests 10.96.0.20 "10.244.1.2:8080 "

# 7b. graceful termination: an endpoint that leaves while a connection
#     to it is up drains at weight 0, the connection answered, and goes
#     once the connection has closed (a sync every 2 s looks again; the
#     drain's deadline, 600 s here, is not what ends it)
bg_in_ns "$ND" "$MGTRAFFIC" hold -c 10.96.0.10 -p 80 -D $((600000 * SCALE)) -I 200 -t $((5000 * SCALE)) \
	>"$LIB_TMP/hold2.out"
HOLD2=$LAST_PID
held2() {
	in_ns "$ND" ipvsadm -L -n -c | grep -q 'ESTABLISHED .* 10.96.0.10:80 .*10.244.1.3:8080'
}
weight_of() { # weight_of VIP RS
	in_ns "$ND" ipvsadm -L -n -t "$1:80" | awk -v rs="$2" '$1 == "->" && $2 == rs { print $4 }'
}
check "a connection to web's endpoint 10.244.1.3 is up" wait_until $W held2
ctl_apply "$(slice web web-1 10.244.1.2)"
drains() { test "$(weight_of 10.96.0.10 10.244.1.3:8080)" = 0; }
check "  that endpoint removed: it drains at weight 0" wait_until $W drains
drains || in_ns "$ND" ipvsadm -L -n -t 10.96.0.10:80
check "  the other one is served" test "$(weight_of 10.96.0.10 10.244.1.2:8080)" = 1
check "  the held connection is still answered" kill -0 "$HOLD2"
kill -INT "$HOLD2"
wait "$HOLD2"
rc=$?
check "  and every line of it was (hold exit $rc: $(tr '\n' ' ' <"$LIB_TMP/hold2.out"))" test $rc = 0
check "  once drained, it is deleted" wait_until $W has_dests 10.96.0.10 "10.244.1.2:8080 "

# 8. churn: thousands of changes to keep's endpoints (addresses of no
#    pod), with a connection to its one real endpoint held throughout
N_CHURN=2000
bg_in_ns "$ND" "$MGTRAFFIC" hold -c 10.96.0.20 -p 80 -D $((600000 * SCALE)) -I 200 -t $((5000 * SCALE)) \
	>"$LIB_TMP/hold.out"
HOLD=$LAST_PID
held() {
	in_ns "$ND" ipvsadm -L -n -c | grep -q 'ESTABLISHED .* 10.96.0.20:80 .*10.244.1.2:8080'
}
check "a connection to keep is up" wait_until $W held
in_ns "$ND" python3 - "$PORT" "$N_CHURN" <<'PY'
import json, sys, urllib.request
port, n = int(sys.argv[1]), int(sys.argv[2])
def slice(eps):
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"namespace": "default", "name": "keep-1",
                         "labels": {"kubernetes.io/service-name": "keep"}},
            "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}, "nodeName": "nd"}
                          for a in eps]}
for i in range(n):
    extra = ["10.244.3.%d" % (1 + (i + k) % 200) for k in range(i % 7)]
    body = json.dumps({"op": "apply", "object": slice(["10.244.1.2"] + extra)}).encode()
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/control" % port, body,
                                                  method="POST")).read()
# the last word: keep's real endpoint and two others
final = slice(["10.244.1.2", "10.244.3.250", "10.244.3.251"])
urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/control" % port,
    json.dumps({"op": "apply", "object": final}).encode(), method="POST")).read()
PY
check "$N_CHURN changes posted" test $? = 0
check "  IPVS converges to the last one" wait_until $((W * 2)) \
	has_dests 10.96.0.20 "10.244.1.2:8080 10.244.3.250:8080 10.244.3.251:8080 "
check "  the held connection is still answered" kill -0 "$HOLD"
kill -INT "$HOLD"
wait "$HOLD"
rc=$?
check "  and every line of it was answered by the same pod (hold exit $rc: $(tr '\n' ' ' <"$LIB_TMP/hold.out"))" \
	test $rc = 0
log "  (the agent synced $(metric ipvsctl_kube_syncs_total) times in all, $(metric 'ipvsctl_kube_watch_events_total{kind="endpointslices"}') slice events)"
check "/healthz still 200" test "$(code http://127.0.0.1:10256/healthz)" = 200

# 8b. a client holding connections open cannot keep a probe out: 80
#     idle connections to the health port (more than the agent keeps),
#     then /healthz, answered
in_ns "$ND" python3 - <<'PY' &
import socket, time
socks = []
for i in range(80):
    s = socket.create_connection(("127.0.0.1", 10256))
    socks.append(s)
open("/tmp/ipvsm-idle-%d" % 80, "w").close()
time.sleep(20)
PY
IDLE=$!
LIB_PIDS+=("$IDLE")
check "80 idle connections are open" wait_until $W test -e /tmp/ipvsm-idle-80
c=$(code http://127.0.0.1:10256/healthz)
check "  /healthz is still answered ($c)" test "$c" = 200
kill "$IDLE" 2>/dev/null
rm -f /tmp/ipvsm-idle-80

# 8c. partial syncs: after the first, a sync reads and applies only what
#     changed (--full-sync-period is 1h here); the agent's log says what
#     each sync read and did. Nothing drains any more (7b's endpoint went
#     once its connection closed; 8's extra endpoints had none), so a
#     sync reads the services that changed and nothing else.
after() { tail -n +$(($1 + 1)) "$LIB_TMP/agent.err" | grep 'sync done'; }
synced_after() { [ "$(after "$1" | wc -l)" -ge "$2" ]; }	# synced_after LINE N
# the first sync after LINE that changed IPVS (or the table, with "nft")
changed_after() {
	if [ "${2:-}" = nft ]; then
		after "$1" | grep -v 'nftables [0-9]* (unchanged)' | head -n 1
	else
		after "$1" | grep -v ' 0 IPVS changes' | head -n 1
	fi
}
has_changed_after() { [ -n "$(changed_after "$@")" ]; }
n0=$(wc -l <"$LIB_TMP/agent.err")
ctl_apply "$(slice keep keep-1 10.244.1.2,10.244.3.250)"
check "partial syncs: one Service's endpoints changed, applied" \
	wait_until $W has_dests 10.96.0.20 "10.244.1.2:8080 10.244.3.250:8080 "
wait_until $W has_changed_after "$n0"
l=$(changed_after "$n0")
# (the table's hairpin elements follow keep's local endpoints: changed, not replaced)
check "  by a partial sync that read that service alone, the table not replaced: $l" \
	grep -q 'partial sync done: .* IPVS changes (1 services read).*nftables [0-9]* ([0-9]* elements)' <<<"$l"
n1=$(wc -l <"$LIB_TMP/agent.err")
check "  then periodic syncs (every 2 s)" wait_until $W synced_after "$n1" 2
l=$(after "$n1" | tail -n 1)
check "  with nothing changed, read nothing: $l" \
	grep -q 'partial sync done: .* 0 IPVS changes (0 services read).*nftables 0 (unchanged).*addresses [0-9]* unchanged' <<<"$l"
n2=$(wc -l <"$LIB_TMP/agent.err")
ctl_apply "$(svc added 10.96.0.70)"
ctl_apply "$(slice added added-1 10.244.1.3)"
check "a Service added: served" wait_until $W has_dests 10.96.0.70 "10.244.1.3:8080 "
check "  and in the table" wait_until $W \
	eval 'in_ns "$ND" nft list set inet ipvsctl cluster4 | grep -q "10.96.0.70 . tcp . 80"'
wait_until $W has_changed_after "$n2" nft
l=$(changed_after "$n2" nft)
check "  the table's elements changed, not the table replaced: $l" \
	grep -q 'partial sync done: .*nftables [0-9]* ([1-9][0-9]* elements)' <<<"$l"
n3=$(wc -l <"$LIB_TMP/agent.err")
ctl '{"op": "delete", "kind": "Service", "namespace": "default", "name": "hcnone"}'
np_gone() { ! in_ns "$ND" nft list map inet ipvsctl shortcut-np4 | grep -q 30031; }
check "a Local Service deleted: its node port's shortcut (a map's element) goes" wait_until $W np_gone
check "  and so does its IPVS service" wait_until $W not in_ns "$ND" ipvsadm -L -n -t 10.96.0.31:80
wait_until $W has_changed_after "$n3" nft
l=$(changed_after "$n3" nft)
check "  by element deletions: $l" grep -q 'partial sync done: .*nftables [0-9]* ([1-9][0-9]* elements)' <<<"$l"
in_ns "$ND" nft flush set inet ipvsctl cluster4
check "the table changed by hand (a set flushed): put back" \
	wait_until $W eval 'in_ns "$ND" nft list set inet ipvsctl cluster4 | grep -q "10.96.0.20 . tcp . 80"'
n4=$(wc -l <"$LIB_TMP/agent.err")
in_ns "$ND" ipvsadm -D -t 10.96.0.70:80
check "an IPVS service deleted by hand: put back" wait_until $W has_dests 10.96.0.70 "10.244.1.3:8080 "
wait_until $W has_changed_after "$n4"
l=$(changed_after "$n4")
check "  by a full sync the next sync asked for (it looks for some of its services each time): $l" \
	grep -q '^[^ ]* kube: full sync done' <<<"$l"
in_ns "$ND" ip link del kube-ipvs0
has_vip() { in_ns "$ND" ip -o addr show dev kube-ipvs0 2>/dev/null | grep -q ' 10.96.0.20/'; }
check "kube-ipvs0 deleted by hand: made again with its addresses" wait_until $W has_vip

# 9. SIGTERM: the agent stops, the dataplane stays
kill -TERM "$AGENT"
wait_until $W not kill -0 "$AGENT"
check "SIGTERM: the agent stopped" not kill -0 "$AGENT"
wait "$AGENT"
rc=$?
check "  with exit 0 ($rc)" test $rc = 0
check "  the services and the table stay" in_ns "$ND" ipvsadm -L -n -t 10.96.0.10:80
check "  the table stays" in_ns "$ND" nft list table inet ipvsctl

# 9b. full syncs: an agent with --full-sync-period 3s puts back a real
#     server deleted by hand (no partial sync reads it: its Service did
#     not change, and its service is still there for the canary)
bg_in_ns "$ND" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" \
	--token-file "$LIB_TMP/token" --node nd --node-ip 10.244.1.1 \
	--cluster-cidr 10.244.0.0/16 --state-dir "$LIB_TMP/state" \
	--healthz-bind-address "" --metrics-bind-address "" \
	--min-sync-period 200ms --sync-period 1s --full-sync-period 3s --drain-timeout 600s \
	2>"$LIB_TMP/agent3.err"
AGENT3=$LAST_PID
check "a new agent: its first sync is a full one" \
	wait_until $W grep -q 'full sync done' "$LIB_TMP/agent3.err"
n5=$(wc -l <"$LIB_TMP/agent3.err")
in_ns "$ND" ipvsadm -d -t 10.96.0.20:80 -r 10.244.3.250:8080
check "  a real server of keep deleted by hand: put back" \
	wait_until $W has_dests 10.96.0.20 "10.244.1.2:8080 10.244.3.250:8080 "
first3() { tail -n +$((n5 + 1)) "$LIB_TMP/agent3.err" | grep 'sync done' | grep -v ' 0 IPVS changes' | head -n 1; }
wait_until $W eval '[ -n "$(first3)" ]'
l=$(first3)
check "  by a periodic full sync (the first sync that changed IPVS): $l" \
	grep -q '^[^ ]* kube: full sync done: .* 1 IPVS changes' <<<"$l"
kill "$AGENT3"
wait_until $W not kill -0 "$AGENT3"

# 10. failed syncs back off: an agent whose syncs all fail (its VIP
#     interface exists and is not a dummy) with --min-sync-period 0 and a
#     stream of changes; the spacing of its failures, on its own clock,
#     doubles from 1 s
in_ns "$ND" ip link add notdummy type veth peer name notdummy-b
bg_in_ns "$ND" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" \
	--token-file "$LIB_TMP/token" --node nd --state-dir "$LIB_TMP/state2" --vip-dev notdummy \
	--healthz-bind-address "" --metrics-bind-address "" --min-sync-period 0 2>"$LIB_TMP/agent2.err"
AGENT2=$LAST_PID
fails() { grep -c 'sync FAILED' "$LIB_TMP/agent2.err"; }
for i in 1 2 3 4 5 6; do	# changes while it fails: none may bring a retry forward
	ctl_apply "$(slice web web-1 10.244.1.$((10 + i)))"
	wait_until $W test "$(fails)" -ge $(((i + 1) / 2))
done
check "failing syncs: at least 4 seen ($(fails))" wait_until $((W * 2)) test "$(fails)" -ge 4
gaps=$(grep 'sync FAILED' "$LIB_TMP/agent2.err" | sed 's/.*(at \([0-9]*\) ms[;)].*/\1/' |
	awk 'NR > 1 { printf "%d ", $1 - prev } { prev = $1 }' | cut -d' ' -f1-3)
check "  spaced by the backoff, at least 1, 2 and 4 s ($gaps ms)" \
	awk -v g="$gaps" 'BEGIN { n = split(g, v, " "); exit !(n >= 3 && v[1] >= 1000 && v[2] >= 2000 && v[3] >= 4000) }'
kill "$AGENT2"

# 11. the node itself: an agent with --detect-local-mode NodeCIDR and no
#     --node-ip: no sync before the Node has pod CIDRs; then the table's
#     pod traffic is the Node's podCIDR, following it; node ports on the
#     node's own addresses, following them; /healthz fails while the
#     Node is leaving (tainted by the cluster autoscaler, or deleted)
node_obj() { # node_obj PODCIDR [extra metadata members] [extra spec members]
	printf '{"kind": "Node", "apiVersion": "v1", "metadata": {"name": "nd"%s},
 "spec": {"podCIDR": "%s", "podCIDRs": ["%s"]%s},
 "status": {"addresses": [{"type": "InternalIP", "address": "10.244.1.1"}]}}' "${2:-}" "$1" "$1" "${3:-}"
}
bg_in_ns "$ND" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" \
	--token-file "$LIB_TMP/token" --node nd --detect-local-mode NodeCIDR \
	--state-dir "$LIB_TMP/state" --healthz-bind-address 127.0.0.1:10257 --metrics-bind-address 127.0.0.1:10249 \
	--min-sync-period 200ms --sync-period 1s --drain-timeout 600s 2>"$LIB_TMP/agent4.err"
AGENT4=$LAST_PID
check "NodeCIDR: the node not found yet" wait_until $W grep -q 'node nd: not found; no sync until' \
	"$LIB_TMP/agent4.err"
check "  Services and EndpointSlices listed" wait_until $W eval \
	'grep -q "listed Services" "$LIB_TMP/agent4.err" && grep -q "listed EndpointSlices" "$LIB_TMP/agent4.err"'
check "  and no sync" not grep -q 'sync done' "$LIB_TMP/agent4.err"
ctl_apply "$(node_obj 10.244.1.0/24)"
check "  the Node with its podCIDR: the first sync" \
	wait_until $W grep -q 'full sync done' "$LIB_TMP/agent4.err"
lno() { grep -n "$1" "$LIB_TMP/agent4.err" | head -n 1 | cut -d: -f1; }
check "  after the Node came (line $(lno 'node nd added'), sync line $(lno 'sync done'))" \
	test "$(lno 'node nd added')" -lt "$(lno 'sync done')"
table() { in_ns "$ND" nft list table inet ipvsctl; }
check "  the table's pods are the Node's 10.244.1.0/24" eval 'table | grep -q "10.244.1.0/24"'
check "  (not --cluster-cidr's 10.244.0.0/16 of the agent before)" \
	eval '! table | grep -q "10.244.0.0/16"'
np_svcs() { # the TCP services on node port 30030, sorted, one line
	in_ns "$ND" ipvsadm -L -n | awk '$1 == "TCP" && $2 ~ /:30030$/ { print $2 }' | sort | tr '\n' ' '
}
check "  node ports on the node's own address, not loopback's or kube-ipvs0's ($(np_svcs))" \
	test "$(np_svcs)" = "10.244.1.1:30030 "
# idle() N: a sync after line N of the log that read nothing and changed
# nothing (the node at rest: the checks below then show that a change
# of addresses or of the Node is what made the next sync work)
idle() {
	tail -n +$(($1 + 1)) "$LIB_TMP/agent4.err" |
		grep -q 'partial sync done: .* 0 IPVS changes (0 services read).*nftables 0 (unchanged)'
}
n6=$(wc -l <"$LIB_TMP/agent4.err")
check "the agent at rest: an idle sync" wait_until $W idle "$n6"
in_ns "$ND" ip link add np0 type dummy
in_ns "$ND" ip addr add 192.0.2.7/24 dev np0
in_ns "$ND" ip link set np0 up
check "an address added to the node: a node port on it" \
	wait_until $W eval '[ "$(np_svcs)" = "10.244.1.1:30030 192.0.2.7:30030 " ]'
check "  and in the table's node addresses" eval 'table | grep -A2 "set nodeips4" | grep -q 192.0.2.7'
in_ns "$ND" ip addr del 192.0.2.7/24 dev np0
check "  the address removed: its node port goes" \
	wait_until $W eval '[ "$(np_svcs)" = "10.244.1.1:30030 " ]'
n6=$(wc -l <"$LIB_TMP/agent4.err")
check "  at rest again: an idle sync" wait_until $W idle "$n6"
ctl_apply "$(node_obj 10.244.7.0/24)"
check "the Node's podCIDR changed: the table follows" \
	wait_until $W eval 'table | grep -q "10.244.7.0/24"'
hz() { code "http://127.0.0.1:10257/$1"; }
c=$(hz healthz)
check "/healthz 200 while the node stays ($c: $(cat "$LIB_TMP/body"))" \
	eval '[ "$c" = 200 ] && grep -q "\"nodeEligible\": true" "$LIB_TMP/body"'
ctl_apply "$(node_obj 10.244.7.0/24 "" ', "taints": [{"key": "ToBeDeletedByClusterAutoscaler", "value": "1", "effect": "NoSchedule"}]')"
check "tainted ToBeDeletedByClusterAutoscaler: /healthz 503" \
	wait_until $W eval '[ "$(hz healthz)" = 503 ]'
check "  saying nodeEligible false ($(cat "$LIB_TMP/body"))" grep -q '"nodeEligible": false' "$LIB_TMP/body"
check "  /livez still 200" test "$(hz livez)" = 200
ctl_apply "$(node_obj 10.244.7.0/24)"
check "  the taint removed: /healthz 200 again" wait_until $W eval '[ "$(hz healthz)" = 200 ]'
ctl_apply "$(node_obj 10.244.7.0/24 ', "deletionTimestamp": "2026-12-05T12:00:00Z"')"
check "a deletion timestamp: /healthz 503" wait_until $W eval '[ "$(hz healthz)" = 503 ]'
ctl_apply "$(node_obj 10.244.7.0/24)"
check "  gone again: 200" wait_until $W eval '[ "$(hz healthz)" = 200 ]'
ctl '{"op": "delete", "kind": "Node", "namespace": "", "name": "nd"}'
check "the Node deleted: /healthz 503" wait_until $W eval '[ "$(hz healthz)" = 503 ]'
check "  the metrics port's /healthz is a plain liveness check: 200 \"ok\"" \
	eval '[ "$(code http://127.0.0.1:10249/healthz)" = 200 ] && [ "$(cat "$LIB_TMP/body")" = ok ]'
kill "$AGENT4"
wait_until $W not kill -0 "$AGENT4"

[ "$LIB_FAILS" = 0 ] || sed 's/^/agent: /' "$LIB_TMP/agent.err"
[ "$LIB_FAILS" = 0 ] || sed 's/^/agent4: /' "$LIB_TMP/agent4.err"
exit "$(lib_result)"
