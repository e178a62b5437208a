"""Typed results of an eval run: one row per task, and the report that sums them up.

These models are the machine-readable report (``terminus-mcp eval --json``); the terminal table
and the Markdown report are views of them.
"""

from __future__ import annotations

import statistics

from pydantic import BaseModel, Field, computed_field

from terminus_mcp.eval.scoring import median_ratio, overall_recall

JUDGE_AXES = ("completion", "accuracy", "informativeness", "relevance", "actionability")
"""The judge's five scoring axes, in the rubric's order."""


class JudgeScores(BaseModel):
    """A judge model's 1-5 grades of one answer (see ``terminus_mcp/eval/rubric.md``)."""

    completion: int = Field(ge=1, le=5)
    accuracy: int = Field(ge=1, le=5)
    informativeness: int = Field(ge=1, le=5)
    relevance: int = Field(ge=1, le=5)
    actionability: int = Field(ge=1, le=5)
    rationale: str = ""

    @property
    def mean(self) -> float:
        grades: list[int] = [getattr(self, axis) for axis in JUDGE_AXES]
        return sum(grades) / len(grades)


class TaskRow(BaseModel):
    """What one task measured."""

    name: str
    description: str = ""
    status: str
    """The delegated task's status (``completed``, ``timed_out``, ...), or ``error`` when the
    harness could not run it (see ``error``)."""
    done: bool
    """The subagent finished with a final answer (status ``completed``)."""
    facts_found: int
    facts_total: int
    missed_facts: list[str] = Field(default_factory=list)
    forbidden_hits: list[str] = Field(default_factory=list)
    answer_tokens: int = 0
    baseline_tokens: int = 0
    ratio: float | None = None
    """Answer tokens / baseline tokens."""
    turns: int = 0
    commands: int = 0
    wall_s: float = 0.0
    """Seconds the delegated task took, end to end (the baseline run not included)."""
    subagent_tokens: int = 0
    """Prompt plus completion tokens the subagent model used (0 without a model)."""
    prompt_tokens: int = 0
    """The subagent's prompt tokens, summed over its turns."""
    completion_tokens: int = 0
    """The subagent's generated tokens, summed over its turns."""
    model_s: float = 0.0
    """Seconds spent waiting for the model."""
    malformed_replies: int = 0
    """Model replies that needed a correction (unreadable or invalid calls, neither call nor
    answer)."""
    refused_answers: int = 0
    """Final answers refused because no command had run yet."""
    loop_stopped: bool = False
    """The task was stopped because the model repeated the same command."""
    grounding_added: int = 0
    """Facts from the output that grounding appended to the answer."""
    grounding_flagged: int = 0
    """Claims in the answer that grounding found in no output."""
    facts_found_model: int | None = None
    """Key facts in the model's own answer, before grounding appended to it (``None`` when
    grounding did not run): one run gives the model's recall alone and with grounding."""
    answer: str = ""
    judge: JudgeScores | None = None
    judge_error: str | None = None
    error: str | None = None
    """Why the harness could not run the task (a generator or sandbox failure)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return 1.0 if self.facts_total == 0 else self.facts_found / self.facts_total


class EvalReport(BaseModel):
    """A whole eval run."""

    suite: str
    backend: str
    model_used: bool
    started_at: float
    wall_s: float
    rows: list[TaskRow]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall_recall(self) -> float:
        """Key facts found / key facts asked for, over all tasks."""
        return overall_recall((r.facts_found, r.facts_total) for r in self.rows)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overall_recall_model(self) -> float | None:
        """Recall of the model's own answers, before grounding (``None`` without grounding)."""
        rows = [r for r in self.rows if r.facts_found_model is not None]
        if not rows:
            return None
        return overall_recall((r.facts_found_model or 0, r.facts_total) for r in rows)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def median_ratio(self) -> float | None:
        """Median answer / baseline token ratio over the tasks."""
        return median_ratio(r.ratio for r in self.rows)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tasks_done(self) -> int:
        return sum(r.done for r in self.rows)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def judge_means(self) -> dict[str, float] | None:
        """Mean judge grade per axis over the graded tasks; ``None`` without a judge."""
        graded = [r.judge for r in self.rows if r.judge is not None]
        if not graded:
            return None
        return {axis: statistics.fmean(getattr(g, axis) for g in graded) for axis in JUDGE_AXES}
