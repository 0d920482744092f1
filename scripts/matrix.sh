#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# matrix.sh [KVER...]: build ip_vs_maglev.ko for every kernel of the matrix
# (scripts/kvers.sh) with W=1 and sparse (C=1). A compiler or sparse warning
# fails the kernel's build. Then the built module's parameters, as modinfo
# lists them, must be exactly those kmod/*.c declares, each with a
# description (MODULE_PARM_DESC).
# Two lines per kernel, each "matrix: ok KVER ..." or "matrix: FAIL KVER
# ..."; exit status 1 if any failed.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -gt 0 ]; then
	kvers=$*
else
	kvers=$("$top/scripts/kvers.sh" | awk '{ print $2 }') || exit 1
fi

# The parameters kmod/*.c declares: the first argument of every
# module_param*() (module_param, _cb, _named, _array, _string...).
declared_parms() {
	sed -n 's/^[[:space:]]*module_param[a-z_]*([[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*,.*/\1/p' \
		"$top"/kmod/*.c | sort -u
}

# parm_check KVER KO: one "matrix:" line. modinfo prints a parameter as
# "NAME:DESCRIPTION", with " (TYPE)" appended when the type is known; a
# parameter without MODULE_PARM_DESC shows as "NAME: (TYPE)", or, declared
# with module_param_cb(), not at all.
parm_check() {
	local k=$1 ko=$2 want have missing extra bare line name desc type n
	want=$(declared_parms)
	if ! have=$(modinfo -F parm "$ko" 2>&1); then
		echo "matrix: FAIL $k parameters: modinfo failed: $have"
		return 1
	fi
	bare=
	while IFS= read -r line; do
		case $line in
		[A-Za-z0-9_]*:*) ;;
		*) continue ;;	# a description's continuation line
		esac
		name=${line%%:*}
		desc=${line#*:}
		type=$(modinfo -F parmtype "$ko" | sed -n "s/^$name://p")
		[ -n "$type" ] && desc=${desc% ("$type")}
		desc=$(echo "$desc" | tr -d '[:space:]')
		[ -n "$desc" ] || bare="$bare $name"
	done <<<"$have"
	have=$(echo "$have" | sed -n 's/^\([A-Za-z0-9_]*\):.*/\1/p' | sort -u)
	missing=$(comm -23 <(echo "$want") <(echo "$have") | xargs)
	extra=$(comm -13 <(echo "$want") <(echo "$have") | xargs)
	n=$(echo "$want" | grep -c .)
	if [ -z "$missing$extra$bare" ]; then
		echo "matrix: ok $k parameters: the $n declared in kmod/*.c, each described by modinfo"
		return 0
	fi
	echo "matrix: FAIL $k parameters (modinfo -F parm build/kmod/$k/ip_vs_maglev.ko):"
	[ -n "$missing" ] && echo "matrix:   declared in kmod/*.c, not listed by modinfo (no MODULE_PARM_DESC?): $missing"
	[ -n "$extra" ] && echo "matrix:   listed by modinfo, not declared in kmod/*.c: $extra"
	[ -n "$bare" ] && echo "matrix:   without a description:$bare"
	return 1
}

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
	ko=$top/build/kmod/$k/ip_vs_maglev.ko
	if [ -f "$ko" ]; then
		parm_check "$k" "$ko" || rc=1
	fi
done
exit $rc
