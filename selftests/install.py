#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""'make install' puts the tools where a Debian tool's go (PREFIX,
DESTDIR): the installed calperfctl and calperf-study run from there, the
man page reads, the bash completion completes from calperfctl's help,
and 'make uninstall' takes all of it away again.
'make modules_install' puts the module where modprobe finds it for the
running kernel, and 'make modules_uninstall' takes it away again (that
needs the VM's writable root, selftests/vm/run --overlay)."""
import os
import shlex
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, REPO, sh  # noqa: E402
from ktap import check, Ktap, unmet  # noqa: E402

t = Ktap(setup=module_load)
REL = os.uname().release
dest = tempfile.mkdtemp(prefix="calperf-install-")
MAKE = f"make -s -C {REPO} DESTDIR={dest} PREFIX=/usr"
FILES = ["usr/sbin/calperfctl", "usr/sbin/calperf-tapfwd", "usr/bin/calperf-study",
         "usr/lib/calperf/calperf-study", "usr/lib/calperf/study/measure.py",
         "usr/share/man/man8/calperfctl.8", "usr/share/man/man1/calperf-study.1",
         "usr/share/bash-completion/completions/calperfctl"]


@t.test
def install_into_destdir():
    sh(f"{MAKE} install")
    missing = [f for f in FILES if not os.path.exists(os.path.join(dest, f))]
    check(not missing, f"not installed: {missing}")


@t.test
def installed_tools_run():
    want = sh(f"{REPO}/scripts/version").stdout.strip()
    r = sh(f"{dest}/usr/sbin/calperfctl -V")
    check(r.stdout == f"calperfctl {want}\ncalperf module {want}\n", f"-V: {r.stdout!r}")
    r = sh(f"{dest}/usr/bin/calperf-study --help")
    check(r.stdout.startswith("usage: calperf-study"), f"calperf-study: {r.stdout[:200]!r}")
    r = sh(f"man -l {dest}/usr/share/man/man8/calperfctl.8", env={**os.environ, "MANPAGER": "cat"})
    text = " ".join(r.stdout.replace("\u2010", "-").split())    # justified, hyphens
    check("calperfctl - measure the Linux TCP data path" in text, f"man page: {text[:300]!r}")


def complete(*words):
    """What the installed bash completion offers for the command line
    "calperfctl WORDS", the last word the one being completed."""
    line = " ".join(shlex.quote(w) for w in (f"{dest}/usr/sbin/calperfctl", *words))
    script = (f"source {dest}/usr/share/bash-completion/completions/calperfctl; "
              f"COMP_WORDS=({line}); COMP_CWORD={len(words)}; _calperfctl; "
              'printf "%s\\n" "${COMPREPLY[@]}"')
    return set(sh(f"bash -c {shlex.quote(script)}").stdout.split())


@t.test
def completion():
    """Options, objects, session commands and each level's keywords, as
    calperfctl's help lists them, and network namespace names."""
    check(complete("") == {"stream", "rr", "session", "monitor", "help"}, f"objects: {complete('')}")
    check(complete("-") == {"-j", "-p", "-s", "-V", "-h"}, f"options: {complete('-')}")
    got = complete("-j", "session", "")
    check(got == {"add", "start", "stop", "del", "show", "help"}, f"session commands: {got}")
    check(complete("session", "st") == {"start", "stop"}, f"session st: {complete('session', 'st')}")
    check(complete("stream", "198.18.0.2", "ms") == {"msg-size"}, "stream ms")
    got = complete("rr", "198.18.0.2", "")
    check({"req-size", "percentile", "client-netns", "help"} <= got and "msg-size" not in got,
          f"rr keywords: {sorted(got)}")
    got = complete("session", "add", "")
    check({"kind", "sender", "receiver", "netns-pid", "msg-size", "count", "help"} <= got
          and not got & {"stream", "rr", "start"}, f"session add keywords: {sorted(got)}")
    check(complete("session", "add", "kind", "") == {"stream", "rr"}, "session add kind")
    check(complete("session", "del", "") == {"help"}, f"session del: {complete('session', 'del', '')}")
    ns = f"calperf-compl-{os.getpid()}"
    sh(f"ip netns add {ns}")
    try:
        got = complete("stream", "198.18.0.2", "client-netns", "")
        check({ns, "pid:", "container:"} <= got, f"client-netns: {sorted(got)}")
        got = complete("session", "add", "receiver", "netns", "calperf-compl-")
        check(got == {ns}, f"netns: {sorted(got)}")
    finally:
        sh(f"ip netns del {ns}")


@t.test
def uninstall_removes_everything():
    sh(f"{MAKE} uninstall")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    left += [d for d, _, _ in os.walk(dest) if os.path.islink(d)]
    check(not left, f"left behind: {left}")


@t.test
def make_deps_installs_no_kernel():
    """'make deps' refuses a package list that pulls in a kernel image,
    whatever this machine has installed already: apt-get simulates the
    list from an empty dpkg status (against this machine's package
    lists). The list passes; linux-headers-6.12-amd64, which depends on
    its image, is refused, naming the image."""
    r = sh(f"{REPO}/scripts/install-deps --check", check_rc=False, timeout=600)
    check(r.returncode == 0 and "no kernel image among the" in r.stdout,
          f"exit {r.returncode}: {(r.stdout + r.stderr).strip()[-500:]}")
    n = int(r.stdout.split("among the ")[1].split()[0])
    # Simulated from nothing: the whole closure, libc6 and all.
    check(n > 100, f"only {n} packages: not the whole closure")
    r = sh(f"{REPO}/scripts/install-deps --check linux-headers-6.12-amd64",
           check_rc=False, timeout=600)
    check(r.returncode == 1 and "would install a kernel: linux-image-6.12." in r.stderr,
          f"exit {r.returncode}: {(r.stdout + r.stderr).strip()[-500:]}")


def tree(top):
    """Every file and directory under @top, relative to it."""
    return {os.path.relpath(os.path.join(d, n), top)
            for d, dirs, files in os.walk(top) for n in dirs + files}


@t.test
def modules_install_for_the_running_kernel():
    """KDIR is the running kernel's build link, which points into a
    headers tree under .../usr/src as on a Debian host: the module goes
    under this kernel's release (not "src", the link's parent), depmod
    indexes it, and modules_uninstall leaves the tree as it found it."""
    if os.environ.get("CALPERF_VM_OVERLAY") != "1":
        raise unmet("needs a writable root: selftests/vm/run --overlay")
    moddir = f"/lib/modules/{REL}"
    if not os.path.exists(f"{moddir}/build"):
        raise unmet(f"no kernel headers at {moddir}/build")
    before = tree(moddir)
    check(sh("modinfo -n calperf", check_rc=False).returncode, "calperf is installed already")
    sh(f"make -s -C {REPO} modules_install", timeout=600)
    path = sh("modinfo -n calperf").stdout.strip()
    check(path.startswith(f"{moddir}/updates/"), f"modinfo -n calperf: {path!r}")
    vermagic = sh("modinfo -F vermagic calperf").stdout.split()
    check(vermagic[:1] == [REL], f"vermagic {vermagic}")
    sh(f"make -s -C {REPO} modules_uninstall", timeout=600)
    r = sh("modinfo -n calperf", check_rc=False)
    check(r.returncode, f"still installed: {r.stdout.strip()!r}")
    after = tree(moddir)
    check(after == before, f"left behind: {sorted(after - before)}, gone: {sorted(before - after)}")


t.run()
