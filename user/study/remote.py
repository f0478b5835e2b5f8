# SPDX-License-Identifier: GPL-2.0
"""The study between two machines (calperf-study --hosts A,B), driven
over SSH: A runs the senders (clients), B the receivers (servers). Each
host keeps what the study made in /run/calperf-study (the NIC it moved,
its sessions, its qperf server), so that one idempotent clean-up puts
it back, whichever host failed and whenever."""

import json
import shlex
import subprocess

import measure
import ovs
from topology import Unavailable

STATE = "/run/calperf-study"
NS = {"A": "cps-hA", "B": "cps-hB"}
# The hosts' addresses on the wire, and the workloads' of the routed
# (Calico-style) path.
ADDR = {"A": "198.18.0.1", "B": "198.18.0.2"}
WORKLOAD = {"A": "198.18.1.1", "B": "198.18.2.1"}
# calperf's port on B, unless --port says otherwise.
CALPERF_PORT = 5201
VXLAN_OVERHEAD = 50
# The receiver's time limit past the sender's: it starts first and ends
# when the sender closes, so this only bounds a sender that never came.
RECEIVER_SLACK = 60


class RemoteError(Exception):
    """What went wrong, on which host: one line."""

    def __init__(self, host, msg):
        super().__init__(f"{host}: {msg}")
        self.host = host


class Host:
    """One SSH destination, as ssh takes it (a name of ~/.ssh/config or
    of the --ssh-config file, user@host...). Every command runs in the
    login shell of that account, which must be root (or reach calperf's
    netlink family and create namespaces)."""

    def __init__(self, dest, role, ssh_config=None, control_dir=None):
        self.dest, self.role = dest, role
        self.ssh = ["ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=5",
                    "-o", "ServerAliveCountMax=6"]
        if ssh_config:
            self.ssh += ["-F", ssh_config]
        if control_dir:
            # One connection per host for the whole study: a study runs
            # hundreds of short commands.
            self.ssh += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control_dir}/%C",
                         "-o", "ControlPersist=60"]
        self.reached = False
        self.last_error = ""

    def __str__(self):
        return self.dest

    def run(self, script, timeout=120, check=True):
        """@script's standard output on the host; RemoteError when ssh
        fails (unreachable, or the connection lost) or, with @check, when
        the script does."""
        try:
            p = subprocess.run(self.ssh + [self.dest, "--", script], capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RemoteError(self, f"no answer over SSH within {timeout} s")
        err = (p.stderr.strip().splitlines() or [""])[-1].removeprefix("Error: ")
        self.last_error = err
        if p.returncode == 255:
            if self.reached:
                raise RemoteError(self, f"lost the SSH connection ({err or 'exit 255'})")
            raise RemoteError(self, f"unreachable over SSH ({err or 'exit 255'})")
        self.reached = True
        if check and p.returncode:
            raise RemoteError(self, err or f"'{script.split()[0]}' failed "
                              f"(exit {p.returncode})")
        return p.stdout

    def close(self):
        """The shared connection, if any, closed."""
        subprocess.run(self.ssh + ["-O", "exit", self.dest], capture_output=True, timeout=30,
                       check=False)

    def calperf(self, *args, timeout=120):
        """calperfctl -j ARGS on the host, its JSON (which, for a run that
        ended with an error, says so: the caller decides)."""
        cmd = "calperfctl -j " + " ".join(shlex.quote(str(a)) for a in args)
        out = self.run(cmd, timeout, check=False)
        try:
            return json.loads(out)
        except ValueError:
            raise RemoteError(self, f"calperfctl {args[0]} failed: "
                              f"{self.last_error or out[:80]!r}")


# Run on a host at the start, at the end and after any failure: stop its
# qperf server, delete its sessions, give its NIC back, delete the
# namespaces. It cannot fail.
CLEANUP = f"""
st={STATE}
if [ -s $st/qperf.pid ]; then kill "$(cat $st/qperf.pid)" 2>/dev/null; fi
if [ -s $st/sessions ]; then
    for id in $(cat $st/sessions); do calperfctl session del "$id" >/dev/null 2>&1; done
fi
if [ -s $st/nic ]; then
    read -r ns nic mtu <$st/nic
    ip -n "$ns" link set "$nic" down 2>/dev/null
    ip -n "$ns" link set "$nic" netns 1 2>/dev/null
    ip link set "$nic" mtu "$mtu" 2>/dev/null
fi
# Its own Open vSwitch: the datapath deleted, the daemons ended.
{ovs.stop_script(f'{STATE}/ovs')}for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cps-/ {{ print $1 }}'); do
    ip netns del "$ns"
done
rm -rf $st
exit 0
"""


def cleanup(hosts, quiet=()):
    """Each host back as it was; a host that cannot be reached is named,
    unless it is among @quiet (whose failure was said already)."""
    for h in hosts:
        try:
            h.run(CLEANUP, timeout=60, check=False)
        except RemoteError as e:
            if h not in quiet:
                print(f"clean-up: {e}", flush=True)


def check(hosts, qperf, nics=()):
    """Both hosts reachable, calperf loaded (or loadable) on each, the same
    versions on both, each host's wire NIC of @nics (if any) there; their
    kernels and CPUs, for the results."""
    info = {}
    for h, nic in zip(hosts, nics or [None] * len(hosts)):
        has_nic = "" if nic is None else (
            f"[ -e /sys/class/net/{shlex.quote(nic)} ] || "
            f"{{ echo {shlex.quote(f'no NIC {nic} (--host-nics)')} >&2; exit 1; }}; ")
        out = h.run(has_nic + "command -v calperfctl >/dev/null || "
                    "{ echo 'calperfctl is not installed' >&2; exit 1; }; "
                    "calperfctl session show >/dev/null || exit 1; "
                    "calperfctl -j -V; echo; uname -r; nproc; "
                    "sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1; "
                    f"{'command -v qperf >/dev/null || echo no-qperf' if qperf else ''}")
        lines = out.splitlines()
        try:
            v = json.loads(lines[0])
        except (ValueError, IndexError):
            raise RemoteError(h, f"calperfctl -V printed no JSON: {out[:80]!r}")
        if "no-qperf" in lines:
            raise RemoteError(h, "qperf is not installed (or run with --no-qperf)")
        if not v.get("module_version"):
            raise RemoteError(h, "the calperf module is not loaded")
        info[h.role] = {"dest": h.dest, "calperfctl": v.get("calperfctl_version"),
                        "module": v["module_version"], "kernel": lines[2],
                        "cpus": int(lines[3]), "cpu_model": lines[4] if len(lines) > 4 else ""}
    a, b = info["A"], info["B"]
    for key in ("module", "calperfctl"):
        if a[key] != b[key]:
            raise RemoteError(f"{hosts[0]} and {hosts[1]}", f"calperf versions differ: "
                              f"{key} {a[key]} on {hosts[0]}, {b[key]} on {hosts[1]}")
    return info


class RemoteTopology:
    """One path between the hosts: the wire's NIC of each moved into a
    namespace of its own (cps-hA, cps-hB) with the host's address, then
    what the path adds on each side."""
    name = title = ""
    # What the results should say of how the path was made.
    about = {}

    def __init__(self, hosts, nics, mtu):
        self.hosts, self.nics, self.mtu = hosts, nics, mtu
        self.client, self.server = NS["A"], NS["B"]
        self.server_addr = ADDR["B"]

    def up(self):
        for h, nic in zip(self.hosts, self.nics):
            h.run(self.underlay(h.role, nic) + self.build(h.role))

    def underlay(self, role, nic):
        ns, q = NS[role], shlex.quote(nic)
        return f"""set -e
[ -e /sys/class/net/{q} ] || {{ echo "no NIC {q}" >&2; exit 1; }}
if ip -o addr show dev {q} scope global | grep -q .; then
    echo "NIC {q} has addresses (the study needs a NIC of the wire alone, not the one SSH uses)" >&2
    exit 1
fi
mkdir -p {STATE}
ip netns add {ns}
echo "{ns} {q} $(cat /sys/class/net/{q}/mtu)" >{STATE}/nic
ip -n {ns} link set lo up
ip link set {q} netns {ns}
ip -n {ns} link set {q} mtu {self.mtu} up
ip -n {ns} addr add {ADDR[role]}/24 dev {q}
ip netns exec {ns} sysctl -qw net.ipv4.ip_forward=1
"""

    def build(self, role):
        return ""

    def down(self):
        cleanup(self.hosts)


class RemoteBare(RemoteTopology):
    name, title = "bare", "bare metal: host to host, two machines"


class RemoteCalico(RemoteTopology):
    """A workload per host behind a routed veth, as Calico wires a pod
    (topology.Calico, on two machines): /32 routes, proxy ARP for a
    link-local gateway, no bridge. NIC is each host's --host-nics.

    host A                                            host B
    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.1.1/32           │                  │ eth0 198.18.2.1/32           │
    │ default via 169.254.1.1      │                  │ default via 169.254.1.1      │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ caliA: proxy ARP             │                  │ caliB: proxy ARP             │
    │ 198.18.1.1/32 dev caliA      │                  │ 198.18.2.1/32 dev caliB      │
    │ 198.18.2.1/32 via 198.18.0.2 │                  │ 198.18.1.1/32 via 198.18.0.1 │
    │ default via 198.18.0.2       │                  │ default via 198.18.0.1       │
    │ NIC 198.18.0.1/24 ───────────┼──────────────────┼─────────── NIC 198.18.0.2/24 │
    │ cps-hA, ip_forward=1         │       wire       │ cps-hB, ip_forward=1         │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "calico", "container, Calico-style routed veth, two machines"

    def __init__(self, hosts, nics, mtu):
        super().__init__(hosts, nics, mtu)
        self.client, self.server = "cps-wA", "cps-wB"
        self.server_addr = WORKLOAD["B"]

    def build(self, role):
        host, w, cali, addr = NS[role], f"cps-w{role}", f"cali{role}", WORKLOAD[role]
        peer = "B" if role == "A" else "A"
        nic = shlex.quote(self.nics[0 if role == "A" else 1])
        return f"""ip netns add {w}
ip -n {w} link set lo up
ip -n {w} link add eth0 mtu {self.mtu} type veth peer name {cali} netns {host} mtu {self.mtu}
ip -n {w} link set eth0 up
ip -n {host} link set {cali} up
ip -n {w} addr add {addr}/32 dev eth0
ip -n {w} route add 169.254.1.1 dev eth0 scope link
ip -n {w} route add default via 169.254.1.1 dev eth0
ip netns exec {host} sysctl -qw net.ipv4.conf.{cali}.proxy_arp=1 net.ipv4.neigh.{cali}.proxy_delay=0
ip -n {host} route add {addr}/32 dev {cali}
ip -n {host} route add {WORKLOAD[peer]}/32 via {ADDR[peer]} dev {nic}
ip -n {host} route add default via {ADDR[peer]} dev {nic}
"""


class RemoteBridge(RemoteTopology):
    """A workload per host on a subnet of its own, its veth on the host's
    bridge, the hosts routing between the subnets (topology.Bridge, on
    two machines). NIC is each host's --host-nics.

    host A                                            host B
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
    │ NIC 198.18.0.1/24 ───────────┼──────────────────┼─────────── NIC 198.18.0.2/24 │
    │ cps-hA, ip_forward=1         │       wire       │ cps-hB, ip_forward=1         │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "bridge", "container, Linux bridge (Docker-style, routed), two machines"
    SUBNET = {"A": 3, "B": 4}

    def __init__(self, hosts, nics, mtu):
        super().__init__(hosts, nics, mtu)
        self.client, self.server = "cps-wA", "cps-wB"
        self.server_addr = f"198.18.{self.SUBNET['B']}.2"

    def build(self, role):
        host, w, veth = NS[role], f"cps-w{role}", f"veth{role}"
        peer = "B" if role == "A" else "A"
        net, other = self.SUBNET[role], self.SUBNET[peer]
        return f"""ip netns add {w}
ip -n {w} link set lo up
ip -n {host} link add br0 mtu {self.mtu} type bridge
ip -n {host} link set br0 up
ip -n {w} link add eth0 mtu {self.mtu} type veth peer name {veth} netns {host} mtu {self.mtu}
ip -n {w} link set eth0 up
ip -n {host} link set {veth} master br0 up
ip -n {host} addr add 198.18.{net}.1/24 dev br0
ip -n {w} addr add 198.18.{net}.2/24 dev eth0
ip -n {w} route add default via 198.18.{net}.1
ip -n {host} route add 198.18.{other}.0/24 via {ADDR[peer]}
"""


class RemoteVxlan(RemoteTopology):
    """A workload per host on one overlay subnet: VXLAN (UDP 4789) between
    the hosts' NICs (--host-nics), bridged to each workload's veth, inner
    MTU 50 bytes under the wire's (topology.Vxlan, on two machines).

    host A                                            host B
    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.7.1/24           │                  │ eth0 198.18.7.2/24           │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ vethA and vx0 on br0         │                  │ vethB and vx0 on br0         │
    │ vx0: VXLAN 42 to 198.18.0.2  │                  │ vx0: VXLAN 42 to 198.18.0.1  │
    │ NIC 198.18.0.1/24 ───────────┼──────────────────┼─────────── NIC 198.18.0.2/24 │
    │ cps-hA, ip_forward=1         │       wire       │ cps-hB, ip_forward=1         │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "vxlan", "overlay: VXLAN and a Linux bridge, two machines"
    ADDR = {"A": "198.18.7.1", "B": "198.18.7.2"}

    def __init__(self, hosts, nics, mtu):
        super().__init__(hosts, nics, mtu)
        self.client, self.server = "cps-wA", "cps-wB"
        self.server_addr = self.ADDR["B"]

    def build(self, role):
        host, w, veth = NS[role], f"cps-w{role}", f"veth{role}"
        peer = "B" if role == "A" else "A"
        nic = shlex.quote(self.nics[0 if role == "A" else 1])
        inner = self.mtu - VXLAN_OVERHEAD
        return f"""ip netns add {w}
ip -n {w} link set lo up
ip -n {host} link add vx0 type vxlan id 42 dstport 4789 \\
    local {ADDR[role]} remote {ADDR[peer]} dev {nic}
ip -n {host} link add br0 type bridge
ip -n {host} link set vx0 master br0
ip -n {w} link add eth0 mtu {inner} type veth peer name {veth} netns {host} mtu {inner}
ip -n {w} link set eth0 up
ip -n {host} link set {veth} master br0 up
ip -n {host} link set vx0 mtu {inner} up
ip -n {host} link set br0 mtu {inner} up
ip -n {w} addr add {self.ADDR[role]}/24 dev eth0
"""


class RemoteOvs(RemoteTopology):
    """Open vSwitch with VXLAN between the machines, with each host's own
    installed Open vSwitch (a real host's is the user's: the study never
    installs one there). Its daemons are the study's, not the host's
    service: an ovsdb-server and ovs-vswitchd inside the host's
    namespace, their database (made by ovsdb-tool), sockets and pid
    files in the study's directory, ended by the clean-up. NIC is each
    host's --host-nics.

    host A                                            host B
    ┌──────────────────────────────┐                  ┌──────────────────────────────┐
    │ cps-wA (workload A)          │                  │ cps-wB (workload B)          │
    │ eth0 198.18.8.1/24           │                  │ eth0 198.18.8.2/24           │
    └───────────────┬──────────────┘                  └───────────────┬──────────────┘
                    │ veth                                            │ veth
    ┌───────────────┴──────────────┐                  ┌───────────────┴──────────────┐
    │ br-int (ovs-vswitchd):       │                  │ br-int (ovs-vswitchd):       │
    │ vethA, vx0: VXLAN key 42     │                  │ vethB, vx0: VXLAN key 42     │
    │ to 198.18.0.2                │                  │ to 198.18.0.1                │
    │ NIC 198.18.0.1/24 ───────────┼──────────────────┼─────────── NIC 198.18.0.2/24 │
    │ cps-hA, ip_forward=1         │       wire       │ cps-hB, ip_forward=1         │
    └──────────────────────────────┘                  └──────────────────────────────┘
    """
    name, title = "ovs", "overlay: Open vSwitch and VXLAN, two machines"
    ADDR = {"A": "198.18.8.1", "B": "198.18.8.2"}
    RUN = f"{STATE}/ovs"

    def __init__(self, hosts, nics, mtu):
        super().__init__(hosts, nics, mtu)
        self.client, self.server = "cps-wA", "cps-wB"
        self.server_addr = self.ADDR["B"]

    def up(self):
        for h in self.hosts:
            missing = h.run(ovs.CHECK).splitlines()
            if missing:
                raise Unavailable(f"{h}: Open vSwitch is not installed there "
                                  f"(no {', '.join(missing)})")
        versions = []
        for h, nic in zip(self.hosts, self.nics):
            out = h.run(self.underlay(h.role, nic) + self.build(h.role))
            versions.append(f"{(out.strip().splitlines() or ['?'])[-1]} on {h}")
        self.about = {"ovs": ", ".join(versions) + " (installed)"}

    def build(self, role):
        host, w, veth = NS[role], f"cps-w{role}", f"veth{role}"
        peer = "B" if role == "A" else "A"
        inner = self.mtu - VXLAN_OVERHEAD
        return ovs.start_script(host, self.RUN) + f"""ip netns add {w}
ip -n {w} link set lo up
ip -n {w} link add eth0 mtu {inner} type veth peer name {veth} netns {host} mtu {inner}
ip -n {w} link set eth0 up
ip -n {host} link set {veth} up
""" + ovs.bridge_script(host, self.RUN, veth, ADDR[peer]) + f"""ip -n {w} addr add {self.ADDR[role]}/24 dev eth0
ovs-vswitchd --version | head -n 1
"""


class RemoteExisting(RemoteTopology):
    """Between workloads that exist already (containers, pods): the
    client in @client_netns on A, the server in @server_netns on B, each
    as calperfctl takes a namespace and resolved on its own host (pid:N,
    container:NAME, a name under /run/netns; None: the host's own), and
    @server_addr the address the client connects to. Nothing is built,
    no NIC moved, and nothing of the workloads is torn down: the clean-up
    deletes only calperf's sessions. qperf is not run (it would have to
    run inside them)."""
    name, title = "existing", "existing workloads, two machines"

    def __init__(self, hosts, client_netns, server_netns, server_addr):
        self.hosts, self.nics, self.mtu = hosts, [], None
        self.client, self.server = client_netns, server_netns
        self.server_addr = server_addr
        self.about = {"client_netns": client_netns or "(host A's)",
                      "server_netns": server_netns or "(host B's)",
                      "server_addr": server_addr}

    def up(self):
        pass


class RemoteVm(RemoteExisting):
    """Between two virtual machines as they are: A and B are the guests
    themselves (calperf loaded inside each, driven over SSH), each with
    the NIC its hypervisor gave it (@nics) and the address its cloud gave
    that NIC; @server_addr is B's (None: the first IPv4 address of B's
    NIC). The path beyond the guests (the compute hosts' taps, their
    routes, the wire) is the hosts': nothing is built or torn down but
    calperf's sessions and qperf's server. The title names the
    hypervisor each guest reports, @virt: each role's provenance "virt"
    (systemd-detect-virt --vm: kvm, or qemu when QEMU emulates the CPU;
    then any container)."""
    name, title = "vm", "VM: calperf inside two guests, their own NICs"
    VIRT = {"kvm": "KVM", "qemu": "QEMU with an emulated CPU, TCG", "none": "not a VM"}

    def __init__(self, hosts, nics, server_addr, virt):
        super().__init__(hosts, None, None, server_addr)
        self.nics = nics
        self.virt = {}
        for role, v in virt.items():
            v = (v or "").split(",")[0].strip() or "unknown"
            self.virt[role] = self.VIRT.get(v, v)

    def up(self):
        if not self.server_addr:
            b, nic = self.hosts[1], shlex.quote(self.nics[1])
            out = b.run(f"ip -o -4 addr show dev {nic} scope global")
            addrs = [line.split()[3].split("/")[0] for line in out.splitlines()
                     if len(line.split()) > 3]
            if not addrs:
                raise RemoteError(b, f"no IPv4 address on {self.nics[1]} to connect to "
                                  "(give --server-addr)")
            self.server_addr = addrs[0]
        virt = self.virt
        said = virt["A"] if virt["A"] == virt["B"] else f"{virt['A']} and {virt['B']}"
        self.about = {"title": f"VM: calperf inside two guests ({said}), their own NICs",
                      "server_addr": self.server_addr, "virt": virt,
                      "nics": {"A": self.nics[0], "B": self.nics[1]}}


TOPOLOGIES = {t.name: t for t in (RemoteBare, RemoteCalico, RemoteBridge, RemoteVxlan,
                                  RemoteOvs, RemoteExisting, RemoteVm)}
# The topologies that take the endpoints as they are: each measured alone.
AS_THEY_ARE = ("existing", "vm")


class Pair:
    """Measurements between the client on A and the server on B, each
    host's CPU its own."""

    def __init__(self, a, b, topo, client_cpu, server_cpu, port=CALPERF_PORT):
        self.a, self.b, self.t = a, b, topo
        self.client_cpu, self.server_cpu = client_cpu, server_cpu
        self.port = port

    def receiver(self, kind, seconds, *opts, sockbuf=None):
        """A receiver session on B, started (listening) before this
        returns; its id."""
        args = ["session", "add", "kind", kind, "time", seconds + RECEIVER_SLACK, *opts,
                "receiver", *(["netns", self.t.server] if self.t.server else []),
                "addr", self.t.server_addr, "port", self.port, "cpu", self.server_cpu]
        if sockbuf is not None:
            args += ["sockbuf", sockbuf]
        cmd = "calperfctl -j " + " ".join(shlex.quote(str(x)) for x in args)
        out = self.b.run(f"""set -e
mkdir -p {STATE}
out=$({cmd})
id=$(echo "$out" | grep -o '"id": *[0-9]*' | head -n 1 | tr -dc 0-9)
[ -n "$id" ] || {{ echo "session add printed no id: $out" >&2; exit 1; }}
echo "$id" >>{STATE}/sessions
calperfctl session start "$id" >/dev/null
echo "$id"
""")
        return int(out.strip())

    def collect(self, sid, seconds):
        """The receiver session's JSON once it is done; then deleted."""
        out = self.b.run(f"""
for _ in $(seq {seconds * 10 + 600}); do
    s=$(calperfctl -j session show {sid}) || exit 1
    echo "$s" | grep -q '"state": *"done"' && break
    sleep 0.1
done
echo "$s"
calperfctl session del {sid} >/dev/null
sed -i '/^{sid}$/d' {STATE}/sessions
""", timeout=seconds + 120)
        try:
            return json.loads(out)
        except ValueError:
            raise RemoteError(self.b, f"session show printed no JSON: {out[:80]!r}")

    def abandon(self, sid):
        """A receiver whose sender failed: stopped and deleted, if B answers
        (else the clean-up sees to it)."""
        try:
            self.b.run(f"calperfctl session stop {sid}; calperfctl session del {sid}; "
                       f"sed -i '/^{sid}$/d' {STATE}/sessions", timeout=60, check=False)
        except RemoteError:
            pass

    def sender(self, kind, seconds, *opts):
        netns = ["client-netns", self.t.client] if self.t.client else []
        return self.a.calperf(kind, self.t.server_addr, "port", self.port, "client-only",
                              *netns, "client-cpu", self.client_cpu,
                              "time", seconds, *opts, timeout=seconds * 10 + 120)

    def stream(self, size, seconds, sockbuf):
        rx_buf = size if sockbuf == "msg" else 0
        sid = self.receiver("stream", seconds, "msg-size", size, sockbuf=rx_buf)
        try:
            tx = self.sender("stream", seconds, "msg-size", size, "sockbuf", 0)
        except Exception:
            self.abandon(sid)
            raise
        rx = self.collect(sid, seconds)
        txe, rxe = tx["session"]["sender"]["stats"], rx["receiver"]["stats"]
        if tx.get("error") or rx.get("error"):
            raise measure.MeasureError(f"calperf stream: sender {tx.get('error_name') or 'ok'}"
                                       f", receiver {rx.get('error_name') or 'ok'}")
        gbps = received_gbps(rxe)
        tx_cpu = host_cores(tx["session"], txe)
        rx_cpu = host_cores(rx, rxe)
        return {
            "gbps": gbps,
            # Each host's path CPU (kthreads, softirq, hardirq) over its
            # own data phase.
            "sender_cpu": tx_cpu,
            "receiver_cpu": rx_cpu,
            "sender_cpu_per_gbps": tx_cpu / gbps if gbps else None,
            "receiver_cpu_per_gbps": rx_cpu / gbps if gbps else None,
            "cpu_per_gbps": max(tx_cpu, rx_cpu) / gbps if gbps else None,
            "sender_bytes": txe["bytes"],
            "receiver_bytes": rxe["bytes"],
            "sender_path_ns": tx["session"].get("cpu_time", {}).get("path_ns"),
            "receiver_path_ns": rx.get("cpu_time", {}).get("path_ns"),
            "sender_elapsed_ns": txe["elapsed_ns"],
            "receiver_elapsed_ns": rxe["elapsed_ns"],
            "retransmits": txe.get("tcp_retrans_segments"),
        }

    def hops(self, size, seconds, sample):
        """One traced stream, both ends' buffers at @size (as the local
        study's): each host traces its own part of the same sampled bytes
        (one message in @sample), A from the send to its NIC, B from its
        NIC to the read. The table joins them; the wire between them is
        not measured, since the two clocks are not compared, so neither
        is the end-to-end latency."""
        trace = ("msg-size", size, "hop-sample", sample)
        sid = self.receiver("stream", seconds, *trace, sockbuf=size)
        try:
            tx = self.sender("stream", seconds, *trace, "sockbuf", size, "hops")
        except Exception:
            self.abandon(sid)
            raise
        rx = self.collect(sid, seconds)
        parts = {}
        for role, host, h in (("A", self.a, tx["session"].get("hops")),
                              ("B", self.b, rx.get("hops"))):
            if not h or not h["complete"]:
                raise measure.MeasureError(
                    f"{host}: no sample traced through its part "
                    f"({h['sampled'] if h else 0} sampled, one in {sample}); raise --time "
                    "or lower --hop-sample")
            parts[role] = h
        a, b = parts["A"], parts["B"]
        # A's first point is the send, where its clock starts; B's is its
        # NIC, reached over the wire at a time of B's clock.
        a_names, b_names = host_netns(self.a), host_netns(self.b)
        wire = dict(measure.hop_rows(b["path"][:1], b_names)[0],
                    count=0, p50_us=None, p99_us=None)
        return {"size": size, "sample": sample,
                "gbps": received_gbps(rx["receiver"]["stats"]),
                "sampled": a["sampled"], "complete": min(a["complete"], b["complete"]),
                "path": (measure.hop_rows(a["path"][1:], a_names) + [wire] +
                         measure.hop_rows(b["path"][1:], b_names)),
                "end_to_end": {"count": 0, "p50_us": None, "p99_us": None},
                "parts": {role: {"complete": h["complete"],
                                 **measure.latency_us(h["end_to_end"])}
                          for role, h in parts.items()}}

    def rr(self, seconds):
        sid = self.receiver("rr", seconds)
        try:
            r = self.sender("rr", seconds)
        except Exception:
            self.abandon(sid)
            raise
        rx = self.collect(sid, seconds)
        if r.get("error"):
            raise measure.MeasureError(f"calperf rr: {r.get('error_name')}")
        pct = r.get("rtt_percentiles", {})
        cle, sve = r["session"]["sender"]["stats"], rx["receiver"]["stats"]
        return {"latency_us": r["latency_ns"] / 1e3,
                "rtt_p50_us": pct.get("p50_ns", 0) / 1e3,
                "rtt_p99_us": pct.get("p99_ns", 0) / 1e3,
                "transactions_per_s": r["transactions_per_s"],
                "client_cpu": host_cores(r["session"], cle),
                "server_cpu": host_cores(rx, sve)}

    # qperf the same way: its server on B for the topology's lifetime,
    # the client on A; each side reads its own host's /proc/stat.
    def qperf_server(self):
        ns = in_netns(self.t.server)
        self.b.run(f"""set -e
mkdir -p {STATE}
setsid {ns}qperf -lp {measure.QPERF_PORT} </dev/null >/dev/null 2>&1 &
echo $! >{STATE}/qperf.pid
for _ in $(seq 100); do
    [ -n "$({ns}ss -Htln 'sport = :{measure.QPERF_PORT}')" ] && exit 0
    sleep 0.1
done
echo "qperf's server did not start" >&2
exit 1
""")

    def qperf(self, test, seconds, *args):
        cmd = ["qperf", "-v", "-t", seconds,
               "-lp", measure.QPERF_PORT, "-lca", self.client_cpu, "-rca", self.server_cpu,
               *args, self.t.server_addr, test]
        out = self.a.run(in_netns(self.t.client) + " ".join(shlex.quote(str(c)) for c in cmd),
                         timeout=seconds * 10 + 120)
        return measure.parse_qperf(out)

    def qperf_stream(self, size, seconds, sockbuf):
        v = self.qperf("tcp_bw", seconds, "-m", size, *measure.qperf_sockbuf(size, sockbuf))
        gbps = v.get("bw", 0) / 1e9
        # Each side's /proc/stat is its own host's, here.
        tx, rx = v.get("send_cpus_used", 0), v.get("recv_cpus_used", 0)
        return {"gbps": gbps, "sender_cpu": tx, "receiver_cpu": rx,
                "sender_cpu_per_gbps": tx / gbps if gbps else None,
                "receiver_cpu_per_gbps": rx / gbps if gbps else None,
                "cpu_per_gbps": max(tx, rx) / gbps if gbps else None,
                "send_cost_s_per_gb": v.get("send_cost"),
                "recv_cost_s_per_gb": v.get("recv_cost")}

    def qperf_rr(self, seconds):
        v = self.qperf("tcp_lat", seconds, "-m", 1)
        return {"latency_us": v["latency"] / 1e3}


def in_netns(ns):
    """The prefix that runs a command in named namespace @ns (None: the
    host's own)."""
    return f"ip netns exec {shlex.quote(ns)} " if ns else ""


def received_gbps(stats):
    """A receiver's throughput from its end's stats: bytes over its data
    phase (0 if no data moved)."""
    return stats["bytes"] * 8 / stats["elapsed_ns"] if stats["elapsed_ns"] else 0.0


def host_netns(host):
    """Inode number -> name of @host's named network namespaces."""
    out = host.run('for f in /run/netns/*; do [ -e "$f" ] && '
                   'echo "$(stat -L -c %i "$f") ${f##*/}"; done; true')
    return dict((int(i), n) for i, n in (line.split(None, 1) for line in out.splitlines()))


def host_cores(session, stats):
    """A host's path CPU over its end's data phase, in cores: the
    kthreads plus the softirq and hardirq time outside them, over the
    time the data moved. A receiver that started first and waited for
    its sender spent that wait idle, so dividing by the data phase, not
    the whole CPU window, does not under-report it."""
    path = session.get("cpu_time", {}).get("path_ns")
    if path is None:
        path = stats.get("cpu_ns", 0)
    return path / stats["elapsed_ns"] if stats.get("elapsed_ns") else 0.0
