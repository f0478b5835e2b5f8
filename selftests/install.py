#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""'make install' puts the tools where a Debian tool's go (PREFIX,
DESTDIR): the installed calperfctl and calperf-study run from there, the
man page reads, and 'make uninstall' takes all of it away again."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, REPO, sh  # noqa: E402
from ktap import check, Ktap, shared  # noqa: E402

t = Ktap(setup=module_load)
# The DESTDIR the tests install into, one after the other; removed after
# the last.
DEST = shared(tempfile.TemporaryDirectory, prefix="calperf-install-")
FILES = ["usr/sbin/calperfctl", "usr/sbin/calperf-tapfwd", "usr/bin/calperf-study",
         "usr/lib/calperf/calperf-study", "usr/lib/calperf/study/measure.py",
         "usr/share/man/man8/calperfctl.8", "usr/share/man/man1/calperf-study.1"]


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


@t.test(dest=DEST)
def uninstall_removes_everything(dest):
    make(dest, "uninstall")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
    left += [d for d, _, _ in os.walk(dest) if os.path.islink(d)]
    check(not left, f"left behind: {left}")


t.run()
