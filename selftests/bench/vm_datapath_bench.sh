#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Datapath cost in the VM, schedulers taking turns, one boot:
#   vm_datapath_bench.sh OUTDIR [ROUNDS [SECONDS [CLIENTS [ALSO...]]]]   (OUTDIR relative to the tree)
#
# Four services per protocol, one per scheduler, on the same backends:
# maglev, maglev with flow pinning on, stock mh with its port flag
# (-b flag-2: it hashes the source port too, so one client's flows spread
# as they do under maglev; plain mh would send them all to one backend)
# and rr. In each of ROUNDS (default 8) rounds every scheduler gets
# SECONDS (default 2) of
#   - new TCP connections through a NAT VIP (connect, read the backend's
#     answer, reset), and
#   - UDP datagrams through a one-packet-scheduling (OPS) VIP, direct
#     routing, each from a new socket (so each is scheduled),
# from CLIENTS (default 3) client processes at once. The order rotates
# from round to round, so drift on a shared machine falls on every
# scheduler alike. Many short rounds rather than a few long ones: on a
# shared host, another VM starting or stopping changes the rate in a step
# (threefold was seen), which spoils the round it falls in, and a median
# over many rounds leaves those out. (Shorter than 2 s, the clients'
# start-up and the count's noise take over.) Reported: the median rate per
# scheduler, and the median (and quartiles) over the rounds of each
# round's ratio to mh.
#
# Then the memory of flow pins: N flows pinned over IPv4 and over IPv6,
# counted by the module and in its slab caches.
#
# Writes OUTDIR/vm-datapath.md, OUTDIR/datapath.dat (every run) and
# OUTDIR/vm-pins.md. Asserts nothing about speed.
#
# Then, in the same boot, runs vm_NAME_bench.sh OUTDIR for every NAME in
# ALSO (default: slowstart memory; "none" for none), so that "make bench"
# boots once for all three.
#
# TCP, NAT (topo_std):
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100:80-83, fd00:ff::100:84) ---- B1..B5 :8080
# UDP, OPS, direct routing (topo_flat, its own namespaces):
#   br0 in DR: CL 10.0.2.2, DR 10.0.2.1 (VIP 10.0.2.100:53-56), B1..B5 10.0.2.11-15

source "$(dirname "$0")/../net/lib.sh"
lib_init

outrel=${1:?OUTDIR}
out=$IPVSM_SRC/$outrel
mkdir -p "$out"
ROUNDS=${2:-8}
SECS=${3:-2}
NCLI=${4:-3}
shift $(($# < 4 ? $# : 4))
ALSO=${*:-slowstart memory}
NB=5
SCHEDS=(maglev maglev-pin mh rr)
LABEL=([0]="maglev, pinning off" [1]="maglev, pinning on" [2]="mh (-b flag-2)" [3]="rr")
NPINS=3000

sched_opts() { # sched_opts INDEX: ipvsadm's scheduler options
	case ${SCHEDS[$1]} in
	maglev | maglev-pin) echo "-s maglev" ;;
	mh) echo "-s mh -b flag-2" ;;
	rr) echo "-s rr" ;;
	esac
}
svc_py() { # svc_py NS SERVICE PY-EXPR over s (the service)
	"$IPVSCTL" -N "$1" -j maglev show "$2" |
		python3 -c "import json,sys; s=json.load(sys.stdin)['services'][0]; print($3)"
}

# ---- UDP: OPS, direct routing -------------------------------------------
setup_or_die "flat topology" topo_flat $NB
UCL=$CL
UDR=$DR
for i in $(seq 1 $NB); do
	for j in "${!SCHEDS[@]}"; do
		setup_or_die "UDP server b$i :$((53 + j))" serve "${BE[i]}" "b$i" $((53 + j)) -u
	done
done
for j in "${!SCHEDS[@]}"; do
	p=$((53 + j))
	# shellcheck disable=SC2046
	setup_or_die "udp/$FVIP:$p ${SCHEDS[j]}, OPS" in_ns "$UDR" ipvsadm -A -u "$FVIP:$p" $(sched_opts "$j") -o
	for i in $(seq 1 $NB); do
		setup_or_die "udp :$p backend $i" in_ns "$UDR" ipvsadm -a -u "$FVIP:$p" -r "${BE_IP[i]}:$p" -g -w 1
	done
done

# ---- TCP: NAT -------------------------------------------------------------
setup_or_die "NAT topology" topo_std $NB n
TCL=$CL
TDR=$DR
setup_or_die "VIPs" vip_local
setup_or_die "TCP servers" serve_all 8080
for j in "${!SCHEDS[@]}"; do
	p=$((80 + j))
	# shellcheck disable=SC2046
	setup_or_die "tcp/$VIP:$p ${SCHEDS[j]}" ipvs -A -t "$VIP:$p" $(sched_opts "$j")
	for i in $(seq 1 $NB); do
		setup_or_die "tcp :$p backend $i" ipvs -a -t "$VIP:$p" -r "${BE_IP[i]}:8080" -m -w 1
	done
done

setup_or_die "pinning on, tcp/$VIP:81" "$IPVSCTL" -N "$TDR" maglev set "tcp/$VIP:81" pin on
setup_or_die "pinning on, udp/$FVIP:54" "$IPVSCTL" -N "$UDR" maglev set "udp/$FVIP:54" pin on
for svc in "tcp/$VIP:80" "tcp/$VIP:81"; do
	setup_or_die "$svc settles" wait_until 10 mg_settled "$TDR" "$svc"
done
for svc in "udp/$FVIP:53" "udp/$FVIP:54"; do
	setup_or_die "$svc settles" wait_until 10 mg_settled "$UDR" "$svc"
done
check "pinning active on :81 and :54, not on :80 and :53" test \
	"$(svc_py "$TDR" "tcp/$VIP:81" 's["pinning"]["active"]') $(svc_py "$UDR" "udp/$FVIP:54" 's["pinning"]["active"]') $(svc_py "$TDR" "tcp/$VIP:80" 's["pinning"]["active"]') $(svc_py "$UDR" "udp/$FVIP:53" 's["pinning"]["active"]')" = "True True False False"

# every service answers (and the neighbours are resolved) before timing
for j in "${!SCHEDS[@]}"; do
	setup_or_die "tcp :$((80 + j)) answers" in_ns "$TCL" "$MGTRAFFIC" conn -c "$VIP" -p $((80 + j)) -n 50 >/dev/null
	setup_or_die "udp :$((53 + j)) answers" in_ns "$UCL" "$MGTRAFFIC" conn -u -c "$FVIP" -p $((53 + j)) -n 50 >/dev/null
done

# The clients enter the namespace with nsenter: "ip netns exec" also makes
# a mount namespace and mounts /sys, which under emulation costs a good
# part of a short run.
in_net() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}
setup_or_die "nsenter enters the client namespace" in_net "$TCL" ip -o addr show dev cl0 >/dev/null

# run PROTO INDEX: CLIENTS clients for SECONDS; prints "flows/s errors"
run() {
	local k pids=()
	rm -f "$LIB_TMP"/run-*
	for k in $(seq 1 "$NCLI"); do
		if [ "$1" = tcp ]; then
			in_net "$TCL" "$MGTRAFFIC" conn -c "$VIP" -p $((80 + $2)) -D $((SECS * 1000)) -t 1000 >"$LIB_TMP/run-$k" &
		else
			in_net "$UCL" "$MGTRAFFIC" conn -u -c "$FVIP" -p $((53 + $2)) -D $((SECS * 1000)) -t 1000 >"$LIB_TMP/run-$k" &
		fi
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$LIB_TMP"/run-* | awk -v d="$SECS" '$1 == "total" { t += $2 } $1 == "errors" { e += $2 }
		END { printf "%.1f %d\n", t / d, e }'
}

log "set up in $SECONDS s; $ROUNDS rounds, ${SECS} s per scheduler and protocol, $NCLI clients"
echo "# round proto scheduler flows_per_s errors" >"$out/datapath.dat"
n=${#SCHEDS[@]}
t_rounds=$(date +%s)
for r in $(seq 1 "$ROUNDS"); do
	for proto in tcp udp; do
		line="round $r $proto:"
		for k in $(seq 0 $((n - 1))); do
			j=$(((k + r - 1) % n))
			read -r rate err < <(run "$proto" "$j")
			echo "$r $proto ${SCHEDS[j]} $rate $err" >>"$out/datapath.dat"
			line="$line ${SCHEDS[j]} $rate"
		done
		log "$line"
	done
done
t_rounds=$(($(date +%s) - t_rounds))
log "the rounds took $t_rounds s ($((ROUNDS * n * 2 * SECS)) s of traffic)"

# quantile Q: of the numbers on stdin, linear between the order statistics
quantile() {
	sort -n | awk -v q="$1" '{ a[NR] = $1 } END {
		if (!NR) { print 0; exit }
		x = 1 + (NR - 1) * q; i = int(x); f = x - i
		print (i < NR) ? a[i] + f * (a[i + 1] - a[i]) : a[NR] }'
}
median() { quantile 0.5; }
rates() { # rates PROTO SCHED: one rate per round
	awk -v p="$1" -v s="$2" '$2 == p && $3 == s { print $4 }' "$out/datapath.dat"
}
ratios() { # ratios PROTO SCHED: each round's rate over mh's in the same round
	awk -v p="$1" -v s="$2" '$2 == p && $3 == s { a[$1] = $4 } $2 == p && $3 == "mh" { m[$1] = $4 }
		END { for (r in a) if (m[r] > 0) printf "%.4f\n", a[r] / m[r] }' "$out/datapath.dat"
}
errs() { awk -v s="$1" '$3 == s { e += $5 } END { print e + 0 }' "$out/datapath.dat"; }
declare -A med rat q1 q3
for proto in tcp udp; do
	for s in "${SCHEDS[@]}"; do
		med[$proto,$s]=$(rates "$proto" "$s" | median)
		rat[$proto,$s]=$(ratios "$proto" "$s" | median)
		q1[$proto,$s]=$(ratios "$proto" "$s" | quantile 0.25)
		q3[$proto,$s]=$(ratios "$proto" "$s" | quantile 0.75)
	done
done
verdict() { # verdict RATIO TARGET
	awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "**not met**" }'
}

{
	echo "| scheduler | TCP connections/s | × mh | (quartiles) | UDP datagrams/s (OPS) | × mh | (quartiles) | failed flows |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for j in "${!SCHEDS[@]}"; do
		s=${SCHEDS[j]}
		printf '| %s | %.0f | %.3f | %.3f–%.3f | %.0f | %.3f | %.3f–%.3f | %d |\n' "${LABEL[j]}" \
			"${med[tcp,$s]}" "${rat[tcp,$s]}" "${q1[tcp,$s]}" "${q3[tcp,$s]}" \
			"${med[udp,$s]}" "${rat[udp,$s]}" "${q1[udp,$s]}" "${q3[udp,$s]}" "$(errs "$s")"
	done
	echo
	echo "Rates: median of $ROUNDS rounds of ${SECS} s, $NCLI client processes; × mh: median (and"
	echo "quartiles) of the rounds' ratios to mh in the same round (the schedulers took turns)."
	echo
	echo "| target | TCP | UDP |"
	echo "|---|---:|---:|"
	printf '| maglev, pinning off ≥ 0.95 × mh | %.3f (%s) | %.3f (%s) |\n' \
		"${rat[tcp,maglev]}" "$(verdict "${rat[tcp,maglev]}" 0.95)" "${rat[udp,maglev]}" "$(verdict "${rat[udp,maglev]}" 0.95)"
	printf '| maglev, pinning on ≥ 0.9 × mh | %.3f (%s) | %.3f (%s) |\n' \
		"${rat[tcp,maglev-pin]}" "$(verdict "${rat[tcp,maglev-pin]}" 0.9)" "${rat[udp,maglev-pin]}" "$(verdict "${rat[udp,maglev-pin]}" 0.9)"
	echo
	echo "The pinned services ended with $(svc_py "$TDR" "tcp/$VIP:81" 's["pinning"]["entries"]') (TCP) and"
	echo "$(svc_py "$UDR" "udp/$FVIP:54" 's["pinning"]["entries"]') (UDP) flows pinned."
} >"$out/vm-datapath.md"
cat "$out/vm-datapath.md"

# ---- memory per pinned flow ---------------------------------------------
# Two more pinned services in the NAT namespace, IPv4 and IPv6; NPINS new
# flows (distinct source ports) to each. The module counts its pins; the
# slab caches ip_vs_maglev_pin4/6 show what they took. SLUB merges them
# with other caches of the same size, so the count spans the merge, and
# other users' allocations meanwhile are noise in it. The pins made
# earlier stay (nothing expires them for 16 minutes): a flush now would
# free them after a grace period, in the middle of the count.
setup_or_die "tcp/$VIP:84" ipvs -A -t "$VIP:84" -s maglev
setup_or_die "tcp/[$VIP6]:84" ipvs -A -t "[$VIP6]:84" -s maglev
for i in $(seq 1 $NB); do
	setup_or_die "tcp :84 backend $i" ipvs -a -t "$VIP:84" -r "${BE_IP[i]}:8080" -m -w 1
	setup_or_die "tcp6 :84 backend $i" ipvs -a -t "[$VIP6]:84" -r "[${BE_IP6[i]}]:8080" -m -w 1
done
setup_or_die "pinning on, IPv4" "$IPVSCTL" -N "$TDR" maglev set "tcp/$VIP:84" pin on
setup_or_die "pinning on, IPv6" "$IPVSCTL" -N "$TDR" maglev set "tcp/[$VIP6]:84" pin on
setup_or_die "IPv4 settles" wait_until 10 mg_settled "$TDR" "tcp/$VIP:84"
setup_or_die "IPv6 settles" wait_until 10 mg_settled "$TDR" "tcp/[$VIP6]:84"
info_field() { "$IPVSCTL" -N "$TDR" -j maglev info | python3 -c "import json,sys; print(json.load(sys.stdin)['pins']['$1'])"; }
ns_pins() { info_field entries; }
slab() { # slab CACHE FILE: the first field of a slab attribute
	awk '{ print $1 }' "/sys/kernel/slab/$1/$2"
}
declare -A pin
for fam in 4 6; do
	cache=ip_vs_maglev_pin$fam
	addr=$VIP
	[ $fam = 6 ] && addr=$VIP6
	p0=$(ns_pins)
	o0=$(slab "$cache" objects)
	in_ns "$TCL" "$MGTRAFFIC" conn -c "$addr" -p 84 -n $NPINS -s $((20000 + fam * 5000)) -t 1000 >"$LIB_TMP/pins$fam"
	o1=$(slab "$cache" objects)
	p1=$(ns_pins)
	pin[$fam,flows]=$(total_of "$LIB_TMP/pins$fam")
	pin[$fam,pins]=$((p1 - p0))
	pin[$fam,objs]=$((o1 - o0))
	pin[$fam,size]=$(slab "$cache" slab_size)
	pin[$fam,per_slab]=$(slab "$cache" objs_per_slab)
	pin[$fam,order]=$(slab "$cache" order)
	pin[$fam,merged]=$(basename "$(readlink -f "/sys/kernel/slab/$cache")")
	pin[$fam,aliases]=$(slab "$cache" aliases)
	log "IPv$fam: ${pin[$fam,flows]} flows, ${pin[$fam,pins]} pins, slab objects $o0 -> $o1"
done
check "every IPv4 flow pinned (${pin[4,pins]} of $NPINS)" test "${pin[4,pins]}" -eq $NPINS
check "every IPv6 flow pinned (${pin[6,pins]} of $NPINS)" test "${pin[6,pins]}" -eq $NPINS
bucket_bytes=$(awk '/ip_vs_maglev_pins_create/ { for (i = 1; i <= NF; i++) if ($i ~ /^pages=/) { sub(/pages=/, "", $i); print $i * 4096; exit } }' /proc/vmallocinfo)
pin_max=$(info_field max)
b4=$(info_field bytes_per_entry_ipv4)
b6=$(info_field bytes_per_entry_ipv6)
{
	echo "| per pinned flow | IPv4 | IPv6 |"
	echo "|---|---:|---:|"
	echo "| flows pinned (module's count; $NPINS new TCP flows each) | ${pin[4,pins]} | ${pin[6,pins]} |"
	echo "| slab objects added (measured; cache merged into ${pin[4,merged]} / ${pin[6,merged]}) | ${pin[4,objs]} | ${pin[6,objs]} |"
	echo "| slab object size, bytes | ${pin[4,size]} | ${pin[6,size]} |"
	awk -v o4="${pin[4,objs]}" -v s4="${pin[4,size]}" -v p4="${pin[4,pins]}" \
		-v o6="${pin[6,objs]}" -v s6="${pin[6,size]}" -v p6="${pin[6,pins]}" 'BEGIN {
		printf "| **bytes per pin, measured** (objects added × object size / pins) | **%.1f** | **%.1f** |\n",
			p4 ? o4 * s4 / p4 : 0, p6 ? o6 * s6 / p6 : 0 }'
	awk -v n4="${pin[4,per_slab]}" -v r4="${pin[4,order]}" -v n6="${pin[6,per_slab]}" -v r6="${pin[6,order]}" 'BEGIN {
		printf "| with the slab page'\''s unused tail (page / objects per slab, computed) | %.1f | %.1f |\n",
			4096 * 2 ^ r4 / n4, 4096 * 2 ^ r6 / n6 }'
	echo "| module's report (\`ipvsctl maglev info\`: object + half a bucket pointer) | $b4 | $b6 |"
	echo
	if [ -n "$bucket_bytes" ]; then
		how="measured in /proc/vmallocinfo"
	else
		# kvcalloc() got it from the page allocator: not in vmallocinfo
		bucket_bytes=$(awk -v m="$pin_max" 'BEGIN { n = m / 2; if (n < 1024) n = 1024
			if (n > 4194304) n = 4194304; b = 1; while (b < n) b *= 2; print b * 8 }')
		how="computed: kmalloc'ed, so not in /proc/vmallocinfo"
	fi
	echo "Plus, once per namespace that pins, its bucket array: $bucket_bytes bytes ($how),"
	echo "sized for pin_max = $pin_max (two pins a bucket, 8 B a bucket). A full table:"
	awk -v m="$pin_max" -v b="$bucket_bytes" -v s4="${pin[4,size]}" -v s6="${pin[6,size]}" 'BEGIN {
		printf "%d IPv4 pins take %.1f MiB, %d IPv6 pins %.1f MiB (computed).\n",
			m, (m * s4 + b) / 1048576, m, (m * s6 + b) / 1048576 }'
} >"$out/vm-pins.md"
cat "$out/vm-pins.md"

pass "datapath bench done"

# The rest of the boot: the other VM benches named in ALSO, each a script
# of its own (own namespaces), after this one's namespaces are gone.
rc=$(lib_result)
trap - EXIT
lib_cleanup
for b in $ALSO; do
	[ "$b" = none ] && continue
	bash "$(dirname "$0")/vm_${b}_bench.sh" "$outrel" || rc=1
done
exit "$rc"
