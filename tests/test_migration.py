"""Segment migration (SPEC §7): the transition matrix worked by hand on
tests/trends_fixture.py — a customer going Regular → At Risk → Inactive, two
not started at --from, a plain and a derived dimension — the CLI in every
format, bad input, drill-downs that list exactly a cell's customers (and the
`c` command that prints them, where one command can), and the pane.

lifecycle 2025-04-30 → 2025-06-30 (customers started by 06-30: a, b, c, e, f):
  Inactive → Inactive: e;  Regular → Inactive: a;  Regular → Regular: c;
  not started → New: f;  not started → Regular: b.
lifecycle 2025-05-31 → as_of: At Risk → Inactive: a; Inactive → Inactive: e;
  New → Regular: b; Regular → Regular: c; not started → New: f.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cxtui.commands import Invocation
from cxtui.engine import open_analysis
from cxtui.registry import DrillContext, Members
from tests.trends_fixture import (
    AS_OF,
    as_json,
    choose,
    command_ids,
    fails,
    make_app,
    move_to,
    ok,
    settle,
    shown_ids,
    write_trends,
)

APRIL = ("--from", "2025-04-30", "--to", "2025-06-30")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_trends(tmp_path_factory.mktemp("migration"))


def test_matrix_and_row_shares_worked_by_hand(data: Path) -> None:
    out = as_json("migration", str(data), "--by", "lifecycle", *APRIL)
    assert (out["by"], out["from"], out["to"]) == ("lifecycle", "2025-04-30", "2025-06-30")
    assert out["counts"] == [
        {"lifecycle": "Inactive", "→ Inactive": 1, "→ New": 0, "→ Regular": 0, "customers": 1},
        {"lifecycle": "Regular", "→ Inactive": 1, "→ New": 0, "→ Regular": 1, "customers": 2},
        {"lifecycle": "not started", "→ Inactive": 0, "→ New": 1, "→ Regular": 1, "customers": 2},
    ]
    shares = {r["lifecycle"]: r for r in out["shares"]}
    assert shares["Regular"]["→ Inactive"] == pytest.approx(0.5)
    assert shares["not started"]["→ New"] == pytest.approx(0.5)
    assert shares["Inactive"]["→ Inactive"] == 1.0 and shares["Inactive"]["customers"] == 1


def test_to_defaults_to_as_of_and_at_risk_moves_to_inactive(data: Path) -> None:
    out = as_json("migration", str(data), "--from", "2025-05-31")
    assert out["by"] == "lifecycle" and out["to"] == AS_OF.isoformat()
    rows = {r["lifecycle"]: r for r in out["counts"]}
    assert list(rows) == ["At Risk", "Inactive", "New", "Regular", "not started"]
    assert rows["At Risk"] == {
        "lifecycle": "At Risk",
        "→ Inactive": 1,
        "→ New": 0,
        "→ Regular": 0,
        "customers": 1,
    }
    assert rows["New"]["→ Regular"] == 1 and rows["not started"]["→ New"] == 1
    assert sum(r["customers"] for r in out["counts"]) == 5  # d starts after as_of


def test_year_month_is_that_months_end(data: Path) -> None:
    by_month = as_json("migration", str(data), "--from", "2025-04", "--to", "2025-06")
    assert (by_month["from"], by_month["to"]) == ("2025-04-30", "2025-06-30")
    assert by_month["counts"] == as_json("migration", str(data), *APRIL)["counts"]


def test_a_plain_column_only_gains_the_not_started(data: Path) -> None:
    out = as_json("migration", str(data), "--by", "segment", *APRIL)
    assert out["counts"] == [
        {"segment": "x", "→ x": 2, "→ y": 0, "→ (none)": 0, "customers": 2},
        {"segment": None, "→ x": 0, "→ y": 0, "→ (none)": 1, "customers": 1},
        {"segment": "not started", "→ x": 0, "→ y": 2, "→ (none)": 0, "customers": 2},
    ]


def test_where_restricts_the_customers(data: Path) -> None:
    out = as_json("migration", str(data), *APRIL, "--where", "segment = 'y'")
    assert out["counts"] == [
        {"lifecycle": "not started", "→ New": 1, "→ Regular": 1, "customers": 2}
    ]


def test_csv_prints_both_tables(data: Path) -> None:
    text = ok("migration", str(data), *APRIL, "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    header = ["lifecycle", "→ Inactive", "→ New", "→ Regular", "customers"]
    assert rows[0] == header and rows[2] == ["Regular", "1", "0", "1", "2"]
    second = rows.index(header, 1)
    assert rows[second + 2] == ["Regular", "0.5", "0.0", "0.5", "2"]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_show_counts_and_shares(data: Path, fmt: str) -> None:
    text = ok("migration", str(data), *APRIL, "--format", fmt)
    assert "2025-04-30 (rows) → 2025-06-30 (columns)" in text.replace("\\", "")
    assert "Row shares" in text and "50.0%" in text and "not started" in text


def test_bad_input_is_one_line(data: Path) -> None:
    assert "needs --from DATE" in fails("migration", str(data))
    line = fails("migration", str(data), "--from", "2025-06-01", "--to", "2025-05-01")
    assert "--from 2025-06-01 is after --to 2025-05-01" in line
    line = fails("migration", str(data), "--from", "2023-12-31")
    assert "before any data (the first customer starts 2024-01-01)" in line
    assert "is after as_of" in fails(
        "migration", str(data), "--from", "2025-05-31", "--to", "2025-07-31"
    )
    assert "is not a date" in fails("migration", str(data), "--from", "May")
    assert "unknown dimension" in fails(
        "migration", str(data), "--from", "2025-05", "--by", "colour"
    )


# ---------------------------------------------------------------- drill-downs


def _drill(data: Path, opts: dict, row: dict, column: str | None, table: int = 0) -> Members:
    from cxtui.viewdefs import get

    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    ctx = DrillContext(analysis, opts, Invocation(data, as_of=AS_OF), table, row, column)
    target = get("migration").drill(ctx)
    assert isinstance(target, Members)
    return target


@pytest.mark.parametrize("by", ["lifecycle", "segment"])
def test_every_cell_drills_to_exactly_its_customers(data: Path, by: str) -> None:
    opts = {"by": by, "from_date": "2025-04-30", "to_date": "2025-06-30"}
    counts = as_json("migration", str(data), "--by", by, *APRIL)["counts"]
    seen: set[str] = set()
    for row in counts:
        for key, n in row.items():
            if not key.startswith("→ "):
                continue
            ids = _drill(data, opts, row, key).load().frame["customer_id"].to_list()
            assert len(ids) == n and not seen & set(ids), (row[by], key)
            seen |= set(ids)
        whole = _drill(data, opts, row, "customers").load().frame["customer_id"]
        assert whole.len() == row["customers"]
    assert seen == {"a", "b", "c", "e", "f"}


def test_the_command_prints_the_same_customers_where_one_can(data: Path) -> None:
    opts = {"by": "segment", "from_date": "2025-04-30", "to_date": "2025-06-30"}
    row = {"segment": "x", "→ x": 2, "→ y": 0, "→ (none)": 0, "customers": 2}
    cell = _drill(data, opts, row, "→ x")
    assert command_ids(cell.command) == {"a", "c"}
    none = {"segment": None, "→ (none)": 1, "customers": 1}
    assert command_ids(_drill(data, opts, none, "→ (none)").command) == {"e"}
    derived = {**opts, "by": "lifecycle"}
    new = {"lifecycle": "not started", "→ New": 1, "customers": 2}
    target = _drill(data, derived, new, "→ New")
    assert target.load().frame["customer_id"].to_list() == ["f"]
    assert command_ids(target.command) == {"f"}
    # a started row of a derived dimension: no one `top` lists it; the matrix's command
    regular = {"lifecycle": "Regular", "→ Inactive": 1, "customers": 2}
    target = _drill(data, derived, regular, "→ Inactive")
    assert target.load().frame["customer_id"].to_list() == ["a"]
    assert target.command.startswith("cxtui migration") and "--from 2025-04-30" in target.command
    assert target.crumbs == ["Migration", "lifecycle Regular", "→ Inactive"]
    # a share cell lists the same customers as its count
    share = _drill(data, derived, {**regular, "→ Inactive": 0.5}, "→ Inactive", table=1)
    assert share.load().frame["customer_id"].to_list() == ["a"]


def test_pane_dates_come_from_a_list_of_month_ends(data: Path) -> None:
    from cxtui.viewdefs.migration import date_choices, resolve

    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    choices = date_choices(analysis, {})
    assert choices[:3] == ["2025-06-30", "2025-05-31", "2025-04-30"]
    assert choices[-1] == "2024-01-31" and len(choices) == 18  # back to the first start
    assert resolve(analysis, {"by": "lifecycle"})["from_date"] == "2024-06-30"
    assert resolve(analysis, {"from_date": "2025-05-31"})["from_date"] == "2025-05-31"


# ---------------------------------------------------------------- the pane


async def test_pane_picks_the_dates_and_drills_a_cell(data: Path) -> None:
    from cxtui.tui.screens.drill import MembersScreen
    from cxtui.tui.screens.main import MainScreen
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("migration")
        await settle(pilot, app)
        view = app.screen.query_one("#migration", DataView)
        # a year back: everyone but d was started or starts in the year
        assert view.table.frame["customers"].sum() == 5
        await pilot.press("f")
        await choose(pilot, app, "2025-04-30")
        await settle(pilot, app)
        view = app.screen.query_one("#migration", DataView)
        frame = view.table.frame
        assert frame["lifecycle"].to_list() == ["Inactive", "Regular", "not started"]
        assert frame["→ Inactive"].to_list() == [1, 1, 0]
        shares = app.screen.query_one("#migration-1", DataView)
        assert shares.table.frame["→ Regular"].to_list() == [0.0, 0.5, 0.5]
        await move_to(pilot, view, 1, "→ Inactive")  # Regular → Inactive: a
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        assert shown_ids(app) == ["a"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert view.cursor_row == 1 and view.specs[view.cursor_col].key == "→ Inactive"
        await pilot.press("u")
        await choose(pilot, app, "2025-05-31")
        await settle(pilot, app)
        frame = app.screen.query_one("#migration", DataView).table.frame
        assert frame["lifecycle"].to_list() == ["Inactive", "Regular", "not started"]
        assert frame.columns[1:] == ["→ At Risk", "→ Inactive", "→ New", "→ Regular", "customers"]
        await pilot.press("c")
        command = app.screen.command
        assert "--from 2025-04-30" in command and "--to 2025-05-31" in command
