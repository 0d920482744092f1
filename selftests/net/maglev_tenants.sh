#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unprivileged tenants. Where unprivileged user namespaces are allowed, any
# local user can own a network namespace and, through IPVS's socket
# options, make pinned maglev services in it. TENANTS such users
# (uid 65534, each "unshare -Urn", tools/tenant.sh) flood their services
# with random 5-tuples: the first half the unprivileged users' pin cap,
# then the others FLOOD_X times the cap each, at once; then a namespace of the host's (owned by the initial user
# namespace) pins its own flows. Checks:
#  - the pins of the tenants' namespaces together never pass pin_max_userns
#    (sampled during the floods, and at the end), and those of every
#    namespace never pass pin_max_host; each namespace's count and the
#    module's totals agree;
#  - past the cap, tenants evict their own pins or go unpinned, and the
#    host's namespace still pins every one of its flows;
#  - kernel memory (Slab + VmallocUsed) grows by at most the documented
#    bound for those pins, whatever the flood (plus 2 MiB of noise);
#  - a tenant's pins are charged to its memory cgroup, on kernels where the
#    module can charge from softirq (an export 5.10 lacks: then logged);
#  - the hash seed: a tenant's namespace hashes with random keys of its own;
#    a tenant sees their fingerprint, never a seed, nor the host's pin
#    counts.

source "$(dirname "$0")/lib.sh"
lib_init

TENANTS=3
CAP_USERNS=3000
CAP_HOST=6000
HOST_FLOWS=2500
FLOOD_X=10
PARAMS=/sys/module/ip_vs_maglev/parameters
TENANT=$LIB_DIR/tools/tenant.sh
HVIP=10.78.0.100

command -v setpriv >/dev/null || skip "setpriv missing"
setup_or_die "module" modprobe ip_vs_maglev
old_host=$(cat $PARAMS/pin_max_host) old_userns=$(cat $PARAMS/pin_max_userns)
old_clone=$(sysctl -n kernel.unprivileged_userns_clone 2>/dev/null)
restore() {
	local d
	for d in "$LIB_TMP"/t*; do
		[ -d "$d" ] && touch "$d/quit"
	done
	lib_cleanup
	echo "$old_host" >$PARAMS/pin_max_host
	echo "$old_userns" >$PARAMS/pin_max_userns
	[ -n "$old_clone" ] && sysctl -qw kernel.unprivileged_userns_clone="$old_clone"
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
}
trap restore EXIT
[ -n "$old_clone" ] && setup_or_die "unprivileged user namespaces allowed" \
	sysctl -qw kernel.unprivileged_userns_clone=1
setup_or_die "pin_max_host $CAP_HOST" bash -c "echo $CAP_HOST >$PARAMS/pin_max_host"
setup_or_die "pin_max_userns $CAP_USERNS" bash -c "echo $CAP_USERNS >$PARAMS/pin_max_userns"
chmod 755 "$LIB_TMP"

kmem() { # slab + vmalloc, KiB
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" { s += $2 } END { print s }' /proc/meminfo
}
jget() { # jget FILE|- EXPR: a field of a JSON document
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin); print(eval(sys.argv[2]))' "$@"
}
jtrue() { jget "$@" >/dev/null; }	# jtrue FILE|- EXPR: EXPR holds (else it calls sys.exit(1))
host_info() { "$IPVSCTL" -j maglev info; }
tenant_ns() { echo "/proc/$(cat "$LIB_TMP/t$1/pid")/ns/net"; }
tenant_pins() { nsenter --net="$(tenant_ns "$1")" "$IPVSCTL" -j maglev info | jget - 'd["pins"]["entries"]'; }

# The first tenant runs in a memory cgroup of its own, if cgroup v2 is
# there or can be mounted.
CG=
if [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
fi
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null &&
   { grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
     echo +memory >/sys/fs/cgroup/cgroup.subtree_control; } 2>/dev/null; then
	CG=/sys/fs/cgroup/ipvsm-tenant-$$
	mkdir "$CG" || CG=
fi
cg_slab() { awk '$1 == "slab" { print $2 }' "$CG/memory.stat"; }

# Deadlines (never a verdict) scale with the machine: TIMEOUT_SCALE is 8
# on the debug kernel, where a tenant's set-up alone can take a minute.
SCALE=${TIMEOUT_SCALE:-1}

# ---- the tenants ------------------------------------------------------------
# Tenant 1 (the one in a memory cgroup) floods first, alone, with half the
# cap's worth of flows: it keeps them (past the cap a tenant evicts its
# own pins only), so its cgroup's charge stands far above the cgroup's
# own slab noise. Started with the others, it could be left with 30 pins
# (2 KiB: noise), as the scheduler ran them. The others then race each
# other into the rest of the cap, with FLOOD_X times the cap each.
count_of() { # count_of TENANT: the datagrams it sends
	if [ "$1" = 1 ]; then echo $((CAP_USERNS / 2)); else echo $((FLOOD_X * CAP_USERNS)); fi
}
for t in $(seq 1 $TENANTS); do
	d=$LIB_TMP/t$t
	mkdir "$d" && chmod 777 "$d"
	(
		[ "$t" = 1 ] && [ -n "$CG" ] && echo $BASHPID >"$CG/cgroup.procs"
		exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			unshare -Urn bash "$TENANT" "$d" "$t" "$(count_of "$t")"
	) &
	LIB_PIDS+=("$!")
done
state_is() { grep -qx "$2" "$LIB_TMP/t$1/state" 2>/dev/null; }
for t in $(seq 1 $TENANTS); do
	if ! wait_until $((60 * SCALE)) state_is "$t" ready; then
		log "tenant $t: $(cat "$LIB_TMP/t$t/state" 2>/dev/null)"
		sed 's/^/#   /' "$LIB_TMP/t$t/log" 2>/dev/null
		fail "setup: tenant $t (uid 65534, own user and network namespace) made its maglev service"
		exit "$(lib_result)"
	fi
done
pass "$TENANTS unprivileged users each made a pinned maglev service in a namespace of their own"

# ---- the host's namespace (owned by the initial user namespace) -------------
setup_or_die "host namespace" mkns H host
setup_or_die "host client namespace" mkns HC hostc
setup_or_die "veth" ip link add hv0 netns "$H" type veth peer name hv1 netns "$HC"
setup_or_die "H addresses" in_ns "$H" sh -c "ip addr add 10.78.1.1/24 dev hv0 && ip link set hv0 up &&
	ip link add dum0 type dummy && ip addr add $HVIP/32 dev dum0 && ip link set dum0 up &&
	ip link add dum1 type dummy && ip addr add 10.78.2.254/24 dev dum1 && ip link set dum1 up &&
	ip route add 198.18.0.0/15 via 10.78.1.2 && sysctl -qw net.ipv4.conf.all.rp_filter=0"
setup_or_die "HC addresses" in_ns "$HC" sh -c "ip addr add 10.78.1.2/24 dev hv1 && ip link set hv1 up &&
	ip route add default via 10.78.1.1"
setup_or_die "host service" in_ns "$H" ipvsadm -A -u $HVIP:53 -s maglev -o -b flag-2
for i in 1 2 3; do
	setup_or_die "host backend $i" in_ns "$H" ipvsadm -a -u $HVIP:53 -r 10.78.2.$i:53 -m
done

# ---- the floods -----------------------------------------------------------
cg0=
[ -n "$CG" ] && cg0=$(cg_slab)
mem0=$(kmem)
touch "$LIB_TMP/t1/go"
wait_until $((60 * SCALE)) eval '! state_is 1 ready' ||
	log "tenant 1's first flood did not end before the others started"
for t in $(seq 2 $TENANTS); do
	touch "$LIB_TMP/t$t/go"
done
peak=0 over=0 samples=0
flooding() {
	local t
	for t in $(seq 1 $TENANTS); do
		state_is "$t" ready && return 0
	done
	return 1
}
# sample the totals while the floods run (bounded: the floods stop at
# their count, or at their own 240 s deadline)
for _ in $(seq $((3000 * SCALE))); do
	flooding || break
	u=$(host_info | jget - 'd["pins"]["entries_userns"]')
	samples=$((samples + 1))
	[ "$u" -gt "$peak" ] && peak=$u
	[ "$u" -gt "$CAP_USERNS" ] && over=$((over + 1))
	sleep 0.1
done
for t in $(seq 1 $TENANTS); do
	wait_until $((60 * SCALE)) state_is "$t" flooded ||
		fail "tenant $t finished its flood ($(cat "$LIB_TMP/t$t/state"))"
done
mem1=$(kmem)
cg1=
[ -n "$CG" ] && cg1=$(cg_slab)

sent=0 tsum=0 tev=0 fps=()
for t in $(seq 1 $TENANTS); do
	d=$LIB_TMP/t$t
	s=$(awk '$1 == "sent" { print $2 }' "$d/flood.out")
	sent=$((sent + ${s:-0}))
	n=$(tenant_pins "$t")
	tsum=$((tsum + n))
	ev=$(jget "$d/show.json" 'd["services"][0]["pinning"]["evictions"] + d["services"][0]["pinning"]["insert_failures"]')
	tev=$((tev + ev))
	log "tenant $t: sent ${s:-0} datagrams, $n pins, $ev evicted or unpinned; $(sed -n 's/^rate /rate /p' "$d/flood.out") a second"
	check "tenant $t sent its $(count_of "$t") datagrams" test "${s:-0}" -ge "$(count_of "$t")"
	check "tenant $t sees the seed's fingerprint, not the seed" \
		jtrue "$d/info.json" 'd["seed"] is None and len(d["seed_fingerprint"]) == 18 or sys.exit(1)'
	check "tenant $t's service state carries no seed either" \
		jtrue "$d/show.json" 'd["services"][0]["seed"] is None or sys.exit(1)'
	check "tenant $t is not told the host's pin counts" \
		jtrue "$d/info.json" 'd["pins"]["entries_host"] is None or sys.exit(1)'
	fps+=("$(jget "$d/info.json" 'd["seed_fingerprint"]')")
done
# A tenant who hashed with the host's keys could find, by LOOKUP in a copy
# of a host service, flows that all reach one backend: tenants' namespaces
# have random keys of their own
hfp=$(host_info | jget - 'd["seed_fingerprint"]')
check "each tenant's namespace hashes with keys of its own (fingerprints ${fps[*]}, host $hfp)" \
	test "$(printf '%s\n' "${fps[@]}" "$hfp" | sort -u | wc -l)" = $((TENANTS + 1))
u=$(host_info | jget - 'd["pins"]["entries_userns"]')
log "tenants: $sent datagrams, peak $peak pins over $samples samples ($over over the cap), $u at the end"
check "the tenants' pins together never passed pin_max_userns ($CAP_USERNS): $over samples over, end $u" \
	test "$over" -eq 0 -a "$u" -le $CAP_USERNS -a "$samples" -ge 1
check "the cap was reached ($u of $CAP_USERNS)" test "$u" -ge $((CAP_USERNS * 99 / 100))
check "the module's total for them is the sum of their namespaces' ($tsum)" test "$tsum" -eq "$u"
check "past the cap, tenants evicted their own pins or went unpinned ($tev)" \
	test "$tev" -ge $((sent - CAP_USERNS * TENANTS))

b6=$(host_info | jget - 'd["pins"]["bytes_per_entry_ipv6"]')
bound=$(((CAP_USERNS * b6 + 1023) / 1024))
log "kernel memory (Slab + VmallocUsed): $mem0 KiB before the floods, $mem1 after (+$((mem1 - mem0))); bound for $CAP_USERNS pins: $bound KiB (+2048 of noise); unbounded, $sent pins would be $((sent * b6 / 1024)) KiB"
if grep -qw __asan_load8 /proc/kallsyms; then
	# KASAN's quarantine keeps freed objects (up to 1/32 of memory) in
	# Slab for a while: kernel memory says nothing of the module there;
	# the pin counts above bound it
	log "KASAN kernel: its quarantine holds freed pins, the kernel-memory bound is not checked here"
else
	check "kernel memory grew by at most the pins' bound" test $((mem1 - mem0)) -le $((bound + 2048))
fi

# the host's namespace pins all of its flows though the tenants are full
in_ns "$HC" "$MGTRAFFIC" flood -c $HVIP -p 53 -D 240000 -b 198.18.0.0/15 -r 99 -N $HOST_FLOWS \
	>"$LIB_TMP/hflood.out" 2>&1
hs=$("$IPVSCTL" -N "$H" -j maglev show udp/$HVIP:53)
hp=$(jget - 'd["services"][0]["pinning"]["entries"]' <<<"$hs")
hf=$(jget - 'd["services"][0]["pinning"]["insert_failures"] + d["services"][0]["pinning"]["evictions"]' <<<"$hs")
hsent=$(awk '$1 == "sent" { print $2 }' "$LIB_TMP/hflood.out")
# distinct 5-tuples among the host's datagrams (random ports and
# addresses: a repeat is possible, and pins it once)
log "host namespace: sent ${hsent:-0}, $hp pins, $hf evicted or unpinned"
check "the host's namespace pinned its flows with the tenants at their cap ($hp of ${hsent:-0}, $hf lost)" \
	test "$hf" -eq 0 -a "$hp" -ge $((HOST_FLOWS * 99 / 100))
tot=$(host_info | jget - 'd["pins"]["entries_host"]')
check "every namespace's pins within pin_max_host ($tot of $CAP_HOST)" test "$tot" -le $CAP_HOST -a "$tot" -eq $((u + hp))

# ---- memory cgroup ---------------------------------------------------------------
if [ -z "$CG" ]; then
	log "no memory cgroup here: charging not checked"
elif ! grep -qw __ksymtab_int_active_memcg /proc/kallsyms; then
	log "this kernel does not export int_active_memcg: pins the packet path allocates are not charged (slab of tenant 1's cgroup $cg0 -> $cg1 bytes)"
else
	p1=$(tenant_pins 1)
	b4=$(host_info | jget - 'd["pins"]["bytes_per_entry_ipv4"]')
	log "tenant 1's cgroup: slab $cg0 -> $cg1 bytes for $p1 pins of about $b4 bytes"
	check "tenant 1's pins are charged to its memory cgroup" test $((cg1 - cg0)) -ge $((p1 * b4 / 2))
fi
exit "$(lib_result)"
