# SPDX-License-Identifier: GPL-2.0
"""The data paths of the study, each between two "hosts": network
namespaces hA and hB joined by an underlay (the machine's two NICs on
one wire, or a veth pair). A topology puts a client in one host's world
and a server in the other's, then tears it all down again."""

import os
import subprocess
import time

import ovs
from wiring import TAPFWD, add_ns, calico_workload, ns_sh, sh, stop, tapfwd, veth, vxlan

PREFIX = "cps-"
HA, HB = PREFIX + "hA", PREFIX + "hB"
# Underlay: the hosts' own addresses.
UA, UB = "198.18.0.1", "198.18.0.2"
VXLAN_OVERHEAD = 50


class Unavailable(Exception):
    """This topology cannot be built here (the reason is the message)."""


def cleanup_stale():
    """Namespaces and switches left by an earlier run that was killed."""
    ovs.cleanup_stale()
    for line in sh("ip netns list").splitlines():
        name = line.split()[0] if line.strip() else ""
        if name.startswith(PREFIX):
            subprocess.run(["ip", "netns", "del", name], check=False)


class Underlay:
    """hA and hB joined by one wire: two NICs (moved into the hosts,
    renamed eth0 and eth1, given back when done) or a veth pair.

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ ip_forward=1                 │                  │ ip_forward=1                 │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """

    def __init__(self, kind, nics, mtu):
        self.kind, self.nics, self.mtu = kind, nics, mtu
        self.dev = {HA: "eth0", HB: "eth1"}

    def describe(self):
        if self.kind == "nic":
            return f"NICs {self.nics[0]} and {self.nics[1]} on one wire"
        return "a veth pair"

    def wait_present(self, seconds=10):
        """NICs come back from a deleted namespace asynchronously."""
        deadline = time.monotonic() + seconds
        while not all(os.path.exists(f"/sys/class/net/{d}") for d in self.nics):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def check(self):
        if self.kind != "nic":
            return
        subprocess.run(["modprobe", "-q", "virtio_net"], check=False)
        if not self.wait_present():
            missing = [d for d in self.nics if not os.path.exists(f"/sys/class/net/{d}")]
            raise SystemExit(f"Error: no NIC {', '.join(missing)} here (in the VM, "
                             f"selftests/vm/run --nics gives eth0 and eth1; "
                             f"or use --underlay veth).")

    def up(self):
        for ns in (HA, HB):
            add_ns(ns)
            ns_sh(ns, "sysctl -qw net.ipv4.ip_forward=1")
        if self.kind == "nic":
            self.saved_mtu = {}
            for ns, nic in zip((HA, HB), self.nics):
                self.saved_mtu[nic] = open(f"/sys/class/net/{nic}/mtu").read().strip()
                sh(f"ip link set {nic} netns {ns}")
                sh(f"ip -n {ns} link set {nic} name {self.dev[ns]}")
        else:
            sh(f"ip link add eth0 netns {HA} type veth peer name eth1 netns {HB}")
        for ns, addr in ((HA, UA), (HB, UB)):
            dev = self.dev[ns]
            sh(f"ip -n {ns} link set {dev} mtu {self.mtu}")
            sh(f"ip -n {ns} addr add {addr}/24 dev {dev}")
            sh(f"ip -n {ns} link set {dev} up")

    def down(self):
        if self.kind == "nic":
            for ns, nic in zip((HA, HB), self.nics):
                subprocess.run(f"ip -n {ns} link set {self.dev[ns]} down && "
                               f"ip -n {ns} link set {self.dev[ns]} name {nic} && "
                               f"ip -n {ns} link set {nic} mtu {self.saved_mtu[nic]} && "
                               f"ip -n {ns} link set {nic} netns 1",
                               shell=True, capture_output=True, check=False)
        for ns in (HA, HB):
            subprocess.run(["ip", "netns", "del", ns], check=False)
        if self.kind == "nic":
            self.wait_present()


class Topology:
    """One data path: build with up(), measure between client and server
    (namespace names) towards server_addr, tear down with down()."""
    name = title = ""

    def __init__(self, underlay, mtu):
        self.underlay, self.mtu = underlay, mtu
        self.namespaces = []
        self.procs = []
        # What the results should say of how the path was made.
        self.about = {}

    def add_ns(self, name):
        # Listed for down() first: a SIGTERM just after the namespace is
        # made must not leave it behind (down() deletes what is not there
        # without complaint).
        self.namespaces.append(PREFIX + name)
        add_ns(PREFIX + name)
        return PREFIX + name

    def subnet_per_host(self, n, attach):
        """A workload per host on a subnet of its own, 198.18.N.0/24 on
        hA and N+1 on hB: attach(host, tag) makes the workload and its
        link and returns (workload, host's device, workload's device);
        the host's device is the gateway (.1), the workload is .2, and
        each host routes the other's subnet via the other."""
        ends = []
        for host, tag, net in ((HA, "A", n), (HB, "B", n + 1)):
            ns, gw_dev, dev = attach(host, tag)
            sh(f"ip -n {host} addr add 198.18.{net}.1/24 dev {gw_dev}")
            sh(f"ip -n {ns} addr add 198.18.{net}.2/24 dev {dev}")
            sh(f"ip -n {ns} route add default via 198.18.{net}.1")
            ends.append((ns, f"198.18.{net}.2"))
        sh(f"ip -n {HA} route add 198.18.{n + 1}.0/24 via {UB}")
        sh(f"ip -n {HB} route add 198.18.{n}.0/24 via {UA}")
        self.ends(*ends)

    def ends(self, client, server):
        """The client's and the server's (namespace, address)."""
        self.client, self.server, self.server_addr = client[0], server[0], server[1]

    def up(self):
        self.underlay.up()
        self.build()

    def build(self):
        raise NotImplementedError

    def down(self):
        stop(self.procs)
        self.stop()
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], check=False)
        self.underlay.down()

    def stop(self):
        """Anything beyond processes and namespaces to undo."""


class Bare(Topology):
    """The client in hA, the server in hB: the underlay alone (drawn at
    Underlay)."""
    name, title = "bare", "bare metal: host to host"

    def build(self):
        self.ends((HA, UA), (HB, UB))


class Calico(Topology):
    """A workload per host behind a routed veth, as Calico wires a pod:
    /32 routes, proxy ARP for a link-local gateway, no bridge.

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.1.1/32           │                  │ eth0 198.18.2.1/32           │
    │ default via 169.254.1.1      │                  │ default via 169.254.1.1      │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ caliA: proxy ARP             │                  │ caliB: proxy ARP             │
    │ 198.18.1.1/32 dev caliA      │                  │ 198.18.2.1/32 dev caliB      │
    │ default via 198.18.0.2       │                  │ default via 198.18.0.1       │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "calico", "container, Calico-style routed veth"

    def build(self):
        nets = {}
        for host, tag, addr in ((HA, "A", "198.18.1.1"), (HB, "B", "198.18.2.1")):
            ns = self.add_ns("w" + tag)
            calico_workload(ns, host, "cali" + tag, addr, self.mtu)
            nets[tag] = (ns, addr)
        # Proxy ARP answers only for what a host routes elsewhere.
        sh(f"ip -n {HA} route add default via {UB}")
        sh(f"ip -n {HB} route add default via {UA}")
        self.ends(nets["A"], nets["B"])


class Bridge(Topology):
    """A workload per host on a subnet of its own, its veth on the host's
    bridge, the hosts routing between the subnets.

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.3.2/24           │                  │ eth0 198.18.4.2/24           │
    │ default via 198.18.3.1       │                  │ default via 198.18.4.1       │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ vethA on br0                 │                  │ vethB on br0                 │
    │ br0 198.18.3.1/24            │                  │ br0 198.18.4.1/24            │
    │ 198.18.4.0/24 via 198.18.0.2 │                  │ 198.18.3.0/24 via 198.18.0.1 │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "bridge", "container, Linux bridge (Docker-style, routed)"

    def build(self):
        self.subnet_per_host(3, self.attach)

    def attach(self, host, tag):
        """The workload's veth, its host end on the host's bridge br0."""
        ns = self.add_ns("w" + tag)
        sh(f"ip -n {host} link add br0 mtu {self.mtu} type bridge")
        sh(f"ip -n {host} link set br0 up")
        veth(ns, host, "veth" + tag, self.mtu)
        sh(f"ip -n {host} link set veth{tag} master br0")
        return ns, "br0", "eth0"


class VmLike(Topology):
    """A guest per host: its tap, and the host's end joined to it in user
    space, as QEMU's backend joins them; the hosts route between the
    guests' subnets.

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-vmA (guest A)            │                  │ cps-vmB (guest B)            │
    │ tap0 198.18.5.2/24           │                  │ tap0 198.18.6.2/24           │
    │ default via 198.18.5.1       │                  │ default via 198.18.6.1       │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ calperf-tapfwd                                  │ calperf-tapfwd
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ vnetA 198.18.5.1/24          │                  │ vnetB 198.18.6.1/24          │
    │ 198.18.6.0/24 via 198.18.0.2 │                  │ 198.18.5.0/24 via 198.18.0.1 │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "vm", "VM-like: tap and a user-space backend"

    def build(self):
        if not os.access(TAPFWD, os.X_OK):
            raise Unavailable(f"{TAPFWD} is not built (make user)")
        subprocess.run(["modprobe", "-q", "tun"], check=False)
        self.subnet_per_host(5, self.attach)

    def attach(self, host, tag):
        """The guest's NIC (tap0) and the host's end (vnet), joined by
        calperf-tapfwd as QEMU's user-space backend would join them."""
        vm = self.add_ns("vm" + tag)
        self.procs.append(tapfwd(vm, "tap0", host, "vnet" + tag))
        for ns, dev in ((host, "vnet" + tag), (vm, "tap0")):
            sh(f"ip -n {ns} link set {dev} mtu {self.mtu} up")
        return vm, "vnet" + tag, "tap0"


class Vxlan(Topology):
    """A workload per host on one overlay subnet: VXLAN between the hosts,
    bridged to each workload's veth (inner MTU 50 bytes under the
    underlay's).

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.7.1/24           │                  │ eth0 198.18.7.2/24           │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ vethA and vx0 on br0         │                  │ vethB and vx0 on br0         │
    │ vx0: VXLAN 42 to 198.18.0.2  │                  │ vx0: VXLAN 42 to 198.18.0.1  │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "vxlan", "overlay: VXLAN and a Linux bridge"

    def build(self):
        inner = self.mtu - VXLAN_OVERHEAD
        addrs = {}
        for host, tag, local, remote, addr in ((HA, "A", UA, UB, "198.18.7.1"),
                                               (HB, "B", UB, UA, "198.18.7.2")):
            ns = self.add_ns("w" + tag)
            vxlan(host, local, remote, self.underlay.dev[host])
            sh(f"ip -n {host} link add br0 type bridge")
            sh(f"ip -n {host} link set vx0 master br0")
            veth(ns, host, "veth" + tag, inner)
            sh(f"ip -n {host} link set veth{tag} master br0")
            for dev in ("vx0", "br0"):
                sh(f"ip -n {host} link set {dev} mtu {inner} up")
            sh(f"ip -n {ns} addr add {addr}/24 dev eth0")
            addrs[tag] = (ns, addr)
        self.ends(addrs["A"], addrs["B"])


class Ovs(Topology):
    """Open vSwitch with VXLAN, as OpenStack's Neutron wires it: one
    ovsdb-server and ovs-vswitchd per host, started and stopped here.

    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.8.1/24           │                  │ eth0 198.18.8.2/24           │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ br-int (ovs-vswitchd):       │                  │ br-int (ovs-vswitchd):       │
    │ vethA, vx0: VXLAN key 42     │                  │ vethB, vx0: VXLAN key 42     │
    │ to 198.18.0.2                │                  │ to 198.18.0.1                │
    │ eth0 198.18.0.1/24 ──────────┼──────────────────┼────────── eth1 198.18.0.2/24 │
    │ cps-hA (host A)              │     underlay     │ cps-hB (host B)              │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "ovs", "overlay: Open vSwitch and VXLAN"

    def build(self):
        try:
            tools = ovs.Tools()
        except ovs.Missing as e:
            raise Unavailable(str(e))
        self.about = {"ovs": f"Open vSwitch {tools.version}, {tools.where}"}
        inner = self.mtu - VXLAN_OVERHEAD
        self.switches = []
        addrs = {}
        for host, tag, remote, addr in ((HA, "A", UB, "198.18.8.1"),
                                        (HB, "B", UA, "198.18.8.2")):
            switch = ovs.Switch(tools, host, f"{ovs.SCRATCH}/ovs-{tag}")
            self.switches.append(switch)
            switch.start()
            ns = self.add_ns("w" + tag)
            veth(ns, host, "veth" + tag, inner)
            switch.bridge("veth" + tag, remote)
            sh(f"ip -n {ns} addr add {addr}/24 dev eth0")
            addrs[tag] = (ns, addr)
        self.ends(addrs["A"], addrs["B"])

    def stop(self):
        for switch in getattr(self, "switches", []):
            switch.stop()


TOPOLOGIES = {t.name: t for t in (Bare, Calico, Bridge, VmLike, Vxlan, Ovs)}
