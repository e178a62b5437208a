"""Fitting the conversation into the context window: older outputs shrink first."""

from __future__ import annotations

from terminus_mcp.agent.context import ContextFitter
from terminus_mcp.models.base import ChatMessage


def _count(text: str) -> int:
    return len(text)  # one token a character: easy to reason about


def _observation(char: str, size: int) -> str:
    return "Exit code: 0\nDuration: 0.1 s\nOutput:\n" + char * size


def test_a_conversation_within_budget_is_unchanged() -> None:
    messages = [ChatMessage(role="user", content="hi")]
    assert ContextFitter(_count, 100).fit(messages) == messages


def test_older_outputs_shrink_before_the_newest() -> None:
    messages = [
        ChatMessage(role="system", content="s"),
        ChatMessage(role="tool", content=_observation("a", 5000), tool_call_id="1"),
        ChatMessage(role="tool", content=_observation("b", 5000), tool_call_id="2"),
    ]
    fitter = ContextFitter(_count, 7500)
    fitted = fitter.fit(messages)
    assert fitted[2] == messages[2]  # the newest is intact
    old = fitted[1].content
    assert old.startswith("Exit code: 0\nDuration: 0.1 s\nOutput:\n" + "a" * 300 + "\n[... 3500 ")
    assert old.endswith("a" * 1200)
    assert fitter.total(fitted) <= 7500
    assert messages[1].content.endswith("a" * 5000)  # the stored conversation is not edited


def test_the_newest_output_is_cut_keeping_its_end_when_nothing_else_helps() -> None:
    messages = [
        ChatMessage(role="tool", content=_observation("a", 3000), tool_call_id="1"),
        ChatMessage(role="tool", content=_observation("x", 2000) + "END", tool_call_id="2"),
    ]
    fitter = ContextFitter(_count, 1200)
    fitted = fitter.fit(messages)
    assert fitted[0].content.endswith("[... 3000 characters cut; the context window is full ...]")
    assert fitted[1].content.endswith("xEND")
    assert "characters cut ...]\n" in fitted[1].content
    assert fitter.total(fitted) <= 1200
