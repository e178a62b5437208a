"""Checks an answer against the raw output of the commands that ran: what it claims must be there.

An independent check for tests (it shares no code with the product's answer building): it
pulls from an answer the things a fabricated report invents, and looks each up in the outputs.

- test names (``test_x``, ``tests/x.py::test_y``) and source locations (``src/x.c:12``);
- counts of results (``2 failed``, ``6 passed``, ``1 error``): the number must appear on an
  output line that speaks of the same kind of result;
- commands on ``Command:`` lines: each must be one that ran.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_TEST_NAME = re.compile(r"\b(?:[\w./-]+::)?test_\w+")
_LOCATION = re.compile(r"\b[\w./-]+\.(?:c|h|cc|cpp|py|js|mjs|ts|java):\d+")
_COUNT = re.compile(
    # On one line, a whole number (not the end of a decimal like "0.0") then the word.
    r"(?<![\d.])(\d+)[ \t]+(?:\w+[ \t]+)?"
    r"(passed|pass|failed|fail|failures?|errors?|warnings?|checks?|tests?)\b",
    re.IGNORECASE,
)
_COMMAND_LINE = re.compile(r"^\s*Command:\s*(.+?)\s*$", re.MULTILINE)
_STEMS = {
    "pass": "pass",
    "passed": "pass",
    "fail": "fail",
    "failed": "fail",
    "failure": "fail",
    "failures": "fail",
    "error": "error",
    "errors": "error",
    "warning": "warn",
    "warnings": "warn",
    "check": "check",
    "checks": "check",
    "test": "test",
    "tests": "test",
}


@dataclass
class Evidence:
    """What an answer claims that the outputs do not show."""

    unsupported: list[str] = field(default_factory=list)

    @property
    def grounded(self) -> bool:
        return not self.unsupported


def check_answer(answer: str, outputs: Sequence[str], commands: Sequence[str]) -> Evidence:
    """Everything ``answer`` states that ``outputs`` (and ``commands``) do not support."""
    text = "\n".join(outputs)
    found = Evidence()
    for name in sorted(set(_TEST_NAME.findall(answer))):
        bare = name.rsplit("::", 1)[-1]
        if bare not in text:
            found.unsupported.append(f"test name {name!r}")
    for location in sorted(set(_LOCATION.findall(answer))):
        if location not in text and location.rsplit("/", 1)[-1] not in text:
            found.unsupported.append(f"location {location!r}")
    lines = text.lower().splitlines()
    for number, word in sorted(set(_COUNT.findall(answer))):
        stem = _STEMS[word.lower()]
        pattern = re.compile(rf"(?<![\d.]){number}(?![\d.])")
        if not any(stem in line and pattern.search(line) for line in lines):
            found.unsupported.append(f"count '{number} {word}'")
    ran = [" ".join(c.split()) for c in commands]
    for claimed in _COMMAND_LINE.findall(answer):
        normal = " ".join(claimed.strip("`").split())
        if not any(normal == c or normal in c or c in normal for c in ran):
            found.unsupported.append(f"command {claimed!r} never ran")
    return found
