"""The sandbox seam: what a session can do, and the typed results that cross it.

A *session* is one container plus one persistent shell: ``cd``, ``export`` and shell functions
persist between its commands. A failed command is data (:class:`ExecResult`); a broken sandbox
is an exception (:class:`terminus_mcp.errors.SandboxError`).

Two protocols make the seam: :class:`Sandboxes` (where sessions come from: one engine) and
:class:`Session` (what a session can do). Implementations: Docker and Podman
(:class:`terminus_mcp.sandbox.manager.SandboxManager`), and an in-memory test double
(:class:`terminus_mcp.sandbox.fake.FakeSandboxes`). Every implementation passes the same
conformance suite (:mod:`terminus_mcp.sandbox.conformance`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Literal, NewType, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from terminus_mcp.sandbox.egress import NetworkMode

SETUP_ENV = "TERMINUS_SETUP"
"""Set in a session whose project environment ran setup: the setup commands, ``; ``-joined, so
what runs inside (the direct mode's probe, a model's ``env``) can tell dependencies are in."""

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


def cut_marker(
    count: int, unit: Literal["bytes", "characters", "lines"] = "characters", *, note: str = ""
) -> str:
    """The one marker for text left out, wherever output is cut and whoever reads it: the
    shell's capture limit (``bytes``), an observation or the context window (the model), a long
    answer (the main agent), a digest's input or a summary's lines. ``note`` says why, or
    where the rest is::

        [... 810 characters cut ...]
        [... 1200 characters cut; read_task_log has the raw output ...]
    """
    return f"[... {count} {unit} cut{'; ' + note if note else ''} ...]"


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


AllowedWorkdir = NewType("AllowedWorkdir", Path)
"""A host folder that passed the workdir checks, once, in
:func:`terminus_mcp.sandbox.workspace.resolve_workdir` (the only place that makes one): an
existing folder, its real path (absolute, symlinks resolved), inside the allowed roots. Engines
mount it as it is."""


class SessionSpec(BaseModel):
    """How to create a session."""

    model_config = ConfigDict(frozen=True)

    workdir: AllowedWorkdir
    """The folder mounted at ``/workspace``, checked by
    :func:`~terminus_mcp.sandbox.workspace.resolve_workdir` (engines do not check it again)."""
    network: NetworkMode | None = None
    """``none``, ``allowlist`` or ``open``; ``None``: the ``network`` setting. ``True`` and
    ``False`` are read as ``open`` and ``none``."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts an ``allowlist`` session may reach on top of the ``allow_hosts`` setting (for
    example :func:`terminus_mcp.sandbox.egress.registry_hosts` for a setup step)."""
    persistent: bool = False
    """Keep the container after this process ends, until the session's idle TTL, so a later
    process can take it over by its id (named sessions)."""
    read_only_workspace: bool | None = None
    """Mount the workspace read-only; ``None`` follows the ``read_only_workspace`` setting."""
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

    @field_validator("network", mode="before")
    @classmethod
    def _network_mode(cls, value: object) -> object:
        if isinstance(value, bool):
            return "open" if value else "none"
        return value


class SessionInfo(BaseModel):
    """A live session as listed by the manager."""

    id: str
    container_id: str
    workdir: Path
    network: NetworkMode
    created_at: float
    last_used_at: float
    commands_run: int
    persistent: bool = False


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

        A timeout, a flood of output, a dead shell or a killed container are reported in the
        result (``timed_out``, ``event``, ``detail``), not raised; cancellation propagates
        after the command's processes were killed.

        Raises:
            SandboxError: the sandbox cannot run commands at all (engine gone, image missing),
                or the session is closed.
        """
        ...

    async def close(self) -> None:
        """Remove the container. Idempotent; safe to call under cancellation."""
        ...


class EngineCapabilities(BaseModel):
    """What an engine's sessions guarantee beyond running commands. The conformance suite checks
    each guarantee an engine claims, and says which checks do not apply when it claims none."""

    model_config = ConfigDict(frozen=True)

    isolation: bool
    """Commands run in a container: a non-root user, no capabilities, no-new-privileges, a
    seccomp filter, no network unless asked, the workspace as the only host folder."""
    resource_limits: bool
    """Memory, pids and CPU limits are enforced by the kernel, and hits are reported
    (:attr:`SessionEvent.OOM_KILLED`, :attr:`SessionEvent.PIDS_EXHAUSTED`)."""


class EngineInfo(BaseModel):
    """The engine behind a :class:`Sandboxes`, as found when it started."""

    model_config = ConfigDict(frozen=True)

    name: str
    """``docker``, ``podman``, or ``fake``."""
    version: str
    runtime: str
    """The OCI runtime containers run under (``runc``, ``crun``, ``runsc``); ``none`` when
    there are no containers."""
    rootless: bool
    """Whether the engine runs without root privileges on the host."""
    capabilities: EngineCapabilities

    def describe(self) -> str:
        """One line for logs and ``doctor``: ``podman 4.3.1, runtime crun, rootful``."""
        mode = "rootless" if self.rootless else "rootful"
        return f"{self.name} {self.version}, runtime {self.runtime}, {mode}"


@runtime_checkable
class Sandboxes(Protocol):
    """Where sessions come from: one engine, and the sessions this process made on it.

    Implementations are async context managers owned by whoever built them; the methods below
    are what users of a started one (the service, the loop's callers) may call.
    """

    @property
    def engine(self) -> EngineInfo:
        """The engine's name, version, runtime, mode and capabilities.

        Raises:
            SandboxError: not started yet (the engine is only known once it answered).
        """
        ...

    async def create(self, spec: SessionSpec, *, session_id: str | None = None) -> Session:
        """Start a new session for ``spec``; ``session_id`` names it (default: a random id).

        Raises:
            DockerUnavailable: the engine does not answer.
            ImageMissing: the image is not present in the engine.
            SandboxError: the id is taken, or the session cannot start.
        """
        ...

    async def get_or_create(self, session_id: str, spec: SessionSpec) -> Session:
        """The live session named ``session_id``, created for ``spec`` when there is none.
        ``spec`` is ignored for a session that exists.

        Raises:
            The same as :meth:`create`, when it creates one.
        """
        ...

    async def close(self, session_id: str) -> None:
        """Close a session and remove everything it had (container, processes). Unknown ids
        are ignored; engine failures are logged, not raised; safe under cancellation."""
        ...

    def sessions(self) -> list[SessionInfo]:
        """The live sessions (closed and expired ones are not listed)."""
        ...
