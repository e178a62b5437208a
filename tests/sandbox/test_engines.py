"""Choosing the engine: ``engine = auto | docker | podman`` against the real Docker engine and
the real Podman service, what each reports, and what ``doctor`` says about it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import sandbox_settings

from terminus_mcp.doctor import refusal_fix
from terminus_mcp.errors import DockerUnavailable
from terminus_mcp.sandbox.engine import connect_engine, engine_info, engine_runtimes

pytestmark = [pytest.mark.docker, pytest.mark.podman]

NOWHERE = "unix:///nonexistent/terminus-contract.sock"


def test_auto_takes_docker_when_it_answers(workspace_root: Path) -> None:
    client = connect_engine(sandbox_settings(workspace_root, engine="auto"))
    info = engine_info(client, None)
    assert info.name == "docker"
    assert not info.rootless
    assert info.capabilities.isolation
    assert info.capabilities.resource_limits
    assert info.describe().startswith(f"docker {info.version}, runtime ")


def test_auto_falls_back_to_podman(workspace_root: Path) -> None:
    settings = sandbox_settings(workspace_root, engine="auto", docker_host=NOWHERE)
    info = engine_info(connect_engine(settings), None)
    assert info.name == "podman"
    assert info.describe().endswith(", rootful")  # these tests run as root


def test_podman_is_taken_when_asked_even_with_docker_up(workspace_root: Path) -> None:
    settings = sandbox_settings(workspace_root, engine="podman")
    assert engine_info(connect_engine(settings), None).name == "podman"


def test_no_engine_answering_names_both_and_how_to_start_them(workspace_root: Path) -> None:
    settings = sandbox_settings(
        workspace_root, engine="auto", docker_host=NOWHERE, podman_host=NOWHERE
    )
    with pytest.raises(DockerUnavailable) as caught:
        connect_engine(settings)
    message = str(caught.value)
    assert "no container engine answers" in message
    assert "Docker: " in message
    assert "Podman: " in message
    assert "dockerd" in message
    assert "podman system service --time=0" in message


def test_podman_lists_only_the_runtimes_it_can_run(workspace_root: Path) -> None:
    client = connect_engine(sandbox_settings(workspace_root, engine="podman"))
    listed: dict[str, Any] = client.info()["Runtimes"]
    usable = engine_runtimes(client)
    for name, spec in listed.items():
        assert (name in usable) == os.path.exists(spec["path"]), name
    assert usable


def test_doctor_on_podman_names_engine_runtime_and_mode(workspace_root: Path) -> None:
    env = {**os.environ, "TERMINUS_ENGINE": "podman", "TERMINUS_ALLOWED_ROOTS": str(workspace_root)}
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    engine_line = next(line for line in lines if "container engine" in line)
    assert engine_line.startswith("[ok  ] container engine: podman ")
    assert "rootful" in engine_line
    assert "engine setting 'podman'" in engine_line
    for name in ("runtime", "sandbox image", "capabilities dropped", "no network", "pids limit"):
        assert any(line.startswith(f"[ok  ] {name}") for line in lines), done.stdout


def test_doctor_without_any_engine_says_how_to_start_one(workspace_root: Path) -> None:
    env = {
        **os.environ,
        "TERMINUS_DOCKER_HOST": NOWHERE,
        "TERMINUS_PODMAN_HOST": NOWHERE,
        "TERMINUS_ALLOWED_ROOTS": str(workspace_root),
    }
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "doctor"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "[FAIL] container engine: no container engine answers" in done.stdout
    assert "fix: start Docker" in done.stdout
    assert "podman system service" in done.stdout


def test_known_engine_refusals_get_a_fix_that_says_what_to_do() -> None:
    # The message crun 1.8.1 (Podman 4.3 on Debian 12) gave on this project's machines, whose
    # cgroup v1 hierarchy also mounts a v2 controller (hybrid mode).
    seen = (
        "the sandbox container does not start: 500 Server Error for http+docker://localhost/"
        'v1.41/containers/98c0/start: Internal Server Error ("crun: cgroups in hybrid mode not '
        'supported, drop all controllers from cgroupv2: OCI runtime error")'
    )
    assert "--runtime runc system service" in refusal_fix(seen, "run doctor")
    assert refusal_fix("something else", "run doctor") == "run doctor"
