# SPDX-License-Identifier: GPL-2.0
"""What produced a study's figures, for results.json and the report's
header: calperf's versions (and the git commit they were built from),
the kernel and its command line, the CPU, whether the clock is
synchronised and what virtualisation the machine runs on (its
systemd-detect-virt --vm: "qemu" for TCG, "kvm"..., and any container),
the time base of a VM run, the TCP settings that move the figures,
qperf's version, and every device of each path with its driver, MTU
and offloads. The same shell script
collects it here and, over SSH, on each host of a --hosts study."""

import json
import os
import platform
import re
import shlex
import subprocess

SYSCTLS = ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.tcp_congestion_control",
           "net.ipv4.tcp_timestamps")
# ethtool -k's names, and ours.
OFFLOADS = {"tcp-segmentation-offload": "tso", "generic-segmentation-offload": "gso",
            "generic-receive-offload": "gro", "rx-checksumming": "rx_csum",
            "tx-checksumming": "tx_csum"}

# A network namespace's TCP settings and devices, one "kind<TAB>key<TAB>value"
# line each (run inside the namespace).
NETNS_SCRIPT = (
    "for s in " + " ".join(SYSCTLS) + "; do "
    "printf 'sysctl\\t%s\\t%s\\n' \"$s\" \"$(sysctl -n \"$s\" 2>/dev/null | tr '\\t' ' ')\"; "
    "done; "
    "for d in /sys/class/net/*; do n=${d##*/}; [ \"$n\" = lo ] && continue; "
    "printf 'mtu\\t%s\\t%s\\n' \"$n\" \"$(cat \"$d/mtu\")\"; "
    "printf 'driver\\t%s\\t%s\\n' \"$n\" "
    "\"$(ethtool -i \"$n\" 2>/dev/null | sed -n 's/^driver: //p')\"; "
    "ethtool -k \"$n\" 2>/dev/null | sed -n 's/^\\([a-z-]*\\): \\([a-z]*\\).*/"
    "offload\\t'\"$n\"'\\t\\1=\\2/p'; "
    "done")

# The machine: one "key<TAB>value" line each.
HOST_SCRIPT = (
    "printf 'kernel\\t%s\\n' \"$(uname -r)\"; "
    "printf 'cmdline\\t%s\\n' \"$(cat /proc/cmdline)\"; "
    "printf 'cpus\\t%s\\n' \"$(nproc)\"; "
    "printf 'cpu_model\\t%s\\n' "
    "\"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)\"; "
    "printf 'qperf\\t%s\\n' \"$(qperf --version 2>/dev/null | head -n 1)\"; "
    # Whether two hosts' clocks can be compared (a one-way wire time
    # needs them synchronised), and what the machine runs on.
    "c=$(chronyc -n tracking 2>/dev/null | sed -n 's/^System time *: //p'); "
    "if [ -n \"$c\" ]; then printf 'clock\\tchrony: %s\\n' \"$c\"; "
    "elif [ \"$(timedatectl show -p NTPSynchronized --value 2>/dev/null)\" = yes ]; then "
    "printf 'clock\\tNTP-synchronised (timedatectl), offset unknown\\n'; "
    "else printf 'clock\\tnot known to be synchronised\\n'; fi; "
    # The hypervisor apart from any container around the tools (a lab
    # guest runs on a container's root).
    "c=$(systemd-detect-virt --container 2>/dev/null); if [ \"$c\" = none ]; then c=; fi; "
    "printf 'virt\\t%s%s\\n' \"$(systemd-detect-virt --vm 2>/dev/null)\" "
    "\"${c:+, container $c}\"; ")


def parse_netns(out):
    """NETNS_SCRIPT's lines: {"sysctl": {...}, "devices": {name: {...}}}."""
    sysctl, devices = {}, {}
    for line in out.splitlines():
        kind, name, value = (line.split("\t") + ["", ""])[:3]
        if kind == "sysctl":
            sysctl[name] = value
        elif kind in ("mtu", "driver"):
            devices.setdefault(name, {})[kind] = int(value) if kind == "mtu" else value
        elif kind == "offload":
            feature, _, state = value.partition("=")
            if feature in OFFLOADS:
                devices.setdefault(name, {}).setdefault(
                    "offloads", {})[OFFLOADS[feature]] = state
    return {"sysctl": sysctl, "devices": devices}


def parse_host(out):
    vals = dict((line.split("\t", 1) + [""])[:2] for line in out.splitlines() if line)
    if vals.get("cpus", "").isdigit():
        vals["cpus"] = int(vals["cpus"])
    return vals


def sh(cmd):
    """@cmd's output; nothing if it cannot run or does not end in time."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def named(prefix):
    """The named network namespaces whose names start with @prefix."""
    return sorted(line.split()[0] for line in sh(["ip", "netns", "list"]).splitlines()
                  if line.startswith(prefix))


def namespaces(names):
    """Each of @names' (network namespaces) TCP settings and devices."""
    return {ns: parse_netns(sh(["ip", "netns", "exec", ns, "sh", "-c", NETNS_SCRIPT]))
            for ns in names}


def git_commit(top):
    """The commit of a git work tree at @top, or None. Whether the tree
    has changes is left out: that reads every file, which over a VM's 9p
    root takes long enough for deterministic guest time (--icount skips
    the idle wait) to expire any time limit; calperf's versions say
    ".dirty" already."""
    g = ["git", "-c", f"safe.directory={top}", "-C", top]
    try:
        p = subprocess.run(g + ["rev-parse", "--show-toplevel", "HEAD"], capture_output=True,
                           text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = p.stdout.split()
    if p.returncode or len(lines) != 2 or os.path.realpath(lines[0]) != os.path.realpath(top):
        return None
    return lines[1]


def timebase():
    """How the machine keeps time: a selftests/vm/run guest says so in
    its environment (icount: deterministic, from executed instructions);
    anything else is the wall clock."""
    tb = os.environ.get("CALPERF_VM_TIMEBASE") or "wall"
    out = {"timebase": tb}
    if tb == "icount":
        out["ns_per_insn"] = float(os.environ.get("CALPERF_VM_NS_PER_INSN") or 8)
    if os.environ.get("CALPERF_VM"):
        out["vm_cpu_model"] = os.environ.get("CALPERF_VM_CPU_MODEL", "")
    return out


def local(calperfctl, options):
    """This machine's provenance: the header of a one-machine study."""
    host = parse_host(sh(["sh", "-c", HOST_SCRIPT]))
    try:
        v = json.loads(sh([calperfctl, "-j", "-V"]) or "{}")
    except ValueError:
        v = {}
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
    cal = {"calperfctl": v.get("calperfctl_version"), "module": v.get("module_version")}
    m = re.search(r"\+g([0-9a-f]+)", cal["calperfctl"] or "")
    cal["commit"] = m.group(1) if m else None
    cal["study_commit"] = git_commit(top)
    init = parse_netns(sh(["sh", "-c", NETNS_SCRIPT]))
    return {"calperf": cal, "kernel": host.get("kernel") or platform.release(),
            "cmdline": host.get("cmdline", ""), "cpus": host.get("cpus") or os.cpu_count(),
            "cpu_model": host.get("cpu_model") or platform.machine(),
            **timebase(), "qperf": host.get("qperf") or None,
            "clock": host.get("clock"), "virt": host.get("virt") or None,
            "sysctl": init["sysctl"], "options": options}


def remote_script(nic):
    """The script a --hosts study runs on each host: HOST_SCRIPT, then
    the init namespace's settings and @nic's (the wire; None: every
    device's) after a marker."""
    if nic is None:
        return HOST_SCRIPT + "echo '--netns--'; " + NETNS_SCRIPT
    return HOST_SCRIPT + "echo '--netns--'; " + NETNS_SCRIPT.replace(
        "/sys/class/net/*", "/sys/class/net/" + shlex.quote(nic))


def parse_remote(out):
    host, _, netns = out.partition("--netns--\n")
    p = parse_host(host)
    p.update(parse_netns(netns))
    return p
