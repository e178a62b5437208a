"""The direct mode's command choice, one test per rule, on realistic project layouts written
here and probed by the real sandbox (real ``make -qp``, real ``command -v``), with the chosen
command run by the real tool."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.projects import run_direct, sandbox_has, task_commands, write_project

from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.direct.project import PYTEST
from terminus_mcp.sandbox.manager import SandboxManager

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

PASSING_PY_TEST = "def test_adds():\n    assert 1 + 1 == 2\n"
FAILING_PY_TEST = (
    "from calc import halve\n\n\ndef test_halves():\n    assert halve(9) == 4.5\n\n\n"
    "def test_halves_zero():\n    assert halve(0) == 0\n"
)
CALC = "def halve(n):\n    return n // 2\n"


def _chosen(result: TaskResult) -> list[str]:
    return [c.command for c in task_commands(result)]


async def _run(
    workspace: Path,
    sandboxes: SandboxManager,
    files: dict[str, str],
    query: str,
    executable: tuple[str, ...] = (),
) -> TaskResult:
    write_project(workspace, files, executable=executable)
    return await run_direct(workspace, sandboxes, query)


async def test_false_green_makefile_and_clib_package_json_runs_make_test(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """The case from the field: a C project with a Makefile and a package.json without
    ``scripts.test``. ``node --test`` found no test and said "# fail 0", exit 0."""
    shutil.copytree(FIXTURES / "c-makefile-clib", workspace, dirs_exist_ok=True)
    result = await _run(workspace, sandbox_manager, {}, "run the tests")
    assert _chosen(result) == ["make test"]
    assert "Chose `make test` to run the tests: Makefile target `test`." in result.answer
    assert "20 tests, 9 passed, 11 failed" in result.answer
    assert 'FAIL test_append_one (test/test.c:16): expected "a", got ""' in result.answer
    assert task_commands(result)[0].exit_code == 2
    assert "node --test" not in result.answer
    assert result.status is TaskStatus.COMPLETED


async def test_build_is_not_stopped_by_a_package_json(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    shutil.copytree(FIXTURES / "c-makefile-clib", workspace, dirs_exist_ok=True)
    result = await _run(workspace, sandbox_manager, {}, "build it")
    assert _chosen(result) == ["make"]
    assert "Chose `make` to build: Makefile default target." in result.answer
    assert task_commands(result)[0].exit_code == 0


async def test_github_workflow_step_wins_over_the_makefile(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {
        ".github/workflows/tests.yml": (
            "name: tests\non: [push]\njobs:\n  unit:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n"
            "      - run: pip install poetry && poetry install\n"
            "      # the fast suite only\n"
            "      - run: poetry run pytest -q -p no:cacheprovider tests/unit\n"
        ),
        "Makefile": "test:\n\t@echo 'run the slow suite by hand'\n",
        "pyproject.toml": "[tool.poetry]\nname = 'calc'\nversion = '1.0'\n",
        "conftest.py": "",
        "calc.py": CALC,
        "tests/unit/test_calc.py": FAILING_PY_TEST,
        "tests/slow/test_slow.py": PASSING_PY_TEST,
    }
    assert not await sandbox_has(workspace, sandbox_manager, "poetry")
    result = await _run(workspace, sandbox_manager, files, "Run the tests and report failures.")
    assert _chosen(result) == ["pytest -q -p no:cacheprovider tests/unit"]
    assert (
        "Chose `pytest -q -p no:cacheprovider tests/unit` to run the tests: the CI workflow "
        ".github/workflows/tests.yml runs it (without `poetry run`, which the sandbox lacks)."
        in result.answer
    )
    assert "1 failed, 1 passed" in result.answer


async def test_gitlab_ci_script_names_an_existing_make_target(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {
        ".gitlab-ci.yml": (
            "stages: [test]\nunit:\n  stage: test\n  image: gcc:13\n  script:\n    - make check\n"
        ),
        "Makefile": "all:\n\t@true\n\ncheck:\n\t@echo 'check: 3 assertions, 0 failures'\n",
    }
    result = await _run(workspace, sandbox_manager, files, "run the test suite")
    assert _chosen(result) == ["make check"]
    assert (
        "Chose `make check` to run the tests: Makefile target `check` (the CI configuration "
        ".gitlab-ci.yml runs it)." in result.answer
    )


async def test_tox_commands_run_without_tox(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {
        "tox.ini": (
            "[tox]\nenv_list = py311\n\n[testenv]\ndeps = pytest\n"
            "commands = pytest -p no:cacheprovider {posargs:tests} -q\n"
        ),
        "conftest.py": "",
        "calc.py": CALC,
        "tests/test_calc.py": FAILING_PY_TEST,
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["pytest -p no:cacheprovider tests -q"]
    assert "tox.ini [testenv] commands runs it" in result.answer
    assert "1 failed, 1 passed" in result.answer


async def test_nox_session_commands(workspace: Path, sandbox_manager: SandboxManager) -> None:
    files = {
        "noxfile.py": (
            "import nox\n\n\n@nox.session\ndef tests(session):\n"
            "    session.install('pytest')\n"
            "    session.run('python3', '-m', 'pytest', '-p', 'no:cacheprovider', 'tests')\n"
        ),
        "calc.py": CALC,
        "tests/test_calc.py": FAILING_PY_TEST,
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["python3 -m pytest -p no:cacheprovider tests"]
    assert "noxfile.py session `tests` runs it" in result.answer


async def test_make_targets_come_from_make_itself(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    """``check`` is defined in an included file; ``test`` appears only in a comment and a
    variable name: only ``make -qp`` tells them apart."""
    files = {
        "Makefile": (
            "# test: see mk/check.mk\ntest_flags := -v\n\nall:\n\t@true\n\ninclude mk/check.mk\n"
        ),
        "mk/check.mk": "check:\n\t@echo 'checked: ok'\n",
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["make check"]
    assert "Makefile target `check`" in result.answer


async def test_package_json_test_script(workspace: Path, sandbox_manager: SandboxManager) -> None:
    files = {
        "package.json": '{"name": "slug", "scripts": {"test": "node --test test/"}}\n',
        "index.js": "exports.slug = (s) => s.toLowerCase().replace(/ /g, '_');\n",
        "test/slug.test.js": (
            "const test = require('node:test');\nconst assert = require('node:assert');\n"
            "const { slug } = require('../index.js');\n\n"
            "test('joins words with hyphens', () => {\n"
            "  assert.strictEqual(slug('Hello World'), 'hello-world');\n});\n"
        ),
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["npm test"]
    assert "package.json script `test`: node --test test/" in result.answer
    assert "joins words with hyphens" in result.answer


async def test_npm_placeholder_test_script_never_wins(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {
        "package.json": (
            '{\n  "name": "docs-site",\n  "scripts": {\n'
            '    "test": "echo \\"Error: no test specified\\" && exit 1"\n  }\n}\n'
        ),
        "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n",
        "calc.py": CALC,
        "tests/test_calc.py": FAILING_PY_TEST,
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == [PYTEST]
    assert f"Chose `{PYTEST}` to run the tests: pyproject.toml [tool.pytest.ini_options]." in (
        result.answer
    )


async def test_python_test_files_without_config(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {"calc.py": CALC, "test_calc.py": FAILING_PY_TEST}
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == [PYTEST]
    assert "Python test files (test_calc.py)" in result.answer


async def test_cmake_with_ctest(workspace: Path, sandbox_manager: SandboxManager) -> None:
    files = {
        "CMakeLists.txt": (
            "cmake_minimum_required(VERSION 3.16)\nproject(mathx C)\nenable_testing()\n"
            "add_executable(test_abs test_abs.c)\nadd_test(NAME abs_of_negative COMMAND test_abs)\n"
        ),
        "test_abs.c": (
            "#include <stdio.h>\nstatic int absx(int v) { return v; }\n"
            'int main(void) {\n  if (absx(-3) != 3) { printf("abs(-3) = %d\\n", absx(-3)); '
            "return 1; }\n  return 0;\n}\n"
        ),
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == [
        "cmake -S . -B build && cmake --build build && ctest --test-dir build --output-on-failure"
    ]
    assert "CMakeLists.txt registers tests for ctest" in result.answer
    assert "abs_of_negative" in result.answer


async def test_maven_pom(workspace: Path, sandbox_manager: SandboxManager) -> None:
    files = {
        "pom.xml": (
            '<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0'
            "</modelVersion>\n  <groupId>org.example</groupId>\n  <artifactId>calc</artifactId>\n"
            "  <version>1.0</version>\n</project>\n"
        ),
    }
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["mvn -q -B test"], result.answer
    assert "Chose `mvn -q -B test` to run the tests: pom.xml." in result.answer


@pytest.mark.parametrize(
    ("files", "command", "program"),
    [
        ({"Cargo.toml": "[package]\nname = 'x'\nversion = '0.1.0'\n"}, "cargo test", "cargo"),
        ({"go.mod": "module example.com/x\n\ngo 1.22\n"}, "go test ./...", "go"),
        ({"build.gradle.kts": "plugins { java }\n"}, "gradle test", "gradle"),
        ({"App.sln": "Microsoft Visual Studio Solution File\n"}, "dotnet test", "dotnet"),
    ],
)
async def test_manifests_choose_their_toolchain_or_say_it_is_missing(
    workspace: Path,
    sandbox_manager: SandboxManager,
    files: dict[str, str],
    command: str,
    program: str,
) -> None:
    """Run when the sandbox image has the toolchain; said, not run, when it lacks it."""
    has = await sandbox_has(workspace, sandbox_manager, program)
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    manifest = next(iter(files))
    if has:
        assert _chosen(result) == [command]
        assert f"Chose `{command}` to run the tests: {manifest}." in result.answer
    else:
        assert _chosen(result) == []
        assert result.status is TaskStatus.INCOMPLETE
        assert f"`{command}` ({manifest}) cannot run: the sandbox has no `{program}`" in (
            result.answer
        )


async def test_zero_tests_run_is_never_a_pass(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    files = {"package.json": '{"name": "empty", "scripts": {"test": "node --test"}}\n'}
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    assert _chosen(result) == ["npm test"]
    assert task_commands(result)[0].exit_code == 0
    assert "Summary: exit code 0; no tests ran" in result.answer


async def test_the_probe_of_a_huge_repository_stays_small(
    workspace: Path, sandbox_manager: SandboxManager
) -> None:
    noise = "".join(f"      - run: echo step {i} {'x' * 60}\n" for i in range(400))
    files = {f"data/file_{i:05}.txt": "x\n" for i in range(3000)}
    files |= {f"top_{i:04}.txt": "" for i in range(1000)}
    files |= {
        f".github/workflows/w{i:02}.yml": f"jobs:\n  j:\n    steps:\n{noise}" for i in range(20)
    }
    files["Makefile"] = "".join(f"t{i}:\n\t@true\n" for i in range(2000)) + "test:\n\t@echo ok\n"
    result = await _run(workspace, sandbox_manager, files, "run the tests")
    probe = result.commands[0]
    assert probe.probe
    assert probe.output_chars < 60_000
    assert _chosen(result) == ["make test"]
