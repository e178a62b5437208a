"""Named sessions outlive the process that made them: state written by one ``terminus-mcp
run`` is seen by the next, ``sandbox ls`` shows their idle time, and a later process removes
them once idle past their TTL. Real CLI processes, real containers, direct mode."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
import pytest
from conftest import make_workspace

from terminus_mcp.sandbox.hardening import LABEL_SESSION
from terminus_mcp.sandbox.persist import LABEL_PERSIST

pytestmark = pytest.mark.docker


def _env(workspace_root: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TERMINUS_ALLOWED_ROOTS": str(workspace_root),
        "TERMINUS_STATE_DIR": str(workspace_root / ".state-persist"),
        "TERMINUS_BACKEND": "direct",
        "TERMINUS_SANDBOX_USER": "1000:1000",
        **extra,
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminus_mcp", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def _run(env: dict[str, str], work: Path, query: str, *extra: str) -> dict[str, Any]:
    done = _cli(env, "run", query, "--workdir", str(work), "--json", *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _containers(client: docker.DockerClient, name: str) -> list[str]:
    found = client.containers.list(all=True, filters={"label": f"{LABEL_SESSION}={name}"})
    return [c.id for c in found]


def test_named_session_is_kept_across_two_cli_processes(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    work = make_workspace(workspace_root, "persist")
    env = _env(workspace_root)
    name = "sandboxenv-" + secrets.token_hex(3)
    token = secrets.token_hex(8)
    try:
        first = _run(
            env, work, f"Run `echo {token} > /tmp/kept.txt && mkdir -p /tmp/d`", "--session", name
        )
        assert first["session_id"] == name
        kept = _containers(docker_client, name)
        assert len(kept) == 1, "the first process must leave its container running"
        second = _run(env, work, "Run `cat /tmp/kept.txt`", "--session", name)
        assert second["session_id"] == name
        assert token in second["answer"], second["answer"]
        assert _containers(docker_client, name) == kept, "the second process must adopt it"
        listed = _cli(env, "sandbox", "ls")
        line = next(x for x in listed.stdout.splitlines() if f"session={name}" in x)
        assert "idle=" in line, listed.stdout
        assert "ttl=15m" in line, listed.stdout
    finally:
        for container_id in _containers(docker_client, name):
            docker_client.containers.get(container_id).remove(force=True)


def test_unnamed_task_reports_no_session_and_leaves_nothing(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    work = make_workspace(workspace_root, "unnamed")
    result = _run(_env(workspace_root), work, "Run `echo hi`")
    assert result["session_id"] is None
    mounting = [
        c.name
        for c in docker_client.containers.list(all=True)
        if any(m.get("Source") == str(work) for m in c.attrs.get("Mounts", []))
    ]
    assert mounting == []


def test_idle_named_session_is_reaped_by_a_later_process(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    work = make_workspace(workspace_root, "reaped")
    name = "sandboxenv-" + secrets.token_hex(3)
    env = _env(workspace_root, TERMINUS_SESSION_IDLE_TTL_S="2")
    _run(env, work, "Run `echo ok`", "--session", name)
    kept = docker_client.containers.list(
        all=True, filters={"label": [LABEL_PERSIST, f"{LABEL_SESSION}={name}"]}
    )
    assert len(kept) == 1
    assert kept[0].labels[LABEL_PERSIST] == "2"
    time.sleep(3)
    listed = _cli(env, "sandbox", "ls")
    # `sandbox ls` reaps it, unless another terminus-mcp process on the engine did first.
    assert f"session={name}" not in listed.stdout, listed.stdout
    assert _containers(docker_client, name) == []
    if f"removed expired session {name}" in listed.stdout:  # the reaper had this state dir
        assert not list((workspace_root / ".state-persist" / "sessions").glob(f"{name}-*.json"))


def test_one_name_in_two_folders_is_two_sessions(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    env = _env(workspace_root)
    name = "sandboxenv-" + secrets.token_hex(3)
    try:
        first = make_workspace(workspace_root, "folder-a")
        _run(env, first, "Run `echo a > /tmp/which`", "--session", name)
        second = _run(
            env,
            make_workspace(workspace_root, "folder-b"),
            "Run `cat /tmp/which`",
            "--session",
            name,
        )
        assert "No such file or directory" in second["answer"], second["answer"]
        assert len(_containers(docker_client, name)) == 2
        again = _run(env, first, "Run `cat /tmp/which`", "--session", name)
        assert "\na\n</final_answer>" in again["answer"], again["answer"]
    finally:
        for container_id in _containers(docker_client, name):
            docker_client.containers.get(container_id).remove(force=True)
