#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Every command refuses missing, out-of-range, wrongly typed and unknown
attributes with an extack message, and creates nothing when it does."""
import errno
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import calperf_kthreads, ctl, ctl_ok, module_load, session_count  # noqa: E402
from genl import (  # noqa: E402
    A_EP, A_SESSION, CHECK, CMD, ENUM, Genl, nest, nla, NLA_F_NESTED, NlError, s32,
    session_id, string, u16, u32, u64, u8)
from ktap import check, diag, Ktap  # noqa: E402

t = Ktap(setup=module_load)
S, E = A_SESSION, A_EP
KIND = u8(S["kind"], ENUM["kind"]["stream"])
# A network namespace's limits: the kernel's, not the spec's
# (CALPERF_MAX_SESSIONS_PER_NET and CALPERF_MAX_FLOWS_PER_NET in
# kmod/calperf.h).
SESSIONS_PER_NET, FLOWS_PER_NET = 64, 256


def over(aset, name):
    """Just above the spec's maximum of attribute @name of set @aset."""
    return CHECK[aset][name]["max"] + 1


def addr4(ip):
    return nla(E["addr4"], socket.inet_aton(ip))


def addr6(ip):
    return nla(E["addr6"], socket.inet_pton(socket.AF_INET6, ip))


TX = nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 5201))
GOOD = KIND + TX

# name: (command, payload, errno or None for any, message part or None)
BAD = {
    "new_without_attributes": ("new", b"", errno.EINVAL, "missing session kind"),
    "new_kind_zero": ("new", u8(S["kind"], 0) + TX, None, "out of range"),
    "new_kind_wrong_type": ("new", u32(S["kind"], 1) + TX, errno.EINVAL, "length"),
    "new_without_endpoints": ("new", KIND, errno.EINVAL, "a sender, a receiver or both"),
    "new_msg_size_zero": ("new", GOOD + u32(S["msg_size"], 0), None, "out of range"),
    "new_msg_size_too_big": ("new", GOOD + u32(S["msg_size"], over("session", "msg_size")),
                             None, "out of range"),
    "new_duration_zero": ("new", GOOD + u32(S["duration_ms"], 0), None, "out of range"),
    "new_duration_too_long": ("new", GOOD + u32(S["duration_ms"], over("session", "duration_ms")),
                              None, "out of range"),
    "new_bytes_zero": ("new", GOOD + u64(S["bytes_limit"], 0), None, "out of range"),
    "new_bytes_wrong_type": ("new", GOOD + u32(S["bytes_limit"], 5), errno.EINVAL, "length"),
    "new_nodelay_with_payload": ("new", GOOD + u32(S["nodelay"], 1), None, None),
    "new_congestion_too_long": ("new", GOOD + string(S["congestion"], "c" * 20), None, None),
    "new_congestion_not_terminated": ("new", GOOD + nla(S["congestion"], b"reno"), None, None),
    "new_sender_not_nested": ("new", KIND + u32(S["sender"], 1), errno.EINVAL, None),
    "new_sender_without_address": ("new", KIND + nest(S["sender"], u16(E["port"], 1)),
                                   errno.EINVAL, "sender needs the address"),
    "new_sender_without_port": ("new", KIND + nest(S["sender"], addr4("198.18.250.1")),
                                errno.EINVAL, "sender needs the port"),
    "new_receiver_without_port": ("new", KIND + nest(S["receiver"]), errno.EINVAL,
                                  "receiver needs the port"),
    "new_port_zero": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 0)),
                      None, "out of range"),
    "new_addr6_short": ("new", KIND + nest(S["sender"], nla(E["addr6"], b"\1\2\3\4"),
                                           u16(E["port"], 1)), None, None),
    "new_both_address_families": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"),
                                                     addr6("2001:2::1"), u16(E["port"], 1)),
                                  errno.EINVAL, "exclusive"),
    "new_netns_fd_negative": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                 s32(E["netns_fd"], -1)), None, "out of range"),
    "new_netns_fd_not_a_netns": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                    s32(E["netns_fd"], 0)), None,
                                 "not a network namespace"),
    "new_netns_fd_and_pid": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                s32(E["netns_fd"], 0), u32(E["netns_pid"], 1)),
                             errno.EINVAL, "exclusive"),
    "new_netns_pid_zero": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                              u32(E["netns_pid"], 0)), None, "out of range"),
    "new_netns_pid_no_process": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                    u32(E["netns_pid"], 4000000)), errno.ESRCH,
                                 "no such process"),
    "new_cpu_out_of_range": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                u32(E["cpu"], over("endpoint", "cpu"))),
                             None, "out of range"),
    "new_sockbuf_too_big": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                               u32(E["sockbuf"], over("endpoint", "sockbuf"))),
                            None, "out of range"),
    "new_unknown_attribute": ("new", GOOD + u32(99, 1), errno.EINVAL, "Unknown attribute"),
    "new_reply_only_attribute": ("new", GOOD + u8(S["state"], ENUM["state"]["created"]),
                                 errno.EINVAL, None),
    "new_unknown_nested_attribute": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"),
                                                        u16(E["port"], 1), u32(77, 1)),
                                     errno.EINVAL, "Unknown attribute"),
    "new_stats_in_request": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                                nest(E["stats"])), errno.EINVAL, None),
    "new_flow_in_request": ("new", KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 1),
                                               nest(E["flow"])), errno.EINVAL, None),
    "new_families_differ": ("new", KIND + TX + nest(S["receiver"], addr6("2001:2::1"), u16(E["port"], 1)),
                            errno.EINVAL, "differ in family"),
    "new_garbage_nest": ("new", KIND + nla(S["sender"] | NLA_F_NESTED, b"\xff\xff\xff\xff\x00"),
                         errno.EINVAL, None),
}
for cmd in ("start", "stop", "get", "del"):
    BAD[f"{cmd}_without_id"] = (cmd, b"", errno.EINVAL, "missing session id")
    BAD[f"{cmd}_id_zero"] = (cmd, u32(S["id"], 0), None, "out of range")
    BAD[f"{cmd}_id_wrong_type"] = (cmd, u64(S["id"], 1), errno.EINVAL, "length")
    BAD[f"{cmd}_no_such_session"] = (cmd, u32(S["id"], 424242), errno.ENOENT, "no such session")
    BAD[f"{cmd}_unknown_attribute"] = (cmd, u32(S["id"], 1) + u32(99, 1),
                                       errno.EINVAL, "Unknown attribute")
    BAD[f"{cmd}_foreign_attribute"] = (cmd, u32(S["id"], 1) + u32(S["msg_size"], 1),
                                       errno.EINVAL, None)
BAD["start_hist_buckets_flag"] = ("start", u32(S["id"], 1) + nla(S["hist_buckets"], b""),
                                  errno.EINVAL, "Unknown attribute")
BAD["get_hist_buckets_with_payload"] = ("get", u32(S["id"], 1) + u32(S["hist_buckets"], 1),
                                        None, None)
RR = u8(S["kind"], ENUM["kind"]["rr"]) + TX
BAD.update({
    "new_rr_req_size_zero": ("new", RR + u32(S["req_size"], 0), None, "out of range"),
    "new_rr_req_size_too_big": ("new", RR + u32(S["req_size"], over("session", "req_size")),
                                None, "out of range"),
    "new_rr_resp_size_zero": ("new", RR + u32(S["resp_size"], 0), None, "out of range"),
    "new_rr_resp_size_wrong_type": ("new", RR + u16(S["resp_size"], 1), errno.EINVAL, "length"),
    "new_rr_count_zero": ("new", RR + u64(S["count_limit"], 0), None, "out of range"),
    "new_rr_with_msg_size": ("new", RR + u32(S["msg_size"], 100), errno.EINVAL,
                             "msg-size is for stream sessions"),
    "new_rr_with_bytes_limit": ("new", RR + u64(S["bytes_limit"], 100), errno.EINVAL,
                                "bytes-limit is for stream sessions"),
    "new_stream_with_req_size": ("new", GOOD + u32(S["req_size"], 1), errno.EINVAL,
                                 "req-size is for rr sessions"),
    "new_stream_with_resp_size": ("new", GOOD + u32(S["resp_size"], 1), errno.EINVAL,
                                  "resp-size is for rr sessions"),
    "new_stream_with_count": ("new", GOOD + u64(S["count_limit"], 1), errno.EINVAL,
                              "count-limit is for rr sessions"),
    "new_kind_three": ("new", u8(S["kind"], max(ENUM["kind"].values()) + 1) + TX,
                       None, "out of range"),
    "new_interval_too_short": ("new", GOOD + u32(S["interval_ms"],
                                                 CHECK["session"]["interval_ms"]["min"] - 1),
                               None, "out of range"),
    "new_interval_too_long": ("new", GOOD + u32(S["interval_ms"], over("session", "interval_ms")),
                              None, "out of range"),
    "new_interval_wrong_type": ("new", GOOD + u64(S["interval_ms"], 100), errno.EINVAL, "length"),
    "new_cpu_in_request": ("new", GOOD + nest(S["cpu"]), errno.EINVAL, None),
})


def expect_refused(g, cmd, payload, err, text):
    try:
        g.request(CMD[cmd], payload)
    except NlError as e:
        check(err is None or e.errno == err,
              f"errno {e.errno} ({os.strerror(e.errno)}), expected {err}")
        check(e.msg, f"no extack message (errno {e.errno})")
        check(text is None or text in e.msg, f"message {e.msg!r} lacks {text!r}")
        return e
    raise AssertionError("the request was accepted")


def make_bad_test(name, case):
    def fn():
        g = Genl()
        try:
            before = len(g.dump(CMD["get"]))
            e = expect_refused(g, *case)
            diag(f"{os.strerror(e.errno)}: {e.msg}")
            check(len(g.dump(CMD["get"])) == before, "a session was created")
        finally:
            g.close()
    fn.__name__ = name
    return fn


for _name, _case in BAD.items():
    t.test(make_bad_test(_name, _case))


@t.test
def error_points_at_attribute():
    """The extack offset names the bad attribute, nested ones too."""
    g = Genl()
    try:
        head = 16 + 4   # nlmsghdr + genlmsghdr
        e = expect_refused(g, "new", GOOD + u32(S["msg_size"], 0), None, None)
        check(e.offs == head + len(GOOD), f"offset {e.offs}, expected {head + len(GOOD)}")
        payload = KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 0))
        e = expect_refused(g, "new", payload, None, None)
        want = head + len(KIND) + 4 + 8
        check(e.offs == want, f"offset {e.offs}, expected {want}")
        e = expect_refused(g, "start", b"", errno.EINVAL, None)
        check(e.miss == S["id"], f"missing type {e.miss}, expected {S['id']}")
    finally:
        g.close()


@t.test
def calperfctl_names_the_attribute():
    r = ctl("session", "add", "msg-size", "0", "sender", "addr", "198.18.250.1", "port", "1")
    check(r.rc == 1, f"exit code {r.rc}")
    check(r.err == "Error: integer out of range (attribute msg-size).\n", f"stderr {r.err!r}")
    r = ctl("session", "add", "sender", "addr", "198.18.250.1", "port", "0")
    check(r.err == "Error: integer out of range (attribute sender.port).\n", f"stderr {r.err!r}")
    r = ctl("session", "add", "sender", "addr", "not-an-address", "port", "1")
    check(r.rc == 1 and r.err.startswith("Error: addr: ") and r.err.endswith(".\n"),
          f"stderr {r.err!r}")


@t.test
def calperfctl_says_why_start_failed():
    """A start refused by the system (here bind(): the address is on no
    interface) names the call and the errno."""
    sid = ctl_ok("session", "add", "receiver", "addr", "2001:2::250:1", "port", 5201).json["id"]
    try:
        r = ctl("session", "start", sid, as_json=False)
    finally:
        ctl_ok("session", "del", sid)
    check(r.rc == 1 and r.err == "Error: receiver cannot bind its address and port: "
          "Cannot assign requested address.\n", f"exit {r.rc}, stderr {r.err!r}")


def new_session(g, payload):
    return session_id(g.request(CMD["new"], payload))


@t.test
def start_twice_and_stop_unstarted():
    g = Genl()
    try:
        sid = new_session(g, KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 9)))
        try:
            expect_refused(g, "stop", u32(S["id"], sid), errno.EINVAL, "not been started")
            g.request(CMD["start"], u32(S["id"], sid))
            expect_refused(g, "start", u32(S["id"], sid), errno.EBUSY, "already been started")
        finally:
            g.request(CMD["del"], u32(S["id"], sid))
    finally:
        g.close()


@t.test
def start_time_errors():
    """Errors only known at start: offline CPU, unknown congestion
    control, an address the receiver cannot bind. The session stays
    created and startable."""
    g = Genl()
    try:
        cases = [
            # A CPU id within the policy's CONFIG_NR_CPUS but not online.
            (KIND + nest(S["sender"], addr4("198.18.250.1"), u16(E["port"], 9),
                         u32(E["cpu"], os.cpu_count())),
             errno.EINVAL, "CPU is not online"),
            (KIND + string(S["congestion"], "nosuchcc") + TX, None, "congestion control"),
            (KIND + nest(S["receiver"], addr6("2001:2::250:1"), u16(E["port"], 5201)),
             errno.EADDRNOTAVAIL, "cannot bind"),
        ]
        for payload, err, text in cases:
            sid = new_session(g, payload)
            try:
                e = expect_refused(g, "start", u32(S["id"], sid), err, text)
                diag(f"{os.strerror(e.errno)}: {e.msg}")
                state = g.request(CMD["get"], u32(S["id"], sid))[0][1][S["state"]][0]
                check(state == ENUM["state"]["created"], f"state {state} after a failed start")
            finally:
                g.request(CMD["del"], u32(S["id"], sid))
        check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    finally:
        g.close()


@t.test
def session_limit():
    g = Genl()
    ids = []
    try:
        for _ in range(SESSIONS_PER_NET):
            ids.append(new_session(g, GOOD))
        e = expect_refused(g, "new", GOOD, errno.ENOSPC, "too many sessions")
        diag(e.msg)
    finally:
        for sid in ids:
            g.request(CMD["del"], u32(S["id"], sid))
        g.close()


@t.test
def flow_limit():
    """256 flows per namespace, whatever the sessions: 4 of 64, then no more."""
    g = Genl()
    ids = []
    most = CHECK["session"]["flows"]["max"]
    many = GOOD + u32(S["flows"], most)
    try:
        for _ in range(FLOWS_PER_NET // most):
            ids.append(new_session(g, many))
        e = expect_refused(g, "new", GOOD, errno.ENOSPC, "too many flows")
        diag(e.msg)
        g.request(CMD["del"], u32(S["id"], ids.pop()))
        ids.append(new_session(g, many))
    finally:
        for sid in ids:
            g.request(CMD["del"], u32(S["id"], sid))
        g.close()


@t.test
def nothing_left():
    check(session_count() == 0, "sessions left behind")


t.run()
