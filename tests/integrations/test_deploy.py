"""The GPU deployment files: the compose file parses with a real Compose implementation."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "integrations" / "deploy"


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return ["docker", "compose"]
    pytest.fail("no Compose implementation: run scripts/bootstrap.sh (installs docker-compose)")


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_compose_command(), "-f", str(DEPLOY / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env},
        check=False,
    )


def test_compose_file_is_valid_and_wires_vllm_to_terminus(tmp_path: Path) -> None:
    done = _config({"TERMINUS_AUTH_TOKEN": "t" * 32, "PROJECTS_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    rendered = done.stdout
    assert "--tool-call-parser=hermes" in rendered
    assert "--enable-auto-tool-choice" in rendered
    assert "capabilities:" in rendered
    assert "gpu" in rendered
    assert "TERMINUS_BASE_URL: http://vllm:8000/v1" in rendered
    # The workspace folder is mounted at its host path (sandboxes bind-mount by host path).
    assert (
        re.search(
            rf"source: {re.escape(str(tmp_path))}\n\s+target: {re.escape(str(tmp_path))}", rendered
        )
        or f"{tmp_path}:{tmp_path}" in rendered
    )
    # The port is published on loopback unless the operator says otherwise.
    assert "127.0.0.1" in rendered


def test_compose_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    done = _config({"PROJECTS_DIR": str(tmp_path)})
    assert done.returncode != 0
    assert "TERMINUS_AUTH_TOKEN" in done.stderr


def test_server_dockerfile_copies_paths_that_exist() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    sources = [
        part
        for line in text.splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
    ]
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"COPY source {source} is missing"
    assert json.loads(text.split("ENTRYPOINT", 1)[1].strip()) == ["terminus-mcp", "serve"]
