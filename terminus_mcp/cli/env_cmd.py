"""``terminus-mcp env show|build|prune``: a project's environment, explained, set up, removed."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import anyio

from terminus_mcp.cli.common import settings_from_args
from terminus_mcp.environments import EnvironmentManager, EnvironmentSpec, SetupFailed
from terminus_mcp.environments.images import list_environment_images, remove_images
from terminus_mcp.environments.manager import setup_log_path
from terminus_mcp.environments.resolve import resolve_environment
from terminus_mcp.errors import SandboxError
from terminus_mcp.sandbox.api import AllowedWorkdir
from terminus_mcp.sandbox.engine import docker_client
from terminus_mcp.sandbox.manager import SandboxManager
from terminus_mcp.sandbox.workspace import resolve_workdir
from terminus_mcp.service import TaskEvent
from terminus_mcp.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "env", help="show, set up or remove a project's environment (image plus setup)"
    )
    actions = parser.add_subparsers(dest="env_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="explain which environment the project gets, and whether it is set up",
    )
    build = actions.add_parser(
        "build", help="set the project's environment up now (tasks otherwise do it first)"
    )
    build.add_argument(
        "--force", action="store_true", help="set up again even when a kept result exists"
    )
    prune = actions.add_parser(
        "prune", help="remove kept environment images (of --workdir's project, or all with --all)"
    )
    prune.add_argument("--all", action="store_true", help="remove every project's environments")
    for action in (show, build, prune):
        action.add_argument(
            "--workdir",
            type=Path,
            default=None,
            help="project folder (default: the current folder)",
        )
    show.set_defaults(handler=_show)
    build.set_defaults(handler=_build)
    prune.set_defaults(handler=_prune)


def _project(args: argparse.Namespace, settings: Settings) -> AllowedWorkdir:
    return resolve_workdir(args.workdir or Path.cwd(), settings.allowed_roots)


def describe(spec: EnvironmentSpec, settings: Settings) -> list[str]:
    """``env show``'s explanation of a resolved environment, one line each."""
    lines = [f"project:    {spec.project}"]
    origin = f"{spec.source_file}" if spec.source_file else ""
    reason = {
        ".terminus.toml": f"defined by {origin}",
        "devcontainer.json": f"defined by {origin}",
        "manifests": "no .terminus.toml or devcontainer.json: the standard install step for "
        "the manifests found",
        "none": "no .terminus.toml, devcontainer.json or manifest: the default image as it is",
    }[spec.source.value]
    lines.append(f"source:     {reason}")
    if spec.build is not None:
        image = f"built from {spec.build.dockerfile} (context {spec.build.context})"
    else:
        image = spec.image or f"{settings.sandbox_image} (the sandbox_image setting)"
    lines.append(f"image:      {image}")
    if spec.ecosystems:
        lines.append(f"ecosystems: {', '.join(spec.ecosystems)}")
    if spec.setup:
        lines.append("setup:")
        lines += [f"  - {step.command}" for step in spec.setup]
    else:
        lines.append("setup:      none")
    if spec.env:
        lines.append("env:        " + ", ".join(f"{k}={v}" for k, v in spec.env.items()))
    if settings.pass_env:
        lines.append("pass_env:   " + ", ".join(settings.pass_env) + " (values never shown)")
    if spec.network or spec.allow_hosts:
        lines.append(f"network:    setup {spec.network or 'as configured'}")
    if spec.allow_hosts:
        lines.append(f"allow_hosts: {', '.join(spec.allow_hosts)}")
    if spec.inputs:
        lines.append(f"key inputs: {', '.join(spec.inputs)}")
    lines += [f"note:       {note}" for note in spec.notes]
    return lines


def _show(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    project = _project(args, settings)
    spec = resolve_environment(project)
    for line in describe(spec, settings):
        print(line)
    if not spec.needs_setup:
        print("state:      nothing to set up")
        return 0

    async def state() -> str:
        async with SandboxManager(settings) as sandboxes:
            _, key, kept = await EnvironmentManager(settings, sandboxes).status(project)
        if key is None:
            return "not set up (its base image is not built yet)"
        if kept is None:
            log = setup_log_path(settings, key)
            last = f"; last setup's output: {log}" if log.is_file() else ""
            return f"not set up for the current files{last}"
        created = str(kept.attrs.get("Created", ""))[:19]
        return f"ready: {', '.join(kept.tags)} (set up {created})"

    try:
        shown = anyio.run(state)
    except SandboxError as exc:
        shown = f"unknown ({exc})"
    print(f"state:      {shown}")
    return 0


def _progress(event: TaskEvent) -> None:
    print(f"terminus-mcp: {event.message}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    settings = settings_from_args(args)
    project = _project(args, settings)

    async def main() -> str:
        async with SandboxManager(settings) as sandboxes:
            environments = EnvironmentManager(settings, sandboxes)
            prepared = await environments.prepare(project, _progress, force=args.force)
        if prepared.image is None:
            return f"{project}: nothing to set up (tasks use {settings.sandbox_image})"
        how = "reused" if prepared.reused else f"set up in {prepared.setup_s:.0f} s"
        return f"{prepared.image} ({how})"

    try:
        print(anyio.run(main))
    except SetupFailed as exc:
        print(f"terminus-mcp: error: {exc}", file=sys.stderr)
        if exc.excerpt:
            print(f"first error:\n{exc.excerpt}", file=sys.stderr)
        return 1
    return 0


def _prune(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    client = docker_client(settings)
    found = list_environment_images(client)
    if not args.all:
        project = str(_project(args, settings))
        found = [i for i in found if i.project == project]
    removed = remove_images(client, found)
    for tag in removed:
        print(f"removed {tag}")
    print(f"{len(removed)} removed")
    return 0
