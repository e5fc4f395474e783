"""The TUI driven through Textual's Pilot, on a hand-built dataset whose
numbers are worked out below, and on the bundled demo data against the CLI."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app as cli_app
from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import AccountScreen, MembersScreen
from cxtui.tui.screens.main import MainScreen
from cxtui.tui.screens.modals import CommandScreen, ConfirmScreen, HelpScreen, PickScreen
from cxtui.tui.widgets.data_view import DataView

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Six customers. By segment: SMB 3 (c, d, e), Enterprise 2 (a, b), null 1 (f).
    Churned in the last 12 months: b (Price concerns), d (Price concerns), e (Other)."""
    root = tmp_path_factory.mktemp("tiny")
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["Acme [bold]x[/bold]", "Beta", "Gamma", "Delta", "Eps\x1b[31mred", "Zeta"],
            "segment": ["Enterprise", "Enterprise", "SMB", "SMB", "SMB", None],
            "region": ["EMEA", "EMEA", "APAC", "EMEA", "APAC", "APAC"],
            "signup_date": [date(2023, 1, 1)] * 6,
            "churn_date": [None, date(2025, 3, 1), None, date(2025, 5, 1), date(2024, 9, 1), None],
            "churn_reason": [None, "Price concerns", None, "Price concerns", "Other", None],
        }
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d", "e", "f"],
            "order_date": [
                date(2025, 6, 1),
                date(2025, 1, 5),
                date(2025, 2, 1),
                date(2025, 6, 30),
                date(2025, 4, 1),
                date(2024, 8, 1),
                date(2025, 6, 15),
            ],
            "amount": [900.0, 100.0, 300.0, 50.0, 70.0, 20.0, 10.0],
        }
    ).write_parquet(root / "orders.parquet")
    return root


DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def make_app(data: Path, **kw) -> CxApp:
    return CxApp(data, use_cache=False, **kw)


async def settle(pilot, app: CxApp, timeout: float = 30.0) -> None:
    """Wait until the analysis is open and no query worker is running."""
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


def view(app: CxApp, ident: str) -> DataView:
    return app.screen.query_one(f"#{ident}", DataView)


def column(v: DataView, key: str) -> list:
    return v.table.frame[key].to_list()


async def choose(pilot, app: CxApp, value: str) -> None:
    """Pick `value` in the open PickScreen with the keyboard."""
    screen = app.screen
    assert isinstance(screen, PickScreen)
    from textual.widgets import OptionList

    options = screen.query_one(OptionList)
    target = screen.choices.index(value)
    key = "down" if target > (options.highlighted or 0) else "up"
    while options.highlighted != target:
        await pilot.press(key)
    await pilot.press("enter")


def cli_json(*args: str):
    result = CliRunner().invoke(cli_app, [*args, "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------- hand-built dataset


async def test_segment_drill_to_account_and_back_to_the_same_rows(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        await pilot.press("d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        seg = view(app, "segments")
        # sorted by customers desc, then value; the null segment is its own row
        assert column(seg, "segment") == ["SMB", "Enterprise", None]
        assert column(seg, "customers") == [3, 2, 1]
        await pilot.press("down")  # Enterprise
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        members = view(app, "members")
        # a (revenue 1000) before b (300): the segment's customers, biggest first
        assert column(members, "customer_id") == ["a", "b"]
        assert app.screen.crumbs == ["Segments by segment", "Enterprise"]
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.customer_id == "b"
        assert app.screen.crumbs[-1] == "Beta"
        await pilot.press("escape")
        assert isinstance(app.screen, MembersScreen)
        assert view(app, "members").cursor_row == 1
        await pilot.press("backspace")
        assert isinstance(app.screen, MainScreen)
        assert view(app, "segments").cursor_row == 1


async def test_null_segment_drills_to_its_one_customer(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        await pilot.press("end", "enter")
        await settle(pilot, app)
        assert column(view(app, "members"), "customer_id") == ["f"]


async def test_churn_reason_drills_to_its_churned_accounts(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        churn = view(app, "churn")
        assert column(churn, "reason") == ["Price concerns", "Other"]
        assert column(churn, "churned_customers") == [2, 1]
        await pilot.press("enter")
        await settle(pilot, app)
        # latest churn first
        assert column(view(app, "members"), "customer_id") == ["d", "b"]


async def test_top_pane_ranks_by_revenue_and_opens_the_account(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        top = view(app, "top")
        # revenue in (2024-06-30, 2025-06-30]: a 1000, b 300, d 70, c 50, e 20, f 10
        assert column(top, "customer_id") == ["a", "b", "d", "c", "e", "f"]
        assert column(top, "revenue_12m") == [1000.0, 300.0, 70.0, 50.0, 20.0, 10.0]
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, AccountScreen) and app.screen.customer_id == "a"
        # the account detail shows the literal name, markup and all
        shown = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        assert "Acme [bold]x[/bold]" in shown


async def test_filter_and_sort_on_the_focused_table(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("4", "slash")
        await pilot.press(*"smb", "enter")
        await settle(pilot, app)
        top = view(app, "top")
        assert sorted(column(top, "customer_id")) == ["c", "d", "e"]  # case-insensitive
        # sort by customer_id (column 1): text sorts A→Z first, then Z→A
        await pilot.press("right", "s")
        await settle(pilot, app)
        assert column(view(app, "top"), "customer_id") == ["c", "d", "e"]
        await pilot.press("s")
        await settle(pilot, app)
        assert column(view(app, "top"), "customer_id") == ["e", "d", "c"]
        # an empty filter clears it; the sort stays
        await pilot.press("slash")
        await pilot.press(*["backspace"] * 3, "enter")
        await settle(pilot, app)
        assert column(view(app, "top"), "customer_id") == ["f", "e", "d", "c", "b", "a"]


async def test_export_writes_csv_and_never_overwrites_without_asking(
    tiny: Path, tmp_path: Path
) -> None:
    out = tmp_path / "top.csv"
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("4", "e")
        prompt = app.screen.query_one("Input")
        prompt.value = str(out)
        await pilot.press("enter")
        await settle(pilot, app)
        rows = list(csv.DictReader(out.open()))
        assert [r["customer_id"] for r in rows] == ["a", "b", "d", "c", "e", "f"]
        assert rows[0]["revenue_12m"] == "1000.0"
        before = out.read_bytes()
        await pilot.press("5", "e")
        app.screen.query_one("Input").value = str(out)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot, app)
        assert out.read_bytes() == before
        # an input file is refused outright
        await pilot.press("e")
        app.screen.query_one("Input").value = str(tiny / "orders.parquet")
        await pilot.press("enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert pl.read_parquet(tiny / "orders.parquet").height == 7


async def test_command_key_shows_the_cli_command_that_prints_the_view(tiny: Path) -> None:
    app = make_app(tiny, where="region = 'EMEA'")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        shown = column(view(app, "segments"), "customers")
        await pilot.press("c")
        assert isinstance(app.screen, CommandScreen)
        command = app.screen.command
        assert command.startswith("cxtui segments ") and "--by segment" in command
        import shlex

        args = shlex.split(command)[1:]
        out = cli_json(*args)
        assert [r["customers"] for r in out] == shown == [2, 1]  # a, b | d


async def test_command_on_a_drilled_list_prints_the_same_accounts(tiny: Path) -> None:
    import shlex

    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for pane, expected in (("5", {"b", "d"}), ("3", None)):
            await pilot.press(pane, "enter")  # Price concerns / the biggest segment
            await settle(pilot, app)
            shown = set(column(view(app, "members"), "customer_id"))
            assert expected is None or shown == expected
            await pilot.press("c")
            out = cli_json(*shlex.split(app.screen.command)[1:])
            assert {r["customer_id"] for r in out} == shown
            await pilot.press("escape", "escape")


async def test_command_with_escapes_from_the_data_is_shown_safe_and_not_copied(
    tmp_path: Path,
) -> None:
    from textual.widgets import Static

    hostile = "Seg\x1b]8;;http://evil\x1b\\x\x1b[31m"
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "segment": [hostile, hostile, "Plain"],
            "signup_date": [date(2024, 1, 1)] * 3,
        }
    ).write_parquet(tmp_path / "customers.parquet")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "d")
        await choose(pilot, app, "segment")
        await settle(pilot, app)
        await pilot.press("enter")  # the hostile segment, the biggest
        await settle(pilot, app)
        assert set(column(view(app, "members"), "customer_id")) == {"a", "b"}
        await pilot.press("c")
        assert isinstance(app.screen, CommandScreen)
        shown = str(app.screen.query_one("#command-text", Static).render())
        assert "\x1b" not in shown and "Seg\\x1b]8;;http://evil" in shown
        assert app.clipboard == ""  # never copied with raw escapes in it
        assert "not copied" in str(app.screen.query_one(".dim", Static).render())


async def test_help_lists_the_real_bindings(tiny: Path) -> None:
    app = make_app(tiny)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        described = {d for _, d, _ in app.screen.rows}
        assert {"Quit", "Filter", "Sort", "Export", "Command", "Dimension", "Open"} <= described
        await pilot.press("escape", "enter")
        await settle(pilot, app)
        await pilot.press("question_mark")
        assert "Back" in {d for _, d, _ in app.screen.rows}


async def test_every_key_on_every_screen_keeps_the_app_alive(tiny: Path) -> None:
    keys = [
        "j",
        "k",
        "g",
        "G",
        "h",
        "l",
        "s",
        "s",
        "d",
        "escape",
        "x",
        "escape",
        "c",
        "escape",
        "question_mark",
        "escape",
        "tab",
        "shift+tab",
        "pagedown",
        "pageup",
    ]
    app = make_app(tiny)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for pane in "12345":
            await pilot.press(pane, *keys)
            await settle(pilot, app)
        await pilot.press("4", "enter")
        await settle(pilot, app)
        await pilot.press(*keys)
        await settle(pilot, app)
        # reload (r) re-reads the files and every pane: once, from a drilled list
        # and then from a pane
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("escape", "r")
        await settle(pilot, app)
        assert app.is_running and app.analysis is not None


def test_a_missing_dataset_is_a_one_line_error_before_the_screen_opens(tmp_path) -> None:
    result = CliRunner().invoke(cli_app, ["tui", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "not found" in result.stderr and "Traceback" not in result.output


# ---------------------------------------------------------------- demo data vs CLI


needs_demo = pytest.mark.skipif(not DEMO.is_dir(), reason="data/demo not generated")


@needs_demo
async def test_demo_panes_agree_with_the_cli() -> None:
    app = make_app(DEMO)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        overview = cli_json("overview", str(DEMO))
        panel = app.screen.query_one("OverviewPanel")
        assert panel.data.overview["customers_total"] == overview["customers_total"]
        assert panel.data.overview["mrr"] == pytest.approx(overview["mrr"])
        segments = cli_json("segments", str(DEMO))
        assert column(view(app, "segments"), "customers") == [r["customers"] for r in segments]
        at_risk = cli_json("at-risk", str(DEMO), "-n", "5")
        shown = column(view(app, "at-risk"), "customer_id")[:5]
        assert shown == [r["customer_id"] for r in at_risk]


@needs_demo
async def test_demo_every_segment_drills_to_exactly_its_customers() -> None:
    app = make_app(DEMO)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        seg = view(app, "segments")
        for i, expected in enumerate(column(seg, "customers")):
            await pilot.press("enter")
            await settle(pilot, app)
            assert view(app, "members").row_count == expected
            await pilot.press("escape")
            if i + 1 < len(column(seg, "customers")):
                await pilot.press("down")


@needs_demo
async def test_demo_at_risk_footer_explains_the_highlighted_account() -> None:
    app = make_app(DEMO)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("6", "j")
        await settle(pilot, app)
        at_risk = view(app, "at-risk")
        row = at_risk.current_row()
        assert at_risk.cursor_row == 1 and row["signals"]
        shown = str(app.screen.query_one("#at-risk-footer").render())
        # the signals of the row under the cursor, even where the column is off-screen
        assert row["signals"] in " ".join(shown.split())
