"""The direct mode's rules: commands named in a query, and commands chosen from project files."""

from __future__ import annotations

import pytest

from terminus_mcp.models.direct.project import PYTEST, plan_commands, read_probe
from terminus_mcp.models.direct.query import Intent, intents, named_commands


@pytest.mark.parametrize(
    ("query", "commands"),
    [
        ("Run `pytest -q tests/` and report failures", ["pytest -q tests/"]),
        ("Check `src/main.c` builds with `make -j2`", ["make -j2"]),
        ("$ npm ci\n$ npm test", ["npm ci", "npm test"]),
        ("Commands:\n- make\n- make test\nReport the errors.", ["make", "make test"]),
        ("Please:\n```bash\n# build\ncargo build\ncargo test\n```", ["cargo build", "cargo test"]),
        ("pytest -x -q", ["pytest -x -q"]),
        ("make sure the tests pass", []),
        ("what is going on?", []),
        ("run `./configure --prefix=/tmp` then `make`", ["./configure --prefix=/tmp", "make"]),
    ],
)
def test_named_commands(query: str, commands: list[str]) -> None:
    assert named_commands(query) == commands


def test_intents() -> None:
    assert intents("Build the project and run the tests") == [Intent.BUILD, Intent.TEST]
    assert intents("run the test suite") == [Intent.TEST]
    assert intents("hello") == []


def _probe(files: str, targets: str = "", scripts: str = "") -> str:
    return f"{files}\n--- make targets\n{targets}\n--- npm scripts\n{scripts}\n"


@pytest.mark.parametrize(
    ("probe", "wanted", "commands"),
    [
        (_probe("pytest.ini\ntests"), [Intent.TEST], [PYTEST]),
        (_probe("Makefile\nsrc", "all\ntest"), [Intent.BUILD, Intent.TEST], ["make", "make test"]),
        (_probe("package.json\ntest", scripts="test"), [Intent.TEST], ["npm test"]),
        (_probe("package.json\ntest"), [Intent.TEST], ["node --test"]),
        (_probe("Cargo.toml\nsrc"), [Intent.BUILD, Intent.TEST], ["cargo build", "cargo test"]),
        (_probe("go.mod"), [Intent.TEST], ["go test ./..."]),
        (_probe("pom.xml"), [Intent.TEST], ["mvn -q -B test"]),
        (_probe("build.gradle\ngradlew"), [Intent.TEST], ["./gradlew test"]),
        (_probe("App.sln"), [Intent.BUILD], ["dotnet build"]),
        (_probe("CMakeLists.txt"), [Intent.BUILD], ["cmake -S . -B build && cmake --build build"]),
        (_probe("README.md"), [Intent.TEST], []),
    ],
)
def test_plan_commands(probe: str, wanted: list[Intent], commands: list[str]) -> None:
    assert plan_commands(read_probe(probe), wanted) == commands
