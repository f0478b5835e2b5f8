# SPDX-License-Identifier: GPL-2.0
"""A progress line per step of a study: where it is, how long it has
run, and how long the rest should take, from the planned durations
scaled by how fast the steps so far actually went."""

import sys
import time


def clock(seconds):
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m}:{s:02d}"


class Progress:
    def __init__(self, steps, out=sys.stderr):
        self.steps = steps                  # [(topology, what, seconds)]
        self.done = set()
        self.out = out
        self.began = time.monotonic()
        self.planned_done = 0.0
        self.current = None

    def _finish_current(self):
        if self.current is not None:
            self.done.add(self.current)
            self.planned_done += self.steps[self.current][2]
            self.current = None

    def step(self, topo, what):
        self._finish_current()
        i = next(i for i, s in enumerate(self.steps) if s[:2] == (topo, what))
        self.current = i
        elapsed = time.monotonic() - self.began
        left = sum(s[2] for j, s in enumerate(self.steps) if j not in self.done)
        rate = elapsed / self.planned_done if self.planned_done else 1.0
        print(f"[{len(self.done) + 1:3d}/{len(self.steps)}] {topo:<7} {what:<22} "
              f"{clock(elapsed)} elapsed, ~{clock(left * rate)} left",
              file=self.out, flush=True)

    def skip_rest(self, topo):
        """A topology is done (or could not be built): drop its steps
        that did not run from the estimate."""
        self._finish_current()
        for i, s in enumerate(self.steps):
            if s[0] == topo and i not in self.done:
                self.done.add(i)
