"""Bad input never breaks a digest: binary output, ANSI colour codes, carriage-return progress
bars, 1 MB single lines, interleaved workers, other encodings, a runner killed mid-line, a
digester with a bug. The worst case is the generic digest, and the digest says so."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import terminus_mcp.agent.summaries as summaries
from terminus_mcp.agent.summaries import digest, summary_text
from terminus_mcp.agent.summaries.base import Digest, clip
from terminus_mcp.agent.summaries.clean import MAX_LINE_CHARS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tool_outputs"


def _fixture(name: str) -> str:
    return (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8", errors="replace")


def _as_sandbox_decodes(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def test_colour_codes_are_removed_and_the_digest_is_the_plain_ones() -> None:
    coloured = _fixture("pytest-color")
    assert "\x1b[" in coloured  # the real tool's colours, captured with --color=yes
    found = digest(coloured)
    plain = digest(_fixture("pytest-plain"))
    assert found.details == plain.details
    assert not any("\x1b" in line for line in [found.headline, *found.details])


def test_carriage_return_progress_bars_keep_their_last_state() -> None:
    bar = "".join(f"\rDownloading wheels {n:3d}%" for n in range(0, 101, 5))
    output = f"{bar}\n" + _fixture("pytest-q").replace("\n", "\r\n")
    found = digest(output)
    assert found.headline.startswith("4 failed, 9 passed")
    assert not any("\r" in line for line in found.details)
    generic = digest(f"{bar}\nERROR: no space left on device\n")
    assert generic.details == ["Downloading wheels 100%", "ERROR: no space left on device"]


def test_binary_output_says_so_and_keeps_readable_lines() -> None:
    noise = random.Random(7).randbytes(20_000)
    output = _as_sandbox_decodes(noise + b"\nERROR: image corrupt at block 12\n")
    found = digest(output)
    assert found.headline.startswith("binary output")
    assert found.details[0].startswith("Note: the output is not text")
    assert "ERROR: image corrupt at block 12" in found.details


def test_output_in_another_encoding_is_read_where_it_is_text() -> None:
    latin1 = "Résumé générée: échec\n".encode("latin-1") + _fixture("pytest-q").encode()
    found = digest(_as_sandbox_decodes(latin1))
    assert found.headline.startswith("4 failed, 9 passed")
    utf16 = _as_sandbox_decodes(_fixture("pytest-q").encode("utf-16"))
    assert digest(utf16).headline.startswith("binary output")


def test_a_one_megabyte_line_keeps_its_end() -> None:
    line = (
        "x" * 1_000_000 + " fatal: unable to access 'https://git.example/': Could not resolve host"
    )
    found = digest(f"cloning\n{line}\ndone\n")
    assert any(text.endswith("Could not resolve host") for text in found.details)
    assert all(len(text) <= MAX_LINE_CHARS for text in found.details)


def test_a_one_megabyte_line_inside_pytest_output_does_not_hide_the_failures() -> None:
    output = _fixture("pytest-plain").replace(
        "collected 13 items", "collected 13 items\n" + "y" * 1_000_000
    )
    assert digest(output).details == digest(_fixture("pytest-plain")).details


def test_interleaved_workers_are_read_from_real_xdist_output() -> None:
    found = digest(_fixture("pytest-xdist-v"))
    assert found.headline.startswith("4 failed, 9 passed")
    assert len(found.details) == 4


def test_a_runner_killed_mid_line_is_digested_from_what_it_printed() -> None:
    killed = _fixture("pytest-killed")
    assert not killed.endswith("\n")  # the real runner died in the middle of a line
    for cut in (len(killed) // 3, len(killed) // 2, len(killed) - 7):
        found = digest(killed[:cut])
        assert found.tool == "pytest", killed[:cut]


def test_a_digester_that_raises_falls_back_to_the_generic_digest_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(output: str) -> Digest | None:
        raise IndexError("a bug in a digester")

    broken.__name__ = "digest_pytest"
    monkeypatch.setattr(summaries, "_DIGESTERS", (broken,))
    found = digest(_fixture("pytest-q"))
    assert found.details[0] == ("Note: the pytest digest failed on this output; generic digest.")
    assert any(
        "FAILED tests/test_money.py::test_split_keeps_every_cent" in d for d in found.details
    )


def test_long_lines_lose_their_middle_not_their_end() -> None:
    line = "error: " + "a" * 500 + " caused by: certificate verify failed"
    clipped = clip(line, 120)
    assert len(clipped) == 120
    assert clipped.startswith("error: aaa")
    assert clipped.endswith("caused by: certificate verify failed")
    assert " … " in clipped


def test_no_tests_never_reads_like_a_pass() -> None:
    for name in ("pytest-no-tests", "unittest-no-tests"):
        assert "no tests ran" in summary_text(_fixture(name), 0)


_FRAGMENTS = [
    line
    for name in ("pytest-plain", "jest-plain", "go-test-v", "cargo-test", "node-test-tap")
    for line in _fixture(name).splitlines()
]
_NASTY = st.sampled_from(
    [
        "\x1b[31m",
        "\x1b]8;;http://x\x07",
        "\r",
        "\x00",
        "\ufffd\ufffd",
        "\x08",
        "=" * 80,
        "_" * 30,
        "not ok 1 - ",
        "  ---",
        "  ...",
        "--- FAIL: ",
        "test result: FAILED. ",
        "Tests run: ",
        "<testsuite ",
        "FAILED ",
        "ERROR: ",
        "Ran 0 tests in 0.0s",
        "● ",
        "    at x (/workspace/a.js:1:2)",
        "/workspace",
        "file:///workspace/",
    ]
)
_LINE = st.one_of(st.sampled_from(_FRAGMENTS), _NASTY, st.text(max_size=200))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_LINE, max_size=4).map("".join), max_size=60).map("\n".join))
def test_digest_never_raises_on_random_and_adversarial_text(output: str) -> None:
    found = digest(output)
    assert isinstance(found.headline, str)
    assert len(found.details) == len(set(found.details))
    for line in found.details:
        assert "\x1b" not in line
        assert "\r" not in line
        assert "\n" not in line


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=5_000))
def test_digest_never_raises_on_random_bytes(data: bytes) -> None:
    summary = summary_text(_as_sandbox_decodes(data), 1)
    assert summary.startswith("exit code 1")


def test_a_junit_report_declaring_entities_is_not_parsed() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<testsuite tests="1" failures="1"><testcase classname="A" name="b">'
        '<failure message="&lol2;"/></testcase></testsuite>'
    )
    found = digest(bomb)
    assert found.tool == ""
    assert "lollol" not in " ".join(found.details)
