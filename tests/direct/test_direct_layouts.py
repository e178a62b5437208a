"""Command choice on the layouts of real projects the direct mode once missed (the realworld
eval's projects: toolz, idna, wcwidth, a shell tool's suites, a TypeScript project, plain Java),
one test per rule. Each layout is written here and probed by the real probe in the real sandbox
(its ``command -v``, its Python, its file tests), and the rules read what the probe printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.projects import run_direct, sandbox_output, task_commands, write_project

from terminus_mcp.agent.result import TaskStatus
from terminus_mcp.direct.plan import plan_task
from terminus_mcp.direct.probe import Workspace, probe_command, query_words, read_probe
from terminus_mcp.direct.project import JAVAC, PYTEST, Choice, NoChoice, choose
from terminus_mcp.direct.query import read_query
from terminus_mcp.direct.steps import Kind
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def _probe(
    workspace: Path,
    sandboxes: SandboxManager,
    files: dict[str, str],
    *,
    query: str = "",
    executable: tuple[str, ...] = (),
) -> Workspace:
    """The workspace as the real probe sees it in the sandbox, after writing ``files``."""
    write_project(workspace, files, executable=executable)
    words = read_query(query).words | query_words(query)
    return read_probe(await sandbox_output(workspace, sandboxes, probe_command(words)))


async def test_python_tests_inside_a_package_choose_pytest(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """toolz 0.12.1 from PyPI: setup.py, a setup.cfg with no pytest section, and its tests in
    ``toolz/tests/`` (the probe looked only at the top, tests/ and test/, and chose nothing)."""
    toolz = {
        "setup.py": "from setuptools import setup\nsetup(name='toolz')\n",
        "setup.cfg": "[metadata]\nname = toolz\n",
        "toolz/__init__.py": "",
        "toolz/tests/test_itertoolz.py": "def test_a():\n    assert True\n",
    }
    w = await _probe(workspace, sandbox_manager, toolz)
    assert choose(w, Kind.TEST) == Choice(
        PYTEST, "Python test files (toolz/tests/test_itertoolz.py)"
    )


async def test_python_tests_inside_a_src_package_choose_pytest(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    src = {
        "pyproject.toml": "[project]\nname = 'pkg'\n",
        "src/pkg/__init__.py": "",
        "src/pkg/tests/test_core.py": "def test_a():\n    assert True\n",
    }
    w = await _probe(workspace, sandbox_manager, src)
    assert choose(w, Kind.TEST) == Choice(PYTEST, "Python test files (src/pkg/tests/test_core.py)")


SHELL_TOOL = {
    "bin/rotate": "#!/bin/sh\necho rotated\n",
    "tests/run.sh": (
        '#!/bin/sh\nfail=0\nfor s in tests/suite_*.sh; do sh "$s" || fail=1; done\nexit $fail\n'
    ),
    "tests/suite_rotate.sh": "echo 'ok 1 - rotates'\n",
}


async def test_an_executable_test_script_runs_the_tests(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """A shell tool whose suites ``tests/run.sh`` runs: no Makefile, no manifest. The script is
    chosen only when it can be executed as it is."""
    w = await _probe(workspace, sandbox_manager, SHELL_TOOL)
    assert w.test_scripts == ()
    assert isinstance(choose(w, Kind.TEST), NoChoice)
    w = await _probe(workspace, sandbox_manager, SHELL_TOOL, executable=("tests/run.sh",))
    assert w.test_scripts == ("tests/run.sh",)
    assert choose(w, Kind.TEST) == Choice("./tests/run.sh", "the test script tests/run.sh")


async def test_a_script_named_for_its_step_does_that_step(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """``Run `./build.sh` and report whether the build succeeds``: the script is the build, so
    the report asks for no other build command."""
    query = "Run `./build.sh` and report whether the build succeeds."
    files = {"build.sh": "#!/bin/sh\necho 'building rates'\ncc -o rates rates.c\n", "rates.c": ""}
    w = await _probe(workspace, sandbox_manager, files, query=query, executable=("build.sh",))
    plan = plan_task(read_query(query), w)
    assert [(a.command, a.kind) for a in plan.actions] == [("./build.sh", Kind.BUILD)]
    assert plan.not_done == []


TYPESCRIPT = {
    "package.json": '{"name": "parcels", "devDependencies": {"typescript": "5.6.3"}}\n',
    "tsconfig.json": '{"compilerOptions": {"strict": true, "outDir": "dist"}}\n',
    "src/index.ts": "export const weight: number = 1;\n",
}


async def test_typescript_is_checked_by_the_projects_own_compiler_only(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """The sandbox has npx but no TypeScript: ``npx tsc`` would download one, so it is never
    guessed; with ``node_modules/.bin/tsc`` installed, npx runs that one."""
    w = await _probe(workspace, sandbox_manager, TYPESCRIPT)
    assert w.can_run("npx")
    assert choose(w, Kind.LINT) == NoChoice(
        "`tsc -p . --noEmit` (tsconfig.json (a type check)) cannot run: the sandbox has no `tsc`"
    )
    tsc = {"node_modules/.bin/tsc": "#!/bin/sh\necho tsc\n"}
    w = await _probe(workspace, sandbox_manager, tsc, executable=("node_modules/.bin/tsc",))
    assert choose(w, Kind.LINT) == Choice("npx tsc -p . --noEmit", "tsconfig.json (a type check)")
    assert choose(w, Kind.BUILD) == Choice("npx tsc -p .", "tsconfig.json")


async def test_java_sources_without_a_build_file_are_compiled_with_javac(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {"README.md": "survey\n", "src/org/survey/Summary.java": "class Summary {}\n"}
    w = await _probe(workspace, sandbox_manager, files)
    assert choose(w, Kind.BUILD) == Choice(JAVAC, "Java sources under src/ and no build file")
    w = await _probe(workspace, sandbox_manager, {"build.xml": "<project/>\n"})
    assert not isinstance(choose(w, Kind.BUILD), Choice)  # Ant's file: javac is not guessed


async def test_the_test_runner_the_query_names_wins(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """idna 3.10's layout: Python test files pytest can collect, but the query says the tests
    use unittest (6256 tests under unittest, 32 under pytest)."""
    query = "Run the unit tests (they use unittest, not pytest) and summarize the failures."
    idna = {
        "setup.cfg": "[metadata]\nname = idna\n",
        "idna/__init__.py": "",
        "tests/__init__.py": "",
        "tests/test_idna.py": (
            "import unittest\n\n\nclass IDNATests(unittest.TestCase):\n"
            "    def test_encode(self):\n        self.assertEqual('a'.upper(), 'B')\n"
        ),
    }
    w = await _probe(workspace, sandbox_manager, idna, query=query)
    assert choose(w, Kind.TEST) == Choice(PYTEST, "Python test files (tests/test_idna.py)")
    plan = plan_task(read_query(query), w)
    assert [a.command for a in plan.actions] == ["python3 -m unittest"]
    assert plan.actions[0].chose == (
        "Chose `python3 -m unittest` to run the tests: the query says the tests use unittest."
    )
    result = await run_direct(workspace, sandbox_manager, query)
    assert [c.command for c in task_commands(result)] == ["python3 -m unittest"]
    assert "1 test, 1 failure" in result.answer
    assert "tests.test_idna.IDNATests.test_encode at tests/test_idna.py:6" in result.answer
    assert result.status is TaskStatus.COMPLETED


WCWIDTH_TOX = (
    "[tox]\nenvlist = py36, py37\n\n[pytest]\nnorecursedirs = .git .tox build\n"
    "addopts = --disable-pytest-warnings\n"
    "          --cov-append --cov-report=html --color=yes --ignore=setup.py --ignore=.tox\n"
    "          --cov=wcwidth\n"
)


async def test_pytest_runs_without_addopts_that_need_a_missing_pytest_cov(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """wcwidth 0.2.13's tox.ini: addopts with --cov options. The sandbox has no pytest-cov, and
    pytest stops on them ('unrecognized arguments: --cov-append ...') before running a test."""
    files = {
        "tox.ini": WCWIDTH_TOX,
        "wcwidth.py": "def width(s):\n    return len(s) + 1\n",
        "tests/test_core.py": "from wcwidth import width\n\n\ndef test_width():\n"
        "    assert width('ab') == 2\n",
    }
    w = await _probe(workspace, sandbox_manager, files)
    assert w.pytest_cov_missing
    assert choose(w, Kind.TEST) == Choice(
        "python3 -m pytest -o addopts='' -p no:cacheprovider",
        "tox.ini [pytest] (without its --cov options and the configuration's addopts: they "
        "need pytest-cov, which is not installed)",
    )
    result = await run_direct(workspace, sandbox_manager, "Run the test suite.")
    assert "1 failed" in result.answer, result.answer
    assert "unrecognized arguments" not in result.answer
