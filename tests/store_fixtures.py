"""Datasets and comparisons shared by tests/test_store.py and tests/test_spark.py.

`edge_csv` and `edge_derived` are small datasets that take the loader's odd
paths (CSV through a cxtui.toml mapping, text dates and months, value maps,
NaN, customers derived from the other tables, hive partitions, nanosecond and
timezone-aware timestamps, rows after as_of, ids that are no customer), so a
store built from them shows whether it serves every view the dataset's
numbers. `same_json` compares two commands' JSON to 1e-9 relative.
"""

from __future__ import annotations

import json
import math
import shlex
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from cxtui.cli import app
from cxtui.store import MANIFEST, parquet_files

runner = CliRunner()

AS_OF = date(2025, 6, 30)

# Every printing command, with options that take the views' other paths. A
# command the dataset cannot answer must fail the same way on the store.
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("overview",),
    ("insights",),
    ("segments",),
    ("segments", "--by", "lifecycle,revenue_tier"),
    ("segments", "--by", "rfm_segment", "--where", "status = 'active'"),
    ("top",),
    ("top", "--by", "mrr"),
    ("churn",),
    ("churn", "--trend"),
    ("at-risk", "--min-score", "0"),
    ("retention", "--by", "segment"),
    ("satisfaction",),
    ("satisfaction", "--trend"),
    ("support",),
    ("acquisition",),
    ("clv",),
    ("engagement",),
    ("lift",),
    ("lift", "--event", "login"),
    ("flows",),
    ("revenue",),
    ("cohorts",),
    ("cohorts", "--metric", "revenue", "--period", "quarter"),
    ("trends", "--by", "lifecycle", "--months", "4"),
    ("report",),
)


def commands(as_of: date) -> list[tuple[str, ...]]:
    """COMMANDS, and those whose options name dates of the dataset."""
    before = (as_of.replace(day=1) - timedelta(days=1)).isoformat()
    return [
        *COMMANDS,
        ("migration", "--by", "lifecycle", "--from", before, "--to", as_of.isoformat()),
        ("revenue", "--by", "region", "--months", "3"),
    ]


def run(command: tuple[str, ...], data: Path, *extra: str) -> tuple[int, str, str]:
    """`cxtui COMMAND DATA … --format json`: exit code, stdout, stderr."""
    name, *args = command
    result = runner.invoke(app, [name, str(data), *args, *extra, "--format", "json"])
    return result.exit_code, result.stdout, result.stderr


def close(a: Any, b: Any, where: str = "$") -> list[str]:
    """Where two JSON values differ: numbers beyond 1e-9 relative, anything else
    at all."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return [] if a == b else [f"{where}: {a!r} != {b!r}"]
    if isinstance(a, int | float) and isinstance(b, int | float):
        ok = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return [] if ok else [f"{where}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in close(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in close(x, y, f"{where}[{i}]")
        ]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def same_output(
    command: tuple[str, ...], data: Path, store: Path, *extra: str, fails: bool | None = False
) -> list[str]:
    """The differences between a command's JSON on the dataset and on its
    store (the commands an insight prints name the store instead, and need no
    --config: the store carries its config). A command that fails must fail
    alike on both; `fails`: whether it must (None: either way)."""
    code_a, out_a, err_a = run(command, data, *extra)
    code_b, out_b, err_b = run(command, store, *extra)
    if fails is not None and bool(code_a) != fails:
        return [f"{command}: exit {code_a} on the dataset ({err_a.strip()[:200]})"]
    if code_a or code_b:
        same = code_a == code_b and err_a.replace(str(data), "DATA") == err_b.replace(
            str(store), "DATA"
        )
        return [] if same else [f"{command}: exit {code_a} {err_a!r} != {code_b} {err_b!r}"]
    own_config = f" --config {shlex.quote(str(data / 'cxtui.toml'))}"
    out_a = out_a.replace(own_config, "")
    out_b = out_b.replace(str(store), str(data))
    return [f"{command} {d}" for d in close(json.loads(out_a), json.loads(out_b))]


def build(data: Path, store: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["build", str(data), "--out", str(store), "--no-cache", *extra])
    assert result.exit_code == 0, result.output
    return json.loads((store / MANIFEST).read_text())


def store_frames(store: Path) -> dict[str, pl.DataFrame]:
    """Every Parquet entry of a store, read whole."""
    manifest = json.loads((store / MANIFEST).read_text())
    return {name: pl.read_parquet(parquet_files(store / name)) for name in manifest["files"]}


def assert_same_store(expected: Path, got: Path) -> None:
    """Two stores hold the same tables: the same names, columns and kinds of
    type (`got`'s cast to `expected`'s: Spark has no unsigned integers), the
    same rows in any order and values to 1e-9 relative; and manifests that
    differ only in how and when they were built."""
    a, b = store_frames(expected), store_frames(got)
    assert a.keys() == b.keys()
    for name, want in a.items():
        have = b[name]
        assert have.columns == want.columns, name
        for col in want.columns:
            kinds = (want[col].dtype, have[col].dtype)
            assert len({_kind(d) for d in kinds}) == 1, (name, col, kinds)
        have = have.select(pl.col(c).cast(want.schema[c]) for c in want.columns)
        order = [c for c in want.columns if not want.schema[c].is_nested()]
        try:
            assert_frame_equal(
                want.sort(order, nulls_last=True),
                have.sort(order, nulls_last=True),
                rel_tol=1e-9,
                abs_tol=1e-12,
            )
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    ma, mb = (json.loads((s / MANIFEST).read_text()) for s in (expected, got))
    built = {"engine", "spark", "created", "build_seconds", "monthly_ordered"}
    assert {k: v for k, v in ma.items() if k not in built} == {
        k: v for k, v in mb.items() if k not in built
    }


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    return str(dtype.base_type())


# ---------------------------------------------------------------- edge datasets


def edge_csv(root: Path) -> Path:
    """CSV tables mapped by a cxtui.toml (own column names, ";" separator, text
    dates, months written 2025-03, a value map, NaN and blanks in amounts, ids
    with spaces); no customers table: customers are derived, their attributes
    from the latest monthly row, and customer c2 has two rows in June 2025 (the
    later row's owner wins; both rows' logins count in the block means)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "exports").mkdir()
    (root / "exports" / "sales.csv").write_text(
        "client;booked;net\n"
        " c1 ;2025-06-01;120.5\n"
        "c1;2025-06-01T18:30:00;120.5\n"  # the same day and amount twice: two orders
        "c1;2025-01-15;-20\n"
        "c2;2025-05-20;nan\n"
        "c2;2025-05-21;\n"
        "c3;2024-12-31;999.99\n"
        "c9;2025-06-02;10\n"  # an id with orders only
        "c3;2025-07-03;50\n"  # after as_of
    )
    rows = ["acct;period;revenue;log_ins;tickets;score;owner;tier"]
    for month in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"):
        rows.append(f"c1;{month};100;{20 if month < '2025-04' else 8};0;40;Ann;gold")
        rows.append(f"c2;{month};50;5;{3 if month > '2025-03' else 0};;Bob;silver")
    rows.append("c2;2025-06;0;30;1;-20;Cid;bronze")  # a second June row: the last wins
    rows.append("c3;2024-11;70;1;0;10;Dee;gold")
    (root / "exports" / "usage.csv").write_text("\n".join(rows) + "\n")
    (root / "exports" / "clicks.csv").write_text(
        "who,when,what\n"
        "c1,2025-06-20 10:00:00,login\n"
        "c1,2025-06-20 11:00:00,login\n"
        "c1,2025-06-21,export\n"
        "c2,2025-05-02T09:00:00Z,card_declined\n"
        "c4,2025-06-01,login\n"  # an id with events only
    )
    (root / "exports" / "nps.csv").write_text(
        "who,answered,rating,topic\nc1,2025-06-10,9,price\nc2,2025-06-11,3,support\n"
        "c2,2025-06-11,6,support\nc5,2025-06-01,10,\n"
    )
    (root / "cxtui.toml").write_text(
        """
[settings]
currency = "€"

[tiers]
enterprise = 1000
smb = 100

[risk]
payment_event_types = ["card_declined"]

[tables.orders]
path = "exports/sales.csv"
separator = ";"
[tables.orders.columns]
customer_id = "client"
order_date = "booked"
amount = "net"

[tables.monthly]
path = "exports/usage.csv"
separator = ";"
[tables.monthly.columns]
customer_id = "acct"
month = "period"
mrr = "revenue"
logins = "log_ins"
support_tickets = "tickets"
nps = "score"
segment = "tier"

[tables.events]
path = "exports/clicks.csv"
[tables.events.columns]
customer_id = "who"
ts = "when"
event_type = "what"

[tables.feedback]
path = "exports/nps.csv"
[tables.feedback.columns]
customer_id = "who"
date = "answered"
score = "rating"
"""
    )
    return root


def edge_derived(root: Path) -> Path:
    """Parquet tables without customers or monthly (customers derived from
    orders, churn from the last order): orders in hive partitions with a NaN
    amount and a row without an id, events with nanosecond timestamps, feedback
    with timezone-aware ones, rows after as_of."""
    root.mkdir(parents=True, exist_ok=True)
    day = AS_OF - timedelta(days=1)
    orders = pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", None, "c", "d", "a"],
            "order_date": [
                date(2023, 1, 5),
                date(2025, 6, 1),
                date(2024, 8, 1),
                date(2024, 8, 1),
                date(2025, 3, 3),
                date(2025, 6, 29),
                date(2025, 7, 4),  # after as_of: d has no start
                day,
            ],
            "amount": [30.0, 12.5, float("nan"), 7.0, 5.0, 100.0, 1.0, -4.0],
            "order_id": [f"o{i}" for i in range(8)],
        }
    )
    for year in (2023, 2024, 2025):
        part = root / "orders" / f"year={year}"
        part.mkdir(parents=True)
        orders.filter(pl.col("order_date").dt.year() == year).write_parquet(part / "part.parquet")
    ns = pl.Datetime("ns")
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "a", "c", "e"],
            "ts": [
                datetime(2025, 6, 1, 1),
                datetime(2025, 6, 1, 23, 59),
                datetime(2025, 2, 1),
                datetime(2025, 6, 30, 12),
                datetime(2025, 5, 5),
            ],
            "event_type": ["login", "login", "payment_failed", "login", "login"],
        },
        schema_overrides={"ts": ns},
    ).write_parquet(root / "events.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "c", "c"],
            "date": [datetime(2025, 6, 20, 23, 30), datetime(2025, 6, 1), datetime(2025, 6, 2)],
            "score": [4, 10, 8],
        },
        schema_overrides={"date": pl.Datetime("us", "Europe/Paris")},
    ).write_parquet(root / "feedback.parquet")
    return root


# The first step of the facts build and the compact events of `edge_derived` as
# of 2025-06-30, worked out by hand: one answer set for every engine.
# 12m = (2024-06-30, 2025-06-30], 90d = (2025-04-01, 2025-06-30]; d's only order
# is after as_of; b's NaN amount is null (no revenue, no order with amount > 0,
# still an order row) and counted; the order without an id is its own row.
EDGE_DERIVED_ANSWERS: dict[str, list[tuple]] = {
    # customer_id, first/last order, lifetime orders and revenue, revenue_12m,
    # orders_12m (amount > 0), order rows in 12m, NaN amounts
    "agg-orders.parquet": [
        ("a", date(2023, 1, 5), date(2025, 6, 29), 3, 38.5, 8.5, 1, 2, 0),
        ("b", date(2024, 8, 1), date(2024, 8, 1), 2, 7.0, 7.0, 1, 2, 1),
        ("c", date(2025, 6, 29), date(2025, 6, 29), 1, 100.0, 100.0, 1, 1, 0),
        (None, date(2025, 3, 3), date(2025, 3, 3), 1, 5.0, 5.0, 1, 1, 0),
    ],
    # first/last event day, events, in 90d, payment events in 90d (a's is in February)
    "agg-events.parquet": [
        ("a", date(2025, 2, 1), date(2025, 6, 1), 3, 2, 0),
        ("c", date(2025, 6, 30), date(2025, 6, 30), 1, 1, 0),
        ("e", date(2025, 5, 5), date(2025, 5, 5), 1, 1, 0),
    ],
    # responses, scored in 90d, lowest and latest score in 90d (c: 06-02's 8)
    "agg-feedback.parquet": [("a", 1, 1, 4.0, 4.0), ("c", 2, 2, 8.0, 8.0)],
    # a's two logins on 2025-06-01 (01:00 and 23:59) are one row of two
    "table-events.parquet": [
        ("a", date(2025, 2, 1), "payment_failed", 1),
        ("a", date(2025, 6, 1), "login", 2),
        ("c", date(2025, 6, 30), "login", 1),
        ("e", date(2025, 5, 5), "login", 1),
    ],
    # the derived customers: every id with a row (d's order after as_of too),
    # none for the order without an id
    "customers.parquet": [("a", None), ("b", None), ("c", None), ("d", None), ("e", None)],
}


def check_answers(store: Path) -> None:
    """`store` (built from `edge_derived` as of 2025-06-30) holds the answers."""
    frames = store_frames(store)
    for name, rows in EDGE_DERIVED_ANSWERS.items():
        frame = frames[name]
        got = frame.sort(frame.columns, nulls_last=True).rows()
        assert got == rows, name
