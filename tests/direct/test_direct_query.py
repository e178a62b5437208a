"""The direct mode reading queries in a real sandbox: code spans are commands when the sandbox
can run their first word; every part of a request is done or listed under "Not done:"; a
question the rules cannot answer ends ``incomplete`` with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import run_direct, task_commands, write_project

from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


@pytest.mark.parametrize(
    ("query", "command", "shown"),
    [
        ("Run `cd src && npm test`", "cd src && npm test", "2 tests, 2 pass"),
        ("`pwd`", "pwd", "/workspace"),
        ("`sleep 2`", "sleep 2", "exit code 0; no output"),
        ("`export X=1`", "export X=1", "exit code 0; no output"),
        ("run `./check.sh --fast` please", "./check.sh --fast", "fast check: 7 files ok"),
    ],
)
async def test_a_code_span_is_a_command_when_the_sandbox_can_run_its_first_word(
    workspace: Path, sandbox_manager: SandboxManager, query: str, command: str, shown: str
) -> None:
    write_project(
        workspace,
        {
            "src/package.json": '{"name": "s", "scripts": {"test": "node --test"}}\n',
            "src/a.test.js": (
                "const test = require('node:test');\n"
                "test('one', () => {});\ntest('two', () => {});\n"
            ),
            "check.sh": '#!/bin/sh\necho "fast check: 7 files ok"\n',
        },
        executable=("check.sh",),
    )
    result = await run_direct(workspace, sandbox_manager, query)
    assert [c.command for c in task_commands(result)] == [command]
    assert result.status is TaskStatus.COMPLETED
    assert f"Command: {command}\nSummary: exit code 0" in result.answer
    assert shown in result.answer


async def test_a_span_the_sandbox_cannot_run_is_not_done_with_the_reason(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await run_direct(workspace, sandbox_manager, "Run `bazel test //...`")
    assert task_commands(result) == []
    assert result.status is TaskStatus.INCOMPLETE
    assert "- Run `bazel test //...`: `bazel` is not a command the sandbox can run" in (
        result.answer
    )


async def test_every_part_of_a_request_is_done_or_listed(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    write_project(
        workspace,
        {
            "requirements.txt": "requests>=2\n",
            "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['tests']\n",
            "report.py": (
                "import json\n\n\ndef load(path):\n    with open(path) as f:\n"
                "        return json.load(f)\n"
            ),
            "tests/test_report.py": (
                "from report import load\n\n\ndef test_load_missing_file():\n"
                "    assert load('missing.json') == {}\n"
            ),
        },
    )
    query = (
        "Install the dependencies, build, tell me which Node version is used, show the "
        "traceback and run the tests."
    )
    result = await run_direct(workspace, sandbox_manager, query)
    commands = [c.command for c in task_commands(result)]
    assert commands == [
        "python3 -m compileall -q .",
        "node --version",
        "python3 -m pytest -p no:cacheprovider",
    ]
    answer = result.answer
    assert "Not done:\n- Install the dependencies: the sandbox has no network" in answer
    assert "Chose `python3 -m compileall -q .` to build: Python sources" in answer
    assert "Command: node --version\nSummary: exit code 0\nv" in answer
    assert "Traceback (from `python3 -m pytest -p no:cacheprovider`):" in answer
    assert "FileNotFoundError: [Errno 2] No such file or directory: 'missing.json'" in answer
    assert result.status is TaskStatus.INCOMPLETE


async def test_a_change_request_is_not_done_and_says_why(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    write_project(workspace, {"test_x.py": "def test_x():\n    assert 2 + 2 == 5\n"})
    result = await run_direct(
        workspace, sandbox_manager, "Run the tests, then fix the failing test."
    )
    assert [c.command for c in task_commands(result)] == ["python3 -m pytest -p no:cacheprovider"]
    assert "- fix the failing test: the direct mode runs commands and reports their output; " in (
        result.answer
    )
    assert result.status is TaskStatus.INCOMPLETE


async def test_a_bare_command_line_query(workspace: Path, sandbox_manager: SandboxManager) -> None:
    result = await run_direct(workspace, sandbox_manager, "python3 -c 'print(6 * 7)'")
    assert [c.command for c in task_commands(result)] == ["python3 -c 'print(6 * 7)'"]
    assert "Summary: exit code 0\n42" in result.answer
