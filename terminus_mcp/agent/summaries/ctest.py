"""Digest of CTest (``ctest --output-on-failure``): its counts, and each failed test with the
lines of its own output that say why.

A failed test's output is read for Unity's ``path:line:case:FAIL: message`` lines (C projects
such as cJSON), each a failure of its own, at most :data:`MAX_PER_TEST` per test; otherwise its
first lines are the message, with the first ``path:line`` in them as the location (an
``assert`` that aborted, a program's own "expected X, got Y"). Unity's ``Expected 'X' Was 'Y'``
with long values shows where they first differ, not the values whole.
"""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, failure_line, joined

_RESULT = re.compile(
    r"^\s*\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.*\s*(?P<status>.*?)\s+[\d.]+ sec\s*$"
)
_START = re.compile(r"^\s+Start\s+\d+: ")
_TOTALS = re.compile(r"^\d+% tests passed, (?P<failed>\d+) tests? failed out of (?P<total>\d+)")
_NO_TESTS = re.compile(r"^No tests were found!!!", re.M)
_UNITY = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):(?P<case>\w+):FAIL(?::\s*(?P<message>.*))?$")
_UNITY_OTHER = re.compile(
    r"^[^\s:]+:\d+:\w+:(?:PASS|IGNORE)\b|^-{5,}$|^\d+ Tests \d+ Failures|^(?:FAIL|OK)$"
)
_LOCATION = re.compile(r"(?P<path>[\w./-]+\.\w+):(?P<line>\d+)\b")
_EXPECTED_WAS = re.compile(r"^Expected '(?P<expected>.*)' Was '(?P<was>.*?)'(?P<rest>.*)$")

MAX_PER_TEST = 1
MAX_FAILURES = 20
LONG_VALUES = 120
"""Expected and actual values longer than this together are shown around their difference."""


def _around_difference(message: str) -> str:
    """Unity's ``Expected 'X' Was 'Y'``: with long values, a window around where they first
    differ (the whole values would flood the answer)."""
    found = _EXPECTED_WAS.match(message)
    if not found:
        # Cut in its middle already (a line of thousands of characters): its start says what.
        return message if len(message) <= LONG_VALUES else message[:60] + "… (cut)"
    expected, was = found.group("expected"), found.group("was")
    if len(expected) + len(was) <= LONG_VALUES:
        return message
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, was, strict=False)) if a != b),
        min(len(expected), len(was)),
    )
    start = max(0, at - 12)

    def window(value: str) -> str:
        cut = value[start : at + 20]
        return ("…" if start else "") + cut + ("…" if at + 20 < len(value) else "")

    return (
        f"Expected '{window(expected)}' Was '{window(was)}' (first difference at character "
        f"{at + 1}){found.group('rest')}"
    )


def _why(name: str, status: str, block: list[str]) -> list[str]:
    """The failure lines of one failed test from its output."""
    unity = [m for line in block if (m := _UNITY.match(line.strip()))]
    if unity:
        lines = [
            failure_line(
                # print_number's case print_number_should_print_zero names its test already
                m.group("case")
                if m.group("case").startswith(name)
                else f"{name} > {m.group('case')}",
                f"{m.group('path')}:{m.group('line')}",
                _around_difference(m.group("message") or ""),
            )
            for m in unity
        ]
        return capped(lines, MAX_PER_TEST, f"failures of {name}")
    text = [line.strip() for line in block if line.strip() and not _UNITY_OTHER.match(line.strip())]
    location = next((m for line in text if (m := _LOCATION.search(line))), None)
    message = joined(text, 2)
    if not status.startswith("***Failed"):
        message = f"{status.strip('*: ')}: {message}" if message else status.strip("*: ")
    where = f"{location.group('path')}:{location.group('line')}" if location else ""
    return [failure_line(name, where, message)]


def digest_ctest(output: str) -> Digest | None:
    lines = output.splitlines()
    totals = next((m for line in lines if (m := _TOTALS.match(line.strip()))), None)
    if totals is None:
        if _NO_TESTS.search(output) and "Test project " in output:
            return Digest("no tests ran (No tests were found)", tool="ctest")
        return None
    failures: list[str] = []
    for index, line in enumerate(lines):
        result = _RESULT.match(line)
        if not result or result.group("status").strip() == "Passed":
            continue
        block = []
        for follow in lines[index + 1 :]:
            if _START.match(follow) or _RESULT.match(follow) or _TOTALS.match(follow.strip()):
                break
            block.append(follow)
        failures.extend(_why(result.group("name"), result.group("status"), block))
    headline = totals.group(0)
    if totals.group("total") == "0":
        headline = "no tests ran (0 tests)"
    return Digest(headline, capped(failures, MAX_FAILURES, "failures"), tool="ctest")
