"""Connecting to the container engine: the client, the runtime choice, the image check.

Docker and Podman are reached with the same docker-py client: Podman through its
Docker-compatible service (``podman system service``). :func:`connect_engine` picks the engine
the settings ask for (``auto``: Docker when it answers, else Podman) and says what it found.

Each call here blocks; async callers go through ``anyio.to_thread``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import docker
import docker.errors
import requests.exceptions

from terminus_mcp.errors import DockerUnavailable, ImageMissing, SandboxError
from terminus_mcp.sandbox.api import EngineCapabilities, EngineInfo
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


PODMAN_START_FIX = (
    "install Podman (`sudo apt-get install podman`) and start its Docker-compatible service: "
    "as root `podman system service --time=0 unix:///run/podman/podman.sock &`, rootless "
    "`systemctl --user enable --now podman.socket` (needs subuid/subgid ranges for your user, "
    "uidmap, and slirp4netns or pasta); or set TERMINUS_PODMAN_HOST to its socket"
)

CONTAINER_CAPABILITIES = EngineCapabilities(isolation=True, resource_limits=True)
"""What Docker and Podman sessions guarantee (checked by the conformance suite)."""


def podman_socket(settings: Settings) -> str:
    """The Podman service address: the setting, else the default socket for this user."""
    if settings.podman_host:
        return settings.podman_host
    if os.geteuid() == 0:
        return "unix:///run/podman/podman.sock"
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.geteuid()}"
    return f"unix://{runtime_dir}/podman/podman.sock"


def podman_client(settings: Settings) -> docker.DockerClient:
    """A docker-py client for Podman's Docker-compatible service, checked with a ping.

    Raises:
        DockerUnavailable: no Podman service answers at its socket.
    """
    where = podman_socket(settings)
    try:
        client = docker.DockerClient(base_url=where, timeout=60)
        client.ping()
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            f"no Podman service answers at {where}", why=str(exc), fix=PODMAN_START_FIX
        ) from exc
    return client


def connect_engine(settings: Settings) -> docker.DockerClient:
    """A client for the engine ``settings.engine`` names; ``auto``: Docker, else Podman.

    Raises:
        DockerUnavailable: the engine asked for (with ``auto``: neither) does not answer.
    """
    if settings.engine == "docker":
        return docker_client(settings)
    if settings.engine == "podman":
        return podman_client(settings)
    try:
        return docker_client(settings)
    except DockerUnavailable as docker_down:
        try:
            return podman_client(settings)
        except DockerUnavailable as podman_down:
            raise DockerUnavailable(
                "no container engine answers (engine = auto: Docker, then Podman)",
                why=f"Docker: {docker_down.why}; Podman: {podman_down.why}",
                fix=f"{START_FIX}; or {PODMAN_START_FIX}",
            ) from podman_down


def engine_info(client: docker.DockerClient, runtime: str | None) -> EngineInfo:
    """What answers on ``client``: Docker or Podman, its version, runtime and mode.

    ``runtime`` is the runtime sessions request (``None``: the engine's default).

    Raises:
        DockerUnavailable: the engine stopped answering.
    """
    try:
        version: dict[str, Any] = client.version()
        info: dict[str, Any] = client.info()
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            "the container engine stopped answering", why=str(exc), fix=START_FIX
        ) from exc
    podman = any(
        "podman" in str(c.get("Name", "")).lower() for c in version.get("Components") or []
    )
    security = [str(option) for option in info.get("SecurityOptions") or []]
    return EngineInfo(
        name="podman" if podman else "docker",
        version=str(version.get("Version", "?")),
        runtime=runtime or str(info.get("DefaultRuntime") or "runc"),
        rootless=any("name=rootless" in option for option in security),
        capabilities=CONTAINER_CAPABILITIES,
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


def is_podman(client: docker.DockerClient) -> bool:
    """Whether Podman (its Docker-compatible service) answers on ``client``."""
    components = client.version().get("Components") or []
    return any("podman" in str(c.get("Name", "")).lower() for c in components)


def engine_runtimes(client: docker.DockerClient) -> set[str]:
    """Names of the OCI runtimes the engine can run (``runc``, ``crun``, ``runsc`` ...).

    Podman lists every runtime its configuration names, installed or not (``runsc`` at
    ``/usr/bin/runsc`` even without gVisor); only those whose binary exists count. The
    Podman service runs on this host (it is reached through a local socket).
    """
    info: dict[str, Any] = client.info()
    runtimes: dict[str, Any] = info.get("Runtimes") or {}
    if not is_podman(client):
        return set(runtimes)
    return {
        name
        for name, spec in runtimes.items()
        if not str((spec or {}).get("path", "")).startswith("/")
        or os.path.exists(str(spec["path"]))
    }


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


def image_fix(image: str, engine: str = "docker") -> str:
    """How to get ``image`` into ``engine``'s image store."""
    if engine == "podman":
        return (
            f"copy it from Docker with `docker save {image} | podman load`, or run "
            f"`podman pull {image}`, or build it with TERMINUS_ENGINE=podman terminus-mcp "
            "sandbox build"
        )
    if image == DEFAULT_IMAGE:
        return "run `terminus-mcp sandbox build`"
    return f"run `docker pull {image}` or build it, or set TERMINUS_SANDBOX_IMAGE"


def ensure_image(client: docker.DockerClient, image: str, engine: str = "docker") -> None:
    """Check that ``image`` is present in the store of ``engine`` (its name, for the fix).

    Raises:
        ImageMissing: the engine does not have it.
        DockerUnavailable: the engine stopped answering.
    """
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(
            f"the sandbox image {image} is not present in {engine}'s image store",
            why=str(exc),
            fix=image_fix(image, engine),
        ) from exc
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            "the Docker engine stopped answering", why=str(exc), fix=START_FIX
        ) from exc
