"""The CI gate rules on hand-made reports: each gate fails alone, and small outputs are left
out of the ratio gate."""

from __future__ import annotations

from terminus_mcp.eval.gates import check_gates
from terminus_mcp.eval.results import EvalReport, TaskRow


def _row(name: str, found: int, total: int, answer: int, baseline: int, **extra: object) -> TaskRow:
    return TaskRow(
        name=name,
        status="completed",
        done=True,
        facts_found=found,
        facts_total=total,
        answer_tokens=answer,
        baseline_tokens=baseline,
        ratio=answer / baseline,
        **extra,
    )


def _report(*rows: TaskRow) -> EvalReport:
    return EvalReport(
        suite="s", backend="direct", model_used=False, started_at=0, wall_s=1, rows=list(rows)
    )


def test_a_good_run_passes_and_small_outputs_do_not_count_for_the_ratio() -> None:
    gates = check_gates(
        _report(
            _row("big-a", 5, 5, 100, 5000),
            _row("big-b", 5, 5, 120, 4000),
            _row("small", 2, 2, 90, 150),  # 60%, but its output is small
        )
    )
    assert gates.passed, gates.failures
    assert gates.large_tasks == 2
    assert gates.large_median_ratio == (100 / 5000 + 120 / 4000) / 2


def test_each_gate_fails_on_its_own() -> None:
    low_recall = check_gates(
        _report(
            _row("a", 18, 20, 100, 5000, missed_facts=["p", "q"]),
            _row("b", 0, 1, 10, 3000, missed_facts=["r"]),
        )
    )
    assert low_recall.failures == [
        "overall recall 85.7% is below 95%; tasks that missed facts: a (18/20), b (0/1)"
    ]
    forbidden = check_gates(_report(_row("a", 1, 1, 10, 5000, forbidden_hits=["x\\d"])))
    assert forbidden.failures == ["task a: the answer matches forbidden 'x\\\\d'"]
    long = check_gates(_report(_row("a", 1, 1, 400, 5000), _row("b", 1, 1, 300, 5000)))
    assert len(long.failures) == 1
    assert "7.0%, above 5%" in long.failures[0]
    errored = TaskRow(
        name="e", status="error", done=False, facts_found=0, facts_total=1, error="no go"
    )
    assert "task e did not run: no go" in check_gates(_report(errored)).failures
