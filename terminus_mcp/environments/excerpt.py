"""The first real error in a failed setup step's output, for the answer.

Package managers print pages of progress before and after the line that matters; the first
line that reads like an error (and is not a warning) is what a reader needs, with a few lines
of context after it. A line that is only a marker (Maven's empty ``[ERROR]``, a bare
``npm ERR!``) says nothing: it is never chosen, neither as the error nor to open the excerpt.
"""

from __future__ import annotations

import re

_ERROR = re.compile(
    r"(^|[\s\[(])(error|ERROR|Error|ERR!|fatal|FATAL|Traceback|No matching distribution|"
    r"Could not|could not|cannot|Cannot|not found|failed|FAILED|E404|"
    r"ETIMEDOUT|ENOTFOUND|EAI_AGAIN|CERTIFICATE_VERIFY_FAILED|SSL)\b"
)
_NOISE = re.compile(
    r"^\s*(WARNING|warning|npm WARN|npm warn|notice)\b|^\s*\[(notice|WARNING|WARN|INFO)\]"
)
_MARKER = re.compile(
    r"^\s*(\[(ERROR|WARNING|WARN|INFO|DEBUG)\]|npm (ERR!|error|warn|WARN)|(ERROR|error)(:|\b))"
)
"""A line's leading level marker; a line with nothing after it carries no content."""
CONTEXT_LINES = 6
MAX_CHARS = 1500


def _has_content(line: str) -> bool:
    rest = line
    while (marker := _MARKER.match(rest)) is not None and marker.end() > 0:
        rest = rest[marker.end() :]
    return bool(rest.strip(" \t:-"))


def first_error(output: str) -> str:
    """The first error-like line of ``output`` and the lines after it; else its last lines.

    Lines that are empty or only a level marker are left out of the excerpt.
    """
    lines = [line.rstrip() for line in output.splitlines() if _has_content(line)]
    for index, line in enumerate(lines):
        if _ERROR.search(line) and not _NOISE.match(line):
            excerpt = "\n".join(lines[index : index + CONTEXT_LINES])
            return excerpt[:MAX_CHARS]
    return "\n".join(lines[-CONTEXT_LINES:])[-MAX_CHARS:]
