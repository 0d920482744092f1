# SPDX-License-Identifier: GPL-2.0
#
# ipvs-maglev: the Makefile for people. Kbuild holds the module's build;
# ipvsctl/Makefile the tool's. Everything built lands in build/.
#
#   make                    module for the running kernel (or KVER=/KDIR=) + ipvsctl
#   make check              everything CI runs; ends with "N passed, N failed"
#   make demo               the main job in a VM lab
#   make bench              benchmarks against the peers
#   make install            module (+depmod), ipvsctl, man pages, completion, unit;
#                           DESTDIR and PREFIX work
#
# See README.md for the rest: matrix, vm-test, vm-shell, unit, deps,
# matrix-7.2, vm-check-7.2, debug-kernel, debug-kernel-check, check-extended.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)

CC ?= cc
TOOL_CFLAGS ?= -O2 -g -Wall -Wextra -Werror=implicit-function-declaration

all: module ipvsctl tools

module:
	@scripts/build-kmod.sh $(KVER) $(KDIR) >/dev/null

ipvsctl:
	@$(MAKE) -s -C ipvsctl VERSION=$(VERSION)

build/bin/mgtraffic: selftests/net/tools/mgtraffic.c
	@mkdir -p build/bin
	$(CC) $(TOOL_CFLAGS) -o $@ $<

tools: build/bin/mgtraffic

deps:
	@scripts/deps.sh

unit: ipvsctl
	@$(MAKE) -s -C selftests/unit run

# The module for every kernel of the matrix, warnings are errors at W=1.
matrix:
	@scripts/matrix.sh

# The 7.2 kernel from sid, built in a debootstrapped chroot (slow the
# first time: see README).
matrix-7.2:
	@scripts/chroot-7.2.sh build

# The whole VM suite (or T=...) on sid's 7.2 kernel, booted from the
# chroot (scripts/chroot-7.2.sh kernel). Not part of check: see README.
vm-check-7.2: ipvsctl tools
	@k=$$(scripts/chroot-7.2.sh kernel) && selftests/vm/run.sh -k "$$k" $(T)

# make vm-test T="maglev_basic.sh ..." KVER=6.1.0-56-amd64
vm-test: ipvsctl tools
	@selftests/vm/run.sh $(if $(filter-out $(shell uname -r),$(KVER)),-k $(KVER)) $(T)

vm-shell: ipvsctl tools
	@selftests/vm/run.sh -m shell $(if $(filter-out $(shell uname -r),$(KVER)),-k $(KVER))

# The whole VM suite (or T=...) on a debug kernel (KASAN, lockdep,
# PROVE_RCU, kmemleak) built from linux-source-6.12 and cached in
# /var/cache/ipvs-maglev/debug-kernel. Not part of check: see README.
debug-kernel:
	@scripts/debug-kernel.sh build

debug-kernel-check: ipvsctl tools
	@scripts/debug-kernel.sh test $(T)

# The extended run: the whole VM suite on the debug kernel, with the
# stress test's churn at 10 minutes (STRESS_SECONDS) and the fault
# injection test (which only the debug kernel can run). See README.
check-extended: ipvsctl tools
	@VM_APPEND="STRESS_SECONDS=$${STRESS_SECONDS:-600}$${VM_APPEND:+ $$VM_APPEND}" \
		VM_TIMEOUT_SCALE=$${VM_TIMEOUT_SCALE:-8} \
		DEBUG_KERNEL_TIMEOUT=$${DEBUG_KERNEL_TIMEOUT:-14400} \
		scripts/debug-kernel.sh test $(T)

check:
	@scripts/check.sh

bench:
	@scripts/bench.sh

demo:
	@scripts/deps.sh
	@$(MAKE) -s ipvsctl tools
	@scripts/demo.sh $(if $(filter-out $(shell uname -r),$(KVER)),-k $(KVER))

# ---- install ---------------------------------------------------------------
# make install             module for KVER (+depmod) and the tool, under PREFIX
# make install-tool        ipvsctl, its man pages, bash completion, systemd unit
# make install-module      the module into /lib/modules/KVER/updates, then depmod
# DESTDIR stages everything (no depmod then). Debian's packages use
# install-tool and dkms-src (debian/rules).
DKMS_SRC = $(DESTDIR)/usr/src/ipvs-maglev-$(VERSION)
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
TOOL_FILES = $(PREFIX)/sbin/ipvsctl $(MANDIR)/man8/ipvsctl.8 \
	$(MANDIR)/man5/ipvsctl.conf.5 $(MANDIR)/man4/ip_vs_maglev.4 \
	$(COMPLETIONDIR)/ipvsctl $(UNITDIR)/ipvsctl.service

install: install-module install-tool

install-module: module
	install -D -m 0644 build/kmod/$(KVER)/ip_vs_maglev.ko $(MODDIR)/ip_vs_maglev.ko
	$(if $(DESTDIR),,depmod -a $(KVER))

install-tool: ipvsctl
	install -D -m 0755 build/bin/ipvsctl $(DESTDIR)$(PREFIX)/sbin/ipvsctl
	install -D -m 0644 ipvsctl/ipvsctl.8 $(DESTDIR)$(MANDIR)/man8/ipvsctl.8
	install -D -m 0644 man/ipvsctl.conf.5 $(DESTDIR)$(MANDIR)/man5/ipvsctl.conf.5
	install -D -m 0644 man/ip_vs_maglev.4 $(DESTDIR)$(MANDIR)/man4/ip_vs_maglev.4
	install -D -m 0644 ipvsctl/bash-completion/ipvsctl $(DESTDIR)$(COMPLETIONDIR)/ipvsctl
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/ipvsctl|$(PREFIX)/sbin/ipvsctl|g' ipvsctl/systemd/ipvsctl.service \
		>$(DESTDIR)$(UNITDIR)/ipvsctl.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ipvsctl.service

uninstall:
	rm -f $(MODDIR)/ip_vs_maglev.ko $(addprefix $(DESTDIR),$(TOOL_FILES))
	$(if $(DESTDIR),,depmod -a $(KVER))

# The module's sources where DKMS expects them, then built and installed
# for every kernel that has headers (dkms autoinstall does the same on
# kernel upgrades).
dkms-src:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/include/uapi/linux
	install -m 0644 Kbuild dkms.conf $(DKMS_SRC)/
	install -m 0644 kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 0644 include/uapi/linux/ip_vs_maglev.h $(DKMS_SRC)/include/uapi/linux/

dkms-install: dkms-src
	dkms add ipvs-maglev/$(VERSION)
	dkms install ipvs-maglev/$(VERSION) -k $(KVER)

dkms-uninstall:
	dkms remove ipvs-maglev/$(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	rm -rf build
	@$(MAKE) -s -C ipvsctl clean
	@$(MAKE) -s -C selftests/unit clean

.PHONY: all module ipvsctl tools deps unit matrix matrix-7.2 vm-check-7.2 vm-test vm-shell \
	check bench demo debug-kernel debug-kernel-check check-extended clean install install-tool install-module uninstall dkms-src dkms-install dkms-uninstall
