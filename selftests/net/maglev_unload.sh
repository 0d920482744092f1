#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload and reload of ip_vs_maglev:
#  - rmmod is refused while a service uses maglev, and the service keeps
#    working;
#  - with a slow-start ramp running and flows pinned, deleting the service
#    and unloading right away is safe (the harness fails the run on any
#    splat), and the module goes within a deadline;
#  - the first lookup of the family by name loads the module and finds
#    it; a load by ipvsadm -A -s maglev registers the family too;
#  - 10 rounds of load, a service driven through both netlink families
#    (parameters, backends, lookups, pins), delete, unload; then CYCLES
#    (default 100) rounds of load and unload: kernel memory (slab +
#    vmalloc) does not grow.
#
#   the flat topology (lib.sh topo_flat 3), udp/10.0.2.100:53 OPS, DR

source "$(dirname "$0")/lib.sh"
lib_init

CYCLES=${1:-100}
SVC=udp/$FVIP:53
ipvsctl() { "$IPVSCTL" -N "$DR" "$@"; }
gone() { ! module_loaded; }
unload_now() { rmmod ip_vs_maglev 2>/dev/null; gone; }

if module_loaded; then
	setup_or_die "unload a module left by an earlier test" wait_until 10 unload_now
fi
setup_or_die "topology" topo_flat 3
for i in 1 2 3; do
	setup_or_die "server b$i :53" serve "${BE[i]}" "b$i" 53 -u
done

# ---- refused while in use ------------------------------------------------
setup_or_die "a maglev service loads the module by name" \
	ipvsctl service add "$SVC" scheduler maglev ops on pin on slow-start 60s
for i in 1 2 3; do
	setup_or_die "b$i" ipvsctl backend add "$SVC" "${BE_IP[i]}" method dr weight 100
done
rmmod ip_vs_maglev 2>"$LIB_TMP/rmmod"
rc=$?
check "rmmod is refused while a service uses maglev (exit $rc: $(cat "$LIB_TMP/rmmod"))" test $rc -ne 0
check "the module is still loaded" module_loaded
in_ns "$CL" "$MGTRAFFIC" conn -u -c "$FVIP" -p 53 -s 20000 -n 300 -t 2000 >"$LIB_TMP/t1"
check "and the service still answers: 300 flows ($(total_of "$LIB_TMP/t1") answered, $(errors_of "$LIB_TMP/t1") errors)" \
	test "$(errors_of "$LIB_TMP/t1")" = 0

# ---- unload during a ramp, with live pins ---------------------------------
pins() { ipvsctl -j maglev show "$SVC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["pinning"]["entries"])'; }
ramping() { ipvsctl -j maglev show "$SVC" | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["slow_start"]["ramping"])'; }
setup_or_die "a fourth backend joins and ramps" ipvsctl backend add "$SVC" 10.0.2.14:53 method dr weight 100
n_pins=$(pins)
n_ramp=$(ramping)
check "flows are pinned ($n_pins) and backends are ramping ($n_ramp)" \
	test "$n_pins" -gt 0 -a "$n_ramp" -gt 0
setup_or_die "delete the service" ipvsctl service del "$SVC"
t0=$(date +%s%N)
wait_until 10 unload_now
check "rmmod right after, pins and ramp live: unloaded in $((($(date +%s%N) - t0) / 1000000)) ms (deadline 10 s)" gone

# ---- autoload -------------------------------------------------------------
# A program's first lookup of the family loads the module (its
# MODULE_ALIAS_GENL_FAMILY) and must find the family: one lookup, no retry.
setup_or_die "module unloaded" wait_until 10 unload_now
out=$(python3 "$LIB_DIR/tools/genl.py" IPVS_MAGLEV 1 2>&1)
check "with the module unloaded, the first lookup of IPVS_MAGLEV loads it and finds the family ($out)" \
	test "${out%% *}" = ok
setup_or_die "module unloaded again" wait_until 10 unload_now
# loaded by IPVS from inside its own netlink handler: the family comes
# once that request is done
check "ipvsadm -A -s maglev loads the module" in_ns "$DR" ipvsadm -A -u 10.0.2.100:54 -s maglev
family_there() { python3 "$LIB_DIR/tools/genl.py" IPVS_MAGLEV 1 >/dev/null 2>&1; }
check "and the family is registered after it" wait_until 10 family_there
setup_or_die "service deleted" in_ns "$DR" ipvsadm -D -u 10.0.2.100:54
setup_or_die "module unloaded" wait_until 10 unload_now

# ---- load/unload cycles ----------------------------------------------------
kmem() { # slab + vmalloc, KiB
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" { s += $2 } END { print s }' /proc/meminfo
}
# a rich cycle: both netlink families, parameters, lookups, pins, traffic
rich_cycle() {
	modprobe ip_vs_maglev || return 1
	ipvsctl service add "$SVC" scheduler maglev ops on pin on slow-start 10s || return 1
	ipvsctl backend add "$SVC" "${BE_IP[1]}" method dr weight 100 || return 1
	ipvsctl backend add "$SVC" "${BE_IP[2]}" method dr weight 50 || return 1
	ipvsctl maglev set "$SVC" table-size 4093 hash src >/dev/null || return 1
	ipvsctl maglev lookup "$SVC" 10.0.2.2:1000 10.0.2.2:1001 >/dev/null || return 1
	in_ns "$CL" "$MGTRAFFIC" conn -u -c "$FVIP" -p 53 -s 30000 -n 20 -t 2000 >/dev/null || return 1
	ipvsctl service del "$SVC" || return 1
	wait_until 10 unload_now
}
# a lean one: load (the module sets up every namespace), unload
lean_cycle() {
	modprobe ip_vs_maglev || return 1
	wait_until 10 unload_now
}
# one round of each first, so that caches the cycles use exist before the
# baseline
setup_or_die "a first rich round" rich_cycle
setup_or_die "a first lean round" lean_cycle
echo 2 >/proc/sys/vm/drop_caches
before=$(kmem)
t0=$(date +%s)
rich=0
for c in $(seq 1 10); do
	rich_cycle || break
	rich=$c
done
lean=0
for c in $(seq 1 "$CYCLES"); do
	lean_cycle || break
	lean=$c
done
secs=$(($(date +%s) - t0))
check "10 load, configure, traffic, unload cycles ($rich done)" test "$rich" = 10
check "$CYCLES load/unload cycles ($lean done; ${secs}s for all the cycles)" test "$lean" = "$CYCLES"
echo 2 >/proc/sys/vm/drop_caches
after=$(kmem)
# every cycle allocates a table (4093 or 65521 slots: 8 to 128 KiB),
# backends, and for the rich ones pins and a namespace pin table: a leak
# of any of them grows memory by 8 KiB or more a cycle
check "kernel memory (slab + vmalloc) after $((rich + lean)) cycles: $before -> $after KiB (allowed growth 512 KiB)" \
	test $((after - before)) -lt 512

exit "$(lib_result)"
