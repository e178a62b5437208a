"""The main job as a Python API: run one delegated task end to end.

:class:`TerminusService` owns the model backend (loaded once), the sandbox session manager and
the transcripts. ``terminus-mcp run`` and the MCP server's ``run_terminal_task`` both call
:meth:`TerminusService.run_task`: there is one code path for the main job.

CONTRACT (shared by the CLI, the MCP server and the loop; keep signatures stable):

    async with TerminusService(settings) as service:
        result: TaskResult = await service.run_task(
            TaskRequest(query=..., workdir=..., session_id=None),
            on_event=callback,          # optional, sync, called on the event loop
            handle=TaskHandle(),        # optional: cancel from elsewhere, keep the result
        )
        log: TaskLog = service.task_log(result.transcript_id)
        await service.close_session(session_id)

Cancellation. Every way a task stops kills the running command's processes and removes the
sandbox (unless it is a named, reused session), under a shield, and keeps the transcript:

- ``handle.cancel()`` (a :class:`TaskHandle` passed to ``run_task``): ``run_task`` *returns*
  the partial result with status ``cancelled`` (what ran, summarized).
- ``TaskRequest.timeout_s`` passing: ``run_task`` returns the partial result with status
  ``timed_out``.
- Cancelling the awaiting scope (anyio semantics): ``run_task`` re-raises the cancellation,
  as anyio requires; the partial ``cancelled`` result is still set on ``handle.result``.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import TracebackType
from typing import Self

import anyio
from pydantic import BaseModel, Field, PrivateAttr

from terminus_mcp.agent.events import EventCallback, EventKind, TaskEvent, emit
from terminus_mcp.agent.loop import LoopConfig, run_loop
from terminus_mcp.agent.recorder import TaskRecorder
from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.direct import DirectBackend
from terminus_mcp.environments import EnvironmentManager, RedactingSession, SetupFailed
from terminus_mcp.errors import ConfigError
from terminus_mcp.models.base import ModelBackend, WarmableBackend
from terminus_mcp.models.factory import backend_kind, build_backend
from terminus_mcp.models.session_key import model_session
from terminus_mcp.models.tokens import TokenCounter, proxy_counter
from terminus_mcp.sandbox.api import AllowedWorkdir, Sandboxes, Session, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.settings import Settings
from terminus_mcp.task_store import CommandLog, TaskLog, TaskStore, new_task_id

__all__ = [
    "CommandLog",
    "EventCallback",
    "EventKind",
    "TaskEvent",
    "TaskHandle",
    "TaskLog",
    "TaskRequest",
    "TerminusService",
]


class TaskRequest(BaseModel):
    """One delegated task."""

    query: str = Field(min_length=1)
    """What to execute and what to look for in the output; may name exact commands."""
    description: str = ""
    """Short user-visible label."""
    workdir: Path
    """Host folder mounted at /workspace; checked against the allowed roots (and
    ``client_roots``) once, by :meth:`TerminusService.check_workdir`."""
    client_roots: tuple[Path, ...] | None = None
    """The roots the MCP client offers, which narrow the allowed roots; ``None``: no bound."""
    session_id: str | None = None
    """Reuse (or create with this id) a persistent sandbox session; ``None``: a fresh sandbox,
    removed afterwards."""
    timeout_s: float | None = Field(default=None, gt=0)
    """Deadline for the whole task in seconds; when it passes the result is ``timed_out``."""

    _checked_workdir: AllowedWorkdir | None = PrivateAttr(default=None)
    """Set by :meth:`TerminusService.check_workdir` of the service that runs the request."""


class TaskHandle:
    """Cancels a running :meth:`TerminusService.run_task` from elsewhere and keeps its result.

    ``cancel()`` may be called before the task starts, while it runs, or after it ended (then it
    does nothing). ``run_task`` returns normally with status ``cancelled``.
    """

    def __init__(self, task_id: str | None = None) -> None:
        self._scope: anyio.CancelScope | None = None
        self._cancel_requested = False
        self._recorder: TaskRecorder | None = None
        self.task_id = task_id or new_task_id()
        """The task's one id: its result's ``transcript_id``, its log's and its transcript's."""
        self.result: TaskResult | None = None
        """The task's result once it ended, however it ended."""

    def stopped_result(
        self, query: str, status: TaskStatus, reason: str, *, error: str | None = None
    ) -> TaskResult:
        """The result of a task stopped before its loop answered: built once, by its recorder,
        from what ran (with durations and tokens); an empty record when it never started."""
        recorder = self._recorder or TaskRecorder(query, transcript_id=self.task_id)
        if recorder.result is None:
            recorder.finish_without_answer(status, reason, error=error)
        assert recorder.result is not None
        return recorder.result

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def cancel(self) -> None:
        self._cancel_requested = True
        if self._scope is not None:
            self._scope.cancel()

    def _attach(self, scope: anyio.CancelScope) -> None:
        self._scope = scope
        if self._cancel_requested:
            scope.cancel()


class TerminusService:
    """Runs delegated tasks: one backend and one source of sandboxes for the process."""

    def __init__(
        self,
        settings: Settings,
        *,
        backend: ModelBackend | None = None,
        sandboxes: Sandboxes | None = None,
    ) -> None:
        """``backend`` and ``sandboxes`` override the configured ones (for tests and embedding,
        for example :class:`terminus_mcp.sandbox.fake.FakeSandboxes`); given ones are used
        started and are not closed. ``None``: a :class:`SandboxManager` on the configured engine,
        started and closed with the service."""
        self.settings = settings
        self._backend = backend
        self._sandboxes: Sandboxes | None = sandboxes
        self._owned: SandboxManager | None = None
        self._proxy: TokenCounter | None = None
        self._config = LoopConfig.from_settings(settings)
        self._store = TaskStore(settings)
        self._environments: EnvironmentManager | None = None
        self._entered = False

    @property
    def backend(self) -> ModelBackend:
        if self._backend is None:
            raise RuntimeError("TerminusService is not started; use `async with`")
        return self._backend

    async def __aenter__(self) -> Self:
        if self._backend is None:
            self._backend = (
                DirectBackend()
                if backend_kind(self.settings) == "direct"
                else await anyio.to_thread.run_sync(build_backend, self.settings)
            )
        if isinstance(self._backend, WarmableBackend):
            # Load an in-process engine once, at start-up, not inside the first task.
            await self._backend.start()
        self._proxy = await anyio.to_thread.run_sync(proxy_counter)
        if self._sandboxes is None:
            self._owned = SandboxManager(self.settings)
            try:
                await self._owned.__aenter__()
            except BaseException:
                await self._backend.aclose()
                raise
            self._sandboxes = self._owned
        if self.settings.project_environments and isinstance(self._sandboxes, SandboxManager):
            # Project images are built and committed on the Docker-compatible engine itself.
            self._environments = EnvironmentManager(self.settings, self._sandboxes)
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The manager shields its own cleanup; its task group must exit in the scope it began.
        try:
            if self._owned is not None:
                await self._owned.__aexit__(exc_type, exc, tb)
        finally:
            if self._backend is not None:
                with anyio.CancelScope(shield=True):
                    await self._backend.aclose()

    # --- tasks -----------------------------------------------------------------------------

    async def run_task(
        self,
        request: TaskRequest,
        on_event: EventCallback | None = None,
        *,
        handle: TaskHandle | None = None,
    ) -> TaskResult:
        """Run one task to its end and return its result (see the module doc on cancellation).

        Raises:
            WorkspaceError: the workdir is missing or outside the allowed roots.
            SandboxError: no sandbox could be started (engine down, image missing).
        """
        sandboxes = self._require_sandboxes()
        handle = handle or TaskHandle()
        workdir = self.check_workdir(request)
        backend = self.backend
        recorder = TaskRecorder(
            request.query,
            transcript_id=handle.task_id,
            session_id=request.session_id,
            backend=backend.name,
            model_used=backend.uses_model,
            count_proxy_tokens=self._count_proxy,
        )
        handle._recorder = recorder
        # A named session persists (until its idle TTL, across processes); only then does the
        # result carry its id.
        spec = SessionSpec(workdir=workdir, persistent=request.session_id is not None)
        deadline = request.timeout_s if request.timeout_s is not None else math.inf
        result: TaskResult | None = None
        try:
            with anyio.CancelScope() as scope:
                handle._attach(scope)
                with anyio.move_on_after(deadline) as timer:
                    try:
                        spec = await self._environment(spec, request.session_id, on_event)
                    except (SetupFailed, ConfigError) as exc:
                        result = self._setup_failed(recorder, exc, on_event)
                    else:
                        session = await self._open(sandboxes, spec, request.session_id)
                        recorder.session_id = request.session_id
                        try:
                            with model_session(handle.task_id):
                                result = await run_loop(
                                    request.query,
                                    session=self._masked(session),
                                    backend=backend,
                                    config=self._config,
                                    on_event=on_event,
                                    recorder=recorder,
                                )
                        finally:
                            if request.session_id is None:
                                with anyio.CancelScope(shield=True):
                                    await sandboxes.close(session.id)
            if result is None:
                if timer.cancelled_caught:
                    status, reason = (
                        TaskStatus.TIMED_OUT,
                        (f"the task's deadline ({request.timeout_s:g} s) passed"),
                    )
                else:
                    status, reason = TaskStatus.CANCELLED, "the task was cancelled"
                result = self._stopped(handle, request, status, reason, on_event)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                if recorder.result is None:
                    self._stopped(
                        handle, request, TaskStatus.CANCELLED, "the task was cancelled", on_event
                    )
                handle.result = recorder.result
                await self._store.keep(recorder)
            raise
        except Exception:
            # A bug or a broken sandbox: what ran stays readable, and the caller builds the
            # failed result from the same record (TaskHandle.stopped_result).
            with anyio.CancelScope(shield=True):
                await self._store.keep(recorder)
            raise
        handle.result = result
        with anyio.CancelScope(shield=True):
            await self._store.keep(recorder)
        return result

    def check_workdir(self, request: TaskRequest) -> AllowedWorkdir:
        """The request's workdir, resolved and checked against the allowed roots and the
        client's roots: once per request (a caller that checks before :meth:`run_task`, as the
        MCP server does to refuse at once, does not make the task check again).

        Raises:
            WorkspaceError: the workdir is missing, or outside the allowed or client roots.
        """
        if request._checked_workdir is None:
            request._checked_workdir = resolve_workdir(
                request.workdir, self.settings.allowed_roots, client_roots=request.client_roots
            )
        return request._checked_workdir

    def task_log(self, task_id: str) -> TaskLog:
        """The raw outputs of a recent task.

        Raises:
            TaskNotFound: no task with that id is kept in memory.
        """
        return self._store.get(task_id)

    async def close_session(self, session_id: str) -> None:
        """Close a named session and remove its container; unknown ids are ignored."""
        await self._require_sandboxes().close(session_id)

    # --- helpers ---------------------------------------------------------------------------

    def _require_sandboxes(self) -> Sandboxes:
        if self._sandboxes is None or not self._entered:
            raise RuntimeError("TerminusService is not started; use `async with`")
        return self._sandboxes

    async def _open(
        self, sandboxes: Sandboxes, spec: SessionSpec, session_id: str | None
    ) -> Session:
        if session_id is None:
            return await sandboxes.create(spec)
        return await sandboxes.get_or_create(session_id, spec)

    async def _environment(
        self, spec: SessionSpec, session_id: str | None, on_event: EventCallback | None
    ) -> SessionSpec:
        """``spec`` in the project's environment, set up first when needed (not for a live
        named session, which already runs in it).

        Raises:
            SetupFailed, ConfigError: the environment cannot be set up.
        """
        environments = self._environments
        if environments is None:
            return spec
        manager = self._sandboxes
        live = manager.sessions() if isinstance(manager, SandboxManager) else []
        if session_id is not None and any(s.id == session_id for s in live):
            return spec
        prepared = await environments.prepare(spec.workdir, on_event)
        task_spec = prepared.session_spec(spec.workdir, network=spec.network)
        return task_spec.model_copy(
            update={"persistent": spec.persistent, "allow_hosts": spec.allow_hosts}
        )

    def _masked(self, session: Session) -> Session:
        """``session``, masking ``task_pass_env`` values when tasks are given any."""
        if self._environments is None or not self.settings.task_pass_env:
            return session
        return RedactingSession(session, self._environments.redactor())

    def _setup_failed(
        self,
        recorder: TaskRecorder,
        exc: SetupFailed | ConfigError,
        on_event: EventCallback | None,
    ) -> TaskResult:
        """The result of a task whose environment could not be set up: what failed, and the
        first real error of the failing step."""
        redact = self._environments.redactor() if self._environments else str
        message = redact(str(exc))
        answer = "The project's environment could not be set up, so the task did not run.\n"
        answer += message
        excerpt = getattr(exc, "excerpt", "")
        if excerpt:
            answer += "\n\nFirst error:\n" + redact(excerpt)
        result = recorder.finish(TaskStatus.FAILED, answer, error=message)
        emit(
            on_event,
            TaskEvent(kind=EventKind.TASK_FINISHED, message="task failed: setup failed"),
        )
        return result

    def _count_proxy(self, text: str) -> int:
        counter = self._proxy or proxy_counter()
        return counter.count(text)

    def _stopped(
        self,
        handle: TaskHandle,
        request: TaskRequest,
        status: TaskStatus,
        reason: str,
        on_event: EventCallback | None,
    ) -> TaskResult:
        result = handle.stopped_result(request.query, status, reason)
        emit(
            on_event,
            TaskEvent(
                kind=EventKind.TASK_FINISHED,
                turn=result.turns,
                message=f"task {status.value} after {result.turns} turns",
            ),
        )
        return result
