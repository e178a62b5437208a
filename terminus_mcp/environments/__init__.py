"""Project environments: which image and setup a project needs, set up once and reused.

Sits above the sandbox layer: it resolves a project's definition (``.terminus.toml``,
``devcontainer.json``, or its manifests), runs setup in a sandbox, keeps the result as an
image, and hands tasks the image, mounts and variables to use (see ``docs/environments.md``).
"""

from terminus_mcp.environments.errors import ProjectConfigError, SetupFailed
from terminus_mcp.environments.manager import EnvironmentManager, PreparedEnvironment
from terminus_mcp.environments.redacting_session import RedactingSession
from terminus_mcp.environments.resolve import resolve_environment
from terminus_mcp.environments.spec import EnvironmentSpec, SetupStep, Source

__all__ = [
    "EnvironmentManager",
    "EnvironmentSpec",
    "PreparedEnvironment",
    "ProjectConfigError",
    "RedactingSession",
    "SetupFailed",
    "SetupStep",
    "Source",
    "resolve_environment",
]
