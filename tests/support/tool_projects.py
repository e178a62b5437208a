"""Small projects with real bugs, and the commands that make real tools report them.

``tests/fixtures/tool_outputs/capture.py`` runs each :class:`Case` with the real tool and saves
its raw output as ``tests/fixtures/tool_outputs/<case>.txt``; ``tests/agent/test_tool_digests.py``
checks the digest of each saved output against facts read from that output, and, for the tools
the sandbox image has, runs the same case in a real sandbox and checks the fresh output too.

The projects are written for this purpose (no other project's code). Each keeps a few passing
tests next to its failures, so counts are not trivial.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field


def _files(files: dict[str, str]) -> dict[str, str]:
    """``files`` with each text dedented."""
    return {path: textwrap.dedent(text) for path, text in files.items()}


@dataclass(frozen=True)
class Case:
    """One run of a real tool on a small project."""

    name: str
    """``<tool>-<case>``: the fixture file's name without ``.txt``."""
    tool: str
    """The program that must be on PATH (checked before running)."""
    files: Mapping[str, str]
    command: str
    setup: str = ""
    """Run before ``command`` (its output is not kept): installs, a first build."""
    in_sandbox: bool = False
    """The default sandbox image has this tool: the tests also run the case there."""
    env: Mapping[str, str] = field(default_factory=dict)


# --- Python -------------------------------------------------------------------------------

LEDGER = _files(
    {
        "ledger/__init__.py": "",
        "ledger/money.py": '''\
        """Amounts of money as integer cents."""


        def parse_amount(text: str) -> int:
            """Cents from text such as ``12.34``."""
            whole, _, frac = text.strip().partition(".")
            if not whole.isdigit() or (frac and not frac.isdigit()):
                raise ValueError(f"not an amount: {text!r}")
            return int(whole) * 100 + int((frac + "00")[:2])


        def split(total: int, parts: int) -> list[int]:
            """``total`` cents shared into ``parts`` shares that add up to it."""
            share = total // parts
            return [share] * parts
        ''',
        "ledger/accounts.py": '''\
        """An account: a name and its postings."""


        class Account:
            def __init__(self, name: str) -> None:
                self.name = name
                self.postings: list[tuple[str, int]] = []

            def post(self, memo: str, cents: int) -> None:
                if cents == 0:
                    raise ValueError(f"empty posting for {memo!r} on {self.name}")
                self.postings.append((memo, cents))

            def balance(self) -> int:
                return sum(cents for _, cents in self.postings)

            def by_memo(self) -> dict[str, int]:
                totals: dict[str, int] = {}
                for memo, cents in self.postings:
                    totals[memo.lower()] = totals.get(memo.lower(), 0) + cents
                return totals
        ''',
        "tests/__init__.py": "",
        "tests/test_money.py": """\
        import pytest

        from ledger.money import parse_amount, split


        @pytest.mark.parametrize(
            ("text", "cents"),
            [("0", 0), ("1", 100), ("12.3", 1230), ("12.34", 1234), ("7.05", 705), (" 3 ", 300)],
        )
        def test_parse_amount(text, cents):
            assert parse_amount(text) == cents


        def test_parse_rejects_letters():
            with pytest.raises(ValueError, match="bad amount"):
                parse_amount("12a")


        def test_split_keeps_every_cent():
            assert sum(split(100, 3)) == 100


        def test_split_evenly():
            assert split(90, 3) == [30, 30, 30]
        """,
        "tests/test_accounts.py": """\
        from ledger.accounts import Account


        class TestAccount:
            def test_balance(self):
                account = Account("cash")
                account.post("rent", -50000)
                account.post("salary", 300000)
                assert account.balance() == 250000

            def test_by_memo_keeps_case(self):
                account = Account("cash")
                account.post("Rent", -50000)
                assert account.by_memo()["Rent"] == -50000

            def test_zero_posting_is_ignored(self):
                account = Account("cash")
                account.post("fee", 0)
                assert account.balance() == 0


        def test_new_account_is_empty():
            assert Account("savings").balance() == 0
        """,
    }
)

LEDGER_COLLECTION_ERROR = {
    **LEDGER,
    **_files(
        {
            "tests/test_report.py": """\
            from ledger.report import render_statement


            def test_render():
                assert render_statement([]) == ""
            """
        }
    ),
}

LEDGER_INTERRUPTED = {
    **LEDGER,
    **_files(
        {
            "tests/test_sync.py": """\
            def test_sync_with_bank():
                raise KeyboardInterrupt
            """
        }
    ),
}

LEDGER_HANGING = {
    **LEDGER,
    **_files(
        {
            "tests/test_zz_sync.py": """\
            import time


            def test_sync_waits_for_the_bank():
                time.sleep(60)
            """
        }
    ),
}

LEDGER_MAKEFILE = {
    **LEDGER,
    **_files(
        {
            "Makefile": """\
            check: test lint
            \t@echo all checks passed

            test:
            \tpython3 -m pytest -q

            lint:
            \tpython3 -m pyflakes ledger
            """
        }
    ),
}

UNITTEST_PROJECT = {
    **{k: v for k, v in LEDGER.items() if k.startswith("ledger/")},
    **_files(
        {
            "tests/__init__.py": "",
            "tests/test_money.py": """\
            import unittest

            from ledger.money import parse_amount, split


            class ParseAmountTest(unittest.TestCase):
                def test_whole(self):
                    self.assertEqual(parse_amount("12"), 1200)

                def test_cents(self):
                    self.assertEqual(parse_amount("12.34"), 1234)

                def test_negative(self):
                    self.assertEqual(parse_amount("-5"), -500)


            class SplitTest(unittest.TestCase):
                def test_keeps_every_cent(self):
                    self.assertEqual(sum(split(100, 3)), 100, "shares must add up to the total")

                def test_evenly(self):
                    self.assertEqual(split(90, 3), [30, 30, 30])
            """,
            "tests/test_accounts.py": """\
            import unittest

            from ledger.accounts import Account


            class AccountTest(unittest.TestCase):
                def test_balance(self):
                    account = Account("cash")
                    account.post("salary", 300000)
                    self.assertEqual(account.balance(), 300000)

                def test_zero_posting(self):
                    account = Account("cash")
                    account.post("fee", 0)
                    self.assertEqual(account.balance(), 0)

                def test_by_memo_keeps_case(self):
                    account = Account("cash")
                    account.post("Rent", -50000)
                    self.assertIn("Rent", account.by_memo())
            """,
            "tests/test_export.py": """\
            import unittest

            from ledger.export import to_csv


            class ExportTest(unittest.TestCase):
                def test_header(self):
                    self.assertTrue(to_csv([]).startswith("memo,cents"))
            """,
        }
    ),
}

EMPTY_PYTHON = _files(
    {
        "pyproject.toml": """\
        [project]
        name = "notes"
        version = "0.1.0"
        """,
        "notes.py": '''\
        def title(text: str) -> str:
            """The first line of ``text``."""
            return text.splitlines()[0] if text else ""
        ''',
    }
)

# --- Node.js ------------------------------------------------------------------------------

_TEXT_JS = """\
    'use strict';

    function slugify(title) {
      return title.trim().toLowerCase().replace(/\\s+/g, '_');
    }

    function wrap(text, width) {
      if (width < 1) throw new RangeError(`width must be positive, got ${width}`);
      const words = text.split(' ');
      const lines = [];
      let line = '';
      for (const word of words) {
        if ((line + ' ' + word).trim().length > width) {
          lines.push(line.trim());
          line = word;
        } else {
          line += ' ' + word;
        }
      }
      lines.push(line.trim());
      return lines;
    }

    function initials(name) {
      return name.split(' ').map((part) => part[0].toUpperCase()).join('');
    }

    module.exports = { slugify, wrap, initials };
    """

_PACKAGE_JSON = """\
    {
      "name": "text-tools",
      "version": "1.0.0",
      "private": true,
      "scripts": {"test": "%s"}
    }
    """

_NODE_MODULES = 'ln -s "$CAPTURE_NODE_MODULES" node_modules'
"""Setup for the npm tools: the capture links a folder where they are installed."""

JEST_PROJECT = _files(
    {
        "package.json": _PACKAGE_JSON % "jest",
        "src/text.js": _TEXT_JS,
        "test/slugify.test.js": """\
        const { slugify } = require('../src/text');

        describe('slugify', () => {
          test('lowercases', () => {
            expect(slugify('Hello')).toBe('hello');
          });

          test('joins words with hyphens', () => {
            expect(slugify('Hello Big World')).toBe('hello-big-world');
          });

          test('trims spaces', () => {
            expect(slugify('  a  ')).toBe('a');
          });
        });
        """,
        "test/wrap.test.js": """\
        const { wrap, initials } = require('../src/text');

        describe('wrap', () => {
          test('keeps short text on one line', () => {
            expect(wrap('one two', 20)).toEqual(['one two']);
          });

          test('breaks long text', () => {
            expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
          });

          test('rejects a zero width', () => {
            expect(() => wrap('x', 0)).toThrow('width must be at least 1');
          });
        });

        describe('initials', () => {
          test('of two names', () => {
            expect(initials('Ada Lovelace')).toBe('AL');
          });

          test('of a name with a double space', () => {
            expect(initials('Grace  Hopper')).toBe('GH');
          });
        });
        """,
    }
)

JEST_MISSING_MODULE = {
    **JEST_PROJECT,
    **_files(
        {
            "test/format.test.js": """\
            const { formatDate } = require('../src/format');

            test('formats a date', () => {
              expect(formatDate(new Date(0))).toBe('1970-01-01');
            });
            """
        }
    ),
}

_TEXT_MJS = _TEXT_JS.replace("'use strict';\n\n", "").replace(
    "module.exports = { slugify, wrap, initials };", "export { slugify, wrap, initials };"
)

VITEST_PROJECT = _files(
    {
        "package.json": _PACKAGE_JSON.replace('"private"', '"type": "module",\n  "private"')
        % "vitest run",
        "src/text.js": _TEXT_MJS,
        "test/slugify.test.js": """\
        import { describe, it, expect } from 'vitest';
        import { slugify } from '../src/text.js';

        describe('slugify', () => {
          it('lowercases', () => {
            expect(slugify('Hello')).toBe('hello');
          });

          it('joins words with hyphens', () => {
            expect(slugify('Hello Big World')).toBe('hello-big-world');
          });
        });
        """,
        "test/wrap.test.js": """\
        import { describe, it, expect } from 'vitest';
        import { wrap, initials } from '../src/text.js';

        describe('wrap', () => {
          it('keeps short text on one line', () => {
            expect(wrap('one two', 20)).toEqual(['one two']);
          });

          it('rejects a zero width', () => {
            expect(() => wrap('x', 0)).toThrow('width must be at least 1');
          });
        });

        describe('initials', () => {
          it('of a name with a double space', () => {
            expect(initials('Grace  Hopper')).toBe('GH');
          });
        });
        """,
    }
)

MOCHA_PROJECT = _files(
    {
        "package.json": _PACKAGE_JSON % "mocha",
        "src/text.js": _TEXT_JS,
        "test/text.test.js": """\
        const assert = require('node:assert');
        const { slugify, wrap, initials } = require('../src/text');

        describe('slugify', function () {
          it('lowercases', function () {
            assert.strictEqual(slugify('Hello'), 'hello');
          });

          it('joins words with hyphens', function () {
            assert.strictEqual(slugify('Hello Big World'), 'hello-big-world');
          });
        });

        describe('wrap', function () {
          it('breaks long text', function () {
            assert.deepStrictEqual(wrap('one two three four', 9), ['one two', 'three', 'four']);
          });

          it('rejects a zero width', function () {
            assert.throws(() => wrap('x', 0), /at least 1/);
          });
        });

        describe('initials', function () {
          it('of a name with a double space', function () {
            assert.strictEqual(initials('Grace  Hopper'), 'GH');
          });
        });
        """,
    }
)

NODE_TEST_PROJECT = _files(
    {
        "package.json": _PACKAGE_JSON % "node --test",
        "src/text.js": _TEXT_JS,
        "test/slugify.test.js": """\
        const test = require('node:test');
        const assert = require('node:assert');
        const { slugify } = require('../src/text');

        test('lowercases', () => {
          assert.strictEqual(slugify('Hello'), 'hello');
        });

        test('joins words with hyphens', () => {
          assert.strictEqual(slugify('Hello Big World'), 'hello-big-world');
        });
        """,
        "test/wrap.test.js": """\
        const test = require('node:test');
        const assert = require('node:assert');
        const { wrap, initials } = require('../src/text');

        test('wrap', async (t) => {
          await t.test('keeps short text on one line', () => {
            assert.deepStrictEqual(wrap('one two', 20), ['one two']);
          });
          await t.test('rejects a zero width', () => {
            assert.throws(() => wrap('x', 0), /at least 1/);
          });
        });

        test('initials of a name with a double space', () => {
          assert.strictEqual(initials('Grace  Hopper'), 'GH');
        });
        """,
    }
)

NODE_TEST_CRASH = {
    **NODE_TEST_PROJECT,
    **_files(
        {
            "test/format.test.js": """\
            const test = require('node:test');
            const assert = require('node:assert');
            const { formatDate } = require('../src/format');

            test('formats a date', () => {
              assert.strictEqual(formatDate(new Date(0)), '1970-01-01');
            });
            """
        }
    ),
}

TSC_PROJECT = _files(
    {
        "tsconfig.json": """\
        {
          "compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs",
                              "noEmit": true},
          "include": ["src"]
        }
        """,
        "src/cart.ts": """\
        export interface Item {
          name: string;
          cents: number;
        }

        export function total(items: Item[]): number {
          return items.reduce((sum, item) => sum + item.cents, 0);
        }

        export function label(item: Item): string {
          const price: number = (item.cents / 100).toFixed(2);
          return `${item.name}: ${price}`;
        }
        """,
        "src/checkout.ts": """\
        import { total, Item } from './cart';

        export function receipt(items: Item[]): string {
          const sum = total(items);
          return `TOTAL ${formatCents(sum)}`;
        }

        export function firstItem(items: Item[]): string {
          return items[0].title;
        }
        """,
    }
)

ESLINT_PROJECT = _files(
    {
        ".eslintrc.json": """\
        {
          "root": true,
          "extends": "eslint:recommended",
          "env": {"node": true, "es2022": true},
          "parserOptions": {"ecmaVersion": 2022}
        }
        """,
        "src/cart.js": """\
        'use strict';

        function total(items) {
          let sum = 0;
          for (const item of items) {
            sum += item.cents;
          }
          return sum;
        }

        function label(item) {
          const unused = item.name.length;
          return `${item.name}: ${formatCents(item.cents)}`;
        }

        module.exports = { total, label };
        """,
        "src/checkout.js": """\
        'use strict';

        const { total } = require('./cart');

        function receipt(items) {
          if (items.length == 0) {
            return 'EMPTY';
          }
          debugger;
          return `TOTAL ${total(items)}`;
        }

        module.exports = { receipt };
        """,
    }
)

# --- shell runner with several suites -------------------------------------------------------

SUITES_PROJECT = {
    **LEDGER,
    **{f"js/{path}": text for path, text in NODE_TEST_PROJECT.items() if path != "package.json"},
    **_files(
        {
            "run_tests.sh": """\
            #!/bin/sh
            # Runs every suite and fails if any failed.
            status=0
            echo "== python: money"
            python3 -m pytest -q tests/test_money.py || status=1
            echo "== python: accounts"
            python3 -m pytest -q tests/test_accounts.py || status=1
            echo "== javascript"
            (cd js && node --test --test-reporter=tap) || status=1
            exit $status
            """
        }
    ),
}

# --- C, Java -----------------------------------------------------------------------------

C_PROJECT = _files(
    {
        "Makefile": """\
        CC ?= gcc
        CFLAGS = -Wall -Wextra -O0 -g

        OBJS = src/main.o src/buffer.o src/checksum.o

        app: $(OBJS)
        \t$(CC) -o $@ $(OBJS)

        %.o: %.c src/buffer.h
        \t$(CC) $(CFLAGS) -c $< -o $@

        clean:
        \trm -f app src/*.o
        """,
        "src/buffer.h": """\
        #ifndef BUFFER_H
        #define BUFFER_H
        #include <stddef.h>

        struct buffer {
            char *data;
            size_t len;
            size_t cap;
        };

        int buffer_push(struct buffer *b, char c);
        unsigned checksum(const struct buffer *b);
        #endif
        """,
        "src/main.c": """\
        #include <stdio.h>
        #include "buffer.h"

        int main(void) {
            struct buffer b = {0};
            const char *text = "hello";
            for (const char *p = text; *p; p++)
                buffer_push(&b, *p);
            printf("%u\\n", checksum(&b));
            return 0;
        }
        """,
        "src/buffer.c": """\
        #include <stdlib.h>
        #include "buffer.h"

        int buffer_push(struct buffer *b, char c) {
            int grown = 0;
            if (b->len == b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 16;
                char *data = realloc(b->data, cap);
                if (!data)
                    return -1;
                b->data = data;
                b->cap = capacity;
            }
            b->data[b->len++] = c;
            return 0;
        }
        """,
        "src/checksum.c": """\
        #include "buffer.h"

        unsigned checksum(const struct buffer *b) {
            unsigned sum = 0;
            for (size_t i = 0; i < b->len; i++)
                sum = sum * 31 + (unsigned char)b->data[i];
            return sum;
        }
        """,
    }
)

C_LINK_ERROR = {
    **C_PROJECT,
    **_files(
        {
            "src/buffer.c": """\
            #include <stdlib.h>
            #include "buffer.h"

            int buffer_push(struct buffer *b, char c) {
                if (b->len == b->cap) {
                    size_t cap = b->cap ? b->cap * 2 : 16;
                    char *data = realloc(b->data, cap);
                    if (!data)
                        return -1;
                    b->data = data;
                    b->cap = cap;
                }
                b->data[b->len++] = c;
                return 0;
            }
            """,
            "src/checksum.c": """\
            #include "buffer.h"

            unsigned checksum_of(const struct buffer *b) {
                unsigned sum = 0;
                for (size_t i = 0; i < b->len; i++)
                    sum = sum * 31 + (unsigned char)b->data[i];
                return sum;
            }
            """,
        }
    ),
}

JAVAC_PROJECT = _files(
    {
        "src/shop/Cart.java": """\
        package shop;

        import java.util.ArrayList;
        import java.util.List;

        public class Cart {
            private final List<Item> items = new ArrayList<>();

            public void add(Item item) {
                items.add(item);
            }

            public int total() {
                int sum = 0;
                for (Item item : items) {
                    sum += item.price();
                }
                return sum;
            }

            public String label() {
                return "Cart of " + items.size() + " items: " + totl;
            }
        }
        """,
        "src/shop/Item.java": """\
        package shop;

        public record Item(String name, int cents) {
            public int weight() {
                return name;
            }
        }
        """,
    }
)

MAVEN_PROJECT = _files(
    {
        "pom.xml": """\
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>shop</artifactId>
          <version>1.0</version>
          <properties>
            <maven.compiler.source>17</maven.compiler.source>
            <maven.compiler.target>17</maven.compiler.target>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
          <dependencies>
            <dependency>
              <groupId>junit</groupId>
              <artifactId>junit</artifactId>
              <version>4.x</version>
              <scope>test</scope>
            </dependency>
          </dependencies>
        </project>
        """,
        "src/main/java/shop/Cart.java": """\
        package shop;

        import java.util.ArrayList;
        import java.util.List;

        public class Cart {
            private final List<Integer> prices = new ArrayList<>();

            public void add(int cents) {
                if (cents < 0) {
                    throw new IllegalArgumentException("negative price: " + cents);
                }
                prices.add(cents);
            }

            public int total() {
                int sum = 0;
                for (int i = 1; i < prices.size(); i++) {
                    sum += prices.get(i);
                }
                return sum;
            }

            public int discounted(int percent) {
                return total() - total() * percent / 100;
            }
        }
        """,
        "src/test/java/shop/CartTest.java": """\
        package shop;

        import static org.junit.Assert.assertEquals;

        import org.junit.Test;

        public class CartTest {
            @Test
            public void emptyCartCostsNothing() {
                assertEquals(0, new Cart().total());
            }

            @Test
            public void totalAddsEveryPrice() {
                Cart cart = new Cart();
                cart.add(250);
                cart.add(100);
                assertEquals(350, cart.total());
            }

            @Test
            public void freeItemsAreAllowed() {
                Cart cart = new Cart();
                cart.add(0);
                cart.add(-1);
                assertEquals(0, cart.total());
            }
        }
        """,
        "src/test/java/shop/DiscountTest.java": """\
        package shop;

        import static org.junit.Assert.assertEquals;

        import org.junit.Test;

        public class DiscountTest {
            @Test
            public void tenPercentOff() {
                Cart cart = new Cart();
                cart.add(1000);
                cart.add(1000);
                assertEquals(1800, cart.discounted(10));
            }

            @Test
            public void noDiscount() {
                assertEquals(0, new Cart().discounted(0));
            }
        }
        """,
    }
)

GRADLE_PROJECT = {
    **{path: text for path, text in MAVEN_PROJECT.items() if path != "pom.xml"},
    **_files(
        {
            "build.gradle": """\
            apply plugin: 'java'

            repositories {
                maven { url 'file:///usr/share/maven-repo' }
            }

            dependencies {
                testCompile 'junit:junit:4.x'
            }
            """,
            "settings.gradle": "rootProject.name = 'shop'\n",
        }
    ),
}

# --- Go, Rust ------------------------------------------------------------------------------

GO_PROJECT = _files(
    {
        "go.mod": "module example.com/shapes\n\ngo 1.19\n",
        "geometry/area.go": """\
        package geometry

        import "math"

        type Circle struct{ R float64 }
        type Rect struct{ W, H float64 }

        func (c Circle) Area() float64 { return math.Pi * c.R * c.R }
        func (r Rect) Area() float64   { return r.W * r.W }
        func (r Rect) Perimeter() float64 {
        \treturn 2 * (r.W + r.H)
        }
        """,
        "geometry/area_test.go": """\
        package geometry

        import "testing"

        func TestCircleArea(t *testing.T) {
        \tif got := (Circle{R: 1}).Area(); got < 3.14 || got > 3.15 {
        \t\tt.Errorf("Circle{1}.Area() = %v, want about 3.14", got)
        \t}
        }

        func TestRectArea(t *testing.T) {
        \tcases := []struct {
        \t\tr    Rect
        \t\twant float64
        \t}{
        \t\t{Rect{2, 2}, 4},
        \t\t{Rect{2, 3}, 6},
        \t}
        \tfor _, c := range cases {
        \t\tif got := c.r.Area(); got != c.want {
        \t\t\tt.Errorf("%+v.Area() = %v, want %v", c.r, got, c.want)
        \t\t}
        \t}
        }

        func TestPerimeter(t *testing.T) {
        \tif got := (Rect{2, 3}).Perimeter(); got != 10 {
        \t\tt.Fatalf("got %v, want 10", got)
        \t}
        }
        """,
        "units/convert.go": """\
        package units

        import "fmt"

        var factors = map[string]float64{"m": 1, "cm": 0.01, "km": 1000}

        // ToMeters converts a length in the given unit.
        func ToMeters(value float64, unit string) (float64, error) {
        \tf, ok := factors[unit]
        \tif !ok {
        \t\treturn 0, fmt.Errorf("unknown unit %q", unit)
        \t}
        \treturn value * f, nil
        }

        // MustParse panics on unknown units.
        func MustParse(unit string) float64 {
        \treturn factors[unit] * 1 / map[bool]float64{true: 1}[len(unit) < 3]
        }
        """,
        "units/convert_test.go": """\
        package units

        import "testing"

        func TestToMeters(t *testing.T) {
        \tgot, err := ToMeters(2.5, "km")
        \tif err != nil || got != 2500 {
        \t\tt.Errorf("ToMeters(2.5, km) = %v, %v; want 2500, nil", got, err)
        \t}
        }

        func TestMiles(t *testing.T) {
        \tgot, err := ToMeters(1, "mi")
        \tif err != nil {
        \t\tt.Fatalf("ToMeters(1, mi): %v", err)
        \t}
        \tif got != 1609.344 {
        \t\tt.Errorf("got %v, want 1609.344", got)
        \t}
        }

        func TestLookupTable(t *testing.T) {
        \tunits := []string{"m", "cm"}
        \tif units[2] != "km" {
        \t\tt.Error("table out of order")
        \t}
        }
        """,
        "strutil/pad.go": """\
        package strutil

        import "strings"

        // PadLeft pads s with spaces to width.
        func PadLeft(s string, width int) string {
        \tif len(s) >= width {
        \t\treturn s
        \t}
        \treturn strings.Repeat(" ", width-len(s)) + s
        }
        """,
        "strutil/pad_test.go": """\
        package strutil

        import "testing"

        func TestPadLeft(t *testing.T) {
        \tif got := PadLeft("7", 3); got != "  7" {
        \t\tt.Errorf("PadLeft = %q", got)
        \t}
        }
        """,
    }
)

GO_BUILD_ERROR = {
    **GO_PROJECT,
    **_files(
        {
            "strutil/pad.go": """\
            package strutil

            import "strings"

            // PadLeft pads s with spaces to width.
            func PadLeft(s string, width int) string {
            \tif len(s) >= width {
            \t\treturn s
            \t}
            \treturn strings.Repeat(" ", width-len(s)) + s + suffix
            }

            // Width of the widest string.
            func Width(items []string) int {
            \tw := 0
            \tfor _, s := range items {
            \t\tif len(s) > w {
            \t\t\tw = len(s)
            \t\t}
            \t}
            \treturn "w"
            }
            """
        }
    ),
}

CARGO_PROJECT = _files(
    {
        "Cargo.toml": """\
        [package]
        name = "ringbuf"
        version = "0.1.0"
        edition = "2021"

        [dependencies]
        """,
        "src/lib.rs": """\
        //! A fixed-size ring buffer.

        pub struct Ring {
            items: Vec<i64>,
            head: usize,
            len: usize,
        }

        impl Ring {
            pub fn new(capacity: usize) -> Ring {
                Ring { items: vec![0; capacity], head: 0, len: 0 }
            }

            pub fn push(&mut self, value: i64) {
                let at = (self.head + self.len) % self.items.len();
                self.items[at] = value;
                if self.len < self.items.len() {
                    self.len += 1;
                } else {
                    self.head = (self.head + 1) % self.items.len();
                }
            }

            pub fn pop(&mut self) -> Option<i64> {
                if self.len == 0 {
                    return None;
                }
                let value = self.items[self.head];
                self.head += 1;
                self.len -= 1;
                Some(value)
            }

            pub fn get(&self, index: usize) -> i64 {
                if index >= self.len {
                    panic!("index {} out of range for ring of {}", index, self.len);
                }
                self.items[(self.head + index) % self.items.len()]
            }

            pub fn sum(&self) -> i64 {
                (0..self.len).map(|i| self.get(i)).sum()
            }
        }

        #[cfg(test)]
        mod tests {
            use super::*;

            #[test]
            fn push_then_pop() {
                let mut ring = Ring::new(2);
                ring.push(1);
                assert_eq!(ring.pop(), Some(1));
            }

            #[test]
            fn overwrites_oldest() {
                let mut ring = Ring::new(2);
                ring.push(1);
                ring.push(2);
                ring.push(3);
                assert_eq!(ring.sum(), 6, "sum of the last two pushes");
            }

            #[test]
            fn wraps_around() {
                let mut ring = Ring::new(2);
                ring.push(1);
                ring.push(2);
                ring.pop();
                ring.pop();
                ring.push(5);
                assert_eq!(ring.get(0), 5);
            }

            #[test]
            fn get_past_the_end() {
                let ring = Ring::new(3);
                assert_eq!(ring.get(1), 0);
            }
        }
        """,
        "tests/api.rs": """\
        use ringbuf::Ring;

        #[test]
        fn empty_ring_pops_nothing() {
            assert_eq!(Ring::new(1).pop(), None);
        }

        #[test]
        fn sum_of_pushes() {
            let mut ring = Ring::new(4);
            for i in 1..=3 {
                ring.push(i);
            }
            assert!(ring.sum() == 6);
        }
        """,
    }
)

CARGO_BUILD_ERROR = {
    **CARGO_PROJECT,
    **_files(
        {
            "src/stats.rs": """\
            use crate::Ring;

            pub fn mean(ring: &Ring) -> f64 {
                let total: i64 = ring.sum();
                total / count as f64
            }

            pub fn describe(ring: &Ring) -> String {
                let m: i64 = mean(ring);
                format!("mean {}", m)
            }
            """
        }
    ),
}
CARGO_BUILD_ERROR["src/lib.rs"] = CARGO_BUILD_ERROR["src/lib.rs"].replace(
    "//! A fixed-size ring buffer.\n", "//! A fixed-size ring buffer.\n\npub mod stats;\n"
)

# --- TAP producers -------------------------------------------------------------------------

PROVE_PROJECT = _files(
    {
        "t/basic.t": """\
        #!/usr/bin/perl
        use strict;
        use warnings;
        use Test::More tests => 4;

        sub slugify { my $s = lc shift; $s =~ s/\\s+/_/g; return $s }

        is(slugify('Hello'), 'hello', 'lowercases');
        is(slugify('Hello Big World'), 'hello-big-world', 'joins words with hyphens');
        ok(length(slugify('abc')) == 3, 'keeps the length');
        like(slugify('A B'), qr/^a.b$/, 'one separator');
        """,
        "t/numbers.t": """\
        #!/usr/bin/perl
        use strict;
        use warnings;
        use Test::More;

        sub mean { my $n = scalar @_; my $t = 0; $t += $_ for @_; return $t / ($n - 1) }

        is(mean(2, 4), 3, 'mean of two');
        cmp_ok(mean(1, 2, 3), '==', 2, 'mean of three');
        done_testing();
        """,
    }
)

NODE_TAP_PROJECT = _files(
    {
        "package.json": _PACKAGE_JSON % "tap",
        "src/text.js": _TEXT_JS,
        "test/text.js": """\
        const t = require('tap');
        const { slugify, initials } = require('../src/text');

        t.test('slugify', async (t) => {
          t.equal(slugify('Hello'), 'hello', 'lowercases');
          t.equal(slugify('Hello Big World'), 'hello-big-world', 'joins words with hyphens');
        });

        t.test('initials', async (t) => {
          t.equal(initials('Ada Lovelace'), 'AL');
          t.equal(initials('Grace  Hopper'), 'GH', 'double space');
        });
        """,
    }
)

# --- Python linters -------------------------------------------------------------------------

LINT_PROJECT = _files(
    {
        "pyproject.toml": """\
        [project]
        name = "ledger"
        version = "0.1.0"

        [tool.mypy]
        strict = true
        """,
        "ledger/__init__.py": "",
        "ledger/report.py": '''\
        """Statements as text."""
        import os
        import sys


        def render(postings: list[tuple[str, int]]) -> str:
            lines = []
            for memo, cents in postings:
                lines.append(f"{memo:<20}{cents / 100:>10.2f}")
            total: int = sum(cents for _, cents in postings) / 100
            return "\\n".join(lines) + f"\\nTOTAL {total}"


        def header(name):
            return f"Statement for {name}" + undefined_suffix
        ''',
        "ledger/export.py": '''\
        """CSV export."""
        import csv, io


        def to_csv(postings: list[tuple[str, int]]) -> str:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["memo", "cents"])
            for memo, cents in postings:
                writer.writerow([memo, cents])
            return out.getvalue() == None or out.getvalue()
        ''',
    }
)

# --- projects without tests: zero tests must never read like a pass -----------------------

GO_NO_TESTS = {p: t for p, t in GO_PROJECT.items() if p == "go.mod" or p == "strutil/pad.go"}
CARGO_NO_TESTS = {
    "Cargo.toml": CARGO_PROJECT["Cargo.toml"],
    "src/lib.rs": CARGO_PROJECT["src/lib.rs"].split("#[cfg(test)]")[0],
}
JS_NO_TESTS = {
    "package.json": _PACKAGE_JSON % "jest",
    "src/text.js": textwrap.dedent(_TEXT_JS),
}
MAVEN_NO_TESTS = {p: t for p, t in MAVEN_PROJECT.items() if "/test/" not in p}

# --- the cases ----------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    Case("pytest-plain", "python3", LEDGER, "python3 -m pytest", in_sandbox=True),
    Case("pytest-q", "python3", LEDGER, "python3 -m pytest -q", in_sandbox=True),
    Case("pytest-v", "python3", LEDGER, "python3 -m pytest -v", in_sandbox=True),
    Case("pytest-xdist", "python3", LEDGER, "python3 -m pytest -n 2"),
    Case("pytest-xdist-v", "python3", LEDGER, "python3 -m pytest -n 2 -v"),
    Case("pytest-x", "python3", LEDGER, "python3 -m pytest -x", in_sandbox=True),
    Case(
        "pytest-collection-error",
        "python3",
        LEDGER_COLLECTION_ERROR,
        "python3 -m pytest",
        in_sandbox=True,
    ),
    Case("pytest-interrupted", "python3", LEDGER_INTERRUPTED, "python3 -m pytest", in_sandbox=True),
    Case(
        "pytest-killed",
        "python3",
        LEDGER_HANGING,
        "timeout -s KILL 8 python3 -u -m pytest -v",
        in_sandbox=True,
    ),
    Case("pytest-then-make", "make", LEDGER_MAKEFILE, "make check", in_sandbox=True),
    Case("pytest-no-tests", "python3", EMPTY_PYTHON, "python3 -m pytest", in_sandbox=True),
    Case("pytest-color", "python3", LEDGER, "python3 -m pytest --color=yes", in_sandbox=True),
    Case(
        "pytest-junitxml",
        "python3",
        LEDGER,
        "python3 -m pytest -q --junitxml=report.xml >/dev/null; cat report.xml",
        in_sandbox=True,
    ),
    Case("unittest-plain", "python3", UNITTEST_PROJECT, "python3 -m unittest", in_sandbox=True),
    Case("unittest-v", "python3", UNITTEST_PROJECT, "python3 -m unittest -v", in_sandbox=True),
    Case("unittest-no-tests", "python3", EMPTY_PYTHON, "python3 -m unittest", in_sandbox=True),
    Case("jest-plain", "node", JEST_PROJECT, "npx jest", setup=_NODE_MODULES),
    Case("jest-missing-module", "node", JEST_MISSING_MODULE, "npx jest", setup=_NODE_MODULES),
    Case("vitest-plain", "node", VITEST_PROJECT, "npx vitest run", setup=_NODE_MODULES),
    Case("mocha-plain", "node", MOCHA_PROJECT, "npx mocha", setup=_NODE_MODULES),
    Case(
        "node-test-spec",
        "node",
        NODE_TEST_PROJECT,
        "node --test --test-reporter=spec",
        in_sandbox=False,
    ),
    Case(
        "node-test-tap",
        "node",
        NODE_TEST_PROJECT,
        "node --test --test-reporter=tap",
        in_sandbox=True,
    ),
    Case("node-test-crash", "node", NODE_TEST_CRASH, "node --test --test-reporter=tap"),
    Case("node-test-crash-spec", "node", NODE_TEST_CRASH, "node --test --test-reporter=spec"),
    Case("tap-node", "node", NODE_TAP_PROJECT, "node test/text.js", setup=_NODE_MODULES),
    Case("prove-plain", "prove", PROVE_PROJECT, "prove t/", in_sandbox=True),
    Case("prove-v", "prove", PROVE_PROJECT, "prove -v t/", in_sandbox=True),
    Case("go-test", "go", GO_PROJECT, "go test ./..."),
    Case("go-test-v", "go", GO_PROJECT, "go test -v ./..."),
    Case("go-test-build-error", "go", GO_BUILD_ERROR, "go test ./..."),
    Case("go-build-error", "go", GO_BUILD_ERROR, "go build ./..."),
    Case("go-vet-error", "go", GO_BUILD_ERROR, "go vet ./..."),
    Case("cargo-test", "cargo", CARGO_PROJECT, "cargo test --offline"),
    Case("cargo-build-error", "cargo", CARGO_BUILD_ERROR, "cargo build --offline"),
    Case("cargo-test-build-error", "cargo", CARGO_BUILD_ERROR, "cargo test --offline"),
    Case(
        "cargo-test-debian",
        "cargo",
        CARGO_PROJECT,
        "cargo test --offline",
        env={"PATH": "/usr/bin:/bin"},
    ),
    Case(
        "cargo-build-error-debian",
        "cargo",
        CARGO_BUILD_ERROR,
        "cargo build --offline",
        env={"PATH": "/usr/bin:/bin"},
    ),
    Case("go-test-no-tests", "go", GO_NO_TESTS, "go test ./..."),
    Case("cargo-test-no-tests", "cargo", CARGO_NO_TESTS, "cargo test --offline"),
    Case("jest-no-tests", "node", JS_NO_TESTS, "npx jest", setup=_NODE_MODULES),
    Case("vitest-no-tests", "node", JS_NO_TESTS, "npx vitest run", setup=_NODE_MODULES),
    Case(
        "node-test-no-tests",
        "node",
        JS_NO_TESTS,
        "node --test --test-reporter=tap",
        in_sandbox=True,
    ),
    Case("maven-no-tests", "mvn", MAVEN_NO_TESTS, "mvn -B test", setup="mvn -B -q test"),
    Case("gcc-make", "make", C_PROJECT, "make", in_sandbox=True),
    Case("clang-make", "clang", C_PROJECT, "make CC=clang"),
    Case("gcc-link-error", "make", C_LINK_ERROR, "make", in_sandbox=True),
    Case("javac-errors", "javac", JAVAC_PROJECT, "javac -d out src/shop/*.java", in_sandbox=True),
    Case("tsc-errors", "node", TSC_PROJECT, "npx tsc -p .", setup=_NODE_MODULES),
    Case("eslint-stylish", "node", ESLINT_PROJECT, "npx eslint src", setup=_NODE_MODULES),
    Case("ruff-check", "ruff", LINT_PROJECT, "ruff check ."),
    Case("flake8-plain", "flake8", LINT_PROJECT, "flake8 ledger"),
    Case("mypy-strict", "mypy", LINT_PROJECT, "mypy ledger"),
    Case("suites-shell", "sh", SUITES_PROJECT, "sh run_tests.sh", in_sandbox=True),
    Case(
        "maven-test",
        "mvn",
        MAVEN_PROJECT,
        "mvn -B test",
        setup="mvn -B -q test",
    ),
    Case(
        "maven-unknown-host",
        "mvn",
        MAVEN_PROJECT,
        "mvn -B test",
        env={"MAVEN_OPTS": "-Duser.home=/nonexistent -Dmaven.repo.local=/tmp/capture-m2-empty"},
    ),
    Case("gradle-test", "gradle", GRADLE_PROJECT, "gradle --no-daemon --console=plain test"),
    Case(
        "gradle-results-xml",
        "gradle",
        GRADLE_PROJECT,
        "cat build/test-results/test/TEST-shop.CartTest.xml",
        setup="gradle --no-daemon --console=plain test",
    ),
    Case(
        "maven-surefire-xml",
        "mvn",
        MAVEN_PROJECT,
        "cat target/surefire-reports/TEST-shop.CartTest.xml",
        setup="mvn -B test",
    ),
)
"""Every captured case, in the order the fixture files are listed."""


def case(name: str) -> Case:
    """The case called ``name``."""
    for found in CASES:
        if found.name == name:
            return found
    raise KeyError(name)
