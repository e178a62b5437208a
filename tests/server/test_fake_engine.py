"""The MCP server end to end on the fake engine: the SDK's in-process client, the real tools,
registry and service, and :class:`terminus_mcp.sandbox.fake.FakeSandboxes` instead of
containers, so these run in milliseconds and without Docker. ``test_inprocess.py`` runs the
same paths on real containers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from terminus_mcp.sandbox.fake import FakeReply, FakeSandboxes
from terminus_mcp.server import build_server
from terminus_mcp.server.app import Engine
from terminus_mcp.service import TerminusService
from terminus_mcp.settings import Settings

from .support import direct_settings

pytestmark = pytest.mark.anyio

PYTEST_OUTPUT = (
    "..F\n"
    "FAILED tests/test_calc.py::test_divide - ZeroDivisionError: division by zero\n"
    "1 failed, 2 passed in 0.03s\n"
)


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


@pytest.fixture
def sandboxes(project: Path) -> FakeSandboxes:
    settings = direct_settings(project.parent)
    script = {"pytest -q": FakeReply(output=PYTEST_OUTPUT, exit_code=1)}
    return FakeSandboxes.from_settings(settings, script)


@pytest.fixture
async def client(
    project: Path, sandboxes: FakeSandboxes, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    monkeypatch.chdir(project)
    settings = direct_settings(project.parent, max_concurrent_tasks=4, max_queued_tasks=16)

    def on_fake(settings: Settings) -> AbstractAsyncContextManager[Engine]:
        return TerminusService(settings, sandboxes=sandboxes)

    async with Client(build_server(settings, engine_factory=on_fake)) as connected:
        yield connected
    assert sandboxes.sessions() == [], "closing the server left sessions open"


async def call(client: Client, tool: str, **arguments: Any) -> CallToolResult:
    return await client.call_tool(tool, arguments)


async def test_a_task_returns_the_answer_and_the_raw_log(
    client: Client, sandboxes: FakeSandboxes
) -> None:
    result = await call(client, "run_terminal_task", query="$ pytest -q")
    assert not result.is_error, text_of(result)
    outcome = result.structured_content
    assert outcome is not None
    assert outcome["status"] == "completed"
    assert [(c["command"], c["exit_code"]) for c in outcome["commands"]] == [("pytest -q", 1)]
    assert "test_divide" in outcome["answer"]
    log = text_of(await call(client, "read_task_log", task_id=outcome["task_id"]))
    assert "ZeroDivisionError: division by zero" in log
    assert [s.history for s in sandboxes.created] == [["pytest -q"]]


async def test_session_state_persists_across_calls_and_close_ends_it(
    client: Client, sandboxes: FakeSandboxes
) -> None:
    first = await call(
        client, "run_terminal_task", query="$ cd /tmp && export KEPT=kept-value", session_id="keep"
    )
    assert not first.is_error, text_of(first)
    second = await call(client, "run_terminal_task", query='$ echo "$KEPT $PWD"', session_id="keep")
    assert second.structured_content is not None
    log = text_of(await call(client, "read_task_log", task_id=second.structured_content["task_id"]))
    assert "kept-value /tmp" in log
    assert [s.id for s in sandboxes.sessions()] == ["keep"]
    closed = await call(client, "close_session", session_id="keep")
    assert not closed.is_error, text_of(closed)
    assert sandboxes.sessions() == []


async def test_cancel_task_kills_the_running_command(
    client: Client, sandboxes: FakeSandboxes
) -> None:
    started = await call(client, "run_terminal_task", query="$ sleep 302", wait_seconds=0.5)
    assert started.structured_content is not None
    assert started.structured_content["status"] in ("queued", "running")
    (session,) = sandboxes.created
    assert session.processes() == ["sleep 302"]
    cancelled = await call(client, "cancel_task", task_id=started.structured_content["task_id"])
    assert cancelled.structured_content is not None
    assert cancelled.structured_content["status"] == "cancelled"
    assert session.processes() == []
    assert session.closed


async def test_refusals_are_tool_errors_and_run_nothing(
    client: Client, sandboxes: FakeSandboxes
) -> None:
    for arguments, expected in [
        ({"query": "$ true", "workdir": "/"}, "is not allowed"),
        ({"query": "$ true", "session_id": "../x"}, "is not valid"),
    ]:
        result = await call(client, "run_terminal_task", **arguments)
        assert result.is_error
        assert expected in text_of(result)
        assert "Traceback" not in text_of(result)
    assert sandboxes.created == []


async def test_sixteen_parallel_tasks_get_their_own_sessions(
    client: Client, sandboxes: FakeSandboxes
) -> None:
    results: dict[int, CallToolResult] = {}

    async def one(i: int) -> None:
        results[i] = await call(
            client, "run_terminal_task", query=f"$ echo marker-{i}", wait_seconds=60
        )

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for i in range(16):
                tg.start_soon(one, i)
    for i, result in results.items():
        assert result.structured_content is not None, text_of(result)
        assert result.structured_content["status"] == "completed"
        log = text_of(
            await call(client, "read_task_log", task_id=result.structured_content["task_id"])
        )
        assert f"marker-{i}\n" in log
        assert sum(f"marker-{j}\n" in log for j in range(16)) == 1
    assert len(sandboxes.created) == 16
