import logging

import pytest

from inventory import apply_discount, restock, total_price

log = logging.getLogger("inventory.tests")


@pytest.mark.parametrize("count", range(300))
def test_restock_adds(count):
    assert restock({"apple": 1}, "apple", count)["apple"] == 1 + count


@pytest.mark.parametrize("n", range(100))
def test_total_price(n):
    assert total_price([("pen", 1.5, n)]) == 1.5 * n


def _chatty(label):
    for step in range(120):
        print(f"[{label}] step {step:02d}: recomputing warehouse balance, cache miss, retrying lookup")


def test_discount_is_subtracted():
    _chatty("discount")
    assert apply_discount(100.0, 10) == 90.0


def test_restock_rejects_negative_counts_quietly():
    _chatty("restock")
    assert restock({}, "pear", -1) == {}


class TestReport:
    def test_report_totals(self):
        _chatty("report")
        totals = {"pen": total_price([("pen", 1.5, 2)])}
        assert totals["pencil"] == 3.0
