#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Health-check CPU, ipvsctl daemon against keepalived, in one boot:
#   vm_health_bench.sh OUTDIR [BACKENDS [INTERVAL [WINDOW]]]
#	(OUTDIR relative to the tree)
#
# Each checker, in its own namespace, gets the same IPVS configuration:
# BACKENDS backends (default 10000), 5 per service, all on the
# namespace's loopback (10.200.0.0/16 routed locally, one server accepting
# on port 80), each probed by a TCP connect every INTERVAL seconds
# (default 1). After every backend has been probed twice, the checker's
# CPU time (all its processes, user + system) and the probes actually made
# (TcpPassiveOpens of the namespace) are counted over WINDOW seconds
# (default 20). Writes OUTDIR/vm-health.md.
#
# This is an emulated machine (TCG): absolute CPU figures are many times
# the native ones; the ratio between the two checkers is the comparison.

source "$(dirname "$0")/../net/lib.sh"
lib_init
command -v keepalived >/dev/null || skip "keepalived not installed"

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
N=${2:-10000}
IV=${3:-1}
WIN=${4:-20}
NS_SVC=$((N / 5))
HZ=$(getconf CLK_TCK)

addr() { # addr PREFIX K: PREFIX.(K/250).(K%250+1)
	echo "$1.$(($2 / 250)).$(($2 % 250 + 1))"
}

# ipvsctl's file
{
	for s in $(seq 0 $((NS_SVC - 1))); do
		v=$(addr 10.100 "$s")
		echo "service add tcp/$v:80 scheduler rr"
		for j in 0 1 2 3 4; do
			echo "backend add tcp/$v:80 $(addr 10.200 $((s * 5 + j))):80 method dr weight 1"
		done
		echo "health tcp/$v:80 type tcp interval ${IV}s timeout 500ms rise 2 fall 3"
	done
} >"$LIB_TMP/lb.conf"
# keepalived's, the same
{
	echo "global_defs {"
	echo "    router_id bench"
	echo "}"
	for s in $(seq 0 $((NS_SVC - 1))); do
		v=$(addr 10.100 "$s")
		echo "virtual_server $v 80 {"
		echo "    delay_loop $IV"
		echo "    lb_algo rr"
		echo "    lb_kind DR"
		echo "    protocol TCP"
		for j in 0 1 2 3 4; do
			echo "    real_server $(addr 10.200 $((s * 5 + j))) 80 {"
			echo "        weight 1"
			echo "        TCP_CHECK {"
			echo "            connect_timeout 1"
			echo "        }"
			echo "    }"
		done
		echo "}"
	done
} >"$LIB_TMP/keepalived.conf"

# mkbench VAR NAME: a namespace whose 10.200/16 is local, with a server
# (SRV: its pid)
mkbench() {
	mkns "$1" "$2" || return 1
	local ns=${!1}
	in_ns "$ns" ip route add local 10.200.0.0/16 dev lo table local || return 1
	in_ns "$ns" sysctl -qw net.core.somaxconn=4096 || return 1
	serve "$ns" "srv-$2" 80 || return 1
	SRV=$LAST_PID
}

cpu_ticks() { # cpu_ticks PID...: utime + stime of the processes
	local p t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}
passive_opens() { # passive_opens NS
	in_ns "$1" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $c["PassiveOpens"] }' /proc/net/snmp
}
# measure NS SERVER PIDS...: "cpu% cpu_with_server% probes/s time_wait"
# over the window (the server's CPU depends on how the checker closes)
measure() {
	local ns=$1 srv=$2 c0 c1 s0 s1 o0 o1 t0 t1
	shift 2
	c0=$(cpu_ticks "$@")
	s0=$(cpu_ticks "$srv")
	o0=$(passive_opens "$ns")
	t0=$(date +%s%N)
	sleep "$WIN"	# the measurement window itself, not a wait for state
	c1=$(cpu_ticks "$@")
	s1=$(cpu_ticks "$srv")
	o1=$(passive_opens "$ns")
	t1=$(date +%s%N)
	awk -v c=$((c1 - c0)) -v sv=$((s1 - s0)) -v hz="$HZ" -v o=$((o1 - o0)) -v ns=$((t1 - t0)) \
		-v tw="$(in_ns "$ns" ss -Htan state time-wait | wc -l)" \
		'BEGIN { s = ns / 1e9; printf "%.1f %.1f %.0f %d\n", 100 * c / hz / s, 100 * (c + sv) / hz / s, o / s, tw }'
}

# ---- ipvsctl daemon --------------------------------------------------------
setup_or_die "namespace for ipvsctl" mkbench NSA hb-ipvsctl
SRVA=$SRV
t0=$(date +%s)
ip netns exec "$NSA" "$IPVSCTL" daemon -f "$LIB_TMP/lb.conf" --state-file "$LIB_TMP/h.json" \
	2>"$LIB_TMP/daemon.log" &
DPID=$!
LIB_PIDS+=("$DPID")
probed_twice() { # two rounds of probes seen by the namespace's TCP
	[ "$(passive_opens "$NSA")" -ge $((2 * N)) ]
}
setup_or_die "ipvsctl: every backend probed twice" wait_until 600 probed_twice
t_ours_ready=$(($(date +%s) - t0))
read -r cpu_ours all_ours rate_ours tw_ours < <(measure "$NSA" "$SRVA" "$DPID")
rss_ours=$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")
down_ours=$(python3 -c 'import json,sys; print(sum(1 for b in json.load(open(sys.argv[1]))["backends"] if b["state"] != "up"))' "$LIB_TMP/h.json")
kill "$DPID"
wait "$DPID"
in_ns "$NSA" ipvsadm -C

# ---- keepalived -------------------------------------------------------------
setup_or_die "namespace for keepalived" mkbench NSK hb-keepalived
SRVK=$SRV
setup_or_die "keepalived.conf" keepalived -t -f "$LIB_TMP/keepalived.conf"
t0=$(date +%s)
ip netns exec "$NSK" keepalived -n -C -f "$LIB_TMP/keepalived.conf" -p "$LIB_TMP/ka.pid" \
	-c "$LIB_TMP/ka-check.pid" >"$LIB_TMP/ka.log" 2>&1 &
KPID=$!
LIB_PIDS+=("$KPID")
ka_ready() {
	# every real server in IPVS, and two rounds of probes
	[ "$(in_ns "$NSK" ipvsadm -Ln | grep -c -- '->.*Route')" -ge "$N" ] || return 1
	local o
	o=$(passive_opens "$NSK")
	[ "$o" -ge $((2 * N)) ]
}
setup_or_die "keepalived: every backend in IPVS and probed twice" wait_until 600 ka_ready
t_ka_ready=$(($(date +%s) - t0))
kpids=$(pgrep -f "keepalived -n -C -f $LIB_TMP/keepalived.conf" | tr '\n' ' ')
# shellcheck disable=SC2086
read -r cpu_ka all_ka rate_ka tw_ka < <(measure "$NSK" "$SRVK" $kpids)
rss_ka=0
for p in $kpids; do
	rss_ka=$((rss_ka + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
done
kill "$KPID"
wait "$KPID"

# (parenthesised: a bare ">" in awk's printf arguments is a redirection)
ratio=$(awk -v a="$cpu_ours" -v b="$cpu_ka" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
ratio_all=$(awk -v a="$all_ours" -v b="$all_ka" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
per_ours=$(awk -v c="$cpu_ours" -v r="$rate_ours" 'BEGIN { printf "%.1f", (r > 0) ? 10000 * c / r : 0 }')
per_ka=$(awk -v c="$cpu_ka" -v r="$rate_ka" 'BEGIN { printf "%.1f", (r > 0) ? 10000 * c / r : 0 }')
{
	echo "| $N backends, TCP connect every ${IV} s | ipvsctl daemon | keepalived $(keepalived -v 2>&1 | head -n 1 | awk '{ print $2 }') |"
	echo "|---|---:|---:|"
	echo "| probes per second (measured) | $rate_ours | $rate_ka |"
	echo "| CPU of the checker, % of one core | $cpu_ours | $cpu_ka |"
	echo "| CPU of the checker + the backends' server | $all_ours | $all_ka |"
	echo "| sockets left in TIME_WAIT | $tw_ours | $tw_ka |"
	echo "| CPU % per 10,000 probes/s | $per_ours | $per_ka |"
	echo "| resident memory, KiB | $rss_ours | $rss_ka |"
	echo "| start to every backend probed twice, s | $t_ours_ready | $t_ka_ready |"
	echo "| backends not up at the end | $down_ours | - |"
	echo
	echo "ipvsctl / keepalived CPU: **$ratio** for the checker alone, **$ratio_all** with the"
	echo "backends' server (same probes, same run; emulated CPU, ${WIN} s window)."
} >"$out/vm-health.md"
cat "$out/vm-health.md"
exit 0
