"""Java fixture repositories for the built-in suite: ``python java_repos.py KIND OUTDIR``.

Only ``javac`` and ``java`` are used (Maven would need the network for its plugins); the test
project carries its own small reflection-based test runner.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _model_classes(root: Path, count: int, *, deprecated_calls: bool) -> None:
    for i in range(count):
        extra = ""
        if deprecated_calls:
            extra = (
                f"    public Integer boxed() {{ return new Integer({i}); }}\n"
                f"    public Object legacy() {{ return new java.util.Vector(); }}\n"
            )
        _write(
            root,
            f"src/com/acme/ledger/model/Entry{i:02d}.java",
            "package com.acme.ledger.model;\n\n"
            f"public class Entry{i:02d} {{\n"
            f"    private final long cents = {i * 100}L;\n"
            "    public long cents() { return cents; }\n" + extra + "}\n",
        )


def javac_errors(root: Path) -> None:
    """30 classes with deprecation and raw-type warnings; two classes do not compile."""
    _model_classes(root, 30, deprecated_calls=True)
    _write(
        root,
        "src/com/acme/ledger/Ledger.java",
        "package com.acme.ledger;\n\n"
        "import java.util.ArrayList;\nimport java.util.List;\n\n"
        "public class Ledger {\n"
        "    private final List<Long> entries = new ArrayList<>();\n\n"
        "    public void add(long cents) { entries.add(cents); }\n\n"
        "    public long balance() {\n"
        "        long total = 0;\n"
        "        for (long cents : entries) total += cents;\n"
        "        return totl;\n"
        "    }\n}\n",
    )
    _write(
        root,
        "src/com/acme/ledger/Report.java",
        "package com.acme.ledger;\n\n"
        "public class Report {\n"
        "    public String render(Ledger ledger) {\n"
        '        int lines = "Balance: " + ledger.balance();\n'
        "        return String.valueOf(lines);\n"
        "    }\n}\n",
    )
    _write(
        root,
        "build.sh",
        "#!/bin/sh\nmkdir -p out\njavac -Xlint:all -d out $(find src -name '*.java' | sort)\n",
    )


RUNNER = """\
package testkit;

import java.lang.reflect.Method;
import java.lang.reflect.InvocationTargetException;

/** Runs every public static void test* method of the given classes and prints each result. */
public final class Runner {
    public static void main(String[] args) throws Exception {
        int passed = 0, failed = 0;
        for (String name : args) {
            Class<?> type = Class.forName(name);
            for (Method m : type.getDeclaredMethods()) {
                if (!m.getName().startsWith("test")) continue;
                String id = type.getSimpleName() + "." + m.getName();
                System.out.println("RUN   " + id);
                try {
                    m.invoke(null);
                    passed++;
                    System.out.println("PASS  " + id);
                } catch (InvocationTargetException e) {
                    failed++;
                    System.out.println("FAIL  " + id + ": " + e.getCause());
                    for (StackTraceElement frame : e.getCause().getStackTrace()) {
                        System.out.println("        at " + frame);
                    }
                }
            }
        }
        System.out.println("Tests run: " + (passed + failed) + ", Failures: " + failed);
        System.exit(failed == 0 ? 0 : 1);
    }
}
"""


def java_test_runner(root: Path) -> None:
    """Compile, then run 90 tests through the project's own runner; two fail."""
    _write(root, "src/testkit/Runner.java", RUNNER)
    _write(
        root,
        "src/com/acme/money/Money.java",
        "package com.acme.money;\n\n"
        "public final class Money {\n"
        "    public static long split(long cents, int parts) { return cents / parts; }\n"
        "    public static long percent(long cents, int pct) { return cents * pct / 1000; }\n"
        "    public static String format(long cents) {\n"
        '        return String.format("%d.%02d", cents / 100, cents % 100);\n'
        "    }\n}\n",
    )
    checks = (
        "package com.acme.money;\n\npublic final class Check {\n"
        "    public static void equal(long want, long got) {\n"
        "        if (want != got)\n"
        '            throw new AssertionError("expected " + want + " but was " + got);\n'
        "    }\n}\n"
    )
    _write(root, "test/com/acme/money/Check.java", checks)
    for group in range(4):
        methods = []
        for i in range(22):
            n = group * 22 + i
            methods.append(
                f"    public static void testFormatCase{n:02d}() {{\n"
                f"        Check.equal({n}, Money.split({n * 2}, 2));\n    }}\n"
            )
        _write(
            root,
            f"test/com/acme/money/MoneyGroup{group}Test.java",
            "package com.acme.money;\n\n"
            f"public final class MoneyGroup{group}Test {{\n" + "\n".join(methods) + "}\n",
        )
    _write(
        root,
        "test/com/acme/money/EdgeCaseTest.java",
        "package com.acme.money;\n\n"
        "public final class EdgeCaseTest {\n"
        "    public static void testPercentOfTotal() {\n"
        "        Check.equal(1500, Money.percent(10000, 15));\n    }\n\n"
        "    public static void testSplitIntoZeroParts() {\n"
        "        Check.equal(0, Money.split(500, 0));\n    }\n}\n",
    )
    classes = " ".join(
        [f"com.acme.money.MoneyGroup{g}Test" for g in range(4)] + ["com.acme.money.EdgeCaseTest"]
    )
    _write(
        root,
        "build.sh",
        "#!/bin/sh\nset -e\nmkdir -p out\n"
        "javac -verbose -d out $(find src test -name '*.java' | sort) 2>&1 | "
        "grep -v '^\\[search path' || true\n"
        "test -f out/testkit/Runner.class\n",
    )
    _write(root, "test.sh", f"#!/bin/sh\nexec java -cp out testkit.Runner {classes}\n")


KINDS: dict[str, Callable[[Path], None]] = {
    "javac-errors": javac_errors,
    "java-test-runner": java_test_runner,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: java_repos.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
