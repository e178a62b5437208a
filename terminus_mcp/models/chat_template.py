"""The Qwen3 (Hermes) text format on both sides of a local model: prompts in, replies out.

A backend that runs the model itself (the in-process vLLM engine) must do what an OpenAI-style
server does for its clients: render the conversation and the tool with the *model's own* chat
template, and find the tool calls in the text the model wrote. Qwen3 and Terminus-4B write calls
the Hermes way, one JSON object per ``<tool_call>...</tool_call>`` block::

    <tool_call>
    {"name": "run_in_terminal", "arguments": {"command": "make", "timeout": 120000}}
    </tool_call>

Parsing is per block: one broken block becomes a :class:`ToolCall` with an ``error`` (so the loop
can ask for a correction) and never hides the well-formed ones.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from terminus_mcp.models.base import ChatMessage, ToolCall, ToolSpec

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"

_TOOL_CALL_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_THINK_BLOCK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
# A template-rendered prompt may leave an opened think block whose close the model writes.
_THINK_TAIL = re.compile(r"\A.*?</think>", re.DOTALL)
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


def strip_think(text: str) -> str:
    """``text`` without ``<think>`` blocks (and without a reasoning tail opened by the prompt)."""
    if "</think>" in text and "<think>" not in text.split("</think>", 1)[0]:
        text = _THINK_TAIL.sub("", text, count=1)
    return _THINK_BLOCK.sub("", text)


def _call_id() -> str:
    return "call_" + uuid.uuid4().hex[:12]


def _parse_block(body: str, closed: bool) -> ToolCall:
    raw = body.strip()
    if not closed:
        return ToolCall(
            id=_call_id(),
            name="",
            arguments=None,
            raw=raw,
            error="the <tool_call> block is not closed",
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return ToolCall(
            id=_call_id(), name="", arguments=None, raw=raw, error=f"invalid JSON: {exc}"
        )
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return ToolCall(
            id=_call_id(),
            name="",
            arguments=None,
            raw=raw,
            error='expected {"name": ..., "arguments": {...}}',
        )
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return ToolCall(
                id=_call_id(),
                name=data["name"],
                arguments=None,
                raw=raw,
                error=f"arguments are not valid JSON: {exc}",
            )
    if not isinstance(arguments, dict):
        return ToolCall(
            id=_call_id(),
            name=data["name"],
            arguments=None,
            raw=raw,
            error="arguments must be a JSON object",
        )
    return ToolCall(id=_call_id(), name=data["name"], arguments=arguments, raw=raw)


def parse_reply(text: str) -> tuple[str, list[ToolCall]]:
    """Split a model's raw reply into its visible text and its Hermes tool calls.

    End-of-turn tokens and ``<think>`` blocks are removed; every ``<tool_call>`` block becomes
    one :class:`ToolCall` in order, broken ones with ``error`` set.
    """
    text = strip_think(_END_TOKENS.sub("", text))
    calls: list[ToolCall] = []
    for match in _TOOL_CALL_BLOCK.finditer(text):
        calls.append(_parse_block(match.group(1), closed=match.group(0).endswith(TOOL_CALL_CLOSE)))
    content = _TOOL_CALL_BLOCK.sub("", text).strip()
    return content, calls
