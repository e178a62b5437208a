"""The conformance suite on every engine: Docker, Podman and the in-memory fake.

Each check of :mod:`terminus_mcp.sandbox.conformance` runs unchanged on each engine. A check
that needs isolation or resource limits does not apply to the fake: the suite reports it as
``not_applicable`` (the fake claims neither), and the set of such checks is pinned here, so it
cannot grow without this file changing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import docker
import docker.errors
import pytest
from conftest import make_workspace, sandbox_settings

from terminus_mcp.errors import DockerUnavailable
from terminus_mcp.sandbox.conformance import (
    CHECKS,
    Check,
    DockerApiInspector,
    Expected,
    FakeInspector,
    Target,
    Verdict,
    run_check,
)
from terminus_mcp.sandbox.engine import podman_client
from terminus_mcp.sandbox.fake import FakeSandboxes
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.settings import DEFAULT_IMAGE, Settings

pytestmark = pytest.mark.anyio

NOT_APPLICABLE_ON_FAKE = {"hardening_seen_by_the_engine", "hardening_seen_from_inside"}
"""The fake runs nothing in a container: there is nothing to harden or inspect."""

ENGINES = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("podman", marks=pytest.mark.podman),
    "fake",
]


def conformance_settings(root: Path, engine: str) -> Settings:
    """Small output limits so the capture and flood checks are quick."""
    return sandbox_settings(
        root,
        engine="auto" if engine == "fake" else engine,
        output_capture_bytes=64 * 1024,
        output_kill_bytes=2 * 1024 * 1024,
    )


def podman_or_fail(settings: Settings) -> docker.DockerClient:
    """A client for the Podman service with the sandbox image; fails loudly without them."""
    try:
        client = podman_client(settings)
    except DockerUnavailable as exc:
        pytest.fail(f"{exc} (scripts/bootstrap.sh installs and starts it)", pytrace=False)
    try:
        client.images.get(DEFAULT_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(
            f"the sandbox image {DEFAULT_IMAGE} is not in Podman's store; copy it with "
            f"`docker save {DEFAULT_IMAGE} | podman load` (scripts/bootstrap.sh does)",
            pytrace=False,
        )
    return client


@pytest.fixture(scope="module", params=ENGINES)
async def target(request: pytest.FixtureRequest, workspace_root: Path) -> AsyncIterator[Target]:
    engine: str = request.param
    settings = conformance_settings(workspace_root, engine)
    expected = Expected.from_settings(settings)
    workdir = make_workspace(workspace_root, f"conformance-{engine}")
    if engine == "fake":
        fake = FakeSandboxes.from_settings(settings)
        async with fake:
            yield Target(fake, FakeInspector(fake), workdir, expected)
        return
    if engine == "docker":
        client: docker.DockerClient = request.getfixturevalue("docker_client")
    else:
        client = podman_or_fail(settings)
    async with SandboxManager(settings, client=client) as manager:
        assert manager.engine.name == engine
        inspector = DockerApiInspector(client, manager.instance_id)
        yield Target(manager, inspector, workdir, expected)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.name)
async def test_conformance(target: Target, check: Check) -> None:
    outcome = await run_check(check, target)
    engine = target.sandboxes.engine.name
    if engine == "fake" and check.name in NOT_APPLICABLE_ON_FAKE:
        assert outcome.verdict is Verdict.NOT_APPLICABLE, outcome
        assert "does not claim isolation" in outcome.detail
        return
    assert outcome.verdict is Verdict.PASSED, f"{engine}: {check.name}: {outcome.detail}"


def test_every_check_is_documented_and_named_once() -> None:
    names = [check.name for check in CHECKS]
    assert len(names) == len(set(names)) >= 14
    assert all(check.doc for check in CHECKS)
    assert set(names) >= NOT_APPLICABLE_ON_FAKE
