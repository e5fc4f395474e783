"""The cohorts view (SPEC §7) through the CLI in every format, the report, the
heatmap's shading and the TUI pane, on a tiny dataset whose cells are worked out
by hand below.

as_of is 2025-06-30; `--months 3` gives the cohorts of April, May and June 2025.
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
from cxtui.tui.widgets.data_view import DataView
from cxtui.tui.widgets.heatmap import GLYPHS, HeatmapView, legend_text, level, value_range

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


# (id, signup, churn_date, segment); mrr by month (Apr, May, Jun)
PEOPLE = [
    ("p1", D(2025, 4, 5), None, "Ent"),  # April cohort, stays
    ("p2", D(2025, 4, 20), D(2025, 5, 15), "SMB"),  # April cohort, churns in May
    ("p3", D(2025, 4, 28), D(2025, 6, 30), "SMB"),  # churns on as_of: gone at as_of
    ("p4", D(2025, 5, 2), None, "Ent"),  # May cohort
    ("p5", D(2025, 6, 10), None, None),  # June cohort
    ("p6", D(2025, 3, 15), None, "SMB"),  # March: before the 3 months
    ("p7", D(2025, 7, 3), None, "Ent"),  # starts after as_of: no cohort
]
MRR = {
    "p1": (100.0, 100.0, 120.0),
    "p2": (50.0, None, None),
    "p3": (30.0, 30.0, 30.0),
    "p4": (None, 40.0, 20.0),
    "p5": (None, None, 10.0),
    "p6": (70.0, 70.0, 70.0),
}
# logo: April (3) is measured at 04-30 (all 3), 05-31 (p2 gone), as_of (p3 gone);
# May (1) at 05-31 and as_of; June (1) at as_of
LOGO = [
    ("2025-04", 3, [1.0, 2 / 3, 1 / 3]),
    ("2025-05", 1, [1.0, 1.0, None]),
    ("2025-06", 1, [1.0, None, None]),
]
# revenue: Σ mrr in the measure month ÷ Σ of each member's first mrr
# April: first 100 + 50 + 30 = 180; Apr 180, May 100 + 30, Jun 120 + 30
REVENUE = [
    ("2025-04", 3, [1.0, 130 / 180, 150 / 180]),
    ("2025-05", 1, [1.0, 20 / 40, None]),
    ("2025-06", 1, [1.0, None, None]),
]


@pytest.fixture(scope="module")
def saas(tmp_path_factory) -> Path:
    months = [D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)]
    rows = [
        (cid, m, v)
        for cid, values in MRR.items()
        for m, v in zip(months, values, strict=True)
        if v is not None
    ]
    return write(
        tmp_path_factory.mktemp("cohorts"),
        customers=pl.DataFrame(
            {
                "customer_id": [p[0] for p in PEOPLE],
                "name": [f"Person {p[0]}" for p in PEOPLE],
                "signup_date": [p[1] for p in PEOPLE],
                "churn_date": [p[2] for p in PEOPLE],
                "segment": [p[3] for p in PEOPLE],
            }
        ),
        monthly=pl.DataFrame(
            rows,
            schema={"customer_id": pl.String, "month": pl.Date, "mrr": pl.Float64},
            orient="row",
        ),
    )


def cli(*args: str):
    return runner.invoke(app, [*args, "--as-of", AS_OF, "--no-cache"])


def cli_json(*args: str):
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_rows(rows: list[dict], want: list[tuple]) -> None:
    assert [(r["cohort"], r["customers"]) for r in rows] == [(c, n) for c, n, _ in want]
    for row, (_, _, cells) in zip(rows, want, strict=True):
        assert list(row) == ["cohort", "customers", "p0", "p1", "p2"]
        got = [row[f"p{a}"] for a in range(3)]
        assert got == [None if v is None else pytest.approx(v, rel=1e-12) for v in cells]


# ---------------------------------------------------------------- the command


def test_logo_and_revenue_json_worked_by_hand(saas: Path) -> None:
    assert_rows(cli_json("cohorts", str(saas), "--months", "3"), LOGO)
    assert_rows(cli_json("cohorts", str(saas), "--months", "3", "--metric", "revenue"), REVENUE)


def test_quarter_cohort(saas: Path) -> None:
    # the last 3 months are 2025-Q2: p1..p5, measured at as_of: p1, p4, p5 active
    rows = cli_json("cohorts", str(saas), "--months", "3", "--period", "quarter")
    assert rows == [{"cohort": "2025-Q2", "customers": 5, "p0": 0.6}]


def test_by_is_the_spec_groups(saas: Path) -> None:
    out = cli_json("cohorts", str(saas), "--months", "3", "--by", "segment")
    assert list(out) == ["by", "groups"] and out["by"] == "segment"
    assert [g["segment"] for g in out["groups"]] == ["Ent", "SMB", None]
    ent, smb, none = (g["rows"] for g in out["groups"])
    assert all("segment" not in r for g in out["groups"] for r in g["rows"])
    assert [(r["cohort"], r["customers"], r["p0"]) for r in ent] == [
        ("2025-04", 1, 1.0),  # p1
        ("2025-05", 1, 1.0),  # p4
        ("2025-06", 0, None),  # nobody
    ]
    assert [smb[0][f"p{a}"] for a in range(3)] == [1.0, 0.5, 0.0]  # p2, p3
    assert none[2]["customers"] == 1 and none[2]["p0"] == 1.0  # p5


def test_csv_markdown_and_table(saas: Path) -> None:
    result = cli("cohorts", str(saas), "--months", "3", "--format", "csv")
    assert result.exit_code == 0 and "\x1b" not in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["cohort"] for r in rows] == ["2025-04", "2025-05", "2025-06"]
    assert float(rows[0]["p1"]) == pytest.approx(2 / 3) and rows[2]["p1"] == ""
    md = cli("cohorts", str(saas), "--months", "3", "--format", "markdown").stdout
    assert "| 2025-04 | 3 | 100.0% | 66.7% | 33.3% |" in md
    text = runner.invoke(
        app,
        ["cohorts", str(saas), "--months", "3", "--as-of", AS_OF, "--no-cache"],
        env={"COLUMNS": "160"},
    ).stdout
    assert "Logo retention by month cohort" in text and "66.7%" in text


def test_cohort_members_lists_exactly_the_retained(saas: Path) -> None:
    def ids(*args: str) -> list[str]:
        return [r["customer_id"] for r in cli_json("cohorts", str(saas), *args)]

    assert ids("--cohort", "2025-04") == ["p1", "p2", "p3"]
    assert ids("--cohort", "2025-04", "--age", "0") == ["p1", "p2", "p3"]
    assert ids("--cohort", "2025-04", "--age", "1") == ["p1", "p3"]
    assert ids("--cohort", "2025-04", "--age", "2") == ["p1"]
    assert ids("--cohort", "2025-05", "--age", "2") == []  # a null cell lists nobody
    assert ids("--cohort", "2025-04", "--age", "2", "--metric", "revenue") == ["p1", "p3"]
    assert ids("--cohort", "2025-Q2", "--period", "quarter", "--age", "0") == ["p1", "p4", "p5"]
    assert ids("--cohort", "2025-04", "--where", "segment = 'SMB'") == ["p2", "p3"]
    rows = cli_json(
        "cohorts", str(saas), "--cohort", "2025-05", "--age", "1", "--metric", "revenue"
    )
    assert [(r["customer_id"], r["period_mrr"]) for r in rows] == [("p4", 20.0)]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--months", "0"], "--months 0: must be at least 1"),
        (["--metric", "churn"], "--metric 'churn': unknown"),
        (["--period", "week"], "--period 'week': unknown"),
        (["--age", "1"], "--age picks an age of --cohort"),
        (["--cohort", "2025-04", "--by", "segment"], "drop --by"),
        (["--cohort", "April"], "cohort 'April': not a month cohort"),
        (["--cohort", "2025-04", "--age", "-1"], "--age -1: must be 0 or more"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(saas: Path, args, needle) -> None:
    result = cli("cohorts", str(saas), *args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert needle in err and "\n" not in err and "Traceback" not in result.output


@pytest.mark.parametrize("signups", [None, "nulls"])
def test_no_start_dates_is_one_line(tmp_path: Path, signups) -> None:
    # a customers table without signup_date (or with every one null) and no
    # orders, monthly or events: no customer has a start
    cols: dict = {"customer_id": ["a", "b"], "segment": ["x", "y"]}
    if signups:
        cols["signup_date"] = pl.Series([None, None], dtype=pl.Date)
    root = write(tmp_path / "nostart", customers=pl.DataFrame(cols))
    result = runner.invoke(app, ["cohorts", str(root), "--as-of", AS_OF, "--no-cache"])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "cohorts need start dates" in err and "signup_date" in err and "\n" not in err


def test_report_has_the_cohorts_part(saas: Path) -> None:
    result = runner.invoke(
        app, ["report", str(saas), "--as-of", AS_OF, "--format", "json", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["cohorts"]
    assert len(rows) == 12 and rows[-3]["cohort"] == "2025-04"
    assert rows[-3]["p1"] == pytest.approx(2 / 3) and rows[-4]["cohort"] == "2025-03"


# ---------------------------------------------------------------- the shading


def test_shade_levels_and_legend() -> None:
    frame = pl.DataFrame({"cohort": ["a", "b"], "p0": [1.0, 0.5], "p1": [0.6, None]})
    scale = value_range(frame)
    assert scale == (0.5, 1.0)
    assert [level(v, scale) for v in (0.5, 0.62, 0.74, 0.76, 0.99, 1.0)] == [0, 0, 1, 2, 3, 3]
    assert level(0.7, (0.7, 0.7)) == 3 and value_range(frame.select("cohort")) is None
    text = legend_text(scale, "Logo retention by month", "keys").plain
    assert "░  <62.5%" in text and "▒  <75.0%" in text and "█  ≥87.5%" in text
    assert text.endswith("\nkeys")


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
    args = shlex.split(command)
    assert args[:2] == ["cxtui", "cohorts"]
    result = runner.invoke(app, [*args[1:], "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return [r["customer_id"] for r in json.loads(result.stdout)]


async def drill_cell(pilot, app: CxApp, view: DataView, row: int, key: str) -> list[str]:
    view.focus()
    view.cursor_row = row
    view.cursor_col = [s.key for s in view.specs].index(key)
    await pilot.press("enter")
    await settle(pilot, app)
    if not isinstance(app.screen, MembersScreen):
        return []
    return table(app, "members").table.frame["customer_id"].to_list()


async def open_cohorts(pilot, app: CxApp, **opts) -> HeatmapView:
    await settle(pilot, app)
    screen = app.screen
    screen.opts["cohorts"] = {**screen.opts["cohorts"], "months": 3, **opts}
    screen.action_pane("cohorts")
    screen.load("cohorts")
    await settle(pilot, app)
    grid = screen.query_one("#cohorts", HeatmapView)
    assert grid.table is not None
    return grid


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_heatmap_shades_cells_and_drills_to_the_retained(saas: Path, size) -> None:
    app = make_app(saas)
    async with app.run_test(size=size) as pilot:
        grid = await open_cohorts(pilot, app)
        assert grid.table.frame["cohort"].to_list() == ["2025-04", "2025-05", "2025-06"]
        assert grid.scale == (pytest.approx(1 / 3), 1.0)
        # the drawn cells carry their glyph: April p0 is the top of the scale,
        # April p2 (1/3) the bottom
        first = grid.render_line(1).text
        assert f"{GLYPHS[3]} 100.0%" in first and f"{GLYPHS[0]} 33.3%" in first
        legend = str(app.screen.query_one("#cohorts-legend").render())
        assert "Logo retention by month" in legend and "░" in legend
        assert await drill_cell(pilot, app, grid, 0, "p1") == ["p1", "p3"]
        assert command_ids(app.screen.cli_command()) == ["p1", "p3"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert (grid.cursor_row, grid.current_column().key) == (0, "p1")
        assert await drill_cell(pilot, app, grid, 0, "customers") == ["p1", "p2", "p3"]
        await pilot.press("escape")
        assert await drill_cell(pilot, app, grid, 1, "p2") == []  # a null cell opens nothing
        assert isinstance(app.screen, MainScreen)


async def test_metric_and_period_keys_switch_the_table(saas: Path) -> None:
    app = make_app(saas)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_cohorts(pilot, app)
        grid.focus()
        await pilot.press("m")  # one key toggles logo -> revenue
        await settle(pilot, app)
        assert app.screen.opts["cohorts"]["metric"] == "revenue"
        assert grid.table.frame["p1"].to_list()[:2] == [pytest.approx(130 / 180), 0.5]
        assert await drill_cell(pilot, app, grid, 0, "p2") == ["p1", "p3"]  # mrr > 0 in June
        assert "--metric revenue" in app.screen.cli_command()
        await pilot.press("escape")
        await pilot.press("i")  # month -> quarter
        await settle(pilot, app)
        assert app.screen.opts["cohorts"]["period"] == "quarter"
        assert grid.table.frame["cohort"].to_list() == ["2025-Q2"]
        await pilot.press("m")
        await settle(pilot, app)
        assert grid.table.frame["p0"].to_list() == [0.6]
        assert await drill_cell(pilot, app, grid, 0, "p0") == ["p1", "p4", "p5"]
        assert command_ids(app.screen.cli_command()) == ["p1", "p4", "p5"]


async def test_heatmap_by_dimension_drills_within_the_block(saas: Path) -> None:
    app = make_app(saas)
    async with app.run_test(size=(120, 40)) as pilot:
        grid = await open_cohorts(pilot, app, by="segment")
        assert grid.table.frame["segment"].to_list() == ["Ent"] * 3 + ["SMB"] * 3 + [None] * 3
        assert await drill_cell(pilot, app, grid, 3, "p1") == ["p3"]  # SMB April, age 1
        assert command_ids(app.screen.cli_command()) == ["p3"]
