"""Stopping a task from outside: a cancel handle, a deadline, a cancelled caller. Each leaves no
container behind and still reports what ran."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest
from conftest import sandbox_settings

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.server.tasks import TaskRegistry
from terminus_mcp.service import TaskHandle, TaskRequest, TerminusService

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

DEADLINE_S = 12.0
"""Far beyond a sandbox's start (about 1 s idle, a few under load), far below ``sleep 60``."""


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
    # The deadline counts from the task's start: the sandbox's start and `echo started` must
    # fit in it even on a loaded machine (2 s did not), and `sleep 60` can never finish
    # before it, so the task always ends by the deadline with exactly one command run.
    async with await _service(workspace, sandbox_manager, _script()) as service:
        with anyio.fail_after(60):
            result = await service.run_task(
                TaskRequest(query="q", workdir=workspace, timeout_s=DEADLINE_S)
            )
    assert result.status is TaskStatus.TIMED_OUT
    assert [c.command for c in result.commands] == ["echo started"]
    assert f"deadline ({DEADLINE_S:g} s) passed" in result.answer


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


class _BrokenAfterOneCommand(ScriptedBackend):
    """Plays one call, then fails with a bug (not a terminus-mcp error) on the next turn."""

    def __init__(self) -> None:
        super().__init__([ScriptedBackend.call("echo started")])

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        if self.requests:
            raise RuntimeError("a bug")
        return await super().complete(
            messages,
            tools,
            temperature=temperature,
            max_tokens=max_tokens,
            require_call=require_call,
        )


async def test_a_task_its_log_and_its_transcript_share_one_id_through_the_registry(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    async with await _service(workspace, sandbox_manager, _BrokenAfterOneCommand()) as service:
        registry = TaskRegistry(
            lambda req, on_event, handle: service.run_task(req, on_event, handle=handle),
            max_concurrent=1,
            max_queued=0,
            result_ttl_s=60,
            max_kept_results=5,
        )
        async with registry:
            task = await registry.wait(
                registry.submit(TaskRequest(query="q", workdir=workspace)).id, 60
            )
        assert task.result is not None
        # The internal error is a failed result built from the task's record: the command that
        # ran keeps its duration and tokens.
        assert task.result.status is TaskStatus.FAILED, task.result.answer
        [command] = task.result.commands
        assert command.command == "echo started"
        assert command.duration_s > 0
        assert command.output_tokens > 0
        assert task.result.timings.total_s > 0
        # One id: the registry's task id names the result's transcript, the log and the file.
        assert task.result.transcript_id == task.id
        assert [c.command for c in service.task_log(task.id).commands] == ["echo started"]
        assert (workspace.parent / ".state" / "transcripts" / f"{task.id}.jsonl").is_file()
