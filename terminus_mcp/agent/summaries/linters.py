"""Digests of linters and type checkers: mypy, ruff (full and concise output), flake8 and
eslint (its default ``stylish`` output, where a file's path is a header line above its
findings). Each finding becomes ``- PATH:LINE[:COL]: KIND: MESSAGE`` with its rule."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, dedupe, diagnostic_line, plural

MAX_FINDINGS = 15

_MYPY = re.compile(
    r"^(?P<loc>[^\s:][^:]*\.pyi?:\d+(?::\d+)?): (?P<kind>error|warning|note): (?P<msg>.*?)"
    r"(?:\s+\[(?P<code>[\w-]+)\])?$"
)
_MYPY_SUMMARY = re.compile(
    r"^(?:Found \d+ errors? in \d+ files? \(checked \d+ source files?\)|"
    r"Success: no issues found in \d+ source files?)$"
)


def digest_mypy(output: str) -> Digest | None:
    lines = output.splitlines()
    summary = next((text.strip() for text in lines if _MYPY_SUMMARY.match(text.strip())), None)
    if summary is None:
        return None
    findings = []
    for line in lines:
        found = _MYPY.match(line.strip())
        if found and found.group("kind") != "note":
            code = f" [{found.group('code')}]" if found.group("code") else ""
            findings.append(
                diagnostic_line(found.group("loc"), found.group("kind"), found.group("msg") + code)
            )
    return Digest(summary, capped(dedupe(findings), MAX_FINDINGS, "findings"), tool="mypy")


_CONCISE = re.compile(
    r"^(?P<loc>[^\s:][^:]*:\d+:\d+): (?P<code>[A-Z]+\d+) (?:\[\*\] )?(?P<msg>.+)$"
)
_RUFF_FULL = re.compile(r"^(?P<code>[A-Z]+\d+) (?:\[\*\] )?(?P<msg>.+)$")
_RUFF_ARROW = re.compile(r"^\s*--> (?P<loc>\S+:\d+:\d+)$")
_RUFF_SUMMARY = re.compile(r"^(?:Found \d+ errors?\.?.*|All checks passed!)$")
_FIXABLE = re.compile(r"^\[\*\] (?P<n>\d+) fixable")


def _concise(lines: list[str]) -> list[str]:
    return [
        diagnostic_line(m.group("loc"), m.group("code"), m.group("msg"))
        for line in lines
        if (m := _CONCISE.match(line.strip()))
    ]


def digest_ruff(output: str) -> Digest | None:
    lines = output.splitlines()
    summary = next((text.strip() for text in lines if _RUFF_SUMMARY.match(text.strip())), None)
    if summary is None:
        return None
    findings = _concise(lines)
    for index, line in enumerate(lines):
        full = _RUFF_FULL.match(line)
        arrow = _RUFF_ARROW.match(lines[index + 1]) if full and index + 1 < len(lines) else None
        if full and arrow:
            findings.append(
                diagnostic_line(arrow.group("loc"), full.group("code"), full.group("msg"))
            )
    if not findings and not summary.startswith("All checks"):
        return None
    fixable = next((m.group("n") for text in lines if (m := _FIXABLE.match(text.strip()))), None)
    headline = summary.rstrip(".") + (f" ({fixable} fixable with --fix)" if fixable else "")
    return Digest(headline, capped(dedupe(findings), MAX_FINDINGS, "findings"), tool="ruff")


def digest_flake8(output: str) -> Digest | None:
    lines = output.splitlines()
    findings = _concise(lines)
    if not findings or any(_RUFF_SUMMARY.match(text.strip()) for text in lines):
        return None
    # Only when most non-empty lines are findings: a test log quoting one is not flake8.
    if len(findings) * 2 < len([text for text in lines if text.strip()]):
        return None
    return Digest(
        plural(len(findings), "finding"),
        capped(dedupe(findings), MAX_FINDINGS, "findings"),
        tool="flake8",
    )


_ESLINT_FILE = re.compile(r"^(?P<path>(?:/|\w:)?[^\s:]+\.\w+)$")
_ESLINT_ITEM = re.compile(
    r"^\s+(?P<line>\d+):(?P<col>\d+)\s+(?P<kind>error|warning)\s+(?P<msg>.+?)(?:\s{2,}(?P<rule>[\w@/-]+))?$"
)
_ESLINT_SUMMARY = re.compile(
    r"^✖ (?P<problems>\d+) problems? \((?P<errors>\d+) errors?, (?P<warnings>\d+) warnings?\)"
)


def digest_eslint(output: str) -> Digest | None:
    if "✖ " not in output:
        return None
    lines = output.splitlines()
    summary = next((m for text in lines if (m := _ESLINT_SUMMARY.match(text.strip()))), None)
    findings = []
    path = ""
    for line in lines:
        header = _ESLINT_FILE.match(line)
        if header:
            path = header.group("path")
            continue
        item = _ESLINT_ITEM.match(line)
        if item and path:
            rule = f" ({item.group('rule')})" if item.group("rule") else ""
            loc = f"{path}:{item.group('line')}:{item.group('col')}"
            findings.append(diagnostic_line(loc, item.group("kind"), item.group("msg") + rule))
    if summary is None:
        return None
    headline = summary.group(0)
    return Digest(headline, capped(dedupe(findings), MAX_FINDINGS, "findings"), tool="eslint")
