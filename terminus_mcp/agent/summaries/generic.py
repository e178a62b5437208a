"""Digest of any output: the lines that look like errors or verdicts, then the last lines.

Progress output is left out where something better is there to show (and, from a run that
failed, the checks that passed): bar lines
(``compress a.png [#####   ] 45%``) and per-item lines that repeat one pattern with only the
numbers changing (``ok sprite_007.png ...``, ``[gen] rate table line 012: ...``). A command that
exited 0 without any error, failure or warning line is summed up by its verdict lines and its
final line only (``wrote shop/rates.py``, ``BUILD SUCCEEDED: ...``), never by arbitrary tail
lines."""

from __future__ import annotations

import re
from collections import Counter

from terminus_mcp.agent.summaries.base import Digest, clip, dedupe

_PROBLEM = re.compile(
    r"\b(error|errors|failed|failure|fail|fatal|exception|traceback|panic|assert\w*|denied|"
    r"not found|no such file|cannot|can't|unable|undefined|segmentation fault|killed|warning|"
    r"warnings)\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(r"\b(passed|succeeded|success|total|summary)\b", re.IGNORECASE)
_BAR = re.compile(r"\[[#=>*.\-\s]{4,}\]|[█▏▎▍▌▋▊▉]{3,}")
_FIRST_NUMBER = re.compile(r"^\D*\d+")
_PASSING = re.compile(
    r"^\s*(?:ok|pass|passed|success|✓|✔)\b|^(?!.*\b[1-9]\d* (?:failed|failures?|errors?)\b)"
    r".*\b0 (?:failed|failures|errors)\b",
    re.IGNORECASE,
)
"""A check that passed (``ok   empty dir is fine``) or a count with nothing failed (``3 passed,
0 failed``): noise in the digest of a failed run."""
_PRINTABLE_SHARE = 0.8

MAX_RELEVANT = 12
MAX_VERDICTS = 3
TAIL_LINES = 5
REPEATS = 3
"""A per-item pattern: this many lines that are the same up to their first number."""


def _printable(line: str) -> bool:
    """Mostly readable characters (for binary output, where most lines are noise)."""
    readable = sum(1 for char in line if char.isprintable() and char != "\ufffd")
    return len(line) >= 4 and readable >= _PRINTABLE_SHARE * len(line)


def _shape(line: str) -> str | None:
    """The line up to its first number, the digits masked: ``ok sprite_#`` for
    ``ok sprite_007.png (1 bytes)``; ``None`` for a line without digits."""
    found = _FIRST_NUMBER.match(line.strip())
    return re.sub(r"\d+", "#", found.group(0)) if found else None


def _progress_lines(lines: list[str]) -> set[int]:
    """Indexes of progress lines: a bar, or one of at least :data:`REPEATS` lines that differ
    only from their first number on. A line that names a problem is never progress."""
    shapes = [_shape(line) or "" for line in lines]
    counts = Counter(shape for shape in shapes if shape)
    return {
        index
        for index, (line, shape) in enumerate(zip(lines, shapes, strict=True))
        if not _PROBLEM.search(line) and (_BAR.search(line) or (shape and counts[shape] >= REPEATS))
    }


def _clean_success(lines: list[str], noise: set[int]) -> Digest:
    """A run that exited 0 and printed no problem: its verdict lines and its final line, when
    they are not progress."""
    verdicts = [
        line
        for index, line in enumerate(lines[:-1])
        if index not in noise and _VERDICT.search(line)
    ][-MAX_VERDICTS:]
    final = [] if len(lines) - 1 in noise else [lines[-1]]
    details = dedupe([clip(line) for line in verdicts + final])
    headline = f"{len(lines)} lines of output, no error or warning lines"
    return Digest(headline=headline + ("; result:" if details else ""), details=details)


def digest_generic(
    output: str, *, printable_only: bool = False, exit_code: int | None = None
) -> Digest:
    """The relevant lines and the tail of ``output``; with ``printable_only``, only lines that
    are mostly readable text. ``exit_code`` 0 with no problem line gives the verdict only."""
    lines = [line for line in output.splitlines() if line.strip()]
    if printable_only:
        lines = [line for line in lines if _printable(line)]
    if not lines:
        return Digest(headline="no readable output" if printable_only else "no output")
    noise = _progress_lines(lines)
    if exit_code not in (0, None):
        noise |= {index for index, line in enumerate(lines) if _PASSING.search(line)}
    if exit_code == 0 and len(lines) > TAIL_LINES and not any(map(_PROBLEM.search, lines)):
        return _clean_success(lines, noise)
    tail = lines[-TAIL_LINES:]
    kept_tail = [
        line for index, line in enumerate(tail, len(lines) - len(tail)) if index not in noise
    ]
    if kept_tail:  # a tail of nothing but noise is where the run stopped: keep it
        tail = kept_tail
    relevant = [
        line
        for index, line in enumerate(lines[:-TAIL_LINES])
        if index not in noise and (_PROBLEM.search(line) or _VERDICT.search(line))
    ]
    if len(relevant) > MAX_RELEVANT:
        # Keep the first few (the cause) and the last few (the consequence).
        half = MAX_RELEVANT // 2
        relevant = relevant[:half] + relevant[-half:]
    picked = dedupe([clip(line) for line in relevant + tail])
    if len(lines) <= TAIL_LINES:
        return Digest(headline="output:", details=picked)
    return Digest(headline=f"{len(lines)} lines of output; relevant lines:", details=picked)
