"""What a finished task leaves behind: its raw outputs in memory and its transcript on disk.

One id names a task everywhere: the id a client polls (``get_task_result``), the id of its log
(``read_task_log``) and the name of its JSONL transcript are the same (:func:`new_task_id`).
One retention policy bounds what is kept in memory, the same as for results: a log goes once
it is ``result_ttl_s`` old, when more than ``max_kept_results`` are kept, or when all logs
together pass :data:`MAX_KEPT_LOG_CHARS` (the oldest first). Transcripts on disk keep
everything, readable by the owner only.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import anyio
from pydantic import BaseModel, Field

from terminus_mcp.agent.recorder import TaskRecorder
from terminus_mcp.errors import TaskNotFound
from terminus_mcp.settings import Settings

logger = logging.getLogger(__name__)

MAX_KEPT_LOG_CHARS = 64 * 1024 * 1024
"""Raw output kept in memory for ``task_log`` over all tasks; the oldest logs go first. The
JSONL transcripts on disk keep everything."""


def new_task_id() -> str:
    """A fresh task id (also its log's and its transcript's)."""
    return "t-" + secrets.token_hex(6)


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

    @property
    def chars(self) -> int:
        return sum(len(c.output) for c in self.commands)


class TaskStore:
    """The logs of recent tasks in memory (bounded) and their transcripts on disk."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._logs: OrderedDict[str, tuple[float, TaskLog, int]] = OrderedDict()
        """Kept logs, oldest first: when kept, the log, its output's size in characters."""
        self._chars = 0

    async def keep(self, recorder: TaskRecorder) -> None:
        """Keep the task's raw outputs in memory and write its JSONL transcript."""
        log = TaskLog(
            transcript_id=recorder.transcript_id,
            query=recorder.query,
            commands=[
                CommandLog(
                    index=i, command=r.command, exit_code=r.result.exit_code, output=r.result.output
                )
                for i, r in enumerate(recorder.runs)
            ],
        )
        chars = log.chars
        replaced = self._logs.pop(log.transcript_id, None)
        if replaced is not None:
            self._chars -= replaced[2]
        self._logs[log.transcript_id] = (self._clock(), log, chars)
        self._chars += chars
        self._expire()
        path = self.transcript_path(recorder.transcript_id)
        lines = recorder.transcript_lines()
        try:
            await anyio.to_thread.run_sync(_write_private, path, "\n".join(lines) + "\n")
        except OSError as exc:
            logger.warning("cannot write the transcript %s: %s", path, exc)

    def get(self, task_id: str) -> TaskLog:
        """The raw outputs of a recent task.

        Raises:
            TaskNotFound: no task with that id is kept in memory.
        """
        self._expire()
        kept = self._logs.get(task_id)
        if kept is None:
            path = self.transcript_path(task_id)
            raise TaskNotFound(
                f"no task log with id {task_id}",
                why="it never existed or was dropped from memory to bound its size",
                fix=f"read the transcript file {path} if it exists",
            )
        return kept[1]

    def transcript_path(self, task_id: str) -> Path:
        return self._settings.state_dir / "transcripts" / f"{task_id}.jsonl"

    def _expire(self) -> None:
        now = self._clock()
        settings = self._settings
        while self._logs:
            kept_at, _, chars = next(iter(self._logs.values()))
            if (
                now - kept_at <= settings.result_ttl_s
                and len(self._logs) <= settings.max_kept_results
                and self._chars <= MAX_KEPT_LOG_CHARS
            ):
                break
            self._logs.popitem(last=False)
            self._chars -= chars


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only: outputs may hold secrets."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
