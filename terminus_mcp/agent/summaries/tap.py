"""Digests of TAP (the Test Anything Protocol, versions 13 and 14) and of Perl's ``prove``.

TAP: ``node --test`` (its default reporter off a terminal), node-tap, Test::More scripts run
directly. Every leaf ``not ok`` (a parent whose subtests failed is not counted again) with its
name path (``wrap > rejects a zero width``), its YAML diagnostics (node's ``error``,
``location`` and ``stack``; node-tap's ``at``, ``diff`` and ``type``), and for a test file that
crashed, the error that stopped it.

``prove``: the counts of its summary and each ``Failed test`` diagnostic of Test::More with its
file, line, and ``got``/``expected``.
"""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, failure_line, joined, plural
from terminus_mcp.agent.summaries.base import workspace_relative as relative
from terminus_mcp.agent.summaries.node_causes import file_crash_cause
from terminus_mcp.agent.summaries.node_tests import node_headline

_VERSION = re.compile(r"^TAP version 1[34]$")
_POINT = re.compile(r"^(?P<indent>\s*)(?P<not>not )?ok\b(?: \d+)?(?: -)?\s*(?P<desc>.*?)$")
_DIRECTIVE = re.compile(r"\s+#\s*(?P<what>TODO|SKIP|time=)\S*.*$", re.IGNORECASE)
_PLAN = re.compile(r"^(?P<indent>\s*)1\.\.(?P<count>\d+)")
_SUBTEST = re.compile(r"^(?P<indent>\s*)# Subtest: (?P<name>.+)$")
_NODE_COUNT = re.compile(r"^# (tests|suites|pass|fail|cancelled|skipped|todo)\s+(\d+)$")
_OWN_COUNTS = re.compile(r"^#\s*(?P<text>.*\b\d+ (?:tests?|passed|failed)\b.*?)\s*$")
"""A producer's own summary comment, such as ``# 24 tests, 12 passed, 12 failed``."""
_DIAGNOSTIC = re.compile(r"^#(?:\s{2,}|\t)(?P<text>\S.*?)\s*$")
"""A diagnostic comment under a test point (indented after ``#``, as Test::More and libtap
print them; a test group's name, ``# name``, is not)."""
_DIAGNOSTIC_AT = re.compile(r"^(?P<location>[\w./-]+\.\w+:\d+(?::\d+)?):\s*(?P<message>.*)$")
_TAP_TOTALS = re.compile(
    r"^# \{ total: (?P<total>\d+), pass: (?P<pass>\d+)(?:, fail: (?P<fail>\d+))?"
)
_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>\w+):(?: (?P<value>.*))?$")
_FRAME = re.compile(r"(?P<path>(?:file://)?/?[\w./@-]+?\.[cm]?[jt]sx?):(?P<line>\d+):(?P<col>\d+)")
_PROVE_FILES = re.compile(r"^Files=(?P<files>\d+), Tests=(?P<tests>\d+),")
_PROVE_RESULT = re.compile(r"^Result: (?P<result>\w+)$")
_PROVE_FILE_FAILED = re.compile(r"^(?P<file>\S+)\s+\(Wstat: .*Tests: \d+ Failed: (?P<failed>\d+)\)")
_TM_FAILED = re.compile(
    r"^#\s+Failed (?:\(TODO\) )?test(?: '(?P<name>.*)')?"
    r"(?: at (?P<file>\S+) line (?P<line>\d+)\.)?$"
)
_TM_AT = re.compile(r"^#\s+at (?P<file>\S+) line (?P<line>\d+)\.$")

MAX_TESTS = 20


def _unquoted(value: str) -> str:
    """A YAML scalar without its quotes (``'it''s'`` is ``it's``); quotes inside are kept."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def _yaml(lines: list[str], start: int) -> dict[str, str]:
    """The YAML block (``---`` ... ``...``) right after a test point, one level deep: each key
    of its first level with its value, block scalars and nested keys joined into one line."""
    if start >= len(lines) or lines[start].strip() != "---":
        return {}
    fields: dict[str, str] = {}
    top: int | None = None
    current = ""
    for line in lines[start + 1 :]:
        if line.strip() == "...":
            break
        key = _YAML_KEY.match(line)
        indent = len(line) - len(line.lstrip())
        if key and (top is None or indent == top):
            top = indent
            current = key.group("key")
            if current in fields:  # node prints a nested error's keys at the top level: the
                current = ""  # first value is the test's own
                continue
            value = (key.group("value") or "").strip()
            fields[current] = "" if value in ("|-", "|", ">-", ">", "~") else _unquoted(value)
        elif current and line.strip():
            fields[current] = (fields[current] + "\n" + line.strip()).strip()
    return fields


def _location(fields: dict[str, str]) -> str:
    """The test's ``path:line``: node's ``location``, node-tap's ``at``, else the stack."""
    found = _FRAME.search(fields.get("location", ""))
    if found:
        return f"{relative(found.group('path'))}:{found.group('line')}"
    at = fields.get("at", "")
    file = re.search(r"fileName: (\S+)", at)
    line = re.search(r"lineNumber: (\d+)", at)
    if file and line:
        column = re.search(r"columnNumber: (\d+)", at)
        return f"{relative(file.group(1))}:{line.group(1)}" + (
            f":{column.group(1)}" if column else ""
        )
    return _first_frame(fields)


def _first_frame(fields: dict[str, str]) -> str:
    """``path:line:col`` of the first project frame of the stack, or ``""``."""
    for frame in _FRAME.finditer(fields.get("stack", "")):
        path = relative(frame.group("path"))
        if not path.startswith(("node:", "/")) and "node_modules/" not in path:
            return f"{path}:{frame.group('line')}:{frame.group('col')}"
    return ""


def _raised_at(fields: dict[str, str], location: str) -> str:
    """The first project frame of the stack, when it lies in another file than the test."""
    first = _first_frame(fields)
    if not first or first.split(":", 1)[0] == location.split(":", 1)[0]:
        return ""
    return first


def _message(fields: dict[str, str]) -> str:
    error = fields.get("error", "")
    if error:
        name = fields.get("name", "")
        text = joined([line for line in error.splitlines() if line.strip("^ ")], 4)
        return f"{name}: {text}" if name and name not in text else text
    diff = [
        text for text in fields.get("diff", "").splitlines() if re.match(r"^[+-](?![+-])", text)
    ]
    if diff:
        return "diff: " + " ".join(diff)
    for wanted, found in (("expected", "actual"), ("wanted", "found"), ("expected", "got")):
        if wanted in fields and found in fields:
            return f"expected {fields[wanted]}, got {fields[found]}"
    return fields.get("type", "")


def _diagnostics(lines: list[str], start: int) -> tuple[str, str] | None:
    """The location and message of the diagnostic comments right after a test point
    (``#   test/test.c:35: expected "right", got "right "``), when there are any."""
    found = []
    for line in lines[start : start + 8]:
        diagnostic = _DIAGNOSTIC.match(line)
        if diagnostic:
            found.append(diagnostic.group("text"))
        elif _POINT.match(line) or _PLAN.match(line) or line.startswith("#"):
            break
    if not found:
        return None
    at = _DIAGNOSTIC_AT.match(found[0])
    if at:
        return at.group("location"), joined([at.group("message"), *found[1:]], 4)
    return "", joined(found, 4)


def _failures(lines: list[str]) -> tuple[list[str], int, int]:
    """Failure lines of every leaf ``not ok``, and the counts of leaf points (all, failed)."""
    subtests: dict[int, str] = {}
    failures = []
    total = failed = 0
    previous_indent = -1
    for index, line in enumerate(lines):
        subtest = _SUBTEST.match(line)
        if subtest:
            indent = len(subtest.group("indent"))
            subtests = {k: v for k, v in subtests.items() if k < indent}
            subtests[indent] = subtest.group("name").strip()
            continue
        point = _POINT.match(line)
        if not point:
            continue
        indent = len(point.group("indent"))
        parent = previous_indent > indent
        previous_indent = indent
        directive = _DIRECTIVE.search(point.group("desc"))
        name = _DIRECTIVE.sub("", point.group("desc")).strip()
        fields = _yaml(lines, index + 1)
        if parent or fields.get("failureType") == "subtestsFailed":
            continue
        total += 1
        if not point.group("not") or (directive and directive.group("what").upper() != "TIME="):
            continue
        failed += 1
        ancestors = [v for k, v in sorted(subtests.items()) if k < indent]
        if ancestors and ancestors[-1] == name:
            ancestors = ancestors[:-1]
        location = _location(fields)
        message = _message(fields)
        if not fields:
            location, message = _diagnostics(lines, index + 1) or (location, message)
        is_file = name.endswith((".js", ".mjs", ".cjs", ".ts")) and "/" in name
        if is_file and message in ("test failed", ""):
            cause = file_crash_cause(lines, name)
            if cause:
                message, location = cause[0], cause[1] or location
            failures.append(failure_line(relative(name), location, message, error=True))
            continue
        raised = _raised_at(fields, location)
        if raised:
            message += f" (raised at {raised})"
        failures.append(failure_line(" > ".join([*ancestors, name]), location, message))
    return failures, total, failed


def digest_tap(output: str) -> Digest | None:
    lines = output.splitlines()
    if any(_PROVE_FILES.match(line) for line in lines):
        return None  # prove's report: its own digest
    node_counts = {m.group(1): int(m.group(2)) for text in lines if (m := _NODE_COUNT.match(text))}
    is_tap = any(_VERSION.match(line.strip()) for line in lines[:200])
    if not is_tap and "tests" not in node_counts:
        points = sum(1 for line in lines if _POINT.match(line))
        if not points or not any(_PLAN.match(line) for line in lines):
            return None
    failures, total, failed = _failures(lines)
    totals = next((m for line in lines if (m := _TAP_TOTALS.match(line))), None)
    if "tests" in node_counts:
        headline = node_headline(node_counts)
    elif totals:
        count = int(totals.group("total"))
        headline = f"{count} tests, {totals.group('pass')} pass, {totals.group('fail') or 0} fail"
        headline = headline if count else "no tests ran (0 tests)"
    elif own := next((m for line in reversed(lines) if (m := _OWN_COUNTS.match(line))), None):
        headline = own.group("text")  # the producer's own counts, as it printed them
    elif total:
        headline = f"{plural(total, 'test')}, {total - failed} pass, {failed} fail"
    else:
        headline = "no tests ran (0 tests)"
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="TAP")


def _test_more_failures(lines: list[str]) -> list[str]:
    """Each Test::More ``Failed test`` diagnostic: name, file:line, and got/expected."""
    failures = []
    for index, line in enumerate(lines):
        found = _TM_FAILED.match(line.strip())
        if not found:
            continue
        file, number = found.group("file"), found.group("line")
        body = []
        for follow in lines[index + 1 : index + 12]:
            text = follow.strip()
            if not text.startswith("#") or _TM_FAILED.match(text) or "Looks like" in text:
                break
            at = _TM_AT.match(text)
            if at:
                file, number = at.group("file"), at.group("line")
            else:
                body.append(" ".join(text.lstrip("#").split()))
        name = found.group("name") or f"test at {file} line {number}"
        failures.append(failure_line(name, f"{file}:{number}" if file else "", joined(body, 4)))
    return failures


def digest_prove(output: str) -> Digest | None:
    lines = output.splitlines()
    files = next((m for line in lines if (m := _PROVE_FILES.match(line))), None)
    result = next((m for line in lines if (m := _PROVE_RESULT.match(line.strip()))), None)
    if files is None and result is None:
        return None
    failed = sum(int(m.group("failed")) for text in lines if (m := _PROVE_FILE_FAILED.match(text)))
    verdict = result.group("result") if result else "no result"
    if files:
        tests = int(files.group("tests"))
        headline = f"{plural(tests, 'test')} in {plural(int(files.group('files')), 'file')}"
        headline += f", {failed} failed; Result: {verdict}"
        if tests == 0:
            headline = f"no tests ran; Result: {verdict}"
    else:
        headline = f"Result: {verdict}"
    if verdict == "NOTESTS":
        headline = "no tests ran; Result: NOTESTS"
    failures = _test_more_failures(lines)
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="prove")
