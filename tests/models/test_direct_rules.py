"""The direct mode's pure rules: reading a query into its parts, the kind of a command line, and
reading CI, tox and nox files. (Command choice on real projects, which needs the sandbox's own
probe, is in test_direct_choice.py.)"""

from __future__ import annotations

import pytest

from terminus_mcp.models.direct.ci import ci_commands, nox_commands, tox_commands
from terminus_mcp.models.direct.query import PartKind, read_query
from terminus_mcp.models.direct.steps import Kind, kind_of, programs


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
