"""The service on the fake engine: stopping a task, named sessions, refusals, without Docker.

``test_service_stop.py`` checks the same on real containers.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.errors import WorkspaceError
from terminus_mcp.models.scripted import ScriptedBackend
from terminus_mcp.sandbox.fake import FakeSandboxes
from terminus_mcp.service import TaskHandle, TaskRequest, TerminusService
from terminus_mcp.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

DONE = "<final_answer>\nCommand: echo\nSummary: done\n</final_answer>"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def settings_for(workspace: Path) -> Settings:
    return load_settings(
        {"allowed_roots": [str(workspace)], "state_dir": str(workspace.parent / ".state")}
    )


def slow_script() -> ScriptedBackend:
    return ScriptedBackend(
        [ScriptedBackend.call("echo started"), ScriptedBackend.call("sleep 60", 90000)]
    )


async def test_a_task_runs_in_a_fresh_session_that_is_closed_afterwards(workspace: Path) -> None:
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings, {"make": "built\n"})
    backend = ScriptedBackend([ScriptedBackend.call("make"), DONE])
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        result = await service.run_task(TaskRequest(query="build", workdir=workspace))
        log = service.task_log(result.transcript_id)
    assert result.status is TaskStatus.COMPLETED
    assert log.commands[0].output == "built\n"
    (session,) = sandboxes.created
    assert session.closed
    assert sandboxes.sessions() == []


async def test_cancel_handle_returns_a_partial_result(workspace: Path) -> None:
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    handle = TaskHandle()

    def on_event(event: object) -> None:
        if "$ sleep 60" in getattr(event, "message", ""):
            handle.cancel()

    async with TerminusService(settings, backend=slow_script(), sandboxes=sandboxes) as service:
        with anyio.fail_after(10):
            result = await service.run_task(
                TaskRequest(query="q", workdir=workspace), on_event, handle=handle
            )
    assert result.status is TaskStatus.CANCELLED
    assert handle.result is result
    assert [c.command for c in result.commands] == ["echo started"]
    assert "the task was cancelled" in result.answer
    assert sandboxes.sessions() == []
    assert sandboxes.created[0].processes() == []


async def test_the_task_deadline_gives_timed_out(workspace: Path) -> None:
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    async with TerminusService(settings, backend=slow_script(), sandboxes=sandboxes) as service:
        with anyio.fail_after(10):
            result = await service.run_task(
                TaskRequest(query="q", workdir=workspace, timeout_s=0.5)
            )
    assert result.status is TaskStatus.TIMED_OUT
    assert [c.command for c in result.commands] == ["echo started"]
    assert "deadline (0.5 s) passed" in result.answer
    assert sandboxes.sessions() == []


async def test_cancelling_the_caller_reraises_and_keeps_the_result_on_the_handle(
    workspace: Path,
) -> None:
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    handle = TaskHandle()
    outcome: list[TaskResult] = []
    async with TerminusService(settings, backend=slow_script(), sandboxes=sandboxes) as service:
        with anyio.move_on_after(0.5) as scope:
            outcome.append(
                await service.run_task(TaskRequest(query="q", workdir=workspace), handle=handle)
            )
        assert scope.cancelled_caught
        assert outcome == []
        assert handle.result is not None
        assert handle.result.status is TaskStatus.CANCELLED
        log = service.task_log(handle.result.transcript_id)
    assert [c.command for c in log.commands] == ["echo started"]
    assert sandboxes.sessions() == []


async def test_a_named_session_keeps_its_shell_state_between_tasks(workspace: Path) -> None:
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    backend = ScriptedBackend(
        [
            ScriptedBackend.call("export MARK=kept; cd /tmp"),
            DONE,
            ScriptedBackend.call('echo "$MARK $PWD"'),
            DONE,
        ]
    )
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        request = TaskRequest(query="q", workdir=workspace, session_id="named-1")
        first = await service.run_task(request)
        second = await service.run_task(request)
        assert first.session_id == second.session_id == "named-1"
        assert service.task_log(second.transcript_id).commands[0].output == "kept /tmp\n"
        assert [s.id for s in sandboxes.sessions()] == ["named-1"]
        await service.close_session("named-1")
    assert sandboxes.sessions() == []


@pytest.mark.parametrize("escape", ["outside", "symlink"])
async def test_a_workdir_outside_the_allowed_roots_is_refused(
    workspace: Path, tmp_path: Path, escape: str
) -> None:
    requested = tmp_path
    if escape == "symlink":  # inside the root by name, outside by where it points
        requested = workspace / "up"
        requested.symlink_to("/usr")
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    backend = ScriptedBackend([DONE])
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        with pytest.raises(WorkspaceError, match="outside the allowed roots"):
            await service.run_task(TaskRequest(query="q", workdir=requested))
    assert sandboxes.created == []
    assert backend.requests == []


async def test_the_workdir_is_resolved_once_and_the_task_mounts_what_was_checked(
    workspace: Path,
) -> None:
    """The MCP server checks a request when the call arrives; the task then runs on that
    checked real path, even if the link it named points elsewhere by the time it starts."""
    (workspace / "a").mkdir()
    (workspace / "b").mkdir()
    (workspace / "current").symlink_to(workspace / "a")
    settings = settings_for(workspace)
    sandboxes = FakeSandboxes.from_settings(settings)
    backend = ScriptedBackend([ScriptedBackend.call("echo hi"), DONE])
    async with TerminusService(settings, backend=backend, sandboxes=sandboxes) as service:
        request = TaskRequest(query="q", workdir=workspace / "current")
        assert service.check_workdir(request) == workspace / "a"
        (workspace / "current").unlink()
        (workspace / "current").symlink_to("/usr")  # would be refused if checked again
        result = await service.run_task(request)
    assert result.status is TaskStatus.COMPLETED
    (session,) = sandboxes.created
    assert session.info().workdir == workspace / "a"


async def test_the_clients_roots_narrow_the_allowed_roots(workspace: Path) -> None:
    (workspace / "mine").mkdir()
    settings = settings_for(workspace)
    async with TerminusService(
        settings, backend=ScriptedBackend([]), sandboxes=FakeSandboxes.from_settings(settings)
    ) as service:
        request = TaskRequest(query="q", workdir=workspace, client_roots=(workspace / "mine",))
        with pytest.raises(WorkspaceError, match="outside the roots your MCP client offers"):
            service.check_workdir(request)
