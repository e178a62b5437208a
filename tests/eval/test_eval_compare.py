"""Comparing eval runs: labelled report.json files into one Markdown page and one chart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.chart import comparison_figure
from terminus_mcp.eval.compare import load_run, render_comparison
from terminus_mcp.eval.results import EvalReport, TaskRow


def _row(name: str, found: int, ratio: float, wall: float, tokens: int = 0) -> TaskRow:
    return TaskRow(
        name=name,
        status="completed",
        done=True,
        facts_found=found,
        facts_total=2,
        answer_tokens=10,
        baseline_tokens=100,
        ratio=ratio,
        turns=2,
        commands=1,
        wall_s=wall,
        subagent_tokens=tokens,
        prompt_tokens=tokens - 10 if tokens else 0,
        completion_tokens=10 if tokens else 0,
    )


def _write(folder: Path, backend: str, rows: list[TaskRow]) -> Path:
    report = EvalReport(
        suite="demo", backend=backend, model_used=backend != "direct", started_at=0.0,
        wall_s=5.0, rows=rows,
    )  # fmt: skip
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(report.model_dump_json())
    return folder


def test_runs_side_by_side(tmp_path: Path) -> None:
    direct = _write(tmp_path / "direct", "direct", [_row("a", 2, 0.02, 1.0), _row("b", 1, 0.04, 2)])
    model = _write(tmp_path / "model", "openai:qwen", [_row("a", 1, 0.05, 30.0, 900)])
    runs = [load_run(f"direct mode={direct}"), load_run(str(model / "report.json"))]
    assert [r.label for r in runs] == ["direct mode", "model"]

    text = render_comparison(runs)
    assert "| direct mode | `direct` | 2/2 | 75.0% |" in text
    assert "| model | `openai:qwen` | 1/1 | 50.0% |" in text
    assert "| `b` | 1/2, 4.0%, 2 t, 1 c, 2 s, completed | - |" in text

    figure = comparison_figure([(r.label, r.report) for r in runs], title="demo runs")
    assert figure.get_suptitle() == "demo runs"
    recall_axes = figure.axes[0]
    assert [t.get_text() for t in recall_axes.get_xticklabels()] == ["a", "b"]
    assert recall_axes.get_ylabel() == "key facts found (%)"
    heights = [round(p.get_height(), 6) for p in recall_axes.patches]
    assert heights == [100.0, 50.0, 50.0, 0.0]  # run 1: a, b; run 2: a, (no b)
    legend = [t.get_text() for t in recall_axes.get_legend().get_texts()]
    assert legend == ["direct mode", "model"]


def test_a_file_that_is_not_a_report_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="is not an eval report"):
        load_run(f"x={bad}")
    with pytest.raises(ConfigError, match="cannot read"):
        load_run(f"x={tmp_path / 'missing.json'}")


def test_cli_writes_the_comparison(tmp_path: Path) -> None:
    one = _write(tmp_path / "one", "direct", [_row("a", 2, 0.02, 1.0)])
    two = _write(tmp_path / "two", "openai:qwen", [_row("a", 2, 0.03, 20.0, 500)])
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "eval", "--compare", f"direct={one}",
         f"model={two}", "--report", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| model | `openai:qwen` | 1/1 | 100.0% |" in done.stdout
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "comparison.md").read_text() == done.stdout

    missing = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "eval", "--compare", f"direct={one}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert missing.returncode != 0
    assert "--compare needs --report DIR" in missing.stderr
