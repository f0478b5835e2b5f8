# SPDX-License-Identifier: GPL-2.0
"""What a study run leaves behind, from results.json alone: CSV files
and report.md, whose tables put calperf and qperf side by side. Every
figure in the report is a value of results.json, printed with the
precision of its unit (FORMAT)."""

import csv
import os
import re

# Printed precision per unit: Gb/s, cores, cores per Gb/s, microseconds.
FORMAT = {"gbps": "{:.3f}", "cores": "{:.2f}", "per_gbps": "{:.2f}", "us": "{:.1f}"}


SOCKBUF = {
    "auto": "socket buffers are autotuned by the kernel at both ends, for both "
            "tools (calperf sockbuf 0, qperf without -sb).",
    "msg": "the receiver's socket buffers are set to the message size and the "
           "sender's autotuned (qperf -sb N, after accepting; calperf "
           "client-sockbuf 0 server-sockbuf N, before listening).",
}


def fmt(unit, value):
    return "-" if value is None else FORMAT[unit].format(value)


def size_label(n):
    for unit, div in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def measured(results):
    return [t for t in results["topologies"] if t["status"] == "ok"]


def cell(entry, tool, key):
    """A figure of one run, or None where the run failed or was not made."""
    run = entry.get(tool)
    return None if not run or "error" in run else run.get(key)


def write_csv(results, out):
    with open(os.path.join(out, "stream.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "msg_size", "tool", "gbps", "sender_cpu", "receiver_cpu",
                    "softirq_cpu", "busy_cpu", "cpu_per_gbps", "error"])
        for t in measured(results):
            for e in t["stream"]:
                for tool in ("calperf", "qperf"):
                    r = e.get(tool)
                    if r is None:
                        continue
                    w.writerow([t["name"], e["size"], tool] +
                               [r.get(k) for k in ("gbps", "sender_cpu", "receiver_cpu",
                                                   "softirq_cpu", "busy_cpu",
                                                   "cpu_per_gbps", "error")])
    with open(os.path.join(out, "latency.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "tool", "latency_us", "rtt_p50_us", "rtt_p99_us", "error"])
        for t in measured(results):
            for tool in ("calperf", "qperf"):
                r = t["rr"].get(tool)
                if r is not None:
                    w.writerow([t["name"], tool] + [r.get(k) for k in (
                        "latency_us", "rtt_p50_us", "rtt_p99_us", "error")])
    with open(os.path.join(out, "hops.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "msg_size", "hop", "point", "device", "netns", "samples",
                    "p50_us", "p99_us"])
        for t in measured(results):
            h = t.get("hops")
            if not h or "error" in h:
                continue
            for i, p in enumerate(h["path"]):
                w.writerow([t["name"], h["size"], i, p["point"], p["ifname"], p["netns"],
                            p["count"], p["p50_us"], p["p99_us"]])
            e = h["end_to_end"]
            w.writerow([t["name"], h["size"], "end-to-end", "", "", "", e["count"],
                        e["p50_us"], e["p99_us"]])


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def sweep_table(results, columns, unit):
    """Rows: message sizes; columns: for each topology, each of @columns
    (label, tool, key): calperf's and qperf's figures side by side."""
    topos = measured(results)
    header = ["size"]
    for t in topos:
        header += [f"{t['name']} {label}" for label, _, _ in columns]
    rows = []
    for i, size in enumerate(results["config"]["sizes"]):
        row = [size_label(size)]
        for t in topos:
            e = t["stream"][i] if i < len(t["stream"]) else {}
            row += [fmt(unit, cell(e, tool, key)) for _, tool, key in columns]
        rows.append(row)
    return table(header, rows)


def errors(results):
    out = []
    for t in results["topologies"]:
        if t["status"] != "ok":
            out.append(f"- {t['name']}: {t['status']}: {t['reason']}")
            continue
        runs = [(f"stream {size_label(e['size'])} {tool}", e[tool])
                for e in t["stream"] for tool in ("calperf", "qperf") if e.get(tool)]
        runs += [(f"rr {tool}", r) for tool, r in t["rr"].items()]
        if t.get("hops"):
            runs.append(("hops", t["hops"]))
        out += [f"- {t['name']}: {what}: {r['error']}" for what, r in runs if "error" in r]
    return out


def host_cpu(results):
    """The CPU tables of a two-machine study: each host's own figures."""
    md = ["## CPU (cores)\n",
          "Each machine's own CPU: calperf's is the path CPU of the host (its "
          "kthread, and the softirq and hardirq time outside it) over its end's data "
          "phase, so a receiver that listened before its sender came is not diluted "
          "by the wait; qperf's is each host's busy share from its own /proc/stat.\n",
          sweep_table(results, [("calperf A", "calperf", "sender_cpu"),
                                ("calperf B", "calperf", "receiver_cpu"),
                                ("qperf A", "qperf", "sender_cpu"),
                                ("qperf B", "qperf", "receiver_cpu")], "cores"),
          "## CPU per Gb/s (cores)\n",
          "Each host's CPU per Gb/s of throughput (A sends, B receives).\n",
          sweep_table(results, [("calperf A", "calperf", "sender_cpu_per_gbps"),
                                ("calperf B", "calperf", "receiver_cpu_per_gbps"),
                                ("qperf A", "qperf", "sender_cpu_per_gbps"),
                                ("qperf B", "qperf", "receiver_cpu_per_gbps")],
                      "per_gbps")]
    return "\n".join(md)


def write_report(results, out, plots):
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(render(results, plots))


def study_title(results):
    """What a study measured between what: its section's heading in a
    merged report."""
    hosts = results.get("hosts")
    if hosts:
        return f"{hosts['A']['dest']} to {hosts['B']['dest']}"
    return f"one machine, kernel {results['machine']['kernel']}"


def write_merged(studies, path):
    """One report of several studies (each a results directory's
    results.json): a section per study, holding that study's report
    with its headings one level down."""
    md = [f"# calperf studies: {len(studies)} merged\n"]
    md += [f"- {study_title(r)}: `{d}`, {r['started']}" for d, r in studies]
    md.append("")
    for _, results in studies:
        text = render(results, [], study_title(results))
        md.append(re.sub(r"^#", "##", text, flags=re.M))
    with open(path, "w") as f:
        f.write("\n".join(md))


def render(results, plots, title=None):
    """report.md's text; @title replaces the list of topologies in its
    first heading."""
    c, m = results["config"], results["machine"]
    hosts = results.get("hosts")
    if hosts:
        a, b = hosts["A"], hosts["B"]
        where = (f"Two machines over SSH: A = {a['dest']} (senders; kernel {a['kernel']}, "
                 f"{a['cpus']} CPUs, {a['cpu_model']}) and B = {b['dest']} (receivers; "
                 f"kernel {b['kernel']}, {b['cpus']} CPUs, {b['cpu_model']}), calperf "
                 f"{a['module']}; {results['started']}, {results['duration_s']:.0f} s "
                 "in all.  ")
    else:
        where = (f"Kernel {m['kernel']}, {m['cpus']} CPUs ({m['cpu_model']}); "
                 f"{results['started']}, {results['duration_s']:.0f} s in all.  ")
    names = ", ".join(t["name"] for t in measured(results))
    md = [f"# {title + ': ' + names if title else 'calperf study: ' + names}\n",
          where,
          f"{'Hosts' if hosts else 'Two hosts (network namespaces)'} over "
          f"{c['underlay']}, MTU {c['mtu']}; "
          f"client on CPU {c['client_cpu']}, server on CPU {c['server_cpu']}; "
          f"stream runs of {c['time']} s, rr runs of {c['rr_time']} s, "
          f"{'one run' if c.get('reps', 1) == 1 else 'the median of %d runs' % c['reps']} "
          "per figure (calperf's and qperf's in turn). "
          f"The message size is the bytes per send call; {SOCKBUF[c['sockbuf']]}\n"]
    for t in results["topologies"]:
        md.append(f"- **{t['name']}**: {t['title']}"
                  + ("" if t["status"] == "ok" else f" ({t['status']}: {t['reason']})"))
    md.append("")

    md.append("## Throughput (Gb/s)\n")
    md.append(sweep_table(results, [("calperf", "calperf", "gbps"),
                                    ("qperf", "qperf", "gbps")], "gbps"))
    if hosts:
        md.append(host_cpu(results))
    else:
        md.append("## CPU (cores)\n")
        md.append("calperf: the sender's and the receiver's side, each the CPU time "
                  "(kthread, softirq, hardirq) on the CPU that end is pinned to. qperf: "
                  "the machine's busy share from /proc/stat, which is both sides at "
                  "once here, since both hosts share one machine.\n")
        md.append(sweep_table(results, [("calperf send", "calperf", "sender_cpu"),
                                        ("calperf recv", "calperf", "receiver_cpu"),
                                        ("qperf", "qperf", "busy_cpu")], "cores"))
        md.append("## CPU per Gb/s (cores)\n")
        md.append("calperf: the busier side, as the seed reports it; qperf: the whole "
                  "machine. The two are not the same quantity (see CPU above).\n")
        md.append(sweep_table(results, [("calperf", "calperf", "cpu_per_gbps"),
                                        ("qperf", "qperf", "cpu_per_gbps")], "per_gbps"))

    md.append("## 1-byte latency (us, RTT/2)\n")
    rows = []
    for t in measured(results):
        rr = t["rr"]
        rows.append([t["name"], fmt("us", cell(rr, "calperf", "latency_us")),
                     fmt("us", cell(rr, "calperf", "rtt_p50_us")),
                     fmt("us", cell(rr, "calperf", "rtt_p99_us")),
                     fmt("us", cell(rr, "qperf", "latency_us"))])
    md.append(table(["topology", "calperf", "calperf RTT p50", "calperf RTT p99", "qperf"],
                    rows))

    md.append("## Per-hop latency (us)\n")
    if hosts:
        md.append("Not measured between two machines: a sample is closed only where "
                  "calperf's receiver reads it, on the other host.\n")
    for t in measured(results):
        h = t.get("hops")
        if not h:
            continue
        if "error" in h:
            md.append(f"### {t['name']}\n\nnot measured: {h['error']}\n")
            continue
        md.append(f"### {t['name']}, stream of {size_label(h['size'])} messages\n")
        rate = f" (one in {h['sample']})" if "sample" in h else ""
        md.append(f"{h['complete']} of {h['sampled']} sampled sends{rate} traced end to end "
                  f"({h['gbps']:.3f} Gb/s, socket buffers of {size_label(h['size'])} so "
                  "that queues stay short); each row is the time from the point above "
                  "it (the first, from the send call).\n")
        rows = [[str(i), p["point"], p["ifname"] or "-", p["netns"], str(p["count"]),
                 fmt("us", p["p50_us"]), fmt("us", p["p99_us"])]
                for i, p in enumerate(h["path"], start=1)]
        e = h["end_to_end"]
        rows.append(["", "end to end", "", "", str(e["count"]), fmt("us", e["p50_us"]),
                     fmt("us", e["p99_us"])])
        md.append(table(["hop", "point", "device", "netns", "samples", "p50", "p99"], rows))

    if plots:
        md.append("## Plots\n")
        md += [f"![{title}](plots/{name}.png)\n" for name, title in plots]
    problems = errors(results)
    if problems:
        md.append("## Not measured\n")
        md += problems
        md.append("")
    return "\n".join(md)
