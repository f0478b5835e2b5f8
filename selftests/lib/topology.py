# SPDX-License-Identifier: GPL-2.0
"""The data paths the tests measure, each between a client namespace A
(self.a, address self.a4) and a server namespace B (self.b, self.b4):
built when made, torn down by close() or at the end of a with block,
and so usable as a test's fixture (@t.test(pair=VethPair)).

The paths the study measures too are wired by the study's own steps
(user/study/wiring.py): a Calico-style routed workload, taps joined in
user space, VXLAN."""

import os
import sys

from calperf import REPO, ctl_ok, sh
from ktap import Skip, wait_for

sys.path.append(os.path.join(REPO, "user", "study"))
import wiring  # noqa: E402


class Path:
    """Namespaces and the processes that join them, all gone on close()."""

    def __init__(self, n=None):
        if n is not None:
            self.n = n          # the subnet number of its addresses
        self.namespaces = []
        self.procs = []
        try:
            self.build()
        except BaseException:
            self.close()
            raise

    def build(self):
        raise NotImplementedError

    def add_ns(self, name):
        wiring.add_ns(name)
        self.namespaces.append(name)
        return name

    def exec(self, ns, cmd):
        return f"ip netns exec {ns} {cmd}"

    def run(self, kind, *args):
        """calperfctl stream or rr from A to B; its JSON result."""
        return ctl_ok(kind, *args, "client-netns", self.a, "server-netns", self.b).json

    def close(self):
        wiring.stop(self.procs)
        for ns in self.namespaces:
            sh(f"ip netns del {ns}", check_rc=False)
        self.namespaces = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class VethPair(Path):
    """Two namespaces joined by one veth pair, IPv4 and IPv6; each pair
    made in a program has a subnet of its own (N counts them from 1, in
    hex in the IPv6 addresses).

    ┌──────────────────────────┐          ┌──────────────────────────┐
    │ cpa-PID-N (A)            │          │ cpb-PID-N (B)            │
    │   ┌──────────────────┐   │   veth   │   ┌──────────────────┐   │
    │   │ va               ├───┼──────────┼───┤ vb               │   │
    │   │ 198.18.N.1/24    │   │          │   │ 198.18.N.2/24    │   │
    │   │ 2001:2:0:N::1/64 │   │          │   │ 2001:2:0:N::2/64 │   │
    │   └──────────────────┘   │          │   └──────────────────┘   │
    └──────────────────────────┘          └──────────────────────────┘
    """

    made = 0

    def build(self):
        VethPair.made += 1
        n = VethPair.made
        tag = f"{os.getpid()}-{n}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a6, self.b6 = f"2001:2:0:{n:x}::1", f"2001:2:0:{n:x}::2"
        self.a, self.b = self.add_ns(f"cpa-{tag}"), self.add_ns(f"cpb-{tag}")
        sh(f"ip link add va netns {self.a} type veth peer name vb netns {self.b}")
        for ns, dev, a4, a6 in ((self.a, "va", self.a4, self.a6),
                                (self.b, "vb", self.b4, self.b6)):
            sh(f"ip -n {ns} addr add {a4}/24 dev {dev}")
            sh(f"ip -n {ns} addr add {a6}/64 dev {dev} nodad")
            sh(f"ip -n {ns} link set {dev} up")


class RoutedPath(Path):
    """Calico-style, as the study's "calico" path within one host:
    workloads A and B each behind a routed veth of host namespace H
    (/32 routes, proxy ARP for a link-local gateway, forwarding; no
    bridge). Proxy ARP answers only for what H can route: its default
    route goes to a dummy device.

    ┌───────────────────┐   ┌──────────────────────────────────────┐   ┌───────────────────┐
    │ cwa-PID (A)       │   │ cwh-PID (H)   ip_forward=1           │   │ cwb-PID (B)       │
    │ ┌───────────────┐ │   │ ┌───────────────┐  ┌───────────────┐ │   │ ┌───────────────┐ │
    │ │ eth0          ├─┼───┼─┤ caliA         │  │ caliB         ├─┼───┼─┤ eth0          │ │
    │ │198.18.40.1/32 │ │   │ │ proxy_arp     │  │ proxy_arp     │ │   │ │198.18.40.2/32 │ │
    │ └───────────────┘ │   │ │ .40.1/32 here │  │ .40.2/32 here │ │   │ └───────────────┘ │
    │ default via       │   │ └───────────────┘  └───────────────┘ │   │ default via       │
    │ 169.254.1.1       │   │ dummy0: default route                │   │ 169.254.1.1       │
    └───────────────────┘   └──────────────────────────────────────┘   └───────────────────┘
    """

    n = 40

    def build(self):
        tag, n = os.getpid(), self.n
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a, self.h, self.b = (self.add_ns(f"{p}-{tag}") for p in ("cwa", "cwh", "cwb"))
        sh(f"ip netns exec {self.h} sysctl -qw net.ipv4.ip_forward=1")
        sh(f"ip -n {self.h} link add dummy0 type dummy")
        sh(f"ip -n {self.h} link set dummy0 up")
        sh(f"ip -n {self.h} route add default dev dummy0")
        for ns, cali, addr in ((self.a, "caliA", self.a4), (self.b, "caliB", self.b4)):
            wiring.calico_workload(ns, self.h, cali, addr, 1500)


class TapPath(Path):
    """A tap device in each of two namespaces, frames copied between them
    by calperf-tapfwd: a VM's user-space network backend in small (the
    study's "vm" path joins a guest's tap to its host the same way).

    ┌─────────────────────┐                          ┌─────────────────────┐
    │ cta-PID (A)         │                          │ ctb-PID (B)         │
    │ ┌─────────────────┐ │    ┌────────────────┐    │ ┌─────────────────┐ │
    │ │ tap0            ├─┼────┤ calperf-tapfwd ├────┼─┤ tap1            │ │
    │ │ 198.18.50.1/24  │ │    │ (user space)   │    │ │ 198.18.50.2/24  │ │
    │ └─────────────────┘ │    └────────────────┘    │ └─────────────────┘ │
    └─────────────────────┘                          └─────────────────────┘
    """

    n = 50

    def build(self):
        tag, n = os.getpid(), self.n
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a, self.b = self.add_ns(f"cta-{tag}"), self.add_ns(f"ctb-{tag}")
        sh("modprobe tun", check_rc=False)
        self.procs.append(wiring.tapfwd(self.a, "tap0", self.b, "tap1"))
        for ns, dev, addr in ((self.a, "tap0", self.a4), (self.b, "tap1", self.b4)):
            sh(f"ip -n {ns} addr add {addr}/24 dev {dev}")
            sh(f"ip -n {ns} link set {dev} up")


class VxlanPath(Path):
    """Namespaces A and B joined by VXLAN (id 42, as the study's "vxlan"
    path) over a veth underlay.

    ┌────────────────────────────┐          ┌────────────────────────────┐
    │ cxa-PID (A)                │          │ cxb-PID (B)                │
    │ ┌────────────────────────┐ │          │ ┌────────────────────────┐ │
    │ │ vx0  198.18.60.1/24    │ │          │ │ vx0  198.18.60.2/24    │ │
    │ │ VXLAN 42, UDP 4789     │ │          │ │ VXLAN 42, UDP 4789     │ │
    │ └───────────┬────────────┘ │          │ └───────────┬────────────┘ │
    │ ┌───────────┴────────────┐ │   veth   │ ┌───────────┴────────────┐ │
    │ │ ul   198.18.61.1/24    ├─┼──────────┼─┤ ul   198.18.61.2/24    │ │
    │ └────────────────────────┘ │          │ └────────────────────────┘ │
    └────────────────────────────┘          └────────────────────────────┘
    """

    n = 60

    def build(self):
        tag, n = os.getpid(), self.n
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a, self.b = self.add_ns(f"cxa-{tag}"), self.add_ns(f"cxb-{tag}")
        under = {self.a: f"198.18.{n + 1}.1", self.b: f"198.18.{n + 1}.2"}
        sh(f"ip link add ul netns {self.a} type veth peer name ul netns {self.b}")
        for ns, peer, addr in ((self.a, self.b, self.a4), (self.b, self.a, self.b4)):
            sh(f"ip -n {ns} addr add {under[ns]}/24 dev ul")
            sh(f"ip -n {ns} link set ul up")
            wiring.vxlan(ns, under[ns], under[peer], "ul")
            sh(f"ip -n {ns} addr add {addr}/24 dev vx0")
            sh(f"ip -n {ns} link set vx0 up")


NICS = ("eth0", "eth1")


def nics_present():
    return all(os.path.exists(f"/sys/class/net/{d}") for d in NICS)


class NicPath(Path):
    """The guest's two virtio-net NICs (selftests/vm/run --nics, one QEMU
    hub between them), each moved into a namespace of its own; deleting
    the namespaces hands them back.

    ┌─────────────────────┐                          ┌─────────────────────┐
    │ cna-PID (A)         │                          │ cnb-PID (B)         │
    │ ┌─────────────────┐ │    ┌────────────────┐    │ ┌─────────────────┐ │
    │ │ eth0 virtio-net ├─┼────┤ QEMU hub       ├────┼─┤ eth1 virtio-net │ │
    │ │ 198.18.70.1/24  │ │    │ (the host)     │    │ │ 198.18.70.2/24  │ │
    │ └─────────────────┘ │    └────────────────┘    │ └─────────────────┘ │
    └─────────────────────┘                          └─────────────────────┘
    """

    n = 70

    def __init__(self, n=None):
        sh("modprobe virtio_net", check_rc=False)
        if not nics_present():
            raise Skip("no NIC pair (selftests/vm/run --nics)")
        super().__init__(n)

    def build(self):
        tag, n = os.getpid(), self.n
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a, self.b = self.add_ns(f"cna-{tag}"), self.add_ns(f"cnb-{tag}")
        for ns, dev, addr in ((self.a, "eth0", self.a4), (self.b, "eth1", self.b4)):
            sh(f"ip link set {dev} netns {ns}")
            sh(f"ip -n {ns} addr add {addr}/24 dev {dev}")
            sh(f"ip -n {ns} link set {dev} up")

    def close(self):
        super().close()
        wait_for(nics_present, 10, "the NICs back in the initial namespace")


class ChainPath(Path):
    """A and B with @routers namespaces routing between them, each joined
    to the next by a veth pair: every router adds four points or so to
    a traced path. Link i is 198.19.i.0/24; A is 198.19.0.1, B is
    198.19.R.2 (R routers); each router holds /32 routes to A and B.

    ┌──────────────┐  ┌────────────────────┐       ┌────────────────────┐  ┌──────────────┐
    │ cch0-PID (A) │  │ cch1-PID           │       │ cchR-PID           │  │ cchR+1-PID(B)│
    │ ┌──────────┐ │  │ ┌────┐      ┌────┐ │       │ ┌────┐      ┌────┐ │  │ ┌──────────┐ │
    │ │ r0       ├─┼──┼─┤ l0 │      │ r1 ├─┼─ ... ─┼─┤lR-1│      │ rR ├─┼──┼─┤ lR       │ │
    │ │198.19.0.1│ │  │ │ .2 │      │ .1 │ │       │ │ .2 │      │ .1 │ │  │ │198.19.R.2│ │
    │ └──────────┘ │  │ └────┘      └────┘ │       │ └────┘      └────┘ │  │ └──────────┘ │
    │ default via  │  │ ip_forward=1       │       │ ip_forward=1       │  │ default via  │
    │ 198.19.0.2   │  └────────────────────┘       └────────────────────┘  │ 198.19.R.1   │
    └──────────────┘                                                       └──────────────┘
    """

    def __init__(self, routers):
        self.routers = routers
        super().__init__()

    def build(self):
        tag, last = os.getpid(), self.routers
        self.ns = [self.add_ns(f"cch{i}-{tag}") for i in range(last + 2)]
        self.a, self.b = self.ns[0], self.ns[-1]
        self.a4, self.b4 = "198.19.0.1", f"198.19.{last}.2"
        for i in range(last + 1):
            left, right = self.ns[i], self.ns[i + 1]
            sh(f"ip link add r{i} netns {left} type veth peer name l{i} netns {right}")
            sh(f"ip -n {left} addr add 198.19.{i}.1/24 dev r{i}")
            sh(f"ip -n {right} addr add 198.19.{i}.2/24 dev l{i}")
            sh(f"ip -n {left} link set r{i} up")
            sh(f"ip -n {right} link set l{i} up")
        sh(f"ip -n {self.a} route add default via 198.19.0.2")
        sh(f"ip -n {self.b} route add default via 198.19.{last}.1")
        for j in range(1, last + 1):
            sh(f"ip netns exec {self.ns[j]} sysctl -qw net.ipv4.ip_forward=1")
            if j < last:
                sh(f"ip -n {self.ns[j]} route add {self.b4}/32 via 198.19.{j}.2")
            if j > 1:
                sh(f"ip -n {self.ns[j]} route add {self.a4}/32 via 198.19.{j - 1}.1")


def netns_inode(name):
    """The inode number calperf reports for a named network namespace."""
    return os.stat(f"/run/netns/{name}").st_ino


def netns_fd(name):
    """An fd of a named network namespace, for CALPERF_A_ENDPOINT_NETNS_FD."""
    return os.open(f"/run/netns/{name}", os.O_RDONLY)


def wait_listening(ns, port):
    wait_for(lambda: sh(f"ip netns exec {ns} ss -Htln sport = :{port}",
                        check_rc=False).stdout.strip(), 10, f"a listener on port {port}")
