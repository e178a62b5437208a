"""Named sessions that outlive their process: labels, a small state file, and the reaper.

A *persistent* session (``run --session NAME``, the MCP tool's ``session_id``) keeps its
container (and its egress proxy and network) running when the process that made it ends,
until it has been idle for the idle TTL. Its container carries :data:`LABEL_PERSIST` (the TTL
in seconds) and :data:`LABEL_WORKDIR`; a JSON file ``STATE_DIR/sessions/NAME.json`` holds
the last-use time, the shell's working directory and which live process holds the session.

Any later terminus-mcp process adopts the container by name, or reaps it once it expired
(:func:`reap_expired`). Every call blocks; async callers use ``anyio.to_thread``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
from collections.abc import Collection
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container
from pydantic import BaseModel, ValidationError

from terminus_mcp.sandbox.engine import ENGINE_ERRORS
from terminus_mcp.sandbox.hardening import (
    LABEL_PREFIX,
    LABEL_ROLE,
    LABEL_SESSION,
    process_start_time,
)

log = logging.getLogger(__name__)

LABEL_PERSIST = f"{LABEL_PREFIX}.persist-ttl"
"""On every container and network of a persistent session: its idle TTL in seconds. They
carry no owner labels: no process owns them, so none reaps them as its orphans."""
LABEL_WORKDIR = f"{LABEL_PREFIX}.workdir"
"""The resolved host workdir a persistent session mounts."""
LABEL_CREATED = f"{LABEL_PREFIX}.created"
"""Creation time (Unix seconds): the last use when no state file says otherwise."""


class SessionState(BaseModel):
    """What a persistent session's state file holds."""

    session_id: str
    workdir: str
    container_id: str
    last_used_at: float
    cwd: str = "/workspace"
    holder_pid: int = 0
    """The live process that has the session open (0: none)."""
    holder_start: str = ""
    holder_host: str = ""

    def held_by_live_process(self) -> bool:
        """Whether a live process (this one included) has it open now; a holder on another
        host counts as live."""
        if not self.holder_pid:
            return False
        if self.holder_host != socket.gethostname():
            return True
        started = process_start_time(self.holder_pid)
        return bool(started) and started == self.holder_start

    def held_by_other_live_process(self) -> bool:
        """Whether a live process other than this one has it open now."""
        mine = self.holder_pid == os.getpid() and self.holder_host == socket.gethostname()
        return not mine and self.held_by_live_process()


def state_path(state_dir: Path, session_id: str, workdir: str) -> Path:
    """A session's state file. A name is scoped to its folder: ``build`` in two projects is
    two sessions."""
    digest = hashlib.sha256(workdir.encode()).hexdigest()[:12]
    return state_dir / "sessions" / f"{session_id}-{digest}.json"


def read_state(state_dir: Path, session_id: str, workdir: str) -> SessionState | None:
    """The state file of a session, or ``None`` when absent or unreadable."""
    try:
        text = state_path(state_dir, session_id, workdir).read_text()
        return SessionState.model_validate_json(text)
    except (OSError, ValidationError, ValueError):
        return None


def write_state(state_dir: Path, state: SessionState) -> None:
    """Write a state file atomically (owner-only); a failure is logged, never raised."""
    path = state_path(state_dir, state.session_id, state.workdir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(state.model_dump_json())
        tmp.replace(path)
    except OSError as exc:
        log.warning("cannot write session state %s: %s", path, exc)


def drop_state(state_dir: Path, session_id: str, workdir: str) -> None:
    with contextlib.suppress(OSError):
        state_path(state_dir, session_id, workdir).unlink()


def holder_fields() -> dict[str, object]:
    """The state fields that name this process as the holder."""
    pid = os.getpid()
    return {
        "holder_pid": pid,
        "holder_start": process_start_time(pid),
        "holder_host": socket.gethostname(),
    }


def session_selector(session_id: str, workdir: str) -> dict[str, list[str]]:
    """Docker filters for every container and network of a persistent session."""
    return {"label": [LABEL_PERSIST, f"{LABEL_SESSION}={session_id}", f"{LABEL_WORKDIR}={workdir}"]}


def find_persistent(client: docker.DockerClient, session_id: str, workdir: str) -> Container | None:
    """The sandbox container (not the proxy) of persistent session ``session_id`` on
    ``workdir``."""
    found = client.containers.list(
        all=True, filters=session_selector(session_id, workdir), ignore_removed=True
    )
    sandboxes = [c for c in found if (c.labels or {}).get(LABEL_ROLE) is None]
    return sandboxes[0] if sandboxes else None


STARTING_GRACE_S = 60.0
"""A persistent container with no state file yet is still starting (its state is written once
its shell answers): it counts as used this long after its creation."""


def last_used(container: Container, state: SessionState | None) -> float:
    """The last use of a persistent container: its state file's, else its creation time plus
    :data:`STARTING_GRACE_S`."""
    if state is not None and state.container_id == container.id:
        return state.last_used_at
    try:
        return float((container.labels or {}).get(LABEL_CREATED, "0")) + STARTING_GRACE_S
    except ValueError:
        return 0.0


def idle_ttl(labels: dict[str, str]) -> float:
    try:
        return float(labels.get(LABEL_PERSIST, "0"))
    except ValueError:
        return 0.0


def remove_session_resources(
    client: docker.DockerClient, session_id: str, workdir: str
) -> list[str]:
    """Remove every container and network labelled with this persistent session."""
    removed: list[str] = []
    selector = session_selector(session_id, workdir)
    for container in client.containers.list(all=True, filters=selector, ignore_removed=True):
        try:
            container.remove(force=True)
            removed.append(container.id)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove container %s: %s", container.short_id, exc)
    for network in client.networks.list(filters=selector):
        try:
            network.remove()
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove network %s: %s", network.name, exc)
    return removed


def reap_expired(
    client: docker.DockerClient,
    state_dir: Path,
    *,
    now: float | None = None,
    keep: Collection[str] = (),
) -> list[str]:
    """Remove persistent sessions idle past their TTL that no live process holds; return
    their names. ``keep``: container ids the caller manages itself (its own sessions)."""
    now = time.time() if now is None else now
    reaped: list[str] = []
    containers = client.containers.list(
        all=True, filters={"label": LABEL_PERSIST}, ignore_removed=True
    )
    for container in containers:
        labels = container.labels or {}
        if labels.get(LABEL_ROLE) is not None or container.id in keep:
            continue  # a proxy goes with its sandbox
        session_id = labels.get(LABEL_SESSION, "")
        workdir = labels.get(LABEL_WORKDIR, "")
        state = read_state(state_dir, session_id, workdir)
        if state is not None and state.held_by_live_process():
            continue  # its holder expires it (SandboxManager.expire_idle)
        if now - last_used(container, state) <= idle_ttl(labels):
            continue
        log.info("session %s expired after %g s idle; removing it", session_id, idle_ttl(labels))
        remove_session_resources(client, session_id, workdir)
        if state is None or state.container_id == container.id:
            drop_state(state_dir, session_id, workdir)
        reaped.append(session_id)
    return reaped


def persistent_labels(ttl_s: float, workdir: Path) -> dict[str, str]:
    """Labels that make a session's containers and network persistent."""
    return {
        LABEL_PERSIST: f"{ttl_s:g}",
        LABEL_WORKDIR: str(workdir),
        LABEL_CREATED: f"{time.time():.3f}",
    }
