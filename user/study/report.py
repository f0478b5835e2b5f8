# SPDX-License-Identifier: GPL-2.0
"""What a study run leaves behind, from results.json alone: CSV files
and report.md, whose tables put calperf and qperf side by side. Every
figure in the report is a value of results.json, printed with the
precision of its unit (FORMAT)."""

import csv
import os
import re

from stats import CI_MIN_RUNS, overlap

# Where two figures of a table are compared (calperf with qperf, a
# topology with bare), this marks the second when the difference is
# within the spread: their intervals overlap.
SAME = "≈"

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


def figure(unit, run, key):
    """A figure as the tables print it: the median, and over several runs
    its spread, "median (min-max)", with "[low-high]", the 95 % interval
    of the median, from CI_MIN_RUNS runs."""
    v = None if not run or "error" in run else run.get(key)
    if v is None:
        return "-"
    out = fmt(unit, v)
    sp = run.get("spread", {}).get(key)
    if sp and run.get("runs", 1) > 1:
        out += f" ({fmt(unit, sp[0])}-{fmt(unit, sp[1])})"
    ci = run.get("ci95", {}).get(key)
    if ci and ci != sp:
        out += f" [{fmt(unit, ci[0])}-{fmt(unit, ci[1])}]"
    return out


def marked(unit, run, key, other):
    """figure(), marked SAME when it is within the spread of @other's."""
    out = figure(unit, run, key)
    return out + " " + SAME if other is not None and overlap(run, other, key) else out


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


STREAM_KEYS = ("gbps", "sender_cpu", "receiver_cpu", "softirq_cpu", "busy_cpu",
               "cpu_per_gbps")


def reps(run):
    """Every run a tool's figures were taken from (one before --reps)."""
    if run is None:
        return []
    return run.get("reps") or [run]


def write_csv(results, out):
    with open(os.path.join(out, "stream.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "msg_size", "tool", "gbps", "sender_cpu", "receiver_cpu",
                    "softirq_cpu", "busy_cpu", "cpu_per_gbps", "error", "runs", "gbps_min",
                    "gbps_max"])
        for t in measured(results):
            for e in t["stream"]:
                for tool in ("calperf", "qperf"):
                    r = e.get(tool)
                    if r is None:
                        continue
                    sp = r.get("spread", {}).get("gbps", [None, None])
                    w.writerow([t["name"], e["size"], tool] +
                               [r.get(k) for k in STREAM_KEYS + ("error",)] +
                               [r.get("runs", 1)] + sp)
    # Every run, in the order taken (the warm-up's too, marked).
    with open(os.path.join(out, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "kind", "msg_size", "tool", "order", "at_s", "warmup"] +
                   list(STREAM_KEYS) + ["latency_us", "error"])
        for t in measured(results):
            rows = [("stream", e["size"], tool, r, 0) for e in t["stream"]
                    for tool in ("calperf", "qperf") for r in reps(e.get(tool))]
            rows += [("rr", "", tool, r, 0) for tool in ("calperf", "qperf")
                     for r in reps(t["rr"].get(tool))]
            wu = t.get("warmup", {})
            rows += [("stream", wu["size"], tool, wu[tool], 1) for tool in ("calperf", "qperf")
                     if tool in wu]
            for kind, size, tool, r, warm in sorted(rows, key=lambda x: x[3].get("order", 0)):
                w.writerow([t["name"], kind, size, tool, r.get("order"), r.get("at_s"), warm] +
                           [r.get(k) for k in STREAM_KEYS + ("latency_us", "error")])
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


def sweep_table(results, columns, unit, against=None):
    """Rows: message sizes; columns: for each topology, each of @columns
    (label, tool, key): calperf's and qperf's figures side by side. With
    @against {tool: other tool}, a figure within the spread of the other
    tool's is marked SAME."""
    topos = measured(results)
    against = against or {}
    header = ["size"]
    for t in topos:
        header += [f"{t['name']} {label}" for label, _, _ in columns]
    rows = []
    for i, size in enumerate(results["config"]["sizes"]):
        row = [size_label(size)]
        for t in topos:
            e = t["stream"][i] if i < len(t["stream"]) else {}
            row += [marked(unit, e.get(tool), key, e.get(against[tool]) if tool in against
                           else None) for _, tool, key in columns]
        rows.append(row)
    return table(header, rows)


def relative_table(results, key, unit):
    """Each topology's figure over the first's (bare, as the seed
    compares), per tool and size; SAME where the two overlap."""
    topos = measured(results)
    base, others = topos[0], topos[1:]
    tools = [x for x in ("calperf", "qperf")
             if any(x in e for t in topos for e in t["stream"])]
    header = ["size"] + [f"{t['name']} {tool}" for t in others for tool in tools]
    rows = []
    for i, size in enumerate(results["config"]["sizes"]):
        row = [size_label(size)]
        b = base["stream"][i] if i < len(base["stream"]) else {}
        for t in others:
            e = t["stream"][i] if i < len(t["stream"]) else {}
            for tool in tools:
                x, y = cell(e, tool, key), cell(b, tool, key)
                if x is None or not y:
                    row.append("-")
                    continue
                same = overlap(e.get(tool), b.get(tool), key)
                row.append(f"{x / y:.2f}" + (" " + SAME if same else ""))
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
        # Runs that failed among others that did not (their figures are
        # the others').
        out += [f"- {t['name']}: {what}: run {i} of {len(r['reps'])}: {x['error']}"
                for what, r in runs if "error" not in r and r.get("failed_runs")
                for i, x in enumerate(r["reps"], start=1) if "error" in x]
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


def method(results):
    """How the figures were taken: repetitions, spread, order, warm-up."""
    c = results["config"]
    n = c.get("reps", 1)
    if n == 1:
        text = "Each figure is one run (no spread: run with --reps N for it). "
    else:
        text = (f"Each figure is the median of {n} runs, printed as median (min-max)"
                + (" [95 % interval of the median]: an interval of order statistics "
                   "by the binomial method (distribution-free), printed where it is "
                   "narrower than min-max (from 9 runs; with 5 runs min-max covers the "
                   "median with 93.8 %, from 6 runs with at least 96.9 %)"
                   if n >= CI_MIN_RUNS else "")
                + f"; {SAME} marks a figure whose difference from the one it is "
                "compared with (qperf's with calperf's, a topology's with the first's) "
                "is within the spread: their intervals overlap. ")
    if n > 1:
        text += ("Runs were taken in an order that lets no drift favour one side: "
                 "each repetition sweeps the message sizes, upwards and downwards in "
                 "turn, and calperf and qperf take turns at going first. ")
    if c.get("warmup"):
        text += ("The first run of each tool on each topology is a warm-up, discarded "
                 "(reported apart at the end). ")
    else:
        text += "There was no warm-up run. "
    return text + "Per-hop tables come from one run each."


def timebase(p):
    if not p.get("timebase"):
        return ""
    vm = (f" (CPU model {p['vm_cpu_model']} of a QEMU guest)" if p.get("vm_cpu_model")
          else "")
    if p["timebase"] == "icount":
        return (f"Time base: icount, deterministic: the guest's clock advances "
                f"{p.get('ns_per_insn', 8):g} ns per instruction executed and skips idle "
                f"time, so a figure counts instructions, not wall time{vm}.")
    return (f"Time base: the wall clock{vm}"
            + (": under QEMU's TCG, figures are about ten times below hardware and "
               "vary from run to run" if vm else "") + ".")


def provenance_section(results):
    """Which calperf, kernel, TCP settings and devices produced the figures."""
    p = results.get("provenance")
    if not p:
        return ""
    md = ["## Provenance\n"]
    cal = p.get("calperf", {})
    md.append(f"- calperf: calperfctl {cal.get('calperfctl')}, module {cal.get('module')}"
              + (f", study from git commit {cal['study_commit']}"
                 if cal.get("study_commit") else ""))
    # Where a path ran on Open vSwitch, which (older results name none).
    md += [f"- {t['name']} path: {t['ovs']}" for t in results["topologies"] if t.get("ovs")]
    hosts = results.get("hosts")
    machines = ([(f"{r} ({h['dest']})", h.get("provenance", {})) for r, h in hosts.items()]
                if hosts else [("this machine", p)])
    for name, m in machines:
        if not m:
            continue
        md.append(f"- {name}: kernel {m.get('kernel')}, {m.get('cpus')} CPUs "
                  f"({m.get('cpu_model')}), {m.get('qperf') or 'qperf not installed'}")
        md.append(f"  - command line: `{m.get('cmdline', '')}`")
        if m.get("clock") or m.get("virt"):
            md.append(f"  - clock: {m.get('clock') or 'unknown'}; virtualisation: "
                      f"{m.get('virt') or 'unknown'}")
        sysctl = m.get("sysctl", {})
        if sysctl:
            md.append("  - " + "; ".join(f"{k.removeprefix('net.ipv4.')} {v}"
                                         for k, v in sysctl.items()))
        for dev, d in m.get("devices", {}).items():
            md.append(f"  - {dev}: {device_line(d)}")
    opts = p.get("options")
    if opts:
        md.append("- options: " + ", ".join(f"{k}={v}" for k, v in opts.items()))
    md.append("")
    rows = []
    for t in measured(results):
        for ns, n in t.get("provenance", {}).items():
            for dev, d in n.get("devices", {}).items():
                o = d.get("offloads", {})
                rows.append([t["name"], ns, dev, d.get("driver") or "-", str(d.get("mtu"))] +
                            [o.get(k, "-") for k in ("tso", "gso", "gro", "rx_csum",
                                                      "tx_csum")])
    if rows:
        md.append("The devices of each path, as measured:\n")
        md.append(table(["topology", "netns", "device", "driver", "MTU", "tso", "gso",
                         "gro", "rx csum", "tx csum"], rows))
        # TCP settings per namespace: one line per distinct setting.
        seen = {}
        for t in measured(results):
            for ns, n in t.get("provenance", {}).items():
                key = tuple(sorted(n.get("sysctl", {}).items()))
                seen.setdefault(key, []).append(ns)
        if len(seen) > 1:
            md.append("TCP settings differ between namespaces:\n")
            md += [f"- {', '.join(sorted(set(v)))}: " +
                   "; ".join(f"{k.removeprefix('net.ipv4.')} {x}" for k, x in key)
                   for key, v in seen.items()]
            md.append("")
    return "\n".join(md)


def device_line(d):
    o = d.get("offloads", {})
    return (f"driver {d.get('driver') or '-'}, MTU {d.get('mtu')}, "
            + ", ".join(f"{k} {v}" for k, v in o.items()))


# What the seed (Project Calico's dataplane measurements: two 8-core
# servers, 10 Gb/s, MTU 1500, qperf) concluded per path, relative to bare
# metal: throughput at 20,000-byte messages, and 1-byte latency (bare
# 20 us). None where it measured no such path.
SEED = {
    "calico": ("the same as bare (the link saturated)", 25 / 20),
    "vm": ("the same as bare (the link saturated)", 70 / 20),
    "ovs": ("substantially lower at MTU 1500 (above 8 Gb/s at MTU 9000)", 70 / 20),
}


def saturation(t, tool="calperf"):
    """The smallest message size at which @tool's throughput comes within
    10 % of its highest over the sweep, or None."""
    pts = [(e["size"], cell(e, tool, "gbps")) for e in t["stream"]]
    pts = [(sz, v) for sz, v in pts if v is not None]
    if not pts:
        return None
    top = max(v for _, v in pts)
    return next(sz for sz, v in pts if v >= 0.9 * top)


def seed_section(results):
    """This run's shape against the seed's published conclusions: each
    path's throughput at the largest message size and its 1-byte latency
    relative to bare, CPU per Gb/s at the smallest size relative to bare,
    and where throughput stops growing with the message size."""
    topos = {t["name"]: t for t in measured(results)}
    md = ["## Against the seed\n"]
    if "bare" not in topos or len(topos) < 2:
        md.append("The seed compares each path with bare metal: this run did not measure "
                  "bare and another path, so there is nothing to set beside it.\n")
        return "\n".join(md)
    base = topos["bare"]
    big, small = base["stream"][-1], base["stream"][0]

    def rel(e, b, key):
        """calperf's @key of entry @e over bare's entry @b."""
        x, y = cell(e, "calperf", key), cell(b, "calperf", key)
        if x is None or not y:
            return "-"
        same = overlap(e.get("calperf"), b.get("calperf"), key)
        return f"{x / y:.2f}" + (" " + SAME if same else "")

    rows = []
    for name, t in topos.items():
        if name == "bare" or len(t["stream"]) != len(base["stream"]):
            continue
        seed_thr, seed_lat = SEED.get(name, ("not measured", None))
        sat = saturation(t)
        rows.append([name, rel(t["stream"][-1], big, "gbps"), seed_thr,
                     rel(t["stream"][0], small, "cpu_per_gbps"),
                     rel(t["rr"], base["rr"], "latency_us"),
                     "-" if seed_lat is None else f"{seed_lat:.2f}",
                     "-" if sat is None else size_label(sat)])
    sat = saturation(base)
    md.append(f"The seed measured two 8-core servers over a 10 Gb/s link at MTU 1500: bare "
              f"metal, Calico containers and VMs, and OpenStack with Open vSwitch and VXLAN. "
              f"It found that at large messages (20,000 bytes) Calico's paths carry what bare "
              f"metal carries, OVS with VXLAN much less; that at small messages every path is "
              f"bound by the sender's CPU (the copy of each send call), where a container's "
              f"veth and namespace cost CPU that bare metal does not pay; and 1-byte latencies "
              f"of 20 us bare, 25 us through a container, 70 us through a VM or OVS with "
              f"VXLAN. Below, this run's calperf figures over bare's "
              f"({SAME}: within the spread); bare's throughput stops growing (within 10 % of "
              f"its highest) at {'-' if sat is None else size_label(sat)} messages.\n")
    md.append(table(["topology", f"throughput at {size_label(big['size'])} over bare",
                     "seed (20,000 B)", f"CPU per Gb/s at {size_label(small['size'])} over bare",
                     "1-byte latency over bare", "seed latency over bare", "saturates at"],
                    rows))
    vm = results.get("provenance", {}).get("vm_cpu_model")
    md.append("These are not the seed's conditions"
              + (": here both hosts share one machine, and under QEMU's TCG every figure "
                 "is about ten times below hardware, CPU bound at every size, with no link "
                 "to saturate. Read the ratios between paths, not the figures, "
                 if vm else " (other machines, kernel and NICs): read the ratios, ")
              + "and only where they lie outside the spread.\n")
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
          f"{c['underlay']}" + (f", MTU {c['mtu']}" if c.get("mtu") else "") + "; "
          f"client on CPU {c['client_cpu']}, server on CPU {c['server_cpu']}; "
          f"stream runs of {c['time']} s, rr runs of {c['rr_time']} s. "
          f"The message size is the bytes per send call; {SOCKBUF[c['sockbuf']]}\n",
          method(results), "",
          timebase(results.get("provenance", {})), ""]
    for t in results["topologies"]:
        md.append(f"- **{t['name']}**: {t['title']}"
                  + ("" if t["status"] == "ok" else f" ({t['status']}: {t['reason']})"))
    md.append("")
    md.append(provenance_section(results))

    md.append("## Throughput (Gb/s)\n")
    md.append(sweep_table(results, [("calperf", "calperf", "gbps"),
                                    ("qperf", "qperf", "gbps")], "gbps",
                          against={"qperf": "calperf"}))
    if len(measured(results)) > 1:
        base = measured(results)[0]["name"]
        md.append(f"### Throughput relative to {base}\n")
        md.append(f"Each topology's median over {base}'s, per tool; {SAME}: the two "
                  "overlap, so the difference is within the spread.\n")
        md.append(relative_table(results, "gbps", "gbps"))
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
        rows.append([t["name"], figure("us", rr.get("calperf"), "latency_us"),
                     figure("us", rr.get("calperf"), "rtt_p50_us"),
                     figure("us", rr.get("calperf"), "rtt_p99_us"),
                     marked("us", rr.get("qperf"), "latency_us", rr.get("calperf"))])
    md.append(table(["topology", "calperf", "calperf RTT p50", "calperf RTT p99", "qperf"],
                    rows))

    md.append("## Per-hop latency (us)\n")
    if hosts:
        md.append("Between two machines each host traces its own part of the same "
                  "sampled bytes, A from the send to its NIC and B from its NIC to the "
                  "read, each on its own clock: the wire between them, and so the end "
                  "to end, are not measured.\n")
    for t in measured(results):
        h = t.get("hops")
        if not h:
            continue
        if "error" in h:
            md.append(f"### {t['name']}\n\nnot measured: {h['error']}\n")
            continue
        md.append(f"### {t['name']}, stream of {size_label(h['size'])} messages\n")
        rate = f" (one in {h['sample']})" if "sample" in h else ""
        if "parts" in h:
            a, b = h["parts"]["A"], h["parts"]["B"]
            traced = (f"{a['complete']} samples traced through A's part (p50 "
                      f"{fmt('us', a['p50_us'])} us), {b['complete']} through B's (p50 "
                      f"{fmt('us', b['p50_us'])} us), of {h['sampled']} sampled sends{rate}")
            above = "the point above it on the same host"
        else:
            traced = f"{h['complete']} of {h['sampled']} sampled sends{rate} traced end to end"
            above = "the point above it"
        md.append(f"{traced} ({h['gbps']:.3f} Gb/s, socket buffers of "
                  f"{size_label(h['size'])} so that queues stay short); each row is the "
                  f"time from {above} (the first, from the send call).\n")
        rows = [[str(i), p["point"], p["ifname"] or "-", p["netns"], str(p["count"]),
                 fmt("us", p["p50_us"]), fmt("us", p["p99_us"])]
                for i, p in enumerate(h["path"], start=1)]
        e = h["end_to_end"]
        rows.append(["", "end to end", "", "", str(e["count"]), fmt("us", e["p50_us"]),
                     fmt("us", e["p99_us"])])
        md.append(table(["hop", "point", "device", "netns", "samples", "p50", "p99"], rows))

    md.append(seed_section(results))

    warm = [t for t in measured(results) if t.get("warmup")]
    if warm:
        md.append("## Warm-up runs (discarded)\n")
        md.append("The first run of each tool on each topology, kept out of every "
                  "figure above.\n")
        rows = [[t["name"], size_label(t["warmup"]["size"])] +
                [figure("gbps", t["warmup"].get(tool), "gbps") for tool in ("calperf", "qperf")]
                for t in warm]
        md.append(table(["topology", "size", "calperf Gb/s", "qperf Gb/s"], rows))

    if plots:
        md.append("## Plots\n")
        md += [f"![{title}](plots/{name}.png)\n" for name, title in plots]
    problems = errors(results)
    if problems:
        md.append("## Not measured\n")
        md += problems
        md.append("")
    return "\n".join(md)
