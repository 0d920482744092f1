#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kube agent at scale, in one boot:
#   vm_kube_bench.sh OUTDIR [SERVICES [BACKENDS [CHANGES]]]   (OUTDIR relative to the tree)
#
# 1. A full resync: SERVICES (default 10,000) Services x BACKENDS (5)
#    endpoints, "ipvsctl kube sync" from empty (IPVS, the addresses on
#    kube-ipvs0, the nftables table, the sysctls) against "ipvsctl apply
#    --vip-dev kube-ipvs0" of the same IPVS state (kube render's output),
#    each in its own namespace, best of 3, and their ratio. rr everywhere
#    (maglev's tables for 10,000 services would not fit the VM's memory
#    next to both copies).
# 2. Sync latency: "ipvsctl kube run" against tools/fakeapi.py, with 1,000
#    and with SERVICES Services; CHANGES (default 30) EndpointSlice
#    changes, one at a time from idle (each waits for the one before to
#    show and for --min-sync-period): from the change posted to the fake
#    API server to the new endpoint in IPVS, read by polling ipvsadm every
#    20 ms; p50, p99 (the worst of 30) and the mean.
# 3. The agent's CPU with nothing changing: its utime + stime over 60 s
#    after it converged at SERVICES Services, and the periodic syncs
#    (--sync-period, default 30 s; partial: they read only the ruleset's
#    generation) that fell in that time; then the cost of a full sync
#    (--full-sync-period, default 1 h), from the agent's log.
# Writes OUTDIR/vm-kube.md. Asserts nothing about speed.

source "$(dirname "$0")/../net/lib.sh"
lib_init

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
NS_SVC=${2:-10000}
NB=${3:-5}
CHANGES=${4:-30}
FAKE=$IPVSM_SRC/selftests/net/tools/fakeapi.py
md=$out/vm-kube.md

# objects N FILE: N Services with a slice of NB endpoints each
objects() {
	python3 - "$1" "$NB" >"$2" <<'PY'
import json, sys
n, nb = int(sys.argv[1]), int(sys.argv[2])
items = []
for s in range(n):
    vip = "10.%d.%d.%d" % (96 + s // 62500, (s // 250) % 250, s % 250 + 1)
    items.append({"kind": "Service", "apiVersion": "v1",
                  "metadata": {"namespace": "bench", "name": "s%d" % s},
                  "spec": {"type": "ClusterIP", "clusterIP": vip, "clusterIPs": [vip],
                           "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}]}})
    items.append({"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
                  "metadata": {"namespace": "bench", "name": "s%d-1" % s,
                               "labels": {"kubernetes.io/service-name": "s%d" % s}},
                  "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
                  "endpoints": [{"addresses": ["10.200.%d.%d" % (s % 250, (s * nb + b) % 250 + 1)],
                                 "conditions": {"ready": True}, "nodeName": "other"}
                                for b in range(nb)]})
json.dump({"kind": "List", "apiVersion": "v1", "items": items}, sys.stdout)
PY
}

timed() { # timed NS CMD...: wall time in ms into $LIB_TMP/took (see vm_apply_bench.sh)
	local ns=$1
	shift
	in_ns "$ns" bash -c 's=${EPOCHREALTIME/./}; "$@"; rc=$?
		echo $(((${EPOCHREALTIME/./} - s) / 1000)) >"$0"; exit $rc' "$LIB_TMP/took" "$@"
}
took() { cat "$LIB_TMP/took"; }
best() { sort -n | head -n 1; }
count() { in_ns "$1" ipvsadm -Ln | awk '/^TCP/ { s++ } $1 == "->" && $2 ~ /^[0-9]/ { b++ } END { print s + 0, b + 0 }'; }

log "generating $NS_SVC Services x $NB endpoints"
objects "$NS_SVC" "$LIB_TMP/big.json"
objects 1000 "$LIB_TMP/small.json"
"$IPVSCTL" -q kube render -f "$LIB_TMP/big.json" --node nd --scheduler rr >"$LIB_TMP/big.conf"

# ---- 1. full resync -------------------------------------------------------
setup_or_die "namespace for kube sync" mkns NSK benchkube
setup_or_die "namespace for apply" mkns NSP benchapply
: >"$LIB_TMP/t-kube"
: >"$LIB_TMP/t-apply"
for r in 1 2 3; do
	in_ns "$NSK" "$IPVSCTL" -q kube cleanup --state-dir "$LIB_TMP/st" 2>/dev/null
	in_ns "$NSK" ipvsadm -C
	timed "$NSK" "$IPVSCTL" -q kube sync -f "$LIB_TMP/big.json" --node nd --scheduler rr \
		--state-dir "$LIB_TMP/st" || fail "kube sync failed"
	took >>"$LIB_TMP/t-kube"
	in_ns "$NSP" ipvsadm -C
	in_ns "$NSP" ip link del kube-ipvs0 2>/dev/null
	timed "$NSP" "$IPVSCTL" -q apply --vip-dev kube-ipvs0 -f "$LIB_TMP/big.conf" ||
		fail "apply failed"
	took >>"$LIB_TMP/t-apply"
done
ck=$(count "$NSK")
cp=$(count "$NSP")
check "both hold $NS_SVC services x $NB ($ck; $cp)" test "$ck" = "$NS_SVC $((NS_SVC * NB))" -a "$cp" = "$ck"
t_kube=$(best <"$LIB_TMP/t-kube")
t_apply=$(best <"$LIB_TMP/t-apply")
vips=$(in_ns "$NSK" ip -o addr show dev kube-ipvs0 scope global | wc -l)
elems=$(in_ns "$NSK" nft list set inet ipvsctl cluster4 | grep -o ' \. tcp \. 80' | wc -l)
in_ns "$NSK" "$IPVSCTL" -q kube cleanup --state-dir "$LIB_TMP/st"
in_ns "$NSP" ipvsadm -C

# ---- 2. sync latency, 3. idle CPU ---------------------------------------------
# agent_run NAME OBJECTS: start the fake server and the agent in a fresh
# namespace; wait until it converged
agent_run() {
	local name=$1 file=$2
	mkns NSR "$name" || return 1
	rm -f "$LIB_TMP/fake.port"
	bg_in_ns "$NSR" python3 "$FAKE" --port 0 --ready "$LIB_TMP/fake.port" --objects "$file"
	FAKEPID=$LAST_PID
	wait_until 60 test -s "$LIB_TMP/fake.port" || return 1
	PORT=$(cat "$LIB_TMP/fake.port")
	bg_in_ns "$NSR" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" --node nd --scheduler rr \
		--state-dir "$LIB_TMP/st-$name" --healthz-bind-address "" \
		--metrics-bind-address 127.0.0.1:10249 2>"$LIB_TMP/agent-$name.err"
	AGENTPID=$LAST_PID
}
converged() { # converged N: N services with their endpoints
	[ "$(count "$NSR")" = "$1 $(($1 * NB))" ]
}

# timings MODE K: K changes one at a time from idle, each timed from its
# POST to the fake API server to its effect in IPVS (read with ipvsadm
# every 20 ms); prints the sorted samples (ms). MODE "slice": a new
# endpoint in the EndpointSlice of Services 0, 7, 14...; "service": a new
# Service (10.250.0.I) with one endpoint.
timings() {
	in_ns "$NSR" python3 - "$PORT" "$1" "$2" "$NB" <<'PY'
import json, subprocess, sys, time, urllib.request
port, mode, k, nb = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def slice_of(name, svc, eps):
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": {"namespace": "bench", "name": name,
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}, "nodeName": "other"}
                          for a in eps]}
samples = []
for i in range(k):
    if mode == "slice":
        s = i * 7
        vip = "10.%d.%d.%d" % (96 + s // 62500, (s // 250) % 250, s % 250 + 1)
        new = "10.201.%d.%d" % (i // 250, i % 250 + 1)
        eps = ["10.200.%d.%d" % (s % 250, (s * nb + b) % 250 + 1) for b in range(1, nb)] + [new]
        objs = [slice_of("s%d-1" % s, "s%d" % s, eps)]
    else:
        vip, new = "10.250.0.%d" % (i + 1), "10.202.0.%d" % (i + 1)
        objs = [{"kind": "Service", "apiVersion": "v1",
                 "metadata": {"namespace": "bench", "name": "add%d" % i},
                 "spec": {"type": "ClusterIP", "clusterIP": vip, "clusterIPs": [vip],
                          "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}]}},
                slice_of("add%d-1" % i, "add%d" % i, [new])]
    time.sleep(1.5)     # idle: the last sync is older than --min-sync-period
    t0 = time.monotonic()
    for obj in objs:
        urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/control" % port,
            json.dumps({"op": "apply", "object": obj}).encode(), method="POST")).read()
    deadline = t0 + 120
    while time.monotonic() < deadline:
        o = subprocess.run(["ipvsadm", "-Ln", "-t", vip + ":80"], capture_output=True,
                           text=True).stdout
        if new + ":8080" in o:
            break
        time.sleep(0.02)
    else:
        print("timeout", file=sys.stderr)
        sys.exit(1)
    samples.append((time.monotonic() - t0) * 1000)
for v in sorted(samples):
    print("%.0f" % v)
PY
}
# nft_ms FILE WHAT: the nftables step's ms of the agent's syncs whose table
# was WHAT ("replaced" or "elements"), sorted
nft_ms() {
	sed -n "s/.*nftables \([0-9]*\) ([0-9]* *$2).*/\1/p" "$1" | sort -n
}

pct() { # pct P FILE: the P-th percentile (nearest rank) of sorted samples
	awk -v p="$1" '{ v[NR] = $1 } END { r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; print v[r] }' "$2"
}
mean() { awk '{ s += $1 } END { printf "%.0f", s / NR }' "$1"; }

for n in 1000 "$NS_SVC"; do
	[ "$n" = 1000 ] && f=$LIB_TMP/small.json || f=$LIB_TMP/big.json
	setup_or_die "agent at $n services" agent_run "a$n" "$f"
	check "the agent converged at $n services" wait_until 900 converged "$n"
	timings slice "$CHANGES" >"$LIB_TMP/lat-$n" || fail "latency at $n: a change did not show"
	eval "p50_$n=\$(pct 50 \"\$LIB_TMP/lat-$n\") p99_$n=\$(pct 99 \"\$LIB_TMP/lat-$n\") mean_$n=\$(mean \"\$LIB_TMP/lat-$n\")"
	if [ "$n" = "$NS_SVC" ]; then
		timings service 5 >"$LIB_TMP/adds" || fail "a Service added did not show"
		add_p50=$(pct 50 "$LIB_TMP/adds")
		nft_ms "$LIB_TMP/agent-a$n.err" elements >"$LIB_TMP/nft-elems"
		nft_ms "$LIB_TMP/agent-a$n.err" replaced >"$LIB_TMP/nft-repl"
		nft_elems_p50=$(pct 50 "$LIB_TMP/nft-elems")
		nft_repl=$(head -n 1 "$LIB_TMP/nft-repl")
		hz=$(getconf CLK_TCK)
		cpu() { awk '{ print $14 + $15 }' "/proc/$AGENTPID/stat"; }
		syncs() { in_ns "$NSR" curl -s http://127.0.0.1:10249/metrics | awk '$1 == "ipvsctl_kube_syncs_total" { print $2 }'; }
		fulls() { in_ns "$NSR" curl -s http://127.0.0.1:10249/metrics | awk '$1 == "ipvsctl_kube_full_syncs_total" { print $2 }'; }
		f0=$(fulls)
		c0=$(cpu)
		s0=$(syncs)
		w0=$(date +%s)
		while [ $(($(date +%s) - w0)) -lt 60 ]; do sleep 1; done	# a measurement window, not a wait for state
		c1=$(cpu)
		s1=$(syncs)
		idle_cpu_s=$(awk -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.2f", c / hz }')
		idle_syncs=$((s1 - s0))
		idle_fulls=$(($(fulls) - f0))
		last_ms=$(grep 'sync done' "$LIB_TMP/agent-a$n.err" | tail -n 1 | sed 's/.*, \([0-9]*\) ms (at .*/\1/')
		full_ms=$(grep 'full sync done' "$LIB_TMP/agent-a$n.err" | head -n 1 | sed 's/.*, \([0-9]*\) ms (at .*/\1/')
	fi
	if [ "$n" = "$NS_SVC" ]; then
		# the same, with a full sync every 30 s (kube-proxy's IPVS mode
		# reads everything at every sync): a second agent on the same state
		kill "$AGENTPID" 2>/dev/null
		wait "$AGENTPID" 2>/dev/null
		bg_in_ns "$NSR" "$IPVSCTL" kube run --server "http://127.0.0.1:$PORT" --node nd \
			--scheduler rr --state-dir "$LIB_TMP/st-a$n" --healthz-bind-address "" \
			--metrics-bind-address 127.0.0.1:10249 --full-sync-period 30s \
			2>"$LIB_TMP/agent-full.err"
		AGENTPID=$LAST_PID
		wait_until 900 grep -q 'full sync done' "$LIB_TMP/agent-full.err" || fail "the second agent did not sync"
		c0=$(cpu)
		f0=$(fulls)
		w0=$(date +%s)
		while [ $(($(date +%s) - w0)) -lt 60 ]; do sleep 1; done	# a measurement window, not a wait for state
		c1=$(cpu)
		full_cpu_s=$(awk -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.2f", c / hz }')
		full_fulls=$(($(fulls) - f0))
		full_last_ms=$(grep 'full sync done' "$LIB_TMP/agent-full.err" | tail -n 1 | sed 's/.*, \([0-9]*\) ms (at .*/\1/')
	fi
	kill "$AGENTPID" "$FAKEPID" 2>/dev/null
	wait "$AGENTPID" 2>/dev/null
	in_ns "$NSR" ipvsadm -C
done

{
	echo "| | ipvsctl kube sync | ipvsctl apply --vip-dev | ratio |"
	echo "|---|---|---|---|"
	echo "| full resync, $NS_SVC Services x $NB endpoints, from empty (best of 3) | $t_kube ms | $t_apply ms | $(awk -v a="$t_kube" -v b="$t_apply" 'BEGIN { printf "%.2f", a / b }') |"
	echo
	echo "kube sync's part beyond apply's: the nftables table ($elems cluster-IP elements) and the sysctls; both put $vips addresses on kube-ipvs0."
	echo
	echo "| Sync latency, EndpointSlice change to IPVS ($CHANGES changes from idle) | p50 | p99 | mean |"
	echo "|---|---|---|---|"
	echo "| 1,000 Services | ${p50_1000} ms | ${p99_1000} ms | ${mean_1000} ms |"
	eval "echo \"| $NS_SVC Services | \${p50_$NS_SVC} ms | \${p99_$NS_SVC} ms | \${mean_$NS_SVC} ms |\""
	echo
	echo "A Service added at $NS_SVC Services (5, from idle), POST to IPVS: p50 ${add_p50} ms. The nftables step of a sync that changed the table's elements: p50 ${nft_elems_p50} ms ($(wc -l <"$LIB_TMP/nft-elems") syncs); of the first sync, which replaced the table whole: ${nft_repl} ms."
	echo
	echo "The agent with nothing changing, $NS_SVC Services, 60 s: ${idle_cpu_s} s of CPU; $idle_syncs periodic sync(s) in that time (--sync-period 30s), $idle_fulls of them full; the last took ${last_ms} ms. The agent's first sync (a full one, from empty) took ${full_ms} ms."
	echo
	echo "With --full-sync-period 30s (every periodic sync a full one, as kube-proxy's IPVS mode), 60 s: ${full_cpu_s} s of CPU, $full_fulls full sync(s); the last took ${full_last_ms} ms (nothing to change: reading and diffing IPVS, the addresses, the table's generation)."
} >"$md"
cat "$md"
exit "$(lib_result)"
