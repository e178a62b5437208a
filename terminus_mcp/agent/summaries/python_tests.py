"""Digest of pytest output: the counts line, and each failing test with its location and the
``E`` lines of its error. Several sessions in one output (a script running pytest per folder)
are digested one by one. A session stopped early says why (``-x``, a ``KeyboardInterrupt``,
errors during collection); one killed before its final count (by ``timeout``, a crash) is
digested from its progress lines instead: the test running when it stopped, and the results
reported until then."""

from __future__ import annotations

import re
from collections import Counter

from terminus_mcp.agent.summaries.base import (
    Digest,
    capped,
    failure_line,
    joined,
    workspace_relative,
)

_COUNT_WORDS = r"failed|passed|skipped|deselected|xfailed|xpassed|warnings?|errors?|rerun"
_COUNTS = re.compile(
    rf"^=*\s*((?:\d+ (?:{_COUNT_WORDS}),?\s*)+(?:in [\d.]+s(?: \([^)]*\))?)?)\s*=*$"
)
_NO_TESTS = re.compile(r"^=*\s*no tests ran(?: in [\d.]+s(?: \([^)]*\))?)?\s*=*$")
_SESSION = "test session starts"
_SUMMARY_ITEM = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
_LOCATION = re.compile(r"^(\S+?\.py):(\d+): ?(.*)$")
_VERBOSE = re.compile(r"^(?P<id>\S+\.py::\S+)(?P<rest>.*)$")
_VERBOSE_RESULT = re.compile(r"\b(?P<verdict>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
_XDIST_RESULT = re.compile(
    r"^\[gw\d+\] \[\s*\d+%\] (?P<verdict>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (?P<id>\S+)"
)
_PROGRESS_FILE = re.compile(r"^(?P<file>\S+\.py)(?: [.FEsxX]*)?\s*(?P<percent>\[\s*\d+%\])?$")
_PART = re.compile(r"^=+ (FAILURES|ERRORS|short test summary info|warnings summary) =+$")
_STOPPED_AFTER = re.compile(r"^!+ (stopping after \d+ failures?) !+$")
_INTERRUPTED = re.compile(r"^!+ (Interrupted: .+?|KeyboardInterrupt) !+$")
_INTERRUPT_AT = re.compile(r"^(\S+\.py):(\d+): KeyboardInterrupt$")
_RAN = ("passed", "failed", "error", "xfailed", "xpassed")

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
        short = short.removeprefix("ERROR collecting ").removeprefix("[doctest] ")
        if short in (dotted, test_id) or test_id.endswith(short) or short.endswith(test_id):
            return body
    return None


def _project_location(line: str) -> str | None:
    """``path:line`` of a traceback line inside the project (absolute paths elsewhere, such
    as the standard library, are not the project's)."""
    found = _LOCATION.match(line)
    if not found:
        return None
    path = workspace_relative(found.group(1))
    if path.startswith("/"):
        return None
    return f"{path}:{found.group(2)}"


_DOCTEST_EXAMPLE = re.compile(r"^\d+ (>>> .*)$")


def _doctest_failure(body: list[str]) -> list[str]:
    """A doctest's failing example and what it expected and got (or its unexpected
    exception), from pytest's ``[doctest]`` section."""
    examples = [found.group(1) for line in body if (found := _DOCTEST_EXAMPLE.match(line))]
    for index, line in enumerate(body):
        if line == "Expected:" or line.startswith("UNEXPECTED EXCEPTION:"):
            if line.startswith("UNEXPECTED"):
                return [*examples[-1:], line]
            rest: list[str] = []  # "Expected: VALUE", "Got: VALUE", each on one line
            for following in body[index:]:
                if not following.strip() or _LOCATION.match(following):
                    break
                if following in ("Expected:", "Got:") or not rest:
                    rest.append(following)
                else:
                    rest[-1] += " " + following.strip()
            return [*examples[-1:], *rest]
    return []


def _error_text(test_id: str, body: list[str], fallback: str) -> tuple[str, str]:
    """(location, error text) from a section: the test file's line, the ``E`` lines, and where
    the error was raised when that is elsewhere."""
    locations = [found for line in body if (found := _project_location(line))]
    test_file = test_id.split("::", 1)[0]
    in_test = [loc for loc in locations if loc.rsplit(":", 1)[0] == test_file]
    location = in_test[-1] if in_test else (locations[-1] if locations else "")
    errors = [line[1:].strip() for line in body if line.startswith("E ")]
    message = joined(errors or _doctest_failure(body), E_LINES) or fallback
    if locations and locations[-1] != location:
        message += f" (raised at {locations[-1]})"
    return location, message


def _verbose_progress(lines: list[str]) -> tuple[list[tuple[str, str]], str | None]:
    """(test id, verdict) of each test ``-v`` reported, and the test that started last and has
    no verdict yet (``None`` when there is none). With ``-s`` a test's prints come between its
    name and its verdict, so the verdict may be on a later line. xdist reports each result on
    one line (``[gw0] [ 50%] FAILED tests/a.py::t``)."""
    results = []
    pending: str | None = None
    for line in lines:
        xdist = _XDIST_RESULT.match(line.strip())
        if xdist:
            results.append((xdist.group("id"), xdist.group("verdict")))
            continue
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


def _counts_of(line: str) -> str | None:
    """The counts of a final counts line (``1 failed, 2 passed in 0.03s``), or ``None``."""
    stripped = line.strip()
    if _NO_TESTS.match(stripped):
        return stripped.strip("= ")
    found = _COUNTS.match(stripped)
    if found and any(word in stripped for word in (*_RAN, "skipped", "deselected")):
        return found.group(1).strip()
    return None


def _summary_failures(lines: list[str]) -> list[str]:
    """Each ``FAILED``/``ERROR`` line of the short summary, with its location and ``E`` lines."""
    sections = _sections(lines)
    details = []
    for line in lines:
        item = _SUMMARY_ITEM.match(line.strip())
        if not item:
            continue
        kind, test_id, message = item.groups()
        body = _section_for(test_id, sections) or []
        location, error = _error_text(test_id, body, message or "")
        if location == test_id:
            location = ""
        details.append(failure_line(test_id, location, error, error=kind == "ERROR"))
    if not details:
        # No short summary (-rN or --tb=no): fall back to section names.
        details = [failure_line(name) for name in sections]
    return details


def _stop_reason(lines: list[str]) -> str:
    """Why pytest stopped before running everything, or ``""``."""
    for line in lines:
        stopped = _STOPPED_AFTER.match(line.strip())
        if stopped:
            return stopped.group(1)
        interrupted = _INTERRUPTED.match(line.strip())
        if interrupted:
            reason = interrupted.group(1)
            if reason == "KeyboardInterrupt":
                where = next((m for raw in lines if (m := _INTERRUPT_AT.match(raw.strip()))), None)
                if where:
                    path = workspace_relative(where.group(1))
                    reason += f" at {path}:{where.group(2)}"
            return "interrupted: " + reason.removeprefix("Interrupted: ")
    return ""


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
            failure_line(test_id, error=verdict == "ERROR")
            for test_id, verdict in results
            if verdict in ("FAILED", "ERROR")
        ]
    details = capped(failures, MAX_TESTS, "failing tests")
    if running is None and not results:
        running = _running_file(lines)
    if running:
        details.append(f"Running when stopped (no result): {running}")
    return Digest(headline=headline, details=details, tool="pytest")


def _session_digest(lines: list[str], counts: str) -> Digest:
    """One finished session: its counts, why it stopped early, its failures."""
    headline = counts
    if not any(word in counts for word in _RAN) and not counts.startswith("no tests ran"):
        headline = f"no tests ran ({counts})"
    reason = _stop_reason(lines)
    if reason:
        headline += f"; {reason}"
    if "failed" not in counts and "error" not in counts:
        return Digest(headline=headline, tool="pytest")
    failures = _summary_failures(lines)
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="pytest")


def _sessions(lines: list[str]) -> list[tuple[list[str], str | None]]:
    """The output cut into sessions, each ending with its counts line (``None`` for a last
    session that never printed one)."""
    sessions: list[tuple[list[str], str | None]] = []
    start = 0
    for index, line in enumerate(lines):
        if (
            _SESSION in line
            and index > start
            and any(_SESSION in earlier for earlier in lines[start:index])
        ):
            sessions.append((lines[start:index], None))
            start = index
        counts = _counts_of(line) if "in " in line or "no tests ran" in line else None
        if counts is not None:
            sessions.append((lines[start : index + 1], counts))
            start = index + 1
    rest = lines[start:]
    if any(_SESSION in line for line in rest) or _verbose_progress(rest)[0]:
        sessions.append((rest, None))
    return sessions


def _is_pytest(lines: list[str], counts: str | None) -> bool:
    """pytest's header or sections, or a counts line carrying pytest's timing ("... in 0.42s"):
    javac's "2 errors" or a C harness's "63 passed, 1 failed" are not pytest."""
    if any(_SESSION in line for line in lines[:50]) or any(_PART.match(line) for line in lines):
        return True
    return counts is not None and " in " in counts


def digest_pytest(output: str) -> Digest | None:
    lines = output.splitlines()
    digests = []
    for session, counts in _sessions(lines):
        if not _is_pytest(session, counts):
            continue
        if counts is None:
            digests.append(_stopped_digest(session, _summary_failures(session)))
        else:
            digests.append(_session_digest(session, counts))
    if not digests:
        return None
    if len(digests) == 1:
        return digests[0]
    headline = " | ".join(f"session {i}: {d.headline}" for i, d in enumerate(digests, 1))
    details = [line for d in digests for line in d.details]
    return Digest(headline, capped(details, MAX_TESTS, "failing tests"), tool="pytest")
