#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Concurrency: several processes create, start, query, stop and delete
sessions at random for a while, some with several flows or hop tracing,
while another dumps. No request hangs, nothing leaks: afterwards there
is no session, no kthread, and the module unloads."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    calperf_kthreads, kill_tree, module_load, no_session_left, reload_module,
    session_count, spawn)
from ktap import check, diag, Ktap, shared, wait_for  # noqa: E402
from topology import VethPair  # noqa: E402

t = Ktap(setup=module_load)
# One veth pair for all the tests here, which leave no session on it.
PAIR = shared(VethPair, after=no_session_left)
WORKERS = 4
SECONDS = 25

# One worker: its own ports, its own random sequence of operations.
WORKER = r"""
import random, socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from genl import A_EP, A_SESSION, CMD, ENUM, Genl, NlError, nest, nla, s32, u16, u32, u8
from topology import netns_fd
w, a, b, addr, seconds = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
rnd = random.Random(w)
g = Genl()
mine, ops, port = [], 0, 6000 + 100 * w
end = time.monotonic() + seconds
fa, fb = netns_fd(a), netns_fd(b)
while time.monotonic() < end:
    op = rnd.choice(["add", "add", "start", "start", "get", "stop", "del", "dump"])
    try:
        if op == "add" and len(mine) < 4:
            port = 6000 + 100 * w + (port + 1) % 100
            extra = rnd.choice([b"", u32(A_SESSION["flows"], 3) + u32(A_SESSION["threads"], 2),
                                u32(A_SESSION["hop_sample"], 4)])
            payload = (u8(A_SESSION["kind"], ENUM["kind"]["stream"]) +
                       u32(A_SESSION["duration_ms"], rnd.randint(200, 3000)) + extra +
                       nest(A_SESSION["sender"], s32(A_EP["netns_fd"], fa),
                            nla(A_EP["addr4"], socket.inet_aton(addr)), u16(A_EP["port"], port)) +
                       nest(A_SESSION["receiver"], s32(A_EP["netns_fd"], fb), u16(A_EP["port"], port)))
            attrs = g.request(CMD["new"], payload)[0][1]
            mine.append(struct.unpack("=I", attrs[A_SESSION["id"]])[0])
        elif mine and op in ("start", "get", "stop", "del"):
            sid = rnd.choice(mine)
            g.request(CMD[op], u32(A_SESSION["id"], sid))
            if op == "del":
                mine.remove(sid)
        elif op == "dump":
            g.dump(CMD["get"])
        ops += 1
    except NlError:
        ops += 1        # refused (already started, not started, port in use...)
    time.sleep(rnd.random() * 0.05)
for sid in mine:
    g.request(CMD["del"], u32(A_SESSION["id"], sid))
print(ops)
"""


@t.test(pair=PAIR)
def random_operations_in_parallel(pair):
    script = f"/tmp/soak-{os.getpid()}.py"
    with open(script, "w") as f:
        f.write(WORKER)
    lib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
    procs = [spawn(f"python3 {script} {lib} {w} {pair.a} {pair.b} {pair.b4} {SECONDS}")
             for w in range(WORKERS)]
    total = 0
    for w, p in enumerate(procs):
        try:
            out, err = p.communicate(timeout=SECONDS + 120)
        except subprocess.TimeoutExpired:
            kill_tree(p)
            raise AssertionError(f"worker {w} hung")
        check(p.returncode == 0, f"worker {w} failed: {err.strip()[-800:]}")
        total += int(out.strip().splitlines()[-1])
    diag(f"{WORKERS} workers, {total} requests in {SECONDS} s")
    check(total > 0, "no request made")
    check(session_count() == 0, "sessions left behind")
    wait_for(lambda: not calperf_kthreads(), 10, "the kthreads to end")


@t.test
def unloads_afterwards():
    reload_module()


t.run()
