"""Segments with any measure (`--measure COL:AGG`), and `arr` / `value` in
segments and overview (SPEC Part II), on hand-worked fixtures and on
../shared/datasets/users_cx.csv through docs/examples/users_cx.toml (expected
values computed here from the raw file with polars; skipped when absent)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cxtui.engine import collect
from cxtui.errors import CxError
from cxtui.metrics import flows, lift, overview, panes
from cxtui.metrics.segment_measures import measure_columns, parse_segment_measures
from tests.part2_helpers import ago, rows, run, scope_of, table, write


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def _snapshot(root: Path) -> Path:
    """A customers-only export: arr = value = annual_revenue."""
    return write(
        root,
        customers=table(
            customer_id=["a", "b", "c", "d", "e"],
            signup_date=[date(2024, 1, 1)] * 4 + [date(2025, 9, 1)],  # e: not started
            plan=["p", "p", "p", "q", "p"],
            annual_revenue=[100.0, 300.0, None, None, 5000.0],
            is_active=[True, False, False, True, True],
            seats=[1, 4, 10, 3, 99],
            label=["x", "y", "z", "w", "v"],
        ),
    )


def test_measures_per_segment(tmp_path: Path) -> None:
    scope = scope_of(_snapshot(tmp_path))
    spec = (
        "annual_revenue:mean, annual_revenue:sum,annual_revenue:count,"
        "seats:median,seats:min,seats:MAX,seats:sum"
    )
    measures = parse_segment_measures(scope, spec)
    out = {r["plan"]: r for r in run(panes.segments(scope, ["plan"], measures))}
    p, q = out["p"], out["q"]  # p: a, b, c (e has not started); q: d
    assert list(p)[-7:] == [
        "annual_revenue_mean",
        "annual_revenue_sum",
        "annual_revenue_count",
        "seats_median",
        "seats_min",
        "seats_max",
        "seats_sum",
    ]
    assert p["annual_revenue_mean"] == approx(200.0) and p["annual_revenue_sum"] == approx(400.0)
    assert p["annual_revenue_count"] == 2  # c has no value
    assert p["seats_median"] == approx(4.0) and (p["seats_min"], p["seats_max"]) == (1, 10)
    assert p["seats_sum"] == 15
    # no member with a value: null, never 0 (count is 0)
    assert q["annual_revenue_mean"] is None and q["annual_revenue_sum"] is None
    assert q["annual_revenue_count"] == 0
    # SPEC Part II without monthly: arr = Σ annual_revenue; value = annual_revenue too
    assert p["arr"] == approx(400.0) and p["value"] == approx(400.0)
    assert q["arr"] is None and q["value"] is None


def test_arr_of_inactive_accounts_and_overview(tmp_path: Path) -> None:
    scope = scope_of(_snapshot(tmp_path))
    by_status = {r["status"]: r for r in run(panes.segments(scope, ["status"]))}
    assert by_status["churned"]["arr"] == approx(300.0)  # b; c has no value
    assert by_status["active"]["arr"] == approx(100.0)  # a; d has none, e not started
    (ov,) = run(overview.overview(scope))
    assert ov["arr"] == approx(400.0) and ov["value"] == approx(400.0)
    assert ov["mrr"] is None  # still no monthly figure
    assert list(ov)[-1] == "value"


def test_arr_and_value_with_monthly_and_orders(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=table(
            customer_id=["a", "b", "c"],
            signup_date=[date(2024, 1, 1)] * 3,
            plan=["p", "p", "q"],
            annual_revenue=[1.0, 2.0, 3.0],  # not used: monthly and orders exist
        ),
        monthly=rows(
            "customer_id month mrr",
            ("a", date(2025, 6, 1), 10.0),
            ("b", date(2025, 6, 1), 5.5),
            ("b", date(2025, 5, 1), 99.0),  # not month(as_of)
            ("zz", date(2025, 6, 1), 1000.0),  # not a customer: overview mrr only
        ),
        orders=rows(
            "customer_id order_date amount",
            ("a", ago(10), 70.0),
            ("c", ago(100), 30.0),
            ("c", ago(400), 500.0),  # outside 12m
            ("zz", ago(1), 7.0),
        ),
    )
    scope = scope_of(root)
    out = {r["plan"]: r for r in run(panes.segments(scope, ["plan"]))}
    assert out["p"]["arr"] == approx(12 * 15.5) and out["q"]["arr"] == approx(0.0)
    assert out["p"]["value"] == approx(70.0) and out["q"]["value"] == approx(30.0)
    (ov,) = run(overview.overview(scope))
    assert ov["arr"] == approx(12 * 1015.5)  # 12 × mrr, ids that are not customers included
    assert ov["value"] == approx(100.0)  # the customers' revenue_12m only
    assert ov["revenue_12m"] == approx(107.0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope:mean", "unknown column 'nope'; fix: use one of annual_revenue, seats"),
        ("seats:avg", "unknown aggregate 'avg'; fix: use one of sum, mean, median, min, max"),
        ("label:sum", "column 'label' has type String, not a number; fix: use one of annual_re"),
        ("is_active:mean", "has type Boolean, not a number"),
        ("seats", "expected COLUMN:AGGREGATE"),
        (":sum", "expected COLUMN:AGGREGATE"),
        ("seats:sum,seats:sum", "given twice"),
    ],
)
def test_bad_measures(tmp_path: Path, spec: str, message: str) -> None:
    scope = scope_of(_snapshot(tmp_path))
    with pytest.raises(CxError, match=message):
        parse_segment_measures(scope, spec)


def test_measure_columns_put_customer_attributes_first(tmp_path: Path) -> None:
    scope = scope_of(_snapshot(tmp_path))
    cols = measure_columns(scope)
    assert cols[:2] == ["annual_revenue", "seats"]
    assert "risk_score" in cols and "tenure_days" in cols
    assert not {"label", "is_active", "plan", "in_universe"} & set(cols)
    assert parse_segment_measures(scope, None) == [] and parse_segment_measures(scope, " , ") == []


# ---------------------------------------------------------------- users_cx.csv

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CXTUI_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
USERS_CSV = SHARED / "users_cx.csv"
USERS_TOML = REPO / "docs" / "examples" / "users_cx.toml"
needs_users = pytest.mark.skipif(not USERS_CSV.is_file(), reason="../shared absent")


@pytest.fixture(scope="module")
def users():
    """The raw file read here, and cxtui's scope over it through the mapping."""
    raw = pl.read_csv(USERS_CSV, schema_overrides={"signup_date": pl.Date}).filter(
        pl.col("signup_date").is_not_null()
    )
    scope = scope_of(SHARED, as_of=None, config=USERS_TOML)
    assert raw["signup_date"].max() <= scope.as_of  # every account has started
    return raw, scope


def _by(rows_: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows_}


@needs_users
def test_users_plan_counts_active_rate_and_ticket_ranges(users) -> None:
    raw, scope = users
    expected = {
        r["plan_type"]: r
        for r in raw.group_by("plan_type")
        .agg(
            pl.len().alias("n"),
            pl.col("is_active").mean().alias("rate"),
            pl.col("support_tickets_last_90d").min().alias("lo"),
            pl.col("support_tickets_last_90d").max().alias("hi"),
            pl.col("support_tickets_last_90d").mean().alias("mean"),
            pl.col("annual_revenue").sum().alias("arr"),
        )
        .to_dicts()
    }
    measures = parse_segment_measures(
        scope,
        "support_tickets_last_90d:min,support_tickets_last_90d:max,support_tickets_last_90d:mean",
    )
    got = _by(run(panes.segments(scope, ["plan"], measures)), "plan")
    assert set(got) == set(expected) == {"starter", "pro", "premium"}
    for plan, exp in expected.items():
        row = got[plan]
        assert row["customers"] == exp["n"]
        assert row["active_rate"] == pytest.approx(exp["rate"], rel=1e-9)
        assert row["support_tickets_last_90d_min"] == exp["lo"]
        assert row["support_tickets_last_90d_max"] == exp["hi"]
        assert row["support_tickets_last_90d_mean"] == pytest.approx(exp["mean"], rel=1e-9)
        assert row["arr"] == pytest.approx(exp["arr"], rel=1e-9)


@needs_users
def test_users_portfolio_groups_and_inactive_arr(users) -> None:
    raw, scope = users
    size = pl.col("portfolio_size")
    group = (
        pl.when(size >= 11)
        .then(pl.lit("10+"))
        .when(size >= 6)
        .then(pl.lit("6-10"))
        .when(size >= 2)
        .then(pl.lit("2-5"))
        .when(size >= 1)
        .then(pl.lit("1"))
    )
    expected = dict(raw.group_by(group.alias("g")).len().iter_rows())
    got = _by(run(panes.segments(scope, ["portfolio_group"])), "portfolio_group")
    assert {k: r["customers"] for k, r in got.items()} == expected

    inactive_arr = raw.filter(~pl.col("is_active"))["annual_revenue"].sum()
    by_status = _by(run(panes.segments(scope, ["status"])), "status")
    assert by_status["churned"]["arr"] == pytest.approx(inactive_arr, rel=1e-9)
    assert by_status["churned"]["customers"] == raw.filter(~pl.col("is_active")).height
    (ov,) = run(overview.overview(scope))
    assert ov["arr"] == pytest.approx(raw["annual_revenue"].sum(), rel=1e-9)
    assert ov["active_customers"] / ov["customers_total"] == pytest.approx(
        raw["is_active"].mean(), rel=1e-12
    )


@needs_users
def test_users_flows_and_success_manager_lift(users) -> None:
    raw, scope = users
    path = ["portfolio_group", "plan", "status", "arr_group"]
    leaves = run(flows.flow_paths(scope, path, measure="arr", min_share=0.01))
    assert sum(r["customers"] for r in leaves) == raw.height
    assert sum(r["measure_sum"] for r in leaves) == pytest.approx(
        raw["annual_revenue"].sum(), rel=1e-9
    )
    top = [n for n in run(flows.flow_nodes(scope, path, measure="arr")) if n["depth"] == 1]
    assert [n["customers"] for n in top] == sorted((n["customers"] for n in top), reverse=True)

    subject = lift.lift_subject(scope, flag="success_manager_assigned")
    lift.check_lift(subject, collect(lift.lift_check(scope, subject)))
    m = _by(run(lift.lift_measures(scope, subject)), "measure")
    side = raw.group_by("success_manager_assigned").agg(
        pl.len().alias("n"),
        pl.col("annual_revenue").mean().alias("mean"),
        pl.col("annual_revenue").median().alias("median"),
        pl.col("is_active").mean().alias("rate"),
    )
    exp = {r["success_manager_assigned"]: r for r in side.to_dicts()}
    for key, flag in (("with", 1), ("without", 0)):
        assert m["customers"][key] == exp[flag]["n"]
        assert m["value_mean"][key] == pytest.approx(exp[flag]["mean"], rel=1e-9)
        assert m["value_median"][key] == pytest.approx(exp[flag]["median"], rel=1e-9)
        assert m["active_rate"][key] == pytest.approx(exp[flag]["rate"], rel=1e-9)
    (summary,) = run(lift.lift_summary(scope, subject))
    assert summary["opportunity"] == pytest.approx(
        exp[0]["n"] * (exp[1]["mean"] - exp[0]["mean"]), rel=1e-9
    )
