"""Errors of project environments, each saying what failed, why and how to fix it.

ConfigError
└── ProjectConfigError   .terminus.toml or devcontainer.json is malformed or unsupported
SandboxError
└── SetupFailed          the environment could not be built or its setup failed
"""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.errors import ConfigError, SandboxError


class ProjectConfigError(ConfigError):
    """A project's environment file is malformed: the message names the file, line and fix."""

    def __init__(self, path: Path, what: str, *, line: int | None = None, fix: str) -> None:
        where = f"{path}" + (f", line {line}" if line else "")
        self.path = path
        self.line = line
        super().__init__(f"{where}: {what}", fix=fix)


class SetupFailed(SandboxError):
    """A project's environment could not be set up; nothing of it is kept."""

    def __init__(self, what: str, *, why: str = "", fix: str = "", excerpt: str = "") -> None:
        self.excerpt = excerpt
        """The first real error lines of the failing step's output (secrets masked)."""
        super().__init__(what, why=why, fix=fix)
