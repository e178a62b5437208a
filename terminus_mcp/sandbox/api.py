"""The sandbox seam: what a session can do, and the typed results that cross it.

A *session* is one container plus one persistent shell: ``cd``, ``export`` and shell functions
persist between its commands. A failed command is data (:class:`ExecResult`); a broken sandbox
is an exception (:class:`terminus_mcp.errors.SandboxError`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

OutputCallback = Callable[[bytes], None]
"""Called (from any thread) with each raw chunk of a command's output as it arrives."""


class SessionEvent(StrEnum):
    """Something that happened to the session (not the command) while a command ran."""

    NONE = "none"
    OOM_KILLED = "oom_killed"
    """The kernel's OOM killer ended a process: the memory limit was hit."""
    PIDS_EXHAUSTED = "pids_exhausted"
    """The pids limit was hit (a fork bomb or a runaway build)."""
    SHELL_EXITED = "shell_exited"
    """The persistent shell ended (``exit``, a fatal signal); the next command gets a fresh one."""
    CONTAINER_GONE = "container_gone"
    """The container was killed or removed from outside; the next command gets a fresh one."""
    OUTPUT_FLOOD = "output_flood"
    """The command printed past the kill threshold and was killed."""


class ExecResult(BaseModel):
    """What one command did. Produced by :meth:`Session.run`; never raised."""

    model_config = ConfigDict(frozen=True)

    command: str
    exit_code: int | None
    """The command's exit status; ``None`` when it was killed (timeout, flood) or the shell died."""
    output: str
    """Combined stdout and stderr, decoded as UTF-8 with invalid bytes replaced. When the output
    was larger than the capture limit, this holds the head and the tail with a marker between."""
    duration_s: float
    timed_out: bool = False
    output_bytes: int = 0
    """Bytes the command wrote in total, including dropped ones."""
    dropped_bytes: int = 0
    """Bytes dropped from the middle of the output by the capture limit."""
    event: SessionEvent = SessionEvent.NONE
    waiting_for_input: bool = False
    """The command seemed to wait for input (a prompt at the end of its output), and got EOF."""
    cwd: str | None = None
    """The shell's working directory after the command, when known."""
    detail: str = ""
    """One sentence on what happened to the session when ``event`` is not ``none`` (for
    example that the shell was restarted and exported variables were lost)."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class SessionSpec(BaseModel):
    """How to create a session. The workdir must already be validated against allowed roots."""

    model_config = ConfigDict(frozen=True)

    workdir: Path
    network: bool | None = None
    """A network for this session; ``None`` follows the ``network`` setting."""
    read_only_workspace: bool | None = None
    """Mount the workspace read-only; ``None`` follows the ``read_only_workspace`` setting."""
    image: str | None = None
    """Image override; ``None`` uses the configured sandbox image."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels for the container (the owner labels are always set)."""


class SessionInfo(BaseModel):
    """A live session as listed by the manager."""

    id: str
    container_id: str
    workdir: Path
    network: bool
    created_at: float
    last_used_at: float
    commands_run: int


@runtime_checkable
class Session(Protocol):
    """One container and its persistent shell."""

    @property
    def id(self) -> str: ...

    async def run(
        self,
        command: str,
        *,
        timeout_s: float,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Run ``command`` in the session's shell and wait for it (or its timeout).

        The command's stdin is closed, it runs in its own process group, and on timeout or
        cancellation every process it started is killed; the output so far is kept.

        Raises:
            SandboxError: the sandbox cannot run commands at all (engine gone, image missing).
        """
        ...

    async def close(self) -> None:
        """Remove the container. Idempotent; safe to call under cancellation."""
        ...
