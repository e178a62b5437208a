"""Builds the MCP server: its process-wide state, its tools, its log resource and /healthz.

The state (the engine that runs tasks, and the task registry) is opened once per process. The
transports open it themselves and hand it to :func:`build_server`, because the SSE transport
enters the server's lifespan once per connection; an in-process ``Client(server)`` (tests) lets
the lifespan open and close it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from terminus_mcp import __version__
from terminus_mcp.agent.result import TaskResult
from terminus_mcp.integrations.instructions import delegation_instructions
from terminus_mcp.sandbox.api import AllowedWorkdir
from terminus_mcp.server.auth import http_auth
from terminus_mcp.server.tasks import TaskRegistry
from terminus_mcp.service import EventCallback, TaskHandle, TaskLog, TaskRequest
from terminus_mcp.settings import Settings


class Engine(Protocol):
    """What the server needs from :class:`terminus_mcp.service.TerminusService`."""

    async def run_task(
        self,
        request: TaskRequest,
        on_event: EventCallback | None = None,
        *,
        handle: TaskHandle | None = None,
    ) -> TaskResult: ...

    def check_workdir(self, request: TaskRequest) -> AllowedWorkdir: ...

    def task_log(self, transcript_id: str) -> TaskLog: ...

    async def close_session(self, session_id: str) -> None: ...


EngineFactory = Callable[[Settings], AbstractAsyncContextManager[Engine]]


@dataclass(frozen=True)
class AppState:
    """Everything the tools share, for the life of the process."""

    settings: Settings
    engine: Engine
    registry: TaskRegistry
    cwd: Path
    """The server's working directory: the default workdir (IDE clients start servers there)."""
    sessions: set[str] = field(default_factory=set)
    """Session ids tasks have named, so closing an id nobody used is an error, not a no-op."""


def _service_factory(settings: Settings) -> AbstractAsyncContextManager[Engine]:
    from terminus_mcp.service import TerminusService

    return TerminusService(settings)


@asynccontextmanager
async def open_state(
    settings: Settings, engine_factory: EngineFactory | None = None
) -> AsyncIterator[AppState]:
    """Open the engine and the task registry; on exit cancel every task and release all."""
    factory = engine_factory or _service_factory
    async with factory(settings) as engine:
        registry = TaskRegistry(
            lambda request, on_event, handle: engine.run_task(
                request, on_event=on_event, handle=handle
            ),
            max_concurrent=settings.max_concurrent_tasks,
            max_queued=settings.max_queued_tasks,
            result_ttl_s=settings.result_ttl_s,
            max_kept_results=settings.max_kept_results,
        )
        async with registry:
            yield AppState(settings=settings, engine=engine, registry=registry, cwd=Path.cwd())


def build_server(
    settings: Settings,
    *,
    state: AppState | None = None,
    engine_factory: EngineFactory | None = None,
    with_http_auth: bool = False,
    on_state_closed: Callable[[], None] | None = None,
) -> MCPServer[AppState]:
    """The MCP server with its tools and the task-log resource.

    ``state``: an already opened :class:`AppState` (the transports pass one); ``None`` opens
    one in the server's lifespan, and ``on_state_closed`` is called once it is released.
    ``with_http_auth``: require the bearer token (HTTP only).

    Raises:
        ConfigError: HTTP auth is requested for a non-loopback bind without a token.
    """
    from terminus_mcp.server.tools import TASK_LOG_URI, build_tools, task_log_resource

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        if state is not None:
            yield state
            return
        try:
            async with open_state(settings, engine_factory) as opened:
                yield opened
        finally:
            if on_state_closed is not None:
                on_state_closed()

    auth = http_auth(settings) if with_http_auth else None
    server: MCPServer[AppState] = MCPServer(
        "terminus-mcp",
        instructions=delegation_instructions(),
        version=__version__,
        lifespan=lifespan,
        log_level=settings.log_level.upper(),  # type: ignore[arg-type]
        token_verifier=auth[0] if auth else None,
        auth=auth[1] if auth else None,
        tools=build_tools(settings),
    )
    server.resource(
        TASK_LOG_URI,
        name="task_log",
        mime_type="text/plain",
        description="Raw output of a finished task's commands.",
    )(task_log_resource)

    async def healthz(_: Request) -> Response:
        """Liveness only: says nothing about tasks, settings or the engine."""
        return PlainTextResponse("ok")

    server.custom_route("/healthz", methods=["GET"])(healthz)

    return server
