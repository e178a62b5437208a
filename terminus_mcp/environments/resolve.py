"""Which environment a project gets, in order: ``.terminus.toml``, devcontainer.json, its
manifests, else the default image as it is.

A definition file's own setup replaces the standard install step; the manifests and lockfiles
found are still part of the environment's key, so editing a lockfile sets the project up anew
whichever way it is defined.
"""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.environments import devcontainer
from terminus_mcp.environments.detect import detect
from terminus_mcp.environments.project_file import FILE_NAME, read_project_file
from terminus_mcp.environments.spec import EnvironmentSpec, Source


def resolve_environment(project: Path) -> EnvironmentSpec:
    """The environment ``project`` (an existing, resolved folder) defines.

    Raises:
        ProjectConfigError: ``.terminus.toml`` or devcontainer.json is malformed.
    """
    found = detect(project)
    own = read_project_file(project)
    if own is not None:
        return EnvironmentSpec(
            project=project,
            source=Source.TERMINUS_TOML,
            source_file=project / FILE_NAME,
            image=own.image,
            build=own.build,
            setup=tuple(own.setup) or tuple(found.steps),
            env=own.env,
            network=own.network,
            allow_hosts=tuple(own.allow_hosts),
            ecosystems=tuple(found.ecosystems),
            inputs=_unique(own.inputs + found.inputs),
            notes=tuple(found.notes if not own.setup else ()),
        )
    dev = devcontainer.read_devcontainer(project)
    if dev is not None:
        return EnvironmentSpec(
            project=project,
            source=Source.DEVCONTAINER,
            source_file=dev.path,
            image=dev.image,
            build=dev.build,
            setup=tuple(dev.setup),
            env=dev.env,
            ecosystems=tuple(found.ecosystems),
            inputs=_unique(dev.inputs + found.inputs),
            notes=tuple(dev.notes),
        )
    return EnvironmentSpec(
        project=project,
        source=Source.DETECTED if found.steps else Source.NONE,
        setup=tuple(found.steps),
        ecosystems=tuple(found.ecosystems),
        inputs=_unique(found.inputs),
        notes=tuple(found.notes),
    )


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
