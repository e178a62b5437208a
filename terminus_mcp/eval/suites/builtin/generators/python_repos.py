"""Python fixture repositories for the built-in suite: ``python python_repos.py KIND OUTDIR``.

Each kind writes a small project whose pytest run is long and verbose, with a few facts that
matter buried in it. Everything is deterministic and needs no network.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _passing_module(root: Path, topic: str, count: int) -> None:
    lines = [f'"""Tests of {topic}."""', "", f"from shop.{topic} import scale", ""]
    for i in range(count):
        lines += [
            "",
            f"def test_{topic}_case_{i:03d}():",
            f"    assert scale({i}, 3) == {i * 3}",
        ]
    _write(root, f"tests/test_{topic}.py", "\n".join(lines) + "\n")
    _write(root, f"shop/{topic}.py", "def scale(value, factor):\n    return value * factor\n")


def _shop_base(root: Path, topics: list[str], per_module: int) -> None:
    _write(root, "shop/__init__.py", "")
    _write(root, "pytest.ini", "[pytest]\naddopts = -p no:cacheprovider\n")
    for topic in topics:
        _passing_module(root, topic, per_module)


def pytest_failures(root: Path) -> None:
    """360 tests, 3 failing for three different reasons."""
    _shop_base(root, ["catalog", "shipping", "tax", "coupons", "returns", "reports"], 59)
    _write(
        root,
        "shop/inventory.py",
        "STOCK = {'SKU-0001': 4, 'SKU-0002': 0}\n\n\n"
        "def restock(sku, amount):\n"
        "    STOCK[sku] = STOCK[sku] + amount\n"
        "    return STOCK[sku]\n",
    )
    _write(
        root,
        "shop/pricing.py",
        "def average_discount(discounts):\n    return sum(discounts) / len(discounts)\n",
    )
    _write(
        root,
        "shop/dates.py",
        "import datetime\n\n\n"
        "def iso_week(text):\n"
        "    day = datetime.date.fromisoformat(text)\n"
        "    return day.year, day.isocalendar()[1] + 1\n",
    )
    _write(
        root,
        "tests/test_inventory.py",
        "from shop.inventory import restock\n\n\n"
        "def test_restock_known_sku():\n    assert restock('SKU-0001', 2) == 6\n\n\n"
        "def test_restock_missing_sku():\n    assert restock('SKU-0042', 5) == 5\n",
    )
    _write(
        root,
        "tests/test_pricing.py",
        "from shop.pricing import average_discount\n\n\n"
        "def test_average_discount():\n    assert average_discount([10, 20]) == 15\n\n\n"
        "def test_average_discount_empty():\n    assert average_discount([]) == 0\n",
    )
    _write(
        root,
        "tests/test_dates.py",
        "from shop.dates import iso_week\n\n\n"
        "def test_iso_week_new_year():\n"
        "    assert iso_week('2024-12-30') == (2025, 1)\n",
    )


def pytest_all_pass(root: Path) -> None:
    """420 passing tests."""
    _shop_base(root, ["catalog", "shipping", "tax", "coupons", "returns", "reports", "ledger"], 60)


def import_error(root: Path) -> None:
    """A test module imports a package that is not installed: collection fails."""
    _shop_base(root, ["catalog", "shipping", "tax", "coupons"], 70)
    _write(
        root,
        "shop/export.py",
        "import fastavro_lite\n\n\ndef export(rows):\n    return fastavro_lite.dumps(rows)\n",
    )
    _write(
        root,
        "tests/test_export.py",
        "from shop.export import export\n\n\ndef test_export_rows():\n"
        "    assert export([]) == b''\n",
    )


def hanging_test(root: Path) -> None:
    """One test waits forever on a socket that never answers."""
    _shop_base(root, ["catalog", "shipping", "tax"], 80)
    _write(
        root,
        "tests/test_sync.py",
        "import socket\n\n\n"
        "def test_sync_waits_for_server():\n"
        "    left, right = socket.socketpair()\n"
        "    assert left.recv(1) == b'x'  # nobody ever sends\n",
    )


def build_then_test(root: Path) -> None:
    """A code generator step, then tests: one failure and one error in a fixture."""
    _shop_base(root, ["catalog", "shipping", "tax", "coupons", "returns"], 64)
    lines = ["RATES = {"]
    lines += [f"    'ZONE-{i:02d}': {i * 1.5:.2f}," for i in range(1, 41)]
    lines.append("}")
    _write(root, "data/rates.txt", "\n".join(lines) + "\n")
    _write(
        root,
        "scripts/gen_rates.py",
        "import pathlib\n\n"
        "source = pathlib.Path('data/rates.txt').read_text()\n"
        "for number, line in enumerate(source.splitlines(), 1):\n"
        "    print(f'[gen] rate table line {number:03d}: {line.strip()}')\n"
        "pathlib.Path('shop/rates.py').write_text(source)\n"
        "print('[gen] wrote shop/rates.py (40 zones)')\n",
    )
    _write(
        root,
        "tests/test_rates.py",
        "import pytest\n\nfrom shop.rates import RATES\n\n\n"
        "@pytest.fixture\n"
        "def eu_zone():\n"
        "    return RATES['ZONE-EU']\n\n\n"
        "def test_zone_count():\n    assert len(RATES) == 40\n\n\n"
        "def test_zone_07_rate():\n    assert RATES['ZONE-07'] == 10.0\n\n\n"
        "def test_eu_zone_rate(eu_zone):\n    assert eu_zone > 0\n",
    )


KINDS: dict[str, Callable[[Path], None]] = {
    "pytest-failures": pytest_failures,
    "pytest-all-pass": pytest_all_pass,
    "import-error": import_error,
    "hanging-test": hanging_test,
    "build-then-test": build_then_test,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: python_repos.py {{{','.join(KINDS)}}} OUTDIR\n")
        return 2
    KINDS[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
