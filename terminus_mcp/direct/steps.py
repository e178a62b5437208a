"""What kind of step a command line is (install, build, test, lint), and the program it starts.

Used on the project's CI steps, tox and nox commands, and the commands a query names, so a
request to "run the tests" is known to be done by a named ``pytest -x`` but not by ``make``.
"""

from __future__ import annotations

import re
import shlex
from enum import StrEnum


class Kind(StrEnum):
    """The steps the direct mode can do for a plain request."""

    INSTALL = "install the dependencies"
    BUILD = "build"
    TEST = "run the tests"
    LINT = "run the linters"


MAKE_TARGETS = {
    Kind.TEST: ("test", "check", "tests"),
    Kind.LINT: ("lint", "check-format", "typecheck"),
    Kind.INSTALL: ("deps", "install-deps", "dev-install"),
}
"""Makefile targets that do a step, best first (``make`` alone builds)."""

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SPLIT = re.compile(r"&&|\|\||;|\|")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_INSTALLERS = _set("pip pip3 apt apt-get yum dnf apk brew choco conda mamba bundle")
_INSTALL_VERBS = _set("install ci i sync add fetch download restore deps get")
_PACKAGE_TOOLS = _set("npm yarn pnpm poetry uv pipenv pdm cargo go dotnet")
_LINTERS = _set(
    "ruff flake8 pylint mypy pyright black isort eslint prettier golangci-lint shellcheck "
    "pre-commit clippy stylelint"
)
_LINT_WORDS = _set("lint linter linters typecheck type-check clippy fmt format vet noemit")
_TEST_WORDS = _set(
    "test tests check pytest ctest jest vitest mocha unittest tox nox spec specs verify testing "
    "tape tap ava"
)
_BUILD_WORDS = _set(
    "build compile make cmake ninja assemble tsc gcc g++ cc clang javac rustc configure"
)
_RUNNERS = ("poetry run", "uv run", "pipenv run", "pdm run", "hatch run", "npx", "xvfb-run -a")


def segments(command: str) -> list[str]:
    """The simple commands of a command line (split at ``&&``, ``||``, ``;`` and ``|``)."""
    return [s.strip() for s in _SPLIT.split(command) if s.strip()]


def words_of(segment: str) -> list[str]:
    """A simple command's words, leading ``NAME=value`` assignments dropped."""
    try:
        words = shlex.split(segment)
    except ValueError:
        words = segment.split()
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words


def programs(command: str) -> list[str]:
    """The program each simple command of ``command`` starts (``cd src && npm test``:
    ``cd``, ``npm``)."""
    return [words[0] for s in segments(command) if (words := words_of(s))]


def _tokens(words: list[str]) -> set[str]:
    """Words split at ``:``, ``/``, ``=``, ``.``, ``_`` and ``-`` (``test:unit``, ``build.sh``,
    ``run_tests``); an option is one token, its name (``--test`` is ``test``; ``--log-format``
    and ``--no-check-last-modified`` say nothing about the step)."""
    tokens = set()
    for word in words:
        if word.startswith("-"):
            tokens.add(word.lstrip("-").split("=", 1)[0].lower())
        else:
            tokens.update(part for part in re.split(r"[:/=._-]", word.lower()) if part)
    return tokens


_INTERPRETERS = _set("sh bash dash zsh python python3 node perl ruby")


def _naming_words(words: list[str]) -> list[str]:
    """The words that say what a simple command does: the program (or the script an
    interpreter runs) and the arguments that are not paths (``compileall ./tests`` compiles)."""
    script = 1 if words[0] in _INTERPRETERS and len(words) > 1 and "/" in words[1] else 0
    head = words[: 1 + script]
    return [*head, *(w for w in words[len(head) :] if "/" not in w)]


def kinds_of(command: str) -> set[Kind]:
    """Every step the simple commands of ``command`` do (``cmake --build b && ctest``: build
    and test)."""
    return {k for s in segments(command) if (k := _segment_kind(words_of(s))) is not None}


def kind_of(command: str) -> Kind | None:
    """The kind of step ``command`` is, judged from its words; ``None`` for anything else."""
    kinds = [k for s in segments(command) if (k := _segment_kind(words_of(s))) is not None]
    for kind in (Kind.TEST, Kind.LINT, Kind.BUILD, Kind.INSTALL):
        if kind in kinds:
            return kind
    return None


def _segment_kind(words: list[str]) -> Kind | None:
    if not words or words[0] in ("cd", "echo", "export", "set", "source", "."):
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "npx" and len(words) > 1:  # npx runs the program named next
        program = words[1]
    elif program in ("python", "python3") and words[1:2] == ["-m"] and len(words) > 2:
        program = words[2]  # and python -m the module
    if program == "pip":
        return Kind.INSTALL
    if program in _INSTALLERS:
        return Kind.INSTALL
    if program in _PACKAGE_TOOLS and len(words) > 1 and words[1] in _INSTALL_VERBS:
        return Kind.INSTALL
    if program == "go" and words[1:3] == ["mod", "download"]:
        return Kind.INSTALL
    tokens = _tokens(_naming_words(words))
    if program in _LINTERS or tokens & _LINT_WORDS:
        return Kind.LINT
    if program == "cargo" and "check" in tokens:
        return Kind.BUILD
    if tokens & _TEST_WORDS:
        return Kind.TEST
    if program in _BUILD_WORDS or tokens & _BUILD_WORDS:
        return Kind.BUILD
    return None


def without_runner(command: str) -> tuple[str, str] | None:
    """``command`` without a leading environment runner (``poetry run pytest``: ``pytest``),
    with the runner's name; ``None`` when it has none."""
    for runner in _RUNNERS:
        if command.startswith(runner + " "):
            return command[len(runner) + 1 :].strip(), runner
    return None
