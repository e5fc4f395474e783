"""Loader, cxtui.toml mapping, as_of resolution and the SPEC §1 status rules."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from cxtui.data.config import load_config
from cxtui.data.load import open_dataset
from cxtui.engine import open_analysis
from cxtui.errors import CxError
from cxtui.metrics.facts import churn_source, customer_facts


def write(root: Path, table: str, frame: pl.DataFrame) -> None:
    root.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(root / f"{table}.parquet")


def facts_by_id(root: Path, as_of: date | None = None, config: Path | None = None) -> dict:
    ds = open_dataset(root, config, as_of)
    return {r["customer_id"]: r for r in customer_facts(ds).collect().to_dicts()}


# ---------------------------------------------------------------- loading


def test_table_as_file_folder_and_hive_partitions(tmp_path: Path) -> None:
    write(tmp_path, "customers", pl.DataFrame({"customer_id": [1, 2, 3]}))
    part = tmp_path / "orders"
    for year, amounts in ((2024, [10.0, 20.0]), (2025, [5.0])):
        d = part / f"year={year}"
        d.mkdir(parents=True)
        pl.DataFrame(
            {
                "customer_id": ["1"] * len(amounts),
                "order_date": [date(year, 3, 1)] * len(amounts),
                "amount": amounts,
            }
        ).write_parquet(d / "part-0.parquet")
    ds = open_dataset(tmp_path)
    assert ds.row_counts == {"customers": 3, "orders": 3}
    assert ds.as_of == date(2025, 3, 1)
    orders = ds.scan("orders").collect()
    assert orders["amount"].sum() == 35.0
    # integer ids become strings and compare equal across tables
    assert ds.tables["customers"].collect()["customer_id"].to_list() == ["1", "2", "3"]


def test_csv_mapping_renames_and_values(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text(
        "uid;joined;state;rev\n007;2024-01-05;Yes;1200.5\n008;2024-02-10;No;300\n"
    )
    (tmp_path / "cxtui.toml").write_text(
        """
[tables.customers]
path = "export.csv"
separator = ";"
[tables.customers.columns]
customer_id = "uid"
signup_date = "joined"
is_active = "state"
annual_revenue = "rev"
[tables.customers.values.is_active]
Yes = true
No = false
"""
    )
    facts = facts_by_id(tmp_path)
    assert set(facts) == {"007", "008"}  # leading zeros kept: ids are text
    assert facts["007"]["status"] == "active"
    assert facts["008"]["status"] == "churned"
    assert facts["007"]["annual_revenue"] == 1200.5
    assert facts["008"]["start_date"] == date(2024, 2, 10)


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[tables.orderz]\npath='x.csv'", "unknown key 'orderz'"),
        ("[risk.weights]\nlogin_decline = 'high'", "expected a finite number"),
        ("[risk.weights]\nlogin_decline = nan", "expected a finite number"),
        ("[risk.weights]\nlogin_decline = -5", "must not be negative"),
        ("settings = 5", "expected a table of settings"),
        ("[risk]\nweights = 3", "expected a table of settings"),
        ("[settings]\ninactive_after_days = 0.5", "whole number of days"),
        ("[settings]\ninactive_after_days = inf", "expected a finite number"),
        ("[tiers]\nsmb = 60000", "smb is above enterprise"),
        ("[engagement]\nlow = 40", "low is above high"),
        ("[tiers]\nenterprise = 10\ngold = 3", "unknown key 'gold'"),
        ("[dimensions.g]\ncolumn = 'x'\nedges = [3, 1]\nlabels = ['a', 'b']", "increase"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, toml: str, needle: str) -> None:
    (tmp_path / "cxtui.toml").write_text(toml)
    with pytest.raises(CxError, match=needle) as err:
        load_config(tmp_path)
    assert "\n" not in str(err.value)
    assert "cxtui.toml" in str(err.value)


def test_missing_required_column_names_table_column_and_fix(tmp_path: Path) -> None:
    write(
        tmp_path,
        "orders",
        pl.DataFrame({"customer_id": ["a"], "order_date": [date(2024, 1, 1)], "total": [1.0]}),
    )
    with pytest.raises(CxError) as err:
        open_dataset(tmp_path)
    msg = str(err.value)
    assert "orders" in msg and "'amount'" in msg and "[tables.orders.columns]" in msg
    assert "orders.parquet" in msg


def test_not_parquet_truncated_and_text_amounts(tmp_path: Path) -> None:
    write(tmp_path, "customers", pl.DataFrame({"customer_id": ["a"]}))
    (tmp_path / "orders.parquet").write_text("customer_id,amount\n")
    with pytest.raises(CxError, match="not a Parquet file"):
        open_dataset(tmp_path)
    good = tmp_path / "ok.parquet"
    pl.DataFrame(
        {"customer_id": ["a"] * 50, "order_date": [date(2024, 1, 1)] * 50, "amount": [1.0] * 50}
    ).write_parquet(good)
    (tmp_path / "orders.parquet").write_bytes(good.read_bytes()[:-30])
    with pytest.raises(CxError, match="orders"):
        open_dataset(tmp_path)
    pl.DataFrame(
        {"customer_id": ["a"], "order_date": ["2024-01-01"], "amount": ["12.50 USD"]}
    ).write_parquet(tmp_path / "orders.parquet")
    with pytest.raises(CxError, match=r"'amount'.*not numbers.*'12.50 USD'"):
        open_dataset(tmp_path)


def test_empty_table_and_no_core_table(tmp_path: Path) -> None:
    write(tmp_path, "customers", pl.DataFrame({"customer_id": pl.Series([], dtype=pl.String)}))
    with pytest.raises(CxError, match="no rows"):
        open_dataset(tmp_path)
    other = tmp_path / "other"
    write(
        other,
        "events",
        pl.DataFrame({"customer_id": ["a"], "ts": [date(2024, 1, 1)], "event_type": ["login"]}),
    )
    with pytest.raises(CxError, match="no customers, orders or monthly"):
        open_dataset(other)


def test_nan_amounts_are_excluded_and_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        "orders",
        pl.DataFrame(
            {
                "customer_id": ["a", "a", "a"],
                "order_date": [date(2024, 1, 1)] * 3,
                "amount": [10.0, float("nan"), float("inf")],
            }
        ),
    )
    note = "table orders: 2 non-finite value(s) in 'amount' are excluded"
    # a typed float column the facts pass reads is counted by that pass (not by a
    # scan of its own when the dataset is opened), and the cached entry keeps it
    assert note not in open_dataset(tmp_path).notes
    cache = tmp_path.parent / f"{tmp_path.name}-cache"
    for from_cache in (False, True):
        analysis = open_analysis(tmp_path, cache_dir=cache)
        assert analysis.from_cache is from_cache
        assert analysis.ds.notes.count(note) == 1
    assert note in open_analysis(tmp_path, use_cache=False).ds.notes
    assert facts_by_id(tmp_path)["a"]["lifetime_revenue"] == 10.0


@pytest.mark.parametrize("ordered", [True, False])
def test_nan_in_monthly_and_feedback_counted_by_the_facts_pass(
    tmp_path: Path, ordered: bool
) -> None:
    ids = ["a", "a", "b"] if ordered else ["b", "a", "a"]  # not ordered: the general path
    write(
        tmp_path,
        "monthly",
        pl.DataFrame(
            {
                "customer_id": ids,
                "month": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 1, 1)],
                "mrr": [float("nan"), 10.0, float("-inf")],
                "logins": [1.0, float("inf"), 2.0],
            }
        ),
    )
    write(
        tmp_path,
        "feedback",
        pl.DataFrame(
            {
                "customer_id": ["a", "b"],
                "date": [date(2025, 2, 1)] * 2,
                "score": [float("nan"), 9.0],
            }
        ),
    )
    analysis = open_analysis(tmp_path, use_cache=False)
    assert analysis.ds.monthly_ordered is ordered
    assert [n for n in analysis.ds.notes if "non-finite" in n] == [
        "table monthly: 2 non-finite value(s) in 'mrr' are excluded",
        "table monthly: 1 non-finite value(s) in 'logins' are excluded",
        "table feedback: 1 non-finite value(s) in 'score' are excluded",
    ]
    by_id = {r["customer_id"]: r for r in analysis.facts.to_dicts()}
    assert by_id["a"]["mrr"] == 10.0 and by_id["b"]["mrr"] == 0.0


def test_nan_as_text_is_reported_when_opening(tmp_path: Path) -> None:
    """Text columns are parsed by the probe: their NaN / inf are counted there."""
    (tmp_path / "orders.csv").write_text(
        "customer_id,order_date,amount\na,2024-01-01,10\na,2024-01-02,NaN\n"
    )
    notes = open_dataset(tmp_path).notes
    assert "table orders: 1 non-finite value(s) in 'amount' are excluded" in notes


def test_nan_in_a_column_nothing_reads_is_left_to_validate(tmp_path: Path) -> None:
    """events.value feeds no metric: opening the dataset does not scan it for
    NaN / inf (schema.UNREAD_COLUMNS), `validate` still reports it."""
    from cxtui.data.validate import validate_dataset

    write(tmp_path, "customers", pl.DataFrame({"customer_id": ["a"]}))
    write(
        tmp_path,
        "events",
        pl.DataFrame(
            {
                "customer_id": ["a", "a"],
                "ts": [date(2025, 1, 1), date(2025, 1, 2)],
                "event_type": ["login", "login"],
                "value": [float("nan"), 1.0],
            }
        ),
    )
    ds = open_dataset(tmp_path)
    assert not any("non-finite" in n for n in ds.notes)
    assert facts_by_id(tmp_path)["a"]["events_lifetime"] == 2
    findings = validate_dataset(tmp_path)
    assert [f.table for f in findings if f.check == "non-finite values"] == ["events"]


def test_input_files_are_never_written(tmp_path: Path) -> None:
    import hashlib

    write(
        tmp_path,
        "customers",
        pl.DataFrame({"customer_id": ["a"], "signup_date": [date(2024, 1, 1)]}),
    )
    write(
        tmp_path,
        "orders",
        pl.DataFrame({"customer_id": ["a"], "order_date": [date(2024, 2, 1)], "amount": [5.0]}),
    )
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    open_analysis(tmp_path, cache_dir=tmp_path / "cache")
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}
    assert before == after


# ---------------------------------------------------------------- as_of and status


def test_as_of_is_latest_date_with_monthly_counting_to_month_end(tmp_path: Path) -> None:
    write(
        tmp_path,
        "monthly",
        pl.DataFrame({"customer_id": ["a"], "month": [date(2025, 2, 14)], "mrr": [10.0]}),
    )
    write(
        tmp_path,
        "orders",
        pl.DataFrame({"customer_id": ["a"], "order_date": [date(2025, 2, 20)], "amount": [1.0]}),
    )
    ds = open_dataset(tmp_path)
    assert ds.as_of == date(2025, 2, 28)
    # month is normalised to the first day
    assert ds.scan("monthly").collect()["month"].to_list() == [date(2025, 2, 1)]


def test_churn_from_churn_date_column(tmp_path: Path) -> None:
    write(
        tmp_path,
        "customers",
        pl.DataFrame(
            {
                "customer_id": ["a", "b", "c", "d"],
                "signup_date": [date(2024, 1, 1), date(2024, 1, 1), None, date(2026, 1, 1)],
                "churn_date": [date(2024, 6, 1), date(2025, 9, 1), None, None],
                "churn_reason": ["Price", "Price", None, None],
            }
        ),
    )
    write(
        tmp_path,
        "orders",
        pl.DataFrame({"customer_id": ["c"], "order_date": [date(2024, 3, 5)], "amount": [1.0]}),
    )
    f = facts_by_id(tmp_path, as_of=date(2025, 1, 1))
    assert f["a"]["status"] == "churned" and f["a"]["churn_date"] == date(2024, 6, 1)
    # churn after as_of is not seen: still active, reason hidden
    assert f["b"]["status"] == "active" and f["b"]["churn_date"] is None
    assert f["b"]["churn_reason"] is None
    # no signup date: start falls back to the first order
    assert f["c"]["start_date"] == date(2024, 3, 5)
    # signup after as_of: not a customer yet
    assert f["d"]["in_universe"] is False and f["d"]["status"] is None
    assert f["a"]["tenure_days"] == (date(2024, 6, 1) - date(2024, 1, 1)).days


def test_churn_from_monthly_is_month_after_last_positive_mrr(tmp_path: Path) -> None:
    months = [date(2024, m, 1) for m in range(1, 7)]
    write(
        tmp_path,
        "monthly",
        pl.DataFrame(
            {
                "customer_id": ["a"] * 6 + ["b"] * 6,
                "month": months * 2,
                "mrr": [10, 10, 10, 0, 0, 0, 5, 5, 5, 5, 5, 5],
                "segment": ["x"] * 6 + ["old"] * 5 + ["new"],
            }
        ),
    )
    f = facts_by_id(tmp_path)  # as_of = 2024-06-30
    assert churn_source(open_dataset(tmp_path)) == "monthly"
    assert f["a"]["churn_date"] == date(2024, 4, 1) and f["a"]["status"] == "churned"
    assert f["b"]["churn_date"] is None and f["b"]["status"] == "active"
    assert f["b"]["segment"] == "new"  # derived customers: attributes of the latest row
    assert f["a"]["start_date"] == date(2024, 1, 1)
    # as of the last positive month itself, churn day (next month) is not yet reached
    past = facts_by_id(tmp_path, as_of=date(2024, 3, 31))
    assert past["a"]["status"] == "active"


def test_churn_from_is_active(tmp_path: Path) -> None:
    write(
        tmp_path,
        "customers",
        pl.DataFrame(
            {
                "customer_id": ["a", "b"],
                "signup_date": [date(2024, 1, 1)] * 2,
                "is_active": [True, False],
            }
        ),
    )
    f = facts_by_id(tmp_path)
    assert (f["a"]["status"], f["b"]["status"]) == ("active", "churned")
    assert f["b"]["churn_date"] is None


def test_churn_from_orders_after_inactive_days(tmp_path: Path) -> None:
    write(
        tmp_path,
        "orders",
        pl.DataFrame(
            {
                "customer_id": [1, 2, 2],
                "order_date": [date(2023, 1, 10), date(2023, 1, 1), date(2024, 2, 1)],
                "amount": [1.0, 1.0, 1.0],
            }
        ),
    )
    f = facts_by_id(tmp_path)  # as_of = 2024-02-01
    assert f["1"]["churn_date"] == date(2024, 1, 10)  # 2023-01-10 + 365 days
    assert f["2"]["status"] == "active"
    (tmp_path / "cxtui.toml").write_text("[settings]\ninactive_after_days = 400\n")
    assert facts_by_id(tmp_path)["1"]["status"] == "active"


def test_past_as_of_ignores_later_rows(tmp_path: Path) -> None:
    write(
        tmp_path,
        "orders",
        pl.DataFrame(
            {
                "customer_id": ["a", "a", "b"],
                "order_date": [date(2024, 1, 1), date(2024, 6, 1), date(2024, 5, 1)],
                "amount": [10.0, 20.0, 7.0],
            }
        ),
    )
    f = facts_by_id(tmp_path, as_of=date(2024, 3, 1))
    assert set(f) == {"a", "b"}
    assert f["a"]["lifetime_revenue"] == 10.0 and f["a"]["last_order_date"] == date(2024, 1, 1)
    assert f["b"]["in_universe"] is False  # its only order is after as_of: no start yet


@pytest.mark.parametrize(
    ("ids", "months", "ordered"),
    [
        (["a", "a", "b"], [date(2025, 1, 5), date(2025, 2, 1), date(2025, 1, 1)], True),
        # two rows in one month on different days: ordered days, not ordered months
        (["a", "a", "b"], [date(2025, 1, 5), date(2025, 1, 20), date(2025, 1, 1)], False),
        (["b", "a", "a"], [date(2025, 1, 1), date(2025, 1, 5), date(2025, 2, 1)], False),
        (["a", None, "b"], [date(2025, 1, 5), date(2025, 2, 1), date(2025, 1, 1)], False),
    ],
)
def test_monthly_order_is_probed_and_both_facts_paths_agree(
    tmp_path: Path, ids: list, months: list, ordered: bool
) -> None:
    write(
        tmp_path,
        "monthly",
        pl.DataFrame(
            {"customer_id": ids, "month": months, "mrr": [10.0, 20.0, 5.0], "logins": [3, 4, 5]}
        ),
    )
    ds = open_dataset(tmp_path, as_of=date(2025, 2, 28))
    assert ds.monthly_ordered is ordered
    facts = customer_facts(ds).collect().sort("customer_id")
    ds.monthly_ordered = not ordered  # the other path, where it is valid, gives the same facts
    if ordered:
        other = customer_facts(ds).collect().sort("customer_id")
        assert other.equals(facts)
    by_id = {r["customer_id"]: r for r in facts.to_dicts()}
    if months[1].month == 1 and ids[0] == ids[1] == "a":  # both January rows are summed
        assert by_id["a"]["last_positive_mrr"] == 30.0


@pytest.mark.parametrize("as_datetime", [False, True])
def test_monthly_months_normalised_to_the_first_day(tmp_path: Path, as_datetime: bool) -> None:
    """The month-start lookup (load._month_start) gives what dt.month_start gives,
    for month ends, leap days, year ends, a null month and a datetime column."""
    days = [date(2024, 2, 29), date(2024, 12, 31), None, date(2025, 1, 1), date(2023, 3, 15)]
    month = pl.Series("month", days, dtype=pl.Date)
    if as_datetime:
        month = month.cast(pl.Datetime("us")) + timedelta(hours=23)
    write(
        tmp_path,
        "monthly",
        pl.DataFrame({"customer_id": list("abcde"), "month": month, "mrr": [1.0] * 5}),
    )
    got = open_dataset(tmp_path).tables["monthly"].collect()["month"].to_list()
    assert got == [date(2024, 2, 1), date(2024, 12, 1), None, date(2025, 1, 1), date(2023, 3, 1)]
