#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Declarative apply at kube-proxy scale, against ipvsadm -R, in one boot:
#   vm_apply_bench.sh OUTDIR [SERVICES [BACKENDS [RUNS]]]   (OUTDIR relative to the tree)
#
# The same state (default 10,000 TCP services x 5 NAT backends, rr) is
# restored by "ipvsadm -R" in one namespace and applied by "ipvsctl apply"
# in another, from empty. Then, for ipvsctl: an incremental apply with 1%
# of the backends replaced, and a no-op apply of the same state; for
# ipvsadm: the same 1% change as the -d/-a lines a controller would have
# to compute itself. Wall-clock times, best of RUNS (default 3) for the
# full applies (each from empty). Last, the way a controller that follows
# changes applies them: an input with only the services that changed
# (another 1% of the backends), without --scope. And all of it again
# through one long-running "ipvsctl apply --stream". Writes OUTDIR/vm-apply.md.

source "$(dirname "$0")/../net/lib.sh"
lib_init

out=$IPVSM_SRC/${1:?OUTDIR}
mkdir -p "$out"
NS_SVC=${2:-10000}
NB=${3:-5}
RUNS=${4:-3}

setup_or_die "namespace for ipvsadm" mkns NSA benchadm
setup_or_die "namespace for ipvsctl" mkns NSC benchctl

log "generating $NS_SVC services x $NB backends"
# the state, its 1% change, and the same change as ipvsadm lines
awk -v n="$NS_SVC" -v nb="$NB" -v conf="$LIB_TMP/state.conf" -v adm="$LIB_TMP/state.ipvsadm" \
	-v conf2="$LIB_TMP/state2.conf" -v delta="$LIB_TMP/delta.ipvsadm" \
	-v part3="$LIB_TMP/part3.conf" -v delta3="$LIB_TMP/delta3.ipvsadm" \
	-v part3b="$LIB_TMP/part3b.conf" 'BEGIN {
	changed = 0
	changed3 = 0
	nsvc3 = 0
	for (s = 0; s < n; s++) {
		v = sprintf("10.%d.%d.%d", 100 + int(s / 62500), int(s / 250) % 250, s % 250 + 1)
		printf "service add tcp/%s:80 scheduler rr\n", v > conf
		printf "service add tcp/%s:80 scheduler rr\n", v > conf2
		printf "-A -t %s:80 -s rr\n", v > adm
		body3 = ""
		body3b = ""
		touched3 = 0
		for (b = 0; b < nb; b++) {
			i = s * nb + b
			a = sprintf("10.200.%d.%d", s % 250, i % 250 + 1)
			printf "backend add tcp/%s:80 %s:8080 method nat weight 1\n", v, a > conf
			printf "-a -t %s:80 -r %s:8080 -m -w 1\n", v, a > adm
			# state2: 1% of the backends (every 100th) replaced
			a2 = a
			if (i % 100 == 0) {
				a2 = sprintf("10.201.%d.%d", s % 250, i % 250 + 1)
				printf "-d -t %s:80 -r %s:8080\n", v, a > delta
				printf "-a -t %s:80 -r %s:8080 -m -w 1\n", v, a2 > delta
				changed++
			}
			printf "backend add tcp/%s:80 %s:8080 method nat weight 1\n", v, a2 > conf2
			# state3: another 1% replaced; its input names only the
			# services that changed, as a controller that follows
			# changes (EndpointSlice events) would write it
			a3 = a2
			if (i % 100 == 50) {
				a3 = sprintf("10.202.%d.%d", s % 250, i % 250 + 1)
				printf "-d -t %s:80 -r %s:8080\n", v, a2 > delta3
				printf "-a -t %s:80 -r %s:8080 -m -w 1\n", v, a3 > delta3
				changed3++
				touched3 = 1
			}
			body3 = body3 sprintf("backend add tcp/%s:80 %s:8080 method nat weight 1\n", v, a3)
			# the same services as they were before that change
			body3b = body3b sprintf("backend add tcp/%s:80 %s:8080 method nat weight 1\n", v, a2)
		}
		if (touched3) {
			printf "service add tcp/%s:80 scheduler rr\n%s", v, body3 > part3
			printf "service add tcp/%s:80 scheduler rr\n%s", v, body3b > part3b
			nsvc3++
		}
	}
	print changed, changed3, nsvc3 > "/dev/stderr"
}' 2>"$LIB_TMP/changed"
read -r changed changed3 nsvc3 <"$LIB_TMP/changed"
setup_or_die "state generated ($(wc -l <"$LIB_TMP/state.conf") lines, $changed backends changed)" \
	test "$(wc -l <"$LIB_TMP/state.ipvsadm")" = $((NS_SVC * (NB + 1)))

# timed NS CMD...: run CMD in NS; its wall time, in ms, is then $(took).
# The clock is read by a shell already inside the namespace, so the cost
# of entering it ("ip netns exec", about 130 ms under emulation and the
# same for every command) is not counted: what is left is the command's
# own, from exec to exit.
timed() {
	local ns=$1
	shift
	in_ns "$ns" bash -c 's=${EPOCHREALTIME/./}; "$@"; rc=$?
		echo $(((${EPOCHREALTIME/./} - s) / 1000)) >"$0"; exit $rc' "$LIB_TMP/took" "$@"
}
took() { cat "$LIB_TMP/took"; }
count() { # count NS: services and backends
	in_ns "$1" ipvsadm -Ln | awk '/^TCP/ { s++ } $1 == "->" && $2 != "RemoteAddress:Port" { b++ } END { print s + 0, b + 0 }'
}
best() { sort -n | head -n 1; }

: >"$LIB_TMP/t-adm"
: >"$LIB_TMP/t-ctl"
for r in $(seq 1 "$RUNS"); do
	in_ns "$NSA" ipvsadm -C
	in_ns "$NSC" ipvsadm -C
	timed "$NSA" ipvsadm -R <"$LIB_TMP/state.ipvsadm" || fail "ipvsadm -R failed"
	took >>"$LIB_TMP/t-adm"
	timed "$NSC" "$IPVSCTL" -q apply -f "$LIB_TMP/state.conf" || fail "ipvsctl apply failed"
	took >>"$LIB_TMP/t-ctl"
	log "run $r: ipvsadm -R $(tail -n 1 "$LIB_TMP/t-adm") ms, ipvsctl apply $(tail -n 1 "$LIB_TMP/t-ctl") ms"
done
t_adm=$(best <"$LIB_TMP/t-adm")
t_ctl=$(best <"$LIB_TMP/t-ctl")
want="$NS_SVC $((NS_SVC * NB))"
check "ipvsadm -R built the state ($(count "$NSA"))" test "$(count "$NSA")" = "$want"
check "ipvsctl apply built the same ($(count "$NSC"))" test "$(count "$NSC")" = "$want"

o=$(timed "$NSC" "$IPVSCTL" apply --timing -f "$LIB_TMP/state.conf" 2>&1)
t_noop=$(took)
log "$o"
check "no-op apply: 0 changes ($o)" grep -q ' 0 changes applied' <<<"$o"

o=$(timed "$NSC" "$IPVSCTL" apply --timing --drain-timeout 0 -f "$LIB_TMP/state2.conf" 2>&1)
t_incr=$(took)
log "$o"
check "incremental apply: $((2 * changed)) changes ($o)" grep -q " $((2 * changed)) changes applied" <<<"$o"
timed "$NSA" ipvsadm -R <"$LIB_TMP/delta.ipvsadm" || fail "ipvsadm -R of the delta failed"
t_adm_incr=$(took)
check "ipvsadm reached the same state" test "$(in_ns "$NSA" ipvsadm -Sn | sort | md5sum)" = \
	"$(in_ns "$NSC" ipvsadm -Sn | sort | md5sum)"

o=$(timed "$NSC" "$IPVSCTL" apply --timing --drain-timeout 0 -f "$LIB_TMP/part3.conf" 2>&1)
t_part=$(took)
log "$o"
check "incremental apply of the $nsvc3 changed services only: $((2 * changed3)) changes ($o)" \
	grep -q " $((2 * changed3)) changes applied" <<<"$o"
timed "$NSA" ipvsadm -R <"$LIB_TMP/delta3.ipvsadm" || fail "ipvsadm -R of the second delta failed"
t_adm_part=$(took)
check "ipvsadm reached the same state again" test "$(in_ns "$NSA" ipvsadm -Sn | sort | md5sum)" = \
	"$(in_ns "$NSC" ipvsadm -Sn | sort | md5sum)"
check "the partial apply left the other services alone ($(count "$NSC"))" test "$(count "$NSC")" = "$want"

# The same documents through one "ipvsctl apply --stream", as a controller
# that keeps ipvsctl running writes them, into a third namespace: the full
# state from empty; the whole state with the first 1% changed; then three
# times the changed services only (the second 1%, undone, done again), and
# those once more (no-op). Each is timed from the first byte written to its
# answer line; the documents are read into the shell first and written
# with its builtin printf, so no process starts inside the timed part. The
# other two namespaces are emptied first: IPVS keeps every namespace's
# services in one hash table of 256 buckets, and the stream's figures are
# those of a director holding one such state.
want_sum=$(in_ns "$NSC" ipvsadm -Sn | sort | md5sum)
in_ns "$NSA" ipvsadm -C
in_ns "$NSC" ipvsadm -C
setup_or_die "namespace for ipvsctl apply --stream" mkns NSS benchstream
in_ns "$NSS" bash -c '
	ctl=$1 out=$2
	shift 2
	coproc P { "$ctl" apply --stream --timing --drain-timeout 0 2>"$out.err"; }
	for f in "$@"; do
		d=$(<"$f")
		s=${EPOCHREALTIME/./}
		printf "%s\n---\n" "$d" >&"${P[1]}"
		read -t 600 -r a <&"${P[0]}" || a="no answer"
		echo "$(((${EPOCHREALTIME/./} - s) / 1000)) $a" >>"$out"
	done
	pid=$P_PID
	eval "exec ${P[1]}>&-"
	wait "$pid"' _ "$IPVSCTL" "$LIB_TMP/stream.out" "$LIB_TMP/state.conf" "$LIB_TMP/state2.conf" \
	"$LIB_TMP/part3.conf" "$LIB_TMP/part3b.conf" "$LIB_TMP/part3.conf" "$LIB_TMP/part3.conf"
log "$(cat "$LIB_TMP/stream.out.err" "$LIB_TMP/stream.out")"
sline() { sed -n "${1}p" "$LIB_TMP/stream.out"; }
check "stream: the full state ($(sline 1))" grep -q "document 1: $((NS_SVC * (NB + 1))) changes applied" <<<"$(sline 1)"
check "stream: the whole state, 1% changed ($(sline 2))" grep -q "document 2: $((2 * changed)) changes applied" <<<"$(sline 2)"
for d in 3 4 5; do
	check "stream: the changed services only ($(sline $d))" \
		grep -q "document $d: $((2 * changed3)) changes applied" <<<"$(sline $d)"
done
check "stream: those again ($(sline 6))" grep -q "document 6: 0 changes applied" <<<"$(sline 6)"
check "stream: the same state as ipvsctl's one-shot applies made" \
	test "$(in_ns "$NSS" ipvsadm -Sn | sort | md5sum)" = "$want_sum"
read -r s_full s_whole < <(awk 'NR <= 2 { printf "%s ", $1 }' "$LIB_TMP/stream.out")
s_part=$(awk 'NR >= 3 && NR <= 5 { print $1 }' "$LIB_TMP/stream.out" | sort -n | sed -n 2p)
s_noop=$(awk 'NR == 6 { print $1 }' "$LIB_TMP/stream.out")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }'; }
{
	echo "| $NS_SVC services × $NB backends ($((NS_SVC * (NB + 1))) objects) | ipvsctl apply | ipvsadm -R | ipvsadm -R / ipvsctl |"
	echo "|---|---:|---:|---:|"
	echo "| full, from empty (best of $RUNS), ms | $t_ctl | $t_adm | **$(ratio "$t_adm" "$t_ctl")×** |"
	echo "| incremental: 1% of backends replaced ($changed), ms | $t_incr | $t_adm_incr (only the $((2 * changed)) -d/-a lines, computed by the bench) | |"
	echo "| incremental, changed services only: $nsvc3 services named, 1% of backends replaced ($changed3), ms | $t_part | $t_adm_part (the $((2 * changed3)) -d/-a lines) | |"
	echo "| no-op: the same state again, ms | $t_noop | - | |"
	echo
	echo "| through one \`ipvsctl apply --stream\`, the other namespaces empty | ms | % of the stream's full apply | % of the one-shot full apply |"
	echo "|---|---:|---:|---:|"
	echo "| full, from empty | $s_full | 100 | $(pct "$s_full" "$t_ctl") |"
	echo "| whole state, 1% of backends replaced ($changed) | $s_whole | $(pct "$s_whole" "$s_full") | $(pct "$s_whole" "$t_ctl") |"
	echo "| changed services only ($nsvc3), 1% of backends replaced ($changed3), median of 3 | $s_part | **$(pct "$s_part" "$s_full")** | $(pct "$s_part" "$t_ctl") |"
	echo "| the same services again (no-op) | $s_noop | $(pct "$s_noop" "$s_full") | $(pct "$s_noop" "$t_ctl") |"
	echo
	echo "ipvsctl's incremental apply (it reads the kernel's state, diffs and applies"
	echo "$((2 * changed)) changes) takes **$(pct "$t_incr" "$t_ctl")%** of its full apply; a no-op"
	echo "apply $(pct "$t_noop" "$t_ctl")%. Given only the services that changed (no --scope, so the"
	echo "others are not managed and not even read), it takes **$(pct "$t_part" "$t_ctl")%**."
} >"$out/vm-apply.md"
cat "$out/vm-apply.md"
exit "$(lib_result)"
