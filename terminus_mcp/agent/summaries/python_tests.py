"""Digest of pytest output: the counts line, and each failing test with its location and the
``E`` lines of its error. A run stopped before its final count (killed by ``timeout``, a
crash) is digested from its progress lines instead: the test that was running when it stopped,
and the results reported until then."""

from __future__ import annotations

import re
from collections import Counter

from terminus_mcp.agent.summaries.base import Digest, capped, clip

_COUNTS = re.compile(
    r"^=*\s*((?:\d+ (?:failed|passed|skipped|deselected|xfailed|xpassed|warnings?|errors?),?\s*)+"
    r"(?:in [\d.]+s(?: \([^)]*\))?)?)\s*=*$"
)
_NO_TESTS = re.compile(r"^=+ no tests ran in [\d.]+s =+$")
_SESSION = "test session starts"
_SUMMARY_ITEM = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
_LOCATION = re.compile(r"^(\S+?\.py):(\d+): ?(.*)$")
_VERBOSE = re.compile(r"^(?P<id>\S+\.py::\S+)(?P<rest>.*)$")
_VERBOSE_RESULT = re.compile(r"\b(?P<verdict>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
_PROGRESS_FILE = re.compile(r"^(?P<file>\S+\.py)(?: [.FEsxX]*)?\s*(?P<percent>\[\s*\d+%\])?$")
_PART = re.compile(r"^=+ (FAILURES|ERRORS|short test summary info|warnings summary) =+$")

MAX_TESTS = 20
E_LINES = 3


def _sections(lines: list[str]) -> dict[str, list[str]]:
    """Failure and error sections by their header name (``test_x``, ``TestA.test_b``)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_part = False
    for line in lines:
        part = _PART.match(line)
        if part:
            in_part = part.group(1) in ("FAILURES", "ERRORS")
            current = None
            continue
        if line.startswith("=") and line.endswith("="):
            in_part = False
            current = None
            continue
        if not in_part:
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1), [])
        elif current is not None:
            current.append(line)
    return sections


def _section_for(test_id: str, sections: dict[str, list[str]]) -> list[str] | None:
    if test_id in sections:
        return sections[test_id]
    dotted = test_id.split("::", 1)[-1].replace("::", ".")
    for name, body in sections.items():
        short = name.removeprefix("ERROR at setup of ").removeprefix("ERROR at teardown of ")
        short = short.removeprefix("ERROR collecting ")
        if short == dotted or test_id.endswith(short) or short.endswith(test_id):
            return body
    return None


def _error_text(body: list[str], fallback: str | None) -> tuple[str, str]:
    """(location, error text) from a section: the last ``file.py:N`` line and its ``E`` lines."""
    location = ""
    for line in reversed(body):
        found = _LOCATION.match(line)
        if found:
            location = f"{found.group(1)}:{found.group(2)}"
            break
    errors = [line[1:].strip() for line in body if line.startswith("E ")]
    errors = [e for e in errors if e][:E_LINES]
    if not errors and fallback:
        errors = [fallback]
    return location, " | ".join(errors)


def _verbose_progress(lines: list[str]) -> tuple[list[tuple[str, str]], str | None]:
    """(test id, verdict) of each test ``-v`` reported, and the test that started last and has
    no verdict yet (``None`` when there is none). With ``-s`` a test's prints come between its
    name and its verdict, so the verdict may be on a later line."""
    results = []
    pending: str | None = None
    for line in lines:
        text = line
        verbose = _VERBOSE.match(line.strip())
        if verbose:
            pending, text = verbose.group("id"), verbose.group("rest")
        verdict = _VERBOSE_RESULT.search(text) if pending else None
        if pending and verdict:
            results.append((pending, verdict.group("verdict")))
            pending = None
    return results, pending


def _running_file(lines: list[str]) -> str | None:
    """Without ``-v``: the test file whose progress line has no percentage yet."""
    for line in reversed(lines):
        progress = _PROGRESS_FILE.match(line.strip())
        if progress:
            return None if progress.group("percent") else progress.group("file")
    return None


def _final_counts(lines: list[str]) -> str:
    """The final counts line (``1 failed, 2 passed in 0.03s``), or ``""`` when there is none."""
    for line in reversed(lines[-30:]):
        found = _COUNTS.match(line.strip())
        if found and ("passed" in line or "failed" in line or "error" in line):
            return found.group(1).strip()
        if _NO_TESTS.match(line.strip()):
            return "no tests ran"
    return ""


def _summary_failures(lines: list[str]) -> list[str]:
    """Each ``FAILED``/``ERROR`` line of the short summary, with its location and ``E`` lines."""
    sections = _sections(lines)
    details = []
    for line in lines:
        item = _SUMMARY_ITEM.match(line.strip())
        if not item:
            continue
        kind, test_id, message = item.groups()
        body = _section_for(test_id, sections)
        location, error = _error_text(body or [], message)
        label = test_id if kind == "FAILED" else f"{test_id} (error)"
        text = f"- {label}"
        if location and location not in test_id:
            text += f" at {location}"
        if error:
            text += f": {error}"
        details.append(clip(text, 400))
    if not details:
        # No short summary (-rN or --tb=no): fall back to section names.
        details = [f"- {name}" for name in sections]
    return details


def _stopped_digest(lines: list[str], failures: list[str]) -> Digest:
    """A run without a final count: the verdicts printed so far, the failures, and the test
    (or, without ``-v``, the file) that was running when it stopped."""
    results, running = _verbose_progress(lines)
    verdicts = Counter(verdict.lower() for _, verdict in results)
    headline = "pytest stopped before its final count"
    if verdicts:
        headline += " (" + ", ".join(f"{n} {v}" for v, n in verdicts.items()) + " so far)"
    if not failures:
        failures = [
            f"- {test_id}" if verdict == "FAILED" else f"- {test_id} (error)"
            for test_id, verdict in results
            if verdict in ("FAILED", "ERROR")
        ]
    details = capped(failures, MAX_TESTS, "failing tests")
    if running is None and not results:
        running = _running_file(lines)
    if running:
        details.append(f"Running when stopped (no result): {running}")
    return Digest(headline=headline, details=details)


def digest_pytest(output: str) -> Digest | None:
    lines = output.splitlines()
    has_session = any(_SESSION in line for line in lines[:50]) or any(
        _PART.match(line) for line in lines
    )
    counts = _final_counts(lines)
    # Without pytest's header or sections, a bare counts line must carry pytest's timing
    # ("... in 0.42s"): javac's "2 errors" or a C harness's "63 passed, 1 failed" are not pytest.
    if not has_session and " in " not in counts:
        return None
    if not counts:
        return _stopped_digest(lines, _summary_failures(lines))
    if "failed" not in counts and "error" not in counts:
        return Digest(headline=counts)
    failures = _summary_failures(lines)
    return Digest(headline=counts, details=capped(failures, MAX_TESTS, "failing tests"))
