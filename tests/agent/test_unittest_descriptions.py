"""unittest reports with a description line between the ``FAIL:`` header and the dashed rule
(idna's data-driven tests print the test-data line they check), on captured real output."""

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
    assert len(found.details) == 5  # three of the 21 failures of one data-driven test
    assert found.details[-1] == (
        "- ... and 18 more failures of tests.test_idna_uts46.TestIdnaTest.runTest"
    )
