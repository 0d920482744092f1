#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The libcurl floor (review C14): every libcurl option, info and multi
# option the health probes use must exist in the oldest libcurl ipvsctl accepts,
# and that floor must be the same in the three places that state it:
# health.c's CURL_MIN_TEXT (the message) and CURL_MIN_VERSION (what
# curl_load() checks), and debian/control's libcurl4 dependency.
#
# The version each symbol first appeared in is taken from curl's own
# table, docs/libcurl/symbols-in-versions (curl.se, "Introduced" column).
# A symbol health.c uses that is not listed below fails the test: add it,
# with its version from that table.
#
# KTAP output; exit status 0 if every point passed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${IPVSCTL_TOP:-$(cd "$here/../.." && pwd)}
src=$top/ipvsctl/health
# the probes that set libcurl options (net.c), and the loader that checks
# the floor (curl.c)
srcs=("$src"/*.c "$src"/*.h)
loader=$src/curl.c
control=$top/debian/control

# symbol, the libcurl version that introduced it
INTRODUCED="
CURLINFO_PRIVATE 7.10.3
CURLINFO_RESPONSE_CODE 7.10.8
CURLMOPT_SOCKETDATA 7.15.4
CURLMOPT_SOCKETFUNCTION 7.15.4
CURLMOPT_TIMERDATA 7.16.0
CURLMOPT_TIMERFUNCTION 7.16.0
CURLOPT_CONNECT_ONLY 7.15.2
CURLOPT_CONNECT_TO 7.49.0
CURLOPT_ERRORBUFFER 7.1
CURLOPT_FOLLOWLOCATION 7.1
CURLOPT_FORBID_REUSE 7.7
CURLOPT_FRESH_CONNECT 7.7
CURLOPT_NOSIGNAL 7.10
CURLOPT_PRIVATE 7.10.3
CURLOPT_PROTOCOLS_STR 7.85.0
CURLOPT_QUICK_EXIT 7.87.0
CURLOPT_SSL_VERIFYHOST 7.8.1
CURLOPT_SSL_VERIFYPEER 7.4.2
CURLOPT_TIMEOUT_MS 7.16.2
CURLOPT_URL 7.1
CURLOPT_USERAGENT 7.1
CURLOPT_WRITEDATA 7.9.7
CURLOPT_WRITEFUNCTION 7.1
"

n=0
fails=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
point() { # point COND-STATUS TEXT
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2" >>"$out"
	else
		echo "not ok $n $2" >>"$out"
		fails=$((fails + 1))
	fi
}
# ver_le A B: is version A <= B?
ver_le() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }

used=$(grep -ohE '\bCURL(OPT|INFO|MOPT)_[A-Z0-9_]+' "${srcs[@]}" | sort -u)
floor=$(sed -n 's/^#define CURL_MIN_TEXT "\(.*\)"$/\1/p' "$loader")
hex=$(sed -n 's/^#define CURL_MIN_VERSION \(0x[0-9a-fA-F]*\).*/\1/p' "$loader")
deb=$(sed -n 's/.*libcurl4 (>= \([0-9.]*\)).*/\1/p' "$control")

point $([ -n "$used" ] && [ -n "$floor" ]; echo $?) \
	"health.c uses $(echo "$used" | grep -c .) libcurl symbols; its floor is '$floor'"
newest=0
for s in $used; do
	v=$(echo "$INTRODUCED" | awk -v s="$s" '$1 == s { print $2 }')
	if [ -z "$v" ]; then
		point 1 "$s: not in this test's table (add it with its version from curl's symbols-in-versions)"
		continue
	fi
	ver_le "$newest" "$v" && newest=$v
	ver_le "$v" "$floor"
	point $? "$s (libcurl $v) exists in libcurl $floor"
done
IFS=. read -r ma mi pa <<<"$floor"
printf -v want '0x%02x%02x%02x' "$ma" "$mi" "${pa:-0}" 2>/dev/null
point $([ "$hex" = "$want" ]; echo $?) \
	"CURL_MIN_VERSION ($hex) is CURL_MIN_TEXT ($floor) as curl's version number ($want)"
point $([ "$deb" = "$floor" ]; echo $?) \
	"debian/control's libcurl4 (>= $deb) is the floor health.c checks ($floor)"
point $([ "$newest" = "$floor" ]; echo $?) \
	"the floor is the newest symbol's version ($newest), not higher than needed"

echo "TAP version 13"
echo "1..$n"
cat "$out"
echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ "$fails" -eq 0 ]
