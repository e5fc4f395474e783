"""SPEC §8 acquisition (new customers, spend, CAC, LTV, LTV:CAC per channel) and the
LTV of a group, on tiny fixtures with every expected number worked out by hand.

as_of is 2025-06-30: the last 3 calendar months are Apr-Jun 2025, and monthly
subscriber churn runs over the months M = Jul 2024 … Jun 2025 (prev months
Jun 2024 … May 2025).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import acquisition as acq
from cxtui.metrics import clv

AS_OF = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def scope_of(root: Path, where: str | None = None):
    return open_analysis(root, as_of=AS_OF, where=where, use_cache=False).scope


def rows_of(lf: pl.LazyFrame, key: str = "channel") -> dict:
    return {row[key]: row for row in collect(lf).to_dicts()}


def customers(spec: list[tuple]) -> pl.DataFrame:
    """(id, signup_date, channel, churn_date)."""
    return pl.DataFrame(
        {
            "customer_id": [s[0] for s in spec],
            "signup_date": [s[1] for s in spec],
            "channel": [s[2] for s in spec],
            "churn_date": [s[3] for s in spec],
        },
        schema={
            "customer_id": pl.String,
            "signup_date": pl.Date,
            "channel": pl.String,
            "churn_date": pl.Date,
        },
    )


PEOPLE = [
    ("a", date(2025, 4, 10), "ads", None),
    ("b", date(2025, 5, 5), "ads", date(2025, 6, 15)),  # churned since
    ("c", date(2025, 6, 1), "ads", None),
    ("d", date(2025, 5, 20), "seo", None),
    ("e", date(2024, 1, 1), "seo", None),  # an older customer: in LTV, not new
    ("f", date(2025, 3, 31), "ads", None),  # one day before the window
    ("g", date(2025, 6, 20), None, None),
    ("h", date(2025, 8, 1), "ads", None),  # not started at as_of
]


def months(start: date, count: int) -> list[date]:
    out, y, m = [], start.year, start.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_rows() -> pl.DataFrame:
    rows = [
        # ads: f 100 in Apr-Jun; a 50 in Apr-May then nothing (churned May -> Jun);
        # b 30 in May and 20 + 10 in two June rows; c 80 in June only
        *[("f", m, 100.0) for m in months(date(2025, 4, 1), 3)],
        ("a", date(2025, 4, 1), 50.0),
        ("a", date(2025, 5, 1), 50.0),
        ("b", date(2025, 5, 1), 30.0),
        ("b", date(2025, 6, 1), 20.0),
        ("b", date(2025, 6, 15), 10.0),  # any day is its month
        ("c", date(2025, 6, 1), 80.0),
        # seo: e 40 in May 2024 (before the range), Jun 2024, then a gap in Jul 2024
        # (a churn from Jun 2024), then Aug 2024 - Jun 2025; d 60 in June
        ("e", date(2024, 5, 1), 40.0),
        ("e", date(2024, 6, 1), 40.0),
        *[("e", m, 40.0) for m in months(date(2024, 8, 1), 11)],
        ("d", date(2025, 6, 1), 60.0),
        # not customers: never a member of any group
        ("zz", date(2025, 5, 1), 500.0),
        ("h", date(2025, 5, 1), 70.0),  # h has not started
    ]
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "month": [r[1] for r in rows],
            "mrr": [r[2] for r in rows],
        },
        schema={"customer_id": pl.String, "month": pl.Date, "mrr": pl.Float64},
    )


def spend_rows() -> pl.DataFrame:
    rows = [
        (date(2025, 3, 1), "ads", 999.0),  # before the window
        (date(2025, 4, 1), "ads", 300.0),
        (date(2025, 5, 15), "ads", 200.0),  # a mid-month date is its month
        (date(2025, 6, 1), "ads", 100.0),
        (date(2025, 6, 1), "tv", 500.0),  # a channel nobody came from
        (date(2025, 5, 1), None, 50.0),  # no channel: in the total only
        (date(2025, 7, 1), "ads", 1000.0),  # after as_of
    ]
    return pl.DataFrame(
        {
            "month": [r[0] for r in rows],
            "channel": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"month": pl.Date, "channel": pl.String, "amount": pl.Float64},
    )


def order_rows() -> pl.DataFrame:
    rows = [
        ("a", date(2025, 5, 1), 100.0),
        ("a", date(2024, 1, 1), 500.0),  # before 12m
        ("b", date(2025, 6, 1), 50.0),
        ("b", date(2025, 6, 2), -20.0),  # a refund
        ("d", date(2025, 6, 3), 10.0),
        ("e", date(2025, 6, 3), 7.0),  # e is not new
    ]
    return pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
    )


@pytest.fixture(scope="module")
def saas(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("saas")
    customers(PEOPLE).write_parquet(root / "customers.parquet")
    monthly_rows().write_parquet(root / "monthly.parquet")
    spend_rows().write_parquet(root / "spend.parquet")
    order_rows().write_parquet(root / "orders.parquet")
    return root


# ---------------------------------------------------------------- LTV (contractual)


def test_contractual_ltv_by_channel(saas: Path) -> None:
    got = rows_of(acq.ltv_by(scope_of(saas), "channel"))
    assert set(got) == {"ads", "seo", None}
    # ads members a, b, c, f (h has not started): June mrr f 100 + a 0 + b 30 + c 80
    # = 210 over 3 paying -> ARPA 70; exposed months f Apr, May; a Apr, May; b May
    # = 5, of which a May -> Jun churned: 1/5; LTV = 70 ÷ 0.2 = 350
    assert got["ads"] == {
        "channel": "ads",
        "customers": 4,
        "arpa": approx(70.0),
        "monthly_churn": approx(0.2),
        "ltv": approx(350.0),
    }
    # seo: June mrr e 40 + d 60 over 2 -> 50; e exposed Jun 2024 (churned into the
    # Jul gap) and Aug 2024 - May 2025 (10 months): 1/11 (May 2024 is outside)
    assert got["seo"]["arpa"] == approx(50.0)
    assert got["seo"]["monthly_churn"] == approx(1 / 11)
    assert got["seo"]["ltv"] == approx(550.0)
    # g has no mrr: no ARPA, no exposure -> nulls
    assert got[None] == {
        "channel": None,
        "customers": 1,
        "arpa": None,
        "monthly_churn": None,
        "ltv": None,
    }


def test_contractual_ltv_of_everyone(saas: Path) -> None:
    row = collect(acq.ltv_by(scope_of(saas))).to_dicts()
    # 7 started; June mrr 310 over 5 paying = 62; churn 2 / 16 -> LTV 496
    assert row == [
        {"customers": 7, "arpa": approx(62.0), "monthly_churn": approx(0.125), "ltv": approx(496.0)}
    ]


def test_contractual_ltv_from_rows_already_one_per_customer_month(
    saas: Path, tmp_path: Path
) -> None:
    """The same months as one row per (customer_id, month) in that order: the
    export is taken as it is (Dataset.monthly_ordered), with the same LTVs."""
    for name in ("customers", "spend", "orders"):
        (tmp_path / f"{name}.parquet").write_bytes((saas / f"{name}.parquet").read_bytes())
    ordered = (
        monthly_rows()
        .with_columns(pl.col("month").dt.month_start())
        .group_by("customer_id", "month")
        .agg(pl.col("mrr").sum())
        .sort("customer_id", "month")
    )
    ordered.write_parquet(tmp_path / "monthly.parquet")
    scope = scope_of(tmp_path)
    assert scope.ds.monthly_ordered
    got = rows_of(acq.ltv_by(scope, "channel"))
    assert got["ads"]["monthly_churn"] == approx(0.2) and got["ads"]["ltv"] == approx(350.0)
    assert got["seo"]["monthly_churn"] == approx(1 / 11)
    assert got[None]["monthly_churn"] is None
    everyone = collect(acq.ltv_by(scope)).to_dicts()[0]
    assert everyone["monthly_churn"] == approx(0.125) and everyone["ltv"] == approx(496.0)
    # with --where the rows are grouped again: seo alone, 1 of 11 exposed months
    seo = collect(acq.ltv_by(scope_of(tmp_path, where="channel = 'seo'"))).to_dicts()[0]
    assert seo["monthly_churn"] == approx(1 / 11) and seo["ltv"] == approx(550.0)


def test_ltv_is_null_when_nobody_churned(tmp_path: Path) -> None:
    customers([("a", date(2024, 1, 1), "ads", None)]).write_parquet(tmp_path / "customers.parquet")
    pl.DataFrame(
        {"customer_id": ["a"] * 3, "month": months(date(2025, 4, 1), 3), "mrr": [9.0] * 3}
    ).write_parquet(tmp_path / "monthly.parquet")
    row = collect(acq.ltv_by(scope_of(tmp_path))).to_dicts()[0]
    assert row["arpa"] == approx(9.0) and row["monthly_churn"] == 0.0 and row["ltv"] is None


# ---------------------------------------------------------------- acquisition by channel


def test_acquisition_by_channel(saas: Path) -> None:
    out = collect(acq.acquisition(scope_of(saas), months=3))
    assert out.columns == ["channel", *acq.ACQUISITION_KEYS]
    # new desc, then value asc with null last; tv has spend but no new customers
    assert out["channel"].to_list() == ["ads", "seo", None, "tv"]
    got = {row["channel"]: row for row in out.to_dicts()}
    # ads: a, b, c new (f signed up on Mar 31); spend 300 + 200 + 100 = 600
    assert got["ads"] == {
        "channel": "ads",
        "new_customers": 3,
        "share": approx(0.6),
        "spend": approx(600.0),
        "cac": approx(200.0),
        "ltv": approx(350.0),
        "ltv_to_cac": approx(1.75),
        "active_rate_now": approx(2 / 3),
        "revenue_12m": approx(100.0 + 30.0),
    }
    # seo: d new; no spend rows (spend 0, CAC 0, so no LTV:CAC)
    assert got["seo"] == {
        "channel": "seo",
        "new_customers": 1,
        "share": approx(0.2),
        "spend": 0.0,
        "cac": 0.0,
        "ltv": approx(550.0),
        "ltv_to_cac": None,
        "active_rate_now": 1.0,
        "revenue_12m": approx(10.0),
    }
    # the null channel: its spend cannot be told (the channel-less 50 is not it)
    assert got[None]["new_customers"] == 1 and got[None]["spend"] is None
    assert got[None]["cac"] is None and got[None]["ltv"] is None
    # tv: 500 spent, nobody acquired
    assert got["tv"] == {
        "channel": "tv",
        "new_customers": 0,
        "share": 0.0,
        "spend": approx(500.0),
        "cac": None,
        "ltv": None,
        "ltv_to_cac": None,
        "active_rate_now": None,
        "revenue_12m": 0.0,
    }


def test_acquisition_total(saas: Path) -> None:
    row = collect(acq.acquisition_total(scope_of(saas), months=3)).to_dicts()[0]
    # 5 new; spend in Apr-Jun of every channel 600 + 500 + 50 = 1150 -> CAC 230
    assert row == {
        "new_customers": 5,
        "share": 1.0,
        "spend": approx(1150.0),
        "cac": approx(230.0),
        "ltv": approx(496.0),
        "ltv_to_cac": approx(496.0 / 230.0),
        "active_rate_now": approx(0.8),
        "revenue_12m": approx(140.0),
    }


def test_one_month_window_and_drill_down(saas: Path) -> None:
    scope = scope_of(saas)
    got = rows_of(acq.acquisition(scope, months=1))
    # June only: c (ads) and g (null); ads spend 100
    assert got["ads"]["new_customers"] == 1 and got["ads"]["spend"] == approx(100.0)
    assert "seo" not in got and got["tv"]["spend"] == approx(500.0)
    ids = collect(acq.acquired(scope, 3).filter(pl.col("channel") == "ads"))["customer_id"]
    assert sorted(ids) == ["a", "b", "c"]


def test_by_another_dimension_has_no_spend(saas: Path) -> None:
    out = collect(acq.acquisition(scope_of(saas), months=3, by="status"))
    got = {row["status"]: row for row in out.to_dicts()}
    assert got["active"]["new_customers"] == 4 and got["churned"]["new_customers"] == 1
    assert out["spend"].null_count() == out.height and out["cac"].null_count() == out.height


def test_where_narrows_customers_not_channel_spend(saas: Path) -> None:
    got = rows_of(acq.acquisition(scope_of(saas, where="channel = 'ads'"), months=3))
    assert set(got) == {"ads", "tv"}
    assert got["ads"]["share"] == 1.0 and got["ads"]["spend"] == approx(600.0)


# ---------------------------------------------------------------- orders-only LTV


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    customers(PEOPLE).write_parquet(root / "customers.parquet")
    order_rows().write_parquet(root / "orders.parquet")
    return root


def test_orders_only_ltv_is_the_mean_predicted_clv(shop: Path) -> None:
    scope = scope_of(shop)
    assert acq.ltv_method(scope) == "orders"
    predictions = pl.DataFrame(
        {"customer_id": ["a", "b", "d", "e", "zz"], "clv_12m": [10.0, 20.0, 4.0, 8.0, 1e6]}
    )
    got = rows_of(acq.ltv_by(scope, "channel", predictions))
    # ads members a, b, c, f: a 10 and b 20 have a prediction -> 15
    assert got["ads"]["ltv"] == approx(15.0) and got["ads"]["customers"] == 4
    assert got["seo"]["ltv"] == approx(6.0)
    assert got[None]["ltv"] is None  # g has no prediction
    assert got["ads"]["arpa"] is None and got["ads"]["monthly_churn"] is None
    rows = rows_of(acq.acquisition(scope, 3, clv=predictions))
    assert rows["ads"]["ltv"] == approx(15.0) and rows["ads"]["spend"] is None
    # without the predictions there is no orders LTV
    assert collect(acq.ltv_by(scope))["ltv"].to_list() == [None]


def test_orders_only_ltv_from_the_fitted_models(tmp_path: Path) -> None:
    """The wiring end to end on the CDNOW sample: the overall LTV is the mean of
    clv_predictions' clv_12m."""
    from tests.test_clv import _datasets

    lines = (_datasets() / "CDNOW_sample.txt").read_text().splitlines()
    rows = [line.split() for line in lines]
    pl.DataFrame(
        {
            "customer_id": [r[1] for r in rows],
            "order_date": [date(int(r[2][:4]), int(r[2][4:6]), int(r[2][6:])) for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    ).write_parquet(tmp_path / "orders.parquet")
    scope = open_analysis(tmp_path, as_of=date(1997, 9, 30), use_cache=False).scope
    summary = collect(clv.clv_summary(scope))
    predictions = clv.clv_predictions(summary, clv.fit_clv(summary))
    row = collect(acq.ltv_by(scope, None, predictions)).to_dicts()[0]
    assert row["customers"] == 2357
    assert row["ltv"] == approx(predictions["clv_12m"].mean())


# ---------------------------------------------------------------- bad input


def test_bad_input_is_one_line_with_a_fix(saas: Path, tmp_path: Path) -> None:
    scope = scope_of(saas)
    with pytest.raises(CxError, match="--months 0"):
        acq.acquisition(scope, months=0)
    pl.DataFrame({"customer_id": ["a"], "signup_date": [date(2025, 5, 1)]}).write_parquet(
        tmp_path / "customers.parquet"
    )
    spend_rows().write_parquet(tmp_path / "spend.parquet")
    bare = scope_of(tmp_path)
    with pytest.raises(CxError, match=r"no channel column.*\[tables.customers.columns\]"):
        acq.acquisition(bare)
    # spend whose channel column is missing (the data layer may make it optional)
    ds = dataclasses.replace(
        scope.ds, tables={**scope.ds.tables, "spend": spend_rows().lazy().drop("channel")}
    )
    no_channel = dataclasses.replace(scope, ds=ds)
    with pytest.raises(CxError, match=r"spend has no channel column.*\[tables.spend.columns\]"):
        acq.acquisition(no_channel)
    # the total needs no channel
    total = collect(acq.acquisition_total(no_channel)).to_dicts()[0]
    assert total["spend"] == approx(1150.0)


def test_no_spend_and_no_monthly_or_orders(tmp_path: Path) -> None:
    customers(PEOPLE).write_parquet(tmp_path / "customers.parquet")
    scope = scope_of(tmp_path)
    assert acq.ltv_method(scope) is None
    got = rows_of(acq.acquisition(scope, 3))
    assert set(got) == {"ads", "seo", None}
    assert got["ads"]["spend"] is None and got["ads"]["cac"] is None
    assert got["ads"]["ltv"] is None and got["ads"]["revenue_12m"] is None
    assert got["ads"]["active_rate_now"] == approx(2 / 3)
