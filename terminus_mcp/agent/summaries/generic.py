"""Digest of any output: the lines that look like errors or verdicts, then the last lines."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, clip, dedupe

_RELEVANT = re.compile(
    r"\b(error|errors|failed|failure|fail|fatal|exception|traceback|panic|assert\w*|denied|"
    r"not found|no such file|cannot|can't|unable|undefined|segmentation fault|killed|warning|"
    r"passed|succeeded|success|total|summary)\b",
    re.IGNORECASE,
)
_PRINTABLE_SHARE = 0.8

MAX_RELEVANT = 12
TAIL_LINES = 5


def _printable(line: str) -> bool:
    """Mostly readable characters (for binary output, where most lines are noise)."""
    readable = sum(1 for char in line if char.isprintable() and char != "\ufffd")
    return len(line) >= 4 and readable >= _PRINTABLE_SHARE * len(line)


def digest_generic(output: str, *, printable_only: bool = False) -> Digest:
    """The relevant lines and the tail of ``output``; with ``printable_only``, only lines that
    are mostly readable text."""
    lines = [line for line in output.splitlines() if line.strip()]
    if printable_only:
        lines = [line for line in lines if _printable(line)]
    if not lines:
        return Digest(headline="no readable output" if printable_only else "no output")
    tail = lines[-TAIL_LINES:]
    relevant = [line for line in lines[:-TAIL_LINES] if _RELEVANT.search(line)]
    if len(relevant) > MAX_RELEVANT:
        # Keep the first few (the cause) and the last few (the consequence).
        half = MAX_RELEVANT // 2
        relevant = relevant[:half] + relevant[-half:]
    picked = dedupe([clip(line) for line in relevant + tail])
    if len(lines) <= TAIL_LINES:
        return Digest(headline="output:", details=picked)
    return Digest(headline=f"{len(lines)} lines of output; relevant lines:", details=picked)
