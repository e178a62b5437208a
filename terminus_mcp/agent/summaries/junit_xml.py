"""Digest of JUnit XML reports (Maven Surefire's ``target/surefire-reports/*.xml``, Gradle's
``build/test-results``, ``pytest --junitxml``, jest-junit, ``go-junit-report``...) when their
content is in the output (``cat report.xml``): the totals of every ``<testsuite>``, and each
``<testcase>`` with a ``<failure>`` or ``<error>``, its message and the location its text names.

Reports are parsed without resolving entities or document types (a report that declares any is
not read), so a hostile report cannot expand or fetch anything.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from terminus_mcp.agent.summaries.base import Digest, capped, failure_line, plural
from terminus_mcp.agent.summaries.base import workspace_relative as relative

_SUITES = re.compile(r"<testsuites\b.*?</testsuites>", re.S)
_SUITE = re.compile(r"<testsuite\b.*?</testsuite>|<testsuite\b[^>]*/>", re.S)
_PY_LOCATION = re.compile(r"^(?P<path>[^\s:]+\.py):(?P<line>\d+): ", re.M)
_JAVA_FRAME = re.compile(r"\bat [\w$.<>]+\((?P<file>[\w$]+\.\w+):(?P<line>\d+)\)")
_FILE_LINE = re.compile(r"(?P<path>[\w./-]+\.\w+):(?P<line>\d+)(?::(?P<col>\d+))?")

MAX_TESTS = 20


def _location(case: ET.Element, problem: ET.Element) -> str:
    text = problem.text or ""
    python = list(_PY_LOCATION.finditer(text))
    if python:
        return f"{relative(python[-1].group('path'))}:{python[-1].group('line')}"
    cls = (case.get("classname") or "").rsplit(".", 1)[-1]
    frames = list(_JAVA_FRAME.finditer(text))
    in_test = [m for m in frames if m.group("file").split(".")[0] == cls]
    frame = in_test[0] if in_test else (frames[0] if frames else None)
    if frame:
        return f"{frame.group('file')}:{frame.group('line')}"
    if case.get("file") and case.get("line"):
        return f"{relative(case.get('file', ''))}:{case.get('line')}"
    found = _FILE_LINE.search(text)
    return f"{relative(found.group('path'))}:{found.group('line')}" if found else ""


def _message(problem: ET.Element) -> str:
    message = problem.get("message") or ""
    text = (problem.text or "").strip()
    kind = problem.get("type") or ""
    if not message:
        message = text.splitlines()[0] if text else ""
    if kind and kind not in message:
        message = f"{kind}: {message}" if message else kind
    return message


def _suites(root: ET.Element) -> list[ET.Element]:
    return [root] if root.tag == "testsuite" else list(root.iter("testsuite"))


def digest_junit_xml(output: str) -> Digest | None:
    if "<testsuite" not in output or "<!DOCTYPE" in output or "<!ENTITY" in output:
        return None
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failures = []
    parsed = 0
    documents = _SUITES if "<testsuites" in output else _SUITE
    for document in documents.finditer(output):
        try:
            root = ET.fromstring(document.group(0))
        except ET.ParseError:
            continue
        parsed += 1
        suites = _suites(root)
        leaves = [s for s in suites if not s.findall("testsuite")]
        for suite in leaves:
            for key in totals:
                value = suite.get(key) or suite.get("skips" if key == "skipped" else key) or "0"
                totals[key] += int(value) if value.isdigit() else 0
            for case in suite.iter("testcase"):
                for problem in [*case.findall("failure"), *case.findall("error")]:
                    cls = (case.get("classname") or "").rsplit(".", 1)[-1]
                    name = f"{cls}.{case.get('name')}" if cls else str(case.get("name"))
                    failures.append(
                        failure_line(
                            name,
                            _location(case, problem),
                            _message(problem),
                            error=problem.tag == "error",
                        )
                    )
    if not parsed:
        return None
    if totals["tests"] == 0:
        headline = "no tests ran (JUnit XML: 0 tests)"
    else:
        headline = (
            f"{plural(totals['tests'], 'test')}, {plural(totals['failures'], 'failure')}, "
            f"{plural(totals['errors'], 'error')}, {totals['skipped']} skipped"
        )
    return Digest(headline, capped(failures, MAX_TESTS, "failing tests"), tool="JUnit XML")
