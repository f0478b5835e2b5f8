#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""calperfctl's JSON against its documentation: every key that stream,
rr, session add/show/list, monitor and -V print with -j is in the table
of Documentation/calperf.rst ("JSON keys"), and every key of the table
is printed by one of them."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf_test import *  # noqa: E402,F403

t = Ktap()
pair = None
TABLE = {}          # key, or a pattern for keys such as p<P>_ns -> regex
SEEN = set()        # table entries some output used


def read_table():
    """The first cell of each row of the list-table under "JSON keys"."""
    with open(os.path.join(REPO, "Documentation", "calperf.rst")) as f:
        doc = f.read()
    m = re.search(r"^JSON keys\n=+\n(.*?)\n\S[^\n]*\n=+\n", doc, re.S | re.M)
    check(m, "no \"JSON keys\" section in Documentation/calperf.rst")
    keys = {}
    for cell in re.findall(r"^   \* - (.*)$", m.group(1), re.M):
        for key in re.findall(r"``([^`]+)``", cell):
            if key == "Key":
                continue
            check(key not in keys, f"{key} is in the table twice")
            keys[key] = re.compile(re.sub(r"<[A-Z]+>", "[0-9_]+", key) + "$")
    return keys


def keys_of(v, path=""):
    """Every (key, where) of a JSON value, nested objects and arrays too."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield k, f"{path}.{k}"
            yield from keys_of(x, f"{path}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from keys_of(x, f"{path}[{i}]")


def check_keys(what, v):
    unknown = []
    for key, where in keys_of(v):
        entry = next((e for e, rx in TABLE.items() if rx.match(key)), None)
        if entry is None:
            unknown.append(where)
        else:
            SEEN.add(entry)
    check(not unknown, f"{what}: keys not in calperf.rst's table: {unknown}")


def ctl_keys(*args, **kw):
    r = ctl_ok(*args, **kw)
    check_keys("calperfctl -j " + " ".join(map(str, args)), r.json)
    return r.json


@t.test
def setup():
    global pair, TABLE
    TABLE = read_table()
    diag(f"{len(TABLE)} keys in the table")
    pair = loaded_with_pair()


@t.test
def version():
    v = ctl_keys("-V")
    check("module_version" in v, f"no module version: {v}")


@t.test
def stream_pinned_traced_verified():
    # Both ends pinned to CPUs of their own: the sides are reported too.
    r = ctl_keys("stream", pair.b4, "time", 1, "interval", 0.3, "verify", "hops",
                 "nodelay", "congestion", "reno", "client-cpu", 0, "server-cpu", 1,
                 "client-netns", pair.a, "server-netns", pair.b)
    check("sender_side_cpu_cores_per_gbps" in r and r["intervals"], f"{sorted(r)}")


@t.test
def stream_flows():
    r = ctl_keys("stream", pair.b6, "bytes", "4M", "flows", 3, "threads", 2,
                 "client-netns", pair.a, "server-netns", pair.b)
    check(len(r["session"]["receiver"]["flows"]) == 3, "no flows")


@t.test
def rr_with_buckets():
    # -p: pretty JSON has the same keys
    r = ctl_keys("-p", "-s", "rr", pair.b4, "time", 1, "interval", 0.2, "hops",
                 "percentile", 50, "percentile", 99.99, "client-cpu", 0,
                 "server-cpu", 1, "client-netns", pair.a, "server-netns", pair.b)
    check("p99_99_ns" in r["rtt_percentiles"], f"{r['rtt_percentiles']}")
    check(r["session"]["sender"]["stats"]["rtt"]["buckets"], "no buckets")


@t.test
def sessions():
    ids = [ctl_keys("session", "add", "kind", "rr", "count", 100, "receiver", "netns",
                    pair.b, "port", 5301, "sockbuf", "64K")["id"],
           ctl_keys("session", "add", "msg-size", "16K", "bytes", "1M", "zerocopy",
                    "nocopy", "receiver", "netns", pair.b, "port", 5302,
                    "cpu", 1)["id"]]
    try:
        ctl_ok("session", "start", ids[1])
        ctl_keys("session", "show", ids[1])
        ctl_keys("-s", "session", "show", ids[0])
        check(len(ctl_keys("session", "list")) >= 2, "the list lacks sessions")
    finally:
        for sid in ids:
            ctl("session", "del", sid)


@t.test
def monitor():
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
        check_keys("monitor", e)


@t.test
def every_key_in_the_table_is_printed():
    unused = sorted(set(TABLE) - SEEN)
    check(not unused, f"keys in the table that no output printed: {unused}")


@t.test
def cleanup():
    close_all(pair)


t.run()
