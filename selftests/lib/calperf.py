# SPDX-License-Identifier: GPL-2.0
"""The calperf module and calperfctl as the tests drive them: loading and
unloading, the kthreads left, calperfctl's JSON, sessions; and the shell
commands and processes the tests run."""

import calendar
import json
import os
import re
import signal
import subprocess
import time

from ktap import DEBUG_KERNEL, Skip, check, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALPERFCTL = os.path.join(REPO, "user", "calperfctl")


# --- processes -------------------------------------------------------------

def sh(cmd, check_rc=True, timeout=60, **kw):
    """Run a shell command; returns CompletedProcess with text output.
    @timeout bounds a hang: ten times looser on the debug kernel."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=timeout * (10 if DEBUG_KERNEL else 1), **kw)
    if check_rc and p.returncode:
        raise AssertionError(f"'{cmd}' exited {p.returncode}: {p.stderr.strip()}")
    return p


def spawn(cmd, **kw):
    return subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def kill_tree(p, sig=signal.SIGKILL):
    """Signal @p's process group. After SIGKILL, wait until no member is
    left running: a killed insmod or rmmod finishes its system call before
    it dies, and the caller must not race it."""
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        return
    if sig == signal.SIGKILL:
        p.wait()
        wait_for(lambda: not _group_running(p.pid), 30,
                 f"process group {p.pid} to exit")


def _group_running(pgid):
    """Whether a process of group @pgid is alive (zombies do not count)."""
    for _, stat in proc_files("stat"):
        # Fields after the parenthesised comm: state, ppid, pgrp, ...
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def proc_files(name):
    """(pid, text of /proc/PID/@name) for every process whose file could
    be read (one that exits meanwhile is left out)."""
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/{name}") as f:
                    yield pid, f.read()
            except OSError:
                continue


# --- the module ------------------------------------------------------------

def module_loaded():
    with open("/proc/modules") as f:
        return any(line.split()[0] == "calperf" for line in f)


def module_load():
    if not module_loaded():
        ko = os.environ.get("CALPERF_KO")
        if not ko:
            raise Skip("CALPERF_KO is not set (run inside selftests/vm/run)")
        sh(f"insmod {ko}")


def module_unload():
    if module_loaded():
        sh("rmmod calperf", timeout=30)


def reload_module():
    """Unload, which must leave no kthread behind, then load again."""
    module_unload()
    check(not module_loaded(), "the module is still loaded")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    module_load()


def calperf_kthreads():
    """Names of live calperf kthreads."""
    return [comm.strip() for _, comm in proc_files("comm") if comm.startswith("calperf-")]


# --- calperfctl ------------------------------------------------------------

class Ctl:
    def __init__(self, p, as_json):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr
        self.json = None
        if as_json and p.stdout.strip():
            self.json = json.loads(p.stdout)


def ctl(*args, ns=None, as_json=True, prefix="", timeout=120, env=None):
    """Run calperfctl (in netns @ns; with environment @env if given) and
    parse its JSON output."""
    cmd = [CALPERFCTL] + (["-j"] if as_json else []) + [str(a) for a in args]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    if prefix:
        cmd = prefix.split() + cmd
    # A bound on a hung calperfctl, not on the path: ten times looser on
    # the debug kernel, which runs ten times slower.
    return Ctl(subprocess.run(cmd, capture_output=True, text=True, env=env,
                              timeout=timeout * (10 if DEBUG_KERNEL else 1)), as_json)


def ctl_ok(*args, **kw):
    r = ctl(*args, **kw)
    check(r.rc == 0, f"calperfctl {' '.join(map(str, args))} failed: {r.err.strip()}")
    return r


def run(path, kind, *args):
    """calperfctl stream or rr from @path's A to its B; its JSON result."""
    return ctl_ok(kind, *args, "client-netns", path.a, "server-netns", path.b).json


def check_provenance(r):
    """A stream or rr result (-j) says what produced it: both versions
    (scripts/version's), this kernel and host, and a UTC time of now."""
    p = r["provenance"]
    want = sh(f"{REPO}/scripts/version").stdout.strip()
    check(p["calperfctl_version"] == want and p["module_version"] == want, f"versions {p}")
    check(p["kernel"] == os.uname().release and p["host"] == os.uname().nodename, f"{p}")
    age = time.time() - calendar.timegm(time.strptime(p["utc"], "%Y-%m-%dT%H:%M:%SZ"))
    check(0 <= age < 60, f"utc {p['utc']} is {age:.0f} s old")


def json_key_table():
    """The first cell of each row of calperf.rst's list-table under "JSON
    keys": each key, or a pattern for keys such as p<P>_ns, with its
    regex (json_keys.py checks calperfctl's output against it,
    manpage.py calperfctl(8))."""
    with open(os.path.join(REPO, "Documentation", "calperf.rst")) as f:
        doc = f.read()
    m = re.search(r"^JSON keys\n=+\n(.*?)\n\S[^\n]*\n=+\n", doc, re.S | re.M)
    check(m, "no \"JSON keys\" section in Documentation/calperf.rst")
    keys = {}
    for cell in re.findall(r"^   \* - (.*)$", m.group(1), re.M):
        for key in re.findall(r"``([^`]+)``", cell):
            if key == "Key":
                continue
            check(key not in keys, f"{key} is in the table twice")
            keys[key] = re.compile(re.sub(r"<[A-Z]+>", "[0-9_]+", key) + "$")
    return keys


def session(sid):
    return ctl_ok("session", "show", sid).json


def wait_done(sid, timeout):
    """Session @sid once its state is "done"."""
    return wait_for(lambda: (lambda s: s if s["state"] == "done" else None)(session(sid)),
                    timeout, f"session {sid} to finish")


def session_count(ns=None):
    r = ctl_ok("session", "show", ns=ns)
    return len(r.json)


def no_session_left(*_):
    """The check after a program's tests (shared(..., after=no_session_left))."""
    check(session_count() == 0, "sessions left behind")
