"""The two real exports in ../shared/datasets through their documented cxtui.toml.

Expected values are computed here a second way, with the csv module, straight
from the files. Skipped cleanly when ../shared is not beside the repository.
"""

from __future__ import annotations

import collections
import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxtui.cli import app

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CXTUI_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
METRICS_CSV = SHARED / "customer-metrics.csv"
USERS_CSV = SHARED / "users_cx.csv"
METRICS_TOML = REPO / "docs" / "examples" / "customer-metrics.toml"
USERS_TOML = REPO / "docs" / "examples" / "users_cx.toml"

needs_metrics = pytest.mark.skipif(not METRICS_CSV.is_file(), reason="../shared absent")
needs_users = pytest.mark.skipif(not USERS_CSV.is_file(), reason="../shared absent")

runner = CliRunner()


def run_json(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@needs_metrics
def test_nrr_by_segment_jan_2024_to_jan_2025() -> None:
    data = rows(METRICS_CSV)
    segment_of = {r["company"]: r["segment"] for r in sorted(data, key=lambda r: r["month"])}
    start: dict[str, float] = collections.defaultdict(float)
    end: dict[str, float] = collections.defaultdict(float)
    for r in data:
        if r["month"].startswith("2024-01"):
            start[r["company"]] += float(r["mrr_usd"])
        if r["month"].startswith("2025-01"):
            end[r["company"]] += float(r["mrr_usd"])
    expected: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for company, s in start.items():
        if s > 0:
            expected[segment_of[company]][0] += s
            expected[segment_of[company]][1] += end.get(company, 0.0)

    out = run_json(
        "retention",
        str(SHARED),
        "--config",
        str(METRICS_TOML),
        "--as-of",
        "2025-01-31",
        "--by",
        "segment",
        "--format",
        "json",
        "--no-cache",
    )
    assert out["start_month"] == "2024-01-01" and out["end_month"] == "2025-01-01"
    got = {row["segment"]: row for row in out["segments"]}
    assert set(got) == set(expected) == {"Enterprise", "Mid-Market", "SMB"}
    for seg, (s, e) in expected.items():
        assert got[seg]["start_mrr"] == pytest.approx(s)
        assert got[seg]["nrr"] == pytest.approx(e / s, rel=1e-9)
    # the executive summary's figures, rounded as published
    assert round(got["Enterprise"]["nrr"] * 100, 1) == 134.0
    assert round(got["Mid-Market"]["nrr"] * 100, 1) == 118.6
    assert round(got["SMB"]["nrr"] * 100, 1) == 111.6


@needs_metrics
def test_monthly_export_overview_and_at_risk_owners() -> None:
    data = rows(METRICS_CSV)
    last_month = max(r["month"] for r in data)
    mrr_now = sum(float(r["mrr_usd"]) for r in data if r["month"] == last_month)
    out = run_json(
        "overview", str(SHARED), "--config", str(METRICS_TOML), "--format", "json", "--no-cache"
    )
    assert out["as_of"] == "2025-03-31"
    assert out["customers_total"] == len({r["company"] for r in data})
    assert out["mrr"] == pytest.approx(mrr_now)
    assert out["revenue_12m"] is None  # no orders table: null, never 0
    risky = run_json(
        "at-risk",
        str(SHARED),
        "--config",
        str(METRICS_TOML),
        "--format",
        "json",
        "-n",
        "3",
        "--min-score",
        "0",
        "--no-cache",
    )
    owners = {r["company"]: r["account_owner"] for r in data}
    assert len(risky) == 3
    for r in risky:
        assert r["owner"] == owners[r["customer_id"]]
        assert r["risk_score"] >= 0
    assert risky[0]["risk_score"] >= risky[1]["risk_score"] >= risky[2]["risk_score"]


@needs_users
def test_users_snapshot_status_from_is_active_and_portfolio_groups() -> None:
    data = rows(USERS_CSV)
    out = run_json(
        "overview", str(SHARED), "--config", str(USERS_TOML), "--format", "json", "--no-cache"
    )
    signed_up = [r for r in data if r["signup_date"]]
    assert out["customers_total"] == len(signed_up)
    assert out["active_customers"] == sum(r["is_active"] == "True" for r in signed_up)
    for key in ("churned_customers_30d", "logo_churn_rate_30d", "growth_rate_mom"):
        assert out[key] is None

    def group(size: str) -> str | None:
        if size == "":
            return None
        v = float(size)
        return (
            "10+" if v >= 11 else "6-10" if v >= 6 else "2-5" if v >= 2 else "1" if v >= 1 else None
        )

    expected = collections.Counter(group(r["portfolio_size"]) for r in signed_up)
    seg = run_json(
        "segments",
        str(SHARED),
        "--config",
        str(USERS_TOML),
        "--by",
        "portfolio_group",
        "--format",
        "json",
        "--no-cache",
    )
    assert {r["portfolio_group"]: r["customers"] for r in seg} == dict(expected)
    assert sum(r["customer_share"] for r in seg) == pytest.approx(1.0)


@needs_users
def test_users_snapshot_inactive_arr_and_cross_tab() -> None:
    data = rows(USERS_CSV)
    inactive = [r for r in data if r["is_active"] == "False" and r["signup_date"]]
    churn = run_json(
        "churn", str(SHARED), "--config", str(USERS_TOML), "--format", "json", "--no-cache"
    )
    assert sum(r["churned_customers"] for r in churn) == len(inactive)
    tab = run_json(
        "segments",
        str(SHARED),
        "--config",
        str(USERS_TOML),
        "--by",
        "plan,arr_group",
        "--format",
        "json",
        "--no-cache",
    )
    assert sum(r["customers"] for r in tab) == len([r for r in data if r["signup_date"]])
    assert {"plan", "arr_group", "customers"} <= set(tab[0])


@needs_users
def test_validate_on_shared_exports_reports_without_errors() -> None:
    for toml in (USERS_TOML, METRICS_TOML):
        result = runner.invoke(app, ["validate", str(SHARED), "--config", str(toml)])
        assert result.exit_code == 0, result.output
