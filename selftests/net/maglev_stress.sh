#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Concurrency stress: configuration churn and traffic at the same time, for
# STRESS_SECONDS (argument 1, or the environment; default 60), judged only
# by invariants afterwards, never by how long anything took.
#
# Traffic, all along: new TCP connections to S1, S2 and S3, four
# long-lived TCP connections (two on S2, two on S3), and pinned
# one-packet-scheduling UDP flows from many source ports to U1, U2 and U3
# (ipvsadm -o -b flag-2: pinning on), plus a flood of random UDP 5-tuples
# at U2.
#
# Churn, in loops that run side by side and stop by themselves:
#   weights-one   S1's only backend, and S4's only backend in the table,
#                 flap between weight 0 and 1..100, about once a
#                 millisecond, through IPVS's setsockopt interface (no
#                 genl_mutex, so concurrent with netlink builds); on S4
#                 every flap starts a ramp (slow start 2 s), so the work
#                 item builds ramp steps while the weight changes
#   weights-many  S2's 64 backends flap between 0 and 1..100; S2 has a 2 s
#                 slow-start window, so the work item builds ramp steps
#   tables        S1 and S4 alternate between table sizes 1048573 and 65521,
#                 S2 between 65521 and 16381, through IPVS_MAGLEV
#                 SET_SERVICE, each one a build under netlink
#   sched         S3 switches maglev -> rr -> maglev (ipvsadm -E)
#   down-up       backends of U1 and S2 marked down and up (ipvsctl)
#   pins          U1's pinning turned off, on, auto, and its pins flushed
#   dumps         ipvsadm -Ln, ipvsadm -Lnc, ipvsctl -j maglev show,
#                 ipvsctl -j list --maglev, maglev info, in DR and D2
#   recreate      U2 deleted and re-created, and switched to rr and back,
#                 in D2, under its UDP traffic and the flood (through
#                 IPVS's setsockopt interface, as fast as it goes)
#   flush         every pin of D2 flushed, in a loop (IPVS_MAGLEV
#                 FLUSH_PINS), so U2 often has no pin when it goes
#   doomed        D3's weights flap until D3, with live maglev services and
#                 traffic, is deleted (ip netns del) after 2/5 of the run
#
# Then, with every loop joined (and the traffic stopped, for 1 to 4):
#  0. every configuration command of the loops was accepted (dumps and
#     D3's loop aside), and U1 pins flows again once its loop is done;
#  1. traffic was answered, and the long-lived connections kept their
#     backend and every reply;
#  2. every maglev service settles (no pending build, no ramp), and its
#     table digest equals that of a fresh service given the same final
#     configuration (backends, weights, down marks, table size) in a
#     scratch namespace: no table is left built from a half-changed state;
#     and no service counts more ramp-step builds than tables built;
#  3. pin counts agree: per service, the entries equal the sum of the
#     per-backend pins; per namespace, its entries equal the sum over its
#     services; after flushing each service's pins, the namespace has none
#     (a pin of a service that is gone would be left);
#  4. after "ipvsadm -C" in every namespace, the module's reference count
#     is 0 and it unloads;
#  5. the harness fails the run on any kernel splat; an oops ends the VM
#     (panic=-1 oops=panic), which fails it too. The kernel log gets a
#     "maglev_stress:" line for each phase, to place a splat.
#
# The flat topology (DR method: every service's backends answer on the
# same ports, :80 and :53, whatever the VIP), with two more directors on
# the segment:
#
#   br0 in DR ---+--- CL  10.0.2.2   traffic, the flood from 198.18.0.0/15
#                +--- B1..B4  10.0.2.11-14, aliases 10.0.2.128-191 (S2's
#                |    64 backends, 16 on each), every VIP on lo
#                +--- D2  10.0.2.3   VIP 10.0.2.101 on lo
#                +--- D3  10.0.2.4   VIP 10.0.2.102 on lo (deleted mid-run)
#
#   DR, VIPs on lo:
#     S1 tcp 10.0.2.100:80  maglev, 1 backend (B1), table size 1048573
#     U1 udp 10.0.2.100:53  maglev, OPS, flag-2 (pinned), B1..B4
#     S2 tcp 10.0.2.103:80  maglev, 64 backends, table size 65521, slow
#                           start 2 s
#     S3 tcp 10.0.2.104:80  maglev, B1..B4 (switched to rr and back)
#     S4 tcp 10.0.2.105:80  maglev, B1, and B2 marked down; table size
#                           1048573, slow start 2 s (no traffic)
#   D2: U2 udp 10.0.2.101:53  maglev, OPS, flag-2, B1..B4
#   D3: U3 udp 10.0.2.102:53  maglev, OPS, flag-2, B1..B4
#       T3 tcp 10.0.2.102:80  maglev, B1..B4, table size 1048573, slow start
#   A service given no table size has the module's default, set to 251 here.
#
# A longer run: "selftests/vm/run.sh -m script -s selftests/net/maglev_stress.sh
# 600", or in the suite VM_APPEND=STRESS_SECONDS=600 with VM_TIMEOUT_SCALE
# large enough (the default run takes about 3 minutes of the 300 s timeout).
# STRESS_LOOPS (a comma-separated list of the loop names above; default
# all) runs only some loops, to look at one race at a time; VM_APPEND can
# pass it too. VM_APPEND=slub_debug=FZPU makes a write to a freed service
# (a pin that outlived it) show up as "Poison overwritten".

source "$(dirname "$0")/lib.sh"
lib_init

STRESS_SECONDS=${1:-${STRESS_SECONDS:-60}}
STRESS_LOOPS=${STRESS_LOOPS:-all}
if ! [[ $STRESS_SECONDS =~ ^[0-9]+$ ]] || [ "$STRESS_SECONDS" -lt 10 ]; then
	skip "STRESS_SECONDS must be a number of seconds, at least 10 (not '$STRESS_SECONDS')"
fi

VIP2=10.0.2.101		# D2's
VIP3=10.0.2.102		# D3's
VIP_S2=10.0.2.103
VIP_S3=10.0.2.104
VIP_S4=10.0.2.105
S1=tcp/$FVIP:80
S2=tcp/$VIP_S2:80
S3=tcp/$VIP_S3:80
S4=tcp/$VIP_S4:80
U1=udp/$FVIP:53
U2=udp/$VIP2:53
U3=udp/$VIP3:53
T3=tcp/$VIP3:80
FLOOD_NET=198.18.0.0/15
BIG=1048573		# the largest table: the longest builds, the widest windows
SMALL=65521
SMALLER=16381		# S2's other size: 64 backends build slowly already
BATCH=6			# changes per ipvsadm -R process
TOOLS=$LIB_DIR/tools
PARAMS=/sys/module/ip_vs_maglev/parameters
REFCNT=/sys/module/ip_vs_maglev/refcnt

phase() {
	log "$*"
	echo "maglev_stress: $*" >/dev/kmsg 2>/dev/null
}

loop_on() {
	[ "$STRESS_LOOPS" = all ] || [[ ",$STRESS_LOOPS," == *",$1,"* ]]
}

ipvsctl() {
	"$IPVSCTL" "$@"
}

# ---- the loops' helpers, in Python --------------------------------------
#
# PY_GENL_LOOP TOOLS MODE END CAP [SERVICE...]: until END (epoch seconds)
# or CAP requests, either alternate the table size of each SERVICE
# ("proto,addrhex,port,size1,size2") between its two sizes (MODE tables),
# or flush every pin of the namespace (MODE flush). One socket for the whole run. The
# numbers are IPVS_MAGLEV's (include/uapi/linux/ip_vs_maglev.h): commands
# SET_SERVICE 3 and FLUSH_PINS 7; A_SERVICE 2, and in it AF 1, PROTOCOL 2,
# ADDR 3, PORT 4, TABLE_SIZE 6.
PY_GENL_LOOP='
import os, sys, time
sys.path.insert(0, sys.argv[1])
from genl import Genl
mode, end, cap = sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
svcs = [s.split(",") for s in sys.argv[5:]]
g = Genl("IPVS_MAGLEV")
g.sock.settimeout(120)
n = fails = r = 0
last = ""
while time.time() < end and n < cap:
    try:
        if mode == "tables":
            r += 1
            for k, (proto, addr, port, size1, size2) in enumerate(svcs):
                size = int(size1 if (r + k) % 2 == 0 else size2)
                err, msg, _ = g.request(3, [[2, "nest", [
                    [1, "u16", 2], [2, "u16", int(proto)], [3, "bin", addr],
                    [4, "be16", int(port)], [6, "u32", size]]]])
                n += 1
                if err:
                    fails += 1
                    last = "%s (%s)" % (os.strerror(err), msg)
                # each is a build under genl_mutex: let others in between
                time.sleep(0.1)
        else:
            err, msg, _ = g.request(7, [])
            n += 1
            if err:
                fails += 1
                last = "%s (%s)" % (os.strerror(err), msg)
            time.sleep(0.01)
    except OSError as e:
        fails += 1
        last = str(e)
        g = Genl("IPVS_MAGLEV")
        g.sock.settimeout(120)
print("%d requests, %d refused%s" % (n, fails, ", last: " + last if last else ""))
'

# PY_SOCKOPT MODE END CAP ARGS...: IPVS driven through its setsockopt
# interface (IP_VS_SO_SET_*: struct ip_vs_service_user, then struct
# ip_vs_dest_user for the backend commands), until END (epoch seconds) or
# CAP changes. That path takes IPVS's mutex but not genl_mutex, so it runs
# while a netlink request (the tables loop) builds a table, as well as
# while the work item does.
#   flap VIP,PORT,BACKEND...  flap each BACKEND's weight (TCP, direct
#                             routing) between 0 and 1..100, about one
#                             change a millisecond
#   recreate VIP PORT BACKEND...  the pinned OPS UDP service VIP:PORT
#                             (maglev, flag-2, direct routing) deleted and
#                             re-created with the BACKENDs, then switched
#                             to rr and back 8 times, over and over; it
#                             ends as it began
PY_SOCKOPT='
import random, socket, struct, sys, time
mode, end, cap = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
BASE = 64 + 1024 + 64
ADD, EDIT, DEL, ADDDEST, EDITDEST = BASE + 2, BASE + 3, BASE + 4, BASE + 7, BASE + 9
DROUTE, OPS, SCHED2 = 3, 0x0004, 0x0010
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
def svc(proto, vip, port, sched=b"", flags=0):
    return struct.pack("=H2x4sH2xI16sIII", proto, socket.inet_aton(vip),
                       socket.htons(int(port)), 0, sched, flags, 0, 0xffffffff)
def dest(rs, port, weight):
    return struct.pack("=4sH2xIiII", socket.inet_aton(rs), socket.htons(int(port)),
                       DROUTE, weight, 0, 0)
n = fails = 0
last = ""
def do(cmd, arg):
    global n, fails, last
    n += 1
    try:
        s.setsockopt(socket.IPPROTO_IP, cmd, arg)
    except OSError as e:
        fails += 1
        last = str(e)
if mode == "flap":
    targets = [t.split(",") for t in sys.argv[4:]]
    while time.time() < end and n < cap:
        for vip, port, rs in targets:
            w = 0 if n % (2 * len(targets)) < len(targets) else random.randint(1, 100)
            do(EDITDEST, svc(socket.IPPROTO_TCP, vip, port) + dest(rs, port, w))
            time.sleep(0.001)
    print("%d weight changes" % n, end="")
else:
    vip, port, rss = sys.argv[4], sys.argv[5], sys.argv[6:]
    udp, pinned = socket.IPPROTO_UDP, OPS | SCHED2
    rounds = 0
    while time.time() < end and n < cap:
        do(DEL, svc(udp, vip, port))
        do(ADD, svc(udp, vip, port, b"maglev", pinned))
        for rs in rss:
            do(ADDDEST, svc(udp, vip, port) + dest(rs, port, 100))
        # a fresh maglev instance, gone again at once: it has few pins or
        # none when it goes, while flows keep asking for pins
        for _ in range(8):
            do(EDIT, svc(udp, vip, port, b"rr", OPS))
            do(EDIT, svc(udp, vip, port, b"maglev", pinned))
        rounds += 1
    print("%d rounds, %d maglev instances ended (%d commands)" % (rounds, rounds * 9, n), end="")
print(", %d refused%s" % (fails, ", last: " + last if last else ""))
'

# mg_wait COND SECONDS [--ref FILE] NS...: poll the maglev state of the
# namespaces (ipvsctl -j maglev show, maglev info) until COND holds for all
# of them or SECONDS pass; exit 0 if it held. COND is one of
#   settled     no service has a pending build or a ramp
#   pins-agree  each service's pin entries equal the sum of its backends'
#               pins, and the namespace's entries equal the sum over its
#               services
#   pins-gone   no service and no namespace holds a pin
#   now         just read it once
# Prints the last state read, one line per service:
#   NS SERVICE DIGEST TABLE_SIZE_ACTIVE PENDING RAMPING ENTRIES PIN_SUM
#      REBUILDS RAMP_BUILDS BUILD_NS REF_SERVICE
# and "NS - NAMESPACE_PIN_ENTRIES". With --ref, FILE gets the commands that
# build each service afresh elsewhere, as REF_SERVICE PROTO/10.9.N.K:PORT
# (N: the namespace's place in the arguments, K: the service's in its
# dump) with the same backends, weights (0 for a backend marked down) and
# table size, and slow start off. One Python process polls (starting one
# per poll costs seconds under emulation).
PY_MG_WAIT='
import json, subprocess, sys, time
ipvsctl, cond, end = sys.argv[1], sys.argv[2], time.time() + float(sys.argv[3])
nss, ref = sys.argv[4:], None
if nss[0] == "--ref":
    ref, nss = nss[1], nss[2:]
def read(ns):
    def run(*args):
        return json.loads(subprocess.run([ipvsctl, "-N", ns, "-j"] + list(args), check=True,
                                         stdout=subprocess.PIPE).stdout)
    return run("maglev", "show")["services"], run("maglev", "info")["pins"]["entries"]
def holds(svcs, total):
    entries = [s["pinning"]["entries"] for s in svcs]
    if cond == "settled":
        return all(not s["pending"] and not s["slow_start"]["ramping"] for s in svcs)
    if cond == "pins-agree":
        return total == sum(entries) and all(
            e == sum(b["pins"] for b in s["backends"]) for e, s in zip(entries, svcs))
    if cond == "pins-gone":
        return total == 0 and not any(entries)
    return True
while True:
    try:
        state = [(ns,) + read(ns) for ns in nss]
        good = all(holds(svcs, total) for _, svcs, total in state)
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        state, good, why = None, False, str(e)
    if good or time.time() >= end:
        break
    time.sleep(0.2)
if state is None:
    print("cannot read the state:", why)
    sys.exit(1)
cmds = []
for n, (ns, svcs, total) in enumerate(state, 1):
    for k, s in enumerate(svcs, 1):
        proto, rest = s["service"].split("/", 1)
        r = "%s/10.9.%d.%d:%s" % (proto, n, k, rest.rsplit(":", 1)[1])
        size = s["table_size_active"] or 0
        print(ns, s["service"], s["digest"] or "none", size, str(s["pending"]).lower(),
              s["slow_start"]["ramping"], s["pinning"]["entries"],
              sum(b["pins"] for b in s["backends"]), s["rebuilds"],
              s["slow_start"]["ramp_builds"], s["build_ns"], r)
        cmds += ["service add %s scheduler maglev" % r,
                 "maglev set %s%s slow-start off" % (r, " table-size %d" % size if size else "")]
        cmds += ["backend add %s %s method nat weight %d" %
                 (r, b["backend"], 0 if b["down"] else b["weight"]) for b in s["backends"]]
    print(ns, "-", total)
if ref:
    with open(ref, "w") as f:
        f.write("".join(c + "\n" for c in cmds))
sys.exit(0 if good else 1)
'

mg_wait() {
	python3 -c "$PY_MG_WAIT" "$IPVSCTL" "$@"
}

# pins_summary FILE: the pin counts of mg_wait's lines, for people
pins_summary() {
	awk '$2 == "-" { printf "%s: %s in the namespace; ", $1, $3; next }
		{ printf "%s %s (backends %s), ", $2, $7, $8 }' "$1"
}

# ---- setup ------------------------------------------------------------------
phase "setup: $STRESS_SECONDS s of churn (loops: $STRESS_LOOPS)"
setup_or_die "module" modprobe ip_vs_maglev
# Services that set no size of their own (S3, U1, U2, and every maglev
# instance the sched and recreate loops make) get 251 slots: builds at
# init_service are quick, so a service changes hands as often as possible.
setup_or_die "default table size 251" bash -c "echo 251 >$PARAMS/table_size"
trap '[ -w $PARAMS/table_size ] && echo 65521 >$PARAMS/table_size; lib_cleanup' EXIT
setup_or_die "topology" topo_flat 4
# a bridge takes the lowest MAC address of its ports unless it has its
# own: deleting D3 (its port) must not change the address of DR's VIPs
setup_or_die "br0 keeps its MAC address" in_ns "$DR" ip link set br0 address 02:00:0a:00:02:01
for i in 1 2 3 4; do
	b=${BE[i]}
	{
		for a in "$VIP2" "$VIP3" "$VIP_S2" "$VIP_S3" "$VIP_S4"; do
			echo "addr add $a/32 dev lo"
		done
		for j in $(seq 0 15); do
			echo "addr add 10.0.2.$((128 + (i - 1) * 16 + j))/24 dev b0"
		done
	} >"$LIB_TMP/addr$i"
	setup_or_die "b$i: the other VIPs, and 16 addresses for S2" ip -n "$b" -batch "$LIB_TMP/addr$i"
	setup_or_die "server b$i tcp :80" serve "$b" "b$i" 80
	setup_or_die "server b$i udp :53" serve "$b" "b$i" 53 -u
done
setup_or_die "DR: the VIPs of S2, S3 and S4" bash -c "ip -n $DR addr add $VIP_S2/32 dev lo &&
	ip -n $DR addr add $VIP_S3/32 dev lo && ip -n $DR addr add $VIP_S4/32 dev lo"
# two more directors on the segment, each with its own VIP
mk_director() { # mk_director VAR NAME ADDR VIP
	local d
	mkns d "$2" || return 1
	ip link add d0 netns "$d" type veth peer name "br-$2" netns "$DR" || return 1
	in_ns "$DR" ip link set "br-$2" master br0 up || return 1
	in_ns "$d" ip addr add "$3/24" dev d0 || return 1
	in_ns "$d" ip link set d0 up || return 1
	in_ns "$d" ip addr add "$4/32" dev lo || return 1
	in_ns "$d" ip route add "$FLOOD_NET" via 10.0.2.2 || return 1
	printf -v "$1" '%s' "$d"
}
setup_or_die "director D2" mk_director D2 d2 10.0.2.3 "$VIP2"
setup_or_die "director D3" mk_director D3 d3 10.0.2.4 "$VIP3"
setup_or_die "DR routes the flood's sources to the client" in_ns "$DR" ip route add "$FLOOD_NET" via 10.0.2.2

{
	echo "service add $S1 scheduler maglev"
	echo "maglev set $S1 table-size $BIG"
	echo "backend add $S1 ${BE_IP[1]} method dr weight 100"
	echo "service add $S2 scheduler maglev"
	echo "maglev set $S2 table-size $SMALL slow-start 2s"
	for a in $(seq 128 191); do
		echo "backend add $S2 10.0.2.$a method dr weight $((a % 100 + 1))"
	done
	echo "service add $S3 scheduler maglev"
	for i in 1 2 3 4; do
		echo "backend add $S3 ${BE_IP[i]} method dr weight 100"
	done
	echo "service add $S4 scheduler maglev"
	echo "maglev set $S4 table-size $BIG slow-start 2s"
	echo "backend add $S4 ${BE_IP[1]} method dr weight 100"
	echo "backend add $S4 ${BE_IP[2]} method dr weight 100"
} >"$LIB_TMP/dr.conf"
setup_or_die "DR: S1 (1 backend), S2 (64 backends), S3, S4" ipvsctl -N "$DR" -q restore "$LIB_TMP/dr.conf"
setup_or_die "S4: B2 down, so one backend is in its table" ipvsctl -N "$DR" maglev down "$S4" "${BE_IP[2]}:80"
# the pinned OPS services, as ipvsadm users make them (-b flag-2)
pinned_svc() { # pinned_svc NS VIP PORT
	in_ns "$1" ipvsadm -A -u "$2:$3" -s maglev -o -b flag-2 || return 1
	for i in 1 2 3 4; do
		in_ns "$1" ipvsadm -a -u "$2:$3" -r "${BE_IP[i]}" -g -w 100 || return 1
	done
}
setup_or_die "DR: U1, pinned" pinned_svc "$DR" "$FVIP" 53
setup_or_die "D2: U2, pinned" pinned_svc "$D2" "$VIP2" 53
setup_or_die "D3: U3, pinned" pinned_svc "$D3" "$VIP3" 53
{
	echo "service add $T3 scheduler maglev"
	echo "maglev set $T3 table-size $BIG slow-start 2s"
	for i in 1 2 3 4; do
		echo "backend add $T3 ${BE_IP[i]} method dr weight 100"
	done
} >"$LIB_TMP/d3.conf"
setup_or_die "D3: T3" ipvsctl -N "$D3" -q restore "$LIB_TMP/d3.conf"
for svc in "$U1" "$S1" "$S2" "$S3" "$S4"; do
	setup_or_die "$svc settles" wait_until 30 mg_settled "$DR" "$svc"
done
u1_pinned() { mg_json "$DR" "$U1" | grep -q '"active":true'; }
setup_or_die "U1 is pinned (flag-2)" u1_pinned

# ---- traffic ------------------------------------------------------------------
DUR_MS=$(((STRESS_SECONDS + 180) * 1000))	# stopped (SIGTERM) when the churn ends
CAP=$((STRESS_SECONDS * 2000))			# a bound on any loop's iterations
TRAFFIC=()
HOLDS=()
hold_n=0
for vip in "$VIP_S2" "$VIP_S2" "$VIP_S3" "$VIP_S3"; do
	hold_n=$((hold_n + 1))
	bg_in_ns "$CL" "$MGTRAFFIC" hold -c "$vip" -p 80 -s $((41000 + hold_n)) -D "$DUR_MS" \
		-I 200 -t 60000 >"$LIB_TMP/hold$hold_n"
	HOLDS+=("$LAST_PID")
done
holds_up() { [ "$(in_ns "$DR" ipvsadm -Lnc | grep -c ESTABLISHED)" -ge 4 ]; }
setup_or_die "four long-lived connections established" wait_until 30 holds_up
traffic() { # traffic NAME mgtraffic-args...
	local name=$1
	shift
	bg_in_ns "$CL" "$MGTRAFFIC" "$@" >"$LIB_TMP/traffic.$name" 2>&1
	TRAFFIC+=("$LAST_PID:$name")
}
traffic s1 conn -c "$FVIP" -p 80 -D "$DUR_MS" -t 2000
traffic s2 conn -c "$VIP_S2" -p 80 -D "$DUR_MS" -t 2000
traffic s3 conn -c "$VIP_S3" -p 80 -D "$DUR_MS" -t 2000
traffic u1 conn -u -c "$FVIP" -p 53 -s 20000 -D "$DUR_MS" -t 1000
traffic u2 conn -u -c "$VIP2" -p 53 -s 21000 -D "$DUR_MS" -t 1000
traffic u3 conn -u -c "$VIP3" -p 53 -s 22000 -D "$DUR_MS" -t 1000
# the flood takes what CPU is left over
bg_in_ns "$CL" nice -n 10 "$MGTRAFFIC" flood -c "$VIP2" -p 53 -D "$DUR_MS" -b "$FLOOD_NET" \
	>"$LIB_TMP/traffic.flood" 2>&1
TRAFFIC+=("$LAST_PID:flood")

# ---- the churn loops --------------------------------------------------------------
# Each runs until END (or CAP iterations), then leaves its part of the
# configuration in a defined state and writes one summary line.

running() { [ "$EPOCHSECONDS" -lt "$END" ]; }

# ipvsadm_batch NAME NS: ipvsadm -R of stdin; its complaints counted
ipvsadm_batch() {
	in_ns "$2" ipvsadm -R 2>>"$LIB_TMP/err.$1"
}
errs_of() {
	if [ -s "$LIB_TMP/err.$1" ]; then
		grep -c . "$LIB_TMP/err.$1"
	else
		echo 0
	fi
}

loop_weights_one() {
	local out

	out=$(in_ns "$DR" python3 -c "$PY_SOCKOPT" flap "$END" "$CAP" \
		"$FVIP,80,${BE_IP[1]}" "$VIP_S4,80,${BE_IP[1]}" 2>&1)
	in_ns "$DR" ipvsadm -e -t "$FVIP:80" -r "${BE_IP[1]}" -g -w 100 2>>"$LIB_TMP/err.weights-one"
	in_ns "$DR" ipvsadm -e -t "$VIP_S4:80" -r "${BE_IP[1]}" -g -w 100 2>>"$LIB_TMP/err.weights-one"
	echo "weights-one: the one backend in S1's and S4's tables, 0 <-> 1..100: ${out//$'\n'/ };" \
		"the final weights: $(errs_of weights-one) refused"
}

loop_weights_many() {
	local k=0 i a w=()
	while running && [ $k -lt $CAP ]; do
		for ((i = 0; i < BATCH; i++)); do
			a=$((128 + RANDOM % 64))
			if [ "${w[a]:-1}" != 0 ]; then
				w[a]=0
			else
				w[a]=$((RANDOM % 100 + 1))
			fi
			echo "-e -t $VIP_S2:80 -r 10.0.2.$a -g -w ${w[a]}"
		done | ipvsadm_batch weights-many "$DR"
		k=$((k + BATCH))
	done
	echo "weights-many: $k weight changes among S2's 64 backends (0 <-> 1..100), $(errs_of weights-many) refused"
}

hex_of() { # hex_of ADDR: the IPv4 address as 8 hex digits
	# shellcheck disable=SC2086 # the address's four numbers
	printf '%02x' ${1//./ }
}

loop_tables() {
	local out

	out=$(in_ns "$DR" python3 -c "$PY_GENL_LOOP" "$TOOLS" tables "$END" "$CAP" \
		"6,$(hex_of "$FVIP"),80,$BIG,$SMALL" "6,$(hex_of "$VIP_S2"),80,$SMALLER,$SMALL" \
		"6,$(hex_of "$VIP_S4"),80,$BIG,$SMALL" 2>&1)
	echo "tables: S1 and S4 between $BIG and $SMALL slots, S2 between $SMALL and $SMALLER: ${out//$'\n'/ }"
}

loop_sched() {
	local k=0 i
	while running && [ $k -lt $CAP ]; do
		for ((i = 0; i < BATCH / 2; i++)); do
			echo "-E -t $VIP_S3:80 -s rr"
			echo "-E -t $VIP_S3:80 -s maglev"
		done | ipvsadm_batch sched "$DR"
		k=$((k + BATCH))
	done
	# it ends on maglev, which the checks need
	in_ns "$DR" ipvsadm -E -t "$VIP_S3:80" -s maglev 2>>"$LIB_TMP/err.sched"
	echo "sched: $k scheduler switches of S3 (maglev <-> rr), $(errs_of sched) refused"
}

loop_down_up() {
	local k=0 fails=0 svc be i
	while running && [ $k -lt $CAP ]; do
		if [ $((k % 2)) = 0 ]; then
			i=$((RANDOM % 4 + 1))
			svc=$U1 be=${BE_IP[i]}:53
		else
			svc=$S2 be=10.0.2.$((128 + RANDOM % 64)):80
		fi
		ipvsctl -N "$DR" maglev down "$svc" "$be" 2>>"$LIB_TMP/err.down-up" || fails=$((fails + 1))
		ipvsctl -N "$DR" maglev up "$svc" "$be" 2>>"$LIB_TMP/err.down-up" || fails=$((fails + 1))
		k=$((k + 1))
	done
	echo "down-up: $k backends of U1 and S2 marked down and up again, $fails refused"
}

loop_pins() {
	local k=0 fails=0 cmd
	local cmds=("maglev set $U1 pin off" "maglev set $U1 pin on" "maglev flush-pins $U1"
		"maglev set $U1 pin auto")
	while running && [ $k -lt $CAP ]; do
		cmd=${cmds[k % 4]}
		# shellcheck disable=SC2086
		ipvsctl -N "$DR" $cmd 2>>"$LIB_TMP/err.pins" || fails=$((fails + 1))
		k=$((k + 1))
	done
	ipvsctl -N "$DR" maglev set "$U1" pin auto 2>>"$LIB_TMP/err.pins" || fails=$((fails + 1))
	echo "pins: $k changes of U1's pinning (off, on, flush, auto), $fails refused"
}

loop_dumps() {
	local k=0 fails=0
	while running && [ $k -lt $CAP ]; do
		case $((k % 6)) in
		0) in_ns "$DR" ipvsadm -Ln ;;
		1) in_ns "$DR" ipvsadm -Lnc ;;
		2) ipvsctl -N "$DR" -j maglev show ;;
		3) ipvsctl -N "$DR" -j list --maglev ;;
		4) ipvsctl -N "$DR" maglev info ;;
		5) ipvsctl -N "$D2" -j maglev show ;;
		esac >/dev/null 2>>"$LIB_TMP/err.dumps" || fails=$((fails + 1))
		k=$((k + 1))
	done
	echo "dumps: $k dumps of both families, $fails failed (a service may vanish mid-dump)"
}

loop_recreate() {
	local out

	out=$(in_ns "$D2" python3 -c "$PY_SOCKOPT" recreate "$END" "$CAP" "$VIP2" 53 "${BE_IP[@]}" 2>&1)
	echo "recreate: U2 deleted and re-created, and switched to rr and back: ${out//$'\n'/ }"
}

loop_flush() {
	local out
	out=$(in_ns "$D2" python3 -c "$PY_GENL_LOOP" "$TOOLS" flush "$END" "$((CAP * 10))" 2>&1)
	echo "flush: every pin of D2 flushed: ${out//$'\n'/ }"
}

loop_doomed() {
	local k=0 i
	while running && [ $k -lt $CAP ] && [ -e "/run/netns/$D3" ]; do
		for ((i = 0; i < BATCH / 2; i++)); do
			echo "-e -t $VIP3:80 -r ${BE_IP[RANDOM % 4 + 1]} -g -w 0"
			echo "-e -t $VIP3:80 -r ${BE_IP[RANDOM % 4 + 1]} -g -w $((RANDOM % 100 + 1))"
			echo "-e -u $VIP3:53 -r ${BE_IP[RANDOM % 4 + 1]} -g -w 0"
			echo "-e -u $VIP3:53 -r ${BE_IP[RANDOM % 4 + 1]} -g -w $((RANDOM % 100 + 1))"
		done | in_ns "$D3" ipvsadm -R 2>/dev/null
		k=$((k + BATCH))
	done
	echo "doomed: $k weight changes in D3 until it was deleted"
}

t_start=$EPOCHSECONDS
END=$((t_start + STRESS_SECONDS))
LOOPS=()
for name in weights-one weights-many tables sched down-up pins dumps recreate flush doomed; do
	loop_on "$name" || continue
	"loop_${name//-/_}" >"$LIB_TMP/loop.$name" 2>&1 &
	LOOPS+=("$!:$name")
	LIB_PIDS+=("$!")
done
phase "churn: ${#LOOPS[@]} loops and ${#TRAFFIC[@]} traffic generators started, until $STRESS_SECONDS s from now"

# mid-run: the doomed namespace goes, services, traffic and all
t_doom=$((t_start + STRESS_SECONDS * 2 / 5))
next_beat=$((t_start + 15))
doomed=0
while running; do
	if [ $doomed = 0 ] && [ "$EPOCHSECONDS" -ge $t_doom ]; then
		phase "churn: deleting namespace D3 ($U3, $T3) with traffic flowing, at $((EPOCHSECONDS - t_start)) s"
		ip netns del "$D3"
		doomed=1
	fi
	if [ "$EPOCHSECONDS" -ge $next_beat ]; then
		phase "churn: $((EPOCHSECONDS - t_start)) s of $STRESS_SECONDS"
		next_beat=$((next_beat + 15))
	fi
	sleep 0.5	# pacing only: nothing is judged by it
done
[ $doomed = 1 ] || ip netns del "$D3"
phase "churn: time is up; joining the loops"
for entry in "${LOOPS[@]}"; do
	wait "${entry%%:*}"
	sed 's/^/  /' "$LIB_TMP/loop.${entry#*:}"
done
# The loops' commands are valid whenever they are sent: a refusal is a
# failure (dumps may fail when a service goes mid-dump, and D3's loop when
# D3 goes: neither is judged). Every "N refused" of a summary must be 0.
for entry in "${LOOPS[@]}"; do
	name=${entry#*:}
	case $name in dumps | doomed) continue ;; esac
	check "$name: every command was accepted" \
		not grep -qE '(^|[^0-9])[1-9][0-9]* refused' "$LIB_TMP/loop.$name"
done
u1_pins() { mg_json "$DR" "$U1" | grep -q '"entries":[1-9]'; }
check "U1 pins flows again once the pins loop is done (traffic still flowing)" wait_until 30 u1_pins
phase "churn: every loop stopped after $((EPOCHSECONDS - t_start)) s; stopping the traffic"
for pid in "${TRAFFIC[@]%%:*}" "${HOLDS[@]}"; do
	kill -TERM "$pid" 2>/dev/null
done
for pid in "${TRAFFIC[@]%%:*}" "${HOLDS[@]}"; do
	wait "$pid"
done
for entry in "${TRAFFIC[@]}"; do
	name=${entry#*:}
	if [ "$name" = flood ]; then
		log "  traffic flood: $(tr '\n' ' ' <"$LIB_TMP/traffic.flood")"
	else
		log "  traffic $name: $(total_of "$LIB_TMP/traffic.$name") flows answered, $(errors_of "$LIB_TMP/traffic.$name") not"
	fi
done

# ---- 1. traffic went through; long-lived connections held ---------------------------
for name in s1 s2 s3 u1 u2; do
	check "traffic $name: flows were answered during the churn ($(total_of "$LIB_TMP/traffic.$name"))" \
		test "$(total_of "$LIB_TMP/traffic.$name")" -gt 0
done
for n in 1 2 3 4; do
	check "long-lived connection $n kept its backend and every reply ($(tr '\n' ' ' <"$LIB_TMP/hold$n"))" \
		sh -c "grep -q '^errors 0$' '$LIB_TMP/hold$n' && grep -q '^backend b[1-4]$' '$LIB_TMP/hold$n' &&
			! grep -q '^replies 0$' '$LIB_TMP/hold$n'"
done

# ---- 2. the tables: settled, and equal to a fresh build of the same config -----------
phase "check: tables settle and match fresh builds"
mg_wait settled 60 --ref "$LIB_TMP/ref.conf" "$DR" "$D2" >"$LIB_TMP/final"
rc=$?
check "every maglev service settles: no pending build, no ramp" test $rc = 0
awk '$2 != "-" { printf "  %s: %d tables built (%d ramp steps), the last in %.1f ms\n", $2, $9, $10, $11 / 1e6 }' \
	"$LIB_TMP/final"
check "DR: S1, S2, S3, S4 and U1 are maglev services" \
	test "$(awk -v ns="$DR" '$1 == ns && $2 != "-" { print $2 }' "$LIB_TMP/final" | sort | tr '\n' ' ')" = \
	"$(printf '%s\n' "$S1" "$S2" "$S3" "$S4" "$U1" | sort | tr '\n' ' ')"
check "D2: U2 is a maglev service" grep -q "^$D2 $U2 " "$LIB_TMP/final"
setup_or_die "scratch namespace for the fresh builds" mkns REF ref
setup_or_die "the same configurations afresh, slow start off" \
	ipvsctl -N "$REF" -q restore "$LIB_TMP/ref.conf"
mg_wait settled 60 "$REF" >"$LIB_TMP/ref"
rc=$?
check "the fresh services settle" test $rc = 0
while read -r _ svc digest size _ _ _ _ builds ramp_builds _ ref_svc; do
	[ "$svc" = - ] && continue
	read -r _ _ ref_digest ref_size _ < <(awk -v r="$ref_svc" '$2 == r' "$LIB_TMP/ref")
	check "$svc: digest $digest ($size slots) equals a fresh build's ($ref_digest, $ref_size slots)" \
		test "$digest" != none -a "$digest" = "$ref_digest" -a "$size" = "$ref_size"
	# the UAPI counts ramp steps that built a table: never more than were built
	check "$svc: ramp-step builds ($ramp_builds) are no more than the tables built ($builds)" \
		test "$ramp_builds" -le "$builds"
done <"$LIB_TMP/final"
setup_or_die "scratch namespace gone" ip netns del "$REF"

# ---- 3. pin counts ------------------------------------------------------------------
phase "check: pin counts"
mg_wait pins-agree 20 "$DR" "$D2" >"$LIB_TMP/pins"
rc=$?
check "per service, pin entries equal the sum of its backends' pins; per namespace, the sum over its services ($(pins_summary "$LIB_TMP/pins"))" \
	test $rc = 0
while read -r ns svc _; do
	[ "$svc" = - ] && continue
	check "$svc: flush-pins" ipvsctl -N "$ns" maglev flush-pins "$svc" </dev/null
done <"$LIB_TMP/pins"
mg_wait pins-gone 20 "$DR" "$D2" >"$LIB_TMP/pins"
rc=$?
check "after flushing each service's pins, no pin is left, in a service or in a namespace ($(pins_summary "$LIB_TMP/pins"))" \
	test $rc = 0

# ---- 4. everything deleted: no pin, no reference left, the module unloads ------------
phase "check: delete everything, unload"
for ns in "$DR" "$D2"; do
	check "$ns: ipvsadm -C" in_ns "$ns" ipvsadm -C
done
mg_wait pins-gone 20 "$DR" "$D2" >"$LIB_TMP/pins"
rc=$?
check "with no service left, no pin is left ($(pins_summary "$LIB_TMP/pins"))" test $rc = 0
refs_zero() { [ "$(cat $REFCNT)" = 0 ]; }
wait_until 60 refs_zero
check "the module's reference count is 0 once every service is gone (D3 deleted mid-run; $(cat $REFCNT))" refs_zero
modprobe -r ip_vs_maglev 2>"$LIB_TMP/rmmod"
rc=$?
check "modprobe -r ip_vs_maglev succeeds (exit $rc $(cat "$LIB_TMP/rmmod"))" test $rc = 0 -a ! -d /sys/module/ip_vs_maglev
phase "done"

exit "$(lib_result)"
