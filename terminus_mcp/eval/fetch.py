"""Real public projects for eval tasks: fetched from a package registry, verified, cached, patched.

A task of the ``realworld`` suite names a project by registry, name, pinned version and the
sha256 of the archive the registry serves; nothing of the project is stored in this
repository. When the suite runs, the archive is fetched with the registry's own client, on the
host (the sandbox has no network):

- ``pypi``: ``python -m pip download --no-deps --no-binary :all: NAME==VERSION`` (the source
  distribution, which usually carries the project's tests);
- ``npm``: ``npm pack NAME@VERSION`` (the registry's tarball, byte for byte);
- ``debian``: ``apt-get source --download-only NAME=VERSION`` with ``deb-src`` entries derived
  from the host's own apt sources, in a private apt state folder (the host's apt configuration
  is not touched); the archive is the upstream ``.orig.tar.*``.

Archives are kept in a cache outside the clone (:func:`cache_dir`) and re-used while their hash
matches the pinned one; a mismatch, a failed download or a missing client is a
:class:`FetchError` that says what failed and how to fix it. The archive is unpacked without
its top folder, and the task's patches (unified diffs, ``-p1``) introduce the bug the task is
about. Node.js tools a task needs (a test runner, a compiler) are installed with npm into a
cached folder per list of packages and copied into the project's ``node_modules``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from terminus_mcp.errors import TerminusError
from terminus_mcp.user_cache import file_sha256, user_cache_dir

CACHE_ENV = "TERMINUS_EVAL_CACHE"
"""Environment variable naming the cache folder (default ``~/.cache/terminus-mcp/realworld``,
or ``$XDG_CACHE_HOME/terminus-mcp/realworld``)."""
FETCH_TIMEOUT_S = 600.0
"""Deadline of one registry client call (a download, an npm install)."""

Registry = Literal["pypi", "npm", "debian"]


class FetchSpec(BaseModel):
    """One pinned archive of a public project."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: Registry
    """Where the archive comes from: ``pypi`` (a source distribution), ``npm`` (a package
    tarball) or ``debian`` (a source package's upstream tarball)."""
    name: str = Field(pattern=r"^[A-Za-z0-9@][A-Za-z0-9._/@-]*$")
    """The project's name on that registry."""
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+~_-]*$")
    """The exact version (a Debian version for ``debian``)."""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """The sha256 of the archive, lower-case hex."""

    @property
    def label(self) -> str:
        return f"{self.registry}:{self.name}=={self.version}"


class FetchError(TerminusError):
    """A project's archive cannot be fetched, verified, unpacked or patched."""


def cache_dir() -> Path:
    """The folder where fetched archives and installed Node.js tools are kept."""
    return user_cache_dir(CACHE_ENV, "realworld")


def fetch_archive(spec: FetchSpec, cache: Path | None = None) -> Path:
    """The verified archive of ``spec``: from the cache, or fetched into it.

    Raises:
        FetchError: the registry client is missing or fails, or the archive's hash is not the
            pinned one.
    """
    folder = (cache or cache_dir()) / "archives" / spec.registry / spec.sha256
    cached = _archives_in(folder)
    if len(cached) == 1 and file_sha256(cached[0]) == spec.sha256:
        return cached[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=folder.parent))
    try:
        archive = _download(spec, scratch)
        actual = file_sha256(archive)
        if actual != spec.sha256:
            raise FetchError(
                f"the archive of {spec.label} does not have the pinned hash",
                why=f"{archive.name} has sha256 {actual}, the task pins {spec.sha256}",
                fix="check that the registry serves the expected file; if the new file is "
                "trusted, pin its hash in the task file",
            )
        folder.mkdir()
        return archive.rename(folder / archive.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _archives_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_file() and _is_archive(p.name)]


def _is_archive(name: str) -> bool:
    return name.endswith((".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".zip"))


def _download(spec: FetchSpec, scratch: Path) -> Path:
    if spec.registry == "pypi":
        _client(
            spec,
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary=:all:",
                "--disable-pip-version-check",
                f"--dest={scratch}",
                f"{spec.name}=={spec.version}",
            ],
            scratch,
        )
    elif spec.registry == "npm":
        _client(
            spec,
            [
                "npm",
                "pack",
                "--silent",
                f"--pack-destination={scratch}",
                f"{spec.name}@{spec.version}",
            ],
            scratch,
        )
    else:
        _client(
            spec,
            [*_apt_options(scratch), "source", "--download-only", f"{spec.name}={spec.version}"],
            scratch,
            update=[*_apt_options(scratch), "update"],
        )
        origs = [p for p in scratch.iterdir() if re.search(r"\.orig\.tar\.\w+$", p.name)]
        if len(origs) == 1:
            return origs[0]
    found = _archives_in(scratch)
    if len(found) != 1:
        raise FetchError(
            f"fetching {spec.label} did not give one archive",
            why="found: " + (", ".join(sorted(p.name for p in found)) or "nothing"),
            fix="run the registry client by hand (see terminus_mcp/eval/fetch.py) to see why",
        )
    return found[0]


def _client(
    spec: FetchSpec, argv: list[str], cwd: Path, *, update: list[str] | None = None
) -> None:
    for command in [c for c in (update, argv) if c is not None]:
        run_client(command, cwd, f"fetching {spec.label}")


def run_client(argv: list[str], cwd: Path, doing: str) -> None:
    """Run a registry client; a missing client, a failure or a hang is a :class:`FetchError`."""
    if shutil.which(argv[0]) is None:
        raise FetchError(
            f"{doing} needs `{argv[0]}`, which is not on PATH",
            why="the realworld suite fetches projects with the registries' own clients",
            fix=f"install {argv[0]} (scripts/bootstrap.sh does) and run again",
        )
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=FETCH_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FetchError(
            f"{doing} did not finish",
            why=f"`{' '.join(argv)}` ran longer than {FETCH_TIMEOUT_S:.0f} s",
            fix="check that the registry is reachable from this machine",
        ) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout)[-1500:].strip()
        raise FetchError(
            f"{doing} failed: `{' '.join(argv)}` exited with {done.returncode}",
            why=tail or "it printed nothing",
            fix="check that the registry is reachable from this machine and still serves "
            f"that version (archives are cached in {cache_dir()}, {CACHE_ENV} moves the cache)",
        )


def _apt_options(state: Path) -> list[str]:
    """``apt-get`` with ``deb-src`` twins of the host's sources, in a private state folder."""
    parts = state / "sources.list.d"
    lists = state / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    (state / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    parts.mkdir(exist_ok=True)
    written = 0
    for source in _host_apt_sources():
        text = source.read_text(errors="replace")
        if source.suffix == ".sources":
            text = re.sub(r"^Types:\s*deb\s*$", "Types: deb-src", text, flags=re.MULTILINE)
        else:
            text = re.sub(r"^deb\s", "deb-src ", text, flags=re.MULTILINE)
        (parts / f"{written:02d}-{source.name}").write_text(text)
        written += 1
    if not written:
        raise FetchError(
            "no apt sources to derive deb-src entries from",
            why="/etc/apt/sources.list and /etc/apt/sources.list.d/ name no Debian mirror",
            fix="configure a Debian mirror for apt on this machine",
        )
    return [
        "apt-get",
        "-q",
        "-o",
        "Dir::Etc::SourceList=/dev/null",
        "-o",
        f"Dir::Etc::SourceParts={parts}",
        "-o",
        f"Dir::State::Lists={lists}",
        "-o",
        f"Dir::Cache={state / 'cache'}",
        "-o",
        "Debug::NoLocking=1",
    ]


def _host_apt_sources() -> list[Path]:
    etc = Path("/etc/apt")
    found = [etc / "sources.list"] if (etc / "sources.list").is_file() else []
    parts = etc / "sources.list.d"
    if parts.is_dir():
        found += sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources"))
    return [p for p in found if p.stat().st_size > 0]


def unpack(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into ``target`` (created), without its single top-level folder.

    Raises:
        FetchError: the archive is unreadable or has a member that would land outside
            ``target``.
    """
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".unpack-", dir=target.parent) as scratch_name:
        scratch = Path(scratch_name)
        try:
            if archive.name.endswith(".zip"):
                with zipfile.ZipFile(archive) as zipped:
                    for member in zipped.namelist():
                        if not (scratch / member).resolve().is_relative_to(scratch.resolve()):
                            raise FetchError(
                                f"{archive.name} has a member outside its folder: {member}"
                            )
                    zipped.extractall(scratch)
            else:
                with tarfile.open(archive) as tarred:
                    tarred.extractall(scratch, filter="data")
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
            raise FetchError(
                f"cannot unpack {archive}",
                why=str(exc),
                fix=f"remove it from the cache ({cache_dir()}) so that it is fetched again",
            ) from None
        entries = list(scratch.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else scratch
        for entry in root.iterdir():
            shutil.move(str(entry), str(target / entry.name))


def apply_patch(patch: Path, target: Path) -> None:
    """Apply a unified diff (``-p1``) to the project in ``target``.

    Raises:
        FetchError: the patch does not apply cleanly.
    """
    argv = ["patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-i", str(patch)]
    if shutil.which("patch") is None:
        raise FetchError(
            f"applying {patch.name} needs `patch`, which is not on PATH",
            fix="install it (apt-get install patch)",
        )
    done = subprocess.run(argv, cwd=target, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise FetchError(
            f"patch {patch} does not apply",
            why=(done.stdout + done.stderr)[-1500:].strip(),
            fix="regenerate the patch against the pinned version of the project",
        )


def install_node_tools(packages: list[str], target: Path, cache: Path | None = None) -> None:
    """Install npm ``packages`` (``name@version``) and copy them into ``target/node_modules``.

    They are installed once per list into the cache, with npm on the host, so that the sandbox
    (which has no network) finds them in the project as a developer's checkout would have them.

    Raises:
        FetchError: npm is missing or the install fails.
    """
    key = hashlib.sha256("\n".join(sorted(packages)).encode()).hexdigest()[:16]
    folder = (cache or cache_dir()) / "node-tools" / key
    done_marker = folder / ".complete"
    if not done_marker.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "package.json").write_text('{"name": "terminus-eval-tools", "private": true}\n')
        run_client(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--ignore-scripts",
                "--loglevel=error",
                *packages,
            ],
            folder,
            "installing " + ", ".join(packages),
        )
        done_marker.write_text("\n".join(packages) + "\n")
    destination = target / "node_modules"
    destination.mkdir(exist_ok=True)
    for entry in (folder / "node_modules").iterdir():
        if (destination / entry.name).exists() or entry.name.startswith(".package-lock"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, destination / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, destination / entry.name, follow_symlinks=False)
