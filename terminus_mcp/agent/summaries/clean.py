"""Output made fit to digest: terminal control sequences removed, carriage-return progress
bars reduced to their last state, control characters dropped, giant lines and giant outputs
trimmed in the middle, and a verdict on whether the output is text at all.

The sandbox decodes output as UTF-8 with invalid bytes replaced (U+FFFD), so output in another
encoding, or binary output, arrives as text full of replacement and control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from terminus_mcp.agent.summaries.base import ELLIPSIS
from terminus_mcp.sandbox.api import cut_marker

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase line
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]"  # two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_BACKSPACED = re.compile(r".\x08")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NON_TEXT = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")

MAX_LINE_CHARS = 2_000
"""Longest line the digesters see: longer lines keep their start and their end. This also
bounds the work any pattern does on one line."""
MAX_CHARS = 2_000_000
"""Longest output the digesters see: beyond this, the start and the end are kept."""
BINARY_SAMPLE = 8_192
BINARY_RATIO = 0.10
"""Share of non-text characters (controls, U+FFFD) in a sample above which output is binary."""


@dataclass(frozen=True)
class CleanOutput:
    """Output ready for the digesters."""

    text: str
    binary: bool
    """Most of it is not text (binary data, or text in an encoding that is not UTF-8)."""
    non_text: int
    """Characters of the sample that are not text."""


def _last_state(line: str) -> str:
    """What a terminal shows for a line that carriage returns rewrote: its last non-empty
    state (``50%\\r100%`` shows ``100%``)."""
    if "\r" not in line:
        return line
    states = [state for state in line.split("\r") if state.strip()]
    return states[-1] if states else ""


def _trim_line(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    head = MAX_LINE_CHARS * 2 // 5
    return line[:head] + ELLIPSIS + line[len(line) - (MAX_LINE_CHARS - head) :]


def _is_binary(text: str) -> tuple[bool, int]:
    sample = text[:BINARY_SAMPLE]
    if not sample:
        return False, 0
    bad = len(_NON_TEXT.findall(sample))
    return bad > BINARY_RATIO * len(sample), bad


def clean(output: str) -> CleanOutput:
    """``output`` as the digesters should read it."""
    if len(output) > MAX_CHARS:
        half = MAX_CHARS // 2
        marker = cut_marker(len(output) - 2 * half)
        output = output[:half] + f"\n{marker}\n" + output[-half:]
    binary, non_text = _is_binary(output)
    text = _ANSI.sub("", output) if "\x1b" in output or "\x9b" in output else output
    text = text.replace("\r\n", "\n")
    if "\x08" in text:
        text = _BACKSPACED.sub("", text)
    lines = [_trim_line(_CONTROL.sub("", _last_state(line))) for line in text.split("\n")]
    return CleanOutput(text="\n".join(lines), binary=binary, non_text=non_text)
