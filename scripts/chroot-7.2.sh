#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# chroot-7.2.sh build
# chroot-7.2.sh dkms DEB     install the ipvs-maglev-dkms package DEB in the
#                           chroot and "dkms install" it for sid's kernel
# chroot-7.2.sh kernel      make sid's kernel bootable by the VM harness:
#                           its image and modules unpacked in the chroot
#                           (not installed: no initramfs is needed),
#                           indexed, and linked from the host's
#                           /boot/vmlinuz-KVER and /lib/modules/KVER, which
#                           the guest (the host's root over 9p) then sees;
#                           prints KVER
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
cmd=${1:-build}
case "$cmd" in
build|kernel) ;;
dkms) deb=$(realpath "${2:?usage: $0 dkms DEB}") || exit 2 ;;
*) echo "usage: $0 build | dkms DEB | kernel" >&2; exit 2 ;;
esac

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

if [ "$cmd" = kernel ]; then
	mdir=$root/lib/modules/$kver
	if [ ! -f "$mdir/vmlinuz" ] || [ ! -d "$mdir/kernel" ]; then
		mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
		rm -rf "$root/tmp/kdeb"
		mkdir -p "$root/tmp/kdeb"
		in_root sh -c "cd /tmp/kdeb && apt-get -qq -o Acquire::Check-Valid-Until=false update &&
			apt-get -qq download linux-binary-$kver linux-modules-$kver" >&2 ||
			{ echo "chroot-7.2: cannot download sid's kernel $kver" >&2; exit 1; }
		for d in "$root"/tmp/kdeb/*.deb; do
			dpkg-deb -x "$d" "$root" || exit 1
		done
		rm -rf "$root/tmp/kdeb"
	fi
	# sid's depmod, for sid's modules (and the DKMS module, if installed)
	in_root depmod "$kver" || exit 1
	cp "$mdir/vmlinuz" "/boot/vmlinuz-$kver"
	# The host's /lib/modules/KVER points to a view of sid's module
	# directory without build/ and source/: with them, the host's DKMS
	# would try to build for this kernel with bookworm's compiler and
	# glibc (and fail, failing every later "dpkg -i" of a DKMS package
	# here). kernel/ is linked; the index files are copied, because the
	# guest lays an overlay over this directory and writes its own index
	# over them (a write through a link would reach the read-only 9p
	# share). Refreshed each time: updates/ appears once DKMS installs.
	# A new view is made beside the old one and the link switched to it,
	# so a guest still reading the old one keeps its files until it ends.
	views=$root/ipvsm-host
	view=$views/$kver.$$
	mkdir -p "$view"
	for e in "$mdir"/*; do
		case ${e##*/} in
		build | source | vmlinuz) ;;
		kernel) ln -s "$e" "$view/" ;;
		*) cp -rL "$e" "$view/" || exit 1 ;;
		esac
	done
	if [ ! -e "/lib/modules/$kver" ] || [ -L "/lib/modules/$kver" ]; then
		ln -sfn "$view" "/lib/modules/$kver"
	fi
	# older views no guest boots from any more (a VM runs at most an
	# hour: the harness's timeout)
	find "$views" -mindepth 1 -maxdepth 1 -name "$kver.*" ! -path "$view" -mmin +120 \
		-exec rm -rf {} + 2>/dev/null
	rm -rf "${views:?}/$kver"	# the first layout's view, if any
	echo "$kver"
	exit 0
fi

if [ "$cmd" = dkms ]; then
	mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
	if [ ! -x "$root/usr/sbin/dkms" ]; then
		in_root apt-get -qq -o Acquire::Check-Valid-Until=false update
		in_root apt-get install -y -qq --no-install-recommends dkms >"$cache/dkms-apt.log" 2>&1 ||
			{ tail -n 20 "$cache/dkms-apt.log" >&2; echo "pkg: FAIL dkms in sid: cannot install dkms"; exit 1; }
	fi
	v=$(dpkg-deb -f "$deb" Version)
	mkdir -p "$root/tmp/pkg"
	cp "$deb" "$root/tmp/pkg/"
	log=$top/build/pkg/dkms-$kver.log
	mkdir -p "$top/build/pkg"
	# the package's postinst adds it to DKMS (and builds for the newest
	# kernel it finds); then the explicit build for sid's kernel
	if in_root dpkg -i "/tmp/pkg/$(basename "$deb")" >"$log" 2>&1 &&
	   in_root dkms install "ipvs-maglev/$v" -k "$kver" >>"$log" 2>&1 ||
	   grep -q 'already installed' "$log"; then
		# the chroot has the headers, not the image (no modules.dep):
		# check the installed file itself
		path=$(ls "$root/lib/modules/$kver"/updates/dkms/ip_vs_maglev.ko* 2>/dev/null | head -n 1)
		path=${path#"$root"}
		vm=$(in_root modinfo -F vermagic "$path" 2>/dev/null || true)
		mv=$(in_root modinfo -F version "$path" 2>/dev/null || true)
		case "$vm" in
		"$kver "*)
			if [ "$mv" = "$v" ]; then
				echo "pkg: ok install: dkms build + install for $kver in a sid chroot ($path)"
			else
				echo "pkg: FAIL install: $path in the sid chroot is version '$mv', not $v"
				exit 1
			fi
			;;
		*) echo "pkg: FAIL install: no DKMS module for $kver in the sid chroot (${path:-nothing}, vermagic '$vm')"; exit 1 ;;
		esac
	else
		tail -n 20 "$log" | sed 's/^/pkg:   /'
		echo "pkg: FAIL install: ipvs-maglev-dkms in a sid chroot for $kver (build/pkg/dkms-$kver.log)"
		exit 1
	fi
	exit 0
fi
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
