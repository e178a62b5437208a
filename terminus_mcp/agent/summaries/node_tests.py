"""Digest of ``node --test`` output (TAP, the default when not on a terminal, and the ``spec``
reporter): the counts, and each failing test with its error message and location."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, clip, dedupe, workspace_relative

_NOT_OK = re.compile(r"^(\s*)not ok \d+ - (.*?)(?:\s+#.*)?$")
_TAP_COUNT = re.compile(r"^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$")
_SPEC_COUNT = re.compile(r"^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$")
_SPEC_FAIL = re.compile(r"^\s*✖ (.+?)(?: \([\d.]+m?s\))?$")
_YAML_KEY = re.compile(r"^\s*(\w+): ?(.*)$")
_STACK_LOCATION = re.compile(r"\(?(/[^\s()]+|[\w./-]+\.[cm]?[jt]s):(\d+):(\d+)\)?")

MAX_TESTS = 20
_COUNT_ORDER = ("tests", "pass", "fail", "cancelled", "skipped", "todo")


def _counts(lines: list[str], pattern: re.Pattern[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        found = pattern.match(line.strip())
        if found:
            counts[found.group(1)] = int(found.group(2))
    return counts


def _headline(counts: dict[str, int]) -> str:
    parts = [f"{counts[k]} {k}" for k in _COUNT_ORDER if counts.get(k)]
    if "fail" in counts and not counts["fail"]:
        parts.append("0 fail")
    return ", ".join(parts)


def _yaml_block(lines: list[str], start: int) -> dict[str, str]:
    """Read the ``---`` ... ``...`` block after a ``not ok`` line into key -> text."""
    fields: dict[str, str] = {}
    index = start
    if index >= len(lines) or lines[index].strip() != "---":
        return fields
    key_indent = None
    current = ""
    for line in lines[index + 1 :]:
        if line.strip() == "...":
            break
        indent = len(line) - len(line.lstrip())
        found = _YAML_KEY.match(line)
        if found and (key_indent is None or indent == key_indent):
            key_indent = indent
            current = found.group(1)
            value = found.group(2).strip()
            fields[current] = "" if value in ("|-", "|", ">-", ">") else value.strip("'\"")
        elif current and line.strip():
            fields[current] = (fields[current] + " " + line.strip()).strip()
    return fields


def _tap_failures(lines: list[str]) -> list[str]:
    failures = []
    for index, line in enumerate(lines):
        found = _NOT_OK.match(line)
        if not found:
            continue
        fields = _yaml_block(lines, index + 1)
        if fields.get("failureType") == "subtestsFailed":
            continue  # a suite that failed because a test in it failed: the test is listed
        text = f"- {found.group(2).strip()}"
        location = _STACK_LOCATION.search(fields.get("location", "") or fields.get("stack", ""))
        if location:
            text += f" at {workspace_relative(location.group(1))}:{location.group(2)}"
        error = fields.get("error", "")
        if error:
            text += f": {error}"
        failures.append(clip(text, 400))
    return failures


def _spec_failures(lines: list[str]) -> list[str]:
    names = []
    for line in lines:
        found = _SPEC_FAIL.match(line)
        if found and found.group(1) != "failing tests:":
            names.append(f"- {clip(found.group(1))}")
    return dedupe(names)


def digest_node_tests(output: str) -> Digest | None:
    lines = output.splitlines()
    tap = _counts(lines, _TAP_COUNT)
    spec = _counts(lines, _SPEC_COUNT)
    if "tests" in tap:
        failures = _tap_failures(lines)
        counts = tap
    elif "tests" in spec:
        failures = _spec_failures(lines)
        counts = spec
    else:
        return None
    return Digest(headline=_headline(counts), details=capped(failures, MAX_TESTS, "failing tests"))
