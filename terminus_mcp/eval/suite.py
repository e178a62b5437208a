"""The task file format of an eval suite, and how a suite is found and loaded.

A suite is a folder of TOML files, one task each; the file's stem is the task's name. A task
says where its repository comes from (a fixture folder copied as is, or a generator script that
writes one), what to run before the task, what the main agent delegates, which commands the
main agent would have run itself (the baseline), the key facts a correct answer must convey and
the content it must not contain::

    description = "pytest -v on 120 tests, 3 failing"
    query = "Run `python -m pytest -v` and report which tests fail and why."
    baseline_commands = ["python -m pytest -v"]
    timeout_s = 60
    key_facts = ['test_parse_date', '3 failed']
    forbidden = ['PASSED .*test_case_117']

    [repository]
    generator = "generators/python_repos.py"   # or: fixture = "fixtures/my-project"
    args = ["pytest-failures"]

or a real public project, fetched from its registry when the suite runs and patched to hold the
bug the task is about (see :mod:`terminus_mcp.eval.fetch`)::

    [repository]
    patches = ["patches/toolz-merge.patch"]
    node_tools = ["tape@5.9.0"]        # npm packages put into node_modules on the host

    [repository.fetch]
    registry = "pypi"                  # or "npm", "debian"
    name = "toolz"
    version = "0.12.1"
    sha256 = "ecca342664893f177a13dac0e6b41cbd8ac25a358e5f215316d43e2100224f4d"

Patterns are Python regular expressions, matched anywhere in the answer, case-insensitively and
with ``^``/``$`` at line boundaries. A generator is run on the host as
``python SCRIPT *args OUTDIR`` and must write the repository into ``OUTDIR``: suite files are
code you trust, like a Makefile.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.fetch import FetchSpec

PATTERN_FLAGS = re.IGNORECASE | re.MULTILINE
"""Flags every key-fact and forbidden pattern is compiled with."""

BUILTIN_SUITES_PACKAGE = "terminus_mcp.eval"
_TASK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_pattern(value: str) -> str:
    try:
        re.compile(value, PATTERN_FLAGS)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


Pattern = Annotated[str, AfterValidator(_check_pattern)]


class Repository(BaseModel):
    """Where a task's repository comes from: exactly one of ``fixture``, ``generator`` and
    ``fetch``; then ``patches`` applied and ``node_tools`` installed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fixture: Path | None = None
    """A folder copied as the workspace; relative to the task file."""
    generator: Path | None = None
    """A Python script run as ``python SCRIPT *args OUTDIR``; relative to the task file."""
    args: list[str] = Field(default_factory=list)
    """Arguments passed to the generator before the output folder."""
    fetch: FetchSpec | None = None
    """A public project's pinned archive, fetched from its registry when the suite runs."""
    patches: list[Path] = Field(default_factory=list)
    """Unified diffs (``-p1``) applied in order to the written repository; relative to the
    task file."""
    node_tools: list[str] = Field(default_factory=list)
    """npm packages (``name@version``) installed on the host into the repository's
    ``node_modules`` (the sandbox has no network)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [self.fixture, self.generator, self.fetch]
        if sum(item is not None for item in given) != 1:
            raise ValueError(
                "give exactly one of 'fixture' (a folder), 'generator' (a script) or 'fetch' "
                "(a registry archive)"
            )
        if self.args and self.generator is None:
            raise ValueError("'args' only applies to a 'generator'")
        for tool in self.node_tools:
            if not re.fullmatch(r"(@[\w.-]+/)?[\w.-]+@\d[\w.+-]*", tool):
                raise ValueError(f"node_tools: {tool!r} is not an exact 'name@version'")
        return self


class TaskSpec(BaseModel):
    """One eval task, as written in its TOML file (plus its name and folder)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """The task's name: its file's stem."""
    source: Path
    """The task file."""
    description: str = ""
    """One line for the report."""
    repository: Repository
    setup: list[str] = Field(default_factory=list)
    """Commands run in a sandbox on the fresh workspace before the task (for example a build
    the task assumes); only their effect on files carries over."""
    query: str = Field(min_length=1)
    """What the main agent delegates, word for word."""
    baseline_commands: list[str] = Field(min_length=1)
    """The commands a main agent would run itself to do the task; their output is the
    baseline (see :mod:`terminus_mcp.eval.scoring`)."""
    key_facts: list[Pattern] = Field(min_length=1)
    """Patterns a correct answer must match: failing test names, error messages, counts,
    file:line locations."""
    forbidden: list[Pattern] = Field(default_factory=list)
    """Patterns an answer must not match, for example a long line that appears only when a
    whole log is pasted back."""
    timeout_s: float = Field(120.0, gt=0, le=3600)
    """Deadline of the delegated task, and of each baseline command, in seconds."""
    tools: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")]] = Field(
        default_factory=list
    )
    """Programs the task needs on the sandbox image's PATH beyond its usual toolbox (``go``,
    ``cargo``); without them the task is reported as an error that names them."""

    @property
    def folder(self) -> Path:
        return self.source.parent

    def repository_path(self, relative: Path) -> Path:
        """A repository path of this task, resolved against the task file's folder."""
        return relative if relative.is_absolute() else (self.folder / relative).resolve()


class Suite(BaseModel):
    """A named, ordered set of tasks."""

    name: str
    path: Path
    tasks: list[TaskSpec]

    def select(self, names: list[str]) -> Suite:
        """The suite restricted to ``names`` (in suite order).

        Raises:
            ConfigError: a name is not a task of this suite.
        """
        known = {task.name for task in self.tasks}
        missing = [name for name in names if name not in known]
        if missing:
            raise ConfigError(
                f"suite {self.name!r} has no task {', '.join(map(repr, missing))}",
                why="its tasks are: " + ", ".join(sorted(known)),
                fix="pass one of those names to --task",
            )
        wanted = set(names)
        return self.model_copy(update={"tasks": [t for t in self.tasks if t.name in wanted]})


def builtin_suites_dir() -> Path:
    """The folder holding the suites shipped with the package."""
    return Path(str(resources.files(BUILTIN_SUITES_PACKAGE) / "suites"))


def builtin_suite_names() -> list[str]:
    root = builtin_suites_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.toml")))


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "file"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def load_task(path: Path) -> TaskSpec:
    """Read and validate one task file.

    Raises:
        ConfigError: the file cannot be read, is not TOML, or does not describe a valid task;
            the message names each bad field and what it must be.
    """
    fix = "correct the file; the format is documented in docs/eval.md"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"task file {path} is not valid TOML", why=str(exc), fix=fix) from None
    except OSError as exc:
        raise ConfigError(f"cannot read task file {path}", why=str(exc)) from None
    if not _TASK_NAME.match(path.stem):
        raise ConfigError(
            f"task file {path} has an unusable name",
            why="a task is named after its file, which must start with a letter or digit and "
            "hold only letters, digits, '.', '_' and '-'",
            fix="rename the file",
        )
    for key in ("name", "source"):
        if key in data:
            raise ConfigError(
                f"task file {path} sets {key!r}",
                why=f"{key!r} is derived from the file itself",
                fix=f"remove the {key!r} key",
            )
    try:
        task = TaskSpec.model_validate({**data, "name": path.stem, "source": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(f"task file {path} is invalid", why=_describe(exc), fix=fix) from None
    repo = task.repository
    wanted: list[tuple[str, Path, bool]] = [("patches", p, False) for p in repo.patches]
    if repo.fixture is not None:
        wanted.append(("fixture", repo.fixture, True))
    if repo.generator is not None:
        wanted.append(("generator", repo.generator, False))
    for field, relative, is_dir in wanted:
        resolved = task.repository_path(relative)
        if not (resolved.is_dir() if is_dir else resolved.is_file()):
            kind = {"fixture": "fixture folder", "generator": "generator script"}.get(
                field, "patch file"
            )
            raise ConfigError(
                f"task file {path} names a {kind} that does not exist",
                why=f"{resolved} is missing",
                fix=f"paths are relative to the task file; correct repository.{field}",
            )
    return task


def load_suite(ref: str) -> Suite:
    """Load a suite by built-in name (``builtin``) or by path (a folder of tasks, or one file).

    Raises:
        ConfigError: the suite does not exist, holds no task, or a task file is invalid.
    """
    path = Path(ref).expanduser()
    builtin = builtin_suites_dir() / ref
    if _TASK_NAME.match(ref) and "." not in ref and builtin.is_dir():
        path = builtin
    elif not path.exists():
        raise ConfigError(
            f"no suite {ref!r}",
            why="it is neither a built-in suite ("
            + ", ".join(builtin_suite_names())
            + ") nor an existing path",
            fix="pass a built-in name, a folder of task .toml files, or one task file",
        )
    files = [path] if path.is_file() else sorted(path.glob("*.toml"))
    if not files:
        raise ConfigError(
            f"suite {ref!r} holds no task",
            why=f"{path} has no *.toml file",
            fix="add task files (see docs/eval.md)",
        )
    tasks = [load_task(f) for f in files]
    name = path.stem if path.is_file() else path.name
    return Suite(name=name, path=path.resolve(), tasks=tasks)
