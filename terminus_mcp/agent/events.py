"""Progress events of a running task, for MCP progress notifications and the CLI's stderr lines.

Re-exported by :mod:`terminus_mcp.service`, which is where callers import them from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from pydantic import BaseModel

logger = logging.getLogger(__name__)


class EventKind(StrEnum):
    TASK_STARTED = "task_started"
    SETUP = "setup"
    """The project's environment is being set up (before the first turn)."""
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


def emit(callback: EventCallback | None, event: TaskEvent) -> None:
    """Deliver ``event``; a failing callback is logged, never allowed to break the task."""
    if callback is None:
        return
    try:
        callback(event)
    except Exception:
        logger.exception("progress callback failed on %s", event.kind)
