"""The sandbox conformance suite: what every engine must do, checked the same way on each.

Like inspect_ai's sandbox self-check, any implementation of
:class:`terminus_mcp.sandbox.api.Sandboxes` runs these checks unchanged: Docker, Podman and the
in-memory fake do in ``tests/sandbox/test_conformance.py``, and so can a user's own engine::

    workdir = resolve_workdir(folder, settings.allowed_roots)
    target = Target(sandboxes, inspector, workdir, Expected.from_settings(settings))
    for outcome in await run_suite(target):
        print(outcome.name, outcome.verdict, outcome.detail)

The checks cover output and exit codes, the end marker (a command cannot forge it), timeouts,
cancellation, floods, persistence of the folder and the environment, hardening (as the engine
reports it and as seen from inside), and cleanup. A check that needs a guarantee the engine does
not claim (:class:`terminus_mcp.sandbox.api.EngineCapabilities`) is reported
``not_applicable`` with the reason; it is never skipped silently. The commands the checks run
are within the fake engine's tiny shell, so the fake runs every check that applies to it.

How the suite looks at an engine from outside (its processes, its inspect data, what is left
after a close) is the job of an :class:`Inspector`: :class:`DockerApiInspector` serves Docker
and Podman, :class:`FakeInspector` the fake.
"""

from __future__ import annotations

import contextlib
import secrets
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import anyio
import docker
from pydantic import BaseModel, ConfigDict

from terminus_mcp.errors import SandboxError
from terminus_mcp.sandbox.api import (
    AllowedWorkdir,
    ExecResult,
    Sandboxes,
    Session,
    SessionSpec,
    cut_marker,
)
from terminus_mcp.sandbox.fake import FakeSandboxes, FakeSession
from terminus_mcp.sandbox.hardening import LABEL_OWNER, LABEL_SESSION, MIB, USER_PROCESS_LIMIT
from terminus_mcp.settings import Settings

__all__ = [
    "CHECKS",
    "Check",
    "CheckOutcome",
    "ConformanceFailure",
    "DockerApiInspector",
    "EngineHardening",
    "Expected",
    "FakeInspector",
    "Inspector",
    "Target",
    "Verdict",
    "run_check",
    "run_suite",
]


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"


class CheckOutcome(BaseModel):
    """The verdict of one check on one engine, with what was seen when it failed or why it
    does not apply."""

    model_config = ConfigDict(frozen=True)

    name: str
    verdict: Verdict
    detail: str = ""


class ConformanceFailure(AssertionError):
    """A check saw the engine break the contract."""


class EngineHardening(BaseModel):
    """A container's isolation and limits as the engine reports them (``inspect``), in one
    shape for Docker and Podman."""

    model_config = ConfigDict(frozen=True)

    user: str
    privileged: bool
    cap_drop: list[str]
    cap_add: list[str]
    security_opt: list[str]
    network_mode: str
    memory_bytes: int
    memory_swap_bytes: int
    nano_cpus: int
    pids_limit: int
    ulimits: dict[str, tuple[int, int]]
    init: bool
    devices: list[str]
    mount_sources: list[str]
    pid_mode: str
    read_only_rootfs: bool


class Inspector(Protocol):
    """How the suite looks at an engine from outside its sessions."""

    async def processes(self, session: Session) -> list[str]:
        """Command lines of the processes commands left running in ``session`` (not the
        session's own shells, init or keep-alive)."""
        ...

    async def hardening(self, session: Session) -> EngineHardening:
        """The session's container as the engine reports it.

        Raises:
            ConformanceFailure: the engine has no container for the session.
        """
        ...

    async def remains(self, session_id: str) -> list[str]:
        """What still exists of a session (containers, processes) after it was closed."""
        ...


@dataclass(frozen=True)
class Expected:
    """The limits the engine was configured with, which the checks compare against."""

    user: str
    memory_bytes: int
    nano_cpus: int
    pids_limit: int
    max_open_files: int
    max_file_size_bytes: int
    capture_bytes: int
    kill_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings, *, user: str | None = None) -> Expected:
        """``user``: the ``UID:GID`` sessions run as (default: the ``sandbox_user`` setting,
        which must then be explicit, not ``auto``)."""
        return cls(
            user=user or settings.sandbox_user,
            memory_bytes=settings.memory_limit_mb * MIB,
            nano_cpus=int(settings.cpus * 1e9),
            pids_limit=settings.pids_limit,
            max_open_files=settings.max_open_files,
            max_file_size_bytes=settings.max_file_size_mb * MIB,
            capture_bytes=settings.output_capture_bytes,
            kill_bytes=settings.output_kill_bytes,
        )


@dataclass(frozen=True)
class Target:
    """The engine under test: started sandboxes, their inspector, a workdir they may mount
    (writable by the sandbox user), and the limits they were configured with."""

    sandboxes: Sandboxes
    inspector: Inspector
    workdir: AllowedWorkdir
    expected: Expected


@dataclass(frozen=True)
class Check:
    """One check: a name, what it proves, the capabilities it needs, and its body."""

    name: str
    doc: str
    needs: tuple[str, ...]
    body: Callable[[Target], Awaitable[None]]


CHECKS: list[Check] = []
"""Every check, in the order :func:`run_suite` runs them."""


def _check(*needs: str) -> Callable[[Callable[[Target], Awaitable[None]]], Check]:
    def register(body: Callable[[Target], Awaitable[None]]) -> Check:
        check = Check(
            name=body.__name__,
            doc=textwrap.dedent(body.__doc__ or "").strip(),
            needs=needs,
            body=body,
        )
        CHECKS.append(check)
        return check

    return register


async def run_check(check: Check, target: Target) -> CheckOutcome:
    """Run one check; a failure is an outcome, not an exception. Cancellation propagates."""
    capabilities = target.sandboxes.engine.capabilities
    missing = [need for need in check.needs if not getattr(capabilities, need)]
    if missing:
        return CheckOutcome(
            name=check.name,
            verdict=Verdict.NOT_APPLICABLE,
            detail=f"the {target.sandboxes.engine.name} engine does not claim "
            + " or ".join(missing)
            + " (EngineCapabilities), so there is nothing to check",
        )
    try:
        with anyio.fail_after(180):
            await check.body(target)
    except (ConformanceFailure, SandboxError, TimeoutError) as exc:
        return CheckOutcome(name=check.name, verdict=Verdict.FAILED, detail=f"{exc!r}")
    return CheckOutcome(name=check.name, verdict=Verdict.PASSED)


async def run_suite(target: Target) -> list[CheckOutcome]:
    """Run every check on ``target``, in order."""
    return [await run_check(check, target) for check in CHECKS]


def expect(condition: bool, message: str) -> None:
    """Fail the current check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceFailure(message)


@contextlib.asynccontextmanager
async def _session(target: Target, session_id: str | None = None) -> AsyncIterator[Session]:
    session = await target.sandboxes.create(
        SessionSpec(workdir=target.workdir), session_id=session_id
    )
    try:
        yield session
    finally:
        with anyio.CancelScope(shield=True):
            await target.sandboxes.close(session.id)


async def _run(session: Session, command: str, timeout_s: float = 20) -> ExecResult:
    return await session.run(command, timeout_s=timeout_s)


# --- the checks -----------------------------------------------------------------------------


@_check()
async def engine_identifies_itself(target: Target) -> None:
    """The engine says what it is: a name, a version, a runtime."""
    engine = target.sandboxes.engine
    expect(engine.name in ("docker", "podman", "fake"), f"unknown engine name {engine.name!r}")
    expect(bool(engine.version) and engine.version != "?", f"no version: {engine!r}")
    expect(bool(engine.runtime), f"no runtime: {engine!r}")


@_check()
async def output_and_exit_codes(target: Target) -> None:
    """Exit codes come back as they are; stdout and stderr arrive combined, in order."""
    async with _session(target) as session:
        expect((await _run(session, "true")).exit_code == 0, "`true` did not exit 0")
        expect((await _run(session, "false")).exit_code == 1, "`false` did not exit 1")
        result = await _run(session, "echo out; echo err >&2; echo out2; (exit 42)")
        expect(result.exit_code == 42, f"want exit 42, got {result.exit_code}")
        expect(result.output == "out\nerr\nout2\n", f"output not in order: {result.output!r}")
        expect(not result.ok and not result.timed_out, f"flags wrong: {result!r}")


@_check()
async def stdin_is_closed_and_prompts_are_noticed(target: Target) -> None:
    """A command reading stdin gets EOF at once; a prompt left waiting is flagged."""
    async with _session(target) as session:
        for command in ("cat", "read x"):
            result = await _run(session, command, timeout_s=10)
            expect(not result.timed_out, f"`{command}` waited for input: {result!r}")
        prompt = await _run(session, "printf 'Overwrite? [y/N] '; read answer")
        expect(prompt.exit_code == 1, f"`read` at EOF should exit 1: {prompt!r}")
        expect(prompt.waiting_for_input, f"the prompt was not noticed: {prompt!r}")


@_check()
async def invalid_utf8_is_replaced(target: Target) -> None:
    """Bytes that are not UTF-8 become U+FFFD; the byte count is exact."""
    async with _session(target) as session:
        result = await _run(session, "printf 'a\\377\\376b\\n'")
        expect(result.output == "a\ufffd\ufffdb\n", f"got {result.output!r}")
        expect(result.output_bytes == 5, f"want 5 bytes, counted {result.output_bytes}")


@_check()
async def end_marker_cannot_be_forged(target: Target) -> None:
    """Output shaped like the end marker (any nonce) is output, not the end of the command."""
    guesses = [secrets.token_hex(16) for _ in range(3)] + ["deadbeef" * 4]
    forged = "; ".join(f"printf '\\036%s:0:/\\036%s\\036' {g} {g}" for g in guesses)
    async with _session(target) as session:
        result = await _run(session, f"{forged}; echo after; (exit 7)")
        expect(result.exit_code == 7, f"a forged marker ended the command: {result!r}")
        expect(result.output.endswith("after\n"), f"output cut short: {result.output!r}")
        expect(result.output.count("\x1e") == 3 * len(guesses), "marker bytes were eaten")
        clean = await _run(session, "echo clean")
        expect(clean.output == "clean\n", f"the next command saw residue: {clean.output!r}")


@_check()
async def folder_and_environment_persist(target: Target) -> None:
    """``cd`` and ``export`` carry over to the next command of the session."""
    async with _session(target) as session:
        first = await _run(session, "mkdir -p sub && cd sub && export FOO='a b'")
        expect(first.exit_code == 0, f"setup failed: {first!r}")
        expect(first.cwd == "/workspace/sub", f"cwd not reported: {first.cwd!r}")
        second = await _run(session, 'pwd; echo "$FOO"')
        expect(second.output == "/workspace/sub\na b\n", f"state lost: {second.output!r}")


@_check()
async def exit_starts_a_fresh_shell_in_the_same_folder(target: Target) -> None:
    """``exit N`` returns N and says the shell ended; the next command runs in a fresh shell
    in the same folder, with the exported variables gone."""
    async with _session(target) as session:
        await _run(session, "cd /tmp && export GONE=1")
        result = await _run(session, "exit 3")
        expect(result.exit_code == 3, f"want exit 3: {result!r}")
        expect(result.event == "shell_exited", f"want shell_exited: {result!r}")
        expect("fresh shell" in result.detail, f"detail says nothing: {result.detail!r}")
        after = await _run(session, 'pwd; echo "[$GONE]"')
        expect(after.output == "/tmp\n[]\n", f"not a fresh shell in /tmp: {after.output!r}")


@_check()
async def timeout_keeps_output_and_kills_every_process(target: Target) -> None:
    """On timeout the result has no exit code and the output so far, and every process the
    command started (background ones too) is gone; the session stays usable. (A container's
    shell may still finish its list with builtins and print notices of the killed jobs, so
    only the start of the output is pinned.)"""
    async with _session(target) as session:
        command = "sleep 301 & sleep 302 & echo started; sleep 304"
        result = await _run(session, command, timeout_s=1.5)
        expect(result.timed_out and result.exit_code is None, f"not a timeout: {result!r}")
        expect(result.output.startswith("started\n"), f"output lost: {result.output!r}")
        left = await target.inspector.processes(session)
        expect(not any("sleep 30" in p for p in left), f"processes survived: {left}")
        again = await _run(session, "echo alive")
        expect(again.output == "alive\n", f"session unusable: {again!r}")


@_check()
async def cancellation_kills_the_command(target: Target) -> None:
    """Cancelling the caller kills the command's processes and the session stays usable."""
    async with _session(target) as session:
        with anyio.move_on_after(1) as scope:
            await _run(session, "sleep 311 & sleep 312", timeout_s=60)
        expect(scope.cancelled_caught, "the command ended before it was cancelled")
        left = await target.inspector.processes(session)
        expect(not any("sleep 31" in p for p in left), f"processes survived: {left}")
        again = await _run(session, "echo alive")
        expect(again.output == "alive\n", f"session unusable: {again!r}")


@_check()
async def large_output_keeps_head_and_tail(target: Target) -> None:
    """Output beyond the capture limit keeps its head and tail, counts the dropped middle,
    and says so in the text."""
    capture, kill = target.expected.capture_bytes, target.expected.kill_bytes
    last, total = 0, 0
    while total <= 2 * capture:
        last += 1
        total += len(f"{last}\n")
    expect(total < kill, f"capture {capture} and kill {kill} are too close to test")
    async with _session(target) as session:
        result = await _run(session, f"seq {last}", timeout_s=60)
        expect(result.exit_code == 0, f"seq failed: {result!r}")
        expect(result.output_bytes == total, f"want {total} bytes, got {result.output_bytes}")
        expect(result.dropped_bytes == total - capture, f"dropped {result.dropped_bytes}")
        expect(result.output.startswith("1\n2\n3\n"), "the head is missing")
        expect(result.output.endswith(f"\n{last}\n"), "the tail is missing")
        note = cut_marker(total - capture, "bytes")
        expect(note in result.output, "no marker on the bytes cut")


@_check()
async def flood_is_killed(target: Target) -> None:
    """A command printing without end is killed past the kill threshold, reported as a flood
    (not a timeout), and the session stays usable."""
    kill, capture = target.expected.kill_bytes, target.expected.capture_bytes
    async with _session(target) as session:
        result = await _run(session, "yes flood", timeout_s=120)
        expect(result.event == "output_flood", f"want output_flood: {result.event}")
        expect(result.exit_code is None and not result.timed_out, f"flags wrong: {result!r}")
        expect(result.output_bytes > kill, f"killed early: {result.output_bytes} <= {kill}")
        expect(len(result.output) < capture + 200, f"kept {len(result.output)} chars")
        expect(str(kill) in result.detail, f"detail says nothing: {result.detail!r}")
        again = await _run(session, "echo calm")
        expect(again.output == "calm\n", f"session unusable: {again!r}")


@_check()
async def sessions_are_named_and_reused(target: Target) -> None:
    """``get_or_create`` returns the live session of that name; a name cannot be taken twice;
    closing an unknown name does nothing."""
    name = "conformance-" + secrets.token_hex(3)
    spec = SessionSpec(workdir=target.workdir)
    async with _session(target, name) as session:
        await _run(session, "export MARK=kept")
        again = await target.sandboxes.get_or_create(name, spec)
        expect(again.id == name, f"another session came back: {again.id}")
        seen = await _run(again, 'echo "$MARK"')
        expect(seen.output == "kept\n", f"not the same shell: {seen.output!r}")
        try:
            await target.sandboxes.create(spec, session_id=name)
        except SandboxError:
            pass
        else:
            raise ConformanceFailure("a second session took a name in use")
    await target.sandboxes.close("never-created-" + secrets.token_hex(3))


@_check()
async def closing_leaves_nothing_behind(target: Target) -> None:
    """After ``close`` nothing of the session exists (container, processes) and running a
    command on it is a ``SandboxError``."""
    async with _session(target) as session:
        await _run(session, "sleep 600 &")
        session_id = session.id
    remains = await target.inspector.remains(session_id)
    expect(remains == [], f"left after close: {remains}")
    try:
        await _run(session, "echo zombie")
    except SandboxError:
        return
    raise ConformanceFailure("a closed session still ran a command")


DEFAULT_CAPABILITIES = frozenset(
    [
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ]
)
"""The capabilities Docker and Podman give a container by default. Docker reports
``cap_drop=ALL`` as ``["ALL"]``; Podman reports the defaults it dropped, one by one. Either way
none is left, which :func:`hardening_seen_from_inside` confirms (``CapEff``, ``CapBnd`` zero)."""


@_check("isolation", "resource_limits")
async def hardening_seen_by_the_engine(target: Target) -> None:
    """The engine's own view of the container (``inspect``): non-root, no capabilities,
    no-new-privileges, no network, the limits configured, an init, nothing of the host but
    the workspace."""
    expected = target.expected
    async with _session(target) as session:
        facts = await target.inspector.hardening(session)
    expect(facts.user == expected.user, f"user {facts.user!r}, want {expected.user!r}")
    expect(not facts.privileged, "privileged")
    dropped = {c.upper().removeprefix("CAP_") for c in facts.cap_drop}
    expect(
        "ALL" in dropped or dropped >= DEFAULT_CAPABILITIES,
        f"cap_drop {facts.cap_drop} leaves some of {sorted(DEFAULT_CAPABILITIES)}",
    )
    expect(not facts.cap_add, f"cap_add {facts.cap_add}")
    expect(
        any(opt.startswith("no-new-privileges") for opt in facts.security_opt),
        f"security_opt {facts.security_opt}",
    )
    expect(facts.network_mode == "none", f"network_mode {facts.network_mode!r}")
    expect(facts.memory_bytes == expected.memory_bytes, f"memory {facts.memory_bytes}")
    expect(facts.memory_swap_bytes == expected.memory_bytes, f"swap {facts.memory_swap_bytes}")
    expect(facts.nano_cpus == expected.nano_cpus, f"nano_cpus {facts.nano_cpus}")
    expect(facts.pids_limit == expected.pids_limit, f"pids_limit {facts.pids_limit}")
    expect(facts.ulimits.get("core") == (0, 0), f"ulimits {facts.ulimits}")
    nofile = (expected.max_open_files, expected.max_open_files)
    expect(facts.ulimits.get("nofile") == nofile, f"ulimits {facts.ulimits}")
    fsize = (expected.max_file_size_bytes, expected.max_file_size_bytes)
    expect(facts.ulimits.get("fsize") == fsize, f"ulimits {facts.ulimits}")
    nproc = (USER_PROCESS_LIMIT, USER_PROCESS_LIMIT)
    expect(facts.ulimits.get("nproc") == nproc, f"ulimits {facts.ulimits}")
    expect(facts.init, "no init process")
    expect(not facts.devices, f"devices {facts.devices}")
    expect(facts.pid_mode in ("", "private"), f"pid_mode {facts.pid_mode!r}")
    sockets = [s for s in facts.mount_sources if s.endswith(".sock")]
    expect(not sockets, f"engine sockets mounted: {sockets}")


INSIDE_PROBE = (
    "id -u; id -g; grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
    "ls /sys/class/net; "
    "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; "
    "cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null; "
    "ulimit -u; ulimit -n; ulimit -c"
)


@_check("isolation", "resource_limits")
async def hardening_seen_from_inside(target: Target) -> None:
    """What a command sees: its user, no capabilities (effective, permitted, bounding),
    no-new-privileges, a seccomp filter, only a loopback interface, the cgroup memory and
    pids limits, the open-files and core limits."""
    expected = target.expected
    async with _session(target) as session:
        result = await _run(session, INSIDE_PROBE)
    lines = result.output.splitlines()
    expect(result.exit_code == 0 and len(lines) >= 13, f"probe failed: {result.output!r}")
    uid, gid = expected.user.split(":")
    expect(lines[:2] == [uid, gid], f"runs as {lines[:2]}, want {uid}:{gid}")
    status = dict(line.split(":\t", 1) for line in lines[2:7])
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        expect(status.get(cap) == "0000000000000000", f"{cap} {status.get(cap)}")
    expect(status.get("NoNewPrivs") == "1", f"NoNewPrivs {status.get('NoNewPrivs')}")
    expect(status.get("Seccomp") == "2", f"Seccomp {status.get('Seccomp')} (2: a filter)")
    expect(lines[7] == "lo", f"interfaces: {lines[7:-5]}")
    mem, pids, nproc, nofile, core = lines[-5:]
    expect(mem == str(expected.memory_bytes), f"memory limit {mem}")
    expect(pids == str(expected.pids_limit), f"pids limit {pids}")
    expect(nproc == str(USER_PROCESS_LIMIT), f"user processes {nproc}")
    expect(nofile == str(expected.max_open_files), f"open files {nofile}")
    expect(core == "0", f"core size {core}")


# --- inspectors -----------------------------------------------------------------------------

_BASELINE = (
    "/sbin/docker-init",
    "docker-init",
    "catatonit",
    "/usr/libexec/podman/catatonit",
    "/run/podman-init",
    "sleep infinity",
    "bash --noprofile",
    "/bin/sh",
    "ps -eo",
)
"""Processes every container session has: init, the keep-alive, the two shells, the probe."""


class DockerApiInspector:
    """Looks at Docker or Podman sessions through the Docker API that both engines speak.

    ``owner``: the owner label of the sandboxes under test
    (:attr:`terminus_mcp.sandbox.manager.SandboxManager.instance_id`), so that containers of
    other processes are never counted.
    """

    def __init__(self, client: docker.DockerClient, owner: str) -> None:
        self._client = client
        self._owner = owner

    async def processes(self, session: Session) -> list[str]:
        result = await session.run("ps -eo args=", timeout_s=20)
        if result.exit_code != 0:
            raise ConformanceFailure(f"ps failed in the session: {result!r}")
        rows = [line.strip() for line in result.output.splitlines()]
        return [row for row in rows if row and not row.startswith(_BASELINE)]

    async def hardening(self, session: Session) -> EngineHardening:
        container_id = getattr(session, "container_id", "")
        if not container_id:
            raise ConformanceFailure(f"session {session.id} has no container")
        attrs = await anyio.to_thread.run_sync(self._client.api.inspect_container, container_id)
        host: dict[str, Any] = attrs["HostConfig"]
        return EngineHardening(
            user=attrs["Config"].get("User") or "",
            privileged=bool(host.get("Privileged")),
            cap_drop=list(host.get("CapDrop") or []),
            cap_add=list(host.get("CapAdd") or []),
            security_opt=list(host.get("SecurityOpt") or []),
            network_mode=str(host.get("NetworkMode") or ""),
            memory_bytes=int(host.get("Memory") or 0),
            memory_swap_bytes=int(host.get("MemorySwap") or 0),
            nano_cpus=int(host.get("NanoCpus") or 0),
            pids_limit=int(host.get("PidsLimit") or 0),
            # Docker names them ``nofile``, Podman ``RLIMIT_NOFILE``.
            ulimits={
                str(u["Name"]).lower().removeprefix("rlimit_"): (int(u["Soft"]), int(u["Hard"]))
                for u in host.get("Ulimits") or []
            },
            init=bool(host.get("Init")),
            devices=[str(d) for d in host.get("Devices") or []],
            mount_sources=[str(m.get("Source", "")) for m in attrs.get("Mounts") or []],
            pid_mode=str(host.get("PidMode") or ""),
            read_only_rootfs=bool(host.get("ReadonlyRootfs")),
        )

    async def remains(self, session_id: str) -> list[str]:
        labels = [f"{LABEL_OWNER}={self._owner}", f"{LABEL_SESSION}={session_id}"]

        def listed() -> list[str]:
            found = self._client.containers.list(all=True, filters={"label": labels})
            return [f"container {c.short_id} ({c.status})" for c in found]

        return await anyio.to_thread.run_sync(listed)


class FakeInspector:
    """Looks at :class:`terminus_mcp.sandbox.fake.FakeSandboxes` sessions: their simulated
    processes, and whether a closed session is still listed or still has processes. The fake
    has no container, so :meth:`hardening` fails (the checks that need it do not apply)."""

    def __init__(self, sandboxes: FakeSandboxes) -> None:
        self._sandboxes = sandboxes

    async def processes(self, session: Session) -> list[str]:
        if not isinstance(session, FakeSession):
            raise ConformanceFailure(f"not a fake session: {session!r}")
        return session.processes()

    async def hardening(self, session: Session) -> EngineHardening:
        raise ConformanceFailure("the fake engine has no container to inspect")

    async def remains(self, session_id: str) -> list[str]:
        found = [f"session {s.id}" for s in self._sandboxes.sessions() if s.id == session_id]
        for session in self._sandboxes.created:
            if session.id == session_id:
                found += [f"process {argv}" for argv in session.processes()]
        return found
