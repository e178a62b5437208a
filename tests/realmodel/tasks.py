"""The held-out tasks the real model runs: small projects with failing tests or build errors.

Each key fact is a regular expression (matched case-insensitively) for something a correct
report must convey; each was written from the real output of the project's command in the
sandbox image (shown in the comment above it), not from any answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "realmodel"


@dataclass(frozen=True)
class RealTask:
    name: str
    query: str
    key_facts: tuple[str, ...]

    @property
    def project(self) -> Path:
        return PROJECTS / self.name


TASKS = (
    RealTask(
        name="py-ledger",
        query="Run the tests with `python3 -m pytest -q` and report which tests fail and why.",
        # FAILED tests/test_ledger.py::test_average_posting_of_unknown_account - ZeroDi...
        # FAILED tests/test_ledger.py::test_parse_amount_with_one_decimal - AssertionEr...
        # E       AssertionError: assert 705 == 750
        # 2 failed, 6 passed in 0.05s
        key_facts=(
            r"test_average_posting_of_unknown_account",
            r"ZeroDivisionError",
            r"test_parse_amount_with_one_decimal",
            r"\b705\b",
            r"\b2 failed",
            r"\b6 passed",
        ),
    ),
    RealTask(
        name="node-cart",
        query="Run the project's test suite with npm test and tell me which tests fail.",
        # not ok 4 - free shipping from 50 ... 4.99 !== 0
        # not ok 6 - items without qty count once ... NaN !== 7
        # # pass 4 / # fail 2
        key_facts=(
            r"free shipping from 50",
            r"items without qty count once",
            r"\bNaN\b",
        ),
    ),
    RealTask(
        name="c-stats",
        query="Build the project with `make` and report any compile errors with file and line.",
        # src/histogram.c:18:42: error: 'bucket_width' undeclared (first use in this function)
        # make: *** [Makefile:9: src/histogram.o] Error 1
        key_facts=(r"histogram\.c:18", r"bucket_width", r"undeclared"),
    ),
    RealTask(
        name="py-report-cli",
        query="Check whether the Python test suite of this project passes; if not, what breaks?",
        # ERROR tests/test_table.py
        # E   ModuleNotFoundError: No module named 'reportcli.widths'
        key_facts=(
            r"reportcli\.widths",
            r"ModuleNotFoundError|No module named",
            r"test_table\.py",
        ),
    ),
    RealTask(
        name="c-ringbuf",
        query="Run make test and report the result of each failing check.",
        # FAIL overflow_drops_oldest (tests/test_ringbuf.c:36: ringbuf_pop(&rb, &value) && ...)
        # 6 checks, 1 failed
        key_facts=(r"overflow_drops_oldest", r"test_ringbuf\.c:36", r"\b1 failed"),
    ),
)
