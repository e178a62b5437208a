"""The standard install step for the manifests a project has, found from its top-level files.

Python dependencies go into a virtual environment at :data:`VENV` (outside the workspace, so
it is kept in the environment's image; PEP 668 never applies to it), which sees the image's
own Python packages too. Node, Maven, Gradle, Cargo and Go use their usual places: the
project's ``node_modules``, and the package caches for the others.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terminus_mcp.environments.spec import SetupStep

ENV_ROOT = "/opt/terminus"
"""Where setup keeps what it installs outside the workspace (owned by the sandbox user)."""
VENV = f"{ENV_ROOT}/venv"
HOME = f"{ENV_ROOT}/home"
NPM_PREFIX = f"{ENV_ROOT}/npm-global"

MAKE_VENV = (
    f"python3 -m venv --system-site-packages --without-pip {VENV} && "
    f"(python3 -m pip --version >/dev/null 2>&1 && "
    f"printf '#!/bin/sh\\nexec {VENV}/bin/python -m pip \"$@\"\\n' > {VENV}/bin/pip && "
    f"chmod +x {VENV}/bin/pip || {VENV}/bin/python -m ensurepip -q)"
)
"""Create the virtual environment. It borrows the image's own pip when there is one (a
wrapper that runs it with the venv's python installs into the venv): copying and compiling a
fresh pip costs tens of seconds on a busy machine."""

TEST_EXTRAS = ("test", "tests", "testing", "dev")
"""Optional-dependency groups installed with a Python project: what its tests usually need."""

LOCKFILES: dict[str, tuple[str, ...]] = {
    "python": (
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "uv.lock",
        "poetry.lock",
        "Pipfile.lock",
    ),
    "node": (
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    ),
    "maven": ("pom.xml",),
    "gradle": (
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
        "gradle.lockfile",
        "gradle/wrapper/gradle-wrapper.properties",
    ),
    "cargo": ("Cargo.toml", "Cargo.lock"),
    "go": ("go.mod", "go.sum"),
}
"""Manifests and lockfiles per ecosystem: their content is part of the environment's key."""


@dataclass
class Detected:
    """What the manifests call for."""

    ecosystems: list[str] = field(default_factory=list)
    steps: list[SetupStep] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def requirement_files(project: Path) -> list[str]:
    """``requirements*.txt`` at the top and ``requirements/*.txt``, relative, sorted."""
    found = sorted(p.name for p in project.glob("requirements*.txt") if p.is_file())
    folder = project / "requirements"
    if folder.is_dir():
        found += sorted(f"requirements/{p.name}" for p in folder.glob("*.txt") if p.is_file())
    return found


def _python_extras(project: Path) -> list[str]:
    """The test/dev extras ``pyproject.toml`` declares (``[project.optional-dependencies]``)."""
    data = _read_toml(project / "pyproject.toml") or {}
    project_table = data.get("project")
    extras = project_table.get("optional-dependencies") if isinstance(project_table, dict) else {}
    if not isinstance(extras, dict):
        return []
    return [name for name in TEST_EXTRAS if name in extras]


def _read_toml(path: Path) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _declares_no_python_dependencies(project: Path) -> bool:
    """Whether ``pyproject.toml`` states (PEP 621, statically) that the project needs nothing
    beyond the standard library, and there is no setup.py that could say otherwise."""
    if (project / "setup.py").is_file():
        return False
    data = _read_toml(project / "pyproject.toml")
    table = data.get("project") if data else None
    if not isinstance(table, dict) or "dependencies" in table.get("dynamic", []):
        return False
    return not table.get("dependencies") and not _python_extras(project)


def _has_build_system(project: Path) -> bool:
    """Whether the project can be installed (``pip install -e .``)."""
    if (project / "setup.py").is_file() or (project / "setup.cfg").is_file():
        return True
    data = _read_toml(project / "pyproject.toml") or {}
    return "build-system" in data or "project" in data


def _python(project: Path, found: Detected) -> None:
    reqs = requirement_files(project)
    has = {name for name in LOCKFILES["python"] if (project / name).is_file()}
    if not reqs and not has:
        return
    found.ecosystems.append("python")
    found.inputs += reqs + sorted(has)
    venv = MAKE_VENV
    if "uv.lock" in has:
        found.steps.append(
            SetupStep(
                label="uv sync",
                command=f"{venv} && pip install -q uv && "
                f"UV_PROJECT_ENVIRONMENT={VENV} uv sync --frozen --all-extras --no-progress",
            )
        )
        return
    if "poetry.lock" in has:
        found.steps.append(
            SetupStep(
                label="poetry install",
                command=f"{venv} && pip install -q poetry && "
                "POETRY_VIRTUALENVS_CREATE=false poetry install --no-interaction --all-extras",
            )
        )
        return
    if not reqs and _declares_no_python_dependencies(project):
        found.notes.append("pyproject.toml declares no dependencies: nothing to install")
        return
    parts: list[str] = []
    for name in reqs:
        parts += ["-r", name]
    if _has_build_system(project):
        extras = _python_extras(project)
        parts += ["-e", "." + (f"[{','.join(extras)}]" if extras else "")]
    if not parts:
        return
    args = " ".join(shlex.quote(p) for p in parts)
    label = "pip install " + (" ".join(parts) if len(parts) <= 8 else f"{len(parts) // 2} sources")
    found.steps.append(SetupStep(label=label, command=f"{venv} && pip install {args}"))


def _node(project: Path, found: Detected) -> None:
    if not (project / "package.json").is_file():
        return
    found.ecosystems.append("node")
    has = [name for name in LOCKFILES["node"] if (project / name).is_file()]
    found.inputs += has
    try:
        manifest = json.loads((project / "package.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        manifest = None
    if isinstance(manifest, dict) and not any(
        manifest.get(k) for k in ("dependencies", "devDependencies", "optionalDependencies")
    ):
        found.notes.append("package.json declares no dependencies: nothing to install")
        return
    if "pnpm-lock.yaml" in has:
        step = SetupStep(
            label="pnpm install",
            command="(command -v pnpm >/dev/null || npm install -g pnpm) && "
            "pnpm install --frozen-lockfile --prod=false",
            outputs=("node_modules",),
        )
    elif "yarn.lock" in has:
        step = SetupStep(
            label="yarn install",
            command="(command -v yarn >/dev/null || npm install -g yarn) && "
            "yarn install --frozen-lockfile --production=false",
            outputs=("node_modules",),
        )
    elif "package-lock.json" in has or "npm-shrinkwrap.json" in has:
        step = SetupStep(
            label="npm ci",
            command="npm ci --include=dev --prefer-offline --no-audit --no-fund",
            outputs=("node_modules",),
        )
    else:
        step = SetupStep(
            label="npm install",
            command="npm install --include=dev --prefer-offline --no-audit --no-fund",
            outputs=("node_modules",),
        )
        found.notes.append("package.json has no lockfile: `npm install` resolves versions anew")
    found.steps.append(step)


def _jvm_and_native(project: Path, found: Detected) -> None:
    if (project / "pom.xml").is_file():
        found.ecosystems.append("maven")
        found.inputs.append("pom.xml")
        found.steps.append(
            SetupStep(label="mvn dependency:go-offline", command="mvn -B -q dependency:go-offline")
        )
    gradle = [n for n in LOCKFILES["gradle"] if (project / n).is_file()]
    if any(n.startswith("build.gradle") for n in gradle):
        found.ecosystems.append("gradle")
        found.inputs += gradle
        runner = "./gradlew" if (project / "gradlew").is_file() else "gradle"
        found.steps.append(
            SetupStep(
                label=f"{runner} dependencies",
                command=f"{runner} --no-daemon -q dependencies >/dev/null",
            )
        )
    cargo = _read_toml(project / "Cargo.toml") if (project / "Cargo.toml").is_file() else None
    if cargo is not None and not any(
        cargo.get(k) for k in ("dependencies", "dev-dependencies", "build-dependencies")
    ):
        found.ecosystems.append("cargo")
        found.notes.append("Cargo.toml declares no dependencies: nothing to fetch")
    elif (project / "Cargo.toml").is_file():
        found.ecosystems.append("cargo")
        locked = (project / "Cargo.lock").is_file()
        found.inputs += ["Cargo.toml"] + (["Cargo.lock"] if locked else [])
        command = "cargo fetch" + (" --locked" if locked else "")
        found.steps.append(SetupStep(label=command, command=command))
    go_mod = project / "go.mod"
    if go_mod.is_file() and "require" not in go_mod.read_text(encoding="utf-8", errors="replace"):
        found.ecosystems.append("go")
        found.notes.append("go.mod requires no modules: nothing to download")
    elif go_mod.is_file():
        found.ecosystems.append("go")
        found.inputs += [n for n in LOCKFILES["go"] if (project / n).is_file()]
        found.steps.append(SetupStep(label="go mod download", command="go mod download"))


def detect(project: Path) -> Detected:
    """The ecosystems, install steps and key inputs of ``project``'s top-level manifests."""
    found = Detected()
    _python(project, found)
    _node(project, found)
    _jvm_and_native(project, found)
    return found
