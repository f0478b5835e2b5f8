#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""calperfctl's JSON against its documentation: every key that stream,
rr, session add/show/list, monitor and -V print with -j is in the table
of Documentation/calperf.rst ("JSON keys"), and every key of the table
is printed by one of them."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    CALPERFCTL, ctl, ctl_ok, json_key_table, kill_tree, module_load,
    no_session_left, spawn)
from genl import subscribed  # noqa: E402
from ktap import check, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)


def keys_of(v, path=""):
    """Every (key, where) of a JSON value, nested objects and arrays too."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield k, f"{path}.{k}"
            yield from keys_of(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from keys_of(x, f"{path}[{i}]")


class KeyTable:
    """calperf.rst's table, and the entries of it some output used."""

    def __init__(self):
        self.table = json_key_table()
        self.seen = set()
        diag(f"{len(self.table)} keys in the table")

    def check(self, what, v):
        unknown = []
        for key, where in keys_of(v):
            entry = next((e for e, rx in self.table.items() if rx.match(key)), None)
            if entry is None:
                unknown.append(where)
            else:
                self.seen.add(entry)
        check(not unknown, f"{what}: keys not in calperf.rst's table: {unknown}")

    def ctl(self, *args, **kw):
        """calperfctl -j @args, every key of its output checked."""
        r = ctl_ok(*args, **kw)
        self.check("calperfctl -j " + " ".join(map(str, args)), r.json)
        return r.json


# Read once; the last test checks that every entry was used.
TABLE = shared(KeyTable)


@t.test(keys=TABLE)
def version(keys):
    v = keys.ctl("-V")
    check("module_version" in v, f"no module version: {v}")


@t.test(keys=TABLE, pair=PAIR)
def stream_pinned_traced_verified(keys, pair):
    # Both ends pinned to CPUs of their own: the sides are reported too.
    r = keys.ctl("stream", pair.b4, "time", 1, "interval", 0.3, "verify", "hops",
                 "nodelay", "congestion", "reno", "client-cpu", 0, "server-cpu", 1,
                 "client-netns", pair.a, "server-netns", pair.b)
    check("sender_side_cpu_cores_per_gbps" in r and r["intervals"], f"{sorted(r)}")


@t.test(keys=TABLE, pair=PAIR)
def stream_flows(keys, pair):
    r = keys.ctl("stream", pair.b6, "bytes", "4M", "flows", 3, "threads", 2,
                 "client-netns", pair.a, "server-netns", pair.b)
    check(len(r["session"]["receiver"]["flows"]) == 3, "no flows")


@t.test(keys=TABLE, pair=PAIR)
def rr_with_buckets(keys, pair):
    # -p: pretty JSON has the same keys
    r = keys.ctl("-p", "-s", "rr", pair.b4, "time", 1, "interval", 0.2, "hops",
                 "percentile", 50, "percentile", 99.99, "client-cpu", 0,
                 "server-cpu", 1, "client-netns", pair.a, "server-netns", pair.b)
    check("p99_99_ns" in r["rtt_percentiles"], f"{r['rtt_percentiles']}")
    check(r["session"]["sender"]["stats"]["rtt"]["buckets"], "no buckets")


@t.test(keys=TABLE, pair=PAIR)
def sessions(keys, pair):
    ids = [keys.ctl("session", "add", "kind", "rr", "count", 100, "receiver", "netns",
                    pair.b, "port", 5301, "sockbuf", "64K")["id"],
           keys.ctl("session", "add", "msg-size", "16K", "bytes", "1M", "zerocopy",
                    "nocopy", "receiver", "netns", pair.b, "port", 5302,
                    "cpu", 1)["id"]]
    try:
        ctl_ok("session", "start", ids[1])
        keys.ctl("session", "show", ids[1])
        keys.ctl("-s", "session", "show", ids[0])
        check(len(keys.ctl("session", "list")) >= 2, "the list lacks sessions")
    finally:
        for sid in ids:
            ctl("session", "del", sid)


@t.test(keys=TABLE, pair=PAIR)
def monitor(keys, pair):
    mon = spawn(f"exec {CALPERFCTL} -j monitor")
    try:
        wait_for(lambda: subscribed(mon.pid), 10, "the monitor to listen")
        sid = ctl_ok("stream", pair.b4, "time", 0.6, "interval", 0.2, "client-netns",
                     pair.a, "server-netns", pair.b).json["session"]["id"]
        events = []
        while not any(e["id"] == sid and e["state"] == "done" for e in events):
            line = wait_for(lambda: mon.stdout.readline(), 10, "a monitor event")
            events.append(json.loads(line))
    finally:
        kill_tree(mon)
    check(any(e["state"] == "running" for e in events), "no interval report")
    for e in events:
        keys.check("monitor", e)


@t.test(keys=TABLE)
def every_key_in_the_table_is_printed(keys):
    unused = sorted(set(keys.table) - keys.seen)
    check(not unused, f"keys in the table that no output printed: {unused}")


t.run()
