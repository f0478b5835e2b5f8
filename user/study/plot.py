# SPDX-License-Identifier: GPL-2.0
"""The study's plots, drawn by gnuplot from data files written here:
throughput, CPU and CPU per Gb/s against message size, latency bars and
one per-hop breakdown per topology. Each plot keeps its .dat and .gp
next to its .png, so it can be redrawn or restyled by hand."""

import os
import shutil
import subprocess

from report import cell, measured, size_label

HEAD = """set terminal {term} size 960,600 noenhanced
set output '{png}'
set grid
set key outside right top
"""


def terminal():
    """pngcairo where gnuplot has it, else the plain png terminal."""
    p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in p.stdout + p.stderr else "png"


def sweep(results, d, name, title, ylabel, series):
    """One line per topology and each of @series [(tool, key, label,
    dashed)] against message size, on a log2 axis; a topology keeps its
    colour, the series tells solid from dashed."""
    topos = measured(results)
    sizes = results["config"]["sizes"]
    cols = [(t, *s) for t in topos for s in series]
    with open(os.path.join(d, name + ".dat"), "w") as f:
        f.write("# size " + " ".join(f"{c[0]['name']}-{c[3]}" for c in cols) + "\n")
        for i, size in enumerate(sizes):
            vals = []
            for t, tool, key, _, _ in cols:
                v = cell(t["stream"][i], tool, key) if i < len(t["stream"]) else None
                vals.append("NaN" if v is None else repr(v))
            f.write(f"{size} " + " ".join(vals) + "\n")
    plots = []
    for n, (t, _, _, label, dashed) in enumerate(cols, start=2):
        lt = topos.index(t) + 1
        dash = " dt 2" if dashed else ""
        plots.append(f"'{name}.dat' using 1:{n} with linespoints lt {lt}{dash} "
                     f"title '{t['name']} {label}'")
    xtics = ", ".join(f"'{size_label(s)}' {s}" for s in sizes)
    return (f"set title '{title}'\nset logscale x 2\nset xtics ({xtics})\n"
            f"set xrange [{sizes[0] / 1.5}:{sizes[-1] * 1.5}]\n"
            f"set xlabel 'message size (bytes per send call)'\n"
            f"set ylabel '{ylabel}'\nset yrange [0:*]\n"
            "plot " + ", \\\n     ".join(plots) + "\n")


def latency(results, d):
    with open(os.path.join(d, "latency.dat"), "w") as f:
        f.write("# topology calperf qperf (RTT/2, us)\n")
        for t in measured(results):
            vals = [cell(t["rr"], tool, "latency_us") for tool in ("calperf", "qperf")]
            f.write(t["name"] + " " + " ".join("NaN" if v is None else repr(v)
                                               for v in vals) + "\n")
    return ("set title '1-byte latency (RTT/2)'\nset ylabel 'us'\nset yrange [0:*]\n"
            "set style data histograms\nset style histogram clustered gap 1\n"
            "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
            "plot 'latency.dat' using 2:xtic(1) title 'calperf rr', "
            "'' using 3 title 'qperf tcp_lat'\n")


def hops(t, d):
    h = t["hops"]
    name = f"hops-{t['name']}"
    with open(os.path.join(d, name + ".dat"), "w") as f:
        f.write("# hop label p50_us p99_us\n")
        for i, p in enumerate(h["path"], start=1):
            where = f"{p['ifname']}@{p['netns'].removeprefix('cps-')}" if p["ifname"] else ""
            label = f"{p['point']} {where}".strip()
            f.write(f"{i} \"{label}\" {p['p50_us']!r} {p['p99_us']!r}\n")
    return name, (f"set title '{t['name']}: latency from the previous point, stream of "
                  f"{size_label(h['size'])} (end to end p50 "
                  f"{h['end_to_end']['p50_us']:.1f} us)'\n"
                  "set ylabel 'us'\nset yrange [0:*]\nset xtics rotate by -35\n"
                  "set bmargin 9\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
                  f"plot '{name}.dat' using 3:xtic(2) title 'p50', '' using 4 title 'p99'\n")


def draw(results, out):
    """Write and render every plot; returns [(name, title)] of the PNGs
    made, or raises RuntimeError saying why none could be."""
    d = os.path.join(out, "plots")
    os.makedirs(d, exist_ok=True)
    if not shutil.which("gnuplot"):
        raise RuntimeError("gnuplot is not installed (apt-get install gnuplot-nox)")
    term = terminal()
    scripts = [
        ("throughput", "Throughput against message size", sweep(
            results, d, "throughput", "Throughput (solid: calperf, dashed: qperf)", "Gb/s",
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
    for t in measured(results):
        if t.get("hops") and "error" not in t["hops"] and t["hops"]["path"]:
            name, gp = hops(t, d)
            scripts.append((name, f"Per-hop latency, {t['name']}", gp))
    made = []
    for name, title, body in scripts:
        with open(os.path.join(d, name + ".gp"), "w") as f:
            f.write(HEAD.format(term=term, png=name + ".png") + body)
        p = subprocess.run(["gnuplot", name + ".gp"], cwd=d, capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError(f"gnuplot {name}.gp: {p.stderr.strip()}")
        made.append((name, title))
    return made
