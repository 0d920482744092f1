#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl at scale: 10,000 services (1,000 of them maglev), each with one
# backend, applied from one file, listed with --json through multipart
# dumps of both families, saved and compared with ipvsadm.
#
#   DR: a namespace with no links; services on 10.10.0.0/16 and 10.11.0.0/16

source "$(dirname "$0")/lib.sh"
lib_init

N=10000
NMG=1000
setup_or_die "namespace" mkns DR dr

{
	for i in $(seq 0 $((N - 1))); do
		a="10.$((10 + i / 65536)).$(((i / 256) % 256)).$((i % 256))"
		if [ "$i" -lt $NMG ]; then
			echo "service add tcp/$a:80 scheduler maglev table-size 251"
		else
			echo "service add tcp/$a:80 scheduler rr"
		fi
		echo "backend add tcp/$a:80 192.168.$(((i / 256) % 256)).$((i % 256)):8080 method nat weight $((i % 7 + 1))"
	done
} >"$LIB_TMP/state"

start=$(date +%s%N)
check "apply $N services and $N backends from one file" "$IPVSCTL" -N "$DR" -q restore "$LIB_TMP/state"
log "apply: $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "ipvsadm counts $N services" test "$(in_ns "$DR" ipvsadm -Ln | grep -c '^TCP')" -eq $N

start=$(date +%s%N)
"$IPVSCTL" -N "$DR" -j list >"$LIB_TMP/list.json"
log "list --json: $(( ($(date +%s%N) - start) / 1000000 )) ms, $(wc -c <"$LIB_TMP/list.json") bytes"
python3 - "$LIB_TMP/list.json" $N $NMG >"$LIB_TMP/verdict" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
n, nmg = int(sys.argv[2]), int(sys.argv[3])
svcs = j["services"]
names = {s["service"] for s in svcs}
ok = len(svcs) == n and len(names) == n
ok = ok and all(len(s["backends"]) == 1 for s in svcs)
mg = [s for s in svcs if s["scheduler"] == "maglev"]
ok = ok and len(mg) == nmg and all(s["maglev"]["table_size_active"] == 251 for s in mg)
ok = ok and all(s["backends"][0]["maglev"]["slots"] == 251 for s in mg)
ok = ok and all(s["maglev"] is None for s in svcs if s["scheduler"] != "maglev")
# the weight pattern written into the file
for s in svcs:
    i = (int(s["address"].split(".")[1]) - 10) * 65536 + int(s["address"].split(".")[2]) * 256 + int(s["address"].split(".")[3])
    if s["backends"][0]["weight"] != i % 7 + 1:
        ok = False
        break
print("ok" if ok else "bad: %d services, %d unique, %d maglev" % (len(svcs), len(names), len(mg)))
PY
cat "$LIB_TMP/verdict"
check "list --json: $N distinct services, each with its backend, weight and maglev state" \
	test "$(cat "$LIB_TMP/verdict")" = ok

"$IPVSCTL" -N "$DR" save >"$LIB_TMP/saved"
check "save: $((2 * N)) lines" test "$(wc -l <"$LIB_TMP/saved")" -eq $((2 * N))
check "save prints exactly the commands we applied" \
	cmp -s <(sort "$LIB_TMP/saved") <(sort "$LIB_TMP/state")
in_ns "$DR" ipvsadm-save -n >"$LIB_TMP/adm"
check "ipvsadm-save agrees on $N services" test "$(grep -c '^-A' "$LIB_TMP/adm")" -eq $N

start=$(date +%s%N)
check "flush" "$IPVSCTL" -N "$DR" flush
log "flush: $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "empty" test "$(in_ns "$DR" ipvsadm -Ln | grep -c '^TCP')" -eq 0

exit "$(lib_result)"
