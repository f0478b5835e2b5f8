#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Many flows over a few kthreads: every flow moves data, per-flow
results add up to the totals on both ends and match each other by port,
kthreads are pinned, a byte limit is split exactly, and a session with
many flows ends cleanly on a stop and on module unload."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, ctl, ctl_ok, kill_tree, module_load, no_session_left,
    proc_files, reload_module, session, sh, spawn, wait_done)
from genl import A_SESSION, CMD, Genl, u32  # noqa: E402
from ktap import check, check_timing, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)


def check_flows(r, nr_flows, nr_threads):
    s = r["session"]
    tx, rx = s["sender"], s["receiver"]
    check(s["flow_count"] == nr_flows and s["thread_count"] == nr_threads,
          f"flows {s['flow_count']}, threads {s['thread_count']}")
    for ep in (tx, rx):
        flows = ep["flows"]
        check(len(flows) == nr_flows, f"{len(flows)} flows reported")
        check(sum(f["stats"]["bytes"] for f in flows) == ep["stats"]["bytes"],
              "the flows do not add up to the total")
        check(sum(f["stats"]["calls"] for f in flows) == ep["stats"]["calls"],
              "the flows' calls do not add up to the total")
        for f in flows:
            check(f["thread"] == f["index"] % nr_threads,
                  f"flow {f['index']} on thread {f['thread']}")
            check(f["stats"]["bytes"] > 0, f"flow {f['index']} moved nothing")
            check(f["stats"]["error"] == 0, f"flow {f['index']}: {f['stats']['error_name']}")
    by_port = {f["peer_port"]: f for f in rx["flows"]}
    for f in tx["flows"]:
        peer = by_port.get(f["local_port"])
        check(peer is not None, f"no receiver flow from port {f['local_port']}")
        check(peer["stats"]["bytes"] == f["stats"]["bytes"],
              f"flow {f['index']}: sent {f['stats']['bytes']}, "
              f"received {peer['stats']['bytes']}")
    check(r["error"] == 0, f"error {r['error_name']}")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(pair=PAIR)
def eight_flows_two_threads(pair):
    r = pair.run("stream", pair.b4, "time", 2, "flows", 8, "threads", 2, "msg-size", "16K")
    rates = [f["stats"]["throughput_bps"] / 1e6 for f in r["session"]["sender"]["flows"]]
    diag(f"total {r['throughput_bps'] / 1e9:.3f} Gb/s; flows (Mb/s): "
         + " ".join(f"{x:.0f}" for x in rates))
    check_flows(r, 8, 2)


@t.test(pair=PAIR)
def one_thread_many_flows_ipv6(pair):
    r = pair.run("stream", pair.b6, "time", 1, "flows", 5, "threads", 1)
    check_flows(r, 5, 1)


@t.test(pair=PAIR)
def byte_limit_is_split_exactly(pair):
    total, n = 1_000_003, 7
    r = pair.run("stream", pair.b4, "bytes", total, "flows", n, "threads", 3, "msg-size", 4000,
               "verify", "zerocopy", "nocopy")
    check_flows(r, n, 3)
    sent = sorted(f["stats"]["bytes"] for f in r["session"]["sender"]["flows"])
    diag(f"per flow: {sent}")
    check(sum(sent) == total, f"sent {sum(sent)} in all, wanted {total}")
    check(sent[0] == total // n and sent[-1] == -(-total // n),
          f"uneven split {sent}")
    rx = r["session"]["receiver"]
    check(rx["stats"]["verified_bytes"] == total, "not every byte verified")
    for f in rx["flows"]:
        check(f["stats"]["verified_bytes"] == f["stats"]["bytes"],
              f"flow {f['index']}: {f['stats']['verified_bytes']} of "
              f"{f['stats']['bytes']} verified")


def affinity(name):
    for pid, comm in proc_files("comm"):
        if comm.strip() != name:
            continue
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("Cpus_allowed_list:"):
                    return line.split()[1]
        except OSError:
            continue
    return None


@t.test(pair=PAIR)
def kthreads_are_pinned_and_stop(pair):
    ncpu = os.cpu_count()
    r = ctl_ok("session", "add", "flows", 4, "threads", 2, "time", 30,
               "sender", "netns", pair.a, "addr", pair.b4, "port", 5401, "cpu", 1,
               "receiver", "netns", pair.b, "port", 5401)
    sid = r.json["id"]
    ctl_ok("session", "start", sid, as_json=False)
    try:
        wait_for(lambda: affinity(f"calperf-tx/{sid}:1"), 10, "the second sender kthread")
        got = {name: affinity(name) for name in
               (f"calperf-tx/{sid}:0", f"calperf-tx/{sid}:1",
                f"calperf-rx/{sid}:0", f"calperf-rx/{sid}:1")}
        diag(f"affinity: {got}")
        want = {f"calperf-tx/{sid}:0": str(1 % ncpu), f"calperf-tx/{sid}:1": str(2 % ncpu),
                f"calperf-rx/{sid}:0": "0", f"calperf-rx/{sid}:1": str(1 % ncpu)}
        check(got == want, f"pinned {got}, wanted {want}")
        # In-process, so a busy guest's process start is not counted.
        g = Genl()
        t0 = time.monotonic()
        g.request(CMD["stop"], u32(A_SESSION["id"], sid))
        took = time.monotonic() - t0
        g.close()
        check_timing(took < 1.0, f"stop took {took:.2f} s")
        s = ctl_ok("session", "show", sid).json
        check(s["state"] == "done", f"state {s['state']} after a stop")
        check(s["sender"]["stats"]["bytes"] == s["receiver"]["stats"]["bytes"],
              "a stop lost bytes between the ends")
    finally:
        ctl("session", "del", sid, as_json=False)
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(pair=PAIR)
def bad_flow_counts_are_refused(pair):
    for args, msg in ((("flows", 2, "threads", 3), "more threads than flows"),
                      (("flows", 4, "bytes", 3), "bytes-limit is less than a byte per flow"),
                      (("flows", 65), "flows"),
                      (("flows", 0), "flows")):
        r = ctl("stream", pair.b4, *args, "client-netns", pair.a, "server-netns", pair.b,
                as_json=False)
        check(r.rc != 0 and r.err.startswith("Error: ") and msg in r.err,
              f"{args}: rc {r.rc}, {r.err!r}")
    r = ctl("session", "add", "kind", "rr", "flows", 2, "receiver", "port", 5402,
            as_json=False)
    check(r.rc != 0 and "flows is for stream sessions" in r.err, f"rr flows: {r.err!r}")


@t.test(pair=PAIR)
def unload_with_many_flows_running(pair):
    r = ctl_ok("session", "add", "flows", 16, "threads", 4, "time", 30,
               "sender", "netns", pair.a, "addr", pair.b4, "port", 5403,
               "receiver", "netns", pair.b, "port", 5403)
    ctl_ok("session", "start", r.json["id"], as_json=False)
    wait_for(lambda: len(calperf_kthreads()) == 8, 10, "8 kthreads")
    time.sleep(0.5)
    reload_module()


@t.test(pair=PAIR)
def a_receivers_clock_starts_at_each_accept(pair):
    """A flow that connects and sends while the receiver waits for its
    other flow: its bytes are counted with their time, from its accept."""
    port = 5350
    sid = ctl_ok("session", "add", "flows", 2, "receiver", "netns", pair.b,
                 "port", port).json["id"]
    send = pair.exec(pair.a, f"sh -c 'head -c 1000000 /dev/zero | "
                             f"socat -u - TCP:{pair.b4}:{port}'")
    first = None
    try:
        ctl_ok("session", "start", sid)
        first = spawn(send)
        wait_for(lambda: session(sid)["receiver"]["flows"][0]["peer_port"], 10,
                 "the first flow's accept")
        time.sleep(1)
        sh(send)
        first.wait(timeout=30)
        s = wait_done(sid, 20)
    finally:
        if first:
            kill_tree(first)
        ctl("session", "del", sid)
    flows = s["receiver"]["flows"]
    ends = [f["stats"]["elapsed_ns"] / 1e9 for f in flows]
    diag(f"flows' elapsed: {ends[0]:.2f} s (connected first), {ends[1]:.2f} s")
    check(all(f["stats"]["bytes"] == 1000000 for f in flows), "bytes lost")
    check(ends[0] >= 0.9, f"the first flow's clock started late: {ends[0]:.2f} s")


t.run()
