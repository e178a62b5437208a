"""An in-memory sandbox engine: the test double of the sandbox seam.

Public API, for users' own tests as much as ours: run the loop, the service or the MCP server
without a container engine, in milliseconds. Nothing runs on the host. Commands are
*interpreted* by a tiny shell that knows a handful of builtins; anything else is answered from a
script, or with bash's ``command not found``::

    sandboxes = FakeSandboxes({"pytest -q": FakeReply(output="1 failed\\n", exit_code=1)})
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        ...

Results follow the same contract as a container session (the conformance suite,
:mod:`terminus_mcp.sandbox.conformance`, checks both): combined output capped to a head and a
tail, a flood killed past a threshold, a timeout that keeps the output so far and kills what the
command started, cancellation that kills and re-raises, ``cd`` and ``export`` that persist, and
``exit`` that ends the shell (the next command gets a fresh one in the same folder).

The tiny shell (:mod:`terminus_mcp.sandbox.fake_shell`) knows lists, subshells, quotes,
``$VAR``, ``>&2`` and ``/dev/null`` redirections, and the builtins ``echo``, ``printf``, ``cd``,
``export``, ``mkdir``, ``sleep``, ``yes``, ``seq``, ``exit`` and a few more.

There is no file system beyond a set of folder names (``/``, ``/tmp``, ``/workspace`` and what
``mkdir`` makes): the host workdir is never read or written. A background job is only
simulated for ``sleep`` (it stays in :meth:`FakeSession.processes` until it ends or is killed);
other commands run to completion in the foreground. Pipes, command substitution, globbing and
file redirections are refused with exit status 2 and a message that says so.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

import anyio
import anyio.lowlevel
from pydantic import BaseModel, ConfigDict

from terminus_mcp import __version__
from terminus_mcp.errors import SandboxError, SessionNotFound
from terminus_mcp.sandbox import shell as wire
from terminus_mcp.sandbox.api import (
    EngineCapabilities,
    EngineInfo,
    ExecResult,
    OutputCallback,
    SessionEvent,
    SessionInfo,
    SessionSpec,
)
from terminus_mcp.sandbox.egress import NetworkMode
from terminus_mcp.sandbox.fake_shell import (
    Flood,
    Interpreter,
    OutputSink,
    Scripted,
    ShellExit,
    fresh_state,
)
from terminus_mcp.sandbox.hardening import WORKSPACE
from terminus_mcp.settings import Settings

__all__ = ["FakeReply", "FakeSandboxes", "FakeSession", "Responder"]

FAKE_CAPABILITIES = EngineCapabilities(isolation=False, resource_limits=False)
"""The fake isolates nothing and limits nothing: it never runs anything on the host."""


class FakeReply(BaseModel):
    """What a scripted command prints and returns."""

    model_config = ConfigDict(frozen=True)

    output: str | bytes = ""
    exit_code: int = 0
    delay_s: float = 0.0
    """Seconds the command takes (it counts as a running process meanwhile, and a timeout or a
    cancellation during it kills it)."""


Responder = Callable[[str], "FakeReply | str | None"]
"""Answers a command the script does not hold (``None``: not handled)."""


@dataclass
class _Process:
    argv: str
    ends_at: float


# --- the session ----------------------------------------------------------------------------


class FakeSession:
    """One fake session: a tiny persistent shell in memory (see the module doc)."""

    def __init__(
        self,
        session_id: str,
        *,
        spec: SessionSpec,
        script: Mapping[str, FakeReply | str],
        responder: Responder | None,
        capture_bytes: int,
        kill_bytes: int,
    ) -> None:
        self._id = session_id
        self._spec = spec
        self._script = dict(script)
        self._responder = responder
        self._capture_bytes = capture_bytes
        self._kill_bytes = kill_bytes
        self._lock = anyio.Lock()
        self._state = fresh_state(WORKSPACE)
        self.dirs = {"/", "/tmp", WORKSPACE}
        """Folders that exist in the session (``cd`` checks, ``mkdir`` adds)."""
        self._processes: list[_Process] = []
        self._closed = False
        self.created_at = time.time()
        self.last_used_at = self.created_at
        self.history: list[str] = []
        """Every command run, in order (for assertions)."""

    @property
    def id(self) -> str:
        return self._id

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def processes(self) -> list[str]:
        """Command lines of the processes commands left running (background ``sleep``)."""
        now = time.monotonic()
        self._processes = [p for p in self._processes if p.ends_at > now]
        return [p.argv for p in self._processes]

    def info(self) -> SessionInfo:
        return SessionInfo(
            id=self._id,
            container_id="",
            workdir=self._spec.workdir,
            network=self._spec.network,
            created_at=self.created_at,
            last_used_at=self.last_used_at,
            commands_run=len(self.history),
        )

    async def run(
        self,
        command: str,
        *,
        timeout_s: float,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Interpret ``command``; see :class:`terminus_mcp.sandbox.api.Session`.

        Raises:
            SandboxError: the session is closed.
        """
        if self._closed:
            raise SandboxError(f"sandbox session {self._id} is closed", fix="start a new session")
        async with self._lock:
            self.last_used_at = time.time()
            self.history.append(command)
            started = time.monotonic()
            sink = OutputSink(wire.CappedOutput(self._capture_bytes), on_output, self._kill_bytes)
            exit_code: int | None = None
            event = SessionEvent.NONE
            detail = ""
            try:
                with anyio.move_on_after(timeout_s) as timer:
                    exit_code = await Interpreter(self, sink).run(command, self._state)
            except Flood:
                self._kill_all()
                event = SessionEvent.OUTPUT_FLOOD
                detail = f"the command printed more than {self._kill_bytes} bytes and was killed"
            except ShellExit as exited:
                exit_code = exited.code
                self._kill_all()
                self._state = fresh_state(self._state.cwd)
                event = SessionEvent.SHELL_EXITED
                detail = (
                    f"the shell exited; the next command starts a fresh shell in "
                    f"{self._state.cwd} (exported variables and functions are lost)"
                )
            except anyio.get_cancelled_exc_class():
                self._kill_all()
                raise
            timed_out = timer.cancelled_caught
            if timed_out:
                exit_code = None
                self._kill_all()
            elif exit_code is not None:
                self._state.status = exit_code
            self.last_used_at = time.time()
            return ExecResult(
                command=command,
                exit_code=exit_code,
                output=sink.output.text(),
                duration_s=round(time.monotonic() - started, 6),
                timed_out=timed_out,
                output_bytes=sink.output.total,
                dropped_bytes=sink.output.dropped,
                event=event,
                waiting_for_input=wire.looks_like_prompt(sink.output.last(256)),
                cwd=self._state.cwd,
                detail=detail,
            )

    async def close(self) -> None:
        """End the session and every process it left. Idempotent."""
        self._closed = True
        self._kill_all()

    # --- the interpreter's host ------------------------------------------------------------

    def lookup(self, text: str) -> Scripted | None:
        """The script's reply to ``text``, else the responder's."""
        reply: FakeReply | str | None = self._script.get(text)
        if reply is None and self._responder is not None:
            reply = self._responder(text)
        if reply is None:
            return None
        if isinstance(reply, str):
            reply = FakeReply(output=reply)
        output = reply.output.encode() if isinstance(reply.output, str) else reply.output
        return Scripted(output=output, exit_code=reply.exit_code, delay_s=reply.delay_s)

    async def sleep(self, argv: str, seconds: float) -> None:
        """Wait as a running process named ``argv`` (killed by a timeout or a cancellation)."""
        process = _Process(argv, time.monotonic() + seconds)
        self._processes.append(process)
        try:
            await anyio.sleep(seconds)
        finally:
            if process in self._processes:
                self._processes.remove(process)

    def start_background(self, argv: str, seconds: float) -> None:
        self._processes.append(_Process(argv, time.monotonic() + seconds))

    def _kill_all(self) -> None:
        self._processes.clear()


# --- the engine -----------------------------------------------------------------------------


class FakeSandboxes:
    """Sessions of the fake engine: the in-memory implementation of
    :class:`terminus_mcp.sandbox.api.Sandboxes`.

    ``script`` maps a command (the whole command text, or one simple command's words joined by
    spaces) to its reply; ``responder`` answers commands the script does not hold. Every
    session shares them. Like a real engine it mounts the spec's workdir as it is (checked
    before, by :func:`terminus_mcp.sandbox.workspace.resolve_workdir`). The output limits and
    ``network`` (of a spec that sets none) mean what the settings of the same names mean.
    """

    def __init__(
        self,
        script: Mapping[str, FakeReply | str] | None = None,
        *,
        responder: Responder | None = None,
        output_capture_bytes: int = 4 * 1024 * 1024,
        output_kill_bytes: int = 512 * 1024 * 1024,
        network: NetworkMode = "none",
    ) -> None:
        self._script = dict(script or {})
        self._network: NetworkMode = network
        self._responder = responder
        self._capture_bytes = output_capture_bytes
        self._kill_bytes = output_kill_bytes
        self._sessions: dict[str, FakeSession] = {}
        self.created: list[FakeSession] = []
        """Every session ever created, closed ones included (for assertions)."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        script: Mapping[str, FakeReply | str] | None = None,
        *,
        responder: Responder | None = None,
    ) -> FakeSandboxes:
        """A fake with the output limits and network of ``settings``."""
        return cls(
            script,
            responder=responder,
            output_capture_bytes=settings.output_capture_bytes,
            output_kill_bytes=settings.output_kill_bytes,
            network=settings.network,
        )

    @property
    def engine(self) -> EngineInfo:
        return EngineInfo(
            name="fake",
            version=__version__,
            runtime="none",
            rootless=True,
            capabilities=FAKE_CAPABILITIES,
        )

    async def __aenter__(self) -> FakeSandboxes:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close_all()

    async def create(self, spec: SessionSpec, *, session_id: str | None = None) -> FakeSession:
        """A new fake session; see :meth:`terminus_mcp.sandbox.api.Sandboxes.create`.

        Raises:
            SandboxError: the id is taken.
        """
        if spec.network is None:  # like a real engine: the setting decides
            spec = spec.model_copy(update={"network": self._network})
        session_id = session_id or secrets.token_hex(6)
        if session_id in self._sessions:
            raise SandboxError(
                f"a sandbox session with id {session_id} already exists",
                fix="reuse it with get(), or close it first",
            )
        session = FakeSession(
            session_id,
            spec=spec,
            script=self._script,
            responder=self._responder,
            capture_bytes=self._capture_bytes,
            kill_bytes=self._kill_bytes,
        )
        self._sessions[session_id] = session
        self.created.append(session)
        await anyio.lowlevel.checkpoint()
        return session

    def get(self, session_id: str) -> FakeSession:
        """The live session with this id.

        Raises:
            SessionNotFound: no such session (never created, or closed).
        """
        session = self._sessions.get(session_id)
        if session is None or session.closed:
            raise SessionNotFound(
                f"no sandbox session with id {session_id}",
                why="it was never created, or was closed",
                fix="start a new session",
            )
        return session

    async def get_or_create(self, session_id: str, spec: SessionSpec) -> FakeSession:
        try:
            return self.get(session_id)
        except SessionNotFound:
            return await self.create(spec, session_id=session_id)

    async def close(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await session.close()

    async def close_all(self) -> None:
        for session_id in list(self._sessions):
            await self.close(session_id)

    def sessions(self) -> list[SessionInfo]:
        """The live sessions."""
        return [s.info() for s in self._sessions.values() if not s.closed]
