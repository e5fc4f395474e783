"""Every SPEC §2 metric family on tiny fixtures, each expected number worked out by hand.

The CLI's JSON output is the thing under test. No expected value is computed by
cxtui code: the comments show the arithmetic. Unless a test says otherwise the
as_of is 2025-06-30, so 30d = (2025-05-31, 2025-06-30], 90d = (2025-04-01,
2025-06-30], 12m = (2024-06-30, 2025-06-30], the risk blocks are
R = Apr-Jun 2025 and P = Jan-Mar 2025, and retention runs 2024-06 → 2025-06.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app

runner = CliRunner()

AS_OF = date(2025, 6, 30)
P_MONTHS = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
R_MONTHS = [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]
TYPES = {
    "customer_id": pl.String,
    "signup_date": pl.Date,
    "churn_date": pl.Date,
    "churn_reason": pl.String,
    "renewal_date": pl.Date,
    "segment": pl.String,
    "region": pl.String,
    "name": pl.String,
    "annual_revenue": pl.Float64,
    "is_active": pl.Boolean,
    "amount": pl.Float64,
    "mrr": pl.Float64,
    "logins": pl.Float64,
    "support_tickets": pl.Float64,
    "features_used": pl.Float64,
    "nps": pl.Float64,
    "score": pl.Float64,
    "month": pl.Date,
    "event_type": pl.String,
}
MONTHLY = {
    "customer_id": pl.String,
    "month": pl.Date,
    "mrr": pl.Float64,
    "logins": pl.Float64,
    "support_tickets": pl.Float64,
    "features_used": pl.Float64,
    "nps": pl.Float64,
}


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    """--no-cache is passed everywhere; this only keeps a slip out of ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def frame(data: dict | list[dict], schema: dict | None = None) -> pl.DataFrame:
    if isinstance(data, list):
        return pl.from_dicts(data, schema=schema)
    return pl.DataFrame(data, schema_overrides={k: v for k, v in TYPES.items() if k in data})


def people(ids: list[str], **cols) -> pl.DataFrame:
    """A customers table: signup 2024-01-01 and no churn unless given."""
    data = {"customer_id": ids}
    data["signup_date"] = cols.pop("signup_date", [date(2024, 1, 1)] * len(ids))
    data["churn_date"] = cols.pop("churn_date", [None] * len(ids))
    data.update(cols)
    return frame(data)


def orders(rows: list[tuple]) -> pl.DataFrame:
    """rows: (customer_id, order_date, amount)."""
    ids, dates, amounts = zip(*rows, strict=True)
    return frame({"customer_id": list(ids), "order_date": list(dates), "amount": list(amounts)})


def feedback(rows: list[tuple]) -> pl.DataFrame:
    """rows: (customer_id, date, score)."""
    ids, dates, scores = zip(*rows, strict=True)
    return frame({"customer_id": list(ids), "date": list(dates), "score": list(scores)})


def six_months(cid: str, mrr: float = 10.0, **cols: tuple[list, list]) -> list[dict]:
    """Monthly rows Jan-Jun 2025; cols maps a column to (P values, R values)."""
    rows = []
    for i, month in enumerate(P_MONTHS + R_MONTHS):
        row = {"customer_id": cid, "month": month, "mrr": mrr}
        for col, (before, after) in cols.items():
            row[col] = (before + after)[i]
        rows.append(row)
    return rows


def write(root: Path, **tables: pl.DataFrame | list[dict]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in tables.items():
        if isinstance(data, list):  # monthly rows as dicts
            data = frame(data, MONTHLY)
        data.write_parquet(root / f"{name}.parquet")
    return root


def cx(command: str, root: Path, *args: str):
    result = runner.invoke(app, [command, str(root), *args, "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def at(command: str, root: Path, *args: str):
    return cx(command, root, *args, "--as-of", AS_OF.isoformat())


def approx(value):
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def by_value(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# ---------------------------------------------------------------- windows and edges


def test_30d_and_12m_window_edges_and_late_timestamps(tmp_path: Path) -> None:
    # as_of 2024-12-31 (no --as-of: the latest date is the 23:59:59 order's date).
    # 30d = (2024-12-01, 2024-12-31]; 12m = 365 days = (2024-01-01, 2024-12-31]
    # (2024 is a leap year, so a calendar year back would wrongly include 2024-01-01).
    root = write(
        tmp_path,
        customers=people(
            ["a", "b", "c", "d", "e", "f", "g"],
            signup_date=[
                date(2023, 1, 1),
                date(2024, 12, 1),  # b: as_of - 30d -> not new
                date(2024, 12, 2),  # c: as_of - 29d -> new
                date(2024, 12, 31),  # d: on as_of -> new
                date(2023, 1, 1),
                date(2023, 1, 1),
                date(2023, 1, 1),
            ],
            churn_date=[
                None,
                None,
                None,
                None,
                date(2024, 12, 1),  # e: as_of - 30d -> not in 30d
                date(2024, 12, 2),  # f: in 30d
                date(2024, 12, 31),  # g: on as_of -> in 30d, not active at as_of
            ],
        ),
        orders=orders(
            [
                ("a", datetime(2024, 1, 1, 12, 0), 1.0),  # day = as_of - 365 -> out
                ("a", datetime(2024, 1, 2, 0, 0), 10.0),  # as_of - 364 -> in
                ("a", datetime(2024, 12, 31, 23, 59, 59), 100.0),  # late on as_of -> in
            ]
        ),
    )
    out = cx("overview", root)
    assert out["as_of"] == "2024-12-31"
    assert out["customers_total"] == 7
    assert out["active_customers"] == 4  # a b c d; e f g churned on or before as_of
    assert out["new_customers_30d"] == 2  # c, d (b started on the excluded edge)
    assert out["churned_customers_30d"] == 2  # f, g (e churned on the excluded edge)
    # active at 2024-12-01: a, b (started that day), f, g; e churned that day -> 4
    assert out["logo_churn_rate_30d"] == approx(2 / 4)  # f, g
    # active at 2024-11-30: a e f g = 4; active now 4 -> 4/4 - 1
    assert out["growth_rate_mom"] == approx(0.0)
    assert out["revenue_12m"] == approx(110.0)  # 10 + 100 (the 1 is on the edge)
    assert out["orders_12m"] == 2
    assert out["buyers_12m"] == 1


def test_growth_rate_mom_clamps_the_month_end(tmp_path: Path) -> None:
    # as_of 2025-03-31 -> previous point 2025-02-28 (not 03-01 / 03-03)
    root = write(
        tmp_path,
        customers=people(
            ["a", "b", "c", "d", "e", "f"],
            signup_date=[
                date(2025, 1, 1),
                date(2025, 3, 1),
                date(2025, 3, 2),
                date(2025, 1, 1),
                date(2025, 2, 28),
                date(2025, 3, 31),
            ],
            churn_date=[None, None, None, date(2025, 2, 28), None, None],
        ),
    )
    out = cx("overview", root, "--as-of", "2025-03-31")
    assert out["active_customers"] == 5  # a b c e f
    # active at 2025-02-28: a, e (d churned that day; b, c not started) = 2
    # 5 / 2 - 1 = 1.5   (at 03-01 it would be 5/3 - 1, at 03-03 5/4 - 1)
    assert out["growth_rate_mom"] == approx(1.5)
    assert out["new_customers_30d"] == 2  # (03-01, 03-31]: c, f; b is on the edge
    assert out["churned_customers_30d"] == 0  # d churned 02-28
    # base active at 2025-03-01: a, b, e = 3; none churned in the window
    assert out["logo_churn_rate_30d"] == approx(0.0)


# ---------------------------------------------------------------- refunds and order metrics

REFUND_ORDERS = [
    ("a", date(2025, 1, 10), 120.0),
    ("a", date(2025, 3, 1), 80.0),
    ("a", date(2025, 4, 1), -30.0),  # refund
    ("b", date(2025, 2, 1), 200.0),
    ("b", date(2025, 6, 1), -50.0),  # refund, b's latest order row
    ("c", date(2024, 3, 1), 500.0),  # outside 12m
    ("c", date(2025, 5, 1), 40.0),
    ("d", date(2025, 6, 20), 10.0),
    ("d", date(2025, 6, 30), 20.0),
    ("e", date(2024, 1, 1), 100.0),  # outside 12m
    ("e", date(2025, 5, 15), -20.0),  # e's only 12m row is a refund
]


@pytest.fixture(scope="module")
def refunds(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("refunds")
    return write(
        root,
        customers=people(["a", "b", "c", "d", "e", "f"], signup_date=[date(2023, 1, 1)] * 6),
        orders=orders(REFUND_ORDERS),
    )


def test_refunds_in_revenue_not_in_orders_but_in_buyer_counts(refunds: Path) -> None:
    out = at("overview", refunds)
    # a 120+80-30=170, b 200-50=150, c 40, d 10+20=30, e -20 -> 370
    assert out["revenue_12m"] == approx(370.0)
    assert out["orders_12m"] == 6  # amount > 0 in 12m: a 2, b 1, c 1, d 2, e 0
    assert out["aov_12m"] == approx(370 / 6)
    assert out["buyers_12m"] == 5  # a b c d e (e's refund row is an order); f none
    assert out["revenue_per_buyer_12m"] == approx(370 / 5)  # = 74
    # >= 2 order rows in 12m: a (3 rows), b (2 rows incl. refund), d (2) -> 3 / 5
    assert out["repeat_purchase_rate_12m"] == approx(0.6)


def test_refunds_in_account_lifetime_and_recency(refunds: Path) -> None:
    b = at("account", refunds, "b")["revenue"]
    assert b["revenue_12m"] == approx(150.0)  # 200 - 50
    assert b["lifetime_revenue"] == approx(150.0)
    assert b["orders_12m"] == 1  # the refund is not an order with amount > 0
    assert b["aov_12m"] == approx(150.0)  # 150 / 1
    assert b["last_order_date"] == "2025-06-01"  # the refund row sets recency
    e = at("account", refunds, "e")["revenue"]
    assert e["revenue_12m"] == approx(-20.0)
    assert e["lifetime_revenue"] == approx(80.0)  # 100 - 20
    assert e["orders_12m"] == 0
    assert e["aov_12m"] is None  # -20 / 0 -> null


def test_top_by_lifetime_revenue_includes_refunds(refunds: Path) -> None:
    out = at("top", refunds, "--by", "lifetime_revenue")
    # c 500+40=540, a 170, b 150, e 100-20=80, d 30, f 0
    assert [(r["customer_id"], r["lifetime_revenue"]) for r in out] == [
        ("c", 540.0),
        ("a", 170.0),
        ("b", 150.0),
        ("e", 80.0),
        ("d", 30.0),
        ("f", 0.0),
    ]
    assert out[0]["revenue_share"] == approx(540 / 970)  # 540+170+150+80+30 = 970


# ---------------------------------------------------------------- tenure and the customer universe


def test_avg_tenure_skips_customers_without_start(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(
            ["a", "b", "c", "d"],
            signup_date=[date(2025, 1, 1), date(2024, 6, 30), None, None],
            churn_date=[None, date(2025, 1, 26), None, None],
        ),
        orders=orders([("d", date(2025, 5, 1), 5.0)]),  # d starts with its first order
        feedback=feedback([("c", date(2025, 6, 1), 9.0)]),  # feedback does not start c
    )
    out = at("overview", root)
    assert out["customers_total"] == 3  # a b d; c has no start
    # a: 2025-01-01 -> as_of = 31+28+31+30+31+29 = 180 days
    # b: 2024-06-30 -> churn 2025-01-26 = 184 (to 12-31) + 26 = 210 days
    # d: 2025-05-01 -> as_of = 31 + 29 = 60 days
    # (180 + 210 + 60) / 3 = 150 days / 30.4375
    assert out["avg_tenure_months"] == approx(150 / 30.4375)


def test_without_customers_table_feedback_only_ids_are_not_customers(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        orders=orders([("1", date(2025, 5, 1), 50.0)]),
        monthly=[
            {"customer_id": "2", "month": date(2025, 4, 1), "mrr": 10.0},
            {"customer_id": "2", "month": date(2025, 5, 1), "mrr": 10.0},
            {"customer_id": "2", "month": date(2025, 6, 1), "mrr": 10.0},
        ],
        events=frame(
            {"customer_id": ["3"], "ts": [datetime(2025, 6, 1, 8)], "event_type": ["login"]}
        ),
        feedback=feedback([("1", date(2025, 6, 1), 10.0), ("4", date(2025, 6, 1), 0.0)]),
    )
    out = at("overview", root)
    assert out["customers_total"] == 3  # 1 (order), 2 (mrr), 3 (event); 4 only answered a survey
    assert out["active_customers"] == 3  # 2's last mrr month is June -> churn 07-01 > as_of
    # starts: 1 05-01 (60 days), 2 04-01 (30+31+29 = 90), 3 06-01 (29) -> 179 / 3 days
    assert out["avg_tenure_months"] == approx(179 / 3 / 30.4375)
    assert out["nps_90d"] == approx(100.0)  # only customer 1 (a 10) responds; 4 is no customer
    assert out["nps_90d_n"] == 1


# ---------------------------------------------------------------- mrr, arr, mean account NPS


def test_mrr_arr_and_mean_account_nps(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["a", "b", "c", "d"], churn_date=[None, None, date(2025, 4, 1), None]),
        monthly=[
            {"customer_id": "a", "month": date(2025, 5, 1), "mrr": 999.0, "nps": 40.0},
            {"customer_id": "a", "month": date(2025, 6, 10), "mrr": 100.0},  # two June rows
            {"customer_id": "a", "month": date(2025, 6, 20), "mrr": 50.0},
            {"customer_id": "b", "month": date(2025, 5, 1), "mrr": 80.0, "nps": 10.0},
            {"customer_id": "b", "month": date(2025, 6, 1), "mrr": 200.0, "nps": -20.0},
            {"customer_id": "c", "month": date(2025, 3, 1), "mrr": 300.0, "nps": 90.0},
            {"customer_id": "d", "month": date(2025, 6, 1), "mrr": 0.0},
            {"customer_id": "z", "month": date(2025, 6, 1), "mrr": 25.0},  # not a customer
        ],
    )
    out = cx("overview", root)
    assert out["as_of"] == "2025-06-30"  # last day of the latest month
    # June: a 100+50, b 200, d 0, orphan z 25 -> 375 (a's May 999 is another month)
    assert out["mrr"] == approx(375.0)
    assert out["arr"] == approx(12 * 375.0)
    # active accounts' latest non-null nps: a 40 (May; June is null), b -20; c churned,
    # d has none -> (40 - 20) / 2
    assert out["mean_account_nps"] == approx(10.0)
    assert cx("account", root, "a")["revenue"]["mrr"] == approx(150.0)


# ---------------------------------------------------------------- NPS 90d


def test_nps_90d_latest_response_per_customer(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["a", "b", "c", "d", "e", "f", "g"]),
        feedback=feedback(
            [
                ("a", datetime(2025, 4, 1, 9), 0.0),  # as_of - 90d: outside
                ("a", datetime(2025, 4, 2, 9), 10.0),  # a: promoter
                ("b", datetime(2025, 5, 1, 9), 10.0),
                ("b", datetime(2025, 6, 30, 18), 3.0),  # b's latest, late on as_of: detractor
                ("c", datetime(2025, 6, 1, 9), 7.0),  # passive
                ("d", datetime(2025, 6, 15, 9), 9.0),  # promoter
                ("e", datetime(2025, 3, 1, 9), 2.0),  # outside 90d
                ("f", datetime(2025, 6, 10, 9), 8.0),  # passive
                ("g", datetime(2025, 4, 1, 23), 0.0),  # outside 90d (edge day)
            ]
        ),
    )
    out = at("overview", root)
    assert out["nps_90d_n"] == 5  # a b c d f
    assert out["nps_90d"] == approx(20.0)  # 100 * (2 promoters - 1 detractor) / 5


# ---------------------------------------------------------------- retention


@pytest.fixture(scope="module")
def retention_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("retention")
    s, e = date(2024, 6, 1), date(2025, 6, 1)
    rows = [
        ("a", s, 100.0),
        ("a", e, 150.0),  # expansion 50
        ("b", s, 200.0),
        ("b", e, 120.0),  # contraction 80
        ("c", s, 300.0),
        ("c", date(2024, 12, 1), 300.0),  # no June 2025 row: churned 300
        ("d", s, 50.0),
        ("d", e, 50.0),  # flat
        ("e", e, 500.0),  # new: not in the base
        ("f", s, 0.0),
        ("f", e, 80.0),  # mrr 0 in S: not in the base
        ("g", s, 40.0),
        ("g", e, 0.0),  # churned 40
        ("z", s, 10.0),
        ("z", e, 20.0),  # not a customer, still in retention: expansion 10
    ]
    return write(
        root,
        customers=people(
            ["a", "b", "c", "d", "e", "f", "g"],
            signup_date=[date(2024, 1, 1)] * 4 + [date(2025, 6, 1)] + [date(2024, 1, 1)] * 2,
            segment=["X", "X", "Y", "Y", "Y", "X", "X"],
        ),
        monthly=[{"customer_id": c, "month": m, "mrr": v} for c, m, v in rows],
    )


def test_retention_overall(retention_data: Path) -> None:
    out = at("retention", retention_data)
    assert out["start_month"].startswith("2024-06")
    assert out["end_month"].startswith("2025-06")
    overall = out["overall"]
    assert overall["customers"] == 6  # a b c d g z
    assert overall["start_mrr"] == approx(700.0)  # 100+200+300+50+40+10
    assert overall["end_mrr"] == approx(340.0)  # 150+120+0+50+0+20
    assert overall["expansion"] == approx(60.0)  # a 50 + z 10
    assert overall["contraction"] == approx(80.0)  # b 200 -> 120
    assert overall["churned_mrr"] == approx(340.0)  # c 300 + g 40
    assert overall["nrr"] == approx(340 / 700)
    assert overall["grr"] == approx(280 / 700)  # min: 100+120+0+50+0+10
    ov = at("overview", retention_data)
    assert ov["nrr_12m"] == approx(340 / 700)
    assert ov["grr_12m"] == approx(0.4)


def test_retention_by_segment(retention_data: Path) -> None:
    rows = by_value(at("retention", retention_data, "--by", "segment")["segments"], "segment")
    x, y = rows["X"], rows["Y"]
    assert x["customers"] == 3  # a b g (f is not in the base)
    assert (x["start_mrr"], x["end_mrr"]) == (approx(340.0), approx(270.0))
    assert (x["expansion"], x["contraction"], x["churned_mrr"]) == (50.0, 80.0, 40.0)
    assert x["nrr"] == approx(270 / 340)
    assert x["grr"] == approx(220 / 340)  # 100 + 120 + 0
    assert y["customers"] == 2  # c d (e is new)
    assert (y["start_mrr"], y["end_mrr"]) == (approx(350.0), approx(50.0))
    assert (y["expansion"], y["contraction"], y["churned_mrr"]) == (0.0, 0.0, 300.0)
    assert y["nrr"] == approx(50 / 350)
    assert y["grr"] == approx(50 / 350)


def test_retention_ids_that_are_not_customers(retention_data: Path) -> None:
    by = at("retention", retention_data, "--by", "segment")["segments"]
    # z (not a customer) has no segment: the null row, start 10 -> end 20
    [none] = [r for r in by if r["segment"] is None]
    assert (none["customers"], none["start_mrr"], none["end_mrr"]) == (1, 10.0, 20.0)
    # a --where keeps only matching customers: z is never one of them
    x = at("retention", retention_data, "--where", "segment = 'X'")["overall"]
    assert (x["customers"], x["start_mrr"], x["end_mrr"]) == (3, 340.0, 270.0)  # a b g
    nobody = at("retention", retention_data, "--where", "segment IS NULL")["overall"]
    assert nobody["customers"] == 0 and nobody["nrr"] is None
    # overview mrr in June: a 150 + b 120 + d 50 + e 500 + f 80 + z 20 = 920; X only: 270 + 80
    assert at("overview", retention_data)["mrr"] == approx(920.0)
    assert at("overview", retention_data, "--where", "segment = 'X'")["mrr"] == approx(350.0)


def test_order_rows_without_a_customer_count_in_revenue(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["a"], segment=["X"]),
        orders=orders([("a", ago(1), 100.0), ("zz", ago(2), 40.0), (None, ago(3), 7.0)]),
    )
    out = at("overview", root)
    # every order row in 12m counts, also unknown and missing ids: 100 + 40 + 7
    assert out["revenue_12m"] == approx(147.0) and out["orders_12m"] == 3
    assert out["buyers_12m"] == 1  # buyers are customers
    assert at("overview", root, "--where", "segment = 'X'")["revenue_12m"] == approx(100.0)


# ---------------------------------------------------------------- RFM


def rfm_orders(spec: dict[str, list[tuple[int, float]]]) -> pl.DataFrame:
    return orders([(c, ago(d), amt) for c, rows in spec.items() for d, amt in rows])


@pytest.fixture(scope="module")
def rfm_ties(tmp_path_factory) -> Path:
    # n = 6 customers with orders: score = floor((rank - 1) * 5 / 6) + 1
    # -> rank 1:1, 2:1, 3:2, 4:3, 5:4, 6:5
    root = tmp_path_factory.mktemp("rfm_ties")
    spec = {
        "a": [(0, 1000.0)],
        "b": [(10, 10.0), (11, 10.0), (12, 10.0), (13, 10.0), (14, -10.0)],  # M 30, F 5
        "c": [(10, 100.0), (11, 100.0), (12, 100.0)],
        "d": [(100, 100.0), (101, 100.0), (102, 100.0)],
        "e": [(200, 20.0)],
        "f": [(d, 100.0) for d in range(300, 306)],
    }
    return write(
        root, customers=people(["a", "b", "c", "d", "e", "f", "g"]), orders=rfm_orders(spec)
    )


# R: days f 300 (rank 1), e 200 (2), d 100 (3), b = c 10 (tie -> both rank 4), a 0 (6)
# F: a = e 1 (rank 1), c = d 3 (rank 3), b 5 (rank 5; the refund row counts), f 6 (6)
# M: e 20 (1), b 30 (2), c = d 300 (rank 3), f 600 (5), a 1000 (6)
RFM_TIES = {
    "a": ((5, 1, 5), "New"),
    "b": ((3, 4, 1), "Loyal"),
    "c": ((3, 2, 2), "About To Sleep"),
    "d": ((2, 2, 2), "Hibernating"),
    "e": ((1, 1, 1), "Hibernating"),
    "f": ((1, 5, 4), "Can't Lose"),
}


@pytest.mark.parametrize("cid", sorted(RFM_TIES))
def test_rfm_scores_with_ties_share_the_lowest_rank(rfm_ties: Path, cid: str) -> None:
    out = at("account", rfm_ties, cid)
    scores, name = RFM_TIES[cid]
    assert (out["rfm_scores"]["r"], out["rfm_scores"]["f"], out["rfm_scores"]["m"]) == scores
    assert out["revenue"]["rfm_segment"] == name


def test_rfm_segment_rows_and_customer_without_orders(rfm_ties: Path) -> None:
    out = at("segments", rfm_ties, "--by", "rfm_segment")
    assert [(r["rfm_segment"], r["customers"]) for r in out] == [
        ("Hibernating", 2),
        ("About To Sleep", 1),
        ("Can't Lose", 1),
        ("Loyal", 1),
        ("New", 1),
        (None, 1),  # g has no order
    ]


def test_rfm_segment_names_n8(tmp_path: Path) -> None:
    # n = 8: score by rank 1:1 2:1 3:2 4:2 5:3 6:4 7:4 8:5 (floor((rank-1)*5/8)+1)
    # R days: w 400, v 300, u 200, t 150, s 100, r 50, q 20, p 0 -> R w1 v1 u2 t2 s3 r4 q4 p5
    # F: r = v 1 (rank 1 -> 1), q = w 2 (rank 3 -> 2), s 3 (rank 5 -> 3),
    #    p = u 4 (rank 6 -> 4), t 5 (rank 8 -> 5)
    spec = {
        "p": [(d, 100.0) for d in (0, 1, 2, 3)],  # R5 F4 Champions
        "q": [(20, 100.0), (21, 100.0)],  # R4 F2 Potential Loyalist
        "r": [(50, 100.0)],  # R4 F1 Promising
        "s": [(100, 100.0), (101, 100.0), (102, 100.0)],  # R3 F3 Need Attention
        "t": [(d, 100.0) for d in range(150, 155)],  # R2 F5 Can't Lose
        "u": [(d, 100.0) for d in range(200, 204)],  # R2 F4 At Risk
        "v": [(300, 100.0)],  # R1 F1 Hibernating
        "w": [(400, 100.0), (401, 100.0)],  # R1 F2 Hibernating
    }
    root = write(tmp_path, customers=people(list(spec)), orders=rfm_orders(spec))
    out = at("segments", root, "--by", "rfm_segment")
    assert [(r["rfm_segment"], r["customers"]) for r in out] == [
        ("Hibernating", 2),
        ("At Risk", 1),
        ("Can't Lose", 1),
        ("Champions", 1),
        ("Need Attention", 1),
        ("Potential Loyalist", 1),
        ("Promising", 1),
    ]
    # M = 100 x F, so M scores equal F scores
    assert at("account", root, "p")["rfm_scores"] == {"r": 5, "f": 4, "m": 4}


def test_rfm_recency_by_calendar_date_over_customers_only(tmp_path: Path) -> None:
    def at_time(days: int, hour: int = 0) -> datetime:
        return datetime.combine(ago(days), datetime.min.time()).replace(hour=hour)

    root = write(
        tmp_path,
        customers=people(["a", "b", "c", "d", "e", "late"]),
        orders=orders(
            [
                ("a", at_time(0, 8), 10.0),
                ("b", at_time(0, 20), 10.0),  # same day as a: same R
                ("c", at_time(10), 10.0),
                ("d", at_time(20), 10.0),
                ("e", at_time(30), 10.0),
                ("z", at_time(40), 10.0),  # not a customer: not ranked
                ("z", at_time(41), 10.0),
                ("late", datetime(2025, 7, 3), 10.0),  # after as_of: no order yet
            ]
        ),
    )
    # n = 5 (a-e): R ranks e 1, d 2, c 3, a = b 4 -> floor((rank-1) * 5/5) + 1 = rank
    # F and M all tie (1 order of 10) -> rank 1 -> 1
    expected = {"a": 4, "b": 4, "c": 3, "d": 2, "e": 1}
    for cid, r in expected.items():
        assert at("account", root, cid)["rfm_scores"] == {"r": r, "f": 1, "m": 1}, cid
    late = at("account", root, "late")
    assert late["revenue"]["rfm_segment"] is None


# ---------------------------------------------------------------- lifecycle and revenue tier

REST_REVENUE = [100.0, 200.0, 900.0, 400.0, 500.0, 600.0, 900.0, 300.0, 50.0, 10.0]


def lifecycle_data(root: Path, n_rest: int) -> Path:
    rest = [f"r{i:02d}" for i in range(1, n_rest + 1)]
    ids = [*rest, "x1", "x2", "x3"]
    return write(
        root,
        customers=people(
            ids,
            signup_date=[date(2024, 1, 1)] * (n_rest + 1) + [date(2025, 6, 15), date(2024, 1, 1)],
            churn_date=[None] * n_rest + [date(2025, 5, 1), None, None],
        ),
        orders=orders(
            [(c, date(2025, 3, 1), v) for c, v in zip(rest, REST_REVENUE, strict=False)]
            + [
                ("x1", date(2025, 3, 1), 5000.0),  # churned -> Inactive first
                ("x2", date(2025, 6, 20), 9000.0),  # started in 30d -> New
                ("x3", date(2025, 3, 1), 8000.0),  # risk 65 -> At Risk
            ]
        ),
        # x3: logins 10 -> 0 (25), tickets 0 -> 3 (s = min(1, (3/1 - 1)/2) = 1: 20),
        # nps 50 -> 0 (delta -50: 20) = 65
        monthly=six_months(
            "x3",
            logins=([10.0] * 3, [0.0] * 3),
            support_tickets=([0.0] * 3, [3.0] * 3),
            nps=([50.0] * 3, [0.0] * 3),
        ),
    )


def test_lifecycle_vip_is_floor_ten_percent_ties_by_id(tmp_path: Path) -> None:
    root = lifecycle_data(tmp_path, 10)
    out = at("segments", root, "--by", "lifecycle")
    # rest = r01..r10 (n 10) -> floor(10% x 10) = 1 VIP: r03 and r07 tie at 900, r03 first
    assert [(r["lifecycle"], r["customers"]) for r in out] == [
        ("Regular", 9),
        ("At Risk", 1),
        ("Inactive", 1),
        ("New", 1),
        ("VIP", 1),
    ]
    assert at("account", root, "r03")["status"]["lifecycle"] == "VIP"
    assert at("account", root, "r07")["status"]["lifecycle"] == "Regular"
    x3 = at("account", root, "x3")
    assert x3["risk"]["risk_score"] == 65
    assert x3["status"]["lifecycle"] == "At Risk"


def test_lifecycle_no_vip_below_ten_in_the_rest(tmp_path: Path) -> None:
    root = lifecycle_data(tmp_path, 9)
    out = at("segments", root, "--by", "lifecycle")
    # floor(10% x 9) = 0 VIPs
    assert [(r["lifecycle"], r["customers"]) for r in out] == [
        ("Regular", 9),
        ("At Risk", 1),
        ("Inactive", 1),
        ("New", 1),
    ]


def tiers(out: list[dict]) -> list[tuple]:
    return [(r["revenue_tier"], r["customers"]) for r in out]


def test_revenue_tier_thresholds_on_revenue_12m(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["t1", "t2", "t3", "t4", "t5", "t6"]),
        orders=orders(
            [
                ("t1", date(2025, 3, 1), 50_000.0),  # Enterprise (>= 50,000)
                ("t2", date(2025, 3, 1), 49_999.99),  # SMB
                ("t3", date(2025, 3, 1), 5_000.0),  # SMB (>= 5,000)
                ("t4", date(2025, 3, 1), 4_999.99),  # Individual
                ("t6", date(2024, 6, 30), 60_000.0),  # outside 12m -> 0 -> Individual
            ]
        ),
    )
    # t5 has no orders -> revenue_12m 0 -> Individual
    assert tiers(at("segments", root, "--by", "revenue_tier")) == [
        ("Individual", 3),
        ("SMB", 2),
        ("Enterprise", 1),
    ]
    assert at("account", root, "t1")["status"]["revenue_tier"] == "Enterprise"
    assert at("account", root, "t3")["status"]["revenue_tier"] == "SMB"


def test_revenue_tier_falls_back_to_annual_revenue_then_12x_mrr(tmp_path: Path) -> None:
    annual = write(
        tmp_path / "annual",
        customers=people(["u1", "u2", "u3"], annual_revenue=[50_000.0, 5_000.0, 4_999.0]),
    )
    assert tiers(at("segments", annual, "--by", "revenue_tier")) == [
        ("Enterprise", 1),
        ("Individual", 1),
        ("SMB", 1),
    ]
    monthly = write(
        tmp_path / "monthly",
        customers=people(["v1", "v2", "v3", "v4"]),
        monthly=[
            {"customer_id": "v1", "month": date(2025, 6, 1), "mrr": 4_200.0},  # 50,400 Ent.
            {"customer_id": "v2", "month": date(2025, 6, 1), "mrr": 4_166.0},  # 49,992 SMB
            {"customer_id": "v3", "month": date(2025, 6, 1), "mrr": 416.75},  # 5,001 SMB
            {"customer_id": "v4", "month": date(2025, 6, 1), "mrr": 416.5},  # 4,998 Ind.
        ],
    )
    assert tiers(at("segments", monthly, "--by", "revenue_tier")) == [
        ("SMB", 2),
        ("Enterprise", 1),
        ("Individual", 1),
    ]


# ---------------------------------------------------------------- segments


def test_segment_columns_by_region(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(
            ["a", "b", "g", "c", "d", "h", "e", "f"],
            region=["EMEA", "EMEA", "EMEA", "APAC", "AMER", "AMER", None, "AMER"],
            signup_date=[date(2024, 1, 1)] * 7 + [date(2025, 7, 10)],  # f not started
            churn_date=[None, date(2025, 3, 1), None, None, None, None, None, None],
        ),
        orders=orders(
            [
                ("a", date(2025, 5, 1), 100.0),
                ("b", date(2025, 2, 1), 50.0),
                ("h", date(2025, 6, 1), 150.0),
                ("h", date(2025, 6, 15), 50.0),
                ("e", date(2025, 4, 1), 300.0),
            ]
        ),
        monthly=[
            {"customer_id": "a", "month": date(2025, 6, 1), "mrr": 10.0},
            # c: logins 10 -> 0 (25) + tickets 0 -> 3 (20) + nps 50 -> 0 (20) = 65
            *six_months(
                "c",
                mrr=20.0,
                logins=([10.0] * 3, [0.0] * 3),
                support_tickets=([0.0] * 3, [3.0] * 3),
                nps=([50.0] * 3, [0.0] * 3),
            ),
            # d: logins 10 -> 3, change -70% -> s = min(1, 0.7 / 0.6) = 1 -> 25
            *six_months("d", mrr=30.0, logins=([10.0] * 3, [3.0] * 3)),
        ],
        feedback=feedback([("a", date(2025, 6, 1), 3.0)]),  # a: detractor -> 15
    )
    out = at("segments", root, "--by", "region")
    # started: a b g c d h e = 7 (f signs up after as_of); total revenue_12m 650
    assert [(r["region"], r["customers"]) for r in out] == [
        ("EMEA", 3),
        ("AMER", 2),
        ("APAC", 1),  # ties: value ascending
        (None, 1),
    ]
    rows = by_value(out, "region")
    emea = rows["EMEA"]
    assert emea["customer_share"] == approx(3 / 7)
    assert emea["active_customers"] == 2  # b churned
    assert emea["active_rate"] == approx(2 / 3)
    assert emea["revenue_12m"] == approx(150.0)  # 100 + 50
    assert emea["revenue_share"] == approx(150 / 650)
    assert emea["orders_12m"] == 2
    assert emea["aov_12m"] == approx(75.0)
    assert emea["mrr"] == approx(10.0)
    assert emea["avg_risk_score"] == approx(7.5)  # (a 15 + g 0) / 2; b churned has no score
    assert emea["at_risk_customers"] == 0
    amer = rows["AMER"]
    assert (amer["customers"], amer["active_customers"]) == (2, 2)
    assert amer["revenue_12m"] == approx(200.0)  # h 150 + 50
    assert amer["orders_12m"] == 2
    assert amer["aov_12m"] == approx(100.0)
    assert amer["mrr"] == approx(30.0)  # d 30 + h 0
    assert amer["avg_risk_score"] == approx(12.5)  # (d 25 + h 0) / 2
    apac = rows["APAC"]
    assert apac["revenue_12m"] == approx(0.0)
    assert apac["revenue_share"] == approx(0.0)
    assert apac["orders_12m"] == 0
    assert apac["aov_12m"] is None  # 0 / 0
    assert apac["mrr"] == approx(20.0)
    assert apac["avg_risk_score"] == approx(65.0)
    assert apac["at_risk_customers"] == 1
    none = rows[None]
    assert none["customer_share"] == approx(1 / 7)
    assert none["revenue_share"] == approx(300 / 650)
    assert none["mrr"] == approx(0.0)  # monthly exists, e has no rows
    assert set(emea) == {
        "region",
        "customers",
        "customer_share",
        "active_customers",
        "active_rate",
        "revenue_12m",
        "revenue_share",
        "orders_12m",
        "aov_12m",
        "mrr",
        "avg_risk_score",
        "at_risk_customers",
        "arr",  # SPEC Part II: 12 × Σ mrr (monthly exists)
        "value",  # Σ value = Σ revenue_12m (orders exists)
    }
    assert (amer["arr"], amer["value"]) == (approx(12 * 30.0), approx(200.0))


# ---------------------------------------------------------------- top customers


@pytest.fixture(scope="module")
def top_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("top")
    ids = ["c", "b", "a", "d", "e"]  # file order differs from id order
    return write(
        root,
        customers=people(
            ids,
            segment=["SMB", "SMB", "Enterprise", "SMB", "Individual"],
            name=["Cee", "Bee", "Ay", "Dee", "Ee"],
            churn_date=[None, None, None, date(2025, 5, 1), None],
        ),
        orders=orders(
            [
                ("a", date(2025, 3, 1), 300.0),
                ("b", date(2025, 1, 1), 200.0),
                ("b", date(2025, 6, 1), 300.0),
                ("c", date(2025, 2, 1), 500.0),
                ("d", date(2023, 6, 1), 1000.0),  # outside 12m
                ("d", date(2025, 4, 1), 100.0),
            ]
        ),
        monthly=[
            {"customer_id": c, "month": date(2025, 6, 1), "mrr": v}
            for c, v in (("a", 1000.0), ("b", 50.0), ("c", 50.0), ("e", 10.0))
        ],
    )


def test_top_default_by_revenue_12m_with_ties_by_id(top_data: Path) -> None:
    out = at("top", top_data)
    # revenue_12m: b 500, c 500 (tie -> b first), a 300, d 100, e 0; sum 1400
    assert [(r["rank"], r["customer_id"], r["revenue_12m"]) for r in out] == [
        (1, "b", 500.0),
        (2, "c", 500.0),
        (3, "a", 300.0),
        (4, "d", 100.0),
        (5, "e", 0.0),
    ]
    b = out[0]
    assert b["revenue_share"] == approx(500 / 1400)
    assert b["orders_12m"] == 2
    assert b["last_order_date"] == "2025-06-01"
    assert (b["name"], b["segment"], b["status"]) == ("Bee", "SMB", "active")
    assert out[3]["status"] == "churned"  # d churned 2025-05-01
    assert out[4]["last_order_date"] is None


def test_top_by_mrr(top_data: Path) -> None:
    out = at("top", top_data, "--by", "mrr", "-n", "3")
    # a 1000, b 50, c 50 (tie by id), e 10, d 0; sum 1110
    assert [(r["customer_id"], r["mrr"]) for r in out] == [
        ("a", 1000.0),
        ("b", 50.0),
        ("c", 50.0),
    ]
    assert out[1]["revenue_share"] == approx(50 / 1110)


def test_top_default_by_is_mrr_without_orders(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["a", "b"]),
        monthly=[
            {"customer_id": "a", "month": date(2025, 6, 1), "mrr": 10.0},
            {"customer_id": "b", "month": date(2025, 6, 1), "mrr": 30.0},
        ],
    )
    out = at("top", root)
    assert [(r["customer_id"], r["mrr"]) for r in out] == [("b", 30.0), ("a", 10.0)]
    assert out[0]["revenue_share"] == approx(30 / 40)


# ---------------------------------------------------------------- churn reasons


@pytest.fixture(scope="module")
def churn_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("churn")
    return write(
        root,
        customers=people(
            ["a", "b", "c", "d", "e", "f", "g"],
            signup_date=[date(2023, 1, 1)] * 7,
            churn_date=[
                date(2025, 3, 15),
                date(2025, 6, 30),  # on as_of: in the window
                date(2024, 6, 30),  # as_of - 365: outside 12m
                date(2024, 7, 1),  # as_of - 364: inside
                date(2025, 1, 10),
                None,
                date(2025, 7, 15),  # after as_of: not churned yet
            ],
            churn_reason=["Price", "Price", "Price", None, "Support", None, "Support"],
        ),
        monthly=[
            {"customer_id": c, "month": m, "mrr": v}
            for c, m, v in (
                ("a", date(2025, 1, 1), 100.0),
                ("a", date(2025, 2, 1), 80.0),  # a's latest month with mrr > 0
                ("a", date(2025, 3, 1), 0.0),
                ("b", date(2025, 4, 1), 50.0),  # b's latest month with mrr > 0
                ("b", date(2025, 5, 1), 0.0),
                ("c", date(2024, 5, 1), 999.0),
                ("e", date(2024, 11, 1), 25.0),
                ("e", date(2024, 12, 1), 30.0),  # e's latest month with mrr > 0
            )
        ],
        orders=orders(
            [
                ("a", date(2024, 3, 14), 1.0),  # before churn - 365: out
                ("a", date(2024, 3, 15), 1000.0),  # churn 2025-03-15 - 365: in
                ("a", date(2025, 3, 14), 100.0),  # in
                ("a", date(2025, 3, 15), 10.0),  # on the churn date: out
                ("d", date(2024, 6, 1), 40.0),  # in (window from 2023-07-02)
                ("e", date(2025, 1, 9), 70.0),  # in
                ("e", date(2025, 1, 11), 999.0),  # after churn: out
            ]
        ),
    )


def test_churn_reasons_12m(churn_data: Path) -> None:
    out = at("churn", churn_data)
    # in (2024-06-30, 2025-06-30]: a, b (Price), e (Support), d (null -> Unknown) = 4
    assert out == [
        # lost_mrr 80 + 50; lost revenue a 1000 + 100, b none
        {
            "reason": "Price",
            "churned_customers": 2,
            "share": 0.5,
            "lost_mrr": 130.0,
            "lost_revenue_12m": 1100.0,
        },
        {
            "reason": "Support",
            "churned_customers": 1,
            "share": 0.25,
            "lost_mrr": 30.0,
            "lost_revenue_12m": 70.0,
        },
        # d has no monthly rows in an existing table -> 0
        {
            "reason": "Unknown",
            "churned_customers": 1,
            "share": 0.25,
            "lost_mrr": 0.0,
            "lost_revenue_12m": 40.0,
        },
    ]


def test_churn_reasons_30d_window(churn_data: Path) -> None:
    out = at("churn", churn_data, "--window", "30d")
    assert out == [  # only b (2025-06-30)
        {
            "reason": "Price",
            "churned_customers": 1,
            "share": 1.0,
            "lost_mrr": 50.0,
            "lost_revenue_12m": 0.0,
        }
    ]


def test_lost_mrr_ignores_the_month_starting_on_the_churn_date(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["a"], churn_date=[date(2025, 3, 1)], churn_reason=["Price"]),
        monthly=[
            {"customer_id": "a", "month": date(2025, 2, 1), "mrr": 80.0},
            {"customer_id": "a", "month": date(2025, 3, 1), "mrr": 60.0},  # not before 03-01
        ],
    )
    [row] = at("churn", root)
    assert row["lost_mrr"] == approx(80.0)
    assert row["lost_revenue_12m"] is None  # no orders table


# ---------------------------------------------------------------- risk signals


def risk_case(name: str) -> tuple[dict, dict[str, int], tuple[str, str, float]]:
    """(tables, expected risk_score per customer, (customer, signal, strength))."""
    flat = ([10.0] * 3, [10.0] * 3)
    if name == "login_decline":
        monthly = (
            # 70 / 100 - 1 = -30% -> fires, s = 0.3 / 0.6 = 0.5 -> 12.5 -> 13
            six_months("fire", logins=([100.0] * 3, [70.0] * 3))
            + six_months("no29", logins=([100.0] * 3, [71.0] * 3))  # -29%
            + six_months("zero", logins=([0.0] * 3, [0.0] * 3))  # mean_P 0
            + six_months("empty", logins=([None] * 3, [5.0] * 3))  # no P values
        )
        expected = {"fire": 13, "no29": 0, "zero": 0, "empty": 0}
        return {"monthly": monthly}, expected, ("fire", name, 0.5)
    if name == "ticket_spike":
        monthly = (
            # 3 >= 1.5 x 2 and 3 - 2 >= 1 -> s = (3 / 2 - 1) / 2 = 0.25 -> 5
            six_months("fire", support_tickets=([2.0] * 3, [3.0] * 3))
            + six_months("ratio", support_tickets=([2.0] * 3, [3.0, 3.0, 2.0]))  # 8/3 < 3
            + six_months("diff", support_tickets=([0.0] * 3, [1.0, 0.0, 1.0]))  # +2/3 < 1
            # (5 / 1 - 1) / 2 = 2 -> min(1, 2) = 1 -> 20
            + six_months("cap", support_tickets=([1.0] * 3, [5.0] * 3))
            + six_months("empty", support_tickets=([None] * 3, [5.0] * 3))  # no P values
        )
        expected = {"fire": 5, "ratio": 0, "diff": 0, "cap": 20, "empty": 0}
        return {"monthly": monthly}, expected, ("fire", name, 0.25)
    if name == "nps_drop":
        monthly = (
            # nulls ignored: 20 - 30 = -10 -> s = 10 / 40 = 0.25 -> 5
            six_months("fire", nps=([30.0, None, 30.0], [20.0, 20.0, None]))
            + six_months("no9", nps=([30.0] * 3, [21.0] * 3))  # -9
            # -25 -> s = 25 / 40 = 0.625 -> 12.5 exactly -> half away from zero -> 13
            + six_months("half", nps=([50.0] * 3, [25.0] * 3))
            + six_months("empty", nps=([None] * 3, [-50.0] * 3))  # no P values
        )
        expected = {"fire": 5, "no9": 0, "half": 13, "empty": 0}
        return {"monthly": monthly}, expected, ("fire", name, 0.25)
    if name == "usage_decline":
        monthly = (
            # 80 / 100 - 1 = -20% -> fires, s = 0.2 / 0.5 = 0.4 -> 6
            six_months("fire", features_used=([100.0] * 3, [80.0] * 3))
            + six_months("no19", features_used=([100.0] * 3, [81.0] * 3))  # -19%
            + six_months("flat", features_used=flat)
            + six_months("empty", features_used=([10.0] * 3, [None] * 3))  # no R values
        )
        expected = {"fire": 6, "no19": 0, "flat": 0, "empty": 0}
        return {"monthly": monthly}, expected, ("fire", name, 0.4)
    if name == "order_gap":
        rows = [
            ("fire", ago(90), 10.0),  # 2 orders, last 90 days ago -> s = 90/180 = 0.5 -> 10
            ("fire", ago(120), 10.0),
            ("no89", ago(89), 10.0),
            ("no89", ago(120), 10.0),
            ("one", ago(200), 10.0),  # a single order never fires
            ("refund", ago(100), -5.0),  # the refund is the 2nd order and the last
            ("refund", ago(300), 50.0),  # -> s = 100/180 -> 11.1 -> 11
            ("cap", ago(400), 10.0),  # s = min(1, 400/180) = 1 -> 20
            ("cap", ago(500), 10.0),
        ]
        expected = {"fire": 10, "no89": 0, "one": 0, "refund": 11, "cap": 20}
        return {"orders": orders(rows)}, expected, ("fire", name, 0.5)
    if name == "detractor":
        rows = [
            ("fire", ago(89), 6.0),  # a 6 in 90d fires even though the latest is a 10
            ("fire", ago(0), 10.0),
            ("no", ago(10), 7.0),
            ("no", ago(90), 0.0),  # as_of - 90d: outside
        ]
        return {"feedback": feedback(rows)}, {"fire": 15, "no": 0}, ("fire", name, 1.0)
    if name == "renewal_due":
        ids = ["fire", "fire1", "today", "no91"]
        renewal = [ago(-90), ago(-1), AS_OF, ago(-91)]  # (as_of, as_of + 90d]
        extra = {"renewal_date": renewal}
        expected = {"fire": 10, "fire1": 10, "today": 0, "no91": 0}
        return {"_ids": ids, "_customers": extra}, expected, ("fire", name, 1.0)
    if name == "payment_issue":
        events = frame(
            {
                "customer_id": ["fire", "fire89", "no", "no"],
                "ts": [
                    datetime(2025, 6, 30, 23, 0),  # late on as_of
                    datetime.combine(ago(89), datetime.min.time()),
                    datetime.combine(ago(90), datetime.min.time()),  # outside 90d
                    datetime(2025, 6, 1, 12, 0),
                ],
                "event_type": ["payment_failed", "payment_failed", "payment_failed", "login"],
            }
        )
        expected = {"fire": 10, "fire89": 10, "no": 0}
        return {"events": events}, expected, ("fire", name, 1.0)
    raise AssertionError(name)


SIGNALS = [
    "login_decline",
    "ticket_spike",
    "nps_drop",
    "usage_decline",
    "order_gap",
    "detractor",
    "renewal_due",
    "payment_issue",
]


@pytest.mark.parametrize("signal", SIGNALS)
def test_risk_signal_fires_at_threshold_and_not_just_below(tmp_path: Path, signal: str) -> None:
    tables, expected, (cid, name, strength) = risk_case(signal)
    ids = tables.pop("_ids", list(expected))
    extra = tables.pop("_customers", {})
    root = write(tmp_path, customers=people(ids, **extra), **tables)
    out = at("at-risk", root, "--min-score", "0", "-n", "100")
    assert {r["customer_id"]: r["risk_score"] for r in out} == expected
    signals = by_value(at("account", root, cid)["risk"]["signals"], "signal")
    assert signals[name]["fires"] is True
    assert signals[name]["strength"] == approx(strength)
    assert signals[name]["weight"] == approx(
        {
            "login_decline": 25,
            "ticket_spike": 20,
            "nps_drop": 20,
            "usage_decline": 15,
            "order_gap": 20,
            "detractor": 15,
            "renewal_due": 10,
            "payment_issue": 10,
        }[name]
    )
    # every other signal of that customer is silent
    assert [s for s, v in signals.items() if v["fires"]] == [name]


def test_decline_thresholds_hold_for_fractional_means(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(["logins", "usage"]),
        # logins: means 10/3 -> 7/3: (7/3) / (10/3) - 1 = -30% -> s 0.5 -> 12.5 -> 13
        monthly=six_months("logins", logins=([3.0, 3.0, 4.0], [2.0, 2.0, 3.0]))
        # features: means 10/3 -> 8/3: -20% -> s = 0.2 / 0.5 = 0.4 -> 15 x 0.4 = 6
        + six_months("usage", features_used=([3.0, 3.0, 4.0], [2.0, 3.0, 3.0])),
    )
    out = at("at-risk", root, "--min-score", "0")
    assert {r["customer_id"]: r["risk_score"] for r in out} == {"logins": 13, "usage": 6}


def test_risk_score_sums_rounds_half_away_and_caps_at_100(tmp_path: Path) -> None:
    monthly = (
        six_months(
            "max",
            logins=([10.0] * 3, [0.0] * 3),  # 25
            support_tickets=([0.0] * 3, [5.0] * 3),  # 20
            nps=([50.0] * 3, [0.0] * 3),  # 20
            features_used=([10.0] * 3, [0.0] * 3),  # 15
        )
        # tickets 4 -> 7: s = (7/4 - 1) / 2 = 0.375 -> 7.5; + detractor 15 = 22.5 -> 23
        + six_months("half", support_tickets=([4.0] * 3, [7.0] * 3))
    )
    root = write(
        tmp_path,
        customers=people(["max", "half"], renewal_date=[ago(-30), None]),  # max: +10
        monthly=monthly,
        orders=orders([("max", ago(200), 1.0), ("max", ago(300), 1.0)]),  # +20
        feedback=feedback([("max", ago(5), 0.0), ("half", ago(5), 6.0)]),  # +15 each
        events=frame(
            {
                "customer_id": ["max"],
                "ts": [datetime(2025, 6, 1, 9)],
                "event_type": ["payment_failed"],
            }
        ),  # +10
    )
    out = at("at-risk", root, "--min-score", "0")
    # max: 25+20+20+15+20+15+10+10 = 135 -> min(100, 135)
    assert {r["customer_id"]: r["risk_score"] for r in out} == {"max": 100, "half": 23}


# ---------------------------------------------------------------- at-risk list


@pytest.fixture(scope="module")
def at_risk_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("at_risk")
    ids = ["a", "b", "c", "d", "e", "f"]
    return write(
        root,
        customers=people(
            ids,
            renewal_date=[ago(-30)] * 4 + [None, ago(-30)],  # +10
            churn_date=[None] * 5 + [date(2025, 6, 1)],  # f churned: never listed
        ),
        feedback=feedback([(c, ago(10), 2.0) for c in ids]),  # +15 each
        events=frame(
            {
                "customer_id": ["a", "b", "c", "f"],
                "ts": [datetime(2025, 6, 25, 9)] * 4,
                "event_type": ["payment_failed"] * 4,
            }
        ),  # +10
        monthly=[
            {"customer_id": c, "month": date(2025, 6, 1), "mrr": v}
            for c, v in (("a", 100.0), ("b", 200.0), ("c", 100.0), ("d", 999.0), ("e", 50.0))
        ],
    )


def test_at_risk_order_and_default_min_score(at_risk_data: Path) -> None:
    out = at("at-risk", at_risk_data)
    # a b c = 15 + 10 + 10 = 35; d = 15 + 10 = 25 (= default min 25); e = 15 (below)
    # score desc, then mrr desc (b 200 before a 100), then id (a before c)
    assert [(r["customer_id"], r["risk_score"], r["mrr"]) for r in out] == [
        ("b", 35, 200.0),
        ("a", 35, 100.0),
        ("c", 35, 100.0),
        ("d", 25, 999.0),
    ]
    assert set(out[0]) == {
        "customer_id",
        "name",
        "segment",
        "owner",
        "risk_score",
        "mrr",
        "revenue_12m",
        "signals",
    }
    assert out[0]["revenue_12m"] is None  # no orders table


def test_at_risk_min_score_limit_and_summary(at_risk_data: Path) -> None:
    assert [r["customer_id"] for r in at("at-risk", at_risk_data, "--min-score", "15")] == [
        "b",
        "a",
        "c",
        "d",
        "e",
    ]
    assert [r["customer_id"] for r in at("at-risk", at_risk_data, "-n", "2")] == ["b", "a"]
    out = at("at-risk", at_risk_data, "--summary")
    assert out["summary"]["mrr_at_risk"] == approx(1399.0)  # 200 + 100 + 100 + 999


def test_signal_text_rounds_halves_away_from_zero(tmp_path: Path) -> None:
    """The signals text rounds like the score: NPS 10 -> -26.5 is a 36.5-point
    drop, shown as 37 (taking halves to even would show 36); logins 200 -> 73
    is -63.5%, shown as -64%. Found by the DuckDB implementation in bench/."""
    monthly = six_months("a", nps=([10.0] * 3, [-26.5] * 3), logins=([200.0] * 3, [73.0] * 3))
    root = write(tmp_path, customers=people(["a"]), monthly=monthly)
    [row] = at("at-risk", root, "--min-score", "0")
    assert row["signals"] == "logins −64%, NPS −37 pts"


# ---------------------------------------------------------------- a past --as-of


def test_rows_after_as_of_are_not_seen(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=people(
            ["a", "b"],
            signup_date=[date(2024, 1, 1), date(2025, 7, 15)],  # b starts after as_of
            churn_date=[date(2025, 8, 1), None],
            churn_reason=["Price", None],
        ),
        orders=orders(
            [
                ("a", date(2025, 3, 1), 100.0),
                ("a", date(2025, 6, 30), 10.0),
                ("a", date(2025, 7, 1), 1000.0),  # after as_of
            ]
        ),
        monthly=[
            {"customer_id": "a", "month": date(2025, 6, 1), "mrr": 50.0, "nps": 30.0},
            {"customer_id": "a", "month": date(2025, 7, 1), "mrr": 70.0, "nps": -40.0},
        ],
        feedback=feedback([("a", date(2025, 6, 1), 9.0), ("a", date(2025, 7, 2), 0.0)]),
    )
    out = at("overview", root)
    assert out["customers_total"] == 1  # b not started
    assert out["active_customers"] == 1  # a's churn (2025-08-01) is not seen yet
    assert out["revenue_12m"] == approx(110.0)  # 100 + 10
    assert out["mrr"] == approx(50.0)
    assert out["mean_account_nps"] == approx(30.0)  # July's -40 not seen
    assert (out["nps_90d"], out["nps_90d_n"]) == (approx(100.0), 1)  # the 9, not July's 0
    acct = at("account", root, "a")
    assert acct["revenue"]["lifetime_revenue"] == approx(110.0)
    assert acct["revenue"]["last_order_date"] == "2025-06-30"
    assert acct["status"]["status"] == "active"
    assert acct["status"]["churn_date"] is None
    assert [o["order_date"] for o in acct["orders"]] == ["2025-06-30", "2025-03-01"]
    assert [f["date"] for f in acct["feedback"]] == ["2025-06-01"]
    assert [
        (r["customer_id"], r["lifetime_revenue"])
        for r in at("top", root, "--by", "lifetime_revenue")
    ] == [("a", 110.0)]
    assert at("churn", root) == []


# ---------------------------------------------------------------- null keys and zero denominators


def test_absent_tables_give_null_keys(tmp_path: Path) -> None:
    only_customers = write(tmp_path / "c", customers=people(["a", "b"]))
    out = at("overview", only_customers)
    for key in (
        "revenue_12m",
        "orders_12m",
        "aov_12m",
        "buyers_12m",
        "revenue_per_buyer_12m",
        "repeat_purchase_rate_12m",
        "mrr",
        "arr",
        "nrr_12m",
        "grr_12m",
        "nps_90d",
        "nps_90d_n",
        "mean_account_nps",
    ):
        assert out[key] is None, key
    assert out["customers_total"] == 2
    with_monthly = write(
        tmp_path / "m",
        customers=people(["a"]),
        monthly=[{"customer_id": "a", "month": date(2025, 6, 1), "mrr": 10.0}],
    )
    out = at("overview", with_monthly)
    assert out["mrr"] == approx(10.0)
    assert out["revenue_12m"] is None  # no orders table
    assert out["nps_90d"] is None  # no feedback table
    assert out["mean_account_nps"] is None  # monthly without an nps column


def test_zero_denominators_give_null(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        # both start inside the last month: nobody active at 2025-05-30 or 2025-05-31
        customers=people(["a", "b"], signup_date=[date(2025, 6, 10), date(2025, 6, 20)]),
        orders=orders([("a", date(2023, 1, 1), 100.0)]),  # older than 12m
        feedback=feedback([("a", date(2025, 1, 1), 10.0)]),  # older than 90d
        monthly=[{"customer_id": "a", "month": date(2025, 6, 1), "mrr": 10.0}],  # none in S
    )
    out = at("overview", root)
    assert out["new_customers_30d"] == 2
    assert out["growth_rate_mom"] is None  # 2 / 0
    assert out["logo_churn_rate_30d"] is None  # 0 / 0
    assert (out["revenue_12m"], out["orders_12m"], out["buyers_12m"]) == (0.0, 0, 0)
    assert out["aov_12m"] is None  # 0 / 0 orders
    assert out["revenue_per_buyer_12m"] is None  # 0 / 0 buyers
    assert out["repeat_purchase_rate_12m"] is None
    assert out["nps_90d"] is None  # no respondents
    assert out["nps_90d_n"] == 0
    assert out["nrr_12m"] is None and out["grr_12m"] is None  # no base in 2024-06
    assert (out["mrr"], out["arr"]) == (approx(10.0), approx(120.0))
    top = at("top", root)
    assert [r["revenue_share"] for r in top] == [None, None]  # 0 / 0 revenue


def test_is_active_dataset_has_no_churn_over_time(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=frame(
            {
                "customer_id": ["a", "b"],
                "signup_date": [date(2025, 1, 1), date(2024, 6, 30)],
                "is_active": [True, False],
            }
        ),
    )
    out = at("overview", root)
    assert (out["customers_total"], out["active_customers"]) == (2, 1)
    assert out["churned_customers_30d"] is None
    assert out["logo_churn_rate_30d"] is None
    assert out["growth_rate_mom"] is None
    # end = as_of for both: a 180 days, b 2024-06-30 -> 2025-06-30 = 365 days
    assert out["avg_tenure_months"] == approx((180 + 365) / 2 / 30.4375)


def test_risk_band_and_at_risk_thresholds(tmp_path: Path) -> None:
    drop = {"logins": ([10.0] * 3, [0.0] * 3), "nps": ([50.0] * 3, [0.0] * 3)}  # 25 + 20
    root = write(
        tmp_path,
        customers=people(["s60", "s55", "s30", "s25", "s0"]),
        monthly=six_months("s60", **drop)
        + six_months("s55", **drop)
        + six_months("s30", support_tickets=([0.0] * 3, [3.0] * 3))  # 20
        + six_months("s25", logins=([10.0] * 3, [0.0] * 3)),  # 25
        feedback=feedback([("s60", ago(5), 4.0)]),  # s60: +15 = 60
        events=frame(
            {
                "customer_id": ["s55", "s30"],
                "ts": [datetime(2025, 6, 1, 9)] * 2,
                "event_type": ["payment_failed"] * 2,
            }
        ),  # s55: 45 + 10 = 55; s30: 20 + 10 = 30
    )
    out = at("segments", root, "--by", "risk_band")
    # High >= 60: s60; Medium >= 30: s55, s30; Low: s25, s0
    assert [(r["risk_band"], r["customers"]) for r in out] == [
        ("Low", 2),
        ("Medium", 2),
        ("High", 1),
    ]
    rows = by_value(out, "risk_band")
    assert rows["High"]["at_risk_customers"] == 1  # 60 is at risk
    assert rows["Medium"]["at_risk_customers"] == 0
    assert rows["Medium"]["avg_risk_score"] == approx(42.5)  # (55 + 30) / 2
    assert rows["Low"]["avg_risk_score"] == approx(12.5)  # (25 + 0) / 2
    life = at("segments", root, "--by", "lifecycle")
    # rest n = 4 -> floor(0.4) = 0 VIPs
    assert [(r["lifecycle"], r["customers"]) for r in life] == [("Regular", 4), ("At Risk", 1)]


def test_engagement_bins_on_events_in_90d(tmp_path: Path) -> None:
    def evs(cid: str, days: int, n: int) -> list[tuple]:
        return [(cid, datetime.combine(ago(days), datetime.min.time()))] * n

    rows = (
        evs("e14", 10, 14)
        + evs("e14", 90, 5)  # as_of - 90d: outside -> 14 -> Low
        + evs("e15", 10, 14)
        + evs("e15", 89, 1)  # 15 -> Medium
        + evs("e30", 1, 30)  # 30 -> Medium
        + evs("e31", 1, 30)
        + [("e31", datetime(2025, 6, 30, 23, 59))]  # 31 -> High
    )
    root = write(
        tmp_path,
        customers=people(["e0", "e14", "e15", "e30", "e31"]),
        events=frame(
            {
                "customer_id": [c for c, _ in rows],
                "ts": [t for _, t in rows],
                "event_type": [("login", "feature_used")[i % 2] for i in range(len(rows))],
            }
        ),
    )
    out = at("segments", root, "--by", "engagement")
    # e0 has no events: 0 -> Low
    assert [(r["engagement"], r["customers"]) for r in out] == [
        ("Low", 2),
        ("Medium", 2),
        ("High", 1),
    ]
