"""The clv view (SPEC §8 "Predictive CLV") through the CLI in every format, the
report, the TUI pane, `top --by clv_12m`, account detail's p_alive and clv_12m,
and the CLV result's memory and disk caches.

The shop (tests/clv_fixture.py) has 40 customers with orders, two without (n1, n2:
no prediction) and one who starts after as_of. The expected predictions come
from a summary computed in plain Python from the raw orders, fitted by the
metric's own estimator (itself checked against the published CDNOW figures in
tests/test_clv.py), so these tests check what the views do with it: who is
fitted, the order, the cuts, the groups, the deciles and the caches.
"""

from __future__ import annotations

import json
import math
import shlex
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app
from cxtui.metrics import clv as clv_metrics
from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import AccountScreen, MembersScreen
from cxtui.tui.widgets.data_view import DataView
from tests.clv_fixture import AS_OF, plain_summary, segment_of, shop_orders, write_shop

runner = CliRunner()
AS_OF_TEXT = AS_OF.isoformat()
PARAMETERS = ("r", "alpha", "a", "b", "p", "q", "v")


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return write_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    """Per customer: the predictions of the fit on the plain-Python summary, and
    the fit's parameters under "_parameters"."""
    summary = plain_summary(shop_orders())
    fit = clv_metrics.fit_clv(summary)
    assert not fit.notes, fit.notes  # the shop has a finite maximum for both models
    rows = clv_metrics.clv_predictions(summary, fit).to_dicts()
    out = {r["customer_id"]: r for r in rows}
    out["_parameters"] = fit.parameters()
    return out


def ranked(expected: dict) -> list[dict]:
    rows = [r for k, r in expected.items() if not k.startswith("_")]
    return sorted(rows, key=lambda r: (-r["clv_12m"], r["customer_id"]))


def close(got: float | None, want: float | None, rel: float = 1e-7) -> bool:
    """The view fits the same data summed in another order: equal to ~1e-10."""
    if want is None or got is None:
        return got is want
    return math.isclose(got, want, rel_tol=rel, abs_tol=1e-9)


def cli(*args: str):
    return runner.invoke(app, [*args, "--no-cache"])


def cli_json(*args: str):
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "fix:" in lines[0], lines
    for word in words:
        assert word in lines[0], lines


# ---------------------------------------------------------------- the command


def test_json_parameters_and_top_customers(shop: Path, expected: dict) -> None:
    doc = cli_json("clv", str(shop), "--as-of", AS_OF_TEXT)
    params = doc["parameters"]
    assert params["customers_fitted"] == 40  # not n1, n2 (no orders) nor late (not started)
    for key in PARAMETERS:
        assert close(params[key], expected["_parameters"][key]), key
    assert doc["notes"] == [] and doc["discount"] is None and doc["as_of"] == AS_OF_TEXT
    want = ranked(expected)[:20]  # -n 20 by default
    assert [r["customer_id"] for r in doc["customers"]] == [r["customer_id"] for r in want]
    for got, row in zip(doc["customers"], want, strict=True):
        assert list(got) == [
            "customer_id",
            "name",
            "p_alive",
            "expected_orders_365d",
            "expected_aov",
            "clv_12m",
            "revenue_12m",
        ]
        assert got["name"] == f"Shop {row['customer_id']}"
        for key in ("p_alive", "expected_orders_365d", "expected_aov", "clv_12m"):
            assert close(got[key], row[key]), (row["customer_id"], key)
        assert close(got["clv_12m"], got["expected_orders_365d"] * got["expected_aov"])


def test_revenue_12m_of_the_listed_customers(shop: Path) -> None:
    doc = cli_json("clv", str(shop), "--as-of", AS_OF_TEXT, "-n", "100")
    revenue: dict[str, float] = {}
    for cid, day, amount in shop_orders():
        if (AS_OF - day).days < 365:
            revenue[cid] = revenue.get(cid, 0.0) + amount
    for row in doc["customers"]:
        assert row["revenue_12m"] == pytest.approx(revenue.get(row["customer_id"], 0.0))
    assert len(doc["customers"]) == 40


def test_csv_table_and_markdown_show_the_parameters_and_the_customers(
    shop: Path, expected: dict
) -> None:
    params = expected["_parameters"]
    top = ranked(expected)[:3]
    csv = cli("clv", str(shop), "--as-of", AS_OF_TEXT, "-n", "3", "--format", "csv")
    assert csv.exit_code == 0, csv.output
    lines = csv.stdout.splitlines()
    assert lines[0] == "metric,value"
    assert lines[1] == f"r,{params['r']:.6g}" and lines[2] == f"alpha,{params['alpha']:.6g}"
    assert "customers_fitted,40" in lines and not any(x.startswith("notes,") for x in lines)
    header = lines.index(
        "customer_id,name,p_alive,expected_orders_365d,expected_aov,clv_12m,revenue_12m"
    )
    assert [line.split(",")[0] for line in lines[header + 1 :]] == [r["customer_id"] for r in top]
    md = cli("clv", str(shop), "--as-of", AS_OF_TEXT, "-n", "3", "--format", "markdown").stdout
    assert f"| v | {params['v']:.6g} |" in md
    first = top[0]
    money = f"${first['clv_12m']:,.0f}" if first["clv_12m"] >= 100 else f"${first['clv_12m']:.2f}"
    assert f"| {first['customer_id']} | Shop {first['customer_id']} |" in md and money in md
    table = cli("clv", str(shop), "--as-of", AS_OF_TEXT, "-n", "3", "--format", "table").stdout
    assert "Top 3 customers by clv_12m" in table and first["customer_id"] in table
    assert f"{params['q']:.6g}" in table


def test_by_gives_the_mean_and_the_sum_per_group(shop: Path, expected: dict) -> None:
    doc = cli_json("clv", str(shop), "--as-of", AS_OF_TEXT, "--by", "segment")
    assert doc["by"] == "segment"
    groups: dict[str, list[dict]] = {}
    for row in ranked(expected):
        groups.setdefault(segment_of(row["customer_id"]), []).append(row)
    want = sorted(groups, key=lambda s: -sum(r["clv_12m"] for r in groups[s]))
    assert [g["segment"] for g in doc["groups"]] == want
    for got in doc["groups"]:
        members = groups[got["segment"]]
        n = len(members)
        assert got["customers"] == n
        assert close(got["avg_p_alive"], sum(r["p_alive"] for r in members) / n)
        assert close(got["expected_orders_365d"], sum(r["expected_orders_365d"] for r in members))
        assert close(got["avg_clv_12m"], sum(r["clv_12m"] for r in members) / n)
        assert close(got["clv_12m"], sum(r["clv_12m"] for r in members))
    csv = cli("clv", str(shop), "--as-of", AS_OF_TEXT, "--by", "segment", "--format", "csv")
    assert "segment,customers,avg_p_alive,expected_orders_365d,avg_clv_12m,clv_12m" in csv.stdout
    one_line_error(cli("clv", str(shop), "--by", "nosuch"), "nosuch")


def test_limit_cuts_the_json_lists(shop: Path) -> None:
    doc = cli_json("clv", str(shop), "--as-of", AS_OF_TEXT, "--by", "segment", "--limit", "1")
    assert len(doc["customers"]) == 1 and len(doc["groups"]) == 1


def test_discount_discounts_each_month_of_expected_orders(shop: Path, expected: dict) -> None:
    doc = cli_json("clv", str(shop), "--as-of", AS_OF_TEXT, "--discount", "0.1", "-n", "40")
    summary = plain_summary(shop_orders())
    fit = clv_metrics.fit_clv(summary)
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "age"))
    orders = clv_metrics.discounted_orders(fit.bgnbd.params, 0.1, x, t_x, T)
    by_id = dict(zip(summary["customer_id"], orders, strict=True))
    assert doc["discount"] == 0.1 and len(doc["customers"]) == 40
    for row in doc["customers"]:
        plain = expected[row["customer_id"]]
        assert close(row["clv_12m"], by_id[row["customer_id"]] * plain["expected_aov"])
        assert row["clv_12m"] < plain["clv_12m"]  # later months count for less
        assert close(row["expected_orders_365d"], plain["expected_orders_365d"])
    values = [r["clv_12m"] for r in doc["customers"]]
    assert values == sorted(values, reverse=True)
    one_line_error(cli("clv", str(shop), "--discount", "-1"), "--discount")


def test_no_repeat_buyers_is_a_note_in_every_format(tmp_path: Path) -> None:
    orders = [("c001", date(2025, 1, 5), 10.0), ("c002", date(2025, 2, 5), 20.0)]
    orders += [("c002", date(2025, 2, 5), 5.0)]  # the same day: still one order day
    root = write_shop(tmp_path / "once", orders)
    doc = cli_json("clv", str(root), "--as-of", AS_OF_TEXT)
    assert any("no repeat buyers" in n for n in doc["notes"]), doc["notes"]
    assert doc["parameters"]["r"] is None and doc["parameters"]["customers_fitted"] == 2
    assert {r["customer_id"] for r in doc["customers"]} == {"c001", "c002"}
    assert all(r["p_alive"] is None and r["clv_12m"] is None for r in doc["customers"])
    for fmt in ("csv", "table", "markdown"):
        result = cli("clv", str(root), "--as-of", AS_OF_TEXT, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "no repeat buyers" in " ".join(result.stdout.split()), fmt
        assert "Traceback" not in result.output


def test_without_orders_clv_and_top_by_clv_are_one_line(tmp_path: Path) -> None:
    root = tmp_path / "saas"
    root.mkdir()
    pl.DataFrame({"customer_id": ["a"], "month": [date(2025, 6, 1)], "mrr": [10.0]}).write_parquet(
        root / "monthly.parquet"
    )
    one_line_error(cli("clv", str(root)), "orders")
    one_line_error(cli("top", str(root), "--by", "clv_12m"), "orders", "top --by clv_12m")
    doc = cli_json("report", str(root))
    assert "clv" not in doc and "clv_top_customers" not in doc
    detail = cli_json("account", str(root), "a")
    assert "p_alive" not in detail["revenue"] and "clv_12m" not in detail["revenue"]


def test_report_has_the_parameters_and_the_top_ten(shop: Path, expected: dict) -> None:
    doc = cli_json("report", str(shop), "--as-of", AS_OF_TEXT)
    assert doc["clv"]["parameters"]["customers_fitted"] == 40 and doc["clv"]["notes"] == []
    top = doc["clv_top_customers"]
    assert [r["customer_id"] for r in top] == [r["customer_id"] for r in ranked(expected)[:10]]
    text = cli("report", str(shop), "--as-of", AS_OF_TEXT, "--format", "markdown").stdout
    assert (
        "Predicted customer lifetime value" in text and "Top 10 customers by predicted CLV" in text
    )


# ---------------------------------------------------------------- top and account


def test_top_by_clv_12m_ranks_every_customer_by_the_prediction(shop: Path, expected: dict) -> None:
    rows = cli_json("top", str(shop), "--as-of", AS_OF_TEXT, "--by", "clv_12m", "-n", "100")
    want = ranked(expected)
    # the 40 with a prediction, then n1 and n2 (null) by customer_id; late is not a customer
    assert [r["customer_id"] for r in rows] == [r["customer_id"] for r in want] + ["n1", "n2"]
    assert [r["rank"] for r in rows] == list(range(1, 43))
    total = sum(r["clv_12m"] for r in want)
    for got, row in zip(rows[:40], want, strict=True):
        assert close(got["clv_12m"], row["clv_12m"])
        assert close(got["revenue_share"], row["clv_12m"] / total)
    assert rows[-1]["clv_12m"] is None and rows[-1]["revenue_share"] is None


def test_account_detail_shows_p_alive_and_clv_12m(shop: Path, expected: dict) -> None:
    cid = ranked(expected)[0]["customer_id"]
    doc = cli_json("account", str(shop), cid, "--as-of", AS_OF_TEXT)
    assert close(doc["revenue"]["p_alive"], expected[cid]["p_alive"])
    assert close(doc["revenue"]["clv_12m"], expected[cid]["clv_12m"])
    none = cli_json("account", str(shop), "n1", "--as-of", AS_OF_TEXT)
    assert none["revenue"]["p_alive"] is None and none["revenue"]["clv_12m"] is None
    md = cli("account", str(shop), cid, "--as-of", AS_OF_TEXT, "--format", "markdown").stdout
    share = f"{expected[cid]['p_alive'] * 100:,.1f}%"
    assert f"| P(alive) | {share} |" in md and "| CLV 12m | $" in md
    table = cli("account", str(shop), cid, "--as-of", AS_OF_TEXT, "--format", "table").stdout
    assert "P(alive)" in table and share in table


# ---------------------------------------------------------------- the caches


def counting_fits(monkeypatch) -> list[int]:
    fits: list[int] = []
    real = clv_metrics.fit_clv
    monkeypatch.setattr(clv_metrics, "fit_clv", lambda s: fits.append(1) or real(s))
    return fits


def test_one_fit_per_analysis_for_every_view(shop: Path, monkeypatch) -> None:
    from cxtui.engine import open_analysis
    from cxtui.viewdefs import clv
    from cxtui.views import account_result, top_table

    fits = counting_fits(monkeypatch)
    a = open_analysis(shop, as_of=AS_OF, use_cache=False)
    clv.run(a, {"n": 3, "by": "segment", "discount": None})
    clv.pane(a, {"n": None, "by": None, "discount": None}, None)
    top_table(a, "clv_12m", 5)
    account_result(a, "c001")
    assert fits == [1]


def test_the_fit_is_kept_on_disk_and_read_back(tmp_path: Path, monkeypatch) -> None:
    from cxtui.engine import finish_cache_writes, open_analysis
    from cxtui.engine.clv import clv_result

    root = write_shop(tmp_path / "shop")
    cache = tmp_path / "cache"
    fits = counting_fits(monkeypatch)
    first = clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache))
    finish_cache_writes()
    files = sorted(cache.glob("clv-*.parquet"))
    assert len(files) == 1 and fits == [1]
    again = clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache))
    assert fits == [1]  # read back, not fitted
    assert again.parameters == first.parameters and again.notes == first.notes
    assert again.predictions.equals(first.predictions)
    assert again.fit().parameters() == first.parameters
    # --where fits its own customers: another entry
    clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache, where="segment = 'x'"))
    finish_cache_writes()
    assert fits == [1, 1] and len(list(cache.glob("clv-*.parquet"))) == 2
    # --no-cache neither reads nor writes
    clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache, use_cache=False))
    finish_cache_writes()
    assert fits == [1, 1, 1] and len(list(cache.glob("clv-*.parquet"))) == 2
    # changed orders: a new entry, fitted on the new rows
    orders = pl.read_parquet(root / "orders.parquet")
    orders.with_columns(pl.col("amount") * 2).write_parquet(root / "orders.parquet")
    doubled = clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache))
    assert fits == [1, 1, 1, 1]
    assert doubled.parameters["v"] == pytest.approx(2 * first.parameters["v"], rel=1e-6)


def test_an_unreadable_cache_file_is_fitted_again(tmp_path: Path, monkeypatch) -> None:
    from cxtui.engine import finish_cache_writes, open_analysis
    from cxtui.engine.clv import clv_result

    root = write_shop(tmp_path / "shop")
    cache = tmp_path / "cache"
    fits = counting_fits(monkeypatch)
    clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache))
    finish_cache_writes()
    (path,) = cache.glob("clv-*.parquet")
    path.write_bytes(b"not parquet")
    result = clv_result(open_analysis(root, as_of=AS_OF, cache_dir=cache))
    assert fits == [1, 1] and result.parameters["customers_fitted"] == 40


# ---------------------------------------------------------------- deciles and the pane


def deciles_of(expected: dict) -> dict[int, list[str]]:
    """Rank r = 0…n−1 by clv_12m desc, customer_id; decile = floor(10 r ÷ n) + 1."""
    rows = ranked(expected)
    out: dict[int, list[str]] = {}
    for r, row in enumerate(rows):
        out.setdefault(r * 10 // len(rows) + 1, []).append(row["customer_id"])
    return out


def test_pane_deciles_hold_the_ranks_and_shares(shop: Path, expected: dict) -> None:
    from cxtui.engine import open_analysis
    from cxtui.viewdefs import clv

    a = open_analysis(shop, as_of=AS_OF, use_cache=False)
    out = clv.pane(a, {"n": None, "by": None, "discount": None}, None)
    top, deciles = out.tables
    assert top.frame.height == 40
    frame = deciles.frame
    assert frame.columns == [
        "decile",
        "bar",
        "clv_share",
        "customers",
        "clv_from",
        "clv_to",
        "clv_12m",
    ]
    want = deciles_of(expected)
    assert frame["decile"].to_list() == list(range(1, 11))
    assert frame["customers"].to_list() == [4] * 10
    total = sum(r["clv_12m"] for r in ranked(expected))
    for row in frame.to_dicts():
        values = [expected[c]["clv_12m"] for c in want[row["decile"]]]
        assert close(row["clv_12m"], sum(values))
        assert close(row["clv_from"], min(values)) and close(row["clv_to"], max(values))
        assert close(row["clv_share"], sum(values) / total)
    assert frame["bar"][0] == "█" * clv.BAR_WIDTH  # the largest share fills the bar
    assert out.extras["customers_valued"] == 40 and out.extras["customers_unvalued"] == 0


def test_bar_draws_eighths() -> None:
    from cxtui.viewdefs.clv import bar

    assert bar(1.0, 1.0, 4) == "████"
    assert bar(0.5, 1.0, 4) == "██"
    assert bar(1 / 32, 1.0, 4) == "▏"  # one eighth of a cell
    assert bar(0.3, 1.0, 4) == "█▎"  # 9.6 eighths → 10: one cell and two eighths
    assert bar(None, 1.0) == "" and bar(0.2, None) == "" and bar(-0.1, 1.0) == ""


def command_ids(command: str) -> list[str]:
    args = shlex.split(command)
    result = runner.invoke(app, [*args[1:], "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return [r["customer_id"] for r in (doc["customers"] if isinstance(doc, dict) else doc)]


async def settle(pilot, app: CxApp, timeout: float = 60.0) -> None:
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
async def test_pane_drills_from_a_decile_and_from_a_customer(
    shop: Path, expected: dict, size
) -> None:
    want = deciles_of(expected)
    order = [r["customer_id"] for r in ranked(expected)]
    app = CxApp(shop, as_of=AS_OF, use_cache=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("clv")
        await settle(pilot, app)
        customers = app.screen.query_one("#clv", DataView)
        assert customers.table.frame["customer_id"].to_list() == order
        summary = app.screen.query_one("#clv-summary").render().plain
        assert "BG/NBD" in summary and "40 customers fitted" in summary
        assert app.screen.focused is customers
        await pilot.press("t")  # to the deciles
        deciles = app.screen.query_one("#clv-1", DataView)
        assert app.screen.focused is deciles
        await pilot.press("down", "enter")  # decile 2
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MembersScreen) and screen.crumbs == ["CLV", "Decile 2"]
        members = screen.query_one("#members", DataView)
        assert members.table.frame["customer_id"].to_list() == want[2]
        # `cxtui clv -n 8` lists ranks 1–8: its last four are decile 2
        assert "-n 8" in screen.command and command_ids(screen.command)[-4:] == want[2]
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen.query_one("#clv-1", DataView).cursor_row == 1
        await pilot.press("t", "down", "enter")  # the second customer
        await settle(pilot, app)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.crumbs[-1] == f"Shop {order[1]}"
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen.query_one("#clv", DataView).cursor_row == 1
