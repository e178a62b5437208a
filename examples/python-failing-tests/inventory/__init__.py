"""A tiny inventory library whose tests fail in three different ways."""


def total_price(items: list[tuple[str, float, int]]) -> float:
    return sum(price * count for _, price, count in items)


def restock(stock: dict[str, int], name: str, count: int) -> dict[str, int]:
    if count < 0:
        raise ValueError(f"cannot restock a negative count: {count}")
    stock[name] = stock.get(name, 0) + count
    return stock


def apply_discount(price: float, percent: float) -> float:
    # Bug: the discount is added instead of subtracted.
    return round(price * (1 + percent / 100), 2)
