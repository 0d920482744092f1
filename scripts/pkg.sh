#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkg.sh STEP...: the Debian packages and DKMS, for real, on this machine.
#
#   build     dpkg-buildpackage -us -uc -b on a copy of the tree in
#             build/pkg/ (so build/ of the tree is never cleaned by it)
#   lint      lintian on the result: no error or warning may be left;
#             info and pedantic tags are listed (README says why each stays)
#   install   dpkg -i both packages, then "dkms install" for every kernel
#             of the matrix; modinfo must find the DKMS-built module with
#             this version under updates/dkms
#   smoke     the installed ipvsctl: --version, man pages, completion,
#             the systemd unit (systemd-analyze verify)
#   stage     make install / uninstall with DESTDIR and PREFIX
#   all       every step above, in order
#
# Prints "pkg: ok ..." or "pkg: FAIL ..." per check (scripts/check.sh
# counts them). install uses sudo when not root. Exit 0 only if nothing failed.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
out=$top/build/pkg
fails=0

ok() { echo "pkg: ok $*"; }
bad() {
	echo "pkg: FAIL $*"
	fails=$((fails + 1))
}

step_build() {
	local src=$out/ipvs-maglev-$version
	rm -rf "$out"
	mkdir -p "$src"
	# the tree as it is (committed or not), without build products
	tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf - || {
		bad "build: cannot copy the tree"
		return
	}
	if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
		ok "build: dpkg-buildpackage -us -uc -b: $(cd "$out" && echo *.deb)"
	else
		tail -n 30 "$out/build.log" | sed 's/^/pkg:   /'
		bad "build: dpkg-buildpackage failed (build/pkg/build.log)"
	fi
}

step_lint() {
	local changes tags
	changes=$(echo "$out"/ipvs-maglev_"$version"_*.changes)
	[ -f "$changes" ] || {
		bad "lint: no .changes file (build first)"
		return
	}
	lintian --info --display-info --pedantic --show-overrides --fail-on error,warning \
		"$changes" >"$out/lintian.txt" 2>&1
	local rc=$?
	tags=$(grep -E '^[EWIPO]: ' "$out/lintian.txt" | sort -u)
	[ -n "$tags" ] && echo "$tags" | sed 's/^/pkg:   lintian: /'
	if [ $rc -eq 0 ]; then
		ok "lint: lintian --pedantic: no error or warning ($(echo "$tags" | grep -c '^[IP]:') info/pedantic tags; $(echo "$tags" | grep -c '^O:') overridden, why in debian/*.lintian-overrides)"
	else
		bad "lint: lintian reports errors or warnings (build/pkg/lintian.txt)"
	fi
}

# The first line of install.log (or of DKMS's build log) that says why the
# install failed: it goes into the FAIL line itself, which is what make
# check repeats at its end and what a CI view showing only the tail keeps.
install_reason() {
	local r m mk=/var/lib/dkms/ipvs-maglev/$version/build/make.log
	r=$(grep -m 1 -E 'No space left|frontend lock|status database area is locked|Could not get lock|Bad return status|^E: |[Ee]rror[:!]|unmet|dpkg: error' \
		"$out/install.log" 2>/dev/null)
	if echo "$r" | grep -q 'Bad return status' && [ -f "$mk" ]; then
		m=$(grep -m 1 -E 'error|Error|No space|\*\*\*' "$mk")
		[ -n "$m" ] && r="$r; $m"
	fi
	echo "${r:-no error line in the log}" | tr -s ' \t' ' ' | cut -c 1-300
}

# What else a reader of the CI log needs when the install fails: the
# space left, dpkg's locks (util-linux's lslocks: Essential), DKMS's view
# and its build log.
install_diagnose() {
	local mk=/var/lib/dkms/ipvs-maglev/$version/build/make.log
	{
		df -h / /var/lib/dkms /usr/src 2>&1 | awk 'NR == 1 || !seen[$0]++'
		lslocks -o COMMAND,PID,PATH 2>/dev/null | grep -E '^COMMAND|/var/lib/dpkg/'
		dkms status 2>&1
		[ -f "$mk" ] && tail -n 20 "$mk"
	} | sed 's/^/pkg:   diag: /'
}

step_install() {
	local debs k kvers path
	debs=$(ls "$out"/ipvs-maglev-dkms_"$version"_all.deb "$out"/ipvsctl_"$version"_*.deb 2>/dev/null)
	[ "$(echo "$debs" | grep -c .)" -eq 2 ] || {
		bad "install: both packages are needed (build first)"
		return
	}
	# dpkg -i reinstalls the same version too: the DKMS tree is always
	# the one just built (its prerm removes the old one from DKMS). dpkg
	# fails at once if its lock is held, which apt's daily jobs may do on
	# a machine that has just booted: then it is tried again, every 5 s
	# for up to 10 minutes, for as long as the lock is what stops it.
	local waited=0 rc note=
	while :; do
		# shellcheck disable=SC2086
		$SUDO env DEBIAN_FRONTEND=noninteractive dpkg -i $debs >"$out/install.log" 2>&1
		rc=$?
		[ $rc -ne 0 ] && grep -qE 'frontend lock|lock the dpkg|status database area is locked|Could not get lock' \
			"$out/install.log" && [ $waited -lt 600 ] || break
		[ $waited -eq 0 ] && echo "pkg:   dpkg's lock is held (apt's jobs?): trying again for up to 10 min"
		sleep 5
		waited=$((waited + 5))
	done
	[ $waited -gt 0 ] && note=" (after waiting ${waited}s for dpkg's lock)"
	if [ $rc -eq 0 ]; then
		ok "install: dpkg -i ipvs-maglev-dkms ipvsctl$note"
	else
		tail -n 30 "$out/install.log" | sed 's/^/pkg:   /'
		install_diagnose
		bad "install: dpkg -i failed$note: $(install_reason) (build/pkg/install.log)"
		return
	fi
	dkms status ipvs-maglev/"$version" 2>/dev/null | grep -q . ||
		bad "install: the package did not add ipvs-maglev/$version to DKMS"
	kvers=$(scripts/kvers.sh | awk '{ print $2 }')
	for k in $kvers; do
		if $SUDO dkms install ipvs-maglev/"$version" -k "$k" >"$out/dkms-$k.log" 2>&1 ||
		   grep -q 'already installed' "$out/dkms-$k.log"; then
			:
		else
			tail -n 20 "$out/dkms-$k.log" | sed 's/^/pkg:   /'
			bad "install: dkms install -k $k"
			continue
		fi
		path=$(modinfo -k "$k" -n ip_vs_maglev 2>/dev/null)
		case "$path" in
		*/updates/dkms/ip_vs_maglev.ko*)
			if [ "$(modinfo -k "$k" -F version ip_vs_maglev)" = "$version" ]; then
				ok "install: dkms build + install for $k ($path)"
			else
				bad "install: $path is not version $version"
			fi
			;;
		*)
			bad "install: modprobe would not find the DKMS module for $k (found '${path:-nothing}')"
			;;
		esac
	done
	# sid's newest kernel (7.2 when written) is built in a chroot (its
	# kbuild needs sid's glibc): the same package, installed there
	local o
	o=$($SUDO scripts/chroot-7.2.sh dkms "$out"/ipvs-maglev-dkms_"$version"_all.deb 2>&1)
	echo "$o" | grep '^pkg: ' | grep -v '^pkg: FAIL '
	if ! echo "$o" | grep -q '^pkg: ok '; then
		bad "$(echo "$o" | sed -n 's/^pkg: FAIL //p' | tail -n 1)"
		[ -n "$(echo "$o" | grep '^pkg: FAIL ')" ] || echo "$o" | tail -n 5 | sed 's/^/pkg:   /'
	fi
}

step_smoke() {
	local v
	v=$(/usr/sbin/ipvsctl --version 2>&1)
	[ "$v" = "ipvsctl $version" ] && ok "smoke: /usr/sbin/ipvsctl --version: $v" ||
		bad "smoke: ipvsctl --version said '$v', not 'ipvsctl $version'"
	local page
	for page in "8 ipvsctl" "5 ipvsctl.conf" "4 ip_vs_maglev"; do
		# shellcheck disable=SC2086
		if MANWIDTH=80 man -P cat $page 2>/dev/null | grep -q '^NAME'; then
			ok "smoke: man $page"
		else
			bad "smoke: man $page does not render"
		fi
	done
	if bash -c '. /usr/share/bash-completion/completions/ipvsctl && complete -p ipvsctl' >/dev/null 2>&1; then
		ok "smoke: bash completion for ipvsctl is installed and loads"
	else
		bad "smoke: bash completion missing or broken"
	fi
	# the mh mode is shipped off: the file is there, every line a comment
	local mp=/etc/modprobe.d/ipvs-maglev-dkms.conf
	if [ -f "$mp" ] && ! grep -v '^#' "$mp" | grep -q . && grep -q '^#install ip_vs_mh ' "$mp"; then
		ok "smoke: $mp installed, the mh mode off (its lines commented out)"
	else
		bad "smoke: $mp missing, or the mh mode not off"
	fi
	if systemd-analyze verify /lib/systemd/system/ipvsctl.service >"$out/verify.log" 2>&1; then
		ok "smoke: systemd-analyze verify ipvsctl.service"
	else
		sed 's/^/pkg:   /' "$out/verify.log"
		bad "smoke: systemd-analyze verify ipvsctl.service"
	fi
}

step_stage() {
	local d=$out/stage n k
	k=$(scripts/kvers.sh | awk 'NR == 1 { print $2 }')
	rm -rf "$d"
	if make -s install DESTDIR="$d" PREFIX=/opt/ipvsm KVER="$k" >"$out/stage.log" 2>&1; then
		n=$(find "$d" -type f | wc -l)
		if [ "$n" -eq 7 ] && [ -x "$d/opt/ipvsm/sbin/ipvsctl" ] &&
		   [ -f "$d/lib/modules/$k/updates/ip_vs_maglev.ko" ] &&
		   grep -q '^ExecStart=/opt/ipvsm/sbin/ipvsctl ' "$d/opt/ipvsm/lib/systemd/system/ipvsctl.service"; then
			ok "stage: make install DESTDIR PREFIX=/opt/ipvsm KVER=$k: $n files, unit points to the prefix"
		else
			find "$d" -type f | sed 's/^/pkg:   /'
			bad "stage: make install installed $n files, not the 7 expected"
		fi
	else
		sed 's/^/pkg:   /' "$out/stage.log"
		bad "stage: make install DESTDIR"
	fi
	make -s uninstall DESTDIR="$d" PREFIX=/opt/ipvsm KVER="$k" >>"$out/stage.log" 2>&1
	n=$(find "$d" -type f | wc -l)
	[ "$n" -eq 0 ] && ok "stage: make uninstall DESTDIR removed everything" ||
		bad "stage: $n files left after make uninstall"
}

[ $# -gt 0 ] || set -- all
[ "$1" = all ] && set -- build lint install smoke stage
for s in "$@"; do
	case "$s" in
	build | lint | install | smoke | stage) "step_$s" ;;
	*)
		echo "usage: pkg.sh build|lint|install|smoke|stage|all..." >&2
		exit 2
		;;
	esac
done
[ $fails -eq 0 ]
