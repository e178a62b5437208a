"""Digest of unittest output (``python -m unittest``, and runners that print its report): the
counts, and each failing test with the line of the test that failed, where the error was
raised, and the exception line (``ValueError: ...``, ``AssertionError: 99 != 100``)."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, failure_line, joined, plural
from terminus_mcp.agent.summaries.base import workspace_relative as relative

_HEADER = re.compile(r"^(?P<kind>FAIL|ERROR|UNEXPECTED SUCCESS): (?P<name>\S+) \((?P<id>[^)]*)\)")
_RULE = re.compile(r"^(?:=|-){20,}$")
MAX_PER_TEST = 2
"""Failures shown per test name: a data-driven test fails once per case, and two cases show
the pattern (the count says how many more)."""
MAX_DESCRIPTION = 4
"""Lines of a test's description unittest may print between a FAIL header and its rule."""
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>\S+))?')
_RAN = re.compile(r"^Ran (?P<count>\d+) tests? in [\d.]+s$")
_VERDICT = re.compile(r"^(?P<verdict>OK|FAILED|NO TESTS RAN)(?: \((?P<counts>[^)]*)\))?$")

MAX_TESTS = 20
MESSAGE_LINES = 3


def _name(name: str, test_id: str) -> str:
    """The test's dotted name: ``tests.test_money.SplitTest.test_keeps_every_cent``."""
    if test_id.startswith("unittest.loader._Failed"):
        return name
    return test_id if test_id.endswith("." + name) else f"{test_id}.{name}"


def _blocks(lines: list[str]) -> list[tuple[re.Match[str], list[str]]]:
    """Each FAIL/ERROR header with the lines of its report."""
    blocks: list[tuple[re.Match[str], list[str]]] = []
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if not header or index == 0 or not _RULE.match(lines[index - 1]):
            continue
        # The report starts after the dashed rule; a test's docstring or description lines
        # (``IdnaTestV2.txt line 401: ...``) may come between the header and the rule.
        rule = next(
            (
                i
                for i in range(index + 1, min(index + 1 + MAX_DESCRIPTION, len(lines)))
                if _RULE.match(lines[i])
            ),
            index + 1,
        )
        body: list[str] = []
        for following in lines[rule + 1 :]:
            if _RULE.match(following) or _RAN.match(following):
                break
            body.append(following)
        blocks.append((header, body))
    return blocks


def _project_frames(body: list[str]) -> list[tuple[str, str]]:
    """(``path:line``, function) of each traceback frame inside the project."""
    frames = []
    for line in body:
        frame = _FRAME.match(line)
        if frame:
            path = relative(frame.group("path"))
            if not path.startswith("/"):
                frames.append((f"{path}:{frame.group('line')}", frame.group("func") or ""))
    return frames


def _exception(body: list[str]) -> str:
    """The exception lines: the unindented lines after the last traceback frame."""
    last_frame = max((i for i, line in enumerate(body) if _FRAME.match(line)), default=-1)
    after = [line for line in body[last_frame + 1 :] if line.strip()]
    start = next((i for i, line in enumerate(after) if not line.startswith(" ")), None)
    return joined(after[start:], MESSAGE_LINES) if start is not None else ""


def _failure(header: re.Match[str], body: list[str]) -> str:
    name = header.group("name")
    frames = _project_frames(body)
    in_test = [loc for loc, func in frames if func == name]
    location = in_test[-1] if in_test else (frames[-1][0] if frames else "")
    message = _exception(body)
    if frames and frames[-1][0] != location:
        message += f" (raised at {frames[-1][0]})"
    broke = header.group("kind") == "ERROR"
    return failure_line(_name(name, header.group("id")), location, message, error=broke)


def _headline(ran: int, verdict: re.Match[str] | None) -> str:
    if ran == 0 or (verdict and verdict.group("verdict") == "NO TESTS RAN"):
        return "no tests ran"
    parts = [plural(ran, "test")]
    counts = verdict.group("counts") if verdict else None
    for item in (counts or "").split(","):
        key, _, value = item.strip().partition("=")
        if value.isdigit():
            noun = {"failures": "failure", "errors": "error", "skipped": "skipped"}.get(key, key)
            parts.append(f"{value} {noun}" if noun == "skipped" else plural(int(value), noun))
    if verdict is None:
        parts.append("no verdict")
    else:
        parts.append(verdict.group("verdict"))
    return ", ".join(parts)


def digest_unittest(output: str) -> Digest | None:
    lines = output.splitlines()
    runs = [(i, int(m.group("count"))) for i, line in enumerate(lines) if (m := _RAN.match(line))]
    blocks = _blocks(lines)
    if not runs and not blocks:
        return None
    headlines = []
    for index, ran in runs:
        verdict = next(
            (m for line in lines[index + 1 : index + 4] if (m := _VERDICT.match(line.strip()))),
            None,
        )
        headlines.append(_headline(ran, verdict))
    headline = " | ".join(headlines) if headlines else "unittest stopped before its counts"
    failures = _few_per_test([(_failure(h, body), _name(h["name"], h["id"])) for h, body in blocks])
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="unittest")


def _few_per_test(failures: list[tuple[str, str]]) -> list[str]:
    """The failure lines, at most :data:`MAX_PER_TEST` per test name (a data-driven test or one
    with subtests fails once per case), then a line counting that test's other failures."""
    lines: list[str] = []
    seen: dict[str, int] = {}
    for line, name in failures:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] <= MAX_PER_TEST:
            lines.append(line)
    for name, count in seen.items():
        if count > MAX_PER_TEST:
            lines.append(f"- ... and {count - MAX_PER_TEST} more failures of {name}")
    return lines
