"""SPEC §11 insights on a hand-built dataset: each rule firing and not firing,
the ranking by value at stake, the notes for rules the data cannot support,
[insights] thresholds, and the drill-down clause selecting exactly the
customers counted. as_of 2025-06-30 (the latest order); value = revenue_12m
(orders exist), 12m = (2024-06-30, 2025-06-30]."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.test_metrics import at, feedback, orders, people, write


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def dataset(root: Path) -> Path:
    ids = ["a", "b", "c", "d", "f", "g"]
    churn = [None, None, date(2025, 5, 15), date(2025, 2, 1), date(2025, 6, 10), date(2025, 6, 20)]
    reasons = [None, None, "Price", "Price", "Price", None]
    return write(
        root,
        customers=people(ids, churn_date=churn, churn_reason=reasons),
        orders=orders(
            [
                # a: 3 lifetime orders, the last 180 days before as_of: a lapsing repeat
                # buyer; revenue_12m = 100 + 50 = 150 (2024-01-15 is outside 12m)
                ("a", date(2024, 1, 15), 30.0),
                ("a", date(2024, 12, 1), 100.0),
                ("a", date(2025, 1, 1), 50.0),
                # b: ordering now (not lapsing); revenue_12m 300
                ("b", date(2025, 6, 1), 100.0),
                ("b", date(2025, 6, 30), 200.0),
                # c: churned in the window with revenue_12m 40
                ("c", date(2025, 3, 1), 40.0),
            ]
        ),
        feedback=feedback([("b", date(2025, 6, 1), 3.0), ("a", date(2025, 6, 2), 9.0)]),
    )


def by_id(out: dict) -> dict:
    return {row["title"].split(":")[0]: row for row in out["insights"]}


def test_rules_fire_rank_and_explain(tmp_path: Path) -> None:
    out = at("insights", dataset(tmp_path / "d"))
    rows = out["insights"]
    titles = [r["title"] for r in rows]
    # detractors (b: score 3 ≤ 6 in 90d) value 300; lapsing buyers (a) 150;
    # largest churn reason Price: c (2025-05-15) and f (2025-06-10) in
    # (2025-04-01, 2025-06-30], d (2025-02-01) in the 90 days before; value = c's 40 + f's 0
    assert titles == [
        "Detractors in the last 90 days",
        "Repeat buyers gone quiet",
        "Largest churn reason: Price",
    ]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["customers"] for r in rows] == [1, 1, 2]
    assert [r["value"] for r in rows] == [300.0, 150.0, 40.0]
    assert "up 100% from 1" in rows[2]["evidence"]
    # a's score is 20 (order_gap 180/180 days × 20): no account scores ≥ 60
    assert "Accounts at risk" not in titles
    notes = " | ".join(out["notes"])
    for need in ("an events table", "customers.renewal_date", "a monthly table", "a spend table"):
        assert need in notes
    assert all(r["command"].startswith("cxtui ") for r in rows)


def test_thresholds_from_the_config(tmp_path: Path) -> None:
    root = dataset(tmp_path / "d")
    (root / "cxtui.toml").write_text("[insights]\nrisk_score = 20\norder_gap_days = 200\n")
    rows = by_id(at("insights", root))
    # a (score 20) is now at risk; its gap of 180 days is under 200: not lapsing
    assert rows["Accounts at risk"]["customers"] == 1
    assert rows["Accounts at risk"]["value"] == 150.0
    assert "Repeat buyers gone quiet" not in rows


def test_a_bad_threshold_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cxtui.cli import app

    root = dataset(tmp_path / "d")
    (root / "cxtui.toml").write_text("[insights]\norder_gap_days = 1.5\n")
    result = CliRunner().invoke(app, ["insights", str(root), "--no-cache"])
    assert result.exit_code == 2
    assert "insights.order_gap_days" in result.stderr and len(result.stderr.splitlines()) == 1


def test_each_drill_clause_selects_exactly_the_counted_customers(tmp_path: Path) -> None:
    root = dataset(tmp_path / "d")
    rows = by_id(at("insights", root))
    expected = {
        "Detractors in the last 90 days": ["b"],
        "Repeat buyers gone quiet": ["a"],
        "Largest churn reason": ["c", "f"],
    }
    for title, ids in expected.items():
        clause = rows[title]["where"]
        listed = at("top", root, "-n", "100", "--where", clause)
        assert sorted(r["customer_id"] for r in listed) == ids, title


def test_report_starts_with_the_insights(tmp_path: Path) -> None:
    report = at("report", dataset(tmp_path / "d"))
    assert list(report)[:2] == ["as_of", "insights"]
    assert report["insights"][0]["title"] == "Detractors in the last 90 days"
