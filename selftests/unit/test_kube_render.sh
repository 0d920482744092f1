#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl kube render, run on the host (it reads no kernel state): the
# shipped example renders, node ports on --node-ip's addresses or on this
# host's within --nodeport-addresses (loopback never), a bad
# object is named and skipped while the rest renders, and bad options or
# input that is not JSON exit 2 with nothing on standard output.
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}
sample=$top/examples/kube-proxy/sample.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 fail=0
point() { # point RC TEXT
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
echo "1..14"

"$tool" kube render -f "$sample" --node node-a >"$tmp/out" 2>"$tmp/err"
rc=$?
point "$([ $rc = 0 ] && grep -q '^service add tcp/10.96.0.20:80 scheduler maglev$' "$tmp/out"; echo $?)" \
	"the example renders (exit $rc)"
"$tool" kube render -f "$sample" --node node-a --nodeport-addresses 198.51.100.0/24,127.0.0.0/8 \
	--nodeport-addresses ::1/128 >"$tmp/out1" 2>"$tmp/err1"
rc=$?
point "$([ $rc = 0 ] && grep -q '^service add tcp/10.96.0.20:80 ' "$tmp/out1" && ! grep -q ':31443 ' "$tmp/out1"
	echo $?)" \
	"--nodeport-addresses holding none of this host's addresses (and loopback, never one): no node-port service (exit $rc)"
"$tool" kube render -f "$sample" --node node-a --nodeport-addresses 0.0.0.0/0,::/0 >"$tmp/out1b" 2>/dev/null
rc=$?
point "$([ $rc = 0 ] && cmp -s "$tmp/out" "$tmp/out1b"; echo $?)" \
	"  0.0.0.0/0,::/0: the same as the default, this host's addresses ($(grep -c ':31443 ' "$tmp/out") node-port services)"
"$tool" kube render -f "$sample" --node node-a --node-ip 192.168.0.10 >"$tmp/out2" 2>/dev/null
point "$(grep -q '^service add tcp/192.168.0.10:31443 scheduler maglev$' "$tmp/out2"; echo $?)" \
	"--node-ip: the node port on that address"

python3 - "$sample" >"$tmp/bad.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = json.loads(json.dumps(doc["items"][0]))
bad["metadata"]["name"] = "broken"
bad["spec"]["ports"][0]["port"] = 70000
doc["items"].append(bad)
json.dump(doc, sys.stdout)
PY
"$tool" kube render -f "$tmp/bad.json" --node node-a >"$tmp/out3" 2>"$tmp/err3"
rc=$?
point "$([ $rc = 0 ] && grep -q 'broken: spec.ports\[0\].port: 70000 is out of range' "$tmp/err3"; echo $?)" \
	"a bad object is named, with its field (exit $rc)"
point "$(cmp -s "$tmp/out" "$tmp/out3"; echo $?)" "  and the others render as before"

cat >"$tmp/local.json" <<'JS'
{"kind": "List", "items": [
 {"kind": "Service", "metadata": {"namespace": "default", "name": "c"},
  "spec": {"clusterIP": "10.96.0.30", "internalTrafficPolicy": "Local", "ports": [{"port": 80}]}},
 {"kind": "EndpointSlice", "metadata": {"namespace": "default", "name": "c-1",
  "labels": {"kubernetes.io/service-name": "c"}}, "addressType": "IPv4", "ports": [{"port": 8080}],
  "endpoints": [{"addresses": ["10.244.1.5"], "nodeName": "node-a"},
                {"addresses": ["10.244.2.7"], "nodeName": "node-b"}]}]}
JS
"$tool" kube render -f "$tmp/local.json" --node NODE-A >"$tmp/out6" 2>/dev/null
point "$(grep -q '^backend add tcp/10.96.0.30:80 10.244.1.5:8080' "$tmp/out6" &&
	! grep -q '10.244.2.7' "$tmp/out6"; echo $?)" \
	"--node in capitals is this node's name in lower case: the Local policy keeps node-a's endpoint only"

echo 'not json' | "$tool" kube render >"$tmp/out4" 2>/dev/null
rc=$?
point "$([ $rc = 2 ] && [ ! -s "$tmp/out4" ]; echo $?)" "input that is not JSON: exit 2, nothing printed ($rc)"
"$tool" kube render --node-ip 10.0.0 -f "$sample" >"$tmp/out5" 2>/dev/null
rc=$?
point "$([ $rc = 2 ] && [ ! -s "$tmp/out5" ]; echo $?)" "a bad --node-ip: exit 2, nothing printed ($rc)"
"$tool" kube render --node-ip 10.0.0.1 --nodeport-addresses 10.0.0.0/8 -f "$sample" >"$tmp/out8" 2>"$tmp/err8"
rc=$?
point "$([ $rc = 2 ] && [ ! -s "$tmp/out8" ] && grep -q 'one or the other' "$tmp/err8"; echo $?)" \
	"--node-ip with --nodeport-addresses: exit 2, nothing printed ($rc)"
"$tool" kube render --nodeport-addresses primary -f "$sample" >"$tmp/out8" 2>"$tmp/err8"
rc=$?
point "$([ $rc = 2 ] && [ ! -s "$tmp/out8" ] && grep -q "'primary' is not supported" "$tmp/err8"; echo $?)" \
	"--nodeport-addresses primary: exit 2, said to be unsupported ($rc)"
"$tool" kube render --detect-local-mode NodeCIDR -f "$sample" >"$tmp/out8" 2>"$tmp/err8"
rc=$?
"$tool" kube render --detect-local-mode Bridge -f "$sample" >>"$tmp/out8" 2>>"$tmp/err8"
rc2=$?
point "$([ $rc = 2 ] && [ $rc2 = 2 ] && [ ! -s "$tmp/out8" ] && grep -q 'NodeCIDR is for run' "$tmp/err8" &&
	grep -q "detect-local-mode 'Bridge'" "$tmp/err8"; echo $?)" \
	"--detect-local-mode NodeCIDR outside run, or an unknown mode: exit 2 ($rc, $rc2)"
echo '{"kind": "List", "apiVersion": "v1", "items": []}' >"$tmp/empty.json"
"$tool" kube sync -f "$tmp/empty.json" --node node-a --state-dir "$tmp/st" >"$tmp/out7" 2>"$tmp/err7"
rc=$?
point "$([ $rc = 2 ] && grep -q 'names no Service; nothing was changed' "$tmp/err7" && [ ! -e "$tmp/st" ]; echo $?)" \
	"kube sync of a List without a Service: refused before anything is touched (exit $rc)"
"$tool" kube frobnicate >/dev/null 2>&1
rc=$?
point "$([ $rc = 2 ]; echo $?)" "an unknown kube command: exit 2 ($rc)"

echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
