# SPDX-License-Identifier: GPL-2.0
"""Open vSwitch for the study's ovs path. Its programs come from the
cache that scripts/ovs-fetch fills ('make deps' runs it: Debian's
packages unpacked, never installed, so no service of theirs runs on the
machine), else from an installed Open vSwitch. Each host gets a switch
of its own: an ovsdb-server and an ovs-vswitchd started inside the
host's namespace, with a database made by ovsdb-tool in the study's
scratch directory and their sockets, pid files and logs there too, and
stopped when the path is torn down (or, after a study that was killed,
when the next one starts)."""

import os
import shutil
import signal
import subprocess
import time

SCRATCH = "/run/calperf-study"
# Where Debian's packages put each program, under the unpacked root.
PROGRAMS = {
    "ovsdb-tool": "usr/bin",
    "ovs-vsctl": "usr/bin",
    "ovs-appctl": "usr/bin",
    "ovsdb-server": "usr/sbin",
    "ovs-vswitchd": "usr/lib/openvswitch-switch",
}
SCHEMA = "usr/share/openvswitch/vswitch.ovsschema"
LIBS = "usr/lib/x86_64-linux-gnu"
# The order they stop in: the switch, then its database.
DAEMONS = ("ovs-vswitchd", "ovsdb-server")


class Missing(Exception):
    """No Open vSwitch to run here (the reason is the message)."""


def cache_dir():
    cache = os.environ.get("CALPERF_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "calperf")
    return os.path.join(cache, "ovs")


class Tools:
    """Open vSwitch's programs: their paths, the environment they run in,
    the version, and where they came from."""

    def __init__(self):
        cache = cache_dir()
        if os.path.exists(os.path.join(cache, ".ready")):
            root = os.path.join(cache, "root")
            self.where = f"unpacked in {cache}"
            self.path = {p: os.path.join(root, d, p) for p, d in PROGRAMS.items()}
            self.schema = os.path.join(root, SCHEMA)
            self.libs = os.path.join(root, LIBS)
        else:
            self.where = "installed"
            # Debian's ovs-vswitchd lies outside PATH, behind an alternative.
            search = os.environ.get("PATH", "") + ":/usr/lib/openvswitch-switch"
            self.path = {p: shutil.which(p, path=search) for p in PROGRAMS}
            self.schema = "/" + SCHEMA
            self.libs = None
            missing = [p for p, path in self.path.items() if not path]
            if missing or not os.path.exists(self.schema):
                raise Missing(f"Open vSwitch is neither in {cache} (scripts/ovs-fetch, "
                              f"which make deps runs) nor installed")
        try:
            p = subprocess.run([self.path["ovs-vswitchd"], "--version"], env=self.env(None),
                               capture_output=True, text=True)
        except OSError as e:
            raise Missing(f"ovs-vswitchd ({self.where}) does not run: {e.strerror}")
        if p.returncode:
            raise Missing(f"ovs-vswitchd ({self.where}) does not run: "
                          f"{(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}")
        self.version = p.stdout.split("\n")[0].split()[-1]

    def env(self, run):
        """The environment of a switch whose run directory is @run."""
        env = dict(os.environ)
        if self.libs:
            env["LD_LIBRARY_PATH"] = self.libs
        if run:
            for var in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR"):
                env[var] = run
        return env


def kernel_module():
    """The kernel's openvswitch datapath, loaded."""
    subprocess.run(["modprobe", "-q", "openvswitch"], check=False)
    if not os.path.exists("/sys/module/openvswitch"):
        raise Missing("this kernel has no openvswitch module")


def alive(pid, name):
    """Process @pid is still @name (not another that took its number) and
    has not exited (a zombie, not reaped yet, has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    comm, state = stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2:][:1]
    return comm == name[:15] and state not in ("Z", "X")


def daemon_pids(run):
    """The daemons' pids, from their pid files in @run."""
    pids = {}
    for name in DAEMONS:
        try:
            with open(os.path.join(run, f"{name}.pid")) as f:
                pids[name] = int(f.read())
        except (OSError, ValueError):
            pass
    return pids


def kill_daemons(pids, grace=False):
    """The daemons of @pids ({name: pid}) ended: with @grace given time to
    end (they were asked to), then terminated, then killed."""
    for name, pid in pids.items():
        for sig in ((None,) if grace else ()) + (signal.SIGTERM, signal.SIGKILL):
            if not alive(pid, name):
                break
            if sig:
                os.kill(pid, sig)
            for _ in range(50):
                if not alive(pid, name):
                    break
                time.sleep(0.1)


def cleanup_stale():
    """Switches a killed study left running, stopped; their directories gone."""
    if not os.path.isdir(SCRATCH):
        return
    for d in os.listdir(SCRATCH):
        if d.startswith("ovs-"):
            kill_daemons(daemon_pids(os.path.join(SCRATCH, d)))
            shutil.rmtree(os.path.join(SCRATCH, d), ignore_errors=True)


class Switch:
    """One host's Open vSwitch, in namespace @ns, run from @run (its
    database, sockets, pid files and logs)."""

    def __init__(self, tools, ns, run):
        self.tools, self.ns, self.run = tools, ns, run
        self.db = f"unix:{run}/db.sock"
        self.started = False

    def _run(self, program, *args, ns=False, timeout=60):
        cmd = [self.tools.path[program], *args]
        if ns:
            cmd = ["ip", "netns", "exec", self.ns] + cmd
        try:
            p = subprocess.run(cmd, env=self.tools.env(self.run), capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{program} {' '.join(args[:3])}: no answer in {timeout} s")
        if p.returncode:
            raise RuntimeError(f"{program} {' '.join(args[:3])} failed: "
                               f"{p.stderr.strip() or 'exit %d' % p.returncode}")
        return p.stdout

    def daemon(self, program, *args):
        """@program started in the namespace, detached once it is ready."""
        self._run(program, *args, f"--pidfile={self.run}/{program}.pid",
                  f"--unixctl={self.run}/{program}.ctl",
                  f"--log-file={self.run}/{program}.log", "--detach", "--no-chdir", ns=True)

    def start(self):
        shutil.rmtree(self.run, ignore_errors=True)
        os.makedirs(self.run)
        self.started = True
        self._run("ovsdb-tool", "create", f"{self.run}/conf.db", self.tools.schema)
        self.daemon("ovsdb-server", f"{self.run}/conf.db", f"--remote=p{self.db}")
        self.vsctl("--no-wait", "init")
        self.daemon("ovs-vswitchd", self.db)

    def vsctl(self, *args):
        return self._run("ovs-vsctl", f"--db={self.db}", "--timeout=30", *args)

    def stop(self):
        """The switch's datapath and ports deleted (exit --cleanup), the
        daemons ended, their directory gone."""
        if not self.started:
            return
        # Their pid files go as they exit: read them first.
        pids = daemon_pids(self.run)
        for name, extra in zip(DAEMONS, (["--cleanup"], [])):
            try:
                self._run("ovs-appctl", "-t", f"{self.run}/{name}.ctl", "exit", *extra,
                          timeout=20)
            except RuntimeError:
                pass
        kill_daemons(pids, grace=True)
        shutil.rmtree(self.run, ignore_errors=True)
        self.started = False
