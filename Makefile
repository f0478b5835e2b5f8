# SPDX-License-Identifier: GPL-2.0
#
#   make                 module and calperfctl: for the running kernel when
#                        its build tree is installed, else Debian's 6.12
#   make KVER=6.1        ... against Debian 12's 6.1 headers (or 6.12),
#                        unpacked into the cache by 'make deps'
#   make KDIR=/path      ... against any kernel build tree
#   make W=1 C=1         extra warnings, sparse
#   make deps            install the Debian packages everything needs
#   make gen             regenerate the ABI header, the kernel's policies and
#                        calperfctl's attribute names from the netlink spec
#   make lint            W=1, sparse and checkpatch on both kernels; the
#                        generated files match the spec
#   make demo            a TCP stream over veth, measured in the VM
#   make bench           calperf against qperf and iperf3 in the VM, each
#                        kernel of KERNELS, in deterministic guest time
#                        (TIMEBASE=wall: TCG wall time; BENCH_CPU=qemu64:
#                        a CPU model without ERMS)
#   make study           the seed experiment in the VM: report in study/
#                        (REPS=3 runs per figure; ICOUNT=1: deterministic
#                        guest time)
#   make check           the selftests in the VM on both kernels, and a part
#                        of check-cluster's in a lab of a 6.1 and a 6.12 guest
#   make check KERNELS=6.12   ... on one of them ("debug": the debug kernel)
#   make check-debug     selftests on a 6.12 debug kernel (KASAN, lockdep...)
#   make check-cluster   calperf-study --hosts between two guests of the lab
#                        (selftests/vm/cluster), driven from here over SSH
#   make install         the tools (PREFIX=/usr/local, DESTDIR=) after 'make'
#   make modules_install the module for KDIR's kernel, then depmod
#                        (INSTALL_MOD_PATH=, default DESTDIR)
#   make modules_uninstall  remove it, then depmod
#   make uninstall       remove what 'make install' put there
#   make dkms-install    the module's source into /usr/src for DKMS, which
#                        builds it for every kernel (and after upgrades)
#   make dkms-uninstall  remove it from DKMS and /usr/src
#   make deb             calperf-dkms and calperf-tools .debs in build/deb
#   make deb-module      calperf-modules-RELEASE .deb in build/deb: the module
#                        built here for KDIR's kernel, for hosts without DKMS
#   make debs            both, deb-module for each kernel line of DEB_KERNELS

CALPERF_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/calperf
ifeq ($(origin KVER),undefined)
RUNNING_KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
endif
KVER ?= 6.12
KDIR ?= $(or $(RUNNING_KDIR),$(lastword $(sort $(wildcard \
	$(CALPERF_CACHE)/headers/$(KVER).*-amd64/root/usr/src/linux-headers-$(KVER).*-amd64))))
KERNELS ?= 6.1 6.12

# One version for the module, calperfctl and the packages (scripts/version).
CALPERF_VERSION := $(shell scripts/version)

CC ?= gcc
CFLAGS ?= -O2 -g
CFLAGS += -D_GNU_SOURCE -Wall -Wextra -Iinclude/uapi $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
CFLAGS += -DCALPERF_VERSION='"$(CALPERF_VERSION)"'
LDLIBS += $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)

USER_SRCS := $(filter-out user/tapfwd.c,$(wildcard user/*.c))
USER_HDRS := $(wildcard user/*.h) include/uapi/linux/calperf.h

all: module user

module:
	@test -n "$(KDIR)" || { echo "no kernel headers for KVER=$(KVER): run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user: user/calperfctl user/calperf-tapfwd

# Rebuilt when the version changes (a commit, a VERSION bump).
user/.version: FORCE
	@echo '$(CALPERF_VERSION)' | cmp -s - $@ || echo '$(CALPERF_VERSION)' >$@

user/calperfctl: $(USER_SRCS) $(USER_HDRS) user/.version
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(USER_SRCS) $(LDLIBS)

# The user-space hop of the tap topology (a VM's network backend).
user/calperf-tapfwd: user/tapfwd.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

gen:
	scripts/ynl-gen

deps:
	scripts/install-deps
	scripts/kernel-headers >/dev/null
	scripts/qemu-backports >/dev/null

lint:
	scripts/lint

demo: user
	selftests/vm/run --kernel $(lastword $(KERNELS)) -- scripts/demo

# The CPU model picks the copy routines, which decide copy-mode figures
# under emulation. ERMS and FSRM, as current x86 has, make user copies and
# the kernel's memcpy 'rep movsb'; no AVX, so glibc's copies are not
# emulated AVX. The guests run bookworm-backports' QEMU 10.0 (Debian 12's
# 7.2 refuses FSRM under TCG, and hangs 6.1's SMP bring-up under icount;
# BENCH_QEMU=qemu-system-x86_64 BENCH_CPU=qemu64,+erms runs it, 6.12
# only on icount). scripts/bench names the routines each side gets.
TIMEBASE ?= icount
BENCH_QEMU ?= backports
BENCH_CPU ?= qemu64,+erms,+fsrm
bench: user
	for k in $(KERNELS); do \
		selftests/vm/run --qemu '$(BENCH_QEMU)' --kernel $$k --cpu-model $(BENCH_CPU) \
			$(if $(filter icount,$(TIMEBASE)),--icount) -- scripts/bench || exit 1; \
	done

# The seed experiment (user/calperf-study) between the VM's two NICs;
# STUDY_ARGS passes options, e.g. STUDY_ARGS="--sizes 1K,64K --time 1".
# REPS runs of each figure (median and spread); ICOUNT=1 runs the guest
# on deterministic time (selftests/vm/run --icount).
STUDY_DATE := $(shell date +%Y%m%d-%H%M%S)
STUDY_OUT ?= study/$(STUDY_DATE)
REPS ?= 3
STUDY_CPU ?= qemu64
study: user
	selftests/vm/run --kernel $(lastword $(KERNELS)) --cpu-model $(STUDY_CPU) --nics \
		$(if $(filter 1 yes,$(ICOUNT)),--icount) \
		--share $(STUDY_OUT) -- user/calperf-study --out $(CURDIR)/$(STUDY_OUT) \
		--reps $(REPS) --no-plots $(STUDY_ARGS)
	user/calperf-study report $(STUDY_OUT)

# Then the lab's part of cluster.py (selftests/check says which): LAB=
# leaves it out, as CALPERF_TESTS= (some programs only) does.
LAB ?= $(if $(CALPERF_TESTS),,lab)
check: user
	CALPERF_DEBUG_TESTS="$(DEBUG_TESTS)" selftests/check $(KERNELS) $(LAB)

# The suite on a 6.12 debug kernel (KASAN, lockdep, kmemleak, UBSAN...),
# built once from Debian's linux-source-6.12 (scripts/debug-kernel). It
# runs ten times slower: by default the programs that exercise the
# probes, the kthreads' teardown, the netlink input and allocation
# failures; DEBUG_TESTS= (empty) runs them all.
DEBUG_TESTS ?= fuzz.py faultinject.py race.py flows.py hops.py lifecycle.py
check-debug: user
	scripts/debug-kernel >/dev/null
	CALPERF_DEBUG_TESTS="$(DEBUG_TESTS)" selftests/check debug

# calperf-study --hosts from this machine, over SSH, between the two
# guests of a lab (selftests/vm/cluster), each its own kernel, and its
# failures (a host unreachable, without the module, of another version,
# lost mid-run); then ansible/calperf.yml installs the packages there
# (built first, as for check) and runs a study each way: calperf-dkms,
# or with CALPERF_LAB_MODULE=prebuilt the module of 'make deb-module'.
# CLUSTER_KERNELS: one per guest.
CLUSTER_KERNELS ?= 6.1,6.12
comma := ,
check-cluster: user
	scripts/kernel-tools >/dev/null
	$(MAKE) -s debs DEB_KERNELS="$(subst $(comma), ,$(CLUSTER_KERNELS))"
	selftests/vm/cluster --kernel $(CLUSTER_KERNELS) --timeout 3600 -- selftests/cluster.py

# Installed as a Debian tool would be: calperfctl and calperf-tapfwd in
# sbin (they need CAP_NET_ADMIN), calperf-study with its package in
# lib/calperf (reached by a symlink in bin: re-rendering a report needs
# no privilege; calperfctl beside it, as in the build tree), the man
# pages. Run 'make' first: installing never
# builds, so 'sudo make install' leaves no root-owned objects behind.
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
BINDIR := $(PREFIX)/bin
PKGDIR := $(PREFIX)/lib/calperf
MAN1DIR := $(PREFIX)/share/man/man1
MAN8DIR := $(PREFIX)/share/man/man8
COMPLDIR := $(PREFIX)/share/bash-completion/completions
INSTALLED := $(SBINDIR)/calperfctl $(SBINDIR)/calperf-tapfwd \
	$(BINDIR)/calperf-study $(PKGDIR) $(MAN8DIR)/calperfctl.8 \
	$(MAN1DIR)/calperf-study.1 $(MAN8DIR)/calperf-tapfwd.8 $(COMPLDIR)/calperfctl

install:
	@for f in user/calperfctl user/calperf-tapfwd; do \
		test -x $$f || { echo "install: $$f is not built: run 'make' first" >&2; exit 1; }; \
	done
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGDIR)/study \
		$(DESTDIR)$(MAN1DIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(COMPLDIR)
	install -m 755 user/calperfctl user/calperf-tapfwd $(DESTDIR)$(SBINDIR)/
	install -m 755 user/calperf-study $(DESTDIR)$(PKGDIR)/
	install -m 644 user/study/*.py $(DESTDIR)$(PKGDIR)/study/
	ln -sfr $(DESTDIR)$(SBINDIR)/calperfctl $(DESTDIR)$(PKGDIR)/calperfctl
	ln -sfr $(DESTDIR)$(SBINDIR)/calperf-tapfwd $(DESTDIR)$(PKGDIR)/calperf-tapfwd
	ln -sfr $(DESTDIR)$(PKGDIR)/calperf-study $(DESTDIR)$(BINDIR)/calperf-study
	install -m 644 man/calperfctl.8 man/calperf-tapfwd.8 $(DESTDIR)$(MAN8DIR)/
	install -m 644 man/calperf-study.1 $(DESTDIR)$(MAN1DIR)/
	install -m 644 completion/calperfctl $(DESTDIR)$(COMPLDIR)/

uninstall:
	rm -rf $(addprefix $(DESTDIR),$(INSTALLED))

# The module of 'make' for KDIR's kernel, in /lib/modules/RELEASE/updates/kmod
# under INSTALL_MOD_PATH (default DESTDIR); updates on 6.1 too, whose
# kbuild would say extra.
# RELEASE is the kernel's own, the one its modules' vermagic holds:
# neither the build link's target (/usr/src/linux-headers-RELEASE) nor
# 'make kernelrelease', which in Debian's 6.1 headers says 6.1.192, not
# 6.1.0-57-amd64. The kernel's own depmod after modules_install skips
# without a System.map, which headers lack: depmod runs here.
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

modules_install modules_uninstall: modules-release
modules-release:
	@test -n "$(KDIR)" || { echo "no kernel headers for KVER=$(KVER)" >&2; exit 1; }
	@test -n "$(KRELEASE)" || { echo "no kernel release in $(KDIR)/include/generated/utsrelease.h" >&2; exit 1; }

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	$(DEPMOD)

# What modules_install put there (kmod/calperf.ko, compressed as the
# kernel's own modules are), and the directories if nothing else is left.
modules_uninstall:
	rm -f $(MODDIR)/kmod/calperf.ko $(MODDIR)/kmod/calperf.ko.*
	rmdir --ignore-fail-on-non-empty $(MODDIR)/kmod $(MODDIR) 2>/dev/null || true
	$(DEPMOD)

# The module's source as DKMS takes it, /usr/src/calperf-VERSION, with
# this build's full version string (scripts/version) in its VERSION.
DKMS_VERSION ?= $(shell cat VERSION)
DKMS_SRC = $(DESTDIR)/usr/src/calperf-$(DKMS_VERSION)
KMOD_SRCS := $(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h) kmod/Kbuild

dkms-source:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/include/uapi/linux $(DKMS_SRC)/scripts
	install -m 644 Kbuild $(DKMS_SRC)/
	install -m 644 $(KMOD_SRCS) $(DKMS_SRC)/kmod/
	install -m 644 include/uapi/linux/calperf.h $(DKMS_SRC)/include/uapi/linux/
	install -m 755 scripts/version $(DKMS_SRC)/scripts/
	echo '$(CALPERF_VERSION)' >$(DKMS_SRC)/VERSION

dkms-install: dkms-source
	sed 's/#MODULE_VERSION#/$(DKMS_VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	dkms install calperf/$(DKMS_VERSION)

dkms-uninstall:
	-dkms remove calperf/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

# Both packages, built from a copy of the tracked files (so nothing is
# written outside build/): build/deb/*.deb. The copy's VERSION holds this
# tree's full version, which module and tools then both report. What
# 'make deb-module' put there stays.
deb:
	@test "$$(dpkg-parsechangelog -S Version)" = "$(DKMS_VERSION)" || \
		{ echo "deb: debian/changelog's version is not VERSION's" >&2; exit 1; }
	rm -rf build/deb/calperf-$(DKMS_VERSION) build/deb/calperf_* build/deb/calperf-dkms_* \
		build/deb/calperf-tools_* build/deb/calperf-tools-dbgsym_*
	mkdir -p build/deb/calperf-$(DKMS_VERSION)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t build/deb/calperf-$(DKMS_VERSION)
	echo '$(CALPERF_VERSION)' >build/deb/calperf-$(DKMS_VERSION)/VERSION
	cd build/deb/calperf-$(DKMS_VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning build/deb/*.changes

# The module built for KDIR's kernel (KVER=, as for 'make'), packaged for
# hosts that should not compile it (scripts/module-deb).
deb-module: modules-release module
	scripts/module-deb $(KRELEASE) build/deb

# What the tests install in their guests: 'make deb', then 'make
# deb-module' for each kernel line of DEB_KERNELS; the output in
# build/deb.log.
DEB_KERNELS ?= $(filter 6.1 6.12,$(KERNELS))
debs:
	mkdir -p build
	$(MAKE) -s deb >build/deb.log 2>&1 || { echo "'make deb' failed: see build/deb.log" >&2; exit 1; }
	for k in $(DEB_KERNELS); do \
		$(MAKE) -s deb-module KVER=$$k >>build/deb.log 2>&1 || \
			{ echo "'make deb-module KVER=$$k' failed: see build/deb.log" >&2; exit 1; }; \
	done

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f user/calperfctl user/calperf-tapfwd

.PHONY: check-cluster all module user gen deps lint dkms-source dkms-install dkms-uninstall deb deb-module debs demo bench study check check-debug clean FORCE \
	install uninstall modules_install modules_uninstall modules-release
FORCE:
