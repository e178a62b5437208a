"""Stopping a task from outside: a cancel handle, a deadline, a cancelled caller. Each leaves no
container behind and still reports what ran."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from conftest import sandbox_settings

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskHandle, TaskRequest, TerminusService

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


def _script() -> ScriptedBackend:
    return ScriptedBackend(
        [ScriptedBackend.call("echo started"), ScriptedBackend.call("sleep 60", 90000)]
    )


async def _service(
    workspace: Path, sandboxes: SandboxManager, backend: ScriptedBackend
) -> TerminusService:
    settings = sandbox_settings(workspace.parent, state_dir=str(workspace.parent / ".state"))
    return TerminusService(settings, backend=backend, sandboxes=sandboxes)


async def test_cancel_handle_returns_a_partial_result(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    handle = TaskHandle()
    before = len(sandbox_manager.sessions())

    def on_event(event: object) -> None:
        if "$ sleep 60" in getattr(event, "message", ""):
            handle.cancel()

    async with await _service(workspace, sandbox_manager, _script()) as service:
        with anyio.fail_after(30):
            result = await service.run_task(
                TaskRequest(query="q", workdir=workspace), on_event, handle=handle
            )

    assert result.status is TaskStatus.CANCELLED
    assert handle.result is result
    assert [c.command for c in result.commands] == ["echo started"]
    assert "Command: echo started" in result.answer
    assert "the task was cancelled" in result.answer
    assert len(sandbox_manager.sessions()) == before


async def test_a_handle_cancelled_before_the_start_runs_nothing(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    handle = TaskHandle()
    handle.cancel()
    backend = _script()
    async with await _service(workspace, sandbox_manager, backend) as service:
        result = await service.run_task(TaskRequest(query="q", workdir=workspace), handle=handle)
    assert result.status is TaskStatus.CANCELLED
    assert result.commands == []
    assert backend.requests == []


async def test_the_task_deadline_gives_timed_out(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    async with await _service(workspace, sandbox_manager, _script()) as service:
        with anyio.fail_after(30):
            result = await service.run_task(
                TaskRequest(query="q", workdir=workspace, timeout_s=2.0)
            )
    assert result.status is TaskStatus.TIMED_OUT
    assert [c.command for c in result.commands] == ["echo started"]
    assert "deadline (2 s) passed" in result.answer


async def test_cancelling_the_caller_reraises_and_keeps_the_result_on_the_handle(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    handle = TaskHandle()
    before = len(sandbox_manager.sessions())
    outcome: list[TaskResult] = []
    async with await _service(workspace, sandbox_manager, _script()) as service:
        with anyio.move_on_after(3) as scope:
            outcome.append(
                await service.run_task(TaskRequest(query="q", workdir=workspace), handle=handle)
            )
    assert scope.cancelled_caught
    assert outcome == []
    assert handle.result is not None
    assert handle.result.status is TaskStatus.CANCELLED
    assert len(sandbox_manager.sessions()) == before
    log = service.task_log(handle.result.transcript_id)
    assert [c.command for c in log.commands] == ["echo started"]


async def test_a_named_session_keeps_its_shell_state_between_tasks(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    backend = ScriptedBackend(
        [
            ScriptedBackend.call("export MARK=kept; cd /tmp"),
            "<final_answer>\nCommand: export\nSummary: done\n</final_answer>",
            ScriptedBackend.call('echo "$MARK $(pwd)"'),
            "<final_answer>\nCommand: echo\nSummary: done\n</final_answer>",
        ]
    )
    async with await _service(workspace, sandbox_manager, backend) as service:
        request = TaskRequest(query="q", workdir=workspace, session_id="named-1")
        first = await service.run_task(request)
        second = await service.run_task(request)
        assert first.session_id == second.session_id == "named-1"
        log = service.task_log(second.transcript_id)
        assert log.commands[0].output == "kept /tmp\n"
        await service.close_session("named-1")
    assert "named-1" not in [s.id for s in sandbox_manager.sessions()]
