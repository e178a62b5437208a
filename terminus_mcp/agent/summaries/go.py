"""Digest of the go tool: ``go test`` (with or without ``-v``, one or many packages), and the
compile errors of ``go test``, ``go build`` and ``go vet``. Each failing test keeps its
``x_test.go:58: got ..., want ...`` lines, or its panic and the project frame it came from."""

from __future__ import annotations

import re

from terminus_mcp.agent.summaries.base import (
    Digest,
    capped,
    dedupe,
    diagnostic_line,
    failure_line,
    joined,
    plural,
)
from terminus_mcp.agent.summaries.base import workspace_relative as relative

_RESULT = re.compile(r"^\s*--- (?P<verdict>FAIL|PASS|SKIP): (?P<name>\S+) \([\d.]+s\)$")
_RUN = re.compile(r"^=== (?:RUN|CONT|PAUSE)\s+(?P<name>\S+)$")
_LOG = re.compile(r"^\s+(?P<file>[\w./-]+\.go):(?P<line>\d+): (?P<message>.*)$")
_PACKAGE = re.compile(
    r"^(?P<verdict>ok|FAIL|\?)\s+(?P<package>\S+)\s+(?P<rest>[\d.]+s|\(cached\)|\[[^\]]+\]).*$"
)
_BUILD_HEADER = re.compile(r"^# (?P<package>\S+)(?: \[.*\])?$")
_COMPILE = re.compile(r"^(?:vet: )?(?P<loc>\.?/?[\w./-]+\.go:\d+(?::\d+)?): (?P<message>.+)$")
_PANIC = re.compile(r"^panic: (?P<message>.+?)(?: \[recovered\])?$")
_FRAME = re.compile(r"^\s+(?P<path>/?\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")

MAX_TESTS = 20
MAX_ERRORS = 10
LOG_LINES = 3


def _panic(lines: list[str], start: int) -> tuple[str, str] | None:
    """(message, project frame) of a panic printed after a failing test's line."""
    for index in range(start, min(start + 4, len(lines))):
        if _RESULT.match(lines[index]):
            return None  # the next test's result: the panic, if any, is not this test's
        panic = _PANIC.match(lines[index])
        if not panic:
            continue
        for line in lines[index + 1 : index + 40]:
            frame = _FRAME.match(line)
            if frame:
                path = relative(frame.group("path"))
                if not path.startswith("/"):
                    return panic.group("message"), f"{path}:{frame.group('line')}"
            if _PACKAGE.match(line):
                break
        return panic.group("message"), ""
    return None


def _logs(lines: list[str], index: int, name: str, verbose: bool) -> list[tuple[str, str]]:
    """(``file:line``, message) of the test's log lines: after its ``--- FAIL`` line without
    ``-v``, between its ``=== RUN`` and ``--- FAIL`` lines with ``-v``."""
    after = []
    for line in lines[index + 1 :]:
        log = _LOG.match(line)
        if not log:
            break
        after.append(log)
    if not after and verbose:
        for line in reversed(lines[:index]):
            run = _RUN.match(line)
            if run and run.group("name") == name:
                break
            if _RESULT.match(line):
                break
            log = _LOG.match(line)
            if log:
                after.insert(0, log)
    return [(f"{m.group('file')}:{m.group('line')}", m.group("message").strip()) for m in after]


def _failures(lines: list[str]) -> list[str]:
    failures = []
    verbose = any(_RUN.match(line) for line in lines)
    for index, line in enumerate(lines):
        result = _RESULT.match(line)
        if not result or result.group("verdict") != "FAIL":
            continue
        name = result.group("name")
        if any(  # a parent whose subtest failed: the subtest is listed
            (sub := _RESULT.match(other)) and sub.group("name").startswith(name + "/")
            for other in lines[index + 1 : index + 50]
        ):
            continue
        logs = _logs(lines, index, name, verbose)
        panic = _panic(lines, index + 1)
        if panic:
            failures.append(failure_line(name, panic[1], f"panic: {panic[0]}"))
        elif logs:
            failures.append(failure_line(name, logs[0][0], joined([m for _, m in logs], LOG_LINES)))
        else:
            failures.append(failure_line(name))
    return failures


def _compile_errors(lines: list[str]) -> list[str]:
    errors = []
    in_build = False
    for line in lines:
        if _BUILD_HEADER.match(line):
            in_build = True
            continue
        found = _COMPILE.match(line) if in_build else None
        if found:
            errors.append(diagnostic_line(found.group("loc"), "error", found.group("message")))
        elif not line.startswith((" ", "\t")):
            in_build = bool(found)
    return dedupe(errors)


def digest_go(output: str) -> Digest | None:
    if "\t" not in output and "# " not in output:
        return None  # go separates a package's verdict from its name with a tab
    lines = output.splitlines()
    packages = [m for line in lines if (m := _PACKAGE.match(line))]
    errors = _compile_errors(lines)
    results = [m for line in lines if (m := _RESULT.match(line))]
    if not packages and not errors:
        return None
    if not packages and not any(_BUILD_HEADER.match(line) for line in lines):
        return None
    failures = _failures(lines)
    parts = []
    if packages:
        failed = [m.group("package") for m in packages if m.group("verdict") == "FAIL"]
        no_tests = sum(1 for m in packages if "no test files" in m.group("rest"))
        ok = sum(1 for m in packages if m.group("verdict") == "ok")
        broken = sum(1 for m in packages if "failed]" in m.group("rest"))
        if ok + len(failed) == 0 or (no_tests == len(packages)):
            parts.append("no tests ran")
        parts.append(f"{ok} ok, {len(failed)} FAIL of {plural(len(packages), 'package')}")
        if broken:
            parts.append(f"{broken} did not build")
        failed_tests = sum(1 for m in results if m.group("verdict") == "FAIL")
        if failed_tests:
            parts.append(f"{len(failures)} failing tests")
        if failed:
            parts.append("FAIL: " + ", ".join(failed))
    else:
        parts.append(f"build failed: {plural(len(errors), 'error')}")
    details = capped(errors, MAX_ERRORS, "errors") + capped(failures, MAX_TESTS, "failing tests")
    return Digest("; ".join(parts), details, tool="go")
