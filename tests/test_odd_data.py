"""Odd but valid data (issue #6 §3): mixed time zones across tables, very old
and very far dates, one bad row pushing as_of into the far future."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from cxtui.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [*args, "--no-cache"] if args[0] != "validate" else list(args))


def write(root: Path, orders_dates: list[date], events_ts: list[datetime]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "signup_date": [date(2024, 1, 1), date(2024, 6, 1), date(1900, 1, 1)],
        }
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"][: len(orders_dates)],
            "order_date": orders_dates,
            "amount": [100.0, 50.0, 25.0][: len(orders_dates)],
        }
    ).write_parquet(root / "orders.parquet")
    pl.DataFrame(
        {"customer_id": ["a"] * len(events_ts), "ts": events_ts, "event_type": ["login"] * 2}
    ).write_parquet(root / "events.parquet")
    return root


def test_time_zone_aware_and_naive_tables_together(tmp_path: Path) -> None:
    # events in UTC with an offset-aware type; orders naive dates
    root = write(
        tmp_path / "tz",
        [date(2025, 3, 1), date(2025, 3, 10), date(2025, 3, 20)],
        [
            datetime(2025, 3, 30, 23, 30, tzinfo=UTC),
            datetime(2025, 1, 5, 8, 0, tzinfo=UTC),
        ],
    )
    out = run("overview", str(root), "--format", "json")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    # the latest date of any table is the event's calendar date
    assert body["as_of"] == "2025-03-30"
    assert body["revenue_12m"] == 175.0 and body["customers_total"] == 3


def test_dates_in_1900_and_9999_and_a_far_future_as_of(tmp_path: Path) -> None:
    root = write(
        tmp_path / "far",
        [date(2025, 3, 1), date(2025, 3, 10), date(9999, 12, 31)],  # one bad row
        [datetime(2025, 3, 1, 9), datetime(2025, 2, 1, 9)],
    )
    checked = run("validate", str(root))
    assert checked.exit_code == 0, checked.output
    text = " ".join(checked.stdout.split())
    assert "date in the future" in text and "9999-12-31" in text
    assert "date before 1990" in text  # the 1900 signup
    # without --as-of the bad row sets as_of; --as-of puts it back
    far = json.loads(run("overview", str(root), "--format", "json").stdout)
    assert far["as_of"] == "9999-12-31"
    fixed = json.loads(
        run("overview", str(root), "--format", "json", "--as-of", "2025-03-31").stdout
    )
    assert fixed["as_of"] == "2025-03-31"
    assert fixed["revenue_12m"] == 150.0  # the 9999 order is after as_of: ignored
    assert fixed["customers_total"] == 3  # the 1900 signup is a customer
    top = json.loads(run("top", str(root), "--format", "json", "--as-of", "2025-03-31").stdout)
    assert [r["customer_id"] for r in top] == ["a", "b", "c"]
