"""What a project's environment is: the typed result of resolving it, before anything runs.

:func:`terminus_mcp.environments.resolve.resolve_environment` produces an
:class:`EnvironmentSpec` from the project's files; the setup runner turns it into an image.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NetworkMode = Literal["none", "allowlist", "open"]
"""How a sandbox reaches the network: not at all, through the egress allowlist, or freely."""


class Source(StrEnum):
    """Where an environment's definition came from, in resolution order."""

    TERMINUS_TOML = ".terminus.toml"
    DEVCONTAINER = "devcontainer.json"
    DETECTED = "manifests"
    NONE = "none"
    """No definition and no manifest: the default image as it is, no setup."""


class SetupStep(BaseModel):
    """One setup command, run in the project's workspace at ``/workspace``."""

    model_config = ConfigDict(frozen=True)

    command: str
    """A shell command line."""
    label: str = ""
    """Short name for progress lines (``npm ci``); the command itself when empty."""
    outputs: tuple[str, ...] = ()
    """Paths inside the workspace the step creates (``node_modules``): the environment is only
    reused while they exist, since they live in the project folder, not in the image."""

    @property
    def name(self) -> str:
        return self.label or self.command


class BuildSpec(BaseModel):
    """An image built from the project's own Dockerfile."""

    model_config = ConfigDict(frozen=True)

    dockerfile: Path
    """Absolute path of the Dockerfile, inside the project."""
    context: Path
    """Absolute path of the build context, inside the project."""
    args: dict[str, str] = Field(default_factory=dict)
    target: str | None = None


class EnvironmentSpec(BaseModel):
    """A project's environment as its files define it."""

    model_config = ConfigDict(frozen=True)

    project: Path
    """The project folder (resolved)."""
    source: Source
    source_file: Path | None = None
    """The file that defined it (``.terminus.toml``, ``devcontainer.json``), if any."""
    image: str | None = None
    """Base image; ``None`` with no ``build``: the configured sandbox image."""
    build: BuildSpec | None = None
    setup: tuple[SetupStep, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    """Variables set in setup and in every task (not secrets: they are kept in the image)."""
    network: NetworkMode | None = None
    """Network the project asks for during setup; ``None``: the configured one."""
    allow_hosts: tuple[str, ...] = ()
    """Hosts setup may reach under ``allowlist`` on top of the detected ecosystems' registries."""
    ecosystems: tuple[str, ...] = ()
    """Package ecosystems found in the project (``python``, ``node``, ``maven``, ...)."""
    inputs: tuple[str, ...] = ()
    """Files (relative to the project) whose content is part of the environment's key: the
    definition file, Dockerfile, manifests and lockfiles."""
    notes: tuple[str, ...] = ()
    """Plain remarks for the user: unsupported keys, assumptions made."""

    @property
    def needs_setup(self) -> bool:
        """Whether anything must be built or run before tasks can use the environment."""
        return bool(self.setup) or self.build is not None
