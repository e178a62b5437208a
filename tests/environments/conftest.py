"""Fixtures for environment tests: settings with the host's CA bundle, a service, cleanup of
the images and cache volumes the tests create."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from terminus_mcp.environments.caches import VOLUME_PREFIX
from terminus_mcp.environments.images import list_environment_images, remove_images
from terminus_mcp.settings import Settings
from tests.conftest import SANDBOX_UID, sandbox_settings

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def env_settings(workspace: Path, **overrides: object) -> Settings:
    """Direct mode, the workspace's parent allowed, the host CA bundle for registries."""
    if not HOST_BUNDLE.is_file():
        pytest.fail(f"these tests reach PyPI and npm through the host's CA bundle {HOST_BUNDLE}")
    values: dict[str, object] = {
        "backend": "direct",
        "state_dir": str(workspace.parent / f".state-{workspace.name}"),
        "ca_bundle": str(HOST_BUNDLE),
        "memory_limit_mb": 1024,
    }
    values.update(overrides)
    return sandbox_settings(workspace.parent, **values)


def own(path: Path) -> None:
    """Hand a test project's files to the sandbox user, as a user's checkout would be."""
    for item in [path, *path.rglob("*")]:
        if os.geteuid() == 0:
            os.chown(item, SANDBOX_UID, SANDBOX_UID)
        else:
            item.chmod(0o777 if item.is_dir() else 0o666)


@pytest.fixture(scope="module")
def remove_what_tests_create(docker_client: docker.DockerClient) -> Iterator[None]:
    """Environment images and cache volumes that appear during the module are removed."""
    images_before = {i.id for i in list_environment_images(docker_client)}
    volumes_before = {v.name for v in docker_client.volumes.list()}
    yield
    created = [i for i in list_environment_images(docker_client) if i.id not in images_before]
    remove_images(docker_client, created)
    for volume in docker_client.volumes.list():
        if volume.name.startswith(VOLUME_PREFIX) and volume.name not in volumes_before:
            with contextlib.suppress(docker.errors.APIError):
                volume.remove(force=True)
