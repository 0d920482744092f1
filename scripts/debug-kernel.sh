#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh build | kver | test [TEST...]
#
# A small debug kernel for the VM suite: Debian's linux-source-6.12 with
# x86_64 defconfig, kvm_guest.config and selftests/vm/debug.config merged
# (KASAN, PROVE_LOCKING, PROVE_RCU, DEBUG_ATOMIC_SLEEP, kmemleak, object
# debugging, IPVS as modules). Everything is built and kept under
# $DEBUG_KERNEL_CACHE (default /var/cache/ipvs-maglev/debug-kernel), never
# in the tree; the kernel is installed the way a Debian kernel package
# would be (/boot/vmlinuz-KVER and /lib/modules/KVER, as symlinks into the
# cache), so the VM harness boots it like any other.
#
#   build   configure and build (incremental: a rebuild with nothing
#           changed takes a minute), then install the symlinks
#   kver    print the kernel's version string
#   test    build if needed, then run the VM suite (or the named tests)
#           on it, with a longer timeout: everything runs several times
#           slower under KASAN and lockdep
#
# Environment: DEBUG_KERNEL_CACHE, DEBUG_KERNEL_JOBS (default: nproc).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${DEBUG_KERNEL_CACHE:-/var/cache/ipvs-maglev/debug-kernel}
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}
tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)
src=$cache/src
frag=$top/selftests/vm/debug.config

die() { echo "debug-kernel: $*" >&2; exit 1; }

kver() {
	[ -f "$src/include/config/kernel.release" ] ||
		die "not built yet (scripts/debug-kernel.sh build)"
	cat "$src/include/config/kernel.release"
}

build() {
	local start=$SECONDS want t missing=""
	[ -n "$tarball" ] || die "/usr/src/linux-source-6.12.tar.xz missing (apt-get install linux-source-6.12)"
	# kernel build tools, installed the way scripts/deps.sh installs
	for t in flex bison bc libelf-dev libssl-dev; do
		dpkg-query -W -f '${Status}' "$t" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "debug-kernel: installing$missing" >&2
		# shellcheck disable=SC2086 # a list of package names
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null ||
			die "apt-get install$missing failed"
	fi
	mkdir -p "$cache"
	if [ ! -f "$src/Makefile" ] || [ "$tarball" -nt "$src/Makefile" ]; then
		echo "debug-kernel: unpacking $tarball into $src" >&2
		rm -rf "$src" "$cache/unpack"
		mkdir -p "$cache/unpack"
		tar -C "$cache/unpack" -xf "$tarball"
		mv "$cache/unpack"/linux-source-* "$src"
		rmdir "$cache/unpack"
	fi
	# Configure when the fragment changed (or on first build).
	if [ ! -f "$src/.config" ] || ! cmp -s "$frag" "$cache/debug.config.used"; then
		echo "debug-kernel: configuring" >&2
		make -C "$src" -s defconfig
		(cd "$src" && scripts/kconfig/merge_config.sh -m .config \
			kernel/configs/kvm_guest.config "$frag" >/dev/null)
		make -C "$src" -s olddefconfig
		# merge_config warns of values Kconfig overrode; the ones we
		# rely on must hold
		for want in KASAN PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP FAILSLAB \
			    DEBUG_KMEMLEAK MODULES NET_9P_VIRTIO 9P_FS FAULT_INJECTION_DEBUG_FS \
			    FAULT_INJECTION_STACKTRACE_FILTER; do
			grep -q "^CONFIG_$want=y" "$src/.config" ||
				die "CONFIG_$want did not stay =y after olddefconfig"
		done
		for want in IP_VS IP_VS_MH VETH BRIDGE IP_SCTP; do
			grep -qE "^CONFIG_$want=(y|m)" "$src/.config" ||
				die "CONFIG_$want is not set after olddefconfig"
		done
		cp "$frag" "$cache/debug.config.used"
	fi
	echo "debug-kernel: building with $jobs jobs (log: $cache/build.log)" >&2
	if ! make -C "$src" -j"$jobs" bzImage modules >"$cache/build.log" 2>&1; then
		tail -n 30 "$cache/build.log" >&2
		die "build failed"
	fi
	local k
	k=$(kver)
	rm -rf "$cache/root"
	make -C "$src" -s INSTALL_MOD_PATH="$cache/root" INSTALL_MOD_STRIP=1 \
		DEPMOD=/sbin/depmod modules_install >>"$cache/build.log" 2>&1 ||
		die "modules_install failed (log: $cache/build.log)"
	rm -f "$cache/root/lib/modules/$k/build" "$cache/root/lib/modules/$k/source"
	ln -s "$src" "$cache/root/lib/modules/$k/build"
	cp "$src/arch/x86/boot/bzImage" "$cache/vmlinuz-$k"
	# install like a kernel package, pointing into the cache
	ln -sfn "$cache/vmlinuz-$k" "/boot/vmlinuz-$k"
	if [ -e "/lib/modules/$k" ] && [ ! -L "/lib/modules/$k" ]; then
		die "/lib/modules/$k exists and is not ours"
	fi
	ln -sfn "$cache/root/lib/modules/$k" "/lib/modules/$k"
	echo "debug-kernel: $k built and installed in $((SECONDS - start)) s" >&2
}

case "${1:-}" in
build)
	build
	;;
kver)
	kver
	;;
test)
	shift
	if [ ! -f "$src/arch/x86/boot/bzImage" ] || [ ! -e "/boot/vmlinuz-$(kver)" ]; then
		build
	fi
	k=$(kver)
	# la57=off: under TCG, -cpu max offers 5-level paging, and in one
	# boot of three KASAN reported a wild access at an LA57 direct-map
	# address in the first interrupt (do_raw_spin_lock from
	# handle_edge_irq, during identify_cpu, before any module loaded).
	# This kernel does not know no5lvl, so the CPU goes without it.
	# ignore_loglevel: every kernel message reaches the console, so a
	# report that precedes a crash (KASAN's, lockdep's) is not lost with
	# the guest's dmesg (guest.sh lowers the console level for the suite)
	# FUZZ_N: maglev_hostile.sh's fuzzers send 10,000 messages here, not
	# 100,000: under KASAN and lockdep each takes tens of milliseconds, and
	# what this kernel adds is the checking of each, not their number
	VM_APPEND="ignore_loglevel FUZZ_N=10000${VM_APPEND:+ $VM_APPEND}" \
		VM_MEM=${VM_MEM:-2048} VM_CPU=${VM_CPU:-max,la57=off} \
		VM_TIMEOUT_SCALE=${VM_TIMEOUT_SCALE:-4} \
		exec "$top/selftests/vm/run.sh" -k "$k" -T "${DEBUG_KERNEL_TIMEOUT:-7200}" "$@"
	;;
*)
	sed -n '4,22p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
