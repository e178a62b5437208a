"""Failure reports the digests once read as empty, on captured real output: unittest reports
with a description line between the ``FAIL:`` header and the dashed rule
(idna's data-driven tests print the test-data line they check) and pytest's doctest failures."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.agent.summaries import digest

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "captured"


def test_a_described_failure_keeps_its_message() -> None:
    found = digest((CAPTURED / "unittest-idna-descriptions.txt").read_text())
    assert found.headline == "6256 tests, 22 failures, 545 skipped, FAILED"
    assert found.details[1] == (
        "- tests.test_idna_uts46.TestIdnaTest.runTest: AssertionError: decode() did not emit "
        "required error a.b-.c for 'a.b-.c'"
    )
    assert found.details[0] == (
        "- tests.test_idna.IDNATests.test_check_hyphen_ok: AssertionError: IDNAError not "
        "raised by check_hyphen_ok"
    )
    assert len(found.details) == 4  # two of the 21 failures of one data-driven test
    assert found.details[-1] == (
        "- ... and 19 more failures of tests.test_idna_uts46.TestIdnaTest.runTest"
    )


def test_a_failed_doctest_keeps_its_example_what_it_expected_and_what_it_got() -> None:
    found = digest((CAPTURED / "pytest-doctest-boltons.txt").read_text())
    assert found.headline == "4 failed, 562 passed, 10 warnings in 3.32s"
    assert (
        "- boltons/iterutils.py::boltons.iterutils.chunked at boltons/iterutils.py:295: >>> "
        "chunked(range(10), 3, fill=None) | Expected: [[0, 1, 2], [3, 4, 5], [6, 7, 8], "
        "[9, None, None]] | Got: [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, None]]"
    ) in found.details
    assert (
        "- boltons/fileutils.py::boltons.fileutils.atomic_save at boltons/fileutils.py:251: "
        ">>> try: | UNEXPECTED EXCEPTION: PermissionError(13, 'Permission denied')"
    ) in found.details
