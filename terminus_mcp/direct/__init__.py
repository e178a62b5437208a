"""The direct mode: no model; rules pick the commands and digesters write the answer."""

from terminus_mcp.direct.backend import DIRECT_NOTE, DirectBackend

__all__ = ["DIRECT_NOTE", "DirectBackend"]
