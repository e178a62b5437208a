"""``.terminus.toml``: a project's own environment definition, table ``[environment]``.

    [environment]
    image = "python:3.12-slim"          # or: dockerfile = "ci/Dockerfile", context = ".", args = {}
    setup = ["pip install -r requirements.txt"]
    env = { DJANGO_SETTINGS_MODULE = "app.settings" }
    network = "allowlist"               # setup's network: none | allowlist | open
    allow_hosts = ["example.org"]

Host variables are never named here: a project file is the project's, not the operator's, so
``pass_env`` lives in the terminus-mcp settings only.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from terminus_mcp.environments.errors import ProjectConfigError
from terminus_mcp.environments.spec import BuildSpec, NetworkMode, SetupStep

FILE_NAME = ".terminus.toml"


class EnvironmentTable(BaseModel):
    """The ``[environment]`` table, as written."""

    model_config = ConfigDict(extra="forbid")

    image: str | None = None
    dockerfile: str | None = None
    context: str | None = None
    args: dict[str, str] = Field(default_factory=dict)
    target: str | None = None
    setup: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    network: NetworkMode | None = None
    allow_hosts: list[str] = Field(default_factory=list)

    @field_validator("setup", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ProjectEnvironment(BaseModel):
    """What ``.terminus.toml`` defines, paths resolved against the project."""

    image: str | None
    build: BuildSpec | None
    setup: list[SetupStep]
    env: dict[str, str]
    network: NetworkMode | None
    allow_hosts: list[str]
    inputs: list[str]


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


def inside(project: Path, relative: str, path: Path, key: str, text: str) -> Path:
    """``relative`` resolved against ``project``; it must stay inside the project."""
    resolved = (project / relative).resolve()
    if not resolved.is_relative_to(project):
        raise ProjectConfigError(
            path,
            f"{key} = {relative!r} points outside the project",
            line=_line_of(text, key),
            fix="use a path inside the project folder",
        )
    return resolved


def read_project_file(project: Path) -> ProjectEnvironment | None:
    """The ``[environment]`` of ``project/.terminus.toml``; ``None`` when there is none.

    Raises:
        ProjectConfigError: the file is not valid TOML or the table has unknown or wrong keys.
    """
    path = project / FILE_NAME
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        if "end of document" in str(exc):
            line = text.count("\n") + 1
        raise ProjectConfigError(
            path,
            f"not valid TOML ({exc})",
            line=line,
            fix="correct the syntax (https://toml.io), for example quote strings and close "
            "brackets",
        ) from None
    table = data.get("environment")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ProjectConfigError(
            path,
            "`environment` must be a table",
            line=_line_of(text, "environment"),
            fix="write it as an `[environment]` section",
        )
    try:
        parsed = EnvironmentTable.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "environment"
        known = ", ".join(EnvironmentTable.model_fields)
        fix = (
            f"the keys of [environment] are: {known}"
            if err["type"] == "extra_forbidden"
            else f"give `{key}` a value of the right type (see docs/environments.md)"
        )
        raise ProjectConfigError(
            path, f"[environment] {key}: {err['msg']}", line=_line_of(text, key), fix=fix
        ) from None
    if parsed.image and parsed.dockerfile:
        raise ProjectConfigError(
            path,
            "both `image` and `dockerfile` are set",
            line=_line_of(text, "dockerfile"),
            fix="keep one: an image to use as is, or a Dockerfile to build",
        )
    build = None
    inputs = [FILE_NAME]
    if parsed.dockerfile:
        dockerfile = inside(project, parsed.dockerfile, path, "dockerfile", text)
        if not dockerfile.is_file():
            raise ProjectConfigError(
                path,
                f"dockerfile {parsed.dockerfile!r} does not exist",
                line=_line_of(text, "dockerfile"),
                fix="give the Dockerfile's path relative to the project folder",
            )
        context = inside(project, parsed.context or ".", path, "context", text)
        build = BuildSpec(
            dockerfile=dockerfile, context=context, args=parsed.args, target=parsed.target
        )
        inputs.append(str(dockerfile.relative_to(project)))
    return ProjectEnvironment(
        image=parsed.image,
        build=build,
        setup=[SetupStep(command=c) for c in parsed.setup if c.strip()],
        env=parsed.env,
        network=parsed.network,
        allow_hosts=parsed.allow_hosts,
        inputs=inputs,
    )
