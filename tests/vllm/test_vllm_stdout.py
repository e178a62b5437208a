"""Starting the in-process engine writes nothing on stdout (the MCP stdio stream), and the
``serve-model`` command prints the right ``vllm serve`` line."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from support.tiny_qwen import COMMAND, QUERY, loop_tiny_qwen

from terminus_mcp.cli.main import main

pytestmark = [pytest.mark.vllm]

_SCRIPT = """
import sys, anyio
from terminus_mcp.agent.contract import RUN_IN_TERMINAL, system_message, task_message
from terminus_mcp.models.vllm_backend import VllmBackend
from terminus_mcp.settings import Settings

async def turn() -> None:
    backend = VllmBackend(Settings(model=sys.argv[1], context_window=4096))
    try:
        reply = await backend.complete(
            [system_message(), task_message(sys.argv[2])], [RUN_IN_TERMINAL],
            temperature=0.0, max_tokens=128,
        )
    finally:
        await backend.aclose()
    sys.stderr.write("COMMAND=" + reply.tool_calls[0].arguments["command"] + "\\n")

anyio.run(turn)
"""


def test_engine_start_and_a_turn_leave_stdout_empty(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    model_dir = loop_tiny_qwen(tmp_path_factory.getbasetemp())
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(model_dir), QUERY],
        capture_output=True,
        timeout=300,
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 0, stderr[-4000:]
    assert f"COMMAND={COMMAND}" in stderr  # the engine really ran
    assert "EngineCore" in stderr  # and vLLM's own log went to stderr
    assert done.stdout == b"", done.stdout[:2000]
    assert "Traceback" not in stderr, stderr[-4000:]  # clean shutdown, no __del__ noise


def test_serve_model_prints_the_vllm_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["serve-model", "--print", "--model", "/models/terminus-4b", "--port", "8123"])
    out, err = capsys.readouterr()
    assert status == 0
    argv = shlex.split(out.strip())
    assert argv[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    flags = " ".join(argv[3:])
    assert "--model /models/terminus-4b" in flags
    assert "--served-model-name /models/terminus-4b" in flags
    assert "--enable-auto-tool-choice --tool-call-parser hermes" in flags
    assert "--reasoning-parser" not in flags  # Qwen3-4B-Instruct-2507 does not think
    assert "--enable-prefix-caching" in flags
    assert "--max-model-len 32768" in flags
    assert "--host 127.0.0.1 --port 8123" in flags
    assert "TERMINUS_BASE_URL=http://127.0.0.1:8123/v1" in err
    assert "TERMINUS_MODEL=/models/terminus-4b" in err


def test_serve_model_passes_extra_flags(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    main(["serve-model", "--print", "--", "--gpu-memory-utilization", "0.85"])
    out, _ = capsys.readouterr()
    assert shlex.split(out)[-2:] == ["--gpu-memory-utilization", "0.85"]
    assert "Qwen/Qwen3-4B-Instruct-2507" in out
