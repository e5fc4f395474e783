"""The revenue view (SPEC §7 MRR movements, revenue per month from orders, §8 new
vs returning buyers) through the CLI in every format, the report, the overview's
new vs returning keys, the bar chart's drawing and the TUI pane, on tiny datasets
whose numbers are worked out by hand below.

as_of is 2025-06-30; `--months 3` is April, May and June 2025.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app
from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import MembersScreen
from cxtui.tui.screens.main import MainScreen
from cxtui.tui.widgets.bars import MovementChart, _stack, chart_lines, compact_money
from cxtui.tui.widgets.data_view import DataView
from cxtui.viewdefs.revenue import group_rows

AS_OF = "2025-06-30"
D = date
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def write(root: Path, **tables: pl.DataFrame) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.write_parquet(root / f"{name}.parquet")
    return root


# A: 100 in March, expands to 150 in April, contracts to 120 in May, has no June
#    row (churned 120 in June).
# B: 40 in 2024-06, nothing until April (a reactivation of 60), 60 in May, 70 in
#    June (expansion 10).
# C: 30 every month (steady). D: new in June at 50.
# X9 is not a customer: new in May at 20, an explicit 0 row in June (churned 20).
MONTHLY = [
    ("A", D(2025, 3, 1), 100.0),
    ("A", D(2025, 4, 1), 150.0),
    ("A", D(2025, 5, 1), 120.0),
    ("B", D(2024, 6, 1), 40.0),
    ("B", D(2025, 4, 1), 60.0),
    ("B", D(2025, 5, 1), 60.0),
    ("B", D(2025, 6, 1), 70.0),
    *(("C", D(2025, m, 1), 30.0) for m in (3, 4, 5, 6)),
    ("D", D(2025, 6, 1), 50.0),
    ("X9", D(2025, 5, 1), 20.0),
    ("X9", D(2025, 6, 1), 0.0),
]
SEGMENT = {"A": "Ent", "B": "SMB", "C": None, "D": "Ent"}
# Orders for new vs returning. 30d = (2025-05-31, 2025-06-30], 12m = (2024-06-30, …].
ORDERS = [
    ("A", D(2024, 3, 1), 100.0),  # A's first order: before both windows
    ("A", D(2025, 6, 20), 50.0),  # A returning in 30d and 12m
    ("B", D(2025, 6, 10), 30.0),  # B's first order: new in 30d and 12m
    ("B", D(2025, 6, 15), -10.0),  # a refund: revenue, not an order
    ("C", D(2024, 5, 1), 25.0),  # C's first order: before 12m
    ("C", D(2025, 2, 1), 35.0),  # C returning in 12m
    ("X9", D(2025, 1, 10), 40.0),  # not a customer, still a buyer: new in 12m
]

# month: start, new, expansion, reactivation, contraction, churned, end,
# counts (new, expanded, reactivated, contracted, churned), quick ratio
EXPECTED = {
    # Apr: start = March's A 100 + C 30; A +50; B back at 60; end 150 + 60 + 30
    "2025-04-01": (130, 0, 50, 60, 0, 0, 240, (0, 1, 1, 0, 0), None),
    # May: A 150 -> 120; X9 new 20; end 120 + 60 + 30 + 20; 20 / 30
    "2025-05-01": (240, 20, 0, 0, 30, 0, 230, (1, 0, 0, 1, 0), 20 / 30),
    # Jun: A and X9 gone (120 + 20), B +10, D new 50; end 70 + 30 + 50; 60 / 140
    "2025-06-01": (230, 50, 10, 0, 0, 140, 150, (1, 1, 0, 0, 2), 60 / 140),
}
AMOUNTS = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "end_mrr",
)
COUNTS = (
    "new_customers",
    "expanded_customers",
    "reactivated_customers",
    "contracted_customers",
    "churned_customers",
)
# The summary: the window's totals and June's quick ratio; new vs returning:
# 30d: new B (30 - 10, one order), returning A (50); 12m: new B and X9 (20 + 40,
# two orders), returning A and C (50 + 35, two orders).
SUMMARY = {
    "first_month": "2025-04-01",
    "last_month": "2025-06-01",
    "quick_ratio": 60 / 140,
    "window_quick_ratio": (70 + 60 + 60) / (30 + 140),
    "start_mrr": 130.0,
    "new_mrr": 70.0,
    "expansion_mrr": 60.0,
    "reactivation_mrr": 60.0,
    "contraction_mrr": 30.0,
    "churned_mrr": 140.0,
    "end_mrr": 150.0,
    "net_new_mrr": 20.0,
    "new_buyers_30d": 1,
    "returning_buyers_30d": 1,
    "new_buyer_revenue_30d": 20.0,
    "returning_buyer_revenue_30d": 50.0,
    "new_buyer_aov_30d": 20.0,
    "returning_buyer_aov_30d": 50.0,
    "new_buyers_12m": 2,
    "returning_buyers_12m": 2,
    "new_buyer_revenue_12m": 60.0,
    "returning_buyer_revenue_12m": 85.0,
    "new_buyer_aov_12m": 30.0,
    "returning_buyer_aov_12m": 42.5,
}


@pytest.fixture(scope="module")
def saas(tmp_path_factory) -> Path:
    ids = list(SEGMENT)
    return write(
        tmp_path_factory.mktemp("saas"),
        customers=pl.DataFrame(
            {
                "customer_id": ids,
                "name": [f"Cust {i}" for i in ids],
                "segment": [SEGMENT[i] for i in ids],
                "signup_date": [D(2024, 1, 1)] * len(ids),
            }
        ),
        monthly=pl.DataFrame(
            MONTHLY,
            schema={"customer_id": pl.String, "month": pl.Date, "mrr": pl.Float64},
            orient="row",
        ),
        orders=pl.DataFrame(
            ORDERS,
            schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
            orient="row",
        ),
    )


# Orders only. a: first order 2024-12; b: first order in May (with a refund);
# c: a zero-amount row in June (a buyer, no order); z is not a customer.
SHOP_ORDERS = [
    ("a", D(2024, 12, 1), 80.0),
    ("a", D(2025, 5, 3), 100.0),
    ("a", D(2025, 6, 5), 50.0),
    ("b", D(2025, 5, 10), 40.0),
    ("b", D(2025, 5, 20), -15.0),
    ("b", D(2025, 6, 1), 60.0),
    ("c", D(2025, 6, 15), 0.0),
    ("z", D(2025, 6, 20), 30.0),
]
# month: revenue, orders, buyers, new, returning, new revenue, returning revenue, aov
SHOP_EXPECTED = {
    "2025-05-01": (125.0, 2, 2, 1, 1, 25.0, 100.0, 62.5),  # b new, a returning
    "2025-06-01": (140.0, 3, 4, 2, 2, 30.0, 110.0, 140 / 3),  # c, z new; a, b returning
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return write(
        tmp_path_factory.mktemp("shop"),
        customers=pl.DataFrame(
            {
                "customer_id": ["a", "b", "c"],
                "name": ["Ann", "Bob", "Cid"],
                "signup_date": [D(2024, 1, 1)] * 3,
            }
        ),
        orders=pl.DataFrame(
            SHOP_ORDERS,
            schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
            orient="row",
        ),
    )


def cli(*args: str):
    return runner.invoke(app, [*args, "--as-of", AS_OF, "--no-cache"])


def cli_json(*args: str):
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_movement_row(row: dict, month: str) -> None:
    start, new, exp, react, contr, churned, end, counts, quick = EXPECTED[month]
    assert row["month"] == month
    got = [row[k] for k in AMOUNTS]
    assert got == pytest.approx([start, new, exp, react, contr, churned, end], rel=1e-12)
    assert row["net_new_mrr"] == pytest.approx(end - start, rel=1e-12)
    assert tuple(row[k] for k in COUNTS) == counts
    assert row["quick_ratio"] == (None if quick is None else pytest.approx(quick, rel=1e-12))


# ---------------------------------------------------------------- the command


def test_json_is_the_month_rows_worked_by_hand(saas: Path) -> None:
    rows = cli_json("revenue", str(saas), "--months", "3")
    assert [r["month"] for r in rows] == list(EXPECTED)
    for row in rows:
        assert_movement_row(row, row["month"])


def test_json_summary_and_new_vs_returning(saas: Path) -> None:
    out = cli_json("revenue", str(saas), "--months", "3", "--summary")
    assert set(out) == {"rows", "summary"}
    assert list(out["summary"]) == list(SUMMARY)
    for key, want in SUMMARY.items():
        got = out["summary"][key]
        assert got == (want if isinstance(want, str | int) else pytest.approx(want)), key


def test_json_by_is_the_spec_groups(saas: Path) -> None:
    out = cli_json("revenue", str(saas), "--months", "3", "--by", "segment")
    assert list(out) == ["by", "groups"] and out["by"] == "segment"
    # values ascending, null last (C and the non-customer X9)
    assert [g["segment"] for g in out["groups"]] == ["Ent", "SMB", None]
    for g in out["groups"]:
        assert list(g) == ["segment", "rows"]
        assert [r["month"] for r in g["rows"]] == list(EXPECTED)
        assert all("segment" not in r for r in g["rows"])
    ent, smb, none = (g["rows"] for g in out["groups"])
    # Ent = A and D: Jun start 120, A churns 120, D new 50
    assert [ent[2][k] for k in AMOUNTS] == [120, 50, 0, 0, 0, 120, 50]
    assert smb[0]["reactivation_mrr"] == 60 and smb[0]["start_mrr"] == 0
    # null: C 30 and X9 (new 20 in May, churned 20 in June)
    assert [r["end_mrr"] for r in none] == [30, 50, 30]
    assert none[2]["churned_customers"] == 1
    # the blocks add up to the overall rows
    overall = cli_json("revenue", str(saas), "--months", "3")
    for i, row in enumerate(overall):
        for key in (*AMOUNTS, *COUNTS):
            assert row[key] == pytest.approx(sum(g["rows"][i][key] for g in out["groups"]))
    with_summary = cli_json("revenue", str(saas), "--months", "3", "--by", "segment", "--summary")
    assert list(with_summary) == ["by", "groups", "summary"]
    assert with_summary["summary"]["end_mrr"] == 150


def test_csv_markdown_and_table(saas: Path) -> None:
    result = cli("revenue", str(saas), "--months", "3", "--format", "csv")
    assert result.exit_code == 0 and "\x1b" not in result.stdout
    summary_block, table = result.stdout.split("\nmonth,", 1)
    metrics = dict(csv.reader(io.StringIO(summary_block)))
    assert metrics["quick_ratio"] == repr(60 / 140) and metrics["new_buyers_12m"] == "2"
    rows = list(csv.DictReader(io.StringIO("month," + table)))
    assert [r["month"] for r in rows] == list(EXPECTED)
    assert [float(rows[2][k]) for k in AMOUNTS] == [230, 50, 10, 0, 0, 140, 150]
    md = cli("revenue", str(saas), "--months", "3", "--format", "markdown").stdout
    assert "| 2025-06-01 |" in md and "| quick_ratio | 0.4 |" in md
    text = runner.invoke(
        app,
        ["revenue", str(saas), "--months", "3", "--as-of", AS_OF, "--no-cache"],
        env={"COLUMNS": "200"},
    ).stdout
    assert "MRR movements 2025-04 → 2025-06 (3 months)" in text
    assert "2025-05-01" in text and "$240" in text and "\x1b" not in text


def test_customers_lists_exactly_a_movements_customers(saas: Path) -> None:
    def ids(*args: str) -> list[str]:
        return [r["customer_id"] for r in cli_json("revenue", str(saas), *args)]

    # June's two churned ids: A and X9, which is not a customer
    assert ids("--customers", "churned", "--month", "2025-06") == ["A"]
    assert ids("--customers", "new") == ["D"]  # the month of as_of by default
    assert ids("--customers", "reactivated_customers", "--month", "2025-04") == ["B"]
    assert ids("--customers", "contraction", "--month", "2025-05") == ["A"]
    rows = cli_json("revenue", str(saas), "--customers", "expansion", "--month", "2025-04")
    assert [
        (r["customer_id"], r["prev_month_mrr"], r["month_mrr"], r["movement_mrr"]) for r in rows
    ] == [("A", 100, 150, 50)]
    assert ids("--customers", "new", "--where", "segment = 'SMB'") == []


def test_orders_only_revenue_per_month(shop: Path) -> None:
    rows = cli_json("revenue", str(shop), "--months", "2")
    keys = (
        "revenue",
        "orders",
        "buyers",
        "new_buyers",
        "returning_buyers",
        "new_buyer_revenue",
        "returning_buyer_revenue",
        "aov",
    )
    assert [r["month"] for r in rows] == list(SHOP_EXPECTED)
    for row in rows:
        assert [row[k] for k in keys] == pytest.approx(list(SHOP_EXPECTED[row["month"]]))
    summary = cli_json("revenue", str(shop), "--months", "2", "--summary")["summary"]
    assert summary["revenue"] == 265 and summary["orders"] == 5 and summary["aov"] == 53
    assert summary["new_buyer_revenue"] == 55 and summary["returning_buyer_revenue"] == 210
    assert "quick_ratio" not in summary

    def ids(*args: str) -> list[str]:
        return [r["customer_id"] for r in cli_json("revenue", str(shop), *args)]

    assert ids("--customers", "new_buyers", "--month", "2025-06") == ["c"]  # z: not a customer
    assert ids("--customers", "buyers", "--month", "2025-06") == ["b", "a", "c"]
    assert ids("--customers", "returning_buyers", "--month", "2025-05") == ["a"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--months", "0"], "--months 0: must be at least 1"),
        (["--month", "2025-06"], "--month picks the month of --customers"),
        (["--customers", "new", "--by", "segment"], "drop --by"),
        (["--customers", "bogus"], "unknown movement 'bogus'"),
        (["--customers", "new", "--month", "June"], "--month 'June': not a month"),
        (["--by", "colour"], "colour"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(saas: Path, args, needle) -> None:
    result = cli("revenue", str(saas), *args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert needle in err and "\n" not in err and "Traceback" not in result.output


def test_neither_monthly_nor_orders_is_one_line(tmp_path: Path) -> None:
    root = write(
        tmp_path / "bare",
        customers=pl.DataFrame({"customer_id": ["a"], "signup_date": [D(2025, 1, 1)]}),
    )
    result = cli("revenue", str(root))
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert "revenue needs a monthly or an orders table" in err and "\n" not in err


# ---------------------------------------------------------------- report and overview


def test_report_has_the_revenue_parts(saas: Path, shop: Path) -> None:
    result = runner.invoke(
        app, ["report", str(saas), "--as-of", AS_OF, "--format", "json", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(doc["revenue"]) == 12 and doc["revenue"][-1]["month"] == "2025-06-01"
    assert_movement_row(doc["revenue"][-1], "2025-06-01")
    assert doc["revenue_summary"]["quick_ratio"] == pytest.approx(60 / 140)
    assert doc["revenue_summary"]["new_buyers_30d"] == 1
    text = runner.invoke(app, ["report", str(shop), "--as-of", AS_OF, "--no-cache"]).stdout
    assert "Revenue per month (12 months)" in text


def test_overview_appends_new_vs_returning(saas: Path) -> None:
    out = cli_json("overview", str(saas))
    keys = list(out)
    assert keys[-12:] == [k for k in SUMMARY if k.endswith(("_30d", "_12m"))]
    assert keys.index("new_buyers_30d") > keys.index("as_of")
    for key in keys[-12:]:
        assert out[key] == pytest.approx(SUMMARY[key]), key


# ---------------------------------------------------------------- the chart


def test_stack_shares_cells_by_largest_remainder() -> None:
    assert _stack([26, 58, 4.6], 58) == [1, 2, 2]  # 2 cells: new and expansion, not the 4.6
    assert _stack([0.0, 0.0], 10) == [0, 0]
    assert _stack([1.0, 0.0], 100) == [1, 1]  # a non-zero stack keeps one cell
    assert compact_money(-131_000, "$") == "−$131k" and compact_money(2.5e6, "€") == "+€2.5M"


def test_chart_draws_gains_up_losses_down_with_distinct_glyphs() -> None:
    months = [D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)]
    series = [
        ("new_mrr", [0.0, 20.0, 50.0]),
        ("expansion_mrr", [50.0, 0.0, 10.0]),
        ("reactivation_mrr", [60.0, 0.0, 0.0]),
        ("contraction_mrr", [-0.0, -30.0, -0.0]),
        ("churned_mrr", [-0.0, -0.0, -140.0]),
    ]
    lines = [t.plain for t in chart_lines(months, series, 60, 5)]
    zero = next(i for i, line in enumerate(lines) if "┼" in line)
    above, below = lines[:zero], lines[zero + 1 : -2]
    assert len(above) + len(below) == 5
    assert "▚" in "".join(below) and "░" in "".join(below)  # churn and contraction below
    assert not any(g in "".join(above) for g in "░▚")
    assert all(g in "".join(above) for g in "█▓▒")  # new, expansion, reactivation above
    assert lines[-2].split() == ["Apr", "May", "Jun"]
    assert lines[-1] == "2025-04 → 2025-06  ▲ █ new ▓ exp ▒ react  ▼ ░ contr ▚ churn"
    wide = chart_lines(months, series, 120, 5)[-1].plain
    assert "▲ █ new ▓ expansion ▒ reactivation  ▼ ░ contraction ▚ churned" in wide
    # June's churn (140) is the biggest bar: it reaches the bottom row
    assert below[-1][lines[-2].index("Jun")] == "▚"
    assert all(len(line) <= 60 for line in lines)
    # narrow: the latest months that fit
    many = [D(2023 + i // 12, i % 12 + 1, 1) for i in range(30)]
    ramp = [("new_mrr", [float(i) for i in range(30)]), ("churned_mrr", [-5.0] * 30)]
    narrow = [t.plain for t in chart_lines(many, ramp, 30, 4)]
    assert all(len(line) <= 30 for line in narrow)
    assert narrow[-2].split()[-1] == "06"  # the latest month, as two digits when narrow


def test_group_rows_keeps_order_and_drops_the_key() -> None:
    rows = [{"s": "a", "v": 1}, {"s": "a", "v": 2}, {"s": None, "v": 3}]
    assert group_rows(rows, "s") == [
        {"s": "a", "rows": [{"v": 1}, {"v": 2}]},
        {"s": None, "rows": [{"v": 3}]},
    ]


# ---------------------------------------------------------------- the pane


def make_app(data: Path) -> CxApp:
    return CxApp(data, use_cache=False, as_of=date.fromisoformat(AS_OF))


async def settle(pilot, app: CxApp, timeout: float = 30.0) -> None:
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


def table(app: CxApp, ident: str) -> DataView:
    return app.screen.query_one(f"#{ident}", DataView)


def command_ids(command: str) -> list[str]:
    """Run the `cxtui …` command a drill-down shows and return its customer ids."""
    args = shlex.split(command)
    assert args[:2] == ["cxtui", "revenue"]
    result = runner.invoke(app, [*args[1:], "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return [r["customer_id"] for r in json.loads(result.stdout)]


async def drill_cell(pilot, app: CxApp, view: DataView, row: int, key: str) -> None:
    view.focus()
    view.cursor_row = row
    view.cursor_col = [s.key for s in view.specs].index(key)
    await pilot.press("enter")
    await settle(pilot, app)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_pane_shows_chart_and_drills_to_a_movements_customers(saas: Path, size) -> None:
    app = make_app(saas)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        screen = app.screen
        screen.opts["revenue"] = {**screen.opts["revenue"], "months": 3}
        screen.action_pane("revenue")
        screen.load("revenue")
        await settle(pilot, app)
        headline = str(screen.query_one("#revenue-headline").render())
        assert "Quick ratio 0.4 (2025-06)" in headline and "Buyers 30d: 1 new" in headline
        chart = screen.query_one(MovementChart).render().plain
        assert "┼" in chart and "▚" in chart and "Apr" in chart
        main = table(app, "revenue")
        assert [str(m) for m in main.table.frame["month"]] == list(EXPECTED)
        await drill_cell(pilot, app, main, 2, "churned_customers")
        assert isinstance(app.screen, MembersScreen)
        assert table(app, "members").table.frame["customer_id"].to_list() == ["A"]
        assert command_ids(app.screen.cli_command()) == ["A"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert (main.cursor_row, main.current_column().key) == (2, "churned_customers")
        await drill_cell(pilot, app, main, 0, "reactivation_mrr")  # an amount: its customers
        assert table(app, "members").table.frame["customer_id"].to_list() == ["B"]
        await pilot.press("escape")
        await drill_cell(pilot, app, main, 0, "start_mrr")  # not a movement: nothing opens
        assert isinstance(app.screen, MainScreen)


async def test_pane_by_dimension_drills_within_the_block(saas: Path) -> None:
    app = make_app(saas)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        screen.opts["revenue"] = {**screen.opts["revenue"], "months": 3, "by": "segment"}
        screen.action_pane("revenue")
        screen.load("revenue")
        await settle(pilot, app)
        main = table(app, "revenue")
        assert main.table.frame["segment"].to_list() == ["Ent"] * 3 + ["SMB"] * 3 + [None] * 3
        await drill_cell(pilot, app, main, 2, "new_customers")  # Ent, June: D
        assert table(app, "members").table.frame["customer_id"].to_list() == ["D"]
        assert "segment = 'Ent'" in shlex.split(app.screen.cli_command())
        assert command_ids(app.screen.cli_command()) == ["D"]
        await pilot.press("escape")
        await drill_cell(pilot, app, main, 8, "churned_customers")  # null group: X9 only
        assert table(app, "members").table.frame["customer_id"].to_list() == []
