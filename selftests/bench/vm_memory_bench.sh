#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scheduler memory at scale, maglev against stock mh, in one boot:
#   vm_memory_bench.sh OUTDIR [SERVICES [BACKENDS [TABLE [BIG]]]]   (OUTDIR relative to the tree)
#
# SERVICES (default 10,000) TCP services x BACKENDS (default 5) NAT
# backends, applied by "ipvsctl apply", each time into a new namespace:
# with rr (which keeps no state of its own: the baseline of what IPVS
# itself takes; applied twice, first and last), with mh and with maglev.
# The kernel memory each apply took is what /proc/meminfo's Slab (which
# counts large kmalloc()s too), VmallocUsed and Percpu grew by, once they
# are still; a scheduler's is its namespace's less rr's. (MemFree moves
# as much, but also with the per-CPU free page lists: it is logged only.)
#
# Both tables have TABLE (default 4093) slots: stock mh's size is fixed
# when the kernel is built (CONFIG_IP_VS_MH_TAB_INDEX; Debian's 12 gives
# 4093), and maglev's default of 65521 would not fit 10,000 services in
# the VM, so its module parameter table_size is set to the same. Then
# BIG (default 500) more maglev services at its default size, 65521, to
# measure that size per service. maglev's own report (state_bytes,
# table_bytes) is summed too. Writes OUTDIR/vm-memory-scale.md.

source "$(dirname "$0")/../net/lib.sh"
lib_init

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
NS_SVC=${2:-10000}
NB=${3:-5}
TABLE=${4:-4093}
BIG=${5:-500}
PARAMS=/sys/module/ip_vs_maglev/parameters
SCHEDS=(rr mh maglev)

setup_or_die "modules" modprobe -a ip_vs_rr ip_vs_mh ip_vs_maglev
old_table=$(cat $PARAMS/table_size)
trap 'echo "$old_table" >$PARAMS/table_size; lib_cleanup' EXIT
setup_or_die "maglev table_size $TABLE" bash -c "echo $TABLE >$PARAMS/table_size"

for s in "${SCHEDS[@]}"; do
	awk -v n="$NS_SVC" -v nb="$NB" -v s="$s" 'BEGIN {
		for (i = 0; i < n; i++) {
			v = sprintf("10.%d.%d.%d", 100 + int(i / 62500), int(i / 250) % 250, i % 250 + 1)
			printf "service add tcp/%s:80 scheduler %s\n", v, s
			for (b = 0; b < nb; b++)
				printf "backend add tcp/%s:80 10.200.%d.%d:8080 method nat weight 1\n", v,
					i % 250, (i * nb + b) % 250 + 1
		}
	}' >"$LIB_TMP/$s.conf"
done
setup_or_die "states generated" test "$(wc -l <"$LIB_TMP/maglev.conf")" -eq $((NS_SVC * (NB + 1)))

memfree() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
kmem() { awk '/^(Slab|VmallocUsed|Percpu):/ { k += $2 } END { print k }' /proc/meminfo; }
# mem_quiet: kernel memory moved by less than 64 KiB over the last second
# (RCU frees of old tables, deferred work done). Polled by wait_until.
q_t=0
q_v=0
mem_quiet() {
	local now v d
	now=$(($(date +%s%N) / 1000000))
	[ $((now - q_t)) -lt 1000 ] && return 1
	v=$(kmem)
	d=$((v - q_v))
	q_t=$now
	q_v=$v
	[ "${d#-}" -lt 64 ]
}
quiet() { # quiet: kernel memory in kB, once it is still
	q_t=0
	wait_until 60 mem_quiet || log "kernel memory still moving after 60 s" >&2
	echo "$q_v"
}
not_pending() { # not_pending NS: no maglev service has a rebuild pending
	! "$IPVSCTL" -N "$1" -j maglev show | grep -q '"pending": *true'
}

NSX=
declare -A kb secs
# where the memory went, for the log: the /proc/meminfo lines that moved
meminfo_moved() { # meminfo_moved BEFORE AFTER
	awk 'NR == FNR { a[$1] = $2; next } $3 == "kB" && $2 - a[$1] > 1024 || a[$1] - $2 > 1024 {
		printf " %s%+d MiB", $1, ($2 - a[$1]) / 1024 }' "$1" "$2"
}
# measure NAME CONF: apply CONF in a new namespace; sets kb[NAME], secs[NAME]
measure() {
	local m0 m1 f0 t0
	setup_or_die "namespace for $1" mkns NSX "mem$1"
	m0=$(quiet)
	f0=$(memfree)
	cp /proc/meminfo "$LIB_TMP/meminfo0"
	t0=$(date +%s%N)
	setup_or_die "apply for $1" in_ns "$NSX" "$IPVSCTL" -q apply -f "$2"
	case $1 in
	maglev*) setup_or_die "every maglev table built" wait_until 120 not_pending "$NSX" ;;
	esac
	secs[$1]=$((($(date +%s%N) - t0) / 1000000))
	m1=$(quiet)
	kb[$1]=$((m1 - m0))
	log "$1: kernel memory +$((kb[$1] / 1024)) MiB (MemFree $(((f0 - $(memfree)) / 1024)) MiB less), ${secs[$1]} ms;$(meminfo_moved "$LIB_TMP/meminfo0" /proc/meminfo)"
}

# a first apply, not counted: binaries read, first-use allocations made
setup_or_die "namespace for the warm-up" mkns NSX memwarm
setup_or_die "warm-up apply" in_ns "$NSX" "$IPVSCTL" -q apply -f <(head -n 600 "$LIB_TMP/rr.conf")
measure rr "$LIB_TMP/rr.conf"
measure mh "$LIB_TMP/mh.conf"
measure maglev "$LIB_TMP/maglev.conf"
mgns=$NSX
measure rr2 "$LIB_TMP/rr.conf"
setup_or_die "maglev table_size back to $old_table" bash -c "echo $old_table >$PARAMS/table_size"
# BIG services in the same address range: their own namespace
measure maglev-big <(head -n $((BIG * (NB + 1))) "$LIB_TMP/maglev.conf")
bigns=$NSX
check "ipvsadm sees $NS_SVC services in the maglev namespace" \
	test "$(in_ns "$mgns" ipvsadm -Ln | grep -c '^TCP')" -eq "$NS_SVC"

# maglev's own report, summed over its services
report() { # report NS: services, state bytes, table bytes, table size (all summed)
	"$IPVSCTL" -N "$1" -j maglev show | python3 -c '
import json, sys
ss = json.load(sys.stdin)["services"]
print(len(ss), sum(s["state_bytes"] for s in ss), sum(s["table_bytes"] for s in ss),
      max(s["table_size_active"] for s in ss))'
}
read -r rep_n rep_state rep_table rep_size < <(report "$mgns")
check "maglev reports $NS_SVC services of $TABLE slots ($rep_n, $rep_size)" \
	test "$rep_n" = "$NS_SVC" -a "$rep_size" = "$TABLE"
read -r big_n big_state big_table big_size < <(report "$bigns")
check "and $BIG services of $old_table slots ($big_n, $big_size)" \
	test "$big_n" = "$BIG" -a "$big_size" = "$old_table"

{
	awk -v n="$NS_SVC" -v nb="$NB" -v m="$TABLE" -v rr="${kb[rr]}" -v rr2="${kb[rr2]}" -v mg="${kb[maglev]}" -v mh="${kb[mh]}" \
		-v rs="$rep_state" -v rt="$rep_table" -v big="$BIG" -v bm="$old_table" -v bk="${kb[maglev-big]}" \
		-v bs="$big_state" -v bt="$big_table" 'function alloc(b, p) { if (b > 64 && b <= 96) return 96; if (b > 128 && b <= 192) return 192; p = 8; while (p < b) p *= 2; return p }
	function mga(b, pg) { pg = int((b + 4095) / 4096) * 4096; pg += pg / 4096 * 8; return (b > 4096 && pg < alloc(b)) ? pg : alloc(b) }
	BEGIN {
		base = (rr + rr2) / 2			# IPVS itself, kB
		g = mg - base; h = mh - base		# the schedulers, kB
		printf "| %d services × %d backends, %d-slot tables | maglev | stock mh | maglev / mh |\n", n, nb, m
		print "|---|---:|---:|---:|"
		printf "| **scheduler memory, measured**, MiB | **%.1f** | **%.1f** | **%.3f** |\n", g / 1024, h / 1024, h ? g / h : 0
		printf "| per service, measured, bytes | %.0f | %.0f | %.3f |\n", g * 1024 / n, h * 1024 / n, h ? g / h : 0
		# kmalloc() rounds up to its size classes (powers of two, and 96
		# and 192), above 8 KiB to whole pages, a power of two (alloc).
		# mh: kcalloc(M, 8) plus its 72-byte state. maglev takes a table
		# above a page from vmalloc() when whole pages, plus a page
		# pointer each, waste less than that (mga; kmod/sched.c).
		lb = m * 8
		ms = rs / n - rt / n		# maglev: its service and backend structs
		printf "| per service, computed, bytes | %.0f | %d | %.3f |\n", mga(rt / n) + ms, alloc(lb) + 96, (mga(rt / n) + ms) / (alloc(lb) + 96)
		printf "| per service, the module'\''s own report (state_bytes), bytes | %.0f | - | |\n", rs / n
		print ""
		printf "Computed: mh, %d slots × 8 B = %d B, which kcalloc() rounds up to %d B, plus\n", m, lb, alloc(lb)
		printf "its 96 B state; maglev, its %.0f B table (2 B a slot, %d backend pointers), which\n", rt / n, nb
		printf "takes %d B (kmalloc() would round it up to %d B), plus %.0f B of service and\n", mga(rt / n), alloc(rt / n), ms
		printf "backend structures (its report): %.0f%% of the table'\''s allocation is unused.\n", 100 * (1 - rt / n / mga(rt / n))
		printf "IPVS itself (the rr namespaces, first and last: services, backends, stats) took %.1f and\n", rr / 1024
		printf "%.1f MiB; their mean is the baseline taken off.\n", rr2 / 1024
		print ""
		bg = bk - base * big / n		# kB, less IPVS own for BIG services
		printf "| at maglev'\''s default size, %d slots | maglev | stock mh (if built with it) | maglev / mh |\n", bm
		print "|---|---:|---:|---:|"
		lb = bm * 8
		printf "| per service, measured on %d services, bytes | %.0f | - | |\n", big, bg * 1024 / big
		printf "| per service, computed, bytes | %.0f | %d | %.3f |\n", mga(bt / big) + (bs - bt) / big, alloc(lb) + 96,
			(mga(bt / big) + (bs - bt) / big) / (alloc(lb) + 96)
		printf "| per service, the module'\''s own report, bytes | %.0f | - | |\n", bs / big
		printf "| %d services, from the measured per service (maglev) and computed (mh), GiB | %.2f | %.2f | %.3f |\n",
			n, bg * 1024 / big * n / 2^30, (alloc(lb) + 96) * n / 2^30, bg * 1024 / big / (alloc(lb) + 96)
		print ""
		# ip_vs_mh.c: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]
		k = split("251 509 1021 2039 4093 8191 16381 32749 65521 131071", pr, " ")
		for (i = 1; i <= k; i++) if (pr[i] == bm) idx = i + 7
		if (idx)
			printf "Stock mh at %d slots needs a kernel built with CONFIG_IP_VS_MH_TAB_INDEX=%d: computed only.\n", bm, idx
		else
			printf "Stock mh cannot have %d slots: computed only.\n", bm
		printf "maglev'\''s %.0f B table takes %d B (kmalloc() would round it up to %d B).\n", bt / big, mga(bt / big), alloc(bt / big)
	}'
	echo
	echo "Time to apply (ipvsctl apply; maglev: until every table is built): rr ${secs[rr]} ms,"
	echo "mh ${secs[mh]} ms, maglev ${secs[maglev]} ms."
} >"$out/vm-memory-scale.md"
cat "$out/vm-memory-scale.md"
exit "$(lib_result)"
