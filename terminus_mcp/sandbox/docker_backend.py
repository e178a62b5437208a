"""A sandbox session on Docker: one hardened container, one persistent shell, one control shell.

The *persistent shell* (bash, else sh) runs as an ``exec`` with stdin attached; commands are
written to it one line each (see :mod:`terminus_mcp.sandbox.shell`). A second, idle *control
shell* is started next to it. On a timeout, a flood or a cancellation it kills the command's
processes using shell builtins only, so it still works when the pids limit leaves no room for
a new ``docker exec``. It also reads the cgroup OOM and pids counters after a failed command.

All socket and Docker work is blocking and runs in a worker thread; :meth:`DockerSession.run`
only awaits it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import select
import socket
import tarfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
import docker
import docker.errors
from docker.models.containers import Container
from docker.types import Mount

from terminus_mcp.errors import DockerUnavailable, ImageMissing, SandboxError
from terminus_mcp.sandbox import shell as wire
from terminus_mcp.sandbox.api import (
    ExecResult,
    OutputCallback,
    SessionEvent,
    SessionInfo,
    VolumeMount,
)
from terminus_mcp.sandbox.engine import ENGINE_ERRORS, START_FIX, image_fix
from terminus_mcp.sandbox.hardening import LABEL_SESSION, WORKSPACE, Hardening, OwnerLabels
from terminus_mcp.sandbox.persist import SessionState, drop_state, holder_fields, write_state
from terminus_mcp.sandbox.proxy import (
    LIST_VARIABLES,
    MAVEN_SETTINGS_TARGET,
    EgressRoute,
    close_route,
    merge_environment,
    open_route,
)
from terminus_mcp.sandbox.workspace import workspace_mounts
from terminus_mcp.settings import Settings

log = logging.getLogger(__name__)

BOOT_TIMEOUT_S = 20.0
CONTROL_TIMEOUT_S = 15.0
KILL_GRACE_S = 2.0
"""After killing a command's processes, how long to wait for the shell's end marker before
concluding the shell itself is stuck (a builtin loop such as ``while :; do :; done``)."""
REKILL_INTERVAL_S = 0.1
STATE_REFRESH_S = 10.0
"""A persistent session's state file is rewritten after a command when its working directory
changed or this long after the last write (its last use moves the idle clock of other processes;
a few seconds against a TTL of minutes do not matter, a file write per command does)."""
RECV_SIZE = 256 * 1024
PROMPT_TAIL = 256

_SHELL_ARGV = [
    "/bin/sh",
    "-c",
    "if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc; else exec sh; fi",
]


class _StreamClosed(Exception):
    """The exec's stream ended: its process exited."""


@dataclass
class _Exec:
    """One exec'd process with stdin attached, and its multiplexed stream."""

    exec_id: str
    sock: socket.socket
    stream: Any = None
    """The object ``exec_start`` returned (a ``SocketIO`` around ``sock``): it holds an io
    reference to the socket, so closing only ``sock`` would leave the descriptor open."""
    decoder: wire.FrameDecoder = field(default_factory=wire.FrameDecoder)
    pending: bytearray = field(default_factory=bytearray)

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise _StreamClosed from exc

    def read(self, timeout: float, wake: socket.socket | None = None) -> bytes:
        """Payload bytes that arrive within ``timeout`` (``b""`` if none, or if woken).

        Raises:
            _StreamClosed: the process exited and its stream ended.
        """
        fds: list[Any] = [self.sock] if wake is None else [self.sock, wake]
        ready, _, _ = select.select(fds, [], [], max(timeout, 0.0))
        if self.sock not in ready:
            return b""
        try:
            chunk = self.sock.recv(RECV_SIZE)
        except OSError as exc:
            raise _StreamClosed from exc
        if not chunk:
            raise _StreamClosed
        return b"".join(payload for _stream, payload in self.decoder.feed(chunk))

    def read_until(self, pattern: bytes, timeout: float) -> bytes:
        """Read until ``pattern`` appears; return everything up to and including it."""
        deadline = time.monotonic() + timeout
        while (index := self.pending.find(pattern)) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {pattern!r} within {timeout} s")
            self.pending += self.read(remaining)
        end = index + len(pattern)
        data = bytes(self.pending[:end])
        del self.pending[:end]
        return data

    def close(self) -> None:
        # shutdown() ends the connection to the engine at once, whoever else holds the socket;
        # closing the wrapper and the socket then releases the descriptor.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        if self.stream is not None and self.stream is not self.sock:
            with contextlib.suppress(OSError):
                self.stream.close()
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class _Shell:
    proc: _Exec
    pid: int
    flavor: wire.ShellFlavor


@dataclass
class _Job:
    """A running command's host-side state, shared between the awaiting task and the thread."""

    command: str
    timeout_s: float
    on_output: OutputCallback | None
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    wake: tuple[socket.socket, socket.socket] = field(default_factory=socket.socketpair)
    """Writing to ``wake[1]`` interrupts the reader's ``select`` on ``wake[0]``."""

    def close(self) -> None:
        for sock in self.wake:
            sock.close()


@dataclass
class _Counters:
    oom: int = -1
    pids: int = -1


class DockerSession:
    """One sandbox session on Docker. Create with :meth:`create`; use via :meth:`run`.

    Commands on one session run one at a time (an internal lock). If the shell dies the next
    command starts a fresh one in the last known working directory; if the container is gone
    the next command starts a fresh container.
    """

    def __init__(
        self,
        *,
        client: docker.DockerClient,
        settings: Settings,
        session_id: str,
        hardening: Hardening,
        image: str,
        workdir: os.PathLike[str] | str,
        owner: OwnerLabels,
        read_only_workspace: bool,
        extra_labels: dict[str, str] | None = None,
        allow_hosts: list[str] | None = None,
        private_hosts: list[str] | None = None,
        state_dir: Path | None = None,
        adopt: Container | None = None,
        route: EgressRoute | None = None,
        cwd: str = WORKSPACE,
        environment: dict[str, str] | None = None,
        shell_environment: dict[str, str] | None = None,
        volumes: Sequence[VolumeMount] = (),
        user_dirs: Sequence[str] = (),
    ) -> None:
        """``allow_hosts``/``private_hosts``: the egress allowlist of an ``allowlist``
        session. ``state_dir``: set for a persistent session, whose container outlives this
        process (see :mod:`terminus_mcp.sandbox.persist`). ``adopt``, ``route`` and ``cwd``
        take over such a session's running container, egress route and working directory."""
        self._client = client
        self._settings = settings
        self._id = session_id
        self._hardening = hardening
        self._image = image
        self._workdir = os.fspath(workdir)
        self._owner = owner
        self._read_only = read_only_workspace
        self._extra_labels = dict(extra_labels or {})
        self._allow_hosts = list(allow_hosts or [])
        self._private_hosts = list(private_hosts or [])
        self._state_dir = state_dir
        self._route = route
        self._environment = dict(environment or {})
        self._shell_environment = dict(shell_environment or {})
        self._volumes = tuple(volumes)
        self._user_dirs = tuple(user_dirs)
        self._lock = anyio.Lock()
        self._container: Container | None = adopt
        self._shell: _Shell | None = None
        self._control: _Exec | None = None
        self._keepalive_pid = 0
        self._counters = _Counters()
        self._cwd = cwd
        self._saved: tuple[str | None, float] | None = None
        """What the state file last recorded: the working directory, and when (monotonic)."""
        self._closed = False
        self.created_at = time.time()
        self.last_used_at = self.created_at
        self.commands_run = 0

    # --- public API ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._id

    @property
    def container_id(self) -> str:
        return self._container.id if self._container is not None else ""

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def persistent(self) -> bool:
        """Whether the session outlives this process (until its idle TTL)."""
        return self._state_dir is not None

    @property
    def route(self) -> EgressRoute | None:
        """The egress route of an ``allowlist`` session, once its container started."""
        return self._route

    @property
    def busy(self) -> bool:
        """Whether a command is running (or the session is starting)."""
        return self._lock.locked()

    def info(self) -> SessionInfo:
        return SessionInfo(
            id=self._id,
            container_id=self.container_id,
            workdir=self._workdir,
            network=self._hardening.network,
            created_at=self.created_at,
            last_used_at=self.last_used_at,
            commands_run=self.commands_run,
            persistent=self.persistent,
        )

    async def start(self) -> None:
        """Create the container and its shells now (instead of at the first command).

        Raises:
            ImageMissing, DockerUnavailable, SandboxError: the container cannot start.
        """
        async with self._lock:
            await anyio.to_thread.run_sync(self._ensure_ready)
            self.last_used_at = time.time()  # idle from when it is ready, not from creation
            await anyio.to_thread.run_sync(self._save_state, True)

    async def run(
        self,
        command: str,
        *,
        timeout_s: float,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Run ``command`` in the persistent shell; see :class:`terminus_mcp.sandbox.api.Session`.

        Raises:
            SandboxError: the container cannot be (re)started; the session is closed.
        """
        if self._closed:
            raise SandboxError(f"sandbox session {self._id} is closed", fix="start a new session")
        async with self._lock:
            self.last_used_at = time.time()
            job = _Job(command=command, timeout_s=timeout_s, on_output=on_output)
            try:
                result = await anyio.to_thread.run_sync(
                    self._run_blocking, job, abandon_on_cancel=True
                )
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    job.cancel.set()
                    with contextlib.suppress(OSError):
                        job.wake[1].send(b"x")
                    await anyio.to_thread.run_sync(job.finished.wait, CONTROL_TIMEOUT_S * 2)
                raise
            self.commands_run += 1
            self.last_used_at = time.time()
            if self._state_dir is not None and self._state_stale():
                await anyio.to_thread.run_sync(self._save_state, True)
            return result

    async def close(self) -> None:
        """Remove the container (and its egress route). Idempotent; safe under cancellation."""
        with anyio.CancelScope(shield=True):
            self._closed = True
            await anyio.to_thread.run_sync(self._remove_container)
            await anyio.to_thread.run_sync(self._remove_route)
            if self._state_dir is not None:
                drop_state(self._state_dir, self._id, self._workdir)

    async def detach(self) -> None:
        """Let go of a persistent session without removing it: its shells end, its container
        keeps running for a later process until the idle TTL. A session that is not
        persistent is closed instead."""
        if self._state_dir is None:
            await self.close()
            return
        with anyio.CancelScope(shield=True):
            self._closed = True
            await anyio.to_thread.run_sync(self._drop_shells)
            await anyio.to_thread.run_sync(self._save_state, False)

    # --- persistence and egress (blocking) -------------------------------------------------

    def _state_stale(self) -> bool:
        if self._saved is None:
            return True
        cwd, at = self._saved
        return cwd != self._cwd or time.monotonic() - at >= STATE_REFRESH_S

    def _save_state(self, held: bool) -> None:
        if self._state_dir is None or self._container is None:
            return
        self._saved = (self._cwd, time.monotonic())
        holder = holder_fields() if held else {}
        state = SessionState(
            session_id=self._id,
            workdir=self._workdir,
            container_id=self._container.id,
            last_used_at=self.last_used_at,
            cwd=self._cwd,
            **holder,
        )
        write_state(self._state_dir, state)

    def _open_route(self, labels: dict[str, str]) -> EgressRoute | None:
        if self._hardening.network != "allowlist":
            return None
        if self._route is None:
            self._route = open_route(
                self._client,
                image=self._settings.proxy_image,
                session_id=self._id,
                hosts=self._allow_hosts,
                private_hosts=self._private_hosts,
                labels=labels,
            )
        return self._route

    def _remove_route(self) -> None:
        route, self._route = self._route, None
        if route is not None:
            close_route(self._client, network=route.network, proxy_container=route.proxy_container)

    # --- container and shells (blocking) ---------------------------------------------------

    def _ensure_ready(self) -> None:
        """Make sure a container, a control shell and a persistent shell exist.

        The container's state is only inspected when a shell is missing (after a failure):
        the common path costs no Docker API call.
        """
        shells_missing = self._shell is None or self._control is None
        if self._container is not None and shells_missing and not self._container_running():
            self._remove_container()
        if self._container is None:
            self._create_container()
        if self._control is None:
            self._control = self._start_control()
            self._counters = self._read_counters() or _Counters()
        if self._shell is None:
            self._shell = self._start_shell(self._cwd)

    def _container_running(self) -> bool:
        assert self._container is not None
        try:
            self._container.reload()
        except docker.errors.NotFound:
            return False
        except ENGINE_ERRORS as exc:
            raise DockerUnavailable(
                "the Docker engine stopped answering", why=str(exc), fix=START_FIX
            ) from exc
        return bool(self._container.attrs.get("State", {}).get("Running"))

    def _create_container(self) -> None:
        # A persistent session belongs to no process: without owner labels, no process reaps
        # it as an orphan; it goes when idle past its TTL (persist.reap_expired).
        owner = {} if self.persistent else self._owner.labels()
        labels = {**self._extra_labels, **owner, LABEL_SESSION: self._id}
        mounts = workspace_mounts(
            Path(self._workdir),
            read_only=self._read_only,
            protect_git=self._settings.protect_git,
        )
        mounts += [
            Mount(target=v.target, source=v.source, type=v.kind, read_only=v.read_only)
            for v in self._volumes
        ]
        route = self._open_route(labels)
        kwargs = self._hardening.create_kwargs(
            image=self._image, mounts=mounts, labels=labels, route=route
        )
        kwargs["environment"] = merge_environment(kwargs["environment"], self._environment)
        if route is not None and self._hardening.read_only_rootfs:
            # Maven's proxy settings file cannot be written into a read-only root.
            kwargs["environment"].pop("MAVEN_ARGS", None)
        kwargs["name"] = f"terminus-mcp-{_safe_name(self._id)}-{secrets.token_hex(3)}"
        try:
            container = self._client.containers.create(**kwargs)
        except docker.errors.ImageNotFound as exc:
            raise ImageMissing(
                f"the sandbox image {self._image} is not present",
                why=str(exc),
                fix=image_fix(self._image),
            ) from exc
        except ENGINE_ERRORS as exc:
            raise SandboxError(
                "cannot create the sandbox container", why=str(exc), fix=START_FIX
            ) from exc
        self._container = container
        try:
            if self._user_dirs:
                container.put_archive("/", _owned_dirs_tar(self._user_dirs, self._hardening.user))
            if route is not None and not self._hardening.read_only_rootfs:
                container.put_archive("/", _file_tar(MAVEN_SETTINGS_TARGET, route.maven_settings()))
            container.start()
        except ENGINE_ERRORS as exc:
            self._remove_container()
            raise SandboxError(
                "the sandbox container does not start",
                why=str(exc),
                fix="run `terminus-mcp doctor` to see what the engine refuses",
            ) from exc
        self._counters = _Counters()
        log.info("session %s: container %s started", self._id, container.short_id)

    def _exec(self, argv: list[str], environment: dict[str, str] | None = None) -> _Exec:
        assert self._container is not None
        try:
            created = self._client.api.exec_create(
                self._container.id,
                argv,
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                user=self._hardening.user,
                workdir=WORKSPACE,
                environment=environment or None,
            )
            response = self._client.api.exec_start(created["Id"], socket=True)
        except ENGINE_ERRORS as exc:
            raise SandboxError(
                "cannot start a shell in the sandbox container",
                why=str(exc),
                fix="check that the image has /bin/sh (`terminus-mcp doctor`)",
            ) from exc
        raw: socket.socket = getattr(response, "_sock", response)
        raw.setblocking(True)
        return _Exec(exec_id=created["Id"], sock=raw, stream=response)

    def _start_shell(self, cwd: str) -> _Shell:
        # A shell variable replaces the container's: a list variable keeps both (the egress
        # proxy's JAVA_TOOL_OPTIONS and a setup shell's trust store).
        route_env = self._route.env() if self._route is not None else {}
        proc = self._exec(
            _SHELL_ARGV,
            merge_environment(
                {
                    k: v
                    for k, v in route_env.items()
                    if k in LIST_VARIABLES and k in self._shell_environment
                },
                self._shell_environment,
            ),
        )
        nonce = wire.new_nonce()
        try:
            proc.send(wire.boot_line(nonce, cwd))
            data = proc.read_until(wire.RS + nonce.encode() + wire.RS, BOOT_TIMEOUT_S)
        except (TimeoutError, _StreamClosed) as exc:
            proc.close()
            raise SandboxError(
                "the sandbox shell does not start",
                why=f"no answer from /bin/sh in image {self._image} ({exc!r})",
                fix="use an image with /bin/sh (bash preferred)",
            ) from exc
        parsed = wire.parse_boot_reply(data, nonce)
        assert parsed is not None
        pid, flavor, keepalive = parsed
        if keepalive:
            self._keepalive_pid = keepalive
        log.debug("session %s: %s shell pid %d", self._id, flavor, pid)
        return _Shell(proc=proc, pid=pid, flavor=flavor)

    def _start_control(self) -> _Exec:
        proc = self._exec(["/bin/sh"])
        try:
            proc.send(wire.control_boot_line())
            proc.read_until(b"__terminus_ready\n", BOOT_TIMEOUT_S)
        except (TimeoutError, _StreamClosed) as exc:
            proc.close()
            raise SandboxError(
                "the sandbox control shell does not start",
                why=repr(exc),
                fix="use an image with /bin/sh",
            ) from exc
        return proc

    def _control_call(self, line_for: Any, timeout: float = CONTROL_TIMEOUT_S) -> bytes | None:
        """Send a request to the control shell and return its reply line (``None`` if dead)."""
        for _attempt in range(2):
            if self._control is None:
                try:
                    self._control = self._start_control()
                except SandboxError:
                    return None
            token = "__terminus_" + secrets.token_hex(8)
            try:
                self._control.send(line_for(token))
                data = self._control.read_until(b"\n", timeout)
                while token.encode() not in data:
                    data = self._control.read_until(b"\n", timeout)
                return data
            except (TimeoutError, _StreamClosed):
                self._control.close()
                self._control = None
        return None

    def _kill_processes(self) -> bool:
        """SIGKILL every process of the session except init, keep-alive and the shells."""
        keepalive = self._keepalive_pid
        reply = self._control_call(lambda token: wire.control_kill_line(keepalive, token))
        if reply is not None:
            return True
        log.warning("session %s: control shell gone; restarting the container", self._id)
        self._restart_container()
        return False

    def _restart_container(self) -> None:
        self._drop_shells()
        if self._container is not None:
            with contextlib.suppress(*ENGINE_ERRORS):
                self._container.restart(timeout=0)

    def _read_counters(self) -> _Counters | None:
        reply = self._control_call(wire.control_counters_line, timeout=5.0)
        if reply is None:
            return None
        oom, pids = wire.parse_counters(reply)
        return _Counters(oom=oom, pids=pids)

    def _shell_cwd_then_kill(self, pid: int) -> str | None:
        """The working directory of the stuck shell ``pid``, then SIGKILL it."""

        def line(token: str) -> bytes:
            return (
                f"if cd -P /proc/{pid}/cwd 2>/dev/null; then __c=$PWD; else __c=; fi; "
                f'kill -9 {pid} 2>/dev/null; echo "{token} $__c"\n'
            ).encode()

        reply = self._control_call(line)
        if reply is None:
            return None
        text = reply.decode("utf-8", errors="replace").rstrip("\n")
        cwd = text.split(" ", 1)[1] if " " in text else ""
        return cwd or None

    def _drop_shells(self) -> None:
        for proc in (self._shell.proc if self._shell else None, self._control):
            if proc is not None:
                proc.close()
        self._shell = None
        self._control = None

    def _remove_container(self) -> None:
        self._drop_shells()
        container, self._container = self._container, None
        if container is None:
            return
        try:
            container.remove(force=True)
            log.info("session %s: container %s removed", self._id, container.short_id)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS as exc:
            log.warning("session %s: cannot remove container %s: %s", self._id, container.id, exc)

    # --- one command (blocking) ------------------------------------------------------------

    def _run_blocking(self, job: _Job) -> ExecResult:
        try:
            return self._run_command(job)
        finally:
            job.close()
            job.finished.set()

    def _run_command(self, job: _Job) -> ExecResult:
        started = time.monotonic()
        nonce = wire.new_nonce()
        self._ensure_ready()
        assert self._shell is not None
        shell = self._shell
        try:
            line = wire.command_line(job.command, nonce, shell.flavor)
        except ValueError as exc:
            return ExecResult(command=job.command, exit_code=2, output=str(exc), duration_s=0.0)
        scanner = wire.MarkerScanner(nonce)
        output = wire.CappedOutput(self._settings.output_capture_bytes)
        kill_bytes = self._settings.output_kill_bytes
        deadline = started + job.timeout_s
        reason: SessionEvent | None = None  # why we killed: NONE (timeout/cancel) or flood
        timed_out = False
        grace_deadline = rekill_at = 0.0
        stream_closed = False
        stuck = False

        def emit(data: bytes) -> None:
            if data:
                output.add(data)
                if job.on_output is not None:
                    job.on_output(data)

        try:
            shell.proc.send(line)
            while not scanner.done:
                now = time.monotonic()
                if reason is None:
                    if job.cancel.is_set() or now >= deadline:
                        timed_out = not job.cancel.is_set()
                        reason = SessionEvent.NONE
                    elif output.total > kill_bytes:
                        reason = SessionEvent.OUTPUT_FLOOD
                    if reason is not None:
                        self._kill_processes()
                        if self._shell is None:  # the container was restarted
                            stream_closed = True
                            break
                        grace_deadline = time.monotonic() + KILL_GRACE_S
                        continue
                    wait = deadline - now
                else:
                    if now >= grace_deadline:
                        stuck = True
                        break
                    # Keep killing while the shell finishes the command's list, so a later
                    # part of it (``sleep 100; make``) does not start a new process.
                    wait = min(grace_deadline - now, REKILL_INTERVAL_S)
                    rekill_at = now + wait
                chunk = shell.proc.read(wait, job.wake[0] if reason is None else None)
                emit(scanner.feed(chunk))
                rekill = reason is not None and not chunk and not scanner.done
                if rekill and time.monotonic() >= rekill_at:
                    self._kill_processes()
        except _StreamClosed:
            stream_closed = True
        if not scanner.done:
            emit(scanner.flush())
        else:
            emit(scanner.trailing)  # output of a background job racing the marker

        exit_code: int | None = None
        event: SessionEvent = (
            SessionEvent.OUTPUT_FLOOD if reason is SessionEvent.OUTPUT_FLOOD else SessionEvent.NONE
        )
        detail = ""
        cwd: str | None = None
        if scanner.marker is not None:
            cwd = self._cwd = scanner.marker.cwd or self._cwd
            if reason is None:
                exit_code = scanner.marker.status
        elif stuck:
            saved = self._shell_cwd_then_kill(shell.pid)
            self._cwd = saved or self._cwd
            self._kill_processes()
            self._forget_shell(shell)
            event = SessionEvent.SHELL_EXITED
            detail = (
                "the command kept the shell itself busy, so the shell was killed; the next "
                f"command starts a fresh shell in {self._cwd} (exported variables and "
                "functions are lost)"
            )
        elif stream_closed:
            exit_code, event, detail = self._diagnose_dead_shell(shell)

        if event in (SessionEvent.NONE, SessionEvent.OUTPUT_FLOOD) and (
            reason is not None or exit_code != 0
        ):
            event, detail = self._check_limits(event, detail)
        elif scanner.marker is not None:
            # Even a successful command can leave a fork bomb behind in the background.
            event, detail = self._check_limits(event, detail)
        if event is SessionEvent.OUTPUT_FLOOD and not detail:
            detail = f"the command printed more than {kill_bytes} bytes and was killed"
        if event is SessionEvent.PIDS_EXHAUSTED:
            self._kill_processes()

        tail = output.last(PROMPT_TAIL)
        return ExecResult(
            command=job.command,
            exit_code=exit_code,
            output=output.text(),
            duration_s=round(time.monotonic() - started, 6),
            timed_out=timed_out,
            output_bytes=output.total,
            dropped_bytes=output.dropped,
            event=event,
            waiting_for_input=wire.looks_like_prompt(tail),
            cwd=cwd,
            detail=detail,
        )

    def _forget_shell(self, shell: _Shell) -> None:
        shell.proc.close()
        if self._shell is shell:
            self._shell = None

    def _diagnose_dead_shell(self, shell: _Shell) -> tuple[int | None, SessionEvent, str]:
        """Why the persistent shell's stream ended: container gone, OOM, or the shell exited."""
        self._forget_shell(shell)
        try:
            container_up = self._container is not None and self._container_stays_up(shell)
        except DockerUnavailable:
            self._drop_shells()
            return (
                None,
                SessionEvent.CONTAINER_GONE,
                "the Docker engine stopped answering while the command ran (stopped or "
                "restarted); the next command starts a fresh container once it answers again "
                "(files in /workspace are kept)",
            )
        if not container_up:
            oom = False
            if self._container is not None:
                oom = bool(self._container.attrs.get("State", {}).get("OOMKilled"))
                self._drop_shells()
            event = SessionEvent.OOM_KILLED if oom else SessionEvent.CONTAINER_GONE
            return (
                None,
                event,
                "the sandbox container stopped or was removed; the next command starts a "
                "fresh container (files in /workspace are kept, everything else is lost)",
            )
        exit_code: int | None = None
        with contextlib.suppress(*ENGINE_ERRORS):
            inspected = self._client.api.exec_inspect(shell.proc.exec_id)
            if not inspected.get("Running"):
                exit_code = inspected.get("ExitCode")
        self._kill_processes()
        restart = (
            f"the next command starts a fresh shell in {self._cwd} "
            "(exported variables and functions are lost)"
        )
        event, _ = self._check_limits(SessionEvent.SHELL_EXITED, "")
        if event is SessionEvent.OOM_KILLED:
            return (None, event, f"the shell was killed by the memory limit; {restart}")
        if event is SessionEvent.PIDS_EXHAUSTED:
            return (None, event, f"the shell died at the pids limit; {restart}")
        return (exit_code, SessionEvent.SHELL_EXITED, f"the shell exited; {restart}")

    def _container_stays_up(self, shell: _Shell) -> bool:
        """Whether the container still runs after ``shell`` died. A shell SIGKILLed (exit 137)
        by ``docker kill`` can end before the engine reports the container stopped, so that
        case is looked at again for up to a second before calling it a shell exit."""
        for _ in range(5):
            if not self._container_running():
                return False
            with contextlib.suppress(*ENGINE_ERRORS):
                if self._client.api.exec_inspect(shell.proc.exec_id).get("ExitCode") != 137:
                    return True
            time.sleep(0.2)
        return True

    def _check_limits(self, event: SessionEvent, detail: str) -> tuple[SessionEvent, str]:
        """Compare the cgroup OOM and pids counters with their last values."""
        counters = self._read_counters()
        if counters is None:
            return (event, detail)
        previous, self._counters = self._counters, counters
        if previous.oom >= 0 and counters.oom > previous.oom:
            limit = self._hardening.memory_bytes // (1024 * 1024)
            return (
                SessionEvent.OOM_KILLED,
                f"a process was killed by the sandbox memory limit ({limit} MiB)",
            )
        if previous.pids >= 0 and counters.pids > previous.pids:
            return (
                SessionEvent.PIDS_EXHAUSTED,
                f"the pids limit ({self._hardening.pids_limit}) was hit; every process the "
                "command left behind was killed",
            )
        return (event, detail)


def _owned_dirs_tar(paths: Sequence[str], user: str) -> bytes:
    """A tar archive of empty folders (with their parents) owned by ``user`` (``UID:GID``)."""
    uid, _, gid = user.partition(":")
    names: list[str] = []
    for path in paths:
        parts = PurePosixPath(path).relative_to("/").parts
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth])
            if name not in names:
                names.append(name)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.uid, info.gid = int(uid), int(gid or uid)
            info.mtime = int(time.time())
            archive.addfile(info)
    return buffer.getvalue()


def _file_tar(path: str, text: str) -> bytes:
    """A tar archive of one root-owned, world-readable file at ``path`` (and its folders)."""
    parts = PurePosixPath(path).relative_to("/").parts
    buffer = io.BytesIO()
    data = text.encode()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for depth in range(1, len(parts)):
            folder = tarfile.TarInfo("/".join(parts[:depth]))
            folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
            if depth > 1:  # never touch the mode of a top-level folder such as /etc
                archive.addfile(folder)
        info = tarfile.TarInfo("/".join(parts))
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _safe_name(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", text)[:40] or "session"
