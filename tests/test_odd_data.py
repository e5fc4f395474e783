"""Odd but valid data (issue #6 §3): mixed time zones across tables, very old
and very far dates, one bad row pushing as_of into the far future."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
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


@pytest.mark.parametrize(
    ("table", "frame", "as_of"),
    [
        # one monthly row in December 9999: as_of is that month's last day
        ("monthly", {"month": [date(2025, 1, 1), date(9999, 12, 1)], "mrr": [1.0, 2.0]}, None),
        # a renewal far away, and --as-of on the last representable day
        (
            "customers",
            {"signup_date": [date(2024, 1, 1)] * 2, "renewal_date": [date(2025, 3, 1)] * 2},
            "9999-12-31",
        ),
        # orders in year 1, and --as-of early in year 1: windows reach before the calendar
        ("orders", {"order_date": [date(1, 1, 3), date(2025, 1, 1)], "amount": [1.0, 2.0]}, None),
        (
            "orders",
            {"order_date": [date(1, 1, 3), date(2025, 1, 1)], "amount": [1.0, 2.0]},
            "0001-01-05",
        ),
    ],
)
def test_dates_at_the_ends_of_the_calendar_never_crash(
    tmp_path: Path, table: str, frame: dict, as_of: str | None
) -> None:
    pl.DataFrame({"customer_id": ["a", "b"], **frame}).write_parquet(tmp_path / f"{table}.parquet")
    extra = ["--as-of", as_of] if as_of else []
    from cxtui.viewdefs import all_views

    for command in ("overview", "segments", "top", "churn", "at-risk", "retention", "report"):
        result = run(command, str(tmp_path), *extra, "--format", "json")
        assert result.exit_code == 0, (command, result.output)
        json.loads(result.stdout)
    # every other view prints, or says in one line which table it needs
    for view in all_views():
        result = run(view.id, str(tmp_path), *extra, "--format", "json")
        if result.exit_code == 2:
            assert "needs" in result.stderr or "fix:" in result.stderr, (view.id, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1, (view.id, result.stderr)
        else:
            assert result.exit_code == 0, (view.id, result.output)
            json.loads(result.stdout)
    checked = run("validate", str(tmp_path))
    assert checked.exit_code in (0, 1) and "Traceback" not in checked.output


def test_a_customers_only_export_gives_every_pane_and_the_report(tmp_path: Path) -> None:
    pl.DataFrame(
        {"customer_id": ["b", "a"], "signup_date": [date(2024, 1, 1)] * 2, "region": ["X", "Y"]}
    ).write_parquet(tmp_path / "customers.parquet")
    for command in ("overview", "top", "churn", "at-risk", "retention", "report"):
        result = run(command, str(tmp_path), "--format", "json")
        assert result.exit_code == 0, (command, result.output)
    top = json.loads(run("top", str(tmp_path), "--format", "json").stdout)
    # nothing to rank by (no orders, monthly or annual_revenue): null values, id order
    assert [(r["customer_id"], r["mrr"]) for r in top] == [("a", None), ("b", None)]
    segments = json.loads(run("segments", str(tmp_path), "--format", "json").stdout)
    assert {r["region"]: r["customers"] for r in segments} == {"X": 1, "Y": 1}  # the fallback


@pytest.mark.parametrize(
    "args",
    [
        ["top", "-n", "-5"],
        ["top", "--format", "xml"],
        ["at-risk", "--min-score", "nan"],
        ["top", "-n", "99999999999999999999"],
        ["churn", "--window", "99999999999y"],
        ["overview", "--bogus"],
        ["account", "C0000042", "extra"],
    ],
)
def test_bad_option_values_are_one_line_errors_from_the_real_entry_point(args: list) -> None:
    import subprocess
    import sys

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    argv = [args[0], str(demo), *args[1:]]
    proc = subprocess.run(
        [sys.executable, "-c", "from cxtui.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("cxtui: error: ") and "fix:" in line and "Traceback" not in line


def test_broken_inputs_found_by_the_sweep_are_named_and_listed(tmp_path: Path) -> None:
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    ragged = tmp_path / "ragged"
    ragged.mkdir()
    (ragged / "customers.csv").write_text("customer_id,signup_date\na,2024-01-01\nb,2024-01-01,x\n")
    binary = tmp_path / "binary"
    binary.mkdir()
    ids = pa.array([b"\xff\xfe", b"ok"], pa.binary())
    pq.write_table(pa.table({"customer_id": ids}), binary / "customers.parquet")
    link = tmp_path / "link"
    link.mkdir()
    pl.DataFrame({"customer_id": ["a"], "signup_date": [date(2024, 1, 1)]}).write_parquet(
        link / "customers.parquet"
    )
    os.symlink(tmp_path / "nowhere.parquet", link / "orders.parquet")
    for root, needle in (
        (ragged, "customers.csv: table customers: cannot read data"),
        (binary, "column 'customer_id' has type Binary, expected text"),
        (link, "orders.parquet: table orders: the link points to a missing file"),
    ):
        result = run("overview", str(root))
        assert result.exit_code == 2 and needle in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
        listed = run("validate", str(root))
        assert listed.exit_code == 1, listed.output
        assert "Traceback" not in listed.output


def test_months_written_as_year_month_and_float_ids(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "month": ["2025-01", "2025-02", "2025-02-15"],
            "mrr": [1.0, 2.0, 3.0],
        }
    ).write_parquet(tmp_path / "monthly.parquet")
    out = json.loads(run("overview", str(tmp_path), "--format", "json").stdout)
    assert out["as_of"] == "2025-02-28" and out["mrr"] == 5.0  # February: a 2 + b 3
    floats = tmp_path / "floats"
    floats.mkdir()
    pl.DataFrame({"customer_id": [7, 8], "signup_date": [date(2024, 1, 1)] * 2}).write_parquet(
        floats / "customers.parquet"
    )
    pl.DataFrame(
        {"customer_id": [7.0, None], "order_date": [date(2024, 5, 1)] * 2, "amount": [10.0, 5.0]}
    ).write_parquet(floats / "orders.parquet")  # as pandas writes an id column with a gap
    top = json.loads(run("top", str(floats), "--format", "json").stdout)
    assert [(r["customer_id"], r["revenue_12m"]) for r in top] == [("7", 10.0), ("8", 0.0)]


def test_a_csv_header_naming_a_column_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,name,name,signup_date\na,A,B,2024-01-01\n")
    result = run("overview", str(tmp_path))
    assert result.exit_code == 2
    assert "column 'name' appears more than once in the header" in result.output
    assert run("validate", str(tmp_path)).exit_code == 1
