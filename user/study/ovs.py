# SPDX-License-Identifier: GPL-2.0
"""Open vSwitch for the study's ovs path, on this machine's host
namespaces and on each machine of --hosts alike: the shell that checks
for it, starts one host's switch, puts its bridge and VXLAN port on it
and stops it is written here once, run locally by Switch and sent over
SSH by remote.RemoteOvs.

Its programs come from the cache that scripts/ovs-fetch fills ('make
deps' runs it: Debian's packages unpacked, never installed, so no
service of theirs runs on the machine), else from an installed Open
vSwitch (--hosts: always the host's installed one). Each host gets a
switch of its own: an ovsdb-server and an ovs-vswitchd started inside
the host's namespace, with a database made by ovsdb-tool in the study's
scratch directory and their sockets, pid files and logs there too, and
stopped when the path is torn down (or, after a study that was killed,
when the next one starts)."""

import os
import shlex
import subprocess

from wiring import VXLAN_ID, VXLAN_PORT

SCRATCH = "/run/calperf-study"
# Where Debian's packages put the programs, under the unpacked root.
CACHE_PATH = ("usr/bin", "usr/sbin", "usr/lib/openvswitch-switch")
PKGDATADIR = "usr/share/openvswitch"
LIBS = "usr/lib/x86_64-linux-gnu"
# The order they stop in: the switch, then its database.
DAEMONS = ("ovs-vswitchd", "ovsdb-server")

# Every script starts so: Debian's ovs-vswitchd lies outside PATH,
# behind an alternative.
FIND = "PATH=$PATH:/usr/lib/openvswitch-switch\n"
# The database's schema, where OVS_PKGDATADIR says.
SCHEMA = "schema=${OVS_PKGDATADIR:-/usr/share/openvswitch}/vswitch.ovsschema\n"

# Prints what is missing here, a line each (nothing: all there).
CHECK = FIND + SCHEMA + """for p in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl ovs-vswitchd; do
    command -v $p >/dev/null || echo "$p"
done
[ -e "$schema" ] || echo vswitch.ovsschema
modprobe -q openvswitch 2>/dev/null || [ -d /sys/module/openvswitch ] ||
    echo "the openvswitch kernel module"
"""
MODULE_MISSING = "the openvswitch kernel module"

# alive PID NAME: process PID is still NAME (not another that took its
# number) and has not exited (a zombie, not reaped yet, has).
ALIVE = """alive() {
    { read -r stat </proc/$1/stat; } 2>/dev/null || return 1
    comm=${stat#*[(]}; comm=${comm%[)]*}
    state=${stat##*[)] }; state=${state%% *}
    [ "$comm" = "$2" ] && [ "$state" != Z ] && [ "$state" != X ]
}
"""


class Missing(Exception):
    """No Open vSwitch to run here (the reason is the message)."""


def calperf_cache():
    """calperf's cache directory, as the Makefile and scripts find it."""
    return os.environ.get("CALPERF_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "calperf")


def cache_dir():
    return os.path.join(calperf_cache(), "ovs")


def environment(run):
    """Shell giving the commands after it the Open vSwitch of switch
    directory @run: its daemons' directories, all of them @run."""
    return "export " + " ".join(f"{v}={shlex.quote(run)}" for v in (
        "OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR")) + "\n" + FIND


def start_script(ns, run):
    """Shell starting a switch in namespace @ns, run from directory @run
    (database, sockets, pid files, logs): ready when it ends."""
    daemon = (f"--pidfile={run}/$d.pid --unixctl={run}/$d.ctl --log-file={run}/$d.log "
              "--detach --no-chdir")
    return f"""set -e
rm -rf {run}
mkdir -p {run}
{environment(run)}{SCHEMA}ovsdb-tool create {run}/conf.db "$schema"
d=ovsdb-server
ip netns exec {ns} ovsdb-server {run}/conf.db --remote=punix:{run}/db.sock {daemon}
ovs-vsctl --db=unix:{run}/db.sock --timeout=30 --no-wait init
d=ovs-vswitchd
ip netns exec {ns} ovs-vswitchd unix:{run}/db.sock {daemon}
"""


def bridge_script(ns, run, port, remote):
    """Shell putting the switch's br-int up with @port on it and vx0, a
    VXLAN port to @remote."""
    return f"""set -e
{environment(run)}ovs-vsctl --db=unix:{run}/db.sock --timeout=30 add-br br-int -- \\
    add-port br-int {port} -- add-port br-int vx0 -- \\
    set interface vx0 type=vxlan options:remote_ip={remote} options:key={VXLAN_ID} \\
    options:dst_port={VXLAN_PORT}
ip -n {ns} link set br-int up
"""


def stop_script(run):
    """Shell stopping the switch of directory @run, if any: its datapath
    and ports deleted (exit --cleanup), its daemons ended (asked, then
    terminated, then killed) and waited for until they have exited, the
    directory gone. It cannot fail."""
    return f"""{environment(run)}{ALIVE}if [ -d {run} ]; then
    # Their pid files go as they exit: read them first.
    pids=
    for d in {' '.join(DAEMONS)}; do
        pid=$(cat {run}/$d.pid 2>/dev/null) && pids="$pids $d:$pid"
    done
    ovs-appctl -T 10 -t {run}/ovs-vswitchd.ctl exit --cleanup >/dev/null 2>&1
    ovs-appctl -T 10 -t {run}/ovsdb-server.ctl exit >/dev/null 2>&1
    for dp in $pids; do
        d=${{dp%%:*}} pid=${{dp#*:}}
        # Signal 0 only waits: they were asked to exit.
        for sig in 0 TERM KILL; do
            alive "$pid" $d || break
            kill -s $sig "$pid" 2>/dev/null
            for _ in $(seq 50); do
                alive "$pid" $d || break
                sleep 0.1
            done
        done
    done
    rm -rf {run}
fi
"""


def running():
    """Open vSwitch daemons on this machine that have not exited, each as
    'NAME (pid PID)'."""
    p = subprocess.run(["sh", "-c", ALIVE + f"""for p in /proc/[0-9]*; do
    for d in {' '.join(DAEMONS)}; do
        alive ${{p#/proc/}} $d && echo "$d (pid ${{p#/proc/}})"
    done
done
"""], capture_output=True, text=True)
    return p.stdout.splitlines()


class Tools:
    """This machine's Open vSwitch: where it came from, its version, and
    the shell that puts it first (the cache's; "" for the installed)."""

    def __init__(self):
        cache = cache_dir()
        if os.path.exists(os.path.join(cache, ".ready")):
            root = os.path.join(cache, "root")
            self.where = f"unpacked in {cache}"
            self.env = "export PATH={}:$PATH LD_LIBRARY_PATH={} OVS_PKGDATADIR={}\n".format(
                ":".join(shlex.quote(os.path.join(root, d)) for d in CACHE_PATH),
                shlex.quote(os.path.join(root, LIBS)), shlex.quote(os.path.join(root, PKGDATADIR)))
        else:
            self.where = "installed"
            self.env = ""
        missing = self.sh(CHECK).stdout.splitlines()
        if [m for m in missing if m != MODULE_MISSING]:
            raise Missing(f"Open vSwitch is neither in {cache} (scripts/ovs-fetch, "
                          f"which make deps runs) nor installed")
        if missing:
            raise Missing("this kernel has no openvswitch module")
        p = self.sh(FIND + "ovs-vswitchd --version")
        if p.returncode:
            raise Missing(f"ovs-vswitchd ({self.where}) does not run: "
                          f"{(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}")
        self.version = p.stdout.split("\n")[0].split()[-1]

    def sh(self, script, timeout=60):
        return subprocess.run(["sh", "-c", self.env + script], capture_output=True, text=True,
                              timeout=timeout)


def cleanup_stale():
    """Switches a killed study left running, stopped; their directories gone."""
    if not os.path.isdir(SCRATCH):
        return
    env = ""
    try:
        env = Tools().env
    except Missing:
        pass
    for d in os.listdir(SCRATCH):
        if d.startswith("ovs-"):
            subprocess.run(["sh", "-c", env + stop_script(os.path.join(SCRATCH, d))],
                           capture_output=True, check=False)


class Switch:
    """One host's Open vSwitch, in namespace @ns, run from @run (its
    database, sockets, pid files and logs)."""

    def __init__(self, tools, ns, run):
        self.tools, self.ns, self.run = tools, ns, run
        self.started = False

    def _sh(self, what, script, timeout=120):
        try:
            p = self.tools.sh(script, timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"Open vSwitch in {self.ns}: {what}: no answer in {timeout} s")
        if p.returncode:
            raise RuntimeError(f"Open vSwitch in {self.ns}: {what} failed: "
                               f"{(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1]}")

    def start(self):
        # Whatever part of it started, stop() ends.
        self.started = True
        self._sh("start", start_script(self.ns, self.run))

    def bridge(self, port, remote):
        """br-int with @port and a VXLAN port to @remote."""
        self._sh("br-int", bridge_script(self.ns, self.run, port, remote))

    def stop(self):
        """Ended, however far start() got; never an error (a tear-down's)."""
        if not self.started:
            return
        try:
            self.tools.sh(stop_script(self.run), timeout=120)
        except subprocess.TimeoutExpired:
            pass
        self.started = False
