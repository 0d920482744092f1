#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl daemon: health probes acting on IPVS.
#  - a backend whose server is killed stops getting new connections within
#    fall x interval + one interval; restarted, it is back after rise good
#    probes, ramping (slow start);
#  - every change is one log line; "health status" shows the live state;
#  - SIGHUP applies the difference and keeps unchanged backends' probe
#    state; a broken file changes nothing;
#  - the daemon survives backends that accept and hang, that reset, DNS
#    names that do not resolve, services deleted behind its back, and the
#    module being unloaded, without leaking descriptors;
#  - SIGTERM leaves IPVS as it is.
#
# Standard topology: CL -- DR -- B1..B3, NAT, VIP 10.0.1.100.

source "$(dirname "$0")/lib.sh"
lib_init

SVC=tcp/$VIP:80
INTERVAL_MS=1000
RISE=2
FALL=2

setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "servers :80" serve_all 80

# servers that misbehave, for the robustness part (python: accept and
# never answer; accept and reset)
cat >"$LIB_TMP/bad.py" <<'EOF'
import socket, struct, sys
mode, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(128)
open(ready, "w").close()
held = []
for _ in range(10000):          # bounded; killed at the end of the test
    c, _ = s.accept()
    if mode == "hang":
        held.append(c)          # accept, read nothing, say nothing
    else:
        c.settimeout(2)
        try:
            c.recv(4096)        # the request, then
        except OSError:
            pass
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()               # RST
EOF
bg_in_ns "${BE[1]}" python3 "$LIB_TMP/bad.py" hang 8081 "$LIB_TMP/ready-hang"
bg_in_ns "${BE[2]}" python3 "$LIB_TMP/bad.py" reset 8082 "$LIB_TMP/ready-reset"
setup_or_die "hanging server" wait_until 20 test -e "$LIB_TMP/ready-hang"
setup_or_die "resetting server" wait_until 20 test -e "$LIB_TMP/ready-reset"

CONF=$LIB_TMP/lb.conf
STATE=$LIB_TMP/health.json
LOG=$LIB_TMP/daemon.log

write_conf() { # write_conf WEIGHT_B3 [without-b1]
	{
		echo "# the service under test"
		echo "service add $SVC scheduler maglev slow-start 60s"
		[ "${2:-}" = without-b1 ] || echo "backend add $SVC ${BE_IP[1]}:80 method nat weight 10"
		echo "backend add $SVC ${BE_IP[2]}:80 method nat weight 10"
		echo "backend add $SVC ${BE_IP[3]}:80 method nat weight $1"
		echo "health $SVC type tcp interval ${INTERVAL_MS}ms timeout 500ms rise $RISE fall $FALL jitter 0"
		echo "# misbehaving backends"
		echo "service add tcp/$VIP:81 scheduler rr"
		echo "backend add tcp/$VIP:81 ${BE_IP[1]}:8081 method nat"
		echo "health tcp/$VIP:81 type http path /healthz interval 1s timeout 300ms fall 2 on-fail remove"
		echo "service add tcp/$VIP:82 scheduler rr"
		echo "backend add tcp/$VIP:82 ${BE_IP[2]}:8082 method nat"
		echo "health tcp/$VIP:82 type http interval 1s timeout 300ms fall 2"
		echo "service add tcp/$VIP:83 scheduler rr"
		echo "backend add tcp/$VIP:83 ${BE_IP[3]}:80 method nat"
		echo "health tcp/$VIP:83 type tcp address no-such-host.invalid interval 1s timeout 300ms fall 2"
	} >"$CONF"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
weight_of() { # weight_of PORT ADDR:PORT -> weight, or "none"
	ipvs -Ln -t "$VIP:$1" 2>/dev/null |
		awk -v be="$2" '$1 == "->" && $2 == be { print $4; found = 1 } END { if (!found) print "none" }'
}
weight_is() { [ "$(weight_of "$1" "$2")" = "$3" ]; }
status_field() { # status_field BACKEND FIELD (service :80)
	in_ns "$DR" "$IPVSCTL" -j health status --state-file "$STATE" "$SVC" "$1" | python3 -c '
import json, sys
b = json.load(sys.stdin)["backends"][0]
print(b[sys.argv[1]])' "$2"
}
daemon_alive() { kill -0 "$DAEMON" 2>/dev/null; }
nfds() { ls "/proc/$DAEMON/fd" | wc -l; }
log_has() { grep -q -- "$1" "$LOG"; }
state_at_least() { # state_at_least FIELD N: the state file's FIELD is N or more
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[sys.argv[2]] >= int(sys.argv[3]) else 1)' \
		"$STATE" "$1" "$2" 2>/dev/null
}
state_updated_since() { state_at_least updated "$1"; } # state_updated_since MS

write_conf 10
setup_or_die "daemon --check" in_ns "$DR" "$IPVSCTL" daemon --check -f "$CONF"
ip netns exec "$DR" "$IPVSCTL" daemon -f "$CONF" --state-file "$STATE" 2>"$LOG" &
DAEMON=$!
LIB_PIDS+=("$DAEMON")
setup_or_die "daemon applied the file" wait_until 20 test -s "$STATE"
check "the file's services exist" test "$(weight_of 80 "${BE_IP[1]}:80")" = 10
n_up() { "$IPVSCTL" -j health status --state-file "$STATE" "$SVC" | grep -o '"state":"up"' | wc -l; }
n_up_is() { [ "$(n_up)" = "$1" ]; }
check "health status: 3 backends of $SVC up" wait_until 10 n_up_is 3
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 60 -t 2000)
check "traffic reaches all three backends" \
	test "$(count_of b1 <(echo "$out"))" -gt 0 -a "$(count_of b2 <(echo "$out"))" -gt 0 -a \
	"$(count_of b3 <(echo "$out"))" -gt 0 -a "$(errors_of <(echo "$out"))" = 0

# ---- a server dies -----------------------------------------------------
bound=$((FALL * INTERVAL_MS + INTERVAL_MS))
pkill -f "mgtraffic serve -i b2 -p 80" || fail "kill b2's server"
t0=$(now_ms)
wait_until 15 weight_is 80 "${BE_IP[2]}:80" 0
t1=$(now_ms)
# how fast is the daemon's business (its probe counts and log say when);
# the wall clock only informs
log "b2 quiesced $((t1 - t0)) ms after its server died (fall x interval + interval: $bound ms)"
check "b2 quiesced (weight 0)" test "$(weight_of 80 "${BE_IP[2]}:80")" = 0
check "the change is logged on one line, with the reason" \
	log_has "${BE_IP[2]}:80: up -> down ($FALL failed probes, last: connect: Connection refused): weight 0"
out=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 60 -t 2000)
check "no new connection goes to b2 (60 answered by b1 and b3, no error)" \
	test "$(count_of b2 <(echo "$out"))" = 0 -a "$(total_of <(echo "$out"))" = 60 -a \
	"$(errors_of <(echo "$out"))" = 0
b2_state_is() { [ "$(status_field "${BE_IP[2]}:80" state)" = "$1" ]; }
# the state file is rewritten on the daemon's next 1 s tick after a
# change; the deadline is ten ticks, so a busy machine does not decide it
check "health status says b2 is down" wait_until 10 b2_state_is down

# ---- it comes back -------------------------------------------------------
setup_or_die "restart b2's server" serve "${BE[2]}" b2 80
t0=$(now_ms)
wait_until 15 weight_is 80 "${BE_IP[2]}:80" 10
t1=$(now_ms)
bound=$((RISE * INTERVAL_MS + INTERVAL_MS))
log "b2 back $((t1 - t0)) ms after its server restarted (rise x interval + interval: $bound ms)"
check "b2 back at weight 10" test "$(weight_of 80 "${BE_IP[2]}:80")" = 10
ramp=$(mg_be_field "$DR" "$SVC" "${BE_IP[2]}:80" ramp_left_ms)
check "and it ramps (slow start: ${ramp} ms left)" test "$ramp" != none -a "$ramp" != None
check "after $RISE good probes (logged)" log_has "${BE_IP[2]}:80: down -> up ($RISE good probes): weight restored"
b2_gets_some() {
	local n
	n=$(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p 80 -n 40 -t 2000 | awk '$1 == "backend" && $2 == "b2" { print $3 }')
	[ "${n:-0}" -gt 0 ]
}
check "b2 gets new connections again" wait_until 10 b2_gets_some

# ---- robustness: hang, reset, no such name --------------------------------
check "a backend that accepts and hangs is removed (on-fail remove)" \
	wait_until 15 weight_is 81 "${BE_IP[1]}:8081" none
check "  reason: timeout" grep -Eq "${BE_IP[1]}:8081: up -> down \(2 failed probes, last: timeout[:)].*: removed" "$LOG"
check "a backend that resets is quiesced" wait_until 15 weight_is 82 "${BE_IP[2]}:8082" 0
check "  reason: the reset" grep -Eq "${BE_IP[2]}:8082: up -> down .*reset by peer" "$LOG"
check "a probe address that does not resolve: quiesced" wait_until 15 weight_is 83 "${BE_IP[3]}:80" 0
check "  reason: the name" grep -Eq "${BE_IP[3]}:80: up -> down .*resolve host.*no-such-host.invalid" "$LOG"
fds0=$(nfds)
t0=$(now_ms)
# ten more rounds of failing probes: no descriptor may stay behind
wait_until 30 state_updated_since $((t0 + 10000))
fds1=$(nfds)
check "no descriptor leak over 10 s of failing probes ($fds0 -> $fds1)" test "$fds1" -le $((fds0 + 6))
check "the daemon is alive" daemon_alive

# ---- SIGHUP ----------------------------------------------------------------
probes_b2=$(status_field "${BE_IP[2]}:80" probes)
write_conf 20 without-b1
kill -HUP "$DAEMON"
check "reload: b1 removed from the service" wait_until 10 weight_is 80 "${BE_IP[1]}:80" none
check "reload: b3's weight is now 20" weight_is 80 "${BE_IP[3]}:80" 20
check "reload: logged" wait_until 5 log_has "reloaded: 4 services"
# The daemon writes the state file right after a reload, with the probes
# it kept: a new probe would start again from 0. Between changes the
# counters are refreshed every STATE_WRITE_MS (10 s, ipvsctl/cmd/daemon.h),
# so the count going on is waited for over three of those periods.
check "reload: the state file is written after it" wait_until 10 state_at_least reloads 1
probes_now=$(status_field "${BE_IP[2]}:80" probes)
check "reload: b2's probe kept its count ($probes_b2 before, $probes_now written at the reload)" \
	test "$probes_now" -ge "$probes_b2"
probe_went_on() { [ "$(status_field "${BE_IP[2]}:80" probes)" -gt "$probes_b2" ]; }
check "reload: b2's probe kept its state (probes count went on: $probes_b2 -> more)" \
	wait_until 35 probe_went_on
check "reload: the removed hanging backend stays removed (still failing)" weight_is 81 "${BE_IP[1]}:8081" none
before=$(ipvs -Sn)
echo "service add tcp/$VIP:90 scheduler nosuch-field-here x" >>"$CONF"
kill -HUP "$DAEMON"
check "a broken file on reload is refused" wait_until 10 log_has "not applied; the running state is kept"
check "and IPVS is unchanged" test "$(ipvs -Sn)" = "$before"
write_conf 20 without-b1

# ---- a service deleted behind its back ---------------------------------------
setup_or_die "delete :80 behind the daemon" ipvs -D -t "$VIP:80"
pkill -f "mgtraffic serve -i b3 -p 80" || fail "kill b3's server"
check "the daemon notices it cannot apply (service gone)" \
	wait_until 15 log_has "${BE_IP[3]}:80: cannot apply 'down': the service is gone"
check "and stays alive" daemon_alive
kill -HUP "$DAEMON"
check "SIGHUP re-creates it, with b3 quiesced (its probe says down)" \
	wait_until 10 weight_is 80 "${BE_IP[3]}:80" 0
check "  and b2 at its weight" weight_is 80 "${BE_IP[2]}:80" 10

# ---- the module unloaded ---------------------------------------------------------
setup_or_die "flush" ipvs -C
setup_or_die "rmmod ip_vs_maglev" rmmod ip_vs_maglev
setup_or_die "restart b3's server" serve "${BE[3]}" b3 80
check "the daemon logs that it cannot apply b3's recovery" \
	wait_until 15 log_has "${BE_IP[3]}:80: cannot apply 'up'"
t0=$(now_ms)
check "it keeps running and writing its state" wait_until 15 state_updated_since "$t0"
setup_or_die "modprobe ip_vs_maglev" modprobe ip_vs_maglev
kill -HUP "$DAEMON"
check "after modprobe, SIGHUP applies the file again" wait_until 10 weight_is 80 "${BE_IP[3]}:80" 20

# ---- SIGTERM ---------------------------------------------------------------------
before=$(ipvs -Sn)
kill -TERM "$DAEMON"
wait_until 10 not daemon_alive
wait "$DAEMON"
rc=$?
check "SIGTERM: the daemon exits 0" test "$rc" = 0
check "  leaving IPVS as it was" test "$(ipvs -Sn)" = "$before"
in_ns "$DR" "$IPVSCTL" health status --state-file "$STATE" >/dev/null 2>&1
rc=$?
check "  and health status says it is not running (exit 9, a check's difference)" \
	test "$rc" = 9
# ---- the managed services, kept across restarts (review C17) -------------------------
# The daemon keeps the services of the file it applied in STATE.managed:
# one removed from the file while it was stopped is deleted at its next
# start; a managed file that is not whole, or a file that names no
# service, deletes nothing.
conf_ports() {
	local p
	for p in "$@"; do
		echo "service add tcp/$VIP:$p scheduler rr"
		echo "backend add tcp/$VIP:$p ${BE_IP[1]}:80 method nat"
	done >"$CONF"
}
run_daemon() { # run_daemon [OPTION...]
	ip netns exec "$DR" "$IPVSCTL" daemon -f "$CONF" --state-file "$STATE" "$@" 2>>"$LOG" &
	DAEMON=$!
	LIB_PIDS+=("$DAEMON")
}
stop_daemon() { kill -TERM "$DAEMON"; wait "$DAEMON"; }
svc_there() { ipvs -Ln -t "$VIP:$1" >/dev/null 2>&1; }
both_there() { svc_there "$1" && svc_there "$2"; }
started_since() { state_updated_since "$1" && daemon_alive; }
conf_ports 80 81 84
t0=$(now_ms)
run_daemon
setup_or_die "the daemon applied :80, :81 and :84" wait_until 20 started_since "$t0"
check "its managed services are on disk" test -s "$STATE.managed"
stop_daemon
conf_ports 80 81
t0=$(now_ms)
run_daemon
check "a service removed from the file while the daemon was stopped is deleted when it starts" \
	wait_until 20 not svc_there 84
check "  the others stay" both_there 80 81
check "  and it runs" wait_until 20 started_since "$t0"
stop_daemon
echo "not a managed file" >"$STATE.managed"
conf_ports 80
t0=$(now_ms)
run_daemon
setup_or_die "the daemon started" wait_until 20 started_since "$t0"
check "with a managed file that is not whole, nothing is deleted at start (:81 stays)" svc_there 81
check "  and the log says why" log_has "managed services are not read"
stop_daemon
: >"$CONF"
run_daemon
wait_until 20 not daemon_alive
wait "$DAEMON"
rc=$?
check "a file that names no service, with services managed: the daemon refuses it (exit $rc), :80 stays" \
	test "$rc" = 2 -a -n "$(ipvs -Ln -t "$VIP:80" 2>/dev/null)"
check "  and says so" log_has "names no service; nothing was changed"
# A file cut short elsewhere still names services: --max-deletes bounds
# what a start or a reload may delete, and a refusal changes nothing.
conf_ports 80 81 84
t0=$(now_ms)
run_daemon --max-deletes 1
setup_or_die "the daemon (--max-deletes 1) applied :80, :81 and :84" \
	wait_until 20 eval 'started_since "$t0" && both_there 81 84'
conf_ports 80
kill -HUP "$DAEMON"
check "--max-deletes 1: a reload deleting 2 services is refused (logged)" \
	wait_until 20 log_has "deletes 2 of the 3 managed services, more than --max-deletes 1 allows"
check "  :81 and :84 stay, the daemon runs" eval 'both_there 81 84 && daemon_alive'
conf_ports 80 81
kill -HUP "$DAEMON"
check "  a reload deleting 1 service is applied (:84 deleted, :81 stays)" \
	eval 'wait_until 20 not svc_there 84 && svc_there 81'
stop_daemon
conf_ports 80
run_daemon --max-deletes 0
wait_until 20 not daemon_alive
wait "$DAEMON"
rc=$?
check "--max-deletes 0: a start that would delete :81 exits 2 ($rc) and deletes nothing" \
	test "$rc" = 2 -a -n "$(ipvs -Ln -t "$VIP:81" 2>/dev/null)"
run_daemon --max-deletes 50%
check "--max-deletes 50%: a start deleting 1 of 2 managed services is applied" \
	eval 'wait_until 20 not svc_there 81 && svc_there 80'
stop_daemon

check "no crash in the log" not grep -Eqi "segfault|abort|assert" "$LOG"
echo "--- daemon log:"
cat "$LOG"
exit "$(lib_result)"
