"""The sandbox commands end to end: ``exec``, ``doctor``, ``sandbox ls``, and image helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from terminus_mcp.sandbox.image import (
    base_image,
    dockerfile_path,
    image_is_current,
    list_resources,
)
from terminus_mcp.settings import load_settings

pytestmark = pytest.mark.docker


def _cli(*args: str, workspace_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERMINUS_ALLOWED_ROOTS": str(workspace_root)}
    return subprocess.run(
        [sys.executable, "-m", "terminus_mcp", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_exec_prints_output_and_exits_with_the_status(
    workspace: Path, workspace_root: Path
) -> None:
    done = _cli(
        "exec",
        "--workdir",
        str(workspace),
        "--",
        "echo hi; ls /sys/class/net; exit 3",
        workspace_root=workspace_root,
    )
    assert done.stdout == "hi\nlo\n"
    assert done.returncode == 3


def test_exec_joins_several_arguments(workspace: Path, workspace_root: Path) -> None:
    done = _cli(
        "exec",
        "--workdir",
        str(workspace),
        "--",
        "printf",
        "%s|",
        "a b",
        "c",
        workspace_root=workspace_root,
    )
    assert done.stdout == "a b|c|"
    assert done.returncode == 0


def test_exec_timeout_exits_124(workspace: Path, workspace_root: Path) -> None:
    done = _cli(
        "exec",
        "--workdir",
        str(workspace),
        "--timeout",
        "1",
        "--",
        "echo early; sleep 30",
        workspace_root=workspace_root,
    )
    assert done.returncode == 124
    assert done.stdout.startswith("early\n")
    assert "timed out" in done.stderr


def test_exec_refuses_workdir_outside_roots(workspace_root: Path) -> None:
    done = _cli("exec", "--workdir", "/etc", "--", "true", workspace_root=workspace_root)
    assert done.returncode == 2
    assert "outside the allowed roots" in done.stderr
    assert "Fix:" in done.stderr
    assert "Traceback" not in done.stderr


def test_exec_network_flag_gives_an_interface(workspace: Path, workspace_root: Path) -> None:
    done = _cli(
        "exec",
        "--workdir",
        str(workspace),
        "--network",
        "--",
        "ls /sys/class/net",
        workspace_root=workspace_root,
    )
    assert done.returncode == 0
    assert "eth0" in done.stdout.split()


def test_doctor_reports_all_good(workspace: Path, workspace_root: Path) -> None:
    # doctor checks the folder tasks would run in (default: the current one, which lies
    # outside this test's allowed root): name one inside it.
    done = _cli("doctor", "--workdir", str(workspace), workspace_root=workspace_root)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in (
        "workspace",
        "container engine",
        "runtime",
        "sandbox image",
        "capabilities dropped",
        "no network",
        "memory limit",
        "pids limit",
    ):
        assert f"[ok  ] {name}" in done.stdout


def test_doctor_fails_with_fix_for_missing_image(workspace_root: Path) -> None:
    env_image = "terminus-mcp-test-missing:none"
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "doctor"],
        capture_output=True,
        text=True,
        env={**os.environ, "TERMINUS_SANDBOX_IMAGE": env_image},
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert f"[FAIL] sandbox image: {env_image} is missing" in done.stdout
    assert f"docker pull {env_image}" in done.stdout


def test_sandbox_ls_lists_the_built_image(
    docker_client: docker.DockerClient, workspace_root: Path
) -> None:
    images = [r for r in list_resources(docker_client) if r.kind == "image"]
    assert any("terminus-mcp-sandbox:latest" in r.name for r in images)
    done = _cli("sandbox", "ls", workspace_root=workspace_root)
    assert done.returncode == 0
    assert "terminus-mcp-sandbox:latest" in done.stdout


def test_dockerfile_is_found_and_names_its_base() -> None:
    path = dockerfile_path()
    assert path.name == "Dockerfile"
    assert base_image(path) == "debian:trixie-slim"


def test_build_if_missing_knows_whether_the_image_matches_its_dockerfile(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    tag = load_settings().sandbox_image
    assert image_is_current(docker_client, tag), "the built image should match sandbox/Dockerfile"
    edited = tmp_path / "Dockerfile"
    edited.write_text(dockerfile_path().read_text() + "\nRUN true\n")
    assert not image_is_current(docker_client, tag, edited)
    assert not image_is_current(docker_client, "terminus-mcp-sandbox:no-such-tag")
