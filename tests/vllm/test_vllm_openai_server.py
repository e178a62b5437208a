"""vLLM's own OpenAI server, started with ``terminus-mcp serve-model``'s command line, driven by
the ``openai`` backend through the real loop: proves the Hermes tool-call wire format end to end
(chat template, hermes parser, the SDK's tool calls, tool results sent back).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import sandbox_settings
from openai import OpenAI
from support.tiny_qwen import COMMAND, QUERY, TIMEOUT_MS, TOOL_NAME, loop_tiny_qwen

from terminus_mcp.agent.contract import RUN_IN_TERMINAL, system_message, task_message
from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.cli.serve_model_cmd import vllm_serve_command
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

pytestmark = [pytest.mark.vllm]

SERVED = "tiny-qwen"
READY_WITHIN_S = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server on a free loopback port; yields its base URL."""
    model_dir = loop_tiny_qwen(tmp_path_factory.getbasetemp())
    port = _free_port()
    command = vllm_serve_command(
        str(model_dir), port=port, served_name=SERVED, max_model_len=4096, python=sys.executable
    )
    command += ["--dtype", "float32", "--enforce-eager"]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_NO_USAGE_STATS": "1"}
    log = tmp_path_factory.getbasetemp() / "vllm-server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"vLLM's server exited ({process.returncode}):\n{log.read_text()[-4000:]}"
                )
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"vLLM's server not ready in {READY_WITHIN_S} s:\n{log.read_text()[-4000:]}"
                )
            time.sleep(1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_first_turn_is_a_native_tool_call(server: str) -> None:
    client = OpenAI(base_url=server, api_key="none")
    response = client.chat.completions.create(
        model=SERVED,
        messages=[
            {"role": "system", "content": system_message().content},
            {"role": "user", "content": task_message(QUERY).content},
        ],
        tools=[RUN_IN_TERMINAL.openai_schema()],  # type: ignore[list-item]
        temperature=0.0,
        max_tokens=200,
    )
    message = response.choices[0].message
    assert message.tool_calls is not None, message
    assert len(message.tool_calls) == 1
    function = message.tool_calls[0].function  # type: ignore[union-attr]
    assert function.name == TOOL_NAME
    assert json.loads(function.arguments) == {"command": COMMAND, "timeout": TIMEOUT_MS}


@pytest.mark.anyio
@pytest.mark.docker
async def test_loop_through_the_openai_backend(
    server: str, workspace: Path, sandbox_manager: SandboxManager
) -> None:
    settings = sandbox_settings(
        workspace.parent,
        backend="openai",
        base_url=server,
        model=SERVED,
        state_dir=str(workspace.parent / ".state-vllm-server"),
    )
    async with TerminusService(settings, sandboxes=sandbox_manager) as service:
        result = await service.run_task(TaskRequest(query=QUERY, workdir=workspace))

    assert result.status == TaskStatus.COMPLETED, result.model_dump_json(indent=1)
    assert [(c.command, c.exit_code) for c in result.commands] == [(COMMAND, 0)]
    assert result.turns == 2
    assert f"Command: {COMMAND}" in result.answer
    assert result.usage.subagent_prompt_tokens > 0
