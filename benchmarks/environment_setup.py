"""Cold setup against warm start of a project environment, for a Python and a Node project.

For each project: *cold* is a full setup (resolve, install from the registry with the package
caches off, ``docker commit``); *warm* is what a later task pays before its first command
(resolve, find the kept image, start the sandbox, run ``true``); the baseline is a plain
session start on the default image (start the sandbox, run ``true``), measured in the same
run. Targets: warm at most 2 s over the baseline, and at most 10% of cold. Exits 1 on a miss.
Registries are reached through the host's CA bundle. Usage::

    python benchmarks/environment_setup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import anyio

from terminus_mcp.environments import EnvironmentManager
from terminus_mcp.environments.images import list_environment_images, remove_images
from terminus_mcp.sandbox.api import SessionSpec
from terminus_mcp.sandbox.engine import docker_client
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.settings import Settings, load_settings

MAX_OVER_PLAIN_S = 2.0
MAX_FRACTION_OF_COLD = 0.10
SANDBOX_UID = 1000


def python_project(root: Path) -> Path:
    project = root / "python-project"
    project.mkdir()
    # A small real project's needs: an HTTP client (with its four dependencies) and a
    # pytest plugin (pytest itself comes with the image).
    (project / "requirements.txt").write_text("requests==2.32.3\npytest-timeout==2.3.1\n")
    return project


def node_project(root: Path, settings: Settings) -> Path:
    project = root / "node-project"
    project.mkdir()
    manifest = {
        "name": "bench",
        "version": "1.0.0",
        # A small real project's needs: a test runner (mocha pulls in about 80 packages).
        "devDependencies": {"mocha": "10.7.3"},
    }
    (project / "package.json").write_text(json.dumps(manifest))
    hand_over(project)
    # A real lockfile, written by the image's npm (the host needs no Node).
    mounts = {str(project): {"bind": "/work", "mode": "rw"}}
    environment = {"HOME": "/tmp"}
    if settings.ca_bundle is not None:
        mounts[str(settings.ca_bundle)] = {"bind": "/ca.crt", "mode": "ro"}
        environment["NODE_EXTRA_CA_CERTS"] = "/ca.crt"
    docker_client(settings).containers.run(
        settings.sandbox_image,
        ["npm", "install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
        remove=True,
        user=f"{SANDBOX_UID}:{SANDBOX_UID}",
        working_dir="/work",
        environment=environment,
        volumes=mounts,
        network_mode="bridge",
    )
    return project


def hand_over(path: Path) -> None:
    """Make a project writable by the sandbox user, as a user's checkout is."""
    for item in [path, *path.rglob("*")]:
        if os.geteuid() == 0:
            os.chown(item, SANDBOX_UID, SANDBOX_UID)
        else:
            item.chmod(0o777 if item.is_dir() else 0o666)


async def start_and_run(sandboxes: SandboxManager, spec: SessionSpec) -> float:
    started = time.perf_counter()
    session = await sandboxes.create(spec)
    result = await session.run("true", timeout_s=60)
    elapsed = time.perf_counter() - started
    await sandboxes.close(session.id)
    if not result.ok:
        raise SystemExit(f"`true` failed in the sandbox: {result.output}")
    return elapsed


async def measure(settings: Settings, folder: Path, repeats: int) -> dict[str, float]:
    project = resolve_workdir(folder, settings.allowed_roots)
    cold_settings = settings.model_copy(update={"package_caches": False})
    async with SandboxManager(settings) as sandboxes:
        cold_env = EnvironmentManager(cold_settings, sandboxes)
        started = time.perf_counter()
        await cold_env.prepare(project, force=True)
        cold = time.perf_counter() - started

        environments = EnvironmentManager(settings, sandboxes)
        warm_runs, plain_runs = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            prepared = await environments.prepare(project)
            if not prepared.reused:
                raise SystemExit(f"{project.name}: the kept environment was not reused")
            await start_and_run(sandboxes, prepared.session_spec(project, network="none"))
            warm_runs.append(time.perf_counter() - started)
            plain_runs.append(await start_and_run(sandboxes, SessionSpec(workdir=project)))
            # The other order too, so load that drifts during the run hits both alike.
            plain_runs.append(await start_and_run(sandboxes, SessionSpec(workdir=project)))
            started = time.perf_counter()
            prepared = await environments.prepare(project)
            await start_and_run(sandboxes, prepared.session_spec(project, network="none"))
            warm_runs.append(time.perf_counter() - started)
    return {
        "cold_s": cold,
        "warm_s": statistics.median(warm_runs),
        "plain_s": statistics.median(plain_runs),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="warm and plain starts per project")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="terminus-env-bench-")).resolve()
    settings = load_settings(
        {
            "allowed_roots": [str(root)],
            "state_dir": str(root / ".state"),
            "sandbox_user": f"{SANDBOX_UID}:{SANDBOX_UID}",
        }
    )
    if settings.ca_bundle is None:
        print("note: no CA bundle found in SSL_CERT_FILE & co.; registries must be reachable")
    projects = [python_project(root), node_project(root, settings)]
    for project in projects:
        hand_over(project)
    failed = False
    try:
        for project in projects:
            numbers = anyio.run(measure, settings, project, args.repeats)
            cold, warm, plain = numbers["cold_s"], numbers["warm_s"], numbers["plain_s"]
            over, fraction = warm - plain, warm / cold
            ok = over <= MAX_OVER_PLAIN_S and fraction <= MAX_FRACTION_OF_COLD
            failed |= not ok
            print(
                f"{project.name:15} cold setup {cold:6.2f} s | warm start {warm:5.2f} s | "
                f"plain start {plain:5.2f} s | warm - plain {over:+5.2f} s "
                f"(target <= {MAX_OVER_PLAIN_S:g}) | warm/cold {fraction:6.1%} "
                f"(target <= {MAX_FRACTION_OF_COLD:.0%}) | {'ok' if ok else 'MISS'}"
            )
    finally:
        client = docker_client(settings)
        mine = [i for i in list_environment_images(client) if i.project.startswith(str(root))]
        remove_images(client, mine)
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
