#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The Debian packages ('make deb') install as any Debian tool's do, in
the VM's writable root (selftests/vm/run --overlay). On 6.1 the module
prebuilt for the running kernel ('make deb-module') installs, loads,
keeps calperf-dkms out and goes with dpkg -r; then dpkg builds the
module with DKMS for the running kernel, and a newer kernel's headers
arriving (6.12's) make DKMS build it for that kernel too. On 6.12 the
tests after that run on calperf-tools and the prebuilt module: DKMS's
compile takes 9 to 11 minutes in a TCG guest, and 6.1's upgrade has
just compiled it for 6.12 ('make check-cluster' has DKMS load it on a
6.12 host). Then, on both, the first calperfctl command loads the
module, module and tools report one version, the man pages render,
completion works, a kernel locked down as Secure Boot does refuses the
(unsigned) module and calperfctl names the lockdown in its one line, and
dpkg -r takes all of it away again. The lockdown lasts until reboot, so
run_tests runs this program last."""
import glob
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_loaded, module_unload, REPO, sh  # noqa: E402
from ktap import check, diag, Ktap, shared, Skip, unmet  # noqa: E402
from topology import VethPair  # noqa: E402

DEB = os.path.join(REPO, "build/deb")
REL = os.uname().release
# calperf-dkms, or on 6.12 calperf-modules-REL (above).
DKMS = os.environ.get("CALPERF_VM_KERNEL") != "6.12"
MODULE_PKG = "calperf-dkms" if DKMS else f"calperf-modules-{REL}"


def dkms_deb():
    return glob.glob(f"{DEB}/calperf-dkms_*_all.deb")


def modules_deb():
    return glob.glob(f"{DEB}/calperf-modules-{REL}_*_amd64.deb")


def debs():
    """The module's package (MODULE_PKG) and calperf-tools."""
    return sorted((dkms_deb() if DKMS else modules_deb()) +
                  glob.glob(f"{DEB}/calperf-tools_*_amd64.deb"))


def installable():
    """A writable root, the packages and the headers DKMS builds with
    (a failure without them under selftests/check, which provides them);
    no module loaded yet."""
    if os.environ.get("CALPERF_VM_OVERLAY") != "1":
        raise unmet("needs a writable root: selftests/vm/run --overlay")
    if len(debs()) != 2:
        raise unmet(f"no {MODULE_PKG} and calperf-tools packages in {DEB}: "
                    "run 'make deb' and 'make deb-module'")
    if DKMS and not os.path.exists(f"/lib/modules/{REL}/build"):
        raise unmet(f"no kernel headers at /lib/modules/{REL}/build")
    module_unload()


t = Ktap(setup=installable)
# The packages' files, from dpkg -L once installed: all gone once removed.
INSTALLED = shared(list)


NONINTERACTIVE = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


@t.test
def prebuilt_module_package():
    """calperf-modules-RELEASE: dpkg -i puts the module where modprobe
    finds it, and it loads; calperf-dkms is refused beside it (one module
    of one origin); dpkg -r takes it away, from modprobe's index too."""
    if not DKMS:
        raise Skip(f"the tests below install {MODULE_PKG} on 6.12")
    deb = modules_deb()
    if len(deb) != 1:
        raise unmet(f"no calperf-modules-{REL} package in {DEB}: run 'make deb-module'")
    ko = f"/lib/modules/{REL}/updates/calperf.ko"
    check(sh("modinfo -n calperf", check_rc=False).returncode != 0,
          "modprobe finds a calperf module before the package")
    sh(f"dpkg -i {deb[0]}", timeout=300, env=NONINTERACTIVE)
    try:
        check(sh("modinfo -n calperf").stdout.strip() == ko,
              "modprobe does not find the package's")
        sh("modprobe calperf")
        check(module_loaded(), "the package's module did not load")
        module_unload()
        r = sh(f"dpkg -i {dkms_deb()[0]}", check_rc=False, env=NONINTERACTIVE)
        check(r.returncode != 0 and "conflicting packages" in r.stderr,
              f"calperf-dkms beside it: {r.stderr}")
        # dpkg remembers the package it refused, as not installed.
        status = sh("dpkg-query -W -f '${db:Status-Status}' calperf-dkms",
                    check_rc=False).stdout
        check(status in ("", "not-installed"), f"calperf-dkms is {status}")
    finally:
        sh(f"dpkg -r calperf-modules-{REL}", timeout=300, env=NONINTERACTIVE)
    check(not os.path.exists(ko), f"{ko} left behind")
    check(sh("modinfo -n calperf", check_rc=False).returncode != 0,
          "modprobe still finds calperf after dpkg -r")


@t.test(installed=INSTALLED)
def dpkg_install_builds_the_module(installed):
    # man-db's trigger would rebuild the index of every man page on this
    # machine, minutes under TCG; man reads ours without it. The trigger
    # looks only at this file (the debconf answer just makes or removes
    # it at man-db's own configure); the root is the VM's overlay.
    if os.path.exists("/var/lib/man-db/auto-update"):
        os.remove("/var/lib/man-db/auto-update")
    t0 = time.monotonic()
    sh("dpkg -i " + " ".join(debs()), timeout=1200, env=NONINTERACTIVE)
    diag(f"dpkg -i{' and DKMS' if DKMS else ''}: {time.monotonic() - t0:.0f} s")
    path = sh("modinfo -n calperf").stdout.strip()
    if DKMS:
        status = sh("dkms status calperf").stdout.strip()
        check(REL in status and "installed" in status, f"dkms status: {status!r}")
        check(path.startswith(f"/lib/modules/{REL}/updates/dkms/"), f"modinfo -n: {path!r}")
    else:
        check(path == f"/lib/modules/{REL}/updates/calperf.ko", f"modinfo -n: {path!r}")
    for pkg in (MODULE_PKG, "calperf-tools"):
        installed.extend(f for f in sh(f"dpkg -L {pkg}").stdout.split() if os.path.isfile(f))


def release_key(rel):
    return [int(n) for n in re.findall(r"\d+", rel)]


def newer_kernel():
    """The newest kernel line in the cache newer than this one, as
    (release, headers): the guest's build link points into the cache."""
    build = os.path.realpath(f"/lib/modules/{REL}/build")
    cache = build[:build.index("/headers/") + len("/headers")]
    rels = [os.path.basename(os.path.dirname(r)) for r in glob.glob(f"{cache}/*-amd64/.ready")]
    newer = sorted((r for r in rels if release_key(r) > release_key(REL)), key=release_key)
    if not newer:
        return None
    rel = newer[-1]
    return rel, f"{cache}/{rel}/root/usr/src/linux-headers-{rel}"


@t.test
def kernel_upgrade_builds_the_module_for_it():
    """What a newer linux-headers package's postinst runs. The guest keeps
    booting its own kernel; the new one's module is checked by modinfo."""
    if not DKMS:
        raise Skip(f"{MODULE_PKG} installed, not calperf-dkms")
    newer = newer_kernel()
    if not newer:
        raise Skip(f"no kernel newer than {REL} in the cache to upgrade to")
    rel, headers = newer
    os.makedirs(f"/lib/modules/{rel}", exist_ok=True)
    os.symlink(headers, f"/lib/modules/{rel}/build")
    t0 = time.monotonic()
    sh(f"/etc/kernel/header_postinst.d/dkms {rel}", timeout=1200)
    diag(f"DKMS for {rel}: {time.monotonic() - t0:.0f} s")
    status = sh(f"dkms status calperf -k {rel}").stdout.strip()
    check(rel in status and "installed" in status, f"dkms status -k {rel}: {status!r}")
    ko = glob.glob(f"/lib/modules/{rel}/updates/dkms/calperf.ko*")
    check(len(ko) == 1, f"modules for {rel}: {ko}")
    vermagic = sh(f"modinfo -F vermagic {ko[0]}").stdout.split()
    check(vermagic[:1] == [rel], f"vermagic of {ko[0]}: {vermagic}")
    check(f"{REL}" in sh("dkms status calperf").stdout, "the running kernel's module is gone")


@t.test(pair=VethPair)
def first_command_loads_the_module(pair):
    check(not module_loaded(), "calperf is loaded before the first command")
    r = sh(f"/usr/sbin/calperfctl -j stream {pair.b4} client-netns {pair.a} "
           f"server-netns {pair.b} time 1 msg-size 16K", timeout=120)
    res = json.loads(r.stdout)
    check(module_loaded(), "calperf is not loaded after calperfctl stream")
    check(res["session"]["receiver"]["stats"]["bytes"] > 0, f"no bytes: {r.stdout[:300]}")


@t.test
def one_version():
    r = sh("/usr/sbin/calperfctl -V")
    lines = r.stdout.splitlines()
    check(len(lines) == 2 and lines[0].split()[-1] == lines[1].split()[-1],
          f"-V: {r.stdout!r} {r.stderr!r}")
    with open("/sys/module/calperf/version") as f:
        check(f.read().strip() == lines[0].split()[-1], "module version differs")


@t.test
def man_pages_and_completion():
    env = {**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"}
    for page, words in (("calperfctl", "measure the Linux TCP data path"),
                        ("calperf-study", "compare TCP data paths"),
                        ("calperf-tapfwd", "join two tap devices")):
        text = " ".join(sh(f"man {page}", env=env).stdout.replace("\u2010", "-").split())
        check(words in text, f"man {page}: {text[:200]!r}")
    r = sh("bash -c 'source /usr/share/bash-completion/completions/calperfctl; "
           "COMP_WORDS=(calperfctl stream 198.18.0.2 ms); COMP_CWORD=3; _calperfctl; "
           "echo ${COMPREPLY[@]}'")
    check(r.stdout.split() == ["msg-size"], f"completion: {r.stdout!r}")


@t.test
def locked_down_kernel_is_named_in_one_line():
    """lockdown=integrity, raised at run time as Secure Boot raises it at
    boot: the installed module, loadable a test ago, is now refused."""
    lockdown = "/sys/kernel/security/lockdown"
    if not os.path.exists(lockdown):
        raise Skip(f"no {lockdown}: the kernel has no lockdown LSM")
    module_unload()
    with open(lockdown, "w") as f:
        f.write("integrity")
    with open(lockdown) as f:
        check("[integrity]" in f.read(), "the kernel did not lock down")
    r = sh("/usr/sbin/calperfctl session list", check_rc=False)
    diag(r.stderr.strip())
    lines = r.stderr.splitlines()
    check(r.returncode == 1 and len(lines) == 1, f"exit {r.returncode}, stderr {r.stderr!r}")
    want = "Error: the calperf module is not loaded and cannot be loaded (modprobe calperf: "
    check(lines[0].startswith(want) and lines[0].endswith(")."), f"message: {lines[0]!r}")
    check("locked down (Secure Boot)" in lines[0], f"lockdown not named: {lines[0]!r}")
    check(not module_loaded(), "the module loaded on a locked-down kernel")


@t.test(installed=INSTALLED)
def dpkg_remove_leaves_nothing(installed):
    module_unload()
    t0 = time.monotonic()
    sh(f"dpkg -r calperf-tools {MODULE_PKG}", timeout=300, env=NONINTERACTIVE)
    diag(f"dpkg -r: {time.monotonic() - t0:.0f} s")
    status = sh("dkms status calperf").stdout.strip()
    check(not status, f"dkms status after removal: {status!r}")
    left = [f for f in installed if os.path.exists(f)]
    left += glob.glob("/lib/modules/*/updates/dkms/calperf.ko*")
    left += glob.glob("/lib/modules/*/updates/calperf.ko*")
    left += glob.glob("/var/lib/dkms/calperf") + glob.glob("/usr/src/calperf-*")
    check(installed and not left, f"left behind: {left}")
    check(sh("modinfo -n calperf", check_rc=False).returncode != 0,
          "modprobe still finds calperf after dpkg -r")


t.run()
