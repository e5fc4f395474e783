"""A tiny dataset for the engagement, lift, flows and segments --measure views,
every figure of which is worked out by hand in the tests, and helpers to run
the CLI and the TUI on it.

as_of 2025-06-30 (90d = (2025-04-01, 2025-06-30], 12m = (2024-06-30, 2025-06-30]).
Customers (signup 2024-01-01), value = revenue_12m (orders exist):

  id seg plan  annual  trained csm  revenue_12m  event types (events in 90d)       latest score
  a  x   pro   1000    true    1    100          training + t1..t4 = 5 (16)        9
  b  x   pro   2000    false   0    300 churned  training + t1..t7 = 8 (31)        10
  c  y   basic —       true    1    0            t1 = 1 (15)                       3
  d  y   basic 500     —       0    50           none = 0 (0)                      7 (2 earlier)
  f  y   pro   300     false   0    10           training, 200 days ago = 1 (0)    —
  g signs up after as_of (not a customer); zz has events only (not a customer).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import CliRunner

from cxtui.cli import app

AS_OF = date(2025, 6, 30)
TRAINING = "training_attended"
runner = CliRunner()


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def _events() -> list[tuple[str, date, str]]:
    ev: list[tuple[str, date, str]] = []
    ev += [("a", ago(10), TRAINING)] * 4 + [("a", ago(10), f"t{i}") for i in range(1, 5)] * 3
    ev += [("b", ago(20), TRAINING)] * 3 + [("b", ago(20), f"t{i}") for i in range(1, 8)] * 4
    ev += [("c", ago(5), "t1")] * 15
    ev += [("f", ago(200), TRAINING)]
    ev += [("g", ago(1), TRAINING), ("zz", ago(1), TRAINING)]
    return ev


def write_mini(root: Path, events: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "f", "g"],
            "name": ["Acme", "Beta", "Gamma", "Delta", "Foxtrot", "Golf"],
            "segment": ["x", "x", "y", "y", "y", "x"],
            "plan": ["pro", "pro", "basic", "basic", "pro", "pro"],
            "signup_date": [date(2024, 1, 1)] * 5 + [date(2025, 7, 15)],
            "churn_date": [None, date(2025, 3, 1), None, None, None, None],
            "annual_revenue": [1000.0, 2000.0, None, 500.0, 300.0, 50.0],
            "trained": [True, False, True, None, False, True],
            "csm": [1, 0, 1, 0, 0, 1],
        },
        schema_overrides={"churn_date": pl.Date, "annual_revenue": pl.Float64},
    ).write_parquet(root / "customers.parquet")
    orders = [
        ("a", ago(20), 60.0),
        ("a", ago(200), 40.0),
        ("a", ago(400), 999.0),  # outside 12m
        ("b", ago(30), 300.0),
        ("d", ago(3), 50.0),
        ("f", ago(3), 10.0),
    ]
    pl.DataFrame(
        orders, schema=["customer_id", "order_date", "amount"], orient="row"
    ).write_parquet(root / "orders.parquet")
    feedback = [
        ("a", ago(10), 9.0),
        ("b", ago(200), 10.0),
        ("c", ago(5), 3.0),
        ("d", ago(100), 7.0),
        ("d", ago(300), 2.0),
    ]
    pl.DataFrame(feedback, schema=["customer_id", "date", "score"], orient="row").write_parquet(
        root / "feedback.parquet"
    )
    if events:
        pl.DataFrame(
            _events(), schema=["customer_id", "ts", "event_type"], orient="row"
        ).write_parquet(root / "events.parquet")
    return root


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


# ---------------------------------------------------------------- the TUI


async def settle(pilot, app, timeout: float = 30.0) -> None:
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


def make_app(data: Path, **kw):
    from cxtui.tui.app import CxApp

    return CxApp(data, as_of=AS_OF, use_cache=False, **kw)


def shown_ids(app) -> list[str]:
    from cxtui.tui.widgets.data_view import DataView

    view = app.screen.query_one("#members", DataView)
    return view.table.frame["customer_id"].to_list()


def command_ids(command: str) -> set[str]:
    """The customers the `cxtui …` command shown by `c` prints."""
    import shlex

    args = shlex.split(command)[1:]
    result = runner.invoke(app, [*args, "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    return {r["customer_id"] for r in rows}
