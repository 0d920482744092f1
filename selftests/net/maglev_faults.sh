#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures on every configuration path of the scheduler, one
# injection point at a time: the path runs with its N-th allocation
# failing, for N = 1, 2, ... until a run completes without reaching N. After
# every injected failure:
#  - new TCP connections through the VIP still reach a backend (the old
#    table or the new one: never none);
#  - the state the module reports is self-consistent (owners and slots add
#    up to the table, no slot for a backend marked down);
#  - a request refused with ENOMEM changed nothing: every parameter, mark
#    and the table are as before (compared on "ipvsctl -j maglev show");
#  - a change that was accepted ends, after the work's retry (1 s), in the
#    table a fresh reference service with the same configuration has
#    (same digest).
# The kernel log and kmemleak are checked by the harness after the suite.
#
#   CL 10.0.1.2 ---- DR ---- B1..B3 10.0.2.11-13 :8080
#        VIP 10.0.1.100  :80 S  maglev, B1 w1 B2 w2 (B3 is added, removed)
#                        :82 R  maglev, B1 B2 B3 w1, slow start (B3 ramps)
#                        :83    made and deleted (IPVS NEW_SERVICE)
#                        :84 U  rr, B1 B2 w1, switched to maglev and back
#            10.0.1.101  :80    reference services, one per configuration
#            10.0.1.102  :80 G  maglev, B1: builds on demand (kworker phases)
#   PN (one namespace per fresh pin table): dummy d0 10.9.0.1/24,
#        udp/10.9.0.100:53 maglev, backends 10.9.0.2-3 (never answer:
#        only the scheduler's state is looked at), datagrams sent locally
#
# How failures are injected (kernel fault injection: debug kernels only;
# elsewhere the test skips):
#  - paths that run in the caller's task (IPVS_MAGLEV's SET_SERVICE,
#    SET_BACKEND, FLUSH_PINS; IPVS's NEW_SERVICE, SET_SERVICE, NEW_DEST,
#    SET_DEST, DEL_DEST, which call the scheduler): per-task fail-nth,
#    armed by tools/genl.py around its sendmsg. Only calls made with the
#    module's text on the stack count (the stack filter), so N numbers
#    the module's own allocations;
#  - paths that run in kworkers: failslab and fail_page_alloc with a
#    stack filter on the path's own function. The service's work (a
#    deferred build, a slow-start step) fails its N-th call, the interval
#    counter first brought to a multiple of N by builds of a spare
#    service, until the build goes through. The pin-table work fails its
#    first K calls (nothing makes that function allocate on demand).
# Two kinds of calls are never failed, by the filter's reject range:
# kmemleak's bookkeeping (its own pool takes over: no failure anyone
# would see) and vmalloc's internals (a failure there prints a warn_alloc
# stack trace, which the harness's log check counts as a splat). Tables
# stay below a page for that (the table_size parameter is 251 here,
# pin_max 2048). A vmalloc'ed table is tested through the page
# allocator: kvmalloc's first attempt fails and it falls back to vmalloc.

source "$(dirname "$0")/lib.sh"
lib_init

FI=/sys/kernel/debug
[ -e /proc/self/fail-nth ] || skip "no fault injection in this kernel (CONFIG_FAULT_INJECTION)"
[ -d $FI/failslab ] || mount -t debugfs none $FI 2>/dev/null
[ -d $FI/failslab ] && [ -d $FI/fail_page_alloc ] ||
	skip "no failslab or fail_page_alloc in debugfs (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)"
[ -e $FI/failslab/require-start ] ||
	skip "no stack filter for fault injection (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)"
command -v jq >/dev/null || skip "jq not installed"

MOD=/sys/module/ip_vs_maglev
PARAMS=$MOD/parameters
SVC=tcp/$VIP:80
RSVC=tcp/$VIP:82
NSVC=tcp/$VIP:83
USVC=tcp/$VIP:84
REF_VIP=10.0.1.101
GVIP=10.0.1.102
PSVC=udp/10.9.0.100:53
PSVC2=udp/10.9.0.100:54
MAX_N=200
HOLDOFF=100

# ---- fault injection knobs -------------------------------------------------
FI_FILES="probability interval times space verbose task-filter stacktrace-depth
	require-start require-end reject-start reject-end ignore-gfp-wait"
declare -A FI_SAVED
declare -A PARAM_SAVED
fi_save() {
	local a f
	for a in failslab fail_page_alloc; do
		for f in $FI_FILES; do
			FI_SAVED[$a/$f]=$(cat "$FI/$a/$f") || return 1
		done
	done
	for f in table_size pin_max rebuild_holdoff_ms; do
		PARAM_SAVED[$f]=$(cat "$PARAMS/$f") || return 1
	done
}

# everything back as it was, fault injection off first
faults_cleanup() {
	local a f
	for a in failslab fail_page_alloc; do
		echo 0 >"$FI/$a/probability" 2>/dev/null
		for f in $FI_FILES; do
			[ -n "${FI_SAVED[$a/$f]}" ] && echo "${FI_SAVED[$a/$f]}" >"$FI/$a/$f" 2>/dev/null
		done
	done
	for f in "${!PARAM_SAVED[@]}"; do
		echo "${PARAM_SAVED[$f]}" >"$PARAMS/$f" 2>/dev/null
	done
}

# fi_filter MODE [START END]: which calls count, by the stack filter.
#  slab+page  slab and page allocations with the module's text on the
#             stack, except kmemleak's bookkeeping (slab) and vmalloc's
#             internals (page: order-0 pages never count, min-order 1)
#  page       page allocations only (slab: an empty required range)
#  work       slab and page allocations with START..END (one function)
#             on the stack, except kmemleak's (slab) and vmalloc's (page)
#  work-vm    the same, except vmalloc's internals (both): for a
#             function whose kvmalloc may fall back to vmalloc, when
#             more than one call fails
fi_filter() {
	local a start=$TEXT_START end=$TEXT_END
	[ "${1#work}" != "$1" ] && start=$2 end=$3
	for a in failslab fail_page_alloc; do
		printf '%#x' "$start" >$FI/$a/require-start
		printf '%#x' "$end" >$FI/$a/require-end
		printf '%#x' "$VMALLOC_START" >$FI/$a/reject-start
		printf '%#x' "$VMALLOC_END" >$FI/$a/reject-end
	done
	if [ "$1" = slab+page ] || [ "$1" = work ]; then
		printf '%#x' "$KMEMLEAK_START" >$FI/failslab/reject-start
		printf '%#x' "$KMEMLEAK_END" >$FI/failslab/reject-end
	elif [ "$1" = page ]; then
		echo 1 >$FI/failslab/require-start
		echo 1 >$FI/failslab/require-end
	fi
}

# The module's text: its text sections, to the end of the last one's page
# (a module's text is page-aligned memory of its own).
module_text() {
	local s a lo= hi=
	for s in $MOD/sections/.text* $MOD/sections/.exit.text; do
		[ -r "$s" ] || continue
		a=$(($(cat "$s")))
		[ "$a" = 0 ] && return 1
		if [ -z "$lo" ] || [ "$a" -lt "$lo" ]; then lo=$a; fi
		if [ -z "$hi" ] || [ "$a" -gt "$hi" ]; then hi=$a; fi
	done
	[ -n "$lo" ] || return 1
	TEXT_START=$lo
	TEXT_END=$(((hi & ~4095) + 4096))
	# never beyond the module's own memory
	[ $((TEXT_END - TEXT_START)) -le "$(cat $MOD/coresize)" ]
}

# A function's range from /proc/kallsyms (in address order for the
# kernel's own symbols): its address to the next symbol's.
KSYMS=
sym_range() { # sym_range VAR NAME...
	local var=$1 name addr next
	shift
	for name; do
		read -r addr next < <(awk -v n="$name" 'f { print $1; exit } $3 == n { a = $1; f = 1; printf "%s ", a }' <<<"$KSYMS")
		if [ -n "$addr" ] && [ -n "$next" ]; then
			printf -v "${var}_START" '%s' $((0x$addr))
			printf -v "${var}_END" '%s' $((0x$next))
			return 0
		fi
	done
	printf -v "${var}_START" 0
	printf -v "${var}_END" 0
	return 1
}

# mod_fn VAR NAME: VAR_START, VAR_END: a function of the module (its
# symbols are not in address order in /proc/kallsyms: the next one up)
MODSYMS=
mod_fn() {
	local var=$1 addr name a start='' end=''
	while read -r addr _ name _; do
		[ "$name" = "$2" ] && start=$((0x$addr))
	done <<<"$MODSYMS"
	[ -n "$start" ] || return 1
	while read -r addr _ _ _; do
		a=$((0x$addr))
		if [ "$a" -gt "$start" ] && { [ -z "$end" ] || [ "$a" -lt "$end" ]; }; then
			end=$a
		fi
	done <<<"$MODSYMS"
	printf -v "${var}_START" '%s' "$start"
	printf -v "${var}_END" '%s' "${end:-$TEXT_END}"
}

fi_times() { cat $FI/"$1"/times; }
fi_fired() { [ "$(fi_times "$1")" = 0 ]; }

# ---- one genl.py for the whole test: a coprocess in DR ------------------------
GENL_OUT=()
genl_do() { # genl_do REQUEST: genl.py --batch words; GENL_OUT: the answer
	local line=
	GENL_OUT=()
	[ -n "${GENL[1]:-}" ] || { GENL_OUT=("error 0 genl.py is gone"); return 2; }
	printf '%s\n' "$*" >&"${GENL[1]}"
	while IFS= read -r -t 300 -u "${GENL[0]}" line; do
		[ "$line" = . ] && break
		GENL_OUT+=("$line")
	done
	[ "$line" = . ] || { GENL_OUT+=("error 0 no answer from genl.py"); return 2; }
	[[ ${GENL_OUT[0]} == ok* ]]
}
genl_in() { # genl_in NS REQUEST: one request from another namespace
	local rc out
	genl_do "netns $1" || return 2
	genl_do "$2"
	rc=$?
	out=("${GENL_OUT[@]}")
	genl_do "netns $DR" || return 2
	GENL_OUT=("${out[@]}")
	return $rc
}
must() { # must DESC REQUEST: a request that has to work
	genl_do "$2" || { fail "$1: ${GENL_OUT[*]}"; return 1; }
}

hexip() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '%02x%02x%02x%02x' "$1" "$2" "$3" "$4"
}
pnum() { [ "$1" = udp ] && echo 17 || echo 6; }

# IPVS family (linux/ip_vs.h): NEW_SERVICE 1, SET_SERVICE 2, DEL_SERVICE 3,
# NEW_DEST 5, SET_DEST 6, DEL_DEST 7; service (1) and dest (2) nests
ipvs_svc() { # PROTO ADDR PORT [SCHED [FLAGS]]: the service nest
	local a="[1,\"u16\",2],[2,\"u16\",$(pnum "$1")],[3,\"bin\",\"$(hexip "$2")\"],[4,\"be16\",$3]"
	[ -n "${4:-}" ] &&
		a+=",[6,\"str\",\"$4\"],[7,\"bin\",\"${5:-00000000}ffffffff\"],[8,\"u32\",0],[9,\"u32\",4294967295]"
	echo "[1,\"nest\",[$a]]"
}
ipvs_dest() { # ADDR PORT [WEIGHT]: the dest nest (masquerading)
	local a="[1,\"bin\",\"$(hexip "$1")\"],[2,\"be16\",$2]"
	[ -n "${3:-}" ] && a+=",[3,\"u32\",0],[4,\"u32\",$3],[5,\"u32\",0],[6,\"u32\",0]"
	echo "[2,\"nest\",[$a]]"
}
# IPVS_MAGLEV family (ip_vs_maglev.h): GET_INFO 1, SET_SERVICE 3,
# SET_BACKEND 6, FLUSH_PINS 7; service (2) and backend (3) nests
mg_svc() { # PROTO ADDR PORT [PARAMS]: PARAMS is ",[type,kind,value]..."
	echo "[2,\"nest\",[[1,\"u16\",2],[2,\"u16\",$(pnum "$1")],[3,\"bin\",\"$(hexip "$2")\"],[4,\"be16\",$3]${4:-}]]"
}
mg_be() { # ADDR PORT DOWN
	echo "[3,\"nest\",[[1,\"u16\",2],[2,\"bin\",\"$(hexip "$1")\"],[3,\"be16\",$2],[13,\"u8\",$3]]]"
}
P_TABLE=6 P_HASH=7 P_SS_AGGR=24 P_SS_MIN_PCT=25 P_SS_WINDOW=23 P_PIN=29

# ---- state, through ipvsctl's JSON ------------------------------------------------
# What a refused request must leave alone: every parameter, mark, weight
# and the table.
VIEW='{table_size, table_size_active, hash, digest, owners, backends_known,
	ss: (.slow_start | {window_ms, aggression, min_pct}),
	pin: (.pinning | {mode, max}),
	backends: [.backends[] | {backend, weight, down, effective_weight, slots,
		drain_saved_weight, drain_deadline}]}'
# The same without what a slow-start step moves.
PVIEW='{table_size, hash, backends_known,
	ss: (.slow_start | {window_ms, aggression, min_pct}),
	pin: (.pinning | {mode, max}),
	backends: [.backends[] | {backend, weight, down}]}'
# A service's report is self-consistent: owners and slots add up to the
# table, no slot for a backend marked down, a digest with every table.
# While a build is pending (or being retried) the live table may still
# name a backend already deleted, which is no longer listed: its slots
# are missing from the sum then.
CONSISTENT='(.owners == ([.backends[] | select(.slots > 0)] | length)) and
	(.backends_known == (.backends | length)) and
	all(.backends[]; (.down | not) or .slots == 0) and
	((.digest == null) == (.table_size_active == null)) and
	(if .digest == null then .owners == 0
	 else ([.backends[].slots] | add // 0) as $sum |
		(if .owners > 0 then .table_size_active else 0 end) as $m |
		$sum == $m or (.pending and $sum < $m) end)'
# the listed backends' slots fall short of the table
PARTIAL='.digest != null and .owners > 0 and ([.backends[].slots] | add // 0) != .table_size_active'

# svc_is NS SERVICE [JQ]: one look at a service (one ipvsctl, one jq: under
# emulation every process counts). True if it exists and JQ holds. Sets
# ST_CONS (true if self-consistent), ST_VIEW, ST_PVIEW, LAST_SVC (all of
# it) and ST_DIGEST ST_PENDING ST_REBUILDS ST_FAILS ST_ERR ST_AGE ST_STEPS
# ST_RAMPING ST_KNOWN ST_PINS.
LAST_SVC=
svc_is() {
	local line ok
	line=$("$IPVSCTL" -N "$1" -j maglev show 2>/dev/null | jq -r --arg s "$2" "
		.services[] | select(.service == \$s) |
		[(${3:-true}), ($CONSISTENT), ($PARTIAL), .digest, .pending, .rebuilds, .rebuild_failures,
		 .last_error, .last_rebuild_age_ms, .slow_start.ramp_builds, .slow_start.ramping,
		 .backends_known, .pinning.entries, ($VIEW), ($PVIEW), .] |
		map(if type == \"string\" then . else tojson end) | @tsv")
	LAST_SVC=
	[ -n "$line" ] || return 1
	IFS=$'\t' read -r ok ST_CONS ST_PARTIAL ST_DIGEST ST_PENDING ST_REBUILDS ST_FAILS ST_ERR ST_AGE \
		ST_STEPS ST_RAMPING ST_KNOWN ST_PINS ST_VIEW ST_PVIEW LAST_SVC <<<"$line"
	[ "$ok" = true ]
}
svc_absent() {
	"$IPVSCTL" -N "$1" -j maglev show 2>/dev/null |
		jq -e --arg s "$2" 'all(.services[]; .service != $s)' >/dev/null
}
ipvs_sched() { # ipvs_sched NS -t|-u ADDR:PORT: IPVS's scheduler of a service
	local proto addr sched _
	while read -r proto addr sched _; do
		case $proto in
		TCP | UDP | SCTP) echo "$sched" ;;
		esac
	done < <(in_ns "$1" ipvsadm -Ln "$2" "$3" 2>/dev/null)
}

# tcp_ok PORT: new connections through the VIP reach a backend
tcp_ok() {
	local k v total= errors=
	while read -r k v _; do
		case $k in
		total) total=$v ;;
		errors) errors=$v ;;
		esac
	done < <(in_ns "$CL" "$MGTRAFFIC" conn -c "$VIP" -p "$1" -n 3 -t 3000)
	[ "$total" = 3 ] && [ "$errors" = 0 ]
}

NOW=0
now_ms() { NOW=$((${EPOCHREALTIME/./} / 1000)); }
# wait_ms MS CMD...: wait_until with a deadline in milliseconds
wait_ms() {
	local deadline
	now_ms
	deadline=$((NOW + $1))
	shift
	while :; do
		"$@" && return 0
		now_ms
		[ $NOW -ge $deadline ] && return 1
		sleep 0.05
	done
}

# ---- reference tables --------------------------------------------------------------
# ref_digest PARAMS BACKEND...: REF is the digest of a fresh service with
# these backends ("ADDR:PORT:WEIGHT" or "ADDR:PORT:WEIGHT:down") and
# parameters (mg_svc PARAMS), built with no fault injected
REF=
ref_digest() {
	local params=$1 b ip port w down
	shift
	REF=
	must "reference service" "IPVS 1 [$(ipvs_svc tcp $REF_VIP 80 maglev)]" || return 1
	if [ -n "$params" ]; then
		must "reference parameters" "IPVS_MAGLEV 3 [$(mg_svc tcp $REF_VIP 80 "$params")]" || return 1
	fi
	for b; do
		IFS=: read -r ip port w down <<<"$b"
		must "reference backend" "IPVS 5 [$(ipvs_svc tcp $REF_VIP 80),$(ipvs_dest "$ip" "$port" "$w")]" || return 1
		if [ "$down" = down ]; then
			must "reference mark" "IPVS_MAGLEV 6 [$(mg_svc tcp $REF_VIP 80),$(mg_be "$ip" "$port" 1)]" || return 1
		fi
	done
	wait_until 10 svc_is "$DR" "tcp/$REF_VIP:80" "(.pending | not) and .digest != null and ($CONSISTENT)" ||
		{ fail "reference service settles: $LAST_SVC"; return 1; }
	REF=$ST_DIGEST
	must "reference service deleted" "IPVS 3 [$(ipvs_svc tcp $REF_VIP 80)]"
}

# ---- the series ------------------------------------------------------------------------
# series LABEL PREP REQUEST VERIFY: REQUEST (genl.py words) with its N-th
# counted allocation failing, for N = 1, 2, ... until a run does not reach
# N. PREP restores the baseline before each run (and may set INJ_NS, the
# namespace to send from); VERIFY REPLY injected|not-reached checks the
# outcome. Problems are reported with bad (below); the series ends with
# one line for the path.
SUMMARY=()
LABEL= N=0 BAD=0 T0=0
bad() {
	fail "$LABEL, N=$N: $*"
	BAD=$((BAD + 1))
}
PARTIAL_SEEN=0
consistent() { # the last look (svc_is) was self-consistent
	[ "$ST_CONS" = true ] || bad "$1 inconsistent state: $LAST_SVC"
	if [ "$ST_CONS" = true ] && [ "$ST_PARTIAL" = true ]; then
		PARTIAL_SEEN=$((PARTIAL_SEEN + 1))
		log "  (build pending: the table's slots of a deleted backend are not reported)"
	fi
}
path_done() { # path_done POINTS: the path's line
	SUMMARY+=("$LABEL: $1")
	if [ "$BAD" = 0 ]; then
		pass "$LABEL: $1 failures injected, all handled ($((SECONDS - T0)) s)"
	else
		fail "$LABEL: $1 failures injected, $BAD problems"
	fi
}
series() {
	local prep=$2 req=$3 verify=$4 reply fault
	LABEL=$1 BAD=0 INJ_NS='' T0=$SECONDS
	for ((N = 1; N <= MAX_N; N++)); do
		$prep || { bad "the baseline cannot be restored: $LAST_SVC"; return 1; }
		if [ -n "$INJ_NS" ]; then
			genl_do "netns $INJ_NS" || { bad "netns $INJ_NS"; return 1; }
		fi
		genl_do "--fail-nth $N $req"
		reply=${GENL_OUT[0]} fault=${GENL_OUT[1]:-fault unknown}
		if [ -n "$INJ_NS" ]; then
			genl_do "netns $DR" || { bad "back to $DR"; return 1; }
		fi
		log "  $LABEL, N=$N: $reply ($fault)"
		case $fault in
		"fault injected")
			$verify "$reply" injected
			;;
		"fault not-reached"*)
			$verify "$reply" not-reached
			break
			;;
		*)
			bad "no fault-injection result: ${GENL_OUT[*]}"
			return 1
			;;
		esac
	done
	[ "$N" -gt "$MAX_N" ] && { bad "still failing at N=$MAX_N"; return 1; }
	[ "$N" -gt 1 ] || [ "$5" = none ] || bad "no allocation was counted on this path"
	path_done $((N - 1))
}

# ---- setup ----------------------------------------------------------------------------
setup_or_die "module" modprobe ip_vs_maglev
setup_or_die "saving fault-injection settings" fi_save
trap 'faults_cleanup; lib_cleanup' EXIT
# tables and pin tables below a page: no vmalloc (see the top)
setup_or_die "table_size 251" bash -c "echo 251 >$PARAMS/table_size"
setup_or_die "pin_max 2048" bash -c "echo 2048 >$PARAMS/pin_max"
setup_or_die "rebuild_holdoff_ms $HOLDOFF" bash -c "echo $HOLDOFF >$PARAMS/rebuild_holdoff_ms"
setup_or_die "the module's text" module_text
KSYMS=$(grep -A1 -E ' (__alloc_object|__vmalloc_node_range_noprof|__vmalloc_node_range)$' /proc/kallsyms)
sym_range KMEMLEAK __alloc_object || log "no kmemleak: nothing to leave out"
setup_or_die "vmalloc's range" sym_range VMALLOC __vmalloc_node_range_noprof __vmalloc_node_range
MODSYMS=$(grep ' [tT] .*\[ip_vs_maglev\]$' /proc/kallsyms)
setup_or_die "the table build's range" mod_fn BUILD ip_vs_maglev_rebuild
setup_or_die "the pin table's range" mod_fn PINS ip_vs_maglev_pins_create
log "module text $(printf '%#x-%#x' "$TEXT_START" "$TEXT_END");" \
	"left out: kmemleak $(printf '%#x-%#x' "$KMEMLEAK_START" "$KMEMLEAK_END")," \
	"vmalloc $(printf '%#x-%#x' "$VMALLOC_START" "$VMALLOC_END")"
for a in failslab fail_page_alloc; do
	setup_or_die "$a off" bash -c "echo 0 >$FI/$a/probability && echo 0 >$FI/$a/times"
	setup_or_die "$a: sleeping allocations too" bash -c "echo N >$FI/$a/ignore-gfp-wait"
	setup_or_die "$a: one log line a failure" bash -c "echo 1 >$FI/$a/verbose"
	setup_or_die "$a: no task filter" bash -c "echo N >$FI/$a/task-filter && echo 0 >$FI/$a/space"
	setup_or_die "$a: whole stacks" bash -c "echo 32 >$FI/$a/stacktrace-depth"
done
setup_or_die "stack filter" fi_filter slab+page

setup_or_die "topology" topo_std 3
setup_or_die "VIP" vip_local
setup_or_die "servers" serve_all 8080
coproc GENL { exec ip netns exec "$DR" python3 "$LIB_DIR/tools/genl.py" --batch 2>&1; }
LIB_PIDS+=("$GENL_PID")
setup_or_die "genl.py answers" genl_do "IPVS_MAGLEV 1"

B1=${BE_IP[1]} B2=${BE_IP[2]} B3=${BE_IP[3]}
S_SVC=$(ipvs_svc tcp "$VIP" 80)
S_MG=$(mg_svc tcp "$VIP" 80)
R_SVC=$(ipvs_svc tcp "$VIP" 82)
setup_or_die "service S" must "S" "IPVS 1 [$(ipvs_svc tcp "$VIP" 80 maglev)]"
setup_or_die "S: B1" must "B1" "IPVS 5 [$S_SVC,$(ipvs_dest "$B1" 8080 1)]"
setup_or_die "S: B2" must "B2" "IPVS 5 [$S_SVC,$(ipvs_dest "$B2" 8080 2)]"
# G: builds on demand, for fi_sync
setup_or_die "service G" must "G" "IPVS 1 [$(ipvs_svc tcp "$GVIP" 80 maglev)]"
setup_or_die "G: B1" must "G" "IPVS 5 [$(ipvs_svc tcp "$GVIP" 80),$(ipvs_dest "$B1" 8080 1)]"
setup_or_die "service U (rr)" must "U" "IPVS 1 [$(ipvs_svc tcp "$VIP" 84 rr)]"
for b in "$B1" "$B2"; do
	setup_or_die "U: $b" must "U" "IPVS 5 [$(ipvs_svc tcp "$VIP" 84),$(ipvs_dest "$b" 8080 1)]"
done
# R: slow start of an hour, B3 ramping for all of it (it joins a service
# that carries traffic)
setup_or_die "service R" must "R" "IPVS 1 [$(ipvs_svc tcp "$VIP" 82 maglev)]"
setup_or_die "R: slow start 1 h" must "R" "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_WINDOW,\"u32\",3600000]")]"
for b in "$B1" "$B2"; do
	setup_or_die "R: $b" must "R" "IPVS 5 [$R_SVC,$(ipvs_dest "$b" 8080 1)]"
done
SERVING=".serving_ms != null and .serving_ms >= $HOLDOFF"
setup_or_die "R carries traffic" tcp_ok 82
setup_or_die "R is serving" wait_until 10 svc_is "$DR" "$RSVC" "$SERVING"
setup_or_die "R: B3" must "R" "IPVS 5 [$R_SVC,$(ipvs_dest "$B3" 8080 1)]"
setup_or_die "R: B3 ramps" wait_until 10 svc_is "$DR" "$RSVC" '.slow_start.ramping == 1 and (.pending | not)'
setup_or_die "S settles" wait_until 10 svc_is "$DR" "$SVC" "(.pending | not) and ($CONSISTENT)"
setup_or_die "S carries traffic" tcp_ok 80
setup_or_die "U carries traffic" tcp_ok 84

# ---- references -----------------------------------------------------------------------
ref_digest "" "$B1:8080:1" "$B2:8080:2" && REF_BASE=$REF
ref_digest ",[$P_TABLE,\"u32\",509]" "$B1:8080:1" "$B2:8080:2" && REF_509=$REF
ref_digest ",[$P_TABLE,\"u32\",65521]" "$B1:8080:1" "$B2:8080:2" && REF_65521=$REF
ref_digest ",[$P_HASH,\"u8\",2]" "$B1:8080:1" "$B2:8080:2" && REF_SRC=$REF
ref_digest "" "$B1:8080:1:down" "$B2:8080:2" && REF_DOWN=$REF
ref_digest "" "$B1:8080:1" "$B2:8080:2" "$B3:8080:1" && REF_ADD=$REF
ref_digest "" "$B1:8080:1" "$B2:8080:3" && REF_W3=$REF
ref_digest "" "$B1:8080:1" && REF_DEL=$REF
ref_digest "" "$B1:8080:1" "$B2:8080:1" && REF_U=$REF
ref_digest "" && REF_EMPTY=$REF
ref_digest "" "$B1:8080:1" "$B2:8080:1" "$B3:8080:1" && REF_R=$REF
log "setup and references took $SECONDS s"
log "references: base $REF_BASE, 509 $REF_509, 65521 $REF_65521, src $REF_SRC, down $REF_DOWN," \
	"add $REF_ADD, w3 $REF_W3, del $REF_DEL, U $REF_U, empty $REF_EMPTY, R $REF_R"
check "S's table is its reference's" svc_is "$DR" "$SVC" ".digest == \"$REF_BASE\""

# ---- paths on S, in the caller's task ----------------------------------------------------
# S_BASE: jq that holds in the baseline, whose table is S_REF; S_NEW,
# S_REF_NEW: the same with the change applied; S_ERR: the message of a
# refusal ("" if the request is never refused); S_REVERT: the request
# that undoes the change
S_BASE='' S_NEW='' S_REF=$REF_BASE S_REF_NEW='' S_ERR='' S_REVERT='' S_BEFORE='' S_FAILS=0
LOST_RECORDS=0
s_prep() {
	wait_until 10 svc_is "$DR" "$SVC" "(.pending | not) and .digest == \"$S_REF\" and ($S_BASE)" ||
		return 1
	S_BEFORE=$ST_VIEW S_FAILS=$ST_FAILS
}
s_verify() {
	local reply=$1
	tcp_ok 80 || bad "new connections through the VIP fail right after the request"
	svc_is "$DR" "$SVC" || { bad "S is gone"; return; }
	consistent
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] || bad "refused without a failure: $reply"
		[ -n "$S_ERR" ] || bad "this request must not fail: $reply"
		[[ $reply == "error 12 "*"$S_ERR"* ]] || bad "refused with '$reply', not ENOMEM '$S_ERR'"
		[ "$ST_VIEW" = "$S_BEFORE" ] || bad "refused, but the state changed: before $S_BEFORE, after $ST_VIEW"
		return
	fi
	# accepted: applied now, or after the work's retry
	if [ "$LABEL" = "IPVS NEW_DEST" ] && [ "$ST_KNOWN" = 2 ]; then
		# add_dest could not record the backend: the next build (the
		# work's retry, 1 s) must make the record, with no edit
		LOST_RECORDS=$((LOST_RECORDS + 1))
		log "  add_dest could not record the backend: the retry must"
	fi
	wait_until 10 svc_is "$DR" "$SVC" "(.pending | not) and .digest == \"$S_REF_NEW\" and ($S_NEW)" ||
		bad "accepted, but no table like the reference's ($S_REF_NEW) after the retry: $LAST_SVC"
	consistent "after the retry:"
	[ "$ST_FAILS" = "$S_FAILS" ] || [ "$2" = injected ] || bad "a build failed with no failure injected"
	genl_do "$S_REVERT" || bad "undo: ${GENL_OUT[*]}"
}
s_series() { # LABEL REQUEST
	series "$1" s_prep "$2" s_verify "${3:-}"
}

S_BASE='.table_size == 0' S_NEW='.table_size == 509' S_REF_NEW=$REF_509
S_ERR="cannot build the new table (out of memory); nothing changed"
S_REVERT="IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",0]")]"
s_series "IPVS_MAGLEV SET_SERVICE table-size" "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",509]")]"

S_BASE='.hash == "auto"' S_NEW='.hash == "src"' S_REF_NEW=$REF_SRC
S_REVERT="IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_HASH,\"u8\",0]")]"
s_series "IPVS_MAGLEV SET_SERVICE hash" "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_HASH,\"u8\",2]")]"

# B3 (review-kmod.md): one request changing the table and pinning; a
# refused build must leave pinning as it was too (it once applied the pin
# settings first, and kept them while saying "nothing changed")
S_BASE='.table_size == 0 and .pinning.mode == "auto"'
S_NEW='.table_size == 509 and .pinning.mode == "off"' S_REF_NEW=$REF_509
S_REVERT="IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",0],[$P_PIN,\"u8\",0]")]"
s_series "IPVS_MAGLEV SET_SERVICE table-size and pin off" \
	"IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",509],[$P_PIN,\"u8\",2]")]"

S_BASE='all(.backends[]; .down | not)' S_NEW="any(.backends[]; .backend == \"$B1:8080\" and .down)"
S_REF_NEW=$REF_DOWN
S_ERR="cannot build the table the mark needs (out of memory); nothing changed"
S_REVERT="IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 0)]"
s_series "IPVS_MAGLEV SET_BACKEND down" "IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 1)]"

# up: the baseline is B1 down
setup_or_die "B1 down" must "B1 down" "IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 1)]"
S_BASE=$S_NEW S_NEW='all(.backends[]; .down | not)' S_REF=$REF_DOWN S_REF_NEW=$REF_BASE
S_REVERT="IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 1)]"
s_series "IPVS_MAGLEV SET_BACKEND up" "IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 0)]"
setup_or_die "B1 up" must "B1 up" "IPVS_MAGLEV 6 [$S_MG,$(mg_be "$B1" 8080 0)]"

# dropping pins allocates nothing: one run, which reaches no failure
S_BASE=true S_NEW=true S_REF=$REF_BASE S_REF_NEW=$REF_BASE S_ERR='' S_REVERT="IPVS_MAGLEV 1"
s_series "IPVS_MAGLEV FLUSH_PINS" "IPVS_MAGLEV 7 [$S_MG]" none

# IPVS's own requests: the scheduler's return is ignored, never refused
S_BASE='.backends_known == 2' S_NEW='.backends_known == 3' S_REF_NEW=$REF_ADD S_ERR=''
S_REVERT="IPVS 7 [$S_SVC,$(ipvs_dest "$B3" 8080)]"
s_series "IPVS NEW_DEST" "IPVS 5 [$S_SVC,$(ipvs_dest "$B3" 8080 1)]"

S_BASE=true S_NEW="any(.backends[]; .backend == \"$B2:8080\" and .weight == 3)" S_REF_NEW=$REF_W3
S_REVERT="IPVS 6 [$S_SVC,$(ipvs_dest "$B2" 8080 2)]"
s_series "IPVS SET_DEST" "IPVS 6 [$S_SVC,$(ipvs_dest "$B2" 8080 3)]"

S_BASE='.backends_known == 2' S_NEW='.backends_known == 1' S_REF_NEW=$REF_DEL
S_REVERT="IPVS 5 [$S_SVC,$(ipvs_dest "$B2" 8080 2)]"
s_series "IPVS DEL_DEST" "IPVS 7 [$S_SVC,$(ipvs_dest "$B2" 8080)]"
[ "$LOST_RECORDS" = 0 ] ||
	log "IPVS NEW_DEST: $LOST_RECORDS failures left the new backend without a record until the work's retry made it"

# ---- slow start parameters on R (B3 ramping) ----------------------------------------------
R_BEFORE='' R_PBEFORE='' R_STEPS=0
r_prep() {
	wait_until 10 svc_is "$DR" "$RSVC" '(.pending | not) and .slow_start.ramping == 1 and
		.slow_start.aggression == 1 and .slow_start.min_pct == 10' || return 1
	R_BEFORE=$ST_VIEW R_PBEFORE=$ST_PVIEW R_STEPS=$ST_STEPS
}
r_verify() {
	local reply=$1
	tcp_ok 82 || bad "new connections through the VIP fail right after the request"
	svc_is "$DR" "$RSVC" || { bad "R is gone"; return; }
	consistent
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] || bad "refused without a failure: $reply"
		[[ $reply == "error 12 "*"cannot build the new table (out of memory); nothing changed"* ]] ||
			bad "refused with '$reply'"
		# a slow-start step in between moves the table, nothing else
		if [ "$ST_STEPS" = "$R_STEPS" ]; then
			[ "$ST_VIEW" = "$R_BEFORE" ] || bad "refused, but the state changed: before $R_BEFORE, after $ST_VIEW"
		else
			[ "$ST_PVIEW" = "$R_PBEFORE" ] || bad "refused, but a parameter changed: before $R_PBEFORE, after $ST_PVIEW"
		fi
		return
	fi
	wait_until 10 svc_is "$DR" "$RSVC" '(.pending | not) and .slow_start.aggression == 2 and
		.slow_start.min_pct == 20 and .slow_start.ramping == 1' ||
		bad "accepted, but not applied after the retry: $LAST_SVC"
	consistent "after the retry:"
	genl_do "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_AGGR,\"u32\",1000],[$P_SS_MIN_PCT,\"u32\",10]")]" ||
		bad "undo: ${GENL_OUT[*]}"
}
series "IPVS_MAGLEV SET_SERVICE slow-start" r_prep \
	"IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_AGGR,\"u32\",2000],[$P_SS_MIN_PCT,\"u32\",20]")]" r_verify

# ---- IPVS NEW_SERVICE with maglev ------------------------------------------------------------
n_verify() {
	local reply=$1
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] && [[ $reply == "error 12 "* ]] || bad "refused with '$reply'"
		svc_absent "$DR" "$NSVC" || bad "refused, but the scheduler keeps state for it"
		[ -z "$(ipvs_sched "$DR" -t "$VIP:83")" ] || bad "refused, but IPVS has the service"
		return
	fi
	wait_until 10 svc_is "$DR" "$NSVC" "(.pending | not) and .digest == \"$REF_EMPTY\"" ||
		bad "made, but no table like the reference's after the retry: $LAST_SVC"
	consistent
	genl_do "IPVS 3 [$(ipvs_svc tcp "$VIP" 83)]" || bad "delete: ${GENL_OUT[*]}"
}
series "IPVS NEW_SERVICE maglev" "svc_absent $DR $NSVC" "IPVS 1 [$(ipvs_svc tcp "$VIP" 83 maglev)]" n_verify

# ---- IPVS SET_SERVICE: rr to maglev ------------------------------------------------------------
u_verify() {
	local reply=$1 sched
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] && [[ $reply == "error 12 "* ]] || bad "refused with '$reply'"
		svc_absent "$DR" "$USVC" || bad "refused, but the scheduler keeps state for it"
		sched=$(ipvs_sched "$DR" -t "$VIP:84")
		if [ "$sched" = none ]; then
			# IPVS before it restored the old scheduler: its doing
			log "  IPVS left the service without a scheduler; back to rr"
			genl_do "IPVS 2 [$(ipvs_svc tcp "$VIP" 84 rr)]" || bad "back to rr: ${GENL_OUT[*]}"
		else
			[ "$sched" = rr ] || bad "refused, and the scheduler is '$sched'"
		fi
		tcp_ok 84 || bad "new connections fail after the refusal"
		return
	fi
	# a table that could not be built at once comes with the retry
	wait_until 10 svc_is "$DR" "$USVC" "(.pending | not) and .digest == \"$REF_U\"" ||
		bad "switched, but no table like the reference's after the retry: $LAST_SVC"
	consistent
	tcp_ok 84 || bad "new connections fail after the switch"
	genl_do "IPVS 2 [$(ipvs_svc tcp "$VIP" 84 rr)]" || bad "back to rr: ${GENL_OUT[*]}"
}
series "IPVS SET_SERVICE rr to maglev" "svc_absent $DR $USVC" "IPVS 2 [$(ipvs_svc tcp "$VIP" 84 maglev)]" u_verify

# ---- a vmalloc'ed table: the page allocator's failures -------------------------------------------
# A 65521-slot table and its scratch memory are larger than kmalloc gives
# cheaply: kvmalloc tries the page allocator first and falls back to
# vmalloc. Failing those attempts must still give the new table.
setup_or_die "page allocations only" fi_filter page
S_BASE='.table_size == 0' S_NEW='.table_size == 65521' S_REF=$REF_BASE S_REF_NEW=$REF_65521
S_ERR="cannot build the new table (out of memory); nothing changed"
S_REVERT="IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",0]")]"
s_series "IPVS_MAGLEV SET_SERVICE table-size 65521 (page allocator)" \
	"IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 80 ",[$P_TABLE,\"u32\",65521]")]"
setup_or_die "slab and page allocations" fi_filter slab+page

# ---- the pin table: namespaces that have none yet --------------------------------------------------
PN='' PN_K=0 PN_TABLE=0
# pn_new: a fresh namespace (the previous one goes: its pin table's
# sweep work would count in the kworker phases)
pn_new() {
	[ -n "$PN" ] && ip netns del "$PN"
	PN_K=$((PN_K + 1))
	PN=pn$PN_K-$$ PN_TABLE=0
	ip netns add "$PN" || return 1
	LIB_NS+=("$PN")
	ip -n "$PN" -batch - <<-EOF || return 1
		link set lo up
		link add d0 type dummy
		addr add 10.9.0.1/24 dev d0
		link set d0 up
	EOF
	genl_in "$PN" "IPVS 1 [$(ipvs_svc udp 10.9.0.100 53 maglev)]" &&
		genl_in "$PN" "IPVS 5 [$(ipvs_svc udp 10.9.0.100 53),$(ipvs_dest 10.9.0.2 53 1)]" &&
		genl_in "$PN" "IPVS 5 [$(ipvs_svc udp 10.9.0.100 53),$(ipvs_dest 10.9.0.3 53 1)]"
}
# pn_send PORT [N]: N datagrams (N flows, default 2) from PN to the service
pn_send() {
	in_ns "$PN" "$MGTRAFFIC" conn -u -c 10.9.0.100 -p "$1" -n "${2:-2}" -t 100 >/dev/null 2>&1
	return 0
}
pn_pins() { # pn_pins SERVICE PORT [N]: send, then the service has pins
	pn_send "$2" "${3:-2}"
	svc_is "$PN" "$1" '.pinning.entries >= 1'
}
pn_lookup_ok() {
	"$IPVSCTL" -N "$PN" maglev lookup "$1" 10.9.0.1:1000 2>/dev/null | grep -q '10\.9\.0\.[23]:'
}

PN_BEFORE=''
p_prep() {
	if [ -z "$PN" ] || [ "$PN_TABLE" = 1 ]; then
		pn_new || return 1
	fi
	INJ_NS=$PN
	wait_until 10 svc_is "$PN" "$PSVC" '(.pending | not) and .pinning.mode == "auto" and (.pinning.active | not)' ||
		return 1
	PN_BEFORE=$ST_VIEW
}
p_verify() {
	local reply=$1
	svc_is "$PN" "$PSVC" || { bad "the service is gone"; return; }
	consistent
	pn_lookup_ok "$PSVC" || bad "its table gives no backend"
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] || bad "refused without a failure: $reply"
		[[ $reply == "error 12 "*"cannot allocate the flow pin table; nothing changed"* ]] ||
			bad "refused with '$reply'"
		[ "$ST_VIEW" = "$PN_BEFORE" ] || bad "refused, but the state changed: before $PN_BEFORE, after $ST_VIEW"
		return
	fi
	PN_TABLE=1
	svc_is "$PN" "$PSVC" '.pinning.mode == "on" and .pinning.active' || bad "accepted, but pinning is not on"
	pn_pins "$PSVC" 53 || bad "accepted, but flows are not pinned: $LAST_SVC"
}
series "IPVS_MAGLEV SET_SERVICE pin on" p_prep \
	"IPVS_MAGLEV 3 [$(mg_svc udp 10.9.0.100 53 ",[$P_PIN,\"u8\",1]")]" p_verify

# ipvsadm -A ... -b flag-2: init_service makes the pin table
p2_prep() {
	if [ -z "$PN" ] || [ "$PN_TABLE" = 1 ]; then
		pn_new || return 1
	fi
	INJ_NS=$PN
	svc_absent "$PN" "$PSVC2"
}
p2_verify() {
	local reply=$1 i
	if [[ $reply == error* ]]; then
		[ "$2" = injected ] && [[ $reply == "error 12 "* ]] || bad "refused with '$reply'"
		svc_absent "$PN" "$PSVC2" || bad "refused, but the scheduler keeps state for it"
		return
	fi
	genl_in "$PN" "IPVS 5 [$(ipvs_svc udp 10.9.0.100 54),$(ipvs_dest 10.9.0.2 54 1)]" ||
		bad "a backend: ${GENL_OUT[*]}"
	wait_until 10 svc_is "$PN" "$PSVC2" '(.pending | not) and .pinning.active and .owners == 1' ||
		bad "made, but not settled with its backend: $LAST_SVC"
	consistent
	# a pin table that could not be made is made for the first packet
	for i in 1 2 3; do
		pn_pins "$PSVC2" 54 && break
	done
	[ "$ST_PINS" -ge 1 ] 2>/dev/null || bad "flows are never pinned: $LAST_SVC"
	PN_TABLE=1
	genl_in "$PN" "IPVS 3 [$(ipvs_svc udp 10.9.0.100 54)]" || bad "delete: ${GENL_OUT[*]}"
}
series "IPVS NEW_SERVICE maglev flag-2" p2_prep \
	"IPVS 1 [$(ipvs_svc udp 10.9.0.100 54 maglev 10000000)]" p2_verify

# ---- kworkers ---------------------------------------------------------------------------------------
# Only calls made under the path's own function count (the build, or the
# pin table's creation): the module's other work (pin sweeps, namespaces
# going away) cannot take the failure meant for the path.
#
# fi_sync N: failslab's interval counter to a multiple of N, then off:
# builds of G (table sizes 257 and 263 in turn) until one of their
# allocations fails. Armed again with times 1, the N-th counted call
# fails.
G_SIZE=257
fi_sync() {
	local i
	echo 0 >$FI/failslab/times
	echo 100 >$FI/failslab/probability
	echo "$1" >$FI/failslab/interval
	echo 1 >$FI/failslab/times
	for ((i = 0; i < $1 + 10; i++)); do
		G_SIZE=$((G_SIZE == 257 ? 263 : 257))
		genl_do "IPVS_MAGLEV 3 [$(mg_svc tcp "$GVIP" 80 ",[$P_TABLE,\"u32\",$G_SIZE]")]" ||
			[[ ${GENL_OUT[0]} == "error 12 "* ]] || break
		fi_fired failslab && return 0
	done
	echo 0 >$FI/failslab/times
	bad "failslab's counter cannot be synchronized (interval $1): ${GENL_OUT[*]}"
	return 1
}
fi_off() {
	local a
	for a in failslab fail_page_alloc; do
		echo 0 >$FI/$a/times
		echo 0 >$FI/$a/probability
		echo 1 >$FI/$a/interval
		echo 0 >$FI/$a/space
	done
}
KW_MAX=20
kw_done() { # the line of a kworker path, its series ended at N
	[ "$N" -gt "$KW_MAX" ] && bad "still failing at N=$KW_MAX"
	path_done $((N - 1))
}
# no other build may happen while armed: R's ramp ends here (its steps
# would be builds), and starts again for the slow-start phase
setup_or_die "R: no ramp" must "R: slow start off" "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_WINDOW,\"u32\",0]")]"
setup_or_die "R: settled" wait_until 10 svc_is "$DR" "$RSVC" '(.pending | not) and .slow_start.ramping == 0'
setup_or_die "builds only" fi_filter work "$BUILD_START" "$BUILD_END"

# -- a deferred build: a change within the holdoff of the last build ----------
HOLD=3000
setup_or_die "holdoff $HOLD ms" bash -c "echo $HOLD >$PARAMS/rebuild_holdoff_ms"
LABEL="work: deferred build" BAD=0 T0=$SECONDS
for ((N = 1; N <= KW_MAX; N++)); do
	wait_until 20 svc_is "$DR" "$SVC" "(.pending | not) and .last_rebuild_age_ms >= $HOLD and
		.digest == \"$REF_BASE\"" || { bad "S is not back to its baseline: $LAST_SVC"; break; }
	fi_sync "$N" || break
	# builds at once (holdoff over), then one to do within the holdoff
	genl_do "IPVS 6 [$S_SVC,$(ipvs_dest "$B2" 8080 3)]" &&
		genl_do "IPVS 6 [$S_SVC,$(ipvs_dest "$B2" 8080 2)]" || { bad "edits: ${GENL_OUT[*]}"; break; }
	svc_is "$DR" "$SVC" '.pending' || { bad "the second edit did not wait: $LAST_SVC"; break; }
	b_rebuilds=$ST_REBUILDS b_fails=$ST_FAILS
	echo 1 >$FI/failslab/times
	wait_ms $((HOLD + 3000)) fi_fired failslab
	echo 0 >$FI/failslab/times
	if fi_fired failslab; then fired=injected; else fired=not-reached; fi
	svc_is "$DR" "$SVC"
	log "  $LABEL, N=$N: $fired; rebuilds $b_rebuilds -> $ST_REBUILDS, failed $b_fails -> $ST_FAILS"
	consistent
	tcp_ok 80 || bad "new connections through the VIP fail"
	if [ "$fired" = injected ] && [ "$ST_FAILS" = "$b_fails" ]; then
		# The build went through: its own calls are all made before
		# anything else under it allocates (debug objects refill their
		# pool from call_rcu() when the table is retired, silently), so
		# no N-th call of the build was left: the end, as not reached.
		[ "$ST_REBUILDS" = $((b_rebuilds + 1)) ] && [ "$ST_PENDING" = false ] ||
			bad "the deferred build did not run: $LAST_SVC"
		log "  (taken by bookkeeping after the build's own calls: none of them failed)"
		break
	elif [ "$fired" = injected ]; then
		# the build failed; the retry, 1 s later, may have built already
		[ "$ST_FAILS" = $((b_fails + 1)) ] && [ "$ST_REBUILDS" -le $((b_rebuilds + 1)) ] ||
			bad "more than the build failed: $LAST_SVC"
		wait_until 10 svc_is "$DR" "$SVC" "(.pending | not) and .digest == \"$REF_BASE\" and .last_error == 0" ||
			bad "no table like the reference's after the retry: $LAST_SVC"
		consistent "after the retry:"
	else
		[ "$ST_FAILS" = "$b_fails" ] && [ "$ST_REBUILDS" = $((b_rebuilds + 1)) ] && [ "$ST_PENDING" = false ] ||
			bad "the deferred build did not run while armed: $LAST_SVC"
		break
	fi
done
fi_off
kw_done
setup_or_die "holdoff $HOLDOFF ms" bash -c "echo $HOLDOFF >$PARAMS/rebuild_holdoff_ms"

# -- slow-start steps: R's B3 ramps again over 200 s, a step every 10 s ---------
STEP=10000
r_ramp() { # B3 starts a new ramp of 20 steps
	genl_do "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_WINDOW,\"u32\",$((20 * STEP))]")]" &&
		genl_do "IPVS 6 [$R_SVC,$(ipvs_dest "$B3" 8080 0)]" &&
		genl_do "IPVS 6 [$R_SVC,$(ipvs_dest "$B3" 8080 1)]" &&
		wait_until 10 svc_is "$DR" "$RSVC" '.slow_start.ramping == 1 and (.pending | not)'
}
setup_or_die "R serving" wait_until 10 svc_is "$DR" "$RSVC" "$SERVING"
setup_or_die "a new ramp on R" r_ramp
LABEL="work: slow-start step" BAD=0 T0=$SECONDS tries=0
for ((N = 1; N <= KW_MAX; N++)); do
	# a ramp with time left for a few steps
	if ! jq -e --arg b "$B3:8080" '.slow_start.ramping == 1 and
		any(.backends[]; .backend == $b and .ramp_left_ms > 6 * '$STEP')' <<<"$LAST_SVC" >/dev/null; then
		r_ramp || { bad "cannot start a new ramp: $LAST_SVC"; break; }
	fi
	steps=$ST_STEPS
	# arm just after a step, for the next one alone
	wait_until $((STEP / 1000 + 10)) svc_is "$DR" "$RSVC" ".slow_start.ramp_builds > $steps and (.pending | not)" ||
		{ bad "no slow-start step: $LAST_SVC"; break; }
	now_ms
	t0=$NOW b_steps=$ST_STEPS b_fails=$ST_FAILS age=$ST_AGE
	fi_sync "$N" || break
	now_ms
	age=$((age + NOW - t0))
	if [ "$age" -gt $((STEP / 2)) ] || [ "$b_steps" != $((steps + 1)) ]; then
		N=$((N - 1))
		tries=$((tries + 1))
		[ $tries -le 5 ] && continue
		bad "cannot arm between two steps"
		break
	fi
	echo 1 >$FI/failslab/times
	wait_ms $((STEP - age + STEP / 2)) fi_fired failslab
	echo 0 >$FI/failslab/times
	if fi_fired failslab; then fired=injected; else fired=not-reached; fi
	svc_is "$DR" "$RSVC"
	log "  $LABEL, N=$N: $fired; steps $b_steps -> $ST_STEPS, failed $b_fails -> $ST_FAILS"
	consistent
	tcp_ok 82 || bad "new connections through the VIP fail"
	if [ "$fired" = injected ] && [ "$ST_FAILS" = "$b_fails" ]; then
		# the step's build went through (see the deferred build)
		[ "$ST_STEPS" = $((b_steps + 1)) ] || bad "no step ran: $LAST_SVC"
		log "  (taken by bookkeeping after the build's own calls: none of them failed)"
		break
	elif [ "$fired" = injected ]; then
		[ "$ST_FAILS" = $((b_fails + 1)) ] && [ "$ST_STEPS" = "$b_steps" ] ||
			bad "more than the step failed: $LAST_SVC"
		# the step is owed: the retry builds it, and the ramp goes on
		wait_until 10 svc_is "$DR" "$RSVC" '(.pending | not) and .last_error == 0' ||
			bad "the step was not retried: $LAST_SVC"
		consistent "after the retry:"
		[ "$ST_RAMPING" = 1 ] || bad "the ramp ended: $LAST_SVC"
	else
		[ "$ST_FAILS" = "$b_fails" ] && [ "$ST_STEPS" = $((b_steps + 1)) ] ||
			bad "no step ran while armed: $LAST_SVC"
		break
	fi
done
fi_off
kw_done
check "R: slow start off ends the ramp" genl_do "IPVS_MAGLEV 3 [$(mg_svc tcp "$VIP" 82 ",[$P_SS_WINDOW,\"u32\",0]")]"
check "R: the table is its reference's" \
	wait_until 10 svc_is "$DR" "$RSVC" "(.pending | not) and .slow_start.ramping == 0 and .digest == \"$REF_R\""

# -- the pin-table work: the first packet of a flag-2 service in a namespace
# without a pin table asks for it. Only calls under ip_vs_maglev_pins_create
# count. Its calls cannot be numbered as the builds' are (no request
# makes them on demand to bring the counter to a multiple of N): the
# first K fail, K = 1, 2, ... until fewer than K were made. (Each N-th
# alone is covered in the caller's task: "SET_SERVICE pin on".)
pw_run() { # pw_run failslab|fail_page_alloc K
	local a=$1 k=$2 fired has
	if [ -z "$PN" ] || [ "$PN_TABLE" = 1 ]; then
		pn_new || { bad "a fresh namespace"; return 2; }
	fi
	genl_in "$PN" "IPVS 2 [$(ipvs_svc udp 10.9.0.100 53 maglev 10000000)]" || { bad "flag-2: ${GENL_OUT[*]}"; return 2; }
	svc_is "$PN" "$PSVC" '.pinning.active and .pinning.entries == 0' || { bad "pinning not active: $LAST_SVC"; return 2; }
	echo 100 >$FI/$a/probability
	echo "$k" >$FI/$a/times
	pn_send 53 1
	wait_ms 5000 fi_fired "$a"
	fired=$((k - $(fi_times "$a")))
	fi_off
	# a table exists now exactly if the work made it: then one new flow
	# is pinned (without one, it only asks for the table)
	if pn_pins "$PSVC" 53 1; then has=made; else has="not made"; fi
	log "  $LABEL, first $k: $fired failed; pin table $has"
	consistent
	pn_lookup_ok "$PSVC" || bad "its table gives no backend"
	PN_TABLE=1
	if [ "$has" = made ]; then
		[ "$fired" -gt 0 ] && log "  (absorbed: kmemleak's pool, kvmalloc's fallback to vmalloc)"
	else
		[ "$fired" -gt 0 ] || bad "no failure, and no table"
		dmesg | grep -q 'cannot allocate the flow pin table' || bad "no table, and the work did not say so"
		# the next packets ask again
		wait_until 10 pn_pins "$PSVC" 53 || bad "the pin table is never made: $LAST_SVC"
	fi
	[ "$fired" = "$k" ]
}
setup_or_die "pin tables only" fi_filter work-vm "$PINS_START" "$PINS_END"
for a in failslab fail_page_alloc; do
	LABEL="work: pin table ($a)" BAD=0 T0=$SECONDS
	for ((N = 1; N <= KW_MAX; N++)); do
		pw_run $a $N || break
	done
	kw_done
done

# ---- the end -----------------------------------------------------------------------------------------
check "S: back to its reference table" svc_is "$DR" "$SVC" "(.pending | not) and .digest == \"$REF_BASE\" and ($CONSISTENT)"
check "S carries traffic" tcp_ok 80
check "R carries traffic" tcp_ok 82
check "U carries traffic (rr)" tcp_ok 84
total=0
for s in "${SUMMARY[@]}"; do
	total=$((total + ${s##*: }))
done
log "injection points per path:"
printf '  %s\n' "${SUMMARY[@]}"
log "$total failures injected in all"
[ "$PARTIAL_SEEN" = 0 ] || log "$PARTIAL_SEEN times a pending build left a deleted backend's slots unreported"

exit "$(lib_result)"
