"""Grounding on real captured output: what it adds, what it flags, what it leaves alone.

The outputs under tests/fixtures/captured/ were produced by the real tools (see its README);
the facts asserted here were read from those files, not from the digests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminus_mcp.agent.fallback import CommandRun
from terminus_mcp.agent.grounding import ADDED_HEADER, FLAGGED_HEADER, ground
from terminus_mcp.sandbox.api import ExecResult

CAPTURED = Path(__file__).parents[1] / "fixtures" / "captured"


def _run(command: str, fixture: str, exit_code: int) -> CommandRun:
    output = (CAPTURED / fixture).read_text()
    result = ExecResult(command=command, output=output, exit_code=exit_code, duration_s=1.0)
    return CommandRun(command=command, timeout_ms=120_000, result=result)


PYTEST = _run("python -m pytest -q", "pytest-q-inventory.txt", 1)
MAKE = _run("make", "make-gcc-errors.txt", 2)
NODE = _run("node --test", "node-test-slugify.txt", 1)


def _answer(*lines: str) -> str:
    return "\n".join(["<final_answer>", *lines, "</final_answer>"])


def test_a_complete_true_answer_is_left_untouched() -> None:
    answer = _answer(
        "Command: python -m pytest -q",
        "Summary: exit code 1; 3 failed, 400 passed. test_discount_is_subtracted: "
        "assert 110.0 == 90.0 (tests/test_inventory.py:27); "
        "test_restock_rejects_negative_counts_quietly: ValueError: cannot restock a negative "
        "count: -1 (inventory/__init__.py:10); TestReport::test_report_totals: KeyError: "
        "'pencil' (tests/test_inventory.py:39).",
    )
    grounded, report = ground(answer, [PYTEST])
    assert report.added == []
    assert report.flagged == []
    assert grounded == answer


def test_omitted_failures_are_appended_from_the_digest() -> None:
    answer = _answer(
        "Command: python -m pytest -q",
        "Summary: 3 failed, 400 passed. test_discount_is_subtracted: assert 110.0 == 90.0.",
    )
    grounded, report = ground(answer, [PYTEST])
    added = "\n".join(report.added)
    assert "test_restock_rejects_negative_counts_quietly" in added
    assert "test_report_totals" in added
    assert "test_discount_is_subtracted" not in added  # the answer has it
    assert report.flagged == []
    assert grounded.startswith(answer + "\n" + ADDED_HEADER)


def test_an_answer_with_nothing_in_it_gets_the_counts_and_every_failure() -> None:
    answer = _answer("Command: python -m pytest -q", "Summary: some tests failed.")
    _, report = ground(answer, [PYTEST])
    added = "\n".join(report.added)
    assert "3 failed" in added
    assert "400 passed" in added
    for name in (
        "test_discount_is_subtracted",
        "test_restock_rejects_negative_counts_quietly",
        "test_report_totals",
    ):
        assert name in added


def test_the_old_prompt_example_pasted_onto_another_project_is_flagged() -> None:
    """What a real 1.5B model did on 4 of 5 tasks: the system prompt's example as its answer."""
    answer = _answer(
        "Command: python -m pytest -q",
        "Summary: 1 failed, 41 passed. FAILED tests/test_io.py::test_read_empty - "
        "AssertionError: assert b'' == None (tests/test_io.py:18).",
    )
    grounded, report = ground(answer, [NODE])
    flagged = "\n".join(report.flagged)
    assert "tests/test_io.py::test_read_empty" in flagged
    assert "tests/test_io.py:18" in flagged
    assert '"41 passed"' in flagged
    assert '"1 failed"' in flagged
    assert FLAGGED_HEADER in grounded
    # and what the node run really said is added
    added = "\n".join(report.added)
    assert "joins words with hyphens" in added
    assert "parses a short version" in added


def test_invented_compiler_errors_are_flagged_and_the_real_one_added() -> None:
    answer = _answer(
        "Command: make",
        "Summary: exit code 2; error: 'tokens' undeclared at src/lexer.c:42.",
    )
    _, report = ground(answer, [MAKE])
    flagged = "\n".join(report.flagged)
    assert "src/lexer.c:42" in flagged
    added = "\n".join(report.added)
    assert "src/parser.c:10" in added
    assert "tokn" in added


def test_success_claimed_while_the_command_failed_is_flagged() -> None:
    answer = _answer("Command: node --test", "Summary: all tests passed, 0 failed.")
    _, report = ground(answer, [NODE])
    flagged = "\n".join(report.flagged)
    assert '"all tests passed", but `node --test` exited 1' in flagged
    assert '"0 failed", but `node --test` exited 1' in flagged


def test_wrong_exit_code_and_counts_are_flagged_right_ones_are_not() -> None:
    answer = _answer(
        "Command: node --test",
        "Summary: exit code 3; 152 tests, 150 pass, 2 fail; 7 skipped.",
    )
    _, report = ground(answer, [NODE])
    assert report.flagged == [
        '"7 skipped" appears in no output',
        "exit code 3 is not one the commands returned (1)",
    ]


def test_template_text_copied_instead_of_filled_in_is_flagged() -> None:
    answer = _answer("Command: <the command you ran>", "Summary: <exit status>; done.")
    _, report = ground(answer, [NODE])
    flagged = "\n".join(report.flagged)
    assert "<the command you ran> is template text" in flagged
    assert "<exit status> is template text" in flagged


def test_workspace_paths_and_answers_in_other_languages_are_checked_the_same_way() -> None:
    answer = _answer(
        "Command: python -m pytest -q",
        "Summary: 3 tests échoués, 400 réussis: test_discount_is_subtracted "
        "(/workspace/tests/test_inventory.py:27), "
        "test_restock_rejects_negative_counts_quietly, test_report_totals.",
    )
    _, report = ground(answer, [PYTEST])
    assert report.flagged == []
    assert report.added == []


def test_no_runs_means_nothing_to_check() -> None:
    answer = _answer("Command: none", "Summary: nothing.")
    assert ground(answer, []) == (answer, ground(answer, [])[1])
    assert ground(answer, [])[1].added == []


@pytest.mark.parametrize(
    "output",
    ["", "\x00\x01\x02binary\xff", "x" * 1_000_000, "\x1b[31mred\x1b[0m\r\rprogress 50%\r"],
)
def test_odd_output_never_raises(output: str) -> None:
    run = CommandRun(
        command="cat blob",
        timeout_ms=1000,
        result=ExecResult(command="cat blob", output=output, exit_code=1, duration_s=0.1),
    )
    grounded, _ = ground(_answer("Command: cat blob", "Summary: 3 failed (a.py:1)."), [run])
    assert grounded.startswith("<final_answer>")


def test_a_wrong_test_pinned_on_the_right_line_does_not_hide_the_real_failure() -> None:
    """Seen with Qwen2.5-Coder-1.5B: two passing tests named as failing, with the failing tests'
    locations. The failing tests' names are added."""
    run = _run("npm test", "node-test-cart.txt", 1)
    answer = _answer(
        "Command: npm test",
        "Summary: 2 failed. subtotal adds price times quantity (test/cart.test.js:18:1); "
        "shipping below threshold (test/cart.test.js:26:1).",
    )
    _, report = ground(answer, [run])
    added = "\n".join(report.added)
    assert "free shipping from 50" in added
    assert "items without qty count once" in added


def test_zero_counts_commands_and_node_ids_in_prose_are_checked() -> None:
    answer = _answer(
        "Command: python -m pytest -q",
        "Command: make check",
        "Summary: 3 failed, 0 passed, 0 warnings. See tests/test_inventory.py::test_report_totals.",
    )
    _, report = ground(answer, [PYTEST])
    assert report.flagged == [
        '"0 passed" appears in no output',
        '"0 warnings" appears in no output',
        "`make check` is not a command that ran",
    ]


def test_a_count_must_sit_on_one_output_line() -> None:
    """node --test prints "# suites 0" above "# pass 4": that is no "0 passed"."""
    run = _run("npm test", "node-test-cart.txt", 1)
    _, report = ground(_answer("Command: npm test", "Summary: 2 failed, 0 passed."), [run])
    assert '"0 passed" appears in no output' in report.flagged
    assert not any('"2 failed"' in flag for flag in report.flagged)
