#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The IPVS_MAGLEV family driven by the kernel's own YNL client
# (tools/net/ynl/cli.py from Debian's linux-source-6.12, which
# scripts/deps.sh installs in /usr/local/share/ipvs-maglev/ynl) from the
# family's spec, docs/netlink/ipvs_maglev.yaml: get-info (do), set-service
# (do), get-service (do and dump), get-backend (dump), lookup (do, several
# in one message), set-backend (do). Every value YNL prints is compared
# with what ipvsctl -j prints for the same object; bad requests come back
# with the kernel's extack, which YNL resolves to the attribute named in
# the spec. A spec whose numbers, types, byte order or nesting differ from
# the module's fails here against the real kernel.
#
#   DR (one namespace, no links: the services carry no traffic)
#     tcp 10.0.1.100:80       maglev  ->  10.0.2.11:8080 w1, .12 w2, .13 w3
#     tcp [fd00:ff::100]:443  maglev  ->  [fd00:2::11]:443 w1

source "$(dirname "$0")/lib.sh"
lib_init

YNL_DIR=${YNL_DIR:-/usr/local/share/ipvs-maglev/ynl}
YNL_CLI=$YNL_DIR/tools/net/ynl/cli.py
YNL_SCHEMA=$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml
SPEC=$(cd "$LIB_DIR/../.." && pwd)/docs/netlink/ipvs_maglev.yaml
CMP="$LIB_DIR/tools/ynl_cmp.py"
# Debian's python, where deps.sh installs python3-yaml and python3-jsonschema
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

[ -f "$YNL_CLI" ] && [ -f "$YNL_SCHEMA" ] ||
	skip "the kernel's YNL client is not in $YNL_DIR (scripts/deps.sh installs it)"
$PY -c 'import yaml, jsonschema' 2>/dev/null ||
	skip "python3-yaml or python3-jsonschema is missing (scripts/deps.sh installs them)"
[ -f "$SPEC" ] || skip "no spec at $SPEC"

SVC=tcp/$VIP:80
SVC6="tcp/[$VIP6]:443"
# the services' identities as YNL takes them (addresses in hex; ports as
# numbers, which the spec makes big-endian)
ID4='"af": 2, "protocol": 6, "addr": "0a000164", "port": 80'
ID6='"af": 10, "protocol": 6, "addr": "fd0000ff000000000000000000000100", "port": 443'

# ynl ARGS...: the kernel's client in DR; its reply as one line of JSON,
# or on error the kernel's errno and extack. The first call validates the
# spec against the kernel's schema; the others skip that (it doubles the
# client's start under emulation, and the unit test checks it anyway).
ynl() {
	in_ns "$DR" $PY "$YNL_CLI" --spec "$SPEC" --no-schema --output-json "$@"
}

ynl_ready() {
	in_ns "$DR" $PY "$YNL_CLI" --spec "$SPEC" --schema "$YNL_SCHEMA" --output-json \
		--do get-info >"$LIB_TMP/ready" 2>&1
}

# cmp_ynl MODE YNL_OUT IPVSCTL_OUT [MIN]: every field YNL printed equals ipvsctl's
cmp_ynl() {
	local rc
	$PY "$CMP" "$@" >"$LIB_TMP/cmp" 2>&1
	rc=$?
	sed 's/^/    /' "$LIB_TMP/cmp"
	return $rc
}

# ctl_snap NS SERVICE: ipvsctl -j maglev show of one service into
# $LIB_TMP/snap, one "dotted.path value" line per field, backends' under
# backend.ADDR:PORT.; ctl PATH reads one (a python start per field costs
# seconds under emulation, awk does not)
ctl_snap() {
	mg_json "$1" "$2" | $PY -c '
import json, sys
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(p + [k], x)
    elif isinstance(v, list):
        for x in v:
            walk(p + [x.get("backend", "?")], x)
    else:
        print(".".join(p), str(v).lower() if isinstance(v, bool) else v)
walk([], json.load(sys.stdin)["services"][0])' >"$LIB_TMP/snap"
}

ctl() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "missing" }' "$LIB_TMP/snap"
}

# ynl_error WHAT OUT PATTERN...: the request failed and its output has
# every pattern
ynl_error() {
	local what=$1 out=$2 p
	shift 2
	for p in "$@"; do
		check "$what: the reply has \"$p\"" grep -qF -- "$p" "$out"
	done
}

setup_or_die "namespace" mkns DR dr
setup_or_die "IPv4 service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "10.0.2.1$i:8080" -m -w "$i"
done
setup_or_die "IPv6 service" ipvs -A -t "[$VIP6]:443" -s maglev
setup_or_die "IPv6 backend" ipvs -a -t "[$VIP6]:443" -r "[fd00:2::11]:443" -m -w 1
# the module registers the family from a work item after it loads
setup_or_die "the family resolves for YNL" wait_until 20 ynl_ready
setup_or_die "IPv4 table settles" wait_until 10 mg_settled "$DR" "$SVC"
setup_or_die "IPv6 table settles" wait_until 10 mg_settled "$DR" "$SVC6"

# ---- get-info (do) -----------------------------------------------------------
# (the call that found the family ready)
cp "$LIB_TMP/ready" "$LIB_TMP/info.ynl"
check "get-info (do) answers, from a spec the client validated against the kernel's schema" \
	grep -q '^{"info": ' "$LIB_TMP/info.ynl"
log "get-info: $(cat "$LIB_TMP/info.ynl")"
"$IPVSCTL" -N "$DR" -j maglev info >"$LIB_TMP/info.ctl"
check "get-info: every attribute as ipvsctl -j maglev info says" \
	cmp_ynl info "$LIB_TMP/info.ynl" "$LIB_TMP/info.ctl"
check "get-info: 2 services in the namespace" grep -q '"services": 2' "$LIB_TMP/info.ynl"

# ---- set-service (do) -----------------------------------------------------------
ynl --do set-service --json "{\"service\": {$ID4, \"table-size\": 4093,
	\"ss-window-ms\": 30000, \"ss-aggression\": 2500, \"ss-min-pct\": 20,
	\"hash\": \"five-tuple\", \"pin\": \"on\", \"pin-max\": 1000}}" >"$LIB_TMP/set.ynl" 2>&1
rc=$?
cat "$LIB_TMP/set.ynl"
check "set-service (do) is accepted: the big-endian port named the service" test $rc -eq 0
check "IPv4 table settles after set-service" wait_until 10 mg_settled "$DR" "$SVC"
ctl_snap "$DR" "$SVC"
check "ipvsctl: table size 4093" test "$(ctl table_size)" = 4093
check "ipvsctl: live table 4093 slots" test "$(ctl table_size_active)" = 4093
check "ipvsctl: slow start window 30000 ms" test "$(ctl slow_start.window_ms)" = 30000
check "ipvsctl: slow start aggression 2.5" test "$(ctl slow_start.aggression)" = 2.5
check "ipvsctl: slow start floor 20%" test "$(ctl slow_start.min_pct)" = 20
check "ipvsctl: hash 5tuple (the enum by name)" test "$(ctl hash)" = 5tuple
check "ipvsctl: pinning on" test "$(ctl pinning.mode)" = on
check "ipvsctl: pin cap 1000" test "$(ctl pinning.max)" = 1000
ctl_snap "$DR" "$SVC6"
check "ipvsctl: the IPv6 service kept the default size" test "$(ctl table_size)" = 0

# ---- get-service (dump, and do) ---------------------------------------------------
ynl --dump get-service >"$LIB_TMP/svcs.ynl"
check "get-service (dump) answers" test $? -eq 0
"$IPVSCTL" -N "$DR" -j maglev show >"$LIB_TMP/svcs.ctl"
check "get-service (dump): both services, every attribute as ipvsctl -j maglev show says" \
	cmp_ynl services "$LIB_TMP/svcs.ynl" "$LIB_TMP/svcs.ctl" 2
ynl --do get-service --json "{\"service\": {$ID6}}" >"$LIB_TMP/svc6.ynl"
check "get-service (do) by an IPv6 identity answers" test $? -eq 0
check "get-service (do): the 16-byte address prints as fd00:ff::100" \
	grep -q '"addr": "fd00:ff::100"' "$LIB_TMP/svc6.ynl"
mg_json "$DR" "$SVC6" >"$LIB_TMP/svc6.ctl"
check "get-service (do): every attribute as ipvsctl says" \
	cmp_ynl services "$LIB_TMP/svc6.ynl" "$LIB_TMP/svc6.ctl" 1

# ---- set-backend (do): drain metadata, a u64; get-backend (dump) ----------------
BE3='"af": 2, "addr": "0a00020d", "port": 8080'
ynl --do set-backend --json "{\"service\": {$ID4}, \"backend\": {$BE3,
	\"saved-weight\": 7, \"drain-deadline\": 4102444800}}"
check "set-backend (do) is accepted" test $? -eq 0
ctl_snap "$DR" "$SVC"
check "ipvsctl: saved weight 7" test "$(ctl backends.10.0.2.13:8080.drain_saved_weight)" = 7
check "ipvsctl: drain deadline 4102444800" \
	test "$(ctl backends.10.0.2.13:8080.drain_deadline)" = 4102444800
ynl --dump get-backend --json "{\"service\": {$ID4}}" >"$LIB_TMP/bes.ynl"
check "get-backend (dump) answers" test $? -eq 0
mg_json "$DR" "$SVC" >"$LIB_TMP/bes.ctl"
check "get-backend (dump): 3 backends, every attribute (drain metadata too) as ipvsctl says, slots add up to 4093" \
	cmp_ynl backends "$LIB_TMP/bes.ynl" "$LIB_TMP/bes.ctl" 3
ynl --dump get-backend --json "{\"service\": {$ID6}}" >"$LIB_TMP/bes6.ynl"
mg_json "$DR" "$SVC6" >"$LIB_TMP/bes6.ctl"
check "get-backend (dump), IPv6: every attribute as ipvsctl says" \
	cmp_ynl backends "$LIB_TMP/bes6.ynl" "$LIB_TMP/bes6.ctl" 1
ynl --do set-backend --json "{\"service\": {$ID4}, \"backend\": {$BE3,
	\"saved-weight\": 0, \"drain-deadline\": 0}}"
ctl_snap "$DR" "$SVC"
check "set-backend (do) clears the metadata" \
	test "$(ctl backends.10.0.2.13:8080.drain_saved_weight)" = None

# ---- lookup (do), four in one message -------------------------------------------------
multi=()
ports=()
for p in 1000 20000 40000 65000; do
	multi+=(--multi lookup "{\"service\": {$ID4}, \"flow\": {\"saddr\": \"0a000102\", \"sport\": $p}}")
	ports+=("10.0.1.2:$p")
done
ynl "${multi[@]}" >"$LIB_TMP/lk.ynl"
check "lookup (do) x4 in one message answers" test $? -eq 0
"$IPVSCTL" -N "$DR" -j maglev lookup "$SVC" "${ports[@]}" >"$LIB_TMP/lk.ctl"
check "lookup: the same backend, index and slot as ipvsctl maglev lookup, port by port" \
	cmp_ynl lookups "$LIB_TMP/lk.ynl" "$LIB_TMP/lk.ctl" 4

# ---- bad requests: the kernel's extack, at the spec's attribute ---------------------
ctl_snap "$DR" "$SVC"
rebuilds=$(ctl rebuilds)
ynl --do set-service --json "{\"service\": {$ID4, \"table-size\": 1000}}" >"$LIB_TMP/bad1" 2>&1
rc=$?
cat "$LIB_TMP/bad1"
check "table size 1000 (not prime) is refused" test $rc -eq 1
ynl_error "table size 1000" "$LIB_TMP/bad1" "Invalid argument" \
	"table size must be a prime between 251 and 1048573" "'bad-attr': '.service.table-size'"

ynl --do set-service --json "{\"service\": {$ID4, \"table-size\": 2000003}}" >"$LIB_TMP/bad2" 2>&1
check "table size 2000003 (beyond the policy) is refused" test $? -eq 1
cat "$LIB_TMP/bad2"
ynl_error "table size 2000003" "$LIB_TMP/bad2" "'bad-attr': '.service.table-size'" \
	"'max-value': 1048573"

ynl --do set-service --json "{\"service\": {$ID4, \"ss-aggression\": 50}}" >"$LIB_TMP/bad3" 2>&1
check "slow start aggression 50 (below the policy) is refused" test $? -eq 1
cat "$LIB_TMP/bad3"
ynl_error "aggression 50" "$LIB_TMP/bad3" "'bad-attr': '.service.ss-aggression'" "'min-value': 100"

ynl --do set-service --json "{\"service\": {$ID4, \"rebuilds\": 0}}" >"$LIB_TMP/bad4" 2>&1
check "a reported-only attribute (rebuilds) is refused" test $? -eq 1
cat "$LIB_TMP/bad4"
ynl_error "rebuilds" "$LIB_TMP/bad4" "'bad-attr': '.service.rebuilds'"

ctl_snap "$DR" "$SVC"
check "after the bad requests: the live table still 4093" test "$(ctl table_size_active)" = 4093
check "after the bad requests: aggression still 2.5" test "$(ctl slow_start.aggression)" = 2.5
check "after the bad requests: no rebuild" test "$(ctl rebuilds)" = "$rebuilds"

exit "$(lib_result)"
