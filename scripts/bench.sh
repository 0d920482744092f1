#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: measure, side by side with the peers, and report. Asserts
# nothing about speed. Writes docs/bench/results.md and its plots, which
# the README shows.
#
#   1. the Maglev core on the host, against a reference Maglev written for
#      the bench: build time, balance, disruption; lookup cost in
#      instructions (callgrind), which is repeatable on a shared machine
#   2. in the VM, one boot: maglev against stock mh (and rr) on the same
#      traffic; table memory
#   3. health checks: ipvsctl's probe loop natively on the host (10,000
#      backends at 1 s), then in a second VM boot ipvsctl daemon against
#      keepalived doing the same TCP checks
#   4. in a third boot, "ipvsctl apply" against "ipvsadm -R": 10,000
#      services x 5 backends, full, incremental (1%) and no-op
#   5. in a fourth boot: the datapath (new TCP connections and OPS UDP
#      datagrams per second, maglev with and without pinning, mh and rr
#      taking turns), memory per pinned flow; slow start measured against
#      its formula; scheduler memory at 10,000 services, maglev against mh
#   6. in a fifth boot, the kube agent: a full resync of 10,000 Services x
#      5 endpoints ("ipvsctl kube sync") against "ipvsctl apply" of the
#      same IPVS state; sync latency (EndpointSlice change to IPVS) at
#      1,000 and 10,000 Services; its CPU with nothing changing
#
#   BENCH_KVER=...   kernel for the VM half (default: the matrix's 6.1)

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=docs/bench
mkdir -p "$out" build/bench
t0=$(date +%s)
t_lap=$t0
laps=
lap() { # lap NAME: the time since the last lap, for the results
	local now
	now=$(date +%s)
	laps="$laps${laps:+, }$1 $((now - t_lap)) s"
	t_lap=$now
}

scripts/deps.sh || exit 1
make -s ipvsctl tools || exit 1
kver=${BENCH_KVER:-$(scripts/kvers.sh 6.1)}

echo "bench: host: building the core benchmark"
gcc -O2 -g -Wall -Wextra -o build/bench/bench_core selftests/bench/bench_core.c kmod/maglev.c || exit 1

echo "bench: host: building the slow-start formula (the module's code)"
gcc -O2 -g -Wall -Wextra -o build/bench/bench_slowstart selftests/bench/bench_slowstart.c kmod/slowstart.c || exit 1

echo "bench: host: build times"
build/bench/bench_core build >build/bench/build.md || exit 1
echo "bench: host: balance and disruption"
build/bench/bench_core quality >build/bench/quality.md || exit 1

echo "bench: host: lookup cost (callgrind)"
K=200000
ir() { # ir MODE: instructions per lookup, loop included
	valgrind --tool=callgrind --callgrind-out-file=build/bench/cg.$1 \
		--toggle-collect=lookup_loop_ours --toggle-collect=lookup_loop_ref \
		build/bench/bench_core "$1" $K 2>&1 |
		awk -v k=$K '/Collected :/ { printf "%.1f", $4 / k }'
}
ir_ours=$(ir lookup)
ir_ref=$(ir reflookup)

echo "bench: host: the flow hash against SipHash (callgrind)"
gcc -O2 -g -Wall -Wextra -o build/bench/bench_hash selftests/bench/bench_hash.c kmod/maglev.c || exit 1
build/bench/bench_hash selftest || exit 1
irh() { # irh MODE: instructions per hash, loop included
	valgrind --tool=callgrind --callgrind-out-file=build/bench/cg.$1 --toggle-collect="loop_$1" \
		build/bench/bench_hash "$1" $K 2>&1 |
		awk -v k=$K '/Collected :/ { printf "%.1f", $4 / k }'
}
for m in mg4 sip4 hsip4 mg6 sip6 hsip6; do
	printf -v "irh_$m" '%s' "$(irh $m)"
done

echo "bench: host: health probe loop, 10,000 backends at 1 s (native)"
H="$(pkg-config --cflags --libs libnl-3.0) $(pkg-config --cflags libcurl)"
# shellcheck disable=SC2086
gcc -O2 -g -Wall -Wextra -D_GNU_SOURCE -DIPVSCTL_VERSION='"bench"' -Iipvsctl -Iinclude/uapi \
	-o build/bench/bench_health selftests/bench/bench_health.c \
	ipvsctl/health/{loop,net,exec,curl}.c ipvsctl/base/{clock,array}.c ipvsctl/model/*.c ipvsctl/config/[!j]*.c $H || exit 1
health_native() { # health_native N INTERVAL_MS: "probes/s cpu% failures"
	build/bench/bench_health "$1" "$2" 20 18080
}
read -r hn_rate hn_cpu hn_fail < <(health_native 10000 1000)
read -r hs_rate hs_cpu hs_fail < <(health_native 2000 1000)

lap "host"

echo "bench: VM ($kver): maglev against mh and rr, one boot"
rm -f build/bench/vm-*.md build/bench/balance.dat
selftests/vm/run.sh -k "$kver" -m script -s selftests/bench/vm_bench.sh -T 1200 build/bench ||
	echo "bench: the VM half failed; its figures are missing"
lap "VM balance"

echo "bench: VM ($kver): health checks, ipvsctl daemon against keepalived, one boot"
rm -f build/bench/vm-health.md
# 10,000 backends every 5 s: 2,000 probes/s. Under emulation either checker
# costs about 380% of a core per 10,000 probes/s, and the VM has 2 vCPUs,
# so 1 s intervals would measure saturation, not cost.
selftests/vm/run.sh -k "$kver" -m script -s selftests/bench/vm_health_bench.sh -T 1200 \
	build/bench 10000 5 30 ||
	echo "bench: the VM health half failed; its figures are missing"
lap "VM health"

echo "bench: VM ($kver): declarative apply against ipvsadm -R, one boot"
rm -f build/bench/vm-apply.md
selftests/vm/run.sh -k "$kver" -m script -s selftests/bench/vm_apply_bench.sh -T 1800 \
	build/bench 10000 5 ||
	echo "bench: the VM apply half failed; its figures are missing"
lap "VM apply"

echo "bench: VM ($kver): datapath with the schedulers taking turns, slow start, memory at scale, one boot"
rm -f build/bench/vm-datapath.md build/bench/vm-pins.md build/bench/datapath.dat \
	build/bench/vm-slowstart.md build/bench/slowstart*.dat build/bench/vm-memory-scale.md
# 8 rounds of 2 s per scheduler and protocol, 3 client processes; more
# memory than the default for 10,000 services under each scheduler
VM_MEM=2560 selftests/vm/run.sh -k "$kver" -m script -s selftests/bench/vm_datapath_bench.sh -T 900 \
	build/bench 8 2 3 ||
	echo "bench: the VM datapath half failed; its figures are missing"
lap "VM datapath, slow start, memory"

echo "bench: VM ($kver): the kube agent at 10,000 Services, one boot"
rm -f build/bench/vm-kube.md
VM_MEM=2560 selftests/vm/run.sh -k "$kver" -m script -s selftests/bench/vm_kube_bench.sh -T 2400 \
	build/bench 10000 5 30 ||
	echo "bench: the VM kube half failed; its figures are missing"
lap "VM kube"

# ---- plots ----------------------------------------------------------------
if [ -s build/bench/balance.dat ] && command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal pngcairo size 900,460 font "sans,10"
set output "$out/balance.png"
set multiplot layout 1,2 title "Connections per backend, 5 equal backends (VM, $kver)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ylabel "connections"
set key below horizontal
set title "one client address, 1000 connections"
plot "build/bench/balance.dat" using 2:xtic(1) title "maglev", "" using 3 title "mh", "" using 4 title "mh + port", "" using 5 title "rr"
set title "50 client addresses, 20 connections each"
plot "build/bench/balance.dat" using 6:xtic(1) title "maglev", "" using 7 title "mh", "" using 8 title "mh + port", "" using 9 title "rr"
unset multiplot
EOF
fi
if [ -s build/bench/slowstart.dat ] && command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal pngcairo size 900,460 font "sans,10"
set output "$out/slowstart.png"
set title "A fourth backend joins three (equal weights), 20 s linear slow start, minimum 10% (VM, $kver)"
set xlabel "seconds since the backend joined"
set ylabel "its share of new connections, %"
set xrange [0:*]
set yrange [0:35]
set grid
set key top left
plot "build/bench/slowstart-formula.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "formula (kmod/slowstart.c)", \
	"build/bench/slowstart-table.dat" using 1:2 with steps lw 1 lc rgb "#999999" title "the table the module built (sampled)", \
	"build/bench/slowstart.dat" using 2:5 with points pt 7 ps 1.2 lc rgb "#d62728" title "measured, 1 s buckets"
EOF
fi

# ---- results ------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# the bench's own outputs (docs/bench) do not count as changes
[ -n "$(git status --porcelain -- . ':!docs/bench' 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
{
	echo "# ipvs-maglev benchmark results"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- commit: $commit"
	echo "- machine: ${cpu:-unknown CPU}, $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB"
	echo "- host kernel: $(uname -r); VM kernel: $kver (QEMU TCG, so VM figures are ratios, not speeds)"
	echo "- reproduce: \`make bench\` ($(($(date +%s) - t0)) s for this run: $laps)"
	echo
	echo "## The Maglev core (host userspace, same source as the module)"
	echo
	echo "Reference: a straightforward Maglev from the paper's pseudocode, written for the"
	echo "bench (equal weights, turns in the order given, (offset + j·skip) mod M), with"
	echo "the same keyed hashes. Build times are the best of several runs."
	echo
	cat build/bench/build.md
	echo
	cat build/bench/quality.md
	echo
	echo "| lookup cost (hash + slot + backend + usable check), callgrind | maglev (ours) | reference | target |"
	echo "|---|---:|---:|---:|"
	echo "| instructions per lookup, IPv4 5-tuple, loop included | $ir_ours | $ir_ref | ≤ 100 |"
	echo
	echo "### The flow hash against SipHash"
	echo
	echo "The module's keyed flow hash (mg_hash_v4/v6) against SipHash-2-4 (the kernel's"
	echo "siphash) and SipHash-1-3 (its 64-bit hsiphash), written for the bench from the"
	echo "SipHash paper, on the same 5-tuples. Instructions per hash, callgrind, loop included."
	echo
	echo "| input | mg_hash (today) | SipHash-2-4 | SipHash-1-3 |"
	echo "|---|---:|---:|---:|"
	echo "| IPv4 5-tuple (2 words) | $irh_mg4 | $irh_sip4 | $irh_hsip4 |"
	echo "| IPv6 5-tuple (5 words) | $irh_mg6 | $irh_sip6 | $irh_hsip6 |"
	echo
	echo "## maglev against stock mh and rr (VM, one boot)"
	echo
	echo "Connections per backend; mh hashes the source address (\"mh + port\": with its"
	echo "port flag, \`-b flag-2\`)."
	echo
	cat build/bench/vm-balance.md 2>/dev/null || echo "(missing: the VM half failed)"
	echo
	[ -f "$out/balance.png" ] && echo "![connections per backend](balance.png)" && echo
	echo "## Memory per service"
	echo
	echo "Stock mh keeps one pointer per slot (\`struct ip_vs_mh_lookup\` in"
	echo "net/netfilter/ipvs/ip_vs_mh.c); maglev a 16-bit index per slot plus one"
	echo "pointer per backend. Figures from maglev's own netlink report: the bytes it"
	echo "asks for, which the allocator rounds up (see the next section)."
	echo
	cat build/bench/vm-memory.md 2>/dev/null || echo "(missing: the VM half failed)"
	echo
	echo "## Memory at scale: 10,000 services, maglev against stock mh"
	echo
	echo "Measured in the VM: the kernel memory (/proc/meminfo Slab + VmallocUsed +"
	echo "Percpu) each scheduler's services took, less what the same services took"
	echo "under rr, which keeps no state of its own. Computed: from the table sizes and"
	echo "the allocator's rounding."
	echo
	cat build/bench/vm-memory-scale.md 2>/dev/null || echo "(missing: the VM datapath half failed)"
	echo
	echo "## Memory per pinned flow"
	echo
	cat build/bench/vm-pins.md 2>/dev/null || echo "(missing: the VM datapath half failed)"
	echo
	echo "## Datapath: maglev against stock mh and rr, taking turns (VM, one boot)"
	echo
	echo "New TCP connections per second through a NAT VIP, and UDP datagrams per"
	echo "second through a one-packet-scheduling VIP (direct routing, each datagram from"
	echo "a new socket, so each is scheduled), from parallel clients in the VM. mh runs"
	echo "with its port flag (\`-b flag-2\`), so one client's flows spread as under maglev."
	echo "Under emulation the whole path (client, IPVS, server) is slow and the"
	echo "scheduler a small part of it: the ratios are what counts."
	echo
	cat build/bench/vm-datapath.md 2>/dev/null || echo "(missing: the VM datapath half failed)"
	echo
	echo "## Slow start against its formula"
	echo
	echo "A fourth backend joins a three-backend maglev service with a 20 s linear"
	echo "ramp (minimum 10%): its share of new connections, in 1 s buckets, against"
	echo "w_eff / (w_eff + 300) from the module's own formula (kmod/slowstart.c,"
	echo "averaged over each bucket), and the share of the table the module reports."
	echo
	[ -f "$out/slowstart.png" ] && echo "![slow start: measured against the formula](slowstart.png)" && echo
	cat build/bench/vm-slowstart.md 2>/dev/null || echo "(missing: the VM datapath half failed)"
	echo
	echo "## Health checks"
	echo
	echo "The probe loop of \`ipvsctl daemon\` (ipvsctl/health/loop.c: one epoll loop, TCP"
	echo "connect probes), natively on the host against one loopback server, 20 s"
	echo "window after a warm-up interval. CPU is the loop's own (user + system,"
	echo "which includes the loopback handshakes done in its context)."
	echo
	echo "| backends, TCP connect every 1 s | probes/s | CPU, % of one core | failed probes |"
	echo "|---|---:|---:|---:|"
	echo "| 10,000 | $hn_rate | $hn_cpu | $hn_fail |"
	echo "| 2,000 | $hs_rate | $hs_cpu | $hs_fail |"
	echo
	echo "Against keepalived (\`-n -C\`, TCP_CHECK) doing the same checks, each in its"
	echo "own namespace of one VM, same run:"
	echo
	cat build/bench/vm-health.md 2>/dev/null || echo "(missing: the VM health half failed)"
	echo
	echo "## Declarative apply against ipvsadm -R"
	echo
	echo "The same state restored by \`ipvsadm -R\` and applied by \`ipvsctl apply\`,"
	echo "each in its own namespace of one VM, from empty; then ipvsctl's incremental"
	echo "and no-op applies (it reads the kernel's state and diffs: the caller gives"
	echo "only the desired state), against ipvsadm -R fed the delta ready-made."
	echo "Each time is one command's, from exec to exit, read by a shell already in"
	echo "the namespace (entering it costs about 130 ms under emulation). Then the"
	echo "same documents through one \`ipvsctl apply --stream\`, as a controller that"
	echo "keeps ipvsctl running writes them, in a third namespace, each timed from"
	echo "its first byte written to its answer line."
	echo
	cat build/bench/vm-apply.md 2>/dev/null || echo "(missing: the VM apply half failed)"
	echo
	echo "## The kube agent against ipvsctl apply"
	echo
	echo "\`ipvsctl kube sync\` (the agent's full resync: the sysctls, the nftables"
	echo "table, IPVS, the addresses on kube-ipvs0) against \`ipvsctl apply --vip-dev"
	echo "kube-ipvs0\` of the same IPVS state, each from empty in its own namespace,"
	echo "best of 3; rr (maglev's tables for 10,000 services and two copies would not"
	echo "fit the VM). Then \`ipvsctl kube run\` against the fake API server of the"
	echo "tests: each EndpointSlice change timed from its POST to the new endpoint"
	echo "seen in IPVS (ipvsadm polled every 20 ms), one at a time from idle; and"
	echo "the agent's CPU time over 60 s with nothing changing. No kube-proxy runs"
	echo "here (no cluster, no container engine): its figures are not in this run."
	echo
	cat build/bench/vm-kube.md 2>/dev/null || echo "(missing: the VM kube half failed)"
} >"$out/results.md"

cat "$out/results.md"
echo "bench: done in $(($(date +%s) - t0)) s; results in $out/results.md"
