"""The CI gates, on both suites in direct mode, on the real Docker engine.

Each suite must run every task, reach the recall gate, keep every answer free of forbidden
content, and keep the median answer at most 5% of the raw output over its large-output tasks
(:mod:`terminus_mcp.eval.gates`). The realworld suite fetches its projects from PyPI, npm and the
Debian mirror on the first run (cached in ``~/.cache/terminus-mcp/realworld`` afterwards, or
where ``TERMINUS_EVAL_CACHE`` says).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminus_mcp.eval.gates import check_gates
from terminus_mcp.eval.report import RATIO_TARGET, render_table
from terminus_mcp.eval.results import EvalReport
from terminus_mcp.eval.runner import run_suite
from terminus_mcp.eval.suite import load_suite
from terminus_mcp.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def _run_direct(name: str, tmp_path: Path) -> tuple[EvalReport, str]:
    settings = Settings(backend="direct", state_dir=tmp_path / "state")
    report = await run_suite(load_suite(name), settings, work_root=tmp_path)
    gates = check_gates(report)
    text = render_table(report) + "\n".join(["gates:", *gates.failures])
    print(text)
    assert not report.model_used
    return report, text


@pytest.mark.timeout(900)
async def test_builtin_suite_in_direct_mode_passes_the_gates(
    tmp_path: Path, docker_client: object
) -> None:
    report, text = await _run_direct("builtin", tmp_path)
    assert len(report.rows) >= 15
    assert check_gates(report).failures == [], text
    assert all(r.done for r in report.rows), text
    # Beyond the large-output gate: the suite's median over every task stays within target too.
    assert [r.name for r in report.rows if r.error] == [], text
    assert report.median_ratio is not None
    assert report.median_ratio <= RATIO_TARGET, text
    hanging = next(r for r in report.rows if r.name == "py-hanging-test")
    assert hanging.wall_s < 30, "the hanging task must be stopped by its short timeout"
    assert all(r.baseline_tokens > 0 for r in report.rows)


@pytest.mark.timeout(1800)
async def test_realworld_suite_in_direct_mode_passes_the_gates(
    tmp_path: Path, docker_client: object
) -> None:
    report, text = await _run_direct("realworld", tmp_path)
    assert len(report.rows) >= 25
    gates = check_gates(report)
    assert gates.large_tasks >= 5, "the ratio gate needs tasks with large outputs"
    assert gates.failures == [], text
