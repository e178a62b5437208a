"""Charts of eval reports, drawn with matplotlib (the ``eval`` extra).

- :func:`report_figure`: one run; per task, the answer / baseline token ratio (top) and the
  key-fact recall (bottom), each with its target as a dashed red line.
- :func:`comparison_figure`: several runs of the same suite side by side (direct mode, a model,
  a model with grounding, ...); per task, grouped bars of recall, token ratio, wall time and
  subagent tokens, one colour per run.

Every chart has a title, the task names on the x axis and its units on the y axes. Figures are
drawn off screen (the Agg canvas) and returned as PNG bytes by :func:`png`; matplotlib is
imported only when a chart is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.results import EvalReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

RATIO_COLOR = "#3465a4"
RECALL_COLOR = "#4e9a06"
TARGET_COLOR = "#cc0000"


def _figure_class() -> type[Figure]:
    try:
        from matplotlib.figure import Figure as FigureClass
    except ImportError as exc:
        raise ConfigError(
            "drawing eval charts needs matplotlib, which is not installed",
            why=str(exc),
            fix="pip install 'terminus-mcp[eval]' (or pip install matplotlib)",
        ) from exc
    return FigureClass


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _task_axis(axes: Axes, names: Sequence[str]) -> None:
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels(names, rotation=40, ha="right", fontsize=8)
    axes.set_xlabel("task")


def _percent(values: Sequence[float | None]) -> list[float]:
    return [0.0 if v is None else v * 100 for v in values]


def report_figure(
    report: EvalReport, *, ratio_target: float = 0.05, recall_target: float = 0.95
) -> Figure:
    """Per-task token ratio (top) and recall (bottom) of one run, with the targets."""
    names = [row.name for row in report.rows]
    width = max(6.0, 0.45 * len(names) + 2.5)
    figure = _figure_class()(figsize=(width, 7.5))
    top, bottom = figure.subplots(2, 1)
    figure.suptitle(
        f"terminus-mcp eval: suite {report.suite}, backend {report.backend}"
        + ("" if report.model_used else " (direct mode)")
    )
    positions = range(len(names))
    top.bar(positions, _percent([row.ratio for row in report.rows]), color=RATIO_COLOR)
    top.axhline(ratio_target * 100, color=TARGET_COLOR, linestyle="--", label="target")
    top.set_title("Answer / baseline tokens per task (lower is better)", fontsize=10)
    top.set_ylabel("answer / baseline tokens (%)")
    top.legend(loc="upper right", fontsize=8)
    _task_axis(top, names)
    recalls = [None if row.error else row.recall for row in report.rows]
    bottom.bar(positions, _percent(recalls), color=RECALL_COLOR)
    bottom.axhline(recall_target * 100, color=TARGET_COLOR, linestyle="--", label="target")
    bottom.set_ylim(0, 105)
    bottom.set_title("Key-fact recall per task (higher is better)", fontsize=10)
    bottom.set_ylabel("key facts found (%)")
    bottom.legend(loc="lower right", fontsize=8)
    _task_axis(bottom, names)
    figure.tight_layout()
    return figure


def render_chart(
    report: EvalReport, *, ratio_target: float = 0.05, recall_target: float = 0.95
) -> bytes:
    """:func:`report_figure` as PNG bytes."""
    return png(report_figure(report, ratio_target=ratio_target, recall_target=recall_target))


COMPARISON_PANELS: tuple[tuple[str, str, str], ...] = (
    ("recall", "Key-fact recall per task", "key facts found (%)"),
    ("ratio", "Answer / baseline tokens per task", "answer / baseline tokens (%)"),
    ("wall_s", "Wall time of the delegated task", "seconds"),
    ("subagent_tokens", "Subagent model tokens (prompt + completion)", "tokens"),
)
"""Per-task panels of a comparison: (row field, title, y label)."""


def comparison_figure(runs: Sequence[tuple[str, EvalReport]], *, title: str = "") -> Figure:
    """Grouped bars per task, one colour per labelled run. Tasks are those of the first run
    (in its order), then any the others add; a task a run lacks has no bar there."""
    names: list[str] = []
    for _, report in runs:
        names += [row.name for row in report.rows if row.name not in names]
    width = max(7.0, 0.6 * len(names) * max(1, len(runs)) / 2 + 3.0)
    figure = _figure_class()(figsize=(width, 3.2 * len(COMPARISON_PANELS) + 1))
    axes_list = figure.subplots(len(COMPARISON_PANELS), 1)
    figure.suptitle(title or "terminus-mcp eval: runs compared")
    bar = 0.8 / max(1, len(runs))
    for axes, (field, panel_title, unit) in zip(axes_list, COMPARISON_PANELS, strict=True):
        for index, (label, report) in enumerate(runs):
            rows = {row.name: row for row in report.rows}
            values: list[float] = []
            for name in names:
                row = rows.get(name)
                value = getattr(row, field) if row is not None and not row.error else None
                scale = 100.0 if field in ("recall", "ratio") else 1.0
                values.append(0.0 if value is None else float(value) * scale)
            offsets = [i - 0.4 + bar * (index + 0.5) for i in range(len(names))]
            axes.bar(offsets, values, width=bar, label=label)
        axes.set_title(panel_title, fontsize=10)
        axes.set_ylabel(unit)
        if field == "recall":
            axes.set_ylim(0, 105)
        _task_axis(axes, names)
        axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    return figure
