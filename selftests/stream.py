#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP streams between two namespaces over veth, IPv4 and IPv6, with
byte counts checked against observers outside calperf (socat)."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, CALPERFCTL, check_provenance, ctl, ctl_ok, kill_tree,
    module_load, no_session_left, session_count, sh, spawn)
from genl import stalled_until_overrun  # noqa: E402
from ktap import check, check_timing, DEBUG_KERNEL, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair, wait_listening  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)


def check_result(r, want_bytes=None):
    s = r["session"]
    tx, rx = s["sender"]["stats"], s["receiver"]["stats"]
    diag(f"{r['bytes']} bytes in {r['elapsed_ns'] / 1e9:.3f} s = "
         f"{r['throughput_bps'] / 1e6:.1f} Mb/s, cpu tx {r['sender_cpu_cores']:.2f} "
         f"rx {r['receiver_cpu_cores']:.2f}")
    check(r["error"] == 0, f"error {r['error_name']}")
    check(tx["done"] and rx["done"], "an end did not finish")
    check(tx["bytes"] > 0, "nothing was sent")
    check(tx["bytes"] == rx["bytes"], f"sent {tx['bytes']} != received {rx['bytes']}")
    if want_bytes is not None:
        check(tx["bytes"] == want_bytes, f"sent {tx['bytes']}, wanted {want_bytes}")
    for st in (tx, rx):
        bps = st["bytes"] * 8e9 / st["elapsed_ns"]
        check(abs(bps - st["throughput_bps"]) <= bps * 1e-6 + 1,
              f"throughput {st['throughput_bps']} != bytes/elapsed {bps:.0f}")
        check(0 < st["cpu_ns"] <= st["elapsed_ns"] * 1.05 + 8e6,
              f"cpu {st['cpu_ns']} ns outside (0, elapsed {st['elapsed_ns']}]")
    check(tx["calls"] > 0 and rx["calls"] > 0, "no calls counted")
    check(tx["tcp_mss_bytes"] > 0, "no TCP_INFO")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(pair=PAIR)
def results_say_where_they_came_from(pair):
    check_provenance(pair.run("stream", pair.b4, "time", 0.5))


@t.test(pair=PAIR)
def ipv4_timed(pair):
    r = pair.run("stream", pair.b4, "time", "1.5", "msg-size", "20K")
    check_result(r)
    s = r["session"]
    check(s["msg_size_bytes"] == 20480 and s["sender"]["sockbuf_bytes"] == 20480,
          "the socket buffer does not follow the message size")
    el = s["sender"]["stats"]["elapsed_ns"] / 1e9
    check(1.4 <= el <= 2.5, f"a 1.5 s run took {el:.3f} s")


@t.test(pair=PAIR)
def ipv6_byte_limit(pair):
    check_result(pair.run("stream", pair.b6, "bytes", "8M"), want_bytes=8 << 20)


@t.test(pair=PAIR)
def small_messages_nodelay_reno(pair):
    r = pair.run("stream", pair.b4, "port", "5202", "bytes", "100000", "msg-size", "1000",
               "nodelay", "congestion", "reno", "sockbuf", "0")
    check_result(r, want_bytes=100000)
    s = r["session"]
    check(s["sender"]["stats"]["calls"] == 100, f"{s['sender']['stats']['calls']} sends")
    check(s["nodelay"] and s["congestion"] == "reno", "options not reported")
    check(s["sender"]["sockbuf_bytes"] == 0, "sockbuf 0 (autotuning) not kept")


@t.test(pair=PAIR)
def pinned_cpus(pair):
    cpus = os.cpu_count()
    r = pair.run("stream", pair.b4, "bytes", "1M", "client-cpu", cpus - 1, "server-cpu", 0)
    check_result(r, want_bytes=1 << 20)
    check(r["session"]["sender"]["cpu"] == cpus - 1, "sender cpu not reported")


def socat_sink(pair, port):
    """A byte-counting TCP sink in namespace B."""
    out = f"/tmp/sink-{os.getpid()}-{port}"
    p = spawn(pair.exec(pair.b, f"sh -c 'socat -u TCP-LISTEN:{port},reuseaddr STDOUT | wc -c > {out}'"))
    wait_listening(pair.b, port)
    return p, out


@t.test(pair=PAIR)
def sender_into_socat(pair):
    """calperf's sender count equals what an outside sink read."""
    p, out = socat_sink(pair, 5301)
    try:
        r = ctl_ok("stream", pair.b4, "port", 5301, "client-only", "client-netns", pair.a,
                   "bytes", "5M").json
        p.wait(timeout=30)
        got = int(open(out).read())
    finally:
        kill_tree(p)
    tx = r["session"]["sender"]["stats"]
    diag(f"calperf sent {tx['bytes']}, socat read {got}")
    check(r["error"] == 0, f"error {r['error_name']}")
    check(tx["bytes"] == 5 << 20 == got, f"sent {tx['bytes']}, socat read {got}")
    check("receiver" not in r["session"], "a receiver in a client-only session")


@t.test(pair=PAIR)
def socat_into_receiver(pair):
    """calperf's receiver count equals what an outside sender wrote."""
    n = 3000000
    rx = spawn(f"{CALPERFCTL} -j stream server-only port 5302 server-netns {pair.b}")
    try:
        wait_listening(pair.b, 5302)
        sh(pair.exec(pair.a, f"sh -c 'head -c {n} /dev/zero | socat -u STDIN TCP:{pair.b4}:5302'"))
        out, err = rx.communicate(timeout=30)
    finally:
        kill_tree(rx)
    check(rx.returncode == 0, f"calperfctl failed: {err}")
    r = json.loads(out)
    got = r["session"]["receiver"]["stats"]["bytes"]
    diag(f"socat wrote {n}, calperf received {got}")
    check(got == n, f"received {got}, socat wrote {n}")
    check("sender" not in r["session"], "a sender in a server-only session")


@t.test(pair=PAIR)
def text_output(pair):
    r = ctl_ok("stream", pair.b4, "time", "0.5", "client-netns", pair.a,
               "server-netns", pair.b, as_json=False)
    lines = r.out.splitlines()
    diag(r.out)
    check(lines[0].startswith(f"stream {pair.b4} port 5201  msg 64 KiB"), f"header {lines[0]!r}")
    check(lines[1].lstrip().startswith("throughput") and "Gb/s" in lines[1], "no throughput line")


@t.test(pair=PAIR)
def interval_reports(pair):
    """A running session reports its counters every interval."""
    r = pair.run("stream", pair.b4, "time", 2, "interval", "0.4")
    iv = r["intervals"]
    total = r["session"]["receiver"]["stats"]["bytes"]
    diag(f"{len(iv)} reports: " + ", ".join(f"{i['bytes']}" for i in iv))
    check(len(iv) >= 3, f"{len(iv)} interval reports in 2 s at 0.4 s")
    for a, b in zip(iv, iv[1:]):
        check(a["end_ns"] == b["start_ns"] and b["end_ns"] >= b["start_ns"],
              f"intervals do not follow each other: {a} {b}")
    check(sum(i["bytes"] for i in iv) <= total, "the reports add up to more than the total")
    check(sum(i["bytes"] for i in iv) > 0, "no bytes in any report")
    check(r["session"]["interval_ms"] == 400, "interval not reported back")
    r = ctl_ok("stream", pair.b4, "time", 1, "-i", "0.3", "client-netns", pair.a,
               "server-netns", pair.b, as_json=False)
    lines = [ln for ln in r.out.splitlines() if ln.lstrip().startswith("[")]
    check(len(lines) >= 2 and "Gb/s" in lines[0], f"interval lines: {r.out!r}")


@t.test(pair=PAIR)
def interval_reports_survive_an_overrun(pair):
    """A run that stalls while its session reports every 10 ms loses
    reports when its socket overruns (ENOBUFS), not the run: it says so,
    and the line after the gap covers it."""
    # Long enough to overrun on the slowest kernel; SIGINT ends it then.
    p = spawn(f"exec {CALPERFCTL} -j stream {pair.b4} time 600 interval 0.01 "
              f"client-netns {pair.a} server-netns {pair.b}")
    try:
        wait_for(lambda: any(s["state"] == "running" for s in ctl_ok("session", "show").json),
                 10, "the session to run")
        stalled_until_overrun(p)
        time.sleep(1)
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=60 * (10 if DEBUG_KERNEL else 1))
    finally:
        kill_tree(p)
        for s in ctl_ok("session", "show").json:
            ctl("session", "del", s["id"])
    check(p.returncode == 0, f"calperfctl exited {p.returncode}: {err.strip()!r}")
    check(err.startswith("Warning: the kernel dropped interval reports"),
          f"no warning about the lost reports: {err.strip()!r}")
    r = json.loads(out)
    iv = r["intervals"]
    longest = max(i["end_ns"] - i["start_ns"] for i in iv)
    diag(f"{len(iv)} reports, the longest {longest / 1e6:.0f} ms")
    for a, b in zip(iv, iv[1:]):
        check(a["end_ns"] == b["start_ns"], f"intervals do not follow each other: {a} {b}")
    # The stall went on for half a second after the first report lost
    # (a bound in time: reported only on the debug kernel).
    check_timing(longest > 300e6, f"no report spans the gap: the longest is {longest / 1e6:.0f} ms")
    check(sum(i["bytes"] for i in iv) <= r["session"]["receiver"]["stats"]["bytes"],
          "the reports add up to more than the total")
    check(session_count() == 0, "the run left its session")


@t.test(pair=PAIR)
def run_waits_without_polling(pair):
    """A run sleeps on the "monitor" group until its session is done: about
    one request a second while it waits, not ten that would compete with
    the measurement for CPU."""
    trace = "/tmp/calperfctl.strace"
    t0 = time.monotonic()
    r = ctl_ok("stream", pair.b4, "time", 3, "client-netns", pair.a, "server-netns", pair.b,
               prefix=f"strace -f -qq -e trace=sendto,sendmsg -o {trace}")
    wall = time.monotonic() - t0
    with open(trace) as f:
        sends = sum(1 for ln in f if "sendto(" in ln or "sendmsg(" in ln)
    os.unlink(trace)
    diag(f"{sends} netlink requests in {wall:.1f} s")
    check(r.json["error"] == 0, f"error {r.json['error_name']}")
    # Resolving the family and the group, new, start, delete: under ten.
    check(sends <= 10 + wall + 1, f"{sends} requests in {wall:.1f} s: the wait polls")


@t.test(pair=PAIR)
def interrupt_stops_the_run(pair):
    """SIGINT stops a run early; calperfctl prints what it measured, exits
    0 and deletes its session."""
    p = spawn(f"exec {CALPERFCTL} -j stream {pair.b4} time 60 client-netns {pair.a} "
              f"server-netns {pair.b}")
    try:
        wait_for(lambda: any(s["state"] == "running" for s in ctl_ok("session", "show").json),
                 10, "the session to run")
        time.sleep(1)
        t0 = time.monotonic()
        os.killpg(p.pid, signal.SIGINT)    # as a terminal's Ctrl-C does
        out, err = p.communicate(timeout=10 * (10 if DEBUG_KERNEL else 1))
        took = time.monotonic() - t0
    finally:
        kill_tree(p)
    check(p.returncode == 0, f"calperfctl exited {p.returncode}: {err.strip()}")
    r = json.loads(out)
    diag(f"stopped {took:.2f} s after SIGINT, {r['bytes']} bytes in "
         f"{r['elapsed_ns'] / 1e9:.2f} s")
    check(r["error"] == 0 and r["bytes"] > 0, f"{r['bytes']} bytes, {r['error_name']}")
    check(r["elapsed_ns"] < 30e9, f"the run went on for {r['elapsed_ns'] / 1e9:.1f} s")
    check_timing(took < 3, f"calperfctl took {took:.2f} s to stop")
    check(session_count() == 0, "the stopped run left its session")


t.run()
