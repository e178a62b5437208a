"""The user's cache folders for what terminus-mcp downloads, and the checksum that verifies it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CHUNK = 1 << 20


def user_cache_dir(env_var: str, name: str) -> Path:
    """``$env_var`` when it is set, else ``$XDG_CACHE_HOME/terminus-mcp/NAME`` (by default
    under ``~/.cache``); not created."""
    configured = os.environ.get(env_var)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "terminus-mcp" / name


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
