"""Digests of Java builds: Maven with Surefire, and Gradle's console.

Maven: the ``Tests run:`` totals, each failing test from the ``Results:`` section with its line
and message (the full exception line from the test's report above it), compile errors
(``[ERROR] /path/A.java:[22,50] cannot find symbol``), and otherwise the first ``[ERROR]`` line:
a build that failed before its tests (a plugin that could not be resolved, an unknown host) is
explained by it, trimmed in the middle so its cause at the end survives.

Gradle: ``Class > test FAILED`` with the exception and ``at File.java:N`` line under it, the
``N tests completed, M failed`` count, and ``* What went wrong:``.
"""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import (
    FAILURE_CHARS,
    Digest,
    capped,
    clip,
    dedupe,
    diagnostic_line,
    failure_line,
    joined,
)

_LEVEL = re.compile(r"^\[(?P<level>INFO|WARNING|ERROR)\] ?(?P<text>.*)$")
_TOTALS = re.compile(
    r"^Tests run: (?P<run>\d+), Failures: (?P<failures>\d+), Errors: (?P<errors>\d+), "
    r"Skipped: (?P<skipped>\d+)$"
)
_RESULT_ITEM = re.compile(
    r"^\s+(?P<name>[\w$.]+?)(?::(?P<line>\d+))?(?:\s+»\s+(?P<short>\w+))? (?P<message>.*)$"
)
_REPORT_OLD = re.compile(
    r"^(?P<method>[\w$]+)\((?P<cls>[\w$.]+)\)\s+Time elapsed: .*<<< (?P<kind>FAILURE|ERROR)!$"
)
_REPORT_NEW = re.compile(
    r"^(?P<cls>[\w$.]+)\.(?P<method>[\w$]+)\s+-- Time elapsed: .*<<< (?P<kind>FAILURE|ERROR)!$"
)
_JAVA_FRAME = re.compile(r"^\s*at (?P<where>[\w$.<>]+)\((?P<file>[\w$]+\.java):(?P<line>\d+)\)$")
_COMPILE = re.compile(
    r"^(?P<path>/?\S+\.(?:java|kt|scala)):\[(?P<line>\d+),(?P<col>\d+)\] (?P<message>.+)$"
)
_BUILD = re.compile(r"^BUILD (?P<verdict>SUCCESS|FAILURE)$")

MAX_TESTS = 20
MAX_ERRORS = 10


def _maven_lines(lines: list[str]) -> list[tuple[str, str]]:
    """(level, text) of each Maven log line; unprefixed lines (stack traces) as level ``""``."""
    out = []
    for line in lines:
        found = _LEVEL.match(line)
        out.append((found.group("level"), found.group("text")) if found else ("", line))
    return out


def _reports(lines: list[str]) -> dict[str, tuple[str, str]]:
    """``Class.method`` -> (exception line, ``File.java:N``) from each test's report."""
    found: dict[str, tuple[str, str]] = {}
    for index, line in enumerate(lines):
        text = _LEVEL.sub(r"\g<text>", line).strip()
        report = _REPORT_OLD.match(text) or _REPORT_NEW.match(text)
        if not report:
            continue
        cls = report.group("cls").rsplit(".", 1)[-1]
        name = f"{cls}.{report.group('method')}"
        following = lines[index + 1 : index + 30]
        exception = next((text.strip() for text in following if text.strip()), "")
        frames = [m for text in following if (m := _JAVA_FRAME.match(text))]
        in_test = [m for m in frames if m.group("file") == f"{cls}.java"]
        frame = in_test[0] if in_test else (frames[0] if frames else None)
        location = f"{frame.group('file')}:{frame.group('line')}" if frame else ""
        if frames and frame is not frames[0]:
            exception += f" (raised at {frames[0].group('file')}:{frames[0].group('line')})"
        found[name] = (exception, location)
    return found


def _results(logged: list[tuple[str, str]], reports: dict[str, tuple[str, str]]) -> list[str]:
    """The failing tests of the ``Results:`` section(s)."""
    failures = []
    section = ""
    for level, text in logged:
        if text.strip() in ("Failures:", "Errors:", "Tests in error:", "Failed tests:"):
            section = text.strip()
            continue
        if level != "ERROR" or not section:
            section = "" if level == "INFO" else section
            continue
        item = _RESULT_ITEM.match(text)
        if not item or not text.startswith("  "):
            section = "" if _TOTALS.match(text.strip()) else section
            continue
        name = item.group("name")
        exception, location = reports.get(name, ("", ""))
        if not location and item.group("line"):
            location = f"{name.split('.')[0]}.java:{item.group('line')}"
        message = exception or item.group("message")
        broke = section in ("Errors:", "Tests in error:")
        failures.append(failure_line(name, location, message, error=broke))
    if not failures:  # no Results section (killed, -q): the reports alone
        failures = [failure_line(name, loc, exc) for name, (exc, loc) in reports.items()]
    return dedupe(failures)


def digest_maven(output: str) -> Digest | None:
    if "BUILD " not in output and "Tests run: " not in output:
        return None
    lines = output.splitlines()
    logged = _maven_lines(lines)
    builds = [m.group("verdict") for _, text in logged if (m := _BUILD.match(text.strip()))]
    totals = [m for level, text in logged if level and (m := _TOTALS.match(text.strip()))]
    if not builds and not totals:
        return None
    reports = _reports(lines)
    failures = _results(logged, reports)
    compile_errors = dedupe(
        [
            diagnostic_line(
                f"{m.group('path')}:{m.group('line')}:{m.group('col')}", "error", m.group("message")
            )
            for level, text in logged
            if level == "ERROR" and (m := _COMPILE.match(text.strip()))
        ]
    )
    parts = []
    if totals:
        # The last totals line of a module is its Results total; sum over modules.
        run = sum(int(m.group("run")) for m in totals[-1:])
        last = totals[-1]
        if run == 0:
            parts.append("no tests ran")
        parts.append(last.group(0))
    elif any("No tests to run" in text for _, text in logged):
        parts.append("no tests ran")
    if builds:
        parts.append(f"BUILD {builds[-1]}")
    details = capped(compile_errors, MAX_ERRORS, "errors") + capped(
        failures, MAX_TESTS, "failing tests"
    )
    if builds and builds[-1] == "FAILURE" and not details:
        errors = [t.strip() for level, t in logged if level == "ERROR" and t.strip()]
        if errors:
            first = errors[0]
            if first.endswith(":") and len(errors) > 1:
                # "... could not be resolved:" - the cause is the next line.
                first += " " + errors[1]
            details.append(clip(f"First error: {first}", FAILURE_CHARS))
    return Digest("; ".join(parts), details, tool="maven")


_GRADLE_FAIL = re.compile(r"^(?P<cls>[\w$.]+) > (?P<method>.+?) FAILED$")
_GRADLE_COUNT = re.compile(
    r"^(?P<total>\d+) tests? completed(?:, (?P<failed>\d+) failed)?(?:, (?P<skipped>\d+) skipped)?$"
)
_GRADLE_AT = re.compile(r"^\s+(?P<exception>\S.*?)(?: at (?P<file>[\w$]+\.\w+):(?P<line>\d+))?$")
_GRADLE_BUILD = re.compile(r"^BUILD (?P<verdict>SUCCESSFUL|FAILED)\b")


def digest_gradle(output: str) -> Digest | None:
    lines = output.splitlines()
    builds = [m.group("verdict") for line in lines if (m := _GRADLE_BUILD.match(line.strip()))]
    count = next((m for line in lines if (m := _GRADLE_COUNT.match(line.strip()))), None)
    if not builds and count is None:
        return None
    if (
        not any(line.startswith("> Task ") or "gradle" in line.lower() for line in lines)
        and count is None
    ):
        return None
    failures = []
    for index, line in enumerate(lines):
        found = _GRADLE_FAIL.match(line.strip())
        if not found:
            continue
        body = [
            text
            for text in lines[index + 1 : index + 6]
            if text.startswith((" ", "\t")) and text.strip()
        ]
        detail = _GRADLE_AT.match(body[0]) if body else None
        location = ""
        message = ""
        if detail:
            message = detail.group("exception")
            if detail.group("file"):
                location = f"{detail.group('file')}:{detail.group('line')}"
        cls = found.group("cls").rsplit(".", 1)[-1]
        failures.append(failure_line(f"{cls}.{found.group('method')}", location, message))
    parts = []
    if count:
        total = int(count.group("total"))
        parts.append("no tests ran" if total == 0 else count.group(0))
    if builds:
        parts.append(f"BUILD {builds[-1]}")
    details = capped(failures, MAX_TESTS, "failing tests")
    wrong = next((i for i, line in enumerate(lines) if line.strip() == "* What went wrong:"), None)
    if wrong is not None and not failures:
        cause = joined(
            [text for text in lines[wrong + 1 : wrong + 4] if not text.startswith("*")], 2
        )
        if cause:
            details.append(clip(f"What went wrong: {cause}", FAILURE_CHARS))
    return Digest("; ".join(parts), details, tool="gradle")
