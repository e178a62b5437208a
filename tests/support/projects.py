"""Small realistic projects written by a test, and one direct-mode task on them in a real
sandbox."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SANDBOX_UID, sandbox_settings

from terminus_mcp.agent.result import CommandRecord, TaskResult
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
    """One task in direct mode (no model) on ``workspace``."""
    settings = sandbox_settings(
        workspace.parent, backend="direct", state_dir=str(workspace.parent / ".state")
    )
    async with TerminusService(settings, sandboxes=sandboxes) as service:
        return await service.run_task(TaskRequest(query=query, workdir=workspace))


def task_commands(result: TaskResult) -> list[CommandRecord]:
    """The commands the task ran, the direct mode's workspace probe left out."""
    return [c for c in result.commands if not c.probe]
