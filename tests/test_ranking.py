"""Account lists in ranking order (`Analysis.ranking` / `ranked_members`): the
customers a members query keeps, ordered by the ranking value (highest first,
nulls last), then customer_id, on a shop worked out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cxtui.engine import open_analysis

AS_OF = date(2025, 6, 30)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """Six customers in no id order; f signs up after as_of (not in the universe);
    a and b tie on revenue_12m (50), d's 15 is two orders; x is not a customer."""
    pl.DataFrame(
        {
            "customer_id": ["e", "b", "a", "d", "c", "f"],
            "name": ["E", "B", "A", "D", "C", "F"],
            "region": ["EU", "US", "EU", "EU", "US", "EU"],
            "annual_revenue": [100.0, None, 100.0, None, 5.0, 1.0],
            "signup_date": [date(2024, 1, 1)] * 5 + [date(2026, 1, 1)],
        }
    ).write_parquet(tmp_path / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "d", "x"],
            "order_date": [date(2025, 3, 1)] * 6,
            "amount": [50.0, 50.0, 80.0, 10.0, 5.0, 999.0],
        }
    ).write_parquet(tmp_path / "orders.parquet")
    return tmp_path


def ids(frame: pl.DataFrame) -> list[str]:
    return frame["customer_id"].to_list()


def test_a_list_is_ranked_by_the_value_then_the_id(shop: Path) -> None:
    a = open_analysis(shop, as_of=AS_OF, use_cache=False)
    everyone = a.ranked_members(lambda s: s.universe, "revenue_12m", ["customer_id", "name"])
    # c 80, a 50 and b 50 (the tie by id), d 15, e 0; f has not started
    assert ids(everyone) == ["c", "a", "b", "d", "e"]
    assert everyone["name"].to_list() == ["C", "A", "B", "D", "E"]
    # a query that adds columns of its own and filters: its rows, in that order
    some = a.ranked_members(
        lambda s: s.universe.with_columns(pl.lit(1).alias("extra")).filter(
            pl.col("revenue_12m") > 10
        ),
        "revenue_12m",
        ["customer_id"],
    )
    assert ids(some) == ["c", "a", "b", "d"]
    none = a.ranked_members(lambda s: s.universe.filter(pl.lit(False)), "revenue_12m", ["name"])
    assert none.columns == ["name"] and none.height == 0


def test_nulls_rank_last_and_missing_columns_are_left_out(shop: Path) -> None:
    a = open_analysis(shop, as_of=AS_OF, use_cache=False)
    by_annual = a.ranked_members(lambda s: s.facts, "annual_revenue", ["customer_id", "nope"])
    # 100 (a, e by id), 5 (c), 1 (f), then the nulls by id (b, d)
    assert ids(by_annual) == ["a", "e", "c", "f", "b", "d"]
    assert by_annual.columns == ["customer_id"]
    # no such value: id order
    assert ids(a.ranked_members(lambda s: s.facts, "nope", ["customer_id"])) == list("abcdef")


def test_where_applies_before_the_list(shop: Path) -> None:
    a = open_analysis(shop, as_of=AS_OF, where="region = 'EU'", use_cache=False)
    assert ids(a.ranked_members(lambda s: s.universe, "revenue_12m", ["customer_id"])) == [
        "a",
        "d",
        "e",
    ]
    # the ranking itself is of every customer, whatever --where keeps
    ranking = a.ranking("revenue_12m", ["customer_id"])
    assert ids(ranking.columns) == ["c", "a", "b", "d", "e", "f"]
