"""Reading a model's reply: reasoning stripped, tool calls found, the final answer kept apart.

Every backend passes what its model wrote through :func:`normalize_reply`, once, and returns
the result: the loop reads a :class:`~terminus_mcp.models.base.ModelReply` and parses nothing.
Calls come in several forms, all read here: native calls (their argument strings decoded by
:func:`parse_arguments`), Hermes ``<tool_call>{json}</tool_call>`` markup in the text, a fenced
JSON block or a bare JSON object naming an offered tool. Markup inside the ``<final_answer>``
block is answer text, never a call.

Small models are sloppy, so this is lenient where the intent is clear (markup without its
closing tag, arguments encoded twice, several spellings of a call) and keeps what it could not
read (a :class:`~terminus_mcp.models.base.ToolCall` with ``error`` set) so the loop can ask for
a correction. Checking a call's arguments against the tool is the loop's job
(:mod:`terminus_mcp.agent.calls`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection
from typing import Any

from terminus_mcp.models.base import ModelReply, ToolCall
from terminus_mcp.models.final_answer import FINAL_OPEN, split_final

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
_STRAY_THINK_END = re.compile(r"\A.*?</think>", re.DOTALL)
TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"


def strip_think(text: str) -> str:
    """Remove ``<think>...</think>`` blocks (and a dangling ``...</think>`` prefix, which a
    template that opens the block in the prompt produces)."""
    text = _THINK.sub("", text)
    if "</think>" in text:
        text = _STRAY_THINK_END.sub("", text, count=1)
    return text.strip()


def _new_id() -> str:
    return "call_" + uuid.uuid4().hex[:12]


def _call_from_payload(raw: str, payload: Any) -> ToolCall:
    if not isinstance(payload, dict):
        return ToolCall(id=_new_id(), name="", arguments=None, raw=raw, error="not a JSON object")
    name = payload.get("name")
    args = payload.get("arguments", payload.get("parameters"))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError as exc:
            return ToolCall(
                id=_new_id(),
                name=str(name or ""),
                arguments=None,
                raw=raw,
                error=f"arguments are not valid JSON ({exc.msg})",
            )
    if not isinstance(name, str) or not name:
        return ToolCall(id=_new_id(), name="", arguments=None, raw=raw, error='no "name" field')
    if not isinstance(args, dict):
        return ToolCall(
            id=_new_id(), name=name, arguments=None, raw=raw, error='"arguments" is not an object'
        )
    return ToolCall(id=_new_id(), name=name, arguments=args, raw=raw)


def parse_arguments(raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """Decode a native tool call's argument string; returns (arguments, error)."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        return None, f"arguments are not valid JSON ({exc.msg} at character {exc.pos})"
    if isinstance(value, str):  # encoded twice
        return parse_arguments(value)
    if not isinstance(value, dict):
        return None, "arguments are not a JSON object"
    return value, None


def parse_text_tool_calls(text: str, *, tool_names: Collection[str]) -> tuple[str, list[ToolCall]]:
    """Find Hermes-style ``<tool_call>{json}</tool_call>`` calls in plain text.

    Returns the text with the markup removed, and the calls in order. The JSON is read with a
    decoder rather than up to the closing tag, so a ``</tool_call>`` inside a command string
    does not cut it short. An unclosed tag at the end (the reply ran out of tokens) still counts.
    Without markup, a fenced JSON block or a bare JSON object naming one of ``tool_names`` (the
    tools offered) is a call too (small models such as Qwen2.5-Coder write calls that way).
    """
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    kept: list[str] = []
    pos = 0
    while True:
        start = text.find(TOOL_CALL_OPEN, pos)
        if start < 0:
            kept.append(text[pos:])
            break
        kept.append(text[pos:start])
        body_start = start + len(TOOL_CALL_OPEN)
        brace = text.find("{", body_start)
        close = text.find(TOOL_CALL_CLOSE, body_start)
        if brace < 0 or (0 <= close < brace):
            end = close + len(TOOL_CALL_CLOSE) if close >= 0 else len(text)
            raw = text[body_start : close if close >= 0 else len(text)].strip()
            calls.append(
                ToolCall(id=_new_id(), name="", arguments=None, raw=raw, error="no JSON object")
            )
            pos = end
            continue
        try:
            payload, json_end = decoder.raw_decode(text, brace)
        except json.JSONDecodeError as exc:
            end = close + len(TOOL_CALL_CLOSE) if close >= 0 else len(text)
            raw = text[brace : close if close >= 0 else len(text)].strip()
            calls.append(
                ToolCall(
                    id=_new_id(),
                    name="",
                    arguments=None,
                    raw=raw,
                    error=f"invalid JSON ({exc.msg} at character {exc.pos - brace})",
                )
            )
            pos = end
            continue
        raw = text[brace:json_end]
        calls.append(_call_from_payload(raw, payload))
        rest = text[json_end:]
        stripped = rest.lstrip()
        pos = json_end + (len(rest) - len(stripped))
        if stripped.startswith(TOOL_CALL_CLOSE):
            pos += len(TOOL_CALL_CLOSE)
    remaining = "".join(kept).strip()
    if not calls and FINAL_OPEN not in remaining:
        return _embedded_calls(remaining, tool_names)
    return remaining, calls


_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call)?[ \t]*\n?(.*?)```", re.DOTALL)
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input")


def _as_call_payload(payload: Any, tool_names: Collection[str]) -> dict[str, Any] | None:
    """``payload`` in the ``{"name", "arguments"}`` shape when it names an offered tool.

    Small models spell a call in several ways: ``{"name": ..., "arguments": ...}``, with
    ``parameters`` or ``args``, ``{"tool": ...}``, or OpenAI's ``{"function": {"name": ...}}``.
    """
    if not isinstance(payload, dict):
        return None
    function = payload.get("function")
    if isinstance(function, dict):
        return _as_call_payload(function, tool_names)
    name = next((payload[k] for k in _NAME_KEYS if isinstance(payload.get(k), str)), None)
    if name is None or name not in tool_names:
        return None
    arguments = next((payload[k] for k in _ARGUMENT_KEYS if k in payload), None)
    return {"name": name, "arguments": arguments}


def _embedded_calls(text: str, tool_names: Collection[str]) -> tuple[str, list[ToolCall]]:
    """Calls written without Hermes tags: a fenced JSON block, or a bare JSON object, naming
    an offered tool anywhere in the text (other JSON, such as an example in prose, is left
    alone)."""
    calls: list[ToolCall] = []
    spans: list[tuple[int, int]] = []
    for fence in _FENCE.finditer(text):
        body = fence.group(1).strip()
        try:
            payload = _as_call_payload(json.loads(body), tool_names)
        except json.JSONDecodeError:
            continue
        if payload is not None:
            calls.append(_call_from_payload(body, payload))
            spans.append(fence.span())
    if not calls:
        decoder = json.JSONDecoder()
        pos = text.find("{")
        while pos >= 0:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError:
                pos = text.find("{", pos + 1)
                continue
            payload = _as_call_payload(value, tool_names)
            if payload is not None:
                calls.append(_call_from_payload(text[pos:end], payload))
                spans.append((pos, end))
            pos = text.find("{", end)
    if not calls:
        return text, []
    kept, last = [], 0
    for start, end in spans:
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept).strip(), calls


def normalize_reply(reply: ModelReply, *, tool_names: Collection[str]) -> ModelReply:
    """The reply a backend returns: reasoning stripped from the content and, when the backend
    found no native call, the calls written in the text parsed out of it (``tool_names``: the
    tools offered on this turn, which a bare JSON call must name).

    Markup inside a ``<final_answer>`` block is answer text, never a call: an answer that quotes
    command output may quote ``<tool_call>`` markup the output printed (an injection)."""
    content = strip_think(reply.content)
    calls = list(reply.tool_calls)
    if TOOL_CALL_OPEN not in content and calls:
        return reply.model_copy(update={"content": content})
    before, final, after = split_final(content)
    if not final:
        content, found = parse_text_tool_calls(content, tool_names=tool_names)
    else:
        parts, found = [], []
        for segment in (before, after):
            if TOOL_CALL_OPEN in segment:
                segment, more = parse_text_tool_calls(segment, tool_names=tool_names)
                found.extend(more)
            parts.append(segment.strip())
        content = "\n".join(p for p in (parts[0], final, parts[1]) if p)
    return reply.model_copy(update={"content": content, "tool_calls": calls or found})
