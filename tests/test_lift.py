"""SPEC §10 lift on hand-worked fixtures: means, medians, rates, opportunity.

as_of 2025-06-30; customers sign up 2024-01-01 unless said:
  a  training_attended        orders 100  active   account NPS 40   trained true   csm 0
  b  training_attended ×2     orders 300  churned  account NPS 0    trained false  csm 1
  c  training after as_of     orders 20   active   account NPS 10   trained null   csm 0
  d  login only               no orders   active   no NPS           trained true   csm 0
  e  no events                orders 60   churned  account NPS -30  trained false  csm 1
  g  signs up after as_of (trained): not a customer
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxtui.engine import collect
from cxtui.errors import CxError
from cxtui.metrics import lift as L
from tests.part2_helpers import ago, ids, rows, run, scope_of, table, write


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def _dataset(root: Path) -> Path:
    customers = table(
        customer_id=["a", "b", "c", "d", "e", "g"],
        signup_date=[date(2024, 1, 1)] * 5 + [date(2025, 8, 1)],
        churn_date=[None, date(2025, 2, 1), None, None, date(2025, 5, 1), None],
        trained=[True, False, None, True, False, True],
        csm=[0, 1, 0, 0, 1, 1],
        seats=[0, 1, 5, 1, 0, 0],
        score_x=[0.5] * 6,
    )
    orders = rows(
        "customer_id order_date amount",
        ("a", ago(10), 100.0),
        ("b", ago(100), 300.0),
        ("c", ago(5), 20.0),
        ("e", ago(70), 60.0),
        ("g", ago(1), 1000.0),
    )
    events = rows(
        "customer_id ts event_type",
        ("a", ago(10), "training_attended"),
        ("b", ago(200), "training_attended"),
        ("b", ago(150), "training_attended"),
        ("c", date(2025, 7, 2), "training_attended"),  # after as_of: not seen
        ("d", ago(3), "login"),
        ("g", ago(1), "training_attended"),
    )
    monthly = rows(
        "customer_id month mrr nps",
        ("a", date(2025, 6, 1), 10.0, 40.0),
        ("b", date(2025, 1, 1), 10.0, 0.0),
        ("c", date(2025, 6, 1), 10.0, 10.0),
        ("e", date(2025, 4, 1), 10.0, -30.0),
    )
    return write(root, customers=customers, orders=orders, events=events, monthly=monthly)


def _checked(scope, **kw) -> L.LiftSubject:
    subject = L.lift_subject(scope, **kw)
    L.check_lift(subject, collect(L.lift_check(scope, subject)))
    return subject


def _by_measure(scope, subject) -> dict[str, dict]:
    out = run(L.lift_measures(scope, subject))
    assert [r["measure"] for r in out] == list(L.LIFT_MEASURES)
    return {r["measure"]: r for r in out}


def test_event_lift_hand_worked(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    subject = _checked(scope)  # default event: training_attended
    assert subject.label == "event training_attended"
    m = _by_measure(scope, subject)
    # with: a, b; without: c (its training is after as_of), d, e
    assert (m["customers"]["with"], m["customers"]["without"]) == (2.0, 3.0)
    assert m["customers"]["lift_abs"] == -1.0 and m["customers"]["lift_pct"] == approx(-1 / 3)
    assert m["share"]["with"] == approx(0.4) and m["share"]["without"] == approx(0.6)
    assert m["value_mean"]["with"] == approx(200.0)
    assert m["value_mean"]["without"] == approx(80 / 3)  # 20 + 0 + 60
    assert m["value_mean"]["lift_abs"] == approx(520 / 3)
    assert m["value_mean"]["lift_pct"] == approx(6.5)
    assert m["value_median"]["with"] == approx(200.0)  # median of 100, 300
    assert m["value_median"]["without"] == approx(20.0)
    assert m["value_median"]["lift_pct"] == approx(9.0)
    assert m["active_rate"]["with"] == approx(0.5) and m["active_rate"]["without"] == approx(2 / 3)
    assert m["active_rate"]["lift_pct"] == approx(-0.25)
    assert m["nps_mean"]["with"] == approx(20.0)  # 40, 0
    assert m["nps_mean"]["without"] == approx(-10.0)  # 10, -30 (d has none)
    assert m["nps_mean"]["lift_abs"] == approx(30.0) and m["nps_mean"]["lift_pct"] == approx(-3.0)

    (summary,) = run(L.lift_summary(scope, subject))
    assert summary["customers_with"] == 2 and summary["customers_without"] == 3
    assert summary["opportunity"] == approx(3 * 520 / 3)
    assert summary["value_source"] == "revenue_12m" and summary["nps_source"] == "account_nps"
    assert summary["caveat"] == L.LIFT_CAVEAT and "not a proven effect" in L.LIFT_CAVEAT

    assert ids(L.lift_members(scope, subject, True)) == ["a", "b"]
    assert ids(L.lift_members(scope, subject, False)) == ["c", "d", "e"]


def test_boolean_flag_null_counts_as_without(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    subject = _checked(scope, flag="trained")
    m = _by_measure(scope, subject)
    # with: a, d; without: b, c (null), e
    assert (m["customers"]["with"], m["customers"]["without"]) == (2.0, 3.0)
    assert m["value_mean"]["with"] == approx(50.0) and m["value_median"]["with"] == approx(50.0)
    assert m["value_mean"]["without"] == approx(380 / 3)
    assert m["active_rate"]["with"] == approx(1.0) and m["nps_mean"]["with"] == approx(40.0)
    (summary,) = run(L.lift_summary(scope, subject))
    assert summary["opportunity"] == approx(3 * (50 - 380 / 3))  # negative: -230


def test_zero_one_integer_flag(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    subject = _checked(scope, flag="csm")
    m = _by_measure(scope, subject)
    assert m["customers"]["with"] == 2.0  # b, e (g has not started)
    assert m["value_mean"]["with"] == approx(180.0) and m["active_rate"]["with"] == 0.0
    assert m["nps_mean"]["with"] == approx(-15.0)


def test_bad_subjects_are_one_line_errors(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    with pytest.raises(CxError, match=r"no event of that type.*training_attended, login"):
        _checked(scope, event="webinar")
    with pytest.raises(CxError, match=r"values other than 0/1 \(5\)"):
        _checked(scope, flag="seats")
    with pytest.raises(CxError, match="type Float64, not boolean"):
        _checked(scope, flag="score_x")
    with pytest.raises(CxError, match="not a customer column; fix: use one of trained, csm, seats"):
        _checked(scope, flag="nope")
    with pytest.raises(CxError, match="not both"):
        _checked(scope, event="login", flag="trained")


def test_value_from_annual_revenue_and_no_nps(tmp_path: Path) -> None:
    # a bare customers export: value = annual_revenue (nulls ignored), no NPS source
    root = write(
        tmp_path,
        customers=table(
            customer_id=["a", "b", "c", "d"],
            signup_date=[date(2024, 1, 1)] * 4,
            annual_revenue=[1000.0, None, 300.0, 100.0],
            is_active=[True, True, False, True],
            vip=[True, True, False, False],
        ),
    )
    scope = scope_of(root)
    with pytest.raises(CxError, match="needs an events table"):
        L.lift_subject(scope)
    subject = _checked(scope, flag="vip")
    m = _by_measure(scope, subject)
    assert m["value_mean"]["with"] == approx(1000.0)  # b has no value
    assert m["value_median"]["without"] == approx(200.0)  # 300, 100
    assert m["active_rate"]["with"] == 1.0 and m["active_rate"]["without"] == 0.5
    assert m["nps_mean"]["with"] is None and m["nps_mean"]["lift_abs"] is None
    (summary,) = run(L.lift_summary(scope, subject))
    assert summary["opportunity"] == approx(2 * (1000 - 200))
    assert summary["value_source"] == "annual_revenue" and summary["nps_source"] is None


def test_empty_side_gives_null_lift(tmp_path: Path) -> None:
    root = _dataset(tmp_path)
    scope = scope_of(root, where="customer_id IN ('c', 'd')")
    m = _by_measure(scope, _checked(scope))  # nobody of c, d trained by as_of
    assert m["customers"]["with"] == 0.0 and m["customers"]["lift_pct"] == approx(-1.0)
    assert m["value_mean"]["with"] is None and m["value_mean"]["lift_abs"] is None
    (summary,) = run(L.lift_summary(scope, _checked(scope)))
    assert summary["opportunity"] is None
