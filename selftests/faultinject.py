#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Allocation failures, on a kernel with failslab and fail_page_alloc
(the debug kernel). First every allocation a request makes through
calperf's code fails in turn (/proc/thread-self/fail-nth, as syzkaller
does): each request is refused with ENOMEM or carries on, and leaves
nothing behind; a session whose start failed starts again and runs.
Then allocations through calperf fail at random while sessions run in
parallel: every calperfctl ends, with results or an error, no session
or kthread is left, and a clean run works afterwards. Leaks show in the
suite's kmemleak scan, anything worse in the kernel log."""
import errno
import os
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, CALPERFCTL, ctl, ctl_ok, module_load, no_session_left)
from genl import (  # noqa: E402
    A, A_EP, A_SESSION, CMD, ENUM, Genl, nest, nla, NlError, parse_attrs, s32,
    session_id, u16, u32, u8)
from ktap import check, diag, Ktap, shared, Skip, wait_for  # noqa: E402
from topology import netns_fd, VethPair  # noqa: E402



def fault_injection():
    """The module, on a kernel that can fail its allocations."""
    if not os.path.exists(f"{DEBUGFS}/failslab") or not os.path.exists(FAIL_NTH):
        raise Skip("needs failslab and fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS): "
                   "the debug kernel has them")
    module_load()


t = Ktap(setup=fault_injection)
S, E = A_SESSION, A_EP
DEBUGFS = "/sys/kernel/debug"
ATTRS = ("failslab", "fail_page_alloc")
FAIL_NTH = "/proc/thread-self/fail-nth"
STATE_CREATED, STATE_DONE = ENUM["state"]["created"], ENUM["state"]["done"]
STATS_BYTES = A["stats"]["bytes"]
# What a failed allocation may end a run with.
OUT_OF_MEMORY = {errno.ENOMEM, errno.ENOBUFS}
# Random phase: the share of allocations through calperf that fail,
# rounds of parallel calperfctl runs, and the bound on one run.
PERCENT = 2
ROUNDS = 8
RUN_BOUND_S = 300
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)


def write(path, value):
    with open(path, "w") as f:
        f.write(f"{value}\n")


def calperf_text():
    """[start, end) of calperf's code: its symbols in kallsyms, the end
    rounded up to the page (module text is page-granular)."""
    addrs = []
    with open("/proc/kallsyms") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[3] == "[calperf]" and parts[1] in "tT":
                addrs.append(int(parts[0], 16))
    check(addrs and min(addrs) > 0, "no calperf code addresses in /proc/kallsyms")
    return min(addrs), (max(addrs) + 4096) & ~4095


class Faults:
    """Failures injected into allocations whose stack runs through
    calperf's code (at [text[0], text[1])): this thread's fail-nth, or
    failslab and fail_page_alloc at random."""

    def __init__(self):
        self.text = calperf_text()
        self.fail_nth = os.open(FAIL_NTH, os.O_RDWR)
        self.configure(0)
        diag("faults limited to calperf's code at 0x%x-0x%x" % self.text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fail_nth)

    def configure(self, probability, times=-1):
        """Fail only allocations whose stack runs through calperf's code;
        GFP_KERNEL ones too; quietly (a stack dump is a report here)."""
        start, end = self.text
        for a in ATTRS:
            d = f"{DEBUGFS}/{a}"
            write(f"{d}/probability", 0)
            write(f"{d}/verbose", 0)
            write(f"{d}/ignore-gfp-wait", "N")
            write(f"{d}/task-filter", "N")
            write(f"{d}/interval", 1)
            write(f"{d}/space", 0)
            write(f"{d}/stacktrace-depth", 32)
            write(f"{d}/require-start", start)
            write(f"{d}/require-end", end)
            write(f"{d}/times", times)
            if a == "fail_page_alloc":
                write(f"{d}/min-order", 0)      # single pages too
            write(f"{d}/probability", probability)

    def faulted(self, g, cmd, payload, nth):
        """@cmd with the @nth allocation through calperf failing. Returns
        (replies or NlError, whether that allocation was reached)."""
        os.write(self.fail_nth, f"{nth}".encode())
        try:
            seq = g.send_raw(CMD[cmd], payload)
        finally:
            left = int(os.pread(self.fail_nth, 16, 0))
            os.write(self.fail_nth, b"0")
        try:
            return g.recv(seq), left == 0
        except NlError as e:
            return e, left == 0


FAULTS = shared(Faults)


def stop_faults(times):
    """No more random failures; how many were injected since
    configure(..., @times), both kinds together."""
    n = 0
    for a in ATTRS:
        write(f"{DEBUGFS}/{a}/probability", 0)
        with open(f"{DEBUGFS}/{a}/times") as f:
            n += times - int(f.read())
    return n


def ends(pair, port, fds):
    """A sender in @pair's A and a receiver in its B (@fds), to B's address."""
    to = nla(E["addr4"], socket.inet_aton(pair.b4)) + u16(E["port"], port)
    return (nest(S["sender"], s32(E["netns_fd"], fds[0]), to) +
            nest(S["receiver"], s32(E["netns_fd"], fds[1]), to))


def stream_session(pair, port, fds):
    """Stream with everything start sets up: flows over kthreads, the
    payload check, hop tracing, interval reports."""
    return (u8(S["kind"], ENUM["kind"]["stream"]) + u32(S["duration_ms"], 300) +
            u32(S["msg_size"], 16384) + u32(S["flows"], 4) + u32(S["threads"], 2) +
            u32(S["hop_sample"], 4) + nla(S["verify"], b"") + u32(S["interval_ms"], 100) +
            ends(pair, port, fds))


def rr_session(pair, port, fds):
    return u8(S["kind"], ENUM["kind"]["rr"]) + u32(S["duration_ms"], 300) + ends(pair, port, fds)


KINDS = {"stream": stream_session, "rr": rr_session}


def get(g, sid):
    return g.request(CMD["get"], u32(S["id"], sid))[0][1]


def run_to_end(g, sid):
    """Wait for @sid to be done; its error (0 for none)."""
    wait_for(lambda: get(g, sid)[S["state"]][0] == STATE_DONE, 60, f"session {sid} to end")
    return struct.unpack("=i", get(g, sid).get(S["error"], b"\0\0\0\0"))[0]


def received(g, sid):
    rx = parse_attrs(get(g, sid)[S["receiver"]])
    return struct.unpack("=Q", parse_attrs(rx[E["stats"]])[STATS_BYTES])[0]


def refused_cleanly(r, what):
    """ENOMEM, or an error that says what failed: a failed allocation
    deep in the kernel comes out as what that call returns (a socket
    without its inode is ENFILE, a bind without its bucket EADDRINUSE)."""
    check(r.errno == errno.ENOMEM or r.msg,
          f"{what}: {os.strerror(r.errno)} without a message")


@t.test(faults=FAULTS, pair=PAIR)
def every_allocation_of_new_fails_in_turn(faults, pair):
    g = Genl()
    fds = [netns_fd(pair.a), netns_fd(pair.b)]
    try:
        for kind, build in KINDS.items():
            outcome = Counter()
            nth = 1
            while True:
                r, hit = faults.faulted(g, "new", build(pair, 6000, fds), nth)
                if isinstance(r, NlError):
                    check(hit, f"new {kind} refused without a fault: {r}")
                    refused_cleanly(r, f"new {kind}, allocation {nth}")
                    outcome[r.msg or errno.errorcode[r.errno]] += 1
                else:
                    g.request(CMD["del"], u32(S["id"], session_id(r)))
                    if not hit:
                        break
                    outcome["carried on"] += 1
                check(len(g.dump(CMD["get"])) == 0,
                      f"a session is left after new {kind} with allocation {nth} failing")
                nth += 1
            diag(f"new {kind}: {nth - 1} allocations through calperf, each failed "
                 f"in turn: {dict(outcome)}")
            check(nth > 1, f"new {kind} made no allocation through calperf: is the filter right?")
    finally:
        for fd in fds:
            os.close(fd)
        g.close()


def start_with_failure(faults, g, kind, sid, nth, outcome):
    """Start @sid with its @nth allocation through calperf failing and
    check what follows; whether that allocation was reached."""
    r, hit = faults.faulted(g, "start", u32(S["id"], sid), nth)
    if isinstance(r, NlError):
        check(hit, f"start {kind} refused without a fault: {r}")
        refused_cleanly(r, f"start {kind}, allocation {nth}")
        outcome[r.msg or errno.errorcode[r.errno]] += 1
        state = get(g, sid)[S["state"]][0]
        check(state == STATE_CREATED, f"state {state} after a failed start")
        check(not calperf_kthreads(), f"kthreads after a failed start: {calperf_kthreads()}")
        g.request(CMD["start"], u32(S["id"], sid))
        err = run_to_end(g, sid)
        check(err == 0 and received(g, sid) > 0,
              f"{kind} restarted after a failed start: error {err}, {received(g, sid)} bytes")
        return hit
    err = run_to_end(g, sid)
    if hit:
        # An allocation the run could do without, or one that ended it
        # with a clear error.
        check(err == 0 or -err in OUT_OF_MEMORY,
              f"{kind} with allocation {nth} failing ended with {os.strerror(-err)}")
        outcome["carried on" if not err else "ended with ENOMEM"] += 1
    else:
        check(err == 0 and received(g, sid) > 0,
              f"{kind}: error {err}, {received(g, sid)} bytes")
    return hit


@t.test(faults=FAULTS, pair=PAIR)
def every_allocation_of_start_fails_in_turn(faults, pair):
    """A start that fails leaves the session created, nothing running,
    and it starts again and runs."""
    g = Genl()
    fds = [netns_fd(pair.a), netns_fd(pair.b)]
    port = 6100
    try:
        for kind, build in KINDS.items():
            outcome = Counter()
            nth = 1
            while True:
                port += 1
                sid = session_id(g.request(CMD["new"], build(pair, port, fds)))
                try:
                    hit = start_with_failure(faults, g, kind, sid, nth, outcome)
                finally:
                    g.request(CMD["del"], u32(S["id"], sid))
                check(len(g.dump(CMD["get"])) == 0, f"a session is left after {kind}")
                if not hit:
                    break
                nth += 1
            diag(f"start {kind}: {nth - 1} allocations through calperf, each failed "
                 f"in turn: {dict(outcome)}")
            check(nth > 1, f"start {kind} made no allocation through calperf")
        check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    finally:
        for fd in fds:
            os.close(fd)
        g.close()


def one_run(pair, i):
    """One calperfctl run under random faults over @pair, on port 7000 + @i:
    (rc, stderr, seconds)."""
    kind = ("stream", "rr")[i % 2]
    extra = (["flows", 4, "threads", 2, "verify"], ["interval", "0.05"], ["hops"], [])[i % 4]
    cmd = [CALPERFCTL, kind, pair.b4, "port", 7000 + i, "time", 1, *extra,
           "client-netns", pair.a, "server-netns", pair.b]
    t0 = time.monotonic()
    try:
        p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                           timeout=RUN_BOUND_S)
    except subprocess.TimeoutExpired:
        return None, f"{kind} {extra} did not end within {RUN_BOUND_S} s", RUN_BOUND_S
    return p.returncode, p.stderr.strip(), time.monotonic() - t0


@t.test(faults=FAULTS, pair=PAIR)
def random_failures_under_load(faults, pair):
    times = 1000000
    outcome = Counter()
    runs = {}
    bad = []
    slowest = 0
    faults.configure(PERCENT, times)
    try:
        with ThreadPoolExecutor(4) as pool:
            for rnd in range(ROUNDS):
                first = rnd * 4
                done = pool.map(lambda i: one_run(pair, i), range(first, first + 4))
                for i, (rc, err, took) in enumerate(done, first):
                    runs[7000 + i] = (rc, err)
                    slowest = max(slowest, took)
                    said = err.splitlines()
                    if any(ln.startswith("Warning: ") for ln in said):
                        outcome["(a warning on the way)"] += 1
                    if rc == 0:
                        outcome["results"] += 1
                    elif rc == 1 and said and said[-1].startswith("Error: ") and \
                            said[-1].endswith("."):
                        outcome[said[-1]] += 1
                    else:
                        bad.append((rc, err))
    finally:
        n = stop_faults(times)
    left = ctl_ok("session", "show").json
    for s in left:
        port = s["receiver"]["port"] if "receiver" in s else s["sender"]["port"]
        diag(f"left: session {s['id']} {s['state']} error {s.get('error')}, "
             f"port {port}: its calperfctl said {runs.get(port)}")
        ctl("session", "del", s["id"], as_json=False)
    diag(f"{ROUNDS * 4} runs with {PERCENT}% of allocations through calperf failing: "
         f"{n} failures injected, slowest run {slowest:.1f} s")
    for what, count in outcome.most_common():
        diag(f"  {count:3d}  {what}")
    check(not bad, f"runs that hung or ended without a clear error: {bad[:4]}")
    check(n > 0, "no failure was injected")
    check(not left, f"{len(left)} sessions left")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(pair=PAIR)
def clean_run_afterwards(pair):
    r = pair.run("stream", pair.b4, "time", 1, "flows", 2, "verify")
    rx = r["session"]["receiver"]["stats"]
    check(r["error"] == 0 and rx["bytes"] > 0, f"error {r['error_name']}, {rx['bytes']} bytes")


if __name__ == "__main__":
    t.run()
