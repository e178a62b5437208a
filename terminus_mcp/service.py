"""The main job as a Python API: run one delegated task end to end.

:class:`TerminusService` owns the model backend (loaded once), the sandbox session manager and
the transcripts. ``terminus-mcp run`` and the MCP server's ``run_terminal_task`` both call
:meth:`TerminusService.run_task`: there is one code path for the main job.

CONTRACT (shared by the CLI, the MCP server and the loop; keep signatures stable):

    async with TerminusService(settings) as service:
        result: TaskResult = await service.run_task(
            TaskRequest(query=..., workdir=..., session_id=None),
            on_event=callback,          # optional, sync, called on the event loop
        )
        log: TaskLog = service.task_log(result.transcript_id)
        await service.close_session(session_id)

Cancelling the awaiting scope cancels the task: the running command's processes are killed,
the sandbox (unless it is a named, reused session) is removed, and ``run_task`` still returns
the partial result with status ``cancelled`` when called through
:meth:`TerminusService.run_task` under ``anyio.CancelScope`` semantics documented there.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field


class EventKind(StrEnum):
    TASK_STARTED = "task_started"
    MODEL_TURN = "model_turn"
    COMMAND_STARTED = "command_started"
    COMMAND_FINISHED = "command_finished"
    TASK_FINISHED = "task_finished"


class TaskEvent(BaseModel):
    """A progress event of a running task (for MCP progress notifications and the CLI)."""

    kind: EventKind
    turn: int = 0
    max_turns: int = 0
    command_index: int | None = None
    command: str | None = None
    exit_code: int | None = None
    message: str = ""
    """A short human-readable line, for example ``"[2/10] pytest -q -> exit 1 (3.2 s)"``."""


EventCallback = Callable[[TaskEvent], None]


class TaskRequest(BaseModel):
    """One delegated task."""

    query: str = Field(min_length=1)
    """What to execute and what to look for in the output; may name exact commands."""
    description: str = ""
    """Short user-visible label."""
    workdir: Path
    """Host folder mounted at /workspace; validated against the allowed roots."""
    session_id: str | None = None
    """Reuse (or create with this id) a persistent sandbox session; None: a fresh sandbox removed afterwards."""
    network: bool | None = None
    """Override the network setting for a new sandbox."""


class CommandLog(BaseModel):
    """The raw (capped) output of one command, for ``read_task_log``."""

    index: int
    command: str
    exit_code: int | None
    output: str


class TaskLog(BaseModel):
    """Everything a task ran, with raw outputs."""

    transcript_id: str
    query: str
    commands: list[CommandLog] = Field(default_factory=list)
