"""Grounding: a model's final answer checked against the output of the commands that ran.

Small models drop failing tests, round counts and invent locations. After the model's
``<final_answer>``, two checks run on the commands' real output:

- **Omissions.** The output digests (:mod:`terminus_mcp.agent.summaries`) list failing tests,
  errors and ``file:line`` locations. A digest line stating such a failure that the answer does
  not mention (by test name, location or wording) is appended under "Also in the output", with
  the counts when the answer has none of them, so the answer is never poorer than the
  rule-based digest.
- **Unsupported claims.** Test names, file paths, ``file:line`` locations, counts ("3 failed")
  and exit codes that the answer states but no output contains are flagged, and so are claims
  of success next to a command that failed, and template text copied instead of filled in.

The checks are lexical and conservative: a fact counts as mentioned when a name, a location or
most of a line's words appear in the answer, and a claim counts as supported when the same
token appears in some output. Nothing is removed from the model's answer; what grounding adds
and flags is reported in :class:`GroundingReport` and appended after the block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from pydantic import BaseModel, Field

from terminus_mcp.agent.fallback import CommandRun
from terminus_mcp.agent.observation import clean_output
from terminus_mcp.agent.summaries import digest

MAX_ADDED = 12
"""Digest lines appended at most; the rest are counted."""

ADDED_HEADER = "Also in the output (added by grounding):"
FLAGGED_HEADER = "Not supported by the output (flagged by grounding):"

_WORKSPACE = "/workspace/"
LONG_LINE = 4000
"""Lines longer than this are searched by their first and last halves of it only: patterns
over megabyte-long lines (minified code, progress dumps) would take seconds."""

_EXT = r"[A-Za-z][A-Za-z0-9]{0,7}"
_PATH = rf"(?:[\w.-]{{1,100}}/){{0,16}}[\w.-]{{1,100}}\.{_EXT}"
_LOCATION = re.compile(rf"({_PATH}):(\d+)")
_TRACEBACK_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')
_PAREN_LOCATION = re.compile(rf"({_PATH})\((\d+)(?:,\d+)?\)")
_NODE_ID = re.compile(rf"{_PATH}(?:::[\w\[\].,/=+-]+)+")
_TEST_NAME = re.compile(r"\b(?:test_\w+|Test\w*[A-Z_]\w*|\w+_test|\w+Test(?:s|Case)?)\b")
_SOURCE_FILE = re.compile(rf"(?<![\w/.-])({_PATH})(?![\w/-])")
_SOURCE_EXTS = frozenset(
    [
        "py",
        "js",
        "mjs",
        "cjs",
        "ts",
        "tsx",
        "jsx",
        "c",
        "h",
        "cc",
        "cpp",
        "cxx",
        "hpp",
        "java",
        "kt",
        "go",
        "rs",
        "rb",
        "php",
        "cs",
        "scala",
        "swift",
    ]
)
_COUNT = re.compile(
    r"\b(\d+)\s+(tests?|failed|failures?|failing|fail|passed|passing|pass|errors?|skipped|"
    r"warnings?)\b",
    re.IGNORECASE,
)
_EXIT_CLAIM = re.compile(r"\bexit(?:ed)?(?:\s+(?:with\s+)?(?:status|code))?\s+(\d+)\b", re.I)
_SUCCESS_CLAIM = re.compile(
    r"\b(all (?:\d+ )?tests? (?:have )?passed|all tests pass|build succeeded|succeeded|"
    r"completed successfully|passed successfully|no (?:errors|failures))\b",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"<(?:the command you ran|exit status|the counts it printed|each failing test[^>]*)>"
)
_WORD = re.compile(r"[A-Za-z_][\w.-]{3,}")
_NAMED_FAILURE = re.compile(rf"^(.{{3,200}}?) (?:\(\w+\) )?at (?:[\w./-]*/)?{_PATH}:\d+")
_COMMAND_LINE = re.compile(r"^\s*Command:\s*(.+?)\s*$", re.MULTILINE)
_FAILURE_WORDS = re.compile(
    r"\b(?:error|fail\w*|fatal|exception|traceback|panic\w*|assert\w*|undefined|undeclared|"
    r"cannot|can't|unable|not found|no such file|segmentation fault|denied|refused|timed? ?out)\b",
    re.IGNORECASE,
)
_STEMS = {
    "test": "test",
    "tests": "test",
    "failed": "fail",
    "failure": "fail",
    "failures": "fail",
    "failing": "fail",
    "fail": "fail",
    "passed": "pass",
    "passing": "pass",
    "pass": "pass",
    "error": "error",
    "errors": "error",
    "skipped": "skip",
    "warning": "warn",
    "warnings": "warn",
}


class GroundingReport(BaseModel):
    """What grounding changed about an answer."""

    added: list[str] = Field(default_factory=list)
    """Digest lines the answer omitted, appended after it."""
    flagged: list[str] = Field(default_factory=list)
    """Claims of the answer that no output supports, each with the reason."""


@dataclass(frozen=True)
class Evidence:
    """Everything the commands printed, indexed for lookups."""

    text: str
    """All outputs and commands, cleaned, with the workspace prefix removed."""
    locations: frozenset[tuple[str, int]]
    """(file name, line) pairs found in the outputs."""
    exit_codes: frozenset[int]
    commands: tuple[str, ...]
    last_failure: tuple[str, int] | None = None
    """(command, exit code) of the last run, when it exited non-zero or was killed (-1)."""

    @classmethod
    def of(cls, runs: Sequence[CommandRun]) -> Evidence:
        parts: list[str] = []
        codes: set[int] = set()
        for run in runs:
            parts.append(run.command)
            parts.append(_searchable(clean_output(run.result.output).replace(_WORKSPACE, "")))
            if run.result.exit_code is not None:
                codes.add(run.result.exit_code)
        last = runs[-1]
        last_code = -1 if last.result.exit_code is None else last.result.exit_code
        text = "\n".join(parts)
        return cls(
            text=text,
            locations=frozenset(_locations(text)),
            exit_codes=frozenset(codes),
            commands=tuple(run.command for run in runs),
            last_failure=(last.command, last_code) if last_code != 0 else None,
        )

    def has_location(self, path: str, line: int) -> bool:
        name = PurePosixPath(path).name
        return (name, line) in self.locations

    def has_count(self, number: int, word: str) -> bool:
        """Whether some output prints ``number`` next to ``word`` (any form of it). "N tests"
        is also backed by N next to any outcome ("3 tests failed" against "3 failed")."""
        stem = _STEMS.get(word.lower(), word.lower())
        stems = "|".join(sorted(set(_STEMS.values()))) if stem == "test" else stem
        gap = r"[^\w\n]"  # on the same line: "0" ending one line and "pass" the next is no count
        near_after = rf"(?<![\d.]){number}\b{gap}{{0,3}}(?:\w+{gap}+){{0,2}}?(?:{stems})"
        # "failures=1", "# fail 1": the word starts a word ("AssertionError: -3" is no count of
        # errors) and a minus sign makes the number a value.
        near_before = rf"\b(?:{stems})\w*[^\w\n-]{{0,4}}{number}(?![\d.])"
        return bool(re.search(f"{near_after}|{near_before}", self.text, re.IGNORECASE))


def _searchable(text: str) -> str:
    """``text`` with each overlong line cut to its two ends (see :data:`LONG_LINE`)."""
    if len(text) <= LONG_LINE or all(len(line) <= LONG_LINE for line in text.split("\n")):
        return text
    half = LONG_LINE // 2
    return "\n".join(
        line if len(line) <= LONG_LINE else f"{line[:half]} ... {line[-half:]}"
        for line in text.split("\n")
    )


def _locations(text: str) -> Iterable[tuple[str, int]]:
    for pattern in (_LOCATION, _TRACEBACK_LOCATION, _PAREN_LOCATION):
        for match in pattern.finditer(text):
            yield PurePosixPath(match.group(1)).name, int(match.group(2))


def _fact_keys(line: str) -> list[str]:
    """The names and locations that identify the fact of a digest line."""
    keys = [_node_id(node).rsplit("::", 1)[-1] for node in _NODE_ID.findall(line)]
    keys += _TEST_NAME.findall(line)
    keys += [f"{PurePosixPath(p).name}:{n}" for p, n in _LOCATION.findall(line)]
    return keys


def _test_name(line: str) -> str | None:
    """The failing test a digest line names, in the digests' ``NAME at PATH:LINE`` form."""
    found = _NAMED_FAILURE.match(line)
    return found.group(1).strip() if found else None


def _node_id(text: str) -> str:
    """A node id without the sentence punctuation a prose answer puts after it."""
    return text.rstrip(".,;:")


def _is_fact(line: str) -> bool:
    """Whether a digest line states a failure worth keeping (a failing test, an error, a
    location), rather than context such as the last lines of a passing run's output."""
    return bool(_fact_keys(line)) or bool(_FAILURE_WORDS.search(line))


def _mentioned(line: str, answer: str) -> bool:
    """Whether the answer mentions the fact of one digest line: a failing test by its name (its
    location alone does not do: a model may pin the wrong test on the right line)."""
    name = _test_name(line)
    if name is not None and not _NODE_ID.fullmatch(name):
        return name.lower() in answer.lower()
    keys = _fact_keys(line)
    if keys:
        return any(key in answer for key in keys)
    words = {w.lower() for w in _WORD.findall(line)}
    if not words:
        return True
    lowered = answer.lower()
    found = sum(1 for w in words if w in lowered)
    return found / len(words) >= 0.6


def _omissions(answer: str, runs: Sequence[CommandRun]) -> list[str]:
    """Digest lines (counts first) that the answer leaves out."""
    missing: list[str] = []
    for run in runs:
        found = digest(run.result.output)
        counts = [(int(n), w) for n, w in _COUNT.findall(found.headline) if int(n) > 0]
        if counts and not any(re.search(rf"\b{n}\b", answer) for n, _ in counts):
            missing.append(f"`{run.command}`: {found.headline}")
        for line in found.details:
            text = line.strip().removeprefix("- ").strip()
            if _is_fact(text) and not text.startswith("...") and not _mentioned(text, answer):
                missing.append(text)
    unique = list(dict.fromkeys(missing))
    if len(unique) > MAX_ADDED:
        unique = [*unique[:MAX_ADDED], f"... and {len(unique) - MAX_ADDED} more"]
    return unique


def _unsupported(answer: str, evidence: Evidence) -> list[str]:
    """Claims of the answer that the evidence does not back, each worded with its reason."""
    flags: list[str] = []
    for placeholder in _PLACEHOLDER.findall(answer):
        flags.append(f"{placeholder} is template text, not a result")
    seen_locations: set[tuple[str, int]] = set()
    for path, line_text in _LOCATION.findall(answer):
        key = (PurePosixPath(path).name, int(line_text))
        if key not in seen_locations and not evidence.has_location(path, int(line_text)):
            flags.append(f"`{path}:{line_text}` appears in no output")
        seen_locations.add(key)
    for node in dict.fromkeys(_node_id(n) for n in _NODE_ID.findall(answer)):
        last = node.rsplit("::", 1)[-1]
        if node not in evidence.text and last not in evidence.text:
            flags.append(f"`{node}` appears in no output")
    for name in dict.fromkeys(_TEST_NAME.findall(answer)):
        if name not in evidence.text:
            flags.append(f"`{name}` appears in no output")
    for path in dict.fromkeys(_SOURCE_FILE.findall(_LOCATION.sub("", answer))):
        ext = path.rsplit(".", 1)[-1]
        if ext in _SOURCE_EXTS and PurePosixPath(path).name not in evidence.text:
            flags.append(f"`{path}` appears in no output")
    for number_text, word in _COUNT.findall(answer):
        number = int(number_text)
        stem = _STEMS.get(word.lower(), word.lower())
        if number == 0 and stem in ("fail", "error") and evidence.last_failure is not None:
            command, code = evidence.last_failure
            flags.append(f'"0 {word}", but `{command}` exited {code}')
            continue
        if not evidence.has_count(number, word):
            flags.append(f'"{number} {word}" appears in no output')
    for code_text in dict.fromkeys(_EXIT_CLAIM.findall(answer)):
        if int(code_text) not in evidence.exit_codes:
            codes = ", ".join(str(c) for c in sorted(evidence.exit_codes)) or "none"
            flags.append(f"exit code {code_text} is not one the commands returned ({codes})")
    ran = [" ".join(c.split()) for c in evidence.commands]
    for claimed in dict.fromkeys(_COMMAND_LINE.findall(answer)):
        shown = " ".join(claimed.strip("`").split())
        if shown and not any(shown == c or shown in c or c in shown for c in ran):
            flags.append(f"`{shown}` is not a command that ran")
    if evidence.last_failure is not None:
        command, code = evidence.last_failure
        for claim in dict.fromkeys(m.group(1) for m in _SUCCESS_CLAIM.finditer(answer)):
            flags.append(f'"{claim}", but `{command}` exited {code}')
    return list(dict.fromkeys(flags))


def ground(answer: str, runs: Sequence[CommandRun]) -> tuple[str, GroundingReport]:
    """Check ``answer`` against the runs' output; return the answer with what grounding added
    and flagged appended, and the report. With no runs there is nothing to check against."""
    if not runs:
        return answer, GroundingReport()
    plain = answer.replace(_WORKSPACE, "")
    report = GroundingReport(
        added=_omissions(plain, runs),
        flagged=_unsupported(plain, Evidence.of(runs)),
    )
    lines = [answer]
    if report.added:
        lines += [ADDED_HEADER, *(f"- {line}" for line in report.added)]
    if report.flagged:
        lines += [FLAGGED_HEADER, *(f"- {flag}" for flag in report.flagged)]
    return "\n".join(lines), report
