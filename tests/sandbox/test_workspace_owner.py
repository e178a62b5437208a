"""A root-owned workspace (as root in CI or a dev container): the sandbox writes it as root
with no capabilities and no-new-privileges, and ``doctor`` says when it could not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest
from conftest import sandbox_settings

from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import write_problem

pytestmark = [pytest.mark.docker, pytest.mark.anyio]


@pytest.fixture
def root_owned(workspace_root: Path) -> Path:
    if os.geteuid() != 0:
        pytest.fail("these tests make a root-owned folder: run them as root (as CI does)")
    path = workspace_root / f"root-owned-{os.urandom(3).hex()}"
    path.mkdir(mode=0o755)
    assert path.stat().st_uid == 0
    return path


async def test_root_owned_workspace_is_writable_without_privileges(
    docker_client: docker.DockerClient, workspace_root: Path, root_owned: Path
) -> None:
    settings = sandbox_settings(workspace_root, sandbox_user="auto")
    async with SandboxManager(settings, client=docker_client) as manager:
        session = await manager.create(SessionSpec(workdir=root_owned))
        result = await session.run(
            "id -u; echo made > /workspace/made.txt && echo wrote; "
            "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status",
            timeout_s=30,
        )
    lines = result.output.split()
    assert lines[:2] == ["0", "wrote"], result.output
    assert "0000000000000000" in result.output.split("CapEff:")[1].split()[0]
    assert result.output.split("CapBnd:")[1].split()[0] == "0000000000000000"
    assert result.output.split("NoNewPrivs:")[1].split()[0] == "1"
    made = root_owned / "made.txt"
    assert made.read_text() == "made\n"
    assert made.stat().st_uid == 0


async def test_non_root_sandbox_on_root_owned_workspace_is_explained(
    docker_client: docker.DockerClient, workspace_root: Path, root_owned: Path
) -> None:
    problem = write_problem(root_owned, "1000:1000")
    assert problem is not None
    assert "Permission denied" in problem
    settings = sandbox_settings(workspace_root)  # sandbox_user 1000:1000
    async with SandboxManager(settings, client=docker_client) as manager:
        session = await manager.create(SessionSpec(workdir=root_owned))
        result = await session.run("touch /workspace/x", timeout_s=30)
    assert result.exit_code == 1
    assert "Permission denied" in result.output


def _doctor(root_owned: Path, workspace_root: Path, user: str) -> str:
    env = {
        **os.environ,
        "TERMINUS_ALLOWED_ROOTS": str(workspace_root),
        "TERMINUS_SANDBOX_USER": user,
    }
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "doctor", "--workdir", str(root_owned)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    return done.stdout + done.stderr


def test_doctor_warns_about_a_workspace_the_sandbox_cannot_write(
    root_owned: Path, workspace_root: Path
) -> None:
    bad = _doctor(root_owned, workspace_root, "1000:1000")
    assert f"[FAIL] workspace: the sandbox runs as 1000:1000 but {root_owned}" in bad, bad
    assert "fix: `sudo chown -R 1000:1000" in bad
    good = _doctor(root_owned, workspace_root, "auto")
    assert "[ok  ] workspace:" in good, good
    assert "root without capabilities" in good, good
