"""The task file format: valid files load, bad ones fail with what, why and how to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminus_mcp.errors import ConfigError
from terminus_mcp.eval.suite import builtin_suite_names, load_suite, load_task

VALID = r"""
description = "a tiny task"
query = "Run `make` and report errors."
baseline_commands = ["make"]
key_facts = ['error: \w+', 'main\.c:3']
forbidden = ['warning: unused']
timeout_s = 30

[repository]
fixture = "repo"
"""


def _task(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    (tmp_path / "repo").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_task_loads(tmp_path: Path) -> None:
    task = load_task(_task(tmp_path, VALID))
    assert task.name == "tiny"
    assert task.key_facts == [r"error: \w+", r"main\.c:3"]
    assert task.timeout_s == 30
    assert task.repository.fixture is not None
    assert task.repository_path(task.repository.fixture) == (tmp_path / "repo").resolve()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('fixture = "repo"', 'fixture = "repo"\ngenerator = "gen.py"'), "exactly one"),
        ((r"key_facts = ['error: \w+'", r"key_facts = ['error: (\w+'"), "key_facts.0"),
        (('query = "Run `make` and report errors."\n', ""), "query: Field required"),
        (("timeout_s = 30", "timeout_s = 30\ntimout = 5"), "timout: Extra inputs"),
        (('baseline_commands = ["make"]', "baseline_commands = []"), "baseline_commands"),
        (('fixture = "repo"', 'fixture = "nowhere"'), "does not exist"),
        (("timeout_s = 30", "timeout_s = [30"), "not valid TOML"),
        (("timeout_s = 30", 'timeout_s = 30\nname = "x"'), "sets 'name'"),
    ],
)
def test_bad_task_files_say_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in VALID
    with pytest.raises(ConfigError) as caught:
        load_task(_task(tmp_path, VALID.replace(old, new, 1)))
    assert expected in str(caught.value)
    assert "tiny.toml" in str(caught.value)


def test_bad_regex_error_names_the_field_and_the_fix(tmp_path: Path) -> None:
    path = _task(tmp_path, VALID.replace(r"'main\.c:3'", "'main[.c:3'"))
    with pytest.raises(ConfigError) as caught:
        load_task(path)
    error = caught.value
    assert "key_facts.1: not a valid regular expression" in error.why
    assert "docs/eval.md" in error.fix


def test_suite_from_a_folder_and_task_selection(tmp_path: Path) -> None:
    _task(tmp_path, VALID, "b-task.toml")
    _task(tmp_path, VALID, "a-task.toml")
    suite = load_suite(str(tmp_path))
    assert [t.name for t in suite.tasks] == ["a-task", "b-task"]
    assert [t.name for t in suite.select(["b-task"]).tasks] == ["b-task"]
    with pytest.raises(ConfigError, match="has no task 'c-task'"):
        suite.select(["c-task"])


def test_unknown_suite_lists_the_builtin_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_suite("no-such-suite")
    assert "builtin" in caught.value.why


def test_builtin_suite_covers_the_required_kinds() -> None:
    assert "builtin" in builtin_suite_names()
    suite = load_suite("builtin")
    names = [t.name for t in suite.tasks]
    assert len(names) >= 15
    for prefix in ("py-", "js-", "c-", "cpp-", "java-", "shell-"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert {"py-hanging-test", "py-import-error", "c-missing-library"} <= set(names)
    assert any(len(t.baseline_commands) > 1 for t in suite.tasks), "a multi-step task"
    for task in suite.tasks:
        assert task.repository.generator is not None
        assert task.key_facts


def test_deadlines_scale_for_slow_models() -> None:
    suite = load_suite("builtin").select(["py-import-error", "cpp-cmake-error"])
    scaled = suite.with_deadlines_scaled(5)
    assert [t.timeout_s for t in scaled.tasks] == [t.timeout_s * 5 for t in suite.tasks]
    assert [t.name for t in scaled.tasks] == [t.name for t in suite.tasks]
