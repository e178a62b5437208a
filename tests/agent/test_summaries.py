"""Output digests on hand-written outputs, with hand-computed expectations."""

from __future__ import annotations

from terminus_mcp.agent.fallback import CommandRun, command_notes, fallback_answer
from terminus_mcp.agent.summaries import digest, summary_text
from terminus_mcp.agent.summaries.python_tests import digest_pytest
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

# Real javac 17 output: the first error has no detail lines, the second names the symbol.
JAVAC = """\
A.java:4: error: incompatible types: String cannot be converted to int
        return f("x") + totl;
                 ^
A.java:4: error: cannot find symbol
        return f("x") + totl;
                        ^
  symbol:   variable totl
  location: class A
Note: Some messages have been simplified; recompile with -Xdiags:verbose to get full output
2 errors
"""

# Node 18 importing an ES module with a syntax error, its stderr in the middle of stdout.
NODE_ESM_SYNTAX_ERROR = """\
[bundle] (77/120) transpiling src/widgets/widget076.mjs (57 bytes) -> dist/widget076.mjs
file:///workspace/src/widgets/widget077.mjs:1
export const widget077 = { id: 77, label: 'Widget 77' ;
                                                      ^

SyntaxError: Unexpected token ';'
    at ModuleLoader.moduleStrategy (node:internal/modules/esm/translators:152:18)
    at async link (node:internal/modules/esm/module_job:67:21)

Node.js v18.20.4
[bundle] (78/120) transpiling src/widgets/widget077.mjs (56 bytes) -> dist/widget077.mjs
"""

# Node 18 running a CommonJS script that throws.
NODE_CJS_THROW = """\
/workspace/t.js:2
  if (!s) throw new TypeError('empty input');
          ^

TypeError: empty input
    at parse (/workspace/t.js:2:17)
    at Object.<anonymous> (/workspace/t.js:4:1)

Node.js v18.20.4
"""

PYTEST_HEADER = """\
============================= test session starts ==============================
platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0+repack -- /usr/bin/python3
rootdir: /workspace
collecting ... collected 4 items

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
    assert found.details == ["- rejects at test/a.test.js:9:11: boom: bad input"]


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
        "Command: make\nSummary: exit code 0\nok\n"
        "Command: sleep 9\nSummary: timed out after 1000 ms and was killed; no output\n"
        "</final_answer>\n"
        "Note: the turn limit was reached; this answer was built from the commands' output."
    )
    assert command_notes(runs) == [
        "Note: the command `sleep 9` timed out after 1000 ms and was killed."
    ]


def test_javac_error_keeps_its_symbol_and_location_lines() -> None:
    found = digest(JAVAC)
    assert found.headline == "2 errors, 0 warnings"
    assert found.details == [
        "- A.java:4: error: incompatible types: String cannot be converted to int",
        "- A.java:4: error: cannot find symbol (symbol: variable totl; location: class A)",
    ]


def test_javac_warning_flood_names_each_kind_once() -> None:
    warnings = [
        f"Entry{i}.java:6: warning: [removal] Integer(int) in Integer has been deprecated\n"
        "    public Integer boxed() { return new Integer(0); }\n"
        "                                    ^"
        for i in range(3)
    ]
    found = digest("\n".join([*warnings, JAVAC]))
    assert found.headline == "2 errors, 3 warnings"
    assert found.details[-2:] == [
        "Warnings:",
        "- 3x [removal] Integer(int) in Integer has been deprecated, e.g. Entry0.java:6",
    ]


def test_node_es_module_syntax_error_names_the_file() -> None:
    found = digest(NODE_ESM_SYNTAX_ERROR)
    assert found.headline == "stopped on an uncaught error"
    assert found.details == ["- src/widgets/widget077.mjs:1:55: SyntaxError: Unexpected token ';'"]


def test_node_uncaught_throw_names_the_throw_site() -> None:
    found = digest(NODE_CJS_THROW)
    assert found.details == ["- t.js:2:11: TypeError: empty input"]


def test_a_path_and_line_without_nodes_caret_is_not_a_node_error() -> None:
    found = digest("src/app.js:12\n  throw err;\n\nTypeError: not really\n")
    assert found.headline == "output:"


def test_pytest_killed_by_timeout_names_the_running_test() -> None:
    output = PYTEST_HEADER + (
        "tests/test_a.py::test_one PASSED                                         [ 25%]\n"
        "tests/test_a.py::test_two FAILED                                         [ 50%]\n"
        "tests/test_a.py::test_three SKIPPED (no db)                              [ 75%]\n"
        "tests/test_sync.py::test_sync_waits_for_server \n"
    )
    assert summary_text(output, 124) == (
        "exit code 124; pytest stopped before its final count (1 passed, 1 failed, 1 skipped "
        "so far)\n"
        "- tests/test_a.py::test_two\n"
        "Running when stopped (no result): tests/test_sync.py::test_sync_waits_for_server"
    )


def test_pytest_killed_with_capture_off_reads_verdicts_after_prints() -> None:
    # Real pytest -v -s output: a test's prints sit between its name and its verdict.
    output = PYTEST_HEADER + (
        "tests/test_h.py::test_ok hi\n"
        "PASSED\n"
        "tests/test_h.py::test_bad FAILED\n"
        "tests/test_h.py::test_hang waiting\n"
    )
    found = digest(output)
    assert found.headline == "pytest stopped before its final count (1 passed, 1 failed so far)"
    assert found.details == [
        "- tests/test_h.py::test_bad",
        "Running when stopped (no result): tests/test_h.py::test_hang",
    ]


def test_pytest_killed_without_verbose_names_the_running_file() -> None:
    output = (
        PYTEST_HEADER + "tests/test_a.py ....                      [ 50%]\ntests/test_h.py .F\n"
    )
    found = digest(output)
    assert found.headline == "pytest stopped before its final count"
    assert found.details == ["Running when stopped (no result): tests/test_h.py"]


def test_pytest_stopped_after_every_started_test_finished_names_none() -> None:
    output = PYTEST_HEADER + "tests/test_a.py::test_one PASSED                           [ 25%]\n"
    assert digest(output).details == []


def test_bare_counts_lines_of_other_tools_are_not_pytest() -> None:
    assert digest_pytest(JAVAC) is None
    harness = "ring_push ok\nring_pop FAILED: expected 3, got 2\n240 passed, 1 failed\n"
    assert digest_pytest(harness) is None
    assert digest(harness).headline == "output:"
    # pytest -q prints no header, but its counts line carries the timing.
    assert digest_pytest("...\n3 passed in 0.01s\n") is not None


def test_linker_cannot_find_library_is_an_error() -> None:
    new_ld = (
        "gcc -o app build/main.o -lsnappyc\n"
        "/usr/bin/ld: cannot find -lsnappyc: No such file or directory\n"
        "collect2: error: ld returned 1 exit status\n"
        "make: *** [Makefile:4: app] Error 1\n"
    )
    found = digest(new_ld)
    assert found.headline == "1 error, 0 warnings"
    assert found.details == [
        "- linker: cannot find -lsnappyc: No such file or directory",
        "make: *** [Makefile:4: app] Error 1",
    ]
    old_ld = "/usr/bin/ld: cannot find -lsnappyc\ncollect2: error: ld returned 1 exit status\n"
    assert digest(old_ld).details == ["- linker: cannot find -lsnappyc"]


def test_tap_messages_keep_their_inner_quotes() -> None:
    tap = (
        "TAP version 13\nnot ok 1 - quotes\n  ---\n  error: \"expected 'a' to be 'b'\"\n  ...\n"
        "not ok 2 - yaml escapes\n  ---\n  error: 'it''s ''quoted'''\n  ...\n1..2\n"
    )
    assert digest(tap).details == [
        "- quotes: expected 'a' to be 'b'",
        "- yaml escapes: it's 'quoted'",
    ]


def test_linker_error_keeps_its_source_line_with_newer_binutils() -> None:
    # Real output of gcc 14 / binutils 2.44 (Debian trixie) linking a missing function.
    output = (
        "cc -o app src/main.o src/buffer.o src/checksum.o\n"
        "/usr/bin/ld: src/main.o: in function `main':\n"
        "/workspace/src/main.c:9:(.text+0x5a): undefined reference to `checksum'\n"
        "collect2: error: ld returned 1 exit status\n"
        "make: *** [Makefile:7: app] Error 1\n"
    )
    assert digest(output).details == [
        "- src/main.c:9: error: undefined reference to `checksum'",
        "make: *** [Makefile:7: app] Error 1",
    ]
