"""Views of an eval report: a progress bar while it runs, the terminal table, JSON, and a
Markdown report with its chart.

The progress bar and the table are for people and go to stderr; ``--json`` is for machines and
goes to stdout; the Markdown report (``--report DIR``) is for sharing: ``report.md``,
``chart.png`` and ``report.json`` side by side.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from terminus_mcp.eval.chart import render_chart
from terminus_mcp.eval.gates import LARGE_BASELINE_TOKENS, large_median_ratio
from terminus_mcp.eval.results import EvalReport, TaskRow
from terminus_mcp.eval.suite import TaskSpec

if TYPE_CHECKING:
    from rich.progress import TaskID

RATIO_TARGET = 0.05
"""The median answer / baseline token ratio the built-in suite must stay under (direct mode)."""
RECALL_TARGET = 0.95
"""The overall key-fact recall the built-in suite must reach (direct mode)."""

COLUMNS = (
    ("#", ">"),
    ("task", "<"),
    ("status", "<"),
    ("recall", ">"),
    ("answer tok", ">"),
    ("baseline tok", ">"),
    ("ratio", ">"),
    ("turns", ">"),
    ("cmds", ">"),
    ("wall s", ">"),
    ("subagent tok", ">"),
    ("bad replies", ">"),
    ("refused", ">"),
    ("grounding +/!", ">"),
)


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


class ProgressBar:
    """A live progress bar (rich) while a suite runs, and one line per finished task.

    On a terminal the bar redraws in place; elsewhere (CI logs, pipes) only the per-task lines
    are written.
    """

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        self.live = self.console.is_terminal
        self._progress = Progress(
            TextColumn("[bold]eval[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=True,
            disable=not self.live,
        )
        self._bar: TaskID | None = None

    def task_started(self, index: int, total: int, task: TaskSpec) -> None:
        if self._bar is None:
            self._progress.start()
            self._bar = self._progress.add_task("", total=total)
        self._progress.update(self._bar, completed=index, description=f"running {task.name}")

    def task_finished(self, index: int, total: int, row: TaskRow) -> None:
        self._progress.console.print(
            f"[{index + 1}/{total}] {row.name}: {row.status}, recall {percent(row.recall, 0)}, "
            f"ratio {percent(row.ratio)}, {row.wall_s:.1f} s",
            markup=False,
        )
        if self._bar is not None:
            self._progress.update(self._bar, completed=index + 1)
        if index + 1 >= total:
            self.close()

    def close(self) -> None:
        """Take the bar off the screen (also when the run stops early). Idempotent."""
        self._progress.stop()


def table_rows(report: EvalReport) -> list[list[str]]:
    rows = []
    for number, row in enumerate(report.rows, 1):
        rows.append(
            [
                str(number),
                row.name,
                row.status + ("" if not row.forbidden_hits else " (forbidden)"),
                f"{row.facts_found}/{row.facts_total}",
                str(row.answer_tokens),
                str(row.baseline_tokens),
                percent(row.ratio),
                str(row.turns),
                str(row.commands),
                f"{row.wall_s:.1f}",
                str(row.subagent_tokens),
                str(row.malformed_replies) + (" loop" if row.loop_stopped else ""),
                str(row.refused_answers),
                f"{row.grounding_added}/{row.grounding_flagged}",
            ]
        )
    return rows


def _own_recall(report: EvalReport) -> str:
    own = report.overall_recall_model
    return "" if own is None else f"; the model's own answers, before grounding: {percent(own)}"


def summary_lines(report: EvalReport) -> list[str]:
    lines = [
        f"suite {report.suite}, backend {report.backend}"
        + ("" if report.model_used else " (no model)")
        + f": {report.tasks_done}/{len(report.rows)} tasks done, "
        f"key-fact recall {percent(report.overall_recall)} "
        f"(target >= {percent(RECALL_TARGET, 0)}{_own_recall(report)}), "
        f"median answer/baseline tokens where the raw output exceeds {LARGE_BASELINE_TOKENS} "
        f"tokens {percent(large_median_ratio(report.rows))} "
        f"(target <= {percent(RATIO_TARGET, 0)}; over all tasks {percent(report.median_ratio)}), "
        f"{report.wall_s:.0f} s",
    ]
    if report.judge_means is not None:
        means = ", ".join(f"{axis} {value:.2f}" for axis, value in report.judge_means.items())
        lines.append(f"judge (1-5): {means}")
    return lines


def render_table(report: EvalReport) -> str:
    """The per-task table and the totals, as plain text for a terminal."""
    header = [name for name, _ in COLUMNS]
    body = table_rows(report)
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            f"{cell:{align}{width}}"
            for cell, (_, align), width in zip(cells, COLUMNS, widths, strict=True)
        ).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(cells) for cells in body]
    misses = [
        f"  {row.name}: missed {', '.join(map(repr, row.missed_facts))}"
        for row in report.rows
        if row.missed_facts and not row.error
    ]
    misses += [f"  {row.name}: error: {row.error}" for row in report.rows if row.error]
    misses += [
        f"  {row.name}: forbidden content {', '.join(map(repr, row.forbidden_hits))}"
        for row in report.rows
        if row.forbidden_hits
    ]
    return "\n".join([*out, "", *summary_lines(report), *misses]) + "\n"


def render_json(report: EvalReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def render_markdown(report: EvalReport, chart_name: str = "chart.png") -> str:
    """The Markdown report; the chart is referenced as ``chart_name`` beside it."""
    when = datetime.datetime.fromtimestamp(report.started_at, datetime.UTC)
    judged = report.judge_means is not None
    lines = [
        f"# terminus-mcp eval: suite `{report.suite}`",
        "",
        f"Backend `{report.backend}`"
        + ("" if report.model_used else " (no model: direct mode)")
        + f", run {when:%Y-%m-%d %H:%M} UTC, {report.wall_s:.0f} s.",
        "",
        f"- Tasks done: **{report.tasks_done}/{len(report.rows)}**",
        f"- Key-fact recall: **{percent(report.overall_recall)}** "
        f"(target at least {percent(RECALL_TARGET, 0)}{_own_recall(report)})",
        f"- Median answer / baseline tokens: **{percent(report.median_ratio)}** "
        f"(target at most {percent(RATIO_TARGET, 0)})",
    ]
    if report.judge_means is not None:
        means = ", ".join(f"{axis} {value:.2f}" for axis, value in report.judge_means.items())
        lines.append(f"- Judge means (1-5): {means}")
    lines += [
        "",
        f"![Token ratio (top, blue) and key-fact recall (bottom, green) per task]({chart_name})",
        "",
        "Top: answer / baseline tokens per task; bottom: key-fact recall; red: the targets. "
        "Bars are numbered as the rows below. Baseline tokens: the output of the task's "
        "baseline commands as a main agent running them would read it (docs/eval.md).",
        "",
    ]
    header = [name for name, _ in COLUMNS] + (["judge"] if judged else [])
    lines.append("| " + " | ".join(header) + " |")
    lines.append(
        "|"
        + "|".join(" ---: " if a == ">" else " --- " for _, a in COLUMNS)
        + ("| ---: |" if judged else "|")
    )
    for cells, row in zip(table_rows(report), report.rows, strict=True):
        cells[1] = f"`{cells[1]}`"
        if judged:
            cells.append(
                f"{row.judge.mean:.1f}" if row.judge else (row.judge_error and "error") or "-"
            )
        lines.append("| " + " | ".join(cells) + " |")
    notes = [row for row in report.rows if row.missed_facts or row.error or row.forbidden_hits]
    if notes:
        lines += ["", "## Misses", ""]
        for row in notes:
            if row.error:
                lines.append(f"- `{row.name}`: could not run: {row.error}")
            elif row.missed_facts:
                facts = ", ".join(f"`{fact}`" for fact in row.missed_facts)
                lines.append(f"- `{row.name}`: missed {facts}")
            if row.forbidden_hits:
                hits = ", ".join(f"`{hit}`" for hit in row.forbidden_hits)
                lines.append(f"- `{row.name}`: forbidden content {hits}")
    return "\n".join(lines) + "\n"


def write_report(report: EvalReport, folder: Path) -> Path:
    """Write ``report.md``, ``chart.png`` and ``report.json`` into ``folder``; returns the
    Markdown file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    chart = render_chart(report, ratio_target=RATIO_TARGET, recall_target=RECALL_TARGET)
    (folder / "chart.png").write_bytes(chart)
    (folder / "report.json").write_text(render_json(report))
    markdown = folder / "report.md"
    markdown.write_text(render_markdown(report))
    return markdown
