"""What a task tool call returns: a compact text for the model plus a structured result.

Both stay under ``max_result_chars`` together: the answer is compact by design, and when it is
not, its middle is cut (the head says what ran, the tail says how it ended). The raw output of
the commands never travels here; it stays behind ``read_task_log``.
"""

from __future__ import annotations

from typing import Literal

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from terminus_mcp.sandbox.api import cut_marker
from terminus_mcp.server.tasks import TaskPhase, TrackedTask

OutcomeStatus = Literal[
    "queued", "running", "completed", "incomplete", "failed", "timed_out", "cancelled"
]
_COMMAND_CHARS = 160
_MAX_LISTED_COMMANDS = 30


class CommandSummary(BaseModel):
    command: str
    exit_code: int | None
    duration_s: float


class TaskOutcome(BaseModel):
    """The structured result of run_terminal_task, get_task_result and cancel_task."""

    task_id: str
    status: OutcomeStatus
    answer: str
    session_id: str | None = None
    commands: list[CommandSummary] = []
    raw_output_tokens: int = 0
    error: str | None = None


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = "\n" + cut_marker(len(text) - limit, note="read_task_log has the raw output") + "\n"
    keep = max(0, limit - len(marker))
    head = keep // 2
    return text[:head] + marker + text[len(text) - (keep - head) :]


def outcome_of(task: TrackedTask) -> TaskOutcome:
    """The outcome of a task as it stands now (running or finished)."""
    if task.phase is not TaskPhase.DONE or task.result is None:
        status: OutcomeStatus = "queued" if task.phase is TaskPhase.QUEUED else "running"
        finished = sum(1 for e in task.events if e.kind == "command_finished")
        last = f" Last: {task.last_message}" if task.last_message else ""
        answer = (
            f"Still {status} ({finished} command(s) finished).{last} "
            f'Call get_task_result("{task.id}") to wait for the answer.'
        )
        return TaskOutcome(
            task_id=task.id, status=status, answer=answer, session_id=task.request.session_id
        )
    result = task.result
    commands = [
        CommandSummary(
            command=_clip(c.command, _COMMAND_CHARS),
            exit_code=c.exit_code,
            duration_s=round(c.duration_s, 2),
        )
        for c in result.commands[-_MAX_LISTED_COMMANDS:]
    ]
    return TaskOutcome(
        task_id=task.id,
        status=result.status.value,
        answer=result.answer,
        session_id=result.session_id,
        commands=commands,
        raw_output_tokens=result.usage.raw_output_tokens,
        error=result.error,
    )


def _footer(outcome: TaskOutcome) -> str:
    if outcome.status in ("queued", "running"):
        return ""
    parts = [f"task {outcome.task_id}", outcome.status, f"{len(outcome.commands)} command(s)"]
    if outcome.session_id:
        parts.append(f"session {outcome.session_id}")
    return "\n\n[" + " · ".join(parts) + "; raw output: read_task_log]"


def render(outcome: TaskOutcome, *, max_chars: int) -> CallToolResult:
    """The tool result: the answer as text, the outcome as structured content, both capped."""
    footer = _footer(outcome)
    base = outcome.model_copy(update={"answer": ""})
    overhead = len(base.model_dump_json()) + len(footer)
    while overhead > max_chars // 2 and base.commands:
        # Keep the latest commands: they say how the task ended.
        base.commands = base.commands[len(base.commands) // 2 + 1 :]
        overhead = len(base.model_dump_json()) + len(footer)
    # The answer appears twice (text and structured), so each copy gets half of what is left;
    # JSON escaping can add a little, so shrink until the whole fits.
    budget = max(200, (max_chars - overhead) // 2)
    while True:
        answer = _clip(outcome.answer, budget)
        capped = base.model_copy(update={"answer": answer})
        size = len(answer) + len(footer) + len(capped.model_dump_json())
        if size <= max_chars or budget <= 200:
            break
        budget = max(200, budget - (size - max_chars))
    return CallToolResult(
        content=[TextContent(type="text", text=answer + footer)],
        structured_content=capped.model_dump(mode="json"),
        is_error=False,
    )
