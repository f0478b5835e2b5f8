#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Faults in the middle of a run: link down and up, an MTU change, the
route removed, netem loss of 10 % and 100 %, reordering, and module
unload while the path is broken. TCP rides out what it can; every
session still ends with a clear status within a bound (a stop within one
second), and the guest kernel log stays clean (selftests/vm/run checks
it)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    ctl_ok, module_load, no_session_left, reload_module, session, sh,
    wait_done)
from genl import A_SESSION, CMD, Genl, u32  # noqa: E402
from ktap import check, check_timing, DEBUG_KERNEL, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)
STOP_BOUND_S = 1.0


def start(pair, port, seconds=30, *args):
    # Long enough to outlast the fault, on the ten times slower debug
    # kernel too; the tests stop it.
    seconds *= 10 if DEBUG_KERNEL else 1
    sid = ctl_ok("session", "add", "time", seconds, *args,
                 "sender", "netns", pair.a, "addr", pair.b4, "port", port,
                 "receiver", "netns", pair.b, "port", port).json["id"]
    ctl_ok("session", "start", sid, as_json=False)
    wait_for(lambda: session(sid)["receiver"]["stats"]["bytes"] > 500_000, 10, "data")
    return sid


def stop(sid):
    """Stop in-process (a busy guest's process start is not the bound)."""
    g = Genl()
    t0 = time.monotonic()
    g.request(CMD["stop"], u32(A_SESSION["id"], sid))
    took = time.monotonic() - t0
    g.close()
    s = session(sid)
    diag(f"stop returned in {took * 1000:.0f} ms: sent {s['sender']['stats']['bytes']}, "
         f"received {s['receiver']['stats']['bytes']}, error {s['error_name']}")
    check_timing(took < STOP_BOUND_S, f"stop took {took:.2f} s")
    check(s["state"] == "done", f"state {s['state']} after a stop")
    ctl_ok("session", "del", sid, as_json=False)
    return s


def stop_intact(sid):
    """A stop after TCP rode out the fault: no error, no byte lost."""
    s = stop(sid)
    check(s["error"] == 0, f"error {s['error_name']}")
    check(s["sender"]["stats"]["bytes"] == s["receiver"]["stats"]["bytes"],
          "bytes lost between the ends")


def flowing(sid, seconds=1.0):
    """Bytes still arrive over @seconds."""
    before = session(sid)["receiver"]["stats"]["bytes"]
    time.sleep(seconds)
    return session(sid)["receiver"]["stats"]["bytes"] > before


@t.test(pair=PAIR)
def link_down_and_up(pair):
    sid = start(pair, 5601)
    sh(pair.exec(pair.a, "ip link set va down"))
    time.sleep(1)
    sh(pair.exec(pair.a, "ip link set va up"))
    wait_for(lambda: flowing(sid, 0.5), 20, "TCP to recover after the link came back")
    stop_intact(sid)


@t.test(pair=PAIR)
def mtu_change(pair):
    """The sender's segments follow the MTU down and up. The ends change
    in the order that never leaves the sender's MTU above the
    receiver's: in between, a veth drops every segment with no ICMP, and
    only TCP's RTO backoff gets out of it (tens of seconds on the debug
    kernel, where each ip command takes ten), which link_down_and_up
    already covers."""
    sid = start(pair, 5602)
    ends = ((pair.a, "va"), (pair.b, "vb"))
    mtu = 1500
    for new in (1280, 9000, 1500):
        for ns, dev in (ends if new < mtu else reversed(ends)):
            sh(pair.exec(ns, f"ip link set {dev} mtu {new}"))
        mtu = new
        time.sleep(0.5)
    wait_for(lambda: flowing(sid, 0.5), 5, "data to flow after the MTU changes")
    stop_intact(sid)


@t.test(pair=PAIR)
def route_removed(pair):
    sid = start(pair, 5603)
    net = pair.b4.rsplit(".", 1)[0] + ".0/24"
    sh(pair.exec(pair.a, f"ip route del {net} dev va"))
    try:
        time.sleep(1)
        stop(sid)
    finally:
        sh(pair.exec(pair.a, f"ip route add {net} dev va"), check_rc=False)


def run_through_netem(pair, port, netem):
    """A 3 s session through netem on the sender's veth, to its end; the
    session, deleted, and its sender's TCP_INFO."""
    sh(pair.exec(pair.a, f"tc qdisc add dev va root netem {netem}"))
    try:
        sid = start(pair, port, 3)
        s = wait_done(sid, 20)
    finally:
        sh(pair.exec(pair.a, "tc qdisc del dev va root"), check_rc=False)
    ctl_ok("session", "del", sid, as_json=False)
    tcp = s["sender"]["stats"]
    diag(f"netem {netem}: sent {s['sender']['stats']['bytes']}, retrans {tcp['tcp_retrans_segments']}, "
         f"dsack {tcp['tcp_dsack_dups']}, reordered {tcp['tcp_reord_seen']}")
    check(s["error"] == 0, f"error {s['error_name']}")
    check(s["sender"]["stats"]["bytes"] == s["receiver"]["stats"]["bytes"],
          "bytes lost between the ends")
    return tcp


@t.test(pair=PAIR)
def loss_ten_percent(pair):
    """Loss: retransmits, and (unlike reordering) few of them D-SACKed. A
    spurious timeout can add some, and the debug kernel's timers are late:
    that half is a bound in time."""
    tcp = run_through_netem(pair, 5604, "loss 10%")
    check(tcp["tcp_retrans_segments"] > 0, "10 % loss and no retransmit")
    check_timing(tcp["tcp_dsack_dups"] * 2 < tcp["tcp_retrans_segments"],
                 f"{tcp['tcp_dsack_dups']} of {tcp['tcp_retrans_segments']} retransmits D-SACKed under loss")


@t.test(pair=PAIR)
def reordering_is_not_loss(pair):
    """netem sends a quarter of the segments 2 ms ahead of the rest: the
    sender's TCP_INFO reports the reordering, and the retransmits it made
    before it learnt the reordering come back D-SACKed (not needed). The
    kernel counts D-SACKs it then ignores too, so they are not bounded by
    the retransmits."""
    tcp = run_through_netem(pair, 5607, "delay 2ms reorder 25% 50%")
    check(tcp["tcp_reord_seen"] > 0, "netem reordered and TCP_INFO saw none")
    check(tcp["tcp_retrans_segments"] > 0 and tcp["tcp_dsack_dups"] > 0,
          f"{tcp['tcp_dsack_dups']} of {tcp['tcp_retrans_segments']} retransmits D-SACKed under reordering")


@t.test(pair=PAIR)
def loss_total(pair):
    sid = start(pair, 5605)
    sh(pair.exec(pair.a, "tc qdisc add dev va root netem loss 100%"))
    try:
        time.sleep(1)
        check(not flowing(sid), "data passed a 100 % loss")
        stop(sid)
    finally:
        sh(pair.exec(pair.a, "tc qdisc del dev va root"), check_rc=False)


@t.test(pair=PAIR)
def unload_with_the_path_broken(pair):
    sids = [start(pair, 5606 + i) for i in range(2)]
    sh(pair.exec(pair.a, "tc qdisc add dev va root netem loss 100%"))
    try:
        time.sleep(0.5)
        diag(f"unloading with {len(sids)} stalled sessions")
        reload_module()
    finally:
        sh(pair.exec(pair.a, "tc qdisc del dev va root"), check_rc=False)


t.run()
