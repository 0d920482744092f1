#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipvsctl's layout by layer (README, "ipvsctl's layout"): every source
# file lives in the folder of its layer, and includes only headers of its
# own folder or of a lower layer. The layers, lowest first (one rank may
# hold several folders; folders of the same rank do not include each
# other):
#
#   0 base/     exit codes, identities, errno words, clocks, files
#   1 model/    the state in memory, and an identity's words
#   2 config/   words, units, the grammar, JSON input, ipvsadm import
#   2 kernel/   netlink, the IPVS and IPVS_MAGLEV codecs, the loader
#   2 health/   the probe loop, libcurl, the state file
#   3 state/    diff, plan, reconcile, the backend policy
#   3 output/   the JSON encoders of the listings
#   3 kube/     Kubernetes objects, and what a service proxy makes of them
#   4 cmd/      the commands
#   5 ipvsctl.c dispatch only
#
# Also: no file longer than LINES_MAX lines but the tables named below,
# no function longer than FUNC_MAX, every header compiles on its own, and
# ipvsctl.c defines no function but the dispatcher's own.
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
src=$top/ipvsctl
LINES_MAX=${LINES_MAX:-600}
# files allowed past LINES_MAX: each is one table, and why
TABLES="
"

rank() {
	case $1 in
	base | model) [ "$1" = base ] && echo 0 || echo 1 ;;
	config | kernel | health) echo 2 ;;
	state | output | kube) echo 3 ;;
	cmd) echo 4 ;;
	.) echo 5 ;;
	*) echo -1 ;;
	esac
}

n=0
fail=0
point() { # point OK TEXT
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=$((fail + 1))
	fi
}

echo "TAP version 13"
cd "$src" || exit 1
mapfile -t files < <(find . -name '*.[ch]' | sed 's|^\./||' | sort)

# 1. every file in a layer's folder
bad=""
for f in "${files[@]}"; do
	d=$(dirname "$f")
	[ "$(rank "$d")" -ge 0 ] || bad="$bad $f"
	[ "$d" = . ] && [ "$f" != ipvsctl.c ] && bad="$bad $f"
done
point "$([ -z "$bad" ]; echo $?)" "every source file is in a layer's folder (${#files[@]} files)${bad:+: not:$bad}"

# 2. includes name their layer, and run only downwards
bad=""
edges=0
for f in "${files[@]}"; do
	d=$(dirname "$f")
	r=$(rank "$d")
	while IFS= read -r inc; do
		edges=$((edges + 1))
		id=${inc%%/*}
		if [ "$id" = "$inc" ]; then
			bad="$bad $f->$inc(no-folder)"
			continue
		fi
		ir=$(rank "$id")
		if [ "$ir" -lt 0 ] || { [ "$id" != "$d" ] && [ "$ir" -ge "$r" ]; }; then
			bad="$bad $f->$inc"
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
point "$([ -z "$bad" ]; echo $?)" "every include ($edges) names its folder and goes to the same folder or a lower layer${bad:+: not:$bad}"

# 3. sizes
bad=""
for f in "${files[@]}"; do
	l=$(wc -l <"$f")
	case $TABLES in *" $f "*) continue ;; esac
	[ "$l" -le "$LINES_MAX" ] || bad="$bad $f($l)"
done
largest=$(for f in "${files[@]}"; do echo "$(wc -l <"$f") $f"; done | sort -rn | head -1)
longest=${longest:-0 none}
point "$([ -z "$bad" ]; echo $?)" "no file over $LINES_MAX lines (largest: ${largest#* }, ${largest%% *})${bad:+: over:$bad}"

# 4. ipvsctl.c only dispatches
defs=$(sed -n 's/^[a-z].*[ *]\([a-z_][a-z_0-9]*\)(.*/\1/p' ipvsctl.c | sort -u | tr '\n' ' ')
extra=""
for fn in $defs; do
	case " usage cmd_version cmd_help find_command main " in
	*" $fn "*) ;;
	*) extra="$extra $fn" ;;
	esac
done
point "$([ -z "$extra" ]; echo $?)" "ipvsctl.c defines only the dispatcher's functions (${defs% })${extra:+; also:$extra}"

# 5. every header compiles alone: a file's includes can be sorted, and
# a header says what it needs
bad=""
nh=0
cflags="-I$src -I$top/include/uapi $(pkg-config --cflags libnl-3.0 libnl-genl-3.0 json-c libcurl 2>/dev/null)"
for f in "${files[@]}"; do
	case $f in *.h) ;; *) continue ;; esac
	nh=$((nh + 1))
	# shellcheck disable=SC2086 # a list of flags
	printf '#include "%s"\n' "$f" |
		${CC:-cc} -x c -fsyntax-only -Wall -Werror $cflags - >/dev/null 2>&1 ||
		bad="$bad $f"
done
point "$([ -z "$bad" ]; echo $?)" "each of the $nh headers compiles on its own${bad:+: not:$bad}"

# 6. functions short enough to read at once: a function runs from its
# line at column 0 to the "}" at column 0 that ends it
FUNC_MAX=${FUNC_MAX:-150}
longest=$(for f in "${files[@]}"; do
	case $f in *.c) ;; *) continue ;; esac
	awk -v f="$f" '
		/^[a-z].*\(/ && !/;$/ { name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); start = NR }
		/^\}/ && start { print NR - start + 1, f ":" name; start = 0 }' "$f"
done | sort -rn | head -1)
longest=${longest:-0 none}
point "$([ "${longest%% *}" -le "$FUNC_MAX" ]; echo $?)" "no function over $FUNC_MAX lines (longest: ${longest#* }, ${longest%% *})"

# 7. the checker itself: a lower layer including a higher one is caught
if [ -z "${LAYERS_PROBE:-}" ]; then
probe=$(mktemp -d)
mkdir -p "$probe/ipvsctl/model" "$probe/ipvsctl/cmd"
printf '#include "cmd/cmd.h"\n' >"$probe/ipvsctl/model/x.c"
printf 'int main(void) { return 0; }\n' >"$probe/ipvsctl/ipvsctl.c"
out=$(LAYERS_PROBE=1 IPVSCTL_TOP=$probe "$self" 2>&1)
rm -rf "$probe"
case $out in
*"not ok 2"*"model/x.c->cmd/cmd.h"*) point 0 "an upward include (model/ -> cmd/) is reported" ;;
*) point 1 "an upward include (model/ -> cmd/) is reported (got: $(echo "$out" | grep '^not ok' | head -2))" ;;
esac
fi

echo "1..$n"
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
