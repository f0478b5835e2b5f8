#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""'make install' puts the tools where a Debian tool's go (PREFIX,
DESTDIR): the installed calperfctl and calperf-study run from there, the
man page reads, the bash completion completes from calperfctl's help,
and 'make uninstall' takes all of it away again.
'make modules_install' puts the module under the running kernel's
release and depmod indexes it, and 'make modules_uninstall' takes it
away again (in a root of its own, INSTALL_MOD_PATH)."""
import glob
import os
import shlex
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, REPO, sh  # noqa: E402
from ktap import check, Ktap, shared, unmet  # noqa: E402

t = Ktap(setup=module_load)
REL = os.uname().release
# The DESTDIR the tests install into, one after the other; removed after
# the last.
DEST = shared(tempfile.TemporaryDirectory, prefix="calperf-install-")
FILES = ["usr/sbin/calperfctl", "usr/sbin/calperf-tapfwd", "usr/bin/calperf-study",
         "usr/lib/calperf/calperf-study", "usr/lib/calperf/study/measure.py",
         "usr/share/man/man8/calperfctl.8", "usr/share/man/man1/calperf-study.1",
         "usr/share/bash-completion/completions/calperfctl"]


def make(dest, target):
    sh(f"make -s -C {REPO} DESTDIR={dest} PREFIX=/usr {target}")


@t.test(dest=DEST)
def install_into_destdir(dest):
    make(dest, "install")
    missing = [f for f in FILES if not os.path.exists(os.path.join(dest, f))]
    check(not missing, f"not installed: {missing}")


@t.test(dest=DEST)
def installed_tools_run(dest):
    want = sh(f"{REPO}/scripts/version").stdout.strip()
    r = sh(f"{dest}/usr/sbin/calperfctl -V")
    check(r.stdout == f"calperfctl {want}\ncalperf module {want}\n", f"-V: {r.stdout!r}")
    r = sh(f"{dest}/usr/bin/calperf-study --help")
    check(r.stdout.startswith("usage: calperf-study"), f"calperf-study: {r.stdout[:200]!r}")
    r = sh(f"man -l {dest}/usr/share/man/man8/calperfctl.8", env={**os.environ, "MANPAGER": "cat"})
    text = " ".join(r.stdout.replace("\u2010", "-").split())    # justified, hyphens
    check("calperfctl - measure the Linux TCP data path" in text, f"man page: {text[:300]!r}")


def complete(dest, *words):
    """What the installed bash completion offers for the command line
    "calperfctl WORDS", the last word the one being completed."""
    line = " ".join(shlex.quote(w) for w in (f"{dest}/usr/sbin/calperfctl", *words))
    script = (f"source {dest}/usr/share/bash-completion/completions/calperfctl; "
              f"COMP_WORDS=({line}); COMP_CWORD={len(words)}; _calperfctl; "
              'printf "%s\\n" "${COMPREPLY[@]}"')
    return set(sh(f"bash -c {shlex.quote(script)}").stdout.split())


@t.test(dest=DEST)
def completion(dest):
    """Options, objects, session commands and each level's keywords, as
    calperfctl's help lists them, and network namespace names."""
    got = complete(dest, "")
    check(got == {"stream", "rr", "session", "monitor", "help"}, f"objects: {got}")
    got = complete(dest, "-")
    check(got == {"-j", "-p", "-s", "-V", "-h"}, f"options: {got}")
    got = complete(dest, "-j", "session", "")
    check(got == {"add", "start", "stop", "del", "show", "help"}, f"session commands: {got}")
    got = complete(dest, "session", "st")
    check(got == {"start", "stop"}, f"session st: {got}")
    check(complete(dest, "stream", "198.18.0.2", "ms") == {"msg-size"}, "stream ms")
    got = complete(dest, "rr", "198.18.0.2", "")
    check({"req-size", "percentile", "client-netns", "help"} <= got and "msg-size" not in got,
          f"rr keywords: {sorted(got)}")
    got = complete(dest, "session", "add", "")
    check({"kind", "sender", "receiver", "netns-pid", "msg-size", "count", "help"} <= got
          and not got & {"stream", "rr", "start"}, f"session add keywords: {sorted(got)}")
    check(complete(dest, "session", "add", "kind", "") == {"stream", "rr"}, "session add kind")
    got = complete(dest, "session", "del", "")
    check(got == {"help"}, f"session del: {got}")
    ns = f"calperf-compl-{os.getpid()}"
    sh(f"ip netns add {ns}")
    try:
        got = complete(dest, "stream", "198.18.0.2", "client-netns", "")
        check({ns, "pid:", "container:"} <= got, f"client-netns: {sorted(got)}")
        got = complete(dest, "session", "add", "receiver", "netns", "calperf-compl-")
        check(got == {ns}, f"netns: {sorted(got)}")
    finally:
        sh(f"ip netns del {ns}")


@t.test(dest=DEST)
def uninstall_removes_everything(dest):
    make(dest, "uninstall")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    left += [d for d, _, _ in os.walk(dest) if os.path.islink(d)]
    check(not left, f"left behind: {left}")


def need_headers():
    """The running kernel's build link, which the overlay gives the guest."""
    if not os.path.exists(f"/lib/modules/{REL}/build"):
        raise unmet(f"no kernel headers at /lib/modules/{REL}/build (selftests/vm/run --overlay)")


@t.test
def make_builds_for_the_running_kernel():
    """With no KVER or KDIR, 'make' builds the module against the running
    kernel's build link, as on a host with its headers installed."""
    need_headers()
    env = {k: v for k, v in os.environ.items() if k not in ("KVER", "KDIR")}
    # MAKE=true: the recursive make that -n would still run, kbuild's
    # parse of the whole kernel tree, is only printed.
    r = sh(f"make -n -C {REPO} module MAKE=true", env=env)
    check(f"-C /lib/modules/{REL}/build M={REPO} modules" in r.stdout, f"make -n: {r.stdout!r}")


@t.test
def modules_install_for_the_running_kernel():
    """KDIR is the running kernel's build link, which points into a
    headers tree under .../usr/src as on a Debian host: the module goes
    under this kernel's release (not "src", the link's parent) in
    INSTALL_MOD_PATH, depmod indexes it there, and modules_uninstall
    takes it out of the tree and the index. (A root of its own: depmod
    over the guest's whole tree takes minutes under TCG.)"""
    need_headers()
    with tempfile.TemporaryDirectory(prefix="calperf-modules-") as root:
        make = f"make -s -C {REPO} INSTALL_MOD_PATH={root}"
        moddir = f"{root}/lib/modules/{REL}"
        sh(f"{make} modules_install", timeout=600)
        kos = glob.glob(f"{moddir}/updates/**/calperf.ko*", recursive=True)
        check(len(kos) == 1, f"installed: {sorted(glob.glob(f'{root}/lib/modules/*'))} {kos}")
        vermagic = sh(f"modinfo -F vermagic {kos[0]}").stdout.split()
        check(vermagic[:1] == [REL], f"vermagic {vermagic}")
        dep = open(f"{moddir}/modules.dep").read()
        check(os.path.relpath(kos[0], moddir) + ":" in dep, f"modules.dep: {dep!r}")
        sh(f"{make} modules_uninstall", timeout=600)
        left = glob.glob(f"{moddir}/**/calperf.ko*", recursive=True)
        check(not left and "calperf" not in open(f"{moddir}/modules.dep").read(),
              f"left behind: {left}")


t.run()
