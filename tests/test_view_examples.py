"""The flows, lift and segments --measure commands that docs/config.md
documents for the two shared exports: each is read from the doc, run, and its
figures computed again from the raw CSV here (plain Python, no cxtui code).
Skipped when ../shared is absent."""

from __future__ import annotations

import csv
import io
import json
import shlex
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxtui.cli import app

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
SECTION = "## Flows, lift and segment measures on the two exports"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is absent")


def documented() -> list[str]:
    """The `cxtui …` commands of the doc's section, continuation lines joined."""
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION) :].split("\n## ", 1)[0]
    commands = []
    for block in section.split("```sh\n")[1:]:
        body = block.split("```", 1)[0].replace("\\\n", " ")
        commands += [line.split("  #")[0].strip() for line in body.splitlines() if line.strip()]
    return commands


def run(command: str, monkeypatch) -> str:
    monkeypatch.chdir(ROOT)  # the doc's paths are relative to the repository
    args = shlex.split(command)[1:]
    if "--format" not in args:
        args += ["--format", "json"]
    result = CliRunner().invoke(app, [*args, "--no-cache"])
    assert result.exit_code == 0, (command, result.output)
    return result.stdout


def find(commands: list[str], *words: str) -> str:
    return next(c for c in commands if all(w in c for w in words))


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- users_cx.csv


def _users() -> list[dict[str, str]]:
    with open(SHARED / "users_cx.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _bin(value: str, edges: list[float], labels: list[str]) -> str | None:
    """Left-closed bins as docs/config.md describes them."""
    if value == "":
        return None
    v = float(value)
    offset = len(labels) - len(edges)  # one label more: the first covers below the first edge
    at = sum(1 for e in edges if v >= e) - 1 + offset
    return labels[at] if at >= 0 else None


def _seed_path(r: dict[str, str]) -> tuple:
    return (
        _bin(r["portfolio_size"], [1, 2, 6, 11], ["1", "2-5", "6-10", "10+"]),
        r["plan_type"],
        _bin(r["support_tickets_last_90d"], [0, 1, 3], ["no tickets", "1-2 tickets", "3+ tickets"]),
        "active" if r["is_active"] == "True" else "churned",
        _bin(r["annual_revenue"], [5000, 15000], ["< $5k", "$5k-15k", ">= $15k"]),
    )


def test_commands_are_documented() -> None:
    commands = documented()
    assert len(commands) == 6
    assert all(c.startswith("cxtui ") and "../shared/datasets --config" in c for c in commands)


def test_users_cx_seed_path_flows(monkeypatch) -> None:
    command = find(documented(), "flows", "users_cx", "portfolio_group,plan,engagement_90d")
    rows = json.loads(run(command, monkeypatch))
    users = _users()
    counts: dict[tuple, int] = defaultdict(int)
    values: dict[tuple, float] = defaultdict(float)
    for r in users:
        key = _seed_path(r)
        counts[key] += 1
        values[key] += float(r["annual_revenue"])
    dims = ["portfolio_group", "plan", "engagement_90d", "status", "arr_group"]
    assert sum(r["customers"] for r in rows) == len(users) == 10_000
    exact = [r for r in rows if "other" not in [r[d] for d in dims]]
    assert len(exact) > 20
    for r in exact:  # a full path with no folded level is one combination of values
        key = tuple(r[d] for d in dims)
        assert r["customers"] == counts[key], key
        assert r["measure_sum"] == approx(values[key]), key
        assert r["share_of_total"] == approx(counts[key] / len(users))


def test_users_cx_plan_status_csv(monkeypatch) -> None:
    command = find(documented(), "flows", "users_cx", "--path plan,status")
    rows = list(csv.DictReader(io.StringIO(run(command, monkeypatch))))
    users = _users()
    for r in rows:
        members = [
            u
            for u in users
            if u["plan_type"] == r["plan"]
            and ("active" if u["is_active"] == "True" else "churned") == r["status"]
        ]
        plan = [u for u in users if u["plan_type"] == r["plan"]]
        assert int(r["customers"]) == len(members)
        assert float(r["share_of_parent"]) == approx(len(members) / len(plan))
        arr = sum(float(u["annual_revenue"]) for u in members)  # arr = annual_revenue here
        assert float(r["measure_sum"]) == approx(arr)
        assert float(r["measure_mean"]) == approx(arr / len(members))


def test_users_cx_segments_measures(monkeypatch) -> None:
    command = find(documented(), "segments", "users_cx")
    rows = {r["plan"]: r for r in json.loads(run(command, monkeypatch))}
    users = _users()
    assert set(rows) == {u["plan_type"] for u in users}
    for plan, row in rows.items():
        members = [u for u in users if u["plan_type"] == plan]
        revenue = [float(u["annual_revenue"]) for u in members]
        nps = [float(u["nps_score"]) for u in members if u["nps_score"] != ""]
        tickets = sum(int(u["support_tickets_last_90d"]) for u in members)
        assert row["customers"] == len(members)
        assert row["annual_revenue_mean"] == approx(sum(revenue) / len(revenue))
        assert row["nps_score_mean"] == approx(sum(nps) / len(nps))
        assert row["support_tickets_last_90d_sum"] == tickets


def test_users_cx_lift_of_a_zero_one_column(monkeypatch) -> None:
    command = find(documented(), "lift", "users_cx")
    out = json.loads(run(command, monkeypatch))
    users = _users()
    with_ = [float(u["annual_revenue"]) for u in users if u["success_manager_assigned"] == "1"]
    without = [float(u["annual_revenue"]) for u in users if u["success_manager_assigned"] != "1"]
    assert (out["customers_with"], out["customers_without"]) == (len(with_), len(without))
    gap = sum(with_) / len(with_) - sum(without) / len(without)
    assert out["opportunity"] == approx(len(without) * gap)
    assert "not a proven effect" in out["caveat"]


# ---------------------------------------------------------------- customer-metrics.csv


def _accounts() -> dict[str, dict]:
    """Per company, from its monthly rows (SPEC §1, §6): the latest row's
    attributes, the mrr of month(as_of), whether it churned, whether it started."""
    with open(SHARED / "customer-metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    as_of_month = max(date.fromisoformat(r["month"]) for r in rows)
    out: dict[str, dict] = {}
    for company in {r["company"] for r in rows}:
        mine = sorted((r for r in rows if r["company"] == company), key=lambda r: r["month"])
        paid = [r["month"] for r in mine if float(r["mrr_usd"]) > 0]
        if not paid:
            continue  # no start: not a customer
        last = date.fromisoformat(max(paid))
        out[company] = {
            "latest": mine[-1],
            "mrr": sum(
                float(r["mrr_usd"]) for r in mine if date.fromisoformat(r["month"]) == as_of_month
            ),
            "status": "churned" if last < as_of_month else "active",
        }
    return out


def test_customer_metrics_flows_by_mrr(monkeypatch) -> None:
    command = find(documented(), "flows", "customer-metrics")
    rows = json.loads(run(command, monkeypatch))
    accounts = _accounts()
    leaves: dict[tuple, list[float]] = defaultdict(list)
    for a in accounts.values():
        leaves[(a["latest"]["segment"], a["latest"]["product"], a["status"])].append(a["mrr"])
    # 30 accounts: each is 3.3% of all, above the 1% fold, so every path is exact
    assert {(r["segment"], r["plan"], r["status"]): r["customers"] for r in rows} == {
        k: len(v) for k, v in leaves.items()
    }
    for r in rows:
        mrr = leaves[(r["segment"], r["plan"], r["status"])]
        assert r["measure_sum"] == approx(sum(mrr)) and r["measure_mean"] == approx(
            sum(mrr) / len(mrr)
        )


def test_customer_metrics_segments_measures(monkeypatch) -> None:
    command = find(documented(), "segments", "customer-metrics")
    rows = {r["segment"]: r for r in json.loads(run(command, monkeypatch))}
    by_segment: dict[str, list[dict]] = defaultdict(list)
    for a in _accounts().values():
        by_segment[a["latest"]["segment"]].append(a)
    assert set(rows) == set(by_segment)
    for segment, members in by_segment.items():
        arr = [float(a["latest"]["arr_usd"]) for a in members]
        months = [int(a["latest"]["months_as_customer"]) for a in members]
        row = rows[segment]
        assert row["customers"] == len(members)
        assert row["arr_usd_mean"] == approx(sum(arr) / len(arr))
        assert row["months_as_customer_max"] == max(months)
        assert row["mrr_sum"] == approx(sum(a["mrr"] for a in members))
