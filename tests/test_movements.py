"""SPEC §7 MRR movements and revenue per month, §8 new vs returning buyers.

Hand-worked fixtures (the comments show the arithmetic), the movement identity
as a property over generated monthly tables, drill-downs that list exactly
the counted customers, and a comparison with the plain-Python reading in
``tests/reference_part2_revenue.py`` on generated datasets and the demo.
"""

from __future__ import annotations

import math
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import movements as mv
from tests.reference_part2_revenue import RevenueReference
from tests.test_reference import (
    build_is_active,
    build_mixed,
    build_monthly_only,
    build_retail,
    build_saas,
    build_saas_monthly,
)

AS_OF = date(2025, 6, 30)
REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
MONTHS = [date(2025, m, 1) for m in range(1, 7)]


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def write(root: Path, **tables: pl.DataFrame) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.write_parquet(root / f"{name}.parquet")
    return root


def monthly(rows: list[tuple[str, date, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"customer_id": pl.String, "month": pl.Date, "mrr": pl.Float64}, orient="row"
    )


def orders(rows: list[tuple[str, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
        orient="row",
    )


def customers(segments: dict[str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": list(segments),
            "segment": list(segments.values()),
            "signup_date": [date(2024, 1, 1)] * len(segments),
        },
        schema={"customer_id": pl.String, "segment": pl.String, "signup_date": pl.Date},
    )


def run(root: Path, lf_of, as_of: date | None = AS_OF, where: str | None = None) -> pl.DataFrame:
    analysis = open_analysis(root, as_of=as_of, where=where, use_cache=False)
    return collect(lf_of(analysis.scope))


# ------------------------------------------------------------------ hand-worked MRR

# A: new in Jan (100), expands in Feb (150), contracts in Mar (120), has no row
#    in Apr (a gap: churned 120), reactivates in May (80), churns in Jun (an
#    explicit 0 row).
# B: mrr 40 in 2024-06, long before the window, then back in Mar 2025 at 60:
#    a reactivation, because "no month before M" looks at all history.
#    Expands 60 -> 70 in Jun.
# C: steady 30 from 2024-12 (so Jan's start_mrr is 30); Jan is two rows of 15.
# X9: an id that is not a customer: new in May (20), gone in Jun.
SAAS_ROWS = [
    ("A", date(2025, 1, 1), 100.0),
    ("A", date(2025, 2, 1), 150.0),
    ("A", date(2025, 3, 1), 120.0),
    ("A", date(2025, 5, 1), 80.0),
    ("A", date(2025, 6, 1), 0.0),
    ("B", date(2024, 6, 1), 40.0),
    ("B", date(2025, 3, 1), 60.0),
    ("B", date(2025, 4, 1), 60.0),
    ("B", date(2025, 5, 1), 60.0),
    ("B", date(2025, 6, 1), 70.0),
    ("C", date(2024, 12, 1), 30.0),
    ("C", date(2025, 1, 1), 30.0),
    *(("C", m, 30.0) for m in MONTHS[1:]),
    ("X9", date(2025, 5, 1), 20.0),
]
SEGMENTS = {"A": "Ent", "B": "SMB", "C": None}

# month: start, new, expansion, reactivation, contraction, churned, end, counts
# (new, expanded, reactivated, contracted, churned), quick ratio
EXPECTED = {
    # Jan: start = C's Dec 30; A new 100; end 130
    date(2025, 1, 1): (30, 100, 0, 0, 0, 0, 130, (1, 0, 0, 0, 0), None),
    # Feb: A 100 -> 150
    date(2025, 2, 1): (130, 0, 50, 0, 0, 0, 180, (0, 1, 0, 0, 0), None),
    # Mar: A 150 -> 120, B 0 -> 60 with an earlier month > 0; (60) / (30) = 2
    date(2025, 3, 1): (180, 0, 0, 60, 30, 0, 210, (0, 0, 1, 1, 0), 2.0),
    # Apr: A has no row: 120 -> 0; 0 / 120 = 0
    date(2025, 4, 1): (210, 0, 0, 0, 0, 120, 90, (0, 0, 0, 0, 1), 0.0),
    # May: A 0 -> 80 again, X9 new 20; end = 80 + 60 + 30 + 20
    date(2025, 5, 1): (90, 20, 0, 80, 0, 0, 190, (1, 0, 1, 0, 0), None),
    # Jun: A 80 -> 0, X9 20 -> (no row) 0, B 60 -> 70; 10 / 100
    date(2025, 6, 1): (190, 0, 10, 0, 0, 100, 100, (0, 1, 0, 0, 2), 0.1),
}


@pytest.fixture(params=["ordered", "unordered"])
def saas(request, tmp_path: Path) -> Path:
    rows = sorted(SAAS_ROWS)
    if request.param == "unordered":
        # C's January as two rows of 15 and the rows shuffled: the group-by path
        rows = [r for r in rows if r[:2] != ("C", date(2025, 1, 1))]
        rows += [("C", date(2025, 1, 1), 15.0), ("C", date(2025, 1, 1), 15.0)]
        random.Random(3).shuffle(rows)
    return write(tmp_path / request.param, customers=customers(SEGMENTS), monthly=monthly(rows))


def test_ordered_fixture_takes_the_ordered_path(saas: Path) -> None:
    ds = open_analysis(saas, as_of=AS_OF, use_cache=False).ds
    assert ds.monthly_ordered == (saas.name == "ordered")


def as_expected(row: dict) -> tuple:
    return (
        row["start_mrr"],
        row["new_mrr"],
        row["expansion_mrr"],
        row["reactivation_mrr"],
        row["contraction_mrr"],
        row["churned_mrr"],
        row["end_mrr"],
        (
            row["new_customers"],
            row["expanded_customers"],
            row["reactivated_customers"],
            row["contracted_customers"],
            row["churned_customers"],
        ),
        row["quick_ratio"],
    )


def test_movements_worked_by_hand(saas: Path) -> None:
    df = run(saas, lambda s: mv.mrr_movements(s, 6))
    assert df.columns == list(mv.MOVEMENT_KEYS)
    assert df["month"].to_list() == MONTHS
    for row in df.to_dicts():
        assert as_expected(row) == EXPECTED[row["month"]], row["month"]
        assert row["net_new_mrr"] == row["end_mrr"] - row["start_mrr"]


def test_movements_months_with_no_rows_are_zero(saas: Path) -> None:
    # 9 months back reaches 2024-10 and 2024-11, which have no rows at all (B's
    # 40 is in 2024-06); in 2024-12 C is new with 30
    df = run(saas, lambda s: mv.mrr_movements(s, 9)).head(3)
    assert df["month"].to_list() == [date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1)]
    assert df["end_mrr"].to_list() == [0.0, 0.0, 30.0]
    assert df["new_customers"].to_list() == [0, 0, 1]
    assert df["quick_ratio"].to_list() == [None, None, None]


def test_movements_by_segment_puts_other_ids_in_the_null_group(saas: Path) -> None:
    df = run(saas, lambda s: mv.mrr_movements(s, 6, by="segment"))
    assert df.columns == ["segment", *mv.MOVEMENT_KEYS]
    assert df["segment"].to_list() == ["Ent"] * 6 + ["SMB"] * 6 + [None] * 6
    null = df.filter(pl.col("segment").is_null())
    # C (no segment) and X9 (not a customer): May new 20 (X9), Jun churned 20
    assert null["new_mrr"].to_list() == [0, 0, 0, 0, 20, 0]
    assert null["churned_mrr"].to_list() == [0, 0, 0, 0, 0, 20]
    assert null["end_mrr"].to_list() == [30, 30, 30, 30, 50, 30]
    # the blocks add up to the whole
    whole = run(saas, lambda s: mv.mrr_movements(s, 6))
    summed = df.drop("segment", "quick_ratio").group_by("month").sum().sort("month")
    assert summed.equals(whole.drop("quick_ratio").select(summed.columns))


def test_movements_where_keeps_only_matching_customers(saas: Path) -> None:
    df = run(saas, lambda s: mv.mrr_movements(s, 6), where="segment = 'SMB'")
    # B alone: 0 until Mar (reactivated 60), then 60, 60, 70
    assert df["end_mrr"].to_list() == [0, 0, 60, 60, 60, 70]
    assert df["reactivated_customers"].to_list() == [0, 0, 1, 0, 0, 0]
    assert df["new_customers"].sum() == 0


@pytest.mark.parametrize(
    ("month", "movement", "ids"),
    [
        (date(2025, 1, 1), "new", ["A"]),
        (date(2025, 2, 1), "expanded_customers", ["A"]),
        (date(2025, 3, 1), "reactivation", ["B"]),
        (date(2025, 3, 1), "contraction", ["A"]),
        (date(2025, 4, 1), "churned", ["A"]),
        (date(2025, 5, 1), "reactivation", ["A"]),
        (date(2025, 5, 1), "new", []),  # X9 is counted but is not a customer
        (date(2025, 6, 1), "churned", ["A"]),  # likewise
    ],
)
def test_movement_drill_lists_the_customers(saas: Path, month, movement, ids) -> None:
    df = run(saas, lambda s: mv.movement_customers(s, month, movement))
    assert df["customer_id"].to_list() == ids


def test_movement_drill_amount_and_block(saas: Path) -> None:
    df = run(saas, lambda s: mv.movement_customers(s, date(2025, 3, 1), "contraction"))
    assert df.select("prev_month_mrr", "month_mrr", "movement_mrr").row(0) == (150, 120, 30)
    ent = run(
        saas, lambda s: mv.movement_customers(s, date(2025, 3, 1), "reactivation", "segment", "Ent")
    )
    assert ent.height == 0  # B is SMB


def test_movement_errors(saas: Path, tmp_path: Path) -> None:
    with pytest.raises(CxError, match="--months 0"):
        run(saas, lambda s: mv.mrr_movements(s, 0))
    with pytest.raises(CxError, match="unknown movement"):
        run(saas, lambda s: mv.movement_customers(s, AS_OF, "lost"))
    with pytest.raises(CxError, match="unknown dimension"):
        run(saas, lambda s: mv.mrr_movements(s, 3, by="nope"))
    bare = write(tmp_path / "bare", customers=customers({"A": "x"}))
    with pytest.raises(CxError, match="monthly or an orders table"):
        run(bare, lambda s: mv.revenue_months(s, 3), as_of=AS_OF)


# ------------------------------------------------------------------ hand-worked orders

# P: first order 2024-12-10 (50); Apr 100 and a -20 refund; Jun 30 (on as_of)
# Q: first order May 200 and a 0-amount row (a buyer row, not an order)
# R: first order 2023-05 (10), then Jan 2025 60
# Z: not a customer, first order Jun 40
ORDER_ROWS = [
    ("P", date(2024, 12, 10), 50.0),
    ("P", date(2025, 4, 5), 100.0),
    ("P", date(2025, 4, 20), -20.0),
    ("P", date(2025, 6, 30), 30.0),
    ("Q", date(2025, 5, 1), 200.0),
    ("Q", date(2025, 5, 15), 0.0),
    ("R", date(2023, 5, 1), 10.0),
    ("R", date(2025, 1, 10), 60.0),
    ("Z", date(2025, 6, 1), 40.0),
    ("P", date(2025, 7, 2), 999.0),  # after as_of: never seen
]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write(
        tmp_path / "shop",
        customers=customers({"P": "a", "Q": "b", "R": None}),
        orders=orders(ORDER_ROWS),
    )


def test_revenue_per_month_worked_by_hand(shop: Path) -> None:
    df = run(shop, lambda s: mv.revenue_months(s, 3))
    assert df.columns == list(mv.ORDER_MONTH_KEYS)
    assert df.rows() == [
        # Apr: P 100 - 20, one order (the refund is none), P returning
        (date(2025, 4, 1), 80.0, 1, 1, 0, 1, 0.0, 80.0, 80.0),
        # May: Q's first order; its 0 row is no order
        (date(2025, 5, 1), 200.0, 1, 1, 1, 0, 200.0, 0.0, 200.0),
        # Jun: Z new (40), P returning (30); aov 70 / 2
        (date(2025, 6, 1), 70.0, 2, 2, 1, 1, 40.0, 30.0, 35.0),
    ]


def test_revenue_per_month_by_and_where(shop: Path) -> None:
    df = run(shop, lambda s: mv.order_months(s, 3, by="segment"))
    # buyers of the window: P (a), Q (b), Z (null); R buys nothing in Apr-Jun
    assert df["segment"].to_list() == ["a"] * 3 + ["b"] * 3 + [None] * 3
    assert df.filter(pl.col("segment").is_null())["new_buyers"].to_list() == [0, 0, 1]
    where = run(shop, lambda s: mv.order_months(s, 3), where="segment = 'a'")
    assert where["revenue"].to_list() == [80.0, 0.0, 30.0]
    assert where["aov"].to_list() == [80.0, None, 30.0]


def test_buyer_drill(shop: Path) -> None:
    jun = date(2025, 6, 1)
    assert run(shop, lambda s: mv.buyer_customers(s, jun))["customer_id"].to_list() == ["P"]
    new = run(shop, lambda s: mv.buyer_customers(s, jun, "new_buyers"))
    assert new.height == 0  # Z is counted, not a customer
    may = run(shop, lambda s: mv.buyer_customers(s, date(2025, 5, 1), "new_buyers"))
    assert may.select("customer_id", "month_revenue").rows() == [("Q", 200.0)]


def test_new_vs_returning_worked_by_hand(shop: Path) -> None:
    row = run(shop, mv.new_vs_returning).row(0, named=True)
    assert list(row) == list(mv.NEW_VS_RETURNING_KEYS)
    assert row == {
        # 30d = (2025-05-31, 2025-06-30]: Z new (40), P returning (30)
        "new_buyers_30d": 1,
        "returning_buyers_30d": 1,
        "new_buyer_revenue_30d": 40.0,
        "returning_buyer_revenue_30d": 30.0,
        "new_buyer_aov_30d": 40.0,
        "returning_buyer_aov_30d": 30.0,
        # 12m = (2024-06-30, 2025-06-30]: P (first 2024-12-10), Q, Z are new:
        # 160 + 200 + 40 = 400 over 3 + 1 + 1 orders; R (first 2023) returns: 60
        "new_buyers_12m": 3,
        "returning_buyers_12m": 1,
        "new_buyer_revenue_12m": 400.0,
        "returning_buyer_revenue_12m": 60.0,
        "new_buyer_aov_12m": 80.0,
        "returning_buyer_aov_12m": 60.0,
    }


def test_new_vs_returning_null_without_orders(saas: Path) -> None:
    row = run(saas, mv.new_vs_returning).row(0, named=True)
    assert set(row.values()) == {None}
    assert list(row) == list(mv.NEW_VS_RETURNING_KEYS)


# ------------------------------------------------------------------ the identity

ids_st = st.sampled_from(["a", "b", "c", "d", "orphan"])
month_st = st.integers(0, 9).map(lambda k: date(2024 + (8 + k) // 12, (8 + k) % 12 + 1, 1))
mrr_st = st.one_of(
    st.just(0.0),
    st.sampled_from([5.0, 10.5, 33.3, 100.0]),
    st.floats(0.01, 10_000, allow_nan=False).map(lambda x: round(x, 2)),
)
rows_st = st.lists(st.tuples(ids_st, month_st, mrr_st), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_st, months=st.integers(1, 10), sort=st.booleans())
def test_identity_and_drills_on_generated_monthly(rows, months, sort) -> None:
    if sort:  # one row per id-month, in order: the ordered path
        rows = sorted({(r[0], r[1]): r for r in rows}.values())
    with tempfile.TemporaryDirectory() as tmp:
        root = write(
            Path(tmp),
            customers=customers({"a": "x", "b": "y", "c": None, "d": "x"}),
            monthly=monthly(rows),
        )
        analysis = open_analysis(root, as_of=date(2025, 5, 31), use_cache=False)
        scope = analysis.scope
        df = collect(mv.mrr_movements(scope, months))
        ref = RevenueReference(root, date(2025, 5, 31))
        for row in df.to_dicts():
            gained = row["new_mrr"] + row["expansion_mrr"] + row["reactivation_mrr"]
            lost = row["contraction_mrr"] + row["churned_mrr"]
            scale = max(1.0, row["start_mrr"], row["end_mrr"], gained, lost)
            assert math.isclose(
                row["end_mrr"], row["start_mrr"] + gained - lost, rel_tol=0, abs_tol=1e-9 * scale
            )
            for name, (_, count) in mv.MOVEMENTS.items():
                listed = collect(mv.movement_customers(scope, row["month"], name))
                ids = set(listed["customer_id"])
                assert ids == ref.movement_ids(row["month"], name)
                orphan = ref.movement("orphan", row["month"])[0] == name
                assert len(ids) + orphan == row[count]
        by = collect(mv.mrr_movements(scope, months, by="segment"))
        assert by.height % months == 0


# ------------------------------------------------------------------ against the reference


def close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_rows(got: list[dict], want: list[dict], what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} rows, want {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert list(g) == list(w), f"{what} row {i}: keys {list(g)} != {list(w)}"
        bad = {k: (g[k], w[k]) for k in w if not close(g[k], w[k])}
        assert not bad, f"{what} row {i}: {bad}"


def build_gappy(root: Path) -> Path:
    """Monthly rows with gaps, reactivations, duplicate rows in a month, null
    mrr, ids that are not customers, a null id, customers not yet started;
    orders with refunds and orphans."""
    rng = random.Random(11)
    folder = root / "gappy"
    ids = [f"K{i:03d}" for i in range(120)]
    months = [date(2023 + (k // 12), k % 12 + 1, 1) for k in range(30)]  # 2023-01 .. 2025-06
    cust, mrows, orows = [], [], []
    for i, cid in enumerate(ids):
        signup = date(2023, 1, 1) + timedelta(days=rng.randint(0, 930))
        cust.append(
            {
                "customer_id": cid,
                "segment": rng.choice(["Ent", "SMB", "SMB", None]),
                "plan": rng.choice(["basic", "pro"]),
                "signup_date": None if i % 9 == 0 else signup,
                "churn_date": None,
            }
        )
        level = rng.choice([0.0, 20.0, 49.5, 100.0, 250.25])
        for m in months:
            if m < date(signup.year, signup.month, 1) and rng.random() < 0.9:
                continue
            if rng.random() < 0.2:
                continue  # a gap
            r = rng.random()
            if r < 0.15:
                level = round(level * rng.choice([0.5, 1.5, 2.0]), 2)
            elif r < 0.2:
                level = 0.0
            elif r < 0.3 and level == 0:
                level = rng.choice([10.0, 75.0])
            if rng.random() < 0.08:  # two rows in one month
                mrows.append({"customer_id": cid, "month": m.replace(day=15), "mrr": level / 2})
                mrows.append({"customer_id": cid, "month": m, "mrr": level / 2})
            else:
                mrows.append(
                    {"customer_id": cid, "month": m, "mrr": None if rng.random() < 0.03 else level}
                )
        for _ in range(rng.randint(0, 12)):
            d = date(2023, 1, 1) + timedelta(days=rng.randint(0, 940))
            orows.append(
                {
                    "customer_id": cid,
                    "order_date": d,
                    "amount": rng.choice([-15.0, 0.0, 25.5, 40.0, 120.0, 310.75]),
                }
            )
    for k, other in enumerate(["ORPH1", "ORPH2", None]):
        for m in months[5 + 7 * k :: 2]:
            mrows.append({"customer_id": other, "month": m, "mrr": 12.5 * (k + 1)})
            orows.append({"customer_id": other, "order_date": m + timedelta(days=3), "amount": 9.0})
    rng.shuffle(mrows)
    write(
        folder,
        customers=pl.DataFrame(
            cust,
            schema={
                "customer_id": pl.String,
                "segment": pl.String,
                "plan": pl.String,
                "signup_date": pl.Date,
                "churn_date": pl.Date,
            },
        ),
        monthly=pl.DataFrame(
            mrows, schema={"customer_id": pl.String, "month": pl.Date, "mrr": pl.Float64}
        ),
        orders=pl.DataFrame(
            orows,
            schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
        ),
    )
    return folder


# name -> (builder or None for the demo, as_of or None, a dimension, a --where)
CASES = {
    "gappy": (build_gappy, "2025-06-30", "segment", ("segment = 'SMB'", "SMB")),
    "gappy_past": (build_gappy, "2024-11-17", "plan", None),
    "saas": (build_saas, None, "segment", None),
    "retail": (build_retail, None, "rfm_segment", None),
    "monthly_only": (build_monthly_only, None, "revenue_tier", None),
    "is_active": (build_is_active, None, "segment", None),
    "mixed": (build_mixed, None, "lifecycle", None),
    "saas_monthly": (build_saas_monthly, None, "segment", None),
    "demo": (None, None, "segment", None),
}
_cases: dict[str, tuple] = {}


def where_pred(where):
    if where is None:
        return None
    value = where[1]
    return lambda attrs: attrs.get("segment") == value


def load_case(name: str, tmp_path_factory) -> tuple:
    """(folder, analysis, reference, dimension, where) of a CASES entry, built once."""
    if name not in _cases:
        builder, as_of, dim, where = CASES[name]
        folder = DEMO if builder is None else builder(tmp_path_factory.mktemp(name))
        day = date.fromisoformat(as_of) if as_of else None
        analysis = open_analysis(folder, as_of=day, use_cache=False)
        ref = RevenueReference(folder, analysis.ds.as_of)
        _cases[name] = (folder, analysis, ref, dim, where)
    return _cases[name]


@pytest.fixture(params=list(CASES))
def case(request, tmp_path_factory):
    return load_case(request.param, tmp_path_factory)


def test_movements_match_the_reference(case) -> None:
    _folder, analysis, ref, dim, _where = case
    if not analysis.ds.has("monthly"):
        pytest.skip("no monthly table")
    scope = analysis.scope
    for months, by in ((12, None), (5, dim), (1, None)):
        got = collect(mv.mrr_movements(scope, months, by)).to_dicts()
        assert_rows(got, ref.movements(months, by), f"movements {months} {by}")


def test_movements_with_where_match_the_reference(case) -> None:
    folder, analysis, _ref, _dim, where = case
    if where is None or not analysis.ds.has("monthly"):
        pytest.skip("no --where case")
    scoped = open_analysis(folder, as_of=analysis.ds.as_of, where=where[0], use_cache=False)
    got = collect(mv.mrr_movements(scoped.scope, 12, "plan")).to_dicts()
    want = RevenueReference(folder, analysis.ds.as_of, where_pred(where)).movements(12, "plan")
    assert_rows(got, want, "movements --where")


def test_order_months_and_new_vs_returning_match_the_reference(case) -> None:
    folder, analysis, ref, dim, where = case
    if not analysis.ds.has("orders"):
        pytest.skip("no orders table")
    scope = analysis.scope
    for months, by in ((12, None), (4, dim)):
        got = collect(mv.order_months(scope, months, by)).to_dicts()
        assert_rows(got, ref.order_months(months, by), f"order months {months} {by}")
    got = collect(mv.new_vs_returning(scope)).to_dicts()
    assert_rows(got, [ref.new_vs_returning()], "new vs returning")
    if where is not None:
        scoped = open_analysis(folder, as_of=analysis.ds.as_of, where=where[0], use_cache=False)
        wref = RevenueReference(folder, analysis.ds.as_of, where_pred(where))
        got = collect(mv.new_vs_returning(scoped.scope)).to_dicts()
        assert_rows(got, [wref.new_vs_returning()], "new vs returning --where")
        got = collect(mv.order_months(scoped.scope, 6)).to_dicts()
        assert_rows(got, wref.order_months(6), "order months --where")


def test_the_generated_data_has_every_movement(tmp_path: Path) -> None:
    """The comparison is not vacuous: every movement happens in gappy's window."""
    folder = build_gappy(tmp_path)
    df = run(folder, lambda s: mv.mrr_movements(s, 12))
    for _, count in mv.MOVEMENTS.values():
        assert df[count].sum() > 0, count


def test_new_vs_returning_reads_other_ids_figures_when_the_facts_carry_them(
    tmp_path_factory,
) -> None:
    """With first_order_date, lifetime_orders and order_rows_12m among the other
    ids' figures (facts.other_ids, as built), those ids' rows are not read
    again; both ways give the same numbers."""
    folder, analysis, ref, *_ = load_case("gappy", tmp_path_factory)
    scope = analysis.scope
    rows = pl.read_parquet(folder / "orders.parquet").filter(pl.col("order_date") <= AS_OF)
    inside = pl.col("order_date") > AS_OF - timedelta(days=365)
    figures = rows.group_by("customer_id").agg(
        pl.col("order_date").min().alias("first_order_date"),
        pl.len().alias("lifetime_orders"),
        inside.sum().alias("order_rows_12m"),
    )
    # facts.other_ids carries them, equal to the other ids' own rows
    figure_cols = ["customer_id", *mv.OTHER_ORDER_FIGURES]
    carried = analysis.others.filter(pl.col("lifetime_orders") > 0).select(figure_cols)
    own = figures.join(
        carried.select("customer_id"), on="customer_id", how="semi", nulls_equal=True
    )
    assert (
        carried.sort("customer_id").to_dicts()
        == own.select(figure_cols)
        .sort("customer_id")
        .with_columns(pl.col(c).cast(carried.schema[c]) for c in figure_cols)
        .to_dicts()
    )
    got = collect(mv.new_vs_returning(scope)).to_dicts()
    assert_rows(got, [ref.new_vs_returning()], "new vs returning from the others' figures")
    # without them the other ids' rows are read again: the same numbers
    slow = type(scope)(
        scope.ds, scope.facts, scope.where, scope.others.drop(mv.OTHER_ORDER_FIGURES)
    )
    assert got == collect(mv.new_vs_returning(slow)).to_dicts()
