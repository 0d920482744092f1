#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# runner.sh TEST...
#
# Run kselftest-style test programs from the current directory and report
# them in KTAP, as tools/testing/selftests/kselftest/runner.sh does: one
# "ok"/"not ok" line per program, its output as "# " diagnostics, exit codes
# 0 pass, 4 skip, anything else fail, and a per-program timeout read from
# ./settings ("timeout=SECONDS", default 300). Ends with a totals line.
#
# Each program's full output is also kept in $IPVSM_RUN_DIR/logs/NAME.log.

timeout_s=300
if [ -f settings ]; then
	t=$(sed -n 's/^timeout=\([0-9]*\)$/\1/p' settings)
	[ -n "$t" ] && timeout_s=$t
fi
# a slower kernel (the debug kernel: KASAN, lockdep) scales it
timeout_s=$((timeout_s * ${TIMEOUT_SCALE:-1}))

logs=${IPVSM_RUN_DIR:-/tmp}/logs
mkdir -p "$logs"

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..$#"
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	start=$(date +%s)
	if [ ! -x "$t" ]; then
		echo "# $name: not found or not executable"
		echo "not ok $n selftests: net: $name # missing"
		fail=$((fail + 1))
		continue
	fi
	# Children get their own process group, so a timeout kills all of it.
	timeout --kill-after=10 "$timeout_s" "./$t" >"$logs/$name.log" 2>&1
	rc=$?
	sed 's/^/# /' "$logs/$name.log"
	secs=$(($(date +%s) - start))
	case $rc in
	0)
		echo "ok $n selftests: net: $name # ${secs}s"
		pass=$((pass + 1))
		;;
	4)
		echo "ok $n selftests: net: $name # SKIP"
		skip=$((skip + 1))
		;;
	124 | 137)
		echo "not ok $n selftests: net: $name # TIMEOUT ${timeout_s}s"
		fail=$((fail + 1))
		;;
	*)
		echo "not ok $n selftests: net: $name # exit=$rc ${secs}s"
		fail=$((fail + 1))
		;;
	esac
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail -eq 0 ]
