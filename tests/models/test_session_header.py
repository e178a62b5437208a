"""One session key per task on the wire: the openai backend sends it in a configurable header, so
a router in front of several replicas keeps all of a task's turns on one prefix cache.

Real parts: the service, the openai SDK and its HTTP, Docker sandboxes; the endpoint is the
scripted OpenAI-compatible server on loopback, which records each request's headers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import openai_settings
from support.scripted_openai_server import ScriptedOpenAIServer, text, tool_call

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.models.session_key import current_session_key, model_session
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

FINAL = "<final_answer>\nCommand: echo hi\nSummary: printed hi.\n</final_answer>"


def _script() -> list[Any]:
    return [tool_call("echo hi", 30000), text(FINAL)]


async def _two_tasks(
    workspace: Path, sandboxes: SandboxManager, server: ScriptedOpenAIServer, **overrides: Any
) -> list[TaskResult]:
    settings = openai_settings(workspace, server.base_url, **overrides)
    async with TerminusService(settings, sandboxes=sandboxes) as service:
        return [
            await service.run_task(TaskRequest(query="run echo hi", workdir=workspace))
            for _ in range(2)
        ]


@pytest.mark.anyio
@pytest.mark.docker
async def test_each_task_sends_its_own_key_on_every_turn(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer(_script() + _script()) as server:
        results = await _two_tasks(workspace, sandbox_manager, server)

    assert [r.status for r in results] == [TaskStatus.COMPLETED, TaskStatus.COMPLETED]
    assert len(server.headers) == 4
    keys = [headers.get("x-session-id") for headers in server.headers]
    assert all(keys), f"a request went without the default header: {server.headers}"
    assert keys[0] == keys[1], "one task's turns carried different keys"
    assert keys[2] == keys[3]
    assert keys[0] != keys[2], "two tasks shared a key"
    assert keys[0] == results[0].transcript_id
    assert keys[2] == results[1].transcript_id


@pytest.mark.anyio
@pytest.mark.docker
async def test_header_name_is_a_setting_and_empty_turns_it_off(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    with ScriptedOpenAIServer(_script()) as server:
        settings = openai_settings(workspace, server.base_url, session_header="x-affinity-key")
        async with TerminusService(settings, sandboxes=sandbox_manager) as service:
            result = await service.run_task(TaskRequest(query="run echo hi", workdir=workspace))
    assert result.status is TaskStatus.COMPLETED
    assert [h.get("x-affinity-key") for h in server.headers] == [result.transcript_id] * 2
    assert all("x-session-id" not in h for h in server.headers)

    with ScriptedOpenAIServer(_script()) as server:
        settings = openai_settings(workspace, server.base_url, session_header="")
        async with TerminusService(settings, sandboxes=sandbox_manager) as service:
            result = await service.run_task(TaskRequest(query="run echo hi", workdir=workspace))
    assert result.status is TaskStatus.COMPLETED
    assert len(server.headers) == 2
    assert all("x-session-id" not in h for h in server.headers)


@pytest.mark.anyio
async def test_concurrent_sessions_do_not_see_each_others_key() -> None:
    seen: dict[str, list[str | None]] = {"a": [], "b": []}

    async def task(key: str) -> None:
        with model_session(key):
            for _ in range(3):
                seen[key].append(current_session_key())
                await anyio.sleep(0.01)

    async with anyio.create_task_group() as group:
        group.start_soon(task, "a")
        group.start_soon(task, "b")
    assert seen == {"a": ["a"] * 3, "b": ["b"] * 3}
    assert current_session_key() is None


def test_a_header_name_with_spaces_is_refused() -> None:
    from terminus_mcp.errors import ConfigError
    from terminus_mcp.settings import load_settings

    with pytest.raises(ConfigError, match="session_header"):
        load_settings({"session_header": "x session"})
