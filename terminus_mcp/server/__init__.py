"""The MCP server: ``run_terminal_task`` and its companions over stdio, SSE and streamable HTTP.

:func:`build_server` gives the server object (for in-process clients and embedding);
:func:`serve` runs it as ``terminus-mcp serve`` does.
"""

from terminus_mcp.server.app import AppState, Engine, build_server, open_state
from terminus_mcp.server.transports import serve, serve_async

__all__ = ["AppState", "Engine", "build_server", "open_state", "serve", "serve_async"]
