"""SPEC §10 event diversity and engagement levels on a hand-worked fixture.

as_of 2025-06-30. Customers (signup 2024-01-01 unless said):
  a  5 types (t1..t5, 3 each in May)       15 events in 90d  orders 100  active  nps 30
  b  8 types (t1..t8)                      31 events in 90d  orders 300  churned nps 50
  c  2 types (t1 ×15, t2)                  16 events in 90d  no orders   active  no nps
  d  no events                              0                orders 50   active  nps -20
  f  1 type (t1; one event with no type)    2                orders 10   active  no nps
  e  signs up after as_of: not a customer yet (9 types)
  zz only in events: not a customer. a's t6 event after as_of is not seen.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxtui.data.config import parse_config
from cxtui.errors import CxError
from cxtui.metrics import engagement as eng
from tests.part2_helpers import AS_OF, ago, ids, rows, run, scope_of, table, write


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def _events() -> list[tuple]:
    ev = []
    may = date(2025, 5, 10)
    ev += [("a", may, f"t{i}") for i in range(1, 6) for _ in range(3)]
    ev.append(("a", date(2025, 7, 10), "t6"))  # after as_of
    june = date(2025, 6, 5)
    ev += [("b", june, f"t{i}") for i in range(1, 9) for _ in range(3)]
    ev += [("b", june, "t1")] * 7
    ev += [("c", ago(10), "t1")] * 15 + [("c", ago(10), "t2")]
    ev += [("f", ago(5), "t1"), ("f", ago(5), None)]
    ev += [("e", ago(1), f"t{i}") for i in range(1, 10)]
    ev += [("zz", ago(1), f"t{i}") for i in range(1, 10)]
    return ev


def _dataset(root: Path, config: str | None = None, with_monthly: bool = True) -> Path:
    customers = table(
        customer_id=["a", "b", "c", "d", "e", "f"],
        signup_date=[date(2024, 1, 1)] * 4 + [date(2025, 7, 15), date(2024, 1, 1)],
        churn_date=[None, date(2025, 3, 1), None, None, None, None],
        segment=["x", "x", "y", "y", "x", "y"],
    )
    orders = rows(
        "customer_id order_date amount",
        ("a", ago(20), 60.0),
        ("a", ago(200), 40.0),
        ("a", ago(400), 999.0),  # outside 12m
        ("b", ago(30), 300.0),
        ("d", ago(3), 50.0),
        ("f", ago(3), 10.0),
    )
    tables = {
        "customers": customers,
        "orders": orders,
        "events": rows("customer_id ts event_type", *_events()),
        # feedback exists too, but account NPS (monthly.nps) is what nps_mean uses then
        "feedback": rows("customer_id date score", ("c", ago(2), 10.0), ("f", ago(2), 0.0)),
    }
    if with_monthly:
        tables["monthly"] = rows(
            "customer_id month mrr nps",
            ("a", date(2025, 1, 1), 10.0, 10.0),
            ("a", date(2025, 2, 1), 10.0, 30.0),
            ("a", date(2025, 3, 1), 10.0, None),  # latest non-null is February's 30
            ("b", date(2025, 1, 1), 10.0, 50.0),
            ("d", date(2025, 6, 1), 10.0, -20.0),
            ("c", date(2025, 6, 1), 10.0, None),
        )
    return write(root, config, **tables)


def test_diversity_bins_hand_worked(tmp_path: Path) -> None:
    out = run(eng.diversity_bins(scope_of(_dataset(tmp_path))))
    assert [r["diversity"] for r in out] == ["0-4", "5-7", "8+"]
    low, mid, high = out
    # 0-4: c (2 types), d (none), f (1: the untyped event is not a type)
    assert low["customers"] == 3 and low["share"] == approx(3 / 5)
    assert low["value_mean"] == approx((0 + 50 + 10) / 3)
    assert low["active_rate"] == approx(1.0)
    assert low["nps_mean"] == approx(-20.0)  # d only; c and f have no account NPS
    # 5-7: a (its t6 after as_of does not count)
    assert mid["customers"] == 1 and mid["share"] == approx(0.2)
    assert mid["value_mean"] == approx(100.0) and mid["nps_mean"] == approx(30.0)
    # 8+: b, churned
    assert high["customers"] == 1 and high["value_mean"] == approx(300.0)
    assert high["active_rate"] == approx(0.0) and high["nps_mean"] == approx(50.0)


def test_engagement_levels_hand_worked(tmp_path: Path) -> None:
    out = run(eng.engagement_levels(scope_of(_dataset(tmp_path))))
    got = {r["engagement"]: r for r in out}
    assert [r["engagement"] for r in out] == ["Low", "Medium", "High"]
    # Low (< 15 in 90d): d (0), f (2); Medium 15-30: a (15), c (16); High (> 30): b (31)
    assert got["Low"]["customers"] == 2 and got["Low"]["share"] == approx(0.4)
    assert got["Low"]["value_mean"] == approx(30.0) and got["Low"]["nps_mean"] == approx(-20.0)
    assert got["Medium"]["customers"] == 2 and got["Medium"]["value_mean"] == approx(50.0)
    assert got["Medium"]["nps_mean"] == approx(30.0) and got["Medium"]["active_rate"] == 1.0
    assert got["High"]["customers"] == 1 and got["High"]["active_rate"] == approx(0.0)


def test_nps_from_latest_feedback_score_without_account_nps(tmp_path: Path) -> None:
    root = _dataset(tmp_path, with_monthly=False)
    (root / "feedback.parquet").unlink()
    write(
        root,
        feedback=rows(
            "customer_id date score",
            ("a", ago(300), 2.0),  # older: not the latest
            ("a", ago(100), 8.0),  # latest (outside 90d still counts: all time up to as_of)
            ("a", date(2025, 7, 3), 0.0),  # after as_of
            ("c", ago(4), 3.0),
            ("c", ago(4), 9.0),  # two on the latest day: the higher
            ("d", ago(1), None),  # no score
        ),
    )
    out = {r["diversity"]: r for r in run(eng.diversity_bins(scope_of(root)))}
    assert out["5-7"]["nps_mean"] == approx(8.0)  # a
    assert out["0-4"]["nps_mean"] == approx(9.0)  # c; d and f have no score
    assert out["8+"]["nps_mean"] is None  # b never answered


def test_by_dimension_shares_within_the_group_and_empty_bins(tmp_path: Path) -> None:
    out = run(eng.diversity_bins(scope_of(_dataset(tmp_path)), by="segment"))
    # groups by customers desc: y (c, d, f) then x (a, b); every bin listed in each
    assert [(r["segment"], r["diversity"], r["customers"]) for r in out] == [
        ("y", "0-4", 3),
        ("y", "5-7", 0),
        ("y", "8+", 0),
        ("x", "0-4", 0),
        ("x", "5-7", 1),
        ("x", "8+", 1),
    ]
    y_mid = out[1]
    assert y_mid["share"] == 0.0 and y_mid["value_mean"] is None
    assert y_mid["active_rate"] is None and y_mid["nps_mean"] is None
    assert out[4]["share"] == approx(0.5)  # a is half of segment x


def test_configured_edges_and_drill_down(tmp_path: Path) -> None:
    root = _dataset(tmp_path, config="[engagement]\ndiversity_edges = [0, 2, 6]\n")
    scope = scope_of(root)
    out = run(eng.diversity_bins(scope))
    # 0-1: d (0), f (1); 2-5: a (5), c (2); 6+: b (8)
    assert [(r["diversity"], r["customers"]) for r in out] == [("0-1", 2), ("2-5", 2), ("6+", 1)]
    assert sorted(ids(eng.diversity_members(scope, "2-5"))) == ["a", "c"]
    assert ids(eng.diversity_members(scope, "0-1")) == ["d", "f"]  # the facts' order
    assert ids(eng.diversity_members(scope, "2-5", by="segment", by_value="y")) == ["c"]
    assert sorted(ids(eng.engagement_level_members(scope, "Medium"))) == ["a", "c"]
    with pytest.raises(CxError, match="unknown diversity bin '0-4'"):
        eng.diversity_members(scope, "0-4")


def test_where_restricts_the_customers(tmp_path: Path) -> None:
    out = run(eng.diversity_bins(scope_of(_dataset(tmp_path), where="segment = 'x'")))
    assert [(r["diversity"], r["customers"]) for r in out] == [("0-4", 0), ("5-7", 1), ("8+", 1)]
    assert out[1]["share"] == approx(0.5)


def test_one_value_bin_labels() -> None:
    assert eng.diversity_labels((0, 5, 8)) == ("0-4", "5-7", "8+")
    assert eng.diversity_labels((0, 1, 3)) == ("0", "1-2", "3+")
    assert eng.diversity_labels((0,)) == ("0+",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[1, 5]", "first edge must be 0"),
        ("[0, 5, 5]", "increase strictly"),
        ("[0, 8, 5]", "increase strictly"),
        ("[0, 2.5]", "whole numbers"),
        ("[]", "list of whole numbers"),
        ('"0,5"', "list of whole numbers"),
    ],
)
def test_diversity_edges_are_checked(value: str, message: str) -> None:
    import tomllib

    raw = tomllib.loads(f"[engagement]\ndiversity_edges = {value}\n")
    with pytest.raises(CxError, match=message) as err:
        parse_config(Path("cxtui.toml"), raw)
    assert "engagement.diversity_edges" in str(err.value)


def test_needs_an_events_table(tmp_path: Path) -> None:
    root = write(tmp_path, customers=table(customer_id=["a"], signup_date=[AS_OF]))
    scope = scope_of(root)
    with pytest.raises(CxError, match="engagement needs an events table"):
        eng.diversity_bins(scope)
    with pytest.raises(CxError, match="engagement needs an events table"):
        eng.engagement_levels(scope)


def test_by_the_levels_own_column_is_refused(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    with pytest.raises(CxError, match="--by engagement"):
        eng.engagement_levels(scope, by="engagement")
    with pytest.raises(CxError, match="unknown dimension 'nope'"):
        eng.diversity_bins(scope, by="nope")
