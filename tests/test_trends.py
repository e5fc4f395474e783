"""Segment trends (SPEC §7): every measure worked by hand on tests/trends_fixture.py
(lifecycle as of each month's end, segment as it is), the facts as of another
date against a full analysis opened at that date, the cache of those columns, a
plain-Python reading compared on generated data, drill-downs that list exactly
the customers a cell counts, the CLI in every format, bad input and the pane.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from cxtui.commands import Invocation
from cxtui.engine import columns_at, columns_over, dataset_at, open_analysis
from cxtui.metrics.periods import month_end
from cxtui.registry import DrillContext, Members
from tests.trends_fixture import (
    AS_OF,
    as_json,
    command_ids,
    fails,
    make_app,
    move_to,
    ok,
    settle,
    shown_ids,
    write_trends,
)

M3 = ("--months", "3")
MONTHS = ["2025-04", "2025-05", "2025-06"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_trends(tmp_path_factory.mktemp("trends"))


def rows_of(out: list[dict[str, Any]], by: str) -> dict[Any, list[Any]]:
    assert all(list(r) == [by, *MONTHS] for r in out)
    return {r[by]: [r[m] for m in MONTHS] for r in out}


def approx(values: list[Any]) -> list[Any]:
    return [v if v is None else pytest.approx(v, rel=1e-12) for v in values]


# ---------------------------------------------------------------- the numbers, by hand

EXPECTED = {
    "customers": {
        "At Risk": [0, 1, 0],
        "Inactive": [1, 1, 2],  # e (churned 04-01), then a (06-15) too
        "New": [0, 1, 1],  # b (signed up 05-20), then f (06-01)
        "Regular": [2, 1, 2],  # a, c; c; b, c
    },
    "active": {  # active at the month's end (churn dates as of as_of)
        "At Risk": [0, 1, 0],
        "Inactive": [0, 0, 0],
        "New": [0, 1, 1],
        "Regular": [2, 1, 2],
    },
    "revenue": {  # orders in the month of the value's customers of that month
        "At Risk": [0.0, 30.0, 0.0],  # a: 50 − 20 (a refund)
        "Inactive": [10.0, 0.0, 0.0],  # e's order after its churn still counts
        "New": [0.0, 30.0, 0.0],  # b; f's order before its start does not
        "Regular": [100.0, 0.0, 270.0],  # a; —; b 70 + c 200
    },
    "aov": {  # revenue ÷ orders with amount > 0; null where no order or no row
        "At Risk": [None, 30.0, None],
        "Inactive": [10.0, None, None],
        "New": [None, 30.0, None],
        "Regular": [100.0, None, 135.0],
    },
    "mrr": {
        "At Risk": [0.0, 100.0, 0.0],
        "Inactive": [0.0, 0.0, 0.0],
        "New": [0.0, 0.0, 0.0],
        "Regular": [150.0, 50.0, 70.0],  # a 100 + c 50; c; c 50 + b 20
    },
    # churned in the month ÷ active at its first day; June: a (active 06-01,
    # churned 06-15) over a alone in Inactive; e churned on 04-01, so it is not
    # active at April's first day: 1 ÷ 0 is null
    "churn_rate": {
        "At Risk": [None, 0.0, None],
        "Inactive": [None, None, 1.0],
        "New": [None, None, 0.0],
        "Regular": [0.0, 0.0, 0.0],
    },
}


@pytest.mark.parametrize("measure", list(EXPECTED))
def test_lifecycle_as_of_each_month_end_worked_by_hand(data: Path, measure: str) -> None:
    out = as_json("trends", str(data), "--by", "lifecycle", "--measure", measure, *M3)
    got = rows_of(out, "lifecycle")
    assert list(got) == ["At Risk", "Inactive", "New", "Regular"]  # values ascending
    assert got == {k: approx(v) for k, v in EXPECTED[measure].items()}


def test_a_plain_column_is_taken_as_it_is_and_null_is_its_own_row(data: Path) -> None:
    got = rows_of(as_json("trends", str(data), "--by", "segment", *M3), "segment")
    assert got == {"x": [2, 2, 2], "y": [0, 1, 2], None: [1, 1, 1]}
    assert list(got) == ["x", "y", None]  # null last
    revenue = as_json("trends", str(data), "--by", "segment", "--measure", "revenue", *M3)
    assert rows_of(revenue, "segment") == {
        "x": [100.0, 30.0, 200.0],
        "y": [0.0, 30.0, 70.0],
        None: [10.0, 0.0, 0.0],
    }


def test_where_keeps_the_matching_customers_and_their_moves(data: Path) -> None:
    out = as_json("trends", str(data), "--by", "lifecycle", "--where", "segment = 'x'", *M3)
    assert rows_of(out, "lifecycle") == {
        "At Risk": [0, 1, 0],
        "Inactive": [0, 0, 1],
        "Regular": [2, 1, 1],
    }


def test_default_window_is_twelve_months_ending_with_as_of(data: Path) -> None:
    out = as_json("trends", str(data))
    keys = list(out[0])
    assert keys[0] == "lifecycle" and len(keys) == 13
    assert keys[1] == "2024-07" and keys[-1] == "2025-06"
    # 2024-07: a, c and e (not yet churned) are Regular; 2025-06: b and c
    regular = next(r for r in out if r["lifecycle"] == "Regular")
    assert regular["2024-07"] == 3 and regular["2025-06"] == 2


def test_months_before_the_first_start_are_not_built(data: Path, monkeypatch) -> None:
    import cxtui.engine.asof as asof

    built: list[date] = []
    real = asof._columns_at

    def counting(a, day, columns):
        built.append(day)
        return real(a, day, columns)

    monkeypatch.setattr(asof, "_columns_at", counting)
    out = as_json("trends", str(data), "--months", "20")  # 2023-11 … 2025-06
    assert list(out[0])[1] == "2023-11" and len(out[0]) == 21
    assert min(built) == date(2024, 1, 31) and len(built) == 17  # a starts 2024-01-01
    regular = next(r for r in out if r["lifecycle"] == "Regular")
    assert regular["2023-12"] == 0 and regular["2024-02"] == 1


def test_the_engine_columns_equal_a_full_analysis_opened_at_that_date(data: Path) -> None:
    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    cols = ["lifecycle", "risk_score", "revenue_tier", "engagement", "risk_band", "status"]
    for day in (date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30)):
        got = analysis.facts.select("customer_id").hstack(columns_at(analysis, day, cols))
        want = open_analysis(data, as_of=day, use_cache=False).facts.select("customer_id", *cols)
        assert got.equals(want.sort("customer_id")), day
    risk = columns_at(analysis, date(2025, 5, 31), ["risk_score"])["risk_score"].to_list()
    assert risk[0] == 69  # a: 13.9 + 20 + 15 + 10 + 10


def test_derived_customers_are_derived_again_at_the_date(tmp_path: Path) -> None:
    """Without a customers table the attributes come from the latest monthly row
    up to as_of: the dataset at an earlier date sees the plan of then."""
    root = tmp_path / "derived"
    root.mkdir()
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "month": [date(2025, 4, 1), date(2025, 6, 1), date(2025, 5, 1)],
            "mrr": [10.0, 30.0, 5.0],
            "plan": ["basic", "pro", "basic"],
        }
    ).write_parquet(root / "monthly.parquet")
    analysis = open_analysis(root, as_of=AS_OF, use_cache=False)
    earlier = dataset_at(analysis.ds, date(2025, 4, 30))
    plans = earlier.tables["customers"].collect().sort("customer_id")
    assert plans["plan"].to_list() == ["basic", None]  # b has no row by then
    # as of 05-31 a's last mrr month is April (churned 05-01; its June row is not
    # seen yet) and b is active; as of as_of a is back and b churned 06-01
    status = columns_over(analysis, [date(2025, 5, 31), AS_OF], ["status", "lifecycle"])
    assert status[date(2025, 5, 31)]["status"].to_list() == ["churned", "active"]
    assert status[AS_OF]["lifecycle"].to_list() == ["Regular", "Inactive"]
    # a plain column is the one as of as_of: a is "pro" in every month
    out = as_json("trends", str(root), "--by", "plan", *M3)
    assert rows_of(out, "plan") == {"basic": [0, 1, 1], "pro": [1, 1, 1]}


def test_columns_of_a_date_are_cached_and_read_again(data: Path, tmp_path: Path, monkeypatch):
    import cxtui.engine.asof as asof
    from cxtui.engine import finish_cache_writes

    cache = tmp_path / "cache"
    day = date(2025, 5, 31)
    first = open_analysis(data, as_of=AS_OF, cache_dir=cache)
    built = columns_at(first, day, ["lifecycle"])
    finish_cache_writes()
    assert len(list(cache.glob("asof-20250531-*.parquet"))) == 1

    def no_build(*args):
        raise AssertionError("built again")

    monkeypatch.setattr(asof, "_build", no_build)
    again = open_analysis(data, as_of=AS_OF, cache_dir=cache)
    assert columns_at(again, day, ["lifecycle"]).equals(built)
    # kept in the analysis's memory: the second time reads no file
    monkeypatch.setattr(asof, "read_derived", no_build)
    assert columns_at(again, day, ["lifecycle"]).equals(built)
    monkeypatch.undo()
    monkeypatch.setattr(asof, "_build", no_build)
    # a facts cache entry of that as_of serves too: only the columns asked for are read
    open_analysis(data, as_of=date(2025, 4, 30), cache_dir=cache)
    finish_cache_writes()
    served = columns_at(again, date(2025, 4, 30), ["lifecycle", "risk_score"])
    assert served["lifecycle"].to_list() == ["Regular", None, "Regular", None, "Inactive", None]
    assert served["risk_score"].to_list() == [10, None, 0, None, None, None]


def test_memory_keeps_the_latest_dates_only(data: Path, monkeypatch) -> None:
    import cxtui.engine.asof as asof

    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    built: list[date] = []
    real = asof._columns_at

    def counting(a, day, columns):
        built.append(day)
        return real(a, day, columns)

    monkeypatch.setattr(asof, "_columns_at", counting)
    monkeypatch.setattr(asof, "KEEP_IN_MEMORY", 2)
    days = [date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31)]
    for day in days:
        columns_at(analysis, day, ["lifecycle"])
    columns_at(analysis, days[2], ["lifecycle"])  # kept
    assert built == days
    columns_at(analysis, days[0], ["lifecycle"])  # dropped: the oldest of three
    assert built == [*days, days[0]]
    kept = columns_at(analysis, days[2], ["lifecycle"])
    assert kept["lifecycle"].dtype == pl.String and len(built) == 4


def test_no_cache_builds_and_writes_nothing(data: Path, monkeypatch) -> None:
    import cxtui.engine.asof as asof

    def no_write(*args):
        raise AssertionError("written with --no-cache")

    monkeypatch.setattr(asof, "write_derived", no_write)
    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    got = columns_at(analysis, date(2025, 5, 31), ["lifecycle"])
    assert got["lifecycle"].to_list() == ["At Risk", "New", "Regular", None, "Inactive", None]


# ---------------------------------------------------------------- a plain-Python reading


REFERENCE_MEASURES = ("customers", "active", "revenue", "aov", "mrr", "churn_rate")


@functools.cache
def _opened(root: Path, as_of: date | None):
    return open_analysis(root, as_of=as_of, use_cache=False)


def reference_trends(root: Path, by: str, months: int) -> dict[str, dict[Any, list[Any]]]:
    """SPEC §7 read with loops, every measure: the value of a derived dimension
    from a full analysis opened at each month's measure day, start and churn
    dates from the one at as_of, revenue and mrr from the raw files."""
    base = _opened(root, None)
    as_of = base.ds.as_of
    facts = {r["customer_id"]: r for r in base.facts.iter_rows(named=True)}
    orders = pl.read_parquet(root / "orders.parquet").to_dicts()
    monthly = pl.read_parquet(root / "monthly.parquet").to_dicts()
    firsts: list[date] = []
    y, m = as_of.year, as_of.month
    for _ in range(months):
        firsts.insert(0, date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    derived = by not in base.ds.columns("customers")
    dated = base.ds.has_column("customers", "churn_date") or base.ds.has("monthly")
    per_month = []
    for first in firsts:
        end = min(month_end(first), as_of)
        if derived:
            at = _opened(root, end).facts
            value = dict(zip(at["customer_id"], at[by], strict=True))
        else:
            value = {cid: f[by] for cid, f in facts.items()}
        groups: dict[Any, dict[str, float]] = {}
        population = {}
        for cid, f in facts.items():
            start, churn = f["start_date"], f["churn_date"]
            if start is None or start > end:
                continue
            population[cid] = value[cid]
            g = groups.setdefault(
                value[cid], dict.fromkeys(("n", "act", "ch", "at0", "rev", "o", "mrr"), 0)
            )
            g["n"] += 1
            g["act"] += churn is None or churn > end
            g["ch"] += churn is not None and first <= churn <= end
            g["at0"] += start <= first and (churn is None or churn > first)
        for o in orders:
            if o["customer_id"] in population and first <= o["order_date"] <= end:
                g = groups[population[o["customer_id"]]]
                g["rev"] += o["amount"] or 0.0
                g["o"] += (o["amount"] or 0) > 0
        for r in monthly:
            if r["customer_id"] in population and r["month"].replace(day=1) == first:
                groups[population[r["customer_id"]]]["mrr"] += r["mrr"] or 0.0
        per_month.append(groups)
    values = {v for groups in per_month for v in groups}
    out: dict[str, dict[Any, list[Any]]] = {m: {} for m in REFERENCE_MEASURES}
    for v in values:
        cells = [groups.get(v) for groups in per_month]
        out["customers"][v] = [g["n"] if g else 0 for g in cells]
        out["active"][v] = [g["act"] if g else 0 for g in cells]
        out["revenue"][v] = [g["rev"] if g else 0.0 for g in cells]
        out["mrr"][v] = [g["mrr"] if g else 0.0 for g in cells]
        out["aov"][v] = [g["rev"] / g["o"] if g and g["o"] else None for g in cells]
        out["churn_rate"][v] = [
            g["ch"] / g["at0"] if g and dated and g["at0"] else None for g in cells
        ]
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """A generated dataset, and the same without its customers table (customers
    derived from monthly, churn dates from the mrr)."""
    from cxtui.demo import generate_demo

    root = tmp_path_factory.mktemp("generated")
    generate_demo(root, 300, seed=11)
    bare = tmp_path_factory.mktemp("bare")
    for table in ("orders", "monthly", "events", "feedback"):
        shutil.copy(root / f"{table}.parquet", bare / f"{table}.parquet")
    return root, bare


def _close(got: list[Any], want: list[Any]) -> bool:
    return all(
        (g is None and w is None)
        or (g is not None and w is not None and math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9))
        for g, w in zip(got, want, strict=True)
    )


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("by", ["lifecycle", "revenue_tier", "segment"])
def test_trends_equal_a_plain_python_reading(generated, which: int, by: str) -> None:
    from cxtui.viewdefs import get

    root = generated[which]
    base = _opened(root, None)
    if by not in base.facts.columns:
        pytest.skip(f"{by} needs the customers table")
    want = reference_trends(root, by, 4)
    for measure in REFERENCE_MEASURES:
        frame = get("trends").run(base, {"by": by, "measure": measure, "months": 4}).tables[0].frame
        got = {r[by]: [r[k] for k in frame.columns[1:]] for r in frame.iter_rows(named=True)}
        assert set(got) == set(want[measure]), measure
        for value, cells in want[measure].items():
            assert _close(got[value], cells), (measure, value, got[value], cells)


# ---------------------------------------------------------------- drill-downs


def _drill(data: Path, opts: dict, row: dict, column: str | None) -> Members:
    from cxtui.viewdefs import get

    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    ctx = DrillContext(analysis, opts, Invocation(data, as_of=AS_OF), 0, row, column)
    target = get("trends").drill(ctx)
    assert isinstance(target, Members)
    return target


@pytest.mark.parametrize("measure", ["customers", "active", "revenue", "churn_rate"])
@pytest.mark.parametrize("by", ["lifecycle", "segment"])
def test_every_cell_drills_to_exactly_the_customers_it_counts(data, measure, by) -> None:
    from cxtui.metrics.trends import month_label, trend_cells
    from cxtui.viewdefs import get
    from cxtui.viewdefs.trends import month_scope

    opts = {"by": by, "measure": measure, "months": 3}
    analysis = open_analysis(data, as_of=AS_OF, use_cache=False)
    frame = get("trends").run(analysis, opts).tables[0].frame
    scope, at, _ = month_scope(analysis, by, 3)
    cells = {
        (r["_value"], month_label(r["month"])): r
        for r in trend_cells(scope, by, 3, at).collect().iter_rows(named=True)
    }
    counted = {"customers": "customers", "revenue": "customers", "active": "active"}
    for row in frame.iter_rows(named=True):
        for month in MONTHS:
            if row[month] is None:
                ctx = DrillContext(analysis, opts, Invocation(data, as_of=AS_OF), 0, row, month)
                assert get("trends").drill(ctx) is None  # a null cell opens nothing
                continue
            target = _drill(data, opts, row, month)
            ids = target.load().frame["customer_id"].to_list()
            cell = cells.get((row[by], month))
            want = 0 if cell is None else cell[counted.get(measure, "churned_customers")]
            assert len(ids) == len(set(ids)) == want, (row[by], month)
            if measure in ("customers", "active"):
                assert len(ids) == row[month]
                assert command_ids(target.command) == set(ids), target.command


def test_drill_lists_the_month_values_customers(data: Path) -> None:
    opts = {"by": "lifecycle", "measure": "customers", "months": 3}
    at_risk = {"lifecycle": "At Risk", **dict.fromkeys(MONTHS, 0)}
    target = _drill(data, opts, at_risk, "2025-05")
    assert target.load().frame["customer_id"].to_list() == ["a"]
    assert target.crumbs == ["Trends", "lifecycle = At Risk", "2025-05"]
    # an earlier month of a derived dimension: `top` at that month's end
    assert "--as-of 2025-05-31" in target.command
    assert command_ids(target.command) == {"a"}
    # on the dimension's own cell: the latest month; June's Inactive are a and e
    inactive = {"lifecycle": "Inactive", **dict.fromkeys(MONTHS, 2)}
    target = _drill(data, opts, inactive, "lifecycle")
    assert sorted(target.load().frame["customer_id"]) == ["a", "e"]
    assert "--as-of 2025-06-30" in target.command  # the analysis's own
    assert command_ids(target.command) == {"a", "e"}
    churned = _drill(data, {**opts, "measure": "churn_rate"}, inactive, "2025-06")
    assert churned.load().frame["customer_id"].to_list() == ["a"]
    assert command_ids(churned.command) == {"a"}


# ---------------------------------------------------------------- formats and bad input


def test_csv_has_the_month_keys(data: Path) -> None:
    text = ok("trends", str(data), "--measure", "aov", "--format", "csv", *M3)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["lifecycle", *MONTHS]
    assert rows[1] == ["At Risk", "", "30.0", ""]
    assert rows[4] == ["Regular", "100.0", "", "135.0"]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_format_by_the_measure(data: Path, fmt: str) -> None:
    text = ok("trends", str(data), "--measure", "revenue", "--format", fmt, *M3)
    assert "Revenue by lifecycle" in text and "$270" in text and "2025-06" in text
    shares = ok("trends", str(data), "--measure", "churn_rate", "--format", fmt, *M3)
    assert "100.0%" in shares and "0.0%" in shares
    counts = ok("trends", str(data), "--by", "segment", "--format", fmt, *M3)
    assert "Customers by segment, 2025-04 → 2025-06" in counts.replace("\\", "")


def test_limit_cuts_the_rows(data: Path) -> None:
    out = as_json("trends", str(data), "--limit", "2", *M3)
    assert [r["lifecycle"] for r in out] == ["At Risk", "Inactive"]


def test_bad_input_is_one_line(data: Path, tmp_path: Path) -> None:
    assert "--months 0: must be at least 1" in fails("trends", str(data), "--months", "0")
    assert "unknown dimension 'colour'" in fails("trends", str(data), "--by", "colour")
    no_orders = write_trends(tmp_path / "no-orders")
    (no_orders / "orders.parquet").unlink()
    line = fails("trends", str(no_orders), "--measure", "aov")
    assert "needs the orders table" in line and "--measure" in line
    (no_orders / "monthly.parquet").unlink()
    assert "needs the monthly table" in fails("trends", str(no_orders), "--measure", "mrr")


def test_status_only_data_has_active_for_the_month_of_as_of_alone(tmp_path: Path) -> None:
    root = tmp_path / "status"
    root.mkdir()
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "segment": ["x", "x", "y"],
            "signup_date": [date(2024, 1, 1), date(2025, 5, 1), date(2024, 1, 1)],
            "is_active": [True, False, True],
        }
    ).write_parquet(root / "customers.parquet")
    active = rows_of(
        as_json("trends", str(root), "--by", "segment", "--measure", "active", *M3), "segment"
    )
    assert active == {"x": [None, None, 1], "y": [None, None, 1]}
    rates = as_json("trends", str(root), "--by", "segment", "--measure", "churn_rate", *M3)
    assert rows_of(rates, "segment") == {"x": [None] * 3, "y": [None] * 3}
    assert rows_of(as_json("trends", str(root), "--by", "segment", *M3), "segment") == {
        "x": [1, 2, 2],
        "y": [1, 1, 1],
    }


def test_sparkline_scales_from_zero_or_the_lowest_to_the_highest() -> None:
    from cxtui.viewdefs.trends import sparkline

    assert sparkline([0, 4, 8]) == "▁▅█"
    assert sparkline([None, 2, 2]) == " ██"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([-10, 0, 10]) == "▁▅█"
    assert sparkline([None, None]) == "  "


# ---------------------------------------------------------------- the pane


async def test_pane_shows_sparklines_cycles_the_measure_and_drills_a_cell(data: Path) -> None:
    from cxtui.tui.screens.drill import MembersScreen
    from cxtui.tui.screens.main import MainScreen
    from cxtui.tui.widgets.data_view import DataView

    app = make_app(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("trends")
        await settle(pilot, app)
        view = app.screen.query_one("#trends", DataView)
        frame = view.table.frame
        # the sparkline oldest to newest, then the months newest first
        assert frame.columns[:3] == ["lifecycle", "spark", "2025-06"]
        assert frame.columns[-1] == "2024-07" and len(frame.columns) == 14
        assert frame["lifecycle"].to_list() == ["At Risk", "Inactive", "New", "Regular"]
        assert frame["2025-05"].to_list() == [1, 1, 1, 1]
        assert frame["spark"][0].endswith("▁█▁")  # At Risk: 0, 1, 0 in the last months
        await move_to(pilot, view, 0, "2025-05")  # At Risk in May
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        assert shown_ids(app) == ["a"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert view.cursor_row == 0 and view.specs[view.cursor_col].key == "2025-05"
        await pilot.press("m")  # customers → active
        await settle(pilot, app)
        assert "active" in app.screen.query_one("#trends", DataView).table.title.lower()
        await pilot.press("c")
        assert "--measure active" in app.screen.command
        await pilot.press("escape")
        await pilot.press("d")
        from tests.trends_fixture import choose

        await choose(pilot, app, "segment")
        await settle(pilot, app)
        frame = app.screen.query_one("#trends", DataView).table.frame
        assert frame["segment"].to_list() == ["x", "y", None]
