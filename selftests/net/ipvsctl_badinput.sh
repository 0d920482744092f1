#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input to ipvsctl: every line of the table below is a command that
# must fail with the exit code ipvsctl(8) documents (EXIT STATUS), print a
# message matching a pattern on standard error, and change nothing: the
# namespace's IPVS state (ipvsadm -Sn), the maglev parameters (ipvsctl
# save) and the health state file are compared before and after each.
#
# Exit codes (ipvsctl(8)): 2 usage or a bad line in a file, 4 not found,
# 5 already exists, 6 the kernel refused.

source "$(dirname "$0")/lib.sh"
lib_init

S=tcp/10.0.1.100:80
U=udp/10.0.1.100:53
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }

setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "namespace" mkns DR dr
setup_or_die "service $S" ipvsctl service add "$S" scheduler maglev table-size 4093
setup_or_die "service $U" ipvsctl service add "$U" scheduler maglev ops on pin on
for i in 11 12; do
	setup_or_die "backend 10.0.2.$i" ipvsctl backend add "$S" "10.0.2.$i:8080" method nat weight 100
	setup_or_die "backend 10.0.2.$i" ipvsctl backend add "$U" "10.0.2.$i" method dr weight 50
done

# ---- input files -------------------------------------------------------
F=$LIB_TMP
printf 'service add %s scheduler maglev\nbackend add %s 10.0.2.21 weight 10\n' \
	tcp/10.0.1.101:80 tcp/10.0.1.101:80 >"$F/good-then-bad.conf"
printf 'backend add %s 10.0.2.22 weight 10\nservice add %s scheduler nosuch\n' \
	"$S" tcp/10.0.1.102:80 >>"$F/good-then-bad.conf"
printf 'service add %s scheduler maglev\nbackend add %s 10.0.2.11 weight\n' \
	"$S" "$S" >"$F/missing-value.conf"
printf 'service add %s scheduler maglev\nservice frobnicate %s\n' "$S" "$S" >"$F/unknown-verb.conf"
printf 'service add %s scheduler maglev table-size 4093\nbackend add %s 10.0.2.11:8080 weight 100\nbackend add %s 10.0.2.12:8080 weight 100\nbackend add %s 10.0.2.13:8080 weight 100\nflush\n' \
	"$S" "$S" "$S" "$S" >"$F/flush-in-state.conf"
printf 'service add "tcp/10.0.1.100:80 scheduler maglev\n' >"$F/open-quote.conf"
printf '\x00\x01\xff\xfe binary\n' >"$F/binary.conf"
printf 'service add %s scheduler maglev\nhealth %s type tcp interval 500\n' "$S" "$S" \
	>"$F/bare-interval.conf"
printf -- '-A -t 10.0.1.103:%s80x -s maglev\n' "$(printf '0%.0s' {1..112})" >"$F/long-svc.conf"
printf 'service add %s scheduler maglev\nhealth %s type http host x@10.0.9.9\n' "$S" "$S" \
	>"$F/bad-host.conf"
printf 'service add %s scheduler maglev\nhealth %s type http path "/a b"\n' "$S" "$S" \
	>"$F/bad-path.conf"
: >"$F/empty.conf"
printf '# a comment, and nothing else\n' >"$F/comment-only.conf"
echo '{ "scope": ["10.0.1.0/24"] }' >"$F/no-services.json"
echo '{ "scope": ["all"], "services": [] }' >"$F/scope-all.json"
cat >"$F/good.json" <<EOF
{"services": [{"service": "$S", "scheduler": "maglev", "table-size": 4093,
  "backends": [{"address": "10.0.2.11:8080", "weight": 100},
               {"address": "10.0.2.12:8080", "weight": 100},
               {"address": "10.0.2.13:8080", "weight": 100}]}]}
EOF
head -c 120 "$F/good.json" >"$F/truncated.json"
cp "$F/good.json" "$F/cut-off.stream"	# a --stream document without its '---'
sed 's/"weight": 100}]/"weight": "heavy"}]/' "$F/good.json" >"$F/bad-weight.json"
sed 's/"services"/"servics"/' "$F/good.json" >"$F/unknown-key.json"
sed 's/"table-size": 4093/"table-size": 4093.5/' "$F/good.json" >"$F/fraction.json"
echo '{"services": {"service": "tcp/10.0.1.100:80"}}' >"$F/not-an-array.json"
echo '[1, 2, 3]' >"$F/top-array.json"
printf '{"services": [{"service": "%s", "backends": [{"weight": 1}]}]}\n' "$S" >"$F/no-address.json"
python3 -c 'print("{\"services\": [" + ",".join(["{\"service\": \"tcp/10.0.1.100:80\"}"] * 2) + "]}")' >"$F/dup.json"
python3 -c 'print("{\"services\": [{\"service\": \"tcp/10.0.1.100:80\", \"scheduler\": \"" + "x" * 300 + "\"}]}")' >"$F/long-string.json"
python3 -c 'print("[" * 100000)' >"$F/deep.json"

# ---- the table -----------------------------------------------------------
# CODE|WHAT|PATTERN (extended regex, case-insensitive, on stderr)|ARGS...
# ARGS are split on blanks; @F@ is the file directory.
TABLE=$(cat <<EOF
2|address with an octet over 255|address|service add tcp/10.0.1.300:80 scheduler maglev
2|port over 65535|port|service add tcp/10.0.1.100:70000 scheduler maglev
2|port not a number|port|backend add $S 10.0.2.13:http weight 1
2|unclosed IPv6 bracket|\\[IPv6\\]:PORT|service add tcp/[fd00::1:80 scheduler maglev
2|IPv6 address with an IPv4 service family mix|address|backend add $S fd00::2 weight 1
2|unknown protocol|a service is tcp/|service add icmp/10.0.1.100:80 scheduler maglev
2|no port on a TCP service|port|service add tcp/10.0.1.100 scheduler maglev
2|hostname instead of an address|address|backend add $S backend.example:80 weight 1
2|negative weight|negative number|backend add $S 10.0.2.13:8080 weight -1
2|weight too large|weight|backend add $S 10.0.2.13:8080 weight 99999999999
2|weight not a number|weight|backend add $S 10.0.2.13:8080 weight heavy
2|weight in hex (numbers are decimal)|weight|backend add $S 10.0.2.13:8080 weight 0x10
2|port in hex (numbers are decimal)|port|service add tcp/10.0.1.100:0x50 scheduler maglev
2|firewall mark that is not a number|firewall mark|service add fwmark/0x1g scheduler maglev
2|unknown forwarding method|method|backend add $S 10.0.2.13:8080 method teleport
2|flags over 127 characters (cut, they would be valid)|too long|service add tcp/10.0.1.103:80 scheduler maglev flags sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,sh-port,flag-3,bogus
2|ipvsadm line with an over-long service address|too long for a service address|-f @F@/long-svc.conf
2|unknown service option|unknown|service add tcp/10.0.1.103:80 scheduler maglev colour blue
4|unknown scheduler name (no such module)|scheduler|service add tcp/10.0.1.103:80 scheduler nosuch
2|unknown command-line option|option|--frobnicate list
2|unknown command|command|frobnicate
2|option without its value|value|backend add $S 10.0.2.13:8080 weight
2|table size not a number|table-size|maglev set $S table-size many
2|pin mode not a word it knows|pin|maglev set $S pin sometimes
2|slow start window not a duration|slow-start|maglev set $S slow-start 5parsecs
2|drain timeout not a duration|timeout|drain $S 10.0.2.11:8080 --timeout 5x
2|slow start window without its unit|slow-start '20': a duration with its unit|maglev set $S slow-start 20
2|drain timeout without its unit|--timeout '300': a duration with its unit|drain $S 10.0.2.11:8080 --timeout 300
2|undrain to weight 0|--weight '0': a weight from 1 to 2147483647|undrain $S 10.0.2.11:8080 --weight 0
2|undrain to a weight over 2^31-1|--weight '2147483648': a weight from 1 to 2147483647|undrain $S 10.0.2.11:8080 --weight 2147483648
2|drain interval without its unit|--interval '500': a duration with its unit|drain $S 10.0.2.11:8080 --interval 500
2|apply --drain-timeout without its unit|--drain-timeout '300': a duration with its unit|apply --drain-timeout 300 -f @F@/good.json
2|apply: an HTTP health host that is not a name or an address|bad-host.conf:2: health host 'x@10.0.9.9'|apply -f @F@/bad-host.conf
2|apply: an HTTP health path with a blank|bad-path.conf:2: health path '/a b'|apply -f @F@/bad-path.conf
2|apply: a health interval without its unit|bare-interval.conf:2: health interval '500': a duration with its unit|apply -f @F@/bare-interval.conf
2|apply: good lines, then a bad one further on|good-then-bad.conf:3: no service|apply -f @F@/good-then-bad.conf
2|apply: an option without its value|missing-value.conf:2: 'weight' needs a value|apply -f @F@/missing-value.conf
2|apply: an unknown verb|unknown-verb.conf:2: service 'frobnicate'|apply -f @F@/unknown-verb.conf
2|apply: flush in a desired state|flush|apply -f @F@/flush-in-state.conf
2|apply: an unclosed quote|quote|apply -f @F@/open-quote.conf
2|apply: binary garbage|binary.conf:1: a NUL byte|apply -f @F@/binary.conf
2|apply: truncated JSON|json|apply -f @F@/truncated.json
2|apply: a JSON weight that is a word|weight|apply -f @F@/bad-weight.json
2|apply: an unknown JSON key|servics|apply -f @F@/unknown-key.json
2|apply: a JSON number with a fraction|table-size|apply -f @F@/fraction.json
2|apply: JSON services not an array|array|apply -f @F@/not-an-array.json
2|apply: JSON document not an object|must be an object|apply -f @F@/top-array.json
2|apply: JSON backend without an address|address|apply -f @F@/no-address.json
2|apply: a service named twice|services\\[1\\]: service tcp/10.0.1.100:80 already exists|apply -f @F@/dup.json
2|apply: a JSON string over 255 bytes|services\\[0\\]: "scheduler": a string of at most 255 bytes|apply -f @F@/long-string.json
2|apply: JSON nested 100000 deep|not valid JSON|apply -f @F@/deep.json
2|apply: an empty input, with a scope|names no service; nothing was changed|apply --scope all -f @F@/empty.conf
2|apply: a comment-only input|names no service|apply -f @F@/comment-only.conf
2|apply: JSON without "services", with its own scope|names no service|apply -f @F@/no-services.json
2|apply: a document's scope wider than --scope|wider than the command line's --scope|apply --scope 10.0.1.0/24 -f @F@/scope-all.json
2|apply: --max-deletes that is not a number or a percentage|--max-deletes '12x'|apply --max-deletes 12x -f @F@/good.json
2|apply: --max-deletes over 100%|--max-deletes '101%'|apply --max-deletes 101% -f @F@/good.json
2|apply: a plan deleting more than --max-deletes|deletes 1 of the 2 managed services, more than --max-deletes 0|apply --scope 10.0.1.100 --max-deletes 0 -f @F@/good.json
2|apply --vip-dev on an interface that is not a dummy (lo)|not a dummy interface|apply --vip-dev lo -f @F@/good.json
2|apply --stream: a last document not ended by '---'|not ended by a '---' line; not applied|apply --stream -f @F@/cut-off.stream
2|daemon: --max-deletes that is not a number or a percentage|daemon: --max-deletes '-1'|daemon --check -f @F@/comment-only.conf --max-deletes -1
2|daemon: --max-deletes over 100%|daemon: --max-deletes '101%'|daemon --check -f @F@/comment-only.conf --max-deletes 101%
2|restore --flush of an empty file|names no service; nothing was changed|restore --flush @F@/empty.conf
4|apply: a file that does not exist|no such file|apply -f @F@/nonexistent.conf
4|a service that does not exist|no service tcp/10.9.9.9:80|backend add tcp/10.9.9.9:80 10.0.2.11 weight 1
4|a backend that does not exist|has no backend 10.0.2.99:8080|backend del $S 10.0.2.99:8080
4|a namespace that does not exist|namespace|-N no-such-netns-$$ list
5|a service that exists|exists|service add $S scheduler maglev
5|a backend that exists|already has backend|backend add $S 10.0.2.11:8080 weight 1
6|a table size that is not prime|prime|maglev set $S table-size 4096
EOF
)

snapshot() {
	{
		in_ns "$DR" ipvsadm -Sn
		echo ---
		ipvsctl save
	} >"$1" 2>&1
}

snapshot "$LIB_TMP/before"
check "the reference state has 2 services" test "$(grep -c '^-A' "$LIB_TMP/before")" -eq 2
n=0
while IFS='|' read -r code what pattern args; do
	[ -n "$code" ] || continue
	n=$((n + 1))
	args=${args//@F@/$F}
	# shellcheck disable=SC2086 # ARGS are words by design
	ipvsctl $args >"$LIB_TMP/out" 2>"$LIB_TMP/err"
	rc=$?
	msg=$(head -n 3 "$LIB_TMP/err" | tr '\n' ' ' | cut -c1-160)
	check "$what: exit $rc (documented: $code)" test "$rc" -eq "$code"
	check "$what: says so ('$pattern'): $msg" grep -Eqi -- "$pattern" "$LIB_TMP/err"
	snapshot "$LIB_TMP/after"
	check "$what: nothing changed" cmp -s "$LIB_TMP/before" "$LIB_TMP/after"
done <<<"$TABLE"
log "$n bad inputs"
check "the table has at least 40 rows" test "$n" -ge 40

exit "$(lib_result)"
