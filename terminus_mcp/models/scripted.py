"""A deterministic model that replays a script: the test double of the model seam.

Public API, for users' own tests as much as ours: drive the loop through an exact trajectory
without an endpoint, and inspect what the model was shown.

    backend = ScriptedBackend([
        ScriptedBackend.call("pytest -q", timeout=120000),
        "<final_answer>\\nCommand: pytest -q\\nSummary: 3 passed.\\n</final_answer>",
    ])
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from terminus_mcp.errors import ModelError
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolCall, ToolSpec
from terminus_mcp.models.replies import normalize_reply
from terminus_mcp.models.tokens import estimate_tokens


class ScriptedBackend:
    """Replays ``replies`` in order, one per turn. A string is the reply's raw text; a
    :class:`ModelReply` is what the model wrote, with native calls. Each is read like a real
    model's reply before it is returned (:func:`~terminus_mcp.models.replies.normalize_reply`:
    reasoning stripped, calls written in the text parsed). Token counts are estimates (four
    characters a token)."""

    def __init__(
        self,
        replies: Iterable[ModelReply | str],
        *,
        name: str = "scripted",
        context_window: int = 32768,
    ) -> None:
        self._replies = [r if isinstance(r, ModelReply) else ModelReply(content=r) for r in replies]
        self._name = name
        self._context_window = context_window
        self.requests: list[list[ChatMessage]] = []
        """The conversation as sent on each turn, for assertions."""
        self.closed = False

    @staticmethod
    def call(command: str, timeout: int = 30000, **extra: Any) -> ModelReply:
        """A reply holding one native ``run_in_terminal`` call."""
        arguments = {"command": command, "timeout": timeout, **extra}
        return ModelReply(
            tool_calls=[
                ToolCall(
                    id="call_" + uuid.uuid4().hex[:12],
                    name="run_in_terminal",
                    arguments=arguments,
                    raw=str(arguments),
                )
            ]
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def uses_model(self) -> bool:
        return True

    @property
    def context_window(self) -> int:
        return self._context_window

    @property
    def remaining(self) -> int:
        """Replies not yet played."""
        return len(self._replies) - len(self.requests)

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        temperature: float,
        max_tokens: int,
        require_call: bool = False,
    ) -> ModelReply:
        turn = len(self.requests)
        self.requests.append(list(messages))
        if turn >= len(self._replies):
            raise ModelError(
                f"the scripted backend has no reply for turn {turn + 1}",
                why=f"its script holds {len(self._replies)} replies",
                fix="add replies to the script",
            )
        return normalize_reply(self._replies[turn], tool_names={tool.name for tool in tools})

    async def aclose(self) -> None:
        self.closed = True
