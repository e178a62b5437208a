"""The direct mode's answer budget on real captured outputs: an answer of at most
:data:`~terminus_mcp.models.direct.backend.MIN_ANSWER_TOKENS` is never cut."""

from __future__ import annotations

from pathlib import Path

from terminus_mcp.models.direct.answer import RunReport, fit, summarize
from terminus_mcp.models.direct.backend import (
    DIRECT_NOTE,
    MIN_ANSWER_TOKENS,
    MIN_SUMMARY_TOKENS,
)
from terminus_mcp.models.direct.steps import Kind
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
