#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KVER OUT
#
# Build the smallest initramfs that can put a Debian kernel on the host's
# root filesystem over virtio-9p: static busybox, the virtio/9p modules in
# load order (decompressed: busybox insmod cannot read .ko.xz/.ko.zst), and
# selftests/vm/init. Everything else the guest runs comes from the host's
# root after switch_root.

set -eu

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

[ -d "/lib/modules/$kver" ] || { echo "mkinitramfs: /lib/modules/$kver missing (run scripts/deps.sh)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "mkinitramfs: /bin/busybox missing (install busybox-static)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/newroot"
cp /bin/busybox "$tmp/bin/busybox"
for app in sh mount umount mkdir insmod switch_root cat echo sleep ls mknod; do
	ln -s busybox "$tmp/bin/$app"
done

# Module load order, deduplicated, from modprobe's own dependency walk.
: >"$tmp/lib/modules/order"
n=0
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	n=$((n + 1))
	name=$(printf '%02d-%s' "$n" "$(basename "$ko" | sed 's/\.ko.*$//').ko")
	case "$ko" in
	*.ko.xz)  xz -dc "$ko" >"$tmp/lib/modules/$name" ;;
	*.ko.zst) zstd -qdc "$ko" >"$tmp/lib/modules/$name" ;;
	*.ko.gz)  gzip -dc "$ko" >"$tmp/lib/modules/$name" ;;
	*)        cp "$ko" "$tmp/lib/modules/$name" ;;
	esac
	echo "$name" >>"$tmp/lib/modules/order"
done

install -m 0755 "$here/init" "$tmp/init"

(cd "$tmp" && find . | LC_ALL=C sort | cpio --quiet -o -H newc) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
