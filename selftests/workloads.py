#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Measuring between workloads that already exist: an endpoint's
namespace named as pid:PID or container:NAME, and the one-line errors
when it cannot be resolved, which leave nothing behind.

The workloads are processes in network namespaces of their own, with no
name under /run/netns, as a container runtime leaves them. No container
runtime runs in the VM: container:NAME is tested against stand-ins for
podman, docker and crictl (shell scripts first on PATH) that print what
the real tools print, a pid or an error. That covers calperfctl's side
of the contract (the commands it runs, how it reads their answers and
failures); a run against a real podman, docker or crictl is untested
here.

calperf-study --hosts between the workloads (topology existing) runs
with both "hosts" this VM, reached through a stand-in for ssh that runs
the script here: the study's part, not SSH's, which cluster.py tests
between two guests."""
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, ctl, ctl_ok, kill_tree, module_load, no_session_left, REPO,
    session_count, sh, spawn, wait_done)
from ktap import check, diag, Ktap, shared, wait_for  # noqa: E402

t = Ktap(setup=module_load)


def netns_inode(pid="self"):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


class Workloads:
    """Two processes, A and B, each in an unnamed network namespace of its
    own (unshare --net), joined by a veth pair. Closing kills them, and
    their namespaces go with them.

    ┌──────────────────────────┐          ┌──────────────────────────┐
    │ pid:A (sleep 600)        │          │ pid:B (sleep 600)        │
    │   ┌──────────────────┐   │   veth   │   ┌──────────────────┐   │
    │   │ wa               ├───┼──────────┼───┤ wb               │   │
    │   │ 198.18.70.1/24   │   │          │   │ 198.18.70.2/24   │   │
    │   └──────────────────┘   │          │   └──────────────────┘   │
    │   lo up                  │          │   lo up                  │
    └──────────────────────────┘          └──────────────────────────┘
    """

    a4, b4 = "198.18.70.1", "198.18.70.2"

    def __init__(self):
        self.procs = []
        try:
            ours = netns_inode()
            for _ in range(2):
                p = spawn("exec unshare --net sleep 600")
                self.procs.append(p)
                wait_for(lambda: netns_inode(p.pid) != ours, 10,
                         f"process {p.pid} to enter its namespace")
            self.a, self.b = (p.pid for p in self.procs)
            sh(f"ip link add wa netns {self.a} type veth peer name wb netns {self.b}")
            for pid, dev, addr in ((self.a, "wa", self.a4), (self.b, "wb", self.b4)):
                sh(f"nsenter -t {pid} -n ip addr add {addr}/24 dev {dev}")
                sh(f"nsenter -t {pid} -n ip link set {dev} up")
                sh(f"nsenter -t {pid} -n ip link set lo up")
        except BaseException:
            self.close()
            raise

    def close(self):
        for p in self.procs:
            kill_tree(p)
            p.wait()
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


WL = shared(Workloads, after=no_session_left)


def check_stream(r, want_bytes):
    s = r["session"]
    tx, rx = s["sender"]["stats"], s["receiver"]["stats"]
    diag(f"{tx['bytes']} bytes sent, {rx['bytes']} received")
    check(r["error"] == 0, f"error {r['error_name']}")
    check(tx["bytes"] == rx["bytes"] == want_bytes,
          f"sent {tx['bytes']}, received {rx['bytes']}, wanted {want_bytes}")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(wl=WL)
def stream_between_pids(wl):
    """pid:PID on both ends: the server listens on B's address, which
    exists only in B's namespace, and the client reaches it from A's."""
    r = ctl_ok("stream", wl.b4, "bytes", "4M", "client-netns", f"pid:{wl.a}",
               "server-netns", f"pid:{wl.b}").json
    check_stream(r, 4 << 20)


@t.test(wl=WL)
def rr_between_pids(wl):
    r = ctl_ok("rr", wl.b4, "count", 200, "client-netns", f"pid:{wl.a}",
               "server-netns", f"pid:{wl.b}").json
    check(r["error"] == 0, f"error {r['error_name']}")
    check(r["session"]["sender"]["stats"]["calls"] == 200,
          f"{r['session']['sender']['stats']['calls']} transactions")


@t.test(wl=WL)
def session_with_pid_endpoints(wl):
    """session add takes netns pid:PID on each endpoint."""
    sid = ctl_ok("session", "add", "bytes", "1M", "receiver", "netns", f"pid:{wl.b}",
                 "addr", wl.b4, "port", 5401, "sender", "netns", f"pid:{wl.a}",
                 "addr", wl.b4, "port", 5401).json["id"]
    try:
        ctl_ok("session", "start", sid)
        s = wait_done(sid, 30)
    finally:
        ctl("session", "del", sid)
    tx, rx = s["sender"]["stats"], s["receiver"]["stats"]
    check(s["error"] == 0, f"error {s['error_name']}")
    check(tx["bytes"] == rx["bytes"] == 1 << 20, f"sent {tx['bytes']}, received {rx['bytes']}")


def refused(args, want, env=None):
    """calperfctl @args fails with exactly the one line @want, and leaves
    no session behind."""
    r = ctl(*args, env=env)
    diag(r.err.strip())
    check(r.rc != 0, f"calperfctl {' '.join(map(str, args))} exited 0")
    check(r.err == want + "\n", f"stderr {r.err!r}, wanted {want!r}")
    check(r.out == "", f"stdout {r.out!r}")
    check(session_count() == 0, "a session was left behind")


@t.test(wl=WL)
def pid_of_no_process(wl):
    p = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True)
    dead = int(p.stdout)
    check(not os.path.exists(f"/proc/{dead}"), f"pid {dead} was reused already")
    refused(("stream", wl.b4, "bytes", "1M", "server-netns", f"pid:{dead}"),
            f'Error: netns "pid:{dead}": no such process.')
    refused(("session", "add", "receiver", "netns", f"pid:{dead}", "port", 5402),
            f'Error: netns "pid:{dead}": no such process.')


@t.test(wl=WL)
def pid_not_a_pid(wl):
    for bad in ("abc", "0", "-1", "12x", ""):
        refused(("stream", wl.b4, "server-netns", f"pid:{bad}"),
                f'Error: netns "pid:{bad}": "{bad}" is not a pid.')


# --- container:NAME, against stand-ins for the container tools -------------

def tool(bindir, name, body):
    """An executable @name in @bindir: a shell script that records its
    arguments in @bindir/NAME.args, then runs @body."""
    path = os.path.join(bindir, name)
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\necho "$@" >>"{path}.args"\n{body}\n')
    os.chmod(path, 0o755)


def args_of(bindir, name):
    with open(os.path.join(bindir, f"{name}.args")) as f:
        return f.read().splitlines()


def only(bindir):
    """An environment whose PATH is @bindir alone: no real container tool
    (this machine's root, which the VM runs, has a docker client)."""
    return {**os.environ, "PATH": bindir}


@t.test(wl=WL)
def container_without_tools(wl):
    with tempfile.TemporaryDirectory() as d:
        refused(("stream", wl.b4, "server-netns", "container:web"),
                'Error: container "web": no podman, docker or crictl on PATH.', env=only(d))
    refused(("stream", wl.b4, "server-netns", "container:"),
            'Error: netns "container:": no container name.')


@t.test(wl=WL)
def container_by_podman(wl):
    """podman inspect's pid is the workload's: the run goes between them."""
    with tempfile.TemporaryDirectory() as d:
        tool(d, "podman", f'case $6 in web) echo {wl.b};; db) echo {wl.a};; esac')
        tool(d, "docker", "exit 1")     # podman comes first
        r = ctl_ok("stream", wl.b4, "bytes", "2M", "client-netns", "container:db",
                   "server-netns", "container:web", env=only(d)).json
        check_stream(r, 2 << 20)
        got = args_of(d, "podman")
        want = [f"inspect --type container --format {{{{.State.Pid}}}} {n}" for n in ("db", "web")]
        check(got == want, f"podman ran with {got}, wanted {want}")
        check(not os.path.exists(os.path.join(d, "docker.args")), "docker ran too")


def stream_to_web(wl, name, body, want_args):
    """A stream from pid:A to container:web, which the stand-in @name
    (running @body) resolves; it must have run with @want_args."""
    with tempfile.TemporaryDirectory() as d:
        tool(d, name, body)
        r = ctl_ok("stream", wl.b4, "bytes", "1M", "client-netns", f"pid:{wl.a}",
                   "server-netns", "container:web", env=only(d)).json
        check_stream(r, 1 << 20)
        got = args_of(d, name)
        check(got == want_args, f"{name} ran with {got}, wanted {want_args}")


@t.test(wl=WL)
def container_by_docker(wl):
    stream_to_web(wl, "docker", f"echo {wl.b}",
                  ["inspect --type container --format {{.State.Pid}} web"])


@t.test(wl=WL)
def container_by_crictl(wl):
    """crictl inspects an id: the running container of exactly that name
    (crictl ps takes a regular expression) first."""
    stream_to_web(wl, "crictl", f"case $1 in ps) echo 0f3c9a;; inspect) echo {wl.b};; esac",
                  ["ps -q --name ^web$",
                   "inspect --output go-template --template {{.info.pid}} 0f3c9a"])


@t.test(wl=WL)
def container_errors(wl):
    """Each way a tool can answer badly is one line naming the container
    and the tool, and no session."""
    cases = [
        ("podman", 'echo "Error: no such container web" >&2; echo more >&2; exit 125',
         'podman inspect: Error: no such container web'),
        ("podman", "echo 0", "not running (podman inspect gave pid 0)"),
        ("podman", "echo '<no value>'", 'podman inspect gave "<no value>", not a pid'),
        ("podman", "exit 3", "podman inspect: exit status 3"),
        ("docker", "echo 4000000", "pid 4000000: no such process"),
        ("crictl", "exit 0", "crictl ps: no running container of that name"),
        ("crictl", "echo a; echo b",
         "crictl ps: more than one running container of that name"),
    ]
    for name, body, want in cases:
        with tempfile.TemporaryDirectory() as d:
            tool(d, name, body)
            refused(("stream", wl.b4, "server-netns", "container:web"),
                    f'Error: container "web": {want}.', env=only(d))


@t.test(wl=WL)
def container_tool_that_hangs(wl):
    """A tool that does not answer is killed after 10 s."""
    with tempfile.TemporaryDirectory() as d:
        tool(d, "podman", "exec /bin/sleep 37")
        t0 = time.monotonic()
        refused(("stream", wl.b4, "server-netns", "container:web"),
                'Error: container "web": podman inspect: no answer in 10 s.', env=only(d))
        took = time.monotonic() - t0
        diag(f"gave up after {took:.1f} s")
        left = sh("pgrep -f '^/bin/sleep 37$'", check_rc=False).stdout.split()
        check(not left, f"the tool is still running: {left}")


# --- calperf-study --hosts between existing workloads ----------------------

# ssh as the study calls it (ssh OPTIONS DEST -- SCRIPT, ssh ... -O exit
# DEST), running SCRIPT on this machine with this tree's calperfctl.
FAKE_SSH = f"""while [ $# -gt 0 ]; do
    case $1 in
    -O) exit 0 ;;
    --) shift; PATH={REPO}/user:$PATH exec bash -c "$1" ;;
    esac
    shift
done
exit 255"""


@t.test(wl=WL)
def study_between_existing_workloads(wl):
    """The study measures between the two workloads as they are, builds
    nothing, and leaves them running, addresses and all; on --port, as
    the workload B has a server of its own on calperf's default port."""
    before = sh(f"nsenter -t {wl.b} -n ip -br addr show dev wb").stdout
    busy = spawn(f"exec nsenter -t {wl.b} -n python3 -c 'import socket, time; "
                 "s = socket.socket(); s.bind((\"\", 5201)); s.listen(); time.sleep(600)'")
    with tempfile.TemporaryDirectory() as d, contextlib.ExitStack() as stack:
        stack.callback(kill_tree, busy)
        wait_for(lambda: "5201" in sh(f"nsenter -t {wl.b} -n ss -Htln").stdout, 10,
                 "B's own server on port 5201")
        tool(d, "ssh", FAKE_SSH)
        out = os.path.join(d, "study")
        p = subprocess.run(
            [os.path.join(REPO, "user", "calperf-study"), "--hosts", "hostA,hostB",
             "--client-netns", f"pid:{wl.a}", "--server-netns", f"pid:{wl.b}",
             "--server-addr", wl.b4, "--port", "5301", "--sizes", "16K", "--time", "1",
             "--rr-time", "1", "--no-warmup", "--no-plots", "--out", out],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "PATH": f"{d}:{os.environ['PATH']}"})
        for line in p.stdout.splitlines():
            diag(line)
        check(p.returncode == 0, f"calperf-study failed ({p.returncode}): {p.stderr}")
        with open(os.path.join(out, "results.json")) as f:
            res = json.load(f)
        with open(os.path.join(out, "report.md")) as f:
            md = f.read()
    check("- **existing**: existing workloads, two machines" in md, "not in the report")
    check("the workloads' own network between hostA and hostB;" in md,
          "the report does not say what joined them")
    topo = res["topologies"]
    check([x["name"] for x in topo] == ["existing"], f"topologies {topo}")
    e = topo[0]
    check(e["status"] == "ok", e)
    check(e["client_netns"] == f"pid:{wl.a}" and e["server_netns"] == f"pid:{wl.b}"
          and e["server_addr"] == wl.b4, f"not recorded: {e}")
    c = e["stream"][0]["calperf"]
    check("error" not in c, c)
    check(c["sender_bytes"] == c["receiver_bytes"] > 0,
          f"sent {c['sender_bytes']}, received {c['receiver_bytes']}")
    check("error" not in e["rr"]["calperf"] and e["rr"]["calperf"]["latency_us"] > 0,
          e["rr"])
    check("qperf" not in e["stream"][0], "qperf ran inside the workloads")
    check(all(w.poll() is None for w in wl.procs), "a workload was stopped")
    after = sh(f"nsenter -t {wl.b} -n ip -br addr show dev wb").stdout
    check(after == before, f"B's address changed: {before!r}, then {after!r}")
    check(not os.path.exists("/run/calperf-study"), "the study left its state")


@t.test
def study_existing_options():
    study = os.path.join(REPO, "user", "calperf-study")
    for args, msg in (
            (["--client-netns", "pid:1"], "are for --hosts"),
            (["--hosts", "a,b", "--server-netns", "pid:1"], "needs --server-addr"),
            (["--hosts", "a,b", "--server-addr", "web"], "'web' is not an IPv4 or IPv6"),
            (["--hosts", "a,b", "--topologies", "existing,bare", "--server-addr", "10.0.0.1"],
             "topology existing is measured alone"),
            (["--topologies", "existing"], "topology existing is for --hosts"),
            (["--hosts", "a,b", "--topologies", "vm,bare"], "topology vm is measured alone"),
            (["--hosts", "a,b", "--topologies", "vm", "--client-netns", "pid:1"],
             "are for topology existing"),
            (["--hosts", "a,b", "--topologies", "bare", "--server-addr", "10.0.0.1"],
             "--server-addr is for topologies existing and vm"),
            (["--hosts", "a,b", "--port", "70000"], "70000 is not a TCP port"),
            (["--port", "5301"], "--port is for --hosts")):
        p = subprocess.run([study, *args], capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and msg in p.stderr, f"{args}: {p.returncode} {p.stderr}")


t.run()
