#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh [KVER...]: build ip_vs_maglev.ko for every kernel of the matrix
# (scripts/kvers.sh) with W=1 and sparse (C=1). A compiler or sparse warning
# fails the kernel's build.
# One line per kernel: "matrix: ok KVER (Ns)" or "matrix: FAIL KVER ...";
# exit status 1 if any failed.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -gt 0 ]; then
	kvers=$*
else
	kvers=$("$top/scripts/kvers.sh" | awk '{ print $2 }') || exit 1
fi

rc=0
for k in $kvers; do
	log=$top/build/kmod/$k.log
	mkdir -p "$top/build/kmod"
	start=$(date +%s)
	# W=1 only re-warns files it compiles: start clean for a full report
	rm -rf "$top/build/kmod/$k"
	if "$top/scripts/build-kmod.sh" "$k" -- W=1 C=1 >"$log" 2>&1; then
		if grep -q 'warning:' "$log"; then
			echo "matrix: FAIL $k: warnings at W=1 or from sparse (build/kmod/$k.log):"
			grep -A3 'warning:' "$log" | head -n 40 | sed 's/^/matrix:   /'
			rc=1
		else
			echo "matrix: ok $k ($(($(date +%s) - start))s)"
		fi
	else
		echo "matrix: FAIL $k: build failed (build/kmod/$k.log):"
		grep -E 'error|Error' "$log" | head -n 20 | sed 's/^/matrix:   /'
		rc=1
	fi
done
exit $rc
