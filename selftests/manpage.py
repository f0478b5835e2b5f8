#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The man pages stay in step with the help. calperfctl(8): every
keyword an object's help lists is described in that object's part of the
man page (rr's in rr's or stream's, whose options it shares), and every
object of the top-level help has its part. calperf-study(1): every
option and topology of each command's --help. Needs no module."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import CALPERFCTL, REPO  # noqa: E402
from ktap import check, Ktap  # noqa: E402

t = Ktap()
OBJECTS = ("stream", "rr", "session", "monitor")


def help_keywords(*args):
    r = subprocess.run([CALPERFCTL, *args, "help"], capture_output=True, text=True)
    usage = (r.stdout + r.stderr).split("\n\n")[0]
    return set(re.findall(r"(?:\[|\||\{) ([a-z][a-z0-9-]*)", usage))


def man_text(page):
    r = subprocess.run(["man", "-l", os.path.join(REPO, "man", page)],
                       capture_output=True, text=True,
                       env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "200"})
    return r.stdout.replace("\u2010", "-")


def man_sections():
    """The man page's OBJECTS part, by object: {"stream": text, ...}."""
    objects = man_text("calperfctl.8").split("\nOBJECTS\n")[1].split("\nPRIVILEGES\n")[0]
    out = {}
    for part in re.split(r"\n   (?=calperfctl )", "\n" + objects):
        m = re.match(r"calperfctl (?:\[ [^]]*\] )?(\w+)", part)
        if m:
            out[m.group(1)] = out.get(m.group(1), "") + part
    return out


@t.test
def every_object_has_its_part():
    sections = man_sections()
    missing = [o for o in help_keywords() & set(OBJECTS) | set(OBJECTS) if o not in sections]
    check(not missing, f"calperfctl(8) has no part for {missing}")


@t.test
def every_keyword_is_described():
    sections = man_sections()
    missing = []
    for obj in OBJECTS:
        text = sections.get(obj, "") + (sections.get("stream", "") if obj == "rr" else "")
        words = set(re.findall(r"[a-z][a-z0-9-]*", text))
        missing += [f"{obj} {k}" for k in sorted(help_keywords(obj) - words)]
    check(not missing, f"in the help, not in calperfctl(8): {missing}")


def study_help(*command):
    r = subprocess.run([os.path.join(REPO, "user/calperf-study"), *command, "--help"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"calperf-study {' '.join(command)} --help: {r.stderr}")
    return r.stdout


@t.test
def every_study_option_is_described():
    """Every --option of calperf-study, report and compare, and every
    topology the help names, is in calperf-study(1) (-h aside)."""
    text = man_text("calperf-study.1")
    words = set(re.findall(r"--[a-z][a-z0-9-]*|[a-z][a-z0-9-]*", text))
    missing = []
    for command in ((), ("report",), ("compare",)):
        usage = study_help(*command)
        names = set(re.findall(r"--[a-z][a-z0-9-]*", usage)) - {"--help"}
        topologies = re.search(r"from: ([a-z,]+)", usage)
        if topologies:
            names |= set(topologies.group(1).split(","))
        missing += [" ".join((*command, n)) for n in sorted(names - words)]
    check(not missing, f"in calperf-study's help, not in calperf-study(1): {missing}")


t.run()
