"""The digests on fresh runs of the real tools inside the sandbox: each case of
``tests/support/tool_projects.py`` that the sandbox image can run is run there, and its digest
must keep the case's stable facts (names, locations, the projects' own messages), whatever
version of the tool the image carries.

The go and cargo cases are marked ``toolchains``: they need go and cargo in the sandbox image,
and fail (never skip) while the image lacks them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SANDBOX_UID, make_workspace
from support.tool_projects import CASES, Case

from agent.tool_facts import FACTS
from terminus_mcp.agent.summaries import summary_text
from terminus_mcp.sandbox.api import ExecResult, SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

TOOLCHAIN_TOOLS = ("go", "cargo")
SANDBOX_CASES = [case for case in CASES if case.in_sandbox]
TOOLCHAIN_CASES = [case for case in CASES if case.tool in TOOLCHAIN_TOOLS]
RUN_TIMEOUT_S = 300


def _write_project(case: Case, workspace: Path) -> None:
    for relative, text in case.files.items():
        path = workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if relative.endswith(".sh") or relative.startswith("t/"):
            path.chmod(0o755)
    if os.geteuid() == 0:
        for path in [workspace, *workspace.rglob("*")]:
            os.chown(path, SANDBOX_UID, SANDBOX_UID)


async def _run(case: Case, manager: SandboxManager, root: Path) -> ExecResult:
    workspace = make_workspace(root, f"digests-{case.name}")
    _write_project(case, workspace)
    session = await manager.create(SessionSpec(workdir=workspace))
    try:
        if case.setup:
            await session.run(case.setup, timeout_s=RUN_TIMEOUT_S)
        return await session.run(case.command, timeout_s=RUN_TIMEOUT_S)
    finally:
        await manager.close(session.info().id)


def _assert_stable_facts(case: Case, result: ExecResult) -> None:
    summary = summary_text(result.output, result.exit_code)
    missing = [fact for fact in FACTS[case.name].stable if fact not in summary]
    assert not missing, (
        f"{case.name}: {missing} missing from:\n{summary}\n--- raw:\n{result.output}"
    )
    present = [fact for fact in FACTS[case.name].absent if fact in summary]
    assert not present, f"{case.name}: {present} must not appear in:\n{summary}"


@pytest.mark.parametrize("case", SANDBOX_CASES, ids=[c.name for c in SANDBOX_CASES])
async def test_fresh_run_in_the_sandbox_keeps_the_facts(
    case: Case, sandbox_manager: SandboxManager, workspace_root: Path
) -> None:
    _assert_stable_facts(case, await _run(case, sandbox_manager, workspace_root))


@pytest.mark.toolchains
@pytest.mark.parametrize("case", TOOLCHAIN_CASES, ids=[c.name for c in TOOLCHAIN_CASES])
async def test_fresh_go_and_cargo_runs_in_the_sandbox_keep_the_facts(
    case: Case, sandbox_manager: SandboxManager, workspace_root: Path
) -> None:
    probe = make_workspace(workspace_root, f"digests-probe-{case.tool}")
    session = await sandbox_manager.create(SessionSpec(workdir=probe))
    try:
        found = await session.run(f"command -v {case.tool}", timeout_s=30)
    finally:
        await sandbox_manager.close(session.info().id)
    if found.exit_code != 0:
        pytest.fail(
            f"{case.tool} is not in the sandbox image; add it to sandbox/Dockerfile (Debian "
            f"package {'golang-go' if case.tool == 'go' else 'cargo'}) and rebuild the image",
            pytrace=False,
        )
    _assert_stable_facts(case, await _run(case, sandbox_manager, workspace_root))
