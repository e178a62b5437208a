"""``devcontainer.json``: the subset of the Dev Container spec that maps onto a sandbox.

Read from ``.devcontainer/devcontainer.json`` or ``.devcontainer.json`` (JSON with comments,
parsed by ``json5``). Supported: ``image``, ``build.dockerfile``/``context``/``args``/``target``
(and the older top-level ``dockerFile``/``context``), ``containerEnv`` and ``remoteEnv``, and
``onCreateCommand``, ``updateContentCommand``, ``postCreateCommand`` as setup, in that order
(string, array and object forms). Every other key that changes the container is reported once
as unsupported; keys that only concern an editor (``name``, ``customizations``) are not.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5

from terminus_mcp.environments.errors import ProjectConfigError
from terminus_mcp.environments.spec import BuildSpec, SetupStep

LOCATIONS = (".devcontainer/devcontainer.json", ".devcontainer.json")
SETUP_KEYS = ("onCreateCommand", "updateContentCommand", "postCreateCommand")
SUPPORTED = {"image", "build", "dockerFile", "context", "containerEnv", "remoteEnv", *SETUP_KEYS}
EDITOR_ONLY = {"$schema", "name", "customizations", "extensions", "settings", "hostRequirements"}
WORKSPACE = "/workspace"


def find(project: Path) -> Path | None:
    """The project's devcontainer.json, if it has one."""
    for location in LOCATIONS:
        path = project / location
        if path.is_file():
            return path
    return None


def _substitute(text: str, project: Path) -> str:
    """Replace the Dev Container variables that have a meaning here."""
    values = {
        "containerWorkspaceFolder": WORKSPACE,
        "containerWorkspaceFolderBasename": Path(WORKSPACE).name,
        "localWorkspaceFolderBasename": project.name,
    }
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _commands(value: Any, key: str, path: Path, line: int | None) -> list[SetupStep]:
    """A lifecycle command in its string, array or object form, as setup steps."""
    if isinstance(value, str):
        return [SetupStep(command=value)] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [SetupStep(command=shlex.join(value))] if value else []
    if isinstance(value, dict):
        steps: list[SetupStep] = []
        for name, item in value.items():
            steps += [
                SetupStep(command=s.command, label=f"{name}: {s.command}")
                for s in _commands(item, f"{key}.{name}", path, line)
            ]
        return steps
    raise ProjectConfigError(
        path,
        f"`{key}` must be a string, an array of strings or an object of those",
        line=line,
        fix='write it as "cmd args", ["cmd", "args"] or {"name": "cmd args"}',
    )


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if f'"{key}"' in line:
            return number
    return None


@dataclass
class DevcontainerEnvironment:
    """What a devcontainer.json defines, paths resolved, plus what it asked for in vain."""

    path: Path
    image: str | None
    build: BuildSpec | None
    setup: list[SetupStep]
    env: dict[str, str]
    inputs: list[str]
    notes: list[str] = field(default_factory=list)


def _env_table(data: dict[str, Any], key: str, path: Path, text: str) -> dict[str, str]:
    table = data.get(key) or {}
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ProjectConfigError(
            path,
            f"`{key}` must be an object of strings",
            line=_line_of(text, key),
            fix=f'write it as "{key}": {{"NAME": "value"}}',
        )
    return {str(k): v for k, v in table.items()}


def _build(data: dict[str, Any], project: Path, path: Path, text: str) -> BuildSpec | None:
    build = data.get("build")
    if build is None and "dockerFile" in data:
        build = {"dockerfile": data["dockerFile"], "context": data.get("context", ".")}
    if build is None:
        return None
    if not isinstance(build, dict) or not isinstance(build.get("dockerfile"), str):
        raise ProjectConfigError(
            path,
            "`build` needs a `dockerfile` path",
            line=_line_of(text, "build"),
            fix='write "build": {"dockerfile": "Dockerfile", "context": ".."}',
        )
    base = path.parent
    dockerfile = (base / build["dockerfile"]).resolve()
    context = (base / str(build.get("context", "."))).resolve()
    for what, resolved in (("dockerfile", dockerfile), ("context", context)):
        if not resolved.is_relative_to(project):
            raise ProjectConfigError(
                path,
                f"build.{what} points outside the project ({resolved})",
                line=_line_of(text, what),
                fix="keep the Dockerfile and its context inside the project folder",
            )
    if not dockerfile.is_file():
        raise ProjectConfigError(
            path,
            f"build.dockerfile {build['dockerfile']!r} does not exist ({dockerfile})",
            line=_line_of(text, "dockerfile"),
            fix="give its path relative to the folder of devcontainer.json",
        )
    args = build.get("args") or {}
    if not isinstance(args, dict):
        raise ProjectConfigError(
            path,
            "`build.args` must be an object",
            line=_line_of(text, "args"),
            fix='write "args": {"NAME": "value"}',
        )
    target = build.get("target")
    return BuildSpec(
        dockerfile=dockerfile,
        context=context,
        args={str(k): str(v) for k, v in args.items()},
        target=str(target) if target else None,
    )


def read_devcontainer(project: Path) -> DevcontainerEnvironment | None:
    """The project's devcontainer.json definition, or ``None`` when it has none.

    Raises:
        ProjectConfigError: the file is not valid JSON with comments, or a supported key has
            the wrong shape.
    """
    path = find(project)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json5.loads(text)
    except ValueError as exc:
        match = re.match(r"<string>:(\d+) (.*)", str(exc))
        raise ProjectConfigError(
            path,
            f"not valid JSON with comments: {match.group(2) if match else exc}",
            line=int(match.group(1)) if match else None,
            fix="correct the syntax near that line (a missing comma, quote or bracket)",
        ) from None
    if not isinstance(data, dict):
        raise ProjectConfigError(
            path, "the top level must be an object", line=1, fix="wrap the settings in { }"
        )
    data = _substituted(data, project)
    image = data.get("image")
    if image is not None and not isinstance(image, str):
        raise ProjectConfigError(
            path,
            "`image` must be a string",
            line=_line_of(text, "image"),
            fix='write "image": "name:tag"',
        )
    build = _build(data, project, path, text)
    notes: list[str] = []
    if image and build:
        notes.append(f"{path.name} sets both `image` and `build`: the build is used")
        image = None
    setup: list[SetupStep] = []
    for key in SETUP_KEYS:
        if key in data:
            setup += _commands(data[key], key, path, _line_of(text, key))
    env = {
        **_env_table(data, "containerEnv", path, text),
        **_env_table(data, "remoteEnv", path, text),
    }
    unsupported = sorted(k for k in data if k not in SUPPORTED and k not in EDITOR_ONLY)
    if unsupported:
        keys = ", ".join(f"`{k}`" for k in unsupported)
        notes.append(
            f"{path.relative_to(project)}: not supported here, so not applied: {keys} "
            "(put what they install into setup commands or the Dockerfile instead)"
        )
    inputs = [str(path.relative_to(project))]
    if build is not None:
        inputs.append(str(build.dockerfile.relative_to(project)))
    return DevcontainerEnvironment(
        path=path,
        image=image,
        build=build,
        setup=setup,
        env=env,
        inputs=inputs,
        notes=notes,
    )


def _substituted(value: Any, project: Path) -> Any:
    if isinstance(value, str):
        return _substitute(value, project)
    if isinstance(value, list):
        return [_substituted(v, project) for v in value]
    if isinstance(value, dict):
        return {k: _substituted(v, project) for k, v in value.items()}
    return value
