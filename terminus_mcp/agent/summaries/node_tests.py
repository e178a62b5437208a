"""Digest of ``node --test`` output with the ``spec`` reporter (the default on a terminal): the
counts, and each failing test with its error and location. The TAP reporter's output is read by
:mod:`.tap`. A test file that crashed while loading keeps the error that stopped it."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, dedupe, failure_line, joined
from terminus_mcp.agent.summaries.base import workspace_relative as relative
from terminus_mcp.agent.summaries.node_causes import file_crash_cause

_SPEC_COUNT = re.compile(r"^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$")
_SPEC_FAIL = re.compile(r"^(?P<indent>\s*)✖ (?P<name>.+?)(?: \([\d.]+m?s\))?$")
_TEST_AT = re.compile(r"^test at (?P<location>\S+:\d+):\d+$")
_FRAME = re.compile(
    r"^\s*at (?:.*? \()?(?P<path>(?:file://)?/?[^\s()]+?\.[cm]?[jt]sx?):(?P<line>\d+):(?P<col>\d+)\)?"
)

MAX_TESTS = 20
_COUNT_ORDER = ("tests", "pass", "fail", "cancelled", "skipped", "todo")


def node_headline(counts: dict[str, int]) -> str:
    """``7 tests, 2 pass, 5 fail`` from node's counts; ``no tests ran`` when there were none."""
    if not counts.get("tests"):
        return "no tests ran (0 tests)"
    parts = [f"{counts[k]} {k}" for k in _COUNT_ORDER if counts.get(k)]
    if "fail" in counts and not counts["fail"]:
        parts.append("0 fail")
    return ", ".join(parts)


def _message(body: list[str]) -> str:
    """The error's first lines (with an assertion's ``+ actual``/``- expected`` lines), up to
    its stack."""
    kept = []
    for line in body:
        if _FRAME.match(line) or line.strip().startswith("at "):
            break
        text = line.strip()
        if text and text.strip("^ "):
            kept.append(text)
    return joined(kept, 4)


def _failure(lines: list[str], name: str, body: list[str], test_at: str) -> str:
    frames = [
        f"{relative(m.group('path'))}:{m.group('line')}:{m.group('col')}"
        for line in body
        if (m := _FRAME.match(line)) and not relative(m.group("path")).startswith(("node:", "/"))
    ]
    message = _message(body)
    test_file = test_at.rsplit(":", 1)[0]
    location = test_at
    if name.endswith((".js", ".mjs", ".cjs", ".ts")) and message.strip("'\"") in (
        "test failed",
        "",
    ):
        cause = file_crash_cause(lines, name)
        if cause:
            message, location = cause[0], cause[1] or relative(name)
        return failure_line(relative(name), location, message, error=True)
    if frames and frames[0].rsplit(":", 2)[0] != test_file:
        message += f" (raised at {frames[0]})"
    return failure_line(name, location, message)


def digest_node_spec(output: str) -> Digest | None:
    if "ℹ tests " not in output:
        return None
    lines = output.splitlines()
    counts = {
        m.group(1): int(m.group(2)) for text in lines if (m := _SPEC_COUNT.match(text.strip()))
    }
    if "tests" not in counts:
        return None
    start = next((i for i, text in enumerate(lines) if text.strip() == "✖ failing tests:"), None)
    failures = []
    if start is not None:  # node 20+: each failure again, after "test at FILE:LINE:COL"
        index = start + 1
        while index < len(lines):
            test_at = _TEST_AT.match(lines[index].strip())
            header = _SPEC_FAIL.match(lines[index + 1]) if index + 1 < len(lines) else None
            if test_at and header:
                end = next(
                    (i for i in range(index + 2, len(lines)) if _TEST_AT.match(lines[i].strip())),
                    len(lines),
                )
                failures.append(
                    _failure(
                        lines,
                        header.group("name"),
                        lines[index + 2 : end],
                        test_at.group("location"),
                    )
                )
                index = end
            else:
                index += 1
    else:  # older spec output: the ✖ lines with an error under them
        for index, line in enumerate(lines):
            header = _SPEC_FAIL.match(line)
            if header and index + 1 < len(lines) and lines[index + 1].strip():
                body = lines[index + 1 : index + 12]
                if not _SPEC_FAIL.match(body[0]) and not body[0].strip().startswith("✔"):
                    failures.append(_failure(lines, header.group("name"), body, ""))
    return Digest(
        node_headline(counts),
        capped(dedupe(failures), MAX_TESTS, "failing tests"),
        tool="node --test",
    )
