#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel matrix, one "SERIES KVER" line per kernel: the newest
# Debian amd64 flavour of each series that apt knows about.
#
#   scripts/kvers.sh            all series
#   scripts/kvers.sh 6.1        just the version for one series
#   scripts/kvers.sh --series   the series names only
#
# Only apt's local package lists are read (no network), so the answer is
# stable for a given mirror snapshot. scripts/deps.sh installs exactly what
# this prints. The series list lives here and nowhere else.

SERIES="5.10 6.1 6.12"

# Debian names its ABIs differently per series:
#   5.10 / 6.1: linux-image-5.10.0-32-amd64, linux-image-6.1.0-56-amd64
#   6.12 (bookworm-security): linux-image-6.12.117+deb12-amd64
pattern() {
	case "$1" in
	5.10|6.1) echo "^linux-headers-$(echo "$1" | sed 's/\./\\./g')\\.0-[0-9]+-amd64\$" ;;
	*)        echo "^linux-headers-$(echo "$1" | sed 's/\./\\./g')\\.[0-9]+\\+deb[0-9]+-amd64\$" ;;
	esac
}

newest() {
	echo "$NAMES" | grep -E "$(pattern "$1")" |
		sed 's/^linux-headers-//' | sort -V | tail -n 1
}

[ "${1:-}" = --series ] || NAMES=$(apt-cache pkgnames linux-headers- 2>/dev/null)

case "${1:-}" in
--series)
	echo "$SERIES"
	exit 0
	;;
"")
	rc=0
	for s in $SERIES; do
		v=$(newest "$s")
		if [ -z "$v" ]; then
			echo "kvers: no linux-headers package for series $s in apt's lists (run scripts/deps.sh)" >&2
			rc=1
			continue
		fi
		echo "$s $v"
	done
	exit $rc
	;;
*)
	v=$(newest "$1")
	if [ -z "$v" ]; then
		echo "kvers: no linux-headers package for series $1 in apt's lists (run scripts/deps.sh)" >&2
		exit 1
	fi
	echo "$v"
	;;
esac
