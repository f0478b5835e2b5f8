# SPDX-License-Identifier: GPL-2.0
"""One measurement each: calperf stream / rr / hops through calperfctl,
and qperf tcp_bw / tcp_lat over the same path, reduced to the figures
the study reports. CPU figures are in cores (1.0 = one CPU busy)."""

import json
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CALPERFCTL = os.path.join(os.path.dirname(HERE), "calperfctl")
QPERF_PORT = 19765


class MeasureError(Exception):
    pass


def _run(cmd, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise MeasureError(f"{' '.join(cmd[:6])}...: {msg[-1] if msg else p.returncode}")
    return p.stdout


def netns_names():
    """Inode number -> name of the named network namespaces."""
    names = {}
    for name in os.listdir("/run/netns"):
        try:
            names[os.stat(f"/run/netns/{name}").st_ino] = name
        except OSError:
            pass
    return names


class Endpoints:
    """Where a measurement runs: client and server namespaces, the
    server's address, and the CPU each end is pinned to."""

    def __init__(self, client, server, addr, client_cpu, server_cpu):
        self.client, self.server, self.addr = client, server, addr
        self.client_cpu, self.server_cpu = client_cpu, server_cpu

    def calperf(self, kind, seconds, *args):
        cmd = [CALPERFCTL, "-j", kind, self.addr, "client-netns", self.client,
               "server-netns", self.server, "time", str(seconds),
               "client-cpu", str(self.client_cpu), "server-cpu", str(self.server_cpu)]
        out = json.loads(_run(cmd + [str(a) for a in args], seconds * 10 + 60))
        if out.get("error"):
            raise MeasureError(f"calperf {kind}: {out.get('error_name')}")
        return out

    def qperf(self, test, seconds, *args):
        cmd = ["ip", "netns", "exec", self.client, "qperf", "-v", "-t", str(seconds),
               "-lp", str(QPERF_PORT), "-lca", str(self.client_cpu),
               "-rca", str(self.server_cpu), *[str(a) for a in args], self.addr, test]
        return parse_qperf(_run(cmd, seconds * 10 + 60))


# Every unit qperf -v prints (its view_* functions: each scales a value
# by 1000 to the next prefix), to the study's: ns, CPU-seconds per GB,
# bits/s, per second, cores, bytes, and plain counts.
QPERF_UNITS = {
    "ns": 1, "us": 1e3, "ms": 1e6, "sec": 1e9,
    "ns/GB": 1e-9, "us/GB": 1e-6, "ms/GB": 1e-3, "sec/GB": 1,
    "bytes/sec": 8, "KB/sec": 8e3, "MB/sec": 8e6, "GB/sec": 8e9, "TB/sec": 8e12,
    "bits/sec": 1, "Kb/sec": 1e3, "Mb/sec": 1e6, "Gb/sec": 1e9, "Tb/sec": 1e12,
    "/sec": 1, "K/sec": 1e3, "M/sec": 1e6, "G/sec": 1e9, "T/sec": 1e12,
    "% cpus": 0.01,
    "bytes": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
    "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
    "": 1, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
}


def parse_qperf(out):
    """qperf -v's "key = value unit" lines, scaled by QPERF_UNITS. qperf
    writes values of 1000 and more with commas ("1,300 sec/GB": its
    largest cost unit) and sizes that are multiples of 1024 with the
    bytes after them ("64 KiB (65,536)"). A value whose unit is not
    known is an error naming the line, never a number; a value that is
    no number (a host name, a version) is not a figure."""
    vals = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\w+)\s*=\s*(-?[\d,]*\.?\d+)(?:\s+(.*?))?\s*$", line)
        if not m:
            continue
        key, num, unit = m.group(1), m.group(2), m.group(3) or ""
        unit = re.sub(r"\s*\([\d,]+\)$", "", unit)
        if unit not in QPERF_UNITS:
            raise MeasureError(f"qperf printed a unit the study does not know: "
                               f"'{line.strip()}'")
        vals[key] = float(num.replace(",", "")) * QPERF_UNITS[unit]
    return vals


class QperfServer:
    """qperf's listener in the server namespace, for one topology."""

    def __init__(self, ns):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "qperf", "-lp",
                                   str(QPERF_PORT)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ss = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Htln",
                                 f"sport = :{QPERF_PORT}"], capture_output=True, text=True)
            if ss.stdout.strip():
                return
            time.sleep(0.05)
        self.close()
        raise MeasureError("qperf's server did not start")

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


def calperf_sockbuf(size, sockbuf):
    """calperf's options for the study's buffer mode: the receiver's
    buffers at the message size and the sender's autotuned (as near as
    calperf comes to qperf's -sb), or both autotuned."""
    if sockbuf == "msg":
        return ["client-sockbuf", 0, "server-sockbuf", size]
    return ["sockbuf", 0]


def qperf_sockbuf(size, sockbuf):
    return ["-sb", size] if sockbuf == "msg" else []


def stream(ep, size, seconds, sockbuf):
    r = ep.calperf("stream", seconds, "msg-size", size, *calperf_sockbuf(size, sockbuf))
    gbps = r["throughput_bps"] / 1e9
    tx = r.get("sender_side_cpu_cores", 0.0)
    rx = r.get("receiver_side_cpu_cores", 0.0)
    return {
        "gbps": gbps,
        "sender_cpu": tx,
        "receiver_cpu": rx,
        "softirq_cpu": r.get("softirq_cores", 0.0),
        "path_cpu": r.get("path_cpu_cores", 0.0),
        "busy_cpu": r.get("busy_cores", 0.0),
        # The seed's figure: the busier side's CPU per Gb/s.
        "cpu_per_gbps": max(tx, rx) / gbps if gbps else None,
        "retransmits": r["session"]["sender"]["stats"]["tcp_retrans_segments"],
    }


def qperf_stream(ep, size, seconds, sockbuf):
    v = ep.qperf("tcp_bw", seconds, "-m", size, *qperf_sockbuf(size, sockbuf))
    gbps = v.get("bw", 0) / 1e9
    # qperf reads /proc/stat on each side; both sides share this machine,
    # so each of these is the whole machine's busy share.
    busy = max(v.get("send_cpus_used", 0), v.get("recv_cpus_used", 0))
    return {"gbps": gbps, "busy_cpu": busy,
            "cpu_per_gbps": busy / gbps if gbps else None,
            "send_cost_s_per_gb": v.get("send_cost"),
            "recv_cost_s_per_gb": v.get("recv_cost")}


def rr(ep, seconds):
    r = ep.calperf("rr", seconds)
    pct = r.get("rtt_percentiles", {})
    return {"latency_us": r["latency_ns"] / 1e3,
            "rtt_p50_us": pct.get("p50_ns", 0) / 1e3,
            "rtt_p99_us": pct.get("p99_ns", 0) / 1e3,
            "transactions_per_s": r["transactions_per_s"]}


def qperf_rr(ep, seconds):
    v = ep.qperf("tcp_lat", seconds, "-m", 1)
    return {"latency_us": v["latency"] / 1e3}


def hops(ep, size, seconds, sample):
    """The hop table of one stream (one send in @sample traced), with
    devices' namespaces named. Both ends' buffers are the message size
    (calperf's default), so that the socket queues stay a few segments
    long and the table shows the path: autotuned, a sample waits behind
    megabytes in each socket."""
    r = ep.calperf("stream", seconds, "msg-size", size, "hops", "hop-sample", sample)
    h = r["session"].get("hops")
    if not h:
        raise MeasureError("no hop report")
    if not h["complete"]:
        # A slow path carries few sends: an empty table says nothing.
        sends = r["session"]["sender"]["stats"]["calls"]
        raise MeasureError(f"no send traced end to end: {sends} sends, {h['sampled']} "
                           f"of them sampled (one in {sample}); raise --time or lower "
                           "--hop-sample")
    # The first point is the send itself, where the clock starts.
    return {"size": size, "sample": sample, "gbps": r["throughput_bps"] / 1e9,
            "sampled": h["sampled"], "complete": h["complete"],
            "path": hop_rows(h["path"][1:], netns_names()),
            "end_to_end": latency_us(h["end_to_end"])}


def latency_us(lat):
    """A hop or end-to-end latency of calperfctl's, in us."""
    return {"count": lat["count"], "p50_us": lat["p50_ns"] / 1e3,
            "p99_us": lat["p99_ns"] / 1e3}


def hop_rows(points, names):
    """The report's rows of calperfctl's hop @points, each the time from
    the point before it; @names maps namespace inodes to names."""
    return [{"point": p["point"], "ifname": p["ifname"] if p["ifindex"] else "",
             "netns": names.get(p["netns"], str(p["netns"])), **latency_us(p)}
            for p in points]
