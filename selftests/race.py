#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Concurrent callers on guessed session ids while the module is unloaded
and loaded again: no session is touched after the lock that published it
is dropped (KASAN on the debug kernel), nothing is left behind."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import (  # noqa: E402
    CALPERFCTL, ctl_ok, kill_tree, module_load, reload_module, session_count,
    spawn)
from ktap import check, diag, Ktap  # noqa: E402

t = Ktap(setup=module_load)
SECONDS = 20
CTL = f"{CALPERFCTL} -j"
KO = os.environ.get("CALPERF_KO", "")

# Ids start at 1 on each load and only grow: the racers aim a little
# ahead of the creators, at ids just handed out or about to be.
LOOPS = {
    "new": f"while :; do {CTL} session add receiver port $((6000 + RANDOM % 200)); done",
    "new-del": f"i=1; while :; do {CTL} session add receiver port $((6200 + RANDOM % 200)); "
               f"{CTL} session del $i; {CTL} session del $((i + 1)); i=$(( i % 40 + 1 )); done",
    "start-stop": f"i=1; while :; do {CTL} session start $i; {CTL} session stop $i; "
                  f"{CTL} session show $i; i=$(( i % 40 + 1 )); done",
    "get-del": f"i=40; while :; do {CTL} session show; {CTL} session show $i; "
               f"{CTL} session del $i; i=$(( (i + 37) % 40 + 1 )); done",
    "reload": f"while :; do sleep 0.$((RANDOM % 10)); rmmod calperf; insmod {KO}; done",
}


@t.test
def racing_callers_and_reloads():
    procs = [spawn(f"exec >/dev/null 2>&1; {cmd}") for cmd in LOOPS.values()]
    try:
        time.sleep(SECONDS)
        for p in procs:
            check(p.poll() is None, f"a racer died: exit {p.returncode}")
    finally:
        for p in procs:
            kill_tree(p)
    diag(f"{len(LOOPS)} racers for {SECONDS} s; the guest kernel log is checked after the run")


@t.test
def nothing_left_behind():
    module_load()
    for s in ctl_ok("session", "show").json:
        ctl_ok("session", "del", s["id"])
    check(session_count() == 0, "sessions left behind")
    reload_module()
    check(session_count() == 0, "sessions after a reload")


t.run()
