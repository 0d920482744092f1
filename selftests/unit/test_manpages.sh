#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The manual pages (man/* and ipvsctl/ipvsctl.8), checked as Debian's
# lintian checks them, and their examples checked by ipvsctl itself:
#   - groff -man -ww -z prints nothing;
#   - man --warnings, run as lintian runs it (UTF-8, 120 columns), prints
#     nothing; pages under man/ also fit 80 columns;
#   - lexgrog reads the NAME section, and it names the page;
#   - the .TH section is the file's;
#   - no trailing blank, no \' (acute accent), no bare '-' starting a
#     word (an option's dash must be \-, or it renders as a hyphen);
#   - each example marked '.\" test: MODE' in a page is accepted by the
#     tool: "state" by ipvsctl daemon --check and apply --dry-run, "json"
#     by apply --dry-run, "changes" by restore --dry-run. Without a
#     kernel, apply and restore check their whole input and stop when
#     they read the kernel's state; that error is accepted, any other not.
#
# KTAP output (as ktap.h); exit status 0 only if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
tool=${IPVSCTL_BIN:-$top/build/bin/ipvsctl}

n=0 pass=0 fail=0
out=()

ok() {	# ok COND_RC DESCRIPTION [DIAGNOSTIC...]
	local rc=$1 desc=$2 d
	shift 2
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		out+=("ok $n $desc")
	else
		fail=$((fail + 1))
		out+=("not ok $n $desc")
		for d in "$@"; do
			out+=("# $d")
		done
	fi
}

finish() {
	echo "TAP version 13"
	echo "1..$n"
	printf '%s\n' "${out[@]}"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" -eq 0 ]
	exit
}

# check DESCRIPTION OUTPUT: passes if OUTPUT is empty
check_quiet() {
	local desc=$1 o=$2
	if [ -z "$o" ]; then
		ok 0 "$desc"
	else
		local -a d
		mapfile -t d < <(echo "$o" | head -n 10)
		ok 1 "$desc" "${d[@]}"
	fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for t in groff:groff-base man:man-db lexgrog:man-db; do
	if ! type -P "${t%%:*}" >/dev/null; then
		ok 1 "${t%%:*} is installed" "install ${t#*:} (scripts/deps.sh installs lintian, which needs it)"
		finish
	fi
done

pages=("$top"/man/*.[1-9] "$top/ipvsctl/ipvsctl.8")
for p in "${pages[@]}"; do
	[ -f "$p" ] || continue
	rel=${p#"$top"/}
	base=${p##*/}
	name=${base%.*}
	sect=${base##*.}

	check_quiet "$rel: groff -man -ww -z prints nothing" \
		"$(groff -man -ww -z "$p" 2>&1)"
	check_quiet "$rel: man --warnings prints nothing (as lintian runs it)" \
		"$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=120 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)"
	if [[ $rel == man/* ]]; then
		check_quiet "$rel: fits 80 columns (man --warnings, MANWIDTH=80)" \
			"$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)"
	fi

	w=$(LC_ALL=C.UTF-8 lexgrog "$p" 2>&1) && [[ $w == *": \"$name - "?* ]]
	ok $? "$rel: lexgrog reads NAME, '$name \\- ...'" "lexgrog: $w"

	th=$(sed -n 's/^\.TH[[:space:]]\{1,\}\("[^"]*"\|[^[:space:]]*\)[[:space:]]\{1,\}"\{0,1\}\([^[:space:]"]*\).*/\2/p' "$p" | head -n 1)
	[ "$th" = "$sect" ]
	ok $? "$rel: .TH section is $sect" ".TH says '$th'"

	check_quiet "$rel: no trailing blank" "$(grep -n '[[:blank:]]$' "$p")"
	check_quiet "$rel: no \\' (acute accent)" "$(grep -n "\\\\'" "$p" | grep -v '^[0-9]*:\.[[:space:]]*ds[[:space:]]')"
	# a '-' that starts a word, outside comments, once every \- is gone
	check_quiet "$rel: every dash that starts a word is \\-" \
		"$(sed 's/\\-//g' "$p" | grep -nE '(^|[[:space:]"(])-' | grep -v '^[0-9]*:\.\\"')"
done

# ---- the examples -----------------------------------------------------------
# examples PAGE: write each marked example to $tmp/PAGE-N.MODE, with the
# escapes it uses undone, and print the file names
examples() {
	local p=$1 f
	awk -v dir="$tmp" -v page="${p##*/}" '
		/^\.\\" test: / { mode = $3; want = 1; next }
		want && /^\.EX/ { inside = 1; want = 0; k++
				  f = sprintf("%s/%s-%d.%s", dir, page, k, mode)
				  printf "" > f; print f; next }
		inside && /^\.EE/ { inside = 0; close(f); next }
		inside { print > f }
	' "$p" |
	while read -r f; do
		sed -i -e 's/\\-/-/g' -e 's/\\(dq/"/g' -e "s/\\\\(aq/'/g" -e 's/\\&//g' \
			-e 's/\\e/\\/g' "$f"
		echo "$f"
	done
}

# accepted CMD...: the tool accepted the input: it succeeded, or it
# stopped at the kernel's state after checking everything (not usage, 2)
accepted() {
	local o rc
	o=$("$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ $rc -eq 0 ] || { [ $rc -ne 2 ] && [[ $o == *"reading the current IPVS state"* ]]; }; then
		return 0
	fi
	echo "exit $rc: $o"
	return 1
}

if [ ! -x "$tool" ]; then
	ok 1 "the examples of the pages are accepted by ipvsctl" "no $tool: make ipvsctl"
	finish
fi
for p in "${pages[@]}"; do
	[ -f "$p" ] || continue
	rel=${p#"$top"/}
	while read -r f; do
		ex=${f##*/}
		ex=${ex#"${p##*/}"-}
		case $f in
		*.state)
			o=$("$tool" daemon --check -f "$f" 2>&1 >/dev/null)
			ok $? "$rel: example $ex: ipvsctl daemon --check accepts it" "$o"
			o=$(accepted "$tool" apply --dry-run -f "$f")
			ok $? "$rel: example $ex: ipvsctl apply --dry-run accepts it" "$o"
			;;
		*.json)
			o=$(accepted "$tool" apply --dry-run --format json -f "$f")
			ok $? "$rel: example $ex: ipvsctl apply --dry-run accepts it" "$o"
			;;
		*.changes)
			o=$(accepted "$tool" restore --dry-run "$f")
			ok $? "$rel: example $ex: ipvsctl restore --dry-run accepts it" "$o"
			;;
		*)
			ok 1 "$rel: example $ex: a known test mode (state, json, changes)"
			;;
		esac
	done < <(examples "$p")
done

finish
