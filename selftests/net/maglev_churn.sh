#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn under traffic. While four long-lived TCP connections exchange a
# line every 100 ms and a client keeps opening new connections through
# the NAT VIP, ROUNDS (default 100) rounds of changes run, each one
# "ipvsctl restore" of 20 changes: two backends added and deleted again,
# every weight changed (sometimes to 0), the table size and the slow-start
# window changed. None of these may break an established connection (no
# backend that carries one is deleted), new connections must keep
# flowing, and afterwards the module's references are back where they
# started. The harness fails the run on any kernel splat.
# (New connections must keep flowing; at most 0.5% may fail.)
#
#   topo_std 6: CL -- DR (VIP 10.0.1.100) -- B1..B6; B1..B4 always in
#   the service, B5 and B6 come and go

source "$(dirname "$0")/lib.sh"
lib_init

ROUNDS=${1:-100}
SVC=tcp/$VIP:80
HOLD_MS=$((ROUNDS * 3000 + 30000))	# they are stopped when the churn ends

setup_or_die "topology" topo_std 6
setup_or_die "VIP on the director" vip_local
setup_or_die "servers" serve_all 80
setup_or_die "module" modprobe ip_vs_maglev
refs0=$(cat /sys/module/ip_vs_maglev/refcnt)
setup_or_die "service" "$IPVSCTL" -N "$DR" service add "$SVC" scheduler maglev
for i in 1 2 3 4; do
	setup_or_die "b$i" "$IPVSCTL" -N "$DR" backend add "$SVC" "${BE_IP[i]}:80" method nat weight 100
done

# the long-lived connections, one from each of four source ports
for p in 41001 41002 41003 41004; do
	bg_in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 80 -s "$p" -D "$HOLD_MS" -I 100 -t 3000 \
		>"$LIB_TMP/hold-$p"
	eval "hold_$p=$LAST_PID"
done
holds_up() { [ "$(in_ns "$DR" ipvsadm -Lnc | grep -c ESTABLISHED)" -ge 4 ]; }
setup_or_die "four connections established" wait_until 20 holds_up
# new connections all along
bg_in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -D "$((HOLD_MS - 20000))" -B 1000 -t 3000 -E 1000000 \
	>"$LIB_TMP/new"
new_pid=$LAST_PID

t0=$(date +%s)
ok_rounds=0
for r in $(seq 1 "$ROUNDS"); do
	sizes=(251 4093 65521 1021)
	{
		echo "backend add $SVC ${BE_IP[5]}:80 method nat weight $((r % 50 + 1))"
		echo "backend add $SVC ${BE_IP[6]}:80 method nat weight 100"
		for i in 1 2 3 4; do
			echo "backend edit $SVC ${BE_IP[i]}:80 weight $(((r * 7 + i * 13) % 101))"
		done
		echo "maglev set $SVC table-size ${sizes[r % 4]}"
		echo "maglev set $SVC slow-start $(((r % 3) * 2))s"
		echo "backend edit $SVC ${BE_IP[5]}:80 weight 0"
		for i in 1 2 3 4; do
			echo "backend edit $SVC ${BE_IP[i]}:80 weight $(((r * 11 + i * 5) % 100 + 1))"
		done
		echo "maglev set $SVC slow-start-aggression $((r % 3 + 1))"
		echo "maglev set $SVC slow-start-min-pct $((r % 50))"
		echo "backend edit $SVC ${BE_IP[6]}:80 weight $((r % 9))"
		echo "maglev set $SVC table-size ${sizes[(r + 1) % 4]}"
		echo "backend edit $SVC ${BE_IP[1]}:80 weight 100"
		echo "backend del $SVC ${BE_IP[5]}:80"
		echo "backend del $SVC ${BE_IP[6]}:80"
	} >"$LIB_TMP/round"
	"$IPVSCTL" -N "$DR" -q restore "$LIB_TMP/round" || break
	ok_rounds=$r
done
secs=$(($(date +%s) - t0))
check "$ROUNDS rounds of 20 changes ($((ok_rounds * 20)) operations, ${secs}s) all applied" \
	test "$ok_rounds" = "$ROUNDS"

# stop the traffic: on SIGTERM mgtraffic ends early, with its summary
for p in 41001 41002 41003 41004; do
	pid_var=hold_$p
	kill -TERM "${!pid_var}" 2>/dev/null
	wait "${!pid_var}"
done
kill -TERM "$new_pid" 2>/dev/null
wait "$new_pid"
for p in 41001 41002 41003 41004; do
	check "connection from :$p kept its backend through the churn ($(tr '\n' ' ' <"$LIB_TMP/hold-$p"))" \
		sh -c "grep -q '^errors 0$' '$LIB_TMP/hold-$p' && grep -q '^backend b[1-4]$' '$LIB_TMP/hold-$p'"
done
# New connections are not what the churn may not break, but they must keep
# flowing: a handful (0.02-0.05% in our runs) may fail when a SYN races a
# backend deleted in the same round; reported, and bounded at 0.5%.
made=$(total_of "$LIB_TMP/new")
failed=$(errors_of "$LIB_TMP/new")
check "new connections kept flowing during the churn: $made made, $failed failed (at most 0.5%)" \
	test "$made" -gt 0 -a $((failed * 200)) -le $((made + failed))

setup_or_die "service deleted" "$IPVSCTL" -N "$DR" service del "$SVC"
refs_back() { [ "$(cat /sys/module/ip_vs_maglev/refcnt)" = "$refs0" ]; }
wait_until 10 refs_back
check "module references back to $refs0 (now $(cat /sys/module/ip_vs_maglev/refcnt))" refs_back

exit "$(lib_result)"
