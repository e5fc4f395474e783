"""SPEC §7 cohorts: logo and revenue retention by start month or quarter.

Hand-worked fixtures (as_of mid-month, so the period holding as_of is measured
at as_of), drill-downs that list exactly the counted members, the errors, and
a comparison with ``tests/reference_part2_revenue.py`` on the generated
datasets of ``tests/test_movements.py`` and the demo.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import cohorts as co
from tests.reference_part2_revenue import RevenueReference
from tests.test_movements import CASES, assert_rows, load_case, monthly, orders, where_pred, write

AS_OF = date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def d(text: str) -> date:
    return date.fromisoformat(text)


# id: (signup, churn, segment)
PEOPLE = {
    # the March cohort
    "a1": ("2025-03-05", None, "x"),
    "a2": ("2025-03-20", "2025-04-30", "x"),  # churned on April's last day
    "a3": ("2025-03-31", "2025-05-01", "y"),
    "a4": ("2025-03-10", "2025-06-10", "y"),  # churned before as_of
    "a5": ("2025-03-12", "2025-06-20", "y"),  # churns after as_of: not seen
    # April
    "b1": ("2025-04-02", "2025-04-15", "x"),
    "b2": ("2025-04-30", None, None),
    # nobody starts in May; June (as_of is 2025-06-15)
    "c1": ("2025-06-15", None, "y"),  # starts on as_of: counted
    "c2": ("2025-06-16", None, "y"),  # not started at as_of
    "c3": ("2025-06-01", "2025-06-14", None),
    # January (quarter Q1), outside the month range
    "q0": ("2025-01-15", "2025-05-05", "x"),
    "old": ("2024-01-01", None, "x"),
    "n1": (None, None, "x"),  # no start at all
}


def people() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": list(PEOPLE),
            "signup_date": [d(s) if s else None for s, _, _ in PEOPLE.values()],
            "churn_date": [d(c) if c else None for _, c, _ in PEOPLE.values()],
            "segment": [seg for _, _, seg in PEOPLE.values()],
        },
        schema={
            "customer_id": pl.String,
            "signup_date": pl.Date,
            "churn_date": pl.Date,
            "segment": pl.String,
        },
    )


MRR = [
    ("a1", "2025-03-01", 100.0),
    ("a1", "2025-04-01", 120.0),
    ("a1", "2025-05-01", 0.0),
    ("a1", "2025-06-01", 130.0),
    ("a2", "2025-03-01", 50.0),
    ("a2", "2025-04-01", 50.0),
    ("a3", "2025-02-01", 40.0),  # a3's first month > 0 is before its cohort
    ("a3", "2025-03-01", 60.0),
    ("a3", "2025-04-01", 60.0),
    ("a4", "2025-04-01", 30.0),
    ("a4", "2025-05-01", 30.0),
    ("b1", "2025-04-01", 10.0),
    ("b2", "2025-05-01", 20.0),
    ("b2", "2025-06-01", 25.0),
    ("c1", "2025-06-01", 5.0),
    ("zz", "2025-03-01", 999.0),  # not a customer: in no cohort
]


@pytest.fixture
def saas(tmp_path: Path) -> Path:
    rows = [(c, d(m), v) for c, m, v in MRR]
    return write(tmp_path / "saas", customers=people(), monthly=monthly(rows))


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    rows = [
        ("a1", d("2025-03-07"), 100.0),
        ("a1", d("2025-04-11"), 50.0),
        ("a1", d("2025-06-10"), 20.0),
        ("a2", d("2025-03-25"), -10.0),  # a refund counts
        ("a2", d("2025-06-16"), 30.0),  # after as_of
        ("a3", d("2025-02-01"), 500.0),  # before the cohort's first period
        ("b1", d("2025-05-03"), 40.0),  # nothing in April: the cohort's base is 0
    ]
    return write(tmp_path / "shop", customers=people(), orders=orders(rows))


def run(root: Path, lf_of, where: str | None = None) -> pl.DataFrame:
    analysis = open_analysis(root, as_of=AS_OF, where=where, use_cache=False)
    return collect(lf_of(analysis.scope))


def test_logo_cohorts_by_month(saas: Path) -> None:
    df = run(saas, lambda s: co.cohorts(s, "logo", "month", 4))
    assert df.columns == ["cohort", "customers", "p0", "p1", "p2", "p3"]
    assert df.rows() == [
        # Mar 31: all 5; Apr 30: a2 gone; May 31: a3 gone; at as_of: a4 gone
        ("2025-03", 5, 1.0, 0.8, 0.6, 0.4),
        # b1 churned Apr 15; b2 stays
        ("2025-04", 2, 0.5, 0.5, 0.5, None),
        ("2025-05", 0, None, None, None, None),
        # c1 (starts on as_of) and c3 (churned Jun 14); c2 has not started
        ("2025-06", 2, 0.5, None, None, None),
    ]


def test_logo_cohorts_by_quarter(saas: Path) -> None:
    # the last 4 months (Mar-Jun) touch Q1 and Q2; Q1 is the whole quarter (q0 too)
    df = run(saas, lambda s: co.cohorts(s, "logo", "quarter", 4))
    assert df.rows() == [
        # Mar 31: all 6 active; at as_of: a1 and a5
        ("2025-Q1", 6, 1.0, 2 / 6),
        # at as_of: b2 and c1 of b1, b2, c1, c3
        ("2025-Q2", 4, 0.5, None),
    ]


def test_revenue_cohorts_with_monthly(saas: Path) -> None:
    df = run(saas, lambda s: co.cohorts(s, "revenue", "month", 4))
    # March's new-business MRR: a1 100 (Mar), a2 50 (Mar), a3 40 (Feb), a4 30 (Apr)
    base = 220.0
    assert df.rows() == [
        ("2025-03", 5, 210 / base, 260 / base, 30 / base, 130 / base),
        # b1 10 (Apr) + b2 20 (May)
        ("2025-04", 2, 10 / 30, 20 / 30, 25 / 30, None),
        ("2025-05", 0, None, None, None, None),
        ("2025-06", 2, 1.0, None, None, None),
    ]
    quarter = run(saas, lambda s: co.cohorts(s, "revenue", "quarter", 4))
    # Q1 measured in March, Q2 (holding as_of) in June; Q2's base b1 10 + b2 20 + c1 5
    assert quarter.rows() == [
        ("2025-Q1", 6, 210 / base, 130 / base),
        ("2025-Q2", 4, 30 / 35, None),
    ]


def test_revenue_cohorts_from_orders_only(shop: Path) -> None:
    df = run(shop, lambda s: co.cohorts(s, "revenue", "month", 4))
    assert df.rows() == [
        # March: 100 - 10 = 90; Apr 50; May nothing; Jun 20 (a2's Jun 16 is after as_of)
        ("2025-03", 5, 1.0, 50 / 90, 0.0, 20 / 90),
        # April's members spent nothing in April: every cell null
        ("2025-04", 2, None, None, None, None),
        ("2025-05", 0, None, None, None, None),
        ("2025-06", 2, None, None, None, None),
    ]


def test_cohorts_by_segment(saas: Path) -> None:
    df = run(saas, lambda s: co.cohorts(s, "logo", "month", 4, by="segment"))
    assert df.columns[:3] == ["segment", "cohort", "customers"]
    assert df.rows() == [
        ("x", "2025-03", 2, 1.0, 0.5, 0.5, 0.5),
        ("x", "2025-04", 1, 0.0, 0.0, 0.0, None),
        ("x", "2025-05", 0, None, None, None, None),
        ("x", "2025-06", 0, None, None, None, None),
        ("y", "2025-03", 3, 1.0, 1.0, 2 / 3, 1 / 3),
        ("y", "2025-04", 0, None, None, None, None),
        ("y", "2025-05", 0, None, None, None, None),
        ("y", "2025-06", 1, 1.0, None, None, None),
        (None, "2025-03", 0, None, None, None, None),
        (None, "2025-04", 1, 1.0, 1.0, 1.0, None),
        (None, "2025-05", 0, None, None, None, None),
        (None, "2025-06", 1, 0.0, None, None, None),
    ]


def test_cohorts_with_where(saas: Path) -> None:
    df = run(saas, lambda s: co.cohorts(s, "logo", "month", 2), where="segment = 'y'")
    assert df.rows() == [("2025-05", 0, None, None), ("2025-06", 1, 1.0, None)]


@pytest.mark.parametrize(
    ("cohort", "age", "metric", "ids"),
    [
        ("2025-03", None, "logo", ["a1", "a2", "a3", "a4", "a5"]),
        ("2025-03", 1, "logo", ["a1", "a3", "a4", "a5"]),
        ("2025-03", 3, "logo", ["a1", "a5"]),
        ("2025-05", 0, "logo", []),
        ("2025-04", 3, "logo", []),  # after month(as_of): a null cell
        ("2025-03", 2, "revenue", ["a4"]),  # mrr > 0 in May
        ("2025-04", 2, "revenue", ["b2"]),
        ("2025-06", 0, "revenue", ["c1"]),
    ],
)
def test_cohort_drill(saas: Path, cohort, age, metric, ids) -> None:
    df = run(saas, lambda s: co.cohort_members(s, cohort, age, metric))
    assert sorted(df["customer_id"]) == ids


def test_cohort_drill_quarter_by_and_orders(saas: Path, shop: Path) -> None:
    q = run(saas, lambda s: co.cohort_members(s, "2025-Q1", 1, "logo", "quarter"))
    assert sorted(q["customer_id"]) == ["a1", "a5"]
    y = run(saas, lambda s: co.cohort_members(s, "2025-03", 2, "logo", by="segment", value="y"))
    assert sorted(y["customer_id"]) == ["a4", "a5"]
    spent = run(shop, lambda s: co.cohort_members(s, "2025-03", 1, "revenue"))
    assert spent.select("customer_id", "period_revenue").rows() == [("a1", 50.0)]


def test_logo_cohorts_without_churn_dates(tmp_path: Path) -> None:
    """is_active: a status at as_of only, so only the period holding as_of has a cell."""
    frame = pl.DataFrame(
        {
            "customer_id": ["u1", "u2", "u3"],
            "signup_date": [d("2025-04-03"), d("2025-04-09"), d("2025-06-01")],
            "is_active": [True, False, True],
        }
    )
    root = write(tmp_path / "flags", customers=frame)
    df = run(root, lambda s: co.cohorts(s, "logo", "month", 3))
    assert df.rows() == [
        ("2025-04", 2, None, None, 0.5),
        ("2025-05", 0, None, None, None),
        ("2025-06", 1, 1.0, None, None),
    ]
    listed = run(root, lambda s: co.cohort_members(s, "2025-04", 2))
    assert listed["customer_id"].to_list() == ["u1"]
    assert run(root, lambda s: co.cohort_members(s, "2025-04", 1)).height == 0


def test_cohort_errors(saas: Path, tmp_path: Path) -> None:
    with pytest.raises(CxError, match="--months 0"):
        run(saas, lambda s: co.cohorts(s, months=0))
    with pytest.raises(CxError, match="--metric"):
        run(saas, lambda s: co.cohorts(s, "arr"))
    with pytest.raises(CxError, match="--period"):
        run(saas, lambda s: co.cohorts(s, period="week"))
    with pytest.raises(CxError, match="YYYY-Qn"):
        run(saas, lambda s: co.cohort_members(s, "2025-03", 0, period="quarter"))
    bare = pl.DataFrame({"customer_id": ["u1"], "segment": ["x"]})
    root = write(tmp_path / "bare", customers=bare)
    with pytest.raises(CxError, match="start dates"):
        run(root, lambda s: co.cohorts(s))
    signed = write(tmp_path / "signed", customers=people().drop("churn_date"))
    with pytest.raises(CxError, match="monthly or an orders table"):
        run(signed, lambda s: co.cohorts(s, "revenue"))


# ------------------------------------------------------------------ against the reference


@pytest.fixture(params=list(CASES))
def case(request, tmp_path_factory):
    return load_case(request.param, tmp_path_factory)


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_cohorts_match_the_reference(case, period: str) -> None:
    folder, analysis, ref, dim, where = case
    scope = analysis.scope
    metrics = ["logo"]
    if analysis.ds.has("monthly") or analysis.ds.has("orders"):
        metrics.append("revenue")
    for metric in metrics:
        for months, by in ((12, None), (7, dim)):
            got = collect(co.cohorts(scope, metric, period, months, by)).to_dicts()
            want = ref.cohorts(metric, period, months, by)
            assert_rows(got, want, f"cohorts {metric} {period} {months} {by}")
    if where is not None:
        scoped = open_analysis(folder, as_of=analysis.ds.as_of, where=where[0], use_cache=False)
        wref = RevenueReference(folder, analysis.ds.as_of, where_pred(where))
        for metric in metrics:
            got = collect(co.cohorts(scoped.scope, metric, period, 12)).to_dicts()
            assert_rows(got, wref.cohorts(metric, period, 12), f"cohorts --where {metric}")


def test_cohort_drills_match_the_reference(case) -> None:
    """Every cell's drill-down lists the members the reference retains, and
    as many as the cell's fraction of the cohort (logo)."""
    _, analysis, ref, *_ = case
    scope = analysis.scope
    has_revenue = analysis.ds.has("monthly") or analysis.ds.has("orders")
    metrics = ["logo"] + (["revenue"] if has_revenue else [])
    for metric in metrics:
        table = collect(co.cohorts(scope, metric, "month", 4))
        for row in table.to_dicts():
            for age in range(4):
                ids = collect(co.cohort_members(scope, row["cohort"], age, metric))
                got = set(ids["customer_id"])
                assert got == ref.cohort_ids(row["cohort"], age, metric), (row["cohort"], age)
                if metric == "logo" and row[f"p{age}"] is not None:
                    assert len(got) == round(row[f"p{age}"] * row["customers"])
