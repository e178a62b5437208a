"""The digest type and the small text helpers every digester shares: middle trimming, paths as
the project sees them, duplicate removal, caps, and the two kinds of detail line (a failing test,
a diagnostic) written one way everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LINE_CHARS = 240
"""Longest excerpt line kept; longer lines lose their middle (the cause is usually at the end)."""
FAILURE_CHARS = 400
"""Longest failing-test line (name, location and message)."""
ELLIPSIS = " … "

WORKSPACE = "/workspace"
"""The container's working directory (``sandbox.hardening.WORKSPACE``), cut from paths."""
_WORKSPACE_IN_TEXT = re.compile(r"(?<![\w/.~-])(?:file://)?/workspace(?:/|(?=[\s'\":)]|$))")


@dataclass(frozen=True)
class Digest:
    """A few lines that stand for a command's whole output."""

    headline: str
    """One line: counts and the verdict, for example ``2 failed, 40 passed in 1.2s``."""
    details: list[str] = field(default_factory=list)
    """The lines that matter, in the conventions of :mod:`terminus_mcp.agent.summaries`."""
    tool: str = ""
    """The format recognised (``pytest``, ``jest``, ``go test``...); ``""`` for the generic
    digest."""


def clip(line: str, limit: int = LINE_CHARS) -> str:
    """``line`` stripped, and when longer than ``limit``, its middle replaced by `` … `` so that
    both the start (what) and the end (usually why) survive."""
    line = line.strip()
    if len(line) <= limit:
        return line
    keep = max(limit - len(ELLIPSIS), 2)
    head = keep * 2 // 5
    return line[:head].rstrip() + ELLIPSIS + line[len(line) - (keep - head) :].lstrip()


def workspace_relative(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it (``file://`` URLs
    too); unchanged otherwise."""
    path = path.removeprefix("file://")
    if path == WORKSPACE:
        return "."
    return path.removeprefix(WORKSPACE + "/")


def project_paths(text: str) -> str:
    """``text`` with every absolute ``/workspace/...`` path (or ``file://`` URL) made relative."""
    if WORKSPACE not in text:
        return text
    return _WORKSPACE_IN_TEXT.sub("", text)


def dedupe(lines: list[str]) -> list[str]:
    """``lines`` in order, each kept once."""
    return list(dict.fromkeys(lines))


def capped(lines: list[str], limit: int, what: str) -> list[str]:
    """At most ``limit`` lines, then one line counting the rest."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"- ... and {len(lines) - limit} more {what}"]


def _one_line(text: str) -> str:
    """``text`` on one line: its lines joined with `` | `` (spacing inside a line is kept, it
    may be part of a quoted value)."""
    return " | ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def failure_line(name: str, location: str = "", message: str = "", *, error: bool = False) -> str:
    """The detail line of a failing test: ``- NAME[ (error)][ at PATH:LINE[:COL]][: MESSAGE]``.
    ``error`` marks a test that broke (an exception outside its assertions, a setup error) where
    the runner tells failures and errors apart."""
    text = f"- {_one_line(name)}"
    if error:
        text += " (error)"
    if location:
        text += f" at {workspace_relative(location)}"
    message = _first_lines(message, FAILURE_CHARS - len(text) - 2)
    if message:
        text += f": {message}"
    return clip(text, FAILURE_CHARS)


_LINE_BREAK = re.compile(r"\n| \| ")


def _first_lines(message: str, budget: int) -> str:
    """A message on one line: its lines joined with `` | `` while they fit in ``budget``
    characters, then a count of the rest. The first line says what failed; a long value a
    runner prints after it (a list's thousandth item) must not push it out."""
    # Digests join a message's lines with " | " before it gets here: both count as lines.
    parts = [part.strip() for part in _LINE_BREAK.split(message.strip()) if part.strip()]
    kept: list[str] = []
    used = 0
    for index, part in enumerate(parts):
        if kept and used + len(part) > budget:
            rest = len(parts) - index
            kept.append(f"… ({plural(rest, 'more line')})")
            break
        kept.append(part)
        used += len(part) + 3
    return " | ".join(kept)


def diagnostic_line(location: str, kind: str, message: str) -> str:
    """The detail line of a compiler or linter finding: ``- PATH:LINE[:COL]: KIND: MESSAGE``."""
    return clip(f"- {workspace_relative(location)}: {kind}: {_one_line(message)}")


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def joined(lines: list[str], limit: int = 3) -> str:
    """Up to ``limit`` non-empty lines, stripped, joined with `` | ``."""
    kept = [line.strip() for line in lines if line.strip()]
    return " | ".join(kept[:limit])
