"""The sandbox seam: what a session can do, and the typed results that cross it.

A *session* is one container plus one persistent shell: ``cd``, ``export`` and shell functions
persist between its commands. A failed command is data (:class:`ExecResult`); a broken sandbox
is an exception (:class:`terminus_mcp.errors.SandboxError`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr

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


class VolumeMount(BaseModel):
    """A named volume or host folder mounted into a sandbox container (besides the workspace)."""

    model_config = ConfigDict(frozen=True)

    source: str
    """Volume name (``kind="volume"``, created when missing) or absolute host path (``bind``)."""
    target: str
    """Absolute path inside the container."""
    kind: Literal["volume", "bind"] = "volume"
    read_only: bool = False


class SessionSpec(BaseModel):
    """How to create a session. The workdir must already be validated against allowed roots."""

    model_config = ConfigDict(frozen=True)

    workdir: Path
    network: bool = False
    read_only_workspace: bool = False
    image: str | None = None
    """Image override; ``None`` uses the configured sandbox image."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels for the container (the owner labels are always set)."""
    environment: dict[str, str] = Field(default_factory=dict)
    """Extra container environment, on top of the fixed non-interactive one. It is part of the
    container's configuration (``docker inspect`` shows it; ``docker commit`` keeps it)."""
    shell_environment: dict[str, SecretStr] = Field(default_factory=dict)
    """Variables given to the session's command shell only: never written into the container's
    configuration, so neither ``docker inspect`` nor a committed image holds them."""
    volumes: tuple[VolumeMount, ...] = ()
    """Further mounts (package caches, a CA bundle)."""
    user_dirs: tuple[str, ...] = ()
    """Absolute folders created, owned by the sandbox user, before the container starts (a named
    volume mounted at one of them is made writable for that user too)."""


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
