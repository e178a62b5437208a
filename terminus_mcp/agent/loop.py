"""The subagent loop: ask the model, run the one command it asks for, show it the result, until
it gives its ``<final_answer>`` or runs out of turns.

:func:`run_loop` reads top to bottom; each special case (a malformed call, several calls, a loop,
the last turn) is one helper with a name that says what it handles. A failed command is data for
the model; a broken model endpoint or sandbox ends the task with status ``failed`` and an answer
built from what ran. Cancellation is not caught here: the caller owns the :class:`TaskRecorder`
and turns it into a partial result (see :mod:`terminus_mcp.service`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import anyio

from terminus_mcp.agent.calls import CallProblem, CommandCall, check_call
from terminus_mcp.agent.context import ContextFitter
from terminus_mcp.agent.contract import (
    ANSWER_HINT,
    EVIDENCE_REQUIRED,
    RUN_IN_TERMINAL,
    last_turn_message,
    system_message,
    task_message,
)
from terminus_mcp.agent.events import EventCallback, EventKind, TaskEvent, emit
from terminus_mcp.agent.fallback import CommandRun
from terminus_mcp.agent.grounding import ground
from terminus_mcp.agent.guards import IGNORED_CALL, NO_ACTION, FormatBudget, LoopDetector
from terminus_mcp.agent.observation import ObservationMode, observe
from terminus_mcp.agent.recorder import TaskRecorder
from terminus_mcp.agent.result import TaskResult, TaskStatus
from terminus_mcp.errors import ModelError, SandboxError
from terminus_mcp.models.base import ChatMessage, ModelBackend, ModelReply, ToolCall
from terminus_mcp.sandbox.api import Session
from terminus_mcp.settings import Settings

BIG_OUTPUT_CHARS = 200_000
"""Outputs larger than this are token-counted in a worker thread, off the event loop."""


@dataclass(frozen=True)
class LoopConfig:
    """The loop's knobs; :meth:`from_settings` takes them from the settings model."""

    max_turns: int = 10
    temperature: float = 0.0
    max_reply_tokens: int = 2048
    observation_chars: int = 60_000
    default_timeout_s: float = 120.0
    max_timeout_s: float = 900.0
    """Command timeouts in seconds, like the settings; the model's milliseconds are converted
    once, in :func:`~terminus_mcp.agent.calls.check_call`."""
    format_retries: int = 3
    """Malformed replies in a row that get a correction before the task ends."""
    evidence_retries: int = 2
    """Final answers given before any command ran that are refused before the task fails."""
    observation_mode: ObservationMode = "raw"
    answer_hint: bool = True
    require_first_call: bool = True
    grounding: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> LoopConfig:
        return cls(
            max_turns=settings.max_turns,
            temperature=settings.temperature,
            max_reply_tokens=settings.max_reply_tokens,
            observation_chars=settings.observation_chars,
            default_timeout_s=settings.default_command_timeout_s,
            max_timeout_s=settings.max_command_timeout_s,
            observation_mode=settings.observation_mode,
            answer_hint=settings.answer_hint,
            require_first_call=settings.require_first_call,
            grounding=settings.grounding,
        )


async def run_loop(
    query: str,
    *,
    session: Session,
    backend: ModelBackend,
    config: LoopConfig,
    on_event: EventCallback | None = None,
    recorder: TaskRecorder | None = None,
) -> TaskResult:
    """Run one delegated task in ``session`` and return its result.

    Never raises for a model or sandbox failure (the result has status ``failed``); cancellation
    propagates, leaving what ran in ``recorder``.
    """
    record = recorder or TaskRecorder(query, backend=backend.name, model_used=backend.uses_model)
    budget = backend.context_window - config.max_reply_tokens
    fitter = ContextFitter(backend.count_tokens, budget - backend.count_tokens(_tools_json()))
    malformed = FormatBudget(config.format_retries)
    unfounded = FormatBudget(config.evidence_retries)
    loops = LoopDetector()
    record.add_message(system_message())
    record.add_message(task_message(query))
    emit(
        on_event,
        TaskEvent(
            kind=EventKind.TASK_STARTED,
            max_turns=config.max_turns,
            message=f"task started: {_short(query)}",
        ),
    )
    try:
        for turn in range(1, config.max_turns + 1):
            last_turn = turn == config.max_turns
            if last_turn and turn > 1:
                record.add_message(last_turn_message())
            reply = await _ask_model(backend, fitter, record, config, turn, on_event)
            final = reply.final_answer
            if final is not None and (last_turn or not reply.tool_calls):
                record.add_message(ChatMessage(role="assistant", content=reply.content))
                if not record.runs and backend.uses_model:
                    record.stats.refused_answers += 1
                    if last_turn or not unfounded.spend():
                        return _unfounded(record, on_event)
                    record.add_message(ChatMessage(role="user", content=EVIDENCE_REQUIRED))
                    continue
                if config.grounding and backend.uses_model:
                    final, record.grounding = ground(final, record.runs)
                status = TaskStatus.COMPLETED if reply.complete else TaskStatus.INCOMPLETE
                return _finished(record, status, final, on_event)
            if last_turn:
                record.add_message(_assistant(reply, _readable(reply.tool_calls)))
                reason = (
                    f"the model gave no final answer within the turn limit ({config.max_turns})"
                )
                return _without_answer(record, TaskStatus.INCOMPLETE, reason, on_event)
            if not reply.tool_calls:
                record.add_message(ChatMessage(role="assistant", content=reply.content))
                record.add_message(ChatMessage(role="user", content=NO_ACTION))
                record.stats.malformed_replies += 1
                if not malformed.spend():
                    return _gave_up(record, malformed, on_event)
                continue
            call, *others = reply.tool_calls
            checked = check_call(
                call,
                default_timeout_s=config.default_timeout_s,
                max_timeout_s=config.max_timeout_s,
            )
            if isinstance(checked, CallProblem):
                _correct(record, reply, call, others, checked)
                record.stats.malformed_replies += 1
                if not malformed.spend():
                    return _gave_up(record, malformed, on_event)
                continue
            malformed.reset()
            loop_note = loops.check(checked.command)
            if loop_note is not None:
                record.add_message(_assistant(reply, [call]))
                record.add_message(_tool(call.id, "Not run: " + loop_note.removeprefix("Note: ")))
                record.stats.loop_stopped = True
                return _without_answer(
                    record,
                    TaskStatus.INCOMPLETE,
                    loop_note.removeprefix("Note: ").removesuffix("."),
                    on_event,
                )
            loops.record(checked.command)
            kept_others = _readable(others)
            record.add_message(_assistant(reply, [call, *kept_others]))
            observation = await _run_command(
                session, checked, record, config, turn, on_event, whole=not backend.uses_model
            )
            if config.answer_hint and backend.uses_model:
                observation += "\n\n" + ANSWER_HINT
            record.add_message(_tool(call.id, observation))
            for other in kept_others:
                record.add_message(_tool(other.id, IGNORED_CALL))
    except ModelError as exc:
        reason = f"the model backend failed: {exc}"
        return _without_answer(record, TaskStatus.FAILED, reason, on_event, error=str(exc))
    except SandboxError as exc:
        reason = f"the sandbox failed: {exc}"
        return _without_answer(record, TaskStatus.FAILED, reason, on_event, error=str(exc))
    raise AssertionError("unreachable: the last turn always returns")  # pragma: no cover


async def _ask_model(
    backend: ModelBackend,
    fitter: ContextFitter,
    record: TaskRecorder,
    config: LoopConfig,
    turn: int,
    on_event: EventCallback | None,
) -> ModelReply:
    """One model turn on the fitted conversation, with usage and time recorded."""
    prompt = fitter.fit(record.messages)
    started = time.perf_counter()
    # The backend read the reply (calls parsed, reasoning stripped); a reply it could not read
    # is its ModelReplyError, a ModelError like any other failure of the endpoint.
    reply = await backend.complete(
        prompt,
        [RUN_IN_TERMINAL],
        temperature=config.temperature,
        max_tokens=config.max_reply_tokens,
        require_call=config.require_first_call and not record.runs,
    )
    record.model_s += time.perf_counter() - started
    record.turns = turn
    if backend.uses_model:
        record.prompt_tokens += reply.prompt_tokens or fitter.total(prompt)
        record.completion_tokens += reply.completion_tokens or backend.count_tokens(
            reply.content + "".join(c.raw for c in reply.tool_calls)
        )
    # Direct mode has no model: its turn is a rule picking a command or writing the summary.
    step = "model replied" if backend.uses_model else "summary written"
    if not backend.uses_model and reply.tool_calls:
        step = "next command chosen"
    emit(
        on_event,
        TaskEvent(
            kind=EventKind.MODEL_TURN,
            turn=turn,
            max_turns=config.max_turns,
            message=f"[{turn}/{config.max_turns}] {step}",
        ),
    )
    return reply


async def _run_command(
    session: Session,
    call: CommandCall,
    record: TaskRecorder,
    config: LoopConfig,
    turn: int,
    on_event: EventCallback | None,
    *,
    whole: bool = False,
) -> str:
    """Run the command, record it, and return the observation text the model will read.

    ``whole``: the observation holds the whole captured output, not its last
    ``observation_chars``: the limit is a model's context, and rules (the direct mode) have
    none, so failures printed early in a long log still reach its digest."""
    index = len(record.runs)
    prefix = f"[{turn}/{config.max_turns}]"
    emit(
        on_event,
        TaskEvent(
            kind=EventKind.COMMAND_STARTED,
            turn=turn,
            max_turns=config.max_turns,
            command_index=index,
            command=call.command,
            message=f"{prefix} $ {_short(call.command)}",
        ),
    )
    result = await session.run(call.command, timeout_s=call.timeout_s)
    run = CommandRun(command=call.command, timeout_ms=call.timeout_ms, result=result)
    tokens = None
    if len(result.output) > BIG_OUTPUT_CHARS:
        tokens = await anyio.to_thread.run_sync(record.count_proxy_tokens, result.output)
    record.add_run(run, tokens)
    outcome = "timed out" if result.timed_out else f"exit {result.exit_code}"
    emit(
        on_event,
        TaskEvent(
            kind=EventKind.COMMAND_FINISHED,
            turn=turn,
            max_turns=config.max_turns,
            command_index=index,
            command=call.command,
            exit_code=result.exit_code,
            message=f"{prefix} {_short(call.command)} -> {outcome} ({result.duration_s:.1f} s)",
        ),
    )
    observation = observe(
        result,
        timeout_ms=call.timeout_ms,
        limit=len(result.output) if whole else config.observation_chars,
        mode=config.observation_mode,
    )
    notes = "".join(f"Note: {note}.\n" for note in call.notes)
    return notes + observation.text


def _correct(
    record: TaskRecorder,
    reply: ModelReply,
    call: ToolCall,
    others: list[ToolCall],
    problem: CallProblem,
) -> None:
    """Answer a call that cannot run with a correction the model can act on."""
    if call.arguments is None:
        # Unreadable JSON cannot go back as a structured call; show it as the text it was.
        text = "\n".join(p for p in (reply.content, f"<tool_call>{call.raw}</tool_call>") if p)
        record.add_message(ChatMessage(role="assistant", content=text))
        record.add_message(ChatMessage(role="user", content=problem.message))
        return
    kept_others = _readable(others)
    record.add_message(_assistant(reply, [call, *kept_others]))
    record.add_message(_tool(call.id, problem.message))
    for other in kept_others:
        record.add_message(_tool(other.id, IGNORED_CALL))


def _unfounded(record: TaskRecorder, on_event: EventCallback | None) -> TaskResult:
    """End a task whose model keeps answering without running anything: there is no evidence,
    so there is no answer to give."""
    refused = record.stats.refused_answers
    reason = (
        f"the model answered {refused} time{'s' if refused != 1 else ''} without running any "
        "command, and an answer with no command output behind it cannot be trusted"
    )
    return _without_answer(
        record,
        TaskStatus.FAILED,
        reason,
        on_event,
        error=(
            "the model gave no answer based on evidence: it never ran a command. Try again, "
            "name the command in the query, or use a model that follows tool calls "
            "(--backend direct runs the named or detected commands without a model)"
        ),
    )


def _gave_up(
    record: TaskRecorder, malformed: FormatBudget, on_event: EventCallback | None
) -> TaskResult:
    reason = f"the model sent {malformed.used} malformed replies in a row"
    return _without_answer(record, TaskStatus.INCOMPLETE, reason, on_event)


def _finished(
    record: TaskRecorder, status: TaskStatus, answer: str, on_event: EventCallback | None
) -> TaskResult:
    result = record.finish(status, answer)
    _announce(result, on_event)
    return result


def _without_answer(
    record: TaskRecorder,
    status: TaskStatus,
    reason: str,
    on_event: EventCallback | None,
    *,
    error: str | None = None,
) -> TaskResult:
    result = record.finish_without_answer(status, reason, error=error)
    _announce(result, on_event)
    return result


def _announce(result: TaskResult, on_event: EventCallback | None) -> None:
    emit(
        on_event,
        TaskEvent(
            kind=EventKind.TASK_FINISHED,
            turn=result.turns,
            message=f"task {result.status.value} after {result.turns} turns, "
            f"{len(result.commands)} commands",
        ),
    )


def _assistant(reply: ModelReply, calls: list[ToolCall]) -> ChatMessage:
    return ChatMessage(role="assistant", content=reply.content, tool_calls=calls)


def _readable(calls: list[ToolCall]) -> list[ToolCall]:
    """Calls whose arguments parsed: only those can go back to an endpoint as structured calls."""
    return [c for c in calls if c.arguments is not None]


def _tool(call_id: str, content: str) -> ChatMessage:
    return ChatMessage(role="tool", content=content, tool_call_id=call_id)


def _tools_json() -> str:
    return json.dumps(RUN_IN_TERMINAL.openai_schema())


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
