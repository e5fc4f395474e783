"""The flows view (SPEC §10) through the CLI in every format, the --where
clause behind every node, bad input, the report part, and the tree pane:
expand, collapse, expand all, Enter lists exactly a node's customers and Escape
comes back to the same node. Figures from tests/view_fixture.py, path
segment › plan (value = revenue_12m):

  y  3 customers (60%): basic 2 (c 0, d 50) · pro 1 (f 10)
  x  2 customers (40%): pro 2 (a 100, b 300)
With --min-share 0.3, y › pro (20% of all) folds into y › other.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from cxtui.engine import collect, open_analysis
from cxtui.metrics import flows as F
from cxtui.viewdefs import flows as view
from tests.view_fixture import (
    AS_OF,
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

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
SEED_PATH = "portfolio_group,plan,engagement_90d,status,arr_group"


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Path:
    return write_mini(tmp_path_factory.mktemp("mini"))


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def test_json_one_row_per_full_path_worked_by_hand(mini: Path) -> None:
    rows = as_json("flows", str(mini), "--path", "segment,plan")
    assert [(r["segment"], r["plan"], r["customers"]) for r in rows] == [
        ("y", "basic", 2),
        ("y", "pro", 1),
        ("x", "pro", 2),
    ]
    basic, pro, xpro = rows
    assert basic["share_of_parent"] == approx(2 / 3) and basic["share_of_total"] == approx(0.4)
    assert basic["measure_sum"] == approx(50.0) and basic["measure_mean"] == approx(25.0)
    assert pro["measure_sum"] == approx(10.0)
    assert xpro["share_of_parent"] == approx(1.0) and xpro["measure_mean"] == approx(200.0)


def test_min_share_folds_and_measure_arr(mini: Path) -> None:
    rows = as_json(
        "flows", str(mini), "--path", "segment,plan", "--min-share", "0.3", "--measure", "arr"
    )
    # y › pro is 20% of all (< 30%): folded; arr = annual_revenue (no monthly), c has none
    assert [(r["segment"], r["plan"]) for r in rows] == [
        ("y", "basic"),
        ("y", "other"),
        ("x", "pro"),
    ]
    assert [r["measure_sum"] for r in rows] == [500.0, 300.0, 3000.0]
    assert rows[0]["measure_mean"] == approx(500.0) and rows[2]["measure_mean"] == approx(1500.0)


def test_csv_is_the_paths_and_table_the_tree(mini: Path) -> None:
    args = ("flows", str(mini), "--path", "segment,plan", "--min-share", "0.3")
    rows = list(csv.reader(io.StringIO(ok(*args, "--format", "csv"))))
    assert rows[0] == ["segment", "plan", *F.FIGURES]
    assert [r[:3] for r in rows[1:]] == [
        ["y", "basic", "2"],
        ["y", "other", "1"],
        ["x", "pro", "2"],
    ]
    for fmt in ("table", "markdown"):
        text = ok(*args, "--format", fmt)
        # the tree: every node once, indented under its parent, in tree order
        order = [text.index(f" {cell} ") for cell in ("y", "├─ basic", "└─ other", "x", "└─ pro")]
        assert order == sorted(order)
        assert view.share_bar(0.6) in text  # y's bar: 60% of 12 cells
        assert "folded into 'other'" in " ".join(text.split())


def test_share_bar_to_the_eighth() -> None:
    assert view.share_bar(1.0) == "█" * 12
    assert view.share_bar(0.5) == "█" * 6
    assert view.share_bar(0.6) == "█" * 7 + "▎"  # 57.6 eighths → 58 = 7 cells + 2/8
    assert view.share_bar(0.01) == "▏"
    assert view.share_bar(0.0) == "" and view.share_bar(None) == ""


def test_default_path_and_limit(mini: Path) -> None:
    rows = as_json("flows", str(mini))
    assert list(rows[0])[:3] == ["segment", "plan", "status"]
    assert len(as_json("flows", str(mini), "--limit", "2")) == 2


def test_bad_input_is_one_line(mini: Path) -> None:
    assert "'segment' is repeated" in fails("flows", str(mini), "--path", "segment,plan,segment")
    line = fails("flows", str(mini), "--path", "segment,colour")
    assert line.startswith("cxtui: error: flows --path: unknown dimension 'colour'")
    assert "plan" in line  # it names what would work
    for bad in ("1.5", "-0.1", "nan"):
        assert "outside [0, 1]" in fails("flows", str(mini), "--min-share", bad)
    assert "value, arr, mrr, revenue_12m" in fails("flows", str(mini), "--measure", "profit")
    assert "no dimension" in fails("flows", str(mini), "--path", ",")


def test_report_part_is_the_default_tree(mini: Path) -> None:
    doc = as_json("report", str(mini))
    assert [r["node"] for r in doc["flows"]][:2] == ["y", "├─ basic"]
    assert "### Flows segment › plan › status (value)" in ok(
        "report", str(mini), "--format", "markdown"
    )


# ---------------------------------------------------------------- --where behind a node


def _check_every_node(analysis, path: list[str], min_share: float) -> int:
    """Each node's --where clause selects exactly the customers it counts."""
    nodes, _ = view.tree(analysis, path, "value", min_share)
    for node in nodes:
        members = set(
            collect(F.flow_members(analysis.scope, path, node["node_id"], min_share))["customer_id"]
        )
        assert len(members) == node["customers"], node["node_id"]
        clause = dataclasses.replace(analysis, where=node["where"], _rankings={})
        selected = (
            set(collect(clause.scope.universe)["customer_id"])
            if node["where"]
            else set(collect(analysis.scope.universe)["customer_id"])
        )
        assert selected == members, (node["node_id"], node["where"])
    return len(nodes)


@pytest.mark.parametrize("min_share", [0.0, 0.3, 0.5])
def test_where_clause_of_every_node_on_typed_columns(mini: Path, min_share: float) -> None:
    analysis = open_analysis(mini, as_of=AS_OF, use_cache=False)
    # text, boolean (with a null) and integer columns, folded into "other" at 30% and 50%
    assert _check_every_node(analysis, ["segment", "trained", "csm"], min_share) > 3
    assert _check_every_node(analysis, ["plan", "status"], min_share) > 2


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is absent")
@pytest.mark.parametrize("min_share", [0.01, 0.05])
def test_where_clause_of_every_node_on_users_cx(min_share: float) -> None:
    analysis = open_analysis(SHARED, config=EXAMPLES / "users_cx.toml", use_cache=False)
    assert _check_every_node(analysis, SEED_PATH.split(","), min_share) > 20
    assert _check_every_node(analysis, ["is_active", "portfolio_size"], min_share) > 5


# ---------------------------------------------------------------- the pane


def _tree(app):
    from cxtui.tui.widgets.flow_tree import FlowTree

    return app.screen.query_one("#flows", FlowTree)


def _visible(tree) -> list[str]:
    return [tree.get_node_at_line(i).data["node_id"] for i in range(tree.last_line + 1)]


async def test_tree_expands_collapses_and_drills_to_a_node(mini: Path) -> None:
    from cxtui.tui.screens.drill import MembersScreen
    from cxtui.tui.screens.main import MainScreen

    app = make_app(mini)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("flows")
        await settle(pilot, app)
        tree = _tree(app)
        assert app.screen.focused is tree
        # segment › plan › status; the first level open one level down
        assert _visible(tree) == ["1", "1.1", "1.2", "2", "2.1"]
        header = str(app.screen.query_one("#flows-header").render())
        assert "customers" in header and "of parent" in header and "value Σ" in header
        first = str(tree.get_node_at_line(0).label)
        assert first.startswith("y") and "60.0%" in first and "$60" in first
        await pilot.press("down", "down")  # y › pro
        await pilot.press("right")
        assert _visible(tree) == ["1", "1.1", "1.2", "1.2.1", "2", "2.1"]
        await pilot.press("right")  # onto its first child
        assert tree.cursor_node.data["node_id"] == "1.2.1"
        await pilot.press("left", "left")  # to the parent, then closed
        assert tree.cursor_node.data["node_id"] == "1.2"
        await pilot.press("left")
        assert _visible(tree) == ["1", "1.1", "1.2", "2", "2.1"]
        await pilot.press("plus")
        assert len(_visible(tree)) == 9  # 2 + 3 + 4
        await pilot.press("minus")
        assert _visible(tree) == ["1", "2"]
        await pilot.press("plus")
        await pilot.press("home")
        for _ in range(4):
            await pilot.press("down")  # 1, 1.1, 1.1.1, 1.2, 1.2.1 (f, active)
        node = tree.cursor_node.data
        assert node["node_id"] == "1.2.1" and node["crumbs"] == ["y", "pro", "active"]
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        assert shown_ids(app) == ["f"]
        assert app.screen.crumbs == ["Flows", "y › pro › active"]
        await pilot.press("c")
        assert command_ids(app.screen.command) == {"f"}
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, MainScreen)
        assert tree.cursor_node.data["node_id"] == "1.2.1"
        await pilot.press("up", "up", "up", "enter")  # y › basic: c and d
        await settle(pilot, app)
        assert shown_ids(app) == ["d", "c"] and app.screen.crumbs == ["Flows", "y › basic"]


async def test_pane_keys_change_path_measure_and_folding(mini: Path) -> None:
    app = make_app(mini)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("flows")
        await settle(pilot, app)
        await pilot.press("d")
        await choose(pilot, app, "remove status")
        await settle(pilot, app)
        await pilot.press("m")
        await choose(pilot, app, "arr")
        await settle(pilot, app)
        tree = _tree(app)
        assert "(arr)" in str(app.screen.query_one("#flows-title").render())
        assert "$800" in str(tree.get_node_at_line(0).label)  # y: 500 + 300
        await pilot.press("c")
        command = app.screen.command
        assert "--path segment,plan" in command and "--measure arr" in command
        await pilot.press("escape")
        await pilot.press("o")
        await choose(pilot, app, "0.1")
        await settle(pilot, app)
        await pilot.press("c")
        assert "--min-share 0.1" in app.screen.command


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/datasets is absent")
async def test_seed_reports_five_level_path_opens_and_expands(tmp_path: Path) -> None:
    from cxtui.tui.app import CxApp

    app = CxApp(SHARED, config=EXAMPLES / "users_cx.toml", use_cache=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app, timeout=120)
        app.screen.action_pane("flows")
        await settle(pilot, app, timeout=60)
        # the seed report's path, as the `d` key would set it
        app.screen.opts["flows"] = {**app.screen.opts["flows"], "path": SEED_PATH}
        app.screen.load("flows")
        await settle(pilot, app, timeout=60)
        tree = _tree(app)
        nodes = app.screen.pane("flows").output.extras["nodes"]
        assert max(n["depth"] for n in nodes) == 5
        assert app.screen.focused is tree
        await pilot.press("plus")
        assert tree.last_line + 1 == len(nodes)
        # every row fits 80 columns: label, figures and bar
        assert all(len(n["line"]) + (n["depth"] - 1) * view.GUIDE_DEPTH + 2 <= 80 for n in nodes)
