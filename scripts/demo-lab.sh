#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, inside the VM lab (scripts/demo.sh boots it). One client, one
# director, three backends; a maglev VIP; traffic; a readable report:
# balance, weights, consistency, slow start, health checks, draining.
#
#   client 10.0.1.2 --- 10.0.1.1 director (VIP 10.0.1.100:80, maglev, NAT)
#                                br0 --+-- b1 10.0.2.11:8080
#                                      +-- b2 10.0.2.12:8080
#                                      +-- b3 10.0.2.13:8080

source "$(dirname "$0")/../selftests/net/lib.sh"
lib_init

SVC=tcp/$VIP:80
N=${DEMO_CONNS:-900}

title() {
	echo
	echo "== $*"
}

# share_table FILE: backends of an mgtraffic run, with a bar each
share_table() {
	local total
	total=$(total_of "$1")
	printf '   %-8s %-16s %7s %7s\n' backend address conns share
	for i in ${SHARE_BACKENDS:-1 2 3}; do
		local c pct
		c=$(count_of "b$i" "$1")
		pct=$(awk -v c="$c" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * c / t : 0 }')
		printf '   %-8s %-16s %7d %6s%%  %s\n' "b$i" "${BE_IP[i]}" "$c" "$pct" \
			"$(awk -v p="$pct" 'BEGIN { for (i = 0; i < p / 2; i++) printf "#" }')"
	done
	echo "   total $total, errors $(errors_of "$1")"
}

echo "ipvs-maglev demo: kernel $(uname -r), ip_vs_maglev $(modinfo -F version ip_vs_maglev)"
setup_or_die "topology" topo_std 4
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
setup_or_die "service" ipvs -A -t "$VIP:80" -s maglev
for i in 1 2 3; do
	setup_or_die "backend $i" ipvs -a -t "$VIP:80" -r "${BE_IP[i]}:8080" -m -w 100
done

title "1. $N connections from one client through the maglev VIP (weights 100:100:100)"
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n "$N" >"$LIB_TMP/equal"
share_table "$LIB_TMP/equal"

title "2. Weights 100:200:500: the table follows them exactly"
ipvs -e -t "$VIP:80" -r "${BE_IP[2]}:8080" -m -w 200
ipvs -e -t "$VIP:80" -r "${BE_IP[3]}:8080" -m -w 500
wait_until 5 bash -c "! $IPVSCTL -N $DR -j maglev show $SVC | grep -q '\"pending\":true'"
"$IPVSCTL" -N "$DR" maglev show "$SVC" | sed 's/^/   /'
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n "$N" >"$LIB_TMP/weighted"
share_table "$LIB_TMP/weighted"

title "3. Stock mh hashes the source address: one client lands on one backend"
ipvs -E -t "$VIP:80" -s mh
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 300 >"$LIB_TMP/mh"
echo "   mh:"
share_table "$LIB_TMP/mh"
ipvs -E -t "$VIP:80" -s maglev
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 300 >"$LIB_TMP/mg"
echo "   maglev (5-tuple hash):"
share_table "$LIB_TMP/mg"

title "4. Consistent hashing: remove b3, and b1's and b2's flows stay where they were"
clients=()
for p in $(seq 20000 20499); do
	clients+=("10.0.1.2:$p")
done
"$IPVSCTL" -N "$DR" maglev lookup "$SVC" "${clients[@]}" >"$LIB_TMP/before"
ipvs -d -t "$VIP:80" -r "${BE_IP[3]}:8080"
wait_until 5 bash -c "! $IPVSCTL -N $DR -j maglev show $SVC | grep -q '\"pending\":true'"
"$IPVSCTL" -N "$DR" maglev lookup "$SVC" "${clients[@]}" >"$LIB_TMP/after"
awk -v b3="${BE_IP[3]}:8080" '
	NR == FNR { before[$1] = $2; next }
	before[$1] == b3 { from_b3++; next }
	{ stayed_total++; if (before[$1] != $2) moved++ }
	END {
		printf "   500 flows: %d were on b3 and moved; of the other %d, %d moved (%.1f%%)\n",
			from_b3, stayed_total, moved, stayed_total ? 100 * moved / stayed_total : 0
	}' "$LIB_TMP/before" "$LIB_TMP/after"

title "5. Slow start: b4 joins with a 20 s window and ramps up instead of being flooded"
ipvs -a -t "$VIP:80" -r "${BE_IP[3]}:8080" -m -w 100
ipvs -e -t "$VIP:80" -r "${BE_IP[1]}:8080" -m -w 100
ipvs -e -t "$VIP:80" -r "${BE_IP[2]}:8080" -m -w 100
"$IPVSCTL" -N "$DR" maglev set "$SVC" slow-start 20s
wait_until 5 mg_settled "$DR" "$SVC"
ipvs -a -t "$VIP:80" -r "${BE_IP[4]}:8080" -m -w 100
for k in 1 2; do
	bg_in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -D 20000 -B 4000 >"$LIB_TMP/ramp$k"
	pids[k]=$LAST_PID
done
wait "${pids[1]}" "${pids[2]}"
printf '   %-10s %12s %12s   %s\n' seconds "b4 measured" "formula" ""
cat "$LIB_TMP/ramp1" "$LIB_TMP/ramp2" | awk '
	$1 == "bucket" { t[$2] += $4; if ($3 == "b4") b[$2] += $4 }
	END {
		for (k = 0; k < 5; k++) {
			f = (2 * k + 1) / 10; e = f > 0.1 ? f : 0.1; want = 100 * e / (3 + e)
			got = t[k] ? 100 * b[k] / t[k] : 0
			bar = ""; for (i = 0; i < got; i++) bar = bar "#"
			printf "   %2d-%-2d      %11.1f%% %11.1f%%   %s\n", 4 * k, 4 * k + 4, got, want, bar
		}
	}'
"$IPVSCTL" -N "$DR" maglev show "$SVC" | sed 's/^/   /'

title "6. Health checks: ipvsctl daemon probes b1-b3 (tcp, every 1 s, fall 2, rise 2)"
SVC2=tcp/$VIP:81
cat >"$LIB_TMP/lb.conf" <<EOF
service add $SVC2 scheduler maglev slow-start 6s
backend add $SVC2 ${BE_IP[1]}:8080 method nat weight 100
backend add $SVC2 ${BE_IP[2]}:8080 method nat weight 100
backend add $SVC2 ${BE_IP[3]}:8080 method nat weight 100
health $SVC2 type tcp interval 1s timeout 500ms rise 2 fall 2 jitter 0
EOF
sed 's/^/   | /' "$LIB_TMP/lb.conf"
ip netns exec "$DR" "$IPVSCTL" daemon -f "$LIB_TMP/lb.conf" --state-file "$LIB_TMP/health.json" \
	2>"$LIB_TMP/daemon.log" &
DAEMON=$!
LIB_PIDS+=("$DAEMON")
setup_or_die "daemon" wait_until 20 test -s "$LIB_TMP/health.json"
weight2() { ipvs -Ln -t "$VIP:81" | awk -v be="$1" '$2 == be { print $4 }'; }
weight2_is() { [ "$(weight2 "$1")" = "$2" ]; }
active2_is() { [ "$(ipvs -Ln -t "$VIP:81" | awk -v be="$1" '$2 == be { print $5 }')" = "$2" ]; }
ms() { echo $(($(date +%s%N) / 1000000)); }
echo "   killing b2's server..."
pkill -f "mgtraffic serve -i b2 -p 8080"
t0=$(ms)
wait_until 15 weight2_is "${BE_IP[2]}:8080" 0
echo "   b2 quiesced (weight 0) after $(($(ms) - t0)) ms (fall x interval + interval = 3000 ms)"
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 81 -n 300 >"$LIB_TMP/h1"
share_table "$LIB_TMP/h1"
echo "   restarting it..."
serve "${BE[2]}" b2 8080
t0=$(ms)
wait_until 15 weight2_is "${BE_IP[2]}:8080" 100
echo "   b2 back at weight 100 after $(($(ms) - t0)) ms, ramping:"
"$IPVSCTL" -N "$DR" maglev show "$SVC2" | sed 's/^/   /'
echo "   the daemon's log (one line per change):"
sed 's/^/   | /' "$LIB_TMP/daemon.log"
echo "   ipvsctl health status:"
"$IPVSCTL" health status --state-file "$LIB_TMP/health.json" | sed 's/^/   /'

title "7. Draining b1: its long-lived connection finishes, new ones go elsewhere"
# a client port that the table gives to b1
for p in $(seq 41000 41100); do
	[ "$("$IPVSCTL" -N "$DR" maglev lookup "$SVC2" "10.0.1.2:$p")" = "${BE_IP[1]}:8080" ] && break
done
in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 81 -D 5000 -I 100 -s "$p" >"$LIB_TMP/hold" 2>&1 &
HOLD=$!
wait_until 10 active2_is "${BE_IP[1]}:8080" 1
ip netns exec "$DR" "$IPVSCTL" drain "$SVC2" "${BE_IP[1]}:8080" --timeout 60s >"$LIB_TMP/drain.out" 2>&1 &
DRAIN=$!
wait_until 5 weight2_is "${BE_IP[1]}:8080" 0
in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 81 -n 300 >"$LIB_TMP/h2"
echo "   300 new connections during the drain:"
share_table "$LIB_TMP/h2"
wait "$HOLD"
echo "   the long-lived connection: $(tr '\n' ' ' <"$LIB_TMP/hold")"
wait "$DRAIN"
echo "   ipvsctl drain (exit $?):"
sed 's/^/   | /' "$LIB_TMP/drain.out"
echo "   and with a connection that outlives --timeout 3s:"
"$IPVSCTL" -N "$DR" backend add "$SVC2" "${BE_IP[1]}:8080" method nat weight 100
wait_until 5 mg_settled "$DR" "$SVC2"
in_ns "$CL" "$MGTRAFFIC" hold -c "$VIP" -p 81 -D 20000 -I 100 -s "$p" >/dev/null 2>&1 &
HOLD=$!
wait_until 10 active2_is "${BE_IP[1]}:8080" 1
ip netns exec "$DR" "$IPVSCTL" drain "$SVC2" "${BE_IP[1]}:8080" --timeout 3s >"$LIB_TMP/drain.out" 2>&1
echo "   ipvsctl drain --timeout 3s (exit $?):"
sed 's/^/   | /' "$LIB_TMP/drain.out"
kill "$HOLD" 2>/dev/null
kill "$DAEMON"
wait "$DAEMON"

echo
echo "demo done."
exit 0
