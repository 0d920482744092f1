#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl kube render --nft, on the host: the table's elements come from
# the objects (each kind of front end in its set), the options change the
# rules they name, the text is one transaction that replaces table inet
# ipvsctl and touches no other, and nft itself accepts it (checked with
# `nft -c` in a new network namespace where this host allows one; the
# VM test kube_dataplane.sh loads it for real).
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 fail=0 skipped=0
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
echo "1..15"

cat >"$tmp/objs.json" <<'JS'
{"kind": "List", "items": [
 {"kind": "Service", "metadata": {"namespace": "shop", "name": "web"},
  "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.10", "fd00:96::10"],
           "ports": [{"name": "h", "protocol": "TCP", "port": 80, "nodePort": 30080},
                     {"name": "q", "protocol": "UDP", "port": 53, "nodePort": 30053}],
           "loadBalancerSourceRanges": ["192.0.2.0/24", "2001:db8::/64"]},
  "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}, {"ip": "2001:db8:1::7"}]}}},
 {"kind": "EndpointSlice", "metadata": {"namespace": "shop", "name": "web-1",
  "labels": {"kubernetes.io/service-name": "web"}}, "addressType": "IPv4",
  "ports": [{"name": "h", "protocol": "TCP", "port": 8080}, {"name": "q", "protocol": "UDP", "port": 5353}],
  "endpoints": [{"addresses": ["10.244.1.5"], "nodeName": "a"}, {"addresses": ["10.244.2.5"], "nodeName": "b"}]},
 {"kind": "Service", "metadata": {"namespace": "shop", "name": "loc"},
  "spec": {"type": "NodePort", "clusterIP": "10.96.0.11", "externalIPs": ["198.51.100.11"],
           "externalTrafficPolicy": "Local",
           "ports": [{"protocol": "SCTP", "port": 90, "nodePort": 30090}]}},
 {"kind": "EndpointSlice", "metadata": {"namespace": "shop", "name": "loc-1",
  "labels": {"kubernetes.io/service-name": "loc"}}, "addressType": "IPv4",
  "ports": [{"protocol": "SCTP", "port": 9090}],
  "endpoints": [{"addresses": ["10.244.2.9"], "nodeName": "b"}]}]}
JS
opts=(--node a --node-ip 192.168.1.10 --node-ip fd00:1::10 --cluster-cidr 10.244.0.0/16)
"$tool" kube render --nft -f "$tmp/objs.json" "${opts[@]}" >"$tmp/t" 2>"$tmp/err"
rc=$?
point "$([ $rc = 0 ] && [ -s "$tmp/t" ]; echo $?)" "renders (exit $rc)"

# the elements of set NAME, one a line
elems() {
	awk -v set="$1" '
		$1 ~ /^(set|map)$/ && $2 == set { inset = 1; next }
		inset && /^\t}/ { inset = 0 }
		inset && $1 != "type" && $1 != "elements" && $1 != "}" {
			sub(/^[ \t]+/, ""); sub(/,$/, ""); print }
		inset && $1 == "elements" && /}$/ { sub(/.*= \{ /, ""); sub(/ }$/, ""); print }
	' "$tmp/t"
}

point "$([ "$(elems cluster4 | sort | tr '\n' ' ')" = "10.96.0.10 . tcp . 80 10.96.0.10 . udp . 53 10.96.0.11 . sctp . 90 " ]; echo $?)" \
	"cluster4: every cluster IP and port, TCP, UDP and SCTP ($(elems cluster4 | tr '\n' ' '))"
point "$([ "$(elems cluster6 | tr '\n' ' ')" = "fd00:96::10 . tcp . 80 fd00:96::10 . udp . 53 " ]; echo $?)" \
	"cluster6: the IPv6 cluster IP ($(elems cluster6 | tr '\n' ' '))"
point "$([ "$(elems nodeport4 | tr '\n' ' ')" = "tcp . 30080 udp . 30053 " ] &&
	[ "$(elems nodeport-local4 | tr '\n' ' ')" = "sctp . 30090 " ]; echo $?)" \
	"node ports by policy: Cluster in nodeport4, Local in nodeport-local4"
point "$([ "$(elems external-local4)" = "198.51.100.11 . sctp . 90" ] &&
	[ "$(elems external4 | tr '\n' ' ')" = "203.0.113.7 . tcp . 80 203.0.113.7 . udp . 53 " ]; echo $?)" \
	"external IP of a Local Service in external-local4, LB IPs of a Cluster one in external4"
point "$([ "$(elems shortcut4)" = "198.51.100.11 . sctp . 90 : 10.96.0.11 . 90" ] &&
	[ "$(elems shortcut-np4)" = "sctp . 30090 : 10.96.0.11 . 90" ]; echo $?)" \
	"the Local Service's in-cluster shortcut to its cluster IP, external IP and node port"
point "$([ "$(elems hairpin4 | tr '\n' ' ')" = "10.244.1.5 . tcp . 8080 . 10.244.1.5 10.244.1.5 . udp . 5353 . 10.244.1.5 " ]; echo $?)" \
	"hairpin4: the node's own endpoints only ($(elems hairpin4 | tr '\n' ' '))"
point "$(grep -q 'ip saddr { 192.0.2.0/24 } return' "$tmp/t" && grep -q 'ip6 saddr { 2001:db8::/64 } return' "$tmp/t" &&
	[ "$(grep -c 'drop comment "shop/web"' "$tmp/t")" = 4 ]; echo $?)" \
	"source ranges: a chain per LB IP and port, each family its own ranges, the rest dropped"
point "$(! grep -q 'saddr 203.0.113.7 return' "$tmp/t"; echo $?)" \
	"  no exception for the LB IP as source while no range holds a node address"
"$tool" kube render --nft -f "$tmp/objs.json" --node a --node-ip 192.0.2.10 >"$tmp/t2" 2>/dev/null
point "$(grep -q 'ip saddr 203.0.113.7 return' "$tmp/t2"; echo $?)" \
	"  with a node address in a range, the node may reach the LB IP from it (kube-proxy's exception)"
point "$(grep -q 'ip daddr . meta l4proto . th dport @cluster4 ip saddr != { 10.244.0.0/16 } goto mark-masq' "$tmp/t" &&
	grep -q 'ip6 daddr . meta l4proto . th dport @cluster6 fib saddr type local goto mark-masq' "$tmp/t"; echo $?)" \
	"cluster IPs: masqueraded unless from the pods' CIDR; no CIDR of a family: only the node's own"
"$tool" kube render --nft -f "$tmp/objs.json" "${opts[@]}" --masquerade-all --masquerade-bit 3 >"$tmp/t3" 2>/dev/null
point "$(grep -q '@cluster4 goto mark-masq' "$tmp/t3" && grep -q 'meta mark set meta mark | 0x8$' "$tmp/t3" &&
	! grep -q '0x4000' "$tmp/t3"; echo $?)" "--masquerade-all and --masquerade-bit 3"
point "$([ "$(sed -n 1,3p "$tmp/t" | tr '\n' '|')" = "table inet ipvsctl|delete table inet ipvsctl|table inet ipvsctl {|" ] &&
	[ "$(grep -c '^table\|^delete\|^flush\|^add\|^destroy' "$tmp/t")" = 3 ]; echo $?)" \
	"one transaction that replaces table inet ipvsctl, and names no other table"

if command -v nft >/dev/null && unshare -n true 2>/dev/null; then
	unshare -n nft -c -f "$tmp/t" 2>"$tmp/nfterr"
	rc=$?
	point "$rc" "nft -c accepts it ($(head -c 300 "$tmp/nfterr" | tr '\n' ' '))"
else
	echo "ok $((n + 1)) nft -c accepts it # SKIP no nft, or no new network namespace here"
	n=$((n + 1))
	skipped=1
fi
"$tool" kube render --nft -f "$tmp/objs.json" --masquerade-bit 32 >"$tmp/t4" 2>/dev/null
rc=$?
point "$([ $rc = 2 ] && [ ! -s "$tmp/t4" ]; echo $?)" "--masquerade-bit 32: exit 2, nothing printed ($rc)"

echo "# Totals: pass:$((n - fail - skipped)) fail:$fail xfail:0 xpass:0 skip:$skipped error:0"
[ "$fail" = 0 ]
