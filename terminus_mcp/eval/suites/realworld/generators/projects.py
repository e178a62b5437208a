"""Realistic small projects for the realworld suite: ``python projects.py KIND OUTDIR``.

Each kind is a project as a developer would have it checked out, built with the tool people use
for that language, with a bug or a trap the task is about: a C library with a Makefile and a
clib-style package.json (no test script), a Java project with a Makefile, a Maven project with no
plugins offline, Go and Rust modules, a TypeScript project, a C++ project tested by ctest, and a
shell tool with several test suites. Nothing here is copied from another project.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path


def _write(root: Path, relative: str, text: str, *, mode: int | None = None) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)


# --- C: a string buffer library, Makefile + clib package.json ---------------------------------

STRBUF_H = """\
#ifndef STRBUF_H
#define STRBUF_H
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} strbuf;

void strbuf_init(strbuf *sb);
void strbuf_free(strbuf *sb);
int strbuf_append(strbuf *sb, const char *text);
void strbuf_trim(strbuf *sb);
int strbuf_replace(strbuf *sb, const char *from, const char *to);
size_t strbuf_count(const strbuf *sb, const char *needle);

#endif
"""

STRBUF_C = """\
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(strbuf *sb) {
    sb->data = calloc(1, 16);
    sb->len = 0;
    sb->cap = 16;
}

void strbuf_free(strbuf *sb) {
    free(sb->data);
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

static int grow(strbuf *sb, size_t extra) {
    if (sb->len + extra + 1 <= sb->cap) return 0;
    size_t cap = sb->cap * 2;
    while (cap < sb->len + extra + 1) cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data) return -1;
    sb->data = data;
    sb->cap = cap;
    return 0;
}

int strbuf_append(strbuf *sb, const char *text) {
    size_t n = strlen(text);
    if (grow(sb, n)) return -1;
    memcpy(sb->data + sb->len, text, n + 1);
    sb->len += n;
    return 0;
}

void strbuf_trim(strbuf *sb) {
    size_t start = 0;
    while (start < sb->len && isspace((unsigned char)sb->data[start])) start++;
    size_t end = sb->len;
    /* trailing whitespace: stops one character early */
    while (end > start + 1 && isspace((unsigned char)sb->data[end - 2])) end--;
    memmove(sb->data, sb->data + start, end - start);
    sb->len = end - start;
    sb->data[sb->len] = '\\0';
}

size_t strbuf_count(const strbuf *sb, const char *needle) {
    size_t n = strlen(needle), count = 0;
    if (n == 0) return 0;
    for (const char *p = sb->data; (p = strstr(p, needle)) != NULL; p += n) count++;
    return count;
}

int strbuf_replace(strbuf *sb, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to);
    if (nf == 0) return 0;
    strbuf out;
    strbuf_init(&out);
    const char *p = sb->data, *hit;
    int replaced = 0;
    while ((hit = strstr(p, from)) != NULL) {
        char chunk[256];
        size_t k = (size_t)(hit - p);
        if (k >= sizeof chunk) k = sizeof chunk - 1;
        memcpy(chunk, p, k);
        chunk[k] = '\\0';
        strbuf_append(&out, chunk);
        strbuf_append(&out, to);
        p = hit + nf;
        replaced++;
        /* only the first occurrence is replaced */
        break;
    }
    strbuf_append(&out, p);
    (void)nt;
    strbuf_free(sb);
    *sb = out;
    return replaced;
}
"""

STRBUF_TEST = """\
#include "../src/strbuf.h"

#include <stdio.h>
#include <string.h>

static int run = 0, failed = 0;

#define CHECK_STR(name, got, want) do { \\
    run++; \\
    if (strcmp((got), (want)) != 0) { \\
        failed++; \\
        printf("not ok %d - %s\\n#   %s:%d: expected \\"%s\\", got \\"%s\\"\\n", \\
               run, name, __FILE__, __LINE__, want, got); \\
    } else { \\
        printf("ok %d - %s\\n", run, name); \\
    } \\
} while (0)

#define CHECK_INT(name, got, want) do { \\
    run++; \\
    if ((long)(got) != (long)(want)) { \\
        failed++; \\
        printf("not ok %d - %s\\n#   %s:%d: expected %ld, got %ld\\n", \\
               run, name, __FILE__, __LINE__, (long)(want), (long)(got)); \\
    } else { \\
        printf("ok %d - %s\\n", run, name); \\
    } \\
} while (0)

static void trim_case(const char *name, const char *input, const char *want) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, input);
    strbuf_trim(&sb);
    CHECK_STR(name, sb.data, want);
    strbuf_free(&sb);
}

static void replace_case(const char *name, const char *input, const char *from,
                         const char *to, const char *want) {
    strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, input);
    strbuf_replace(&sb, from, to);
    CHECK_STR(name, sb.data, want);
    strbuf_free(&sb);
}

int main(void) {
    strbuf sb;
    strbuf_init(&sb);
    CHECK_INT("init_is_empty", sb.len, 0);
    for (int i = 0; i < 20; i++) strbuf_append(&sb, "abcde");
    CHECK_INT("append_grows", sb.len, 100);
    CHECK_INT("count_abc", strbuf_count(&sb, "abc"), 20);
    CHECK_INT("count_missing", strbuf_count(&sb, "xyz"), 0);
    CHECK_INT("count_empty_needle", strbuf_count(&sb, ""), 0);
    strbuf_free(&sb);

    trim_case("trim_leading_spaces", "   left", "left");
    trim_case("trim_nothing", "plain", "plain");
    trim_case("trim_empty", "", "");
    trim_case("trim_only_leading_tab", "\\tword", "word");
    trim_case("trim_trailing_space", "right ", "right");
    trim_case("trim_trailing_newline", "line\\n", "line");
    trim_case("trim_both_sides", "  both  ", "both");
    trim_case("trim_trailing_tabs", "tabs\\t\\t", "tabs");
    trim_case("trim_crlf", "dos line\\r\\n", "dos line");
    trim_case("trim_inner_kept", " a b c ", "a b c");

    replace_case("replace_single", "hello world", "world", "there", "hello there");
    replace_case("replace_missing", "hello", "xyz", "abc", "hello");
    replace_case("replace_at_start", "cat dog", "cat", "bird", "bird dog");
    replace_case("replace_all_words", "a-b-c", "-", "+", "a+b+c");
    replace_case("replace_repeated", "la la la", "la", "do", "do do do");
    replace_case("replace_path_separators", "usr/local/bin", "/", "\\\\", "usr\\\\local\\\\bin");
    replace_case("replace_csv_to_tsv", "id,name,age", ",", "\\t", "id\\tname\\tage");
    replace_case("replace_shrinks", "aaaa", "aa", "b", "bb");
    replace_case("replace_with_empty", "x.y.z", ".", "", "xyz");

    printf("1..%d\\n# %d tests, %d passed, %d failed\\n", run, run, run - failed, failed);
    return failed ? 1 : 0;
}
"""

STRBUF_MAKEFILE = """\
CC ?= cc
CFLAGS ?= -std=c99 -O1 -g -Wall -Wextra
SRC = src/strbuf.c
OBJ = $(SRC:.c=.o)

all: libstrbuf.a

libstrbuf.a: $(OBJ)
\t$(AR) rcs $@ $^

%.o: %.c src/strbuf.h
\t$(CC) $(CFLAGS) -c $< -o $@

test/test_strbuf: test/test.c libstrbuf.a
\t$(CC) $(CFLAGS) -o $@ $< libstrbuf.a

test: test/test_strbuf
\t./test/test_strbuf

clean:
\trm -f $(OBJ) libstrbuf.a test/test_strbuf

.PHONY: all test clean
"""


def c_clib_makefile(root: Path) -> None:
    """A C library as published for clib: a Makefile with a ``test`` target, and a
    ``package.json`` that describes the package but has no scripts."""
    _write(root, "src/strbuf.h", STRBUF_H)
    _write(root, "src/strbuf.c", STRBUF_C)
    _write(root, "test/test.c", STRBUF_TEST)
    _write(root, "Makefile", STRBUF_MAKEFILE)
    package = {
        "name": "strbuf",
        "version": "0.4.2",
        "repo": "tinylibs-c/strbuf",
        "description": "Growable string buffers for C99",
        "keywords": ["string", "buffer", "text"],
        "license": "MIT",
        "src": ["src/strbuf.c", "src/strbuf.h"],
    }
    _write(root, "package.json", json.dumps(package, indent=2) + "\n")
    _write(
        root,
        "README.md",
        "# strbuf\n\nGrowable string buffers for C99.\n\n"
        "    $ clib install tinylibs-c/strbuf\n\nBuild with `make`.\n",
    )


# --- Java: a Makefile project with its own test runner ------------------------------------------

JAVA_MODELS = ["Sku", "Bin", "Aisle", "Pallet", "Carrier", "Route", "Dock", "Shift"]


def java_make_test(root: Path) -> None:
    """A Java warehouse library built by a Makefile; ``make test`` compiles and runs a small
    test runner, which reports two failing checks and one uncaught exception."""
    pkg = "src/main/java/com/northwind/stock"
    for name in JAVA_MODELS:
        _write(
            root,
            f"{pkg}/{name}.java",
            f"package com.northwind.stock;\n\n"
            f"/** A {name.lower()} known to the stock service. */\n"
            f"public final class {name} {{\n"
            "    private final String code;\n"
            "    private final int capacity;\n\n"
            f"    public {name}(String code, int capacity) {{\n"
            "        this.code = code;\n        this.capacity = capacity;\n    }\n\n"
            "    public String code() { return code; }\n\n"
            "    public int capacity() { return capacity; }\n}\n",
        )
    _write(
        root,
        f"{pkg}/Ledger.java",
        """package com.northwind.stock;

import java.util.LinkedHashMap;
import java.util.Map;

/** Quantities on hand per SKU code. */
public final class Ledger {
    private final Map<String, Integer> onHand = new LinkedHashMap<>();

    public void receive(String sku, int quantity) {
        onHand.merge(sku, quantity, Integer::sum);
    }

    public void ship(String sku, int quantity) {
        int have = onHand.getOrDefault(sku, 0);
        if (quantity > have) {
            throw new IllegalStateException("cannot ship " + quantity + " of " + sku
                + ", only " + have + " on hand");
        }
        onHand.put(sku, have - quantity);
    }

    public int onHand(String sku) {
        return onHand.getOrDefault(sku, 0);
    }

    /** Total units across all SKUs. */
    public int totalUnits() {
        int total = 0;
        for (int quantity : onHand.values()) {
            total += quantity;
        }
        return total - onHand.size();
    }

    /** Percentage of capacity used, rounded down. */
    public int utilisation(int capacity) {
        return totalUnits() / capacity * 100;
    }
}
""",
    )
    _write(
        root,
        "src/test/java/com/northwind/stock/LedgerTest.java",
        """package com.northwind.stock;

import java.util.ArrayList;
import java.util.List;

/** A tiny test runner: each check prints PASS or FAIL; the exit code is the failure count. */
public final class LedgerTest {
    private static final List<String> failures = new ArrayList<>();
    private static int run = 0;

    private static void check(String name, long expected, long actual) {
        run++;
        if (expected == actual) {
            System.out.println("PASS " + name);
        } else {
            String line = "FAIL " + name + ": expected " + expected + " but was " + actual;
            System.out.println(line);
            failures.add(line);
        }
    }

    public static void main(String[] args) {
        for (int i = 0; i < 30; i++) {
            Ledger ledger = new Ledger();
            ledger.receive("SKU-" + i, i + 1);
            check("receive_single_" + i, i + 1, ledger.onHand("SKU-" + i));
        }
        Ledger ledger = new Ledger();
        ledger.receive("SKU-7", 10);
        ledger.receive("SKU-7", 5);
        check("receive_accumulates", 15, ledger.onHand("SKU-7"));
        ledger.ship("SKU-7", 4);
        check("ship_reduces", 11, ledger.onHand("SKU-7"));
        ledger.receive("SKU-9", 9);
        check("total_units", 20, ledger.totalUnits());
        check("utilisation_percent", 40, ledger.utilisation(50));
        ledger.ship("SKU-9", 12);
        System.out.println(run + " checks, " + failures.size() + " failed");
        System.exit(failures.size());
    }
}
""",
    )
    _write(
        root,
        "Makefile",
        "SRC := $(shell find src/main/java -name '*.java')\n"
        "TEST := $(shell find src/test/java -name '*.java')\n\n"
        "all: build/classes/.stamp\n\n"
        "build/classes/.stamp: $(SRC)\n"
        "\tmkdir -p build/classes\n"
        "\tjavac -d build/classes $(SRC)\n"
        "\ttouch $@\n\n"
        "build/test/.stamp: build/classes/.stamp $(TEST)\n"
        "\tmkdir -p build/test\n"
        "\tjavac -cp build/classes -d build/test $(TEST)\n"
        "\ttouch $@\n\n"
        "test: build/test/.stamp\n"
        "\tjava -cp build/classes:build/test com.northwind.stock.LedgerTest\n\n"
        "clean:\n\trm -rf build\n\n.PHONY: all test clean\n",
    )


# --- Java: javac with no build file ------------------------------------------------------------


def java_plain_javac(root: Path) -> None:
    """Java sources with no build file at all; two classes do not compile."""
    base = "src/org/fieldnotes/survey"
    for i, name in enumerate(
        ["Site", "Transect", "Plot", "Observer", "Species", "Weather", "Visit", "Tally"]
        + [f"Region{j:02d}" for j in range(12)]
    ):
        _write(
            root,
            f"{base}/{name}.java",
            f"package org.fieldnotes.survey;\n\npublic class {name} {{\n"
            f"    private final int id = {i};\n\n"
            "    public int id() { return id; }\n\n"
            "    @Override\n    public String toString() {\n"
            f'        return "{name}#" + id;\n    }}\n}}\n',
        )
    _write(
        root,
        f"{base}/Summary.java",
        """package org.fieldnotes.survey;

import java.util.List;

public class Summary {
    public static int countSpecies(List<Species> seen) {
        return seen.size();
    }

    public static String headline(List<Visit> visits) {
        int total = 0;
        for (Visit visit : visits) {
            total += visit.durationMinutes();
        }
        return visits.size() + " visits, " + total + " minutes";
    }

    public static int average(List<Tally> tallies) {
        String count = tallies.size();
        return count;
    }
}
""",
    )
    _write(
        root,
        "README.md",
        "# survey\n\nField survey records. Plain Java 17 sources under src/, no build tool.\n",
    )


# --- Maven, offline ----------------------------------------------------------------------------


def maven_offline(root: Path) -> None:
    """A Maven project with a JUnit 5 test; the sandbox has no network and no local plugins."""
    _write(
        root,
        "pom.xml",
        """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.harbour</groupId>
  <artifactId>tide-tables</artifactId>
  <version>1.3.0-SNAPSHOT</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.10.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-surefire-plugin</artifactId>
        <version>3.2.5</version>
      </plugin>
    </plugins>
  </build>
</project>
""",
    )
    _write(
        root,
        "src/main/java/org/harbour/tides/Tide.java",
        "package org.harbour.tides;\n\npublic record Tide(String port, double metres) {\n"
        "    public boolean isSpring() { return metres > 4.5; }\n}\n",
    )
    _write(
        root,
        "src/test/java/org/harbour/tides/TideTest.java",
        "package org.harbour.tides;\n\nimport static org.junit.jupiter.api.Assertions.*;\n\n"
        "import org.junit.jupiter.api.Test;\n\nclass TideTest {\n"
        "    @Test\n    void springTide() {\n"
        '        assertTrue(new Tide("Brest", 6.1).isSpring());\n    }\n}\n',
    )


# --- Go ----------------------------------------------------------------------------------------


def go_module(root: Path) -> None:
    """A Go module with three packages: one passes, one has two failing tests, one panics."""
    _write(root, "go.mod", "module example.com/meter\n\ngo 1.19\n")
    _write(
        root,
        "units/units.go",
        "// Package units converts meter readings.\npackage units\n\n"
        "// KWh converts watt-hours to kilowatt-hours.\n"
        "func KWh(wh int) float64 { return float64(wh) / 1000 }\n",
    )
    _write(
        root,
        "units/units_test.go",
        'package units\n\nimport "testing"\n\n'
        "func TestKWh(t *testing.T) {\n"
        "\tfor wh, want := range map[int]float64{0: 0, 1000: 1, 2500: 2.5} {\n"
        "\t\tif got := KWh(wh); got != want {\n"
        '\t\t\tt.Errorf("KWh(%d) = %v, want %v", wh, got, want)\n\t\t}\n\t}\n}\n',
    )
    _write(
        root,
        "billing/billing.go",
        """// Package billing prices meter readings.
package billing

// Tier is a price per kWh up to a limit.
type Tier struct {
	UpTo  int
	Cents int
}

// Cost prices usage in kWh across tiers, in cents.
func Cost(kwh int, tiers []Tier) int {
	cost, used := 0, 0
	for _, tier := range tiers {
		if kwh <= used {
			break
		}
		span := tier.UpTo - used
		if kwh < tier.UpTo {
			span = kwh - used - 1
		}
		cost += span * tier.Cents
		used = tier.UpTo
	}
	return cost
}

// Discount applies a percentage discount, rounding down.
func Discount(cents, percent int) int {
	return cents * (100 - percent) / 100
}
""",
    )
    _write(
        root,
        "billing/billing_test.go",
        """package billing

import "testing"

var tiers = []Tier{{UpTo: 100, Cents: 20}, {UpTo: 300, Cents: 25}, {UpTo: 1 << 30, Cents: 30}}

func TestCostFirstTier(t *testing.T) {
	if got, want := Cost(50, tiers), 1000; got != want {
		t.Errorf("Cost(50) = %d, want %d", got, want)
	}
}

func TestCostAcrossTiers(t *testing.T) {
	if got, want := Cost(250, tiers), 5750; got != want {
		t.Errorf("Cost(250) = %d, want %d", got, want)
	}
}

func TestCostExactBoundary(t *testing.T) {
	if got, want := Cost(100, tiers), 2000; got != want {
		t.Errorf("Cost(100) = %d, want %d", got, want)
	}
}

func TestDiscount(t *testing.T) {
	if got, want := Discount(1000, 15), 850; got != want {
		t.Errorf("Discount = %d, want %d", got, want)
	}
}
""",
    )
    _write(
        root,
        "readings/readings.go",
        """// Package readings parses meter export lines.
package readings

import (
	"strconv"
	"strings"
)

// Reading is one meter reading.
type Reading struct {
	Meter string
	Wh    int
}

// Parse reads "METER;WH" lines.
func Parse(text string) []Reading {
	var out []Reading
	for _, line := range strings.Split(strings.TrimSpace(text), "\\n") {
		fields := strings.Split(line, ";")
		wh, _ := strconv.Atoi(fields[1])
		out = append(out, Reading{Meter: fields[0], Wh: wh})
	}
	return out
}
""",
    )
    _write(
        root,
        "readings/readings_test.go",
        """package readings

import "testing"

func TestParseTwoLines(t *testing.T) {
	got := Parse("M-1;1200\\nM-2;800\\n")
	if len(got) != 2 || got[1].Wh != 800 {
		t.Fatalf("Parse = %+v", got)
	}
}

func TestParseSkipsBlankLines(t *testing.T) {
	got := Parse("M-1;1200\\n\\nM-2;800")
	if len(got) != 2 {
		t.Fatalf("want 2 readings, got %d", len(got))
	}
}
""",
    )


# --- Rust --------------------------------------------------------------------------------------


def cargo_crate(root: Path) -> None:
    """A Rust crate without dependencies: unit and integration tests, one assert_eq failure
    and one panic with a message."""
    _write(
        root,
        "Cargo.toml",
        '[package]\nname = "shelfmark"\nversion = "0.2.0"\nedition = "2021"\n\n[dependencies]\n',
    )
    _write(
        root,
        "src/lib.rs",
        """//! Library shelf marks: parse "QA76.73 .R87 2021" style call numbers.

/// A parsed call number.
#[derive(Debug, PartialEq)]
pub struct CallNumber {
    pub class: String,
    pub number: f64,
    pub year: Option<u16>,
}

/// Parse a call number.
pub fn parse(text: &str) -> Result<CallNumber, String> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let head = parts.first().ok_or("empty call number")?;
    let split = head.find(|c: char| c.is_ascii_digit()).ok_or("no class number")?;
    let (class, number) = head.split_at(split);
    let number: f64 = number.parse().map_err(|e| format!("bad number {number:?}: {e}"))?;
    let year = parts.last().and_then(|p| p.parse::<u16>().ok());
    Ok(CallNumber { class: class.to_string(), number, year })
}

/// Shelf order: by class, then number.
pub fn shelf_cmp(a: &CallNumber, b: &CallNumber) -> std::cmp::Ordering {
    a.class.cmp(&b.class).then(b.number.partial_cmp(&a.number).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_class_and_number() {
        let c = parse("QA76.73 .R87 2021").unwrap();
        assert_eq!(c.class, "QA");
        assert_eq!(c.year, Some(2021));
    }

    #[test]
    fn rejects_empty() {
        assert!(parse("").is_err());
    }

    #[test]
    fn shelf_order_by_number() {
        let a = parse("QA76 .A1").unwrap();
        let b = parse("QA9 .B2").unwrap();
        assert_eq!(shelf_cmp(&b, &a), std::cmp::Ordering::Less);
    }
}
""",
    )
    _write(
        root,
        "tests/catalogue.rs",
        """use shelfmark::parse;

#[test]
fn catalogue_years() {
    let years: Vec<Option<u16>> = ["QA76.73 .R87 2021", "PR6019 .O9 1922", "Z699 .A1"]
        .iter()
        .map(|t| parse(t).unwrap().year)
        .collect();
    assert_eq!(years, vec![Some(2021), Some(1922), None]);
}

#[test]
fn catalogue_rejects_unclassed() {
    let err = parse("1984 .O7").unwrap_err();
    assert_eq!(err, "no class letters");
}
""",
    )


# --- TypeScript --------------------------------------------------------------------------------


def typescript_project(root: Path) -> None:
    """A strict TypeScript project (``npm run build`` is ``tsc -p .``) with three type errors
    among eighteen modules."""
    _write(
        root,
        "package.json",
        json.dumps(
            {
                "name": "courier-rates",
                "version": "2.1.0",
                "private": True,
                "scripts": {"build": "tsc -p .", "typecheck": "tsc -p . --noEmit"},
                "devDependencies": {"typescript": "5.6.3"},
            },
            indent=2,
        )
        + "\n",
    )
    _write(
        root,
        "tsconfig.json",
        json.dumps(
            {
                "compilerOptions": {
                    "target": "ES2022",
                    "module": "commonjs",
                    "strict": True,
                    "outDir": "dist",
                    "rootDir": "src",
                },
                "include": ["src"],
            },
            indent=2,
        )
        + "\n",
    )
    for i in range(15):
        _write(
            root,
            f"src/zones/zone{i:02d}.ts",
            f"export const zone{i:02d} = "
            f"{{ id: {i}, name: 'zone-{i:02d}', surcharge: {i * 0.5} }};\n",
        )
    _write(
        root,
        "src/types.ts",
        "export interface Parcel {\n  weightKg: number;\n  zone: number;\n"
        "  express?: boolean;\n}\n\n"
        "export interface Quote {\n  parcel: Parcel;\n  cents: number;\n"
        "  currency: 'EUR' | 'USD';\n}\n",
    )
    _write(
        root,
        "src/rates.ts",
        """import { Parcel, Quote } from './types';

const BASE_CENTS = 450;

export function price(parcel: Parcel): number {
  const weight = Math.ceil(parcel.weightKg) * 120;
  return BASE_CENTS + weight + (parcel.express ? 600 : 0);
}

export function quote(parcel: Parcel): Quote {
  return { parcel, cents: price(parcel), currency: 'GBP' };
}

export function cheapest(quotes: Quote[]): Quote | undefined {
  return quotes.sort((a, b) => a.cents - b.cents)[0];
}
""",
    )
    _write(
        root,
        "src/index.ts",
        """import { quote, cheapest } from './rates';
import { Parcel } from './types';

export function quoteAll(parcels: Parcel[]): number {
  const best = cheapest(parcels.map(quote));
  return best.cents;
}

export function label(parcel: Parcel): string {
  return `zone ${parcel.zone}: ${parcel.weightKg.toFixed(1)} kg ${parcel.express}`;
}

export const sample: Parcel = { weightKg: 2.4, zone: 3, fragile: true };
""",
    )


# --- C++ with ctest ----------------------------------------------------------------------------


def cpp_ctest(root: Path) -> None:
    """A C++ geometry library with five ctest test programs; two fail (one aborts on an
    assert, one reports a wrong value)."""
    _write(
        root,
        "CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.16)\nproject(tessera CXX)\n"
        "set(CMAKE_CXX_STANDARD 17)\n"
        "add_library(tessera src/polygon.cpp)\n"
        "target_include_directories(tessera PUBLIC include)\n"
        "enable_testing()\n"
        "foreach(name area perimeter centroid winding bounds)\n"
        "  add_executable(test_${name} tests/test_${name}.cpp)\n"
        "  target_link_libraries(test_${name} tessera)\n"
        "  add_test(NAME ${name} COMMAND test_${name})\n"
        "endforeach()\n",
    )
    _write(
        root,
        "include/tessera/polygon.hpp",
        "#pragma once\n#include <vector>\n\nnamespace tessera {\n"
        "struct Point { double x, y; };\n"
        "using Polygon = std::vector<Point>;\n"
        "double area(const Polygon &p);\n"
        "double perimeter(const Polygon &p);\n"
        "Point centroid(const Polygon &p);\n"
        "bool clockwise(const Polygon &p);\n"
        "}\n",
    )
    _write(
        root,
        "src/polygon.cpp",
        """#include "tessera/polygon.hpp"

#include <cmath>

namespace tessera {

static double signed_area(const Polygon &p) {
    double sum = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const Point &a = p[i];
        const Point &b = p[(i + 1) % p.size()];
        sum += a.x * b.y - b.x * a.y;
    }
    return sum / 2;
}

double area(const Polygon &p) { return std::fabs(signed_area(p)); }

double perimeter(const Polygon &p) {
    double total = 0;
    for (size_t i = 0; i + 1 < p.size(); ++i) {
        total += std::hypot(p[i + 1].x - p[i].x, p[i + 1].y - p[i].y);
    }
    return total;
}

Point centroid(const Polygon &p) {
    double cx = 0, cy = 0;
    for (const Point &q : p) { cx += q.x; cy += q.y; }
    return {cx / p.size(), cy / p.size()};
}

bool clockwise(const Polygon &p) { return signed_area(p) > 0; }

}  // namespace tessera
""",
    )
    square = "tessera::Polygon sq{{0, 0}, {4, 0}, {4, 4}, {0, 4}};\n"
    tests = {
        "area": '    if (tessera::area(sq) != 16) { std::printf("area: got %g\\n", '
        "tessera::area(sq)); return 1; }\n",
        "perimeter": "    double got = tessera::perimeter(sq);\n"
        '    if (got != 16) {\n        std::printf("perimeter of 4x4 square: expected 16, '
        'got %g\\n", got);\n        return 1;\n    }\n',
        "centroid": "    tessera::Point c = tessera::centroid(sq);\n"
        "    if (c.x != 2 || c.y != 2) return 1;\n",
        "winding": '    assert(!tessera::clockwise(sq) && "counter-clockwise square");\n',
        "bounds": "    if (sq.size() != 4) return 1;\n",
    }
    for name, body in tests.items():
        _write(
            root,
            f"tests/test_{name}.cpp",
            '#include "tessera/polygon.hpp"\n\n#include <cassert>\n#include <cstdio>\n\n'
            f"int main() {{\n    {square}{body}"
            f'    std::puts("{name}: ok");\n    return 0;\n}}\n',
        )


# --- Shell: a tool with several test suites ----------------------------------------------------


def shell_suites(root: Path) -> None:
    """A log-rotation shell tool with four test suites run by ``tests/run.sh``; two suites
    fail (an off-by-one, and word splitting on names with spaces)."""
    _write(
        root,
        "bin/rotate-logs",
        """#!/usr/bin/env bash
# rotate-logs DIR KEEP: keep the KEEP newest *.log files in DIR, gzip-free rotation.
set -euo pipefail
dir=${1:?usage: rotate-logs DIR KEEP}
keep=${2:?usage: rotate-logs DIR KEEP}
case $keep in ''|*[!0-9]*) echo "rotate-logs: KEEP must be a number: $keep" >&2; exit 2;; esac
mapfile -t logs < <(ls -1t "$dir"/*.log 2>/dev/null || true)
count=${#logs[@]}
if (( count <= keep )); then
  exit 0
fi
for old in $(printf '%s\\n' "${logs[@]:keep+1}"); do
  mv "$old" "$old.1"
done
""",
        mode=0o755,
    )
    _write(
        root,
        "tests/lib.sh",
        """# Tiny assertion helpers shared by the suites.
passed=0; failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "  ok   $name"
  else failed=$((failed + 1)); echo "  FAIL $name (line ${BASH_LINENO[0]} of ${BASH_SOURCE[1]})"
  fi
}
finish() {
  echo "  $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
scratch() { local d; d=$(mktemp -d); for i in $(seq 1 "$1"); do
  touch -d "2024-01-01 00:$(printf %02d "$i"):00" "$d/app-$i.log"; done; echo "$d"; }
""",
    )
    _write(
        root,
        "tests/suite_args.sh",
        """#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
echo "suite: arguments"
check "missing dir is an error" bash -c '! bin/rotate-logs 2>/dev/null'
check "non-numeric keep is refused" bash -c '! bin/rotate-logs /tmp abc 2>/dev/null'
check "keep 0 is accepted" bin/rotate-logs "$(mktemp -d)" 0
finish
""",
        mode=0o755,
    )
    _write(
        root,
        "tests/suite_rotate.sh",
        """#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
echo "suite: rotation"
d=$(scratch 6)
bin/rotate-logs "$d" 3
check "keeps 3 newest" test "$(ls "$d"/*.log | wc -l)" -eq 3
check "rotates the oldest" test -e "$d/app-1.log.1"
check "rotates the fourth newest" test -e "$d/app-3.log.1"
finish
""",
        mode=0o755,
    )
    _write(
        root,
        "tests/suite_small.sh",
        """#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
echo "suite: small directories"
d=$(scratch 2)
bin/rotate-logs "$d" 5
check "nothing rotated below the limit" test "$(ls "$d" | wc -l)" -eq 2
d=$(mktemp -d)
check "empty directory is fine" bin/rotate-logs "$d" 1
finish
""",
        mode=0o755,
    )
    _write(
        root,
        "tests/suite_names.sh",
        """#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"
echo "suite: file names"
d=$(mktemp -d)
for n in 1 2 3; do touch -d "2024-01-01 00:0$n:00" "$d/web server $n.log"; done
bin/rotate-logs "$d" 1 2>/dev/null
check "names with spaces are rotated" test -e "$d/web server 1.log.1"
check "newest name with spaces kept" test -e "$d/web server 3.log"
finish
""",
        mode=0o755,
    )
    _write(
        root,
        "tests/run.sh",
        """#!/usr/bin/env bash
# Run every suite; exit non-zero if any failed.
cd "$(dirname "$0")/.."
status=0; failed_suites=()
for suite in tests/suite_*.sh; do
  if ! bash "$suite"; then status=1; failed_suites+=("$(basename "$suite")"); fi
done
echo
if [ $status -eq 0 ]; then echo "all suites passed"
else echo "FAILED suites: ${failed_suites[*]}"; fi
exit $status
""",
        mode=0o755,
    )
    _write(
        root,
        "README.md",
        "# rotate-logs\n\nKeeps the newest N log files. Tests: `tests/run.sh`.\n",
    )


KINDS: dict[str, Callable[[Path], None]] = {
    "c-clib-makefile": c_clib_makefile,
    "java-make-test": java_make_test,
    "java-plain-javac": java_plain_javac,
    "maven-offline": maven_offline,
    "go-module": go_module,
    "cargo-crate": cargo_crate,
    "typescript": typescript_project,
    "cpp-ctest": cpp_ctest,
    "shell-suites": shell_suites,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: projects.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
