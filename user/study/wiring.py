# SPDX-License-Identifier: GPL-2.0
"""How the data paths are wired, step by step: the study's topologies
(topology.py) and the selftests' (selftests/lib/topology.py) build them
with these same steps: namespaces, a workload's veth, a Calico-style
routed workload, two taps joined in user space as a VM's backend joins
them, and a VXLAN device."""

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
TAPFWD = os.path.join(os.path.dirname(HERE), "calperf-tapfwd")
# Calico's workloads route through a link-local gateway.
CALICO_GATEWAY = "169.254.1.1"
VXLAN_ID, VXLAN_PORT = 42, 4789


def sh(cmd):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"'{cmd}' failed: {p.stderr.strip()}")
    return p.stdout


def ns_sh(ns, cmd):
    return sh(f"ip netns exec {ns} {cmd}")


def add_ns(name):
    sh(f"ip netns add {name}")
    sh(f"ip -n {name} link set lo up")


def veth(ns, host, host_dev, mtu):
    """Namespace @ns's eth0, its peer @host_dev in namespace @host."""
    sh(f"ip -n {ns} link add eth0 mtu {mtu} type veth peer name {host_dev} "
       f"netns {host} mtu {mtu}")
    sh(f"ip -n {ns} link set eth0 up")
    sh(f"ip -n {host} link set {host_dev} up")


def calico_workload(ns, host, cali, addr, mtu):
    """Workload @ns behind @host's routed veth @cali, as Calico wires a
    pod: @addr/32 on its eth0, a link-local gateway that the host
    answers for by proxy ARP, and one /32 route on the host. No bridge:
    the host routes (proxy ARP answers only for what it routes
    elsewhere, so it needs a route out)."""
    veth(ns, host, cali, mtu)
    sh(f"ip -n {ns} addr add {addr}/32 dev eth0")
    sh(f"ip -n {ns} route add {CALICO_GATEWAY} dev eth0 scope link")
    sh(f"ip -n {ns} route add default via {CALICO_GATEWAY} dev eth0")
    ns_sh(host, f"sysctl -qw net.ipv4.conf.{cali}.proxy_arp=1")
    ns_sh(host, f"sysctl -qw net.ipv4.neigh.{cali}.proxy_delay=0")
    sh(f"ip -n {host} route add {addr}/32 dev {cali}")


def tapfwd(ns_a, tap_a, ns_b, tap_b):
    """Tap @tap_a in namespace @ns_a and @tap_b in @ns_b, frames copied
    between them by calperf-tapfwd as QEMU's user-space backend copies a
    guest's: the running forwarder, to terminate when done."""
    fwd = subprocess.Popen([TAPFWD, ns_a, tap_a, ns_b, tap_b],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if fwd.stdout.readline().strip() != "ready":
        try:
            fwd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fwd.kill()
        raise RuntimeError(f"calperf-tapfwd did not start: {fwd.stderr.read()}")
    return fwd


def stop(procs):
    """Terminate processes such as forwarders, kill those that linger."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def vxlan(ns, local, remote, dev, name="vx0"):
    """VXLAN device @name in namespace @ns, to @remote from @local over
    @dev (id 42, the IANA port)."""
    sh(f"ip -n {ns} link add {name} type vxlan id {VXLAN_ID} dstport {VXLAN_PORT} "
       f"local {local} remote {remote} dev {dev}")
