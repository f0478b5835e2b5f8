# SPDX-License-Identifier: GPL-2.0
"""SIGTERM ends a study as Ctrl-C does: it raises Terminated, a
KeyboardInterrupt, so the same handlers tear the paths down (no switch,
namespace or session left for the next study's clean-up) and write what
was measured; the study then exits with EXIT, 128 + SIGTERM, as a
process ended by it conventionally does. A tear-down in progress is
finished first: a SIGTERM during shielded() is raised at its end."""

import contextlib
import signal

EXIT = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """The study received SIGTERM."""

    def __init__(self):
        super().__init__("terminated")


received = False
_shields = 0
_pending = False


def _handler(signum, frame):
    global received, _pending
    if received:
        # Once is enough: a second must not cut the clean-up short.
        return
    received = True
    if _shields:
        _pending = True
    else:
        raise Terminated()


def install():
    signal.signal(signal.SIGTERM, _handler)


@contextlib.contextmanager
def shielded():
    """A SIGTERM arriving inside raised only once it is done."""
    global _shields, _pending
    _shields += 1
    try:
        yield
    finally:
        _shields -= 1
    if _pending and not _shields:
        _pending = False
        raise Terminated()
