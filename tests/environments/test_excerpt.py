"""The "First error:" excerpt of a failed setup step, on real captured output."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.environments.excerpt import first_error

CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "captured"


def test_maven_excerpt_opens_with_the_real_error_not_an_empty_marker() -> None:
    output = (CAPTURED / "maven-go-offline-no-plugin.txt").read_text()
    excerpt = first_error(output)
    lines = excerpt.splitlines()
    assert lines[0].startswith(
        "[ERROR] No plugin found for prefix 'dependency' in the current project"
    )
    assert "[ERROR]" not in lines  # Maven's empty marker lines say nothing
    assert "Picked up JAVA_TOOL_OPTIONS" not in excerpt


def test_marker_only_lines_are_never_the_error_nor_the_tail() -> None:
    assert first_error("npm ERR!\nnpm ERR! code E404\nnpm ERR! 404 Not Found\n") == (
        "npm ERR! code E404\nnpm ERR! 404 Not Found"
    )
    assert first_error("Resolving\nDone, exit 1\n[ERROR]\n[ERROR] \n") == (
        "Resolving\nDone, exit 1"
    )


def test_warnings_are_passed_over_for_the_first_error() -> None:
    output = "[WARNING] could not transfer metadata\n[INFO] BUILD FAILURE\n[ERROR] Failed x\n"
    assert first_error(output) == "[ERROR] Failed x"
