"""The MCP tools: start, collect, cancel and inspect delegated tasks, and close sessions.

Descriptions are short on purpose: the whole tool list costs the main agent context on every
turn (a test keeps it under 1,500 tokens). Errors the agent can act on become ``ToolError``
with the what/why/fix message; anything else is logged with a correlation id that the error
text shows, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import anyio
from mcp.server.elicitation import AcceptedElicitation
from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, ListRootsResult, ToolAnnotations
from pydantic import Field

from terminus_mcp.errors import SessionNotFound, TaskError, TerminusError
from terminus_mcp.server.app import AppState
from terminus_mcp.server.outcome import TaskOutcome, outcome_of, render
from terminus_mcp.server.tasks import TaskPhase, TrackedTask, new_correlation_id
from terminus_mcp.server.workdirs import paths_of_roots, requested_workdir
from terminus_mcp.service import TaskEvent, TaskLog, TaskRequest
from terminus_mcp.settings import Settings

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 20_000
"""Longest query accepted: a task description, not a file dump."""
MAX_WAIT_SECONDS = 3600.0
DEFAULT_LOG_PAGE_CHARS = 20_000
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

ToolContext = Context[AppState, Any]
TaskResultT = Annotated[CallToolResult, TaskOutcome]


@contextmanager
def tool_errors(tool: str) -> Iterator[None]:
    """Turn refusals into tool errors the agent can act on, and hide internal failures."""
    try:
        yield
    except ToolError:
        raise
    except TerminusError as exc:
        raise ToolError(str(exc)) from None
    except Exception as exc:
        ref = new_correlation_id()
        logger.exception("tool %s failed [ref %s]", tool, ref)
        raise ToolError(
            f"internal error in terminus-mcp [ref {ref}]: {type(exc).__name__}. "
            "The server log (stderr) has the details under that ref."
        ) from None


def _refuse(what: str, why: str, fix: str) -> TaskError:
    return TaskError(what, why=why, fix=fix)


def _check_wait(wait_seconds: float) -> None:
    if not 0 <= wait_seconds <= MAX_WAIT_SECONDS:
        raise _refuse(
            f"wait_seconds={wait_seconds} is out of range",
            f"it must be between 0 and {MAX_WAIT_SECONDS:.0f}",
            "pass about 45 (most clients cut a call off at 60 s) and poll get_task_result",
        )


def _check_query(query: str) -> None:
    if not query.strip():
        raise _refuse(
            "the query is empty",
            "the subagent needs to know what to run and what to look for",
            'say what to execute and what to report, e.g. "run pytest -q; list failing tests"',
        )
    if len(query) > MAX_QUERY_CHARS:
        raise _refuse(
            f"the query is too long ({len(query)} characters)",
            f"at most {MAX_QUERY_CHARS} characters are accepted",
            "describe the task and name files by path; the sandbox can read them itself",
        )


def _check_session_id(session_id: str) -> None:
    if not SESSION_ID_PATTERN.fullmatch(session_id):
        raise _refuse(
            f"session_id {session_id[:80]!r} is not valid",
            "it must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            'pick a short name such as "build"',
        )


async def _client_roots(ctx: ToolContext) -> ListRoots | None:
    """Ask the client for its roots when it offers them (resolved before the tool runs).

    Async on purpose: the SDK runs a sync resolver in a worker thread, a needless hop per call.
    """
    caps = ctx.client_capabilities
    if caps is not None and caps.roots is not None:
        return ListRoots()
    return None


def _state(ctx: ToolContext) -> AppState:
    return ctx.request_context.lifespan_context


async def _wait_with_progress(
    state: AppState, ctx: ToolContext, task: TrackedTask, wait_seconds: float, *, owner: bool
) -> TrackedTask:
    """Wait for a task, forwarding its events as progress notifications.

    If this call is cancelled (client cancel, timeout or disconnect), the task is cancelled too
    when this call started it (``owner``) or when ``cancel_on_disconnect`` is on.
    """
    seen = len(task.events)

    async def forward(event: TaskEvent) -> None:
        nonlocal seen
        seen += 1
        try:
            await ctx.report_progress(seen, None, event.message or event.kind.value)
        except Exception:  # a client that went away must not fail the task
            logger.debug("progress notification for %s not delivered", task.id, exc_info=True)

    try:
        return await state.registry.wait(task.id, wait_seconds, on_event=forward)
    except anyio.get_cancelled_exc_class():
        if owner or state.settings.cancel_on_disconnect:
            logger.info("call for task %s cancelled by the client; cancelling the task", task.id)
            state.registry.request_cancel(task)
        raise


def _finish(task: TrackedTask, settings: Settings) -> CallToolResult:
    if task.phase is TaskPhase.DONE and task.error is not None:
        raise ToolError(str(task.error))
    return render(outcome_of(task), max_chars=settings.max_result_chars)


def _render_log(log: TaskLog, command_index: int | None) -> str:
    if command_index is not None:
        match = [c for c in log.commands if c.index == command_index]
        if not match:
            indexes = ", ".join(str(c.index) for c in log.commands) or "none"
            raise _refuse(
                f"the task has no command with index {command_index}",
                f"its commands have indexes: {indexes}",
                "pass one of those, or omit command_index for the whole log",
            )
        return match[0].output
    parts = []
    for c in log.commands:
        status = "killed" if c.exit_code is None else f"exit {c.exit_code}"
        parts.append(f"### [{c.index}] $ {c.command}  ({status})\n{c.output}")
    return "\n".join(parts) if parts else "(the task ran no commands)"


async def _task_log(state: AppState, task_id: str) -> TaskLog:
    task = state.registry.get(task_id)
    if task.phase is not TaskPhase.DONE or task.result is None or not task.result.transcript_id:
        raise _refuse(
            f"task {task_id} has no log yet"
            if task.phase is not TaskPhase.DONE
            else f"task {task_id} has no log",
            "the log is available once the task has finished"
            if task.phase is not TaskPhase.DONE
            else "it ended before running anything",
            "call get_task_result first" if task.phase is not TaskPhase.DONE else "nothing to read",
        )
    return await anyio.to_thread.run_sync(state.engine.task_log, task.result.transcript_id)


TASK_LOG_URI = "terminus://tasks/{task_id}/log"


async def task_log_resource(task_id: str, ctx: ToolContext) -> str:
    """The resource twin of read_task_log, for clients that read resources."""
    try:
        return _render_log(await _task_log(_state(ctx), task_id), None)
    except TerminusError as exc:
        raise ResourceError(str(exc)) from None


_KEPT_GENERICS: list[type] = []
"""Generic classes the SDK builds on every call, held so that they are built once.

The SDK wraps each resolved argument (the client's roots) in ``AcceptedElicitation[Any]``;
pydantic caches a parametrized class only weakly, so with no reference left it is rebuilt
after each garbage collection, about 2 ms of every call."""


def build_tools(settings: Settings) -> list[Tool]:
    """The five tools, with compact schemas."""
    default_wait = settings.wait_seconds
    if not _KEPT_GENERICS:
        _KEPT_GENERICS.append(AcceptedElicitation[Any])

    async def run_terminal_task(
        query: Annotated[str, Field(description="What to run and what to look for in the output.")],
        ctx: ToolContext,
        roots: Annotated[ListRootsResult | None, Resolve(_client_roots)],
        description: str = "",
        workdir: Annotated[
            str | None, Field(description="Project folder; default: the server's cwd.")
        ] = None,
        session_id: Annotated[
            str | None, Field(description="Reuse a sandbox (files, cwd, env) across calls.")
        ] = None,
        wait_seconds: float = default_wait,
    ) -> TaskResultT:
        with tool_errors("run_terminal_task"):
            state = _state(ctx)
            _check_query(query)
            _check_wait(wait_seconds)
            if session_id is not None:
                _check_session_id(session_id)
            # A client that declares roots but lists none (the MCP Inspector does) bounds nothing.
            offered = paths_of_roots([str(r.uri) for r in roots.roots]) if roots else []
            request = TaskRequest(
                query=query,
                description=description,
                workdir=requested_workdir(workdir, state.cwd),
                client_roots=tuple(offered) or None,
                session_id=session_id,
            )
            state.engine.check_workdir(request)  # refused now, not once the task has a slot
            task = state.registry.submit(request)
            if session_id is not None:
                state.sessions.add(session_id)
            logger.info("task %s started: %s", task.id, (description or query)[:80])
            task = await _wait_with_progress(state, ctx, task, wait_seconds, owner=True)
            return _finish(task, state.settings)

    async def get_task_result(
        task_id: str, ctx: ToolContext, wait_seconds: float = default_wait
    ) -> TaskResultT:
        with tool_errors("get_task_result"):
            state = _state(ctx)
            _check_wait(wait_seconds)
            task = state.registry.get(task_id)
            task = await _wait_with_progress(state, ctx, task, wait_seconds, owner=False)
            return _finish(task, state.settings)

    async def cancel_task(task_id: str, ctx: ToolContext) -> TaskResultT:
        with tool_errors("cancel_task"):
            state = _state(ctx)
            task = await state.registry.cancel(task_id)
            return _finish(task, state.settings)

    async def read_task_log(
        task_id: str,
        ctx: ToolContext,
        command_index: Annotated[
            int | None, Field(description="One command's output; default: all.")
        ] = None,
        offset: int = 0,
        limit: int = DEFAULT_LOG_PAGE_CHARS,
    ) -> str:
        with tool_errors("read_task_log"):
            state = _state(ctx)
            if offset < 0 or limit < 1:
                raise _refuse(
                    f"offset={offset}, limit={limit} is not a valid page",
                    "offset must be >= 0 and limit >= 1",
                    "start at offset 0 and pass the next_offset the previous page gave",
                )
            text = _render_log(await _task_log(state, task_id), command_index)
            limit = min(limit, state.settings.max_result_chars - 200)
            page = text[offset : offset + limit]
            end = offset + len(page)
            more = f"; next offset={end}" if end < len(text) else "; end of log"
            return f"[chars {offset}-{end} of {len(text)}{more}]\n{page}"

    async def close_session(session_id: str, ctx: ToolContext) -> str:
        with tool_errors("close_session"):
            state = _state(ctx)
            if session_id not in state.sessions:
                known = ", ".join(sorted(state.sessions)) or "none"
                raise SessionNotFound(
                    f"no session has id {session_id!r}",
                    why=f"no task of this server named it (sessions named so far: {known})",
                    fix="pass the session_id you gave run_terminal_task",
                )
            await state.engine.close_session(session_id)
            state.sessions.discard(session_id)
            return f"Session {session_id} closed; its container is removed."

    runs = ToolAnnotations(
        read_only_hint=False, destructive_hint=True, open_world_hint=settings.network != "none"
    )
    reads = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    stops = ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
    )
    tools = [
        Tool.from_function(
            run_terminal_task,
            title="Run terminal task",
            annotations=runs,
            description=(
                "Run a build, test run, install or diagnosis in a sandbox with the project at "
                "/workspace; a small model runs the commands and answers with a short summary. "
                "Use instead of running noisy commands yourself. Not done within wait_seconds: "
                'status "running" and a task_id for get_task_result.'
            ),
        ),
        Tool.from_function(
            get_task_result,
            annotations=reads,
            description='Wait up to wait_seconds for a task; returns its result or "running".',
        ),
        Tool.from_function(
            cancel_task,
            annotations=stops,
            description="Stop a task and kill its command; returns what it found so far.",
        ),
        Tool.from_function(
            read_task_log,
            annotations=reads,
            structured_output=False,
            description="Page through a finished task's raw command output.",
        ),
        Tool.from_function(
            close_session,
            annotations=stops,
            structured_output=False,
            description="Remove a session's sandbox.",
        ),
    ]
    for tool in tools:
        _strip_titles(tool.parameters)
        if tool.output_schema is not None:
            _strip_titles(tool.output_schema)
            tool.output_schema.pop("description", None)
    return tools


def _strip_titles(schema: Any) -> None:
    """Drop the auto-generated ``title`` keys: they repeat the names and cost tokens."""
    if isinstance(schema, dict):
        schema.pop("title", None)
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    _strip_titles(prop)
            elif key in ("$defs", "definitions") and isinstance(value, dict):
                for sub in value.values():
                    _strip_titles(sub)
            elif key in ("anyOf", "oneOf", "allOf", "items") or key == "additionalProperties":
                for sub in value if isinstance(value, list) else [value]:
                    _strip_titles(sub)
