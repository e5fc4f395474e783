"""The lift view (SPEC §10) through the CLI in every format, with the
association caveat in each, the report part, bad input, and the pane: each side
drills to exactly its customers. Figures from tests/view_fixture.py:

event training_attended: with = a, b, f (f's event is 200 days old: any time up
to as_of counts), without = c, d.
  value      with (100 + 300 + 10) / 3 = 136.67, median 100; without (0 + 50) / 2 = 25
  active     with 2/3 (b churned); without 1
  nps_mean   with (9 + 10) / 2 (f has no score); without (3 + 7) / 2 = 5
  opportunity = 2 × (410/3 − 25) = 670/3
flag trained: with = a, c; without = b, f and d (a null flag is not true):
  value with 50, without 120; opportunity = 3 × (50 − 120) = −210
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cxtui.metrics.lift import LIFT_CAVEAT
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


def test_json_default_event_worked_by_hand(mini: Path) -> None:
    out = as_json("lift", str(mini))
    assert out["subject"] == "event training_attended" and out["kind"] == "event"
    assert (out["customers_with"], out["customers_without"]) == (3, 2)
    assert out["value_mean_with"] == approx(410 / 3) and out["value_mean_without"] == approx(25.0)
    assert out["opportunity"] == approx(670 / 3)
    assert out["value_source"] == "revenue_12m" and out["nps_source"] == "feedback_score"
    assert out["caveat"] == LIFT_CAVEAT
    with_, without = out["sides"]
    assert with_["side"] == "with" and without["side"] == "without"
    assert with_["customers"] == 3 and with_["share"] == approx(0.6)
    assert with_["value_median"] == approx(100.0) and without["value_median"] == approx(25.0)
    assert with_["active_rate"] == approx(2 / 3) and without["active_rate"] == approx(1.0)
    assert with_["nps_mean"] == approx(9.5) and without["nps_mean"] == approx(5.0)
    measures = {m["measure"]: m for m in out["measures"]}
    assert list(measures) == [
        "customers",
        "share",
        "value_mean",
        "value_median",
        "active_rate",
        "nps_mean",
    ]
    assert measures["value_mean"]["lift_abs"] == approx(410 / 3 - 25)
    assert measures["value_mean"]["lift_pct"] == approx((410 / 3 - 25) / 25)
    assert measures["active_rate"]["lift_abs"] == approx(-1 / 3)
    assert measures["nps_mean"]["lift_pct"] == approx(0.9)


@pytest.mark.parametrize("flag", ["trained", "csm"])
def test_flag_boolean_or_zero_one(mini: Path, flag: str) -> None:
    out = as_json("lift", str(mini), "--flag", flag)
    assert out["subject"] == f"flag {flag}"
    # trained: a, c true (d null counts as without); csm: a, c are 1
    assert (out["customers_with"], out["customers_without"]) == (2, 3)
    assert out["value_mean_with"] == approx(50.0) and out["value_mean_without"] == approx(120.0)
    assert out["opportunity"] == approx(-210.0)


def test_csv_has_raw_numbers_and_the_caveat_as_last_row(mini: Path) -> None:
    rows = list(csv.reader(io.StringIO(ok("lift", str(mini), "--format", "csv"))))
    assert rows[0] == ["metric", "value"]
    summary = dict(r for r in rows[1:9])
    assert float(summary["opportunity"]) == approx(670 / 3)
    sides = rows.index(
        ["side", "customers", "share", "value_mean", "value_median", "active_rate", "nps_mean"]
    )
    assert rows[sides + 1][:3] == ["with", "3", "0.6"]
    header = rows.index(["measure", "with", "without", "lift_abs", "lift_pct"])
    assert rows[header + 3][0] == "value_mean"
    assert float(rows[header + 3][3]) == approx(410 / 3 - 25)
    assert rows[-2:] == [["note"], [LIFT_CAVEAT]]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_label_the_opportunity_an_association(mini: Path, fmt: str) -> None:
    text = ok("lift", str(mini), "--format", fmt)
    flat = " ".join(text.split())
    assert "an association, not a proven effect" in flat
    assert " ".join(LIFT_CAVEAT.split()) in flat
    assert "$223" in text  # opportunity
    # each measure in its own unit: the active rate differs by 33.3 percentage points
    assert "-33.3 pp" in text and "+$112" in text and "446.7%" in text


def test_bad_input_is_one_line(mini: Path, tmp_path: Path) -> None:
    line = fails("lift", str(mini), "--event", "webinar")
    # names event types that do occur
    assert "no event of that type" in line and "training_attended" in line and "t1" in line
    assert "not a customer column" in fails("lift", str(mini), "--flag", "colour")
    assert "not boolean" in fails("lift", str(mini), "--flag", "segment")
    assert "not both" in fails("lift", str(mini), "--event", "t1", "--flag", "trained")
    no_events = write_mini(tmp_path / "no-events", events=False)
    assert "events table" in fails("lift", str(no_events))


def test_report_part_only_when_the_default_event_occurs(mini: Path, tmp_path: Path) -> None:
    doc = as_json("report", str(mini))
    assert [r["customers"] for r in doc["lift"]] == [3, 2]
    assert doc["lift_summary"]["opportunity"] == approx(670 / 3)
    assert doc["lift_summary"]["caveat"] == LIFT_CAVEAT
    text = " ".join(ok("report", str(mini), "--format", "markdown").split())
    assert "Opportunity $223" in text and "Association, not a proven effect" in text
    no_events = write_mini(tmp_path / "no-events", events=False)
    assert "lift" not in as_json("report", str(no_events))


# ---------------------------------------------------------------- the pane


async def test_pane_sides_drill_to_their_customers(mini: Path) -> None:
    from cxtui.tui.screens.main import MainScreen
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("lift")
        await settle(pilot, app)
        sides = app.screen.query_one("#lift", DataView)
        assert sides.table.frame["customers"].to_list() == [3, 2]
        footer = str(app.screen.query_one("#lift-footer").render())
        assert "opportunity $223" in footer and "Association, not a proven effect" in footer
        await pilot.press("enter")
        await settle(pilot, app)
        assert shown_ids(app) == ["b", "a", "f"]  # by revenue_12m: 300, 100, 10
        await pilot.press("escape", "down", "enter")
        await settle(pilot, app)
        assert shown_ids(app) == ["d", "c"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen) and sides.cursor_row == 1
        # the lower table (per measure) does not drill
        await pilot.press("t", "enter")
        assert isinstance(app.screen, MainScreen)


async def test_pane_picks_a_flag_and_its_sides_print_through_top(mini: Path) -> None:
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("lift")
        await settle(pilot, app)
        await pilot.press("v")
        await choose(pilot, app, "flag: trained")
        await settle(pilot, app)
        sides = app.screen.query_one("#lift", DataView)
        assert sides.table.frame["customers"].to_list() == [2, 3]
        await pilot.press("c")
        assert "--flag trained" in app.screen.command
        await pilot.press("escape", "down", "enter")
        await settle(pilot, app)
        assert set(shown_ids(app)) == {"b", "d", "f"}
        await pilot.press("c")
        assert command_ids(app.screen.command) == {"b", "d", "f"}
