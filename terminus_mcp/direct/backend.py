"""The direct mode: the model seam answered by rules instead of a model.

Each turn is decided from the conversation alone, so the backend holds no state between tasks:

1. the first turn probes the workspace (one command, :func:`probe_command`): its files, CI
   configuration, Makefile targets, package.json scripts, and which words of the query the
   sandbox can run (skipped when the query lists its commands explicitly and asks for nothing
   else that depends on the workspace);
2. the plan (:func:`plan_task`) is made again from the query and the probe on every turn, and
   its next command is run, one per turn;
3. then the ``<final_answer>``: each command with why it was chosen and its summary, the
   traceback when asked for, and under "Not done:" every part of the query that was not done,
   with the reason. An answer with a "Not done:" part ends the task ``incomplete``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import anyio

from terminus_mcp.agent.contract import LAST_TURN_MESSAGE, TOOL_NAME, query_of
from terminus_mcp.agent.fallback import PROBE_MARK
from terminus_mcp.agent.observation import ObservedResult, read_observation
from terminus_mcp.direct.answer import (
    RunReport,
    fit,
    summarize,
    traceback_lines,
    without_repeats,
)
from terminus_mcp.direct.attempts import gave_way
from terminus_mcp.direct.plan import ADVICE, Plan, needs_probe, plan_task
from terminus_mcp.direct.probe import Workspace, probe_command, query_words, read_probe
from terminus_mcp.direct.query import read_query
from terminus_mcp.models.base import ChatMessage, ModelReply, ToolCall, ToolSpec
from terminus_mcp.models.tokens import estimate_tokens, proxy_counter

DIRECT_NOTE = "(direct mode: no model was used)"
COMMAND_TIMEOUT_MS = 600_000
_OFF_LOOP_CHARS = 256 * 1024
"""Past this much text in the conversation, the rules run in a worker thread."""
"""Builds and test suites may be slow; the loop clamps this to the configured maximum."""
MIN_SUMMARY_TOKENS = 80
"""Summaries up to this size together are never cut, so a command with a tiny output keeps its
status line and the output whole."""
MIN_ANSWER_TOKENS = 200
"""Answers up to this size are never cut: the frame (note, the chosen command and why, command
lines, statuses) alone needs about 60 tokens, and a short output's findings (three compiler
errors, a few failing tests) about 100 more; cutting them would lose the answer to save less
than a re-run costs."""


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


def _answer(plan: Plan, runs: list[tuple[str, ObservedResult]], stopped: bool) -> ModelReply:
    count = proxy_counter().count
    chosen = {a.command: a for a in plan.actions}
    reports = []
    for command, observed in runs:
        action = chosen.get(command)
        summary = summarize(
            observed.output,
            observed.exit_code,
            timed_out=observed.timed_out,
            timeout_ms=observed.timeout_ms,
            kind=action.kind if action else None,
            count=count,
        )
        if action and action.gave_way:
            summary = summary[:1]  # its reason is on the line above; the output says no more
        reports.append(RunReport(command, summary, action.chose if action else None))
    tail: list[str] = []
    if plan.traceback:
        tail += _traceback(runs)
    if plan.done:
        tail += ["Done before the task:", *(f"- {line}" for line in plan.done)]
    not_done = list(plan.not_done)
    if stopped:
        not_done += [
            f"`{a.command}`: not run, the turn limit was reached" for a in plan.actions[len(runs) :]
        ]
    if not_done:
        tail += ["Not done:", *(f"- {line}" for line in not_done)]
    if not runs:
        tail.append(f"Nothing was run: {ADVICE}.")
    raw = sum(count(observed.output) for _, observed in runs)
    answer = fit(
        [DIRECT_NOTE],
        without_repeats(reports),
        tail,
        raw_tokens=raw,
        floor=MIN_SUMMARY_TOKENS,
        never_cut=MIN_ANSWER_TOKENS,
        count=count,
    )
    return ModelReply(content=answer, complete=not not_done)


def _traceback(runs: list[tuple[str, ObservedResult]]) -> list[str]:
    for command, observed in reversed(runs):
        found = traceback_lines(observed.output)
        if found:
            return [f"Traceback (from `{command}`):", *found]
    return ["Traceback: none in the output; the summaries give each error and its location."]


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
        if sum(len(m.content) for m in messages) > _OFF_LOOP_CHARS:
            # Digesting megabytes of output takes up to a second: not on the event loop.
            return await anyio.to_thread.run_sync(self._decide, list(messages))
        return self._decide(messages)

    def _decide(self, messages: Sequence[ChatMessage]) -> ModelReply:
        """The next call, or the answer (blocking: plain computation on the messages)."""
        query = query_of(messages) or ""
        reading = read_query(query)
        runs = _runs(messages)
        if not needs_probe(reading):
            workspace, done = Workspace(), runs
        elif not runs or not runs[0][0].startswith(PROBE_MARK):
            return _call(probe_command(reading.words | query_words(query)))
        else:
            (_, probe), *done = runs
            workspace = read_probe(probe.output)
        failed = {
            command: why
            for command, observed in done
            if (why := gave_way(observed.output, observed.exit_code)) is not None
        }
        plan = plan_task(reading, workspace, failed)
        out_of_turns = bool(messages) and messages[-1].content == LAST_TURN_MESSAGE
        if len(done) < len(plan.actions) and not out_of_turns:
            return _call(plan.actions[len(done)].command)
        return _answer(plan, done, stopped=len(done) < len(plan.actions))

    async def aclose(self) -> None:
        return None
