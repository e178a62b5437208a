"""Digest of compiler and linker output (gcc, clang, javac, tsc, ld, make): counts of errors and
warnings, every distinct error with file:line:col (and javac's ``symbol:``/``location:`` lines,
which name what is missing), and warnings grouped by kind so a flood of the same warning costs
one line."""

from __future__ import annotations

import re
from collections import Counter

from terminus_mcp.agent.summaries.base import (
    Digest,
    capped,
    clip,
    dedupe,
    diagnostic_line,
    workspace_relative,
)

_GCC = re.compile(
    r"^(?P<loc>[^\s:][^:\n]*:\d+(?::\d+)?): (?P<kind>fatal error|error|warning): (?P<msg>.*)$"
)
_TSC = re.compile(
    r"^(?P<path>[^\s(][^(\n]*)\((?P<line>\d+),(?P<col>\d+)\): (?P<kind>error|warning) "
    r"(?P<msg>TS\d+: .*)$"
)
_TSC_PRETTY = re.compile(
    r"^(?P<loc>[^\s:][^:\n]*:\d+:\d+) - (?P<kind>error|warning) (?P<msg>TS\d+: .*)$"
)
_LINKER = re.compile(
    r"(?:^(?P<loc>[^\s:]+:\d+)(?::\([^)]*\))?: )?"  # binutils 2.44: main.c:9:(.text+0x5a):
    r"(?P<what>undefined reference to .*|multiple definition of .*|cannot find -l[^\s:]+.*)$"
)
_IN_FUNCTION = re.compile(
    r"^(?P<path>[^\s:][^:\n]*): In (?:static |member |)(?:function|constructor|destructor) "
    r"(?P<name>[‘'`].+?[’'])"
)
"""gcc's context line before a diagnostic: ``cJSON.c: In function ‘print_number’:``."""
_JAVAC_DETAIL = re.compile(r"^\s+(symbol|location|required|found|reason):\s+(.*\S)\s*$")
_MAKE_ERROR = re.compile(r"^g?make(?:\[\d+\])?: \*\*\* .*$")
_FLAG = re.compile(r"\[(-W[\w=+-]+)\]$")

MAX_ERRORS = 10
_MARKS = (
    ": error",
    ": warning",
    ": fatal error",
    "undefined reference",
    "multiple definition",
    "cannot find -l",
    "): error TS",
    " - error TS",
)
"""Text every output this digester reads contains one of (a quick test before the patterns)."""
MAX_WARNING_KINDS = 5
JAVAC_DETAIL_WINDOW = 8
"""Lines after a javac error searched for its detail lines: the source line and the caret come
first, then ``symbol:``, ``location:`` (or ``required:``, ``found:``, ``reason:``)."""


def _diagnostic(line: str) -> tuple[str, str, str] | None:
    """(kind, ``path:line[:col]``, message) of a gcc/clang/javac, tsc or tsc --pretty line."""
    found = _GCC.match(line) or _TSC_PRETTY.match(line)
    if found:
        return found.group("kind"), found.group("loc"), found.group("msg")
    tsc = _TSC.match(line)
    if tsc:
        loc = f"{tsc.group('path')}:{tsc.group('line')}:{tsc.group('col')}"
        return tsc.group("kind"), loc, tsc.group("msg")
    return None


def _javac_details(following: list[str]) -> str:
    """javac's indented detail lines after an error, joined: ``symbol: variable totl; ...``."""
    parts = []
    for line in following[:JAVAC_DETAIL_WINDOW]:
        if _diagnostic(line):
            break
        found = _JAVAC_DETAIL.match(line)
        if found:
            parts.append(f"{found.group(1)}: {' '.join(found.group(2).split())}")
    return "; ".join(parts)


def _diagnostics(lines: list[str]) -> list[tuple[str, str, str]]:
    """(kind, location, message) of each diagnostic; an error's message carries its details."""
    found = []
    function: tuple[str, str] | None = None
    for index, line in enumerate(lines):
        context = _IN_FUNCTION.match(line)
        if context:
            function = (context.group("path"), context.group("name"))
            continue
        match = _diagnostic(line)
        if not match:
            continue
        kind = "error" if "error" in match[0] else "warning"
        message = match[2].strip()
        details = _javac_details(lines[index + 1 :]) if kind == "error" else ""
        if details:
            message += f" ({details})"
        if kind == "error" and function and match[1].startswith(function[0] + ":"):
            message += f" (in function {function[1]})"
        found.append((kind, workspace_relative(match[1]), message))
    return found


def _warning_groups(warnings: list[tuple[str, str]]) -> list[str]:
    """One line per kind (the ``-W`` flag, else the message), with a count and a first example."""
    kinds: Counter[str] = Counter()
    first: dict[str, tuple[str, str]] = {}
    for loc, msg in warnings:
        flag = _FLAG.search(msg)
        kind = flag.group(1) if flag else msg
        kinds[kind] += 1
        first.setdefault(kind, (loc, msg))
    lines = []
    for kind, count in kinds.most_common(MAX_WARNING_KINDS):
        loc, msg = first[kind]
        if count == 1:
            lines.append(clip(f"- {loc}: {msg}"))
        elif kind == msg:  # the kind is the whole message: the example needs only its location
            lines.append(clip(f"- {count}x {msg}, e.g. {loc}"))
        else:
            lines.append(clip(f"- {count}x {kind}, e.g. {loc}: {msg}"))
    rest = len(kinds) - MAX_WARNING_KINDS
    if rest > 0:
        lines.append(f"- ... and {rest} more kinds of warnings")
    return lines


def digest_compiler(output: str) -> Digest | None:
    if not any(mark in output for mark in _MARKS):
        return None
    lines = output.splitlines()
    diagnostics = _diagnostics(lines)
    linker = dedupe(
        [
            diagnostic_line(m.group("loc"), "error", m.group("what"))
            if m.group("loc")
            else f"- linker: {clip(m.group('what'))}"
            for line in lines
            if (m := _LINKER.search(line))
        ]
    )
    if not diagnostics and not linker:
        return None
    errors = dedupe(
        [diagnostic_line(loc, "error", msg) for kind, loc, msg in diagnostics if kind == "error"]
    )
    errors += linker
    warnings = [(loc, msg) for kind, loc, msg in diagnostics if kind == "warning"]
    distinct_warnings = len(set(warnings))
    headline = f"{len(errors)} error{'s' if len(errors) != 1 else ''}, "
    headline += f"{distinct_warnings} warning{'s' if distinct_warnings != 1 else ''}"
    details = capped(errors, MAX_ERRORS, "errors")
    if warnings:
        details.append("Warnings:")
        details.extend(_warning_groups(sorted(set(warnings), key=warnings.index)))
    make_errors = dedupe([clip(line) for line in lines if _MAKE_ERROR.match(line)])
    details.extend(make_errors[:2])
    return Digest(headline=headline, details=details, tool="compiler")
