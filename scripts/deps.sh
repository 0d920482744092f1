#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package this project needs to build, test, demo and
# benchmark: compilers, the kernel matrix (headers + images), QEMU and the
# guest's tools, the libraries ipvsctl links against, and the peers the
# tests compare with (ipvsadm, keepalived).
#
# Idempotent and quick on a second run: when everything is installed it
# only checks dpkg's database and exits. Needs root (or sudo) only when
# something is missing.
#
#   scripts/deps.sh            install what is missing
#   scripts/deps.sh --check    exit 1 (and list them) if packages are missing
#
# The 5.10 kernel comes from Debian bullseye, added as an extra suite with
# pin priority 50 so that nothing else on the machine is upgraded from it.
#
# The kernel's YNL client and netlink schemas (tools/net/ynl and
# Documentation/netlink/*.yaml, not the kernel's own specs) are extracted
# from Debian's linux-source tarball into $YNL_DIR, a fixed place that the
# VM guests see too (they run the host's root read-only): the tests drive
# the module through docs/netlink/ipvs_maglev.yaml with them. Extracted
# again only when the linux-source package changes version.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
check_only=0
[ "${1:-}" = --check ] && check_only=1

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Everything that is not a kernel. Why each is here:
#   build:     gcc make pkg-config libc6-dev
#   ipvsctl:   libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libpopt-dev
#              libjson-c-dev (JSON in and out), libcurl4-openssl-dev (HTTP probes)
#   VM lab:    qemu-system-x86 busybox-static kmod xz-utils cpio
#   guest:     iproute2 procps ipvsadm python3 (tests run with the host's tools)
#   peers:     ipvsadm keepalived
#   checks:    sparse valgrind gnuplot-nox (bench plots), jq (the Kubernetes example),
#              python3-prometheus-client (parses the metrics output in tests)
#   packaging: dpkg-dev debhelper dh-dkms dkms lintian fakeroot (the .debs, DKMS),
#              groff-base man-db (man pages checked and rendered)
#   fuzzing:   clang libclang-rt-14-dev (libFuzzer, sanitizers: the config parser)
#   ynl:       linux-source-6.12 (the kernel's YNL client and netlink schemas),
#              python3-yaml python3-jsonschema (what they need)
YNL_SRC_PKG=linux-source-6.12
YNL_TARBALL=/usr/src/$YNL_SRC_PKG.tar.xz
YNL_DIR=/usr/local/share/ipvs-maglev/ynl

BASE_PKGS="gcc make pkg-config libc6-dev
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libpopt-dev
	libjson-c-dev libcurl4-openssl-dev
	qemu-system-x86 busybox-static kmod xz-utils cpio
	iproute2 procps ipvsadm keepalived python3 nftables libnftables1 curl
	sparse valgrind gnuplot-nox jq python3-prometheus-client
	dpkg-dev debhelper dh-dkms dkms lintian fakeroot groff-base man-db
	clang libclang-rt-14-dev
	$YNL_SRC_PKG python3-yaml python3-jsonschema"

BULLSEYE_SRC=/etc/apt/sources.list.d/ipvs-maglev-bullseye.sources
BULLSEYE_PIN=/etc/apt/preferences.d/ipvs-maglev-bullseye

mirror_uri() {
	# Reuse the mirror the machine already uses for Debian itself.
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

bullseye_src_text() {
	cat <<EOF
Types: deb
URIs: $(mirror_uri)
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

bullseye_pin_text() {
	cat <<EOF
Package: *
Pin: release n=bullseye
Pin-Priority: 50
EOF
}

# write FILE from stdin only if its content differs; prints "changed" if so
write_if_changed() {
	tmp=$(mktemp)
	cat >"$tmp"
	if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
		return 0
	fi
	$SUDO install -m 0644 "$tmp" "$1"
	rm -f "$tmp"
	echo changed
}

missing_pkgs() {
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || echo "$p"
	done
}

# the version of linux-source the YNL files were extracted from, or nothing
ynl_wanted() {
	dpkg-query -W -f='${Version}' "$YNL_SRC_PKG" 2>/dev/null || true
}

ynl_current() {
	[ -f "$YNL_DIR/tools/net/ynl/cli.py" ] && [ -f "$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml" ] &&
		cat "$YNL_DIR/.source" 2>/dev/null
}

# Extract tools/net/ynl and Documentation/netlink/*.yaml (not specs/) from
# the tarball into a new directory, then swap it in: a reader never sees
# half a tree. Reading the whole tarball takes about half a minute.
ynl_install() {
	yver=$(ynl_wanted)
	[ -n "$yver" ] && [ -f "$YNL_TARBALL" ] || { echo "deps: $YNL_TARBALL missing" >&2; return 1; }
	[ "$(ynl_current)" = "$YNL_SRC_PKG $yver" ] && return 0
	echo "deps: extracting the kernel's YNL tools from $YNL_TARBALL into $YNL_DIR"
	ytop=$(basename "$YNL_TARBALL" .tar.xz)
	$SUDO mkdir -p "$(dirname "$YNL_DIR")" || return 1
	ynew=$($SUDO mktemp -d "$YNL_DIR.new.XXXXXX") || return 1
	# (tar's matching options apply to the names after them: the whole
	# ynl directory, then the schemas but not specs/*.yaml)
	if ! $SUDO tar -xJf "$YNL_TARBALL" -C "$ynew" --strip-components=1 --no-same-owner \
		"$ytop/tools/net/ynl" \
		--wildcards --no-wildcards-match-slash "$ytop/Documentation/netlink/*.yaml"; then
		$SUDO rm -rf "$ynew"
		return 1
	fi
	echo "$YNL_SRC_PKG $yver" | $SUDO tee "$ynew/.source" >/dev/null
	$SUDO chmod -R a+rX "$ynew"
	$SUDO rm -rf "$YNL_DIR.old"
	[ ! -e "$YNL_DIR" ] || $SUDO mv "$YNL_DIR" "$YNL_DIR.old"
	$SUDO mv "$ynew" "$YNL_DIR" && $SUDO rm -rf "$YNL_DIR.old"
}

updated=0
apt_update() {
	[ $updated -eq 1 ] && return 0
	echo "deps: apt-get update"
	$SUDO apt-get update -qq
	updated=1
}

if [ $check_only -eq 0 ]; then
	c1=$(bullseye_src_text | write_if_changed "$BULLSEYE_SRC")
	c2=$(bullseye_pin_text | write_if_changed "$BULLSEYE_PIN")
	[ -z "$c1$c2" ] || apt_update
fi

kvers=$("$here/kvers.sh" 2>/dev/null || true)
if [ "$(echo "$kvers" | grep -c .)" -lt "$(echo $("$here/kvers.sh" --series) | wc -w)" ]; then
	[ $check_only -eq 1 ] && { echo "deps: kernel matrix not resolvable; run scripts/deps.sh"; exit 1; }
	apt_update
	kvers=$("$here/kvers.sh")
fi

KPKGS_BOOKWORM=
KPKGS_BULLSEYE=
while read -r series ver; do
	[ -n "$ver" ] || continue
	case "$series" in
	5.10) KPKGS_BULLSEYE="$KPKGS_BULLSEYE linux-headers-$ver linux-image-$ver" ;;
	*)    KPKGS_BOOKWORM="$KPKGS_BOOKWORM linux-headers-$ver linux-image-$ver" ;;
	esac
done <<EOF
$kvers
EOF

# shellcheck disable=SC2086
miss=$(missing_pkgs $BASE_PKGS $KPKGS_BOOKWORM)
# shellcheck disable=SC2086
miss_b=$(missing_pkgs $KPKGS_BULLSEYE)

if [ -z "$miss$miss_b" ]; then
	if [ "$(ynl_current)" != "$YNL_SRC_PKG $(ynl_wanted)" ]; then
		[ $check_only -eq 1 ] && { echo "deps: $YNL_DIR missing or stale"; exit 1; }
		ynl_install || { echo "deps: cannot extract the YNL tools" >&2; exit 1; }
	fi
	echo "deps: all $(echo $BASE_PKGS $KPKGS_BOOKWORM $KPKGS_BULLSEYE | wc -w) packages present, YNL tools in $YNL_DIR"
	exit 0
fi

if [ $check_only -eq 1 ]; then
	echo "deps: missing:" $miss $miss_b
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_update
# The kernel images are only booted under QEMU; nothing here makes them the
# host's default, and initramfs-tools is not needed (the harness builds its
# own initramfs), hence --no-install-recommends.
if [ -n "$miss" ]; then
	echo "deps: installing:" $miss
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $miss
fi
if [ -n "$miss_b" ]; then
	echo "deps: installing from bullseye:" $miss_b
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends -t bullseye $miss_b
fi

# Check again: apt can exit 0 having skipped something.
# shellcheck disable=SC2086
left=$(missing_pkgs $BASE_PKGS $KPKGS_BOOKWORM $KPKGS_BULLSEYE)
if [ -n "$left" ]; then
	echo "deps: still missing after install:" $left >&2
	exit 1
fi
ynl_install || { echo "deps: cannot extract the YNL tools" >&2; exit 1; }
echo "deps: done"
