"""Small realistic projects written by a test, and one direct-mode task on them in a real
sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SANDBOX_UID, sandbox_settings

from terminus_mcp.agent.result import CommandRecord, TaskResult
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskRequest, TerminusService


def write_project(root: Path, files: dict[str, str], *, executable: tuple[str, ...] = ()) -> Path:
    """Write ``files`` (relative path to text) under ``root``, owned by the sandbox user."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if name in executable:
            path.chmod(0o755)
    for path in [root, *root.rglob("*")]:
        if os.geteuid() == 0:
            os.chown(path, SANDBOX_UID, SANDBOX_UID)
        else:
            path.chmod(0o777 if path.is_dir() else path.stat().st_mode | 0o666)
    return root


async def run_direct(workspace: Path, sandboxes: SandboxManager, query: str) -> TaskResult:
    """One task in direct mode (no model) on ``workspace``, in the plain sandbox image (no
    project environment set up first: these tests are about the direct mode's own rules)."""
    settings = sandbox_settings(
        workspace.parent,
        backend="direct",
        state_dir=str(workspace.parent / ".state"),
        project_environments=False,
    )
    async with TerminusService(settings, sandboxes=sandboxes) as service:
        return await service.run_task(TaskRequest(query=query, workdir=workspace))


def task_commands(result: TaskResult) -> list[CommandRecord]:
    """The commands the task ran, the direct mode's workspace probe left out."""
    return [c for c in result.commands if not c.probe]


async def sandbox_output(workspace: Path, sandboxes: SandboxManager, command: str) -> str:
    """The output of ``command`` run by itself in a fresh sandbox on ``workspace``."""
    session = await sandboxes.create(SessionSpec(workdir=workspace))
    try:
        return (await session.run(command, timeout_s=120)).output
    finally:
        await sandboxes.close(session.id)


async def sandbox_has(workspace: Path, sandboxes: SandboxManager, program: str) -> bool:
    """Whether the sandbox image has ``program`` (the fact some rules depend on)."""
    return (
        await sandbox_output(workspace, sandboxes, f"command -v {program} || true")
    ).strip() != ""
