#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VM half of "make bench", run by scripts/bench.sh in one boot:
#   vm_bench.sh OUTDIR      (OUTDIR relative to the tree)
#
# maglev, stock mh (source-address hash), mh with its port flag, and rr
# take turns on the same VIP and the same traffic:
#   - one client address, 1000 connections from random source ports;
#   - 50 client addresses, 20 connections each.
# Reports each scheduler's share per backend and max/mean, and the table
# memory maglev reports for its services. Writes OUTDIR/vm-balance.md,
# OUTDIR/balance.dat (for the plot) and OUTDIR/vm-memory.md.
#
#   CL 10.0.1.2, 10.0.1.10-59 ---- DR (VIP 10.0.1.100:80) ---- B1..B5 :8080

source "$(dirname "$0")/../net/lib.sh"
lib_init

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
NB=5
SCHEDS=("maglev" "mh" "mh-port" "rr")

setup_or_die "topology" topo_std $NB
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
for i in $(seq 10 59); do
	setup_or_die "client address 10.0.1.$i" in_ns "$CL" ip addr add "10.0.1.$i/24" dev cl0
done
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in $(seq 1 $NB); do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done

declare -A share
for s in "${SCHEDS[@]}"; do
	case $s in
	mh-port) ipvs -E -t "$VIP:80" -s mh -b flag-2 ;;
	*) ipvs -E -t "$VIP:80" -s "$s" ;;
	esac
	in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 1000 -E 20 >"$LIB_TMP/one-$s"
	: >"$LIB_TMP/many-$s"
	for i in $(seq 10 59); do
		in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 20 -b "10.0.1.$i" -E 5 >>"$LIB_TMP/many-$s"
	done
	for i in $(seq 1 $NB); do
		share[one,$s,$i]=$(count_of "b$i" "$LIB_TMP/one-$s")
		share[many,$s,$i]=$(awk -v id="b$i" '$1 == "backend" && $2 == id { c += $3 } END { print c + 0 }' "$LIB_TMP/many-$s")
	done
	log "$s: one client ${share[one,$s,1]} ${share[one,$s,2]} ${share[one,$s,3]} ${share[one,$s,4]} ${share[one,$s,5]}"
done

maxmean() { # maxmean KIND SCHED
	local i max=0 tot=0 v
	for i in $(seq 1 $NB); do
		v=${share[$1,$2,$i]}
		tot=$((tot + v))
		[ "$v" -gt "$max" ] && max=$v
	done
	awk -v m="$max" -v t="$tot" -v n=$NB 'BEGIN { printf "%.2f", t ? m / (t / n) : 0 }'
}

{
	echo "| traffic | scheduler | b1 | b2 | b3 | b4 | b5 | max/mean |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	for kind in one many; do
		for s in "${SCHEDS[@]}"; do
			label="one client, 1000 conns"
			[ $kind = many ] && label="50 clients, 20 conns each"
			printf '| %s | %s |' "$label" "$s"
			for i in $(seq 1 $NB); do
				printf ' %s |' "${share[$kind,$s,$i]}"
			done
			printf ' %s |\n' "$(maxmean $kind "$s")"
		done
	done
} >"$out/vm-balance.md"

{
	echo "# backend maglev-one mh-one mhport-one rr-one maglev-many mh-many mhport-many rr-many (connections)"
	for i in $(seq 1 $NB); do
		echo "b$i ${share[one,maglev,$i]} ${share[one,mh,$i]} ${share[one,mh-port,$i]} ${share[one,rr,$i]} ${share[many,maglev,$i]} ${share[many,mh,$i]} ${share[many,mh-port,$i]} ${share[many,rr,$i]}"
	done
} >"$out/balance.dat"

# memory: maglev's own report, against stock mh's 8 bytes per slot
ipvs -E -t "$VIP:80" -s maglev
setup_or_die "100-backend service" ipvs -A -t 10.0.1.101:80 -s maglev
for i in $(seq 1 100); do
	echo "-a -t 10.0.1.101:80 -r 10.0.3.$i:80 -m -w 1"
done | in_ns "$DR" ipvsadm -R
wait_until 10 mg_settled "$DR" tcp/10.0.1.101:80
{
	echo "| service | table size | maglev table bytes | per slot | all scheduler state | stock mh, same size (8 B/slot) | maglev / mh | as allocated: maglev, mh (computed) | maglev / mh, as allocated |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for svc in "tcp/$VIP:80" tcp/10.0.1.101:80; do
		m=$(mg_field "$DR" "$svc" table_size_active)
		tb=$(mg_field "$DR" "$svc" table_bytes)
		sb=$(mg_field "$DR" "$svc" state_bytes)
		n=$(mg_field "$DR" "$svc" backends_known)
		# as allocated: kmalloc() rounds up to its size classes (powers of
		# two, and 96 and 192), above 8 KiB to whole pages, a power of two
		# (function alloc); mh's state is 72 B. maglev takes a table above
		# a page from vmalloc() when whole pages, plus a page pointer each,
		# waste less (function mga; kmod/sched.c).
		awk -v svc="$n backends" -v m="$m" -v tb="$tb" -v sb="$sb" 'function alloc(b, p) { if (b > 64 && b <= 96) return 96; if (b > 128 && b <= 192) return 192; p = 8; while (p < b) p *= 2; return p }
		function mga(b, pg) { pg = int((b + 4095) / 4096) * 4096; pg += pg / 4096 * 8; return (b > 4096 && pg < alloc(b)) ? pg : alloc(b) }
		BEGIN {
			a = mga(tb) + sb - tb; h = alloc(8 * m) + 96
			printf "| %s | %d | %d | %.3f | %d | %d | %.3f | %d, %d | %.3f |\n", svc, m, tb, tb / m, sb, 8 * m, sb / (8 * m), a, h, a / h }'
	done
} >"$out/vm-memory.md"

cat "$out/vm-balance.md" "$out/vm-memory.md"
pass "vm bench done"
exit "$(lib_result)"
