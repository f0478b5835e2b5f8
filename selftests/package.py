#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The Debian packages ('make deb') install as any Debian tool's do, in
the VM's writable root (selftests/vm/run --overlay): dpkg builds the
module with DKMS for the running kernel, the first calperfctl command
loads it, module and tools report one version, the man pages render,
completion works, and dpkg -r takes all of it away again."""
import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf_test import *  # noqa: E402,F403

t = Ktap()
DEB = os.path.join(REPO, "build/deb")
REL = os.uname().release
installed = []      # the packages' files, from dpkg -L
pair = None


def debs():
    return sorted(glob.glob(f"{DEB}/calperf-dkms_*_all.deb") +
                  glob.glob(f"{DEB}/calperf-tools_*_amd64.deb"))


@t.test
def setup():
    global pair
    if os.environ.get("CALPERF_VM_OVERLAY") != "1":
        raise Skip("needs a writable root: selftests/vm/run --overlay")
    if len(debs()) != 2:
        raise Skip(f"no packages in {DEB}: run 'make deb'")
    if not os.path.exists(f"/lib/modules/{REL}/build"):
        raise Skip(f"no kernel headers at /lib/modules/{REL}/build")
    module_unload()
    pair = VethPair()


@t.test
def dpkg_install_builds_the_module():
    r = sh("dpkg -i " + " ".join(debs()), timeout=1200,
           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    diag(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "dpkg: no output")
    status = sh("dkms status calperf").stdout.strip()
    check(REL in status and "installed" in status, f"dkms status: {status!r}")
    path = sh("modinfo -n calperf").stdout.strip()
    check(path.startswith(f"/lib/modules/{REL}/updates/dkms/"), f"modinfo -n: {path!r}")
    for pkg in ("calperf-dkms", "calperf-tools"):
        installed.extend(f for f in sh(f"dpkg -L {pkg}").stdout.split() if os.path.isfile(f))


@t.test
def first_command_loads_the_module():
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
def dpkg_remove_leaves_nothing():
    module_unload()
    sh("dpkg -r calperf-tools calperf-dkms", timeout=300,
       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    status = sh("dkms status calperf").stdout.strip()
    check(not status, f"dkms status after removal: {status!r}")
    left = [f for f in installed if os.path.exists(f)]
    left += glob.glob(f"/lib/modules/{REL}/updates/dkms/calperf.ko*")
    left += glob.glob("/var/lib/dkms/calperf") + glob.glob("/usr/src/calperf-*")
    check(installed and not left, f"left behind: {left}")


@t.test
def cleanup():
    if pair:
        pair.close()


t.run()
