"""``terminus-mcp serve`` as a subprocess over stdio, SSE and streamable HTTP, with real clients.

Every server here runs in direct mode on loopback, and each test checks that the server left no
container behind once it stopped.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from .support import containers_of, free_port, http_server, server_env

pytestmark = [pytest.mark.docker]

SERVE = [sys.executable, "-m", "terminus_mcp", "serve"]
MCP_ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "hello.txt").write_text("hello over the wire\n")
    return root


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def _read_until(proc: subprocess.Popen[bytes], request_id: int, lines: list[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        raw = proc.stdout.readline()
        assert raw, "the server closed stdout before answering"
        line = raw.decode()
        lines.append(line)
        message = json.loads(line)
        if message.get("id") == request_id:
            return dict(message)


def _start_stdio_server(project: Path) -> subprocess.Popen[bytes]:
    """`terminus-mcp serve` over stdio, with pipes for the raw JSON-RPC lines."""
    return subprocess.Popen(
        SERVE,
        cwd=project,
        env=server_env(project.parent),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_stdio_carries_only_protocol_bytes_and_cleans_up(project: Path) -> None:
    proc = _start_stdio_server(project)
    lines: list[str] = []
    try:
        init = _initialize(proc, lines)
        assert "terminus" in init["result"]["instructions"]
        _rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        assert len(_read_until(proc, 2, lines)["result"]["tools"]) == 5
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {
                    "name": "run_terminal_task",
                    "arguments": {"query": "$ cat hello.txt"},
                    "_meta": {"progressToken": "p1"},
                },
            },
        )
        called = _read_until(proc, 3, lines)["result"]
        assert called["isError"] is False
        assert called["structuredContent"]["status"] == "completed"
        rest, stderr = proc.communicate(timeout=60)  # closes stdin: the client went away
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines.extend(rest.decode().splitlines(keepends=True))
    assert proc.returncode == 0, stderr.decode()[-2000:]
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0", line  # nothing but JSON-RPC on stdout
    assert any('"notifications/progress"' in line for line in lines)
    assert containers_of(proc.pid) == []


def _initialize(proc: subprocess.Popen[bytes], lines: list[str]) -> dict[str, Any]:
    _rpc(
        proc,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw-test", "version": "0"},
            },
        },
    )
    init = _read_until(proc, 1, lines)
    _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return init


def test_sigterm_during_a_task_removes_its_container(project: Path) -> None:
    proc = _start_stdio_server(project)
    lines: list[str] = []
    try:
        _initialize(proc, lines)
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "run_terminal_task",
                    "arguments": {"query": "$ sleep 303", "wait_seconds": 3},
                },
            },
        )
        started = _read_until(proc, 2, lines)["result"]["structuredContent"]
        assert started["status"] == "running"
        assert containers_of(proc.pid) != []  # the task's sandbox is up
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert containers_of(proc.pid) == []


@pytest.mark.anyio
async def test_streamable_http_serves_checks_host_and_has_healthz(project: Path) -> None:
    with http_server(project, "http") as base:
        async with Client(base + "/mcp") as client:
            result = await client.call_tool("run_terminal_task", {"query": "$ cat hello.txt"})
            assert result.structured_content is not None
            assert result.structured_content["status"] == "completed"
        health = httpx2.get(base + "/healthz")
        assert (health.status_code, health.text) == (200, "ok")
        evil = httpx2.post(base + "/mcp", json={}, headers={**MCP_ACCEPT, "host": "evil.example"})
        assert evil.status_code == 421


@pytest.mark.anyio
async def test_sse_serves_legacy_clients(project: Path) -> None:
    with http_server(project, "sse") as base:
        async with Client(sse_client(base + "/sse"), mode="legacy") as client:
            result = await client.call_tool("run_terminal_task", {"query": "$ cat hello.txt"})
            assert result.structured_content is not None
            assert result.structured_content["status"] == "completed"


@pytest.mark.anyio
async def test_http_token_is_required_when_configured(project: Path) -> None:
    env = server_env(project.parent, TERMINUS_AUTH_TOKEN="t0ken-for-tests")
    with http_server(project, "http", env=env) as base:
        for headers in ({}, {"authorization": "Bearer wrong"}):
            denied = httpx2.post(base + "/mcp", json={}, headers={**MCP_ACCEPT, **headers})
            assert denied.status_code == 401
        assert httpx2.get(base + "/healthz").text == "ok"  # health needs no token
        assert httpx2.get(base + "/.well-known/oauth-protected-resource/mcp").status_code == 404
        auth = {"Authorization": "Bearer t0ken-for-tests"}
        async with (
            httpx2.AsyncClient(headers=auth) as http,
            Client(streamable_http_client(base + "/mcp", http_client=http)) as client,
        ):
            tools = await client.list_tools()
            assert len(tools.tools) == 5


def test_non_loopback_bind_without_token_refuses_to_start(project: Path) -> None:
    done = subprocess.run(
        [*SERVE, "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=project,
        env=server_env(project.parent),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "without an auth token" in done.stderr
    assert "TERMINUS_AUTH_TOKEN" in done.stderr
    assert done.stdout == ""


def test_official_inspector_cli_lists_and_calls(project: Path) -> None:
    npx = shutil.which("npx")
    assert npx, "npx (Node 20+) is needed for the MCP Inspector test"
    inspector = [npx, "-y", "@modelcontextprotocol/inspector@2.12.0", "--cli"]
    env = server_env(project.parent)
    server = [*SERVE]
    listed = subprocess.run(
        [*inspector, *server, "--method", "tools/list"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = [t["name"] for t in json.loads(listed.stdout)["tools"]]
    assert "run_terminal_task" in names
    called = subprocess.run(
        [
            *inspector,
            *server,
            "--method",
            "tools/call",
            "--tool-name",
            "run_terminal_task",
            "--tool-arg",
            "query=$ cat hello.txt",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert called.returncode == 0, called.stderr[-2000:]
    body = json.loads(called.stdout)
    assert body.get("isError") is not True, body
    assert body["structuredContent"]["status"] == "completed"
