"""The direct mode's answer: never longer than what it stands for.

For each command, the digest of its output, or the output itself when that is no longer (small
outputs pass through, tidied: colour codes, blank lines and repeats removed); container paths
written as the project sees them (``/workspace/src/a.c`` is ``src/a.c``); a test step that ran
no test says "no tests ran", never a pass. When the whole answer would still be longer than the
commands' raw output, the longest summaries lose their middle lines until it fits (the frame
around them, the command lines and the reasons, is not counted).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from terminus_mcp.agent.command_summary import Counter, command_summary, project_paths
from terminus_mcp.agent.observation import clean_output
from terminus_mcp.direct.steps import Kind
from terminus_mcp.sandbox.api import cut_marker

_PY_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):$", re.MULTILINE)
_PYTEST_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$", re.MULTILINE)
_STACK_LINE = re.compile(r"^\s+at\s")
MAX_TRACEBACK_LINES = 40


@dataclass(frozen=True)
class RunReport:
    """One command's part of the answer."""

    command: str
    summary: list[str]
    """The ``Summary:`` text, one entry per line."""
    chose: str | None = None


def summarize(
    output: str,
    exit_code: int | None,
    *,
    timed_out: bool,
    timeout_ms: int,
    kind: Kind | None,
    count: Counter,
) -> list[str]:
    """The ``Summary:`` lines for one command (see
    :func:`terminus_mcp.agent.command_summary.command_summary`); a test step that ran no test
    says so."""
    return command_summary(
        output,
        exit_code,
        timed_out=timed_out,
        timeout_ms=timeout_ms,
        is_test=kind is Kind.TEST,
        count=count,
    )


def traceback_lines(output: str) -> list[str]:
    """The last traceback or stack trace in ``output`` (Python, pytest, Node.js, Java)."""
    text = clean_output(output)
    lines = text.splitlines()
    starts = [text.count("\n", 0, m.start()) for m in _PY_TRACEBACK.finditer(text)]
    if starts:
        start = starts[-1]
        end = start + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
            end += 1
        block = lines[start : end + 1]
    elif sections := list(_PYTEST_SECTION.finditer(text)):
        first = sections[0]
        start = text.count("\n", 0, first.start())
        end = start + 1
        while (
            end < len(lines)
            and not _PYTEST_SECTION.match(lines[end])
            and not lines[end].startswith("=====")
        ):
            end += 1
        block = lines[start:end]
    else:
        stack = [i for i, line in enumerate(lines) if _STACK_LINE.match(line)]
        if not stack:
            return []
        end = stack[0]
        while end + 1 < len(lines) and _STACK_LINE.match(lines[end + 1]):
            end += 1
        block = lines[max(0, stack[0] - 1) : end + 1]
    block = [project_paths(b.rstrip()) for b in block if b.strip()]
    return trim_middle(block, MAX_TRACEBACK_LINES)


def trim_middle(lines: Sequence[str], keep: int) -> list[str]:
    """At most ``keep`` lines: the first and last ones, with a line counting the cut."""
    if len(lines) <= keep:
        return list(lines)
    head = keep // 2
    tail = keep - head - 1
    cut = len(lines) - head - tail
    return [*lines[:head], cut_marker(cut, "lines"), *lines[len(lines) - tail :]]


def without_repeats(reports: list[RunReport]) -> list[RunReport]:
    """Each summary without the detail lines an earlier summary already shows (a build error
    that ``make`` and then ``make test`` both print is shown once)."""
    seen: set[str] = set()
    kept = []
    for report in reports:
        head, *details = report.summary
        fresh = [line for line in details if line.strip() not in seen]
        if len(fresh) < len(details):
            fresh.append(f"({len(details) - len(fresh)} more lines as in the summary above)")
        seen.update(line.strip() for line in details)
        kept.append(RunReport(report.command, [head, *fresh], report.chose))
    return kept


def render(frame_head: list[str], reports: list[RunReport], frame_tail: list[str]) -> str:
    lines = ["<final_answer>", *frame_head]
    for report in reports:
        if report.chose:
            lines.append(report.chose)
        lines.append(f"Command: {report.command}")
        lines.append("Summary: " + "\n".join(report.summary))
    lines += [*frame_tail, "</final_answer>"]
    return "\n".join(lines)


def fit(
    frame_head: list[str],
    reports: list[RunReport],
    frame_tail: list[str],
    *,
    raw_tokens: int,
    floor: int,
    never_cut: int,
    count: Counter,
) -> str:
    """The rendered answer, with the summaries together at most ``raw_tokens`` (or ``floor``,
    whichever is more): the longest summaries lose middle lines until they fit (or every one is
    down to three lines). The frame (note, reasons, command lines, "Not done:") is not cut, and
    an answer of at most ``never_cut`` tokens is not cut at all."""
    frame = count(
        render(frame_head, [RunReport(r.command, [], r.chose) for r in reports], frame_tail)
    )
    budget = max(frame + max(raw_tokens, floor), never_cut)
    current = list(reports)
    answer = render(frame_head, current, frame_tail)
    while count(answer) > budget:
        longest = max(range(len(current)), key=lambda i: len(current[i].summary), default=None)
        if longest is None or len(current[longest].summary) <= 3:
            break
        report = current[longest]
        keep = max(3, len(report.summary) * 3 // 4)
        first, rest = report.summary[0], report.summary[1:]
        current[longest] = RunReport(
            report.command, [first, *trim_middle(rest, keep - 1)], report.chose
        )
        answer = render(frame_head, current, frame_tail)
    return answer
