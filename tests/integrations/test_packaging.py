"""The Claude Code plugin, the marketplace, the Gemini CLI extension and the pasteable snippets.

Manifests are checked against the required keys of each schema (Claude Code plugins reference
and marketplace reference; Gemini CLI extension reference), and the server command each one
declares is started for real over stdio with the MCP SDK's own client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from terminus_mcp.integrations.instructions import delegation_instructions
from terminus_mcp.integrations.snippets import all_snippets

ROOT = Path(__file__).resolve().parents[2]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+].+)?$")
TOOLS = {"run_terminal_task", "get_task_result", "cancel_task", "read_task_log", "close_session"}


def manifest(relative: str) -> dict[str, Any]:
    data = json.loads((ROOT / relative).read_text())
    assert isinstance(data, dict)
    return data


def project_version() -> str:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert isinstance(version, str)
    return version


def test_plugin_manifest() -> None:
    plugin = manifest(".claude-plugin/plugin.json")
    assert KEBAB.match(plugin["name"])
    assert plugin["version"] == project_version()
    assert isinstance(plugin["description"], str)
    assert isinstance(plugin["author"]["name"], str)
    server = plugin["mcpServers"]["terminus"]
    assert server["command"].startswith("${CLAUDE_PLUGIN_ROOT}/")
    launcher = ROOT / server["command"].removeprefix("${CLAUDE_PLUGIN_ROOT}/")
    assert launcher.is_file()
    assert os.access(launcher, os.X_OK)
    skill = ROOT / plugin["skills"] / "delegate-terminal-work" / "SKILL.md"
    text = skill.read_text()
    front = re.match(r"^---\nname: ([a-z0-9-]+)\ndescription: (.+)\n---\n\n", text)
    assert front is not None
    assert front.group(1) == "delegate-terminal-work"
    assert text[front.end() :] == delegation_instructions()


def test_marketplace_manifest() -> None:
    market = manifest(".claude-plugin/marketplace.json")
    plugin = manifest(".claude-plugin/plugin.json")
    assert KEBAB.match(market["name"])
    assert isinstance(market["owner"]["name"], str)
    [entry] = market["plugins"]
    assert entry["name"] == plugin["name"]
    assert entry["version"] == plugin["version"]
    source = (ROOT / ".claude-plugin" / ".." / entry["source"]).resolve()
    assert (source / ".claude-plugin" / "plugin.json").is_file()


def test_gemini_extension_manifest() -> None:
    extension = manifest("gemini-extension.json")
    assert extension["name"] == "terminus-mcp"
    assert extension["version"] == project_version()
    assert (ROOT / extension["contextFileName"]).read_text() == delegation_instructions()
    server = extension["mcpServers"]["terminus"]
    assert server["timeout"] >= 120_000
    launcher = expand_gemini(server["command"])
    assert Path(launcher).is_file()


def expand_gemini(value: str) -> str:
    return value.replace("${extensionPath}", str(ROOT)).replace("${/}", os.sep)


def expand_claude(value: str) -> str:
    return value.replace("${CLAUDE_PLUGIN_ROOT}", str(ROOT))


def declared_servers() -> list[tuple[str, str, list[str]]]:
    plugin = manifest(".claude-plugin/plugin.json")["mcpServers"]["terminus"]
    gemini = manifest("gemini-extension.json")["mcpServers"]["terminus"]
    return [
        ("claude-plugin", expand_claude(plugin["command"]), plugin["args"]),
        ("gemini-extension", expand_gemini(gemini["command"]), gemini["args"]),
    ]


@pytest.mark.parametrize(("origin", "command", "args"), declared_servers())
def test_declared_server_command_starts_and_lists_the_tools(
    origin: str, command: str, args: list[str], tmp_path: Path
) -> None:
    assert (ROOT / ".venv" / "bin" / "terminus-mcp").is_file(), (
        "the launcher's first choice is the checkout's .venv; run `make bootstrap` first"
    )
    env = {
        **os.environ,
        "TERMINUS_BACKEND": "direct",
        "TERMINUS_STATE_DIR": str(tmp_path / "state"),
    }

    async def check() -> None:
        params = StdioServerParameters(command=command, args=args, env=env, cwd=str(tmp_path))
        with anyio.fail_after(60):
            async with Client(params) as client:
                assert client.server_info is not None
                assert "run_terminal_task" in (client.instructions or "")
                listed = await client.list_tools()
                assert {tool.name for tool in listed.tools} == TOOLS

    anyio.run(check)


def test_launcher_without_any_terminus_mcp_explains_the_fix(tmp_path: Path) -> None:
    # A copy of the launcher in a checkout without .venv, with a PATH that has bash but neither
    # terminus-mcp nor uvx: it must fail with a fix on stderr and keep stdout clean.
    launcher = tmp_path / "checkout" / "integrations" / "launch" / "terminus-serve"
    launcher.parent.mkdir(parents=True)
    shutil.copy2(ROOT / "integrations" / "launch" / "terminus-serve", launcher)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "cat"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    done = subprocess.run(
        [str(bin_dir / "bash"), str(launcher)],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 127
    assert done.stdout == ""
    assert "make bootstrap" in done.stderr
    assert str(tmp_path / "checkout") in done.stderr


def test_pasteable_snippets_match_the_client_specs() -> None:
    folder = ROOT / "integrations" / "clients"
    committed = {path.name: path.read_text() for path in folder.iterdir() if path.is_file()}
    expected = all_snippets()
    assert committed == expected, (
        "integrations/clients/ is stale: run "
        f"`{sys.executable} -m terminus_mcp.integrations.snippets integrations/clients`"
    )
    for name, text in expected.items():
        data = tomllib.loads(text) if name.endswith(".toml") else json.loads(text)
        assert data
