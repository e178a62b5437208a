"""Setting projects up for real: installs from PyPI and npm, kept and reused, and failures.

Registries are reached from the sandbox the way the host reaches them (through the host's CA
bundle); packages are small and pinned.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import anyio
import docker
import pytest

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.environments import EnvironmentManager, SetupFailed
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.service import EventKind, TaskEvent, TaskRequest, TerminusService
from terminus_mcp.settings import Settings
from tests.conftest import make_workspace
from tests.environments.conftest import env_settings, own

pytestmark = [
    pytest.mark.docker,
    pytest.mark.anyio,
    pytest.mark.usefixtures("remove_what_tests_create"),
]

# tomli-w: a tiny wheel that the default image does not have.
TEST_DEP = (
    "import tomli_w\n\n\ndef test_dependency_is_installed():\n    assert tomli_w.dumps({})  == ''\n"
)


def python_project(root: Path, requirement: str = "tomli-w==1.0.0") -> Path:
    (root / "tests").mkdir()
    (root / "requirements.txt").write_text(requirement + "\n")
    (root / "tests" / "test_dep.py").write_text(TEST_DEP)
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    own(root)
    return root


async def run(
    settings: Settings, workspace: Path, query: str, client: docker.DockerClient
) -> tuple[list[TaskEvent], TaskResult]:
    events: list[TaskEvent] = []
    async with (
        SandboxManager(settings, client=client) as sandboxes,
        TerminusService(settings, sandboxes=sandboxes) as service,
    ):
        result = await service.run_task(TaskRequest(query=query, workdir=workspace), events.append)
    return events, result


def npm_lock(project: Path) -> None:
    subprocess.run(
        ["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=180,
    )


def setup_messages(events: list[TaskEvent]) -> list[str]:
    return [e.message for e in events if e.kind is EventKind.SETUP]


async def test_python_dependencies_installed_once_then_reused(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    project = python_project(workspace)
    query = "install the dependencies and run the tests"

    # Without environments the declared dependency is missing: the symptom.
    plain = env_settings(workspace, project_environments=False)
    _, before = await run(plain, project, query, docker_client)
    assert "ModuleNotFoundError: No module named 'tomli_w'" in before.answer

    settings = env_settings(workspace)
    events, first = await run(settings, project, query, docker_client)
    assert first.status is TaskStatus.COMPLETED, first.answer
    assert "1 passed" in first.answer
    messages = setup_messages(events)
    assert messages[:2] == [
        "setting up: starting a sandbox for 1 step(s)",
        "setting up: pip install -r requirements.txt",
    ]
    assert messages[-1].startswith("environment ready: terminus-mcp-env:")
    assert "set up in" in messages[-1]

    # The second task on the same project installs nothing.
    events, second = await run(settings, project, query, docker_client)
    assert "1 passed" in second.answer
    messages = setup_messages(events)
    assert len(messages) == 1
    assert messages[0].endswith("(set up earlier, reused)")


async def test_lockfile_change_sets_up_again(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    project = python_project(workspace)
    settings = env_settings(workspace)
    async with SandboxManager(settings, client=docker_client) as sandboxes:
        environments = EnvironmentManager(settings, sandboxes)
        one = await environments.prepare(project)
        (project / "requirements.txt").write_text("tomli-w==1.1.0\n")
        two = await environments.prepare(project)
        assert not two.reused
        assert two.image != one.image
        session = await sandboxes.create(two.session_spec(project, network=False))
        done = await session.run("pip show tomli-w | grep ^Version", timeout_s=30)
        assert done.output.strip() == "Version: 1.1.0"


def node_project(root: Path) -> Path:
    (root / "package.json").write_text(
        json.dumps(
            {
                "name": "demo",
                "version": "1.0.0",
                "devDependencies": {"is-number": "7.0.0"},
                "scripts": {"test": "node -e \"require('is-number'); console.log('ok')\""},
            }
        )
    )
    npm_lock(root)  # a real lockfile, written by the host's npm
    own(root)
    return root


async def test_package_cache_is_shared_across_projects(
    workspace_root: Path, docker_client: docker.DockerClient
) -> None:
    first = await anyio.to_thread.run_sync(node_project, make_workspace(workspace_root, "npm-a"))
    settings = env_settings(first)

    def offline_copy(name: str) -> Path:
        # Same dependencies; its setup has no network at all, so only the cache can serve them.
        other = make_workspace(workspace_root, name)
        for file in ("package.json", "package-lock.json"):
            shutil.copy(first / file, other / file)
        (other / ".terminus.toml").write_text(
            '[environment]\nnetwork = "none"\nsetup = ["npm ci --offline --no-audit --no-fund"]\n'
        )
        own(other)
        return other

    async with SandboxManager(settings, client=docker_client) as sandboxes:
        await EnvironmentManager(settings, sandboxes).prepare(first)
        second = offline_copy("npm-b")
        await EnvironmentManager(settings, sandboxes).prepare(second)
        assert (second / "node_modules" / "is-number" / "package.json").is_file()

        # Without the shared cache the same offline setup cannot install anything.
        uncached = settings.model_copy(update={"package_caches": False})
        with pytest.raises(SetupFailed, match="npm ci --offline"):
            await EnvironmentManager(uncached, sandboxes).prepare(offline_copy("npm-c"))


async def test_node_project_npm_ci_with_dev_dependencies(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    await anyio.to_thread.run_sync(node_project, workspace)
    settings = env_settings(workspace)
    events, result = await run(settings, workspace, "Run `npm test`", docker_client)
    assert result.status is TaskStatus.COMPLETED, result.answer
    assert "setting up: npm ci" in setup_messages(events)
    assert (workspace / "node_modules" / "is-number" / "package.json").is_file()

    # Reused while node_modules exists; set up again when it is gone.
    events, _ = await run(settings, workspace, "Run `npm test`", docker_client)
    assert setup_messages(events)[-1].endswith("(set up earlier, reused)")
    await anyio.to_thread.run_sync(shutil.rmtree, workspace / "node_modules")
    events, result = await run(settings, workspace, "Run `npm test`", docker_client)
    assert "setting up: npm ci" in setup_messages(events)
    assert result.status is TaskStatus.COMPLETED


async def test_devcontainer_project(workspace: Path, docker_client: docker.DockerClient) -> None:
    (workspace / ".devcontainer").mkdir()
    (workspace / ".devcontainer" / "devcontainer.json").write_text(
        """{
  // JSONC, as editors write it
  "image": "terminus-mcp-sandbox:latest",
  "features": {"ghcr.io/devcontainers/features/go:1": {}},
  "containerEnv": {"GREETING": "hello from devcontainer"},
  "onCreateCommand": ["sh", "-c", "echo created > $HOME/on-create"],
  "postCreateCommand": {"deps": "echo post >> $HOME/on-create"},
}
"""
    )
    own(workspace)
    settings = env_settings(workspace)
    events, result = await run(
        settings, workspace, "Run `cat $HOME/on-create; echo $GREETING`", docker_client
    )
    assert result.status is TaskStatus.COMPLETED, result.answer
    assert "created\npost\nhello from devcontainer" in result.answer
    assert setup_messages(events)[1:3] == [
        "setting up: sh -c 'echo created > $HOME/on-create'",
        "setting up: deps: echo post >> $HOME/on-create",
    ]


async def test_terminus_toml_with_its_own_dockerfile(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    (workspace / "ci").mkdir()
    (workspace / "ci" / "Dockerfile").write_text(
        "FROM terminus-mcp-sandbox:latest\nUSER root\nARG FLAVOR\n"
        'RUN echo "built $FLAVOR" > /etc/project-marker\nUSER sandbox\n'
    )
    (workspace / ".terminus.toml").write_text(
        '[environment]\ndockerfile = "ci/Dockerfile"\nargs = { FLAVOR = "custom" }\n'
        'setup = ["cp /etc/project-marker $HOME/marker"]\nenv = { PROJECT_MODE = "toml" }\n'
    )
    own(workspace)
    settings = env_settings(workspace)
    _, result = await run(
        settings, workspace, "Run `cat $HOME/marker; echo mode=$PROJECT_MODE`", docker_client
    )
    assert result.status is TaskStatus.COMPLETED, result.answer
    assert "built custom" in result.answer
    assert "mode=toml" in result.answer


async def test_a_dockerfile_that_does_not_build(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    (workspace / "Dockerfile").write_text(
        "FROM terminus-mcp-sandbox:latest\nRUN echo about to fail && exit 3\n"
    )
    (workspace / ".terminus.toml").write_text('[environment]\ndockerfile = "Dockerfile"\n')
    own(workspace)
    _, result = await run(env_settings(workspace), workspace, "Run `true`", docker_client)
    assert result.status is TaskStatus.FAILED
    answer = result.answer
    assert "does not build" in answer
    assert "returned a non-zero code: 3" in answer
    assert result.commands == []


async def test_failing_setup_shows_its_first_error_and_is_not_kept(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    python_project(workspace, "terminus-mcp-no-such-package-environments==1.0")
    settings = env_settings(workspace)
    for _ in range(2):  # never reused: the second task sets up again
        events, result = await run(settings, workspace, "run the tests", docker_client)
        assert result.status is TaskStatus.FAILED
        assert "setting up: pip install -r requirements.txt" in setup_messages(events)
    answer = result.answer
    assert "setup failed: `pip install -r requirements.txt` exited with status 1" in answer
    assert (
        "ERROR: Could not find a version that satisfies the requirement "
        "terminus-mcp-no-such-package-environments==1.0" in answer
    )


async def test_hanging_setup_is_bounded(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    (workspace / ".terminus.toml").write_text('[environment]\nsetup = ["sleep 300"]\n')
    own(workspace)
    settings = env_settings(workspace, setup_timeout_s=3)
    _, result = await run(settings, workspace, "Run `true`", docker_client)
    assert result.status is TaskStatus.FAILED
    assert "setup timed out: `sleep 300` was still running" in result.answer
    assert result.timings.total_s < 60


async def test_lockfile_edited_during_setup_is_not_kept(
    workspace: Path, docker_client: docker.DockerClient
) -> None:
    (workspace / "package.json").write_text('{"dependencies": {}}')
    (workspace / "package-lock.json").write_text('{"lockfileVersion": 3}')
    (workspace / ".terminus.toml").write_text(
        "[environment]\nsetup = [\"echo ' ' >> package-lock.json\"]\n"
    )
    own(workspace)
    settings = env_settings(workspace)
    async with SandboxManager(settings, client=docker_client) as sandboxes:
        with pytest.raises(SetupFailed, match=r"package-lock\.json changed while setup ran"):
            await EnvironmentManager(settings, sandboxes).prepare(workspace)
