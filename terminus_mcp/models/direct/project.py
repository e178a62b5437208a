"""Which standard build and test commands fit a project, judged from its top-level files.

The direct mode first runs :data:`PROBE_COMMAND` in the sandbox (a file listing plus the make
targets and npm scripts that matter), then picks commands with :func:`plan_commands`.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminus_mcp.models.direct.query import Intent

_MAKE_MARK = "--- make targets"
_NPM_MARK = "--- npm scripts"

PROBE_COMMAND = (
    "ls -1A; "
    f"echo '{_MAKE_MARK}'; "
    "grep -shoE '^[A-Za-z0-9_.-]+:' Makefile makefile GNUmakefile | tr -d ':' | sort -u; "
    f"echo '{_NPM_MARK}'; "
    "grep -soE '\"(test|build)\"[[:space:]]*:' package.json | tr -d '\": '; "
    "true"
)

PYTEST = "python3 -m pytest -p no:cacheprovider"
"""``-p no:cacheprovider``: no ``.pytest_cache`` left behind in the user's workspace."""
CMAKE_BUILD = "cmake -S . -B build && cmake --build build"


@dataclass(frozen=True)
class Project:
    """What the probe saw at the top of the workspace."""

    files: frozenset[str]
    make_targets: frozenset[str]
    npm_scripts: frozenset[str]

    def has(self, *names: str) -> bool:
        return any(name in self.files for name in names)

    def has_suffix(self, *suffixes: str) -> bool:
        return any(f.endswith(suffixes) for f in self.files)

    @property
    def is_python(self) -> bool:
        return self.has(
            "pytest.ini", "conftest.py", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini"
        ) or any(f.startswith("test_") and f.endswith(".py") for f in self.files)

    @property
    def makefile(self) -> bool:
        return self.has("Makefile", "makefile", "GNUmakefile")

    @property
    def gradle(self) -> str:
        return "./gradlew" if self.has("gradlew") else "gradle"


def read_probe(output: str) -> Project:
    """Parse the probe's output."""
    files: set[str] = set()
    targets: set[str] = set()
    scripts: set[str] = set()
    bucket = files
    for line in output.splitlines():
        line = line.strip()
        if line == _MAKE_MARK:
            bucket = targets
        elif line == _NPM_MARK:
            bucket = scripts
        elif line:
            bucket.add(line)
    return Project(frozenset(files), frozenset(targets), frozenset(scripts))


def _test_command(p: Project) -> str | None:
    if p.has("Cargo.toml"):
        return "cargo test"
    if p.has("go.mod"):
        return "go test ./..."
    if p.has("package.json"):
        return "npm test" if "test" in p.npm_scripts else "node --test"
    if p.has("pom.xml"):
        return "mvn -q -B test"
    if p.has("build.gradle", "build.gradle.kts"):
        return f"{p.gradle} test"
    if p.has_suffix(".sln", ".csproj", ".fsproj"):
        return "dotnet test"
    python = p.is_python or p.has("tests", "test")
    if python and (not p.makefile or "test" not in p.make_targets):
        return PYTEST
    if p.makefile:
        for target in ("test", "check"):
            if target in p.make_targets:
                return f"make {target}"
    if p.has("CMakeLists.txt"):
        return f"{CMAKE_BUILD} && ctest --test-dir build --output-on-failure"
    return None


def _build_command(p: Project) -> str | None:
    if p.has("Cargo.toml"):
        return "cargo build"
    if p.has("go.mod"):
        return "go build ./..."
    if p.has("package.json"):
        return "npm run build" if "build" in p.npm_scripts else None
    if p.has("pom.xml"):
        return "mvn -q -B compile"
    if p.has("build.gradle", "build.gradle.kts"):
        return f"{p.gradle} assemble"
    if p.has_suffix(".sln", ".csproj", ".fsproj"):
        return "dotnet build"
    if p.has("CMakeLists.txt") and not p.makefile:
        return CMAKE_BUILD
    if p.makefile:
        return "make"
    if p.is_python:
        return "python3 -m compileall -q ."
    return None


def plan_commands(project: Project, wanted: list[Intent]) -> list[str]:
    """The standard commands for the wanted steps, in order, without repeats."""
    commands = []
    for intent in wanted:
        command = _build_command(project) if intent is Intent.BUILD else _test_command(project)
        if command and command not in commands:
            commands.append(command)
    return commands
