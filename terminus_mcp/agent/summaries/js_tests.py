"""Digests of JavaScript test runners: jest, vitest and mocha. Each keeps the counts and every
failing test with its message (the first lines of the assertion error) and its location: the
test file's line in the stack, and where the error was raised when that is elsewhere (the code
under test). A test file that could not load (``Cannot find module``) is a failure too."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import (
    Digest,
    capped,
    dedupe,
    failure_line,
    joined,
    workspace_relative,
)

_FRAME = re.compile(
    r"^\s*(?:at |❯ )(?:.*?[ (])?(?P<path>(?:file://)?[^\s()]+?\.[cm]?[jt]sx?):(?P<line>\d+)(?::(?P<col>\d+))?\)?$"
)
_CODE_FRAME = re.compile(r"^\s*(?:>\s*)?\d+\s*\|")

MAX_TESTS = 20
MESSAGE_LINES = 3

# --- shared -------------------------------------------------------------------------------


def _frames(lines: list[str]) -> list[str]:
    """``path:line:col`` of each stack frame in the project (not node internals, not
    node_modules)."""
    found = []
    for line in lines:
        frame = _FRAME.match(line)
        if not frame or "node_modules/" in frame.group("path"):
            continue
        path = workspace_relative(frame.group("path"))
        if path.startswith(("node:", "internal/")) or path.startswith("/"):
            continue
        column = f":{frame.group('col')}" if frame.group("col") else ""
        found.append(f"{path}:{frame.group('line')}{column}")
    return found


def _located(name: str, body: list[str], test_file: str, message: str, *, error: bool) -> str:
    """The failure line: located at the test file's frame, raised where the first frame is."""
    frames = _frames(body)
    in_test = [f for f in frames if test_file and f.startswith(test_file + ":")]
    location = in_test[0] if in_test else (frames[0] if frames else "")
    if frames and frames[0] != location:
        message += f" (raised at {frames[0]})"
    return failure_line(name, location, message, error=error)


def _message(body: list[str]) -> str:
    """The first lines of the error, before its code frame and stack."""
    kept = []
    for line in body:
        if _FRAME.match(line) or _CODE_FRAME.match(line) or line.strip().startswith("at "):
            break
        if line.strip():
            kept.append(line)
    return joined(kept, MESSAGE_LINES)


# --- jest ---------------------------------------------------------------------------------

_JEST_FILE = re.compile(r"^(?P<verdict>FAIL|PASS) (?P<file>\S+)")
_JEST_TEST = re.compile(r"^ {2}● (?P<name>.+)$")
_JEST_COUNTS = re.compile(r"^(?P<what>Tests|Test Suites):\s+(?P<counts>.*\btotal)$")


def digest_jest(output: str) -> Digest | None:
    if "No tests found, exiting with code" in output:
        return Digest("no tests ran (jest: No tests found)", tool="jest")
    lines = output.splitlines()
    counts = {
        m.group("what"): m.group("counts") for text in lines if (m := _JEST_COUNTS.match(text))
    }
    if "Tests" not in counts and not any(_JEST_TEST.match(line) for line in lines):
        return None
    if not any(_JEST_FILE.match(line) for line in lines) and "Test Suites" not in counts:
        return None
    failures = []
    test_file = ""
    for index, line in enumerate(lines):
        file_line = _JEST_FILE.match(line)
        if file_line:
            test_file = file_line.group("file")
            continue
        test = _JEST_TEST.match(line)
        if not test:
            continue
        end = next(
            (
                i
                for i in range(index + 1, len(lines))
                if _JEST_TEST.match(lines[i])
                or _JEST_FILE.match(lines[i])
                or _JEST_COUNTS.match(lines[i])
            ),
            len(lines),
        )
        body = lines[index + 1 : end]
        name = test.group("name").strip()
        broke = name == "Test suite failed to run"
        if broke:
            name = test_file
        failures.append(_located(name, body, test_file, _message(body), error=broke))
    tests = counts.get("Tests", "")
    headline = tests or "jest stopped before its counts"
    if (tests and re.fullmatch(r"0 total", tests.strip())) or "No tests found" in output:
        headline = "no tests ran" + (f" ({tests})" if tests else "")
    if "Test Suites" in counts:
        headline += f" (suites: {counts['Test Suites']})"
    return Digest(headline, capped(dedupe(failures), MAX_TESTS, "failing tests"), tool="jest")


# --- vitest -------------------------------------------------------------------------------

_VITEST_FAIL = re.compile(r"^\s*FAIL\s+(?P<file>\S+?)(?: > (?P<name>.+?))?(?: \[.*\])?$")
_VITEST_COUNTS = re.compile(r"^\s*(?P<what>Test Files|Tests)\s+(?P<counts>\S.*\(\d+\))\s*$")
_VITEST_RULE = re.compile(r"^⎯+")


def _vitest_counts(text: str) -> str:
    """``3 failed | 2 passed (5)`` as ``3 failed, 2 passed of 5``."""
    body, _, total = text.rpartition("(")
    return f"{', '.join(p.strip() for p in body.split('|'))} of {total.rstrip(')')}"


def digest_vitest(output: str) -> Digest | None:
    lines = output.splitlines()
    counts = {
        m.group("what"): m.group("counts") for text in lines if (m := _VITEST_COUNTS.match(text))
    }
    if "Test Files" not in counts and "No test files found" not in output:
        return None
    failures = []
    for index, line in enumerate(lines):
        header = _VITEST_FAIL.match(line)
        if not header:
            continue
        end = next(
            (
                i
                for i in range(index + 1, len(lines))
                if _VITEST_RULE.match(lines[i].strip()) or _VITEST_FAIL.match(lines[i])
            ),
            len(lines),
        )
        body = lines[index + 1 : end]
        file = header.group("file")
        name = header.group("name") or file
        failures.append(
            _located(name, body, file, _message(body), error=header.group("name") is None)
        )
    tests = counts.get("Tests")
    headline = _vitest_counts(tests) + " tests" if tests else "no tests ran"
    if "Test Files" in counts:
        headline += f" (files: {_vitest_counts(counts['Test Files'])})"
    if "Tests" in counts and counts["Tests"].strip().startswith("(0)"):
        headline = "no tests ran"
    return Digest(headline, capped(dedupe(failures), MAX_TESTS, "failing tests"), tool="vitest")


# --- mocha --------------------------------------------------------------------------------

_MOCHA_COUNT = re.compile(r"^\s+(?P<count>\d+) (?P<what>passing|failing|pending)(?: \(.*\))?$")
_MOCHA_FAILURE = re.compile(r"^\s+(?P<number>\d+)\) (?P<title>.+?)(?P<colon>:?)$")


def _mocha_failures(lines: list[str]) -> list[str]:
    start = next(
        (
            i
            for i, text in enumerate(lines)
            if (m := _MOCHA_COUNT.match(text)) and m.group("what") == "failing"
        ),
        None,
    )
    if start is None:
        return []
    headers = [i for i in range(start + 1, len(lines)) if _MOCHA_FAILURE.match(lines[i])]
    failures = []
    for position, index in enumerate(headers):
        end = headers[position + 1] if position + 1 < len(headers) else len(lines)
        first = _MOCHA_FAILURE.match(lines[index])
        assert first is not None
        parts = [first.group("title")]
        body_start = index + 1
        if not first.group("colon"):  # the title goes on over the next lines, up to a colon
            for follow in range(index + 1, end):
                body_start = follow + 1
                title = lines[follow].strip()
                parts.append(title.removesuffix(":"))
                if title.endswith(":"):
                    break
        body = lines[body_start:end]
        frames = _frames(body)
        test_file = next((f.split(":", 1)[0] for f in reversed(frames)), "")
        failures.append(_located(" > ".join(parts), body, test_file, _message(body), error=False))
    return failures


def digest_mocha(output: str) -> Digest | None:
    lines = output.splitlines()
    counts = {
        m.group("what"): int(m.group("count")) for text in lines if (m := _MOCHA_COUNT.match(text))
    }
    if "passing" not in counts:
        return None
    if not any(counts.values()):
        return Digest("no tests ran (0 passing)", tool="mocha")
    headline = ", ".join(
        f"{counts[k]} {k}" for k in ("passing", "failing", "pending") if k in counts
    )
    failures = _mocha_failures(lines)
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="mocha")
