"""Typed results of a delegated task: what the main agent (and ``--json``) receives."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from terminus_mcp.agent.grounding import GroundingReport


class TaskStatus(StrEnum):
    COMPLETED = "completed"
    """The model gave a final answer."""
    INCOMPLETE = "incomplete"
    """No final answer (turn cap, loop, malformed replies); the answer was built from what ran."""
    FAILED = "failed"
    """The task could not run (model endpoint down, sandbox broken); the answer says why."""
    TIMED_OUT = "timed_out"
    """The task's overall deadline passed."""
    CANCELLED = "cancelled"
    """The caller cancelled the task; what ran so far is kept."""


class CommandRecord(BaseModel):
    """One command the subagent ran."""

    command: str
    exit_code: int | None
    timed_out: bool = False
    waiting_for_input: bool = False
    duration_s: float
    output_chars: int
    """Characters of the (capped) output as captured."""
    output_tokens: int
    """Tokens of that output in the proxy tokenizer: what a main agent would have read."""
    event: str = "none"
    probe: bool = False
    """The direct mode's look at the workspace, not a step of the task: its output is not in
    ``raw_output_tokens``."""


class Usage(BaseModel):
    """Token accounting (see docs/concepts/tokens.md for the tokenizers used)."""

    subagent_prompt_tokens: int = 0
    subagent_completion_tokens: int = 0
    raw_output_tokens: int = 0
    """Proxy-tokenizer tokens of every command's output, after the 60,000-character truncation
    (the direct mode's workspace probe excluded)."""
    answer_tokens: int = 0
    """Proxy-tokenizer tokens of the answer the main agent receives."""


class LoopStats(BaseModel):
    """How the model behaved on the way to its answer (for evals and diagnosis)."""

    malformed_replies: int = 0
    """Replies that got a correction: unreadable or invalid calls, neither call nor answer."""
    refused_answers: int = 0
    """Final answers refused because no command had run yet."""
    loop_stopped: bool = False
    """The task was stopped because the model repeated itself."""


class Timings(BaseModel):
    started_at: float
    finished_at: float
    total_s: float
    model_s: float = 0.0
    commands_s: float = 0.0


class TaskResult(BaseModel):
    """The outcome of one delegated task."""

    status: TaskStatus
    answer: str
    """The ``<final_answer>`` text (plus notes), or a summary built from what ran."""
    commands: list[CommandRecord] = Field(default_factory=list)
    turns: int = 0
    usage: Usage = Field(default_factory=Usage)
    backend: str = ""
    model_used: bool = True
    session_id: str | None = None
    transcript_id: str = ""
    timings: Timings | None = None
    error: str | None = None
    """For ``failed``: the actionable error message."""
    stats: LoopStats = Field(default_factory=LoopStats)
    grounding: GroundingReport | None = None
    """What grounding added to and flagged in the model's answer; ``None`` when it did not run
    (direct mode, whose answer is the digest, or grounding turned off)."""
