#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An unprivileged tenant, for maglev_tenants.sh: run as an ordinary user
# under "unshare -Urn", so root of a new user namespace in a new network
# namespace (D), which that user namespace owns. Builds a client
# namespace (C, same owner) joined to D by a veth pair, a pinned
# one-packet UDP maglev service in D through IPVS's socket options (all
# such a user can use), and floods it from C with COUNT random 5-tuples.
#
#   tenant.sh DIR SEED COUNT
#
# DIR (writable by the user) receives: pid (D's holder), state (ready,
# flooded, or failed: STEP), flood.out, info.json and show.json (the
# tenant's own view through ipvsctl). The tenant stays up until DIR/quit
# exists (checked for at most 600 s), so its namespaces can be measured.
dir=$1 seed=$2 count=$3
tools=$(cd "$(dirname "$0")" && pwd)
bin=${IPVSM_BIN:-$tools/../../../build/bin}
VIP=10.77.0.100
echo $$ >"$dir/pid"
fail() { echo "failed: $*" >"$dir/state"; exit 1; }
step() { local d=$1; shift; "$@" >>"$dir/log" 2>&1 || fail "$d"; }

step "lo" ip link set lo up
step "dummy VIP" ip link add dum0 type dummy
step "VIP" ip addr add $VIP/32 dev dum0
step "dum0 up" ip link set dum0 up
step "dummy backends" ip link add dum1 type dummy
step "backend net" ip addr add 10.77.2.254/24 dev dum1
step "dum1 up" ip link set dum1 up
step "no rp_filter" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
# C: a network namespace of the same user namespace
unshare -n sleep 900 &
cpid=$!
trap 'kill $cpid 2>/dev/null; exit 1' TERM INT
for _ in $(seq 200); do
	[ "$(readlink /proc/$cpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.05
done
step "veth to C" ip link add v0 type veth peer name v1 netns "$cpid"
step "v0" ip addr add 10.77.1.1/24 dev v0
step "v0 up" ip link set v0 up
step "C's side" nsenter -t "$cpid" -n sh -c \
	'ip link set lo up && ip addr add 10.77.1.2/24 dev v1 && ip link set v1 up &&
	 ip route add default via 10.77.1.1'
step "flood sources via C" ip route add 198.18.0.0/15 via 10.77.1.2
# one-packet scheduling (0x4) and flag-2 (0x10: maglev pins by default)
step "service" python3 "$tools/ipvs_sockopt.py" add-service udp $VIP 53 maglev 0x14
for i in 1 2 3; do
	step "backend $i" python3 "$tools/ipvs_sockopt.py" add-dest udp $VIP 53 10.77.2.$i 53 1 nat
done
echo ready >"$dir/state"
for _ in $(seq 6000); do
	[ -e "$dir/go" ] && break
	sleep 0.1
done
step "flood" nsenter -t "$cpid" -n "$bin/mgtraffic" flood -c $VIP -p 53 \
	-D $((240000 * ${TIMEOUT_SCALE:-1})) \
	-b 198.18.0.0/15 -r "$seed" -N "$count"
grep -E '^(sent|seconds|rate|send_errors) ' "$dir/log" >"$dir/flood.out"
"$bin/ipvsctl" -j maglev info >"$dir/info.json" 2>>"$dir/log"
"$bin/ipvsctl" -j maglev show udp/$VIP:53 >"$dir/show.json" 2>>"$dir/log"
echo flooded >"$dir/state"
for _ in $(seq 6000); do
	[ -e "$dir/quit" ] && break
	sleep 0.1
done
kill "$cpid"
wait
