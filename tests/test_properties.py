"""Property-based checks over generated datasets (hypothesis).

Invariants that must hold for any data: segment counts add up to the total,
shares add up to 1, a drilled segment lists exactly its count, every risk score
equals the rounded sum of its signals' points, and results do not depend on
row order or on splitting a table into several Parquet files.
"""

from __future__ import annotations

import math
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxtui.engine import collect, open_analysis
from cxtui.metrics import panes
from cxtui.metrics.facts import RISK_SIGNAL_COLUMNS
from cxtui.metrics.overview import overview

AS_OF = date(2025, 6, 30)
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def datasets(draw) -> dict[str, pl.DataFrame]:
    seed = draw(st.integers(0, 10_000))
    n = draw(st.integers(1, 25))
    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(n)]

    def day(lo: int, hi: int) -> date:
        return AS_OF - timedelta(days=rng.randint(lo, hi))

    customers = pl.DataFrame(
        {
            "customer_id": ids,
            "segment": [rng.choice(["A", "B", None]) for _ in ids],
            "region": [rng.choice(["EMEA", "APAC", "Americas", None]) for _ in ids],
            "signup_date": [rng.choice([day(0, 900), None]) for _ in ids],
            "churn_date": [rng.choice([None, None, day(0, 400)]) for _ in ids],
            "churn_reason": [rng.choice(["Price", "Other", None]) for _ in ids],
            "renewal_date": [AS_OF + timedelta(days=rng.randint(-30, 200)) for _ in ids],
        },
        schema_overrides={"signup_date": pl.Date, "churn_date": pl.Date},
    )
    order_ids = [rng.choice([*ids, "orphan"]) for _ in range(rng.randint(0, 60))]
    orders = pl.DataFrame(
        {
            "customer_id": order_ids,
            "order_date": [day(0, 800) for _ in order_ids],
            "amount": [round(rng.uniform(-50, 900), 2) for _ in order_ids],
        },
        schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
    )
    rows = []
    for cid in ids:
        if rng.random() < 0.7:
            for k in range(rng.randint(1, 9)):
                rows.append(
                    {
                        "customer_id": cid,
                        "month": _months_back(k),
                        "mrr": float(rng.choice([0, 100, 250, 400])),
                        "logins": float(rng.randint(0, 40)),
                        "support_tickets": float(rng.randint(0, 6)),
                        "nps": rng.choice([None, float(rng.randint(-100, 100))]),
                        "features_used": float(rng.randint(0, 10)),
                    }
                )
    monthly = pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.String,
            "month": pl.Date,
            "mrr": pl.Float64,
            "logins": pl.Float64,
            "support_tickets": pl.Float64,
            "nps": pl.Float64,
            "features_used": pl.Float64,
        },
    )
    fb_ids = [rng.choice(ids) for _ in range(rng.randint(0, 15))]
    feedback = pl.DataFrame(
        {
            "customer_id": fb_ids,
            "date": [day(0, 200) for _ in fb_ids],
            "score": [float(rng.randint(0, 10)) for _ in fb_ids],
        },
        schema={"customer_id": pl.String, "date": pl.Date, "score": pl.Float64},
    )
    tables = {"customers": customers, "monthly": monthly, "feedback": feedback}
    if orders.height:
        tables["orders"] = orders
    if monthly.height == 0:
        del tables["monthly"]
    if feedback.height == 0:
        del tables["feedback"]
    return tables


def _months_back(k: int) -> date:
    total = AS_OF.year * 12 + AS_OF.month - 1 - k
    return date(total // 12, total % 12 + 1, 1)


def write(root: Path, tables: dict[str, pl.DataFrame], split: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if split and frame.height >= 2:
            folder = root / name
            folder.mkdir()
            half = frame.height // 2
            frame.head(half).write_parquet(folder / "part-0.parquet")
            frame.tail(frame.height - half).write_parquet(folder / "part-1.parquet")
        else:
            frame.write_parquet(root / f"{name}.parquet")
    return root


def analyse(root: Path):
    return open_analysis(root, as_of=AS_OF, use_cache=False)


@SETTINGS
@given(datasets())
def test_segments_add_up_and_drill_to_their_count(tables) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        analysis = analyse(write(Path(tmp), tables))
        scope = analysis.scope
        total = collect(overview(scope))["customers_total"][0]
        for by in (["region"], ["segment", "region"], ["revenue_tier"], ["lifecycle"]):
            seg = collect(panes.segments(scope, by))
            assert seg["customers"].sum() == total
            if total:
                assert math.isclose(seg["customer_share"].sum(), 1.0)
            rev = seg["revenue_share"].drop_nulls()
            if rev.len():
                assert math.isclose(rev.sum(), 1.0, abs_tol=1e-9)
            for row in seg.iter_rows(named=True):
                members = collect(panes.segment_members(scope, by, [row[d] for d in by]))
                assert members.height == row["customers"]


@SETTINGS
@given(datasets())
def test_risk_score_is_the_rounded_sum_of_signal_points(tables) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts = analyse(write(Path(tmp), tables)).facts
        weights_ok = facts.filter(pl.col("active"))
        for row in weights_ok.iter_rows(named=True):
            points = sum(row[f"risk_{s}"] for s in RISK_SIGNAL_COLUMNS)
            assert row["risk_score"] == min(100, math.floor(round(points, 9) + 0.5))
            for s in RISK_SIGNAL_COLUMNS:
                strength = row[f"s_{s}"]
                assert strength is None or 0 <= strength <= 1
        assert (
            facts.filter(~pl.col("active"))["risk_score"].null_count()
            == facts.filter(~pl.col("active")).height
        )


@SETTINGS
@given(datasets(), st.integers(0, 1000))
def test_invariant_to_row_order_and_file_splits(tables, seed) -> None:
    shuffled = {
        name: frame.sample(fraction=1.0, shuffle=True, seed=seed) for name, frame in tables.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = analyse(write(Path(tmp) / "base", tables))
        other = analyse(write(Path(tmp) / "other", shuffled, split=True))
        a = collect(overview(base.scope)).row(0, named=True)
        b = collect(overview(other.scope)).row(0, named=True)
        for key, value in a.items():
            if isinstance(value, float):
                assert math.isclose(value, b[key], rel_tol=1e-9, abs_tol=1e-9), key
            else:
                assert value == b[key], key
        cols = ["customer_id", "risk_score", "rfm_segment", "lifecycle", "revenue_tier"]
        cols = [c for c in cols if c in base.facts.columns]
        left = base.facts.select(cols).sort("customer_id")
        right = other.facts.select(cols).sort("customer_id")
        assert left.equals(right)
