"""Report views: JSON totals, the terminal table, the Markdown report and its PNG chart."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from terminus_mcp.eval.chart import BLUE, GREEN, render_chart
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
    assert "median answer/baseline tokens 6.5%" in table
    assert "alpha: missed 'beta\\\\.c:9'" in table
    assert "gamma: forbidden content 'PASSED'" in table
    assert "delta: error: the generator failed" in table


def test_markdown_links_the_chart_and_lists_misses() -> None:
    text = render_markdown(_report())
    assert "](chart.png)" in text
    assert "| `alpha` |" in text
    assert "- `delta`: could not run: the generator failed" in text
    assert "- `alpha`: missed `beta\\.c:9`" in text


def _decode_png(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, size = 8, b"", (0, 0)
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x02"  # 8-bit RGB
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height = size
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + width * 3)
    pixels = b"".join(
        raw[y * (1 + width * 3) + 1 : (y + 1) * (1 + width * 3)] for y in range(height)
    )
    return width, height, pixels


def _count(pixels: bytes, color: tuple[int, int, int]) -> int:
    target = bytes(color)
    return sum(1 for i in range(0, len(pixels), 3) if pixels[i : i + 3] == target)


def test_chart_is_a_valid_png_with_bars_in_proportion() -> None:
    width, height, pixels = _decode_png(render_chart([0.02, 0.04], [0.9, 0.5]))
    assert width > 100
    assert height > 300
    blue, green = _count(pixels, BLUE), _count(pixels, GREEN)
    # Ratio axis tops at 5% (the target): bars of 2% and 4% are 40% and 80% of 150 px, 22 px
    # wide; recall bars of 90% and 50% (below the red 95% line, which would cover some).
    assert blue == 22 * (60 + 120)
    assert green == 22 * (135 + 75)


def test_write_report_writes_three_files(tmp_path: Path) -> None:
    path = write_report(_report(), tmp_path / "out")
    assert path == tmp_path / "out" / "report.md"
    assert (tmp_path / "out" / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "out" / "report.json").read_text())["suite"] == "demo"
