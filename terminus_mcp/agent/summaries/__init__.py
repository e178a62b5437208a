"""Compact digests of command output: counts, failing tests with their errors, compiler errors,
uncaught Node.js errors.

Used twice: by the direct mode, which writes its whole answer from them, and by the loop's
fallback, when a model ran commands but never wrote its final answer. Each digester recognises
its format from the output itself (not the command line, which may be a script or a make
target) and returns ``None`` when the output is not its kind; the generic digest always applies.
"""

from __future__ import annotations

from terminus_mcp.agent.summaries.base import Digest, clip
from terminus_mcp.agent.summaries.compilers import digest_compiler
from terminus_mcp.agent.summaries.generic import digest_generic
from terminus_mcp.agent.summaries.node_errors import digest_node_error
from terminus_mcp.agent.summaries.node_tests import digest_node_tests
from terminus_mcp.agent.summaries.python_tests import digest_pytest

__all__ = ["Digest", "clip", "digest", "status_phrase", "summary_text"]

_DIGESTERS = (digest_pytest, digest_node_tests, digest_compiler, digest_node_error)


def digest(output: str) -> Digest:
    """The most specific digest of ``output`` that applies."""
    for digester in _DIGESTERS:
        found = digester(output)
        if found is not None:
            return found
    return digest_generic(output)


def status_phrase(exit_code: int | None, *, timed_out: bool = False, timeout_ms: int = 0) -> str:
    if timed_out:
        return f"timed out after {timeout_ms} ms and was killed" if timeout_ms else "timed out"
    if exit_code is None:
        return "killed before it finished"
    return f"exit code {exit_code}"


def summary_text(
    output: str, exit_code: int | None, *, timed_out: bool = False, timeout_ms: int = 0
) -> str:
    """The ``Summary:`` text for one command: status, headline, then detail lines."""
    found = digest(output)
    head = status_phrase(exit_code, timed_out=timed_out, timeout_ms=timeout_ms)
    if found.headline:
        head += "; " + found.headline
    return "\n".join([head, *found.details])
