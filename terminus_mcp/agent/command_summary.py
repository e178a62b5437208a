"""One command's ``Summary:`` lines, for every answer built from what ran.

The digest of the output, or the output itself when that is no longer (small outputs pass
through, tidied: colour codes, blank lines and repeats removed); container paths written as the
project sees them (``/workspace/src/a.c`` is ``src/a.c``); a test step that ran no test says
"no tests ran", never a pass; an output read only in its last part says so. The direct mode's
answers and the answer built when a model gave none (:mod:`terminus_mcp.agent.fallback`) both
use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from terminus_mcp.agent.observation import clean_output
from terminus_mcp.agent.summaries import status_phrase, summary_text

Counter = Callable[[str], int]
"""Tokens of a text (the proxy tokenizer's count)."""

_WORKSPACE_PATH = re.compile(r"(?:file:)?/{1,3}workspace/")
_ZERO_TESTS = re.compile(
    r"\bno tests ran\b|\bRan 0 tests\b|No tests were found|No tests? (?:files )?found|"
    r"No tests to run|^\s*1\.\.0\b|^\s*(?:#|ℹ)\s*tests 0\s*$|^\s*0 passing\b",
    re.MULTILINE | re.IGNORECASE,
)
_SOME_TESTS = re.compile(
    r"^\s*(?:#|ℹ)\s*tests [1-9]|\b[1-9]\d* (?:passed|failed|passing|failing)\b|"
    r"\bRan [1-9]\d* tests?\b|^\s*1\.\.[1-9]|^ok\s|^--- (?:PASS|FAIL)|"
    r"running [1-9]\d* tests?|Tests run: [1-9]",
    re.MULTILINE,
)
_GO_NO_TESTS = re.compile(r"\[no test files\]")
_CARGO_ZERO = re.compile(r"^running 0 tests$", re.MULTILINE)
_CUT_START = re.compile(r"^\[\.\.\. (?P<count>\d+) characters cut(?:; [^\]]*)? \.\.\.\]\n")
"""The marker an observation starts with when only the output's end was kept."""


def project_paths(text: str) -> str:
    """Container paths as the project sees them: relative to its root."""
    return _WORKSPACE_PATH.sub("", text)


def tidy(output: str) -> list[str]:
    """The output's lines without colour codes, blank lines, or repeats in a row (counted)."""
    lines: list[str] = []
    repeats = 0
    for raw in clean_output(output).splitlines():
        line = project_paths(raw.rstrip())
        if not line.strip():
            continue
        if lines and line == lines[-1].split(" [repeated", 1)[0]:
            repeats += 1
            lines[-1] = f"{line} [repeated {repeats + 1} times]"
            continue
        repeats = 0
        lines.append(line)
    return lines


def no_tests_ran(output: str) -> bool:
    """Whether a test run's output says it ran no test at all."""
    if _SOME_TESTS.search(output):
        return False
    if _ZERO_TESTS.search(output) or _CARGO_ZERO.search(output):
        return True
    return bool(_GO_NO_TESTS.search(output))


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for line in lines:
        key = line.strip()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return kept


def command_summary(
    output: str,
    exit_code: int | None,
    *,
    timed_out: bool,
    timeout_ms: int,
    is_test: bool,
    count: Counter,
) -> list[str]:
    """The ``Summary:`` lines for one command, never longer than its tidied output; when only
    the output's end was read, a note says so (what it printed first is not summarized)."""
    cut = _CUT_START.match(output)
    lines = _summary_lines(
        output, exit_code, timed_out=timed_out, timeout_ms=timeout_ms, is_test=is_test, count=count
    )
    if cut:
        lines.append(
            f"Note: only the output's last part was read (its first {cut.group('count')} "
            "characters were cut); failures it printed before that are not in this summary."
        )
    return lines


def _summary_lines(
    output: str,
    exit_code: int | None,
    *,
    timed_out: bool,
    timeout_ms: int,
    is_test: bool,
    count: Counter,
) -> list[str]:
    status = status_phrase(exit_code, timed_out=timed_out, timeout_ms=timeout_ms)
    lines = tidy(output)
    digest = _dedupe(
        project_paths(
            summary_text(output, exit_code, timed_out=timed_out, timeout_ms=timeout_ms)
        ).splitlines()
    )
    if is_test and no_tests_ran(output):
        head = f"{status}; no tests ran"
        passthrough = [head, *lines]
        return (
            passthrough
            if count("\n".join(passthrough)) <= count("\n".join(digest))
            else [head, *digest[1:]]
        )
    passthrough = [status if lines else f"{status}; no output", *lines]
    if count("\n".join(passthrough)) <= count("\n".join(digest)):
        return passthrough
    return digest
