"""A tiny dataset for the trends and migration views (SPEC §7), every figure of
which is worked out by hand in tests/test_trends.py and tests/test_migration.py.

as_of 2025-06-30; the months 2025-04, 2025-05, 2025-06 are measured at 04-30,
05-31 and 06-30. Churn dates come from the customers' churn_date column.

  id  segment  signup      churn       lifecycle at 04-30 / 05-31 / 06-30
  a   x        2024-01-01  2025-06-15  Regular / At Risk / Inactive
  b   y        2025-05-20  —           (not started) / New / Regular
  c   x        2024-06-01  —           Regular / Regular / Regular
  d   x        2025-07-10  —           never started by as_of
  e   —        2024-03-01  2025-04-01  Inactive / Inactive / Inactive
  f   y        2025-06-01  —           (not started) / (not started) / New

a's risk at 05-31 (R = Mar-May, P = Dec-Feb): logins 10, 10, 0 after 10s: −33%,
s = 0.333/0.6 → 13.9; tickets 9 in May: mean_R 3 vs 0 → 20; a detractor (2)
on 05-10 → 15; payment_failed on 05-20 → 10; renewal 07-15 in 90d → 10: 69
(At Risk). At 04-30 only the renewal fires: 10 (Regular). Fewer than ten
customers: no VIP (floor(10% × n) = 0).

Orders: a 04-10 100, 05-05 50, 05-06 −20 (a refund); b 05-25 30, 06-02 70;
c 06-20 200; e 04-15 10 (after its churn); f 05-15 5 (before its signup: not
counted, f has not started in May); z 05-05 999 (not a customer).
MRR: a 100 in 2024-11 … 2025-05; c 50 in 2025-01 … 2025-06; b 20 in 2025-06.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import CliRunner

from cxtui.cli import app

AS_OF = date(2025, 6, 30)
runner = CliRunner()


def _months(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def write_trends(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["Acme", "Beta", "Gamma", "Delta", "Echo", "Foxtrot"],
            "segment": ["x", "y", "x", "x", None, "y"],
            "signup_date": [
                date(2024, 1, 1),
                date(2025, 5, 20),
                date(2024, 6, 1),
                date(2025, 7, 10),
                date(2024, 3, 1),
                date(2025, 6, 1),
            ],
            "churn_date": [date(2025, 6, 15), None, None, None, date(2025, 4, 1), None],
            "renewal_date": [date(2025, 7, 15), None, None, None, None, None],
        },
        schema_overrides={"churn_date": pl.Date, "renewal_date": pl.Date},
    ).write_parquet(root / "customers.parquet")
    orders = [
        ("a", date(2025, 4, 10), 100.0),
        ("a", date(2025, 5, 5), 50.0),
        ("a", date(2025, 5, 6), -20.0),
        ("b", date(2025, 5, 25), 30.0),
        ("b", date(2025, 6, 2), 70.0),
        ("c", date(2025, 6, 20), 200.0),
        ("e", date(2025, 4, 15), 10.0),
        ("f", date(2025, 5, 15), 5.0),
        ("z", date(2025, 5, 5), 999.0),
    ]
    pl.DataFrame(
        orders, schema=["customer_id", "order_date", "amount"], orient="row"
    ).write_parquet(root / "orders.parquet")
    monthly = []
    for m in _months(date(2024, 11, 1), date(2025, 5, 1)):
        logins = 0.0 if m == date(2025, 5, 1) else 10.0
        tickets = 9.0 if m == date(2025, 5, 1) else 0.0
        monthly.append(("a", m, 100.0, logins, tickets))
    for m in _months(date(2025, 1, 1), date(2025, 6, 1)):
        monthly.append(("c", m, 50.0, 5.0, 0.0))
    monthly.append(("b", date(2025, 6, 1), 20.0, 5.0, 0.0))
    pl.DataFrame(
        monthly,
        schema=["customer_id", "month", "mrr", "logins", "support_tickets"],
        orient="row",
    ).write_parquet(root / "monthly.parquet")
    pl.DataFrame(
        [("a", date(2025, 5, 10), 2.0), ("c", date(2025, 6, 1), 9.0)],
        schema=["customer_id", "date", "score"],
        orient="row",
    ).write_parquet(root / "feedback.parquet")
    pl.DataFrame(
        [("a", date(2025, 5, 20), "payment_failed"), ("c", date(2025, 6, 3), "login")],
        schema=["customer_id", "ts", "event_type"],
        orient="row",
    ).write_parquet(root / "events.parquet")
    return root


# ---------------------------------------------------------------- the CLI


def invoke(*args: str):
    return runner.invoke(app, [*args, "--no-cache", "--as-of", AS_OF.isoformat()])


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    return result.stdout


def as_json(*args: str) -> Any:
    return json.loads(ok(*args, "--format", "json"))


def fails(*args: str) -> str:
    """The one line a bad invocation prints (exit 2)."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cxtui: error: "), result.stderr
    return lines[0]


def command_ids(command: str) -> set[str]:
    """The customers the `cxtui top …` command shown by `c` prints."""
    import shlex

    args = shlex.split(command)[1:]
    result = runner.invoke(app, [*args, "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return {r["customer_id"] for r in json.loads(result.stdout)}


# ---------------------------------------------------------------- the TUI


def make_app(data: Path):
    from cxtui.tui.app import CxApp

    return CxApp(data, as_of=AS_OF, use_cache=False)


async def settle(pilot, app, timeout: float = 180.0) -> None:
    """Until the analysis is open and no query worker is running."""
    waited = 0.0
    while waited < timeout:
        await pilot.pause(0.05)
        waited += 0.05
        busy = [w for w in app.workers if not w.is_finished]
        queued = any(getattr(s, "_pending", None) for s in app.screen_stack)
        if app.analysis is not None and not busy and not queued:
            await pilot.pause(0.05)
            return
    raise AssertionError("the app did not settle")


async def choose(pilot, app, value: str) -> None:
    """Pick `value` in the open PickScreen with the keyboard."""
    from textual.widgets import OptionList

    from cxtui.tui.screens.modals import PickScreen

    screen = app.screen
    assert isinstance(screen, PickScreen), screen
    options = screen.query_one(OptionList)
    target = screen.choices.index(value)
    key = "down" if target > (options.highlighted or 0) else "up"
    while options.highlighted != target:
        await pilot.press(key)
    await pilot.press("enter")


async def move_to(pilot, view, row: int, key: str) -> None:
    """Put the DataView's cursor on row `row`, column `key`."""
    await pilot.press("home")
    for _ in range(row):
        await pilot.press("down")
    target = [s.key for s in view.specs].index(key)
    while view.cursor_col != target:
        await pilot.press("right" if view.cursor_col < target else "left")


def shown_ids(app) -> list[str]:
    from cxtui.tui.widgets.data_view import DataView

    view = app.screen.query_one("#members", DataView)
    return view.table.frame["customer_id"].to_list()
