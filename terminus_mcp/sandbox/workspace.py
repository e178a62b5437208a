"""The host folder a sandbox works on: where it may be, how it is mounted, whose it is.

A workdir is resolved once, where a task or command enters (:func:`resolve_workdir`), with
symlinks followed, and must land inside one of the allowed roots, so a link inside an allowed
folder cannot smuggle ``/etc`` or ``~/.ssh`` into a container; the resolved path
(:data:`~terminus_mcp.sandbox.api.AllowedWorkdir`) is passed on and mounted as it is. It
is bind-mounted at ``/workspace``; its ``.git`` is mounted again, read-only, on top, so nothing
in the sandbox can plant hooks or config that the host's git runs later.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from docker.types import Mount

from terminus_mcp.errors import WorkspaceError
from terminus_mcp.sandbox.api import AllowedWorkdir
from terminus_mcp.sandbox.hardening import WORKSPACE

HOW_TO_ALLOW = (
    "add its parent to the allowed roots: TERMINUS_ALLOWED_ROOTS=DIR1:DIR2 in the "
    'environment, or allowed_roots = ["DIR1", "DIR2"] in the config file'
)
"""How a user widens the allowed roots (there is no command-line flag for it)."""


def resolve_workdir(
    workdir: Path | str,
    allowed_roots: Sequence[Path],
    *,
    client_roots: Sequence[Path] | None = None,
) -> AllowedWorkdir:
    """The real path of ``workdir`` if it is an existing folder inside an allowed root (and
    inside one of ``client_roots`` when given: the roots an MCP client offers narrow what the
    server allows, they never widen it). The one place these checks are made; what it returns
    is passed on as it is.

    Raises:
        WorkspaceError: it does not exist, is not a folder, or resolves (after following
            symlinks) outside every allowed root, or outside every client root.
    """
    path = Path(workdir).expanduser()
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise WorkspaceError(
            f"workdir {path} is not an existing folder",
            why=f"it does not exist ({exc})",
            fix="pass an existing project folder",
        ) from exc
    if not real.is_dir():
        raise WorkspaceError(
            f"workdir {path} is not an existing folder",
            why="it is a file",
            fix="pass a project folder, not a file",
        )
    via = f" (it resolves to {real})" if real != path.absolute() else ""
    roots = [Path(root).resolve() for root in allowed_roots]
    if not _inside(real, roots):
        shown = ", ".join(str(r) for r in roots) or "(none)"
        raise WorkspaceError(
            f"workdir {path} is not allowed",
            why=f"it is outside the allowed roots{via}: {shown}",
            fix=f"pass a folder inside one of them, or {HOW_TO_ALLOW}",
        )
    if client_roots is not None and not _inside(real, client_roots):
        shown = ", ".join(str(r) for r in client_roots) or "(none)"
        raise WorkspaceError(
            f"workdir {path} is not allowed",
            why=f"it is outside the roots your MCP client offers{via}: {shown}",
            fix="pass a folder inside one of the client's roots (open that project in the client)",
        )
    return AllowedWorkdir(real)


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def workspace_mounts(real_workdir: Path, *, read_only: bool, protect_git: bool) -> list[Mount]:
    """Bind mounts for a resolved workdir: the folder at ``/workspace``, ``.git`` read-only.

    ``.git`` is only re-mounted when it is a real folder (a worktree's ``.git`` *file* points
    elsewhere and is left as is; it is covered by ``read_only`` when set).
    """
    mounts = [Mount(target=WORKSPACE, source=str(real_workdir), type="bind", read_only=read_only)]
    git_dir = real_workdir / ".git"
    if protect_git and not read_only and git_dir.is_dir() and not git_dir.is_symlink():
        mounts.append(
            Mount(target=f"{WORKSPACE}/.git", source=str(git_dir), type="bind", read_only=True)
        )
    return mounts


def owned_by_root(real_workdir: Path) -> bool:
    """Whether root owns the workspace (as root in CI or in a dev container)."""
    return os.stat(real_workdir).st_uid == 0


def sandbox_user(configured: str, real_workdir: Path) -> str:
    """``UID:GID`` for the container: the configured one, or (``auto``) the workspace owner.

    The owner's ids let the sandbox write files the host user can still edit. A root-owned
    workspace gets ``0:0``: root inside, but with no capabilities and no-new-privileges, so it
    can write what root owns (as the host's root could) and nothing more.
    """
    if configured != "auto":
        uid, _, gid = configured.partition(":")
        return f"{uid}:{gid or uid}"
    stat = os.stat(real_workdir)
    return f"{stat.st_uid}:{stat.st_gid}"


def write_problem(real_workdir: Path, user: str) -> str | None:
    """Why ``user`` (``UID:GID``, with no capabilities) cannot write the workspace, or ``None``.

    Judged from the folder's owner, group and mode bits, as the kernel does for a process
    without ``CAP_DAC_OVERRIDE`` (ACLs are not considered).
    """
    stat = os.stat(real_workdir)
    uid_text, _, gid_text = user.partition(":")
    uid, gid = int(uid_text), int(gid_text or uid_text)
    if uid == stat.st_uid:
        writable = bool(stat.st_mode & 0o200)
    elif gid == stat.st_gid:
        writable = bool(stat.st_mode & 0o020)
    else:
        writable = bool(stat.st_mode & 0o002)
    if writable:
        return None
    return (
        f"the sandbox runs as {uid}:{gid} but {real_workdir} belongs to "
        f"{stat.st_uid}:{stat.st_gid} with mode {stat.st_mode & 0o777:o}, so every write in "
        "/workspace fails with 'Permission denied'"
    )
