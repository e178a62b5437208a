"""A comparison of eval runs of one suite: direct mode, a model, a model with grounding, ...

Each run is a ``report.json`` written by ``terminus-mcp eval --report DIR`` (or ``--json``),
given a label. The comparison is a Markdown page (one row per run with its totals, then one
table per task) and a chart (:func:`~terminus_mcp.eval.chart.comparison_figure`), written by
``terminus-mcp eval --compare LABEL=PATH ... --report DIR``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.results import EvalReport


class LabelledRun(BaseModel):
    label: str
    report: EvalReport


def load_run(spec: str) -> LabelledRun:
    """``LABEL=PATH`` (or just ``PATH``, labelled by its folder) read into a run.

    Raises:
        ConfigError: the file is missing or is not an eval report.
    """
    label, sep, path_text = spec.partition("=")
    if not sep:
        label, path_text = "", spec
    path = Path(path_text).expanduser()
    if path.is_dir():
        path = path / "report.json"
    if not label:
        label = path.parent.name or path.stem
    try:
        report = EvalReport.model_validate_json(path.read_text())
    except OSError as exc:
        raise ConfigError(
            f"cannot read the eval report {path}",
            why=str(exc),
            fix="pass LABEL=PATH to a report.json written by `terminus-mcp eval --report DIR`",
        ) from None
    except ValidationError as exc:
        raise ConfigError(
            f"{path} is not an eval report",
            why=exc.errors()[0]["msg"],
            fix="pass the report.json of `terminus-mcp eval --report DIR` (or its --json output)",
        ) from None
    return LabelledRun(label=label, report=report)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


RUN_COLUMNS = (
    "run",
    "backend",
    "done",
    "recall",
    "median ratio",
    "mean turns",
    "commands",
    "prompt tok",
    "completion tok",
    "bad replies",
    "loops",
    "refused",
    "grounding added",
    "grounding flagged",
    "wall s",
)


def run_cells(run: LabelledRun) -> list[str]:
    report = run.report
    rows = [r for r in report.rows if r.error is None]
    turns = statistics.fmean(r.turns for r in rows) if rows else 0.0
    return [
        run.label,
        f"`{report.backend}`",
        f"{report.tasks_done}/{len(report.rows)}",
        _pct(report.overall_recall),
        _pct(report.median_ratio),
        f"{turns:.1f}",
        str(sum(r.commands for r in rows)),
        str(sum(r.prompt_tokens for r in rows)),
        str(sum(r.completion_tokens for r in rows)),
        str(sum(r.malformed_replies for r in rows)),
        str(sum(r.loop_stopped for r in rows)),
        str(sum(r.refused_answers for r in rows)),
        str(sum(r.grounding_added for r in rows)),
        str(sum(r.grounding_flagged for r in rows)),
        f"{sum(r.wall_s for r in rows):.0f}",
    ]


def render_comparison(runs: Sequence[LabelledRun], chart_name: str = "comparison.png") -> str:
    """The comparison as Markdown; the chart is referenced as ``chart_name`` beside it."""
    suites = sorted({run.report.suite for run in runs})
    lines = [
        f"# terminus-mcp eval: {len(runs)} runs of suite {', '.join(f'`{s}`' for s in suites)}",
        "",
        "| " + " | ".join(RUN_COLUMNS) + " |",
        "|" + "|".join(" --- " if i < 2 else " ---: " for i in range(len(RUN_COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(run_cells(run)) + " |" for run in runs]
    lines += [
        "",
        f"![Recall, token ratio, wall time and model tokens per task, per run]({chart_name})",
        "",
        "## Per task",
        "",
        "Recall (facts found / asked), answer / baseline tokens, turns, commands, wall seconds.",
        "",
    ]
    names: list[str] = []
    for run in runs:
        names += [row.name for row in run.report.rows if row.name not in names]
    lines.append("| task | " + " | ".join(run.label for run in runs) + " |")
    lines.append("| --- |" + " --- |" * len(runs))
    for name in names:
        cells = []
        for run in runs:
            row = next((r for r in run.report.rows if r.name == name), None)
            if row is None:
                cells.append("-")
            elif row.error:
                cells.append("error")
            else:
                cells.append(
                    f"{row.facts_found}/{row.facts_total}, {_pct(row.ratio)}, "
                    f"{row.turns} t, {row.commands} c, {row.wall_s:.0f} s, {row.status}"
                )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_comparison(runs: Sequence[LabelledRun], folder: Path, *, title: str = "") -> Path:
    """Write ``comparison.md`` and ``comparison.png`` into ``folder``; returns the Markdown path.

    Raises:
        ConfigError: matplotlib is missing.
    """
    from terminus_mcp.eval.chart import comparison_figure, png

    folder.mkdir(parents=True, exist_ok=True)
    figure = comparison_figure([(run.label, run.report) for run in runs], title=title)
    (folder / "comparison.png").write_bytes(png(figure))
    markdown = folder / "comparison.md"
    markdown.write_text(render_comparison(runs))
    return markdown
