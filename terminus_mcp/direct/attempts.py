"""Whether a chosen command could not do its step at all, so the next candidate should.

A project's own script can be stale (ms 2.1.3 publishes ``"lint": "eslint lib/* bin/*"`` but
no ``lib/``), a program can be missing, a make target or npm script can be gone. Such a run says
nothing about the project; the next command the evidence offers may. Only commands the rules
chose give way; a command the query names is the user's, and its failure is the answer.

A failure of the step itself (tests that fail, a build error, lint findings) is never a reason
to try another command.
"""

from __future__ import annotations

import re

from terminus_mcp.agent.observation import clean_output

_NOT_STARTED = {126: "it could not be executed", 127: "its program was not found"}
_SIGNS = (
    # ESLint's fatal error (a pattern that matches no file, a broken configuration): exit 2.
    re.compile(
        r"^Oops! Something went wrong! :\(\s*\n(?:\s*\n)*ESLint: \S+\s*\n+(?P<why>.+)$", re.M
    ),
    re.compile(r"^npm (?:ERR!|error) (?P<why>Missing script: .+)$", re.M),
    re.compile(r"^g?make(?:\[\d+\])?: \*\*\* (?P<why>No rule to make target .+)$", re.M),
    # pytest's usage errors (exit 4): unknown options, a path that does not exist.
    re.compile(r"^(?:pytest|__main__\.py): error: (?P<why>.+)$", re.M),
    re.compile(r"^ERROR: (?P<why>file or directory not found: .+)$", re.M),
)


def gave_way(output: str, exit_code: int | None) -> str | None:
    """Why the run could not do its step at all (one line), or ``None`` when it ran."""
    if exit_code is None or exit_code == 0:
        return None
    text = clean_output(output)
    for sign in _SIGNS:
        found = sign.search(text)
        if found:
            return found.group("why").strip()
    if exit_code in _NOT_STARTED:
        last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
        return f"{_NOT_STARTED[exit_code]}" + (f" ({last})" if last else "")
    return None
