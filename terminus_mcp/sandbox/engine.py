"""Connecting to the Docker engine: the client, the runtime choice, the image check.

Each call here blocks; async callers go through ``anyio.to_thread``.
"""

from __future__ import annotations

import logging
from typing import Any

import docker
import docker.errors
import requests.exceptions

from terminus_mcp.errors import DockerUnavailable, ImageMissing, SandboxError
from terminus_mcp.settings import DEFAULT_IMAGE, Settings

log = logging.getLogger(__name__)

ENGINE_ERRORS: tuple[type[Exception], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
)
"""What a call to the engine raises when it fails: API errors, and transport errors (the
engine stopped or restarted), which the docker SDK lets through from ``requests``."""

START_FIX = (
    "start Docker (`sudo systemctl start docker`, or `sudo dockerd &` where there is no "
    "systemd), or point TERMINUS_DOCKER_HOST / DOCKER_HOST at a running engine"
)


def docker_client(settings: Settings) -> docker.DockerClient:
    """A client for the configured engine, checked with a ping.

    Raises:
        DockerUnavailable: no engine answers at ``settings.docker_host`` or ``DOCKER_HOST``.
    """
    where = settings.docker_host or "the default socket (DOCKER_HOST)"
    try:
        if settings.docker_host:
            client = docker.DockerClient(base_url=settings.docker_host, timeout=60)
        else:
            client = docker.from_env(timeout=60)
        client.ping()
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            f"no Docker engine answers at {where}", why=str(exc), fix=START_FIX
        ) from exc
    return client


def engine_runtimes(client: docker.DockerClient) -> set[str]:
    """Names of the OCI runtimes the engine knows (``runc``, ``runsc`` ...)."""
    info: dict[str, Any] = client.info()
    return set((info.get("Runtimes") or {}).keys())


def select_runtime(client: docker.DockerClient, settings: Settings) -> str | None:
    """The runtime to request: ``runsc`` when configured or (``auto``) installed, else default.

    Raises:
        SandboxError: ``runtime = "runsc"`` is configured but the engine does not have gVisor.
    """
    runtimes = engine_runtimes(client)
    if settings.runtime == "runsc":
        if "runsc" not in runtimes:
            raise SandboxError(
                "the gVisor runtime (runsc) is configured but the Docker engine does not have it",
                why=f"the engine knows: {', '.join(sorted(runtimes)) or 'none'}",
                fix="install gVisor (https://gvisor.dev/docs/user_guide/install/) or set "
                "TERMINUS_RUNTIME=auto",
            )
        return "runsc"
    if settings.runtime == "auto" and "runsc" in runtimes:
        return "runsc"
    return None


def image_fix(image: str) -> str:
    if image == DEFAULT_IMAGE:
        return "run `terminus-mcp sandbox build`"
    return f"run `docker pull {image}` or build it, or set TERMINUS_SANDBOX_IMAGE"


def ensure_image(client: docker.DockerClient, image: str) -> None:
    """Check that ``image`` is present locally.

    Raises:
        ImageMissing: the engine does not have it.
        DockerUnavailable: the engine stopped answering.
    """
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(
            f"the sandbox image {image} is not present", why=str(exc), fix=image_fix(image)
        ) from exc
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            "the Docker engine stopped answering", why=str(exc), fix=START_FIX
        ) from exc
