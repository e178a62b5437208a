"""Package caches shared across projects: one named Docker volume per ecosystem and user.

During setup every cache is mounted and named in its tool's variable, so a second project
with the same dependencies installs from cache. Maven, Gradle, cargo and Go keep downloaded
dependencies *in* their cache, so those caches are mounted in tasks too (offline builds read
them there); pip and npm install into the environment's image and the workspace instead.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from terminus_mcp.environments.detect import ENV_ROOT
from terminus_mcp.sandbox.api import VolumeMount

CACHE_ROOT = f"{ENV_ROOT}/cache"
VOLUME_PREFIX = "terminus-mcp-cache-"


class PackageCache(BaseModel):
    """One ecosystem's cache: where it is mounted and what tells the tool so."""

    model_config = ConfigDict(frozen=True)

    name: str
    env: dict[str, str]
    in_tasks: bool
    """Mounted in tasks too: the tool reads installed dependencies from it."""

    @property
    def target(self) -> str:
        return f"{CACHE_ROOT}/{self.name}"


CACHES: tuple[PackageCache, ...] = (
    PackageCache(name="pip", env={"PIP_CACHE_DIR": f"{CACHE_ROOT}/pip"}, in_tasks=False),
    PackageCache(name="npm", env={"npm_config_cache": f"{CACHE_ROOT}/npm"}, in_tasks=False),
    PackageCache(
        name="maven",
        env={"MAVEN_OPTS": f"-Dmaven.repo.local={CACHE_ROOT}/maven"},
        in_tasks=True,
    ),
    PackageCache(name="gradle", env={"GRADLE_USER_HOME": f"{CACHE_ROOT}/gradle"}, in_tasks=True),
    PackageCache(name="cargo", env={"CARGO_HOME": f"{CACHE_ROOT}/cargo"}, in_tasks=True),
    PackageCache(name="go", env={"GOMODCACHE": f"{CACHE_ROOT}/go"}, in_tasks=True),
)


def volume_name(cache: PackageCache, user: str) -> str:
    """The cache's volume for the sandbox user ``UID:GID`` (one owner per volume)."""
    return f"{VOLUME_PREFIX}{cache.name}-u{user.split(':')[0]}"


def cache_mounts(
    user: str, *, for_tasks: bool
) -> tuple[list[VolumeMount], dict[str, str], list[str]]:
    """Mounts, variables and folders to own for the caches setup (or a task) uses."""
    chosen = [c for c in CACHES if c.in_tasks or not for_tasks]
    mounts = [VolumeMount(source=volume_name(c, user), target=c.target) for c in chosen]
    env: dict[str, str] = {}
    for cache in chosen:
        env.update(cache.env)
    return mounts, env, [c.target for c in chosen]
