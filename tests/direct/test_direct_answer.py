"""The direct mode's answers on real small outputs, in a real sandbox: never longer than the
raw output, paths as the project sees them, no duplicated lines, quotes kept, and
``raw_output_tokens`` counting the task's commands only (not the workspace probe)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.projects import run_direct, sandbox_output, task_commands, write_project

from terminus_mcp.agent.command_summary import no_tests_ran
from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.direct.backend import MIN_SUMMARY_TOKENS
from terminus_mcp.models.tokens import proxy_counter
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

APP = (
    "import sys\n\n\ndef parse(line):\n    key, value = line.split('=')\n    return key, value\n"
    "\n\nfor line in ['a=1', 'b=2', 'broken']:\n    print('parsing', repr(line))\n"
    "    print(parse(line))\n"
)


def _summaries(answer: str) -> str:
    """The ``Summary:`` texts of an answer (what stands for the commands' output)."""
    kept, inside = [], False
    for line in answer.splitlines():
        if line.startswith("Summary: "):
            inside = True
            line = line.removeprefix("Summary: ")
        elif line.startswith(("Chose `", "Command: ", "Not done:", "</final_answer>")):
            inside = False
        if inside:
            kept.append(line)
    return "\n".join(kept)


def _assert_not_longer(result: TaskResult) -> None:
    raw = result.usage.raw_output_tokens
    summaries = proxy_counter().count(_summaries(result.answer))
    assert summaries <= max(raw, MIN_SUMMARY_TOKENS), result.answer


async def test_probe_output_is_not_counted(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await run_direct(workspace, sandbox_manager, "Run `echo hello`")
    probe, run = result.commands
    assert probe.probe
    assert probe.output_tokens > 0
    assert not run.probe
    assert run.command == "echo hello"
    assert run.output_tokens == proxy_counter().count("hello\n")
    assert result.usage.raw_output_tokens == run.output_tokens


async def test_a_traceback_keeps_project_paths_and_quotes(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    write_project(workspace, {"app.py": APP})
    result = await run_direct(workspace, sandbox_manager, "Run `python3 app.py`")
    assert task_commands(result)[0].exit_code == 1
    answer = result.answer
    assert 'File "app.py", line 5, in parse' in answer
    assert "key, value = line.split('=')" in answer
    assert "ValueError: not enough values to unpack (expected 2, got 1)" in answer
    assert "/workspace/" not in answer
    _assert_not_longer(result)


async def test_a_small_output_passes_through_whole(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await run_direct(
        workspace, sandbox_manager, "Run `python3 -c \"print({'name': 'it\\'s', 'n': 2})\"`"
    )
    assert result.answer.endswith(
        "Summary: exit code 0\n{'name': \"it's\", 'n': 2}\n</final_answer>"
    )


async def test_repeated_lines_are_counted_not_repeated(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await run_direct(
        workspace, sandbox_manager, "Run `python3 -c \"[print('retrying...') for _ in range(6)]\"`"
    )
    summary = result.answer.split("Summary: ", 1)[1]
    assert summary == "exit code 0\nretrying... [repeated 6 times]\n</final_answer>"
    _assert_not_longer(result)


async def test_a_medium_output_answer_is_shorter_than_the_output(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await run_direct(
        workspace, sandbox_manager, "Run `ls -l /usr/bin | head -n 80` and report what is there"
    )
    assert result.status is TaskStatus.COMPLETED
    raw = result.usage.raw_output_tokens
    assert raw > 1000
    assert result.usage.answer_tokens <= raw
    lines = [line for line in result.answer.splitlines() if line.strip()]
    assert len(lines) == len(set(lines))


async def test_answers_for_a_failing_build_are_within_the_raw_output(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    write_project(
        workspace,
        {
            "main.c": (
                '#include <stdio.h>\nint main(void) {\n  int unused;\n  printf("%d\\n", count);'
                "\n  return 0;\n}\n"
            )
        },
    )
    result = await run_direct(workspace, sandbox_manager, "Run `gcc -Wall -o main main.c`")
    assert "main.c:4:18: error: ‘count’ undeclared" in result.answer
    _assert_not_longer(result)


@pytest.mark.parametrize(
    ("command", "zero"),
    [
        ("python3 -m pytest -p no:cacheprovider empty", True),
        ("cd empty && node --test", True),
        ("python3 -m unittest discover -s empty", True),
        ("python3 -m pytest -p no:cacheprovider tests", False),
    ],
)
async def test_no_tests_ran_is_read_from_the_real_tools_output(
    workspace: Path, sandbox_manager: SandboxManager, command: str, zero: bool
) -> None:
    write_project(
        workspace,
        {"empty/README": "no tests here\n", "tests/test_one.py": "def test_one():\n    pass\n"},
    )
    result = await run_direct(workspace, sandbox_manager, f"Run `{command}`")
    output = await sandbox_output(workspace, sandbox_manager, command)
    assert no_tests_ran(output) is zero, output
    assert result.commands[-1].command == command


async def test_an_error_two_commands_print_is_shown_once(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    shutil.copytree(FIXTURES / "c-compile-error", workspace, dirs_exist_ok=True)
    write_project(workspace, {})
    result = await run_direct(workspace, sandbox_manager, "Run `make -k`, then `make app`.")
    assert [c.exit_code for c in task_commands(result)] == [2, 2]
    assert result.answer.count("src/parser.c:10:12: error: ‘tokn’ undeclared") == 1
    assert "as in the summary above)" in result.answer
