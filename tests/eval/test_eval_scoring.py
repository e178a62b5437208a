"""Scoring with hand-computed expectations: recall, forbidden content, tokens, ratios."""

from __future__ import annotations

import pytest

from terminus_mcp.eval import scoring

ANSWER = """<final_answer>
Command: python3 -m pytest -v
Summary: exit code 1; 2 failed, 98 passed.
- tests/test_io.py::test_read_empty at tests/test_io.py:18: KeyError: 'SKU-1'
</final_answer>"""


def test_recall_counts_matched_patterns() -> None:
    facts = [r"test_read_empty", r"\b2 failed", r"tests/test_io\.py:18", r"test_write_full"]
    assert scoring.missed_facts(ANSWER, facts) == ["test_write_full"]
    assert scoring.recall(ANSWER, facts) == 0.75


def test_patterns_ignore_case_and_anchor_at_lines() -> None:
    assert scoring.matches(r"KEYERROR\W+SKU-1", ANSWER)
    assert scoring.matches(r"^Summary: exit code 1", ANSWER)
    assert not scoring.matches(r"^exit code", ANSWER)


def test_recall_without_facts_is_one() -> None:
    assert scoring.recall("anything", []) == 1.0


def test_forbidden_hits_list_the_matching_patterns() -> None:
    assert scoring.forbidden_hits(ANSWER, [r"test_case_\d+", r"98 passed"]) == [r"98 passed"]
    assert scoring.forbidden_hits(ANSWER, []) == []


def test_reduction_ratio() -> None:
    assert scoring.reduction_ratio(50, 1000) == 0.05
    assert scoring.reduction_ratio(7, 0) is None


def test_overall_recall_weighs_every_fact_the_same() -> None:
    # 2 of 4 and 3 of 3: 5 of 7 facts, not the mean of 0.5 and 1.0.
    assert scoring.overall_recall([(2, 4), (3, 3)]) == pytest.approx(5 / 7)
    assert scoring.overall_recall([]) == 1.0


def test_median_ratio_skips_tasks_without_a_baseline() -> None:
    assert scoring.median_ratio([0.1, None, 0.3, 0.2]) == pytest.approx(0.2)
    assert scoring.median_ratio([0.1, 0.4]) == pytest.approx(0.25)
    assert scoring.median_ratio([None]) is None


def test_proxy_tokens_use_cl100k() -> None:
    # cl100k_base: "hello" and " world" are one token each.
    assert scoring.proxy_tokens("hello world") == 2
    assert scoring.proxy_tokens("") == 0


def test_terminal_view_removes_colours_and_progress_redraws() -> None:
    raw = "\x1b[32mok\x1b[0m done\n[##  ] 50%\r[####] 100%\n"
    assert scoring.terminal_view(raw) == "ok done\n[####] 100%\n"


def test_terminal_view_keeps_the_last_60000_characters() -> None:
    lines = [f"line {i:06d}" for i in range(10_000)]  # 11 characters + newline each
    raw = "\n".join(lines) + "\n"
    view = scoring.terminal_view(raw)
    assert raw.endswith(view[view.index("line") :])
    kept = view[view.index("line") :]
    assert len(kept) <= scoring.TERMINAL_TOOL_CHARS
    assert len(kept) > scoring.TERMINAL_TOOL_CHARS - 200
    assert view[: view.index("line")].startswith("[... ")
    assert "characters cut ...]" in view[: view.index("line")]


def test_baseline_tokens_sum_each_command_as_a_terminal_shows_it() -> None:
    # Colours are not tokens the main agent reads: both outputs count as "hello world".
    assert scoring.baseline_tokens(["hello world", "\x1b[31mhello world\x1b[0m"]) == 4
