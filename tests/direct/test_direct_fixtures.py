"""The direct mode (no model) on the fixture repositories, in real sandboxes: the answer names
every failing test or compiler error, says no model was used, and costs at most 5% of the raw
output's tokens (the main-agent proxy tokenizer)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import sandbox_settings

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _copy_fixture(name: str, workspace: Path) -> Path:
    shutil.copytree(FIXTURES / name, workspace, dirs_exist_ok=True)
    if os.geteuid() == 0:
        for path in [workspace, *workspace.rglob("*")]:
            os.chown(path, 1000, 1000)
    return workspace


async def _direct(workspace: Path, sandboxes: SandboxManager, query: str) -> TaskResult:
    settings = sandbox_settings(
        workspace.parent, backend="direct", state_dir=str(workspace.parent / ".state")
    )
    async with TerminusService(settings, sandboxes=sandboxes) as service:
        return await service.run_task(TaskRequest(query=query, workdir=workspace))


def _assert_compact(result: TaskResult) -> None:
    assert result.status is TaskStatus.COMPLETED
    assert not result.model_used
    assert result.usage.subagent_prompt_tokens == result.usage.subagent_completion_tokens == 0
    assert "(direct mode: no model was used)" in result.answer
    ratio = result.usage.answer_tokens / result.usage.raw_output_tokens
    assert ratio <= 0.05, f"answer is {ratio:.1%} of the raw output:\n{result.answer}"


@pytest.mark.parametrize(
    "query", ["Run the tests.", "Run `python3 -m pytest -v` and report failures"]
)
async def test_pytest_failures_are_named_with_their_errors(
    workspace: Path, sandbox_manager: SandboxManager, query: str
) -> None:
    result = await _direct(_copy_fixture("python-failing-tests", workspace), sandbox_manager, query)
    _assert_compact(result)
    answer = result.answer
    assert "3 failed, 400 passed" in answer
    assert "tests/test_inventory.py::test_discount_is_subtracted" in answer
    assert "assert 110.0 == 90.0" in answer
    assert "tests/test_inventory.py::test_restock_rejects_negative_counts_quietly" in answer
    assert "ValueError: cannot restock a negative count: -1" in answer
    assert "inventory/__init__.py:10" in answer
    assert "tests/test_inventory.py::TestReport::test_report_totals" in answer
    assert "KeyError: 'pencil'" in answer
    assert result.commands[-1].exit_code == 1


async def test_c_compile_error_is_reported_with_its_location(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await _direct(_copy_fixture("c-compile-error", workspace), sandbox_manager, "build it")
    _assert_compact(result)
    assert [c.command for c in result.commands][-1] == "make"
    assert "1 error, " in result.answer
    assert "src/parser.c:10:12: error: ‘tokn’ undeclared" in result.answer
    assert "-Wunused-variable" in result.answer
    assert "make: *** [Makefile:12: src/parser.o] Error 1" in result.answer


async def test_node_test_failures_are_named_with_their_messages(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await _direct(
        _copy_fixture("node-failing-tests", workspace), sandbox_manager, "run the unit tests"
    )
    _assert_compact(result)
    assert result.commands[-1].command == "npm test"
    assert "152 tests, 150 pass, 2 fail" in result.answer
    assert "- joins words with hyphens at test/slugify.test.js:12:" in result.answer
    assert "'hello_world'" in result.answer
    assert (
        "- parses a short version at test/slugify.test.js:16: TypeError: not a version: 1.x "
        "(raised at slugify.js:11:11)" in result.answer
    )


async def test_a_query_the_rules_cannot_answer_ends_incomplete_with_advice(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    result = await _direct(workspace, sandbox_manager, "what is going on here?")
    assert result.status is TaskStatus.INCOMPLETE
    assert result.error is None
    assert "Not done:\n- what is going on here: nothing was run to report on" in result.answer
    assert "name the command to run in backticks" in result.answer
    assert "configure a model" in result.answer
    assert [c.probe for c in result.commands] == [True]
    assert result.usage.raw_output_tokens == 0
