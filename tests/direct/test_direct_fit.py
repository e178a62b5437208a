"""The direct mode's answer on real captured outputs: an answer of at most
:data:`~terminus_mcp.direct.backend.MIN_ANSWER_TOKENS` is never cut, and a summary of an
output read only in part says so."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.agent.observation import clean_output, keep_tail
from terminus_mcp.direct.answer import RunReport, fit, summarize
from terminus_mcp.direct.backend import (
    DIRECT_NOTE,
    MIN_ANSWER_TOKENS,
    MIN_SUMMARY_TOKENS,
)
from terminus_mcp.direct.steps import Kind
from terminus_mcp.models.tokens import proxy_counter

TOOL_OUTPUTS = Path(__file__).resolve().parents[1] / "fixtures" / "tool_outputs"


def test_a_short_answer_is_never_cut() -> None:
    """eslint's stylish output (88 tokens) passes through whole with its status line, a few
    tokens over the raw output; cutting to fit lost two of the three errors to a
    '[... 3 lines cut ...]' line that saved almost nothing."""
    count = proxy_counter().count
    output = (TOOL_OUTPUTS / "eslint-stylish.txt").read_text()
    summary = summarize(output, 1, timed_out=False, timeout_ms=60_000, kind=Kind.LINT, count=count)
    reports = [RunReport("npx eslint .", summary)]
    raw = count(output)

    def answer(never_cut: int) -> str:
        return fit(
            [DIRECT_NOTE],
            reports,
            [],
            raw_tokens=raw,
            floor=MIN_SUMMARY_TOKENS,
            never_cut=never_cut,
            count=count,
        )

    assert "lines cut" in answer(0)  # the budget of the raw output alone cuts it
    whole = answer(MIN_ANSWER_TOKENS)
    assert count(whole) <= MIN_ANSWER_TOKENS
    assert "lines cut" not in whole
    for fact in (
        "src/cart.js",
        "12:9   error  'unused' is assigned a value but never used  no-unused-vars",
        "13:27  error  'formatCents' is not defined                 no-undef",
        "src/checkout.js",
        "9:3  error  Unexpected 'debugger' statement  no-debugger",
        "3 problems (3 errors, 0 warnings)",
    ):
        assert fact in whole


def test_a_summary_of_an_output_read_only_in_part_says_so() -> None:
    """The loop shows the direct mode an output's last ``observation_chars`` only: wcwidth's
    tox command (``--verbose``) printed its failures a million characters before the end, and
    the answer gave the counts with no failing test and no word of what was not read."""
    count = proxy_counter().count
    output = (TOOL_OUTPUTS / "pytest-v.txt").read_text()
    seen = keep_tail(clean_output(output).rstrip(), 300)  # as observe() cuts it
    assert seen.startswith("[... ")
    summary = summarize(seen, 1, timed_out=False, timeout_ms=60_000, kind=Kind.TEST, count=count)
    cut = len(clean_output(output).rstrip()) - len(seen.split("\n", 1)[1])
    assert summary[-1] == (
        f"Note: only the output's last part was read (its first {cut} characters were cut); "
        "failures it printed before that are not in this summary."
    )
    whole = summarize(output, 1, timed_out=False, timeout_ms=60_000, kind=Kind.TEST, count=count)
    assert not any(line.startswith("Note: only") for line in whole)
