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
import logging
import os
import socket
import time
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


def state_path(state_dir: Path, session_id: str) -> Path:
    return state_dir / "sessions" / f"{session_id}.json"


def read_state(state_dir: Path, session_id: str) -> SessionState | None:
    """The state file of a session, or ``None`` when absent or unreadable."""
    try:
        return SessionState.model_validate_json(state_path(state_dir, session_id).read_text())
    except (OSError, ValidationError, ValueError):
        return None


def write_state(state_dir: Path, state: SessionState) -> None:
    """Write a state file atomically (owner-only); a failure is logged, never raised."""
    path = state_path(state_dir, state.session_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(state.model_dump_json())
        tmp.replace(path)
    except OSError as exc:
        log.warning("cannot write session state %s: %s", path, exc)


def drop_state(state_dir: Path, session_id: str) -> None:
    with contextlib.suppress(OSError):
        state_path(state_dir, session_id).unlink()


def holder_fields() -> dict[str, object]:
    """The state fields that name this process as the holder."""
    pid = os.getpid()
    return {
        "holder_pid": pid,
        "holder_start": process_start_time(pid),
        "holder_host": socket.gethostname(),
    }


def find_persistent(client: docker.DockerClient, session_id: str) -> Container | None:
    """The sandbox container of the persistent session ``session_id`` (not its proxy)."""
    found = client.containers.list(
        all=True,
        filters={"label": [LABEL_PERSIST, f"{LABEL_SESSION}={session_id}"]},
        ignore_removed=True,
    )
    sandboxes = [c for c in found if (c.labels or {}).get(LABEL_ROLE) is None]
    return sandboxes[0] if sandboxes else None


def last_used(container: Container, state: SessionState | None) -> float:
    """The last use of a persistent container: its state file's, else its creation time."""
    if state is not None and state.container_id == container.id:
        return state.last_used_at
    try:
        return float((container.labels or {}).get(LABEL_CREATED, "0"))
    except ValueError:
        return 0.0


def idle_ttl(labels: dict[str, str]) -> float:
    try:
        return float(labels.get(LABEL_PERSIST, "0"))
    except ValueError:
        return 0.0


def remove_session_resources(client: docker.DockerClient, session_id: str) -> list[str]:
    """Remove every container and network labelled with this persistent session."""
    removed: list[str] = []
    selector = {"label": [LABEL_PERSIST, f"{LABEL_SESSION}={session_id}"]}
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
    client: docker.DockerClient, state_dir: Path, *, now: float | None = None
) -> list[str]:
    """Remove persistent sessions idle past their TTL that no live process holds; return
    their names."""
    now = time.time() if now is None else now
    reaped: list[str] = []
    containers = client.containers.list(
        all=True, filters={"label": LABEL_PERSIST}, ignore_removed=True
    )
    for container in containers:
        labels = container.labels or {}
        if labels.get(LABEL_ROLE) is not None:
            continue  # a proxy: it goes with its sandbox
        session_id = labels.get(LABEL_SESSION, "")
        state = read_state(state_dir, session_id)
        if state is not None and state.held_by_live_process():
            continue  # its holder expires it (SandboxManager.expire_idle)
        if now - last_used(container, state) <= idle_ttl(labels):
            continue
        log.info("session %s expired after %g s idle; removing it", session_id, idle_ttl(labels))
        remove_session_resources(client, session_id)
        if state is None or state.container_id == container.id:
            drop_state(state_dir, session_id)
        reaped.append(session_id)
    return reaped


def persistent_labels(ttl_s: float, workdir: Path) -> dict[str, str]:
    """Labels that make a session's containers and network persistent."""
    return {
        LABEL_PERSIST: f"{ttl_s:g}",
        LABEL_WORKDIR: str(workdir),
        LABEL_CREATED: f"{time.time():.3f}",
    }
