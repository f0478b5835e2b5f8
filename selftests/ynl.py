#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The kernel's own YNL client drives a session from
Documentation/netlink/specs/calperf.yaml: an independent check of both
the spec and the family."""
import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import kill_tree, module_load, REPO, session_count, sh, spawn  # noqa: E402
from ktap import check, diag, Ktap, Skip, wait_for  # noqa: E402
from topology import VethPair  # noqa: E402

SPEC = os.path.join(REPO, "Documentation/netlink/specs/calperf.yaml")
YNL_DIR = os.path.join(REPO, "build/linux-source-6.12/tools/net/ynl")
CLI = os.path.join(YNL_DIR, "cli.py")


SCHEMA = os.path.join(REPO, "build/linux-source-6.12/Documentation/netlink/genetlink-legacy.yaml")


def ynl(*args, schema=False):
    """Run the YNL client; validating the spec (slow) only when asked."""
    check_spec = f"--schema {SCHEMA}" if schema else "--no-schema"
    p = sh(f"/usr/bin/python3 {CLI} --spec {SPEC} {check_spec} --output-json "
           + " ".join(f"'{a}'" for a in args))
    return json.loads(p.stdout) if p.stdout.strip() else None


def client():
    """The module, and the kernel's YNL client to drive it."""
    if not os.path.exists(CLI):
        raise Skip("no YNL client: run scripts/kernel-tools")
    module_load()


t = Ktap(setup=client)


def sleeper(pair, ns):
    """A process in namespace @ns of @pair, to name it by pid."""
    p = spawn("exec " + pair.exec(ns, "sleep 600"))
    try:
        wait_for(lambda: sh(f"ip netns identify {p.pid}", check_rc=False).stdout.strip(),
                 10, "the sleeper to enter its netns")
    except Exception:
        kill_tree(p)
        raise
    return p


@t.test
def spec_validates():
    """The spec passes the kernel's genetlink-legacy schema."""
    check(ynl("--dump", "session-get", schema=True) == [], "sessions before the test")


@t.test(pair=VethPair)
def create_start_get_delete(pair):
    a4 = int(ipaddress.IPv4Address(pair.b4))
    # The sender in netns A (by pid), the receiver in B (by pid).
    here, there = sleeper(pair, pair.a), sleeper(pair, pair.b)
    try:
        s = ynl("--do", "session-new", "--json", json.dumps({
            "kind": "stream", "bytes-limit": 2 << 20, "msg-size": 16384,
            "sender": {"netns-pid": here.pid, "addr4": a4, "port": 5401},
            "receiver": {"netns-pid": there.pid, "port": 5401}}))
    finally:
        kill_tree(here)
        kill_tree(there)
    diag(f"created {s}")
    check(s["state"] == "created" and s["kind"] == "stream", f"reply {s}")
    sid = s["id"]
    ynl("--do", "session-start", "--json", json.dumps({"id": sid}))
    done = wait_for(lambda: (lambda r: r if r["state"] == "done" else None)(
        ynl("--do", "session-get", "--json", json.dumps({"id": sid}))), 30, "the session")
    tx, rx = done["sender"]["stats"], done["receiver"]["stats"]
    diag(f"sender {tx['bytes']} bytes, receiver {rx['bytes']} bytes")
    check(done["error"] == 0, f"error {done['error']}")
    check(tx["bytes"] == rx["bytes"] == 2 << 20, "byte counts")
    check(done["sender"]["addr4"] == pair.b4, f"addr4 decoded as {done['sender']['addr4']}")
    dump = ynl("--dump", "session-get")
    check([d["id"] for d in dump] == [sid], f"dump {dump}")
    ynl("--do", "session-del", "--json", json.dumps({"id": sid}))
    check(ynl("--dump", "session-get") == [], "not deleted")


@t.test
def refused_by_policy():
    p = sh(f"/usr/bin/python3 {CLI} --spec {SPEC} --no-schema --do session-new "
           f"--json '{{\"kind\": \"stream\", \"msg-size\": 0, "
           f"\"sender\": {{\"addr4\": 1, \"port\": 1}}}}'", check_rc=False)
    diag(p.stdout + p.stderr)
    check(p.returncode != 0 or "integer out of range" in p.stdout + p.stderr,
          "msg-size 0 was accepted")
    check("integer out of range" in p.stdout + p.stderr, "no extack message shown")
    check(session_count() == 0, "a session was created")


t.run()
