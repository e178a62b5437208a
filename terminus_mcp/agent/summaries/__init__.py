"""Compact digests of command output: counts, every failing test with its message and location,
the first real error of a failed build, linter findings.

Used twice: by the direct mode, which writes its whole answer from them, and by the loop's
fallback, when a model ran commands but never wrote its final answer. Each digester recognises
its format from the output itself (not the command line, which may be a script or a make
target) and returns ``None`` when the output is not its kind. Every digester that recognises
its format contributes, so a script that runs several suites one after another keeps the
failures of each; the generic digest applies when none does.

Formats: pytest (plain, ``-q``, ``-v``, xdist, stopped early, collection errors), unittest,
jest, vitest, mocha, ``node --test`` (spec and TAP), TAP 13/14 (node-tap, ``prove``), ``go
test``/``go build``/``go vet``, cargo (``test`` and ``build``), Maven Surefire and Gradle
consoles, JUnit XML reports, CTest (with Unity's failure lines), gcc/clang/ld/make, javac,
tsc, eslint, ruff, flake8, mypy, uncaught Node.js errors.

Bad input never raises: output is first cleaned (:mod:`.clean`: ANSI codes, carriage-return
progress bars, control characters, giant lines trimmed in the middle); binary output and a
digester that fails are reported in the digest, which falls back to the generic one.

Conventions of :attr:`Digest.details` (other code, such as answer grounding, reads them):

- A failing test: ``- NAME[ (error)][ at PATH:LINE[:COL]][: MESSAGE]``. The line starts with
  the test's name as its runner prints it (``tests/test_a.py::test_b``, ``slugify > joins words``,
  ``TestMiles``, ``tests::overwrites_oldest``, ``CartTest.totalAddsEveryPrice``); `` (error)``
  marks a test that broke rather than failed where the runner tells them apart; the location,
  when known, follows `` at ``; then the message, its lines joined with `` | ``. Where the error
  was raised elsewhere than the test's own line, the message ends ``(raised at PATH:LINE)``.
- A compiler or linter finding, or a file that could not load: ``- PATH:LINE[:COL]: KIND:
  MESSAGE`` where KIND is ``error``, ``warning``, a rule code (``F401``, ``no-undef``) or
  ``error[E0308]``. A linker error without a location: ``- linker: MESSAGE``.
- Paths are as the project sees them: relative to the working directory (``/workspace/`` and
  ``file:///workspace/`` are cut).
- ``- ... and N more WHAT`` ends a capped list.
- Other lines are labels or context and do not start with ``- ``: ``Warnings:``, a suite's
  heading (``pytest: 2 failed, 9 passed``) when several formats were found, ``Running when
  stopped (no result): NAME``, ``First error: ...`` (a build that failed before its tests),
  make's ``make: *** [Makefile:5: test] Error 1``, ``Note: ...``. The generic digest's lines
  are excerpts of the output as printed.
- No line appears twice. A run in which no test ran says ``no tests ran`` in its headline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from terminus_mcp.agent.summaries.base import Digest, clip, dedupe, project_paths
from terminus_mcp.agent.summaries.clean import clean
from terminus_mcp.agent.summaries.compilers import digest_compiler
from terminus_mcp.agent.summaries.ctest import digest_ctest
from terminus_mcp.agent.summaries.generic import digest_generic
from terminus_mcp.agent.summaries.go import digest_go
from terminus_mcp.agent.summaries.java_builds import digest_gradle, digest_maven
from terminus_mcp.agent.summaries.js_tests import digest_jest, digest_mocha, digest_vitest
from terminus_mcp.agent.summaries.junit_xml import digest_junit_xml
from terminus_mcp.agent.summaries.linters import (
    digest_eslint,
    digest_flake8,
    digest_mypy,
    digest_ruff,
)
from terminus_mcp.agent.summaries.node_errors import digest_node_error
from terminus_mcp.agent.summaries.node_tests import digest_node_spec
from terminus_mcp.agent.summaries.python_tests import digest_pytest
from terminus_mcp.agent.summaries.python_unittest import digest_unittest
from terminus_mcp.agent.summaries.rust import digest_cargo
from terminus_mcp.agent.summaries.tap import digest_prove, digest_tap

__all__ = ["Digest", "clip", "digest", "status_phrase", "summary_text"]

logger = logging.getLogger(__name__)

Digester = Callable[[str], Digest | None]

_DIGESTERS: tuple[Digester, ...] = (
    digest_pytest,
    digest_unittest,
    digest_jest,
    digest_vitest,
    digest_mocha,
    digest_node_spec,
    digest_prove,
    digest_tap,
    digest_go,
    digest_cargo,
    digest_maven,
    digest_gradle,
    digest_junit_xml,
    digest_ctest,
    digest_mypy,
    digest_ruff,
    digest_flake8,
    digest_eslint,
    digest_compiler,
    digest_node_error,
)
"""Most specific first: when two digests say the same thing, the earlier one is kept."""

_LOCATION_KEY = re.compile(r"(?:^- |\bat )([^\s:]+:\d+)")


def _new_lines(found: Digest, seen: set[str]) -> list[str]:
    """Detail lines of ``found`` whose location (``path:line``) no earlier digest named."""
    kept = []
    for line in found.details:
        key = _LOCATION_KEY.search(line)
        if key and key.group(1) in seen:
            continue
        kept.append(line)
    return kept


def _combined(found: list[Digest]) -> Digest:
    """One digest from several formats in one output: each under a heading with its counts.
    A digest that only repeats findings an earlier one made (mypy's lines are also gcc-style
    lines) is left out."""
    seen: set[str] = set()
    parts: list[tuple[Digest, list[str]]] = []
    for item in found:
        lines = _new_lines(item, seen)
        findings = [line for line in item.details if line.startswith("- ")]
        if parts and findings and not [line for line in lines if line.startswith("- ")]:
            continue
        for line in item.details:
            key = _LOCATION_KEY.search(line)
            if key:
                seen.add(key.group(1))
        parts.append((item, lines))
    if len(parts) == 1:
        return Digest(parts[0][0].headline, parts[0][1], parts[0][0].tool)
    headline = "; ".join(f"{item.tool}: {item.headline}" for item, _ in parts)
    details: list[str] = []
    for item, lines in parts:
        if lines:
            details.append(f"{item.tool}: {item.headline}")
            details.extend(lines)
    return Digest(headline=headline, details=details, tool=", ".join(i.tool for i, _ in parts))


_MAKE_ERROR = re.compile(r"^g?make(?:\[\d+\])?: \*\*\* .*$", re.M)
MAX_MAKE_ERRORS = 2


def _with_make_errors(found: Digest, text: str) -> Digest:
    """``found`` with make's ``*** [Makefile:5: test] Error 1`` lines, when make ran the tools:
    they say which target failed."""
    if "*** " not in text:
        return found
    lines = [clip(m.group(0)) for m in _MAKE_ERROR.finditer(text)]
    extra = [line for line in dedupe(lines) if line not in found.details][:MAX_MAKE_ERRORS]
    return Digest(found.headline, [*found.details, *extra], found.tool) if extra else found


_FINDING = re.compile(
    r"^- (?!\.\.\. and )(?P<name>.+?)(?: \(error\))?(?: at \S+)?: (?P<message>.+)$"
)
SAME_MESSAGE_GROUP = 3
"""Failures (or findings) with one message, from this many on, are shown once with the others'
names."""


def _same_message_once(details: list[str]) -> list[str]:
    """Each message that :data:`SAME_MESSAGE_GROUP` or more failing tests or findings share,
    shown once, then ``- ... and N more with the same message: NAME, ...`` (ten test modules
    that fail on one ImportError, fourteen ``no-var`` warnings)."""
    groups: dict[str, list[int]] = {}
    for index, line in enumerate(details):
        found = _FINDING.match(line)
        if found:
            groups.setdefault(found.group("message"), []).append(index)
    merged: dict[int, str] = {}
    dropped: set[int] = set()
    for indexes in groups.values():
        if len(indexes) < SAME_MESSAGE_GROUP:
            continue
        names = [m.group("name") for i in indexes[1:] if (m := _FINDING.match(details[i]))]
        merged[indexes[0]] = (
            f"- ... and {len(names)} more with the same message: {', '.join(names)}"
        )
        dropped.update(indexes[1:])
    kept = []
    for index, line in enumerate(details):
        if index in dropped:
            continue
        kept.append(line)
        if index in merged:
            kept.append(merged[index])
    return kept


def _finish(found: Digest) -> Digest:
    """Paths as the project sees them, no line twice, and a message many failures share
    once."""
    details = _same_message_once(dedupe([project_paths(line) for line in found.details]))
    return Digest(headline=project_paths(found.headline), details=details, tool=found.tool)


def digest(output: str, exit_code: int | None = None) -> Digest:
    """The digest of ``output``: every recognised format's, or the generic one (which, given
    ``exit_code`` 0 and no problem in the output, keeps only its verdict). Never raises."""
    cleaned = clean(output)
    if cleaned.binary:
        generic = digest_generic(cleaned.text, printable_only=True)
        note = (
            f"Note: the output is not text ({cleaned.non_text} control or undecodable "
            "characters in its first 8 KiB: binary data or another encoding); generic digest."
        )
        return _finish(Digest(f"binary output; {generic.headline}", [note, *generic.details]))
    found: list[Digest] = []
    failed: list[str] = []
    for digester in _DIGESTERS:
        try:
            result = digester(cleaned.text)
        except Exception:  # a digester's bug must not cost the answer
            logger.exception("digester %s failed", digester.__name__)
            failed.append(digester.__name__.removeprefix("digest_"))
            continue
        if result is not None:
            found.append(result)
    if found:
        return _finish(_with_make_errors(_combined(found), cleaned.text))
    generic = digest_generic(cleaned.text, exit_code=exit_code)
    if failed:
        note = f"Note: the {', '.join(failed)} digest failed on this output; generic digest."
        return _finish(Digest(generic.headline, [note, *generic.details]))
    return _finish(generic)


def status_phrase(exit_code: int | None, *, timed_out: bool = False, timeout_ms: int = 0) -> str:
    if timed_out:
        return f"timed out after {timeout_ms} ms and was killed" if timeout_ms else "timed out"
    if exit_code is None:
        return "killed before it finished"
    return f"exit code {exit_code}"


def summary_text(
    output: str, exit_code: int | None, *, timed_out: bool = False, timeout_ms: int = 0
) -> str:
    """The ``Summary:`` text for one command: status, headline, then detail lines; or, when
    that would be longer than the output itself, the output's non-blank lines (ANSI codes,
    progress bars and ``/workspace/`` prefixes removed)."""
    found = digest(output, None if timed_out else exit_code)
    head = status_phrase(exit_code, timed_out=timed_out, timeout_ms=timeout_ms)
    plain = _plain_lines(output)
    if plain and len("\n".join(plain)) < len("\n".join([found.headline, *found.details])):
        return "\n".join([f"{head}; output:", *plain])
    if found.headline:
        head += "; " + found.headline
    return "\n".join([head, *found.details])


def _plain_lines(output: str) -> list[str]:
    """The non-blank lines of a text output as the project sees them; ``[]`` for binary."""
    cleaned = clean(output)
    if cleaned.binary:
        return []
    return [project_paths(line.rstrip()) for line in cleaned.text.splitlines() if line.strip()]
