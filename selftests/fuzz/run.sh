#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [SECONDS]: build the config-parser fuzz target (grammar and JSON) with clang's
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, and run it
# for SECONDS (default 60) from the corpus kept in selftests/fuzz/corpus
# (read only: new inputs go to build/fuzz/new). Prints KTAP; exits 0 only
# if the run ended by time with no crash, sanitizer report or leak.
# A crashing input is left in build/fuzz/ as crash-* for replay:
#   build/fuzz/fuzz_grammar build/fuzz/crash-...

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
out=$top/build/fuzz
mkdir -p "$out/new"

echo "TAP version 13"
echo "1..2"
pkgs=$(pkg-config --cflags libnl-3.0 libnl-genl-3.0 json-c)
libs=$(pkg-config --libs json-c)
# shellcheck disable=SC2086
if clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -I"$top/ipvsctl" -I"$top/include/uapi" $pkgs \
	-o "$out/fuzz_grammar" "$top/selftests/fuzz/fuzz_grammar.c" \
	"$top"/ipvsctl/{base/array,model/model,model/addr,model/scope,config/words,config/units,config/grammar,config/health_words,config/ipvsadm,config/print,config/json,state/plan,state/plan_svc,state/plan_run,state/diff,state/policy}.c \
	$libs >"$out/build.log" 2>&1; then
	echo "ok 1 fuzz_grammar builds (libFuzzer, ASan, UBSan)"
else
	sed 's/^/# /' "$out/build.log" | head -n 30
	echo "not ok 1 fuzz_grammar builds"
	echo "not ok 2 fuzz_grammar runs # not built"
	echo "# Totals: pass:0 fail:2 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
seeds=$(find "$top/selftests/fuzz/corpus" -type f | wc -l)
(cd "$out" && ./fuzz_grammar -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$out/" \
	"$out/new" "$top/selftests/fuzz/corpus") >"$out/run.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run.log")
cov=$(grep -o 'cov: [0-9]*' "$out/run.log" | tail -n 1)
if [ $rc -eq 0 ] && [ -n "$runs" ]; then
	echo "ok 2 fuzz_grammar: ${runs} inputs in ${secs}s from $seeds seeds ($cov), no crash, sanitizer report or leak"
	echo "# Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0"
	exit 0
fi
grep -E 'ERROR|SUMMARY|==[0-9]+==|crash-|leak' "$out/run.log" | head -n 30 | sed 's/^/# /'
echo "not ok 2 fuzz_grammar: exit $rc (build/fuzz/run.log)"
echo "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0"
exit 1
