"""The engagement view (SPEC §10 event diversity and engagement levels) through
the CLI in every format, the report, bad input, and the pane: both tables drill
to exactly the customers they count. Figures from tests/view_fixture.py:

diversity: 0-4 = c, d, f (value (0 + 50 + 10) / 3 = 20; nps (3 + 7) / 2 = 5)
           5-7 = a (100, nps 9); 8+ = b (300, churned, nps 10)
levels (events in 90d): Low = d (0), f (0): value 30, nps 7; Medium = a (16),
           c (15): value 50, nps 6; High = b (31)
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


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mini(tmp_path_factory.mktemp("mini"))


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def test_json_has_both_tables_worked_by_hand(mini: Path) -> None:
    out = as_json("engagement", str(mini))
    assert out["as_of"] == "2025-06-30" and out["by"] is None
    bins = {r["diversity"]: r for r in out["diversity"]}
    assert list(bins) == ["0-4", "5-7", "8+"]
    assert bins["0-4"]["customers"] == 3 and bins["0-4"]["share"] == approx(0.6)
    assert bins["0-4"]["value_mean"] == approx(20.0) and bins["0-4"]["nps_mean"] == approx(5.0)
    assert bins["0-4"]["active_rate"] == approx(1.0)
    assert bins["5-7"]["customers"] == 1 and bins["5-7"]["value_mean"] == approx(100.0)
    assert bins["8+"]["active_rate"] == approx(0.0) and bins["8+"]["nps_mean"] == approx(10.0)
    levels = {r["engagement"]: r for r in out["engagement_levels"]}
    assert list(levels) == ["Low", "Medium", "High"]
    assert [levels[k]["customers"] for k in levels] == [2, 2, 1]
    assert levels["Low"]["value_mean"] == approx(30.0) and levels["Low"]["nps_mean"] == approx(7.0)
    assert levels["Medium"]["value_mean"] == approx(50.0)
    assert levels["Medium"]["nps_mean"] == approx(6.0)
    assert levels["High"]["share"] == approx(0.2) and levels["High"]["active_rate"] == 0.0


def test_by_dimension_shares_are_within_each_group(mini: Path) -> None:
    out = as_json("engagement", str(mini), "--by", "segment")
    assert out["by"] == "segment"
    rows = {(r["segment"], r["diversity"]): r for r in out["diversity"]}
    # y (3 customers) first: c, d, f all in 0-4; x: a in 5-7, b in 8+
    assert [k for k in rows] == [
        ("y", "0-4"),
        ("y", "5-7"),
        ("y", "8+"),
        ("x", "0-4"),
        ("x", "5-7"),
        ("x", "8+"),
    ]
    assert rows[("y", "0-4")]["share"] == approx(1.0)
    assert rows[("y", "8+")]["customers"] == 0 and rows[("y", "8+")]["value_mean"] is None
    assert rows[("x", "5-7")]["share"] == approx(0.5)


def test_csv_prints_both_tables_raw(mini: Path) -> None:
    text = ok("engagement", str(mini), "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["diversity", "customers", "share", "value_mean", "active_rate", "nps_mean"]
    assert rows[1] == ["0-4", "3", "0.6", "20.0", "1.0", "5.0"]
    header = rows.index(
        ["engagement", "customers", "share", "value_mean", "active_rate", "nps_mean"]
    )
    assert rows[header + 1] == ["Low", "2", "0.4", "30.0", "1.0", "7.0"]
    assert rows[header + 3][0:2] == ["High", "1"]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_show_both_tables_formatted(mini: Path, fmt: str) -> None:
    text = ok("engagement", str(mini), "--format", fmt)
    assert "Event diversity" in text and "Engagement levels" in text
    assert "60.0%" in text and "$20" in text and "$300" in text
    assert "Low < 15, Medium 15-30, High > 30" in text.replace("\\", "")


def test_limit_cuts_both_tables(mini: Path) -> None:
    out = as_json("engagement", str(mini), "--limit", "1")
    assert [r["diversity"] for r in out["diversity"]] == ["0-4"]
    assert [r["engagement"] for r in out["engagement_levels"]] == ["Low"]


def test_bad_input_is_one_line(mini: Path, tmp_path: Path) -> None:
    no_events = write_mini(tmp_path / "no-events", events=False)
    assert "needs an events table" in fails("engagement", str(no_events))
    assert "unknown dimension 'colour'" in fails("engagement", str(mini), "--by", "colour")
    assert "--by engagement" in fails("engagement", str(mini), "--by", "engagement")


def test_report_has_both_parts_only_with_events(mini: Path, tmp_path: Path) -> None:
    doc = as_json("report", str(mini))
    assert [r["customers"] for r in doc["event_diversity"]] == [3, 1, 1]
    assert [r["engagement"] for r in doc["engagement_levels"]] == ["Low", "Medium", "High"]
    text = ok("report", str(mini), "--format", "markdown")
    assert text.index("### Event diversity") < text.index("### Engagement levels")
    no_events = write_mini(tmp_path / "no-events", events=False)
    doc = as_json("report", str(no_events))
    assert "event_diversity" not in doc and "engagement_levels" not in doc


# ---------------------------------------------------------------- the pane


async def test_pane_drills_each_table_to_its_customers_and_back(mini: Path) -> None:
    from cxtui.tui.screens.drill import MembersScreen
    from cxtui.tui.screens.main import MainScreen
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("engagement")
        await settle(pilot, app)
        bins = app.screen.query_one("#engagement", DataView)
        assert bins.table.frame["customers"].to_list() == [3, 1, 1]
        assert app.screen.focused is bins
        await pilot.press("enter")  # 0-4
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        # ranked like `top`: d (50), f (10), c (0)
        assert shown_ids(app) == ["d", "f", "c"]
        await pilot.press("c")
        assert "cxtui engagement" in app.screen.command
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)
        # the lower table: `t` moves there; Medium = a, c
        await pilot.press("t")
        levels = app.screen.query_one("#engagement-1", DataView)
        assert app.screen.focused is levels
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert shown_ids(app) == ["a", "c"]
        await pilot.press("c")
        assert command_ids(app.screen.command) == {"a", "c"}
        await pilot.press("escape", "escape")
        assert app.screen.focused is levels and levels.cursor_row == 1


async def test_pane_dimension_key_groups_and_the_command_follows(mini: Path) -> None:
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("engagement")
        await settle(pilot, app)
        await pilot.press("d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        bins = app.screen.query_one("#engagement", DataView)
        assert bins.table.frame["segment"].to_list() == ["y"] * 3 + ["x"] * 3
        await pilot.press("c")
        assert "--by segment" in app.screen.command
        await pilot.press("escape", "down", "down", "down", "down", "enter")  # x · 5-7
        await settle(pilot, app)
        assert shown_ids(app) == ["a"]
