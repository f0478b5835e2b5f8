#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""calperf-study end to end, on a tiny sweep (two topologies, two sizes)
between the VM's NICs: it completes, leaves no namespace behind, writes
results, CSV, a report and every plot, and every figure in the report is
the one in results.json. Bad options get one clear line."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, module_loaded, REPO, session_count, sh  # noqa: E402
from ktap import check, DEBUG_KERNEL, diag, Ktap, shared, Skip  # noqa: E402

CALPERF_STUDY = os.path.join(REPO, "user", "calperf-study")
OUT = "/tmp/calperf-study-test"
TOPOS = ["bare", "calico"]
SIZES = ["1K", "16K"]
# Under the report's precision per unit (user/study/report.py).
FORMAT = {"gbps": "{:.3f}", "cores": "{:.2f}", "us": "{:.1f}"}


def run_study(*args, timeout=900):
    return subprocess.run([CALPERF_STUDY, *args], capture_output=True, text=True,
                          timeout=timeout * (10 if DEBUG_KERNEL else 1))


def sections(md):
    """The report's tables, by the heading above them: the header row
    and the data rows (the |---| line is left out)."""
    found, heading = {}, None
    for line in md.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("| ") and heading:
            cells = [c.strip() for c in line.strip("|").split("|")]
            found.setdefault(heading, []).append(cells)
    return found


def fig(unit, v):
    return "-" if v is None else FORMAT[unit].format(v)


def nics_and_module():
    if not all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")):
        sh("modprobe virtio_net", check_rc=False)
    if not all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")):
        raise Skip("no NIC pair (selftests/vm/run --nics)")
    if not module_loaded():
        module_load()


t = Ktap(setup=nics_and_module)


class TinyStudy:
    """The tiny study, run once for the tests that read what it wrote: its
    results (res) and progress lines. Its plots are drawn by 'report', as
    make study draws them (gnuplot under TCG is slow: once is enough)."""

    def __init__(self):
        sh(f"rm -rf {OUT}")
        p = run_study("--out", OUT, "--topologies", ",".join(TOPOS),
                      "--sizes", ",".join(SIZES), "--time", "1", "--rr-time", "1",
                      "--hop-size", "16K", "--no-plots",
                      # Every send traced: the debug kernel's NIC path carries
                      # about ten 16K sends in a second.
                      "--hop-sample", "1")
        check(p.returncode == 0, f"calperf-study failed ({p.returncode}): {p.stdout} {p.stderr}")
        check(f"report: {OUT}/report.md" in p.stdout, f"no pointer to the report: {p.stdout}")
        self.progress = [ln for ln in p.stderr.splitlines() if ln.startswith("[")]
        self.res = json.load(open(f"{OUT}/results.json"))
        before = open(f"{OUT}/report.md").read()
        p = run_study("report", OUT)
        check(p.returncode == 0, f"calperf-study report failed ({p.returncode}): "
              f"{p.stdout} {p.stderr}")
        check(open(f"{OUT}/report.md").read().startswith(before.rstrip("\n")),
              "the report drawn again from results.json differs")


STUDY = shared(TinyStudy)


@t.test(study=STUDY)
def progress_lines(study):
    """A line per step: where, elapsed, and the time left."""
    steps = len(TOPOS) * (1 + len(SIZES) + 1 + 1)
    check(len(study.progress) == steps, f"{len(study.progress)} progress lines, {steps} steps")
    for i, line in enumerate(study.progress, start=1):
        check(re.match(rf"\[ *{i}/{steps}\] \w+ +.+ \d+:\d\d elapsed, ~\d+:\d\d left$",
                       line), line)
    check(" bare    build " in study.progress[0] and "stream 1K " in study.progress[1]
          and "calico  hops" in study.progress[-1], study.progress)


@t.test(study=STUDY)
def all_measured(study):
    check([x["name"] for x in study.res["topologies"]] == TOPOS, study.res["topologies"])
    for topo in study.res["topologies"]:
        check(topo["status"] == "ok", f"{topo['name']}: {topo}")
        check(len(topo["stream"]) == 2, topo["stream"])
        for e in topo["stream"]:
            for tool in ("calperf", "qperf"):
                r = e[tool]
                check("error" not in r and r["gbps"] > 0, f"{topo['name']} {e['size']} {tool}: {r}")
            c = e["calperf"]
            check(c["sender_cpu"] > 0 and c["receiver_cpu"] > 0 and c["cpu_per_gbps"] > 0, c)
        for tool in ("calperf", "qperf"):
            check(topo["rr"][tool]["latency_us"] > 0, topo["rr"])
        check(topo["hops"]["complete"] > 0, topo["hops"])


@t.test(study=STUDY)
def hop_paths(study):
    """The traced devices are those of each path: the two NICs, and for
    Calico the workloads' veths and the hosts' cali devices too."""
    want = {"bare": ["eth0", "eth1"],
            "calico": ["eth0", "caliA", "eth0", "eth1", "caliB", "eth0"]}
    for topo in study.res["topologies"]:
        devs = []
        for p in topo["hops"]["path"]:
            if p["ifname"] and (not devs or devs[-1][0] != (p["ifname"], p["netns"])):
                devs.append(((p["ifname"], p["netns"]), p))
        names = [d[0][0] for d in devs]
        check(names == want[topo["name"]], f"{topo['name']}: {names}")


@t.test(study=STUDY)
def files_written(study):
    names = ["results.json", "stream.csv", "latency.csv", "hops.csv", "report.md"]
    names += [f"plots/{p}.png" for p in ("throughput", "cpu", "cpu_per_gbps", "latency")]
    names += [f"plots/hops-{x}.png" for x in TOPOS]
    for n in names:
        path = f"{OUT}/{n}"
        check(os.path.exists(path) and os.path.getsize(path) > 0, f"{n} missing or empty")
        if n.endswith(".png"):
            check(open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{n} is not a PNG")
            check(f"]({n})" in open(f"{OUT}/report.md").read(), f"{n} not in the report")
    rows = open(f"{OUT}/stream.csv").read().splitlines()
    check(len(rows) == 1 + len(TOPOS) * len(SIZES) * 2, f"stream.csv rows: {len(rows)}")


@t.test(study=STUDY)
def report_matches_json(study):
    """Every figure of every table is results.json's, in its unit."""
    tables = sections(open(f"{OUT}/report.md").read())
    topos = {x["name"]: x for x in study.res["topologies"]}
    n = 0

    def sweep(heading, columns):
        nonlocal n
        rows = tables[heading]
        header = rows[0]
        want = ["size"] + [f"{x} {label}" for x in TOPOS for label, _, _, _ in columns]
        check(header == want, f"{heading}: header {header}")
        for i, row in enumerate(rows[1:]):
            check(row[0] == SIZES[i], f"{heading}: row {row}")
            col = 1
            for x in TOPOS:
                e = topos[x]["stream"][i]
                for _, tool, key, unit in columns:
                    check(row[col] == fig(unit, e[tool].get(key)),
                          f"{heading} {SIZES[i]} {x} {tool} {key}: {row[col]} vs {e[tool]}")
                    col += 1
                    n += 1

    sweep("Throughput (Gb/s)", [("calperf", "calperf", "gbps", "gbps"),
                                ("qperf", "qperf", "gbps", "gbps")])
    sweep("CPU (cores)", [("calperf send", "calperf", "sender_cpu", "cores"),
                          ("calperf recv", "calperf", "receiver_cpu", "cores"),
                          ("qperf", "qperf", "busy_cpu", "cores")])
    sweep("CPU per Gb/s (cores)", [("calperf", "calperf", "cpu_per_gbps", "cores"),
                                   ("qperf", "qperf", "cpu_per_gbps", "cores")])
    lat = tables["1-byte latency (us, RTT/2)"][1:]
    for row, x in zip(lat, TOPOS):
        rr = topos[x]["rr"]
        check(row == [x, fig("us", rr["calperf"]["latency_us"]),
                      fig("us", rr["calperf"]["rtt_p50_us"]),
                      fig("us", rr["calperf"]["rtt_p99_us"]),
                      fig("us", rr["qperf"]["latency_us"])], f"latency row {row}")
        n += 4
    for x in TOPOS:
        h = topos[x]["hops"]
        rows = tables[f"{x}, stream of 16K messages"][1:]
        check(len(rows) == len(h["path"]) + 1, f"{x}: hop rows {len(rows)}")
        for row, p in zip(rows, h["path"]):
            check(row[1:] == [p["point"], p["ifname"] or "-", p["netns"], str(p["count"]),
                              fig("us", p["p50_us"]), fig("us", p["p99_us"])],
                  f"{x} hop row {row} vs {p}")
            n += 3
        e = h["end_to_end"]
        check(rows[-1][-3:] == [str(e["count"]), fig("us", e["p50_us"]),
                                fig("us", e["p99_us"])], f"{x} end to end {rows[-1]}")
    diag(f"{n} figures checked against results.json")


@t.test(study=STUDY)
def left_clean(study):
    ns = sh("ip netns list").stdout
    check("cps-" not in ns, f"namespaces left: {ns}")
    check(all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")),
          "the NICs are not back")
    check(session_count() == 0, "sessions left")


OVS_OUT = "/tmp/calperf-study-ovs"
OVS_DAEMONS = ("ovsdb-server", "ovs-vswitchd")


def ovs_left():
    """What an Open vSwitch would leave behind: its daemons, its
    datapath's and ports' devices (here or in a study namespace), the
    study's switch directories."""
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        comm, state = stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2]
        # A zombie has exited (its parent, init here, has yet to reap it).
        if comm in OVS_DAEMONS and state != "Z":
            left.append(f"{comm} (pid {pid})")
    devs = sh("ip -br link").stdout + sh("ip -all netns exec ip -br link",
                                        check_rc=False).stdout
    left += [ln.split()[0] for ln in devs.splitlines()
             if re.match(r"(ovs-system|br-int|vxlan_sys_)", ln)]
    if os.path.isdir("/run/calperf-study"):
        left += [f"/run/calperf-study/{d}" for d in os.listdir("/run/calperf-study")]
    return left


@t.test
def ovs_vxlan():
    """The Open vSwitch path, from the cache 'make deps' fills: both
    hosts' switches built (their own ovsdb-server and ovs-vswitchd),
    calperf's stream carried through them, the OVS datapath's VXLAN
    port in the hop table between the workloads' veths and the NICs,
    and, once torn down, no daemon, datapath or bridge left."""
    if DEBUG_KERNEL:
        raise Skip("the debug kernel has no openvswitch module")
    sh(f"rm -rf {OVS_OUT}")
    began = time.monotonic()
    p = run_study("--out", OVS_OUT, "--topologies", "ovs", "--sizes", "16K", "--time", "1",
                  "--rr-time", "1", "--hop-size", "16K", "--hop-sample", "1", "--no-qperf",
                  "--no-plots")
    res = json.load(open(f"{OVS_OUT}/results.json"))
    topo = res["topologies"][0]
    if topo["status"] == "skipped":
        raise Skip(topo["reason"])
    check(p.returncode == 0 and topo["status"] == "ok",
          f"calperf-study failed ({p.returncode}): {topo} {p.stdout} {p.stderr}")
    diag(f"{topo['ovs']}; the study took {time.monotonic() - began:.0f} s")
    c = topo["stream"][0]["calperf"]
    check("error" not in c and c["gbps"] > 0, f"stream {c}")
    check(topo["rr"]["calperf"]["latency_us"] > 0 and topo["hops"]["complete"] > 0, topo)
    devs = []
    for h in topo["hops"]["path"]:
        if h["ifname"] and (not devs or devs[-1] != (h["ifname"], h["netns"])):
            devs.append((h["ifname"], h["netns"]))
    want = [("eth0", "cps-wA"), ("vethA", "cps-hA"), ("vxlan_sys_4789", "cps-hA"),
            ("eth0", "cps-hA"), ("eth1", "cps-hB"), ("vxlan_sys_4789", "cps-hB"),
            ("vethB", "cps-hB"), ("eth0", "cps-wB")]
    check(devs == want, f"hop devices {devs}")
    md = sections(open(f"{OVS_OUT}/report.md").read())
    rows = md["ovs, stream of 16K messages"]
    check(any("vxlan_sys_4789" in row for row in rows), f"no OVS port in the hop table {rows}")
    left = ovs_left()
    check(not left, f"left behind: {left}")


@t.test
def bad_options():
    for args, msg in ((["--topologies", "nope"], "unknown topology nope"),
                      (["--sizes", "0"], "'0' is out of range"),
                      (["--hop-sample", "0"], "--hop-sample must be 1 to 1000000")):
        p = run_study(*args)
        check(p.returncode == 2 and msg in p.stderr, f"{args}: {p.returncode} {p.stderr}")
    p = run_study("report", "/nonexistent")
    check(p.returncode == 1 and "Error: /nonexistent: no study results" in p.stderr,
          p.stderr)


t.run()
