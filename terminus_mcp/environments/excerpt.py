"""The first real error in a failed setup step's output, for the answer.

Package managers print pages of progress before and after the line that matters; the first
line that reads like an error (and is not a warning) is what a reader needs, with a few lines
of context after it.
"""

from __future__ import annotations

import re

_ERROR = re.compile(
    r"(^|\s)(error|ERROR|Error|ERR!|fatal|FATAL|Traceback|No matching distribution|"
    r"Could not|could not|cannot|Cannot|not found|failed|FAILED|E404|ETIMEDOUT|ENOTFOUND|"
    r"EAI_AGAIN|CERTIFICATE_VERIFY_FAILED|SSL)\b"
)
_NOISE = re.compile(r"^\s*(WARNING|warning|npm WARN|npm warn|notice|\[notice\])\b")
CONTEXT_LINES = 6
MAX_CHARS = 1500


def first_error(output: str) -> str:
    """The first error-like line of ``output`` and the lines after it; else its last lines."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if _ERROR.search(line) and not _NOISE.match(line):
            excerpt = "\n".join(lines[index : index + CONTEXT_LINES])
            return excerpt[:MAX_CHARS]
    return "\n".join(lines[-CONTEXT_LINES:])[-MAX_CHARS:]
