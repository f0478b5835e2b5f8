# SPDX-License-Identifier: GPL-2.0
"""Helpers for calperf's selftests: KTAP output, the module, network
namespaces joined by veth, calperfctl, and a raw generic netlink client
for requests calperfctl would never send."""

import errno
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALPERFCTL = os.path.join(REPO, "user", "calperfctl")
TAPFWD = os.path.join(REPO, "user", "calperf-tapfwd")
SKIP = 4


# --- KTAP -----------------------------------------------------------------

class Ktap:
    """One test program: a list of named checks, run in order."""

    def __init__(self):
        self.tests = []
        self.counts = {"pass": 0, "fail": 0, "skip": 0}
        self.n = 0

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def _line(self, ok, name, directive=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} {name}{directive}", flush=True)

    def run(self):
        print("TAP version 13")
        print(f"1..{len(self.tests)}", flush=True)
        for fn in self.tests:
            name = fn.__name__
            try:
                fn()
            except Skip as e:
                self.counts["skip"] += 1
                self._line(True, name, f" # SKIP {e}")
                continue
            except Exception:
                self.counts["fail"] += 1
                for line in traceback.format_exc().rstrip().splitlines():
                    print(f"# {line}")
                self._line(False, name)
                continue
            self.counts["pass"] += 1
            self._line(True, name)
        c = self.counts
        print(f"# Totals: pass:{c['pass']} fail:{c['fail']} xfail:0 xpass:0 "
              f"skip:{c['skip']} error:0", flush=True)
        if c["fail"]:
            sys.exit(1)
        sys.exit(SKIP if c["skip"] and not c["pass"] else 0)


class Skip(Exception):
    pass


def diag(msg):
    for line in str(msg).splitlines():
        print(f"# {line}", flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


# The debug kernel (KASAN, lockdep...) runs about ten times slower: there
# the tests look for kernel reports, and time bounds are reported only.
DEBUG_KERNEL = os.environ.get("CALPERF_VM_KERNEL") == "debug"


def check_timing(cond, msg):
    """A bound in time: checked, except on the debug kernel."""
    if DEBUG_KERNEL:
        if not cond:
            diag(f"not checked on the debug kernel: {msg}")
        return
    check(cond, msg)


def wait_for(pred, timeout, what, step=0.05):
    if DEBUG_KERNEL:
        timeout *= 10
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- processes and the module ----------------------------------------------

def sh(cmd, check_rc=True, timeout=60, **kw):
    """Run a shell command; returns CompletedProcess with text output.
    @timeout bounds a hang: ten times looser on the debug kernel."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=timeout * (10 if DEBUG_KERNEL else 1), **kw)
    if check_rc and p.returncode:
        raise AssertionError(f"'{cmd}' exited {p.returncode}: {p.stderr.strip()}")
    return p


def module_loaded():
    with open("/proc/modules") as f:
        return any(line.split()[0] == "calperf" for line in f)


def module_load():
    if not module_loaded():
        ko = os.environ.get("CALPERF_KO")
        if not ko:
            raise Skip("CALPERF_KO is not set (run inside selftests/vm/run)")
        sh(f"insmod {ko}")


def module_unload():
    if module_loaded():
        sh("rmmod calperf", timeout=30)


def loaded_with_pair():
    """The start of most test programs: the module in, a veth pair."""
    module_load()
    return VethPair()


def close_all(*paths):
    """Their end: the topologies gone, and no session left behind."""
    for p in paths:
        p.close()
    check(session_count() == 0, "sessions left behind")


def reload_module():
    """Unload, which must leave no kthread behind, then load again."""
    module_unload()
    check(not module_loaded(), "the module is still loaded")
    check(not calperf_kthreads(), f"kthreads left: {calperf_kthreads()}")
    module_load()


def calperf_kthreads():
    """Names of live calperf kthreads."""
    names = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm.startswith("calperf-"):
                names.append(comm)
    return names


# --- calperfctl ------------------------------------------------------------

class Ctl:
    def __init__(self, p, as_json):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr
        self.json = None
        if as_json and p.stdout.strip():
            self.json = json.loads(p.stdout)


def ctl(*args, ns=None, as_json=True, prefix="", timeout=120):
    """Run calperfctl (in netns @ns) and parse its JSON output."""
    cmd = [CALPERFCTL] + (["-j"] if as_json else []) + [str(a) for a in args]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    if prefix:
        cmd = prefix.split() + cmd
    # A bound on a hung calperfctl, not on the path: ten times looser on
    # the debug kernel, which runs ten times slower.
    return Ctl(subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout * (10 if DEBUG_KERNEL else 1)), as_json)


def ctl_ok(*args, **kw):
    r = ctl(*args, **kw)
    check(r.rc == 0, f"calperfctl {' '.join(map(str, args))} failed: {r.err.strip()}")
    return r


def session(sid):
    return ctl_ok("session", "show", sid).json


def wait_done(sid, timeout):
    """Session @sid once its state is "done"."""
    return wait_for(lambda: (lambda s: s if s["state"] == "done" else None)(session(sid)),
                    timeout, f"session {sid} to finish")


def netlink_sockets():
    """This namespace's generic netlink sockets, from /proc/net/netlink:
    {inode: (groups, drops)}; drops counts the notifications the kernel
    dropped because the socket overran."""
    with open("/proc/net/netlink") as f:
        rows = [ln.split() for ln in f][1:]
    return {int(r[9]): (int(r[3], 16), int(r[8])) for r in rows
            if r[1] == str(NETLINK_GENERIC)}


def netlink_drops():
    return sum(drops for _, drops in netlink_sockets().values())


def subscribed(pid):
    """Whether process @pid has a generic netlink socket in a group."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if link.startswith("socket:["):
            inodes.add(int(link[8:-1]))
    return any(groups for ino, (groups, _) in netlink_sockets().items() if ino in inodes)


def stalled_until_overrun(p, hold=0.5):
    """Stop process @p (SIGSTOP) until one of this namespace's generic
    netlink sockets overruns, and @hold seconds more (the kernel drops
    all that comes meanwhile), then let it go on."""
    before = netlink_drops()
    os.kill(p.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: netlink_drops() > before, 20, "a stalled socket to overrun", 0.1)
        time.sleep(hold)
    finally:
        os.kill(p.pid, signal.SIGCONT)


def session_count(ns=None):
    r = ctl_ok("session", "show", ns=ns)
    return len(r.json)


# --- network namespaces ----------------------------------------------------

_pair_seq = [0]


class VethPair:
    """Namespaces A and B joined by one veth pair, IPv4 and IPv6."""

    def __init__(self):
        _pair_seq[0] += 1
        n = _pair_seq[0]
        tag = f"{os.getpid()}-{n}"
        self.a, self.b = f"cpa-{tag}", f"cpb-{tag}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        self.a6, self.b6 = f"2001:2:0:{n:x}::1", f"2001:2:0:{n:x}::2"
        sh(f"ip netns add {self.a}")
        sh(f"ip netns add {self.b}")
        sh(f"ip link add va netns {self.a} type veth peer name vb netns {self.b}")
        for ns, dev, a4, a6 in ((self.a, "va", self.a4, self.a6),
                                (self.b, "vb", self.b4, self.b6)):
            sh(f"ip -n {ns} addr add {a4}/24 dev {dev}")
            sh(f"ip -n {ns} addr add {a6}/64 dev {dev} nodad")
            sh(f"ip -n {ns} link set {dev} up")
            sh(f"ip -n {ns} link set lo up")

    def exec(self, ns, cmd):
        return f"ip netns exec {ns} {cmd}"

    def run(self, kind, *args):
        """calperfctl stream or rr from A to B; its JSON result."""
        return ctl_ok(kind, *args, "client-netns", self.a, "server-netns", self.b).json

    def close(self):
        for ns in (self.a, self.b):
            sh(f"ip netns del {ns}", check_rc=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RoutedPath:
    """Calico-style: workloads A and B each behind a routed veth of a
    host namespace H (/32 routes, proxy ARP, forwarding; no bridge)."""

    def __init__(self, n=40):
        tag = os.getpid()
        self.a, self.h, self.b = f"cwa-{tag}", f"cwh-{tag}", f"cwb-{tag}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        for ns in (self.a, self.h, self.b):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
        sh(f"ip netns exec {self.h} sysctl -qw net.ipv4.ip_forward=1")
        # Proxy ARP answers only for what H can route: give it a default.
        sh(f"ip -n {self.h} link add dummy0 type dummy")
        sh(f"ip -n {self.h} link set dummy0 up")
        sh(f"ip -n {self.h} route add default dev dummy0")
        for ns, cali, addr in ((self.a, "caliA", self.a4), (self.b, "caliB", self.b4)):
            sh(f"ip -n {ns} link add eth0 type veth peer name {cali} netns {self.h}")
            sh(f"ip -n {ns} addr add {addr}/32 dev eth0")
            sh(f"ip -n {ns} link set eth0 up")
            sh(f"ip -n {ns} route add 169.254.1.1 dev eth0 scope link")
            sh(f"ip -n {ns} route add default via 169.254.1.1 dev eth0")
            sh(f"ip netns exec {self.h} sysctl -qw net.ipv4.conf.{cali}.proxy_arp=1")
            sh(f"ip -n {self.h} link set {cali} up")
            sh(f"ip -n {self.h} route add {addr}/32 dev {cali}")

    def close(self):
        for ns in (self.a, self.h, self.b):
            sh(f"ip netns del {ns}", check_rc=False)


class TapPath:
    """A tap device in each of two namespaces, joined by calperf-tapfwd:
    a VM's user-space network backend in small."""

    def __init__(self, n=50):
        tag = os.getpid()
        self.a, self.b = f"cta-{tag}", f"ctb-{tag}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        for ns in (self.a, self.b):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
        sh("modprobe tun", check_rc=False)
        self.fwd = subprocess.Popen([TAPFWD, self.a, "tap0", self.b, "tap1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
        if self.fwd.stdout.readline().strip() != "ready":
            self.fwd.wait(timeout=10)
            self.close()
            raise AssertionError(f"calperf-tapfwd did not start: {self.fwd.stderr.read()}")
        for ns, dev, addr in ((self.a, "tap0", self.a4), (self.b, "tap1", self.b4)):
            sh(f"ip -n {ns} addr add {addr}/24 dev {dev}")
            sh(f"ip -n {ns} link set {dev} up")

    def close(self):
        if self.fwd.poll() is None:
            self.fwd.terminate()
            self.fwd.wait(timeout=10)
        for ns in (self.a, self.b):
            sh(f"ip netns del {ns}", check_rc=False)


class VxlanPath:
    """Namespaces A and B joined by VXLAN (id 42) over a veth underlay."""

    def __init__(self, n=60):
        tag = os.getpid()
        self.a, self.b = f"cxa-{tag}", f"cxb-{tag}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        under = {self.a: f"198.18.{n + 1}.1", self.b: f"198.18.{n + 1}.2"}
        for ns in (self.a, self.b):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
        sh(f"ip link add ul netns {self.a} type veth peer name ul netns {self.b}")
        for ns, peer, addr in ((self.a, self.b, self.a4), (self.b, self.a, self.b4)):
            sh(f"ip -n {ns} addr add {under[ns]}/24 dev ul")
            sh(f"ip -n {ns} link set ul up")
            sh(f"ip -n {ns} link add vx0 type vxlan id 42 dstport 4789 "
               f"local {under[ns]} remote {under[peer]} dev ul")
            sh(f"ip -n {ns} addr add {addr}/24 dev vx0")
            sh(f"ip -n {ns} link set vx0 up")

    def close(self):
        for ns in (self.a, self.b):
            sh(f"ip netns del {ns}", check_rc=False)


class NicPath:
    """The guest's two virtio-net NICs (selftests/vm/run --nics, one QEMU
    hub between them), each moved into a namespace of its own."""

    def __init__(self, n=70):
        sh("modprobe virtio_net", check_rc=False)
        if not all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")):
            raise Skip("no NIC pair (selftests/vm/run --nics)")
        tag = os.getpid()
        self.a, self.b = f"cna-{tag}", f"cnb-{tag}"
        self.a4, self.b4 = f"198.18.{n}.1", f"198.18.{n}.2"
        for ns, dev, addr in ((self.a, "eth0", self.a4), (self.b, "eth1", self.b4)):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
            sh(f"ip link set {dev} netns {ns}")
            sh(f"ip -n {ns} addr add {addr}/24 dev {dev}")
            sh(f"ip -n {ns} link set {dev} up")

    def close(self):
        # Deleting a namespace hands its physical NICs back to the host's.
        for ns in (self.a, self.b):
            sh(f"ip netns del {ns}", check_rc=False)
        wait_for(lambda: all(os.path.exists(f"/sys/class/net/{d}") for d in ("eth0", "eth1")),
                 10, "the NICs back in the initial namespace")


def netns_inode(name):
    """The inode number calperf reports for a named network namespace."""
    return os.stat(f"/run/netns/{name}").st_ino


def netns_fd(name):
    """An fd of a named network namespace, for CALPERF_A_ENDPOINT_NETNS_FD."""
    return os.open(f"/run/netns/{name}", os.O_RDONLY)


def wait_listening(ns, port):
    wait_for(lambda: sh(f"ip netns exec {ns} ss -Htln sport = :{port}",
                        check_rc=False).stdout.strip(), 10, f"a listener on port {port}")


def spawn(cmd, **kw):
    return subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def kill_tree(p, sig=signal.SIGKILL):
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


# --- raw generic netlink ---------------------------------------------------

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
NLMSGERR_ATTR_MISS_TYPE = 5
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 16, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_ATTR_OPS, CTRL_ATTR_MCAST_GROUPS = 6, 7
CTRL_ATTR_OP_ID, CTRL_ATTR_OP_FLAGS = 1, 2
CTRL_ATTR_MCAST_GRP_NAME = 1

def _load_spec():
    """The family's numbers from its netlink spec, through the kernel's own
    YNL library (from linux-source-6.12, see scripts/kernel-tools): the
    tests copy no attribute number."""
    ynl = os.path.join(REPO, "build/linux-source-6.12/tools/net/ynl")
    sys.path.insert(0, ynl)
    try:
        from lib import SpecFamily
    finally:
        sys.path.remove(ynl)
    # Schema checks are ynl.py's (they take minutes under TCG).
    return SpecFamily(os.path.join(REPO, "Documentation/netlink/specs/calperf.yaml"),
                      schema_path="")


SPEC = _load_spec()


def _names(items):
    return {name.replace("-", "_"): item for name, item in items}


# A["stats"]["bytes"]: attribute numbers by set and name ("-" as "_").
A = {aset.name.replace("-", "_"): {k: a.value for k, a in _names(aset.attrs.items()).items()}
     for aset in SPEC.attr_sets.values()}
CMD = {name.replace("session-", ""): op.value for name, op in SPEC.msgs.items()
       if name.startswith("session-")}
A_SESSION, A_EP = A["session"], A["endpoint"]
# ENUM["state"]["done"]: the values of the spec's enums.
ENUM = {name: {e: v.value for e, v in c.entries.items()}
        for name, c in SPEC.consts.items() if c.type == "enum"}
NLA_F_NESTED = 0x8000


def nla(atype, payload):
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    pad = b"\0" * ((4 - len(payload) % 4) % 4)
    return hdr + payload + pad


def u8(t, v): return nla(t, struct.pack("=B", v))
def u16(t, v): return nla(t, struct.pack("=H", v))
def u32(t, v): return nla(t, struct.pack("=I", v))
def s32(t, v): return nla(t, struct.pack("=i", v))
def u64(t, v): return nla(t, struct.pack("=Q", v))
def string(t, v): return nla(t, v.encode() + b"\0")
def nest(t, *attrs): return nla(t | NLA_F_NESTED, b"".join(attrs))


def session_id(replies):
    """The id in the reply to CALPERF_CMD_SESSION_NEW."""
    return struct.unpack("=I", replies[0][1][A_SESSION["id"]])[0]


def parse_attrs(data):
    out = {}
    while len(data) >= 4:
        length, atype = struct.unpack_from("=HH", data)
        if length < 4:
            break
        out[atype & 0x3fff] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


class NlError(Exception):
    def __init__(self, err, msg, offs, miss):
        super().__init__(f"{os.strerror(err)}: {msg}")
        self.errno, self.msg, self.offs, self.miss = err, msg, offs, miss


class Genl:
    """A generic netlink socket speaking to one family by hand."""

    def __init__(self, family="calperf"):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                NETLINK_GENERIC)
        self.sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sk.bind((0, 0))
        self.seq = 0
        self.family_id = GENL_ID_CTRL
        self.ctrl = None
        if family:
            self.ctrl = self.resolve(family)
            self.family_id = struct.unpack("=H", self.ctrl[CTRL_ATTR_FAMILY_ID])[0]

    def resolve(self, name):
        saved, self.family_id = getattr(self, "family_id", GENL_ID_CTRL), GENL_ID_CTRL
        try:
            return self.request(CTRL_CMD_GETFAMILY,
                                string(CTRL_ATTR_FAMILY_NAME, name))[0][1]
        finally:
            self.family_id = saved

    def send_raw(self, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK,
                 version=1, nl_type=None):
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body),
                          self.family_id if nl_type is None else nl_type,
                          flags, self.seq, 0)
        self.sk.send(hdr + body)
        return self.seq

    def recv(self, seq):
        """Replies to @seq as [(cmd, attrs)]; raises NlError on error."""
        replies = []
        while True:
            data = self.sk.recv(1 << 20)
            while data:
                length, ntype, flags, rseq, _ = struct.unpack_from("=IHHII", data)
                msg, data = data[:length], data[(length + 3) & ~3:]
                if rseq != seq:
                    continue
                if ntype == NLMSG_DONE:
                    return replies
                if ntype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", msg, 16)[0]
                    if not err:
                        return replies
                    inner_len = struct.unpack_from("=I", msg, 20)[0]
                    off = 20 + (16 if flags & NLM_F_CAPPED else inner_len)
                    tlv = parse_attrs(msg[off:]) if flags & NLM_F_ACK_TLVS else {}
                    text = tlv.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0").decode()
                    offs = tlv.get(NLMSGERR_ATTR_OFFS)
                    miss = tlv.get(NLMSGERR_ATTR_MISS_TYPE)
                    raise NlError(err, text,
                                  struct.unpack("=I", offs)[0] if offs else None,
                                  struct.unpack("=I", miss)[0] if miss else None)
                replies.append((msg[16], parse_attrs(msg[20:])))

    def request(self, cmd, payload=b"", flags=NLM_F_REQUEST | NLM_F_ACK, **kw):
        return self.recv(self.send_raw(cmd, payload, flags, **kw))

    def dump(self, cmd, payload=b""):
        return self.request(cmd, payload, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)

    def close(self):
        self.sk.close()
