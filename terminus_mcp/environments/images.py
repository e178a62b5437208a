"""The images environments are kept in: built from a project's Dockerfile, or committed after
setup; found by key, listed and removed.

Every call blocks; async callers go through ``anyio.to_thread``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.images import Image
from pydantic import BaseModel

from terminus_mcp.environments.errors import SetupFailed
from terminus_mcp.environments.spec import BuildSpec
from terminus_mcp.errors import DockerUnavailable, ImageMissing
from terminus_mcp.sandbox.engine import ENGINE_ERRORS, START_FIX
from terminus_mcp.sandbox.hardening import LABEL_IMAGE, LABEL_PREFIX

log = logging.getLogger(__name__)

REPOSITORY = "terminus-mcp-env"
BASE_REPOSITORY = "terminus-mcp-env-base"
LABEL_KEY = f"{LABEL_PREFIX}.env-key"
"""The environment key an image was committed under."""
LABEL_PROJECT = f"{LABEL_PREFIX}.env-project"
"""The project folder an environment image was made for."""
LABEL_OUTPUTS = f"{LABEL_PREFIX}.env-outputs"
"""Workspace paths setup created (``node_modules``), comma-separated: reused only while they
exist."""
LABEL_SETUP_S = f"{LABEL_PREFIX}.env-setup-seconds"
BUILD_ERRORS: tuple[type[Exception], ...] = (*ENGINE_ERRORS, TimeoutError)
IMAGE_KIND_ENV = "environment"
IMAGE_KIND_BASE = "environment-base"


def env_tag(key: str) -> str:
    return f"{REPOSITORY}:{key[:24]}"


def find_image(client: docker.DockerClient, tag: str) -> Image | None:
    """The image ``tag``, or ``None``.

    Raises:
        DockerUnavailable: the engine stopped answering.
    """
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    except ENGINE_ERRORS as exc:
        raise DockerUnavailable(
            "the Docker engine stopped answering", why=str(exc), fix=START_FIX
        ) from exc


def ensure_base(client: docker.DockerClient, image: str) -> Image:
    """The base image, pulled when it is not present.

    Raises:
        ImageMissing: it is neither present nor pullable.
    """
    found = find_image(client, image)
    if found is not None:
        return found
    try:
        log.info("pulling %s", image)
        return client.images.pull(image)
    except ENGINE_ERRORS as exc:
        raise ImageMissing(
            f"the project's image {image} is not present and cannot be pulled",
            why=str(exc).strip()[:500],
            fix=f"pull or build {image} (`docker pull {image}`), or name another image",
        ) from exc


def image_path(image: Image) -> str:
    """The ``PATH`` an image sets (Docker's default when it sets none)."""
    for item in (image.attrs.get("Config") or {}).get("Env") or []:
        if item.startswith("PATH="):
            return str(item[5:])
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_tag(build: BuildSpec) -> str:
    """The tag a project's Dockerfile is built under: its content, args, target and context."""
    material = {
        "dockerfile": hashlib.sha256(build.dockerfile.read_bytes()).hexdigest(),
        "context": str(build.context),
        "args": build.args,
        "target": build.target,
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return f"{BASE_REPOSITORY}:{digest[:24]}"


def build_base(
    client: docker.DockerClient,
    build: BuildSpec,
    *,
    force: bool = False,
    on_line: Callable[[str], None] | None = None,
    timeout_s: float | None = None,
) -> str:
    """Build the project's Dockerfile (unless already built from the same inputs); its tag.

    Raises:
        SetupFailed: the build fails (the first error line of the build log is in the excerpt).
    """
    tag = base_tag(build)
    if not force and find_image(client, tag) is not None:
        return tag
    lines: list[str] = []
    dockerfile = build.dockerfile
    if dockerfile.is_relative_to(build.context):
        dockerfile = dockerfile.relative_to(build.context)
    deadline = time.monotonic() + (timeout_s or math.inf)
    try:
        stream = client.api.build(
            path=str(build.context),
            dockerfile=str(dockerfile),
            tag=tag,
            buildargs=build.args or None,
            target=build.target,
            labels={LABEL_IMAGE: IMAGE_KIND_BASE},
            rm=True,
            forcerm=True,
            decode=True,
            timeout=timeout_s,
        )
        for chunk in stream:
            if time.monotonic() > deadline:
                raise SetupFailed(
                    f"building the project's Dockerfile {build.dockerfile} took longer than "
                    f"the setup timeout ({timeout_s:g} s)",
                    fix="raise TERMINUS_SETUP_TIMEOUT_S, or make the build faster",
                    excerpt="\n".join(lines[-8:]),
                )
            text = str(chunk.get("stream", "")).rstrip()
            if text:
                lines.append(text)
                if on_line is not None:
                    on_line(text)
            if "error" in chunk:
                error = str(chunk["error"]).strip()
                raise SetupFailed(
                    f"the project's Dockerfile {build.dockerfile} does not build",
                    why=error,
                    fix="fix the Dockerfile (try `docker build` on it), then run again",
                    excerpt="\n".join([*lines[-8:], error]),
                )
    except BUILD_ERRORS as exc:
        raise SetupFailed(
            f"the project's Dockerfile {build.dockerfile} does not build",
            why=str(exc).strip()[:500],
            fix="check the Dockerfile and its context (try `docker build` on it)",
        ) from exc
    return tag


def commit(container: Container, tag: str, labels: dict[str, str]) -> str:
    """Commit ``container`` as ``tag`` with ``labels``; return the image id."""
    repository, _, version = tag.partition(":")
    changes = [f"LABEL {name}={json.dumps(value)}" for name, value in labels.items()]
    try:
        image = container.commit(repository=repository, tag=version, changes=changes)
    except ENGINE_ERRORS as exc:
        raise SetupFailed(
            "setup ran, but its result could not be kept (docker commit failed)",
            why=str(exc).strip()[:500],
            fix="check the engine's free disk space (`docker system df`)",
        ) from exc
    return str(image.id)


class EnvironmentImage(BaseModel):
    """An environment image as listed by ``env show`` and ``env prune``."""

    id: str
    tag: str
    kind: str
    project: str = ""
    key: str = ""
    created: str = ""
    size_mb: float = 0.0


def list_environment_images(client: docker.DockerClient) -> list[EnvironmentImage]:
    """Every environment image and built project base image."""
    found: list[EnvironmentImage] = []
    for kind in (IMAGE_KIND_ENV, IMAGE_KIND_BASE):
        for image in client.images.list(filters={"label": f"{LABEL_IMAGE}={kind}"}):
            labels = image.labels or {}
            found.append(
                EnvironmentImage(
                    id=image.short_id,
                    tag=", ".join(image.tags) or "<untagged>",
                    kind=kind,
                    project=labels.get(LABEL_PROJECT, ""),
                    key=labels.get(LABEL_KEY, ""),
                    created=str(image.attrs.get("Created", ""))[:19],
                    size_mb=round(float(image.attrs.get("Size", 0)) / 1e6, 1),
                )
            )
    return found


def remove_images(client: docker.DockerClient, images: list[EnvironmentImage]) -> list[str]:
    """Remove ``images`` (environment images first); return the removed tags."""
    removed: list[str] = []
    for item in sorted(images, key=lambda i: i.kind != IMAGE_KIND_ENV):
        try:
            client.images.remove(item.id, force=True)
            removed.append(item.tag)
        except docker.errors.NotFound:
            continue
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove image %s: %s", item.tag, exc)
    return removed


def outputs_present(image: Image, project: Path) -> bool:
    """Whether the workspace paths setup created for this image still exist."""
    outputs = (image.labels or {}).get(LABEL_OUTPUTS, "")
    return all((project / name).exists() for name in outputs.split(",") if name)
