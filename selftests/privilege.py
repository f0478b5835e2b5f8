#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Configuring needs CAP_NET_ADMIN in the initial user namespace (and over
the namespaces involved); the host lends sessions, kthreads and buffers up
to limits of its own; sessions are invisible outside the namespace that
created them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import CALPERFCTL, ctl, ctl_ok, module_load, session_count, sh  # noqa: E402
from ktap import check, Ktap, shared  # noqa: E402

t = Ktap(setup=module_load)
NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups"


def a_session():
    """A session of the initial namespace, for other callers to try their
    hands on; deleted when they are done, and no other left."""
    sid = ctl_ok("session", "add", "sender", "addr", "198.18.250.1", "port", 9).json["id"]
    yield sid
    ctl_ok("session", "del", sid)
    check(session_count() == 0, "sessions left behind")


SESSION = shared(a_session)


@t.test(sid=SESSION)
def unprivileged_cannot_configure(sid):
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


@t.test(sid=SESSION)
def unprivileged_can_read(sid):
    r = ctl("session", "show", sid, prefix=NOBODY)
    check(r.rc == 0 and r.json["id"] == sid, f"exit {r.rc}: {r.err}")


USERNS = "unshare --user --map-root-user --net"


@t.test(sid=SESSION)
def user_namespace_root_cannot_configure(sid):
    """Root of an unprivileged user's own user namespace (unshare -Urn) is
    refused every op that creates, starts, stops or deletes, and monitor,
    and creates nothing: kthreads, probes and kernel memory need the
    host's CAP_NET_ADMIN."""
    script = "; ".join(
        f"{CALPERFCTL} {args}; echo rc=$?" for args in (
            "session add sender addr 198.18.250.1 port 9",
            "session add receiver port 5999",
            "session start 1", "session stop 1", "session del 1",
            "stream 127.0.0.1 port 5999 server-only time 1",
            "monitor", "-j session show"))
    r = sh(f"{NOBODY} {USERNS} sh -c '{script}'", check_rc=False)
    out = r.stdout.splitlines()
    check(out.count("rc=1") == 7 and out[-1] == "rc=0", f"exit codes: {r.stdout!r} {r.stderr!r}")
    check(out[-2] == "[]", f"sessions were created in the user namespace: {out[-2]!r}")
    errors = r.stderr.splitlines()
    check(errors.count("Error: Operation not permitted.") == 6, f"stderr {r.stderr!r}")
    check("Error: monitor needs CAP_NET_ADMIN in the initial user namespace: "
          "Operation not permitted." in errors, f"stderr {r.stderr!r}")


@t.test(sid=SESSION)
def user_namespace_root_cannot_reach_out(sid):
    """Nor, as root mapped to root, the initial namespace's sessions."""
    r = ctl("session", "show", prefix=USERNS)
    check(r.rc == 0 and r.json == [], f"sessions seen from another netns: {r.out} {r.err}")
    r = ctl("session", "add", "sender", "addr", "198.18.250.1", "port", 9,
            "netns-pid", 1, prefix=USERNS)
    check(r.rc == 1 and r.err == "Error: Operation not permitted.\n", f"stderr {r.err!r}")


@t.test
def cpu_figures_need_the_hosts_admin():
    """A done session's per-CPU figures are the whole host's: a reader
    without CAP_NET_ADMIN sees the session, not them."""
    rid = ctl_ok("session", "add", "receiver", "port", 5998).json["id"]
    try:
        ctl_ok("session", "start", rid)
        ctl_ok("session", "stop", rid)
        mine = ctl_ok("session", "show", rid).json
        check(mine["state"] == "done" and "cpu_time" in mine, f"root sees no cpu_time: {sorted(mine)}")
        r = ctl("session", "show", rid, prefix=NOBODY)
        check(r.rc == 0 and r.json["id"] == rid, f"exit {r.rc}: {r.err}")
        check("cpu_time" not in r.json,
              f"an unprivileged reader got per-CPU figures: {r.json.get('cpu_time')}")
    finally:
        ctl_ok("session", "del", rid)


PARAMS = "/sys/module/calperf/parameters"


def set_param(name, value):
    with open(f"{PARAMS}/{name}", "w") as f:
        f.write(str(value))


@t.test
def host_wide_limits_are_module_parameters():
    info = sh(f"modinfo {os.environ['CALPERF_KO']}").stdout
    for name in ("max_sessions", "max_kthreads", "max_buffer_bytes"):
        check(f"parm:           {name}:" in info, f"modinfo does not show {name}: {info}")
    check(open(f"{PARAMS}/max_sessions").read().strip() == "256", "max_sessions default")


@t.test(sid=SESSION)
def host_wide_limits_are_enforced(sid):
    defaults = {n: open(f"{PARAMS}/{n}").read().strip()
                for n in ("max_sessions", "max_kthreads", "max_buffer_bytes")}
    ns = f"cplim-{os.getpid()}"
    sh(f"ip netns add {ns}")
    added = []
    try:
        # Session @sid counts: one more fits, from any namespace.
        set_param("max_sessions", 2)
        added.append(ctl_ok("session", "add", "receiver", "port", 5997, ns=ns).json["id"])
        r = ctl("session", "add", "receiver", "port", 5996)
        check(r.rc == 1 and r.err == "Error: too many sessions on this host "
              "(module parameter max_sessions).\n", f"stderr {r.err!r}")
        set_param("max_sessions", defaults["max_sessions"])
        # Each end of a session has one kthread per thread.
        set_param("max_kthreads", 3)
        r = ctl("session", "add", "flows", 2, "threads", 2, "receiver", "port", 5995,
                "sender", "addr", "198.18.250.1", "port", 5995)
        check(r.rc == 1 and r.err == "Error: too many kthreads on this host "
              "(module parameter max_kthreads).\n", f"stderr {r.err!r}")
        set_param("max_kthreads", defaults["max_kthreads"])
        set_param("max_buffer_bytes", 100000)
        r = ctl("session", "add", "msg-size", "64K", "receiver", "port", 5994,
                "sender", "addr", "198.18.250.1", "port", 5994)
        check(r.rc == 1 and r.err == "Error: too many buffer bytes on this host "
              "(module parameter max_buffer_bytes).\n", f"stderr {r.err!r}")
        # What a deleted session held is given back.
        ctl_ok("session", "del", added.pop(), ns=ns)
        set_param("max_buffer_bytes", 2 * 65536)
        added.append(ctl_ok("session", "add", "msg-size", "64K", "receiver", "port", 5994,
                            ns=ns).json["id"])
        # Room for an rr client's 1-byte buffer, not for its latency
        # histogram (35 KiB per possible CPU): that counts too.
        set_param("max_buffer_bytes", 2 * 65536 + 100)
        r = ctl("session", "add", "kind", "rr", "sender", "addr", "198.18.250.1", "port", 9)
        check(r.rc == 1 and "(module parameter max_buffer_bytes)" in r.err,
              f"an rr client's histogram is not charged: {r.err!r}")
    finally:
        for n, v in defaults.items():
            set_param(n, v)
        for mine in added:
            ctl("session", "del", mine, ns=ns)
        sh(f"ip netns del {ns}", check_rc=False)


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


t.run()
