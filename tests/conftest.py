"""Shared fixtures: the real Docker engine, sandbox settings, workspaces, a sandbox manager.

Docker tests fail loudly (never skip) when no engine answers or the image is missing: the
README's test command sets both up on a fresh machine.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.settings import DEFAULT_IMAGE, Settings, load_settings

SANDBOX_UID = 1000


def pytest_addoption(parser: pytest.Parser) -> None:
    # Options must be registered by the root conftest to be known on every command line.
    group = parser.getgroup("adversarial")
    group.addoption(
        "--adversarial-full",
        action="store_true",
        help="run the full 2-minute load check instead of the short CI form",
    )
    group.addoption(
        "--adversarial-disruptive",
        action="store_true",
        help="also run checks that restart the Docker daemon (disturbs other users of it)",
    )


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """One backend for every async test and fixture, so module-scoped async fixtures work."""
    return "asyncio"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client for the real engine, with the sandbox image present."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"no Docker engine answers ({exc}); start one (`sudo dockerd &`) or run the "
            "README's test command, which sets it up",
            pytrace=False,
        )
    try:
        client.images.get(DEFAULT_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(
            f"the sandbox image {DEFAULT_IMAGE} is missing; run `terminus-mcp sandbox build`",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def workspace_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The allowed root that every test workspace lives under."""
    return tmp_path_factory.mktemp("workspaces").resolve()


def make_workspace(root: Path, name: str) -> Path:
    """A fresh folder under ``root`` owned by the sandbox user (uid 1000) so it can write."""
    path = root / name
    suffix = 0
    while path.exists():
        suffix += 1
        path = root / f"{name}-{suffix}"
    path.mkdir()
    if os.geteuid() == 0:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
    else:
        path.chmod(0o777)
    return path


@pytest.fixture
def workspace(workspace_root: Path, request: pytest.FixtureRequest) -> Path:
    """A fresh workspace folder inside the allowed root, writable by the sandbox user."""
    return make_workspace(workspace_root, request.node.name[:40].replace("[", "-").strip("]"))


def sandbox_settings(workspace_root: Path, **overrides: object) -> Settings:
    """Settings for tests: the workspace root allowed, small limits so faults are quick."""
    values: dict[str, object] = {
        "allowed_roots": [str(workspace_root)],
        "memory_limit_mb": 512,
        "pids_limit": 256,
        "cpus": 1.0,
        "sandbox_user": f"{SANDBOX_UID}:{SANDBOX_UID}",
    }
    values.update(overrides)
    return load_settings(values)


def openai_settings(workspace: Path, base_url: str, **overrides: object) -> Settings:
    """Test settings for the openai backend against a scripted server at ``base_url``."""
    values: dict[str, object] = {
        "backend": "openai",
        "base_url": base_url,
        "model": "scripted-model",
        "state_dir": str(workspace.parent / ".state"),
        "request_retries": 1,
        "request_timeout_s": 5,
    }
    values.update(overrides)
    return sandbox_settings(workspace.parent, **values)


@pytest.fixture(scope="module")
async def sandbox_manager(
    docker_client: docker.DockerClient, workspace_root: Path
) -> AsyncIterator[SandboxManager]:
    """A started manager with test settings; every container is removed at module end."""
    async with SandboxManager(sandbox_settings(workspace_root), client=docker_client) as manager:
        yield manager
