"""pass_env values reach setup (and tasks given them) but no artifact: answers, results,
transcripts, setup logs, the log, the kept image, ``config show``."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.environments.images import list_environment_images
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import TaskEvent, TaskRequest, TerminusService
from tests.conftest import make_workspace
from tests.environments.conftest import env_settings, own

pytestmark = [
    pytest.mark.docker,
    pytest.mark.anyio,
    pytest.mark.usefixtures("remove_what_tests_create"),
]

SETUP_VAR = "TERMINUS_ENVTEST_SETUP_TOKEN"
TASK_VAR = "TERMINUS_ENVTEST_TASK_TOKEN"


async def test_secret_values_appear_in_no_artifact(
    workspace: Path,
    docker_client: docker.DockerClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_value = "setup-" + secrets.token_hex(12)
    task_value = "task-" + secrets.token_hex(12)
    monkeypatch.setenv(SETUP_VAR, setup_value)
    monkeypatch.setenv(TASK_VAR, task_value)
    caplog.set_level(logging.DEBUG)
    (workspace / ".terminus.toml").write_text(
        "[environment]\nsetup = [\n"
        f'  "test -n \\"${SETUP_VAR}\\" && echo setup sees ${SETUP_VAR}",\n'
        f'  "echo ${SETUP_VAR} > $HOME/leaked-into-image-file-is-the-projects-choice",\n'
        "]\n"
    )
    own(workspace)
    settings = env_settings(workspace, pass_env=[SETUP_VAR], task_pass_env=[TASK_VAR])
    events: list[TaskEvent] = []
    query = f"Run `echo task sees ${TASK_VAR}; echo setup secret: ${{{SETUP_VAR}:-absent}}`"
    async with (
        SandboxManager(settings, client=docker_client) as sandboxes,
        TerminusService(settings, sandboxes=sandboxes) as service,
    ):
        result = await service.run_task(TaskRequest(query=query, workdir=workspace), events.append)
        failing = await service.run_task(
            TaskRequest(query="Run `true`", workdir=_failing_project(workspace)), events.append
        )
    assert result.status is TaskStatus.COMPLETED, result.answer
    assert f"task sees [secret {TASK_VAR}]" in result.answer
    assert "setup secret: absent" in result.answer  # a task never sees setup's secrets
    assert failing.status is TaskStatus.FAILED
    assert f"failing with [secret {SETUP_VAR}]" in failing.answer

    artifacts = {
        "answers and results": result.model_dump_json() + failing.model_dump_json(),
        "events": " ".join(e.message for e in events),
        "log": caplog.text,
    }
    for path in settings.state_dir.rglob("*"):
        if path.is_file():
            artifacts[str(path)] = path.read_text(errors="replace")
    setup_logs = [k for k in artifacts if "/environments/" in k]
    assert setup_logs, "setup's output is kept in the state folder"
    assert any(f"setup sees [secret {SETUP_VAR}]" in artifacts[k] for k in setup_logs)
    for image in list_environment_images(docker_client):
        if image.project == str(workspace):
            attrs = docker_client.images.get(image.id).attrs
            artifacts[f"image {image.tag}"] = json.dumps(attrs)
    assert any(k.startswith("image ") for k in artifacts)
    artifacts["config show"] = _config_show(workspace)
    for name, text in artifacts.items():
        assert setup_value not in text, f"the setup secret leaked into {name}"
        assert task_value not in text, f"the task secret leaked into {name}"


def _failing_project(workspace: Path) -> Path:
    project = make_workspace(workspace.parent, "failing-setup")
    (project / ".terminus.toml").write_text(
        f'[environment]\nsetup = ["echo failing with ${SETUP_VAR} >&2; exit 1"]\n'
    )
    own(project)
    return project


def _config_show(workspace: Path) -> str:
    env = dict(os.environ)
    env.update(
        TERMINUS_PASS_ENV=json.dumps([SETUP_VAR]),
        TERMINUS_TASK_PASS_ENV=json.dumps([TASK_VAR]),
        TERMINUS_ALLOWED_ROOTS=str(workspace.parent),
        XDG_CONFIG_HOME=str(workspace.parent / ".config"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "terminus_mcp", "config", "show"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert SETUP_VAR in done.stdout  # the names are shown, the values never
    return done.stdout + done.stderr


async def test_unset_pass_env_fails_the_task_clearly(
    workspace: Path, docker_client: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TERMINUS_ENVTEST_UNSET", raising=False)
    (workspace / ".terminus.toml").write_text('[environment]\nsetup = ["true"]\n')
    own(workspace)
    settings = env_settings(workspace, pass_env=["TERMINUS_ENVTEST_UNSET"])
    async with (
        SandboxManager(settings, client=docker_client) as sandboxes,
        TerminusService(settings, sandboxes=sandboxes) as service,
    ):
        result = await service.run_task(TaskRequest(query="Run `true`", workdir=workspace))
    assert result.status is TaskStatus.FAILED
    assert "pass_env names TERMINUS_ENVTEST_UNSET, which is not set" in result.answer
    assert "Fix: export TERMINUS_ENVTEST_UNSET" in result.answer
