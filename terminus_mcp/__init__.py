"""terminus-mcp: delegate noisy terminal work to a small model in a hardened container.

The package does nothing at import time. Entry points: the ``terminus-mcp`` CLI
(:mod:`terminus_mcp.cli.main`), the MCP server (:mod:`terminus_mcp.server`), and the Python API
(:class:`terminus_mcp.service.TerminusService`).
"""

__version__ = "0.1.0"
