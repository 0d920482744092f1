#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM, on the host's root filesystem (read-only 9p) with
# this source tree at /run/src. Reads the run description that
# selftests/vm/run.sh wrote ($IPVSM_RUN/run.env), prepares the module, runs
# the requested mode and powers off. Results go back to the host through
# the run directory:
#   status       one line: "pass P fail F skip S splat 0|1"
#   ktap.txt     the runner's KTAP output
#   dmesg.txt    the kernel log
#   splats.txt   kernel log lines that fail the run, if any

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C LC_ALL=C TERM=${TERM:-dumb}

SRC=/run/src
RUN=$SRC/${IPVSM_RUN:?}

# Power off, then wait for it without running a program: once the power-off
# has begun, the 9p root can fail reads (EIO), so exec'ing "sleep" could
# fail, PID 1 would exit and the kernel would panic ("Attempted to kill
# init"), a false failure. bash's own "read -t" on a FIFO on tmpfs that
# nobody writes waits without exec (fd 9, opened at start).
poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	read -r -t 30 _ <&9
	read -r -t 30 _ <&9
}

die() {
	echo "guest: $*"
	echo "IPVSM-RESULT: setup-failed"
	echo "setup-failed $*" >"$RUN/status"
	poweroff_now
}

mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mkfifo /dev/shm/.ipvsm-poweroff && exec 9<>/dev/shm/.ipvsm-poweroff
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname ipvsm-vm
ip link set lo up

# shellcheck source=/dev/null
. "$RUN/run.env" || die "cannot read $RUN/run.env"
export TIMEOUT_SCALE
KVER=$(uname -r)

# Kernel messages go to the log, not into the KTAP stream on the console.
dmesg -n 1

# Make the module loadable by name, as on a real host: a writable overlay
# over /lib/modules/$KVER receives the fresh build under updates/ and the
# module index that run.sh generated for it on the host. Then "ipvsadm -s
# maglev" loads it through request_module().
if [ "${MODULE_SRC:-build}" = build ]; then
	modprobe overlay || die "modprobe overlay failed"
	mkdir -p /run/modules/upper /run/modules/work
	mount -t overlay overlay \
		-o "lowerdir=/lib/modules/$KVER,upperdir=/run/modules/upper,workdir=/run/modules/work" \
		"/lib/modules/$KVER" || die "cannot overlay /lib/modules/$KVER"
	cp -r "$SRC/$MODROOT/." "/lib/modules/$KVER/" || die "cannot install the module index"
fi
modinfo ip_vs_maglev >/dev/null 2>&1 || die "ip_vs_maglev is not installed for $KVER"
echo "guest: modprobe finds ip_vs_maglev $(modinfo -F version ip_vs_maglev) at $(modinfo -n ip_vs_maglev) (${MODULE_SRC:-build})"
modprobe ip_vs || die "modprobe ip_vs failed"

export IPVSM_SRC=$SRC IPVSM_BIN=$SRC/build/bin IPVSM_RUN_DIR=$RUN
export PATH=$IPVSM_BIN:$PATH

check_log() {
	dmesg >"$RUN/dmesg.txt"
	# Anything here fails the run, whatever the tests said.
	grep -E 'WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|kmemleak: .*(unreferenced|suspected)|refcount_t:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|INFO: task .* blocked|list_(add|del) corruption|Call Trace:' \
		"$RUN/dmesg.txt" >"$RUN/splats.txt"
	[ -s "$RUN/splats.txt" ] && return 1
	rm -f "$RUN/splats.txt"
	return 0
}

case "${MODE:-suite}" in
script)
	# one script (make demo, make bench): its output is the product
	cd "$SRC" || die "no $SRC"
	bash "$SRC/$SCRIPT" $SCRIPT_ARGS
	rc=$?
	splat=0
	check_log || splat=1
	echo "script rc $rc splat $splat" >"$RUN/status"
	echo "IPVSM-RESULT: $(cat "$RUN/status")"
	poweroff_now
	;;
shell)
	echo "guest: interactive shell; tests in $SRC/selftests/net, 'exit' powers off"
	cd "$SRC/selftests/net" || true
	setsid -c -w /bin/bash -i </dev/console >/dev/console 2>&1
	poweroff_now
	;;
suite)
	cd "$SRC/selftests/net" || die "no selftests/net"
	# shellcheck disable=SC2086
	"$SRC/selftests/vm/runner.sh" $TESTS | tee "$RUN/ktap.txt"
	read -r pass fail skip < <(sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\) .*skip:\([0-9]*\).*/\1 \2 \3/p' "$RUN/ktap.txt")
	# kmemleak, where the kernel has it: scan once so leaks show up
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak >"$RUN/kmemleak.txt"
		[ -s "$RUN/kmemleak.txt" ] && echo "kmemleak: unreferenced object (see kmemleak.txt)" >>/dev/kmsg
	fi
	splat=0
	check_log || splat=1
	echo "pass ${pass:-0} fail ${fail:-1} skip ${skip:-0} splat $splat" >"$RUN/status"
	echo "IPVSM-RESULT: $(cat "$RUN/status")"
	poweroff_now
	;;
*)
	die "unknown MODE '$MODE'"
	;;
esac
