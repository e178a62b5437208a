"""Sandbox sessions by id: create, reuse, expire, close, and reap what a crash left behind.

:class:`SandboxManager` implements :class:`terminus_mcp.sandbox.api.Sandboxes` on Docker or on
Podman (the ``engine`` setting), both through the Docker API. One per process. Use it as an
async context manager: entering checks the engine and the image, removes containers whose
owning process is dead, and starts the idle-expiry loop; leaving removes every container it
created::

    async with SandboxManager(settings) as sandboxes:
        session = await sandboxes.create(SessionSpec(workdir=resolve_workdir(path, roots)))
        result = await session.run("pytest -q", timeout_s=60)
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Sequence
from types import TracebackType

import anyio
import docker
import docker.errors
from anyio.abc import TaskGroup
from docker.models.containers import Container

from terminus_mcp.errors import SandboxError, SessionNotFound
from terminus_mcp.sandbox.api import (
    EngineInfo,
    SessionInfo,
    SessionSpec,
)
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.egress import check_hosts
from terminus_mcp.sandbox.engine import (
    ENGINE_ERRORS,
    connect_engine,
    engine_info,
    ensure_image,
    select_runtime,
)
from terminus_mcp.sandbox.hardening import (
    LABEL_HOSTNAME,
    LABEL_OWNER,
    LABEL_PID,
    LABEL_PID_START,
    LABEL_ROLE,
    LABEL_SESSION,
    WORKSPACE,
    Hardening,
    OwnerLabels,
    process_start_time,
)
from terminus_mcp.sandbox.persist import (
    LABEL_PERSIST,
    LABEL_WORKDIR,
    find_persistent,
    persistent_labels,
    read_state,
    reap_expired,
    remove_session_resources,
    session_selector,
)
from terminus_mcp.sandbox.proxy import EgressRoute
from terminus_mcp.sandbox.workspace import owned_by_root, sandbox_user
from terminus_mcp.settings import Settings

log = logging.getLogger(__name__)


class SandboxManager:
    """Owns every sandbox session of this process, on one engine (Docker or Podman).

    ``client``: an already connected docker-py client (to either engine); ``None`` connects to
    the engine the settings name.
    """

    def __init__(self, settings: Settings, *, client: docker.DockerClient | None = None) -> None:
        self.settings = settings
        self.instance_id = uuid.uuid4().hex
        """Written on every container as the owner label; distinguishes this process."""
        self._client = client
        self._runtime: str | None = None
        self._engine: EngineInfo | None = None
        self._owner = OwnerLabels.for_this_process(self.instance_id)
        self._sessions: dict[str, DockerSession] = {}
        self._creating = anyio.Lock()
        self._task_group: TaskGroup | None = None
        self._started = False

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise SandboxError("the sandbox manager is not started", fix="call start() first")
        return self._client

    @property
    def engine(self) -> EngineInfo:
        """The engine found at start: name, version, runtime, mode, capabilities.

        Raises:
            SandboxError: the manager is not started.
        """
        if self._engine is None:
            raise SandboxError("the sandbox manager is not started", fix="call start() first")
        return self._engine

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the engine, check the image and runtime, and reap orphans.

        Raises:
            DockerUnavailable: no engine answers (Docker or Podman, per ``settings.engine``).
            ImageMissing: the configured image is not present.
            SandboxError: gVisor is configured but not installed.
        """
        if self._started:
            return
        settings = self.settings
        if self._client is None:
            self._client = await anyio.to_thread.run_sync(connect_engine, settings)
        client = self._client
        self._runtime = await anyio.to_thread.run_sync(select_runtime, client, settings)
        engine = await anyio.to_thread.run_sync(engine_info, client, self._runtime)
        await anyio.to_thread.run_sync(ensure_image, client, settings.sandbox_image, engine.name)
        self._engine = engine
        log.info("sandbox engine: %s", engine.describe())
        removed = await anyio.to_thread.run_sync(reap_orphans, client, self._owner)
        if removed:
            log.info("removed %d sandbox container(s) left by dead processes", len(removed))
        await anyio.to_thread.run_sync(reap_expired, client, settings.state_dir)
        self._started = True

    async def __aenter__(self) -> SandboxManager:
        await self.start()
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._expiry_loop)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.close_all()
        finally:
            if self._task_group is not None:
                self._task_group.cancel_scope.cancel()
                await self._task_group.__aexit__(None, None, None)
                self._task_group = None

    async def close_all(self) -> None:
        """Close every session (removing its container), except persistent ones, which are
        left running for a later process until their idle TTL. Shielded from cancellation."""
        with anyio.CancelScope(shield=True):
            sessions = list(self._sessions.values())
            self._sessions.clear()
            for session in sessions:
                await session.detach()

    # --- sessions --------------------------------------------------------------------------

    async def create(
        self,
        spec: SessionSpec,
        *,
        session_id: str | None = None,
        adopt: Container | None = None,
    ) -> DockerSession:
        """Start a new session (container and shell) for ``spec``; ``adopt`` takes over the
        running container of a persistent session instead of creating one.

        Raises:
            ConfigError: an ``allow_hosts`` entry of the spec is refused.
            SandboxError: the id is taken, or the container cannot start.
        """
        await self.start()
        settings = self.settings
        workdir = spec.workdir
        session_id = session_id or secrets.token_hex(6)
        network = settings.network if spec.network is None else spec.network
        allow_hosts = check_hosts([*settings.allow_hosts, *spec.allow_hosts])
        labels = dict(spec.labels)
        if spec.persistent:
            labels.update(persistent_labels(settings.session_idle_ttl_s, workdir))
        route, cwd = None, WORKSPACE
        if adopt is not None:
            route = await anyio.to_thread.run_sync(_adopted_route, self.client, adopt)
            state = await anyio.to_thread.run_sync(
                read_state, settings.state_dir, session_id, str(workdir)
            )
            cwd = state.cwd if state is not None and state.container_id == adopt.id else cwd
        async with self._creating:
            if session_id in self._sessions:
                raise SandboxError(
                    f"a sandbox session with id {session_id} already exists",
                    fix="reuse it with get(), or close it first",
                )
            root_owned = settings.sandbox_user == "auto" and owned_by_root(workdir)
            hardening = Hardening.from_settings(
                settings,
                user=sandbox_user(settings.sandbox_user, workdir),
                network=network,
                runtime=self._runtime,
                root_owned_workspace=root_owned,
            )
            session = DockerSession(
                client=self.client,
                settings=settings,
                session_id=session_id,
                hardening=hardening,
                image=spec.image or settings.sandbox_image,
                workdir=workdir,
                owner=self._owner,
                read_only_workspace=(
                    settings.read_only_workspace
                    if spec.read_only_workspace is None
                    else spec.read_only_workspace
                ),
                extra_labels=labels,
                allow_hosts=allow_hosts,
                private_hosts=settings.allow_private_hosts,
                state_dir=settings.state_dir if spec.persistent else None,
                adopt=adopt,
                route=route,
                cwd=cwd,
                environment=spec.environment,
                shell_environment={
                    k: v.get_secret_value() for k, v in spec.shell_environment.items()
                },
                volumes=spec.volumes,
                user_dirs=spec.user_dirs,
            )
            self._sessions[session_id] = session
        try:
            await session.start()
        except BaseException:
            self._sessions.pop(session_id, None)
            await session.close()
            raise
        return session

    def get(self, session_id: str) -> DockerSession:
        """The live session with this id.

        Raises:
            SessionNotFound: no such session (never created, closed, or expired).
        """
        session = self._sessions.get(session_id)
        if session is None or session.closed:
            raise SessionNotFound(
                f"no sandbox session with id {session_id}",
                why="it was never created, was closed, or expired after "
                f"{self.settings.session_idle_ttl_s:g} s idle",
                fix="start a new session",
            )
        return session

    async def get_or_create(self, session_id: str, spec: SessionSpec) -> DockerSession:
        """The session with this id, created for ``spec`` when there is none. With
        ``spec.persistent``, a session of that name on the same workdir left running by an
        earlier process is taken over (its files, installed tools and working directory are
        kept); a name is scoped to its folder.

        Raises:
            SandboxError: another live process has that persistent session open, or a new
                one cannot start.
        """
        try:
            return self.get(session_id)
        except SessionNotFound:
            pass
        adopt = None
        if spec.persistent:
            await self.start()
            adopt = await anyio.to_thread.run_sync(self._adoptable, session_id, spec)
        return await self.create(spec, session_id=session_id, adopt=adopt)

    def _reap_others(self) -> list[str]:
        """Reap expired persistent sessions, except this manager's own (``expire_idle``)."""
        mine = {s.container_id for s in self._sessions.values()}
        return reap_expired(self.client, self.settings.state_dir, keep=mine)

    def _adoptable(self, session_id: str, spec: SessionSpec) -> Container | None:
        """The running container of persistent session ``session_id`` on the spec's workdir,
        checked, or ``None``. A name is scoped to its folder."""
        client = self.client
        self._reap_others()
        workdir = str(spec.workdir)
        container = find_persistent(client, session_id, workdir)
        if container is None:
            return None
        if container.status != "running":
            remove_session_resources(client, session_id, workdir)
            return None
        state = read_state(self.settings.state_dir, session_id, workdir)
        if state is not None and state.held_by_other_live_process():
            raise SandboxError(
                f"sandbox session {session_id} is in use by another terminus-mcp process",
                why=f"process {state.holder_pid} has it open",
                fix="use another session name, or wait until that process ends",
            )
        return container

    async def close(self, session_id: str) -> None:
        """Close a session and remove its container. Unknown ids are ignored."""
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await session.close()

    def sessions(self) -> list[SessionInfo]:
        """The live sessions."""
        return [s.info() for s in self._sessions.values() if not s.closed]

    async def expire_idle(self, now: float | None = None) -> list[str]:
        """Close sessions idle for longer than ``session_idle_ttl_s``; return their ids.

        A session running a command is never idle (its lock is held).
        """
        now = time.time() if now is None else now
        ttl = self.settings.session_idle_ttl_s
        expired = [
            sid for sid, s in self._sessions.items() if now - s.last_used_at > ttl and not s.busy
        ]
        for sid in expired:
            log.info("session %s expired after %g s idle", sid, ttl)
            await self.close(sid)
        return expired

    async def _expiry_loop(self) -> None:
        interval = min(max(self.settings.session_idle_ttl_s / 4, 0.5), 30.0)
        while True:
            await anyio.sleep(interval)
            await self.expire_idle()
            try:
                await anyio.to_thread.run_sync(self._reap_others)
            except ENGINE_ERRORS as exc:
                log.warning("cannot reap expired sessions: %s", exc)


def _owner_alive(labels: dict[str, str], me: OwnerLabels) -> bool:
    """Whether the process that created a container (by its labels) may still be running."""
    if labels.get(LABEL_OWNER) == me.owner:
        return True
    if labels.get(LABEL_HOSTNAME) != me.hostname:
        return True  # another host's process: its PID means nothing here
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    started = process_start_time(pid)
    return bool(started) and started == labels.get(LABEL_PID_START, started)


def reap_orphans(client: docker.DockerClient, me: OwnerLabels) -> Sequence[str]:
    """Remove sandbox containers whose owning process on this host is dead; return their ids.

    Only containers with the project's owner label are considered, and only those whose
    owner ran on this host and is gone (PID absent, or reused by a process that started at a
    different time). Containers of live terminus-mcp processes and of other hosts are kept.
    """
    removed: list[str] = []
    for container in client.containers.list(
        all=True, filters={"label": LABEL_OWNER}, ignore_removed=True
    ):
        labels = container.labels or {}
        if LABEL_PERSIST in labels or _owner_alive(labels, me):
            continue  # persistent sessions go by their idle TTL (persist.reap_expired)
        try:
            container.remove(force=True)
            removed.append(container.id)
            log.info("reaped orphaned sandbox container %s", container.short_id)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove orphaned container %s: %s", container.short_id, exc)
    for network in client.networks.list(filters={"label": LABEL_OWNER}):
        labels = network.attrs.get("Labels") or {}
        if LABEL_PERSIST in labels or _owner_alive(labels, me):
            continue
        try:
            network.remove()
            log.info("reaped orphaned sandbox network %s", network.name)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("cannot remove orphaned network %s: %s", network.name, exc)
    return removed


def _adopted_route(client: docker.DockerClient, container: Container) -> EgressRoute | None:
    """The egress route a persistent ``allowlist`` container uses, found by its labels."""
    network = str(container.attrs.get("HostConfig", {}).get("NetworkMode", ""))
    labels = container.labels or {}
    selector = session_selector(labels.get(LABEL_SESSION, ""), labels.get(LABEL_WORKDIR, ""))
    selector["label"].append(f"{LABEL_ROLE}=proxy")
    proxies = client.containers.list(filters=selector, ignore_removed=True)
    if not proxies or network in ("", "none", "bridge", "default"):
        return None
    networks = proxies[0].attrs.get("NetworkSettings", {}).get("Networks", {})
    ip = str(networks.get(network, {}).get("IPAddress", ""))
    return EgressRoute(network=network, proxy_container=proxies[0].id, proxy_ip=ip, hosts=())
