#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every ipvsctl command against the real kernel. Where ipvsadm has an
# equivalent, ipvsadm in the same namespace confirms the result.
#
#   CL 10.0.1.2 ---- DR (the services below) ---- B1, B2 :8080
#
# Services: tcp/10.0.1.100:80 (maglev, NAT), udp (ops, sh flags), sctp
# (pe sip), IPv6 with persistence, fwmark and fwmark6; backends with each
# forwarding method, tunnel types and thresholds.

source "$(dirname "$0")/lib.sh"
lib_init

ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
saved() { in_ns "$DR" ipvsadm-save -n; }
# has LINE: ipvsadm-save shows exactly this line
has() { saved | grep -qxF -- "$1"; }
# rc_is N CMD...: CMD exits with N
rc_is() {
	local want=$1 rc
	shift
	"$@" >/dev/null 2>"$LIB_TMP/stderr"
	rc=$?
	sed 's/^/    /' "$LIB_TMP/stderr"
	[ "$rc" -eq "$want" ]
}
json() { # json CMD... | PY-EXPR over j
	python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

setup_or_die "topology" topo_std 2
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080

# ---- services ------------------------------------------------------------------
check "service add tcp maglev" ipvsctl service add "tcp/$VIP:80" scheduler maglev
check "ipvsadm sees it" has "-A -t $VIP:80 -s maglev"
check "service add udp, ops, sh flags" ipvsctl service add "udp/$VIP:53" scheduler sh flags sh-port,sh-fallback ops on
check "ipvsadm sees it" has "-A -u $VIP:53 -s sh -o -b sh-fallback,sh-port"
check "service add sctp with pe sip" ipvsctl service add "sctp/$VIP:5060" scheduler wrr pe sip
check "ipvsadm sees it" has "-A --sctp-service $VIP:5060 -s wrr --pe sip"
check "service add IPv6, persistent, netmask" ipvsctl service add "tcp/[fd00:ff::1]:443" scheduler wlc persistent 600 netmask 64
check "ipvsadm sees it" has "-A -t [fd00:ff::1]:443 -s wlc -p 600 -M 64"
check "service add fwmark" ipvsctl service add fwmark/42 scheduler rr persistent 300 netmask 24
check "ipvsadm sees it (netmask 24 = 255.255.255.0)" has "-A -f 42 -s rr -p 300 -M 255.255.255.0"
check "service add fwmark6" ipvsctl service add fwmark6/43 scheduler lc
check "ipvsadm sees it" has "-A -f 43 -6 -s lc"

check "service edit: only the scheduler changes" ipvsctl service edit "udp/$VIP:53" scheduler mh
# (ipvsadm names the same two flags after the scheduler)
check "ipvsadm: mh, flags and ops kept" has "-A -u $VIP:53 -s mh -o -b mh-fallback,mh-port"
check "service edit: persistence off" ipvsctl service edit "tcp/[fd00:ff::1]:443" persistent off
check "ipvsadm: no -p" has "-A -t [fd00:ff::1]:443 -s wlc"
check "service edit: ops off, flags none" ipvsctl service edit "udp/$VIP:53" ops off flags none
check "ipvsadm: plain" has "-A -u $VIP:53 -s mh"

# ---- backends ------------------------------------------------------------------
check "backend add nat" ipvsctl backend add "tcp/$VIP:80" "${BE_IP[1]}:8080" method nat weight 3
check "backend add nat, thresholds" ipvsctl backend add "tcp/$VIP:80" "${BE_IP[2]}:8080" method nat weight 2 upper 100 lower 50
check "ipvsadm sees nat weight 3" has "-a -t $VIP:80 -r ${BE_IP[1]}:8080 -m -w 3"
check "ipvsadm sees the thresholds" \
	bash -c "ip netns exec $DR ipvsadm -Ln --thresholds -t $VIP:80 | grep -q '${BE_IP[2]}:8080 *100 *50'"
check "backend add dr, port defaults to the service's" ipvsctl backend add "udp/$VIP:53" 10.0.2.30
check "ipvsadm sees dr :53" has "-a -u $VIP:53 -r 10.0.2.30:53 -g -w 1"
check "backend add tun gue with port and csum" \
	ipvsctl backend add "udp/$VIP:53" 10.0.2.31 method tun tun-type gue tun-port 6080 tun-csum csum
check "ipvsadm sees the tunnel" has "-a -u $VIP:53 -r 10.0.2.31:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum"
check "backend add tun gre" ipvsctl backend add "udp/$VIP:53" 10.0.2.32 method tun tun-type gre
check "ipvsadm sees gre" bash -c "ip netns exec $DR ipvsadm-save -n | grep -q -- '-r 10.0.2.32:53 -i -w 1 --tun-type gre'"
check "backend add IPv6" ipvsctl backend add "tcp/[fd00:ff::1]:443" "[fd00:2::11]:8443" method nat
check "ipvsadm sees it" has "-a -t [fd00:ff::1]:443 -r [fd00:2::11]:8443 -m -w 1"
check "backend add to fwmark" ipvsctl backend add fwmark/42 10.0.2.40 weight 5
check "ipvsadm sees it" has "-a -f 42 -r 10.0.2.40:0 -g -w 5"
check "backend edit: weight only" ipvsctl backend edit "udp/$VIP:53" 10.0.2.30 weight 7
check "ipvsadm: dr kept, weight 7" has "-a -u $VIP:53 -r 10.0.2.30:53 -g -w 7"
check "backend del" ipvsctl backend del "udp/$VIP:53" 10.0.2.32
check "ipvsadm: gone" not bash -c "ip netns exec $DR ipvsadm-save -n | grep -q 10.0.2.32"

# ---- listing --------------------------------------------------------------------
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 40 >/dev/null
# IPVS publishes its counters from the rate estimator, every 2 seconds
conns_reach() {
	[ "$(ipvsctl -j list "tcp/$VIP:80" | json 'j["services"][0]["stats"]["connections"]')" -ge "$1" ]
}
check "counters catch up" wait_until 10 conns_reach 40
ipvsctl -j list >"$LIB_TMP/list.json"
check "list --json: 6 services" test "$(json 'len(j["services"])' <"$LIB_TMP/list.json")" = 6
check "list --json: tcp service has 2 backends and maglev state" \
	test "$(json '[ (len(s["backends"]), s["maglev"]["table_size_active"]) for s in j["services"] if s["service"] == "tcp/'$VIP':80" ][0]' <"$LIB_TMP/list.json")" = "(2, 65521)"
check "list --json: backend slots add up to the table size" \
	test "$(json 'sum(b["maglev"]["slots"] for s in j["services"] if s["scheduler"] == "maglev" for b in s["backends"])' <"$LIB_TMP/list.json")" = 65521
check "list --json: persistence of the fwmark service" \
	test "$(json '[ s["persistent"] for s in j["services"] if s["service"] == "fwmark/42" ][0]' <"$LIB_TMP/list.json")" = "{'timeout': 300, 'netmask': '255.255.255.0'}"
conns=$(json '[ s["stats"]["connections"] for s in j["services"] if s["service"] == "tcp/'$VIP':80" ][0]' <"$LIB_TMP/list.json")
adm=$(in_ns "$DR" ipvsadm -Ln --stats -t "$VIP:80" | awk '/^TCP/ { print $3 }')
check "list --json: connection count $conns equals ipvsadm's $adm (40 sent)" test "$conns" = "$adm" -a "$conns" -ge 40
check "list (human) shows backends and maglev columns" \
	bash -c "$IPVSCTL -N $DR list --maglev tcp/$VIP:80 | grep -q '${BE_IP[1]}:8080 *nat *3'"
check "list --stats and --rate run" ipvsctl list --stats --rate
check "show is list" cmp -s <(ipvsctl -j show | json 'len(j["services"])') <(echo 6)

check "zero one service" ipvsctl zero "tcp/$VIP:80"
check "ipvsadm: its counters are 0" \
	test "$(in_ns "$DR" ipvsadm -Ln --stats -t "$VIP:80" | awk '/^TCP/ { print $3 }')" = 0
check "zero all" ipvsctl zero

# ---- timeouts, sync daemon ----------------------------------------------------------
check "timeout set" ipvsctl timeout set tcp 1000 tcpfin 30 udp 90
check "ipvsadm sees the timeouts" \
	bash -c "ip netns exec $DR ipvsadm -L --timeout | grep -q '(tcp tcpfin udp): 1000 30 90'"
check "timeout show --json" test "$(ipvsctl -j timeout show | json '(j["tcp"], j["udp"])')" = "(1000, 90)"
check "sync start master" ipvsctl sync start master ifname dr0 syncid 7
check "ipvsadm sees the daemon" \
	bash -c "ip netns exec $DR ipvsadm -L --daemon | grep -q 'master sync daemon (mcast=dr0, syncid=7'"
check "sync show --json" test "$(ipvsctl -j sync show | json 'j["daemons"][0]["syncid"]')" = 7
check "starting it twice is refused (exit 5)" rc_is 5 ipvsctl sync start master ifname dr0
check "sync stop master" ipvsctl sync stop master
check "ipvsadm: no daemon" not bash -c "ip netns exec $DR ipvsadm -L --daemon | grep -q master"

# ---- save, flush, restore ------------------------------------------------------------
ipvsctl save >"$LIB_TMP/save1"
saved >"$LIB_TMP/adm1"
cat "$LIB_TMP/save1"
check "save printed 6 services and 6 backends" test "$(wc -l <"$LIB_TMP/save1")" -eq 12
check "flush" ipvsctl flush
check "ipvsadm: empty" test -z "$(saved)"
check "restore" ipvsctl restore "$LIB_TMP/save1"
check "save -> flush -> restore: same ipvsctl save" cmp -s "$LIB_TMP/save1" <(ipvsctl save)
check "save -> flush -> restore: same ipvsadm-save" cmp -s "$LIB_TMP/adm1" <(saved)
check "restore --flush of the same file: still the same" ipvsctl restore --flush "$LIB_TMP/save1"
check "ipvsadm-save unchanged" cmp -s "$LIB_TMP/adm1" <(saved)
# a short write (a full disk) must not look like a saved state
check "save to a full disk fails, and says so" \
	bash -c "! $IPVSCTL -N $DR save >/dev/full 2>$LIB_TMP/full.err && grep -q 'writing standard output' $LIB_TMP/full.err"
check "list --json to a full disk fails" not bash -c "$IPVSCTL -N $DR -j list >/dev/full 2>/dev/null"

# ipvsadm-save output, imported unchanged
check "flush" ipvsctl flush
check "import ipvsadm-save output" ipvsctl restore "$LIB_TMP/adm1"
check "ipvsadm-save import round-trips" cmp -s "$LIB_TMP/adm1" <(saved)
check "-f FILE and stdin work too" bash -c "$IPVSCTL -N $DR restore --flush - <$LIB_TMP/save1 && $IPVSCTL -N $DR -f $LIB_TMP/save1 --help >/dev/null 2>&1; true"

# ---- all or nothing ------------------------------------------------------------------
cat >"$LIB_TMP/bad-syntax" <<EOF
service add tcp/10.0.1.200:80 scheduler rr
backend add tcp/10.0.1.200:80 10.0.2.50:80
backend add tcp/10.0.1.200:80 10.0.2.51:80 weight heavy
EOF
check "a bad line: exit 2" rc_is 2 ipvsctl restore "$LIB_TMP/bad-syntax"
check "names the file and line" grep -q 'bad-syntax:3: weight' "$LIB_TMP/stderr"
check "and nothing changed" cmp -s "$LIB_TMP/adm1" <(saved)

cat >"$LIB_TMP/bad-ref" <<EOF
service add tcp/10.0.1.200:80 scheduler rr
backend add tcp/10.0.1.201:80 10.0.2.50:80
EOF
check "a backend of an unknown service: exit 4" rc_is 4 ipvsctl restore "$LIB_TMP/bad-ref"
check "names line 2" grep -q 'bad-ref:2: no service tcp/10.0.1.201:80' "$LIB_TMP/stderr"
check "and nothing changed" cmp -s "$LIB_TMP/adm1" <(saved)

cat >"$LIB_TMP/refused" <<EOF
service add tcp/10.0.1.200:80 scheduler rr
backend add tcp/10.0.1.200:80 10.0.2.50:80 method nat
backend edit tcp/$VIP:80 ${BE_IP[1]}:8080 weight 9
service add tcp/10.0.1.201:80 scheduler nosuchsched
EOF
check "the kernel refuses line 4: exit 4 (scheduler not found)" rc_is 4 ipvsctl restore "$LIB_TMP/refused"
check "reports the kernel's refusal and the rollback" \
	bash -c "grep -q 'refused:4: the kernel refused' $LIB_TMP/stderr && grep -q 'rolled back the 3 changes' $LIB_TMP/stderr"
check "and nothing changed" cmp -s "$LIB_TMP/adm1" <(saved)

check "dry run prints the plan" bash -c "$IPVSCTL -N $DR restore --dry-run $LIB_TMP/bad-ref 2>&1 | grep -q 'no service'"
printf 'service add tcp/10.0.1.200:80 scheduler rr\n' >"$LIB_TMP/dry"
check "dry run of a good file: prints the step" \
	bash -c "$IPVSCTL -N $DR restore --dry-run $LIB_TMP/dry 2>/dev/null | grep -qx 'service add tcp/10.0.1.200:80 scheduler rr'"
check "and sends nothing" cmp -s "$LIB_TMP/adm1" <(saved)
# --json: standard output is one JSON document, the steps in its "plan"
# (no step lines, no text summary around it)
one_doc='import json, sys; j = json.load(sys.stdin); assert "service add tcp/10.0.1.200:80 scheduler rr" in j["plan"] and j["dry_run"], j'
for cmd in "restore --dry-run $LIB_TMP/dry" "restore --flush --dry-run $LIB_TMP/dry" \
	   "apply --dry-run -f $LIB_TMP/dry"; do
	# shellcheck disable=SC2086 # CMD is words by design
	ipvsctl -j $cmd >"$LIB_TMP/dry.json" 2>/dev/null
	log "$cmd --json: $(head -c 400 "$LIB_TMP/dry.json")"
	check "$cmd, --json: one JSON document with the step in its plan" \
		python3 -c "$one_doc" <"$LIB_TMP/dry.json"
done
check "ipvsctl -j apply --dry-run | python3 json.load: parses" \
	bash -c "$IPVSCTL -N $DR -j apply --dry-run -f $LIB_TMP/dry 2>/dev/null | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "and they send nothing" cmp -s "$LIB_TMP/adm1" <(saved)

# ---- exit codes -----------------------------------------------------------------------
check "adding an existing service: exit 5" rc_is 5 ipvsctl service add "tcp/$VIP:80"
check "deleting a missing service: exit 4" rc_is 4 ipvsctl service del tcp/10.9.9.9:80
check "editing a missing backend: exit 4" rc_is 4 ipvsctl backend edit "tcp/$VIP:80" 10.9.9.9:80 weight 1
check "a malformed address: exit 2" rc_is 2 ipvsctl service add tcp/10.0.1.300:80
check "an unknown option: exit 2" rc_is 2 ipvsctl list --bogus
check "table-size on a non-maglev service: exit 2" rc_is 2 ipvsctl service add tcp/10.0.1.210:80 scheduler rr table-size 4093
check "no CAP_NET_ADMIN: exit 3" rc_is 3 in_ns "$DR" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$IPVSCTL" list
check "after all of that, nothing changed" cmp -s "$LIB_TMP/adm1" <(saved)

exit "$(lib_result)"
