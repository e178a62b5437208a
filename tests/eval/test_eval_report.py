"""Report views: JSON totals, the terminal table, the Markdown report and its PNG chart."""

from __future__ import annotations

import json
from pathlib import Path

from terminus_mcp.eval.chart import render_chart, report_figure
from terminus_mcp.eval.report import render_json, render_markdown, render_table, write_report
from terminus_mcp.eval.results import EvalReport, JudgeScores, TaskRow


def _report() -> EvalReport:
    rows = [
        TaskRow(
            name="alpha",
            status="completed",
            done=True,
            facts_found=3,
            facts_total=4,
            missed_facts=["beta\\.c:9"],
            answer_tokens=30,
            baseline_tokens=1000,
            ratio=0.03,
            turns=2,
            commands=1,
            wall_s=1.5,
            judge=JudgeScores(
                completion=5, accuracy=4, informativeness=4, relevance=5, actionability=2
            ),
        ),
        TaskRow(
            name="gamma",
            status="timed_out",
            done=False,
            facts_found=2,
            facts_total=2,
            forbidden_hits=["PASSED"],
            answer_tokens=100,
            baseline_tokens=1000,
            ratio=0.1,
            turns=3,
            commands=2,
            wall_s=9.0,
            subagent_tokens=5000,
        ),
        TaskRow(
            name="delta",
            status="error",
            done=False,
            facts_found=0,
            facts_total=1,
            error="the generator failed",
        ),
    ]
    return EvalReport(
        suite="demo", backend="direct", model_used=False, started_at=0.0, wall_s=12.0, rows=rows
    )


def test_json_has_rows_and_totals() -> None:
    data = json.loads(render_json(_report()))
    # 5 of 7 facts; the median of 0.03 and 0.1 (delta has no ratio).
    assert data["overall_recall"] == 5 / 7
    assert abs(data["median_ratio"] - 0.065) < 1e-12
    assert data["tasks_done"] == 1
    assert [r["name"] for r in data["rows"]] == ["alpha", "gamma", "delta"]
    assert data["rows"][0]["recall"] == 0.75
    assert data["judge_means"]["actionability"] == 2.0


def test_table_shows_each_task_and_the_misses() -> None:
    table = render_table(_report())
    assert "alpha" in table
    assert "gamma" in table
    assert "delta" in table
    assert "3/4" in table
    assert "3.0%" in table
    assert "10.0%" in table
    assert "key-fact recall 71.4%" in table
    # The gate's median is over raw outputs above 2,000 tokens (none here); all tasks' beside it.
    assert "where the raw output exceeds 2000 tokens - (target <= 5%; over all tasks 6.5%)" in table
    assert "alpha: missed 'beta\\\\.c:9'" in table
    assert "gamma: forbidden content 'PASSED'" in table
    assert "delta: error: the generator failed" in table


def test_markdown_links_the_chart_and_lists_misses() -> None:
    text = render_markdown(_report())
    assert "](chart.png)" in text
    assert "| `alpha` |" in text
    assert "- `delta`: could not run: the generator failed" in text
    assert "- `alpha`: missed `beta\\.c:9`" in text


def test_chart_has_a_title_task_names_units_and_bars_in_proportion() -> None:
    figure = report_figure(_report(), ratio_target=0.05, recall_target=0.95)
    top, bottom = figure.axes
    assert "suite demo" in figure.get_suptitle()
    assert [t.get_text() for t in top.get_xticklabels()] == ["alpha", "gamma", "delta"]
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["alpha", "gamma", "delta"]
    assert "(%)" in top.get_ylabel()
    assert "(%)" in bottom.get_ylabel()
    assert top.get_title()
    assert bottom.get_title()
    # Bars in percent: ratios 3% and 10% (delta has none), recalls 75% and 100% (delta errored).
    assert [round(p.get_height(), 6) for p in top.patches] == [3.0, 10.0, 0.0]
    assert [round(p.get_height(), 6) for p in bottom.patches] == [75.0, 100.0, 0.0]
    targets = [line.get_ydata()[0] for line in top.get_lines()]
    assert targets == [5.0]


def test_chart_png_is_an_image() -> None:
    data = render_chart(_report())
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000


def test_write_report_writes_three_files(tmp_path: Path) -> None:
    path = write_report(_report(), tmp_path / "out")
    assert path == tmp_path / "out" / "report.md"
    assert (tmp_path / "out" / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "out" / "report.json").read_text())["suite"] == "demo"
