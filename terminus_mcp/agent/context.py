"""Keeping the prompt inside the model's context window.

The conversation itself is never edited; each turn gets a fitted copy. When the prompt would not
leave room for the reply, older command outputs shrink first, to a head and a tail, then to
their exit-code lines alone; only then is the newest output cut (keeping its end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from terminus_mcp.agent.observation import OUTPUT_HEADER, keep_tail
from terminus_mcp.models.base import ChatMessage
from terminus_mcp.sandbox.api import cut_marker

MESSAGE_OVERHEAD = 8
"""Tokens a chat template adds around each message (role markers, separators), rounded up."""
STUB_HEAD = 300
STUB_TAIL = 1200
MIN_LAST_CHARS = 500
CONTEXT_FULL = "the context window is full"
"""Why an older output was cut (the note of its marker)."""


def _split(content: str) -> tuple[str, str]:
    header, sep, output = content.partition(OUTPUT_HEADER + "\n")
    return (header + sep, output) if sep else ("", content)


def head_tail_stub(content: str, head: int = STUB_HEAD, tail: int = STUB_TAIL) -> str:
    """The observation with the middle of its output replaced by a marker."""
    header, output = _split(content)
    if len(output) <= head + tail + 100:
        return content
    elided = len(output) - head - tail
    marker = "\n" + cut_marker(elided, note=CONTEXT_FULL) + "\n"
    return header + output[:head] + marker + output[-tail:]


def header_stub(content: str) -> str:
    """The observation's exit-code and duration lines only."""
    header, output = _split(content)
    return header + cut_marker(len(output), note=CONTEXT_FULL)


class ContextFitter:
    """Fits a conversation into ``budget`` tokens, caching token counts by text."""

    def __init__(self, count_tokens: Callable[[str], int], budget: int) -> None:
        self._count_tokens = count_tokens
        self.budget = budget
        self._cache: dict[str, int] = {}

    def count(self, text: str) -> int:
        cached = self._cache.get(text)
        if cached is None:
            cached = self._count_tokens(text) + MESSAGE_OVERHEAD
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    def total(self, messages: Sequence[ChatMessage]) -> int:
        total = 0
        for message in messages:
            total += self.count(message.content)
            for call in message.tool_calls:
                total += self.count(call.raw or str(call.arguments))
        return total

    def fit(self, messages: Sequence[ChatMessage]) -> list[ChatMessage]:
        """A copy of ``messages`` whose total is within the budget (as far as possible)."""
        fitted = list(messages)
        total = self.total(fitted)
        if total <= self.budget:
            return fitted
        outputs = [i for i, m in enumerate(fitted) if m.role == "tool"]
        older, newest = outputs[:-1], outputs[-1:]
        for shrink in (head_tail_stub, header_stub):
            for index in older:
                message = fitted[index]
                smaller = shrink(messages[index].content)  # from the original: true counts
                total += self.count(smaller) - self.count(message.content)
                fitted[index] = message.model_copy(update={"content": smaller})
                if total <= self.budget:
                    return fitted
        for index in newest:
            message = fitted[index]
            tokens = self.count(message.content)
            room = self.budget - (total - tokens)
            ratio = len(message.content) / max(tokens, 1)
            chars = max(MIN_LAST_CHARS, int(room * ratio * 0.9))
            header, output = _split(message.content)
            fitted[index] = message.model_copy(
                update={"content": header + keep_tail(output, max(chars - len(header), 100))}
            )
        return fitted
