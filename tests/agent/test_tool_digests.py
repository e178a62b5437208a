"""Digests of real tools' output, captured by ``tests/fixtures/tool_outputs/capture.py`` from
small projects with real bugs: each digest keeps the facts read from the raw output (counts,
every failing test, its message and file:line, the first real build error), follows the detail
line conventions, and costs a fraction of the raw output's tokens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.tool_projects import CASES

from agent.tool_facts import FACTS
from terminus_mcp.agent.summaries import digest, summary_text
from terminus_mcp.agent.summaries.base import FAILURE_CHARS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tool_outputs"
MANIFEST = json.loads((FIXTURES / "capture.json").read_text())

_FAILURE = re.compile(r"^- \S.*?(?: \(error\))?(?: at [^\s:]+:\d+(?::\d+)?)?(?:: .+)?$")
_DIAGNOSTIC = re.compile(r"^- [^\s:]+:\d+(?::\d+)?: [\w\[\]-]+: .+$")
_LOCATION = re.compile(r"(?:^- | at )(?P<path>[^\s:]+):(?P<line>\d+)(?::\d+)?(?=[: ]|$)")


def _raw(name: str) -> str:
    """The captured output as the sandbox would hand it over: UTF-8, invalid bytes replaced."""
    return (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8", errors="replace")


def test_every_captured_output_has_facts_and_every_case_was_captured() -> None:
    captured = {path.stem for path in FIXTURES.glob("*.txt")}
    assert captured == set(FACTS), "add facts for new fixtures, or capture the missing ones"
    assert {case.name for case in CASES} == captured
    assert set(MANIFEST) == captured


@pytest.mark.parametrize("name", sorted(FACTS))
def test_digest_keeps_the_facts_of_the_real_output(name: str) -> None:
    raw = _raw(name)
    summary = summary_text(raw, MANIFEST[name]["exit_code"])
    missing = [f for f in (*FACTS[name].stable, *FACTS[name].captured) if f not in summary]
    assert not missing, f"{name}: {missing} missing from:\n{summary}"
    present = [f for f in FACTS[name].absent if f in summary]
    assert not present, f"{name}: {present} must not appear in:\n{summary}"


@pytest.mark.parametrize("name", sorted(FACTS))
def test_detail_lines_follow_the_conventions(name: str) -> None:
    found = digest(_raw(name))
    assert found.tool, f"{name} fell back to the generic digest"
    assert len(found.details) == len(set(found.details)), "a line appears twice"
    for line in found.details:
        assert "/workspace" not in line, line
        assert "///" not in line, line
        assert len(line) <= FAILURE_CHARS, line
        if line.startswith("- ... and "):
            continue
        if line.startswith("- "):
            assert _FAILURE.match(line) or _DIAGNOSTIC.match(line), line
    assert "/workspace" not in found.headline


def test_tsc_locations_are_written_path_line_col() -> None:
    assert (
        digest(_raw("tsc-errors"))
        .details[0]
        .startswith("- src/cart.ts:11:9: error: TS2322: Type 'string'")
    )


def test_an_output_shorter_than_its_digest_is_passed_through() -> None:
    raw = _raw("flake8-plain")
    assert summary_text(raw, 1) == "exit code 1; output:\n" + raw.strip()


@pytest.mark.parametrize("name", sorted(FACTS))
def test_locations_in_the_digest_exist_in_the_project(name: str) -> None:
    """Every ``path:line`` a digest names is a file of the case's project (or a file name the
    tool printed without its folder, as go does), at a line the file has."""
    files = next(c.files for c in CASES if c.name == name)
    for line in digest(_raw(name)).details:
        for found in _LOCATION.finditer(line):
            path, number = found.group("path"), int(found.group("line"))
            matches = [p for p in files if p == path or p.endswith("/" + path)]
            assert matches, f"{name}: {path} is not a project file ({line})"
            assert any(number <= len(files[p].splitlines()) for p in matches), line


def test_digests_are_a_fraction_of_the_raw_tokens() -> None:
    """Over the outputs larger than 500 characters, the digest is under a third of the raw
    size (the measured table is in the report; this guards against regressions only)."""
    ratios = []
    for name in FACTS:
        raw = _raw(name)
        if len(raw) > 2_000:
            ratios.append(len(summary_text(raw, 1)) / len(raw))
    assert ratios
    assert max(ratios) < 0.5, ratios
