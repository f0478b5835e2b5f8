# SPDX-License-Identifier: GPL-2.0
"""The study's plots, drawn by gnuplot from data files written here:
throughput, CPU and CPU per Gb/s against message size, latency bars and
one per-hop breakdown per topology. Each plot keeps its .dat and .gp
next to its .png, so it can be redrawn or restyled by hand."""

import os
import shutil
import subprocess

from report import cell, measured, size_label
from stats import interval

HEAD = """set terminal {term} size 960,600 noenhanced
set output '{png}'
set grid
set key outside right top
"""


def terminal():
    """pngcairo where gnuplot has it, else the plain png terminal."""
    p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in p.stdout + p.stderr else "png"


def spread(run, key):
    """(median, low, high) of a figure for gnuplot: its interval (CI, else
    min-max), or the median alone for one run; NaN where not measured."""
    v = cell({"x": run}, "x", key)
    if v is None:
        return ("NaN",) * 3
    lo, hi = interval(run, key) or (v, v)
    return repr(v), repr(lo), repr(hi)


def curves(d, name, title, ylabel, sizes, cols):
    """@cols [(title, colour, dashed, {size: run}, key)] against message
    size on a log2 axis, each point with error bars over its spread."""
    with open(os.path.join(d, name + ".dat"), "w") as f:
        f.write("# size, then per curve: median low high (" +
                ", ".join(c[0] for c in cols) + ")\n")
        for size in sizes:
            vals = [x for c in cols for x in spread(c[3].get(size), c[4])]
            f.write(f"{size} " + " ".join(vals) + "\n")
    plots = []
    for i, (label, lt, dashed, _, _) in enumerate(cols):
        n = 2 + 3 * i
        dash = " dt 2" if dashed else ""
        plots.append(f"'{name}.dat' using 1:{n}:{n + 1}:{n + 2} with yerrorlines "
                     f"lt {lt}{dash} title '{label}'")
    xtics = ", ".join(f"'{size_label(s)}' {s}" for s in sizes)
    return (f"set title '{title}'\nset logscale x 2\nset xtics ({xtics})\n"
            f"set xrange [{sizes[0] / 1.5}:{sizes[-1] * 1.5}]\n"
            f"set xlabel 'message size (bytes per send call)'\n"
            f"set ylabel '{ylabel}'\nset yrange [0:*]\n"
            "plot " + ", \\\n     ".join(plots) + "\n")


def by_size(t, tool):
    return {e["size"]: e.get(tool) for e in t["stream"]}


def sweep(results, d, name, title, ylabel, series):
    """One line per topology and each of @series [(tool, key, label,
    dashed)] against message size; a topology keeps its colour, the
    series tells solid from dashed; error bars span each point's spread."""
    topos = measured(results)
    cols = [(f"{t['name']} {label}", i + 1, dashed, by_size(t, tool), key)
            for i, t in enumerate(topos) for tool, key, label, dashed in series]
    return curves(d, name, title, ylabel, results["config"]["sizes"], cols)


def latency(results, d):
    with open(os.path.join(d, "latency.dat"), "w") as f:
        f.write("# topology calperf qperf (RTT/2, us)\n")
        for t in measured(results):
            vals = [x for tool in ("calperf", "qperf")
                    for x in spread(t["rr"].get(tool), "latency_us")]
            f.write(t["name"] + " " + " ".join(vals) + "\n")
    # gnuplot fails on a series without one valid point (--no-qperf).
    qperf = any("latency_us" in (t["rr"].get("qperf") or {}) for t in measured(results))
    return ("set title '1-byte latency (RTT/2; bars: the spread)'\nset ylabel 'us'\n"
            "set yrange [0:*]\nset style data histograms\n"
            "set style histogram errorbars gap 1 lw 1\n"
            "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
            "plot 'latency.dat' using 2:3:4:xtic(1) title 'calperf rr'" +
            (", '' using 5:6:7 title 'qperf tcp_lat'" if qperf else "") + "\n")


def hop_label(p):
    """A hop as the charts name it: its point, and its device@namespace;
    one not measured (the wire between two hosts' clocks) says so."""
    where = f"{p['ifname']}@{p['netns'].removeprefix('cps-')}" if p["ifname"] else ""
    unknown = " (not measured)" if p["p50_us"] is None else ""
    return f"{p['point']} {where}".strip() + unknown


def us(v):
    """A latency to draw: one not measured is drawn as nothing."""
    return 0.0 if v is None else v


def traced(results):
    return [t for t in measured(results)
            if t.get("hops") and "error" not in t["hops"] and t["hops"]["path"]]


def hop_budget(topos, d):
    """One horizontal bar per topology, stacked from the p50 of each hop
    in path order, on one axis: the topologies' hop budgets side by
    side, each segment labelled by its point and device@namespace."""
    with open(os.path.join(d, "hop_budget.dat"), "w") as f:
        f.write("# topology: from_us to_us bar colour label\n")
        for i, t in enumerate(topos):
            x = 0.0
            for j, p in enumerate(t["hops"]["path"]):
                f.write(f"{x!r} {x + us(p['p50_us'])!r} {i} {j % 8 + 1} "
                        f"\"{hop_label(p)}\"\n")
                x += us(p["p50_us"])
    ytics = ", ".join(f"'{t['name']}' {i}" for i, t in enumerate(topos))
    return ("set title 'Hop budget: the p50 of each hop, in path order'\n"
            "set xlabel 'us (sum of the hops p50; end to end p50 differs)'\n"
            f"set ytics ({ytics})\nset yrange [{len(topos) - 0.4}:-0.6]\nset xrange [0:*]\n"
            "set style fill solid 0.7 border -1\nunset key\n"
            "plot 'hop_budget.dat' using (($1+$2)/2):3:(($2-$1)/2):(0.38):4 "
            "with boxxyerror lc variable, \\\n"
            "     '' using (($1+$2)/2):3:5 with labels rotate by 90 font ',7'\n")


def hops(t, d):
    h = t["hops"]
    name = f"hops-{t['name']}"
    with open(os.path.join(d, name + ".dat"), "w") as f:
        f.write("# hop label p50_us p99_us\n")
        for i, p in enumerate(h["path"], start=1):
            f.write(f"{i} \"{hop_label(p)}\" {us(p['p50_us'])!r} {us(p['p99_us'])!r}\n")
    e2e = h["end_to_end"]["p50_us"]
    e2e = "not measured" if e2e is None else f"p50 {e2e:.1f} us"
    return name, (f"set title '{t['name']}: latency from the previous point, stream of "
                  f"{size_label(h['size'])} (end to end {e2e})'\n"
                  "set ylabel 'us'\nset yrange [0:*]\nset xtics rotate by -35\n"
                  "set bmargin 9\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
                  f"plot '{name}.dat' using 3:xtic(2) title 'p50', '' using 4 title 'p99'\n")


def plots_dir(out):
    """out/plots, made, and gnuplot's terminal; RuntimeError without gnuplot."""
    d = os.path.join(out, "plots")
    os.makedirs(d, exist_ok=True)
    if not shutil.which("gnuplot"):
        raise RuntimeError("gnuplot is not installed (apt-get install gnuplot-nox)")
    return d, terminal()


def draw(results, out):
    """Write and render every plot; returns [(name, title)] of the PNGs
    made, or raises RuntimeError saying why none could be."""
    d, term = plots_dir(out)
    scripts = [
        ("throughput", "Throughput against message size", sweep(
            results, d, "throughput",
            "Throughput (solid: calperf, dashed: qperf; bars: the spread)", "Gb/s",
            [("calperf", "gbps", "calperf", False), ("qperf", "gbps", "qperf", True)])),
        ("cpu", "CPU against message size", sweep(
            results, d, "cpu", "calperf CPU per side (solid: sender, dashed: receiver)",
            "cores", [("calperf", "sender_cpu", "send", False),
                      ("calperf", "receiver_cpu", "recv", True)])),
        ("cpu_per_gbps", "CPU per Gb/s against message size", sweep(
            results, d, "cpu_per_gbps",
            "CPU per Gb/s (solid: calperf busier side, dashed: qperf machine)",
            "cores per Gb/s", [("calperf", "cpu_per_gbps", "calperf", False),
                               ("qperf", "cpu_per_gbps", "qperf", True)])),
        ("latency", "1-byte latency", latency(results, d)),
    ]
    topos = traced(results)
    if topos:
        scripts.append(("hop_budget", "Hop budget of each topology", hop_budget(topos, d)))
    for t in topos:
        name, gp = hops(t, d)
        scripts.append((name, f"Per-hop latency, {t['name']}", gp))
    return render(d, term, scripts)


def render(d, term, scripts):
    """Each of @scripts [(name, title, gnuplot body)] drawn into d/name.png."""
    made = []
    for name, title, body in scripts:
        with open(os.path.join(d, name + ".gp"), "w") as f:
            f.write(HEAD.format(term=term, png=name + ".png") + body)
        p = subprocess.run(["gnuplot", name + ".gp"], cwd=d, capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError(f"gnuplot {name}.gp: {p.stderr.strip()}")
        made.append((name, title))
    return made
