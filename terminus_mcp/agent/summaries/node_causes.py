"""Why a whole test file failed under a Node.js runner: the uncaught error (``Error: Cannot find
module '../src/format'``) Node printed while loading it, found by the file's name in the lines
after the error (its ``Require stack:`` or a stack frame)."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import workspace_relative

_ERROR = re.compile(r"^(?:#\s*)?(?P<error>(?:\w+\.)?\w*Error(?: \[\w+\])?: .+)$")
_FRAME_IN = re.compile(
    r"\(?(?P<path>(?:file://)?/?[\w./@-]+?\.[cm]?[jt]sx?):(?P<line>\d+):(?P<col>\d+)"
)
WINDOW = 16
"""Lines after an error searched for the file's name."""


def file_crash_cause(lines: list[str], test_file: str) -> tuple[str, str] | None:
    """(message, ``path:line:col`` in the file) of the error that stopped ``test_file`` from
    loading, or ``None`` when the output shows none."""
    wanted = workspace_relative(test_file)
    for index, line in enumerate(lines):
        found = _ERROR.match(line.strip())
        if not found:
            continue
        following = lines[index + 1 : index + 1 + WINDOW]
        if not any(
            wanted in workspace_relative(text.strip().lstrip("#- ").strip()) or wanted in text
            for text in following
        ):
            continue
        location = ""
        for follow in following:
            frame = _FRAME_IN.search(follow)
            if frame and workspace_relative(frame.group("path")) == wanted:
                location = f"{wanted}:{frame.group('line')}:{frame.group('col')}"
                break
        return found.group("error").strip(), location
    return None
