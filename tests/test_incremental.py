"""Incremental facts (engine.cache `_grown_entry`, engine.build `grown_facts`):
when a dataset only gains files of orders or events, the facts cache is
updated from the new files, and the result is the full build's; any other
change builds again.

The small shop's figures are worked out by hand; the demo's are compared with
a full build of the same files.
"""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cxtui.engine.build
import cxtui.engine.cache
from cxtui.data.load import open_dataset, table_states
from cxtui.engine.cache import build_facts, finish_cache_writes

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
AS_OF = date(2025, 5, 31)


def make_shop(root: Path, order: tuple[int, ...] = (0, 1, 2)) -> Path:
    """Customers a, b, c (in the file in `order`); orders and events as folders
    of parts (part-0 only)."""
    (root / "orders").mkdir(parents=True)
    (root / "events").mkdir()
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "segment": ["SMB", "SMB", "Enterprise"],
            "signup_date": [date(2024, 1, 1), date(2024, 6, 1), date(2025, 1, 1)],
        }
    )[list(order)].write_parquet(root / "customers.parquet")
    write(
        root / "orders" / "part-0.parquet",
        customer_id=["a", "a", "b", "x"],
        order_date=[date(2024, 3, 1), date(2025, 2, 1), date(2025, 4, 1), date(2025, 4, 2)],
        amount=[100.0, 50.0, 20.0, 7.0],
    )
    write(
        root / "events" / "part-0.parquet",
        customer_id=["a", "b"],
        ts=[date(2025, 5, 1), date(2024, 1, 5)],
        event_type=["login", "login"],
    )
    pl.DataFrame(
        {"ticket_id": ["t1"], "customer_id": ["a"], "created_at": [date(2025, 5, 2)]}
    ).write_parquet(root / "tickets.parquet")
    return root


def write(path: Path, **columns) -> None:
    pl.DataFrame(columns).write_parquet(path)


def add_day(root: Path) -> None:
    """One more day of orders (a, c and a stranger y; one amount NaN) and events."""
    write(
        root / "orders" / "part-1.parquet",
        customer_id=["a", "c", "y", "x"],
        order_date=[AS_OF, AS_OF, AS_OF, AS_OF],
        amount=[30.0, 40.0, 5.0, math.nan],
    )
    write(
        root / "events" / "part-1.parquet",
        customer_id=["c", "c"],
        ts=[AS_OF, AS_OF],
        event_type=["login", "login"],
    )


def facts_of(root: Path, cache: Path | None) -> tuple[pl.DataFrame, pl.DataFrame, list[str], bool]:
    ds = open_dataset(root, as_of=AS_OF, cache_dir=cache)
    facts, others, hit = build_facts(ds, cache, use_cache=cache is not None)
    finish_cache_writes()
    return facts, others, ds.notes, hit


def grown_entry(ds, cache: Path):
    """The entry `build_facts` would update the facts of `ds` from, or None."""
    fingerprint = cxtui.engine.build.facts_fingerprint(ds)
    return cxtui.engine.cache._grown_entry(ds, cache, fingerprint, table_states(ds))


def rows(frame: pl.DataFrame, *columns: str) -> dict:
    table = frame.sort("customer_id", nulls_last=True)
    return {r["customer_id"]: tuple(r[c] for c in columns) for r in table.iter_rows(named=True)}


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1)], ids=["ids-in-order", "unordered"])
def test_gained_files_update_the_facts_to_the_hand_worked_figures(
    tmp_path: Path, monkeypatch, order
) -> None:
    root, cache = make_shop(tmp_path / "shop", order), tmp_path / "cache"
    facts_of(root, cache)
    add_day(root)
    calls = []
    grown = cxtui.engine.build.grown_facts
    with monkeypatch.context() as patched:
        patched.setattr(
            cxtui.engine.build, "grown_facts", lambda *a: calls.append(a[4]) or grown(*a)
        )
        patched.setattr(
            cxtui.engine.build, "facts_and_others", lambda ds: pytest.fail("full build")
        )
        facts, others, notes, hit = facts_of(root, cache)
    assert not hit
    assert {t: [p.name for p in paths] for t, paths in calls[0].items()} == {
        "orders": ["part-1.parquet"],
        "events": ["part-1.parquet"],
    }
    columns = ("lifetime_orders", "lifetime_revenue", "revenue_12m", "orders_12m")
    # a: 100 + 50 before (the 2024-03-01 order is outside 12m), then 30 on as_of
    # b: unchanged; c: its first order; the NaN amount of x is left out (a note)
    assert rows(facts, *columns) == {
        "a": (3, 180.0, 80.0, 2),
        "b": (1, 20.0, 20.0, 1),
        "c": (1, 40.0, 40.0, 1),
    }
    assert rows(facts, "first_order_date", "last_order_date") == {
        "a": (date(2024, 3, 1), AS_OF),
        "b": (date(2025, 4, 1), date(2025, 4, 1)),
        "c": (AS_OF, AS_OF),
    }
    assert rows(facts, "events_lifetime", "events_90d", "last_event_date") == {
        "a": (1, 1, date(2025, 5, 1)),
        "b": (1, 0, date(2024, 1, 5)),
        "c": (2, 2, AS_OF),
    }
    # x: 7 then a NaN (left out of the sums, counted as an order row); y: new
    assert rows(others, "revenue_12m", "lifetime_orders", "order_rows_12m") == {
        "x": (7.0, 2, 2),
        "y": (5.0, 1, 1),
    }
    assert "table orders: 1 non-finite value(s) in 'amount' are excluded" in notes
    # and the update is what a build from every file gives
    full, full_others, full_notes, _ = facts_of(root, None)
    assert_frame_equal(facts, full)
    assert_frame_equal(others.sort("customer_id"), full_others.sort("customer_id"))
    assert notes == full_notes


def test_an_updated_entry_is_itself_cached_and_updated_again(tmp_path: Path, monkeypatch) -> None:
    root, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    facts_of(root, cache)
    write(
        root / "orders" / "part-1.parquet",
        customer_id=["x"],
        order_date=[AS_OF],
        amount=[math.nan],
    )
    facts_of(root, cache)  # updated: one NaN counted
    monkeypatch.setattr(cxtui.engine.build, "facts_and_others", lambda ds: pytest.fail("full"))
    _, _, _, hit = facts_of(root, cache)
    assert hit  # the updated entry is an entry
    write(
        root / "orders" / "part-2.parquet",
        customer_id=["x", "b"],
        order_date=[AS_OF, AS_OF],
        amount=[math.nan, 1.0],
    )
    facts, others, notes, hit = facts_of(root, cache)
    assert not hit
    assert rows(facts, "lifetime_orders")["b"] == (2,)
    assert rows(others, "lifetime_orders")["x"] == (3,)
    assert "table orders: 2 non-finite value(s) in 'amount' are excluded" in notes


def test_a_change_to_a_table_the_facts_do_not_read_keeps_the_facts(
    tmp_path: Path, monkeypatch
) -> None:
    root, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    before, others_before, _, _ = facts_of(root, cache)
    pl.DataFrame(
        {"ticket_id": ["t1", "t2"], "customer_id": ["a", "b"], "created_at": [AS_OF, AS_OF]}
    ).write_parquet(root / "tickets.parquet")
    with monkeypatch.context() as patched:
        patched.setattr(cxtui.engine.build, "facts_and_others", lambda ds: pytest.fail("full"))
        facts, others, _, hit = facts_of(root, cache)
    assert not hit
    assert_frame_equal(facts, before)
    assert_frame_equal(others, others_before)


@pytest.mark.parametrize(
    "change",
    ["rewritten orders file", "removed orders file", "new customer", "another as_of"],
)
def test_any_other_change_builds_from_every_file(tmp_path: Path, change: str) -> None:
    root, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    add_day(root)
    facts_of(root, cache)
    as_of = AS_OF
    if change == "rewritten orders file":  # 20 → 25: not a new file, a changed one
        write(
            root / "orders" / "part-0.parquet",
            customer_id=["a", "a", "b", "x"],
            order_date=[date(2024, 3, 1), date(2025, 2, 1), date(2025, 4, 1), date(2025, 4, 2)],
            amount=[100.0, 50.0, 25.0, 7.0],
        )
    elif change == "removed orders file":
        (root / "orders" / "part-1.parquet").unlink()
    elif change == "new customer":
        customers = pl.read_parquet(root / "customers.parquet")
        pl.concat(
            [customers, customers.head(1).with_columns(customer_id=pl.lit("y"))]
        ).write_parquet(root / "customers.parquet")
    else:
        as_of = date(2025, 6, 30)
    ds = open_dataset(root, as_of=as_of, cache_dir=cache)
    assert grown_entry(ds, cache) is None
    facts, *_ = build_facts(ds, cache)
    full, *_ = build_facts(open_dataset(root, as_of=as_of), use_cache=False)
    assert_frame_equal(facts, full)


def test_a_monthly_table_that_gains_a_file_builds_again(tmp_path: Path) -> None:
    root, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    (root / "monthly").mkdir()
    write(
        root / "monthly" / "part-0.parquet", customer_id=["a"], month=[date(2025, 4, 1)], mrr=[10.0]
    )
    facts_of(root, cache)
    write(
        root / "monthly" / "part-1.parquet", customer_id=["a"], month=[date(2025, 5, 1)], mrr=[12.0]
    )
    ds = open_dataset(root, as_of=AS_OF, cache_dir=cache)
    assert grown_entry(ds, cache) is None


@pytest.mark.skipif(not DEMO.is_dir(), reason="data/demo not generated")
def test_a_day_added_to_the_demo_gives_the_full_builds_facts(tmp_path: Path, monkeypatch) -> None:
    """The demo with orders and events as folders; one more day of orders (1%
    of its orders again, on as_of, and three of a stranger) and of events."""
    root, cache = tmp_path / "demo", tmp_path / "cache"
    shutil.copytree(DEMO, root)
    for table in ("orders", "events"):
        (root / table).mkdir()
        (root / f"{table}.parquet").rename(root / table / "part-0.parquet")
    ds = open_dataset(root, cache_dir=cache)
    build_facts(ds, cache)
    finish_cache_writes()
    orders = pl.read_parquet(root / "orders" / "part-0.parquet")
    day = orders.sample(fraction=0.01, seed=1).with_columns(order_date=pl.lit(ds.as_of))
    stranger = day.head(3).with_columns(customer_id=pl.lit("not-a-customer"))
    pl.concat([day, stranger]).write_parquet(root / "orders" / "part-1.parquet")
    events = pl.read_parquet(root / "events" / "part-0.parquet")
    events.sample(fraction=0.01, seed=2).write_parquet(root / "events" / "part-1.parquet")

    grown_ds = open_dataset(root, cache_dir=cache)
    assert grown_ds.as_of == ds.as_of  # the day is as_of's: the windows stay
    with monkeypatch.context() as patched:
        patched.setattr(cxtui.engine.build, "facts_and_others", lambda ds: pytest.fail("full"))
        facts, others, hit = build_facts(grown_ds, cache)
    assert not hit
    full_ds = open_dataset(root)
    full, full_others, _ = build_facts(full_ds, use_cache=False)
    # sums of floats added in another order may differ in the last bit: every
    # other column is equal exactly
    floats = [c for c, t in full.schema.items() if t.is_float()]
    assert_frame_equal(facts.drop(floats), full.drop(floats))
    assert_frame_equal(facts.select(floats), full.select(floats), rel_tol=1e-12)
    assert others.filter(pl.col("customer_id") == "not-a-customer")["lifetime_orders"][0] == 3
    assert_frame_equal(others.sort("customer_id"), full_others.sort("customer_id"), rel_tol=1e-12)
    assert grown_ds.notes == full_ds.notes
