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
import time
from importlib import resources
from pathlib import Path

import docker
import docker.errors
from pydantic import BaseModel

from terminus_mcp.errors import SandboxError
from terminus_mcp.sandbox.engine import ENGINE_ERRORS
from terminus_mcp.sandbox.hardening import LABEL_IMAGE, LABEL_OWNER, LABEL_ROLE, LABEL_SESSION
from terminus_mcp.sandbox.persist import (
    LABEL_PERSIST,
    LABEL_WORKDIR,
    idle_ttl,
    last_used,
    read_state,
)

log = logging.getLogger(__name__)

APT_SOURCES = Path("/etc/apt")
"""Where the host's apt configuration lives; the Debian mirror is read from it."""
DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")


def dockerfile_path(name: str = "Dockerfile") -> Path:
    """An image definition: ``sandbox/NAME`` of a source checkout, or the copy shipped in the
    package. ``Dockerfile`` is the sandbox image, ``Dockerfile.proxy`` the egress proxy.

    Raises:
        SandboxError: neither exists (an installation without the image definition).
    """
    checkout = Path(__file__).resolve().parents[2] / "sandbox" / name
    if checkout.is_file():
        return checkout
    shipped = resources.files("terminus_mcp.sandbox").joinpath(name)
    if shipped.is_file():
        return Path(str(shipped))
    raise SandboxError(
        f"the image definition sandbox/{name} is not part of this installation",
        fix="build from a source checkout of terminus-mcp, or pass --dockerfile PATH",
    )


def proxy_dockerfile_path() -> Path:
    """The egress proxy's Dockerfile (Squid from Debian)."""
    return dockerfile_path("Dockerfile.proxy")


def base_image(dockerfile: Path) -> str:
    """The image named by the Dockerfile's first ``FROM`` line."""
    for line in dockerfile.read_text().splitlines():
        match = re.match(r"\s*FROM\s+(?:--\S+\s+)*(\S+)", line, re.IGNORECASE)
        if match:
            return match.group(1)
    raise SandboxError(f"{dockerfile} has no FROM line", fix="add one")


def debian_suite(image: str) -> str:
    """The Debian release a base image name stands for: ``debian:trixie-slim`` -> ``trixie``.

    Raises:
        SandboxError: the name is not ``debian:SUITE[-slim]``, so debootstrap cannot make it.
    """
    match = re.fullmatch(r"(?:docker\.io/)?(?:library/)?debian:([a-z]+)(?:-slim)?", image)
    if match is None:
        raise SandboxError(
            f"cannot bootstrap the base image {image} from Debian packages",
            why="only debian:SUITE or debian:SUITE-slim bases can be made with debootstrap",
            fix=f"pull {image} from a registry, or base the Dockerfile on debian:trixie-slim",
        )
    return match.group(1)


def _mirrors_in(text: str, *, deb822: bool) -> list[str]:
    """Debian archive URIs of one apt sources file (security and updates archives skipped)."""
    found: list[str] = []
    if deb822:
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line[:1].isspace() or line.startswith("#") or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            if "deb" not in fields.get("types", "").split():
                continue
            suites = fields.get("suites", "").split()
            if any(s.endswith(("-security", "/updates")) for s in suites):
                continue
            found.extend(u for u in fields.get("uris", "").split() if "security" not in u)
        return found
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts or parts[0] != "deb":
            continue
        parts = [p for p in parts[1:] if not p.startswith("[") and not p.endswith("]")]
        if len(parts) >= 2 and "security" not in parts[0] and "-security" not in parts[1]:
            found.append(parts[0])
    return found


def debian_mirror(configured: str | None = None, *, apt_dir: Path = APT_SOURCES) -> str:
    """The Debian mirror to bootstrap from: ``configured`` (the ``debian_mirror`` setting), else
    the first Debian archive in the host's apt sources (``sources.list.d/*.sources``, then
    ``sources.list`` and ``sources.list.d/*.list``).

    Raises:
        SandboxError: no mirror is configured and the host's apt sources name none.
    """
    if configured:
        return configured.rstrip("/")
    files = [
        *((p, True) for p in sorted((apt_dir / "sources.list.d").glob("*.sources"))),
        (apt_dir / "sources.list", False),
        *((p, False) for p in sorted((apt_dir / "sources.list.d").glob("*.list"))),
    ]
    for path, deb822 in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        mirrors = [m for m in _mirrors_in(text, deb822=deb822) if "/debian" in m]
        if mirrors:
            return mirrors[0].rstrip("/")
    raise SandboxError(
        "no Debian mirror to bootstrap the base image from",
        why=f"the debian_mirror setting is empty and {apt_dir} names no Debian archive",
        fix="set TERMINUS_DEBIAN_MIRROR to your Debian mirror (the URL apt uses), or pull "
        "the base image from a registry (`sandbox build` without --offline)",
    )


def bootstrap_base(client: docker.DockerClient, image: str, *, mirror: str | None = None) -> None:
    """Create ``image`` (``debian:SUITE[-slim]``, a Debian root file system) from Debian
    packages with debootstrap, no registry. ``mirror``: the ``debian_mirror`` setting.

    Raises:
        SandboxError: debootstrap is missing, this is not root, no mirror is known, or a step
            fails.
    """
    suite = debian_suite(image)
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
    mirror = debian_mirror(mirror)
    repository, _, tag = image.partition(":")
    # An older debootstrap may not know a newer suite by name; they all follow sid's script.
    script = [] if (DEBOOTSTRAP_SCRIPTS / suite).exists() else [str(DEBOOTSTRAP_SCRIPTS / "sid")]
    with tempfile.TemporaryDirectory(prefix="terminus-rootfs-") as root:
        log.info("bootstrapping %s (Debian %s) from %s (about a minute)", image, suite, mirror)
        argv = [
            "debootstrap",
            "--variant=minbase",
            "--include=ca-certificates",
            suite,
            root,
            mirror,
            *script,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SandboxError(
                "debootstrap failed",
                why=done.stderr.strip()[-2000:] or done.stdout.strip()[-2000:],
                fix=f"check that the Debian mirror {mirror} is reachable and serves {suite}",
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
    mirror: str | None = None,
    kind: str = "sandbox",
) -> str:
    """Build the sandbox image as ``tag`` and return its id.

    ``offline=True`` never asks a registry: it bootstraps the base when it is not present;
    ``None`` (auto) bootstraps only when the base is neither present nor pullable; ``False``
    never bootstraps. ``mirror`` is the ``debian_mirror`` setting (``None``: the host's apt
    sources). ``kind`` (``sandbox`` or ``proxy``) labels the image for ``sandbox ls``.

    Raises:
        SandboxError: the build (or the bootstrap) fails.
    """
    dockerfile = dockerfile or dockerfile_path()
    base = base_image(dockerfile)
    if offline:
        if not _base_present(client, base):
            bootstrap_base(client, base, mirror=mirror)
    elif offline is None and not _base_available(client, base):
        bootstrap_base(client, base, mirror=mirror)
    log.info("building %s from %s", tag, dockerfile)
    image_id = ""
    try:
        for chunk in client.api.build(
            path=str(dockerfile.parent),
            dockerfile=dockerfile.name,
            tag=tag,
            labels={LABEL_IMAGE: kind, LABEL_RECIPE: recipe_hash(dockerfile)},
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
    """A container, network or image the project created."""

    kind: str
    id: str
    name: str
    status: str
    session: str = ""
    role: str = ""
    """``proxy`` for an egress proxy container, ``egress`` for its internal network."""
    idle_s: float | None = None
    """Seconds since a persistent session's last use (``None`` for others)."""
    ttl_s: float | None = None
    """A persistent session's idle TTL."""


def list_resources(client: docker.DockerClient, state_dir: Path | None = None) -> list[Resource]:
    """Sandbox containers and networks (of any owner, and of persistent sessions, which have
    none) and images built by ``sandbox build``. With ``state_dir``, persistent sessions show
    their idle time."""
    found: list[Resource] = []
    now = time.time()
    containers = {
        c.id: c
        for label in (LABEL_OWNER, LABEL_PERSIST)
        for c in client.containers.list(all=True, filters={"label": label}, ignore_removed=True)
    }
    for container in containers.values():
        labels = container.labels or {}
        session = labels.get(LABEL_SESSION, "")
        idle = ttl = None
        if LABEL_PERSIST in labels and not labels.get(LABEL_ROLE):
            workdir = labels.get(LABEL_WORKDIR, "")
            state = read_state(state_dir, session, workdir) if state_dir is not None else None
            idle, ttl = now - last_used(container, state), idle_ttl(labels)
        found.append(
            Resource(
                kind="container",
                id=container.short_id,
                name=container.name or "",
                status=container.status,
                session=session,
                role=labels.get(LABEL_ROLE, ""),
                idle_s=idle,
                ttl_s=ttl,
            )
        )
    networks = {
        n.id: n
        for label in (LABEL_OWNER, LABEL_PERSIST)
        for n in client.networks.list(filters={"label": label})
    }
    for network in networks.values():
        labels = network.attrs.get("Labels") or {}
        found.append(
            Resource(
                kind="network",
                id=network.short_id,
                name=network.name or "",
                status="internal" if network.attrs.get("Internal") else "",
                session=labels.get(LABEL_SESSION, ""),
                role=labels.get(LABEL_ROLE, ""),
            )
        )
    for image in client.images.list(filters={"label": LABEL_IMAGE}):
        found.append(
            Resource(
                kind="image",
                id=image.short_id,
                name=", ".join(image.tags) or "<untagged>",
                status="",
                role=(image.labels or {}).get(LABEL_IMAGE, ""),
            )
        )
    return found


def prune(client: docker.DockerClient, *, images: bool = False) -> list[Resource]:
    """Remove every sandbox container and network (and, with ``images``, the built images);
    return them. Networks go after the containers on them (``list_resources`` order).

    Containers of a running terminus-mcp process are removed too: run it when no server runs.
    """
    removed: list[Resource] = []
    for item in list_resources(client):
        try:
            if item.kind == "container":
                client.containers.get(item.id).remove(force=True)
            elif item.kind == "network":
                client.networks.get(item.id).remove()
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
