#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Slow start, measured against its formula, in the VM:
#   vm_slowstart_bench.sh OUTDIR [WINDOW_S [CLIENTS]]   (OUTDIR relative to the tree)
#
# A fourth backend (weight 100) joins three (weight 100 each) of a maglev
# service with a WINDOW_S (default 20) slow-start window, linear, minimum
# 10%. For the window and 6 s after it, CLIENTS (default 2) client
# processes open new connections; the fourth backend's share of them is
# counted in 1 s buckets. Meanwhile a sampler records the fourth
# backend's share of the table as the module reports it (slots / table
# size). The formula is the module's own code (kmod/slowstart.c, through
# build/bench/bench_slowstart, compiled here if missing): the expected
# share is w_eff / (w_eff + 300), averaged over each bucket.
#
# Writes OUTDIR/vm-slowstart.md (table), OUTDIR/slowstart.dat (per
# bucket), OUTDIR/slowstart-formula.dat (the curve, every 100 ms) and
# OUTDIR/slowstart-table.dat (the sampled table share), for the plot.
#
#   CL 10.0.1.2 ---- DR (VIP 10.0.1.100:80, maglev, NAT) ---- B1..B4 :8080

source "$(dirname "$0")/../net/lib.sh"
lib_init

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
WIN=${2:-20}
NCLI=${3:-2}
AFTER=6
DUR=$((WIN + AFTER))
SVC=tcp/$VIP:80
SS=$IPVSM_SRC/build/bench/bench_slowstart

if [ ! -x "$SS" ]; then
	SS=$LIB_TMP/bench_slowstart
	setup_or_die "formula helper (kmod/slowstart.c)" gcc -O2 -o "$SS" \
		"$IPVSM_SRC/selftests/bench/bench_slowstart.c" "$IPVSM_SRC/kmod/slowstart.c"
fi

ms() { echo $(($(date +%s%N) / 1000000)); }

setup_or_die "topology" topo_std 4
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 100
done
setup_or_die "slow start ${WIN}s" "$IPVSCTL" -N "$DR" maglev set "$SVC" slow-start "${WIN}s"
setup_or_die "table settles" wait_until 10 mg_settled "$DR" "$SVC"
setup_or_die "the service answers" in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 20
setup_or_die "the service serves (a joining backend ramps)" wait_until 30 mg_serving "$DR" "$SVC"

# table_share BACKEND: "slots table_size" of BACKEND in the live table
table_share() {
	"$IPVSCTL" -N "$DR" -j maglev show "$SVC" | tr -d ' \n' | tr ',{}[]' '\n' |
		awk -v be="\"backend\":\"$1\"" '
		/^"table_size_active":/ { sub(/.*:/, ""); m = $0 + 0 }
		/^"backend":/ { mine = ($0 == be) }
		/^"slots":/ && mine { sub(/.*:/, ""); s = $0 + 0; mine = 0 }
		END { print s + 0, m + 0 }'
}
b4=${BE_IP[4]}:8080
setup_or_die "the sampler reads the table (b4 absent: $(table_share "$b4"))" \
	test "$(table_share "$b4" | cut -d' ' -f2)" -gt 0

# The sampler: the module's table share of b4, every 250 ms until the
# traffic ends. The period is a sampling rate, not a wait for state; the
# loop is bounded by its deadline.
sampler() {
	local end=$(($(ms) + DUR * 1000 + 1000)) t
	while [ "$(ms)" -lt $end ]; do
		t=$(ms)
		echo "$t $(table_share "$b4")"
		sleep 0.25
	done
}

setup_or_die "add b4" ipvs -a -t "$VIP:80" -r "$b4" -m -w 100
t_add=$(ms)
sampler >"$LIB_TMP/table" &
spid=$!
t_start=$(ms)
pids=()
for k in $(seq 1 "$NCLI"); do
	in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -D $((DUR * 1000)) -B 1000 -t 1000 >"$LIB_TMP/ramp$k" &
	pids+=($!)
done
left=$(mg_be_field "$DR" "$SVC" "$b4" ramp_left_ms)
check "b4 is in slow start ($left ms left)" test "$left" != none -a "$left" != None
wait "${pids[@]}"
wait "$spid"
off=$((t_start - t_add))
log "clients started ${off} ms after b4 joined"

# the formula every 50 ms (bucket means) and every 100 ms (the curve)
"$SS" $((WIN * 1000)) 1000 10 100 300 0 $(((DUR + 1) * 1000)) 50 >"$LIB_TMP/formula"
"$SS" $((WIN * 1000)) 1000 10 100 300 0 $((DUR * 1000)) 100 |
	awk '{ printf "%.1f %.3f\n", $1 / 1000, $3 }' >"$out/slowstart-formula.dat"
awk -v t0="$t_add" '{ printf "%.3f %.3f\n", ($1 - t0) / 1000, $3 ? 100 * $2 / $3 : 0 }' \
	"$LIB_TMP/table" >"$out/slowstart-table.dat"

# per bucket: connections, b4's, measured share, formula (mean over the
# bucket), table share (mean of the samples in the bucket)
cat "$LIB_TMP"/ramp* | awk -v off="$off" -v n="$DUR" -v ff="$LIB_TMP/formula" -v tf="$LIB_TMP/table" -v t0="$t_start" '
	FILENAME == ff { next }
	$1 == "bucket" { tot[$2] += $4; if ($3 == "b4") b[$2] += $4 }
	END {
		while ((getline l < ff) > 0) {
			split(l, f, " ")
			k = int((f[1] - off) / 1000)
			if (f[1] >= off && k < n) { fs[k] += f[3]; fn[k]++ }
		}
		while ((getline l < tf) > 0) {
			split(l, f, " ")
			k = int((f[1] - t0) / 1000)
			if (f[1] >= t0 && k < n && f[3] > 0) { ts[k] += 100 * f[2] / f[3]; tn[k]++ }
		}
		print "# bucket mid_s conns b4 measured_pct formula_pct table_pct (mid_s: since b4 joined)"
		for (k = 0; k < n; k++)
			printf "%d %.2f %d %d %.2f %.2f %s\n", k, (off + 1000 * k + 500) / 1000, tot[k], b[k],
				tot[k] ? 100 * b[k] / tot[k] : 0, fn[k] ? fs[k] / fn[k] : 0,
				tn[k] ? sprintf("%.2f", ts[k] / tn[k]) : "-"
	}' >"$out/slowstart.dat"
cat "$out/slowstart.dat"

conns=$(awk '!/^#/ { c += $3 } END { print c + 0 }' "$out/slowstart.dat")
check "every bucket has connections ($conns in all)" \
	test "$(awk '!/^#/ && $3 > 0' "$out/slowstart.dat" | wc -l)" -eq "$DUR"

{
	echo "| bucket | time since b4 joined, s | connections | b4's share, measured | formula | table (module) | measured − formula |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	awk '!/^#/ { printf "| %d | %.1f | %d | %.1f%% | %.1f%% | %s | %+.1f |\n", $1, $2, $3, $5, $6,
		$7 == "-" ? "-" : sprintf("%.1f%%", $7), $5 - $6 }' "$out/slowstart.dat"
	echo
	awk -v w="$WIN" '!/^#/ {
		d = $5 - $6; ad = d < 0 ? -d : d; sa += ad; if (ad > ma) ma = ad; k++
		if ($2 < w) { sr += ad; kr++ }
		if ($7 != "-") { dt = $7 - $6; dt = dt < 0 ? -dt : dt; st += dt; kt++ }
	}
	END {
		printf "Mean |measured − formula| over the %d buckets: **%.1f** percentage points (during the ramp: %.1f; worst bucket %.1f).\n", k, sa / k, kr ? sr / kr : 0, ma
		printf "The table the module built (sampled every 250 ms) is within %.1f points of the formula on average.\n", kt ? st / kt : 0
	}' "$out/slowstart.dat"
	echo "$conns connections from $NCLI client processes; the clients started $off ms after b4 joined."
} >"$out/vm-slowstart.md"
cat "$out/vm-slowstart.md"
exit "$(lib_result)"
