"""Checking a ``run_in_terminal`` call against the tool's contract before it runs.

The backend has already read the call out of the model's reply (:mod:`terminus_mcp.models.replies`);
this module decides whether it can run: a non-empty command, and a timeout in milliseconds, read
leniently where the intent is clear (a timeout in seconds, a number in a string) and clamped to
the maximum. Each refusal says exactly what to fix, for the correction message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from terminus_mcp.agent.contract import TOOL_NAME
from terminus_mcp.models.base import ToolCall

SECONDS_THRESHOLD = 1000
"""A timeout below this many "milliseconds" is read as seconds: nobody means 30 ms."""

EXAMPLE_CALL = '{"command": "make test", "timeout": 120000}'


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
