"""Health checks of the sandbox: engine (Docker or Podman, rootful or rootless), runtime, image,
and limits seen from inside.

:func:`run_checks` returns one :class:`Check` per question, each failure with the command
that fixes it. The limits are checked in a real probe container, from the inside: a flag
the engine silently ignored would show up here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import anyio
import docker
from pydantic import BaseModel

from terminus_mcp.errors import TerminusError, WorkspaceError
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.engine import (
    connect_engine,
    engine_info,
    engine_runtimes,
    ensure_image,
    image_fix,
    select_runtime,
)
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import (
    resolve_workdir,
    sandbox_user,
    write_problem,
)
from terminus_mcp.settings import Settings

PROBE_UID = 1000

PROBE = (
    "echo uid=$(id -u); grep '^CapEff:' /proc/self/status | tr -d '\\t'; "
    "echo nets=$(ls /sys/class/net | tr '\\n' ,); "
    "echo mem=$(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes "
    "2>/dev/null | head -n 1); "
    "echo pids=$(cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null "
    "| head -n 1); "
    "grep '^NoNewPrivs:' /proc/self/status | tr -d '\\t'"
)


KNOWN_REFUSALS = (
    (
        "cgroups in hybrid mode not supported",
        "crun cannot run on this host's hybrid cgroups; make Podman use runc: start its service "
        "as `podman --runtime runc system service --time=0 unix:///run/podman/podman.sock`, or "
        'set `runtime = "runc"` under [engine] in /etc/containers/containers.conf',
    ),
    (
        "setrlimit",
        "the runtime was asked for a resource limit above the engine's own hard limit, which "
        "needs CAP_SYS_RESOURCE; start the engine's service with higher limits "
        "(`ulimit -n 1048576; ulimit -u unlimited` before it)",
    ),
)
"""Engine refusals whose message alone does not say what to do: the text to look for in the
error, and the fix."""


def refusal_fix(message: str, default: str) -> str:
    """The fix for a known engine refusal in ``message``, else ``default``."""
    return next((fix for text, fix in KNOWN_REFUSALS if text in message), default)


class Check(BaseModel):
    """One answer of the doctor."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _probe_checks(values: dict[str, str], settings: Settings) -> list[Check]:
    fix = "report this: the engine ignored a hardening flag (`terminus-mcp doctor` output)"
    mem_expected = str(settings.memory_limit_mb * 1024 * 1024)
    pids_expected = str(settings.pids_limit)
    uid = values.get("uid", "?")
    nets = [n for n in values.get("nets", "").split(",") if n]
    return [
        Check(name="non-root user", ok=uid not in ("0", "?"), detail=f"uid {uid}", fix=fix),
        Check(
            name="capabilities dropped",
            ok=values.get("CapEff") == "0000000000000000",
            detail=f"CapEff {values.get('CapEff', '?')}",
            fix=fix,
        ),
        Check(
            name="no-new-privileges",
            ok=values.get("NoNewPrivs") == "1",
            detail=f"NoNewPrivs {values.get('NoNewPrivs', '?')}",
            fix=fix,
        ),
        Check(
            name="no network",
            ok=nets == ["lo"],
            detail="interfaces: " + (", ".join(nets) or "none"),
            fix=fix,
        ),
        Check(
            name="memory limit",
            ok=values.get("mem") == mem_expected,
            detail=f"cgroup limit {values.get('mem', '?')} bytes (want {mem_expected})",
            fix=fix,
        ),
        Check(
            name="pids limit",
            ok=values.get("pids") == pids_expected,
            detail=f"cgroup limit {values.get('pids', '?')} (want {pids_expected})",
            fix=fix,
        ),
    ]


def _parse_probe(output: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in output.splitlines():
        for sep in ("=", ":"):
            if sep in line:
                key, _, value = line.partition(sep)
                values[key.strip()] = value.strip()
                break
    return values


def workspace_check(settings: Settings, workdir: Path | None) -> Check:
    """Whether the sandbox can write ``workdir`` as the user it would run as there.

    Without a ``workdir`` the current folder is checked when it lies inside the allowed
    roots; otherwise the check says it was not made."""
    try:
        real = resolve_workdir(workdir or Path.cwd(), settings.allowed_roots)
    except WorkspaceError as exc:
        if workdir is None:
            return Check(
                name="workspace",
                ok=True,
                detail="not checked: the current folder is outside the allowed roots (pass "
                "--workdir DIR to check a project folder)",
            )
        return Check(name="workspace", ok=False, detail=exc.what, fix=exc.fix)
    user = sandbox_user(settings.sandbox_user, real)
    if settings.read_only_workspace:
        return Check(name="workspace", ok=True, detail=f"{real} (mounted read-only)")
    problem = write_problem(real, user)
    if problem is not None:
        uid, _, gid = user.partition(":")
        return Check(
            name="workspace",
            ok=False,
            detail=problem,
            fix=f"`sudo chown -R {uid}:{gid} {real}`, or set TERMINUS_SANDBOX_USER to the "
            "folder's owner (auto does that; a root-owned folder then gets root without "
            "capabilities)",
        )
    who = "root without capabilities: root owns the folder" if user[:2] == "0:" else user
    return Check(name="workspace", ok=True, detail=f"{real} is writable by the sandbox ({who})")


async def run_checks(settings: Settings, workdir: Path | None = None) -> list[Check]:
    """Every check, in order; later ones are skipped (and say so) when an earlier one fails.
    ``workdir`` (default: the current folder) is checked for being writable by the sandbox
    (see :func:`workspace_check`)."""
    checks: list[Check] = []
    try:
        client: docker.DockerClient = await anyio.to_thread.run_sync(connect_engine, settings)
    except TerminusError as exc:
        detail = f"{exc.what}: {exc.why}" if exc.why else exc.what
        checks.append(Check(name="container engine", ok=False, detail=detail, fix=exc.fix))
        return checks
    try:
        runtime = await anyio.to_thread.run_sync(select_runtime, client, settings)
        known = await anyio.to_thread.run_sync(engine_runtimes, client)
        engine = await anyio.to_thread.run_sync(engine_info, client, runtime)
    except TerminusError as exc:
        checks.append(Check(name="runtime", ok=False, detail=exc.what, fix=exc.fix))
        return checks
    api = (await anyio.to_thread.run_sync(client.version)).get("ApiVersion", "?")
    mode = "rootless" if engine.rootless else "rootful"
    checks.append(
        Check(
            name="container engine",
            ok=True,
            detail=f"{engine.name} {engine.version} (API {api}), {mode}, "
            f"engine setting {settings.engine!r}",
        )
    )
    if runtime == "runsc":
        name = "gVisor (runsc)"
    elif "runsc" in known:
        name = f"{engine.runtime} (gVisor available but TERMINUS_RUNTIME=runc)"
    else:
        name = f"{engine.runtime} (gVisor not installed)"
    checks.append(Check(name="runtime", ok=True, detail=name))
    try:
        await anyio.to_thread.run_sync(ensure_image, client, settings.sandbox_image, engine.name)
        checks.append(Check(name="sandbox image", ok=True, detail=settings.sandbox_image))
    except TerminusError:
        checks.append(
            Check(
                name="sandbox image",
                ok=False,
                detail=f"{settings.sandbox_image} is missing in {engine.name}'s image store",
                fix=image_fix(settings.sandbox_image, engine.name),
            )
        )
        return checks
    if "allowlist" in (settings.network, settings.setup_network):
        try:
            await anyio.to_thread.run_sync(ensure_image, client, settings.proxy_image)
            checks.append(Check(name="egress proxy image", ok=True, detail=settings.proxy_image))
        except TerminusError:
            checks.append(
                Check(
                    name="egress proxy image",
                    ok=False,
                    detail=f"{settings.proxy_image} is missing: allowlist sandboxes (setup "
                    "steps by default) cannot start",
                    fix="run `terminus-mcp sandbox build`",
                )
            )
    checks.append(workspace_check(settings, workdir))
    with tempfile.TemporaryDirectory(prefix="terminus-doctor-") as tmp:
        os.chmod(tmp, 0o777)  # an empty scratch folder the sandbox user may enter
        if os.geteuid() == 0:  # probe as the usual non-root sandbox user
            os.chown(tmp, PROBE_UID, PROBE_UID)
        real = await anyio.to_thread.run_sync(os.path.realpath, tmp)
        probe_settings = settings.model_copy(update={"allowed_roots": [Path(real)]})
        try:
            async with SandboxManager(probe_settings, client=client) as sandboxes:
                probe_dir = resolve_workdir(real, probe_settings.allowed_roots)
                session = await sandboxes.create(SessionSpec(workdir=probe_dir, network="none"))
                result = await session.run(PROBE, timeout_s=30)
        except TerminusError as exc:
            fix = refusal_fix(exc.message, exc.fix)
            checks.append(Check(name="probe container", ok=False, detail=exc.message, fix=fix))
            return checks
    checks.append(Check(name="probe container", ok=result.exit_code == 0, detail="started and ran"))
    checks.extend(_probe_checks(_parse_probe(result.output), settings))
    return checks
