"""The task registry on its own seam: a scripted task function stands in for the service."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.errors import Busy, TaskNotFound, WorkspaceError
from terminus_mcp.server.tasks import TaskPhase, TaskRegistry
from terminus_mcp.service import EventCallback, EventKind, TaskEvent, TaskHandle, TaskRequest

pytestmark = pytest.mark.anyio


class ScriptedRunner:
    """Runs 'tasks' that sleep; records which overlap, and reports command events."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.seconds = seconds
        self.running: set[str] = set()
        self.max_parallel = 0
        self.overlaps: list[tuple[str, str]] = []
        self.gate: anyio.Event | None = None

    async def __call__(
        self, request: TaskRequest, on_event: EventCallback, handle: TaskHandle
    ) -> TaskResult:
        for other in self.running:
            self.overlaps.append((other, request.query))
        self.running.add(request.query)
        self.max_parallel = max(self.max_parallel, len(self.running))
        try:
            on_event(TaskEvent(kind=EventKind.COMMAND_STARTED, command="sleep", message="$ sleep"))
            if self.gate is not None:
                await self.gate.wait()  # ignores its handle: only the scope stops it
            await anyio.sleep(self.seconds)
            on_event(
                TaskEvent(
                    kind=EventKind.COMMAND_FINISHED, command="sleep", exit_code=0, message="exit 0"
                )
            )
            return TaskResult(
                status=TaskStatus.COMPLETED,
                answer=f"done: {request.query}",
                session_id=request.session_id,
            )
        finally:
            self.running.discard(request.query)


def request(query: str, session_id: str | None = None) -> TaskRequest:
    return TaskRequest(query=query, workdir=Path.cwd(), session_id=session_id)


def registry(runner: ScriptedRunner, **limits: float) -> TaskRegistry:
    return TaskRegistry(
        runner,
        max_concurrent=int(limits.get("max_concurrent", 2)),
        max_queued=int(limits.get("max_queued", 2)),
        result_ttl_s=limits.get("result_ttl_s", 60.0),
        max_kept_results=int(limits.get("max_kept", 10)),
    )


async def test_concurrency_cap_queue_and_busy_with_retry_hint() -> None:
    runner = ScriptedRunner(seconds=0.3)
    async with registry(runner, max_concurrent=2, max_queued=1) as reg:
        tasks = [reg.submit(request(f"q{i}")) for i in range(3)]
        with pytest.raises(Busy) as busy:
            reg.submit(request("one too many"))
        assert busy.value.retry_after_s >= 5
        assert f"retry in {busy.value.retry_after_s:.0f} s" in str(busy.value)
        for task in tasks:
            done = await reg.wait(task.id, 5)
            assert done.result is not None
            assert done.result.answer == f"done: {task.request.query}"
        assert runner.max_parallel == 2


async def test_same_session_runs_one_at_a_time_other_sessions_in_parallel() -> None:
    runner = ScriptedRunner(seconds=0.15)
    async with registry(runner, max_concurrent=4, max_queued=4) as reg:
        a1 = reg.submit(request("a1", "a"))
        a2 = reg.submit(request("a2", "a"))
        b1 = reg.submit(request("b1", "b"))
        for task in (a1, a2, b1):
            await reg.wait(task.id, 5)
    assert ("a1", "a2") not in runner.overlaps
    assert ("a2", "a1") not in runner.overlaps
    assert any({"b1"} & set(pair) for pair in runner.overlaps)


async def test_wait_times_out_as_running_then_collects_with_progress() -> None:
    runner = ScriptedRunner(seconds=0.3)
    seen: list[str] = []

    async def on_event(event: TaskEvent) -> None:
        seen.append(event.message)

    async with registry(runner) as reg:
        task = reg.submit(request("slow"))
        first = await reg.wait(task.id, 0.05)
        assert first.phase is TaskPhase.RUNNING
        assert first.result is None
        done = await reg.wait(task.id, 5, on_event=on_event)
        assert done.phase is TaskPhase.DONE
        assert done.result is not None
        assert done.result.status is TaskStatus.COMPLETED
    assert seen == ["exit 0"]


async def test_cancel_keeps_what_ran_and_a_partial_result() -> None:
    runner = ScriptedRunner()
    runner.gate = anyio.Event()  # never set: the task blocks until cancelled
    async with registry(runner) as reg:
        task = reg.submit(request("stuck"))
        await anyio.sleep(0.05)
        done = await reg.cancel(task.id, grace_s=0.2)  # the runner ignores its handle
        assert done.phase is TaskPhase.DONE
        assert done.result is not None
        assert done.result.status is TaskStatus.CANCELLED
        assert "cancelled" in done.result.answer
        assert runner.running == set()


async def test_runner_partial_result_under_cancellation_is_kept() -> None:
    async def partial_runner(
        req: TaskRequest, on_event: EventCallback, handle: TaskHandle
    ) -> TaskResult:
        # Like the service: a cancel through the handle returns the partial result.
        with anyio.CancelScope() as scope:
            handle._attach(scope)
            await anyio.sleep(30)
        assert handle.cancel_requested
        return TaskResult(status=TaskStatus.CANCELLED, answer="partial: 3 tests passed")

    reg = TaskRegistry(
        partial_runner, max_concurrent=1, max_queued=0, result_ttl_s=60, max_kept_results=5
    )
    async with reg:
        task = reg.submit(request("x"))
        await anyio.sleep(0.05)
        done = await reg.cancel(task.id)
    assert done.result is not None
    assert done.result.answer == "partial: 3 tests passed"


async def test_refusals_and_internal_errors_are_kept_apart() -> None:
    async def refusing(req: TaskRequest, on_event: EventCallback, handle: TaskHandle) -> TaskResult:
        if req.query == "refuse":
            raise WorkspaceError("workdir is gone", fix="pass another")
        raise KeyError("boom")

    reg = TaskRegistry(
        refusing, max_concurrent=2, max_queued=2, result_ttl_s=60, max_kept_results=5
    )
    async with reg:
        refused = await reg.wait(reg.submit(request("refuse")).id, 5)
        crashed = await reg.wait(reg.submit(request("crash")).id, 5)
    assert isinstance(refused.error, WorkspaceError)
    assert refused.result is None
    assert crashed.result is not None
    assert crashed.result.status is TaskStatus.FAILED
    assert crashed.result.error is not None
    assert "[ref " in crashed.result.error
    assert "boom" not in crashed.result.answer  # no internals reach the agent


async def test_results_expire_by_age_and_by_count() -> None:
    now = [0.0]
    runner = ScriptedRunner(seconds=0)
    reg = TaskRegistry(
        runner,
        max_concurrent=4,
        max_queued=4,
        result_ttl_s=10,
        max_kept_results=2,
        clock=lambda: now[0],
    )
    async with reg:
        ids = []
        for i in range(3):
            task = reg.submit(request(f"q{i}"))
            await reg.wait(task.id, 5)
            now[0] += 1
            ids.append(task.id)
        with pytest.raises(TaskNotFound):
            reg.get(ids[0])  # only the two newest are kept
        assert reg.get(ids[2]).result is not None
        now[0] += 11
        with pytest.raises(TaskNotFound, match="no task has id"):
            reg.get(ids[2])


async def test_leaving_the_registry_cancels_running_tasks() -> None:
    runner = ScriptedRunner()
    runner.gate = anyio.Event()
    async with registry(runner) as reg:
        task = reg.submit(request("forever"))
        await anyio.sleep(0.05)
        assert runner.running == {"forever"}
    assert runner.running == set()
    assert task.result is not None
    assert task.result.status is TaskStatus.CANCELLED
