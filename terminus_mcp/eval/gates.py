"""The targets an eval run must meet in CI, checked on its report.

A run passes when every task ran (no harness ``error`` row), the overall key-fact recall is at
least :data:`RECALL_GATE`, no answer matched a forbidden pattern, and the median answer /
baseline ratio over the tasks whose baseline exceeds :data:`LARGE_BASELINE_TOKENS` is at most
:data:`RATIO_GATE`. Tasks with small outputs are left out of the ratio gate: summarizing 300
tokens into 60 is fine, and they would only blur what the gate is about (long outputs).
"""

from __future__ import annotations

import statistics

from pydantic import BaseModel

from terminus_mcp.eval.results import EvalReport, TaskRow

RECALL_GATE = 0.95
"""Overall key-fact recall a suite must reach."""
RATIO_GATE = 0.05
"""Median answer / baseline tokens a suite must stay under, over its large-output tasks."""
LARGE_BASELINE_TOKENS = 2000
"""A task's baseline is large when it exceeds this many tokens."""


class GateResult(BaseModel):
    """What the gates found on one report."""

    recall: float
    large_tasks: int
    """Tasks whose baseline exceeds :data:`LARGE_BASELINE_TOKENS`."""
    large_median_ratio: float | None
    failures: list[str]
    """One line per missed gate; empty when the run passes."""

    @property
    def passed(self) -> bool:
        return not self.failures


def large_median_ratio(rows: list[TaskRow]) -> float | None:
    """Median ratio over the rows whose baseline exceeds :data:`LARGE_BASELINE_TOKENS`."""
    ratios = [
        r.ratio for r in rows if r.baseline_tokens > LARGE_BASELINE_TOKENS and r.ratio is not None
    ]
    return statistics.median(ratios) if ratios else None


def check_gates(report: EvalReport) -> GateResult:
    """Check ``report`` against the CI targets."""
    failures: list[str] = []
    errors = [r for r in report.rows if r.error is not None and r.status == "error"]
    for row in errors:
        failures.append(f"task {row.name} did not run: {row.error}")
    if report.overall_recall < RECALL_GATE:
        missed = [
            f"{r.name} ({r.facts_found}/{r.facts_total})" for r in report.rows if r.missed_facts
        ]
        failures.append(
            f"overall recall {report.overall_recall:.1%} is below {RECALL_GATE:.0%}; "
            "tasks that missed facts: " + ", ".join(missed)
        )
    for row in report.rows:
        if row.forbidden_hits:
            failures.append(
                f"task {row.name}: the answer matches forbidden "
                + ", ".join(repr(p) for p in row.forbidden_hits)
            )
    median = large_median_ratio(report.rows)
    if median is not None and median > RATIO_GATE:
        failures.append(
            f"median answer/baseline ratio over tasks above {LARGE_BASELINE_TOKENS} baseline "
            f"tokens is {median:.1%}, above {RATIO_GATE:.0%}"
        )
    return GateResult(
        recall=report.overall_recall,
        large_tasks=sum(r.baseline_tokens > LARGE_BASELINE_TOKENS for r in report.rows),
        large_median_ratio=median,
        failures=failures,
    )
