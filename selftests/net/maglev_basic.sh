#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole loop: "ipvsadm -A ... -s maglev" loads the module by name, and a
# client's connections through a NAT service reach every backend and get
# their answers.
#
#   CL 10.0.1.2 ---- 10.0.1.1 DR (VIP 10.0.1.100:80, maglev, NAT)
#                             br0 10.0.2.1 --+-- B1 10.0.2.11:8080
#                                            +-- B2 10.0.2.12:8080
#                                            +-- B3 10.0.2.13:8080

source "$(dirname "$0")/lib.sh"
lib_init

# Start from an unloaded module, so the load by name is what is tested.
if module_loaded; then
	setup_or_die "unload a module left by an earlier test" rmmod ip_vs_maglev
fi
check "module not loaded before the first maglev service" not module_loaded

setup_or_die "topology" topo_std 3
setup_or_die "VIP on the director" vip_local
setup_or_die "backend servers" serve_all 8080

check "ipvsadm -A -s maglev succeeds" ipvs -A -t "$VIP:80" -s maglev
check "the scheduler module was loaded by name" module_loaded
for i in 1 2 3; do
	setup_or_die "add backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 1
done
check "ipvsadm lists the service with scheduler maglev" \
	bash -c "ip netns exec $DR ipvsadm -Ln | grep -q 'TCP  $VIP:80 maglev'"
check "ipvsadm lists 3 backends" \
	test "$(ipvs -Ln | grep -c -- '-> 10.0.2.1[123]:8080 *Masq')" -eq 3

out=$LIB_TMP/conn.out
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 300 -t 3000 >"$out"
cat "$out"
check "300 connections, no errors" test "$(total_of "$out")" = 300 -a "$(errors_of "$out")" = 0
for i in 1 2 3; do
	c=$(count_of "b$i" "$out")
	check "backend b$i served $c of 300 (expected about 100, at least 50)" test "$c" -ge 50
done
check "only the three backends answered" \
	test "$(awk '$1 == "backend"' "$out" | wc -l)" -eq 3

exit "$(lib_result)"
