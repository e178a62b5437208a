"""Output digests on hand-written outputs, with hand-computed expectations."""

from __future__ import annotations

from terminus_mcp.agent.fallback import CommandRun, command_notes, fallback_answer
from terminus_mcp.agent.summaries import digest, summary_text
from terminus_mcp.sandbox.api import ExecResult

PYTEST = """\
============================= test session starts ==============================
collected 3 items

tests/test_a.py .F.                                                      [100%]

=================================== FAILURES ===================================
___________________________________ test_sum ___________________________________

    def test_sum():
>       assert add(1, 1) == 3
E       assert 2 == 3
E        +  where 2 = add(1, 1)

tests/test_a.py:7: AssertionError
=========================== short test summary info ============================
FAILED tests/test_a.py::test_sum - assert 2 == 3
========================= 1 failed, 2 passed in 0.03s ==========================
"""

TAP = """\
TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 0.5
  ...
# Subtest: rejects
not ok 2 - rejects
  ---
  duration_ms: 1.2
  failureType: 'testCodeFailure'
  error: 'boom: bad input'
  code: 'ERR_TEST_FAILURE'
  stack: |-
    TestContext.<anonymous> (/workspace/test/a.test.js:9:11)
  ...
1..2
# tests 2
# pass 1
# fail 1
"""

GCC = """\
gcc -Wall -c a.c -o a.o
a.c:3:9: warning: unused variable 'x' [-Wunused-variable]
a.c:4:9: warning: unused variable 'y' [-Wunused-variable]
b.c:10:5: error: 'z' undeclared (first use in this function)
b.c:10:5: error: 'z' undeclared (first use in this function)
make: *** [Makefile:5: b.o] Error 1
"""


def test_pytest_digest() -> None:
    found = digest(PYTEST)
    assert found.headline == "1 failed, 2 passed in 0.03s"
    assert found.details == [
        "- tests/test_a.py::test_sum at tests/test_a.py:7: assert 2 == 3 | +  where 2 = add(1, 1)"
    ]


def test_node_tap_digest() -> None:
    found = digest(TAP)
    assert found.headline == "2 tests, 1 pass, 1 fail"
    assert found.details == ["- rejects at test/a.test.js:9: boom: bad input"]


def test_compiler_digest_dedupes_errors_and_groups_warnings() -> None:
    found = digest(GCC)
    assert found.headline == "1 error, 2 warnings"
    assert found.details == [
        "- b.c:10:5: error: 'z' undeclared (first use in this function)",
        "Warnings:",
        "- 2x -Wunused-variable, e.g. a.c:3:9: unused variable 'x' [-Wunused-variable]",
        "make: *** [Makefile:5: b.o] Error 1",
    ]


def test_generic_digest_keeps_error_lines_and_the_tail() -> None:
    lines = [f"step {i}" for i in range(20)]
    lines[3] = "ERROR: disk quota exceeded"
    found = digest("\n".join(lines))
    assert found.headline == "20 lines of output; relevant lines:"
    assert found.details == ["ERROR: disk quota exceeded"] + [f"step {i}" for i in range(15, 20)]


def test_summary_text_of_a_timeout() -> None:
    assert summary_text("", None, timed_out=True, timeout_ms=500) == (
        "timed out after 500 ms and was killed; no output"
    )


def test_fallback_answer_and_notes() -> None:
    runs = [
        CommandRun(
            "make", 1000, ExecResult(command="make", exit_code=0, output="ok\n", duration_s=0.1)
        ),
        CommandRun(
            "sleep 9",
            1000,
            ExecResult(
                command="sleep 9", exit_code=None, output="", duration_s=1.0, timed_out=True
            ),
        ),
    ]
    assert fallback_answer(runs, "the turn limit was reached.") == (
        "<final_answer>\n"
        "Command: make\nSummary: exit code 0; output:\nok\n"
        "Command: sleep 9\nSummary: timed out after 1000 ms and was killed; no output\n"
        "</final_answer>\n"
        "Note: the turn limit was reached; this answer was built from the commands' output."
    )
    assert command_notes(runs) == [
        "Note: the command `sleep 9` timed out after 1000 ms and was killed."
    ]
