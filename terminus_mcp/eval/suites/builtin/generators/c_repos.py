"""C and C++ fixture repositories for the built-in suite: ``python c_repos.py KIND OUTDIR``.

Builds with make or cmake and gcc/g++, producing the floods of compiler lines a main agent would
otherwise read: compile errors among many successful units, warning storms, a missing library,
and a build-then-test project with its own tiny test harness.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


MAKEFILE = """\
CC ?= gcc
CFLAGS ?= -O0 -g -Wall -Wextra -Iinclude
SRCS := $(sort $(wildcard src/*.c))
OBJS := $(SRCS:src/%.c=build/%.o)

all: build/app

build/app: $(OBJS)
\t$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: src/%.c | build
\t$(CC) $(CFLAGS) -c $< -o $@

build:
\tmkdir -p build

.PHONY: all
"""


def _units(root: Path, count: int, *, noisy: bool) -> None:
    """``count`` small C units; ``noisy`` ones carry unused variables and sign comparisons."""
    decls = []
    for i in range(count):
        body = f"    return value * {i + 2};\n"
        if noisy:
            body = (
                f"    int scratch_{i} = {i};\n"
                f"    unsigned limit = {i + 10}u;\n"
                f"    for (int k = 0; k < value; k++) {{ if (k == limit) break; }}\n" + body
            )
        _write(
            root,
            f"src/unit_{i:02d}.c",
            f'#include "units.h"\n\nint unit_{i:02d}(int value) {{\n{body}}}\n',
        )
        decls.append(f"int unit_{i:02d}(int value);")
    _write(root, "include/units.h", "#pragma once\n" + "\n".join(decls) + "\n")
    calls = " + ".join(f"unit_{i:02d}(1)" for i in range(count))
    _write(
        root,
        "src/main.c",
        '#include <stdio.h>\n#include "units.h"\n\n'
        f'int main(void) {{\n    printf("%d\\n", {calls});\n    return 0;\n}}\n',
    )


def make_compile_error(root: Path) -> None:
    """40 noisy units build; src/wire_parser.c has an undeclared identifier."""
    _write(root, "Makefile", MAKEFILE)
    _units(root, 40, noisy=True)
    _write(
        root,
        "src/wire_parser.c",
        '#include <string.h>\n#include "units.h"\n\n'
        "int parse_header(const char *line) {\n"
        "    int length = strlen(line);\n"
        "    if (length == 0)\n"
        "        return -1;\n"
        "    return tokn_count + length;\n"
        "}\n\n"
        "int parse_body(const char *line) {\n"
        "    int *cursor = line;\n"
        "    return *cursor;\n"
        "}\n",
    )


def warning_flood(root: Path) -> None:
    """60 noisy units: the build succeeds with well over a hundred warnings."""
    _write(root, "Makefile", MAKEFILE)
    _units(root, 60, noisy=True)


def missing_library(root: Path) -> None:
    """Everything compiles; the link step needs libsnappyc, which is not installed."""
    _write(root, "Makefile", MAKEFILE.replace("$(LDLIBS)", "$(LDLIBS) -lsnappyc"))
    _units(root, 30, noisy=True)


def make_then_test(root: Path) -> None:
    """A ring buffer library, built by make, and a test binary with 64 checks, one failing."""
    _write(
        root,
        "Makefile",
        "CC ?= gcc\nCFLAGS ?= -O0 -g -Wall -Iinclude\n\n"
        "all: build/libring.a\n\n"
        "build/libring.a: src/ring.c include/ring.h\n"
        "\tmkdir -p build\n"
        "\t$(CC) $(CFLAGS) -c src/ring.c -o build/ring.o\n"
        "\tar rcs $@ build/ring.o\n\n"
        "build/test_ring: tests/test_ring.c build/libring.a\n"
        "\t$(CC) $(CFLAGS) -o $@ $< build/libring.a\n\n"
        "test: build/test_ring\n"
        "\t./build/test_ring\n\n"
        ".PHONY: all test\n",
    )
    _write(
        root,
        "include/ring.h",
        "#pragma once\n#define RING_CAP 8\n"
        "typedef struct { int items[RING_CAP]; int head; int count; } ring_t;\n"
        "void ring_init(ring_t *r);\nint ring_push(ring_t *r, int v);\n"
        "int ring_pop(ring_t *r, int *out);\n",
    )
    _write(
        root,
        "src/ring.c",
        '#include "ring.h"\n\n'
        "void ring_init(ring_t *r) { r->head = 0; r->count = 0; }\n\n"
        "int ring_push(ring_t *r, int v) {\n"
        "    if (r->count == RING_CAP) return -1;\n"
        "    r->items[(r->head + r->count) % RING_CAP] = v;\n"
        "    r->count++;\n    return 0;\n}\n\n"
        "int ring_pop(ring_t *r, int *out) {\n"
        "    if (r->count == 0) return -1;\n"
        "    *out = r->items[r->head];\n"
        "    r->head = r->head + 1;  /* forgets to wrap around */\n"
        "    r->count--;\n    return 0;\n}\n",
    )
    checks = []
    for i in range(240):
        checks.append(
            f"    {{ ring_t r; ring_init(&r); ring_push(&r, {i}); int out = -1; ring_pop(&r, &out);"
            f' CHECK("test_push_pop_{i:03d}", out == {i}, {i}, out); }}'
        )
    _write(
        root,
        "tests/test_ring.c",
        '#include <stdio.h>\n#include "ring.h"\n\n'
        "static int failures = 0, passed = 0;\n"
        "#define CHECK(name, cond, want, got) do { if (cond) { passed++; "
        'printf("[ RUN      ] %s\\n[       OK ] %s\\n", name, name); } else { failures++; '
        'printf("[ RUN      ] %s\\n%s:%d: Failure: expected %d, got %d\\n[  FAILED  ] %s\\n", '
        "name, __FILE__, __LINE__, want, got, name); } } while (0)\n\n"
        "int main(void) {\n" + "\n".join(checks) + "\n    {\n"
        "        ring_t r; ring_init(&r); int out = -1;\n"
        "        for (int i = 0; i < 12; i++) { ring_push(&r, i); ring_pop(&r, &out); }\n"
        "        ring_push(&r, 7); ring_pop(&r, &out);\n"
        '        CHECK("test_ring_wraparound", out == 7, 7, out);\n'
        "    }\n"
        '    printf("%d passed, %d failed\\n", passed, failures);\n'
        "    return failures ? 1 : 0;\n}\n",
    )


def cmake_template_error(root: Path) -> None:
    """A C++ project with 21 translation units; one calls a function template wrongly."""
    sources = []
    for i in range(20):
        sources.append(f"src/shape_{i:02d}.cpp")
        _write(
            root,
            f"src/shape_{i:02d}.cpp",
            '#include "geometry.hpp"\n\n'
            f"double shape_{i:02d}_area(int precision) {{\n"
            f"    double scaled = geo::scale(Box{{{i}.0, 2.0}}, 2.0).area();\n"
            "    return scaled;\n}\n",
        )
    sources.append("src/report.cpp")
    _write(
        root,
        "src/report.cpp",
        '#include "geometry.hpp"\n#include <string>\n#include <vector>\n\n'
        "double total_area(const std::vector<Box> &boxes) {\n"
        "    double sum = 0;\n"
        "    for (const auto &box : boxes) sum += box.area();\n"
        '    return sum + geo::scale(std::string("3"), 2.0).area();\n'
        "}\n",
    )
    _write(
        root,
        "include/geometry.hpp",
        "#pragma once\n"
        "struct Box { double w, h; double area() const { return w * h; } };\n"
        "namespace geo {\n"
        "inline Box scale(const Box &b, double f) { return Box{b.w * f, b.h * f}; }\n"
        "}\n",
    )
    _write(
        root,
        "CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.16)\nproject(geometry CXX)\n"
        "set(CMAKE_CXX_STANDARD 17)\n"
        'set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} -Wall -Wextra")\n'
        "add_library(geometry STATIC\n  " + "\n  ".join(sources) + "\n)\n"
        "target_include_directories(geometry PUBLIC include)\n",
    )


KINDS: dict[str, Callable[[Path], None]] = {
    "make-compile-error": make_compile_error,
    "warning-flood": warning_flood,
    "missing-library": missing_library,
    "make-then-test": make_then_test,
    "cmake-template-error": cmake_template_error,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: c_repos.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
