#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl kube render --server, against selftests/net/tools/fakeapi.py on
# loopback: the objects listed from an API server render as the same
# objects from a file; a list of several pages is read whole; a missing
# token, an unreachable server and a server error exit with the codes
# ipvsctl(8) documents and say why. Nothing leaves the host: the fake
# server listens on 127.0.0.1, on a port the kernel chooses.
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}
fake=$top/selftests/net/tools/fakeapi.py
sample=$top/examples/kube-proxy/sample.json
tmp=$(mktemp -d)
pids=()
cleanup() {
	[ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

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

# start_fake NAME ARGS...: a fake server; its port in PORT
start_fake() {
	local name=$1 i
	shift
	python3 "$fake" --port 0 --ready "$tmp/$name.port" "$@" 2>"$tmp/$name.err" &
	pids+=($!)
	for ((i = 0; i < 200; i++)); do	# a deadline polled on state: 20 s
		[ -s "$tmp/$name.port" ] && break
		sleep 0.1
	done
	PORT=$(cat "$tmp/$name.port" 2>/dev/null)
	[ -n "$PORT" ]
}

echo "TAP version 13"
echo "1..6"

printf 's3cret\n' >"$tmp/token"
if ! start_fake a --objects "$sample" --token s3cret; then
	echo "Bail out! the fake API server did not start: $(cat "$tmp/a.err")"
	exit 1
fi
"$tool" kube render --server "http://127.0.0.1:$PORT/" --token-file "$tmp/token" --node node-a \
	--node-ip 192.168.0.10 >"$tmp/srv" 2>"$tmp/srv.err"
rc=$?
"$tool" kube render -f "$sample" --node node-a --node-ip 192.168.0.10 >"$tmp/file" 2>/dev/null
point "$([ $rc = 0 ] && [ -s "$tmp/srv" ] && cmp -s "$tmp/srv" "$tmp/file"; echo $?)" \
	"listed from the server: the same as from the file (exit $rc)"

"$tool" kube render --server "http://127.0.0.1:$PORT" --node node-a >/dev/null 2>"$tmp/err"
rc=$?
point "$([ $rc = 3 ] && grep -q 'HTTP 401' "$tmp/err"; echo $?)" "no token: exit 3, 'HTTP 401' ($rc)"

curl_post() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode()))' "$@"; }
curl_post "http://127.0.0.1:$PORT/control" '{"op": "fail", "status": 500, "count": 1}'
"$tool" kube render --server "http://127.0.0.1:$PORT" --token-file "$tmp/token" --node node-a \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
point "$([ $rc = 7 ] && grep -q 'HTTP 500: injected' "$tmp/err" && [ ! -s "$tmp/out" ]; echo $?)" \
	"a server error: exit 7, its message, nothing printed ($rc)"

"$tool" kube render --server "http://127.0.0.1:1" --node node-a >/dev/null 2>"$tmp/err"
rc=$?
point "$([ $rc = 7 ]; echo $?)" "nothing listening: exit 7 ($rc)"

# 1200 Services: three pages of 500
python3 - "$tmp/many.json" <<'PY'
import json, sys
items = [{"kind": "Service", "metadata": {"namespace": "ns%d" % (i // 100), "name": "s%d" % i},
          "spec": {"clusterIP": "10.96.%d.%d" % (i // 250, i % 250 + 1), "ports": [{"port": 80}]}}
         for i in range(1200)]
json.dump({"kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
start_fake b --objects "$tmp/many.json" || echo "# the second fake server did not start"
"$tool" kube render --server "http://127.0.0.1:$PORT" --node node-a >"$tmp/many" 2>/dev/null
rc=$?
got=$(grep -c '^service add' "$tmp/many")
point "$([ $rc = 0 ] && [ "$got" = 1200 ]; echo $?)" "1200 Services over three pages: all rendered ($got, exit $rc)"
point "$([ "$(sort -u "$tmp/many" | grep -c '^service add')" = 1200 ]; echo $?)" "  none twice"

echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
