#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chroot-7.2.sh build
#
# Build ip_vs_maglev.ko at W=1 for the newest kernel in Debian sid (7.2 when
# this was written). Its kbuild needs a newer glibc than bookworm's, so the
# build runs in a minimal sid chroot, created on first use and cached in
# $IPVSM_CACHE (default /var/cache/ipvs-maglev), outside the tree.
# Measured on the build machine: about 35 s to create the chroot and
# install the headers, then a few seconds per build.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${IPVSM_CACHE:-/var/cache/ipvs-maglev}
root=$cache/sid
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "chroot-7.2: needs root (debootstrap, chroot)" >&2; exit 1; }
[ "${1:-build}" = build ] || { echo "usage: $0 build" >&2; exit 2; }

in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C DEBIAN_FRONTEND=noninteractive "$@"
}

cleanup() {
	umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT

start=$(date +%s)
if [ ! -x "$root/usr/bin/make" ] || ! ls "$root"/usr/src/linux-headers-*-amd64 >/dev/null 2>&1; then
	command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap
	if [ ! -x "$root/bin/sh" ]; then
		echo "chroot-7.2: debootstrap sid into $root"
		mkdir -p "$cache"
		debootstrap --variant=minbase sid "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
	fi
	mount -t proc proc "$root/proc"
	# the mirror serves a dated snapshot: its Release files are "expired"
	in_root apt-get -qq -o Acquire::Check-Valid-Until=false update
	in_root apt-get install -y -qq --no-install-recommends gcc make linux-headers-amd64 >/dev/null
	echo "chroot-7.2: chroot ready in $(($(date +%s) - start))s"
fi

kdir=$(ls -d "$root"/lib/modules/*/build | sort -V | tail -n 1)
kver=$(basename "$(dirname "$kdir")")
dst=$root/build/ipvs-maglev
rm -rf "$dst"
mkdir -p "$dst/kmod" "$dst/include/uapi/linux"
cp "$top/Kbuild" "$top/dkms.conf" "$dst/"
cp "$top"/kmod/*.c "$top"/kmod/*.h "$dst/kmod/"
cp "$top/include/uapi/linux/ip_vs_maglev.h" "$dst/include/uapi/linux/"

# objtool reads /proc/self/limits
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
bstart=$(date +%s)
log=$top/build/kmod/$kver.log
mkdir -p "$top/build/kmod"
if ! in_root make -C "/lib/modules/$kver/build" M=/build/ipvs-maglev W=1 modules >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -n 30 >&2
	echo "matrix: FAIL $kver: build failed (build/kmod/$kver.log)"
	exit 1
fi
if grep -q 'warning:' "$log"; then
	grep -A3 'warning:' "$log" | head -n 40 >&2
	echo "matrix: FAIL $kver: warnings at W=1 (build/kmod/$kver.log)"
	exit 1
fi
mkdir -p "$top/build/kmod/$kver"
cp "$dst/ip_vs_maglev.ko" "$top/build/kmod/$kver/"
echo "matrix: ok $kver ($(($(date +%s) - bstart))s build, $(($(date +%s) - start))s in all)"
