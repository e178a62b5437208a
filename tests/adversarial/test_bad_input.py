"""Bad MCP input: property-based tool arguments and oversized requests.

Every call must come back as a tool error or a protocol error (or a valid answer), within a
bound, and the server must still serve a normal call afterwards. In-process ``Client`` for
speed, plus a few examples and the oversized bodies over streamable HTTP.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from server.support import containers_of, direct_settings

from terminus_mcp.server import build_server

from .conftest import Figure
from .support import http_server_process

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

TOOLS = ["run_terminal_task", "get_task_result", "cancel_task", "read_task_log", "close_session"]
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.just(""),
    st.just("x" * 200_000),
    st.sampled_from(["\x00", "\u202e../../etc", "t-" + "0" * 12, "🦀" * 500, "\udcff", "%s%n"]),
)
ODD_VALUE = st.one_of(
    ODD_TEXT,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
FIELDS = [
    "query",
    "workdir",
    "session_id",
    "wait_seconds",
    "task_id",
    "command_index",
    "offset",
    "limit",
    "description",
    "unknown_field",
]
ARGUMENTS = st.dictionaries(st.sampled_from(FIELDS), ODD_VALUE, max_size=5)


def _safe(arguments: dict[str, Any]) -> dict[str, Any]:
    """Keep a valid query from starting a long task: it may start, but waits 0 s."""
    wait = arguments.get("wait_seconds")
    if isinstance(wait, float | int) and not isinstance(wait, bool) and 0 <= wait <= 3600:
        arguments["wait_seconds"] = 0
    return arguments


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    """One call; returns how it was answered. Never more than 60 s."""
    with anyio.fail_after(60):
        try:
            result = await client.call_tool(tool, arguments)
        except MCPError:
            return "protocol error"
    outcome = result.structured_content or {}
    task_id = outcome.get("task_id")
    if task_id and outcome.get("status") in ("queued", "running"):
        await client.call_tool("cancel_task", {"task_id": task_id})
    return "tool error" if result.is_error else "answer"


@pytest.fixture
async def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    config = direct_settings(tmp_path, max_concurrent_tasks=2, max_queued_tasks=4)
    async with Client(build_server(config)) as connected:
        yield connected
    assert containers_of(os.getpid()) == []


@pytest.mark.check("input", "hypothesis-tool-arguments-in-process")
async def test_fuzzed_arguments_in_process(client: Client, figure: Figure) -> None:
    answers: dict[str, int] = {}
    calls_made: list[tuple[str, dict[str, Any]]] = []

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(tool=st.sampled_from(TOOLS), arguments=ARGUMENTS)
    def collect(tool: str, arguments: dict[str, Any]) -> None:
        calls_made.append((tool, _safe(arguments)))

    collect()
    for tool, arguments in calls_made:
        kind = await _call(client, tool, arguments)
        answers[kind] = answers.get(kind, 0) + 1
    still = await client.call_tool("run_terminal_task", {"query": "$ echo alive"})
    assert still.structured_content is not None
    assert still.structured_content["status"] == "completed"
    figure.count(len(calls_made))
    figure.note(
        f"{len(calls_made)} generated calls: "
        + ", ".join(f"{n} {k}" for k, n in sorted(answers.items()))
        + "; none hung or crashed, a normal task ran after"
    )


@pytest.mark.check("input", "hypothesis-tool-arguments-over-http-and-oversized")
async def test_fuzzed_and_oversized_over_http(tmp_path: Path, figure: Figure) -> None:
    root = tmp_path / "project"
    root.mkdir()
    calls: list[tuple[str, dict[str, Any]]] = []

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(tool=st.sampled_from(TOOLS), arguments=ARGUMENTS)
    def collect(tool: str, arguments: dict[str, Any]) -> None:
        calls.append((tool, _safe(arguments)))

    collect()
    answers: dict[str, int] = {}
    with http_server_process(root) as server:
        async with Client(server.base + "/mcp") as client:
            for tool, arguments in calls:
                kind = await _call(client, tool, arguments)
                answers[kind] = answers.get(kind, 0) + 1
        headers = {"accept": "application/json, text/event-stream"}
        oversized = [
            b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": '
            b'"run_terminal_task", "arguments": {"query": "' + b"A" * (5 * 1024 * 1024) + b'"}}}',
            b"[" + b'{"jsonrpc": "2.0", "id": 1, "method": "ping"},' * 120_000 + b"{}]",
        ]
        codes = []
        async with httpx2.AsyncClient(timeout=60) as http:
            for body in oversized:
                response = await http.post(
                    server.base + "/mcp",
                    content=body,
                    headers={**headers, "content-type": "application/json"},
                )
                codes.append(response.status_code)
            garbage = await http.post(
                server.base + "/mcp",
                content=b"\xff\xfe{not json",
                headers={**headers, "content-type": "application/json"},
            )
            codes.append(garbage.status_code)
        assert codes[:2] == [413, 413], codes
        assert 400 <= codes[2] < 500, codes
        assert server.proc.poll() is None
        async with Client(server.base + "/mcp") as client:
            still = await client.call_tool("run_terminal_task", {"query": "$ echo alive"})
            assert still.structured_content is not None
            assert still.structured_content["status"] == "completed"
    figure.count(len(calls) + 3)
    figure.note(
        f"{len(calls)} generated calls over HTTP: "
        + ", ".join(f"{n} {k}" for k, n in sorted(answers.items()))
        + f"; 5 MiB bodies answered {codes[0]} and {codes[1]}, garbage body {codes[2]}; "
        "server alive and serving after"
    )
