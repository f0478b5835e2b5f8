#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The man pages stay in step with the help. calperfctl(8): help works at
every level; the objects, the options and each object's keywords are
the same in the help and in the man page, both ways; every JSON key of
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
# Programs the man page names in bold, as man-pages(7) sets commands:
# not calperfctl's keywords.
PROGRAMS = {"podman", "docker", "crictl"}


def calperfctl_help(*args):
    r = subprocess.run([CALPERFCTL, *args, "help"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("Usage: calperfctl") and not r.stderr,
          f"calperfctl {' '.join(args)} help: exit {r.returncode}, {r.stdout[:80]!r} {r.stderr!r}")
    return r.stdout


def usage_keywords(usage):
    """The keywords of a usage text: each word a bracket, a brace or a bar
    opens, and each command named after its object (session add)."""
    return set(re.findall(r"(?:\[|\||\{) ([a-z][a-z0-9-]*)", usage)) | commands(usage)


def commands(usage):
    """The commands of a usage text: "calperfctl [ -s ] OBJECT CMD" or
    "calperfctl OBJECT { CMD | CMD }"."""
    out = set()
    for group in re.findall(r"calperfctl (?:\[ [^]]*\] )?[a-z]+ (\{[^}]*\}|[a-z]+)", usage):
        out |= set(re.findall(r"[a-z][a-z0-9-]*", group))
    return out


def help_keywords(*args):
    return usage_keywords(calperfctl_help(*args).split("\n\n")[0])


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


def man_parts():
    """calperfctl(8)'s OBJECTS section by object, each part from its .SS
    heading(s) to the next: {object: (syntax, keywords)}, the keywords
    being the headings' and every single word the part sets in bold."""
    parts, obj = {}, None
    for line in man_section(man_source(), "OBJECTS"):
        m = re.match(r"\.SS (calperfctl (?:\[ [^]]*\] )?(\w+).*)", line)
        if m:
            obj = m.group(2)
            syntax, body = parts.setdefault(obj, ([], []))
            syntax.append(unescape(m.group(1)))
        elif obj:
            parts[obj][1].append(line)
    out = {}
    for obj, (syntax, body) in parts.items():
        words = {r for r in bold_runs(body) if re.fullmatch(r"[a-z][a-z0-9-]*", r)}
        out[obj] = ("\n".join(syntax), usage_keywords("\n".join(syntax)) | words)
    return out


# --- calperfctl(8) against the help ------------------------------------------

def objects_of_help():
    m = re.search(r"OBJECT := \{([^}]*)\}", calperfctl_help())
    check(m, "no OBJECT := { ... } in calperfctl help")
    return set(m.group(1).replace("|", " ").split())


@t.test
def help_at_every_level():
    """calperfctl help, OBJECT help, session COMMAND help, and help in place
    of any later keyword: that level's usage, exit 0; a command's keywords
    are its object's."""
    for obj in sorted(objects_of_help()):
        usage = calperfctl_help(obj)
        check(usage.startswith(f"Usage: calperfctl {obj}") or
              re.match(rf"Usage: calperfctl \[ [^]]* \] {obj}", usage), f"{obj} help: {usage[:80]!r}")
        for cmd in sorted(commands(usage.split("\n\n")[0])):
            sub = calperfctl_help(obj, cmd)
            check(re.match(rf"Usage: calperfctl (\[ [^]]* \] )?{obj} {cmd}\b", sub),
                  f"{obj} {cmd} help: {sub[:80]!r}")
            extra = help_keywords(obj, cmd) - help_keywords(obj)
            check(not extra, f"{obj} {cmd} help has keywords {obj} help lacks: {sorted(extra)}")
    for args, level in ((("stream", "198.18.0.2", "time", "5"), ("stream",)),
                        (("rr", "198.18.0.2", "percentile", "95"), ("rr",)),
                        (("session", "add", "kind", "rr", "sender", "port", "5000"),
                         ("session", "add"))):
        check(calperfctl_help(*args) == calperfctl_help(*level),
              f"'calperfctl {' '.join(args)} help' is not '{' '.join(level)} help'")


@t.test
def objects_both_ways():
    """Every object of the help has its part in calperfctl(8), every part
    is an object of the help, and the synopsis lists the same."""
    help_objects, parts = objects_of_help(), set(man_parts())
    check(help_objects == parts, f"help only: {sorted(help_objects - parts)}, "
          f"man page only: {sorted(parts - help_objects)}")
    synopsis = "\n".join(man_section(man_source(), "SYNOPSIS"))
    m = re.search(r'OBJECT " := \{ "(.*) " \}"', synopsis)
    check(m, "no OBJECT := { ... } in calperfctl(8)'s synopsis")
    listed = set(re.findall(r"[a-z]+", m.group(1)))
    check(listed == help_objects, f"synopsis {sorted(listed)}, help {sorted(help_objects)}")


@t.test
def options_both_ways():
    """-j, --json...: the help's OPTIONS and the man page's are the same."""
    m = re.search(r"OPTIONS := \{([^}]*)\}", calperfctl_help())
    check(m, "no OPTIONS := { ... } in calperfctl help")
    in_help = set()
    for short, rest in re.findall(r"-(\w)\[(\w+)\]", m.group(1)):
        in_help |= {f"-{short}", f"--{short.lower()}{rest}"}
    in_man = {r for r in bold_runs(man_section(man_source(), "OPTIONS")) if r.startswith("-")}
    check(in_help == in_man, f"help only: {sorted(in_help - in_man)}, "
          f"man page only: {sorted(in_man - in_help)}")


@t.test
def keywords_both_ways():
    """Each object's keywords, as its help lists them (bracketed, or a
    command), are its part's in calperfctl(8) (its heading's, or set in
    bold), and the other way round, but for other objects named in a
    part (rr's "as for stream") and other programs (PROGRAMS)."""
    parts = man_parts()
    problems = []
    for obj in sorted(parts):
        in_help, in_man = help_keywords(obj), parts[obj][1]
        problems += [f"{obj} {k}: in the help, not in the man page" for k in sorted(in_help - in_man)]
        extra = in_man - in_help - objects_of_help() - PROGRAMS
        problems += [f"{obj} {k}: in the man page, not in the help" for k in sorted(extra)]
    check(not problems, "; ".join(problems))


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


def man_text(page):
    r = subprocess.run(["man", "-l", os.path.join(REPO, "man", page)],
                       capture_output=True, text=True,
                       env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "200"})
    return r.stdout.replace("\u2010", "-")


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
