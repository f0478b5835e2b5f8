# SPDX-License-Identifier: GPL-2.0
"""A raw generic netlink client, for the requests calperfctl would never
send, with the family's numbers taken from its netlink spec; and what
/proc/net/netlink says of this namespace's generic netlink sockets."""

import os
import signal
import socket
import struct
import sys
import time

from calperf import REPO
from ktap import wait_for

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
NLA_F_NESTED = 0x8000


# --- the family's numbers, from its spec -----------------------------------

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
# CHECK["session"]["msg_size"]["max"]: each attribute's checks in the
# spec (bounds, lengths), which the kernel's policies are generated from.
CHECK = {aset.name.replace("-", "_"): {k: a.yaml.get("checks", {})
                                       for k, a in _names(aset.attrs.items()).items()}
         for aset in SPEC.attr_sets.values()}


# --- attributes ------------------------------------------------------------

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


# --- the client ------------------------------------------------------------

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


# --- this namespace's generic netlink sockets ------------------------------

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
