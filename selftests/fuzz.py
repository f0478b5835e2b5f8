#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A netlink fuzzer that learns the family's commands and policies from
the kernel (the genl controller's policy dump), not from our headers,
and sends thousands of requests built to break them: values just out of
range, wrong lengths, unknown and foreign attributes, garbage nests and
random bytes, from a privileged and an unprivileged caller. Every
request must be answered; every malformed one refused with an extack
message; none may create a session."""
import errno
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import module_load, module_loaded, module_unload, session_count  # noqa: E402
from genl import (  # noqa: E402
    CMD, CTRL_ATTR_FAMILY_NAME, Genl, GENL_ID_CTRL, nla, NLA_F_NESTED, NlError,
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, parse_attrs, SPEC, string, u32)
from ktap import check, diag, Ktap, shared  # noqa: E402

t = Ktap(setup=module_load)
SEED = int(os.environ.get("CALPERF_FUZZ_SEED", "20261126"))
ROUNDS = int(os.environ.get("CALPERF_FUZZ_ROUNDS", "2000"))

CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_POLICY, CTRL_ATTR_OP_POLICY = 8, 9
CTRL_ATTR_POLICY_DO = 1
PT_TYPE, PT_MIN_S, PT_MAX_S, PT_MIN_U, PT_MAX_U = 1, 2, 3, 4, 5
PT_MIN_LEN, PT_MAX_LEN, PT_POLICY_IDX, PT_MAXTYPE = 6, 7, 8, 9
T_FLAG, T_U8, T_U16, T_U32, T_U64, T_S8, T_S16, T_S32, T_S64 = range(1, 10)
T_BINARY, T_STRING, T_NUL_STRING, T_NESTED = 10, 11, 12, 13
WIDTH = {T_U8: 1, T_U16: 2, T_U32: 4, T_U64: 8, T_S8: 1, T_S16: 2, T_S32: 4, T_S64: 8}
FMT = {T_U8: "=B", T_U16: "=H", T_U32: "=I", T_U64: "=Q",
       T_S8: "=b", T_S16: "=h", T_S32: "=i", T_S64: "=q"}


def num(v):
    return struct.unpack("=Q" if len(v) == 8 else "=I", v)[0]


def snum(v):
    return struct.unpack("=q" if len(v) == 8 else "=i", v)[0]


class Learnt:
    """The family's commands and policies as the kernel tells them (the
    genl controller's policy dump), not as our headers do."""

    def __init__(self):
        self.ops = {}       # command -> policy index of its "do"
        self.policies = {}  # policy index -> {attr type -> {PT_* -> value}}
        self.maxtype = {}   # policy index -> highest attribute type it knows
        g = Genl()
        try:
            fam = g.family_id
            g.family_id = GENL_ID_CTRL
            replies = g.recv(g.send_raw(CTRL_CMD_GETPOLICY,
                                        string(CTRL_ATTR_FAMILY_NAME, "calperf"),
                                        flags=NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP))
            g.family_id = fam
        finally:
            g.close()
        for _, attrs in replies:
            if CTRL_ATTR_OP_POLICY in attrs:
                for cmd, body in parse_attrs(attrs[CTRL_ATTR_OP_POLICY]).items():
                    do = parse_attrs(body).get(CTRL_ATTR_POLICY_DO)
                    if do is not None:
                        self.ops[cmd] = num(do)
            if CTRL_ATTR_POLICY in attrs:
                for idx, body in parse_attrs(attrs[CTRL_ATTR_POLICY]).items():
                    for atype, spec in parse_attrs(body).items():
                        p = parse_attrs(spec)
                        self.policies.setdefault(idx, {})[atype] = p
        for idx, pol in self.policies.items():
            self.maxtype[idx] = max(pol)
        diag(f"learnt {len(self.ops)} commands and {len(self.policies)} policies from the "
             f"kernel: commands {sorted(self.ops)}")
        requests = {op.value: op for op in SPEC.msgs.values() if "do" in op.yaml}
        check(sorted(self.ops) == sorted(requests),
              f"commands {sorted(self.ops)}, spec {sorted(requests)}")
        check(len(self.policies) >= 3, "too few policies")


# Learnt once, before the first test that needs it.
LEARNT = shared(Learnt)


class Run:
    """One run of the fuzzer: its random sequence, from SEED, and its
    counts of requests."""

    def __init__(self):
        self.rng = random.Random(SEED)
        self.stats = {"sent": 0, "refused": 0, "accepted": 0}


def attr_type(p):
    return num(p[PT_TYPE])


def bad_value(rng, learnt, atype, p):
    """An attribute of type @atype that breaks its policy @p, or None
    (@rng chooses)."""
    ty = attr_type(p)
    choices = []
    if ty in WIDTH:
        w = WIDTH[ty]
        # A wrong length for a fixed-size integer.
        choices.append(nla(atype, bytes(rng.randrange(256) for _ in range(rng.choice(
            [n for n in (0, 1, 2, 3, 4, 5, 8, 16) if n != w])))))
        signed = ty >= T_S8
        lo = snum(p[PT_MIN_S]) if PT_MIN_S in p else num(p[PT_MIN_U]) if PT_MIN_U in p else None
        hi = snum(p[PT_MAX_S]) if PT_MAX_S in p else num(p[PT_MAX_U]) if PT_MAX_U in p else None
        limit_lo = -(1 << (8 * w - 1)) if signed else 0
        limit_hi = (1 << (8 * w - 1)) - 1 if signed else (1 << (8 * w)) - 1
        if lo is not None and lo > limit_lo:
            choices.append(nla(atype, struct.pack(FMT[ty], lo - 1)))
        if hi is not None and hi < limit_hi:
            choices.append(nla(atype, struct.pack(FMT[ty], rng.randint(hi + 1, limit_hi))))
    elif ty == T_FLAG:
        choices.append(nla(atype, bytes(rng.randrange(1, 9))))
    elif ty in (T_BINARY, T_STRING, T_NUL_STRING):
        mx = num(p[PT_MAX_LEN]) if PT_MAX_LEN in p else None
        mn = num(p[PT_MIN_LEN]) if PT_MIN_LEN in p else None
        if mx is not None:
            choices.append(nla(atype, b"x" * (mx + 1 + rng.randrange(64))))
        if mn is not None and mn > 0:
            choices.append(nla(atype, b"y" * rng.randrange(mn)))
        if ty == T_NUL_STRING:
            choices.append(nla(atype, b"no-terminator"))
    elif ty == T_NESTED:
        # Garbage inside: a truncated header, or a length past the end.
        choices.append(nla(atype | NLA_F_NESTED, bytes([rng.randrange(256) for _ in range(rng.randrange(1, 4))])))
        choices.append(nla(atype | NLA_F_NESTED, struct.pack("=HH", 200, 1) + b"\0" * 4))
        sub = num(p[PT_POLICY_IDX]) if PT_POLICY_IDX in p else None
        if sub in learnt.policies:
            inner = bad_attr(rng, learnt, sub)
            if inner:
                choices.append(nla(atype | NLA_F_NESTED, inner))
    return rng.choice(choices) if choices else None


def bad_attr(rng, learnt, idx):
    pol = learnt.policies.get(idx, {})
    kind = rng.randrange(3)
    if kind == 0 or not pol:
        # Unknown to this command: past its highest type.
        return u32(learnt.maxtype.get(idx, 0) + 1 + rng.randrange(40), rng.randrange(1 << 32))
    if kind == 1:
        # A raw attribute header whose length runs past the message.
        return struct.pack("=HH", 4 + rng.randrange(8, 200), rng.choice(list(pol))) + b"\0\0\0\0"
    atype = rng.choice(list(pol))
    return bad_value(rng, learnt, atype, pol[atype]) or u32(learnt.maxtype[idx] + 1, 0)


def fuzz_one(run, learnt, g, cmd):
    rng, stats = run.rng, run.stats
    idx = learnt.ops[cmd]
    pol = learnt.policies.get(idx, {})
    # Plausible attributes (any value), then at least one that breaks a rule.
    payload = b""
    for atype in rng.sample(list(pol), rng.randrange(len(pol) + 1)) if pol else []:
        ty = attr_type(pol[atype])
        if ty in WIDTH and ty != T_U8:
            payload += nla(atype, struct.pack(FMT[ty], rng.choice([1, 2, 5201])))
    bad = bad_attr(rng, learnt, idx)
    pos = rng.randrange(2)
    payload = payload + bad if pos else bad + payload
    stats["sent"] += 1
    try:
        g.request(cmd, payload)
    except NlError as e:
        stats["refused"] += 1
        if e.errno == errno.EPERM:
            return None
        return e
    stats["accepted"] += 1
    return "accepted"


SPEC_TYPE = {"flag": T_FLAG, "u8": T_U8, "u16": T_U16, "u32": T_U32, "u64": T_U64,
             "s32": T_S32, "string": T_NUL_STRING, "binary": T_BINARY, "nest": T_NESTED}


def policy_differences(learnt, idx, aset, names, where):
    """How the kernel's policy @idx differs from the spec's attributes @names
    of set @aset: types, bounds and nested policies, recursively."""
    pol = learnt.policies.get(idx, {})
    wanted = {aset[n].value: aset[n] for n in names}
    out = [f"{where}: attribute {a} only in the kernel" for a in sorted(set(pol) - set(wanted))]
    for value, attr in wanted.items():
        here = f"{where}.{attr.name}"
        p = pol.get(value)
        if p is None:
            out.append(f"{here}: not in the kernel's policy")
            continue
        if attr_type(p) != SPEC_TYPE[attr.type]:
            out.append(f"{here}: type {attr_type(p)}, spec {attr.type}")
        checks = attr.yaml.get("checks", {})
        for key, pt in (("min", PT_MIN_U), ("max", PT_MAX_U)):
            if key in checks and attr.type != "s32" and num(p.get(pt, b"\0" * 8)) != checks[key]:
                out.append(f"{here}: {key} {num(p[pt]) if pt in p else None}, spec {checks[key]}")
        if attr.type == "nest":
            sub = SPEC.attr_sets.get(attr.yaml["nested-attributes"] + "-request") or \
                SPEC.attr_sets[attr.yaml["nested-attributes"]]
            out += policy_differences(learnt, num(p[PT_POLICY_IDX]), sub, list(sub.attrs), here)
    return out


@t.test(learnt=LEARNT)
def policies_are_the_spec(learnt):
    """Each command's policy is its request in the spec: the same attributes,
    types, bounds and nests (the policies are generated from it)."""
    diffs = []
    for op in SPEC.msgs.values():
        if "do" not in op.yaml:
            continue
        names = op.yaml["do"].get("request", {}).get("attributes", [])
        aset = SPEC.attr_sets[op.yaml["attribute-set"]]
        diffs += policy_differences(learnt, learnt.ops[op.value], aset, names, op.name)
    check(not diffs, "; ".join(diffs))


@t.test(learnt=LEARNT, run=Run)
def privileged_fuzz(learnt, run):
    g = Genl()
    bad = []
    try:
        for i in range(ROUNDS):
            cmd = run.rng.choice(sorted(learnt.ops))
            r = fuzz_one(run, learnt, g, cmd)
            if r == "accepted" or (isinstance(r, NlError) and not r.msg):
                bad.append((cmd, r if r == "accepted" else f"{os.strerror(r.errno)} without message"))
            if i % 200 == 0:
                check(len(g.dump(CMD["get"])) == 0, f"a session exists after request {i}")
    finally:
        g.close()
    stats = run.stats
    diag(f"{stats['sent']} requests: {stats['refused']} refused, {stats['accepted']} accepted")
    check(not bad, f"{len(bad)} malformed requests not refused with a message, e.g. {bad[:5]}")
    check(session_count() == 0, "a malformed request created a session")


@t.test
def unprivileged_fuzz():
    """The same as nobody: configuring commands are refused with EPERM."""
    lib = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib")
    code = (f"import errno, random, sys; sys.path.insert(0, {lib!r});"
            "from genl import A_SESSION, CMD, Genl, NlError, u32; g = Genl(); n = 0;"
            f"rng = random.Random({SEED});"
            "\nfor i in range(300):\n"
            "    cmd = rng.choice([CMD['new'], CMD['start'], CMD['stop'], CMD['del']])\n"
            "    try:\n"
            "        g.request(cmd, u32(A_SESSION['id'], rng.randrange(1, 5))"
            " + bytes(rng.randrange(256) for _ in range(rng.randrange(8))))\n"
            "    except NlError as e:\n"
            "        n += e.errno == errno.EPERM\n"
            "print(n)\n")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"the unprivileged fuzzer failed: {r.stderr}")
    check(r.stdout.strip() == "300", f"EPERM for {r.stdout.strip()} of 300 unprivileged requests")
    check(session_count() == 0, "an unprivileged request created a session")


@t.test
def unload_after_fuzz():
    module_unload()
    check(not module_loaded(), "calperf did not unload")
    module_load()


t.run()
