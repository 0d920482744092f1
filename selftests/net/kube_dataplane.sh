#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dataplane of `ipvsctl kube` end to end: IPVS NAT services plus the
# nftables table inet ipvsctl (masquerading, Local policies, source
# ranges, hairpin, the in-cluster shortcut), both families. Every backend
# answers "ID@SOURCE" (mgtraffic serve -P), so each check sees which
# client address the pod saw: kept, or masqueraded to a node address.
#
#   EXT 192.168.50.2 (.3)          node ND                         node N2
#       fd00:50::2 (::3)  --- ext0 192.168.50.1  n2a 192.168.60.1 --- 192.168.60.2
#                               fd00:50::1      fd00:60::1           fd00:60::2
#                               cbr0 10.244.1.1/24                   cbr0 10.244.2.1/24
#                                fd00:10:244:1::1/64                  fd00:10:244:2::1/64
#                               P1 .2, P2 .3 (::2, ::3)              P3 .2 (::2)
#                               kube-ipvs0: cluster, external, LB IPs
#   N2 has no route to EXT: a reply from P3 reaches EXT only when the
#   request was masqueraded to ND's address.

source "$(dirname "$0")/lib.sh"
lib_init
command -v nft >/dev/null || skip "nft not installed"

N=12
SCALE=${TIMEOUT_SCALE:-1}

topo_kube() {
	local p
	mkns ND nd || return 1
	mkns N2 n2 || return 1
	mkns EXT ext || return 1
	mkns P1 p1 || return 1
	mkns P2 p2 || return 1
	mkns P3 p3 || return 1
	# node <-> external client
	ip link add ext0 netns "$ND" type veth peer name cl0 netns "$EXT" || return 1
	in_ns "$ND" ip addr add 192.168.50.1/24 dev ext0 || return 1
	in_ns "$ND" ip addr add fd00:50::1/64 dev ext0 nodad || return 1
	in_ns "$ND" ip link set ext0 up || return 1
	in_ns "$EXT" ip addr add 192.168.50.2/24 dev cl0 || return 1
	in_ns "$EXT" ip addr add 192.168.50.3/24 dev cl0 || return 1
	in_ns "$EXT" ip addr add fd00:50::2/64 dev cl0 nodad || return 1
	in_ns "$EXT" ip addr add fd00:50::3/64 dev cl0 nodad || return 1
	in_ns "$EXT" ip link set cl0 up || return 1
	in_ns "$EXT" ip route add default via 192.168.50.1 || return 1
	in_ns "$EXT" ip -6 route add default via fd00:50::1 || return 1
	# node <-> node 2
	ip link add n2a netns "$ND" type veth peer name n2b netns "$N2" || return 1
	in_ns "$ND" ip addr add 192.168.60.1/24 dev n2a || return 1
	in_ns "$ND" ip addr add fd00:60::1/64 dev n2a nodad || return 1
	in_ns "$ND" ip link set n2a up || return 1
	in_ns "$N2" ip addr add 192.168.60.2/24 dev n2b || return 1
	in_ns "$N2" ip addr add fd00:60::2/64 dev n2b nodad || return 1
	in_ns "$N2" ip link set n2b up || return 1
	in_ns "$ND" ip route add 10.244.2.0/24 via 192.168.60.2 || return 1
	in_ns "$ND" ip -6 route add fd00:10:244:2::/64 via fd00:60::2 || return 1
	in_ns "$N2" ip route add 10.244.1.0/24 via 192.168.60.1 || return 1
	in_ns "$N2" ip -6 route add fd00:10:244:1::/64 via fd00:60::1 || return 1
	# pod bridges
	for p in ND N2; do
		in_ns "${!p}" ip link add cbr0 type bridge || return 1
		in_ns "${!p}" ip link set cbr0 up || return 1
		in_ns "${!p}" sysctl -qw net.ipv4.ip_forward=1 || return 1
		in_ns "${!p}" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	done
	in_ns "$ND" ip addr add 10.244.1.1/24 dev cbr0 || return 1
	in_ns "$ND" ip addr add fd00:10:244:1::1/64 dev cbr0 nodad || return 1
	in_ns "$N2" ip addr add 10.244.2.1/24 dev cbr0 || return 1
	in_ns "$N2" ip addr add fd00:10:244:2::1/64 dev cbr0 nodad || return 1
	pod "$P1" "$ND" veth-p1 10.244.1.2 fd00:10:244:1::2 10.244.1.1 fd00:10:244:1::1 || return 1
	pod "$P2" "$ND" veth-p2 10.244.1.3 fd00:10:244:1::3 10.244.1.1 fd00:10:244:1::1 || return 1
	pod "$P3" "$N2" veth-p3 10.244.2.2 fd00:10:244:2::2 10.244.2.1 fd00:10:244:2::1 || return 1
	# kube-proxy's IPVS mode needs these on the node (its NewProxier)
	in_ns "$ND" sysctl -qw net.ipv4.vs.conntrack=1 || return 1
	in_ns "$ND" ip link add kube-ipvs0 type dummy || return 1
	# a bridged reply from a pod to a pod on the same bridge must meet
	# IPVS (and conntrack) on the node: br_netfilter, as with kube-proxy
	modprobe br_netfilter 2>/dev/null
	in_ns "$ND" sysctl -qw net.bridge.bridge-nf-call-iptables=1 || return 1
	in_ns "$ND" sysctl -qw net.bridge.bridge-nf-call-ip6tables=1 || return 1
}

# pod NS NODE_NS IFNAME IP4 IP6 GW4 GW6
pod() {
	ip link add eth0 netns "$1" type veth peer name "$3" netns "$2" || return 1
	in_ns "$2" ip link set "$3" master cbr0 up || return 1
	# a pod reaching itself through a service: the node's reply goes
	# back out of the port it came in by (the CNI bridge plugin's
	# hairpinMode, kubelet's --hairpin-mode=hairpin-veth)
	in_ns "$2" ip link set "$3" type bridge_slave hairpin on || return 1
	in_ns "$1" ip addr add "$4/24" dev eth0 || return 1
	in_ns "$1" ip addr add "$5/64" dev eth0 nodad || return 1
	in_ns "$1" ip link set eth0 up || return 1
	in_ns "$1" ip route add default via "$6" || return 1
	in_ns "$1" ip -6 route add default via "$7" || return 1
}

servers() {
	local i ns
	for i in 1 2 3; do
		ns=P$i
		serve "${!ns}" "p$i" 8080 -P || return 1
		serve "${!ns}" "p$i" 8053 -u -P || return 1
	done
}

# ---- what the agent would program: IPVS --------------------------------
# web:   cluster 10.96.0.10:80 / fd00:96::10, NodePort 30080 (tcp, udp),
#        LB 203.0.113.100:80 with source range 192.168.50.2/32; P1 P2 P3
# local: eTP=Local, cluster 10.96.0.11:80, NodePort 30081, external IP
#        198.51.100.11:80; P1 P3 (P1 the only local one)
# none:  eTP=Local, cluster 10.96.0.12:80, NodePort 30082; P3 only (none local)
# hair:  cluster 10.96.0.13:80; P1 only
vs() { # vs PROTO ADDR:PORT BACKEND...
	local proto=$1 addr=$2 b
	shift 2
	in_ns "$ND" ipvsadm -A "$proto" "$addr" -s rr || return 1
	for b in "$@"; do
		in_ns "$ND" ipvsadm -a "$proto" "$addr" -r "$b" -m || return 1
	done
}

ipvs_state() {
	local a
	for a in 10.96.0.10 10.96.0.11 10.96.0.12 10.96.0.13 203.0.113.100 198.51.100.11; do
		in_ns "$ND" ip addr add "$a/32" dev kube-ipvs0 || return 1
	done
	for a in fd00:96::10 fd00:96::11; do
		in_ns "$ND" ip addr add "$a/128" dev kube-ipvs0 nodad || return 1
	done
	local w4="10.244.1.2:8080 10.244.1.3:8080 10.244.2.2:8080"
	local w6="[fd00:10:244:1::2]:8080 [fd00:10:244:1::3]:8080 [fd00:10:244:2::2]:8080"
	vs -t 10.96.0.10:80 $w4 || return 1
	vs -t [fd00:96::10]:80 $w6 || return 1
	vs -t 192.168.50.1:30080 $w4 || return 1
	vs -t 192.168.60.1:30080 $w4 || return 1
	vs -t 10.244.1.1:30080 $w4 || return 1
	vs -t [fd00:50::1]:30080 $w6 || return 1
	vs -u 192.168.50.1:30080 10.244.1.2:8053 10.244.1.3:8053 10.244.2.2:8053 || return 1
	vs -t 203.0.113.100:80 $w4 || return 1
	vs -t 10.96.0.11:80 10.244.1.2:8080 10.244.2.2:8080 || return 1
	vs -t [fd00:96::11]:80 [fd00:10:244:1::2]:8080 [fd00:10:244:2::2]:8080 || return 1
	vs -t 192.168.50.1:30081 10.244.1.2:8080 || return 1
	vs -t [fd00:50::1]:30081 [fd00:10:244:1::2]:8080 || return 1
	vs -t 198.51.100.11:80 10.244.1.2:8080 || return 1
	vs -t 10.96.0.12:80 10.244.2.2:8080 || return 1
	vs -t 192.168.50.1:30082 || return 1
	vs -t 10.244.1.1:30082 || return 1
	vs -t 10.96.0.13:80 10.244.1.2:8080 || return 1
}

# ---- what the agent would program: nftables ------------------------------
MASQ=0x4000
nft_state() {
	in_ns "$ND" nft -f - <<EOF
table inet ipvsctl
delete table inet ipvsctl
table inet ipvsctl {
	set cluster4 { type ipv4_addr . inet_proto . inet_service; elements = {
		10.96.0.10 . tcp . 80, 10.96.0.11 . tcp . 80, 10.96.0.12 . tcp . 80, 10.96.0.13 . tcp . 80 } }
	set cluster6 { type ipv6_addr . inet_proto . inet_service; elements = {
		fd00:96::10 . tcp . 80, fd00:96::11 . tcp . 80 } }
	set external4 { type ipv4_addr . inet_proto . inet_service; elements = {
		203.0.113.100 . tcp . 80 } }
	set nodeport4 { type inet_proto . inet_service; elements = { tcp . 30080, udp . 30080 } }
	set nodeport6 { type inet_proto . inet_service; elements = { tcp . 30080 } }
	set hairpin4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr; elements = {
		10.244.1.2 . tcp . 8080 . 10.244.1.2, 10.244.1.3 . tcp . 8080 . 10.244.1.3,
		10.244.1.2 . udp . 8053 . 10.244.1.2, 10.244.1.3 . udp . 8053 . 10.244.1.3 } }
	set hairpin6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr; elements = {
		fd00:10:244:1::2 . tcp . 8080 . fd00:10:244:1::2, fd00:10:244:1::3 . tcp . 8080 . fd00:10:244:1::3 } }
	map shortcut4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; elements = {
		198.51.100.11 . tcp . 80 : 10.96.0.11 . 80 } }
	map shortcut-np4 { type inet_proto . inet_service : ipv4_addr . inet_service; elements = {
		tcp . 30081 : 10.96.0.11 . 80, tcp . 30082 : 10.96.0.12 . 80 } }
	map firewall4 { type ipv4_addr . inet_proto . inet_service : verdict; elements = {
		203.0.113.100 . tcp . 80 : goto fw-1 } }
	chain fw-1 {
		ip saddr { 192.168.50.2/32 } return
		drop
	}
	chain filter-prerouting {
		type filter hook prerouting priority -110; policy accept;
		ct state new ip daddr . meta l4proto . th dport vmap @firewall4
	}
	chain filter-output {
		type filter hook output priority -110; policy accept;
		ct state new ip daddr . meta l4proto . th dport vmap @firewall4
	}
	chain mark-masq {
		meta mark set meta mark | $MASQ
	}
	chain services {
		ip saddr 127.0.0.0/8 return
		ip6 saddr ::1 return
		ip saddr 10.244.0.0/16 dnat ip to ip daddr . meta l4proto . th dport map @shortcut4
		fib saddr type local dnat ip to ip daddr . meta l4proto . th dport map @shortcut4
		fib daddr type local ip saddr 10.244.0.0/16 dnat ip to meta l4proto . th dport map @shortcut-np4
		fib daddr type local fib saddr type local dnat ip to meta l4proto . th dport map @shortcut-np4
		ip daddr . meta l4proto . th dport @cluster4 ip saddr != 10.244.0.0/16 goto mark-masq
		ip6 daddr . meta l4proto . th dport @cluster6 ip6 saddr != fd00:10:244::/48 goto mark-masq
		ip daddr . meta l4proto . th dport @external4 goto mark-masq
		fib daddr type local meta nfproto ipv4 meta l4proto . th dport @nodeport4 goto mark-masq
		fib daddr type local meta nfproto ipv6 meta l4proto . th dport @nodeport6 goto mark-masq
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip daddr . meta l4proto . th dport . ip saddr @hairpin4 masquerade
		ip6 daddr . meta l4proto . th dport . ip6 saddr @hairpin6 masquerade
		meta mark & $MASQ == 0 return
		meta mark set meta mark ^ $MASQ
		masquerade fully-random
	}
}
EOF
}

setup_or_die "topology" topo_kube
setup_or_die "servers" servers
setup_or_die "IPVS services" ipvs_state
setup_or_die "nftables table" nft_state

# go NAME NS ADDR PORT [conn options]: N flows; prints the tally file
go() {
	local name=$1 ns=$2 addr=$3 port=$4 out
	out=$LIB_TMP/$(echo "$name" | tr -c "A-Za-z0-9\n" _)
	shift 4
	in_ns "$ns" "$MGTRAFFIC" conn -c "$addr" -p "$port" -n $N -t $((1500 * SCALE)) -E $N "$@" \
		>"$out" 2>/dev/null
	echo "$out"
}

# seen FILE: "ID@SRC" of every answer, sorted, distinct
seen() {
	awk '$1 == "backend" { print $2 }' "$1" | sort | tr '\n' ' '
}

# expect NAME FILE ANSWERS ALLOWED_RE: every flow answered (or, with
# ANSWERS 0, none), and every answer's ID@SRC matching ALLOWED_RE
expect() {
	local name=$1 f=$2 want=$3 re=$4 bad
	if [ "$want" = all ]; then
		check "$name: $N of $N answered ($(seen "$f"))" \
			test "$(total_of "$f")" = $N -a "$(errors_of "$f")" = 0
	else
		check "$name: none answered ($(errors_of "$f") errors, answers: $(seen "$f"))" \
			test "$(errors_of "$f")" = $N
	fi
	bad=$(awk '$1 == "backend" { print $2 }' "$f" | grep -Ev "^($re)\$" | tr '\n' ' ')
	check "$name: every answer from an allowed pod with the source expected${bad:+ (not: $bad)}" \
		test -z "$bad"
}

# 1. pod -> cluster IP: the pod's address kept; to itself (hairpin):
#    masqueraded to the node's bridge address
f=$(go "P2 -> web cluster IP" "$P2" 10.96.0.10 80)
expect "P2 -> web cluster IP (v4)" "$f" all "p1@10.244.1.3|p2@10.244.1.1|p3@10.244.1.3"
f=$(go "P2 -> web cluster IP v6" "$P2" fd00:96::10 80)
expect "P2 -> web cluster IP (v6)" "$f" all \
	"p1@fd00:10:244:1::3|p2@fd00:10:244:1::1|p3@fd00:10:244:1::3"
f=$(go "P1 -> hair" "$P1" 10.96.0.13 80)
expect "P1 -> its own service (hairpin)" "$f" all "p1@10.244.1.1"

# 2. the node itself -> cluster IP: masqueraded
f=$(go "node -> web" "$ND" 10.96.0.10 80)
expect "node -> web cluster IP" "$f" all "p1@10.244.1.1|p2@10.244.1.1|p3@192.168.60.1"

# 3. external client -> NodePort (policy Cluster): masqueraded, remote pod too
f=$(go "EXT -> NodePort 30080" "$EXT" 192.168.50.1 30080)
expect "EXT -> web NodePort tcp (v4)" "$f" all "p1@10.244.1.1|p2@10.244.1.1|p3@192.168.60.1"
f=$(go "EXT -> NodePort 30080 udp" "$EXT" 192.168.50.1 30080 -u)
expect "EXT -> web NodePort udp (v4)" "$f" all "p1@10.244.1.1|p2@10.244.1.1|p3@192.168.60.1"
f=$(go "EXT -> NodePort 30080 v6" "$EXT" fd00:50::1 30080)
expect "EXT -> web NodePort tcp (v6)" "$f" all \
	"p1@fd00:10:244:1::1|p2@fd00:10:244:1::1|p3@fd00:60::1"

# 4. policy Local: only local endpoints, the client's address kept
f=$(go "EXT -> NodePort 30081" "$EXT" 192.168.50.1 30081 -b 192.168.50.2)
expect "EXT -> local NodePort (v4)" "$f" all "p1@192.168.50.2"
f=$(go "EXT -> NodePort 30081 v6" "$EXT" fd00:50::1 30081 -b fd00:50::2)
expect "EXT -> local NodePort (v6)" "$f" all "p1@fd00:50::2"
f=$(go "EXT -> external IP" "$EXT" 198.51.100.11 80 -b 192.168.50.2)
expect "EXT -> local external IP" "$f" all "p1@192.168.50.2"
f=$(go "EXT -> none NodePort" "$EXT" 192.168.50.1 30082 -t 500)
expect "EXT -> Local NodePort with no local endpoint" "$f" 0 "-"

# 5. policy Local from inside the cluster: the shortcut to the cluster IP
f=$(go "P2 -> none NodePort" "$P2" 10.244.1.1 30082)
expect "P2 -> Local NodePort with no local endpoint: the cluster's" "$f" all "p3@10.244.1.3"
f=$(go "P2 -> external IP" "$P2" 198.51.100.11 80)
expect "P2 -> Local external IP: the cluster's endpoints" "$f" all "p1@10.244.1.3|p3@10.244.1.3"

# 6. source ranges
f=$(go "EXT .2 -> LB" "$EXT" 203.0.113.100 80 -b 192.168.50.2)
expect "EXT in range -> LB: masqueraded" "$f" all "p1@10.244.1.1|p2@10.244.1.1|p3@192.168.60.1"
f=$(go "EXT .3 -> LB" "$EXT" 203.0.113.100 80 -b 192.168.50.3 -t 500)
expect "EXT out of range -> LB: dropped" "$f" 0 "-"

exit "$(lib_result)"
