# SPDX-License-Identifier: GPL-2.0
"""The spread of a figure over repeated runs: median, minimum and
maximum, and from 5 runs on a confidence interval of the median by order
statistics (the binomial method: the number of runs below the true
median is Binomial(n, 1/2), so [x(k), x(n+1-k)] of the sorted runs holds
it with probability 1 - 2 P(B <= k-1), whatever the distribution). Two
figures differ by less than their spread when their intervals overlap."""

import math
import statistics

CI_MIN_RUNS = 5
CI_LEVEL = 0.95
# What a run records about itself, not a figure: its place in the
# sequence of runs and when it started.
RUN_KEYS = ("order", "at_s")


def binom_cdf(j, n):
    """P(B <= j) for B ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n


def median_ci(values, level=CI_LEVEL):
    """[low, high] of the median's interval and its coverage: the
    narrowest order-statistic pair whose coverage is at least @level
    (with fewer than 6 runs no pair reaches 95 %: the widest, min-max,
    and the coverage it has)."""
    v = sorted(values)
    n = len(v)
    k = 1
    while k + 1 <= n // 2 and 1 - 2 * binom_cdf(k, n) >= level:
        k += 1
    return [v[k - 1], v[n - k]], 1 - 2 * binom_cdf(k - 1, n)


def summary(values):
    """median, min, max (and ci95, ci_coverage from CI_MIN_RUNS runs)."""
    s = {"median": statistics.median(values), "min": min(values), "max": max(values),
         "n": len(values)}
    if len(values) >= CI_MIN_RUNS:
        s["ci95"], s["ci_coverage"] = median_ci(values)
    return s


def interval(run, key):
    """The spread of @key in a tool's figures (its CI where there is one,
    else min-max), or None for a single run."""
    if not run or "error" in run or run.get(key) is None:
        return None
    ci = run.get("ci95", {}).get(key)
    if ci:
        return ci
    sp = run.get("spread", {}).get(key)
    if sp and run.get("runs", 1) > 1:
        return sp
    return None


def overlap(a, b, key):
    """True when the two runs' intervals of @key overlap (the difference
    is within the spread), False when they do not, None when either has
    no spread."""
    ia, ib = interval(a, key), interval(b, key)
    if ia is None or ib is None:
        return None
    return not (ia[1] < ib[0] or ib[1] < ia[0])


def combine(runs):
    """A tool's figures over its runs: each numeric figure's median at
    the top (as a single run's), with "runs", "spread" {key: [min, max]},
    and from CI_MIN_RUNS runs "ci95" {key: [low, high]} and
    "ci_coverage"; every run itself in "reps", in the order taken."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        out = dict(runs[-1])
        out["reps"] = runs
        return out
    out, spread, ci = {}, {}, {}
    coverage = None
    for k in ok[0]:
        if k in RUN_KEYS:
            continue
        vals = [r.get(k) for r in ok if r.get(k) is not None]
        numeric = vals and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                               for v in vals)
        if not numeric:
            out[k] = vals[0] if vals else None
            continue
        s = summary(vals)
        out[k] = s["median"]
        spread[k] = [s["min"], s["max"]]
        if "ci95" in s:
            ci[k] = s["ci95"]
            coverage = s["ci_coverage"]
    out["runs"] = len(ok)
    if len(ok) < len(runs):
        out["failed_runs"] = len(runs) - len(ok)
    out["spread"] = spread
    if ci:
        out["ci95"], out["ci_coverage"] = ci, coverage
    out["reps"] = runs
    return out
