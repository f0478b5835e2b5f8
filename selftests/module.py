#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Loading and unloading calperf; its family in the genl controller."""
import errno
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    ctl, module_load, module_loaded, module_unload, REPO, session_count, sh)
from genl import (  # noqa: E402
    CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_OP_FLAGS,
    CTRL_ATTR_OP_ID, CTRL_ATTR_OPS, Genl, NlError, parse_attrs)
from ktap import check, Ktap  # noqa: E402

t = Ktap()


def family_ops():
    g = Genl(family=None)
    try:
        attrs = g.resolve("calperf")
    finally:
        g.close()
    ops = {}
    for op in parse_attrs(attrs.get(CTRL_ATTR_OPS, b"")).values():
        a = parse_attrs(op)
        ops[struct.unpack("=I", a[CTRL_ATTR_OP_ID])[0]] = \
            struct.unpack("=I", a.get(CTRL_ATTR_OP_FLAGS, b"\0\0\0\0"))[0]
    groups = [parse_attrs(g_)[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()
              for g_ in parse_attrs(attrs.get(CTRL_ATTR_MCAST_GROUPS, b"")).values()]
    return ops, groups


@t.test
def load():
    module_unload()
    module_load()
    check(module_loaded(), "calperf is not in /proc/modules after insmod")


@t.test
def family_registered():
    ops, groups = family_ops()
    check(sorted(ops) == [1, 2, 3, 4, 5], f"unexpected ops {sorted(ops)}")
    # GENL_ADMIN_PERM: CAP_NET_ADMIN in the initial user namespace, not
    # GENL_UNS_ADMIN_PERM, which a user namespace's root has.
    GENL_ADMIN_PERM, GENL_UNS_ADMIN_PERM = 0x01, 0x10
    for op in (1, 2, 3, 5):
        check(ops[op] & GENL_ADMIN_PERM and not ops[op] & GENL_UNS_ADMIN_PERM,
              f"op {op}: flags {ops[op]:#x}, not GENL_ADMIN_PERM alone")
    check(groups == ["monitor"], f"unexpected multicast groups {groups}")


@t.test
def empty_after_load():
    check(session_count() == 0, "sessions exist right after load")


@t.test
def versions_agree():
    """One version (scripts/version) in MODULE_VERSION, modinfo and
    calperfctl -V, which warns when the loaded module's differs."""
    want = sh(f"{REPO}/scripts/version").stdout.strip()
    check(open("/sys/module/calperf/version").read().strip() == want,
          "the loaded module's version is not scripts/version's")
    check(f"version:        {want}\n" in sh(f"modinfo {os.environ['CALPERF_KO']}").stdout,
          "modinfo shows another version")
    r = ctl("-V", as_json=False)
    check(r.rc == 0 and r.out == f"calperfctl {want}\ncalperf module {want}\n" and not r.err,
          f"calperfctl -V: {r.out!r} {r.err!r}")
    r = ctl("-V")
    check(r.json == {"calperfctl_version": want, "module_version": want}, f"-j -V: {r.out!r}")


def not_source(d, names):
    """copytree's ignore: the files of @d but its C sources and headers."""
    return [n for n in names if os.path.isfile(os.path.join(d, n)) and not n.endswith((".c", ".h"))]


@t.test
def versions_differ_warns():
    """calperfctl built with another version (the Makefile's own rule, in
    a copy of the sources, CALPERF_VERSION=0.0.0-test) against the loaded
    module: -V prints both, warns in one line on stderr, and exits 0, as
    calperfctl(8) says (a warning, not an error); -j too."""
    want = sh(f"{REPO}/scripts/version").stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        for f in ("Makefile", "VERSION", "scripts/version"):
            os.makedirs(os.path.dirname(os.path.join(tmp, f)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, f), os.path.join(tmp, f))
        for d in ("user", "include"):
            shutil.copytree(os.path.join(REPO, d), os.path.join(tmp, d), ignore=not_source)
        # -O0: the same program, compiled in a fraction of the time under TCG.
        sh(f"make -s -C {tmp} user/calperfctl CALPERF_VERSION=0.0.0-test",
           env={**os.environ, "CFLAGS": "-O0"}, timeout=300)
        other = os.path.join(tmp, "user/calperfctl")
        warning = f"Warning: calperfctl 0.0.0-test and the loaded calperf module {want} differ.\n"
        r = subprocess.run([other, "-V"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout == f"calperfctl 0.0.0-test\ncalperf module {want}\n"
              and r.stderr == warning, f"-V: exit {r.returncode}, {r.stdout!r} {r.stderr!r}")
        r = subprocess.run([other, "-j", "-V"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stderr == warning, f"-j -V: exit {r.returncode}, {r.stderr!r}")
        check(json.loads(r.stdout) == {"calperfctl_version": "0.0.0-test", "module_version": want},
              f"-j -V: {r.stdout!r}")


@t.test
def unload():
    module_unload()
    check(not module_loaded(), "calperf still loaded after rmmod")
    try:
        Genl()
    except NlError as e:
        check(e.errno == errno.ENOENT, f"unexpected error {e}")
    else:
        raise AssertionError("the calperf family outlived the module")


@t.test
def calperfctl_without_module():
    r = ctl("session", "show")
    check(r.rc == 1, f"exit code {r.rc}")
    # Not installed in the VM: the kernel's autoload and modprobe fail.
    check(r.err.strip() == "Error: the calperf module is not loaded and cannot be loaded "
          f"(modprobe calperf: Module calperf not found in directory /lib/modules/{os.uname().release}).",
          f"stderr: {r.err!r}")


@t.test
def reload():
    module_load()
    check(session_count() == 0, "sessions exist after reload")


t.run()
