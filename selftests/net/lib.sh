# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the VM tests: namespaces, the standard topology, the
# test servers, waits with deadlines, and result bookkeeping. Source it,
# call lib_init, build what you need, and end with "exit $(lib_result)".
#
# Conventions (kselftest): exit 0 pass, 1 fail, 4 skip. Every setup step
# is checked; a failing step aborts the test (setup_or_die). Nothing waits
# on a fixed sleep: wait_until polls a condition until a deadline.

ksft_pass=0
ksft_fail=1
ksft_skip=4

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${IPVSM_BIN:-$LIB_DIR/../../build/bin}
MGTRAFFIC=$BIN/mgtraffic
IPVSCTL=$BIN/ipvsctl

LIB_NS=()
LIB_PIDS=()
LIB_FAILS=0
LIB_CHECKS=0
LIB_TMP=

log() { echo "$*"; }

# A check: prints "ok"/"FAIL" with a description; a failure fails the test
# but the test goes on, so one run shows every broken property.
# not CMD...: succeeds when CMD fails (for check and wait_until)
not() {
	! "$@"
}

check() {
	local desc=$1
	shift
	LIB_CHECKS=$((LIB_CHECKS + 1))
	if "$@"; then
		echo "ok: $desc"
	else
		echo "FAIL: $desc"
		LIB_FAILS=$((LIB_FAILS + 1))
	fi
}

fail() {
	echo "FAIL: $*"
	LIB_FAILS=$((LIB_FAILS + 1))
	LIB_CHECKS=$((LIB_CHECKS + 1))
}

pass() {
	echo "ok: $*"
	LIB_CHECKS=$((LIB_CHECKS + 1))
}

# Setup steps must work; if one does not, the test cannot say anything.
setup_or_die() {
	local desc=$1
	shift
	if ! "$@"; then
		echo "FAIL: setup: $desc"
		exit $ksft_fail
	fi
}

skip() {
	echo "SKIP: $*"
	exit $ksft_skip
}

lib_result() {
	if [ "$LIB_CHECKS" -eq 0 ]; then
		echo "FAIL: the test checked nothing" >&2
		echo $ksft_fail
	elif [ "$LIB_FAILS" -ne 0 ]; then
		echo $ksft_fail
	else
		echo $ksft_pass
	fi
}

lib_cleanup() {
	local pid ns
	for pid in "${LIB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LIB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${LIB_NS[@]}"; do
		# services first, so each namespace's teardown is quick
		ip netns exec "$ns" ipvsadm -C 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$LIB_TMP" ] && rm -rf "$LIB_TMP"
}

lib_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	command -v ipvsadm >/dev/null || skip "ipvsadm not installed"
	[ -x "$MGTRAFFIC" ] || skip "$MGTRAFFIC not built"
	LIB_TMP=$(mktemp -d /tmp/ipvsm.XXXXXX)
	trap lib_cleanup EXIT
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds or the
# deadline passes. Returns CMD's last status.
wait_until() {
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		[ $(($(date +%s%N) / 1000000)) -ge $deadline ] && {
			"$@"
			return
		}
		sleep 0.05
	done
}

# ---- namespaces -------------------------------------------------------

# mkns VAR NAME: create namespace NAME-<pid> with lo up, store its name
# in VAR and remember it for cleanup
mkns() {
	local ns=$2-$$
	ip netns add "$ns" || return 1
	LIB_NS+=("$ns")
	ip -n "$ns" link set lo up || return 1
	printf -v "$1" '%s' "$ns"
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# run CMD in NS in the background, remembered for cleanup; sets LAST_PID
bg_in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	LAST_PID=$!
	LIB_PIDS+=("$LAST_PID")
}

# ---- the standard topology --------------------------------------------
#
#   client CL                 director DR                     backends B1..Bn
#   cl0 10.0.1.2/24  ---  dr0 10.0.1.1/24
#       fd00:1::2/64          fd00:1::1/64
#                             br0 10.0.2.1/24   ---+--- b0 10.0.2.11/24 (B1)
#                                 fd00:2::1/64     +--- b0 10.0.2.12/24 (B2) ...
#   VIP 10.0.1.100, fd00:ff::100 on DR's lo (off-link for IPv6: Linux answers
#   neighbour solicitations only for addresses on the receiving interface)
#
# topo_std N [TAG]: creates the namespaces and sets CL, DR, BE[1..N],
# BE_IP[i], BE_IP6[i]. Backends route via the director, so NAT replies
# return through it. TAG names a second, identical world in the same test.

VIP=10.0.1.100
VIP6=fd00:ff::100

topo_std() {
	local n=$1 tag=${2:-} i b
	mkns CL "cl$tag" || return 1
	mkns DR "dr$tag" || return 1
	ip link add cl0 netns "$CL" type veth peer name dr0 netns "$DR" || return 1
	in_ns "$CL" ip addr add 10.0.1.2/24 dev cl0 || return 1
	in_ns "$CL" ip addr add fd00:1::2/64 dev cl0 nodad || return 1
	in_ns "$CL" ip link set cl0 up || return 1
	in_ns "$CL" ip route add default via 10.0.1.1 || return 1
	in_ns "$CL" ip -6 route add default via fd00:1::1 || return 1
	in_ns "$DR" ip addr add 10.0.1.1/24 dev dr0 || return 1
	in_ns "$DR" ip addr add fd00:1::1/64 dev dr0 nodad || return 1
	in_ns "$DR" ip link set dr0 up || return 1
	in_ns "$DR" ip link add br0 type bridge || return 1
	in_ns "$DR" ip addr add 10.0.2.1/24 dev br0 || return 1
	in_ns "$DR" ip addr add fd00:2::1/64 dev br0 nodad || return 1
	in_ns "$DR" ip link set br0 up || return 1
	in_ns "$DR" sysctl -qw net.ipv4.ip_forward=1 || return 1
	in_ns "$DR" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	BE=()
	BE_IP=()
	BE_IP6=()
	for i in $(seq 1 "$n"); do
		mkns b "b$i$tag" || return 1
		BE[i]=$b
		BE_IP[i]=10.0.2.$((10 + i))
		BE_IP6[i]=fd00:2::$((10 + i))
		ip link add b0 netns "$b" type veth peer name "br-b$i" netns "$DR" || return 1
		in_ns "$DR" ip link set "br-b$i" master br0 up || return 1
		in_ns "$b" ip addr add "${BE_IP[i]}/24" dev b0 || return 1
		in_ns "$b" ip addr add "${BE_IP6[i]}/64" dev b0 nodad || return 1
		in_ns "$b" ip link set b0 up || return 1
		in_ns "$b" ip route add default via 10.0.2.1 || return 1
		in_ns "$b" ip -6 route add default via fd00:2::1 || return 1
	done
	return 0
}

# ---- the flat topology (DR, TUN) -----------------------------------------
#
#   one L2 segment, br0 in the director's namespace:
#     DR  br0 10.0.2.1/24   VIP 10.0.2.100 on lo (answers ARP for it)
#     CL  c0  10.0.2.2/24
#     Bi  b0  10.0.2.(10+i)/24, VIP on lo, arp_ignore=1 arp_announce=2
#   Backends answer the client directly (DR: same L2; TUN: decapsulated
#   from tunl0).

FVIP=10.0.2.100

topo_flat() {
	local n=$1 i b
	mkns DR dr || return 1
	mkns CL cl || return 1
	in_ns "$DR" ip link add br0 type bridge || return 1
	in_ns "$DR" ip addr add 10.0.2.1/24 dev br0 || return 1
	in_ns "$DR" ip link set br0 up || return 1
	in_ns "$DR" ip addr add "$FVIP/32" dev lo || return 1
	ip link add c0 netns "$CL" type veth peer name br-cl netns "$DR" || return 1
	in_ns "$DR" ip link set br-cl master br0 up || return 1
	in_ns "$CL" ip addr add 10.0.2.2/24 dev c0 || return 1
	in_ns "$CL" ip link set c0 up || return 1
	BE=()
	BE_IP=()
	for i in $(seq 1 "$n"); do
		mkns b "b$i" || return 1
		BE[i]=$b
		BE_IP[i]=10.0.2.$((10 + i))
		ip link add b0 netns "$b" type veth peer name "br-b$i" netns "$DR" || return 1
		in_ns "$DR" ip link set "br-b$i" master br0 up || return 1
		in_ns "$b" sysctl -qw net.ipv4.conf.all.arp_ignore=1 || return 1
		in_ns "$b" sysctl -qw net.ipv4.conf.all.arp_announce=2 || return 1
		in_ns "$b" ip addr add "${BE_IP[i]}/24" dev b0 || return 1
		in_ns "$b" ip link set b0 up || return 1
		in_ns "$b" ip addr add "$FVIP/32" dev lo || return 1
	done
	return 0
}

# flat_tun: make the flat topology's backends accept IPIP to the VIP
flat_tun() {
	local i
	for i in "${!BE[@]}"; do
		in_ns "${BE[i]}" ip link add tunl0 type ipip 2>/dev/null
		in_ns "${BE[i]}" ip link set tunl0 up || return 1
		in_ns "${BE[i]}" sysctl -qw net.ipv4.conf.all.rp_filter=0 || return 1
		in_ns "${BE[i]}" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0 || return 1
	done
}

# vip_local: the VIPs as local addresses of the director (NAT, and DR/TUN
# on the director side)
vip_local() {
	in_ns "$DR" ip addr add "$VIP/32" dev lo &&
		in_ns "$DR" ip addr add "$VIP6/128" dev lo nodad
}

# serve NS ID PORT [mgtraffic options]: start a backend server and wait
# until it is bound
serve() {
	local ns=$1 id=$2 port=$3 ready
	shift 3
	ready=$LIB_TMP/ready-$id-$port-$RANDOM
	bg_in_ns "$ns" "$MGTRAFFIC" serve -i "$id" -p "$port" -r "$ready" "$@"
	wait_until 10 test -e "$ready"
}

# serve_all PORT [opts]: server "bI" in every backend namespace
serve_all() {
	local port=$1 i
	shift
	for i in "${!BE[@]}"; do
		serve "${BE[i]}" "b$i" "$port" "$@" || return 1
	done
}

# ipvs ARGS: ipvsadm in the director
ipvs() {
	in_ns "$DR" ipvsadm "$@"
}

# count_of ID FILE: the "backend ID COUNT" count from mgtraffic output
count_of() {
	awk -v id="$1" '$1 == "backend" && $2 == id { print $3; found = 1 } END { if (!found) print 0 }' "$2"
}

total_of() {
	awk '$1 == "total" { print $2 }' "$1"
}

errors_of() {
	awk '$1 == "errors" { print $2 }' "$1"
}

module_loaded() {
	[ -d /sys/module/ip_vs_maglev ]
}

# ---- maglev state, through ipvsctl --------------------------------------

# mg_json NS SERVICE: "ipvsctl maglev show" of one service, one JSON line
mg_json() {
	"$IPVSCTL" -N "$1" -j maglev show "$2"
}

# mg_port_to NS SERVICE BACKEND FROM: the first source port of client
# 10.0.1.2 in FROM..FROM+200 whose flow the live table gives BACKEND
# ("ADDR:PORT"); nothing if none does
mg_port_to() {
	local p ports=()
	for p in $(seq "$4" $(($4 + 200))); do
		ports+=("10.0.1.2:$p")
	done
	"$IPVSCTL" -N "$1" maglev lookup "$2" "${ports[@]}" |
		awk -v be="$3" '$2 == be { sub(/.*:/, "", $1); print $1; exit }'
}

# mg_settled NS SERVICE: no rebuild pending
mg_settled() {
	mg_json "$1" "$2" | grep -q '"pending":false'
}

# mg_serving NS SERVICE: the service's table has scheduled flows for at
# least the rebuild holdoff, so a backend joining or coming back ramps
# (slow start protects only a service that carries load)
mg_serving() {
	local v
	v=$(mg_field "$1" "$2" serving_ms)
	[ "$v" != None ] && [ "$v" -ge "$(cat /sys/module/ip_vs_maglev/parameters/rebuild_holdoff_ms)" ]
}

# mg_field NS SERVICE FIELD: a service field (top level of the service)
mg_field() {
	mg_json "$1" "$2" | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
v = s[sys.argv[1]]
print(str(v).lower() if isinstance(v, bool) else v)' "$3"
}

# mg_be_field NS SERVICE BACKEND FIELD: a backend's field ("ADDR:PORT")
mg_be_field() {
	mg_json "$1" "$2" | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
for b in s["backends"]:
    if b["backend"] == sys.argv[1]:
        v = b[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)
        break
else:
    print("none")' "$3" "$4"
}
