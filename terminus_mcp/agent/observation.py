"""What the model sees of a command: exit code, duration and a cleaned, tail-truncated output.

Terminal output is cleaned the way a terminal would show it: escape sequences (colours, cursor
moves, window titles) are removed, and ``\\r`` redraws of progress bars collapse to the final
state of each line. When the output is still longer than the limit, the *end* is kept: test
summaries, failing assertions, compiler errors and exit messages come last, while the beginning
is mostly progress and passing tests. A marker at the front says how much was cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from terminus_mcp.agent.contract import ANSWER_HINT
from terminus_mcp.agent.summaries import digest
from terminus_mcp.sandbox.api import ExecResult, SessionEvent, cut_marker

ObservationMode = Literal["raw", "hybrid"]
"""``raw``: the output's tail; ``hybrid``: the output's digest first, then its tail."""

_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_OTHER_ESC = re.compile(r"\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""C0 controls but tab and newline, DEL, and the C1 controls (U+0080-U+009F, among them the
8-bit CSI U+009B that some terminals obey). Runs after the escape sequences are removed, so a
stray ESC left by a truncated or malformed sequence goes too."""

EXIT_PREFIX = "Exit code: "
OUTPUT_HEADER = "Output:"
DIGEST_HEADER = "Digest:"
NO_OUTPUT = "(no output)"

_EVENT_TEXT = {
    SessionEvent.OOM_KILLED: "a process was killed by the out-of-memory killer (memory limit hit)",
    SessionEvent.PIDS_EXHAUSTED: "the process limit was hit (too many processes or threads)",
    SessionEvent.SHELL_EXITED: "the shell exited; the next command starts in a fresh shell",
    SessionEvent.CONTAINER_GONE: "the container was removed; the next command starts a fresh one",
    SessionEvent.OUTPUT_FLOOD: "the command printed too much output and was killed",
}


def _collapse_redraws(line: str) -> str:
    """Apply ``\\r`` the way a terminal does: each segment overwrites the line from column 0."""
    segments = line.split("\r")
    shown = segments[0]
    for segment in segments[1:]:
        shown = segment + shown[len(segment) :]
    return shown


def clean_output(text: str) -> str:
    """Remove escape sequences and control characters, and collapse carriage-return redraws."""
    if "\x1b" in text:
        text = _OSC.sub("", text)
        text = _CSI.sub("", text)
        text = _OTHER_ESC.sub("", text)
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        text = "\n".join(_collapse_redraws(line) for line in text.split("\n"))
    return _CONTROL.sub("", text)


def keep_tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text`` (from a line start where one is near), behind a
    marker that counts what was cut. Text within the limit is returned unchanged."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    newline = tail.find("\n", 0, 200)
    if newline >= 0:
        tail = tail[newline + 1 :]
    return cut_marker(len(text) - len(tail)) + "\n" + tail


@dataclass(frozen=True)
class Observation:
    """A command result as the model reads it."""

    text: str
    output_chars: int
    """Characters of the cleaned output before truncation."""


def observe(
    result: ExecResult, *, timeout_ms: int, limit: int, mode: ObservationMode = "raw"
) -> Observation:
    """Format one command's result for the model; ``hybrid`` adds the output's digest (counts,
    failing tests, errors) above the output, so a small model finds them in long logs."""
    output = clean_output(result.output).rstrip()
    if result.timed_out:
        status = f"none (timed out after {timeout_ms} ms; the command was killed)"
    elif result.exit_code is None:
        status = "none (the command was killed)"
    else:
        status = str(result.exit_code)
    lines = [EXIT_PREFIX + status, f"Duration: {result.duration_s:.1f} s"]
    if result.event is not SessionEvent.NONE:
        lines.append("Session event: " + _EVENT_TEXT.get(result.event, result.event.value))
    if result.waiting_for_input:
        lines.append("Note: the command seemed to wait for input; stdin is closed, so it got EOF.")
    body = keep_tail(output, limit) if output else NO_OUTPUT
    if mode == "hybrid" and output:
        found = digest(output)
        lines += [DIGEST_HEADER, *filter(None, [found.headline, *found.details])]
    lines.append(OUTPUT_HEADER)
    lines.append(body)
    return Observation(text="\n".join(lines), output_chars=len(output))


@dataclass(frozen=True)
class ObservedResult:
    """A command result read back from its observation text."""

    exit_code: int | None
    timed_out: bool
    timeout_ms: int
    output: str


_TIMEOUT = re.compile(r"timed out after (\d+) ms")


def read_observation(text: str) -> ObservedResult | None:
    """Recover a command's result from an observation written by :func:`observe`.

    Returns ``None`` for any other text (a correction message, for instance).
    """
    if not text.startswith(EXIT_PREFIX):
        return None
    first, _, _ = text.partition("\n")
    status = first[len(EXIT_PREFIX) :]
    code_text = status.split(" ", 1)[0]
    code = int(code_text) if code_text.lstrip("-").isdigit() else None
    timeout = _TIMEOUT.search(status)
    _, header, output = text.partition("\n" + OUTPUT_HEADER + "\n")
    output = output.removesuffix("\n\n" + ANSWER_HINT)
    if not header or output == NO_OUTPUT:
        output = ""
    return ObservedResult(
        exit_code=code,
        timed_out=timeout is not None,
        timeout_ms=int(timeout.group(1)) if timeout else 0,
        output=output,
    )
