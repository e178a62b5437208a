"""Building the default sandbox image, and listing or removing what the project created.

``build_image`` runs ``docker build`` on ``sandbox/Dockerfile``. Where no image registry
answers (or with ``offline=True``, which never asks one) it first bootstraps a missing Debian
base from the Debian mirror with ``debootstrap`` and imports it under the base's name, so the
build then runs without a registry. Every call blocks; async callers use ``anyio.to_thread``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import docker
import docker.errors
from pydantic import BaseModel

from terminus_mcp.errors import SandboxError
from terminus_mcp.sandbox.engine import ENGINE_ERRORS
from terminus_mcp.sandbox.hardening import LABEL_IMAGE, LABEL_OWNER, LABEL_SESSION

log = logging.getLogger(__name__)

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"


def dockerfile_path() -> Path:
    """The default image's Dockerfile: ``sandbox/Dockerfile`` of a source checkout, or the copy
    shipped in the package.

    Raises:
        SandboxError: neither exists (an installation without the image definition).
    """
    checkout = Path(__file__).resolve().parents[2] / "sandbox" / "Dockerfile"
    if checkout.is_file():
        return checkout
    shipped = resources.files("terminus_mcp.sandbox").joinpath("Dockerfile")
    if shipped.is_file():
        return Path(str(shipped))
    raise SandboxError(
        "the sandbox Dockerfile is not part of this installation",
        fix="build from a source checkout of terminus-mcp, or pass --dockerfile PATH",
    )


def base_image(dockerfile: Path) -> str:
    """The image named by the Dockerfile's first ``FROM`` line."""
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", line, re.IGNORECASE)
        if match:
            return match.group(1)
    raise SandboxError(f"{dockerfile} has no FROM line", fix="add one")


def debian_mirror() -> str:
    """The host's Debian mirror, from apt's sources (deb822 or one-line format)."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        for line in deb822.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split(":", 1)[1].split()[0]
    legacy = Path("/etc/apt/sources.list")
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[2] if parts[1].startswith("[") else parts[1]
    return DEFAULT_MIRROR


def bootstrap_base(client: docker.DockerClient, image: str, *, mirror: str | None = None) -> None:
    """Create ``image`` (a Debian bookworm root file system) from Debian packages, no registry.

    Raises:
        SandboxError: debootstrap is missing, this is not root, or a step fails.
    """
    if shutil.which("debootstrap") is None:
        raise SandboxError(
            "cannot bootstrap the base image offline: debootstrap is not installed",
            fix="`sudo apt-get install -y debootstrap`",
        )
    if os.geteuid() != 0:
        raise SandboxError(
            "cannot bootstrap the base image offline without root",
            why="debootstrap creates device nodes and chowns files",
            fix="run `sudo terminus-mcp sandbox build --offline`",
        )
    mirror = mirror or debian_mirror()
    repository, _, tag = image.partition(":")
    with tempfile.TemporaryDirectory(prefix="terminus-rootfs-") as root:
        log.info("bootstrapping %s from %s (about a minute)", image, mirror)
        argv = [
            "debootstrap",
            "--variant=minbase",
            "--include=ca-certificates",
            SUITE,
            root,
            mirror,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SandboxError(
                "debootstrap failed",
                why=done.stderr.strip()[-2000:] or done.stdout.strip()[-2000:],
                fix=f"check that the Debian mirror {mirror} is reachable",
            )
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        assert tar.stdout is not None
        try:
            client.api.import_image_from_stream(
                tar.stdout, repository=repository, tag=tag or "latest"
            )
        except ENGINE_ERRORS as exc:
            raise SandboxError("docker import of the base image failed", why=str(exc)) from exc
        finally:
            tar.stdout.close()
            tar.wait()
    log.info("imported %s", image)


def _base_present(client: docker.DockerClient, base: str) -> bool:
    try:
        client.images.get(base)
    except docker.errors.ImageNotFound:
        return False
    return True


def _base_available(client: docker.DockerClient, base: str) -> bool:
    if _base_present(client, base):
        return True
    try:
        log.info("pulling %s", base)
        client.images.pull(base)
        return True
    except ENGINE_ERRORS as exc:
        log.warning("cannot pull %s (%s); bootstrapping it from Debian packages", base, exc)
        return False


LABEL_RECIPE = "org.terminus-mcp.recipe-sha256"
"""Label holding the hash of the Dockerfile an image was built from."""


def recipe_hash(dockerfile: Path) -> str:
    """Hash of the Dockerfile's content, to tell whether an image is up to date."""
    return hashlib.sha256(dockerfile.read_bytes()).hexdigest()


def image_is_current(client: docker.DockerClient, tag: str, dockerfile: Path | None = None) -> bool:
    """True when ``tag`` exists and was built from the current Dockerfile."""
    dockerfile = dockerfile or dockerfile_path()
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    labels = image.labels or {}
    return labels.get(LABEL_RECIPE) == recipe_hash(dockerfile)


def build_image(
    client: docker.DockerClient,
    tag: str,
    *,
    offline: bool | None = None,
    dockerfile: Path | None = None,
) -> str:
    """Build the sandbox image as ``tag`` and return its id.

    ``offline=True`` never asks a registry: it bootstraps the base when it is not present;
    ``None`` (auto) bootstraps only when the base is neither present nor pullable; ``False``
    never bootstraps.

    Raises:
        SandboxError: the build (or the bootstrap) fails.
    """
    dockerfile = dockerfile or dockerfile_path()
    base = base_image(dockerfile)
    if offline:
        if not _base_present(client, base):
            bootstrap_base(client, base)
    elif offline is None and not _base_available(client, base):
        bootstrap_base(client, base)
    log.info("building %s from %s", tag, dockerfile)
    image_id = ""
    try:
        for chunk in client.api.build(
            path=str(dockerfile.parent),
            dockerfile=dockerfile.name,
            tag=tag,
            labels={LABEL_IMAGE: "sandbox", LABEL_RECIPE: recipe_hash(dockerfile)},
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        ):
            if "stream" in chunk:
                text = str(chunk["stream"]).rstrip()
                if text:
                    log.info("%s", text)
            if "error" in chunk:
                raise SandboxError(
                    f"building {tag} failed",
                    why=str(chunk["error"]).strip(),
                    fix="read the build log above; the Debian mirror must be reachable",
                )
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = str(aux["ID"])
    except ENGINE_ERRORS as exc:
        raise SandboxError(f"building {tag} failed", why=str(exc)) from exc
    return image_id or client.images.get(tag).id


class Resource(BaseModel):
    """A container or image the project created."""

    kind: str
    id: str
    name: str
    status: str
    session: str = ""


def list_resources(client: docker.DockerClient) -> list[Resource]:
    """Sandbox containers (any owner) and images built by ``sandbox build``."""
    found: list[Resource] = []
    for container in client.containers.list(
        all=True, filters={"label": LABEL_OWNER}, ignore_removed=True
    ):
        found.append(
            Resource(
                kind="container",
                id=container.short_id,
                name=container.name or "",
                status=container.status,
                session=(container.labels or {}).get(LABEL_SESSION, ""),
            )
        )
    for image in client.images.list(filters={"label": LABEL_IMAGE}):
        found.append(
            Resource(
                kind="image",
                id=image.short_id,
                name=", ".join(image.tags) or "<untagged>",
                status="",
            )
        )
    return found


def prune(client: docker.DockerClient, *, images: bool = False) -> list[Resource]:
    """Remove every sandbox container (and, with ``images``, the built images); return them.

    Containers of a running terminus-mcp process are removed too: run it when no server runs.
    """
    removed: list[Resource] = []
    for item in list_resources(client):
        try:
            if item.kind == "container":
                client.containers.get(item.id).remove(force=True)
            elif images:
                client.images.remove(item.id, force=True)
            else:
                continue
            removed.append(item)
        except docker.errors.NotFound:
            continue
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove %s %s: %s", item.kind, item.id, exc)
    return removed
