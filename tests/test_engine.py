"""The engine's fast build of the facts (aggregates collected first, joined on a
hash of the id, assembled in memory) against the plain lazy definition in
cxtui.metrics.facts, which joins on the id itself."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import cxtui.engine.build as build
from cxtui.data.load import open_dataset
from cxtui.engine import build_facts
from cxtui.metrics.facts import customer_facts, other_ids

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def reference(root: Path, as_of: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    ds = open_dataset(root, as_of=as_of)
    facts = customer_facts(ds).collect().sort("customer_id", nulls_last=True)
    others = other_ids(ds).collect().sort("customer_id", nulls_last=True)
    return facts, others


def built(root: Path, as_of: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    ds = open_dataset(root, as_of=as_of)
    facts, others, from_cache = build_facts(ds, use_cache=False)
    assert not from_cache
    return facts.sort("customer_id", nulls_last=True), others.sort("customer_id", nulls_last=True)


def shop_with_strangers(root: Path) -> Path:
    """Customers in no id order; orders and monthly rows of ids that are not
    customers (x, y) and of no id at all; a customer with no rows anywhere (d)."""
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["c", "a", "d", "b"],
            "name": ["Gamma", "Acme", "Delta", "Beta"],
            "signup_date": [date(2024, 3, 1), date(2024, 1, 1), date(2024, 6, 1), date(2024, 2, 1)],
        }
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "x", None, "c"],
            "order_date": [
                date(2025, 1, 10),
                date(2025, 5, 1),
                date(2025, 3, 1),
                date(2025, 4, 2),
                date(2025, 4, 3),
                date(2025, 5, 30),
            ],
            "amount": [100.0, 50.0, 20.0, 7.0, 3.0, 5.0],
        }
    ).write_parquet(root / "orders.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "y", "y"],
            "month": [date(2025, 4, 1)] + [date(2025, 5, 1)] * 4,
            "mrr": [10.0, 12.0, 30.0, 4.0, 6.0],
        }
    ).write_parquet(root / "monthly.parquet")
    return root


@pytest.mark.parametrize("as_of", [None, date(2025, 4, 30)])
def test_fast_build_equals_the_definition(tmp_path: Path, as_of: date | None) -> None:
    root = shop_with_strangers(tmp_path / "shop")
    facts, others = built(root, as_of)
    want_facts, want_others = reference(root, as_of)
    assert_frame_equal(facts, want_facts)
    assert_frame_equal(others, want_others)
    # worked by hand: x's order and the order with no id are not customers' but count
    by_id = {r["customer_id"]: r for r in others.to_dicts()}
    if as_of is None:
        assert by_id["x"]["revenue_12m"] == 7.0 and by_id[None]["revenue_12m"] == 3.0
        assert by_id["y"]["mrr"] == 10.0  # two rows in May 2025: summed (SPEC §6)
    assert facts.filter(pl.col("customer_id") == "d")["lifetime_orders"].item() == 0


def test_fast_build_equals_the_definition_on_the_demo() -> None:
    facts, others = built(DEMO)
    want_facts, want_others = reference(DEMO)
    assert_frame_equal(facts, want_facts)
    assert_frame_equal(others, want_others)


def test_ids_sharing_a_hash_fall_back_to_joining_the_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every id given the same hash: the hash joins match customers to other ids'
    rows, which the check sees, and the facts are built by joining the ids."""
    root = shop_with_strangers(tmp_path / "shop")
    hashed = build._with_id_hash

    def colliding(df: pl.DataFrame) -> pl.LazyFrame:
        cid = pl.col("customer_id")
        return hashed(df).with_columns(
            pl.when(cid.is_not_null()).then(pl.lit(7, dtype=pl.UInt64)).alias(build._ID_HASH)
        )

    monkeypatch.setattr(build, "_with_id_hash", colliding)
    ds = open_dataset(root)
    aggregates = {t: lf.collect() for t, lf in build.table_aggregates(ds).items()}
    assert build._joined_by_hash(ds.tables["customers"].collect(), aggregates) is None
    facts, others = built(root)
    want_facts, want_others = reference(root)
    assert_frame_equal(facts, want_facts)
    assert_frame_equal(others, want_others)


def customers_only(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = "customer_id,plan,signup_date\nb,pro,2024-03-01\na,,2024-01-02\n"
    (root / "customers.csv").write_text(text)
    return root


def orders_only(root: Path) -> Path:
    """No customers table: the customers are derived from the orders' ids."""
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "a"],
            "order_date": [date(2025, 1, 10), date(2025, 3, 1), date(2025, 5, 1)],
            "amount": [10.0, float("nan"), 5.0],
        }
    ).write_parquet(root / "orders.parquet")
    return root


@pytest.mark.parametrize(
    ("make", "as_of"),
    [
        (shop_with_strangers, None),
        (shop_with_strangers, date(2025, 4, 30)),
        (customers_only, None),
        (orders_only, None),
        (lambda root: DEMO, None),
    ],
)
def test_facts_schemas_are_the_schemas_of_the_build(tmp_path: Path, make, as_of) -> None:
    """The fingerprint's schemas, resolved over empty frames, are those of the
    facts and the other ids' sums the build collects, column order included."""
    ds = open_dataset(make(tmp_path / "shop"), as_of=as_of)
    facts, others, *_ = build.facts_and_others(ds)
    assert build.facts_schemas(ds) == (facts.schema, others.schema)
    assert list(build.facts_schemas(ds)[0]) == facts.columns


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_code_version_follows_the_imports_of_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sources hashed are the roots' and those of the modules they import
    (absolute, relative, inside functions), of the package they live in, and
    of those modules' packages, without importing any of them; an edit to one
    of them changes the version, an edit elsewhere does not."""
    write_package(
        tmp_path / "fingerprinted",
        {
            "__init__.py": "",
            "a.py": (
                "import json\n"
                "from fingerprinted.b import value\n"
                "from . import c\n\n\n"
                "def later():\n"
                "    from fingerprinted.sub.d import (\n"
                "        thing,  # a comment\n"
                "    )\n"
            ),
            "b.py": "value = 1\n",
            "c.py": "from .e import other as renamed\n",
            "e.py": "other = 2\n",
            "sub/__init__.py": "from fingerprinted import unrelated\n",  # not followed
            "sub/d.py": "import fingerprinted.f\nthing = 3\n",
            "f.py": "",
            "unrelated.py": "",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = build.module_sources(["fingerprinted.a"])
    names = ["", ".a", ".b", ".c", ".e", ".f", ".sub", ".sub.d"]
    assert sorted(found) == [f"fingerprinted{n}" for n in names]
    assert found["fingerprinted.b"] == b"value = 1\n"
    assert "fingerprinted" not in sys.modules  # read from the path, never imported

    version = build.sources_version(["fingerprinted.a"])
    assert build.sources_version(["fingerprinted.a"]) == version
    (tmp_path / "fingerprinted" / "unrelated.py").write_text("x = 1\n")
    assert build.sources_version(["fingerprinted.a"]) == version
    (tmp_path / "fingerprinted" / "f.py").write_text("x = 1\n")
    assert build.sources_version(["fingerprinted.a"]) != version


def test_the_build_code_version_covers_the_facts_definitions() -> None:
    """The facts' own modules are in the build's version; the front ends are not
    (an edit to a pane's rendering keeps the facts cache)."""
    names = set(build.module_sources(build.BUILD_MODULES))
    assert {"cxtui.engine.build", "cxtui.metrics.facts", "cxtui.data.load"} <= names
    assert {"cxtui.data.config", "cxtui.data.schema", "cxtui.metrics.periods"} <= names
    assert not {n for n in names if n.startswith(("cxtui.tui", "cxtui.views", "cxtui.cli"))}
    assert "cxtui.engine.analysis" not in names and "cxtui.render.tables" not in names


def test_reading_one_account_filters_in_the_parquet_scan() -> None:
    """Account detail reads one customer's rows: the id filter must reach the
    Parquet scan (row-group statistics of id-sorted files), which a month-start
    lookup in the frame would block; only passes over every row use that."""
    from cxtui.metrics.account import account_history
    from cxtui.metrics.scope import Scope

    ds = open_dataset(DEMO)
    facts = customer_facts(ds)
    scope = Scope(ds, facts, None, other_ids(ds))
    for table, lf in account_history(scope, "C00001").items():
        scan = lf.explain().split("Parquet SCAN", 1)[1]
        selection = next(line for line in scan.splitlines() if "SELECTION:" in line)
        assert 'col("customer_id") == "C00001"' in selection, table
    assert "gather" in ds.scan("monthly", whole=True).explain()
