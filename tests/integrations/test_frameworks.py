"""The agent-framework examples, run against the real server in direct mode (no model needed).

Each example connects through its framework's own MCP wrapper, over stdio (the example starts
`terminus-mcp serve`) and over streamable HTTP (a server started here on a loopback port), and
makes one `run_terminal_task` call that runs pytest in a real sandbox.

Only frameworks that install next to terminus-mcp's mcp 2.x are here: the OpenAI Agents SDK and
Pydantic AI. LangChain (langchain-mcp-adapters), LlamaIndex and smolagents cannot share this
environment; docs/integrations.md says why, and their examples say how to run them.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ROOT / "integrations" / "frameworks"
SERVER = ROOT / ".venv" / "bin" / "terminus-mcp"
EXAMPLES = ["openai_agents_example", "pydantic_ai_example"]
QUERY = "Run `python3 -m pytest -q` and say which tests fail"

pytestmark = pytest.mark.docker


def example(name: str) -> ModuleType:
    if str(FRAMEWORKS) not in sys.path:
        sys.path.insert(0, str(FRAMEWORKS))
    return importlib.import_module(name)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "test_sample.py").write_text(
        "def test_passes():\n    assert 1 == 1\n\n\ndef test_breaks():\n    assert 'a' == 'b'\n"
    )
    return folder


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return {
        "TERMINUS_BACKEND": "direct",
        "TERMINUS_ALLOWED_ROOTS": str(tmp_path),
        "TERMINUS_STATE_DIR": str(tmp_path / "state"),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def http_url(server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(SERVER), "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **server_env},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"terminus-mcp serve exited: {(tmp_path / 'server.log').read_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("terminus-mcp serve did not listen within 30 s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def check_answer(answer: str) -> None:
    assert "python3 -m pytest -q" in answer
    assert "1 failed, 1 passed" in answer
    assert "test_breaks" in answer


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_over_stdio(name: str, project: Path, server_env: dict[str, str]) -> None:
    module = example(name)
    target = module.Target(command=(str(SERVER), "serve"), env=server_env)
    answer = asyncio.run(module.run_task(target, module.Task(QUERY, str(project))))
    check_answer(answer)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_over_http(name: str, project: Path, http_url: str) -> None:
    module = example(name)
    answer = asyncio.run(
        module.run_task(module.Target(url=http_url), module.Task(QUERY, str(project)))
    )
    check_answer(answer)


def test_example_command_line(
    project: Path,
    server_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    module = example("openai_agents_example")
    argv = ["--command", f"{SERVER} serve", "--workdir", str(project), QUERY]
    assert module.main(argv) == 0
    check_answer(capsys.readouterr().out)
