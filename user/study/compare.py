# SPDX-License-Identifier: GPL-2.0
"""Two studies side by side (calperf-study compare DIR1 DIR2), from
their results.json alone: per topology, message size and tool, each
figure of both, the ratio of the second to the first, and whether the
difference is outside the spread (the two intervals do not overlap);
compare.md, compare.json for scripts, and plots of both."""

import json
import os

import plot
from report import cell, fmt, measured, size_label, table
from stats import overlap

OUTSIDE = "*"
# (section, where, key, unit): the figures compared.
FIGURES = [("Throughput (Gb/s)", "stream", "gbps", "gbps"),
           ("CPU per Gb/s (cores)", "stream", "cpu_per_gbps", "per_gbps"),
           ("1-byte latency (us, RTT/2)", "rr", "latency_us", "us")]
TOOLS = ("calperf", "qperf")


def load(d):
    """DIR's results.json, or ValueError naming what is wrong."""
    try:
        with open(os.path.join(d, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{d}: no study results ({e})")


def cells(a, b):
    """Every figure both studies have: [{topology, size (None for rr),
    tool, key, a, b, ratio, outside_spread}] (outside_spread None where
    either figure has no spread: a single run)."""
    out = []
    tb = {t["name"]: t for t in measured(b)}
    for ta in measured(a):
        t2 = tb.get(ta["name"])
        if not t2:
            continue
        for _, where, key, _ in FIGURES:
            if where == "rr":
                pairs = [(None, ta["rr"], t2["rr"])]
            else:
                sb = {e["size"]: e for e in t2["stream"]}
                pairs = [(e["size"], e, sb[e["size"]]) for e in ta["stream"]
                         if e["size"] in sb]
            for size, ea, eb in pairs:
                for tool in TOOLS:
                    x, y = cell(ea, tool, key), cell(eb, tool, key)
                    if x is None or y is None:
                        continue
                    same = overlap(ea.get(tool), eb.get(tool), key)
                    out.append({"topology": ta["name"], "size": size, "tool": tool,
                                "key": key, "a": x, "b": y,
                                "ratio": y / x if x else None,
                                "outside_spread": None if same is None else not same})
    return out


def label(c, unit):
    ratio = "-" if c["ratio"] is None else f"{c['ratio']:.2f}"
    return (f"{fmt(unit, c['a'])} / {fmt(unit, c['b'])} = {ratio}"
            + (" " + OUTSIDE if c["outside_spread"] else ""))


def header(name, r):
    p = r.get("provenance", {})
    cal = p.get("calperf", {})
    m = r["machine"]
    return (f"- **{name}**: {r['started']}; kernel {m['kernel']}, {m['cpus']} CPUs "
            f"({m['cpu_model']}); calperf {cal.get('module') or '?'}; time base "
            f"{p.get('timebase', '?')}; {r['config'].get('reps', 1)} run(s) per figure")


def write(a, b, names, out, plots=True):
    """compare.md, compare.json and plots in @out; returns (path of
    compare.md, why there are no plots or None)."""
    os.makedirs(out, exist_ok=True)
    cs = cells(a, b)
    with open(os.path.join(out, "compare.json"), "w") as f:
        json.dump({"a": names[0], "b": names[1], "cells": cs}, f, indent=1)
    md = [f"# calperf study: {names[1]} against {names[0]}\n",
          header(f"A = {names[0]}", a), header(f"B = {names[1]}", b), "",
          "Each cell: A's median / B's median = B over A. " + OUTSIDE + " marks a "
          "difference outside the spread: the two runs' intervals (95 % interval of the "
          "median from 5 runs, else min-max) do not overlap. Unmarked ratios are within "
          "the spread, or have none (one run per figure).\n"]
    topos = [t["name"] for t in measured(a) if any(c["topology"] == t["name"] for c in cs)]
    for title, where, key, unit in FIGURES:
        sel = [c for c in cs if c["key"] == key]
        if not sel:
            continue
        md.append(f"## {title}\n")
        tools = [x for x in TOOLS if any(c["tool"] == x for c in sel)]
        if where == "rr":
            rows = []
            for t in topos:
                got = {c["tool"]: c for c in sel if c["topology"] == t}
                rows.append([t] + [label(got[x], unit) if x in got else "-" for x in tools])
            md.append(table(["topology"] + tools, rows))
            continue
        sizes = sorted({c["size"] for c in sel})
        cols = [(t, x) for t in topos for x in tools]
        got = {(c["topology"], c["tool"], c["size"]): c for c in sel}
        rows = [[size_label(s)] + [label(got[(t, x, s)], unit) if (t, x, s) in got else "-"
                                   for t, x in cols] for s in sizes]
        md.append(table(["size"] + [f"{t} {x}" for t, x in cols], rows))
    outside = sum(1 for c in cs if c["outside_spread"])
    md.append(f"{outside} of {len(cs)} figures differ by more than their spread.\n")
    why = None
    if plots:
        try:
            made = draw(a, b, names, out)
            md.append("## Plots\n")
            md += [f"![{t}](plots/{n}.png)\n" for n, t in made]
        except RuntimeError as e:
            why = str(e)
    path = os.path.join(out, "compare.md")
    with open(path, "w") as f:
        f.write("\n".join(md))
    return path, why


def draw(a, b, names, out):
    """Per tool and figure, each topology's curve in A (solid) and B
    (dashed), with error bars over the spread."""
    d, term = plot.plots_dir(out)
    sizes = sorted({e["size"] for r in (a, b) for t in measured(r) for e in t["stream"]})
    scripts = []
    for tool in TOOLS:
        for title, where, key, _ in FIGURES:
            if where != "stream":
                continue
            cols = []
            for i, t in enumerate(measured(a)):
                for r, dashed, tag in ((a, False, "A"), (b, True, "B")):
                    tt = next((x for x in measured(r) if x["name"] == t["name"]), None)
                    if tt and any(tool in e for e in tt["stream"]):
                        cols.append((f"{t['name']} {tag}", i + 1, dashed,
                                     plot.by_size(tt, tool), key))
            if not cols:
                continue
            name = f"compare-{tool}-{key}"
            scripts.append((name, f"{tool}: {title}, A and B", plot.curves(
                d, name, f"{tool}: {title} (solid: A {names[0]}, dashed: B {names[1]})",
                title.split("(")[-1].rstrip(")"), sizes, cols)))
    return plot.render(d, term, scripts)
