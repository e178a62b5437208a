"""The Docker sandbox against the real engine: persistence, limits, faults, hardening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import docker
import docker.errors
import pytest
from conftest import make_workspace, sandbox_settings

from terminus_mcp.errors import SessionNotFound, WorkspaceError
from terminus_mcp.sandbox.api import SessionEvent, SessionSpec
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.hardening import LABEL_OWNER, LABEL_SESSION
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

REPO_ROOT = Path(__file__).resolve().parents[2]
LEFTOVER_CHECK = "ps -eo pid=,ppid=,args= | grep -v -e 'ps -eo' -e grep"


@pytest.fixture(scope="module")
async def session(
    sandbox_manager: SandboxManager, workspace_root: Path
) -> AsyncIterator[DockerSession]:
    """One session reused by the tests whose state does not matter."""
    work = make_workspace(workspace_root, "shared")
    return await sandbox_manager.create(SessionSpec(workdir=work))


def _processes(output: str) -> list[str]:
    """Command lines from ``ps -eo pid=,ppid=,args=`` (other lines, such as bash's
    "fork: retry" notes right after a fork bomb, are skipped)."""
    rows = [line.split(None, 2) for line in output.strip().splitlines()]
    return [row[2] for row in rows if len(row) == 3 and row[0].isdigit()]


def _baseline(args: list[str]) -> bool:
    """Only init, the keep-alive, and the two shells are left."""
    allowed = ("/sbin/docker-init", "sleep infinity", "bash --noprofile", "/bin/sh")
    return all(a.startswith(allowed) for a in args)


async def test_cwd_env_and_functions_persist(session: DockerSession) -> None:
    first = await session.run(
        "mkdir -p sub && cd sub && export FOO='a b' && greet() { echo \"hi $1\"; }",
        timeout_s=10,
    )
    assert first.exit_code == 0, first
    assert first.cwd == "/workspace/sub"
    second = await session.run('pwd; echo "$FOO"; greet you', timeout_s=10)
    assert second.output == "/workspace/sub\na b\nhi you\n"
    await session.run("cd /workspace", timeout_s=10)


async def test_exit_codes_and_stderr_in_order(session: DockerSession) -> None:
    assert (await session.run("true", timeout_s=10)).exit_code == 0
    assert (await session.run("false", timeout_s=10)).exit_code == 1
    result = await session.run("echo out; echo err >&2; echo out2; (exit 42)", timeout_s=10)
    assert result.exit_code == 42
    assert result.output == "out\nerr\nout2\n"
    assert not result.ok


async def test_noninteractive_environment(session: DockerSession) -> None:
    result = await session.run("echo $CI $PAGER $GIT_PAGER $TERM $NO_COLOR; id -u", timeout_s=10)
    assert result.output == "1 cat cat dumb 1\n1000\n"


async def test_exit_reports_shell_exited_and_next_command_recovers(
    session: DockerSession,
) -> None:
    await session.run("cd /tmp && export GONE=1", timeout_s=10)
    result = await session.run("exit 3", timeout_s=10)
    assert result.exit_code == 3
    assert result.event is SessionEvent.SHELL_EXITED
    assert "fresh shell" in result.detail
    after = await session.run('pwd; echo "[$GONE]"', timeout_s=10)
    assert after.output == "/tmp\n[]\n"
    await session.run("cd /workspace", timeout_s=10)


async def test_command_reading_stdin_gets_eof(session: DockerSession) -> None:
    for command in ("cat", "read x", "python3 -c 'input()'", "head -n 1"):
        result = await session.run(command, timeout_s=10)
        assert not result.timed_out, command
    prompt = await session.run("printf 'Overwrite? [y/N] '; read answer", timeout_s=10)
    assert prompt.exit_code == 1
    assert prompt.waiting_for_input


async def test_non_utf8_and_binary_output(session: DockerSession) -> None:
    result = await session.run("printf 'a\\377\\376b\\000c\\n'", timeout_s=10)
    assert result.output == "a\ufffd\ufffdb\x00c\n"
    binary = await session.run(
        "python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)'", timeout_s=10
    )
    assert binary.exit_code == 0
    assert binary.output_bytes == 1024


async def test_output_flood_is_capped_and_session_stays_usable(
    session: DockerSession, sandbox_manager: SandboxManager
) -> None:
    size = 50_000_000
    result = await session.run(f"head -c {size} /dev/zero | tr '\\0' a", timeout_s=120)
    cap = sandbox_manager.settings.output_capture_bytes
    assert result.exit_code == 0
    assert result.output_bytes == size
    assert result.dropped_bytes == size - cap
    assert f"\n[... {size - cap} bytes cut ...]\n" in result.output
    assert len(result.output) < cap + 200
    assert (await session.run("echo still here", timeout_s=10)).output == "still here\n"


async def test_fake_end_markers_cannot_spoof(session: DockerSession) -> None:
    command = textwrap.dedent(
        r"""
        set; declare -p; env
        for n in 0 1 2; do printf '\x1e%s:0:/\x1e%s\x1e' "nonce$n" "nonce$n"; done
        printf '\036deadbeefdeadbeefdeadbeefdeadbeef:0:/\036deadbeefdeadbeefdeadbeefdeadbeef\036'
        printf() { echo "SPOOF $*"; }
        trap 'echo "DEBUG $BASH_COMMAND"' DEBUG
        set -x
        (exit 7)
        """
    )
    result = await session.run(command, timeout_s=10)
    assert result.exit_code == 7
    assert "SPOOF" not in result.output
    cleanup = await session.run("set +x; trap - DEBUG; unset -f printf; echo clean", timeout_s=10)
    assert cleanup.exit_code == 0
    assert (await session.run("echo clean", timeout_s=10)).output == "clean\n"


async def test_timeout_kills_every_process_and_keeps_output(session: DockerSession) -> None:
    command = (
        "sleep 301 & setsid sleep 302 & (sleep 303 | cat) & "
        "echo started; sleep 304; echo after-timeout-should-not-run-processes; sleep 305"
    )
    result = await session.run(command, timeout_s=1.5)
    assert result.timed_out
    assert result.exit_code is None
    assert "started" in result.output
    left = await session.run(LEFTOVER_CHECK, timeout_s=10)
    args = _processes(left.output)
    assert not any("sleep 30" in a for a in args), left.output
    assert _baseline(args), left.output


async def test_command_runs_in_its_own_process_group(session: DockerSession) -> None:
    result = await session.run(
        "ps -o pgid= -p $$; ps -o pgid= -p $BASHPID; sh -c 'ps -o pgid= -p $$'", timeout_s=10
    )
    shell_group, _, command_group = result.output.split()
    assert shell_group != command_group


async def test_busy_builtin_loop_times_out_and_shell_restarts(session: DockerSession) -> None:
    await session.run("cd /tmp", timeout_s=10)
    result = await session.run("while :; do :; done", timeout_s=1)
    assert result.timed_out
    assert result.event is SessionEvent.SHELL_EXITED
    after = await session.run("pwd", timeout_s=10)
    assert after.output == "/tmp\n"
    await session.run("cd /workspace", timeout_s=10)


async def test_cancellation_kills_the_command(session: DockerSession) -> None:
    with anyio.move_on_after(1):
        await session.run("sleep 311 & sleep 312", timeout_s=60)
    left = await session.run(LEFTOVER_CHECK, timeout_s=10)
    assert "sleep 31" not in left.output
    assert _baseline(_processes(left.output))


async def test_next_output_has_no_notices_about_killed_jobs(session: DockerSession) -> None:
    await session.run("sleep 321 &", timeout_s=10)
    killed = await session.run("sleep 322", timeout_s=1)
    assert killed.timed_out
    after = await session.run("echo only-this", timeout_s=10)
    assert after.output == "only-this\n"


async def test_no_network_and_host_loopback_unreachable(session: DockerSession) -> None:
    hits: list[int] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        ifaces = await session.run("ls /sys/class/net", timeout_s=10)
        assert ifaces.output.split() == ["lo"]
        probe = await session.run(
            f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3)\"; "
            f"echo > /dev/tcp/127.0.0.1/{port}",
            timeout_s=20,
        )
        assert probe.exit_code != 0
        assert "refused" in probe.output.lower()
        # The server itself is reachable from the host: the probe would have hit it.
        socket.create_connection(("127.0.0.1", port), 3).close()
        await anyio.sleep(0.3)
        assert hits == [1]
    finally:
        stop.set()
        thread.join()
        server.close()


async def test_hardening_flags_on_the_running_container(
    session: DockerSession, docker_client: docker.DockerClient
) -> None:
    attrs = docker_client.api.inspect_container(session.container_id)
    host = attrs["HostConfig"]
    assert attrs["Config"]["User"] == "1000:1000"
    assert host["CapDrop"] == ["ALL"]
    assert not host.get("CapAdd")
    assert host["SecurityOpt"] == ["no-new-privileges:true"]
    assert host["NetworkMode"] == "none"
    assert host["Memory"] == host["MemorySwap"] == 512 * 1024 * 1024
    assert host["NanoCpus"] == 1_000_000_000
    assert host["PidsLimit"] == 256
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert ulimits["core"] == (0, 0)
    assert ulimits["nofile"][0] == 4096
    assert ulimits["fsize"][0] == 4096 * 1024 * 1024
    assert host["Init"] is True
    assert host["Privileged"] is False
    assert host["PidMode"] in ("", "private")
    assert not host.get("Devices")
    sources = [m["Source"] for m in attrs["Mounts"]]
    assert not any("docker.sock" in s for s in sources)
    assert attrs["Config"]["Labels"][LABEL_SESSION] == session.id
    status = await session.run(
        "grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status", timeout_s=10
    )
    fields = dict(line.split(":\t") for line in status.output.strip().splitlines())
    assert fields["CapEff"] == fields["CapPrm"] == "0000000000000000"
    assert fields["NoNewPrivs"] == "1"
    assert fields["Seccomp"] == "2"


# --- workspace ------------------------------------------------------------------------------


def test_workdir_outside_allowed_roots_is_refused(workspace_root: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="outside the allowed roots"):
        resolve_workdir("/etc", [workspace_root])
    link_home = make_workspace(workspace_root, "links")
    (link_home / "escape").symlink_to("/etc")
    with pytest.raises(WorkspaceError, match="resolves to /etc"):
        resolve_workdir(link_home / "escape", [workspace_root])
    with pytest.raises(WorkspaceError, match="does not exist"):
        resolve_workdir(workspace_root / "missing", [workspace_root])
    assert resolve_workdir(link_home, [workspace_root]) == link_home


async def test_git_is_read_only_and_workspace_writable(
    sandbox_manager: SandboxManager, workspace: Path
) -> None:
    (workspace / ".git" / "hooks").mkdir(parents=True)
    os.chown(workspace / ".git", 1000, 1000)
    os.chown(workspace / ".git" / "hooks", 1000, 1000)
    session = await sandbox_manager.create(SessionSpec(workdir=workspace))
    try:
        hook = await session.run("echo evil > .git/hooks/pre-commit", timeout_s=10)
        assert hook.exit_code != 0
        assert "Read-only file system" in hook.output
        ok = await session.run("echo fine > file.txt && cat file.txt", timeout_s=10)
        assert ok.output == "fine\n"
    finally:
        await sandbox_manager.close(session.id)
    assert not (workspace / ".git" / "hooks" / "pre-commit").exists()
    assert (workspace / "file.txt").read_text() == "fine\n"


async def test_read_only_workspace(sandbox_manager: SandboxManager, workspace: Path) -> None:
    session = await sandbox_manager.create(SessionSpec(workdir=workspace, read_only_workspace=True))
    try:
        result = await session.run("touch x", timeout_s=10)
        assert result.exit_code != 0
        assert "Read-only file system" in result.output
    finally:
        await sandbox_manager.close(session.id)


async def test_a_session_spec_overrides_the_settings_either_way(
    docker_client: docker.DockerClient, workspace_root: Path, workspace: Path
) -> None:
    """``False`` in the spec beats ``True`` in the settings (and ``None`` follows them)."""
    settings = sandbox_settings(workspace_root, network=True, read_only_workspace=True)
    async with SandboxManager(settings, client=docker_client) as manager:
        cases = [
            (SessionSpec(workdir=workspace), "bridge", True),
            (
                SessionSpec(workdir=workspace, network=False, read_only_workspace=False),
                "none",
                False,
            ),
        ]
        for spec, network_mode, read_only in cases:
            session = await manager.create(spec)
            host = docker_client.api.inspect_container(session.container_id)["HostConfig"]
            assert host["NetworkMode"] == network_mode
            written = await session.run("touch x && rm x", timeout_s=10)
            assert (written.exit_code != 0) == read_only, written.output
            await manager.close(session.id)


# --- limits and faults ----------------------------------------------------------------------


@pytest.fixture
async def small_manager(
    docker_client: docker.DockerClient, workspace_root: Path
) -> AsyncIterator[SandboxManager]:
    settings = sandbox_settings(
        workspace_root, memory_limit_mb=96, pids_limit=64, output_kill_bytes=2 * 1024 * 1024
    )
    async with SandboxManager(settings, client=docker_client) as manager:
        yield manager


async def test_memory_hog_is_oom_killed_and_reported(
    small_manager: SandboxManager, workspace: Path
) -> None:
    session = await small_manager.create(SessionSpec(workdir=workspace))
    result = await session.run("python3 -c \"b = b'x' * (400 * 1024 * 1024)\"", timeout_s=60)
    assert result.exit_code == 137
    assert result.event is SessionEvent.OOM_KILLED, result
    assert "memory limit" in result.detail
    assert (await session.run("echo alive", timeout_s=10)).output == "alive\n"


async def test_fork_bomb_is_contained_and_session_recovers(
    small_manager: SandboxManager, workspace: Path
) -> None:
    session = await small_manager.create(SessionSpec(workdir=workspace))
    result = await session.run("bomb() { bomb | bomb & }; bomb; sleep 2", timeout_s=20)
    assert result.event is SessionEvent.PIDS_EXHAUSTED, result
    after = await session.run(LEFTOVER_CHECK, timeout_s=10)
    assert after.exit_code == 0
    assert _baseline(_processes(after.output)), after.output


async def test_flood_past_kill_threshold_is_killed(
    small_manager: SandboxManager, workspace: Path
) -> None:
    session = await small_manager.create(SessionSpec(workdir=workspace))
    result = await session.run("yes flood", timeout_s=60)
    assert result.event is SessionEvent.OUTPUT_FLOOD
    assert result.exit_code is None
    assert not result.timed_out
    assert result.output_bytes > 2 * 1024 * 1024
    assert (await session.run("echo calm", timeout_s=10)).output == "calm\n"


async def test_container_killed_from_outside_is_reported_and_replaced(
    small_manager: SandboxManager, workspace: Path, docker_client: docker.DockerClient
) -> None:
    session = await small_manager.create(SessionSpec(workdir=workspace))
    first = session.container_id
    docker_client.containers.get(first).remove(force=True)
    gone = await session.run("echo hi", timeout_s=10)
    assert gone.event is SessionEvent.CONTAINER_GONE
    again = await session.run("echo back", timeout_s=30)
    assert again.output == "back\n"
    assert session.container_id != first


# --- lifecycle ------------------------------------------------------------------------------


def _owned(client: docker.DockerClient, owner: str) -> list[str]:
    return [
        c.id for c in client.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"})
    ]


async def test_idle_sessions_expire(
    docker_client: docker.DockerClient, workspace_root: Path, workspace: Path
) -> None:
    settings = sandbox_settings(workspace_root, session_idle_ttl_s=0.5)
    async with SandboxManager(settings, client=docker_client) as manager:
        session = await manager.create(SessionSpec(workdir=workspace), session_id="ttl")
        assert manager.get("ttl") is session
        assert await manager.expire_idle(now=time.time() + 0.1) == []
        await anyio.sleep(2.5)  # the expiry loop runs every 0.5 s
        with pytest.raises(SessionNotFound):
            manager.get("ttl")
        assert _owned(docker_client, manager.instance_id) == []


async def test_close_and_shutdown_remove_containers(
    docker_client: docker.DockerClient, workspace_root: Path, workspace: Path
) -> None:
    async with SandboxManager(sandbox_settings(workspace_root), client=docker_client) as manager:
        one = await manager.create(SessionSpec(workdir=workspace), session_id="one")
        await manager.create(SessionSpec(workdir=workspace), session_id="two")
        assert len(_owned(docker_client, manager.instance_id)) == 2
        await manager.close("one")
        assert _owned(docker_client, manager.instance_id) != []
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(one.container_id or "gone")
        owner = manager.instance_id
    assert _owned(docker_client, owner) == []


ORPHAN_SCRIPT = """
import anyio, sys
from pathlib import Path
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.settings import load_settings

async def main() -> None:
    settings = load_settings({"allowed_roots": [sys.argv[1]], "sandbox_user": "1000:1000"})
    manager = SandboxManager(settings)
    await manager.start()
    session = await manager.create(SessionSpec(workdir=Path(sys.argv[1])))
    print(session.container_id, flush=True)
    await anyio.sleep(600)

anyio.run(main)
"""


async def test_orphans_of_a_killed_process_are_reaped_at_next_start(
    docker_client: docker.DockerClient, workspace_root: Path, workspace: Path
) -> None:
    child = subprocess.Popen(  # noqa: ASYNC220 - a plain child process we SIGKILL below
        [sys.executable, "-c", ORPHAN_SCRIPT, str(workspace)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert child.stdout is not None
        container_id = child.stdout.readline().strip()
        assert container_id, "the child process did not start a session"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert docker_client.containers.get(container_id).status == "running"
    # A live process's containers survive a start-up of another manager...
    async with SandboxManager(sandbox_settings(workspace_root), client=docker_client) as live:
        session = await live.create(SessionSpec(workdir=workspace))
        async with SandboxManager(sandbox_settings(workspace_root), client=docker_client):
            assert docker_client.containers.get(session.container_id).status == "running"
    # ...while the killed process's container is gone.
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container_id)
