"""A small shop for the clv and acquisition view tests: orders drawn from the
BG/NBD story with a seeded `random.Random` (the same rows on every run), so both
models have a finite maximum, plus customers without orders; and a plain-Python
CLV summary (x, t_x, T, monetary in days) to check the view against.

as_of 2025-06-30. Customers c000…c039 order from their first order day on;
n1 and n2 have no orders; late signs up after as_of (not a customer).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import polars as pl

AS_OF = date(2025, 6, 30)
CUSTOMERS = 40
SEED = 1


def shop_orders(n: int = CUSTOMERS, seed: int = SEED) -> list[tuple[str, date, float]]:
    """Each customer: a purchase rate λ ~ Gamma(1, 1/40 per day), a dropout chance
    p ~ Beta(1, 4) after each order, a spend scale ~ Gamma(3, 20)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cid = f"c{i:03d}"
        lam = rng.gammavariate(1.0, 1 / 40)
        p = rng.betavariate(1.0, 4.0)
        scale = rng.gammavariate(3.0, 20.0)
        day = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        while day <= AS_OF:
            rows.append((cid, day, round(rng.gammavariate(4.0, scale / 4), 2)))
            if rng.random() < p:
                break
            day += timedelta(days=1 + int(rng.expovariate(lam)))
    return rows


def segment_of(cid: str) -> str:
    return "x" if int(cid[1:]) % 3 else "y"


def channel_of(cid: str) -> str:
    return "ads" if int(cid[1:]) % 2 else "seo"


def write_shop(root: Path, orders: list[tuple[str, date, float]] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    orders = shop_orders() if orders is None else orders
    ids = sorted({o[0] for o in orders})
    firsts = {cid: min(o[1] for o in orders if o[0] == cid) for cid in ids}
    pl.DataFrame(
        {
            "customer_id": [*ids, "n1", "n2", "late"],
            "name": [f"Shop {cid}" for cid in ids] + ["None One", "None Two", "Late"],
            "segment": [segment_of(c) for c in ids] + ["x", "y", "x"],
            "channel": [channel_of(c) for c in ids] + ["ads", "seo", "ads"],
            "signup_date": [firsts[c] for c in ids]
            + [date(2024, 1, 1), date(2024, 2, 1), date(2025, 8, 1)],
        }
    ).write_parquet(root / "customers.parquet")
    late = [("late", date(2025, 6, 1), 99.0)]  # before as_of, but the customer starts after
    rows = orders + late
    pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    ).write_parquet(root / "orders.parquet")
    return root


def plain_summary(orders: list[tuple[str, date, float]], as_of: date = AS_OF) -> pl.DataFrame:
    """SPEC §8's x, t_x, T and monetary per customer, in plain Python: order days
    are calendar days, a day's amount the sum of its rows, monetary the mean of
    the repeat days' amounts."""
    days: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for cid, day, amount in orders:
        if day <= as_of:
            days[cid][day] += amount
    rows = []
    for cid, per_day in sorted(days.items()):
        ordered = sorted(per_day)
        x = len(ordered) - 1
        repeat = [per_day[d] for d in ordered[1:]]
        rows.append(
            {
                "customer_id": cid,
                "frequency": x,
                "recency": (ordered[-1] - ordered[0]).days,
                "age": (as_of - ordered[0]).days,
                "monetary": sum(repeat) / x if x else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.String,
            "frequency": pl.Int64,
            "recency": pl.Int64,
            "age": pl.Int64,
            "monetary": pl.Float64,
        },
    )
