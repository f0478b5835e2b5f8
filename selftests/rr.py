#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Request/response sessions over veth: transactions, the round-trip
histogram, the result's provenance, and RTTs checked against an injected
netem delay and against qperf's tcp_lat on the same path."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, check_provenance, ctl_ok, kill_tree, module_load,
    no_session_left, sh, spawn)
from ktap import check, check_timing, diag, Ktap, shared  # noqa: E402
from topology import VethPair, wait_listening  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)
# Under QEMU TCG, timers fire late and netem's 2 ms becomes up to ~3.5 ms
# (qperf sees the same); this is the allowance above 2 ms + the no-delay
# median. On hardware it could be a tenth of that.
NETEM_TOLERANCE_NS = 2_000_000
# The mean is pulled by the few transactions the guest's scheduler stalls
# (10-20 ms under TCG), in qperf's runs as in ours: allow 1.5 x qperf's.
QPERF_TOLERANCE = 1.5


def rtt(r):
    return r["session"]["sender"]["stats"]["rtt"]


def check_rr(r):
    s = r["session"]
    c, srv, h = s["sender"]["stats"], s["receiver"]["stats"], rtt(r)
    diag(f"{c['calls']} transactions, {r['transactions_per_s']:.0f}/s, rtt min "
         f"{h['min_ns']/1e3:.1f} p50 {h['p50_ns']/1e3:.1f} p99 {h['p99_ns']/1e3:.1f} "
         f"max {h['max_ns']/1e3:.1f} us")
    check(r["error"] == 0, f"error {r['error_name']}")
    check(c["calls"] > 0 and c["calls"] == srv["calls"] == h["count"],
          f"client {c['calls']}, server {srv['calls']}, histogram {h['count']}")
    check(h["min_ns"] <= h["mean_ns"] <= h["max_ns"], "mean outside [min, max]")
    prev = 0
    for p in ("p50_ns", "p90_ns", "p99_ns", "p99_9_ns"):
        check(prev <= h[p], f"{p} below the previous percentile")
        # Midpoints of buckets at most 1/128 wide.
        check(h["min_ns"] * (1 - 1/256) <= h[p] <= h["max_ns"] * (1 + 1/256) + 1,
              f"{p} {h[p]} outside [min, max]")
        prev = h[p]
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")


@t.test(pair=PAIR)
def one_byte_rr(pair):
    r = pair.run("rr", pair.b4, "time", 2)
    check_rr(r)
    baseline_p50 = rtt(r)["p50_ns"]
    check_timing(baseline_p50 < 2_000_000,
                 f"median RTT {baseline_p50} ns over veth without delay")
    check(r["latency_ns"] == rtt(r)["mean_ns"] // 2, "latency is not mean RTT / 2")
    check(r["session"]["sender"]["sockbuf_bytes"] == 0, "rr should leave socket buffers to autotuning")
    check_provenance(r)


@t.test(pair=PAIR)
def sizes_and_count_ipv6(pair):
    r = pair.run("rr", pair.b6, "count", 100, "req-size", 100, "resp-size", "20K")
    check_rr(r)
    c = r["session"]["sender"]["stats"]
    check(c["calls"] == 100, f"{c['calls']} transactions, wanted 100")
    check(c["bytes"] == 100 * (100 + 20480), f"client moved {c['bytes']} bytes")


@t.test(pair=PAIR)
def histogram_buckets(pair):
    r = ctl_ok("-s", "rr", pair.b4, "count", 500, "percentile", 50, "percentile", 95,
               "client-netns", pair.a, "server-netns", pair.b).json
    h = rtt(r)
    buckets = h["buckets"]
    check(sum(b["count"] for b in buckets) == h["count"] == 500, "bucket counts do not add up")
    for b in buckets:
        check(b["width_ns"] == 1 if b["lower_ns"] < 256 else b["width_ns"] * 128 <= b["lower_ns"],
              f"bucket {b} wider than 1/128 of its lower bound")
    lows = [b["lower_ns"] for b in buckets]
    check(lows == sorted(lows), "buckets out of order")
    check(buckets[0]["lower_ns"] <= h["min_ns"] < buckets[0]["lower_ns"] + buckets[0]["width_ns"],
          "min is not in the first bucket")
    check(r["rtt_percentiles"]["p50_ns"] == h["p50_ns"],
          f"calperfctl's p50 {r['rtt_percentiles']['p50_ns']} != kernel's {h['p50_ns']}")
    check(h["p50_ns"] <= r["rtt_percentiles"]["p95_ns"] <= h["p99_ns"], "p95 out of place")


@t.test(pair=PAIR)
def netem_delay_shows(pair):
    """2 ms of netem on the server's veth: the median RTT rises by 2 ms,
    and qperf tcp_lat on the same path agrees (both bounds in time)."""
    baseline_p50 = rtt(pair.run("rr", pair.b4, "time", 2))["p50_ns"]
    sh(f"tc -n {pair.b} qdisc add dev vb root netem delay 2ms")
    qperf = spawn(pair.exec(pair.b, "qperf"))
    try:
        # qperf's server is up before calperf measures, so its start does
        # not share the guest's CPUs with calperf's round trips.
        wait_listening(pair.b, 19765)
        r = pair.run("rr", pair.b4, "time", 2)
        check_rr(r)
        q = sh(pair.exec(pair.a, f"qperf -t 2 {pair.b4} tcp_lat")).stdout
    finally:
        kill_tree(qperf)
        sh(f"tc -n {pair.b} qdisc del dev vb root", check_rc=False)
    p50 = rtt(r)["p50_ns"]
    check(p50 >= 2_000_000, f"median {p50} ns under the 2 ms injected")
    limit = 2_000_000 + baseline_p50 + NETEM_TOLERANCE_NS
    # A bound in time: the debug guest's medians move by ten milliseconds
    # from one run to the next, five times the tolerance.
    check_timing(p50 <= limit,
                 f"median {p50} ns over 2 ms + {baseline_p50} + {NETEM_TOLERANCE_NS}")
    m = re.search(r"latency\s*=\s*([\d.]+)\s*(us|ms)", q)
    check(m, f"cannot read qperf's output: {q!r}")
    qperf_rtt = float(m.group(1)) * (1e3 if m.group(2) == "us" else 1e6) * 2
    diag(f"netem 2 ms: calperf median {p50/1e6:.3f} ms, mean {rtt(r)['mean_ns']/1e6:.3f} ms; "
         f"qperf tcp_lat x2 {qperf_rtt/1e6:.3f} ms; no-delay median {baseline_p50/1e6:.3f} ms")
    # A bound in time too: on the debug guest, with qperf's server already
    # up, calperf's and qperf's means from back-to-back runs were 0.86 to
    # 1.54 times each other, and either tool's alone moves by 2x from one
    # run to the next.
    check_timing(rtt(r)["mean_ns"] <= qperf_rtt * QPERF_TOLERANCE,
                 f"calperf's mean RTT {rtt(r)['mean_ns']} ns is well over qperf's {qperf_rtt:.0f}")


@t.test(pair=PAIR)
def client_into_echo_server(pair):
    """An outside TCP server (socat echoing) answers calperf's client."""
    echo = spawn(pair.exec(pair.b, "socat TCP-LISTEN:5501,reuseaddr,fork EXEC:cat"))
    try:
        wait_listening(pair.b, 5501)
        r = ctl_ok("rr", pair.b4, "port", 5501, "client-only", "count", 50,
                   "req-size", 64, "resp-size", 64, "client-netns", pair.a).json
    finally:
        kill_tree(echo)
    c = r["session"]["sender"]["stats"]
    check(r["error"] == 0 and c["calls"] == 50, f"{c['calls']} transactions, {r['error_name']}")
    check(rtt(r)["count"] == 50, "histogram count")


t.run()
