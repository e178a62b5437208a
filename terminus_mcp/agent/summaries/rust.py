"""Digest of cargo: ``cargo test`` (counts over every test binary, each failing test with its
panic message and ``src/lib.rs:L:C`` location) and compile errors of ``cargo build``/``test``
(``error[E0308]: ...`` with the ``--> src/lib.rs:L:C`` line under it)."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import (
    Digest,
    capped,
    dedupe,
    diagnostic_line,
    failure_line,
    joined,
    plural,
)

_RESULT = re.compile(
    r"^test result: (?P<verdict>\w+)\. (?P<passed>\d+) passed; (?P<failed>\d+) failed; "
    r"(?P<ignored>\d+) ignored"
)
_RUNNING = re.compile(r"^running (?P<count>\d+) tests?$")
_TEST = re.compile(r"^test (?P<name>\S+) \.\.\. (?P<verdict>ok|FAILED|ignored)")
_STDOUT = re.compile(r"^---- (?P<name>\S+) stdout ----$")
_THREAD = r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at "
_AT = r"(?P<loc>\S+?):(?P<line>\d+):(?P<col>\d+)"
_PANIC_NEW = re.compile(_THREAD + _AT + ":$")
"""Rust 1.73 and later: the location, then the message on the lines after."""
_PANIC_OLD = re.compile(_THREAD + "'(?P<message>.*)$")
"""Before Rust 1.73: ``panicked at 'message', src/lib.rs:3:5``, the message possibly over
several lines (``assert_eq!`` prints ``left`` and ``right`` on their own)."""
_PANIC_OLD_END = re.compile("^(?P<message>.*)', " + _AT + "$")
OLD_PANIC_LINES = 12
_DIAGNOSTIC = re.compile(r"^(?P<kind>error|warning)(?P<code>\[E\d+\])?: (?P<message>.+)$")
_ARROW = re.compile(r"^\s*--> (?P<loc>\S+:\d+:\d+)$")
_COMPILING = re.compile(r"^\s*(?:Compiling|Finished|Running|Doc-tests|Checking)\b")

MAX_TESTS = 20
MAX_ERRORS = 10


def _panics(lines: list[str]) -> dict[str, tuple[str, str]]:
    """Test name -> (``path:line:col``, message) from each ``---- name stdout ----`` block."""
    found: dict[str, tuple[str, str]] = {}
    current = ""
    for index, line in enumerate(lines):
        block = _STDOUT.match(line)
        if block:
            current = block.group("name")
            continue
        new = _PANIC_NEW.match(line)
        if new and current:
            message = []
            for follow in lines[index + 1 : index + 8]:
                if not follow.strip() or follow.startswith("note:"):
                    break
                message.append(follow)
            loc = f"{new.group('loc')}:{new.group('line')}:{new.group('col')}"
            found[current] = (loc, joined(message, 3))
        old = _PANIC_OLD.match(line)
        if old and current and not new:
            parts = [old.group("message")]
            for follow in ["", *lines[index + 1 : index + OLD_PANIC_LINES]]:
                if follow:
                    parts.append(follow)
                end = _PANIC_OLD_END.match(parts[-1])
                if end:
                    parts[-1] = end.group("message")
                    loc = f"{end.group('loc')}:{end.group('line')}:{end.group('col')}"
                    found[current] = (loc, joined(parts, 3))
                    break
    return found


def _compile_errors(lines: list[str]) -> tuple[list[str], int]:
    """Each located compile error, and the count of located warnings."""
    errors = []
    warnings = 0
    for index, line in enumerate(lines):
        found = _DIAGNOSTIC.match(line)
        if not found:
            continue
        arrow = next(
            (m for text in lines[index + 1 : index + 4] if (m := _ARROW.match(text))), None
        )
        if arrow is None:
            continue
        if found.group("kind") == "warning":
            warnings += 1
            continue
        kind = "error" + (found.group("code") or "")
        errors.append(diagnostic_line(arrow.group("loc"), kind, found.group("message")))
    return dedupe(errors), warnings


def digest_cargo(output: str) -> Digest | None:
    lines = output.splitlines()
    results = [m for line in lines if (m := _RESULT.match(line))]
    errors, warnings = _compile_errors(lines)
    if not results and not errors:
        return None
    if (
        not results
        and not any(_COMPILING.match(line) for line in lines)
        and not any("could not compile" in line for line in lines)
    ):
        return None
    details = capped(errors, MAX_ERRORS, "errors")
    parts = []
    if errors:
        summary = next((text for text in lines if "could not compile" in text), "")
        parts.append(f"build failed: {plural(len(errors), 'error')}")
        if warnings:
            parts.append(plural(warnings, "warning"))
        if summary and not results:
            details.append(summary.strip())
    if results:
        passed = sum(int(m.group("passed")) for m in results)
        failed = sum(int(m.group("failed")) for m in results)
        ignored = sum(int(m.group("ignored")) for m in results)
        if passed + failed == 0:
            parts.append("no tests ran")
        parts.append(f"{passed} passed; {failed} failed; {ignored} ignored")
        parts.append(f"in {plural(len(results), 'test binary')}".replace("binarys", "binaries"))
        panics = _panics(lines)
        failing = dedupe(
            [
                m.group("name")
                for text in lines
                if (m := _TEST.match(text)) and m.group("verdict") == "FAILED"
            ]
        )
        failures = [failure_line(name, *panics.get(name, ("", ""))) for name in failing]
        details += capped(failures, MAX_TESTS, "failing tests")
        stopped = next((text for text in lines if text.startswith("error: test failed")), "")
        if stopped:
            parts.append(stopped.removeprefix("error: ").strip())
    return Digest("; ".join(parts), details, tool="cargo")
