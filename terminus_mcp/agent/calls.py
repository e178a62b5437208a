"""Checking a ``run_in_terminal`` call against the tool's contract before it runs.

The backend has already read the call out of the model's reply (:mod:`terminus_mcp.models.replies`);
this module decides whether it can run: a non-empty command, and a timeout. The model gives the
timeout in milliseconds (read leniently where the intent is clear: a timeout in seconds, a
number in a string); it is converted to seconds here, once, and clamped by the one clamp
(:func:`terminus_mcp.settings.clamp_command_timeout`). Each refusal says exactly what to fix, for
the correction message.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from terminus_mcp.agent.contract import TOOL_NAME
from terminus_mcp.models.base import ToolCall
from terminus_mcp.settings import clamp_command_timeout

SECONDS_THRESHOLD = 1000
"""A timeout below this many "milliseconds" is read as seconds: nobody means 30 ms."""

EXAMPLE_CALL = '{"command": "make test", "timeout": 120000}'


@dataclass(frozen=True)
class CommandCall:
    """A ``run_in_terminal`` call that passed the checks, ready to run."""

    command: str
    timeout_s: float
    notes: list[str] = field(default_factory=list)
    """Adjustments made to the request (timeout read as seconds, or clamped), told to the model."""

    @property
    def timeout_ms(self) -> int:
        """The timeout in the model's unit, for what the model reads about the command."""
        return round(self.timeout_s * 1000)


@dataclass(frozen=True)
class CallProblem:
    """Why a call cannot run, worded as a correction for the model."""

    message: str


def check_call(
    call: ToolCall, *, default_timeout_s: float, max_timeout_s: float
) -> CommandCall | CallProblem:
    """Check a tool call against the ``run_in_terminal`` schema, fixing what is unambiguous;
    the limits are in seconds, like the settings they come from."""
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
    requested_s: float | None = None
    if timeout is not None:
        value = _number(timeout)
        if value is None or value <= 0:
            return CallProblem(
                f'Your {TOOL_NAME} call was not run: "timeout" must be a positive integer '
                f"number of milliseconds (got {json.dumps(timeout)}), like {EXAMPLE_CALL}."
            )
        if value < SECONDS_THRESHOLD:
            requested_s = value
            notes.append(
                f"timeout {value:g} was read as seconds ({_ms(value)} ms); give it in milliseconds"
            )
        else:
            requested_s = int(value) / 1000
    timeout_s = clamp_command_timeout(requested_s, default_s=default_timeout_s, max_s=max_timeout_s)
    if requested_s is not None and timeout_s < requested_s:
        notes.append(
            f"timeout {_ms(requested_s)} ms was lowered to the maximum, {_ms(timeout_s)} ms"
        )
    return CommandCall(command=command.strip(), timeout_s=timeout_s, notes=notes)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _number(value: Any) -> float | None:
    """``value`` as a finite number, or ``None``."""
    if isinstance(value, bool):
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().removesuffix("ms").strip()
        try:
            number = float(text)
        except ValueError:
            return None
    return number if number is not None and math.isfinite(number) else None
