"""Digest of a Node.js process that died on an uncaught error (a syntax error in a module it
imports, an exception nobody caught): each error with the file:line:col Node prints above it.

Node writes the location first (``file:///app/src/a.mjs:1`` for ES modules, ``/app/a.js:12``
for CommonJS), then the source line, a caret under the column, a blank line, and only then
``SyntaxError: ...`` with its stack. The location is the one line that names the broken file,
and it sits away from the error line, so a digest of error-looking lines would lose it.
"""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import Digest, capped, clip, dedupe, workspace_relative

_LOCATION = re.compile(r"^(?:file://)?(?P<path>\S+\.(?:[cm]?[jt]s|[jt]sx)):(?P<line>\d+)$")
_CARET = re.compile(r"^(?P<indent>\s*)\^+\s*$")

CARET_WINDOW = 4
"""Lines after the location searched for the caret (Node prints one source line between)."""
MAX_ERRORS = 5


def _error_at(lines: list[str], index: int) -> str | None:
    """``- path:line:col: Error: message`` for a location at ``lines[index]``, or ``None`` when
    the lines after it are not Node's source line, caret and error."""
    location = _LOCATION.match(lines[index].strip())
    if not location:
        return None
    following = lines[index + 1 : index + 1 + CARET_WINDOW]
    carets = [(i, found) for i, line in enumerate(following) if (found := _CARET.match(line))]
    if not carets:
        return None
    caret_at, caret = carets[0]
    column = len(caret.group("indent")) + 1
    after = lines[index + 2 + caret_at : index + 5 + caret_at]
    error = next((line.strip() for line in after if line.strip()), None)
    if error is None:
        return None
    path = workspace_relative(location.group("path"))
    return clip(f"- {path}:{location.group('line')}:{column}: {error}")


def digest_node_error(output: str) -> Digest | None:
    lines = output.splitlines()
    errors = dedupe([found for i in range(len(lines)) if (found := _error_at(lines, i))])
    if not errors:
        return None
    headline = "stopped on an uncaught error"
    if len(errors) > 1:
        headline = f"{len(errors)} uncaught errors"
    return Digest(headline=headline, details=capped(errors, MAX_ERRORS, "errors"))
