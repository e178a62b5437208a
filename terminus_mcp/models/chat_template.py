"""The Qwen3 (Hermes) text format on both sides of a local model: prompts in, replies out.

A backend that runs the model itself (the in-process vLLM engine) must do what an OpenAI-style
server does for its clients: render the conversation and the tool with the *model's own* chat
template, and find the tool calls in the text the model wrote. Qwen3 and Terminus-4B write calls
the Hermes way, one JSON object per ``<tool_call>...</tool_call>`` block::

    <tool_call>
    {"name": "run_in_terminal", "arguments": {"command": "make", "timeout": 120000}}
    </tool_call>

The reply is read like any backend's (:func:`terminus_mcp.models.replies.normalize_reply`): one
broken block becomes a :class:`ToolCall` with an ``error`` (so the loop can ask for a
correction) and never hides the well-formed ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from terminus_mcp.models.base import ChatMessage, ModelReply, ToolSpec
from terminus_mcp.models.replies import normalize_reply

_END_TOKENS = re.compile(r"(?:<\|im_end\|>|<\|endoftext\|>)+\s*\Z")


class ChatTokenizer(Protocol):
    """The part of a transformers tokenizer this module uses."""

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...


def template_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """The conversation as the plain dicts chat templates expect (OpenAI chat shape).

    Assistant tool calls carry their arguments as a mapping, which Qwen-style templates render
    with ``tojson``; a call whose arguments never parsed is rendered from its raw text.
    """
    rendered: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            item["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.arguments if call.arguments is not None else call.raw,
                    },
                }
                for call in message.tool_calls
            ]
        if message.tool_call_id is not None:
            item["tool_call_id"] = message.tool_call_id
        if message.name is not None:
            item["name"] = message.name
        rendered.append(item)
    return rendered


def render_prompt(
    tokenizer: ChatTokenizer, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]
) -> str:
    """The prompt text for the next assistant turn, from the model's own chat template."""
    text = tokenizer.apply_chat_template(
        template_messages(messages),
        tools=[tool.openai_schema() for tool in tools] or None,
        add_generation_prompt=True,
        tokenize=False,
    )
    if not isinstance(text, str):  # pragma: no cover - transformers contract
        raise TypeError(f"apply_chat_template returned {type(text).__name__}, expected str")
    return text


def parse_reply(
    text: str,
    tools: Sequence[ToolSpec],
    *,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cached_prompt_tokens: int | None = None,
    finish_reason: str | None = None,
) -> ModelReply:
    """A model's raw reply, read once: its visible text and its tool calls (``tools``: the
    tools offered on the turn, which a bare JSON call must name), with the given usage.

    End-of-turn tokens and ``<think>`` blocks are removed; every ``<tool_call>`` block becomes
    one :class:`~terminus_mcp.models.base.ToolCall` in order, broken ones with ``error`` set.
    """
    reply = ModelReply(
        content=_END_TOKENS.sub("", text),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cached_prompt_tokens=cached_prompt_tokens,
        finish_reason=finish_reason,
    )
    return normalize_reply(reply, tool_names={tool.name for tool in tools})
