#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""On a kernel locked down as Secure Boot does (lockdown=integrity), an
unsigned calperf module is refused, and calperfctl says so in one line
that names the lockdown instead of failing on a missing family. The
lockdown cannot be lifted without a reboot, so run_tests runs this
program last; it needs the writable root (selftests/vm/run --overlay)
to install the module where modprobe finds it."""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import CALPERFCTL, module_loaded, module_unload, sh  # noqa: E402
from ktap import check, diag, Ktap, Skip  # noqa: E402

t = Ktap()
REL = os.uname().release
INSTALLED = f"/lib/modules/{REL}/extra/calperf.ko"
LOCKDOWN = "/sys/kernel/security/lockdown"


def install_module():
    if os.environ.get("CALPERF_VM_OVERLAY") != "1":
        raise Skip("needs a writable root: selftests/vm/run --overlay")
    if not os.path.exists(LOCKDOWN):
        raise Skip(f"no {LOCKDOWN}: the kernel has no lockdown LSM")
    if not os.path.exists(INSTALLED):
        os.makedirs(os.path.dirname(INSTALLED), exist_ok=True)
        shutil.copy(os.environ["CALPERF_KO"], INSTALLED)
        sh(f"depmod -a {REL}")


@t.test
def unsigned_module_loads_while_not_locked_down():
    install_module()
    module_unload()
    with open(LOCKDOWN) as f:
        state = f.read().strip()
    check(state.startswith("[none]"), f"already locked down: {state}")
    r = sh(f"{CALPERFCTL} session list", check_rc=False)
    check(r.returncode == 0 and module_loaded(), f"calperfctl: {r.stderr.strip()!r}")


@t.test
def locked_down_kernel_is_named_in_one_line():
    install_module()
    module_unload()
    with open(LOCKDOWN, "w") as f:
        f.write("integrity")
    with open(LOCKDOWN) as f:
        check("[integrity]" in f.read(), "the kernel did not lock down")
    r = sh(f"{CALPERFCTL} session list", check_rc=False)
    diag(r.stderr.strip())
    lines = r.stderr.splitlines()
    check(r.returncode == 1 and len(lines) == 1, f"exit {r.returncode}, stderr {r.stderr!r}")
    want = "Error: the calperf module is not loaded and cannot be loaded (modprobe calperf: "
    check(lines[0].startswith(want) and lines[0].endswith(")."), f"message: {lines[0]!r}")
    check("locked down (Secure Boot)" in lines[0], f"lockdown not named: {lines[0]!r}")
    check(not module_loaded(), "the module loaded on a locked-down kernel")
    os.unlink(INSTALLED)
    sh(f"depmod -a {REL}")


t.run()
