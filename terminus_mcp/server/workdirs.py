"""Which host folder a task runs in: the request's workdir, bounded by the allowed roots.

A workdir must resolve (symlinks followed) inside one of ``settings.allowed_roots`` and, when
the client offers MCP roots, inside one of those too: the client's roots narrow what the server
allows, they never widen it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from terminus_mcp.errors import WorkspaceError
from terminus_mcp.sandbox.workspace import HOW_TO_ALLOW


def paths_of_roots(uris: Sequence[str]) -> list[Path]:
    """The local folders named by ``file://`` root URIs (others are ignored)."""
    paths = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            paths.append(Path(unquote(parsed.path)).resolve())
    return paths


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def resolve_workdir(
    requested: str | None,
    *,
    cwd: Path,
    allowed_roots: Sequence[Path],
    client_roots: Sequence[Path] | None,
) -> Path:
    """The absolute, symlink-free folder a task should mount.

    ``requested`` may be relative (to ``cwd``); ``None`` means ``cwd``. ``client_roots`` is
    ``None`` when the client offers no roots.

    Raises:
        WorkspaceError: the folder does not exist, or lies outside the allowed roots.
    """
    raw = Path(requested).expanduser() if requested else cwd
    path = (cwd / raw if not raw.is_absolute() else raw).resolve()
    if not path.is_dir():
        raise WorkspaceError(
            f"workdir {path} is not an existing folder",
            fix="pass an existing project folder as workdir, or omit it to use the server's cwd",
        )
    if not _inside(path, allowed_roots):
        roots = ", ".join(str(r) for r in allowed_roots) or "(none)"
        raise WorkspaceError(
            f"workdir {path} is not allowed",
            why=f"it is outside the server's allowed roots: {roots}",
            fix=f"pass a folder inside one of them, or {HOW_TO_ALLOW}",
        )
    if client_roots is not None and not _inside(path, client_roots):
        roots = ", ".join(str(r) for r in client_roots) or "(none)"
        raise WorkspaceError(
            f"workdir {path} is not allowed",
            why=f"it is outside the roots your MCP client offers: {roots}",
            fix="pass a folder inside one of the client's roots (open that project in the client)",
        )
    return path
