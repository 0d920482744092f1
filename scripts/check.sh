#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything CI runs, in order, on a fresh machine:
#   1. scripts/deps.sh       install what is missing (quick when nothing is)
#   2. build                 ipvsctl and the test tools
#   3. unit                  host unit tests (KTAP), no root or VM needed
#   4. matrix                the module for every matrix kernel at W=1, and
#                            for sid's newest (7.2) in a cached sid chroot
#   5. package               the Debian packages (dpkg-buildpackage, lintian),
#                            installed here; DKMS builds the module for every
#                            matrix kernel (scripts/pkg.sh)
#   6. vm                    the VM suite on each kernel, one boot each, with
#                            the DKMS-installed module loaded by modprobe
# Counts every test point, prints the time of each stage, and ends with
# "N passed, N failed" alone on the last line. Exit 0 only if none failed.
#
#   CHECK_KVERS="6.1.0-56-amd64 ..."   kernels for the VM stage (default:
#                                      every kernel of the matrix)

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

passed=0
failed=0
# what failed, one line each, printed again just above the last line so
# that a CI view showing only the tail still says which test it was
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT
t0=$(date +%s)
stage_start=$t0

stage() {
	local now
	now=$(date +%s)
	echo "check: === $* ($((now - t0))s elapsed)"
	stage_start=$now
}

stage_done() {
	echo "check: --- $1 took $(($(date +%s) - stage_start))s"
}

# note_failures PREFIX: lines of stdin that report a failure, kept
note_failures() {
	grep -E '^(# )?(not ok|FAIL)|^(matrix|pkg): FAIL|^check: FAIL' |
		sed "s|^|$1|" >>"$failures"
}

finish() {
	if [ -s "$failures" ]; then
		echo "check: what failed ($(wc -l <"$failures") lines, the first 30):"
		head -n 30 "$failures"
	fi
	echo "check: total $(($(date +%s) - t0))s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

stage deps
if ! scripts/deps.sh; then
	echo "check: dependency installation failed"
	echo "check: FAIL dependency installation" >>"$failures"
	failed=$((failed + 1))
	finish
fi
stage_done deps

stage build
if make -s ipvsctl tools; then
	passed=$((passed + 1))
else
	echo "check: FAIL building ipvsctl and tools"
	echo "check: FAIL building ipvsctl and tools" >>"$failures"
	failed=$((failed + 1))
	finish
fi
stage_done build

stage unit
if ! make -s -C selftests/unit all; then
	echo "check: FAIL building unit tests"
	failed=$((failed + 1))
else
	for p in build/unit/*; do
		[ -x "$p" ] && [ -f "$p" ] || continue
		out=$("$p" 2>&1)
		rc=$?
		echo "$out" | sed "s|^|unit: $(basename "$p"): |"
		echo "$out" | note_failures "unit: $(basename "$p"): "
		[ $rc -ne 0 ] && echo "unit: $(basename "$p"): exit status $rc" >>"$failures"
		read -r p_ok p_fail < <(echo "$out" | sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*/\1 \2/p')
		if [ -z "${p_ok:-}" ]; then
			p_ok=0
			p_fail=1
		fi
		[ $rc -ne 0 ] && [ "$p_fail" -eq 0 ] && p_fail=1
		passed=$((passed + p_ok))
		failed=$((failed + p_fail))
	done
	# memory errors and definite leaks, where ipvsctl's code runs on the
	# host: the planner and the probe loop (curl, sockets, child processes)
	for t in test_plan test_health; do
		if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
			"build/unit/$t" >"build/unit/$t.valgrind-out" 2>"build/unit/$t.valgrind"; then
			echo "unit: valgrind $t: ok (no memory error, no definite leak)"
			passed=$((passed + 1))
		else
			echo "unit: valgrind $t: FAIL (build/unit/$t.valgrind)"
			echo "unit: valgrind $t: FAIL" >>"$failures"
			note_failures "unit: valgrind $t: " <"build/unit/$t.valgrind-out"
			grep '^not ok' "build/unit/$t.valgrind-out"
			grep -v 'syscall: 434\|handler\|README_MISSING\|consider this a bug\|bug_reports' \
				"build/unit/$t.valgrind" | head -n 40
			failed=$((failed + 1))
		fi
	done
fi
stage_done unit

stage matrix
out=$(scripts/matrix.sh 2>&1; scripts/chroot-7.2.sh build 2>&1)
echo "$out"
echo "$out" | note_failures ""
passed=$((passed + $(echo "$out" | grep -c '^matrix: ok ')))
failed=$((failed + $(echo "$out" | grep -c '^matrix: FAIL ')))
stage_done matrix

stage package
out=$(scripts/pkg.sh all 2>&1)
echo "$out"
echo "$out" | note_failures ""
pkg_ok=$(echo "$out" | grep -c '^pkg: ok ')
pkg_fail=$(echo "$out" | grep -c '^pkg: FAIL ')
passed=$((passed + pkg_ok))
failed=$((failed + pkg_fail))
# The VM suite tests what an operator installs: the DKMS-built module,
# found by modprobe under /lib/modules/KVER/updates/dkms. If the package
# stage failed, test the tree's own build instead (the failure is counted).
vm_module=installed
[ "$pkg_fail" -eq 0 ] && [ "$pkg_ok" -gt 0 ] || vm_module=build
stage_done package

kvers=${CHECK_KVERS:-$(scripts/kvers.sh | awk '{ print $2 }')}
for k in $kvers; do
	stage "vm $k"
	mkdir -p build/vm
	selftests/vm/run.sh -k "$k" -M "$vm_module" 2>&1 | tee "build/vm/check-$k.log"
	note_failures "vm $k: " <"build/vm/check-$k.log"
	out=$(tail -n 1 "build/vm/check-$k.log")
	read -r v_ok v_fail < <(echo "$out" | sed -n "s/^$k: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p")
	if [ -z "${v_ok:-}" ]; then
		echo "check: FAIL vm $k: no summary from the harness"
		echo "check: FAIL vm $k: no summary from the harness" >>"$failures"
		v_ok=0
		v_fail=1
	fi
	passed=$((passed + v_ok))
	failed=$((failed + v_fail))
	stage_done "vm $k"
done

finish
