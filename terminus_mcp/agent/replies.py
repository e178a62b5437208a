"""Reading a model reply: reasoning stripped, tool calls found, the final answer extracted, and
the ``run_in_terminal`` arguments checked.

Small models are sloppy, so this is lenient where the intent is clear (Hermes ``<tool_call>``
markup in plain text, arguments encoded twice, a timeout in seconds) and precise where it is not
(each refusal says exactly what to fix, for the correction message).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from terminus_mcp.agent.contract import TOOL_NAME
from terminus_mcp.models.base import ModelReply, ToolCall

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
_STRAY_THINK_END = re.compile(r"\A.*?</think>", re.DOTALL)
_TOOL_CALL_OPEN = "<tool_call>"
_TOOL_CALL_CLOSE = "</tool_call>"
_FINAL = re.compile(r"<final_answer>(.*?)</final_answer>", re.DOTALL)
_FINAL_OPEN = "<final_answer>"
_FINAL_CLOSE = "</final_answer>"

SECONDS_THRESHOLD = 1000
"""A timeout below this many "milliseconds" is read as seconds: nobody means 30 ms."""


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


def parse_text_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Find Hermes-style ``<tool_call>{json}</tool_call>`` calls in plain text.

    Returns the text with the markup removed, and the calls in order. The JSON is read with a
    decoder rather than up to the closing tag, so a ``</tool_call>`` inside a command string
    does not cut it short. An unclosed tag at the end (the reply ran out of tokens) still counts.
    Without markup, a fenced JSON block or a bare JSON object naming the tool is a call too
    (small models such as Qwen2.5-Coder write calls that way).
    """
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    kept: list[str] = []
    pos = 0
    while True:
        start = text.find(_TOOL_CALL_OPEN, pos)
        if start < 0:
            kept.append(text[pos:])
            break
        kept.append(text[pos:start])
        body_start = start + len(_TOOL_CALL_OPEN)
        brace = text.find("{", body_start)
        close = text.find(_TOOL_CALL_CLOSE, body_start)
        if brace < 0 or (0 <= close < brace):
            end = close + len(_TOOL_CALL_CLOSE) if close >= 0 else len(text)
            raw = text[body_start : close if close >= 0 else len(text)].strip()
            calls.append(
                ToolCall(id=_new_id(), name="", arguments=None, raw=raw, error="no JSON object")
            )
            pos = end
            continue
        try:
            payload, json_end = decoder.raw_decode(text, brace)
        except json.JSONDecodeError as exc:
            end = close + len(_TOOL_CALL_CLOSE) if close >= 0 else len(text)
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
        if stripped.startswith(_TOOL_CALL_CLOSE):
            pos += len(_TOOL_CALL_CLOSE)
    remaining = "".join(kept).strip()
    if not calls and _FINAL_OPEN not in remaining:
        return _embedded_calls(remaining)
    return remaining, calls


_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call)?[ \t]*\n?(.*?)```", re.DOTALL)
_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARGUMENT_KEYS = ("arguments", "parameters", "args", "input")


def _as_call_payload(payload: Any) -> dict[str, Any] | None:
    """``payload`` in the ``{"name", "arguments"}`` shape when it names the terminal tool.

    Small models spell a call in several ways: ``{"name": ..., "arguments": ...}``, with
    ``parameters`` or ``args``, ``{"tool": ...}``, or OpenAI's ``{"function": {"name": ...}}``.
    """
    if not isinstance(payload, dict):
        return None
    function = payload.get("function")
    if isinstance(function, dict):
        return _as_call_payload(function)
    name = next((payload[k] for k in _NAME_KEYS if isinstance(payload.get(k), str)), None)
    if name != TOOL_NAME:
        return None
    arguments = next((payload[k] for k in _ARGUMENT_KEYS if k in payload), None)
    return {"name": name, "arguments": arguments}


def _embedded_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Calls written without Hermes tags: a fenced JSON block, or a bare JSON object, naming
    the tool anywhere in the text (other JSON, such as an example in prose, is left alone)."""
    calls: list[ToolCall] = []
    spans: list[tuple[int, int]] = []
    for fence in _FENCE.finditer(text):
        body = fence.group(1).strip()
        try:
            payload = _as_call_payload(json.loads(body))
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
            payload = _as_call_payload(value)
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


def normalize_reply(reply: ModelReply) -> ModelReply:
    """Strip reasoning from the content and, when the backend found no native call, parse calls
    from the text. Idempotent, so every backend's replies can pass through it.

    Markup inside a ``<final_answer>`` block is answer text, never a call: an answer that quotes
    command output may quote ``<tool_call>`` markup the output printed (an injection)."""
    content = strip_think(reply.content)
    calls = list(reply.tool_calls)
    if _TOOL_CALL_OPEN not in content and calls:
        return reply.model_copy(update={"content": content})
    before, final, after = _split_final(content)
    if not final:
        content, found = parse_text_tool_calls(content)
    else:
        parts, found = [], []
        for segment in (before, after):
            if _TOOL_CALL_OPEN in segment:
                segment, more = parse_text_tool_calls(segment)
                found.extend(more)
            parts.append(segment.strip())
        content = "\n".join(p for p in (parts[0], final, parts[1]) if p)
    return reply.model_copy(update={"content": content, "tool_calls": calls or found})


def _split_final(text: str) -> tuple[str, str, str]:
    """The text before the first ``<final_answer>``, the block up to the *last* close tag (an
    answer may quote a forged block), and the text after it; an unclosed block runs to the end.
    """
    start = text.find(_FINAL_OPEN)
    if start < 0:
        return text, "", ""
    end = text.rfind(_FINAL_CLOSE, start)
    end = len(text) if end < 0 else end + len(_FINAL_CLOSE)
    return text[:start], text[start:end], text[end:]


def extract_final_answer(text: str) -> str | None:
    """The ``<final_answer>`` block, normalized to open and close on lines of their own.

    The last complete block wins; an unclosed block running to the end of the text (the reply
    ran out of tokens) is accepted. An empty block is no answer.
    """
    blocks = _FINAL.findall(text)
    if blocks:
        inner = blocks[-1]
    elif _FINAL_OPEN in text:
        inner = text.rsplit(_FINAL_OPEN, 1)[1]
    else:
        return None
    inner = inner.strip()
    if not inner:
        return None
    return f"<final_answer>\n{inner}\n</final_answer>"


@dataclass(frozen=True)
class CommandCall:
    """A ``run_in_terminal`` call that passed the checks, ready to run."""

    command: str
    timeout_ms: int
    notes: list[str] = field(default_factory=list)
    """Adjustments made to the request (timeout read as seconds, or clamped), told to the model."""


@dataclass(frozen=True)
class CallProblem:
    """Why a call cannot run, worded as a correction for the model."""

    message: str


EXAMPLE_CALL = '{"command": "make test", "timeout": 120000}'


def check_call(
    call: ToolCall, *, default_timeout_ms: int, max_timeout_ms: int
) -> CommandCall | CallProblem:
    """Check a tool call against the ``run_in_terminal`` schema, fixing what is unambiguous."""
    if call.name != TOOL_NAME:
        shown = f"`{call.name}`" if call.name else "without a name"
        why = f" ({call.error})" if call.error and not call.name else ""
        return CallProblem(
            f"Your tool call {shown}{why} was not run: the only tool is {TOOL_NAME}. "
            f"Call it with arguments like {EXAMPLE_CALL}."
        )
    if call.arguments is None:
        return CallProblem(
            f"Your {TOOL_NAME} call was not run: "
            f"{call.error or 'its arguments could not be read'}. "
            f"Send the arguments as one JSON object, like {EXAMPLE_CALL}."
        )
    command = call.arguments.get("command")
    if not isinstance(command, str) or not command.strip():
        return CallProblem(
            f'Your {TOOL_NAME} call was not run: "command" must be a non-empty string, '
            f"like {EXAMPLE_CALL}."
        )
    notes: list[str] = []
    timeout = call.arguments.get("timeout")
    if timeout is None:
        timeout_ms = default_timeout_ms
    else:
        value = _number(timeout)
        if value is None or value <= 0:
            return CallProblem(
                f'Your {TOOL_NAME} call was not run: "timeout" must be a positive integer '
                f"number of milliseconds (got {json.dumps(timeout)}), like {EXAMPLE_CALL}."
            )
        if value < SECONDS_THRESHOLD:
            timeout_ms = int(value * 1000)
            notes.append(
                f"timeout {value:g} was read as seconds ({timeout_ms} ms); give it in milliseconds"
            )
        else:
            timeout_ms = int(value)
    if timeout_ms > max_timeout_ms:
        notes.append(f"timeout {timeout_ms} ms was lowered to the maximum, {max_timeout_ms} ms")
        timeout_ms = max_timeout_ms
    return CommandCall(command=command.strip(), timeout_ms=timeout_ms, notes=notes)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("ms").strip()
        try:
            return float(text)
        except ValueError:
            return None
    return None
