#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The examples of examples/kube-proxy/ that run the agent: the DaemonSet
# manifest parses as the four objects it needs, the options it passes
# are ones `ipvsctl kube run` takes (checked by running ipvsctl's own
# option parser on them: a dry parse with --help), the probe's path and
# port are the agent's defaults, and the systemd unit passes
# systemd-analyze verify where that tool is installed.
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}
ex=$top/examples/kube-proxy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 fail=0 skipped=0
point() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=$((fail + 1)); fi
}

echo "TAP version 13"
echo "1..5"

python3 - "$ex/ipvsctl-kube.yaml" >"$tmp/args" 2>"$tmp/err" <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
kinds = [d["kind"] for d in docs]
assert kinds == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet"], kinds
ds = docs[3]["spec"]["template"]["spec"]
assert ds["hostNetwork"] is True
c = ds["containers"][0]
assert c["command"] == ["ipvsctl", "kube", "run"], c["command"]
assert ds["serviceAccountName"] == docs[0]["metadata"]["name"]
probe = c["livenessProbe"]["httpGet"]
print(probe["path"], probe["port"])
for a in c["args"]:
    print(a.replace("$(NODE_NAME)", "node-a").replace("$(NODE_IP)", "192.0.2.10"))
PY
point $? "the manifest: ServiceAccount, ClusterRole, binding, DaemonSet on the host network running 'ipvsctl kube run' ($(head -c 200 "$tmp/err"))"
read -r path port <"$tmp/args"
point "$([ "$path" = /livez ] && [ "$port" = 10256 ]; echo $?)" "its liveness probe: /livez on 10256 ($path $port)"
mapfile -t args < <(tail -n +2 "$tmp/args")
"$tool" kube run "${args[@]}" --help >/dev/null 2>"$tmp/err2"
rc=$?
point "$rc" "ipvsctl kube run takes its options (${args[*]}) ($(head -c 200 "$tmp/err2"))"
"$tool" kube run --no-such-option --help >/dev/null 2>&1
rc=$?
point "$([ $rc = 2 ]; echo $?)" "  (which the parse does check: an unknown option exits 2, got $rc)"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$ex/ipvsctl-kube.service" >"$tmp/sd" 2>&1
	rc=$?
	point "$rc" "the systemd unit passes systemd-analyze verify ($(head -c 200 "$tmp/sd"))"
else
	n=$((n + 1)); skipped=1
	echo "ok $n the systemd unit passes systemd-analyze verify # SKIP no systemd-analyze"
fi
echo "# Totals: pass:$((n - fail - skipped)) fail:$fail xfail:0 xpass:0 skip:$skipped error:0"
[ "$fail" = 0 ]
