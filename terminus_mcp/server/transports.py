"""Runs the server over stdio, SSE or streamable HTTP until the client leaves or a signal comes.

The process-wide state (engine, sandboxes, task registry) is opened here, once, and closed on
every way out: stdin EOF (stdio), SIGTERM or SIGINT. Closing it cancels the running tasks, whose
cleanup kills their commands and removes their containers. uvloop runs the event loop where it
is installed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Generator
from contextlib import contextmanager

import anyio
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

from terminus_mcp.server.app import AppState, build_server, open_state
from terminus_mcp.server.auth import http_auth, is_loopback
from terminus_mcp.settings import Settings

logger = logging.getLogger(__name__)

_GRACEFUL_SHUTDOWN_S = 5
_RELEASE_TIMEOUT_S = 60.0
_STDIN_GRACE_S = 0.5


def configure_logging(level: str) -> None:
    """Send all logging to stderr (stdout is the protocol stream in stdio mode)."""
    root = logging.getLogger()
    if not any(getattr(h, "_terminus", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._terminus = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "docker", "urllib3", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection, always on: only this server's own Host names are accepted."""
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    if not is_loopback(settings.host) and settings.host not in ("0.0.0.0", "::"):
        name = f"[{settings.host}]" if ":" in settings.host else settings.host
        hosts.append(f"{name}:*")
    origins = [f"http://{h}" for h in hosts] + [f"https://{h}" for h in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_app(server: MCPServer[AppState], settings: Settings) -> Starlette:
    """The ASGI app of the SSE or streamable HTTP transport."""
    security = transport_security(settings)
    if settings.transport == "sse":
        return server.sse_app(transport_security=security, host=settings.host)
    return server.streamable_http_app(
        transport_security=security, host=settings.host, streamable_http_path="/mcp"
    )


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: :func:`serve_async` owns the signals."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _watch_signals(
    scope: anyio.CancelScope, http: _Uvicorn | None, released: anyio.Event
) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            logger.info("received %s; shutting down", signal.Signals(signum).name)
            if http is not None and not http.should_exit:
                http.should_exit = True  # graceful: stop accepting, finish open responses
                continue
            scope.cancel()
            if http is None:
                await _exit_when_released(released)
            return


async def _exit_when_released(released: anyio.Event) -> None:
    """Leave a stdio server whose stdin reader cannot be interrupted.

    The SDK reads stdin in a worker thread that only returns on a line or EOF, so after a
    signal the transport may never finish while the client keeps the pipe open. The state
    (tasks, sandboxes) is released in the server's lifespan before that point; once it is,
    exit without waiting for the thread.
    """
    with anyio.CancelScope(shield=True):
        with anyio.move_on_after(_RELEASE_TIMEOUT_S):
            await released.wait()
        await anyio.sleep(_STDIN_GRACE_S)  # a reader that got EOF ends on its own by now
        logger.info("server stopped; all tasks and sandboxes released")
        logging.shutdown()
        os._exit(0)


async def serve_async(settings: Settings) -> None:
    """Serve until stdin closes (stdio) or SIGTERM/SIGINT; release everything on the way out.

    Raises:
        ConfigError: a non-loopback HTTP bind without an auth token, or a bad token file.
    """
    if settings.transport == "stdio":
        await _serve_stdio(settings)
    else:
        await _serve_http(settings)
    logger.info("server stopped; all tasks and sandboxes released")


async def _serve_stdio(settings: Settings) -> None:
    # The lifespan owns the state here, so it is released before the stdin reader is awaited.
    released = anyio.Event()
    server = build_server(settings, on_state_closed=released.set)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_signals, tg.cancel_scope, None, released)
        await server.run_stdio_async()
        tg.cancel_scope.cancel()


async def _serve_http(settings: Settings) -> None:
    # One state for the process: the SSE transport enters the lifespan once per connection.
    http_auth(settings)  # refuse a non-loopback bind without a token before opening anything
    async with open_state(settings) as state, anyio.create_task_group() as tg:
        server = build_server(settings, state=state, with_http_auth=True)
        config = uvicorn.Config(
            http_app(server, settings),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            log_config=None,
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
            lifespan="on",
        )
        uv = _Uvicorn(config)
        tg.start_soon(_watch_signals, tg.cancel_scope, uv, anyio.Event())
        logger.info("serving %s on http://%s:%d", settings.transport, settings.host, settings.port)
        await uv.serve()
        tg.cancel_scope.cancel()


def serve(settings: Settings) -> None:
    """Blocking entry point of ``terminus-mcp serve``."""
    configure_logging(settings.log_level)
    try:
        import uvloop  # noqa: F401
    except ImportError:
        backend_options = {}
    else:
        backend_options = {"use_uvloop": True}
    anyio.run(
        lambda: serve_async(settings),
        backend="asyncio",
        backend_options=backend_options,
    )
