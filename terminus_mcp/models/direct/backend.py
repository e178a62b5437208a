"""The direct mode: the model seam answered by rules instead of a model.

Each turn is decided from the conversation alone (so the backend holds no state between
tasks): run the next command the query names, or, for a plain "build" / "run the tests"
request, probe the workspace and run the standard commands one per turn; then write the
``<final_answer>`` from the observations with the output digesters.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from terminus_mcp.agent.contract import LAST_TURN_MESSAGE, TOOL_NAME, query_of
from terminus_mcp.agent.observation import ObservedResult, read_observation
from terminus_mcp.agent.summaries import summary_text
from terminus_mcp.errors import ModelError
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolCall, ToolSpec
from terminus_mcp.models.direct.project import PROBE_COMMAND, plan_commands, read_probe
from terminus_mcp.models.direct.query import intents, named_commands
from terminus_mcp.models.tokens import estimate_tokens

DIRECT_NOTE = "(direct mode: no model was used)"
COMMAND_TIMEOUT_MS = 600_000
"""Builds and test suites may be slow; the loop clamps this to the configured maximum."""


def _runs(messages: Sequence[ChatMessage]) -> list[tuple[str, ObservedResult]]:
    """Each command run so far with its observed result, in order."""
    commands: dict[str, str] = {}
    runs = []
    for message in messages:
        for call in message.tool_calls:
            if call.arguments:
                commands[call.id] = str(call.arguments.get("command", ""))
        if message.role == "tool" and message.tool_call_id in commands:
            observed = read_observation(message.content)
            if observed is not None:
                runs.append((commands[message.tool_call_id], observed))
    return runs


def _call(command: str) -> ModelReply:
    arguments: dict[str, object] = {"command": command, "timeout": COMMAND_TIMEOUT_MS}
    return ModelReply(
        tool_calls=[
            ToolCall(
                id="call_" + uuid.uuid4().hex[:12],
                name=TOOL_NAME,
                arguments=arguments,
                raw=str(arguments),
            )
        ]
    )


def _answer(lines: list[str]) -> ModelReply:
    return ModelReply(content="\n".join(["<final_answer>", DIRECT_NOTE, *lines, "</final_answer>"]))


def _report(runs: list[tuple[str, ObservedResult]]) -> ModelReply:
    lines = []
    for command, observed in runs:
        summary = summary_text(
            observed.output,
            observed.exit_code,
            timed_out=observed.timed_out,
            timeout_ms=observed.timeout_ms,
        )
        lines += [f"Command: {command}", f"Summary: {summary}"]
    return _answer(lines)


class DirectBackend:
    """No model: commands from the query or the project's files, answers from digesters."""

    def __init__(self, *, context_window: int = 1_000_000) -> None:
        self._context_window = context_window

    @property
    def name(self) -> str:
        return "direct"

    @property
    def uses_model(self) -> bool:
        return False

    @property
    def context_window(self) -> int:
        return self._context_window

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
        query = query_of(messages) or ""
        runs = _runs(messages)
        out_of_turns = bool(messages) and messages[-1].content == LAST_TURN_MESSAGE
        named = named_commands(query)
        if named:
            if len(runs) < len(named) and not out_of_turns:
                return _call(named[len(runs)])
            return _report(runs)
        wanted = intents(query)
        if not wanted:
            raise ModelError(
                "the direct mode found no command to run in the query",
                why="without a model, a query must name its commands or ask plainly to build "
                "or to run the tests",
                fix="put the commands in backticks (`make test`) or after 'Commands:', or "
                "configure a model (--backend openai --base-url URL)",
            )
        if not runs:
            return _call(PROBE_COMMAND)
        probe, *done = runs
        plan = plan_commands(read_probe(probe[1].output), wanted)
        if not plan:
            files = ", ".join(sorted(read_probe(probe[1].output).files)[:20]) or "none"
            return _answer(
                [
                    f"No standard {' or '.join(w.value for w in wanted)} setup was recognized "
                    f"in the workspace (top-level files: {files}).",
                    "Name the commands to run, in backticks.",
                ]
            )
        if len(done) < len(plan) and not out_of_turns:
            return _call(plan[len(done)])
        return _report(done)

    async def aclose(self) -> None:
        return None
