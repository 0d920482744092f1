#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl metrics: the Prometheus text format, for node_exporter's
# textfile collector.
#  - the output parses (prometheus_client's parser), every family has HELP
#    and TYPE, names are snake_case with the ipvsctl_ prefix, counters end
#    in _total, no series appears twice;
#  - without the maglev module, and with it but no maglev service, it
#    works, and reading metrics does not load the module;
#  - after real traffic, every service's and backend's counters, weight and
#    connection counts equal what ipvsadm says, read in one quiet moment
#    (IPVS sums counters in its estimator, every 2 s on 6.2+);
#  - a maglev service's backends own all its table's slots; a backend in
#    slow start has an effective weight below its weight;
#  - with "ipvsctl daemon" running, health metrics appear and a backend
#    whose server is killed goes to 0; with the daemon stopped only
#    ipvsctl_health_daemon_running (0) is left, with no state file nothing;
#  - --textfile replaces the file atomically (a reader never sees a part
#    of one), mode 0644 whatever the umask, no temporary file left;
#  - label values are escaped (a namespace path with a quote, a backslash
#    and a newline), and exit codes: 2 for a bad option, 3 and
#    ipvsctl_ipvs_up 0 when not permitted, 4 for a missing directory.
#
#   CL 10.0.1.2 ---- DR  VIP 10.0.1.100 (NAT) ---- B1..B3 :80
#                    tcp/VIP:80  maglev  B1 B2 (+ B3 in slow start)
#                    tcp/VIP:81  rr      B3
#                    tcp/VIP:82  maglev  B1 B2, health-checked by the daemon

source "$(dirname "$0")/lib.sh"
lib_init

python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client not installed"

SVC=tcp/$VIP:80
RR=tcp/$VIP:81
HC=tcp/$VIP:82
STATE=$LIB_TMP/health.json
NOSTATE=$LIB_TMP/no-such-state.json
PROM=$LIB_TMP/prom.py

# prom.py check FILE: validate FILE, print one line per sample:
#   NAME <tab> LABEL=VALUE,... (sorted) <tab> VALUE
# prom.py adm FLAT STATS LIST: compare with ipvsadm -Ln [--stats --exact]
# prom.py label FILE LABEL VALUE: every sample has LABEL="VALUE"
# prom.py watch FILE STOP: read FILE until STOP exists; every read whole
cat >"$PROM" <<'EOF'
import os, re, sys
from prometheus_client.parser import text_string_to_metric_families as parse

def die(msg):
    print("prom.py: " + msg, file=sys.stderr)
    sys.exit(1)

def check(text):
    if not text.endswith("\n"):
        die("no newline at the end")
    helps = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    seen, out = set(), []
    for fam in parse(text):
        # the parser drops a counter's _total from its family's name
        name = fam.name + ("_total" if fam.type == "counter" else "")
        if not re.fullmatch(r"ipvsctl_[a-z][a-z0-9_]*", name):
            die(name + ": not snake_case with the ipvsctl_ prefix")
        if name not in helps or not fam.documentation:
            die(name + ": no HELP")
        if fam.type not in ("counter", "gauge") or types.get(name) != fam.type:
            die(name + ": no TYPE, or not counter or gauge")
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if s.name != name:
                die(s.name + ": a sample of " + name)
            if key in seen:
                die("%s%s: twice" % key)
            if not s.value >= 0:
                die("%s%s: %r" % (key + (s.value,)))
            seen.add(key)
            v = int(s.value) if float(s.value).is_integer() else s.value
            labels = ",".join("%s=%s" % kv for kv in key[1]).replace("\n", "\\n")
            out.append("%s\t%s\t%s" % (s.name, labels, v))
    return out

def adm(flat, stats, lst):
    m = {}
    for line in open(flat):
        n, l, v = line.rstrip("\n").split("\t")
        m[(n, l)] = v
    want, svc = {}, None
    for line in open(stats):
        f = line.split()
        if len(f) == 7 and f[0] in ("TCP", "UDP", "SCTP"):
            svc = f[0].lower() + "/" + f[1]
            for k, v in zip(("connections", "incoming_packets", "outgoing_packets",
                             "incoming_bytes", "outgoing_bytes"), f[2:]):
                want[("ipvsctl_service_%s_total" % k, "service=" + svc)] = v
        elif len(f) == 7 and f[0] == "->" and svc:
            for k, v in zip(("connections", "incoming_packets", "outgoing_packets",
                             "incoming_bytes", "outgoing_bytes"), f[2:]):
                want[("ipvsctl_backend_%s_total" % k,
                      "backend=%s,service=%s" % (f[1], svc))] = v
    for line in open(lst):
        f = line.split()
        if len(f) >= 3 and f[0] in ("TCP", "UDP", "SCTP"):
            svc = f[0].lower() + "/" + f[1]
        elif len(f) == 6 and f[0] == "->" and f[3].isdigit():
            l = "backend=%s,service=%s" % (f[1], svc)
            want[("ipvsctl_backend_weight", l)] = f[3]
            want[("ipvsctl_backend_active_connections", l)] = f[4]
            want[("ipvsctl_backend_inactive_connections", l)] = f[5]
    ours = {k: v for k, v in m.items()
            if re.match(r"ipvsctl_(service|backend)_(.*_total|weight|.*_connections)$", k[0])}
    bad = sorted(set(want) ^ set(ours)) + \
          sorted(k for k in want if k in ours and want[k] != ours[k])
    for k in bad[:10]:
        print("%s{%s}: ipvsadm %s, metrics %s" % (k + (want.get(k), ours.get(k))),
              file=sys.stderr)
    if not want or bad:
        sys.exit(1)

cmd = sys.argv[1]
if cmd == "check":
    print("\n".join(check(open(sys.argv[2]).read())))
elif cmd == "adm":
    adm(*sys.argv[2:5])
elif cmd == "label":
    fams = list(parse(open(sys.argv[2]).read()))
    vals = {s.labels.get(sys.argv[3]) for f in fams for s in f.samples}
    sys.exit(0 if fams and vals == {sys.argv[4]} else 1)
elif cmd == "watch":
    reads = 0
    while True:
        stop = os.path.exists(sys.argv[3])
        try:
            text = open(sys.argv[2]).read()
        except FileNotFoundError:
            text = None
        if text is not None:
            reads += 1
            check(text)
            if "ipvsctl_build_info" not in text or "no health metrics" not in text:
                die("read %d: a part of the file" % reads)
        if stop:
            break
    print(reads)
EOF

ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
# snap [OPTIONS]: metrics (from inside the namespace: no netns label)
# into m.prom, checked and flattened into m.flat; fails if either fails
snap() {
	in_ns "$DR" "$IPVSCTL" metrics "$@" >"$LIB_TMP/m.prom" &&
		python3 "$PROM" check "$LIB_TMP/m.prom" >"$LIB_TMP/m.flat"
}
# mval NAME [LABELS]: a sample's value from m.flat ("none" if absent);
# LABELS as prom.py prints them, sorted by name
mval() {
	awk -F '\t' -v n="$1" -v l="${2:-}" '$1 == n && $2 == l { print $3; f = 1 } END { if (!f) print "none" }' \
		"$LIB_TMP/m.flat"
}
mval_is() { [ "$(mval "$1" "$2")" = "$3" ]; }
mhas() { grep -q "^$1"$'\t' "$LIB_TMP/m.flat"; }
nsamples() { grep -c "^$1"$'\t' "$LIB_TMP/m.flat"; }
nfamilies() { grep -c "^$1" "$LIB_TMP/m.flat"; }	# samples of names with that prefix
comment_has() { grep -v '^# \(HELP\|TYPE\) ' "$LIB_TMP/m.prom" | grep -q "^# .*$1"; }
be() { echo "backend=${BE_IP[$1]}:80,service=$2"; }

setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
for i in 1 2 3; do
	setup_or_die "server b$i" serve "${BE[i]}" "b$i" 80
	SERVER[i]=$LAST_PID
done
if module_loaded; then
	setup_or_die "unload ip_vs_maglev (left by an earlier test)" rmmod ip_vs_maglev
fi

# ---- no maglev module --------------------------------------------------------
setup_or_die "rr service" ipvs -A -t "$VIP:81" -s rr
setup_or_die "rr backend" ipvs -a -t "$VIP:81" -r "${BE_IP[3]}:80" -m -w 5
check "without the module: exit 0, and the output parses" snap --state-file "$NOSTATE"
check "  IPVS was read" mval_is ipvsctl_ipvs_up "" 1
check "  ipvsctl_build_info has a version label" \
	test "$(awk -F '\t' '$1 == "ipvsctl_build_info" && $2 ~ /^version=[^,]+$/ { print $3 }' "$LIB_TMP/m.flat")" = 1
check "  module not loaded (0)" mval_is ipvsctl_maglev_module_loaded "" 0
check "  and reading metrics did not load it" not module_loaded
check "  the rr service's info: protocol, vip, port, scheduler" \
	mval_is ipvsctl_service_info "family=inet,port=81,protocol=tcp,scheduler=rr,service=$RR,vip=$VIP" 1
check "  its backend's weight" mval_is ipvsctl_backend_weight "$(be 3 "$RR")" 5
check "  no maglev metric but module_loaded" test "$(nfamilies ipvsctl_maglev_)" = 1
check "  no health metric" test "$(nfamilies ipvsctl_health_)" = 0
check "  and a comment says why" comment_has "no health state file"

# ---- the module, no maglev service ---------------------------------------------
setup_or_die "modprobe ip_vs_maglev" modprobe ip_vs_maglev
check "module loaded, no maglev service: exit 0, parses" snap --state-file "$NOSTATE"
check "  module loaded (1)" mval_is ipvsctl_maglev_module_loaded "" 1
check "  module version as a label" \
	mval_is ipvsctl_maglev_module_info "version=$(modinfo -F version ip_vs_maglev)" 1
check "  namespace pin totals: 0 pins, cap = pin_max" \
	test "$(mval ipvsctl_maglev_namespace_pins)" = 0 -a \
	"$(mval ipvsctl_maglev_namespace_pin_limit)" = "$(cat /sys/module/ip_vs_maglev/parameters/pin_max)"
check "  no per-service maglev family" not mhas ipvsctl_maglev_table_slots

# ---- traffic: counters equal ipvsadm's -----------------------------------------------
setup_or_die "maglev service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2; do
	setup_or_die "backend b$i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:80" -m -w 100
done
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 60 -t 3000)
check "60 connections to $SVC answered" test "$(total_of <(echo "$out"))" = 60 -a "$(errors_of <(echo "$out"))" = 0
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 81 -n 10 -t 3000)
check "10 connections to $RR answered" test "$(total_of <(echo "$out"))" = 10
# one quiet moment: ipvsadm, metrics, ipvsadm again, the same counters
counters_agree() {
	in_ns "$DR" ipvsadm -Ln --stats --exact >"$LIB_TMP/adm1" &&
		in_ns "$DR" ipvsadm -Ln >"$LIB_TMP/admlist" &&
		snap --state-file "$NOSTATE" &&
		in_ns "$DR" ipvsadm -Ln --stats --exact >"$LIB_TMP/adm2" &&
		cmp -s "$LIB_TMP/adm1" "$LIB_TMP/adm2" &&
		[ "$(mval ipvsctl_service_connections_total "service=$SVC")" = 60 ] &&
		python3 "$PROM" adm "$LIB_TMP/m.flat" "$LIB_TMP/adm1" "$LIB_TMP/admlist" 2>"$LIB_TMP/adm.why"
}
wait_until 20 counters_agree
rc=$?
check "every service's and backend's counters, weight, active/inactive equal ipvsadm's" test $rc = 0
[ $rc = 0 ] || cat "$LIB_TMP/adm.why"
bytes=$(mval ipvsctl_backend_incoming_bytes_total "$(be 1 "$SVC")")
check "  b1 got bytes ($bytes) and sent some back (NAT)" \
	test "$bytes" -gt 0 -a "$(mval ipvsctl_backend_outgoing_bytes_total "$(be 1 "$SVC")")" -gt 0
check "  connections: b1 + b2 = the service's 60" \
	test $(($(mval ipvsctl_backend_connections_total "$(be 1 "$SVC")") + \
		$(mval ipvsctl_backend_connections_total "$(be 2 "$SVC")"))) = 60
slots=$(mval ipvsctl_maglev_table_slots "service=$SVC")
s1=$(mval ipvsctl_maglev_backend_slots "$(be 1 "$SVC")")
s2=$(mval ipvsctl_maglev_backend_slots "$(be 2 "$SVC")")
check "maglev: b1 + b2 slots ($s1 + $s2) = table slots ($slots)" \
	test "$slots" -gt 0 -a $((s1 + s2)) = "$slots"
json_slots=$(ipvsctl -j list "$SVC" | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
print(s["maglev"]["table_size_active"], *[b["maglev"]["slots"] for b in s["backends"]])')
check "  the same as list --json ($json_slots)" test "$json_slots" = "$slots $s1 $s2"
check "  no maglev metrics for the rr service" not grep -q "^ipvsctl_maglev.*service=$RR" "$LIB_TMP/m.flat"
check "  not draining, not down, available" \
	test "$(mval ipvsctl_maglev_backend_draining "$(be 1 "$SVC")")$(mval ipvsctl_maglev_backend_down "$(be 1 "$SVC")")$(mval ipvsctl_maglev_backend_available "$(be 1 "$SVC")")" = 001
check "  rebuilds counted, last one timestamped (not in the future)" \
	test "$(mval ipvsctl_maglev_rebuilds_total "service=$SVC")" -gt 0 -a \
	"$(mval ipvsctl_maglev_last_rebuild_timestamp_seconds "service=$SVC" | cut -d. -f1)" -le "$(date +%s)"

# ---- slow start ---------------------------------------------------------------------
setup_or_die "60 s slow start" ipvsctl maglev set "$SVC" slow-start 60s
setup_or_die "the service serves (a joining backend ramps)" wait_until 30 mg_serving "$DR" "$SVC"
setup_or_die "b3 joins" ipvs -a -t "$VIP:80" -r "${BE_IP[3]}:80" -m -w 100
check "b3 ramping: parses" snap --state-file "$NOSTATE"
eff=$(mval ipvsctl_maglev_backend_effective_weight "$(be 3 "$SVC")")
check "  b3's effective weight ($eff) is below its weight (100)" \
	test "$eff" -lt 100 -a "$(mval ipvsctl_backend_weight "$(be 3 "$SVC")")" = 100
check "  b1's is its weight" mval_is ipvsctl_maglev_backend_effective_weight "$(be 1 "$SVC")" 100
check "  one backend ramping" mval_is ipvsctl_maglev_ramping_backends "service=$SVC" 1

# ---- health ---------------------------------------------------------------------------
cat >"$LIB_TMP/lb.conf" <<EOF
service add $HC scheduler maglev
backend add $HC ${BE_IP[1]}:80 method nat weight 10
backend add $HC ${BE_IP[2]}:80 method nat weight 10
health $HC type tcp interval 1s timeout 500ms rise 2 fall 2 jitter 0
EOF
ip netns exec "$DR" "$IPVSCTL" daemon -f "$LIB_TMP/lb.conf" --state-file "$STATE" \
	2>"$LIB_TMP/daemon.log" &
DAEMON=$!
LIB_PIDS+=("$DAEMON")
setup_or_die "the daemon writes its state" wait_until 20 test -s "$STATE"
both_up() {
	snap --state-file "$STATE" &&
		mval_is ipvsctl_health_backend_up "$(be 1 "$HC")" 1 &&
		mval_is ipvsctl_health_backend_up "$(be 2 "$HC")" 1
}
check "daemon running: b1 and b2 of $HC up" wait_until 15 both_up
check "  daemon running (1), transitions and reloads counted" \
	test "$(mval ipvsctl_health_daemon_running)" = 1 -a \
	"$(mval ipvsctl_health_reloads_total)" = 0 -a "$(mval ipvsctl_health_transitions_total)" != none
check "  two health-checked backends" test "$(nsamples ipvsctl_health_backend_up)" = 2
check "  no comment about health" not comment_has health
probed() { snap --state-file "$STATE" && [ "$(mval ipvsctl_health_backend_probes_total "$(be 1 "$HC")")" -gt 0 ]; }
check "  probes counted (the file is rewritten at least every 10 s)" wait_until 35 probed
setup_or_die "kill b2's server" kill "${SERVER[2]}"
b2_down() {
	snap --state-file "$STATE" &&
		mval_is ipvsctl_health_backend_up "$(be 2 "$HC")" 0 &&
		mval_is ipvsctl_backend_weight "$(be 2 "$HC")" 0
}
check "b2's server killed: its health goes to 0, and its weight" wait_until 15 b2_down
check "  b1 stays up" mval_is ipvsctl_health_backend_up "$(be 1 "$HC")" 1
check "  b2's failed probes counted" \
	test "$(mval ipvsctl_health_backend_probe_failures_total "$(be 2 "$HC")")" -ge 2
check "  applied to the kernel" mval_is ipvsctl_health_backend_applied "$(be 2 "$HC")" 1
setup_or_die "stop the daemon" kill -TERM "$DAEMON"
wait "$DAEMON"
check "daemon stopped: exit 0, parses" snap --state-file "$STATE"
check "  ipvsctl_health_daemon_running 0, and no other health metric" \
	test "$(mval ipvsctl_health_daemon_running)" = 0 -a "$(nfamilies ipvsctl_health_)" = 1
check "  a comment says the daemon is not running" comment_has "is not running"
no_health() { snap --state-file "$NOSTATE" && [ "$(nfamilies ipvsctl_health_)" = 0 ]; }
check "no state file: no health metric at all" no_health

# ---- --textfile -----------------------------------------------------------------------
TF=$LIB_TMP/textfile
setup_or_die "textfile directory" mkdir "$TF"
textfile() { in_ns "$DR" "$IPVSCTL" metrics --state-file "$NOSTATE" --textfile "$TF/ipvs.prom"; }
textfile_umask() { (umask 077 && textfile); }
check "--textfile (umask 077): exit 0" textfile_umask
check "  mode 0644" test "$(stat -c %a "$TF/ipvs.prom")" = 644
check "  nothing else left in the directory" test "$(ls -A "$TF")" = ipvs.prom
python3 "$PROM" check "$TF/ipvs.prom" >"$LIB_TMP/tf.flat"
check "  it parses" test $? = 0
setup_or_die "standard output, for comparison" snap --state-file "$NOSTATE"
check "  the same series as standard output" cmp -s <(cut -f1,2 "$LIB_TMP/tf.flat") <(cut -f1,2 "$LIB_TMP/m.flat")
# a reader racing 20 rewrites never sees a part of the file
rm -f "$LIB_TMP/stop"
(
	rc=0
	for _ in $(seq 20); do
		textfile || { rc=1; break; }
	done
	touch "$LIB_TMP/stop"
	exit $rc
) &
writer=$!
LIB_PIDS+=("$writer")
reads=$(python3 "$PROM" watch "$TF/ipvs.prom" "$LIB_TMP/stop")
rc=$?
wait "$writer"
wrc=$?
check "a reader racing 20 rewrites read the whole file every time ($reads reads)" \
	test "$rc" = 0 -a "$wrc" = 0 -a "${reads:-0}" -gt 0
check "  no temporary file left" test "$(ls -A "$TF")" = ipvs.prom
in_ns "$DR" "$IPVSCTL" metrics --state-file "$NOSTATE" --textfile "$LIB_TMP/no-such-dir/x.prom" 2>/dev/null
check "--textfile in a missing directory: exit 4" test $? = 4

# ---- labels escaped; exit codes --------------------------------------------------------------
odd=$LIB_TMP/$'ns "q" \\ and\nnewline'
setup_or_die "a namespace path with a quote, a backslash, a newline" touch "$odd"
setup_or_die "  bound to DR's namespace" mount --bind "/run/netns/$DR" "$odd"
"$IPVSCTL" -N "$odd" metrics --state-file "$NOSTATE" >"$LIB_TMP/odd.prom"
rc=$?
umount "$odd"
check "-N PATH: exit 0, and every sample's netns label is PATH, unescaped" \
	test "$rc" = 0 -a -n "$(python3 "$PROM" label "$LIB_TMP/odd.prom" netns "$odd" && echo y)"
python3 "$PROM" check "$LIB_TMP/odd.prom" >/dev/null
check "  it parses" test $? = 0
check "  the escapes as written" grep -qF 'netns="'"$LIB_TMP"'/ns \"q\" \\ and\nnewline"' "$LIB_TMP/odd.prom"

ipvsctl metrics --no-such-option >/dev/null 2>&1
check "a bad option: exit 2 (usage)" test $? = 2
ipvsctl metrics extra-word >/dev/null 2>&1
check "an argument: exit 2" test $? = 2
"$IPVSCTL" metrics --help >"$LIB_TMP/help"
check "--help: exit 0, usage on standard output" test $? = 0 -a -n "$(grep '^Usage: ipvsctl metrics' "$LIB_TMP/help")"
if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$IPVSCTL"; then
	in_ns "$DR" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$IPVSCTL" metrics --state-file "$NOSTATE" >"$LIB_TMP/m.prom" 2>"$LIB_TMP/perm.err"
	rc=$?
	check "not permitted (uid 65534): exit 3, and still an output that parses" \
		test "$rc" = 3 -a -n "$(python3 "$PROM" check "$LIB_TMP/m.prom" >"$LIB_TMP/m.flat" && echo y)"
	check "  saying ipvsctl_ipvs_up 0, with no service" \
		test "$(mval ipvsctl_ipvs_up)" = 0 -a "$(nsamples ipvsctl_service_info)" = 0
	check "  and why, on standard error" grep -q "cannot read IPVS" "$LIB_TMP/perm.err"
else
	log "(uid 65534 cannot run $IPVSCTL here: the not-permitted case is not checked)"
fi

# ---- every maglev service gone -----------------------------------------------------------
setup_or_die "flush" ipvs -C
check "no service at all: exit 0, parses" snap --state-file "$NOSTATE"
check "  module still loaded, IPVS up, no service family" \
	test "$(mval ipvsctl_maglev_module_loaded)$(mval ipvsctl_ipvs_up)" = 11 -a \
	"$(nfamilies 'ipvsctl_\(service\|backend\|maglev_table\)')" = 0
exit "$(lib_result)"
