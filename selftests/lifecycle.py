#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""How sessions end: peer errors, a stop with a stalled peer, deletion
of an endpoint's namespace, module unload mid-run; and the monitor
notification that reports each end."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, CALPERFCTL, ctl, ctl_ok, kill_tree, module_load,
    module_loaded, module_unload, no_session_left, session, sh, spawn,
    wait_done)
from genl import stalled_until_overrun, subscribed  # noqa: E402
from ktap import check, check_timing, DEBUG_KERNEL, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair, wait_listening  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)


def both_ends(pair, seconds, port=5201):
    r = ctl_ok("session", "add", "time", seconds,
               "sender", "netns", pair.a, "addr", pair.b4, "port", port,
               "receiver", "netns", pair.b, "addr", pair.b4, "port", port)
    return r.json["id"]


def sender_into_sink(pair, port):
    """A socat sink in B and a running calperf sender feeding it."""
    sink = spawn(pair.exec(pair.b, f"socat -u TCP-LISTEN:{port},reuseaddr /dev/null"))
    try:
        wait_listening(pair.b, port)
        sid = ctl_ok("session", "add", "time", 60, "sender", "netns", pair.a,
                     "addr", pair.b4, "port", port).json["id"]
        ctl_ok("session", "start", sid)
        wait_for(lambda: session(sid)["sender"]["stats"]["bytes"] > 0, 10, "data to flow")
    except Exception:
        kill_tree(sink)
        raise
    return sink, sid


@t.test(pair=PAIR)
def connection_refused(pair):
    r = ctl("stream", pair.b4, "port", 9, "client-only", "client-netns", pair.a)
    check(r.rc == 1, f"exit code {r.rc}")
    check(r.json["session"]["sender"]["stats"]["error_name"] == "ECONNREFUSED",
          f"error {r.json['error_name']}")
    check("Error: the stream ended with ECONNREFUSED" in r.err, f"stderr {r.err!r}")


@t.test(pair=PAIR)
def unreachable_peer(pair):
    r = ctl("stream", "198.18.250.1", "client-only", "client-netns", pair.a)
    check(r.rc == 1 and r.json["error_name"] == "ENETUNREACH", f"error {r.json['error_name']}")


@t.test(pair=PAIR)
def peer_reset(pair):
    """The receiver's namespace resets the connection mid-run (a
    firewall-free way: the sink is killed while data flows)."""
    sink, sid = sender_into_sink(pair, 5310)
    try:
        kill_tree(sink)
        s = wait_done(sid, 10)
    finally:
        kill_tree(sink)
    err = s["sender"]["stats"]["error_name"]
    diag(f"sender ended with {err} after {s['sender']['stats']['bytes']} bytes")
    check(err in ("ECONNRESET", "EPIPE"), f"error {err}")
    ctl_ok("session", "del", sid)


@t.test(pair=PAIR)
def stop_with_stalled_peer(pair):
    """A sink that stops reading cannot hold a stop for a second."""
    sink, sid = sender_into_sink(pair, 5311)
    try:
        os.killpg(sink.pid, signal.SIGSTOP)

        def stalled():
            """No byte moved for half a second: the windows are shut.
            (The receiver may still open its window a little as it
            collapses what it queued, on a slow guest a second later.)"""
            before = session(sid)["sender"]["stats"]["bytes"]
            time.sleep(0.5)
            return session(sid)["sender"]["stats"]["bytes"] == before

        wait_for(stalled, 10, "the stopped sink's window to close", step=0)
        t0 = time.monotonic()
        ctl_ok("session", "stop", sid)
        took = time.monotonic() - t0
        diag(f"stop returned in {took * 1000:.0f} ms")
        check_timing(took < 1.0, f"stop took {took:.3f} s")
        s = session(sid)
        check(s["state"] == "done", f"state {s['state']}")
        check(s["sender"]["stats"]["error"] == 0, "a stop is not an error")
        check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
        ctl_ok("session", "del", sid)
    finally:
        kill_tree(sink, signal.SIGCONT)
        kill_tree(sink)


@t.test(pair=PAIR)
def stop_keeps_counts_equal(pair):
    sid = both_ends(pair, 30)
    ctl_ok("session", "start", sid)
    wait_for(lambda: session(sid)["receiver"]["stats"]["bytes"] > 1000000, 10, "data")
    ctl_ok("session", "stop", sid)
    s = session(sid)
    tx, rx = s["sender"]["stats"], s["receiver"]["stats"]
    diag(f"sent {tx['bytes']}, received {rx['bytes']}")
    check(tx["bytes"] == rx["bytes"], f"sent {tx['bytes']} != received {rx['bytes']}")
    ctl_ok("session", "del", sid)


@t.test(pair=PAIR)
def monitor_reports_done(pair):
    mon = spawn(f"{CALPERFCTL} -j monitor")
    try:
        time.sleep(0.5)
        r = ctl_ok("stream", pair.b4, "bytes", "1M", "client-netns", pair.a,
                   "server-netns", pair.b).json
        sid = r["session"]["id"]
        line = wait_for(lambda: mon.stdout.readline(), 10, "a notification")
    finally:
        kill_tree(mon)
    ev = json.loads(line)
    check(ev["id"] == sid and ev["state"] == "done", f"event {ev}")
    check(ev["sender"]["stats"]["bytes"] == 1 << 20, "the event lacks the results")


@t.test(pair=PAIR)
def monitor_survives_an_overrun(pair):
    """A monitor that falls behind loses events (its socket overruns),
    says so, and goes on with the next ones."""
    events = "/tmp/calperf-monitor.json"
    mon = spawn(f"exec {CALPERFCTL} -j monitor >{events}")
    try:
        wait_for(lambda: subscribed(mon.pid), 10, "the monitor to listen")
        run = spawn(f"exec {CALPERFCTL} -j stream {pair.b4} time 3 interval 0.01 "
                    f"client-netns {pair.a} server-netns {pair.b}")
        try:
            stalled_until_overrun(mon)
            run.communicate(timeout=60 * (10 if DEBUG_KERNEL else 1))
        finally:
            kill_tree(run)
        sid = ctl_ok("stream", pair.b4, "bytes", "1M", "client-netns", pair.a,
                     "server-netns", pair.b).json["session"]["id"]

        def reported():
            with open(events) as f:
                return any(e["id"] == sid and e["state"] == "done"
                           for e in map(json.loads, f))
        wait_for(reported, 10, "the monitor to report the run after the overrun")
    finally:
        kill_tree(mon, signal.SIGTERM)
        _, err = mon.communicate(timeout=10)
        os.unlink(events)
    check(err.startswith("Warning: the kernel dropped events"),
          f"no warning about the lost events: {err.strip()!r}")


@t.test(other=VethPair)
def namespace_deleted_mid_run(other):
    """Deleting the receiver's namespace ends the session with ENETDOWN;
    the session stays, with its results, in its own namespace."""
    sid = both_ends(other, 60)
    ctl_ok("session", "start", sid)
    wait_for(lambda: session(sid)["receiver"]["stats"]["bytes"] > 0, 10, "data")
    sh(f"ip netns del {other.b}")
    s = wait_done(sid, 20)
    diag(f"sender {s['sender']['stats']['error_name']}, "
         f"receiver {s['receiver']['stats']['error_name']}")
    check(s["error_name"] == "ENETDOWN", f"session error {s['error_name']}")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    r = ctl("session", "start", sid)
    check(r.rc == 1, "restarted a finished session")
    ctl_ok("session", "del", sid)


@t.test
def owner_namespace_deleted():
    """Sessions die with the namespace that created them."""
    ns = f"cpowner-{os.getpid()}"
    sh(f"ip netns add {ns}")
    sh(f"ip -n {ns} link set lo up")
    sh(f"ip -n {ns} addr add 198.18.200.1/32 dev lo")
    ctl_ok("session", "add", "time", 60, "sender", "addr", "198.18.200.1", "port", 5320,
           "receiver", "addr", "198.18.200.1", "port", 5320, ns=ns)
    ctl_ok("session", "start", 1, ns=ns)
    sh(f"ip netns del {ns}")
    wait_for(lambda: not calperf_kthreads(), 20, "the session's kthreads to end")


@t.test(pair=PAIR)
def unload_mid_run(pair):
    """Unload with sessions in every state: both ends streaming, a sender
    into a stalled sink, a receiver waiting for a peer, one created."""
    sid = both_ends(pair, 60)
    ctl_ok("session", "start", sid)
    sink, _ = sender_into_sink(pair, 5312)
    try:
        waiting = ctl_ok("session", "add", "receiver", "netns", pair.b, "port", 5313).json["id"]
        ctl_ok("session", "start", waiting)
        ctl_ok("session", "add", "sender", "addr", pair.b4, "port", 5314)
        wait_for(lambda: session(sid)["receiver"]["stats"]["bytes"] > 0, 10, "data")
        os.killpg(sink.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        module_unload()
        diag(f"rmmod took {(time.monotonic() - t0) * 1000:.0f} ms with 4 sessions")
    finally:
        kill_tree(sink, signal.SIGCONT)
        kill_tree(sink)
    check(not module_loaded(), "still loaded")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    module_load()


@t.test(pair=PAIR)
def rr_limit_holds_against_a_silent_server(pair):
    """A server that accepts and never answers: rr's time limit still ends
    the run, with what it measured and the reason."""
    port = 5330
    silent = spawn(pair.exec(pair.b, f"socat -u TCP-LISTEN:{port},reuseaddr EXEC:'sleep 60'"))
    try:
        wait_listening(pair.b, port)
        t0 = time.monotonic()
        r = ctl("rr", pair.b4, "port", port, "client-only", "client-netns", pair.a,
                "time", 3, timeout=30)
        took = time.monotonic() - t0
    finally:
        kill_tree(silent)
    diag(f"rr against a silent server ended after {took:.1f} s: {r.err.strip()}")
    check(r.rc == 1 and r.json["error_name"] == "ETIMEDOUT", f"exit {r.rc}, {r.out} {r.err}")
    check(r.json["session"]["sender"]["stats"]["calls"] == 0, "transactions were counted")
    check("Error: the rr ended with ETIMEDOUT (the peer did not answer within the "
          "time limit)." in r.err, f"stderr {r.err!r}")
    check_timing(took < 10, f"took {took:.1f} s for a 3 s limit")


@t.test
def server_alone_ends_at_its_limit():
    """A receiver alone with a time limit and nobody connecting ends at its
    limit with "no peer connected", for stream and rr alike."""
    for kind in ("stream", "rr"):
        t0 = time.monotonic()
        r = ctl(kind, "127.0.0.1", "port", 5999, "server-only", "time", 3, timeout=30)
        took = time.monotonic() - t0
        diag(f"{kind} server-only: {took:.1f} s, {r.err.strip()}")
        check(r.rc == 1 and r.json["error_name"] == "ENOTCONN", f"{kind}: exit {r.rc}, {r.err}")
        check(f"Error: the {kind} ended with ENOTCONN (no peer connected within the "
              "time limit)." in r.err, f"stderr {r.err!r}")
        check_timing(took < 10, f"{kind}: took {took:.1f} s for a 3 s limit")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


def waiting_receivers(ns, n, port0=5400):
    """@n sessions owned by netns @ns, each a receiver started and waiting
    for its peer: running kthreads that sleep in accept(), as a stalled
    run's do, without loading the CPUs the measurement needs."""
    for i in range(n):
        sid = ctl_ok("session", "add", "receiver", "port", port0 + i, ns=ns).json["id"]
        ctl_ok("session", "start", sid, ns=ns)
    wait_for(lambda: len(calperf_kthreads()) == n, 30, f"{n} kthreads")


def loopback_ns():
    ns = f"cpmany-{os.getpid()}-{time.monotonic_ns()}"
    sh(f"ip netns add {ns}")
    sh(f"ip -n {ns} link set lo up")
    return ns


def teardown_time(n, how):
    """Seconds from 'rmmod' or 'ip netns del' until the last kthread of @n
    running sessions is gone."""
    ns = loopback_ns()
    try:
        waiting_receivers(ns, n)
        t0 = time.monotonic()
        if how == "rmmod":
            module_unload()
        else:
            sh(f"ip netns del {ns}")
            ns = None
        wait_for(lambda: not calperf_kthreads(), 60, "the kthreads to end", step=0.01)
        return time.monotonic() - t0
    finally:
        if ns:
            sh(f"ip netns del {ns}", check_rc=False)
        module_load()


@t.test
def teardown_reaps_64_sessions_together():
    """Unload and namespace deletion halt every session first and reap
    them together. Reaped one after another, each kthread would notice
    its stop only at its next socket timeout (CALPERF_POLL_MS, 100 ms;
    50 ms on average): 63 more sessions would add about 3 s. Together,
    each adds only its own exit and socket release (about 4 ms under
    TCG), so 63 more may add at most 25 ms each, half of what one after
    another would cost (reported, not checked, on the debug kernel)."""
    per_session = 0.025
    for how in ("rmmod", "ip netns del"):
        one = min(teardown_time(1, how) for _ in range(2))
        many = teardown_time(64, how)
        diag(f"{how}: {one * 1000:.0f} ms with 1 session, {many * 1000:.0f} ms with 64, "
             f"{(many - one) / 63 * 1000:.1f} ms per added session")
        check_timing(many - one <= 63 * per_session,
                     f"{how}: {many:.3f} s with 64 sessions, {one:.3f} s with one: "
                     f"more than {per_session * 1000:.0f} ms per added session")


t.run()
