"""Setup through the MCP tool: the usual ``running`` answer past wait_seconds, with the setup
progress as its latest message, then the result."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from mcp import Client

from terminus_mcp.server import build_server
from tests.environments.conftest import env_settings, own

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.docker,
    pytest.mark.usefixtures("remove_what_tests_create"),
]


async def test_first_task_sets_up_and_answers_running_meanwhile(
    workspace: Path, docker_client: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / ".terminus.toml").write_text(
        '[environment]\nsetup = ["sleep 6 && echo set-up > $HOME/state"]\n'
    )
    own(workspace)
    monkeypatch.chdir(workspace)
    settings = env_settings(workspace)
    async with Client(build_server(settings)) as client:
        started = await client.call_tool(
            "run_terminal_task", {"query": "Run `cat $HOME/state`", "wait_seconds": 1}
        )
        outcome = started.structured_content
        assert outcome is not None
        assert outcome["status"] == "running"
        # Polled while setup runs, the running answer names the setup step as its latest news.
        seen: list[str] = []
        while outcome["status"] == "running":
            seen.append(outcome["answer"])
            polled = await client.call_tool(
                "get_task_result", {"task_id": outcome["task_id"], "wait_seconds": 1}
            )
            assert polled.structured_content is not None
            outcome = polled.structured_content
        assert any("Last: setting up: sleep 6 && echo set-up > $HOME/state" in s for s in seen)
        collected = polled
    result = collected.structured_content
    assert result is not None
    assert result["status"] == "completed", result
    assert "set-up" in result["answer"]
