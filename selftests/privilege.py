#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Configuring needs CAP_NET_ADMIN over the namespaces involved; sessions
are invisible outside the namespace that created them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf_test import *  # noqa: E402,F403

t = Ktap()
NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups"
sid = None


@t.test
def setup():
    global sid
    module_load()
    sid = ctl_ok("session", "add", "sender", "addr", "198.18.250.1", "port", 9).json["id"]


@t.test
def unprivileged_cannot_configure():
    before = ctl_ok("session", "show").json
    for args in (("session", "add", "sender", "addr", "198.18.250.1", "port", 9),
                 ("session", "start", sid), ("session", "stop", sid),
                 ("session", "del", sid)):
        r = ctl(*args, prefix=NOBODY)
        check(r.rc == 1, f"{args} as nobody: exit {r.rc}")
        check(r.err == "Error: Operation not permitted.\n", f"{args}: stderr {r.err!r}")
    check(ctl_ok("session", "show").json == before, "an unprivileged caller changed something")


@t.test
def unprivileged_cannot_monitor():
    r = ctl("monitor", prefix=NOBODY, timeout=10)
    check(r.rc == 1 and r.err.startswith("Error: "), f"exit {r.rc}, stderr {r.err!r}")


@t.test
def unprivileged_can_read():
    r = ctl("session", "show", sid, prefix=NOBODY)
    check(r.rc == 0 and r.json["id"] == sid, f"exit {r.rc}: {r.err}")


@t.test
def user_namespace_owner():
    """Root of a user namespace configures its own network namespace, but
    not the initial one, and does not see the initial one's sessions."""
    userns = "unshare --user --map-root-user --net"
    r = ctl("session", "show", prefix=userns)
    check(r.rc == 0 and r.json == [], f"sessions seen from another netns: {r.out} {r.err}")
    r = ctl("session", "add", "sender", "addr", "198.18.250.1", "port", 9, prefix=userns)
    check(r.rc == 0, f"its own netns: {r.err}")
    r = ctl("session", "add", "sender", "addr", "198.18.250.1", "port", 9,
            "netns-pid", 1, prefix=userns)
    check(r.rc == 1, "configured the initial netns from a user namespace")
    check(r.err == "Error: no CAP_NET_ADMIN over that network namespace "
          "(attribute sender.netns-pid).\n", f"stderr {r.err!r}")


@t.test
def namespaces_are_isolated():
    ns1, ns2 = f"cpiso1-{os.getpid()}", f"cpiso2-{os.getpid()}"
    sh(f"ip netns add {ns1}")
    sh(f"ip netns add {ns2}")
    try:
        mine = ctl_ok("session", "add", "sender", "addr", "198.18.250.1", "port", 9,
                      ns=ns1).json["id"]
        check([s["id"] for s in ctl_ok("session", "show", ns=ns1).json] == [mine],
              "the owner does not see its session")
        check(ctl_ok("session", "show", ns=ns2).json == [], "visible from another netns")
        for cmd in ("start", "stop", "del"):
            r = ctl("session", cmd, mine, ns=ns2)
            check(r.rc == 1 and "no such session" in r.err, f"{cmd} from another netns: {r.err!r}")
        check(ctl_ok("session", "show", mine, ns=ns1).json["state"] == "created",
              "changed from another netns")
    finally:
        sh(f"ip netns del {ns1}", check_rc=False)
        sh(f"ip netns del {ns2}", check_rc=False)


@t.test
def cleanup():
    ctl_ok("session", "del", sid)
    check(session_count() == 0, "sessions left behind")


t.run()
