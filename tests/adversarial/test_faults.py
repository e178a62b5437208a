"""Faults: the container killed from outside, the model endpoint down, slow or answering
garbage, the server SIGKILLed and restarted, the client gone mid-task, the engine restarted.

Every case must end in a clear status within a bound, never a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import anyio
import docker
import pytest
from conftest import openai_settings, sandbox_settings
from mcp import Client
from server.support import containers_of, free_port, server_env
from support.scripted_openai_server import (
    Delay,
    ScriptedOpenAIServer,
    text,
    tool_call,
)

from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.sandbox.api import SessionEvent, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

from .conftest import Figure
from .support import ReactiveOpenAIServer, ServerProcess, http_server_process, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

FINAL = "<final_answer>\nCommand: sleep\nSummary: the container went away.\n</final_answer>"


@pytest.mark.check("fault", "container-killed-mid-command")
async def test_container_killed_mid_command(
    workspace: Path,
    sandbox_manager: SandboxManager,
    docker_client: docker.DockerClient,
    figure: Figure,
) -> None:
    script = [tool_call("sleep 120"), text(FINAL)]
    with ScriptedOpenAIServer(script) as server:
        settings = openai_settings(
            workspace, server.base_url, request_retries=0, request_timeout_s=2
        )
        async with TerminusService(settings, sandboxes=sandbox_manager) as service:

            async def kill_soon() -> None:
                await anyio.sleep(1.5)
                owner = f"org.terminus-mcp.owner={sandbox_manager.instance_id}"
                for container in docker_client.containers.list(filters={"label": owner}):
                    if "sleep 120" in str(container.top()["Processes"]):
                        container.kill()

            started = time.monotonic()
            async with anyio.create_task_group() as tg:
                tg.start_soon(kill_soon)
                with anyio.fail_after(60):
                    result = await service.run_task(TaskRequest(query="run", workdir=workspace))
            took = time.monotonic() - started
    assert result.status is TaskStatus.COMPLETED, result
    assert result.commands[0].exit_code is None
    assert result.commands[0].event == "container_gone", result.commands[0]
    seen = [m["content"] for m in server.requests[1]["messages"] if m["role"] == "tool"]
    assert "container" in seen[0], seen
    figure.note(
        f"killed 1.5 s into 'sleep 120': reported as {result.commands[0].event} to the model, task "
        f"completed with its answer in {took:.1f} s"
    )


@pytest.mark.check("fault", "model-endpoint-down")
async def test_endpoint_down(
    workspace: Path, sandbox_manager: SandboxManager, figure: Figure
) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    settings = openai_settings(workspace, base, request_retries=0, request_timeout_s=2)
    started = time.monotonic()
    async with TerminusService(settings, sandboxes=sandbox_manager) as service:
        with anyio.fail_after(60):
            result = await service.run_task(TaskRequest(query="run", workdir=workspace))
    took = time.monotonic() - started
    assert result.status is TaskStatus.FAILED, result
    assert result.error, result
    figure.note(f"status failed in {took:.1f} s: {result.error[:90]}")


@pytest.mark.check("fault", "model-endpoint-slow")
async def test_endpoint_slow(
    workspace: Path, sandbox_manager: SandboxManager, figure: Figure
) -> None:
    with ScriptedOpenAIServer([Delay(20, text(FINAL))]) as server:
        settings = openai_settings(
            workspace, server.base_url, request_retries=0, request_timeout_s=1
        )
        started = time.monotonic()
        async with TerminusService(settings, sandboxes=sandbox_manager) as service:
            with anyio.fail_after(30):
                result = await service.run_task(TaskRequest(query="run", workdir=workspace))
        took = time.monotonic() - started
    assert result.status is TaskStatus.FAILED, result
    assert took < 20
    figure.note(f"20 s reply vs 1 s request timeout: failed in {took:.1f} s: {result.error}")


GARBAGE_BODIES: list[Any] = [
    b"\x00\xffnot json at all",
    b'{"id": "x", "object": "chat.completion"}',
    b'{"choices": []}',
    b'{"choices": [{"index": 0, "message": {"role": "assistant"}, "finish_reason": "stop"}]}',
    b'{"choices": [{"message": {"role": "assistant", "content": 42}}]}',
    (200, b'{"choices": [{"message": {"role": "assistant", "content": "' + b"A" * 300_000 + b'"'),
    (500, b"<html>Internal Server Error</html>"),
]


@pytest.mark.check("fault", "model-endpoint-garbage")
async def test_endpoint_garbage(
    workspace: Path, sandbox_manager: SandboxManager, figure: Figure
) -> None:
    statuses: list[str] = []
    for body in GARBAGE_BODIES:
        with ReactiveOpenAIServer(lambda _request, body=body: body) as server:
            settings = openai_settings(
                workspace, server.base_url, request_retries=0, request_timeout_s=2
            )
            async with TerminusService(settings, sandboxes=sandbox_manager) as service:
                with anyio.fail_after(60):
                    result = await service.run_task(TaskRequest(query="run", workdir=workspace))
        assert result.status in (TaskStatus.FAILED, TaskStatus.INCOMPLETE), (body, result)
        assert result.answer, result
        statuses.append(result.status.value)
    figure.note(
        f"{len(GARBAGE_BODIES)} garbage answers (non-JSON, no choices, empty message, wrong "
        f"types, truncated 300 KB, HTML 500) each ended clearly: {', '.join(statuses)}"
    )


@pytest.mark.check("fault", "server-sigkill-and-restart")
async def test_server_sigkill_and_restart(
    tmp_path: Path, docker_client: docker.DockerClient, figure: Figure
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    first = ServerProcess(root, server_env(root))
    try:
        first.wait_healthy()
        async with Client(first.base + "/mcp") as client:
            started = await client.call_tool(
                "run_terminal_task", {"query": "$ sleep 300", "wait_seconds": 2}
            )
            assert started.structured_content is not None
            assert started.structured_content["status"] == "running"
        orphans = containers_of(first.pid)
        assert orphans, "the task's container should be up"
    finally:
        if first.proc.poll() is None:
            first.kill()
    assert containers_of(first.pid) == orphans  # SIGKILL: nothing cleaned up
    with http_server_process(root) as second:
        reaped = wait_until(lambda: containers_of(first.pid) == [], 30)
        async with Client(second.base + "/mcp") as client:
            again = await client.call_tool("run_terminal_task", {"query": "$ echo back"})
            assert again.structured_content is not None
            assert again.structured_content["status"] == "completed"
    figure.note(
        f"SIGKILL left {len(orphans)} container(s); the restarted server reaped them "
        f"(gone {reaped:.1f} s after it answered /healthz) and ran a task; nothing left"
    )


async def _disconnect_mid_task(base: str, query: str) -> str:
    """Start a task, learn its id, then wait on it and drop the connection mid-wait."""
    async with Client(base + "/mcp") as client:
        started = await client.call_tool("run_terminal_task", {"query": query, "wait_seconds": 1})
        assert started.structured_content is not None
        task_id = str(started.structured_content["task_id"])
    async with Client(base + "/mcp") as client:
        with anyio.move_on_after(2):
            await client.call_tool("get_task_result", {"task_id": task_id, "wait_seconds": 60})
    return task_id


@pytest.mark.check("fault", "client-disconnect-cancels")
async def test_client_disconnect_cancels(tmp_path: Path, figure: Figure) -> None:
    root = tmp_path / "project"
    root.mkdir()
    with http_server_process(root, TERMINUS_CANCEL_ON_DISCONNECT="true") as server:
        task_id = await _disconnect_mid_task(server.base, "$ sleep 300")
        gone = wait_until(lambda: containers_of(server.pid) == [], 60)
        async with Client(server.base + "/mcp") as client:
            final = await client.call_tool("get_task_result", {"task_id": task_id})
        assert final.structured_content is not None
        assert final.structured_content["status"] == "cancelled", final.structured_content
    figure.note(
        f"cancel_on_disconnect=true: the task was cancelled and its container removed "
        f"{gone:.1f} s after the client dropped mid-wait"
    )


@pytest.mark.check("fault", "client-disconnect-keeps")
async def test_client_disconnect_keeps(tmp_path: Path, figure: Figure) -> None:
    root = tmp_path / "project"
    root.mkdir()
    with http_server_process(root, TERMINUS_CANCEL_ON_DISCONNECT="false") as server:
        task_id = await _disconnect_mid_task(server.base, "$ sleep 4 && echo kept-running")
        async with Client(server.base + "/mcp") as client:
            final = await client.call_tool(
                "get_task_result", {"task_id": task_id, "wait_seconds": 60}
            )
            assert final.structured_content is not None
            assert final.structured_content["status"] == "completed", final.structured_content
            log = await client.call_tool("read_task_log", {"task_id": task_id})
        assert "kept-running" in json.dumps(log.model_dump(mode="json"))
        wait_until(lambda: containers_of(server.pid) == [], 30)
    figure.note(
        "cancel_on_disconnect=false: the task kept running after the client dropped, a new "
        "client collected its result; container removed"
    )


@pytest.mark.disruptive
@pytest.mark.check("fault", "docker-daemon-restarted-mid-task")
async def test_docker_daemon_restart(
    workspace: Path, docker_client: docker.DockerClient, figure: Figure
) -> None:
    """Restarts the real dockerd (same arguments) while a command runs. Opt-in only."""
    found = await anyio.run_process(["pgrep", "-xa", "dockerd"], check=False)
    assert found.returncode == 0, "no dockerd process to restart"
    pid, *argv = found.stdout.decode().split("\n")[0].split()
    # Restart it as it was started: not with this test process's environment (vLLM sets
    # LD_PRELOAD in it, which a daemon must not inherit) nor its working directory.
    environ = _process_environ(int(pid))
    settings = sandbox_settings(workspace.parent)
    async with SandboxManager(settings) as manager:
        session = await manager.create(SessionSpec(workdir=workspace))

        async def restart() -> None:
            await anyio.sleep(1.5)
            os.kill(int(pid), 15)
            await anyio.to_thread.run_sync(lambda: wait_until(lambda: not _alive(int(pid)), 60))
            await anyio.to_thread.run_sync(_start_dockerd, argv, environ)

        started = time.monotonic()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(restart)
                with anyio.fail_after(120):
                    during = await session.run("sleep 60", timeout_s=90)
        finally:
            # Whatever happened above, leave a running engine behind for everything else.
            with anyio.CancelScope(shield=True):
                answers = await anyio.to_thread.run_sync(_docker_answers)
                if not answers and not _alive(int(pid)):
                    await anyio.to_thread.run_sync(_start_dockerd, argv, environ)
                await anyio.to_thread.run_sync(lambda: wait_until(_docker_answers, 60, 0.5))
        with anyio.fail_after(120):
            after = await session.run("echo after-restart", timeout_s=30)
        took = time.monotonic() - started
    assert during.exit_code is None, during
    assert during.event is SessionEvent.CONTAINER_GONE, during
    assert after.output == "after-restart\n", after
    figure.note(
        f"dockerd restarted 1.5 s into 'sleep 60': reported as {during.event.value}; the next "
        f"command ran in a fresh container; {took:.1f} s in all"
    )


def _start_dockerd(argv: list[str], environ: dict[str, str]) -> None:
    """Start dockerd again with its old arguments and environment, detached, from ``/``."""
    with open("/tmp/dockerd-adversarial.log", "ab") as log:
        subprocess.Popen(argv, stdout=log, stderr=log, env=environ, cwd="/", start_new_session=True)


def _process_environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode()
    return dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _docker_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0
