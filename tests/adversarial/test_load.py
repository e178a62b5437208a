"""Load: 32 concurrent tasks from 4 clients over streamable HTTP, scripted model, real sandboxes.

Each task echoes a unique token; the model (a reactive endpoint on loopback) answers with the
token it saw in the output, so a result returned to the wrong caller or mixed with another
task's shows. The short form runs about 20 s; ``--adversarial-full`` runs 2 minutes.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from server.support import containers_of, server_env
from support.scripted_openai_server import Reply, text, tool_call

from .conftest import Figure
from .support import (
    ReactiveOpenAIServer,
    ServerProcess,
    process_figures,
    tool_outputs,
    user_query,
)

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

CLIENTS = 4
PER_CLIENT = 8


def echo_model(body: dict[str, Any]) -> Reply:
    """Turn 1: echo the token the query names; turn 2: answer with the token seen."""
    token = user_query(body).split()[-1]
    outputs = tool_outputs(body)
    if not outputs:
        return tool_call(f"echo {token}")
    seen = [w for w in outputs[-1].split() if w.startswith("tok-")]
    return text(f"<final_answer>\nCommand: echo\nSummary: saw {' '.join(seen)}\n</final_answer>")


@pytest.mark.check("load", "32-concurrent-tasks-4-http-clients")
async def test_concurrent_load(tmp_path: Path, full_run: bool, figure: Figure) -> None:
    duration = 120.0 if full_run else 20.0
    root = tmp_path / "project"
    root.mkdir()
    with ReactiveOpenAIServer(echo_model) as model:
        env = server_env(
            root,
            TERMINUS_BACKEND="openai",
            TERMINUS_BASE_URL=model.base_url,
            TERMINUS_MODEL=model.model,
            TERMINUS_MAX_CONCURRENT_TASKS="8",
            TERMINUS_MAX_QUEUED_TASKS="32",
            TERMINUS_LOG_LEVEL="warning",
        )
        server = ServerProcess(root, env)
        try:
            server.wait_healthy()
            latencies: list[float] = []
            errors: list[str] = []
            done = 0

            async def worker(client: Client, deadline: float) -> None:
                nonlocal done
                while time.monotonic() < deadline:
                    token = "tok-" + secrets.token_hex(8)
                    started = time.monotonic()
                    result = await client.call_tool(
                        "run_terminal_task",
                        {"query": f"echo the token {token}", "wait_seconds": 300},
                    )
                    latencies.append(time.monotonic() - started)
                    outcome = result.structured_content or {}
                    if result.is_error or outcome.get("status") != "completed":
                        errors.append(f"{outcome.get('status')}: {str(result.content)[:200]}")
                    elif f"saw {token}\n" not in outcome.get("answer", "") + "\n":
                        errors.append(f"wrong answer for {token}: {outcome.get('answer')!r}")
                    else:
                        done += 1

            async def run_clients(seconds: float) -> None:
                deadline = time.monotonic() + seconds
                async with anyio.create_task_group() as tg:
                    for _ in range(CLIENTS):
                        client = Client(server.base + "/mcp", read_timeout_seconds=600)
                        await tg.start(_client_session, client, deadline, worker)

            await run_clients(5)  # warm-up at full width: fills thread and connection pools
            before = process_figures(server.pid)
            warm_done, warm_latencies = done, len(latencies)
            started = time.monotonic()
            await run_clients(duration)
            elapsed = time.monotonic() - started
            # Sockets of the last calls close asynchronously: a leak never settles, those do.
            settle = time.monotonic()
            while time.monotonic() - settle < 20:
                after = process_figures(server.pid)
                if after.fds <= before.fds + 4 and after.threads <= before.threads + 4:
                    break
                await anyio.sleep(1)
            settled = time.monotonic() - settle
            fd_kinds = _fd_kinds(server.pid)
            left = containers_of(server.pid)
        finally:
            server.stop()
    tasks = done - warm_done
    measured = latencies[warm_latencies:]
    p95 = sorted(measured)[int(len(measured) * 0.95) - 1]
    figure.count(0)
    figure.note(
        f"{tasks} tasks in {elapsed:.0f} s ({tasks / elapsed:.1f}/s), {len(errors)} errors, "
        f"answers checked against their own tokens; latency median "
        f"{statistics.median(measured):.1f} s, p95 "
        f"{p95:.1f} s (8 run at once, rest queued); server RSS {before.rss_mib:.0f} -> "
        f"{after.rss_mib:.0f} MiB, fds {before.fds} -> {after.fds}, threads "
        f"{before.threads} -> {after.threads} (after {settled:.0f} s to settle; fds: {fd_kinds}); "
        f"containers left: {len(left)}"
    )
    assert errors == [], errors[:5]
    assert left == [], f"containers left while idle: {left}"
    assert containers_of(server.pid) == []
    assert after.fds <= before.fds + 4, (before, after, fd_kinds)
    assert after.threads <= before.threads + 4, (before, after)


def _fd_kinds(pid: int) -> dict[str, int]:
    """What the process's descriptors point at (socket, pipe, anon_inode, file), counted."""
    kinds: dict[str, int] = {}
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":" in target else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


async def _client_session(
    client: Client,
    deadline: float,
    worker: Any,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    async with client, anyio.create_task_group() as tg:
        task_status.started()
        for _ in range(PER_CLIENT):
            tg.start_soon(worker, client, deadline)
