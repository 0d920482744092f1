#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [options] [TEST...]
#
# Boot one Debian kernel under QEMU (TCG: the machine's KVM cannot boot a
# stock kernel) with the host's root shared read-only and this tree
# read-write, load ip_vs and the module built for that kernel, run the VM
# test suite (or the named tests) in one boot, and report.
#
#   -k KVER        kernel to boot (default: newest 6.1 of the matrix)
#   -m MODE        suite (default), shell (interactive, for debugging), or
#                  script (run -s SCRIPT in the guest and show its output)
#   -s SCRIPT      for -m script: path relative to the tree, then its args
#   -T SECONDS     overall timeout of the VM (default 3000: a guard against
#                  a hung guest; each test has its own timeout, settings)
#   -M installed   use the module installed for KVER (DKMS) instead of
#                  the fresh build from build/kmod/KVER
#
# Environment: VM_MEM (MiB, default 1536), VM_CPUS (default 2), VM_CPU
# (QEMU's -cpu, default max), VM_APPEND
# (more kernel command line), VM_TIMEOUT_SCALE (multiplies each test's
# timeout from selftests/net/settings; default 1).
#
# Exit status: 0 when every test passed (or skipped) and the kernel log is
# clean; 1 otherwise. The last line is "KVER: N passed, N failed, N skipped".

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
kver=
mode=suite
vm_timeout=3000
module_src=build
mem=${VM_MEM:-1536}
cpus=${VM_CPUS:-2}

script=
while getopts "k:m:T:M:s:" opt; do
	case $opt in
	s) script=$OPTARG ;;
	k) kver=$OPTARG ;;
	m) mode=$OPTARG ;;
	T) vm_timeout=$OPTARG ;;
	M) module_src=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

[ -n "$kver" ] || kver=$("$top/scripts/kvers.sh" 6.1) || exit 1
[ -f "/boot/vmlinuz-$kver" ] || { echo "vm: /boot/vmlinuz-$kver missing (run scripts/deps.sh)" >&2; exit 1; }

tests=$*
if [ "$mode" = suite ] && [ -z "$tests" ]; then
	tests=$(make -s -C "$top/selftests/net" list) || exit 1
fi

run_rel=build/vm/$kver
run=$top/$run_rel
mkdir -p "$run"
rm -rf "${run:?}/logs" "$run/status" "$run/ktap.txt" "$run/dmesg.txt" \
	"$run/splats.txt" "$run/kmemleak.txt" "$run/console.log" "$run/console-boot1.log"

# initramfs: rebuilt when missing or older than its inputs
initrd=$top/build/vm/initramfs-$kver.gz
if [ ! -f "$initrd" ] || [ "$top/selftests/vm/init" -nt "$initrd" ] ||
   [ "$top/selftests/vm/mkinitramfs.sh" -nt "$initrd" ]; then
	"$top/selftests/vm/mkinitramfs.sh" "$kver" "$initrd" || exit 1
fi

module_ko=
if [ "$module_src" = build ]; then
	case $(readlink -f "/lib/modules/$kver") in
	"${IPVSM_CACHE:-/var/cache/ipvs-maglev}"/sid/*)
		# sid's kernel (scripts/chroot-7.2.sh kernel): its kbuild needs
		# sid's glibc, so the module is built in the chroot
		"$top/scripts/chroot-7.2.sh" build >"$run/kbuild.log" 2>&1 || {
			cat "$run/kbuild.log" >&2
			exit 1
		}
		ko=$top/build/kmod/$kver/ip_vs_maglev.ko
		;;
	*)
		ko=$("$top/scripts/build-kmod.sh" "$kver" 2>"$run/kbuild.log") || {
			cat "$run/kbuild.log" >&2
			exit 1
		}
		;;
	esac
	module_ko=${ko#"$top"/}
	# Index the module together with the kernel's own, here at native
	# speed (depmod over 9p in the guest takes half a minute). The guest
	# lays these files over /lib/modules/$kver.
	modroot=$run/modroot
	rm -rf "$modroot"
	mkdir -p "$modroot/lib/modules/$kver/updates"
	cp -rs "/lib/modules/$kver/kernel" "$modroot/lib/modules/$kver/" &&
		cp /lib/modules/"$kver"/modules.order /lib/modules/"$kver"/modules.builtin* \
			"$modroot/lib/modules/$kver/" &&
		cp "$ko" "$modroot/lib/modules/$kver/updates/" &&
		depmod -b "$modroot" "$kver" || { echo "vm: depmod failed" >&2; exit 1; }
	rm -rf "$modroot/lib/modules/$kver/kernel"
fi

cat >"$run/run.env" <<EOF
MODE=$mode
TESTS="$tests"
MODULE_SRC=$module_src
MODULE_KO=$module_ko
MODROOT=$run_rel/modroot/lib/modules/$kver
SCRIPT=$script
SCRIPT_ARGS="$tests"
TIMEOUT_SCALE=${VM_TIMEOUT_SCALE:-1}
EOF

qemu=(qemu-system-x86_64 -accel tcg -cpu "${VM_CPU:-max}" -m "$mem" -smp "$cpus"
	-no-reboot -nic none
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=0 quiet loglevel=4 IPVSM_RUN=$run_rel${VM_APPEND:+ $VM_APPEND}"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$top,mount_tag=src,security_model=none,multidevs=remap")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -nographic
fi

echo "vm: booting $kver (TCG, ${cpus} vCPU, ${mem} MiB), timeout ${vm_timeout}s" >&2
start=$(date +%s)
# A kernel that dies while it boots, before the guest script has said a
# word (so before ip_vs or the module was loaded), is booted once more:
# TCG now and then trips over the kernel's own code patching at boot
# ("Oops: int3" in sched_clock_cpu while text_poke_bp() patches a static
# call; seen once in CI on 6.12, 2026-11-22). Its console is kept as
# console-boot1.log.
for attempt in 1 2; do
	timeout --kill-after=10 "$vm_timeout" "${qemu[@]}" -display none -serial stdio -monitor none \
		</dev/null 2>&1 | tee "$run/console.log" | tr -d '\r' |
		grep -v -e '^\x1b' -e '^SeaBIOS' -e '^Booting from ROM'
	[ "$attempt" = 1 ] && [ ! -f "$run/status" ] && [ "$mode" != shell ] &&
		! grep -q '^guest: ' "$run/console.log" &&
		grep -qE 'Kernel panic|Oops:|BUG:' "$run/console.log" || break
	mv "$run/console.log" "$run/console-boot1.log"
	echo "vm: the kernel died while booting, before the guest started" \
		"($(grep -m1 -E 'Oops:|BUG:|Kernel panic' "$run/console-boot1.log" | sed 's/^\[[ 0-9.]*\] //'));" \
		"booting again (first console: $run_rel/console-boot1.log)" >&2
done
secs=$(($(date +%s) - start))

fail_run() {
	echo "vm: $*" >&2
	echo "$kver: 0 passed, 1 failed, 0 skipped (${secs}s; $*)"
	exit 1
}

[ -f "$run/status" ] || fail_run "no result: the VM timed out or crashed (console: $run_rel/console.log)"
if [ "$mode" = script ]; then
	read -r _ _ rc _ splat <"$run/status"
	if [ "$splat" != 0 ]; then
		echo "vm: kernel log has warnings or errors:" >&2
		sed 's/^/vm:   /' "$run/splats.txt" | head -n 40 >&2
		exit 1
	fi
	exit "$rc"
fi
read -r w1 pass _ fail _ skip _ splat <"$run/status"
[ "$w1" = pass ] || fail_run "guest setup failed: $(cat "$run/status")"
if [ "$splat" != 0 ] || grep -qE 'Kernel panic|BUG:|WARNING:' "$run/console.log"; then
	echo "vm: kernel log has warnings or errors:" >&2
	sed 's/^/vm:   /' "$run/splats.txt" 2>/dev/null | head -n 40 >&2
	fail=$((fail + 1))
fi
echo "$kver: $pass passed, $fail failed, $skip skipped (${secs}s)"
[ "$fail" -eq 0 ]
