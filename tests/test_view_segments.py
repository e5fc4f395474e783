"""segments --measure COL:AGG (issue 13): the option in every format with
figures worked by hand, the one-line errors, and the pane's `a` key that adds
and removes a measure, with the `c` command following. From
tests/view_fixture.py, by segment:

  y (c, d, f): annual_revenue —, 500, 300 → mean 400, sum 800, count 2; revenue_12m max 50
  x (a, b):    annual_revenue 1000, 2000 → mean 1500, sum 3000, count 2; revenue_12m max 300
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.view_fixture import (
    as_json,
    choose,
    command_ids,
    fails,
    make_app,
    ok,
    settle,
    shown_ids,
    write_mini,
)

MEASURES = "annual_revenue:mean,annual_revenue:sum,annual_revenue:count,revenue_12m:MAX"


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mini(tmp_path_factory.mktemp("mini"))


def test_json_measures_after_the_segment_keys(mini: Path) -> None:
    rows = as_json("segments", str(mini), "--by", "segment", "--measure", MEASURES)
    assert [r["segment"] for r in rows] == ["y", "x"]
    added = ["annual_revenue_mean", "annual_revenue_sum", "annual_revenue_count", "revenue_12m_max"]
    assert list(rows[0])[-4:] == added
    assert [rows[0][k] for k in added] == [400.0, 800.0, 2, 50.0]
    assert [rows[1][k] for k in added] == [1500.0, 3000.0, 2, 300.0]
    # the segment keys themselves are unchanged
    plain = as_json("segments", str(mini), "--by", "segment")
    assert [{k: r[k] for k in plain[0]} for r in rows] == plain


def test_csv_table_and_markdown(mini: Path) -> None:
    args = ("segments", str(mini), "--by", "segment", "--measure", "annual_revenue:mean")
    rows = list(csv.reader(io.StringIO(ok(*args, "--format", "csv"))))
    at = rows[0].index("annual_revenue_mean")
    assert [r[at] for r in rows[1:]] == ["400.0", "1500.0"]
    for fmt in ("table", "markdown"):
        text = ok(*args, "--format", fmt, "--color", "never")
        assert "annual_revenue_mean" in text and "$1,500" in text and "$400" in text


def test_bad_measures_are_one_line_naming_what_works(mini: Path) -> None:
    seg = ("segments", str(mini), "--by", "segment", "--measure")
    line = fails(*seg, "colour:mean")
    assert "unknown column 'colour'" in line and "annual_revenue" in line
    line = fails(*seg, "annual_revenue:avg")
    assert "unknown aggregate 'avg'" in line and "sum, mean, median, min, max, count" in line
    assert "not a number" in fails(*seg, "segment:mean")
    assert "given twice" in fails(*seg, "annual_revenue:sum,annual_revenue:SUM")
    assert "COLUMN:AGGREGATE" in fails(*seg, "annual_revenue")


async def test_pane_adds_and_removes_measures_and_the_command_follows(mini: Path) -> None:
    from cxtui.tui.screens.modals import PickScreen
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("segments")
        await pilot.press("d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        await pilot.press("a")
        assert isinstance(app.screen, PickScreen) and app.screen.choices[0] == "(none)"
        await choose(pilot, app, "annual_revenue:mean")
        await settle(pilot, app)
        await pilot.press("a")
        await choose(pilot, app, "revenue_12m:max")
        await settle(pilot, app)
        table = app.screen.query_one("#segments", DataView).table
        assert table.frame["annual_revenue_mean"].to_list() == [400.0, 1500.0]
        assert table.frame["revenue_12m_max"].to_list() == [50.0, 300.0]
        assert table.cell(1, "annual_revenue_mean") == "$1,500"
        await pilot.press("c")
        command = app.screen.command
        assert "--measure annual_revenue:mean,revenue_12m:max" in command
        import shlex

        rows = as_json(*shlex.split(command)[1:])
        assert [r["annual_revenue_mean"] for r in rows] == [400.0, 1500.0]
        await pilot.press("escape")
        # rows still drill to exactly their customers
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert shown_ids(app) == ["b", "a"]
        await pilot.press("c")
        assert command_ids(app.screen.command) == {"a", "b"}
        await pilot.press("escape", "escape")
        # picking a current measure removes it; (none) removes them all
        await pilot.press("a")
        assert "remove annual_revenue:mean" in app.screen.choices
        await choose(pilot, app, "remove annual_revenue:mean")
        await settle(pilot, app)
        columns = app.screen.query_one("#segments", DataView).table.frame.columns
        assert "annual_revenue_mean" not in columns and "revenue_12m_max" in columns
        await pilot.press("a")
        await choose(pilot, app, "(none)")
        await settle(pilot, app)
        columns = app.screen.query_one("#segments", DataView).table.frame.columns
        assert "revenue_12m_max" not in columns
        await pilot.press("c")
        assert "--measure" not in app.screen.command
