#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-kmod.sh KVER [KDIR] [-- extra kbuild arguments]
#
# Build ip_vs_maglev.ko for one kernel in build/kmod/KVER/, a private copy
# of the module sources, so builds for several kernels never share objects.
# Sources are copied with their timestamps, so kbuild rebuilds only what
# changed. Prints the path of the module on success.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
shift
kdir=/lib/modules/$kver/build
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	kdir=$1
	shift
fi
[ "${1:-}" = -- ] && shift

if [ ! -f "$kdir/Makefile" ]; then
	echo "build-kmod: no kernel build tree at $kdir" >&2
	echo "build-kmod: install linux-headers-$kver (scripts/deps.sh does) or pass KDIR=" >&2
	exit 1
fi

out=$top/build/kmod/$kver
mkdir -p "$out/kmod" "$out/include/uapi/linux"
cp -p "$top/Kbuild" "$top/dkms.conf" "$out/"
cp -p "$top"/kmod/*.c "$top"/kmod/*.h "$out/kmod/"
cp -p "$top/include/uapi/linux/ip_vs_maglev.h" "$out/include/uapi/linux/"
# drop sources that no longer exist upstream
for f in "$out"/kmod/*.c "$out"/kmod/*.h; do
	[ -e "$top/kmod/$(basename "$f")" ] || rm -f "$f"
done

make -C "$kdir" M="$out" "$@" modules >&2
echo "$out/ip_vs_maglev.ko"
