#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The man pages stay in step with the help. calperfctl(8): every
keyword an object's help lists is described in that object's part of the
man page (rr's in rr's or stream's, whose options it shares), and every
object of the top-level help has its part; every JSON key of
calperf.rst's table is in its OUTPUT section and it names no other.
calperf-study(1): every option and topology of each command's --help.
Needs no module."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from calperf import CALPERFCTL, json_key_table, REPO  # noqa: E402
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


# --- the man page's troff source ---------------------------------------------

def unescape(text):
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    return re.sub(r"\\\(..", "'", text)


def troff_args(rest):
    return [m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
            for m in re.finditer(r'"((?:[^"]|"")*)"|(\S+)', rest)]


def in_fonts(text, font):
    """@text as (character, font) pairs, from @font on, with its \\fX."""
    out = []
    for piece in re.split(r"(\\f[BIRP])", text):
        if re.fullmatch(r"\\f[BIRP]", piece):
            font = "R" if piece[2] == "P" else piece[2]
        else:
            out += [(c, font) for c in unescape(piece)]
    return out


def rendered(lines):
    """Troff source @lines as the (character, font) pairs they print, font
    B, I or R: font macros (.B, .I, .BR, .IR...) and inline \\fX; other
    requests and macros print nothing here."""
    out = []
    for line in lines:
        m = re.match(r"\.([A-Z]{1,2})(?:\s+(.*))?$", line)
        if m and set(m.group(1)) <= set("BIR"):
            fonts, args = m.group(1), troff_args(m.group(2) or "")
            if len(fonts) == 1:
                out += in_fonts(" ".join(args), fonts)
            else:
                for i, a in enumerate(args):
                    out += in_fonts(a, fonts[i % 2])
        elif not line.startswith((".", "'")):
            out += in_fonts(line, "R")
        out.append((" ", "R"))
    return out


def bold_runs(lines):
    """What @lines print in bold, run by run: bold characters (spaces too)
    and the italic ones inside a word, written <ITALIC> (.BI p P _ns is
    "p<P>_ns"); a roman character or an italic space ends a run."""
    runs, run = [], []
    for c, f in rendered(lines) + [(" ", "R")]:
        if f == "B" or (f == "I" and not c.isspace() and run):
            run.append((c, f))
            continue
        text = "".join(f"<{c}>" if f == "I" else c for c, f in run)
        if text.strip():
            runs.append(text.strip().replace("><", ""))
        run = []
    return runs


def man_source(page="calperfctl.8"):
    with open(os.path.join(REPO, "man", page)) as f:
        return f.read().splitlines()


def man_section(lines, name):
    """The lines of the .SH @name section."""
    start = lines.index(f".SH {name}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith(".SH ")), len(lines))
    return lines[start:end]


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


@t.test
def json_keys_both_ways():
    """calperfctl(8)'s OUTPUT names in bold, in its JSON objects' entries,
    every key of calperf.rst's table (p<P>_ns as such), and no key the
    table lacks."""
    output = man_section(man_source(), "OUTPUT")
    json_part = output[output.index(".SS JSON"):]
    entries = json_part[json_part.index(".TP"):]
    in_man = {r for r in bold_runs(entries) if re.fullmatch(r"[a-z][a-z0-9_]*(<[A-Z]+>[a-z0-9_]*)*", r)}
    table = set(json_key_table())
    check(table == in_man, f"table only: {sorted(table - in_man)}, "
          f"man page only: {sorted(in_man - table)}")


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
