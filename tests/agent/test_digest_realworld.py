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
