"""What a digest of each captured tool output must say, read from the raw output itself
(``tests/fixtures/tool_outputs/<case>.txt``), not from the digesters' answers.

``stable`` facts hold whatever version of the tool ran (test names, file:line locations, the
messages the projects' own code raises): the sandbox tests check them on a fresh run.
``captured`` facts are the wording of the version that produced the fixture. ``absent`` must not
appear (a run where no test ran must not read like a pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Facts:
    stable: tuple[str, ...]
    captured: tuple[str, ...] = ()
    absent: tuple[str, ...] = field(default=())


_LEDGER_PYTEST = (
    "tests/test_accounts.py::TestAccount::test_by_memo_keeps_case",
    "KeyError: 'Rent'",
    "tests/test_accounts.py:14",
    "tests/test_accounts.py::TestAccount::test_zero_posting_is_ignored",
    "ValueError: empty posting for 'fee' on cash",
    "ledger/accounts.py:11",
    "tests/test_money.py::test_parse_rejects_letters",
    "tests/test_money.py:15",
    "tests/test_money.py::test_split_keeps_every_cent",
    "assert 99 == 100",
    "tests/test_money.py:20",
)
_PYTEST_9_REGEX = ("Expected regex: 'bad amount'", "Actual message: \"not an amount: '12a'\"")

_UNITTEST = (
    "9 tests",
    "2 failures",
    "3 errors",
    "tests.test_accounts.AccountTest.test_zero_posting",
    "ValueError: empty posting for 'fee' on cash",
    "tests/test_accounts.py:14",
    "ledger/accounts.py:11",
    "tests.test_export",
    "ModuleNotFoundError: No module named 'ledger.export'",
    "tests/test_export.py:3",
    "tests.test_money.ParseAmountTest.test_negative",
    "ValueError: not an amount: '-5'",
    "ledger/money.py:8",
    "tests.test_accounts.AccountTest.test_by_memo_keeps_case",
    "AssertionError: 'Rent' not found in {'rent': -50000}",
    "tests/test_accounts.py:20",
    "tests.test_money.SplitTest.test_keeps_every_cent",
    "AssertionError: 99 != 100 : shares must add up to the total",
    "tests/test_money.py:19",
)

_JEST = (
    "3 failed, 5 passed, 8 total",
    "wrap › rejects a zero width",
    "width must be positive, got 0",
    "test/wrap.test.js:13",
    "src/text.js:8",
    "initials › of a name with a double space",
    "TypeError: Cannot read properties of undefined (reading 'toUpperCase')",
    "src/text.js:25",
    "slugify › joins words with hyphens",
    'Expected: "hello-big-world"',
    'Received: "hello_big_world"',
    "test/slugify.test.js:9",
)

_NODE_TEST = (
    "joins words with hyphens",
    "'hello_big_world'",
    "test/slugify.test.js:9",
    "rejects a zero width",
    "test/wrap.test.js:9",
    "The input did not match the regular expression /at least 1/",
    "initials of a name with a double space",
    "Cannot read properties of undefined (reading 'toUpperCase')",
    "src/text.js:25",
)

_PROVE = (
    "6 tests",
    "2 files",
    "Result: FAIL",
    "joins words with hyphens",
    "t/basic.t:9",
    "got: 'hello_big_world'",
    "expected: 'hello-big-world'",
    "mean of two",
    "t/numbers.t:8",
    "mean of three",
    "t/numbers.t:9",
)

_GO_TESTS = (
    "TestRectArea",
    "area_test.go:21",
    "{W:2 H:3}.Area() = 4, want 6",
    "TestMiles",
    "convert_test.go:15",
    'ToMeters(1, mi): unknown unit "mi"',
    "TestLookupTable",
    "index out of range [2] with length 2",
    "units/convert_test.go:24",
    "example.com/shapes/geometry",
    "example.com/shapes/units",
)
_GO_BUILD = (
    "strutil/pad.go:10:49",
    "undefined: suffix",
    "strutil/pad.go:21:9",
    'cannot use "w" (untyped string constant) as int value in return statement',
)

_CARGO_BUILD = (
    "error[E0425]",
    "cannot find value `count` in this scope",
    "src/stats.rs:5:13",
    "error[E0308]",
    "mismatched types",
    "src/stats.rs:5:5",
    "src/stats.rs:9:18",
    "could not compile `ringbuf`",
)

_MAVEN_TESTS = (
    "CartTest.totalAddsEveryPrice",
    "CartTest.java:18",
    "expected:<350> but was:<100>",
    "DiscountTest.tenPercentOff",
    "DiscountTest.java:13",
    "expected:<1800> but was:<900>",
    "CartTest.freeItemsAreAllowed",
    "negative price: -1",
    "CartTest.java:25",
)

FACTS: dict[str, Facts] = {
    "pytest-plain": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-q": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-v": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-xdist": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-xdist-v": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-color": Facts(("4 failed, 9 passed", *_LEDGER_PYTEST), _PYTEST_9_REGEX),
    "pytest-then-make": Facts(
        ("4 failed, 9 passed", *_LEDGER_PYTEST, "make: *** [Makefile:5: test] Error 1"),
        _PYTEST_9_REGEX,
    ),
    "pytest-x": Facts(
        (
            "1 failed, 1 passed",
            "stopping after 1 failures",
            "tests/test_accounts.py::TestAccount::test_by_memo_keeps_case",
            "KeyError: 'Rent'",
            "tests/test_accounts.py:14",
        )
    ),
    "pytest-interrupted": Facts(
        ("4 failed, 9 passed", *_LEDGER_PYTEST, "KeyboardInterrupt", "tests/test_sync.py:2"),
        _PYTEST_9_REGEX,
    ),
    "pytest-collection-error": Facts(
        (
            "1 error",
            "1 error during collection",
            "tests/test_report.py",
            "ModuleNotFoundError: No module named 'ledger.report'",
            "tests/test_report.py:1",
        )
    ),
    "pytest-killed": Facts(
        (
            "9 passed",
            "4 failed",
            "tests/test_zz_sync.py::test_sync_waits_for_the_bank",
            "tests/test_accounts.py::TestAccount::test_by_memo_keeps_case",
            "tests/test_accounts.py::TestAccount::test_zero_posting_is_ignored",
            "tests/test_money.py::test_parse_rejects_letters",
            "tests/test_money.py::test_split_keeps_every_cent",
        )
    ),
    "pytest-no-tests": Facts(("no tests ran",), absent=("passed",)),
    "pytest-junitxml": Facts(
        (
            "13 tests",
            "4 failures",
            "test_by_memo_keeps_case",
            "KeyError: 'Rent'",
            "tests/test_accounts.py:14",
            "test_zero_posting_is_ignored",
            "empty posting for 'fee' on cash",
            "test_split_keeps_every_cent",
            "assert 99 == 100",
            "tests/test_money.py:20",
        )
    ),
    "unittest-plain": Facts(_UNITTEST),
    "unittest-v": Facts(_UNITTEST),
    "unittest-no-tests": Facts(("no tests ran",), absent=("OK",)),
    "jest-plain": Facts(_JEST),
    "jest-missing-module": Facts(
        (*_JEST, "test/format.test.js", "Cannot find module '../src/format'", "3 failed, 3 total")
    ),
    "vitest-plain": Facts(
        (
            "3 failed",
            "2 passed",
            "slugify > joins words with hyphens",
            "expected 'hello_big_world' to be 'hello-big-world'",
            "test/slugify.test.js:10",
            "wrap > rejects a zero width",
            "width must be positive, got 0",
            "test/wrap.test.js:10",
            "initials > of a name with a double space",
            "TypeError: Cannot read properties of undefined (reading 'toUpperCase')",
            "src/text.js:23",
        )
    ),
    "mocha-plain": Facts(
        (
            "2 passing",
            "3 failing",
            "joins words with hyphens",
            "'hello_big_world'",
            "test/text.test.js:10",
            "rejects a zero width",
            "The input did not match the regular expression /at least 1/",
            "test/text.test.js:20",
            "of a name with a double space",
            "TypeError: Cannot read properties of undefined (reading 'toUpperCase')",
            "src/text.js:25",
            "test/text.test.js:26",
        )
    ),
    "node-test-spec": Facts(("6 tests", "2 pass", "4 fail", *_NODE_TEST)),
    "node-test-tap": Facts(("6 tests", "2 pass", "4 fail", *_NODE_TEST)),
    "node-test-crash": Facts(
        (
            "7 tests",
            "5 fail",
            *_NODE_TEST,
            "test/format.test.js",
            "Cannot find module '../src/format'",
            "test/format.test.js:3",
        )
    ),
    "node-test-crash-spec": Facts(
        (
            "7 tests",
            "5 fail",
            *_NODE_TEST,
            "test/format.test.js",
            "Cannot find module '../src/format'",
            "test/format.test.js:3",
        )
    ),
    "tap-node": Facts(
        (
            "4 tests",
            "2 fail",
            "joins words with hyphens",
            "hello_big_world",
            "test/text.js:6",
            "Cannot read properties of undefined (reading 'toUpperCase')",
            "src/text.js:25",
        )
    ),
    "prove-plain": Facts(_PROVE),
    "prove-v": Facts(_PROVE),
    "go-test": Facts(_GO_TESTS),
    "go-test-v": Facts(_GO_TESTS),
    "go-test-build-error": Facts((*_GO_TESTS, *_GO_BUILD, "example.com/shapes/strutil")),
    "go-build-error": Facts(_GO_BUILD),
    "go-vet-error": Facts(("strutil/pad.go:10:49", "undeclared name: suffix")),
    "cargo-test": Facts(
        (
            "2 passed",
            "2 failed",
            "tests::get_past_the_end",
            "src/lib.rs:36:13",
            "index 1 out of range for ring of 0",
            "tests::overwrites_oldest",
            "src/lib.rs:63:9",
            "sum of the last two pushes",
        ),
        ("assertion `left == right` failed", "left: 5", "right: 6"),
    ),
    "cargo-test-debian": Facts(
        (
            "2 passed",
            "2 failed",
            "tests::get_past_the_end",
            "src/lib.rs:36:13",
            "index 1 out of range for ring of 0",
            "tests::overwrites_oldest",
            "src/lib.rs:63:9",
            "sum of the last two pushes",
        ),
        ("assertion failed: `(left == right)`", "left: `5`", "right: `6`"),
    ),
    "cargo-build-error": Facts(_CARGO_BUILD),
    "cargo-build-error-debian": Facts(_CARGO_BUILD),
    "cargo-test-build-error": Facts(_CARGO_BUILD),
    "gcc-make": Facts(
        (
            "src/buffer.c:12:18",
            "capacity",
            "src/buffer.c:5:9",
            "grown",
            "make: *** [Makefile:10: src/buffer.o] Error 1",
        ),
        ("‘capacity’ undeclared", "unused variable ‘grown’"),
    ),
    "clang-make": Facts(
        (
            "src/buffer.c:12:18",
            "use of undeclared identifier 'capacity'",
            "make: *** [Makefile:10: src/buffer.o] Error 1",
        )
    ),
    "gcc-link-error": Facts(
        ("undefined reference to `checksum'", "src/main.c:9", "make: *** [Makefile:7: app] Error 1")
    ),
    "javac-errors": Facts(
        (
            "3 errors",
            "src/shop/Cart.java:16",
            "cannot find symbol",
            "method price()",
            "src/shop/Cart.java:22",
            "variable totl",
            "src/shop/Item.java:5",
            "incompatible types: String cannot be converted to int",
        )
    ),
    "tsc-errors": Facts(
        (
            "src/cart.ts(11,9)",
            "TS2322",
            "Type 'string' is not assignable to type 'number'.",
            "src/checkout.ts(5,19)",
            "Cannot find name 'formatCents'.",
            "src/checkout.ts(9,19)",
            "Property 'title' does not exist on type 'Item'.",
        )
    ),
    "eslint-stylish": Facts(
        (
            "3 problems",
            "src/cart.js:12:9",
            "'unused' is assigned a value but never used",
            "no-unused-vars",
            "src/cart.js:13:27",
            "'formatCents' is not defined",
            "no-undef",
            "src/checkout.js:9:3",
            "no-debugger",
        )
    ),
    "ruff-check": Facts(
        (
            "Found 4 errors",
            "ledger/export.py:2:1",
            "I001",
            "ledger/report.py:2:8",
            "`os` imported but unused",
            "ledger/report.py:3:8",
            "`sys` imported but unused",
            "ledger/report.py:15:38",
            "F821",
            "Undefined name `undefined_suffix`",
        )
    ),
    "flake8-plain": Facts(
        (
            "ledger/export.py:2:11",
            "E401",
            "ledger/export.py:11:27",
            "E711",
            "ledger/report.py:2:1",
            "'os' imported but unused",
            "ledger/report.py:3:1",
            "ledger/report.py:15:38",
            "F821",
            "undefined name 'undefined_suffix'",
        )
    ),
    "mypy-strict": Facts(
        (
            "Found 4 errors in 2 files",
            "ledger/report.py:10",
            "Incompatible types in assignment",
            "[assignment]",
            "ledger/report.py:14",
            "Function is missing a type annotation",
            "ledger/report.py:15",
            'Name "undefined_suffix" is not defined',
            "ledger/export.py:11",
            "Incompatible return value type",
        )
    ),
    "suites-shell": Facts(
        (
            "2 failed, 7 passed",
            "2 failed, 2 passed",
            "tests/test_money.py::test_parse_rejects_letters",
            "tests/test_money.py::test_split_keeps_every_cent",
            "tests/test_accounts.py::TestAccount::test_by_memo_keeps_case",
            "tests/test_accounts.py::TestAccount::test_zero_posting_is_ignored",
            "joins words with hyphens",
            "js/test/slugify.test.js:9",
            "rejects a zero width",
            "initials of a name with a double space",
        )
    ),
    "maven-test": Facts(
        ("Tests run: 5, Failures: 2, Errors: 1, Skipped: 0", "BUILD FAILURE", *_MAVEN_TESTS)
    ),
    "maven-unknown-host": Facts(
        ("BUILD FAILURE", "maven-resources-plugin:2.6", "Unknown host repo.maven.apache.org")
    ),
    "gradle-test": Facts(
        (
            "5 tests completed, 3 failed",
            "BUILD FAILED",
            "DiscountTest.tenPercentOff",
            "DiscountTest.java:13",
            "java.lang.AssertionError",
            "CartTest.freeItemsAreAllowed",
            "java.lang.IllegalArgumentException",
            "CartTest.java:25",
            "CartTest.totalAddsEveryPrice",
            "CartTest.java:18",
        )
    ),
    "gradle-results-xml": Facts(
        (
            "3 tests",
            "2 failures",
            "CartTest.freeItemsAreAllowed",
            "negative price: -1",
            "CartTest.java:25",
            "CartTest.totalAddsEveryPrice",
            "expected:<350> but was:<100>",
            "CartTest.java:18",
        )
    ),
    "go-test-no-tests": Facts(("no tests ran",)),
    "cargo-test-no-tests": Facts(("no tests ran",)),
    "jest-no-tests": Facts(("no tests ran",)),
    "vitest-no-tests": Facts(("no tests ran",)),
    "node-test-no-tests": Facts(("no tests ran",)),
    "maven-no-tests": Facts(("no tests ran", "BUILD SUCCESS")),
    "maven-surefire-xml": Facts(
        (
            "3 tests",
            "1 failure",
            "1 error",
            "CartTest.totalAddsEveryPrice",
            "expected:<350> but was:<100>",
            "CartTest.java:18",
            "CartTest.freeItemsAreAllowed",
            "negative price: -1",
            "CartTest.java:25",
        )
    ),
}
"""Facts per captured case."""
