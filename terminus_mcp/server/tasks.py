"""The task registry: delegated tasks that outlive the tool call that started them.

MCP clients cut tool calls off (Claude Desktop and Copilot CLI at about 60 s), so a task runs in
the registry's own task group, not in the calling request. A call waits up to ``wait_seconds``
and then answers "running" with the task id; ``get_task_result`` collects the result later,
and finished results stay for ``result_ttl_s`` (at most ``max_kept_results`` of them).

The registry also enforces the limits: at most ``max_concurrent`` tasks run at once, at most
``max_queued`` wait for a slot (past that :class:`~terminus_mcp.errors.Busy` says when to retry),
and tasks on the same ``session_id`` run one after another, in submission order.

The seam is :data:`TaskRunner` (in production ``TerminusService.run_task``). Cancelling a task
calls its :class:`~terminus_mcp.service.TaskHandle`, and the runner returns its partial
``cancelled`` result; a runner stopped by cancellation instead (shutdown) leaves its partial
result on the handle, or the handle builds one from the task's record (one place builds every
stopped result: :meth:`~terminus_mcp.service.TaskHandle.stopped_result`). The registry's task
id is the handle's, so a task, its log and its transcript share one id.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from types import TracebackType
from typing import Self

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.errors import Busy, TaskNotFound, TerminusError
from terminus_mcp.service import EventCallback, TaskEvent, TaskHandle, TaskRequest

logger = logging.getLogger(__name__)

TaskRunner = Callable[[TaskRequest, EventCallback, TaskHandle], Awaitable[TaskResult]]
"""Runs one task to its end (``TerminusService.run_task``), reporting progress through the
callback (sync, on the loop); ``handle.cancel()`` makes it return its partial result."""

_DEFAULT_DURATION_S = 30.0
"""Assumed task duration for the busy hint until some tasks have finished."""


class TaskPhase(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


def new_correlation_id() -> str:
    """A short id that ties an error message the agent sees to the traceback in the log."""
    return secrets.token_hex(4)


@dataclass(eq=False)
class TrackedTask:
    """One task the registry knows about, from submission until its result expires."""

    id: str
    request: TaskRequest
    submitted_at: float
    phase: TaskPhase = TaskPhase.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    events: list[TaskEvent] = field(default_factory=list)
    result: TaskResult | None = None
    error: TerminusError | None = None
    """A refusal raised by the runner (bad workdir, backend not configured): shown to the caller."""
    done: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    handle: TaskHandle = field(default_factory=TaskHandle)
    listeners: set[MemoryObjectSendStream[TaskEvent]] = field(default_factory=set)

    @property
    def last_message(self) -> str:
        return self.events[-1].message if self.events else ""


class TaskRegistry:
    """Runs tasks in the background under concurrency, queue and per-session limits.

    Use as an async context manager: leaving it cancels every task still running and waits
    for the runners' (shielded) cleanup.
    """

    def __init__(
        self,
        runner: TaskRunner,
        *,
        max_concurrent: int,
        max_queued: int,
        result_ttl_s: float,
        max_kept_results: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runner = runner
        self._max_concurrent = max_concurrent
        self._max_queued = max_queued
        self._result_ttl_s = result_ttl_s
        self._max_kept = max_kept_results
        self._clock = clock
        self._slots = anyio.Semaphore(max_concurrent)
        self._session_locks: dict[str, anyio.Lock] = {}
        self._tasks: OrderedDict[str, TrackedTask] = OrderedDict()
        self._finished: OrderedDict[str, float] = OrderedDict()
        """Finished tasks' ids in the order they finished (with when), so expiry is O(1)."""
        self._recent_durations: list[float] = []
        self._group: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        for task in self._tasks.values():
            if task.phase is not TaskPhase.DONE:
                task.handle.cancel()
                task.scope.cancel()
        self._group.cancel_scope.cancel()
        try:
            return await self._group.__aexit__(exc_type, exc, tb)
        finally:
            self._group = None

    # --- queries --------------------------------------------------------------------------

    @property
    def running(self) -> int:
        return sum(1 for t in self._tasks.values() if t.phase is TaskPhase.RUNNING)

    @property
    def queued(self) -> int:
        return sum(1 for t in self._tasks.values() if t.phase is TaskPhase.QUEUED)

    def get(self, task_id: str) -> TrackedTask:
        """The task with this id.

        Raises:
            TaskNotFound: no task has this id, or its result expired.
        """
        self._expire()
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound(
                f"no task has id {task_id!r}",
                why=(
                    "it never existed, or it finished more than "
                    f"{self._result_ttl_s:.0f} s ago and its result was dropped"
                ),
                fix="use the task_id from a run_terminal_task answer, or run the task again",
            )
        return task

    @property
    def active_count(self) -> int:
        return len(self._tasks) - len(self._finished)

    # --- submission -----------------------------------------------------------------------

    def submit(self, request: TaskRequest) -> TrackedTask:
        """Start (or queue) a task and return at once.

        Raises:
            Busy: every slot is taken and the queue is full.
        """
        if self._group is None:
            raise RuntimeError("TaskRegistry is not entered")
        self._expire()
        if self.active_count >= self._max_concurrent + self._max_queued:
            retry = self._retry_after_s()
            raise Busy(
                f"busy, retry in {retry:.0f} s",
                retry_after_s=retry,
                why=(
                    f"{self.running} tasks are running and {self.queued} are waiting "
                    f"(limits: {self._max_concurrent} running, {self._max_queued} queued)"
                ),
                fix=(
                    f"call again in about {retry:.0f} s, or raise max_concurrent_tasks / "
                    "max_queued_tasks in the server's settings"
                ),
            )
        handle = TaskHandle()
        task = TrackedTask(
            id=handle.task_id, request=request, submitted_at=self._clock(), handle=handle
        )
        self._tasks[task.id] = task
        self._group.start_soon(self._run, task, name=f"terminus task {task.id}")
        return task

    def _retry_after_s(self) -> float:
        recent = self._recent_durations[-20:]
        typical = sorted(recent)[len(recent) // 2] if recent else _DEFAULT_DURATION_S
        # A retry is accepted as soon as any one task ends; with staggered tasks that is about
        # a typical duration divided by the number of slots.
        return float(max(5.0, math.ceil(typical / self._max_concurrent)))

    @asynccontextmanager
    async def _session_turn(self, session_id: str | None) -> AsyncIterator[None]:
        if session_id is None:
            yield
            return
        lock = self._session_locks.setdefault(session_id, anyio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._session_locks.pop(session_id, None)

    async def _run(self, task: TrackedTask) -> None:
        try:
            with task.scope:
                async with self._session_turn(task.request.session_id), self._slots:
                    task.phase = TaskPhase.RUNNING
                    task.started_at = self._clock()
                    on_event = partial(self._on_event, task)
                    task.result = await self._runner(task.request, on_event, task.handle)
        except TerminusError as exc:
            task.error = exc
        except Exception:
            ref = new_correlation_id()
            logger.exception("task %s failed with an internal error [ref %s]", task.id, ref)
            error = f"internal error in terminus-mcp [ref {ref}]; the server log has details"
            task.result = task.handle.stopped_result(
                task.request.query, TaskStatus.FAILED, f"the task failed: {error}", error=error
            )
        finally:
            if task.result is None and task.error is None:
                # Stopped by cancellation: keep the runner's partial result, else the events.
                task.result = task.handle.result or task.handle.stopped_result(
                    task.request.query, TaskStatus.CANCELLED, "the task was cancelled"
                )
            task.phase = TaskPhase.DONE
            task.finished_at = self._clock()
            self._finished[task.id] = task.finished_at
            if task.started_at is not None:
                self._recent_durations.append(task.finished_at - task.started_at)
                del self._recent_durations[:-50]
            for stream in list(task.listeners):
                stream.close()
            task.listeners.clear()
            task.done.set()

    def _on_event(self, task: TrackedTask, event: TaskEvent) -> None:
        task.events.append(event)
        for stream in list(task.listeners):
            try:
                stream.send_nowait(event)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                task.listeners.discard(stream)

    # --- waiting and cancelling -----------------------------------------------------------

    async def wait(
        self,
        task_id: str,
        timeout_s: float,
        *,
        on_event: Callable[[TaskEvent], Awaitable[None]] | None = None,
    ) -> TrackedTask:
        """Wait up to ``timeout_s`` for the task to finish; return it, finished or not.

        ``on_event`` is awaited for each event that arrives while waiting (progress).

        Raises:
            TaskNotFound: no task has this id.
        """
        task = self.get(task_id)
        if task.phase is TaskPhase.DONE:
            return task
        send, receive = anyio.create_memory_object_stream[TaskEvent](math.inf)
        task.listeners.add(send)
        try:
            with anyio.move_on_after(timeout_s):
                async with receive:
                    async for event in receive:
                        if on_event is not None:
                            await on_event(event)
                await task.done.wait()
        finally:
            task.listeners.discard(send)
            send.close()
        return task

    async def cancel(self, task_id: str, *, grace_s: float = 30.0) -> TrackedTask:
        """Cancel a task and wait (shielded, up to ``grace_s``) for its partial result.

        Cancelling a finished task is a no-op that returns it.

        Raises:
            TaskNotFound: no task has this id.
        """
        task = self.get(task_id)
        self.request_cancel(task)
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(grace_s):
                await task.done.wait()
            if task.phase is not TaskPhase.DONE:
                task.scope.cancel()  # the runner did not stop in time: cut it off
                await task.done.wait()
        return task

    def request_cancel(self, task: TrackedTask) -> None:
        """Ask a task to stop without waiting for it (safe from a cancelled scope).

        A queued task is cancelled at once; a running one through its handle, so the runner
        kills the command and returns its partial result.
        """
        if task.phase is TaskPhase.DONE:
            return
        task.handle.cancel()
        if task.phase is TaskPhase.QUEUED:
            task.scope.cancel()

    # --- retention ------------------------------------------------------------------------

    def _expire(self) -> None:
        """Drop finished tasks past the TTL, and the oldest past ``max_kept_results``."""
        now = self._clock()
        while self._finished:
            task_id, finished_at = next(iter(self._finished.items()))
            if now - finished_at <= self._result_ttl_s and len(self._finished) <= self._max_kept:
                break
            del self._finished[task_id]
            self._tasks.pop(task_id, None)
