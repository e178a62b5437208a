"""Which command does a step (install, build, test, lint) in this project, and why.

The evidence is ranked; the first candidate the sandbox can run wins:

1. the project's CI configuration (what its maintainers run on every push);
2. tox ``commands`` and nox sessions (run directly: tox and nox need a network to make their
   environments);
3. Makefile targets that ``make -qp`` lists (never guessed from the file's text);
4. ``package.json`` scripts that exist (npm's placeholder ``echo "Error: no test specified" &&
   exit 1`` is no test script);
5. an executable test script (``tests/run.sh``, ``run_tests.sh``, ...);
6. pytest configuration or Python test files (at the top, in tests/, or in a package's tests/);
7. Cargo.toml, go.mod, pom.xml, build.gradle(.kts), a .sln or .csproj, and CMakeLists.txt
   (with tests registered for ``ctest``); tsconfig.json (``tsc``, the project's own when it
   installed one); Java sources under ``src/`` with no build file (``javac``).

A test runner the query names ("they use unittest, not pytest") puts the candidates that run it
first, then the runner's own command.

To install the dependencies, the manifests come first (a lock file or requirements say what
the project needs; CI install steps mostly set up the machine).

A manifest alone never wins a step it has no command for: a ``package.json`` without
``scripts.test`` says nothing about tests.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from terminus_mcp.direct.ci import ci_commands, nox_commands, tox_commands
from terminus_mcp.direct.probe import Workspace
from terminus_mcp.direct.steps import (
    MAKE_TARGETS,
    Kind,
    kind_of,
    programs,
    segments,
    without_runner,
    words_of,
)

PYTEST = "python3 -m pytest -p no:cacheprovider"
"""``-p no:cacheprovider``: no ``.pytest_cache`` left behind in the user's workspace."""
CMAKE_BUILD = "cmake -S . -B build && cmake --build build"
JAVAC = "mkdir -p out && javac -d out $(find src -name '*.java')"
"""Java sources with no build file: compiled into ``out/``, kept apart from the sources."""
RUNNER_COMMANDS = {"unittest": "python3 -m unittest", "pytest": PYTEST}
"""The command of each test runner a query may name (:data:`.query.TEST_RUNNERS`)."""
NPM_PLACEHOLDER = re.compile(r"no test specified", re.IGNORECASE)
"""npm init's default test script: ``echo "Error: no test specified" && exit 1``."""

_NPM_SCRIPTS = {Kind.TEST: ("test",), Kind.BUILD: ("build",), Kind.LINT: ("lint",)}


@dataclass(frozen=True)
class Choice:
    """A command for one step, and the evidence for it."""

    command: str
    reason: str


@dataclass(frozen=True)
class NoChoice:
    """Why no command could be chosen for a step."""

    reason: str


def candidates(w: Workspace, kind: Kind) -> Iterator[Choice]:
    """Every candidate for ``kind``, best evidence first."""
    automation = [*ci_commands(w.ci_files)]
    if w.tox_ini:
        automation += tox_commands(w.tox_ini)
    if w.noxfile:
        automation += nox_commands(w.noxfile)
    if kind is Kind.INSTALL:
        # CI install steps set up machines (apt-get, upgrading pip); the lock file or the
        # requirements say what the project itself needs.
        yield from _manifests(w, kind)
    for sourced in automation:
        if kind_of(sourced.command) is kind:
            yield Choice(sourced.command, f"{sourced.source} runs it")
    makefile = w.makefile
    if makefile and w.make_targets:
        if kind is Kind.BUILD:
            yield Choice("make", f"{makefile} default target")
        for target in MAKE_TARGETS.get(kind, ()):
            if target in w.make_targets:
                yield Choice(f"make {target}", f"{makefile} target `{target}`")
    scripts = w.npm_scripts
    for name in _NPM_SCRIPTS.get(kind, ()):
        body = scripts.get(name)
        if body is not None and not NPM_PLACEHOLDER.search(body):
            command = "npm test" if name == "test" else f"npm run {name}"
            yield Choice(command, f"package.json script `{name}`: {body}")
    if kind is Kind.TEST:
        for script in w.test_scripts:
            yield Choice(f"./{script}", f"the test script {script}")
    if kind is not Kind.INSTALL:
        yield from _manifests(w, kind)


_MANIFEST_COMMANDS = {
    "Cargo.toml": {
        Kind.TEST: "cargo test",
        Kind.BUILD: "cargo build",
        Kind.INSTALL: "cargo fetch",
        Kind.LINT: "cargo clippy",
    },
    "go.mod": {
        Kind.TEST: "go test ./...",
        Kind.BUILD: "go build ./...",
        Kind.INSTALL: "go mod download",
        Kind.LINT: "go vet ./...",
    },
    "pom.xml": {
        Kind.TEST: "mvn -q -B test",
        Kind.BUILD: "mvn -q -B compile",
        Kind.INSTALL: "mvn -q -B dependency:resolve",
    },
}


def _pytest_config(w: Workspace) -> str | None:
    for section, where in (
        ("pyproject.toml:[tool.pytest.ini_options]", "pyproject.toml [tool.pytest.ini_options]"),
        ("setup.cfg:[tool:pytest]", "setup.cfg [tool:pytest]"),
        ("tox.ini:[pytest]", "tox.ini [pytest]"),
    ):
        if section in w.config_sections:
            return where
    for name in ("pytest.ini", "conftest.py"):
        if w.has(name):
            return name
    if w.python_tests:
        return f"Python test files ({w.python_tests[0]})"
    return None


def _manifests(w: Workspace, kind: Kind) -> Iterator[Choice]:
    """Candidates from language manifests and build files."""
    is_python = w.has("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")
    if kind is Kind.TEST and (config := _pytest_config(w)):
        yield Choice(PYTEST, config)
    if kind is Kind.INSTALL:
        if w.has("package.json") and w.npm_dependencies:
            lock = w.has("package-lock.json", "npm-shrinkwrap.json")
            yield Choice("npm ci" if lock else "npm install", "package.json")
        if w.has("requirements.txt"):
            yield Choice("python3 -m pip install -r requirements.txt", "requirements.txt")
        elif w.has("pyproject.toml", "setup.py"):
            yield Choice(
                "python3 -m pip install -e .",
                "pyproject.toml" if w.has("pyproject.toml") else "setup.py",
            )
    for manifest, commands in _MANIFEST_COMMANDS.items():
        if w.has(manifest) and kind in commands:
            command = commands[kind]
            if manifest == "pom.xml" and w.has("mvnw"):
                command = command.replace("mvn ", "./mvnw ", 1)
            yield Choice(command, manifest)
    gradle_file = next((f for f in ("build.gradle.kts", "build.gradle") if w.has(f)), None)
    if gradle_file:
        gradle = "./gradlew" if w.has("gradlew") else "gradle"
        task = {Kind.TEST: "test", Kind.BUILD: "assemble", Kind.LINT: "check"}.get(kind)
        if task:
            yield Choice(f"{gradle} {task}", gradle_file)
    dotnet = sorted(f for f in w.files if f.endswith((".sln", ".csproj", ".fsproj")))
    if dotnet and kind in (Kind.TEST, Kind.BUILD, Kind.INSTALL):
        verb = {Kind.TEST: "test", Kind.BUILD: "build", Kind.INSTALL: "restore"}[kind]
        yield Choice(f"dotnet {verb}", dotnet[0])
    if w.has("CMakeLists.txt"):
        if kind is Kind.BUILD:
            yield Choice(CMAKE_BUILD, "CMakeLists.txt")
        elif kind is Kind.TEST and w.ctest:
            yield Choice(
                f"{CMAKE_BUILD} && ctest --test-dir build --output-on-failure",
                "CMakeLists.txt registers tests for ctest",
            )
    if kind is Kind.LINT:
        eslint = sorted(f for f in w.files if f.startswith((".eslintrc", "eslint.config.")))
        if eslint:
            yield Choice("npx eslint .", f"the eslint configuration {eslint[0]}")
    if w.has("tsconfig.json") and kind in (Kind.LINT, Kind.BUILD):
        check = " --noEmit" if kind is Kind.LINT else ""
        reason = "tsconfig.json" + (" (a type check)" if check else "")
        if "tsc" in w.local_bins:
            # The project's own TypeScript; without it npx would download one.
            yield Choice(f"npx tsc -p .{check}", reason)
            yield Choice(f"./node_modules/.bin/tsc -p .{check}", reason)
        else:
            yield Choice(f"tsc -p .{check}", reason)
    java_build = ("pom.xml", "build.gradle", "build.gradle.kts", "build.xml")
    if kind is Kind.BUILD and w.java_sources and not w.has(*java_build):
        yield Choice(JAVAC, "Java sources under src/ and no build file")
    if kind is Kind.BUILD and is_python:
        yield Choice("python3 -m compileall -q .", "Python sources (a byte-compile check)")


def _lacking(w: Workspace, command: str) -> list[str]:
    return sorted({p for p in programs(command) if not _can_start(w, p)})


def _can_start(w: Workspace, program: str) -> bool:
    return w.can_run(program) or program.startswith(("./", "/"))


def _missing_target(w: Workspace, command: str) -> str | None:
    """A Makefile target or package.json script the command names that does not exist (only
    for commands run at the top of the workspace, where the probe looked)."""
    for segment in segments(command):
        words = words_of(segment)
        if not words or words[0] == "cd":
            return None
        if words[0] == "make" and w.makefile and w.make_targets:
            if any(word.startswith(("-C", "-f", "--directory", "--file")) for word in words):
                return None
            targets = [t for t in words[1:] if not t.startswith("-") and "=" not in t]
            for target in targets:
                if target not in w.make_targets:
                    return f"{w.makefile} has no target `{target}`"
        npm_run = words[:2] == ["npm", "run"] and len(words) > 2
        if npm_run and w.package_json and words[2] not in w.npm_scripts:
            return f"package.json has no script `{words[2]}`"
    return None


def runnable_form(w: Workspace, command: str) -> tuple[str, str] | str:
    """``command`` as the sandbox can run it, with a note on any change; or why it cannot run
    (a program the sandbox lacks, a make target or npm script that does not exist)."""
    note = ""
    if _lacking(w, command) and (stripped := without_runner(command)):
        command, runner = stripped
        note = f" (without `{runner}`, which the sandbox lacks)"
    lacking = _lacking(w, command)
    if lacking == ["python"] and w.can_run("python3"):
        command = re.sub(r"(?<![\w/.-])python(?=\s)", "python3", command)
        note += " (as `python3`: the sandbox has no `python`)"
        lacking = []
    if lacking == ["pytest"] and w.can_run("python3"):
        command = re.sub(r"(?<![\w/.-])pytest(?=\s|$)", "python3 -m pytest", command, count=1)
        note += " (as `python3 -m pytest`: the sandbox has no `pytest` program)"
        lacking = []
    if lacking:
        return f"the sandbox has no {', '.join(f'`{p}`' for p in lacking)}"
    if w.pytest_cov_missing and "pytest" in command.split() and "addopts=" not in command:
        # pytest stops on the unknown --cov options before it runs a test.
        command = _without_cov(command)
        note += (
            " (without its --cov options and the configuration's addopts: they need "
            "pytest-cov, which is not installed)"
        )
    missing = _missing_target(w, command)
    return missing if missing else (command, note)


_COV_OPTION = re.compile(r"\s--cov(?:-[\w-]+)?(?:=\S+)?(?=\s|$)")


def _without_cov(command: str) -> str:
    """A pytest command without pytest-cov's options and with the configuration's addopts
    (which pass them too) left out."""
    command = _COV_OPTION.sub("", command)
    return re.sub(r"(?<![\w/.-])pytest(?=\s|$)", "pytest -o addopts=''", command, count=1)


def _own_evidence(w: Workspace, command: str) -> str | None:
    """The Makefile target or package.json script a command runs, if it runs one."""
    words = command.split()
    if words == ["make"] and w.makefile and w.make_targets:
        return f"{w.makefile} default target"
    if len(words) == 2 and words[0] == "make" and words[1] in w.make_targets and w.makefile:
        return f"{w.makefile} target `{words[1]}`"
    script = {"npm test": "test"}.get(command) or (
        words[2] if len(words) == 3 and words[:2] == ["npm", "run"] else None
    )
    if script and script in w.npm_scripts:
        return f"package.json script `{script}`"
    return None


def _named_first(found: Iterator[Choice], runner: str) -> Iterator[Choice]:
    """The candidates that run ``runner`` first, then the runner's own command, then the
    others."""
    rest = []
    for candidate in found:
        if runner in candidate.command.split():
            yield Choice(candidate.command, f"{candidate.reason}; the query names {runner}")
        else:
            rest.append(candidate)
    if runner in RUNNER_COMMANDS:
        yield Choice(RUNNER_COMMANDS[runner], f"the query says the tests use {runner}")
    yield from rest


def choose(
    w: Workspace, kind: Kind, runner: str | None = None, skip: Collection[str] = ()
) -> Choice | NoChoice:
    """The best runnable command for ``kind``, or why there is none; with ``runner`` (a test
    runner the query names), the commands that run it first. Commands in ``skip`` (tried
    already) are passed over."""
    skipped: list[tuple[Choice, str]] = []
    seen: set[str] = set()
    found = candidates(w, kind)
    if runner and kind is Kind.TEST:
        found = _named_first(found, runner)
    for candidate in found:
        if candidate.command in seen:
            continue
        seen.add(candidate.command)
        form = runnable_form(w, candidate.command)
        if isinstance(form, str):
            skipped.append((candidate, form))
            continue
        command, note = form
        if command in skip:
            continue
        reason = candidate.reason
        own = _own_evidence(w, command)
        if own and candidate.reason.endswith(" runs it"):
            reason = f"{own} ({candidate.reason})"
        reason += note
        if skipped:
            first, why = skipped[0]
            reason += f"; not `{first.command}` ({first.reason}): {why}"
        return Choice(command, reason)
    if skipped:
        first, why = skipped[0]
        return NoChoice(f"`{first.command}` ({first.reason}) cannot run: {why}")
    return NoChoice(_nothing_found(w, kind))


def _nothing_found(w: Workspace, kind: Kind) -> str:
    seen = sorted(w.files | {d + "/" for d in w.dirs})
    listing = ", ".join(seen[:15]) + (", ..." if len(seen) > 15 else "") or "an empty folder"
    hints = []
    if w.has("package.json") and kind is Kind.TEST:
        hints.append("package.json has no test script")
    if w.makefile and not w.make_targets:
        hints.append(f"`make -qp` listed no targets in {w.makefile}")
    elif w.makefile and kind is not Kind.BUILD:
        hints.append(f"{w.makefile} has no {'/'.join(MAKE_TARGETS.get(kind, ()))} target")
    extra = f" ({'; '.join(hints)})" if hints else ""
    return f"no CI step, script, target or manifest for it was found{extra}; top level: {listing}"
