"""The digest type and small text helpers shared by the digesters."""

from __future__ import annotations

from dataclasses import dataclass, field

LINE_CHARS = 240
"""Longest excerpt line kept; longer lines are cut with an ellipsis."""

WORKSPACE_PREFIX = "/workspace/"
"""The container's working directory (``sandbox.hardening.WORKSPACE``), cut from paths."""


@dataclass(frozen=True)
class Digest:
    """A few lines that stand for a command's whole output."""

    headline: str
    """One line: counts and the verdict, for example ``2 failed, 40 passed in 1.2s``."""
    details: list[str] = field(default_factory=list)
    """The lines that matter: failing tests with their errors, compiler errors."""


def clip(line: str, limit: int = LINE_CHARS) -> str:
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def workspace_relative(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it; unchanged otherwise."""
    return path.removeprefix(WORKSPACE_PREFIX)


def dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line not in seen:
            seen.add(line)
            kept.append(line)
    return kept


def capped(lines: list[str], limit: int, what: str) -> list[str]:
    """At most ``limit`` lines, then one line counting the rest."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"- ... and {len(lines) - limit} more {what}"]
