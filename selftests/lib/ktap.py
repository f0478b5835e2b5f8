# SPDX-License-Identifier: GPL-2.0
"""The KTAP runner of calperf's test programs, and the checks they make.

A program is a list of tests, run in order, each printed as one KTAP
result. A test names what it needs as arguments of @t.test, e.g.

    PAIR = shared(VethPair, after=no_session_left)

    @t.test(pair=PAIR)
    def ipv4_timed(pair):
        ...

    @t.test(tap=TapPath)
    def tap_path(tap):
        ...

and receives it under that name. A fixture is made by calling what is
named (a topology class, a generator function, anything that returns a
context manager or a plain value) and torn down by the runner, also
when the test fails: a plain one around each test, a shared() one once
for all the tests that name it, made before the first of them and torn
down after the last, which fails if that teardown does. A Skip while a
fixture is made skips the tests that need it; any other error fails
them."""

import contextlib
import inspect
import os
import re
import sys
import time
import traceback

# kselftest's exit code for a program whose tests were all skipped.
SKIP = 4

# The debug kernel (KASAN, lockdep...) runs about ten times slower: there
# the tests look for kernel reports, and time bounds are reported only.
DEBUG_KERNEL = os.environ.get("CALPERF_VM_KERNEL") == "debug"
# A regular expression: only the tests whose names it finds run, the
# others are skipped (e.g. CALPERF_ONLY=playbook for a lab's Ansible part).
ONLY = os.environ.get("CALPERF_ONLY")


class Skip(Exception):
    pass


# selftests/check sets CALPERF_CHECK=1 in the guests it gives a writable
# root (--overlay), having built the packages; the guest's kernel headers
# come with the overlay.
UNDER_CHECK = os.environ.get("CALPERF_CHECK") == "1"


def unmet(reason):
    """What a test needs of selftests/check's setup (a writable root,
    the packages, the headers, the NIC pair, the cache of 'make deps')
    is missing: a Skip when run by hand, but a failure under
    selftests/check, which provides it. raise unmet(...)."""
    if UNDER_CHECK:
        return AssertionError(f"{reason}, which selftests/check provides")
    return Skip(reason)


def diag(msg):
    for line in str(msg).splitlines():
        print(f"# {line}", flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def check_timing(cond, msg):
    """A bound in time: checked, except on the debug kernel."""
    if DEBUG_KERNEL:
        if not cond:
            diag(f"not checked on the debug kernel: {msg}")
        return
    check(cond, msg)


def wait_for(pred, timeout, what, step=0.05):
    if DEBUG_KERNEL:
        timeout *= 10
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _context(make, args, kw):
    """What @make(*args, **kw) makes, as a context manager: a generator
    function's yield, or a value that is not a context manager itself."""
    if inspect.isgeneratorfunction(make):
        return contextlib.contextmanager(make)(*args, **kw)
    value = make(*args, **kw)
    if hasattr(value, "__enter__"):
        return value
    return contextlib.nullcontext(value)


class shared:
    """A fixture made once for every test of the program that names it:
    before the first, torn down after the last. @after(value), if given,
    is a check made before that teardown."""

    def __init__(self, make, *args, after=None, **kw):
        self.make, self.args, self.kw, self.after = make, args, kw, after
        self.stack = self.value = self.error = None

    def get(self):
        if self.error:
            raise self.error
        if self.stack is None:
            self.stack = contextlib.ExitStack()
            try:
                self.value = self.stack.enter_context(_context(self.make, self.args, self.kw))
            except BaseException as e:
                self.stack.close()
                self.error = e
                raise
        return self.value

    def close(self):
        """After its last test: the check, then the teardown."""
        stack, self.stack = self.stack, None
        if stack is None:
            return
        with stack:
            if self.after:
                self.after(self.value)


class Ktap:
    """One test program: a list of named tests, run in order. @setup, if
    given, runs once before the first (e.g. loading the module): a Skip
    there skips every test, any other error fails every one."""

    def __init__(self, setup=None):
        self.setup = setup
        self.tests = []     # (function, {argument: fixture})
        self.counts = {"pass": 0, "fail": 0, "skip": 0}
        self.n = 0

    def test(self, fn=None, **fixtures):
        """@t.test, or @t.test(name=fixture, ...)."""
        def add(f):
            self.tests.append((f, fixtures))
            return f
        return add(fn) if fn else add

    def _line(self, ok, name, directive=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} {name}{directive}", flush=True)

    def _result(self, name, skip=None, failed=False):
        if failed:
            self.counts["fail"] += 1
            self._line(False, name)
        elif skip is not None:
            self.counts["skip"] += 1
            self._line(True, name, f" # SKIP {skip}")
        else:
            self.counts["pass"] += 1
            self._line(True, name)

    def _run_one(self, fn, fixtures, last_use):
        """The test with its fixtures; its teardowns, whatever happened.
        Returns (skip reason or None, failed)."""
        skip, failed = None, False
        with contextlib.ExitStack() as fresh:
            try:
                args = {}
                for arg, fx in fixtures.items():
                    if isinstance(fx, shared):
                        args[arg] = fx.get()
                    else:
                        args[arg] = fresh.enter_context(_context(fx, (), {}))
                fn(**args)
            except Skip as e:
                skip = str(e)
            except Exception:
                failed = True
                diag(traceback.format_exc().rstrip())
            # Its own fixtures first, then the shared ones it was the last of.
            for what, close in [(f"of {fn.__name__}", fresh.close)] + \
                    [(f"after {fn.__name__}", fx.close) for fx in last_use]:
                try:
                    close()
                except Exception:
                    failed = True
                    diag(f"teardown {what}:")
                    diag(traceback.format_exc().rstrip())
        return skip, failed

    def run(self):
        print("TAP version 13")
        print(f"1..{len(self.tests)}", flush=True)
        # A shared fixture goes after the last test that names it.
        last = {}
        for i, (_, fixtures) in enumerate(self.tests):
            for fx in fixtures.values():
                if isinstance(fx, shared):
                    last[id(fx)] = (i, fx)
        teardowns = {}
        for i, fx in last.values():
            teardowns.setdefault(i, []).append(fx)
        setup_skip, setup_failed = None, False
        if self.setup:
            try:
                self.setup()
            except Skip as e:
                setup_skip = str(e)
            except Exception:
                setup_failed = True
                diag("setup:")
                diag(traceback.format_exc().rstrip())
        for i, (fn, fixtures) in enumerate(self.tests):
            if setup_skip is not None or setup_failed:
                self._result(fn.__name__, setup_skip, setup_failed)
                continue
            if ONLY and not re.search(ONLY, fn.__name__):
                self._result(fn.__name__, "not selected by CALPERF_ONLY")
                continue
            skip, failed = self._run_one(fn, fixtures, teardowns.get(i, []))
            self._result(fn.__name__, skip, failed)
        c = self.counts
        print(f"# Totals: pass:{c['pass']} fail:{c['fail']} xfail:0 xpass:0 "
              f"skip:{c['skip']} error:0", flush=True)
        if c["fail"]:
            sys.exit(1)
        sys.exit(SKIP if c["skip"] and not c["pass"] else 0)
