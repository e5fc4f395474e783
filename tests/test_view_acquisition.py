"""The acquisition view (SPEC §8) through the CLI in every format, the report and
the TUI pane, on a tiny subscription dataset whose numbers are worked out by hand.

as_of 2025-06-30, --months 3: the window is Apr–Jun 2025 (start ≥ 2025-04-01).
Monthly subscriber churn runs over M = Jul 2024 … Jun 2025 (M − 1 = Jun 2024 … May 2025).

  id  channel  signup      mrr                                   new?  active now
  a   ads      2025-04-10  100 Apr, May, Jun 2025                yes   yes
  b   ads      2025-05-05   50 May 2025 (churns 2025-06-01)      yes   no
  e   ads      2025-03-31  200 Mar … Jun 2025                    no    yes
  c   seo      2025-06-01   80 Jun 2025                          yes   yes
  d   seo      2024-01-01   40 Jun 2024 … Jun 2025               no    yes

spend: ads Mar 1000 (outside), Apr 300, May 300, Jun 0; seo Jun 90; no channel Jun 10.

ads: new a, b = 2 (share 2/3), spend 600, cac 300. LTV over a, b, e: ARPA =
(100 + 200) ÷ 2 paying = 150; exposed months (mrr_{M−1} > 0): a Apr, May; b May;
e Mar, Apr, May = 6, churned 1 (b: May → Jun) → churn 1/6, LTV 900, LTV:CAC 3.
active_rate_now 1/2.
seo: new c = 1 (share 1/3), spend 90, cac 90. ARPA (80 + 40) ÷ 2 = 60; exposed:
d's 12 months, churned 0 → churn 0 → LTV null, LTV:CAC null. active_rate_now 1.
All: new 3, spend 700 (the row without a channel too), cac 700/3; LTV over the 5:
ARPA 420 ÷ 4 = 105, churn 1/18 → 1890; LTV:CAC 1890 × 3 ÷ 700 = 8.1; active 2/3.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app
from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import MembersScreen
from cxtui.tui.widgets.data_view import DataView

AS_OF = "2025-06-30"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def months(first: date, count: int) -> list[date]:
    out, y, m = [], first.year, first.month
    for _ in range(count):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MRR = {
    "a": (date(2025, 4, 1), 3, 100.0),
    "b": (date(2025, 5, 1), 1, 50.0),
    "e": (date(2025, 3, 1), 4, 200.0),
    "c": (date(2025, 6, 1), 1, 80.0),
    "d": (date(2024, 6, 1), 13, 40.0),
}


def write_saas(root: Path, spend_channel: bool = True, channel: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    customers = {
        "customer_id": ["a", "b", "e", "c", "d"],
        "name": ["Acme", "Beta", "Echo", "Gamma", "Delta"],
        "segment": ["x", "x", "y", "y", "x"],
        "signup_date": [
            date(2025, 4, 10),
            date(2025, 5, 5),
            date(2025, 3, 31),
            date(2025, 6, 1),
            date(2024, 1, 1),
        ],
    }
    if channel:
        customers["channel"] = ["ads", "ads", "ads", "seo", "seo"]
    pl.DataFrame(customers).write_parquet(root / "customers.parquet")
    rows = [(cid, m, v) for cid, (first, n, v) in MRR.items() for m in months(first, n)]
    pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "month": [r[1] for r in rows],
            "mrr": [r[2] for r in rows],
        }
    ).write_parquet(root / "monthly.parquet")
    spend = {
        # May's row is dated mid-month: a spend month is its month's first day
        "month": [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 15), *[date(2025, 6, 1)] * 3],
        "amount": [1000.0, 300.0, 300.0, 0.0, 90.0, 10.0],
    }
    if spend_channel:
        spend["channel"] = ["ads", "ads", "ads", "ads", "seo", None]
    pl.DataFrame(spend).write_parquet(root / "spend.parquet")
    return root


@pytest.fixture(scope="module")
def saas(tmp_path_factory) -> Path:
    return write_saas(tmp_path_factory.mktemp("saas"))


TOTAL = {
    "new_customers": 3,
    "share": 1.0,
    "spend": 700.0,
    "cac": 700.0 / 3,
    "ltv": 1890.0,
    "ltv_to_cac": 8.1,
    "active_rate_now": 2 / 3,
    "revenue_12m": None,  # no orders
}
ROWS = [
    {
        "channel": "ads",
        "new_customers": 2,
        "share": 2 / 3,
        "spend": 600.0,
        "cac": 300.0,
        "ltv": 900.0,
        "ltv_to_cac": 3.0,
        "active_rate_now": 0.5,
        "revenue_12m": None,
    },
    {
        "channel": "seo",
        "new_customers": 1,
        "share": 1 / 3,
        "spend": 90.0,
        "cac": 90.0,
        "ltv": None,
        "ltv_to_cac": None,
        "active_rate_now": 1.0,
        "revenue_12m": None,
    },
]


def close(got, want) -> None:
    if isinstance(want, dict):
        assert set(got) == set(want)
        for k in want:
            close(got[k], want[k])
    elif isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            close(g, w)
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-12), (got, want)
    else:
        assert got == want


def cli(*args: str):
    return runner.invoke(app, [*args, "--no-cache"])


def cli_json(*args: str):
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------- the command


def test_json_has_the_window_the_total_and_the_rows(saas: Path) -> None:
    doc = cli_json("acquisition", str(saas), "--as-of", AS_OF)
    assert doc["months"] == 3 and doc["by"] == "channel" and doc["ltv_method"] == "contractual"
    assert (doc["first_month"], doc["last_month"]) == ("2025-04-01", "2025-06-01")
    close(doc["total"], TOTAL)
    close(doc["rows"], ROWS)


def test_csv_prints_the_total_block_then_the_rows(saas: Path) -> None:
    result = cli("acquisition", str(saas), "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == ["metric,value", "new_customers,3", "share,1.0", "spend,700.0"]
    assert "cac,233.33333333333334" in lines and "ltv,1890.0" in lines
    header = lines.index(
        "channel,new_customers,share,spend,cac,ltv,ltv_to_cac,active_rate_now,revenue_12m"
    )
    assert lines[header + 1].startswith("ads,2,0.666666")
    assert lines[header + 1].endswith(",600.0,300.0,900.0,3.0,0.5,")
    assert lines[header + 2].startswith("seo,1,0.333333")
    assert lines[header + 2].endswith(",90.0,90.0,,,1.0,")


def test_table_and_markdown_show_the_formatted_figures(saas: Path) -> None:
    table = cli("acquisition", str(saas), "--as-of", AS_OF, "--format", "table")
    assert table.exit_code == 0, table.output
    text = table.stdout
    assert "2025-04 → 2025-06 (3 months)" in text
    assert "$1,890" in text and "$233" in text and "$900" in text and "66.7%" in text
    assert "LTV = ARPA ÷ monthly subscriber churn" in text
    md = cli("acquisition", str(saas), "--as-of", AS_OF, "--format", "markdown").stdout
    assert "| ads | 2 | 66.7% | $600 | $300 | $900 | 3.0 | 50.0% | — |" in md
    assert "| seo | 1 | 33.3% | $90 | $90 | — | — | 100.0% | — |" in md
    assert "| cac | $233 |" in md


def test_months_and_by_change_the_window_and_the_rows(saas: Path) -> None:
    # --months 1: June only: c (seo) is the only new customer; ads spent 0 → cac 0
    doc = cli_json("acquisition", str(saas), "--as-of", AS_OF, "--months", "1")
    rows = {r["channel"]: r for r in doc["rows"]}
    assert rows["seo"]["new_customers"] == 1 and rows["ads"]["new_customers"] == 0
    assert rows["ads"]["spend"] == 0.0 and rows["ads"]["cac"] is None  # 0 ÷ 0 new
    assert doc["total"]["spend"] == 100.0  # 0 + 90 + 10
    # by segment: a, b are x; c is y; spend is by channel only
    doc = cli_json("acquisition", str(saas), "--as-of", AS_OF, "--by", "segment")
    assert [(r["segment"], r["new_customers"], r["spend"]) for r in doc["rows"]] == [
        ("x", 2, None),
        ("y", 1, None),
    ]


@pytest.mark.parametrize(
    ("args", "writer", "words"),
    [
        ((), {"spend_channel": False}, "spend"),
        ((), {"channel": False}, "channel"),
        (("--by", "nosuch"), {}, "nosuch"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args, writer, words) -> None:
    root = write_saas(tmp_path / "d", **writer)
    result = cli("acquisition", str(root), "--as-of", AS_OF, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and "fix:" in lines[0], lines
    assert "Traceback" not in result.output


def test_months_0_is_one_line_from_the_command_and_an_error_from_the_view(saas: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cxtui.cli", "acquisition", str(saas), "--months", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "--months" in lines[0] and "fix:" in lines[0], lines
    from cxtui.engine import open_analysis
    from cxtui.errors import CxError
    from cxtui.viewdefs import acquisition

    a = open_analysis(saas, as_of=date(2025, 6, 30), use_cache=False)
    with pytest.raises(CxError, match="--months 0"):
        acquisition.run(a, {"months": 0, "by": None})


def test_report_has_the_summary_line_and_the_table(saas: Path) -> None:
    doc = cli_json("report", str(saas), "--as-of", AS_OF)
    summary = doc["acquisition_summary"]
    close({k: summary[k] for k in TOTAL}, TOTAL)
    assert (summary["months"], summary["first_month"]) == (3, "2025-04-01")
    close(doc["acquisition"], ROWS)
    text = cli("report", str(saas), "--as-of", AS_OF, "--format", "table").stdout
    assert "3 new customers; average CAC $233, LTV $1,890, LTV:CAC 8.1:1" in text


def test_report_leaves_acquisition_out_without_channels(tmp_path: Path) -> None:
    root = write_saas(tmp_path / "d", channel=False)
    doc = cli_json("report", str(root), "--as-of", AS_OF)
    assert "acquisition" not in doc and "acquisition_summary" not in doc


# ---------------------------------------------------------------- orders-only LTV


def test_orders_only_ltv_is_the_mean_clv_of_the_channel(tmp_path: Path, monkeypatch) -> None:
    """Without monthly, ltv = mean clv_12m over the channel's started customers
    with a prediction (n1, n2 have no orders: left out), from the one CLV fit
    that the clv view and top --by clv_12m use too."""
    from cxtui.engine import open_analysis
    from cxtui.engine.clv import clv_result
    from cxtui.metrics import clv as clv_metrics
    from cxtui.viewdefs import acquisition, clv, top
    from tests.clv_fixture import channel_of, write_shop

    root = write_shop(tmp_path / "shop")
    fits = []
    real_fit = clv_metrics.fit_clv
    monkeypatch.setattr(clv_metrics, "fit_clv", lambda s: fits.append(1) or real_fit(s))
    a = open_analysis(root, as_of=date(2025, 6, 30), use_cache=False)
    out = acquisition.run(a, {"months": 12, "by": None})
    clv.run(a, {"n": 5, "by": None, "discount": None})
    top.run(a, {"n": 5, "by": "clv_12m"})
    assert len(fits) == 1  # one fit for the three views
    predictions = clv_result(a).predictions
    assert predictions["clv_12m"].null_count() == 0 and predictions.height == 40
    by_channel: dict[str, list[float]] = {}
    for cid, value in zip(predictions["customer_id"], predictions["clv_12m"], strict=True):
        by_channel.setdefault(channel_of(cid), []).append(value)
    rows = out.tables[0].frame.to_dicts()
    assert rows  # customers who started in the last 12 months
    for row in rows:
        values = by_channel[row["channel"]]
        assert row["ltv"] == pytest.approx(sum(values) / len(values), rel=1e-12)
    everyone = [v for vs in by_channel.values() for v in vs]
    assert out.summary["ltv"] == pytest.approx(sum(everyone) / len(everyone), rel=1e-12)
    assert out.json_value()["ltv_method"] == "orders"


# ---------------------------------------------------------------- the pane


def plain(renderable, width: int) -> str:
    from rich.console import Console

    console = Console(width=width, no_color=True, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def command_ids(command: str) -> list[str]:
    args = shlex.split(command)
    result = runner.invoke(app, [*args[1:], "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return [r["customer_id"] for r in json.loads(result.stdout)]


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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_pane_shows_the_bars_and_drills_to_the_channel_s_new_customers(
    saas: Path, size
) -> None:
    app = CxApp(saas, as_of=date(2025, 6, 30), use_cache=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("acquisition")
        await settle(pilot, app)
        view = app.screen.query_one("#acquisition", DataView)
        assert view.table.frame["channel"].to_list() == ["ads", "seo"]
        summary = str(app.screen.query_one("#acquisition-summary").render())
        assert "3 new" in summary and "average CAC $233" in summary and "8.1:1" in summary
        bars = plain(app.screen.query_one("#acquisition-bars").content, size[0])
        # CAC: ads 300 fills its bar, seo 90 is 0.3 of it; LTV: ads 900, seo none;
        # LTV:CAC: ads 3.0:1, seo none
        ads = next(line for line in bars.splitlines() if line.startswith("ads"))
        seo = next(line for line in bars.splitlines() if line.startswith("seo"))
        assert "$300" in ads and "$900" in ads and "3.0:1" in ads
        assert "$90" in seo and seo.count("—") == 2
        assert ads.count("█") > seo.count("█") > 0
        await pilot.press("down")  # seo
        await pilot.press("enter")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MembersScreen)
        members = screen.query_one("#members", DataView)
        assert members.table.frame["customer_id"].to_list() == ["c"]
        assert command_ids(screen.command) == ["c"]
        await pilot.press("escape")
        await settle(pilot, app)
        view = app.screen.query_one("#acquisition", DataView)
        assert view.cursor_row == 1
        await pilot.press("up", "enter")
        await settle(pilot, app)
        members = app.screen.query_one("#members", DataView)
        assert sorted(members.table.frame["customer_id"].to_list()) == ["a", "b"]
        assert sorted(command_ids(app.screen.command)) == ["a", "b"]
