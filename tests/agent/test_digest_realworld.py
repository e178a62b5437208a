"""Digests of the realworld eval's outputs that lost what the key facts ask for, on the real
output captured from each project (tests/fixtures/captured/README.md)."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.agent.summaries import digest

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "captured"


def test_tap_diagnostics_under_a_failed_point_are_its_location_and_message() -> None:
    """A C harness's TAP: ``#   test/test.c:45: expected "a+b+c", got "a+b-c"`` under each
    ``not ok``, and its own count line ``# 24 tests, 12 passed, 12 failed``."""
    found = digest((CAPTURED / "make-test-tap-diagnostics.txt").read_text())
    assert found.headline == "24 tests, 12 passed, 12 failed"
    assert found.details[0] == (
        '- trim_trailing_space at test/test.c:35: expected "right", got "right "'
    )
    assert '- replace_all_words at test/test.c:45: expected "a+b+c", got "a+b-c"' in (found.details)
    assert len([d for d in found.details if d.startswith("- ")]) == 12


def test_tape_counts_with_aligned_numbers() -> None:
    """tape aligns its counts (``# pass  151``); they were not read, the headline lost them."""
    found = digest((CAPTURED / "tape-minimist.txt").read_text())
    assert found.headline == "153 tests, 151 pass, 2 fail"


def test_maven_first_error_ending_in_a_colon_keeps_its_cause() -> None:
    """``... could not be resolved:`` and the cause on the next ERROR line (offline mode)."""
    found = digest((CAPTURED / "maven-offline-plugin-missing.txt").read_text())
    assert found.details == [
        "First error: Plugin org.apache.maven.plugins:maven-resources-plugin:3.3.1 or one of its "
        "dependencies could not be resolved: Cannot access central "
        "(https://repo.maven.apache.org/maven2) in offline mode and the artifact "
        "org.apache.maven.plugins:maven-resources-plugin:jar:3.3.1 has not been downloaded from "
        "it before."
    ]


def test_ctest_keeps_each_failed_tests_unity_failures_with_their_location() -> None:
    """cJSON's ctest run: six failed test programs, each printing Unity's
    ``path:line:case:FAIL: message`` lines, some of them JSON documents thousands of characters
    long (shown around their first difference, not whole); one per test program, then a count.
    A case whose name starts with its program's is named alone."""
    found = digest((CAPTURED / "ctest-cjson-unity.txt").read_text())
    assert found.tool == "ctest"
    assert found.headline == "68% tests passed, 6 tests failed out of 19"
    assert (
        "- print_value_should_print_number at tests/print_value.c:52: Expected '1.5' Was "
        "'1.500000000000000'. Printed value is not as expected."
    ) in found.details
    assert "- ... and 4 more failures of print_number" in found.details
    assert found.details[0] == (
        "- parse_examples > file_test3_should_be_parsed_and_printed at "
        "tests/parse_examples.c:84: Expected '…dth\":\\x09500,\\n\\x09\\x09\\x09\"heig…' "
        "Was '…dth\":\\x09500.000000000000000,\\n\\…' (first difference at character 196)"
    )
    assert found.details[1] == "- ... and 5 more failures of parse_examples"
    text = "\n".join(found.details)
    assert "cofax" not in text  # the documents' contents
    assert "Konfabulator" not in text
    assert len(text) < 3000


def test_ctest_keeps_a_tests_own_message_and_an_aborted_assert() -> None:
    found = digest((CAPTURED / "ctest-cpp-abort.txt").read_text())
    assert found.headline == "60% tests passed, 2 tests failed out of 5"
    assert found.details == [
        "- perimeter: perimeter of 4x4 square: expected 16, got 12",
        "- winding at tests/test_winding.cpp:8: Subprocess aborted***Exception: test_winding: "
        "tests/test_winding.cpp:8: int main(): Assertion `!tessera::clockwise(sq) && "
        '"counter-clockwise square"\' failed.',
    ]


def test_a_compiler_error_keeps_the_function_gcc_names_before_it() -> None:
    """gcc's ``cJSON.c: In function ‘print_number’:`` says where the error is; it was lost."""
    found = digest((CAPTURED / "make-cjson-werror.txt").read_text())
    assert found.headline == "1 error, 0 warnings"
    assert found.details[0] == (
        "- cJSON.c:605:27: error: conversion to ‘size_t’ {aka ‘long unsigned int’} from ‘int’ "
        "may change the sign of the result [-Werror=sign-conversion] (in function "
        "‘print_number’)"
    )


def test_a_message_many_failures_share_is_shown_once_with_their_names() -> None:
    """toolz with a misspelt import: ten test modules fail to import on one ImportError."""
    found = digest((CAPTURED / "pytest-toolz-import-error.txt").read_text())
    assert found.details == [
        "- toolz/tests/test_curried.py (error) at toolz/tests/test_curried.py:1: ImportError: "
        "cannot import name 'no_defualt' from 'toolz.utils' (toolz/utils.py) (raised at "
        "toolz/itertoolz.py:8)",
        "- ... and 9 more with the same message: toolz/tests/test_curried_doctests.py, "
        "toolz/tests/test_dicttoolz.py, toolz/tests/test_functoolz.py, "
        "toolz/tests/test_inspect_args.py, toolz/tests/test_itertoolz.py, "
        "toolz/tests/test_recipes.py, toolz/tests/test_serialization.py, "
        "toolz/tests/test_signatures.py, toolz/tests/test_tlz.py",
    ]


def test_findings_with_one_message_are_shown_once_with_their_locations() -> None:
    """ms's eslint run: fourteen ``no-var`` warnings around three errors."""
    found = digest((CAPTURED / "eslint-ms.txt").read_text())
    assert found.details[:2] == [
        "- index.js:5:1: warning: Unexpected var, use let or const instead (no-var)",
        "- ... and 11 more with the same message: index.js:6:1, index.js:7:1, index.js:8:1, "
        "index.js:9:1, index.js:10:1, index.js:28:3, index.js:29:3, index.js:54:3, "
        "index.js:60:3, index.js:61:3, index.js:115:3",
    ]
    assert "- index.js:62:11: error: 'type' is not defined (no-undef)" in found.details
