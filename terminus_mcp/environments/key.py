"""The key an environment is kept under: everything that changes what setup produces.

The project folder, the base image's id, the sandbox user, the setup commands, the declared
variables and the content of every manifest, lockfile and definition file. The folder is part
of it because setup may write into the workspace (``node_modules``): two checkouts with the
same files are two environments. Secrets and the CA bundle are not
part of it: they change how setup reaches registries, not what it installs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from terminus_mcp.environments.spec import EnvironmentSpec

SCHEME = 1
"""Bumped when the layout of environments changes, so old ones are not reused."""
ABSENT = "absent"


def input_digests(project: Path, inputs: Iterable[str]) -> dict[str, str]:
    """``sha256`` of each input file's content (``absent`` for a missing one)."""
    digests: dict[str, str] = {}
    for name in inputs:
        try:
            digests[name] = hashlib.sha256((project / name).read_bytes()).hexdigest()
        except OSError:
            digests[name] = ABSENT
    return digests


def environment_key(
    spec: EnvironmentSpec, *, base_image_id: str, user: str, digests: dict[str, str]
) -> str:
    """A hex digest naming the environment ``spec`` produces on ``base_image_id``."""
    material = {
        "scheme": SCHEME,
        "project": str(spec.project),
        "base": base_image_id,
        "user": user,
        "setup": [step.command for step in spec.setup],
        "env": spec.env,
        "inputs": digests,
    }
    blob = json.dumps(material, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Inputs that existed before setup and were edited or removed while it ran (new files,
    such as a lockfile setup created, do not count)."""
    return [
        name
        for name, digest in before.items()
        if digest != ABSENT and after.get(name, ABSENT) != digest
    ]
