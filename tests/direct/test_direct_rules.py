"""The direct mode's pure rules: reading a query into its parts, the kind of a command line, and
reading CI, tox and nox files. (Command choice on real projects, which needs the sandbox's own
probe, is in test_direct_choice.py.)"""

from __future__ import annotations

import pytest

from terminus_mcp.direct.ci import ci_commands, nox_commands, tox_commands
from terminus_mcp.direct.plan import plan_task
from terminus_mcp.direct.probe import TOOLS, Workspace, read_probe
from terminus_mcp.direct.project import Choice, candidates, choose, runnable_form
from terminus_mcp.direct.query import PartKind, read_query
from terminus_mcp.direct.steps import Kind, kind_of, programs


@pytest.mark.parametrize(
    ("query", "explicit"),
    [
        ("$ npm ci\n$ npm test", ["npm ci", "npm test"]),
        ("Commands:\n- make\n- make test\nReport the errors.", ["make", "make test"]),
        ("Please:\n```bash\n# build\ncargo build\ncargo test\n```", ["cargo build", "cargo test"]),
        ("Run `make` and report", []),
    ],
)
def test_explicit_commands(query: str, explicit: list[str]) -> None:
    assert read_query(query).explicit == explicit


def _parts(query: str) -> list[tuple[str, str]]:
    return [(p.kind.value, p.text) for p in read_query(query).parts]


def test_every_part_of_a_request_is_read() -> None:
    query = (
        "Install the dependencies, build, tell me which Node version is used, show the "
        "traceback and run the tests."
    )
    reading = read_query(query)
    assert [(p.kind, p.steps) for p in reading.parts] == [
        (PartKind.STEP, (Kind.INSTALL,)),
        (PartKind.STEP, (Kind.BUILD,)),
        (PartKind.VERSION, ()),
        (PartKind.TRACEBACK, ()),
        (PartKind.STEP, (Kind.TEST,)),
    ]
    assert reading.parts[2].tools == ("node", "node3")
    assert {"node", "node3"} <= reading.words


@pytest.mark.parametrize(
    ("query", "span", "first_word"),
    [
        ("Run `cd src && npm test`", "cd src && npm test", "cd"),
        ("`pwd`", "pwd", "pwd"),
        ("`sleep 8`", "sleep 8", "sleep"),
        ("`export X=1`", "export X=1", "export"),
        ("run `./configure --prefix=/tmp`", "./configure --prefix=/tmp", "./configure"),
    ],
)
def test_code_spans_are_candidates_checked_by_their_first_word(
    query: str, span: str, first_word: str
) -> None:
    reading = read_query(query)
    assert [p.spans for p in reading.parts] == [(span,)]
    assert first_word in reading.words


@pytest.mark.parametrize(
    ("query", "parts"),
    [
        (
            "Build with `make`, then run the tests with `make test`, and report the results.",
            [
                ("spans", "Build with `make`"),
                ("spans", "run the tests with `make test`"),
                ("report", "report the results"),
            ],
        ),
        (
            "Run `timeout 5 python3 -m pytest -v` (one test may hang; the 5 second timeout "
            "stops it) and report which test hangs.",
            [
                ("spans", "Run `timeout 5 python3 -m pytest -v`"),
                ("report", "report which test hangs"),
            ],
        ),
        (
            "Configure and build with `cmake -S . -B build && cmake --build build` and report "
            "the errors.",
            [
                ("spans", "Configure and build with `cmake -S . -B build && cmake --build build`"),
                ("report", "report the errors"),
            ],
        ),
        ("what is going on here?", [("report", "what is going on here")]),
        ("Fix the failing test", [("edit", "Fix the failing test")]),
        ("Do the tests pass?", [("report", "Do the tests pass")]),
        ("make sure the tests pass", [("step", "make sure the tests pass")]),
        ("The build was green yesterday.", [("step", "The build was green yesterday")]),
        ("Deploy it to staging", [("edit", "Deploy it to staging")]),
        ("Investigate the memory leak", [("unknown", "Investigate the memory leak")]),
    ],
)
def test_parts(query: str, parts: list[tuple[str, str]]) -> None:
    assert _parts(query) == parts


@pytest.mark.parametrize(
    ("query", "bare"),
    [
        ("pytest -x -q", "pytest -x -q"),
        ("pwd", "pwd"),
        ("make test.", "make test"),
        ("test", None),
        ("run the tests", None),
        ("install the dependencies", None),
        ("Run `make`", None),
    ],
)
def test_a_query_may_be_a_command_line_itself(query: str, bare: str | None) -> None:
    assert read_query(query).bare == bare


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("npm test", Kind.TEST),
        ("npm run test:unit", Kind.TEST),
        ("node --test", Kind.TEST),
        ("python -m pytest -q tests", Kind.TEST),
        ("cd build && ctest --output-on-failure", Kind.TEST),
        ("make check", Kind.TEST),
        ("mvn -B verify", Kind.TEST),
        ("go test ./...", Kind.TEST),
        ("make", Kind.BUILD),
        ("cmake --build build", Kind.BUILD),
        ("npm run build", Kind.BUILD),
        ("cargo check", Kind.BUILD),
        ("pip install -e .[test]", Kind.INSTALL),
        ("python -m pip install -r requirements.txt", Kind.INSTALL),
        ("npm ci", Kind.INSTALL),
        ("go mod download", Kind.INSTALL),
        ("ruff check .", Kind.LINT),
        ("npm run lint", Kind.LINT),
        ("./build.sh --release", Kind.BUILD),
        ("sh run_tests.sh", Kind.TEST),
        ("echo done", None),
    ],
)
def test_kind_of_a_command_line(command: str, kind: Kind | None) -> None:
    assert kind_of(command) is kind


def test_programs_skip_assignments() -> None:
    assert programs("CI=1 FOO=bar npm test && cd x; make | tee log") == [
        "npm",
        "cd",
        "make",
        "tee",
    ]


GITHUB = """\
name: CI
on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install ruff
      - run: ruff check .
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - name: Install
        run: |
          python -m pip install --upgrade pip
          pip install -e .[test]
      - name: Test
        run: >-
          python -m pytest
          -q tests
      - name: Frontend
        working-directory: web
        run: npm test
      - run: echo "${{ github.sha }}"
"""

GITLAB = """\
stages: [build, test]
.defaults: &defaults
  image: gcc:13
build:
  <<: *defaults
  stage: build
  script:
    - make -j4
unit:
  stage: test
  before_script:
    - !reference [.defaults, image]
  script:
    - make check
"""


def test_github_workflow_steps_in_order() -> None:
    found = ci_commands({".github/workflows/ci.yml": GITHUB})
    assert [c.command for c in found] == [
        "pip install ruff",
        "ruff check .",
        "python -m pip install --upgrade pip",
        "pip install -e .[test]",
        "python -m pytest -q tests",
        "cd web && npm test",
    ]
    assert found[0].source == "the CI workflow .github/workflows/ci.yml"


def test_gitlab_jobs_with_anchors_and_reference_tags() -> None:
    found = ci_commands({".gitlab-ci.yml": GITLAB})
    assert [c.command for c in found] == ["make -j4", "make check"]
    assert found[0].source == "the CI configuration .gitlab-ci.yml"


def test_a_workflow_cut_by_the_probe_still_gives_its_single_line_steps() -> None:
    cut = GITHUB[: GITHUB.index("      - name: Frontend")] + "      - run: make test\n      - na"
    found = [c.command for c in ci_commands({".github/workflows/ci.yml": cut + '"'})]
    assert "make test" in found
    assert "ruff check ." in found


def test_tox_commands_with_substitutions() -> None:
    tox = (
        "[tox]\nenv_list = py311, lint\n\n[testenv]\ndeps = pytest\n"
        "commands =\n    pytest {posargs:tests} -q\n    - coverage report\n\n"
        "[testenv:lint]\ncommands = ruff check {toxinidir}/src\n"
    )
    found = tox_commands(tox)
    assert [(c.command, c.source) for c in found] == [
        ("pytest tests -q", "tox.ini [testenv] commands"),
        ("coverage report", "tox.ini [testenv] commands"),
        ("ruff check ./src", "tox.ini [testenv:lint] commands"),
    ]


def test_tox_commands_on_the_installed_package_run_on_the_source() -> None:
    tox = (
        "[tox]\nenvlist = py311\n[testenv]\nchangedir = .tox\n"
        "commands = pytest --doctest-modules {envsitepackagesdir}/boltons {toxinidir}/tests "
        "{posargs}\n"
    )
    assert [c.command for c in tox_commands(tox)] == ["pytest --doctest-modules boltons ./tests"]


def test_nox_sessions_with_literal_arguments() -> None:
    nox = (
        "import nox\n\n@nox.session(python=['3.11'])\ndef tests(session):\n"
        "    session.install('-e', '.')\n    session.run('pytest', '-q', 'tests')\n"
        "    session.run('coverage', *session.posargs)\n\n"
        "def helper(session):\n    session.run('never')\n"
    )
    assert [(c.command, c.source) for c in nox_commands(nox)] == [
        ("pytest -q tests", "noxfile.py session `tests`")
    ]


def test_install_prefers_the_lock_file_over_ci_machine_setup() -> None:
    probe = (
        "@@terminus-probe file .github/workflows/ci.yml\n"
        "jobs:\n  t:\n    steps:\n      - run: sudo apt-get install -y libpng-dev\n"
        "      - run: npm ci\n"
        '@@terminus-probe file package.json\n{"dependencies": {"left-pad": "1.3.0"}}\n'
        "@@terminus-probe network\nlo\neth0\n"
        "@@terminus-probe runnable\nnpm\nsudo\n"
        "@@terminus-probe files\npackage.json\npackage-lock.json\n"
    )
    assert choose(read_probe(probe), Kind.INSTALL) == Choice("npm ci", "package.json")


def test_a_ci_python_command_runs_as_python3_where_the_sandbox_has_no_python() -> None:
    bookworm = Workspace(runnable=frozenset({"python3", "pytest"}))
    assert runnable_form(bookworm, "python -m pytest -q") == (
        "python3 -m pytest -q",
        " (as `python3`: the sandbox has no `python`)",
    )
    trixie = Workspace(runnable=frozenset({"python", "python3"}))
    assert runnable_form(trixie, "python -m pytest -q") == ("python -m pytest -q", "")
    assert runnable_form(bookworm, "tox -e py311") == "the sandbox has no `tox`"


@pytest.mark.parametrize(
    ("sections", "kind", "choice"),
    [
        (
            "@@terminus-probe files\n.eslintrc.json\nindex.js\npackage.json\n",
            Kind.LINT,
            Choice("npx eslint .", "the eslint configuration .eslintrc.json"),
        ),
        (
            "@@terminus-probe localbin\ntsc\n@@terminus-probe files\ntsconfig.json\nsrc/\n",
            Kind.LINT,
            Choice("npx tsc -p . --noEmit", "tsconfig.json (a type check)"),
        ),
        (
            "@@terminus-probe java\nsrc/app/Main.java\n@@terminus-probe files\nsrc/\n",
            Kind.BUILD,
            Choice(
                "mkdir -p out && javac -d out $(find src -name '*.java')",
                "Java sources under src/ and no build file",
            ),
        ),
    ],
)
def test_linters_type_checks_and_plain_java(sections: str, kind: Kind, choice: Choice) -> None:
    probe = sections + "@@terminus-probe runnable\nnpx\nmkdir\njavac\nfind\n"
    assert choose(read_probe(probe), kind) == choice


def test_the_probe_checks_every_program_the_rules_may_choose() -> None:
    """A command the rules construct must start programs the probe asks the sandbox about."""
    files = [
        "package.json",
        "package-lock.json",
        "requirements.txt",
        "pyproject.toml",
        "Cargo.toml",
        "go.mod",
        "pom.xml",
        "build.gradle",
        "App.sln",
        "CMakeLists.txt",
        "tsconfig.json",
        ".eslintrc.json",
        "pytest.ini",
    ]
    probe = (
        '@@terminus-probe file package.json\n{"dependencies": {"a": "1"}}\n'
        "@@terminus-probe ctest\nyes\n@@terminus-probe java\nsrc/A.java\n"
        "@@terminus-probe files\n" + "\n".join(files) + "\n"
    )
    workspace = read_probe(probe)
    constructed = {
        program
        for kind in Kind
        for choice in candidates(workspace, kind)
        for program in programs(choice.command)
    }
    assert constructed - set(TOOLS) == set()


@pytest.mark.parametrize(
    ("query", "runner"),
    [
        (
            "Run the unit tests (they use unittest, not pytest) and summarize the failures.",
            "unittest",
        ),
        ("Run the tests with pytest and report.", "pytest"),
        ("Run the tests, with pytest or unittest.", None),
        ("pytest-cov is not installed here. Run the test suite anyway.", None),
        ("Run the tests instead of unittest.", None),
        ("Run `python3 -m pytest -q` and report.", None),
    ],
)
def test_the_test_runner_a_query_names_in_prose(query: str, runner: str | None) -> None:
    assert read_query(query).test_runner == runner


def test_a_pytest_command_runs_as_a_module_where_there_is_no_pytest_program() -> None:
    """boltons' tox command ``pytest --doctest-modules {envsitepackagesdir}/boltons ...`` in a
    sandbox with pytest installed as a module only (pip's ``--user`` or a venv off the PATH)."""
    w = Workspace(runnable=frozenset({"python3"}))
    assert runnable_form(w, "pytest --doctest-modules boltons ./tests") == (
        "python3 -m pytest --doctest-modules boltons ./tests",
        " (as `python3 -m pytest`: the sandbox has no `pytest` program)",
    )
    assert runnable_form(Workspace(), "pytest -q") == "the sandbox has no `pytest`"
    assert runnable_form(w, "pytest-3 -q") == "the sandbox has no `pytest-3`"


WCWIDTH_TOX = """\
[testenv]
deps = -r requirements-tests39.txt
commands = {envpython} -m pytest --cov-config={toxinidir}/tox.ini {posargs:\\
             --verbose \\
             --junit-xml=.tox/results.{envname}.xml \\
             --durations=3 \\
             } \\
          --log-format='%(levelname)s %(relativeCreated)2.2f %(filename)s:%(lineno)d %(message)s' \\
          tests
passenv = TEST_QUICK,TEST_KEYBOARD,TEST_RAW

[testenv:compile]
commands = python -m compileall {toxinidir}/wcwidth {toxinidir}/bin {toxinidir}/tests \\
    {toxinidir}/docs
"""
"""wcwidth 0.2.13's tox.ini as published (its [testenv] and [testenv:compile] sections)."""


def test_tox_commands_continued_on_the_next_line_are_one_command() -> None:
    """Read line by line, the continued command became five, the last one `tests`."""
    assert [c.command for c in tox_commands(WCWIDTH_TOX)] == [
        "python3 -m pytest --cov-config=./tox.ini --verbose --junit-xml=.tox/results.py.xml "
        "--durations=3 --log-format='%(levelname)s %(relativeCreated)2.2f %(filename)s:%(lineno)d "
        "%(message)s' tests",
        "python -m compileall ./wcwidth ./bin ./tests ./docs",
    ]


def test_path_arguments_do_not_name_the_step() -> None:
    """``compileall ./tests`` compiles; it was taken for the test step."""
    assert kind_of("python -m compileall ./wcwidth ./bin ./tests ./docs") is None
    assert kind_of("bash tests/run.sh") is Kind.TEST
    assert kind_of("./tests/run.sh") is Kind.TEST
    assert kind_of("python3 -m pytest tests/unit") is Kind.TEST


def test_a_pytest_command_drops_cov_options_without_pytest_cov() -> None:
    """wcwidth's tox command passes --cov-config, and its addopts --cov options: without
    pytest-cov, pytest stops on them before running a test."""
    w = Workspace(runnable=frozenset({"python3"}), pytest_cov_missing=True)
    command = tox_commands(WCWIDTH_TOX)[0].command
    assert runnable_form(w, command) == (
        "python3 -m pytest -o addopts='' --verbose --junit-xml=.tox/results.py.xml --durations=3 "
        "--log-format='%(levelname)s %(relativeCreated)2.2f %(filename)s:%(lineno)d %(message)s' "
        "tests",
        " (without its --cov options and the configuration's addopts: they need pytest-cov, "
        "which is not installed)",
    )
    installed = Workspace(runnable=frozenset({"python3"}))
    assert runnable_form(installed, command) == (command, "")


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        # wcwidth's tox.ini: an option's name is not split into words.
        ("python ./bin/update-tables.py --no-check-last-modified", None),
        ("python3 -m pytest --log-format='%(levelname)s %(message)s' tests", Kind.TEST),
        ("node --test", Kind.TEST),
        # npx and python -m run the program named next.
        ("npx eslint .", Kind.LINT),
        ("npx tsc -p . --noEmit", Kind.LINT),
        ("npx tsc -p .", Kind.BUILD),
        ("npx tape 'test/**/*.js'", Kind.TEST),
        ("python3 -m pip install -e .", Kind.INSTALL),
        ("go vet ./...", Kind.LINT),
    ],
)
def test_options_and_launchers_in_the_kind_of_a_command(command: str, kind: Kind | None) -> None:
    assert kind_of(command) is kind


CMAKE_PROJECT = (
    "@@terminus-probe ctest\nyes\n@@terminus-probe make\nall\ntest\n"
    "@@terminus-probe runnable\ncmake\nctest\nmake\n"
    "@@terminus-probe files\nCMakeLists.txt\nMakefile\n"
)


@pytest.mark.parametrize(
    ("query", "command"),
    [
        # cJSON's task: "build/" is the folder ctest reads, not a request to build.
        (
            "The project is already built in build/ with cmake. Run the test suite with "
            "`ctest --test-dir build --output-on-failure` and report which tests fail.",
            "ctest --test-dir build --output-on-failure",
        ),
        # The named command configures, builds and tests: no other build command.
        (
            "Configure, build and test with `cmake -S . -B build && cmake --build build && "
            "ctest --test-dir build --output-on-failure`, and report the failing tests.",
            "cmake -S . -B build && cmake --build build && ctest --test-dir build "
            "--output-on-failure",
        ),
    ],
)
def test_a_step_the_named_command_does_needs_no_other_command(query: str, command: str) -> None:
    plan = plan_task(read_query(query), read_probe(CMAKE_PROJECT))
    assert [a.command for a in plan.actions] == [command]
    assert plan.not_done == []


def test_a_named_command_leaves_the_other_steps_to_the_rules() -> None:
    plan = plan_task(read_query("Run `make` and then run the tests."), read_probe(CMAKE_PROJECT))
    assert [a.command for a in plan.actions] == ["make", "make test"]
