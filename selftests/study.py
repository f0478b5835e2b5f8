#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""calperf-study end to end, on a tiny sweep (the Calico path, two
sizes, three runs of each figure) between the VM's NICs: it completes, leaves no
namespace behind, writes results, CSV, a report and every plot; every
run is kept, each figure is the median of its runs with their min-max,
and every figure in the report is the one in results.json; the
provenance recorded is the machine's; 'compare' of the run with itself
finds no difference. Without the VM: the order of the runs, the
statistics (the binomial interval of the median), 'compare' of two
made-up studies, the report rendered again, qperf's units. Bad options
get one clear line."""
import copy
import importlib.machinery
import importlib.util
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, module_loaded, REPO, session_count, sh  # noqa: E402
from ktap import check, DEBUG_KERNEL, diag, Ktap, shared, Skip, unmet  # noqa: E402

sys.path.insert(0, os.path.join(REPO, "user", "study"))
import compare  # noqa: E402
import measure  # noqa: E402
import ovs  # noqa: E402
import report  # noqa: E402
import stats  # noqa: E402

CALPERF_STUDY = os.path.join(REPO, "user", "calperf-study")
OUT = "/tmp/calperf-study-test"
# One topology (the one with most devices) keeps this under a minute.
TOPOS = ["calico"]
SIZES = ["1K", "16K"]
SIZE_BYTES = [1024, 16384]
REPS = 3
# Not the default, so that the MTU recorded is the one set.
MTU = 1400
# Under the report's precision per unit (user/study/report.py).
FORMAT = {"gbps": "{:.3f}", "cores": "{:.2f}", "us": "{:.1f}"}
SAME = "\u2248"


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


def raw(run, key):
    return [r[key] for r in run["reps"] if "error" not in r and r.get(key) is not None]


def spread_fig(unit, run, key):
    """What the report must print for @key of @run, from its raw runs:
    median (min-max)."""
    v = raw(run, key)
    if not v:
        return "-"
    f = FORMAT[unit].format
    return f"{f(statistics.median(v))} ({f(min(v))}-{f(max(v))})"


def overlaps(r1, r2, key):
    a, b = raw(r1, key), raw(r2, key)
    return not (max(a) < min(b) or max(b) < min(a))


def nics_and_module():
    if not all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")):
        sh("modprobe virtio_net", check_rc=False)
    if not all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")):
        raise unmet("no NIC pair (selftests/vm/run --nics)")
    if not module_loaded():
        module_load()


t = Ktap()


class TinyStudy:
    """The tiny study, run once for the tests that read what it wrote: its
    results (res) and progress lines. Its plots are drawn by 'report', as
    make study draws them (gnuplot under TCG is slow: once is enough)."""

    def __init__(self):
        nics_and_module()
        sh(f"rm -rf {OUT}")
        p = run_study("--out", OUT, "--topologies", ",".join(TOPOS),
                      "--sizes", ",".join(SIZES), "--time", "1", "--rr-time", "1",
                      "--reps", str(REPS), "--mtu", str(MTU),
                      # run_order checks the warm-up: two runs fewer here.
                      "--no-warmup",
                      "--hop-size", "16K", "--no-plots",
                      # Every send traced: the debug kernel's NIC path carries
                      # about ten 16K sends in a second.
                      "--hop-sample", "1")
        check(p.returncode == 0, f"calperf-study failed ({p.returncode}): {p.stdout} {p.stderr}")
        check(f"report: {OUT}/report.md" in p.stdout, f"no pointer to the report: {p.stdout}")
        self.progress = [ln for ln in p.stderr.splitlines() if ln.startswith("[")]
        self.res = json.load(open(f"{OUT}/results.json"))
        diag(f"the study took {self.res['duration_s']:.1f} s")
        before = open(f"{OUT}/report.md").read()
        p = run_study("report", OUT)
        check(p.returncode == 0, f"calperf-study report failed ({p.returncode}): "
              f"{p.stdout} {p.stderr}")
        check(open(f"{OUT}/report.md").read().startswith(before.rstrip("\n")),
              "the report drawn again from results.json differs")


STUDY = shared(TinyStudy)


@t.test(study=STUDY)
def progress_lines(study):
    """A line per step: where, elapsed, and the time left; the sizes swept
    up, then down, then up."""
    steps = len(TOPOS) * (1 + REPS * (len(SIZES) + 1) + 1)
    p = TOPOS[0].ljust(7)
    check(len(study.progress) == steps, f"{len(study.progress)} progress lines, {steps} steps")
    for i, line in enumerate(study.progress, start=1):
        check(re.match(rf"\[ *{i}/{steps}\] \w+ +.+ \d+:\d\d elapsed, ~\d+:\d\d left$",
                       line), line)
    what = [re.sub(r" +\d+:\d\d elapsed.*", "", line.split("] ", 1)[1])
            for line in study.progress[:1 + REPS * 3]]
    want = [f"{p} {x}" for x in (
        "build", "stream 1K 1/3", "stream 16K 1/3", "rr 1/3", "stream 16K 2/3",
        "stream 1K 2/3", "rr 2/3", "stream 1K 3/3", "stream 16K 3/3", "rr 3/3")]
    check(what == want, what)
    check(f"{p} hops" in study.progress[-1], study.progress)


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
def reps_recorded(study):
    """Every run is kept, in the order taken; each figure is the median of
    its runs, its spread their min and max; the sizes go up then down and
    the tools take turns at going first."""
    n = 0
    for topo in study.res["topologies"]:
        runs = [(e["size"], tool, e[tool]) for e in topo["stream"] for tool in ("calperf", "qperf")]
        runs += [("rr", tool, topo["rr"][tool]) for tool in ("calperf", "qperf")]
        orders = []
        for what, tool, r in runs:
            check(len(r["reps"]) == REPS and r["runs"] == REPS,
                  f"{topo['name']} {what} {tool}: {len(r['reps'])} runs kept, {r['runs']} counted")
            orders += [x["order"] for x in r["reps"]]
            for key, v in r["spread"].items():
                vals = raw(r, key)
                check(len(vals) == REPS, f"{topo['name']} {what} {tool} {key}: {vals}")
                check(r[key] == statistics.median(vals) and v == [min(vals), max(vals)]
                      and v[0] <= r[key] <= v[1],
                      f"{topo['name']} {what} {tool} {key}: median {r[key]}, spread {v}, "
                      f"runs {vals}")
                n += 1
            check("gbps" in r["spread"] or "latency_us" in r["spread"], r["spread"])
        check("warmup" not in topo, "a warm-up run despite --no-warmup")
        check(sorted(orders) == list(range(len(orders))), f"orders {sorted(orders)}")
        s1k, s16k = topo["stream"]
        # Up, down, up; calperf first, then the tools in turn cell by cell.
        for rep, (first, second) in enumerate(((s1k, s16k), (s16k, s1k), (s1k, s16k))):
            check(first["calperf"]["reps"][rep]["order"] < second["calperf"]["reps"][rep]["order"],
                  f"{topo['name']}: rep {rep + 1} out of order")
        c, q = s1k["calperf"]["reps"][0]["order"], s1k["qperf"]["reps"][0]["order"]
        c2, q2 = s16k["calperf"]["reps"][0]["order"], s16k["qperf"]["reps"][0]["order"]
        check(c < q and q2 < c2, f"{topo['name']}: tools not in turn: {c} {q}, {c2} {q2}")
    rows = [r for r in open(f"{OUT}/runs.csv").read().splitlines()[1:]]
    want = len(TOPOS) * REPS * (len(SIZES) * 2 + 2)
    check(len(rows) == want, f"runs.csv: {len(rows)} rows, {want} runs")
    diag(f"{n} medians and spreads checked against their runs")


@t.test(study=STUDY)
def provenance_recorded(study):
    """What produced the figures is recorded, and is what this machine
    is: its kernel, command line, CPUs, calperf's versions, the time base,
    TCP settings, and each path's devices with the MTU they had."""
    p = study.res["provenance"]
    ver = open("/sys/module/calperf/version").read().strip()
    uname = os.uname().release
    cmdline = open("/proc/cmdline").read().strip()
    check(p["kernel"] == uname and p["cmdline"] == cmdline and p["cpus"] == os.cpu_count(),
          f"{p['kernel']} {p['cmdline']} {p['cpus']}")
    check(p["calperf"]["module"] == ver and p["calperf"]["calperfctl"] == ver, p["calperf"])
    check(p["timebase"] == os.environ.get("CALPERF_VM_TIMEBASE", "wall") and
          p["vm_cpu_model"] == os.environ.get("CALPERF_VM_CPU_MODEL"), p)
    check((p["qperf"] or "").startswith("qperf "), p["qperf"])
    for key in ("tcp_rmem", "tcp_wmem", "tcp_congestion_control", "tcp_timestamps"):
        want = open(f"/proc/sys/net/ipv4/{key}").read().split()
        check(p["sysctl"][f"net.ipv4.{key}"].split() == want, f"{key}: {p['sysctl']}")
    o = p["options"]
    check(o["reps"] == REPS and o["sizes"] == SIZE_BYTES and o["mtu"] == MTU
          and o["topologies"] == TOPOS, o)
    for topo in study.res["topologies"]:
        devs = {(ns, d): v for ns, x in topo["provenance"].items()
                for d, v in x["devices"].items()}
        for ns, dev in (("cps-hA", "eth0"), ("cps-hB", "eth1")):
            d = devs.get((ns, dev))
            check(d and d["mtu"] == MTU and d["driver"] == "virtio_net"
                  and set(d["offloads"]) == {"tso", "gso", "gro", "rx_csum", "tx_csum"},
                  f"{topo['name']} {ns} {dev}: {d}")
        if topo["name"] == "calico":
            cali = [v for (ns, dev), v in devs.items() if dev.startswith("cali")]
            check(len(cali) == 2 and all(v["mtu"] == MTU and v["driver"] == "veth"
                                         for v in cali), cali)
    # What the NIC has now it had then (the study changes no offload).
    now = {}
    for line in sh("ethtool -k eth0").stdout.splitlines():
        k, _, v = line.partition(": ")
        now[k.strip()] = v.split()[0] if v else ""
    rec = study.res["topologies"][0]["provenance"]["cps-hA"]["devices"]["eth0"]["offloads"]
    check(rec == {"tso": now["tcp-segmentation-offload"],
                  "gso": now["generic-segmentation-offload"],
                  "gro": now["generic-receive-offload"], "rx_csum": now["rx-checksumming"],
                  "tx_csum": now["tx-checksumming"]}, f"{rec} vs {now}")
    md = open(f"{OUT}/report.md").read()
    for want in (f"module {ver}", uname, "Time base: ", "the median of 3 runs",
                 "There was no warm-up run", "upwards and downwards"):
        check(want in md, f"'{want}' not in the report's header")


@t.test(study=STUDY)
def compare_with_itself(study):
    """A run against itself: every ratio 1, none outside the spread."""
    out = f"{OUT}/self"
    p = run_study("compare", OUT, OUT, "--out", out, "--no-plots")
    check(p.returncode == 0 and p.stdout.strip() == f"report: {out}/compare.md",
          f"{p.returncode} {p.stdout} {p.stderr}")
    cells = json.load(open(f"{out}/compare.json"))["cells"]
    want = len(TOPOS) * 2 * (len(SIZES) * 2 + 1)
    check(len(cells) == want, f"{len(cells)} cells compared, {want} figures")
    bad = [c for c in cells if c["ratio"] != 1 or c["outside_spread"] is not False]
    check(not bad, bad)
    check(f"0 of {want} figures differ by more than their spread" in
          open(f"{out}/compare.md").read(), "compare.md")


@t.test(study=STUDY)
def hop_paths(study):
    """The traced devices are those of each path: the two NICs, and for
    Calico the workloads' veths and the hosts' cali devices too."""
    want = {"calico": ["eth0", "caliA", "eth0", "eth1", "caliB", "eth0"]}
    for topo in study.res["topologies"]:
        devs = []
        for p in topo["hops"]["path"]:
            if p["ifname"] and (not devs or devs[-1][0] != (p["ifname"], p["netns"])):
                devs.append(((p["ifname"], p["netns"]), p))
        names = [d[0][0] for d in devs]
        check(names == want[topo["name"]], f"{topo['name']}: {names}")


@t.test(study=STUDY)
def files_written(study):
    names = ["results.json", "stream.csv", "runs.csv", "latency.csv", "hops.csv",
             "report.md"]
    names += [f"plots/{p}.png" for p in ("throughput", "cpu", "cpu_per_gbps", "latency")]
    names += [f"plots/hops-{x}.png" for x in TOPOS] + ["plots/hop_budget.png"]
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

    def sweep(heading, columns, mark=False):
        """The table's rows, each cell the median (min-max) of the runs in
        results.json; with @mark, qperf's marked where it overlaps calperf's."""
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
                    want = spread_fig(unit, e[tool], key)
                    if mark and tool == "qperf" and overlaps(e["qperf"], e["calperf"], key):
                        want += " " + SAME
                    check(row[col] == want,
                          f"{heading} {SIZES[i]} {x} {tool} {key}: {row[col]} vs {want}")
                    col += 1
                    n += 1

    sweep("Throughput (Gb/s)", [("calperf", "calperf", "gbps", "gbps"),
                                ("qperf", "qperf", "gbps", "gbps")], mark=True)
    sweep("CPU (cores)", [("calperf send", "calperf", "sender_cpu", "cores"),
                          ("calperf recv", "calperf", "receiver_cpu", "cores"),
                          ("qperf", "qperf", "busy_cpu", "cores")])
    sweep("CPU per Gb/s (cores)", [("calperf", "calperf", "cpu_per_gbps", "cores"),
                                   ("qperf", "qperf", "cpu_per_gbps", "cores")])
    lat = tables["1-byte latency (us, RTT/2)"][1:]
    for row, x in zip(lat, TOPOS):
        rr = topos[x]["rr"]
        q = spread_fig("us", rr["qperf"], "latency_us")
        if overlaps(rr["qperf"], rr["calperf"], "latency_us"):
            q += " " + SAME
        check(row == [x, spread_fig("us", rr["calperf"], "latency_us"),
                      spread_fig("us", rr["calperf"], "rtt_p50_us"),
                      spread_fig("us", rr["calperf"], "rtt_p99_us"), q], f"latency row {row}")
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


def ovs_left():
    """What an Open vSwitch would leave behind: its daemons (that have
    not exited: a zombie has), its datapath's and ports' devices (here
    or in a study namespace), the study's switch directories, the
    study's namespaces."""
    left = ovs.running()
    devs = sh("ip -br link").stdout + sh("ip -all netns exec ip -br link",
                                        check_rc=False).stdout
    left += [ln.split()[0] for ln in devs.splitlines()
             if re.match(r"(ovs-system|br-int|vxlan_sys_)", ln)]
    if os.path.isdir("/run/calperf-study"):
        left += [f"/run/calperf-study/{d}" for d in os.listdir("/run/calperf-study")]
    left += [ln.split()[0] for ln in sh("ip netns list").stdout.splitlines()
             if ln.startswith("cps-")]
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
                  "--rr-time", "1", "--hop-size", "16K", "--hop-sample", "1", "--no-qperf", "--no-warmup",
                  "--no-plots")
    res = json.load(open(f"{OVS_OUT}/results.json"))
    topo = res["topologies"][0]
    if topo["status"] == "skipped":
        # Under selftests/check, 'make deps' has filled the cache.
        raise unmet(topo["reason"])
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
    text = open(f"{OVS_OUT}/report.md").read()
    check(f"- ovs path: {topo['ovs']}" in text, "the report names no Open vSwitch version")
    rows = sections(text)["ovs, stream of 16K messages"]
    check(any("vxlan_sys_4789" in row for row in rows), f"no OVS port in the hop table {rows}")
    left = ovs_left()
    check(not left, f"left behind: {left}")


@t.test
def ovs_sigterm():
    """SIGTERM, once the Open vSwitch path's switches are up, ends the
    study as Ctrl-C does: it writes what was measured, exits 143, and
    leaves no daemon, device, namespace, switch directory or session
    behind."""
    if DEBUG_KERNEL:
        raise Skip("the debug kernel has no openvswitch module")
    nics_and_module()
    out = OVS_OUT + "-term"
    sh(f"rm -rf {out}")
    p = subprocess.Popen([CALPERF_STUDY, "--out", out, "--topologies", "ovs", "--sizes", "16K",
                          "--time", "5", "--rr-time", "5", "--no-qperf", "--no-warmup",
                          "--no-plots"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 120
    # Both hosts' switches started: each ovs-vswitchd wrote its pid file
    # (a daemon being started also shows as its detaching parent).
    pidfiles = [f"{ovs.SCRATCH}/ovs-{h}/ovs-vswitchd.pid" for h in "AB"]
    up = []
    while len(up) < 2 and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        up = [f for f in pidfiles if os.path.exists(f)]
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        stdout, stderr = p.communicate()
        check(False, f"the study outlived SIGTERM by 5 minutes: {stdout} {stderr}")
    if len(up) < 2 and os.path.exists(f"{out}/results.json"):
        topo = (json.load(open(f"{out}/results.json"))["topologies"] or [{}])[0]
        if topo.get("status") == "skipped":
            raise unmet(topo["reason"])
    check(len(up) == 2, f"the switches were not up: {up}; {stdout} {stderr}")
    check(p.returncode == 143 and "terminated: writing what was measured" in stdout,
          f"exit {p.returncode}: {stdout} {stderr}")
    check(os.path.exists(f"{out}/results.json") and os.path.exists(f"{out}/report.md"),
          "no results written")
    left = ovs_left()
    check(not left, f"left behind: {left}")
    # calperfctl, killed midway, left its session to the namespaces' exit.
    check(session_count() == 0, "sessions left")


def made_up(reps, seed=1):
    """A study's results.json as a study writes it, from made-up runs:
    two topologies, two sizes, both tools, @reps runs of each figure."""
    state = [seed]

    def noise():
        # A fixed sequence in [0.9, 1.1): the test's figures never change.
        state[0] = (state[0] * 1103515245 + 12345) % 2 ** 31
        return 0.9 + 0.2 * state[0] / 2 ** 31

    def stream(gbps):
        return {"gbps": gbps * noise(), "sender_cpu": 0.5 * noise(),
                "receiver_cpu": 0.4 * noise(), "busy_cpu": 0.9, "cpu_per_gbps": 2 / gbps}

    topos = []
    for name, f in (("bare", 1.0), ("calico", 0.5)):
        st = [{"size": size, "calperf": stats.combine([stream(f * size / 1e4)
                                                        for _ in range(reps)]),
               # Near calperf's at 1K, far at 16K: one pair overlaps, one not.
               "qperf": stats.combine([stream(f * size / (1.05e4 if size < 4096 else 2e4))
                                       for _ in range(reps)])}
              for size in SIZE_BYTES]
        rr = {"calperf": stats.combine([{"latency_us": 100 * noise(), "rtt_p50_us": 200.0,
                                         "rtt_p99_us": 300.0} for _ in range(reps)]),
              "qperf": stats.combine([{"latency_us": 130 * noise()} for _ in range(reps)])}
        topos.append({"name": name, "title": name, "status": "ok", "stream": st, "rr": rr})
    return {"version": 1, "started": "2026-12-01 12:00:00 +0000", "duration_s": 60,
            "machine": {"kernel": "6.12.0", "cpus": 2, "cpu_model": "QEMU"},
            "config": {"sizes": SIZE_BYTES, "time": 1, "rr_time": 1, "reps": reps,
                       "sockbuf": "auto", "mtu": 1500, "underlay": "eth0 and eth1",
                       "client_cpu": 0, "server_cpu": 1, "qperf": True},
            "topologies": topos}


def study_module():
    """user/calperf-study, imported (it is a script: no .py)."""
    loader = importlib.machinery.SourceFileLoader("calperf_study", CALPERF_STUDY)
    spec = importlib.util.spec_from_loader("calperf_study", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


@t.test
def run_order():
    """measure_cells with made-up tools: a warm-up run of each tool first,
    in no figure; each repetition sweeps the sizes up, then down; the
    tools take turns at going first, cell after cell; each figure is the
    median of its runs; the steps are those the progress line planned."""
    mod = study_module()
    a = mod.arguments(["--sizes", "1K,2K,4K", "--reps", "4"])
    calls, steps = [], []

    class Progress:
        def step(self, topo, what):
            steps.append((topo, what))

    def tool(name):
        def stream(size):
            calls.append((name, size))
            # The warm-up's figures are outliers: no median may move.
            return {"gbps": 1000.0 if len(calls) <= 2 else float(len(calls))}

        def rr():
            calls.append((name, "rr"))
            return {"latency_us": float(len(calls))}
        return stream, rr

    entry = mod.measure_cells(a, "x", Progress(), {"calperf": tool("calperf"),
                                                   "qperf": tool("qperf")})
    check(steps == [s[:2] for s in mod.plan(a, ["x"])][1:-1], f"steps {steps}")
    check(calls[:2] == [("calperf", 1024), ("qperf", 1024)], calls[:2])
    cells = [calls[i:i + 2] for i in range(2, len(calls), 2)]
    check(len(cells) == 4 * 4, f"{len(cells)} cells")
    for i, (x, y) in enumerate(cells):
        check(x[1] == y[1] and {x[0], y[0]} == {"calperf", "qperf"}, f"cell {i}: {x} {y}")
        check(x[0] == ("calperf" if i % 2 == 0 else "qperf"), f"cell {i} went {x[0]} first")
    for rep in range(4):
        sizes = [c[0][1] for c in cells[rep * 4:rep * 4 + 4]]
        up = [1024, 2048, 4096, "rr"]
        check(sizes == (up if rep % 2 == 0 else up[2::-1] + ["rr"]), f"rep {rep}: {sizes}")
    check(entry["warmup"]["calperf"]["gbps"] == 1000.0 and entry["warmup"]["size"] == 1024,
          entry["warmup"])
    for e in entry["stream"]:
        for name in ("calperf", "qperf"):
            r = e[name]
            want = [float(calls.index((name, e["size"]), 2) + 1)]
            runs = [x["gbps"] for x in r["reps"]]
            check(runs[0] == want[0] and len(runs) == 4 and 1000.0 not in runs,
                  f"{e['size']} {name}: {runs}")
            check(r["gbps"] == statistics.median(runs) and r["runs"] == 4
                  and r["spread"]["gbps"] == [min(runs), max(runs)], r)
            check([x["order"] for x in r["reps"]] == sorted(x["order"] for x in r["reps"]),
                  r["reps"])


@t.test
def median_interval():
    """The 95 % interval of the median by order statistics: the narrowest
    [x(k), x(n+1-k)] holding it with probability 1 - 2 P(Bin(n, 1/2) < k)
    >= 0.95 (the textbook's k = 2 for 10 runs, 6 for 20), min-max below 6
    runs; combine's median, min and max are the runs'."""
    for n, k in ((6, 1), (8, 1), (9, 2), (10, 2), (20, 6), (50, 18)):
        (lo, hi), cover = stats.median_ci(list(range(1, n + 1)))
        want = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2 ** n
        check((lo, hi) == (k, n + 1 - k) and abs(cover - want) < 1e-12 and cover >= 0.95,
              f"{n} runs: [{lo}, {hi}] covering {cover}, want [{k}, {n + 1 - k}] {want}")
        narrower = 1 - 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
        check(narrower < 0.95, f"{n} runs: [{k + 1}, {n - k}] covers {narrower}")
    (lo, hi), cover = stats.median_ci([5, 1, 4, 2, 3])
    check((lo, hi) == (1, 5) and abs(cover - 0.9375) < 1e-12, f"5 runs: {lo} {hi} {cover}")
    runs = [{"gbps": v, "order": i} for i, v in enumerate([3.0, 1.0, 2.0, 8.0])]
    c = stats.combine(runs + [{"error": "lost", "order": 4}])
    check(c["gbps"] == 2.5 and c["spread"]["gbps"] == [1.0, 8.0] and c["runs"] == 4
          and c["failed_runs"] == 1 and len(c["reps"]) == 5 and "ci95" not in c, c)
    c = stats.combine([{"gbps": float(v)} for v in (9, 1, 5, 7, 3, 2)])
    check(c["gbps"] == 4 and c["ci95"]["gbps"] == [1.0, 9.0] and c["ci_coverage"] > 0.96, c)
    a, b = {"gbps": 1, "runs": 3, "spread": {"gbps": [0.9, 1.1]}}, \
        {"gbps": 1.2, "runs": 3, "spread": {"gbps": [1.05, 1.3]}}
    check(stats.overlap(a, b, "gbps") is True, "[0.9, 1.1] and [1.05, 1.3] overlap")
    b["spread"]["gbps"] = [1.15, 1.3]
    check(stats.overlap(a, b, "gbps") is False, "[0.9, 1.1] and [1.15, 1.3] do not")
    check(stats.overlap({"gbps": 1}, b, "gbps") is None, "one run has no spread")


@t.test
def compare_ratios():
    """compare of two made-up studies: B's figure over A's per cell, and
    outside the spread exactly where B's runs were moved apart."""
    with tempfile.TemporaryDirectory() as d:
        a = made_up(3)
        b = copy.deepcopy(a)
        e = b["topologies"][0]["stream"][0]
        e["calperf"] = stats.combine([{**r, "gbps": r["gbps"] * 2} for r in e["calperf"]["reps"]])
        # In this process (compare_with_itself runs the command).
        path, why = compare.write(a, b, ["A", "B"], f"{d}/out", plots=False)
        check(path == f"{d}/out/compare.md" and why is None, f"{path} {why}")
        cells = json.load(open(f"{d}/out/compare.json"))["cells"]
        check(len(cells) == 2 * 2 * (2 * 2 + 1), f"{len(cells)} cells")
        for c in cells:
            moved = (c["topology"], c["size"], c["tool"], c["key"]) == \
                ("bare", 1024, "calperf", "gbps")
            check(abs(c["ratio"] - (2 if moved else 1)) < 1e-12
                  and c["outside_spread"] is moved, c)
        md = open(f"{d}/out/compare.md").read()
        x = a["topologies"][0]["stream"][0]["calperf"]["gbps"]
        check(f"| 1K | {x:.3f} / {2 * x:.3f} = 2.00 * |" in md, md)
        check("1 of 20 figures differ by more than their spread" in md, md)


@t.test
def compare_plots():
    """compare's plots: one per tool and figure, each point of each
    curve (A solid, B dashed per topology) the median with its spread."""
    with tempfile.TemporaryDirectory() as d:
        a = made_up(3)
        b = made_up(3, seed=7)
        path, why = compare.write(a, b, ["A", "B"], f"{d}/out")
        check(why is None, f"no plots: {why}")
        md = open(path).read()
        for tool in ("calperf", "qperf"):
            png = f"{d}/out/plots/compare-{tool}-gbps.png"
            check(os.path.getsize(png) > 1000 and f"(plots/compare-{tool}-gbps.png)" in md,
                  f"{png} not drawn or not in compare.md")
            rows = [line.split() for line in open(f"{d}/out/plots/compare-{tool}-gbps.dat")
                    if not line.startswith("#")]
            check([int(r[0]) for r in rows] == SIZE_BYTES, f"sizes {rows}")
            for row, i in zip(rows, range(len(SIZE_BYTES))):
                col = 1
                for t_ in ("bare", "calico"):
                    for r in (a, b):
                        e = next(x for x in r["topologies"] if x["name"] == t_)["stream"][i]
                        v = raw(e[tool], "gbps")
                        want = [statistics.median(v), min(v), max(v)]
                        got = [float(x) for x in row[col:col + 3]]
                        check(all(math.isclose(x, y) for x, y in zip(got, want)),
                              f"{tool} {t_} {SIZE_BYTES[i]}: {got} vs {want}")
                        col += 3


@t.test
def time_base_in_header():
    """The report's header names the time base and the guest's CPU
    model: deterministic guest time, or the wall clock."""
    with tempfile.TemporaryDirectory() as d:
        r = made_up(3)
        r["provenance"] = {"calperf": {"calperfctl": "1", "module": "1"}, "timebase": "icount",
                           "ns_per_insn": 8.0, "vm_cpu_model": "qemu64,+erms"}
        report.write_report(r, d, [])
        text = open(f"{d}/report.md").read()
        check("Time base: icount, deterministic: the guest's clock advances 8 ns per "
              "instruction executed" in text and "(CPU model qemu64,+erms of a QEMU guest)"
              in text, "no icount time base or CPU model in the header")
        r["provenance"].update(timebase="wall")
        report.write_report(r, d, [])
        text = open(f"{d}/report.md").read()
        check("Time base: the wall clock (CPU model qemu64,+erms of a QEMU guest): under "
              "QEMU's TCG" in text and "icount" not in text, "no wall-clock time base")


@t.test
def report_rerendered():
    """A report drawn twice from one results.json is the same, and one
    from before --reps (no runs kept, no provenance) still draws."""
    with tempfile.TemporaryDirectory() as d:
        r = made_up(5)
        texts = []
        for _ in range(2):
            report.write_report(json.loads(json.dumps(r)), d, [])
            texts.append(open(f"{d}/report.md").read())
        check(texts[0] == texts[1], "two renderings differ")
        check("path: " not in texts[0], "an Open vSwitch version without one in results.json")
        with_ovs = json.loads(json.dumps(r))
        with_ovs["provenance"] = {"calperf": {"calperfctl": "1", "module": "1"}}
        with_ovs["topologies"][1]["ovs"] = "Open vSwitch 3.1.0, installed"
        report.write_report(with_ovs, d, [])
        check("- calico path: Open vSwitch 3.1.0, installed" in open(f"{d}/report.md").read(),
              "the report names no Open vSwitch version")
        e = r["topologies"][0]["stream"][0]["calperf"]
        check(spread_fig("gbps", e, "gbps") in texts[0], "no median (min-max) cell")
        # Each topology over bare, marked where the two overlap.
        rel = sections(texts[0])["Throughput relative to bare"]
        check(rel[0] == ["size", "calico calperf", "calico qperf"], rel[0])
        marks = 0
        for i, row in enumerate(rel[1:]):
            for col, tool in enumerate(("calperf", "qperf"), start=1):
                x = r["topologies"][1]["stream"][i][tool]
                y = r["topologies"][0]["stream"][i][tool]
                same = overlaps(x, y, "gbps")
                marks += same
                want = f"{x['gbps'] / y['gbps']:.2f}" + (f" {SAME}" if same else "")
                check(row[col] == want, f"relative {row} vs {want}")
        # And qperf's throughput marked where it overlaps calperf's.
        thr = sections(texts[0])["Throughput (Gb/s)"][1:]
        same = []
        for i, row in enumerate(thr):
            for j, t_ in enumerate(r["topologies"]):
                e = t_["stream"][i]
                # Five runs: the interval of the median is min-max, not printed apart.
                want = spread_fig("gbps", e["qperf"], "gbps")
                same.append(overlaps(e["qperf"], e["calperf"], "gbps"))
                check(row[2 + 2 * j] == want + (" " + SAME if same[-1] else ""),
                      f"{row} {want} {same[-1]}")
        check(True in same and False in same, f"overlaps {same}: both cases wanted")
        # Against the seed: calico over bare at the largest size, the seed's 25 us over 20.
        row = sections(texts[0])["Against the seed"][1]
        bare, cal = (x["stream"] for x in r["topologies"])
        want = cal[-1]["calperf"]["gbps"] / bare[-1]["calperf"]["gbps"]
        check(row[0] == "calico" and row[1] == f"{want:.2f}" and row[5] == "1.25", row)
        old = made_up(1)
        for t_ in old["topologies"]:
            for e in t_["stream"]:
                for tool in ("calperf", "qperf"):
                    e[tool] = {k: v for k, v in e[tool].items()
                               if k not in ("reps", "spread", "runs")}
        report.write_report(old, d, [])
        report.write_csv(old, d)
        md = open(f"{d}/report.md").read()
        check("Each figure is one run" in md and "(" not in md.split("## Throughput")[1]
              .split("##")[0].split("|---")[1], "single runs printed with a spread")


@t.test
def qperf_units():
    """Every unit qperf -v prints, with each prefix, scaled to the
    study's (ns, CPU-s per GB, bits/s, per second, cores, bytes); values
    with commas; an unknown unit an error naming the line."""
    lines = {"time": [("ns", 1), ("us", 1e3), ("ms", 1e6), ("sec", 1e9)],
             "cost": [("ns/GB", 1e-9), ("us/GB", 1e-6), ("ms/GB", 1e-3), ("sec/GB", 1)],
             "band": [("bytes/sec", 8), ("KB/sec", 8e3), ("MB/sec", 8e6), ("GB/sec", 8e9),
                      ("TB/sec", 8e12), ("bits/sec", 1), ("Kb/sec", 1e3), ("Mb/sec", 1e6),
                      ("Gb/sec", 1e9), ("Tb/sec", 1e12)],
             "rate": [("/sec", 1), ("K/sec", 1e3), ("M/sec", 1e6), ("G/sec", 1e9),
                      ("T/sec", 1e12)],
             "cpus": [("% cpus", 0.01)],
             "size": [("bytes", 1), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)],
             "count": [("", 1), ("thousand", 1e3), ("million", 1e6), ("billion", 1e9),
                       ("trillion", 1e12)]}
    text, want = ["tcp_bw:"], {}
    for kind, units in lines.items():
        for i, (unit, scale) in enumerate(units):
            key = f"{kind}{i}"
            text.append(f"    {key:<16}=  2.5 {unit}".rstrip())
            want[key] = 2.5 * scale
    text += ["    send_cost       =  1,300 sec/GB", "    msg_size        =  64 KiB (65,536)",
             "    big             =  2 MiB (2,097,152)", "    loc_qperf       =  0.4.11"]
    want.update(send_cost=1300, msg_size=65536, big=2 << 20)
    got = measure.parse_qperf("\n".join(text) + "\n")
    check(set(got) == set(want), f"keys {sorted(set(got) ^ set(want))}")
    for k, v in want.items():
        check(math.isclose(got[k], v, rel_tol=1e-12), f"{k}: {got[k]}, want {v}")
    try:
        measure.parse_qperf("tcp_bw:\n    bw  =  1.5 PB/sec\n")
        check(False, "an unknown unit parsed")
    except measure.MeasureError as e:
        check("'bw  =  1.5 PB/sec'" in str(e), str(e))


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
    p = run_study("compare", "/nonexistent", "/")
    check(p.returncode == 1 and p.stderr.startswith("Error: /nonexistent: no study results")
          and len(p.stderr.splitlines()) == 1, p.stderr)


t.run()
