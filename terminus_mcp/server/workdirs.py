"""The folder a tool call asks for, and the folders an MCP client offers as its roots, which
narrow the allowed roots. Both are checked, once, by
:meth:`terminus_mcp.service.TerminusService.check_workdir`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse


def paths_of_roots(uris: Sequence[str]) -> list[Path]:
    """The local folders named by ``file://`` root URIs (others are ignored)."""
    paths = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            paths.append(Path(unquote(parsed.path)).resolve())
    return paths


def requested_workdir(requested: str | None, cwd: Path) -> Path:
    """The folder a call names: ``requested`` (``~`` expanded, relative to ``cwd``), or ``cwd``
    when it names none. Not checked yet."""
    return cwd / Path(requested).expanduser() if requested else cwd
