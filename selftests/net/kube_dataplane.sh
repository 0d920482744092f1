#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The dataplane of `ipvsctl kube sync` end to end, from Services and
# EndpointSlices in the JSON of `kubectl get -o json`: IPVS NAT services,
# the addresses on kube-ipvs0, and the nftables table inet ipvsctl
# (masquerading, Local policies, source ranges, hairpin, the in-cluster
# shortcut), both families; TCP, UDP and an SCTP node port. Every backend
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
# nf_tables with NAT, fib and masquerade, and br_netfilter: Debian's
# kernels have them; a kernel built without them cannot run this test
modprobe br_netfilter 2>/dev/null
[ -d /proc/sys/net/bridge ] || skip "no br_netfilter in this kernel"
echo 'table inet ipvsctl-probe { chain p { type nat hook postrouting priority srcnat; fib saddr type local masquerade fully-random; }; }' |
	nft -c -f - 2>/dev/null || skip "no nf_tables NAT, fib or masquerade in this kernel"

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
	# kube-ipvs0 and net.ipv4.vs.conntrack are the agent's to set up
	# a bridged reply from a pod to a pod on the same bridge must meet
	# IPVS (and conntrack) on the node: br_netfilter, as with kube-proxy
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

# ---- the cluster's objects, as `kubectl get -o json` prints them ----------
# web:   LoadBalancer, dual stack: cluster 10.96.0.10 / fd00:96::10, port
#        80/tcp -> 8080 and 80/udp -> 8053, NodePort 30080 (both), LB IP
#        203.0.113.100 with source range 192.168.50.2/32; P1 P2 P3
# local: NodePort, externalTrafficPolicy Local, cluster 10.96.0.11 /
#        fd00:96::11, NodePort 30081, external IP 198.51.100.11; P1 P3
#        (P1 the node's only one)
# none:  NodePort, Local, cluster 10.96.0.12, NodePort 30082; P3 only
# hair:  ClusterIP 10.96.0.13; P1 only
# taken: ClusterIP 10.96.0.14, external IP 192.168.50.1:443 (the node's
#        own address, where the operator has an IPVS service of his own)
objects() {
	cat <<'JS'
{"kind": "List", "apiVersion": "v1", "items": [
 {"kind": "Service", "apiVersion": "v1",
  "metadata": {"namespace": "default", "name": "web", "uid": "1"},
  "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10",
           "clusterIPs": ["10.96.0.10", "fd00:96::10"], "ipFamilies": ["IPv4", "IPv6"],
           "ipFamilyPolicy": "PreferDualStack",
           "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                     {"name": "dns", "protocol": "UDP", "port": 80, "targetPort": 8053, "nodePort": 30080}],
           "loadBalancerSourceRanges": ["192.168.50.2/32"],
           "externalTrafficPolicy": "Cluster", "sessionAffinity": "None"},
  "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.100", "ipMode": "VIP"}]}}},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "web-4",
               "labels": {"kubernetes.io/service-name": "web"}},
  "addressType": "IPv4",
  "ports": [{"name": "http", "protocol": "TCP", "port": 8080}, {"name": "dns", "protocol": "UDP", "port": 8053}],
  "endpoints": [
   {"addresses": ["10.244.1.2"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["10.244.1.3"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["10.244.2.2"], "conditions": {"ready": true}, "nodeName": "n2"}]},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "web-6",
               "labels": {"kubernetes.io/service-name": "web"}},
  "addressType": "IPv6",
  "ports": [{"name": "http", "protocol": "TCP", "port": 8080}, {"name": "dns", "protocol": "UDP", "port": 8053}],
  "endpoints": [
   {"addresses": ["fd00:10:244:1::2"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["fd00:10:244:1::3"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["fd00:10:244:2::2"], "conditions": {"ready": true}, "nodeName": "n2"}]},
 {"kind": "Service", "apiVersion": "v1",
  "metadata": {"namespace": "default", "name": "local", "uid": "2"},
  "spec": {"type": "NodePort", "clusterIP": "10.96.0.11",
           "clusterIPs": ["10.96.0.11", "fd00:96::11"], "ipFamilies": ["IPv4", "IPv6"],
           "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30081}],
           "externalIPs": ["198.51.100.11"], "externalTrafficPolicy": "Local"}},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "local-4",
               "labels": {"kubernetes.io/service-name": "local"}},
  "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
  "endpoints": [
   {"addresses": ["10.244.1.2"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["10.244.2.2"], "conditions": {"ready": true}, "nodeName": "n2"}]},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "local-6",
               "labels": {"kubernetes.io/service-name": "local"}},
  "addressType": "IPv6", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
  "endpoints": [
   {"addresses": ["fd00:10:244:1::2"], "conditions": {"ready": true}, "nodeName": "nd"},
   {"addresses": ["fd00:10:244:2::2"], "conditions": {"ready": true}, "nodeName": "n2"}]},
 {"kind": "Service", "apiVersion": "v1",
  "metadata": {"namespace": "default", "name": "none", "uid": "3"},
  "spec": {"type": "NodePort", "clusterIP": "10.96.0.12", "clusterIPs": ["10.96.0.12"],
           "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30082}],
           "externalTrafficPolicy": "Local"}},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "none-4",
               "labels": {"kubernetes.io/service-name": "none"}},
  "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
  "endpoints": [{"addresses": ["10.244.2.2"], "conditions": {"ready": true}, "nodeName": "n2"}]},
 {"kind": "Service", "apiVersion": "v1",
  "metadata": {"namespace": "default", "name": "hair", "uid": "4"},
  "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.13", "clusterIPs": ["10.96.0.13"],
           "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}]}},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "hair-4",
               "labels": {"kubernetes.io/service-name": "hair"}},
  "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
  "endpoints": [{"addresses": ["10.244.1.2"], "conditions": {"ready": true}, "nodeName": "nd"}]},
 {"kind": "Service", "apiVersion": "v1",
  "metadata": {"namespace": "default", "name": "taken", "uid": "5"},
  "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.14", "clusterIPs": ["10.96.0.14"],
           "externalIPs": ["192.168.50.1"],
           "ports": [{"protocol": "TCP", "port": 443, "targetPort": 8080}]}},
 {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
  "metadata": {"namespace": "default", "name": "taken-4",
               "labels": {"kubernetes.io/service-name": "taken"}},
  "addressType": "IPv4", "ports": [{"name": "", "protocol": "TCP", "port": 8080}],
  "endpoints": [{"addresses": ["10.244.1.2"], "conditions": {"ready": true}, "nodeName": "nd"}]}
]}
JS
}

# the node agent's one-shot sync, as node "nd"
kube() { # kube SUBCOMMAND [options]
	in_ns "$ND" "$IPVSCTL" kube "$@" --node nd --node-ip 192.168.50.1 --node-ip 192.168.60.1 \
		--node-ip 10.244.1.1 --node-ip fd00:50::1 --cluster-cidr 10.244.0.0/16 \
		--cluster-cidr fd00:10:244::/48 --state-dir "$LIB_TMP/state"
}

# an operator's own service on the node, which the agent must leave alone
own_service() {
	in_ns "$ND" ipvsadm -A -t 192.168.50.1:443 -s rr &&
		in_ns "$ND" ipvsadm -a -t 192.168.50.1:443 -r 10.244.1.3:8080 -m
}

setup_or_die "topology" topo_kube
setup_or_die "servers" servers
setup_or_die "an operator's own service" own_service
objects >"$LIB_TMP/objects.json"
kube sync -f "$LIB_TMP/objects.json" >"$LIB_TMP/sync.out" 2>"$LIB_TMP/sync.err"
rc=$?
check "kube sync: exit 0 ($rc: $(tail -n 3 "$LIB_TMP/sync.err" | tr '\n' ' '))" test $rc = 0
vips=$(in_ns "$ND" ip -o addr show dev kube-ipvs0 scope global | awk '{ print $4 }' | sed 's#/.*##' | sort | tr '\n' ' ')
check "kube-ipvs0 holds the cluster, external and LB IPs, no node IP (not even as an external IP) ($vips)" \
	test "$vips" = "10.96.0.10 10.96.0.11 10.96.0.12 10.96.0.13 10.96.0.14 198.51.100.11 203.0.113.100 fd00:96::10 fd00:96::11 "
check "net.ipv4.vs.conntrack is 1" test "$(in_ns "$ND" sysctl -n net.ipv4.vs.conntrack)" = 1
check "the operator's service on a Service's external IP is left alone" \
	test "$(in_ns "$ND" ipvsadm -L -n -t 192.168.50.1:443 | awk '$1 == "->" && $2 ~ /^[0-9]/ { print $2 }')" = 10.244.1.3:8080
check "  and the sync said so" grep -q "192.168.50.1:443 exists and was not made by ipvsctl kube" "$LIB_TMP/sync.err"

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

# 7. a second sync of the same objects changes nothing
kube sync -f "$LIB_TMP/objects.json" >/dev/null 2>"$LIB_TMP/sync2.err"
check "a second sync: no IPVS or address change ($(tail -n 1 "$LIB_TMP/sync2.err"))" \
	grep -q "synced: 0 IPVS changes, 0 address changes" "$LIB_TMP/sync2.err"

# 8. a Service deleted: its IPVS services and address go, nothing else
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["items"] = [o for o in d["items"] if o["metadata"]["name"] not in ("hair", "hair-4")]
json.dump(d, open(sys.argv[2], "w"))' "$LIB_TMP/objects.json" "$LIB_TMP/objects2.json"
kube sync -f "$LIB_TMP/objects2.json" >/dev/null 2>"$LIB_TMP/sync3.err"
check "hair deleted: its service is gone" not in_ns "$ND" ipvsadm -L -n -t 10.96.0.13:80
check "  and its address" not in_ns "$ND" sh -c "ip -o addr show dev kube-ipvs0 | grep -q ' 10.96.0.13/'"
check "  web is still served" in_ns "$ND" ipvsadm -L -n -t 10.96.0.10:80
check "  the operator's own service is untouched" in_ns "$ND" ipvsadm -L -n -t 192.168.50.1:443
f=$(go "P2 -> web after" "$P2" 10.96.0.10 80)
expect "P2 -> web cluster IP after the change" "$f" all "p1@10.244.1.3|p2@10.244.1.1|p3@10.244.1.3"

# 9a. UDP, an endpoint removed: the flow's next datagram goes to another
#     pod (IPVS drops the flow's entries with the real server:
#     expire_nodest_conn, which the sync sets)
f=$(go "EXT udp 40000" "$EXT" 192.168.50.1 30080 -u -n 1 -s 40000)
first=$(awk '$1 == "backend" { sub(/@.*/, "", $2); print $2 }' "$f")
check "a UDP flow from port 40000 is answered (by $first)" test "$(total_of "$f")" = 1
case $first in
p1) gone=10.244.1.2 ;;
p2) gone=10.244.1.3 ;;
*) gone=10.244.2.2 ;;
esac
edit_objects() { # edit_objects IN OUT PYTHON: d is the List
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
$3
json.dump(d, open(sys.argv[2], 'w'))" "$1" "$2"
}
edit_objects "$LIB_TMP/objects2.json" "$LIB_TMP/objects3.json" "
for o in d['items']:
    if o['metadata']['name'] == 'web-4':
        o['endpoints'] = [e for e in o['endpoints'] if e['addresses'][0] != '$gone']"
kube sync -f "$LIB_TMP/objects3.json" >/dev/null 2>"$LIB_TMP/sync4.err"
f=$(go "EXT udp 40000 again" "$EXT" 192.168.50.1 30080 -u -n 1 -s 40000)
again=$(awk '$1 == "backend" { sub(/@.*/, "", $2); print $2 }' "$f")
check "  its pod ($gone) removed: the flow's next datagram is answered, by another pod (${again:-none})" \
	test "$(total_of "$f")" = 1 -a -n "$again" -a "$again" != "$first"

# 9b. UDP, a Service that appears (kube-proxy's conntrack cleanup): a
#     datagram sent to its node port before it existed was taken by the
#     node itself and left a conntrack entry that is not NATed (its reply
#     source is the node port); the flow's next datagram, for the new
#     Service, must not follow it. The endpoint is on the other node, so
#     the datagram must be masqueraded to be answered at all, which only a
#     new entry gets.
f=$(go "EXT dns none" "$EXT" 192.168.50.1 30053 -u -n 1 -s 40001 -t 500)
check "no Service on node port 30053 yet: the datagram from port 40001 is not answered" \
	test "$(total_of "$f")" = 0
edit_objects "$LIB_TMP/objects3.json" "$LIB_TMP/objects4.json" "
d['items'].append({'kind': 'Service', 'apiVersion': 'v1',
  'metadata': {'namespace': 'default', 'name': 'dns'},
  'spec': {'type': 'NodePort', 'clusterIP': '10.96.0.53', 'clusterIPs': ['10.96.0.53'],
           'ports': [{'name': 'dns', 'protocol': 'UDP', 'port': 53, 'targetPort': 8053,
                      'nodePort': 30053}]}})
d['items'].append({'kind': 'EndpointSlice', 'apiVersion': 'discovery.k8s.io/v1',
  'metadata': {'namespace': 'default', 'name': 'dns-4',
               'labels': {'kubernetes.io/service-name': 'dns'}},
  'addressType': 'IPv4', 'ports': [{'name': 'dns', 'protocol': 'UDP', 'port': 8053}],
  'endpoints': [{'addresses': ['10.244.2.2'], 'conditions': {'ready': True}, 'nodeName': 'n2'}]})"
kube sync -f "$LIB_TMP/objects4.json" >/dev/null 2>"$LIB_TMP/sync5.err"
check "  the Service created: the sync clears that entry ($(tail -n 1 "$LIB_TMP/sync5.err"))" \
	grep -Eq "[1-9][0-9]* stale UDP entr(y|ies) cleared" "$LIB_TMP/sync5.err"
f=$(go "EXT dns again" "$EXT" 192.168.50.1 30053 -u -n 1 -s 40001)
check "  the flow's next datagram is answered by its endpoint, masqueraded ($(seen "$f"))" \
	test "$(total_of "$f")" = 1 -a "$(seen "$f")" = "p3@192.168.60.1 "

# 10. internalTrafficPolicy Local (the node's endpoints only, for traffic
#     from a pod or the node; none if it has none) and an SCTP node port
#     (masqueraded, a remote pod too). SCTP servers bound to one address:
#     an association through NAT must not list others (maglev_modes.sh).
setup_or_die "SCTP servers" eval 'serve "$P1" p1 8132 -S -P -b 10.244.1.2 &&
	serve "$P3" p3 8132 -S -P -b 10.244.2.2'
edit_objects "$LIB_TMP/objects4.json" "$LIB_TMP/objects5.json" "
def svc(name, ip, ports, **spec):
    d['items'].append({'kind': 'Service', 'apiVersion': 'v1',
      'metadata': {'namespace': 'default', 'name': name},
      'spec': dict(dict(type='ClusterIP', clusterIP=ip, clusterIPs=[ip], ports=ports), **spec)})
def eps(name, port, proto, addrs):
    d['items'].append({'kind': 'EndpointSlice', 'apiVersion': 'discovery.k8s.io/v1',
      'metadata': {'namespace': 'default', 'name': name + '-4',
                   'labels': {'kubernetes.io/service-name': name}},
      'addressType': 'IPv4', 'ports': [{'name': '', 'protocol': proto, 'port': port}],
      'endpoints': [{'addresses': [a], 'conditions': {'ready': True}, 'nodeName': n}
                    for a, n in addrs]})
tcp80 = [{'protocol': 'TCP', 'port': 80, 'targetPort': 8080}]
svc('itl', '10.96.0.15', tcp80, internalTrafficPolicy='Local')
eps('itl', 8080, 'TCP', [('10.244.1.2', 'nd'), ('10.244.2.2', 'n2')])
svc('itlnone', '10.96.0.16', tcp80, internalTrafficPolicy='Local')
eps('itlnone', 8080, 'TCP', [('10.244.2.2', 'n2')])
svc('sctp', '10.96.0.17', [{'protocol': 'SCTP', 'port': 132, 'targetPort': 8132, 'nodePort': 30132}],
    type='NodePort')
eps('sctp', 8132, 'SCTP', [('10.244.1.2', 'nd'), ('10.244.2.2', 'n2')])"
kube sync -f "$LIB_TMP/objects5.json" >/dev/null 2>"$LIB_TMP/sync6.err"
check "internalTrafficPolicy Local and SCTP Services synced ($(tail -n 1 "$LIB_TMP/sync6.err"))" \
	grep -q "synced: " "$LIB_TMP/sync6.err"
f=$(go "P2 -> itl" "$P2" 10.96.0.15 80)
expect "P2 -> internalTrafficPolicy Local: this node's endpoint, the pod's address kept" "$f" all \
	"p1@10.244.1.3"
f=$(go "node -> itl" "$ND" 10.96.0.15 80)
expect "node -> internalTrafficPolicy Local: this node's endpoint" "$f" all "p1@10.244.1.1"
f=$(go "P2 -> itlnone" "$P2" 10.96.0.16 80 -t 500)
expect "P2 -> internalTrafficPolicy Local with no local endpoint: dropped" "$f" 0 "-"
f=$(go "EXT -> SCTP NodePort" "$EXT" 192.168.50.1 30132 -S -b 192.168.50.2 -s 30000 \
	-t $((4000 * SCALE)))
expect "EXT -> SCTP NodePort (policy Cluster): masqueraded, a remote pod too" "$f" all \
	"p1@10.244.1.1|p3@192.168.60.1"

# 9. cleanup: the table, the services made, the addresses; not the rest
kube cleanup >/dev/null 2>"$LIB_TMP/clean.err"
rc=$?
check "kube cleanup: exit 0 ($rc: $(tail -n 2 "$LIB_TMP/clean.err" | tr '\n' ' '))" test $rc = 0
check "  the table is gone" not in_ns "$ND" nft list table inet ipvsctl
left=$(in_ns "$ND" ipvsadm -S -n | grep -c '^-A')
check "  one IPVS service left, the operator's ($left)" test "$left" = 1
check "  it is the operator's" in_ns "$ND" ipvsadm -L -n -t 192.168.50.1:443
check "  kube-ipvs0 holds no address" \
	test -z "$(in_ns "$ND" ip -o addr show dev kube-ipvs0 scope global)"

exit "$(lib_result)"
