"""SPEC §7 "Segment trends and migration": a dimension's customers, activity and
revenue month by month, and the transition matrix between two as_of dates.

A dimension derived from the facts (revenue_tier, lifecycle, rfm_segment,
engagement, risk_band, status, the configured bins) takes its value as of each
month's last day: the caller passes, per month, the name of the facts column
that holds it (`cxtui.engine.asof.columns_at` builds them); a plain customer
column is the same every month. The measures themselves read the customers'
start_date and churn_date as of as_of, so every dimension's months add up to
the same totals (docs/metrics.md "Segment trends and migration"). Only
LazyFrames are built here, except `migration_tables`, which lays out a
collected cell list as the matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.facts import churn_source
from cxtui.metrics.movements import check_months
from cxtui.metrics.panes import DERIVED_DIMENSIONS, check_dimension, trend_months
from cxtui.metrics.periods import month_end, month_start
from cxtui.metrics.scope import Scope, ratio

TREND_MEASURES = ("customers", "active", "revenue", "aov", "mrr", "churn_rate")
_NEEDS = {"revenue": "orders", "aov": "orders", "mrr": "monthly"}

NOT_STARTED = "not started"  # the migration row of customers not started at --from
NO_VALUE = "(none)"  # the text of a null value in a column key
TO_PREFIX = "→ "  # migration column keys: "→ VIP"

_VALUE = "_value"


# ---------------------------------------------------------------- months and dimensions


def months_of(as_of: date, months: int) -> list[date]:
    """The first days of the last `months` calendar months, ending with month(as_of)."""
    check_months(months)
    return trend_months(as_of, months)


def month_label(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def measured_at(first: date, as_of: date) -> date:
    """The day a month is measured at: its last day, or as_of for the month
    holding it (nothing after as_of is seen)."""
    return min(month_end(first), as_of)


def is_derived(scope: Scope, dim: str) -> bool:
    """Whether `dim` changes with as_of (a value computed by the facts) rather
    than being a column of the customers table, taken as it is."""
    return dim in DERIVED_DIMENSIONS or dim == "status" or dim not in scope.ds.columns("customers")


def has_churn_dates(scope: Scope) -> bool:
    """Churn dates exist (not `is_active` status only, not no churn source at all)."""
    return churn_source(scope.ds) not in ("is_active", "none")


def check_trends(scope: Scope, by: str, measure: str, months: int) -> None:
    check_months(months)
    if measure not in TREND_MEASURES:
        raise CxError(
            f"--measure {measure!r}: unknown; fix: use one of {', '.join(TREND_MEASURES)}"
        )
    table = _NEEDS.get(measure)
    if table is not None and not scope.ds.has(table):
        other = "mrr" if table == "orders" else "revenue"
        raise CxError(
            f"trends --measure {measure} needs the {table} table; fix: add {table}.parquet "
            f"(or map it in cxtui.toml), or use --measure customers, active or {other}"
        )
    check_dimension(scope, by)


def _value_of(by: str, at: Mapping[date, str] | None, first: date) -> pl.Expr:
    return pl.col(at[first] if at is not None else by)


def _matches(column: pl.Expr, value: Any) -> pl.Expr:
    return column.is_null() if value is None else (column == value)


# ---------------------------------------------------------------- trends


def _active_at(day: date) -> pl.Expr:
    churn = pl.col("churn_date")
    return (pl.col("start_date") <= day) & (churn.is_null() | (churn > day))


def _churned_in(first: date, end: date) -> pl.Expr:
    churn = pl.col("churn_date")
    return (churn >= first) & (churn <= end)


def _month_counts(
    scope: Scope, by: str, at: Mapping[date, str] | None, first: date, last: date
) -> pl.LazyFrame:
    """One month's customers per value: started by the measure day, active at
    it, churned in the month, active at the month's first day."""
    end = measured_at(first, scope.as_of)
    nothing = pl.lit(None, dtype=pl.Int64)
    if has_churn_dates(scope):
        active = _active_at(end).sum().cast(pl.Int64)
        churned = _churned_in(first, end).sum().cast(pl.Int64)
        at_start = _active_at(first).sum().cast(pl.Int64)
    else:  # status at as_of only: the month holding as_of has its active count
        active = pl.col("active").sum().cast(pl.Int64) if first == last else nothing
        churned = at_start = nothing
    return (
        scope.facts.filter(pl.col("start_date") <= end)
        .group_by(_value_of(by, at, first).alias(_VALUE))
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            active.alias("active"),
            churned.alias("churned_customers"),
            at_start.alias("active_at_start"),
        )
        .with_columns(pl.lit(first).alias("month"))
    )


def _month_value(
    by: str, at: Mapping[date, str] | None, firsts: list[date], month: pl.Expr
) -> pl.Expr:
    """The dimension's value in the month of each row (`month`: its first day)."""
    if at is None:
        return pl.col(by)
    chain = None
    for first in firsts:
        cond = month == first
        chain = (pl.when(cond) if chain is None else chain.when(cond)).then(pl.col(at[first]))
    return chain.otherwise(None)


def _table_sums(
    scope: Scope,
    by: str,
    at: Mapping[date, str] | None,
    firsts: list[date],
    rows: pl.LazyFrame,
    sums: list[pl.Expr],
) -> pl.LazyFrame:
    """Per value and month, `sums` over `rows` (customer_id, _month, …): each
    row counts for its customer's value in that month, when the customer has
    started by the month's measure day (the month's population). `sums` are
    additive: taken per customer and month first, then added up."""
    value_cols = [by] if at is None else [at[f] for f in firsts]
    members = scope.facts.select("customer_id", "start_date", *dict.fromkeys(value_cols))
    month = pl.col("_month")
    end = pl.min_horizontal(month.dt.month_end(), pl.lit(scope.as_of))
    names = [e.meta.output_name() for e in sums]
    return (
        rows.group_by("customer_id", "_month")
        .agg(sums)
        .join(members, on="customer_id", how="inner")
        .filter(pl.col("start_date") <= end)
        .group_by(_month_value(by, at, firsts, month).alias(_VALUE), month.alias("month"))
        .agg(pl.col(names).sum())
    )


def trend_cells(
    scope: Scope,
    by: str,
    months: int,
    at: Mapping[date, str] | None = None,
    tables: Sequence[str] = ("orders", "monthly"),
) -> pl.LazyFrame:
    """Every (value, month) that has customers: `_value`, `month` (first day),
    customers, active, churned_customers, active_at_start, revenue, orders (with
    amount > 0), mrr, aov, churn_rate. `at` maps each month's first day to the
    facts column holding the value as of that month (None: the column `by`).
    Only the `tables` named are read (revenue, orders and aov are null without
    orders, mrr without monthly)."""
    firsts = months_of(scope.as_of, months)
    last = firsts[-1]
    counts = pl.concat(
        [_month_counts(scope, by, at, first, last) for first in firsts],
        how="vertical_relaxed",
        parallel=False,
    )
    keys = [_VALUE, "month"]
    if "orders" in tables and scope.ds.has("orders"):
        date_col = pl.col("order_date")
        orders = (
            scope.table("orders")
            .filter((date_col >= firsts[0]) & (date_col <= scope.as_of))
            .select("customer_id", date_col.dt.month_start().alias("_month"), "amount")
        )
        revenue = _table_sums(
            scope,
            by,
            at,
            firsts,
            orders,
            [
                pl.col("amount").sum().alias("revenue"),
                (pl.col("amount") > 0).sum().cast(pl.Int64).alias("orders"),
            ],
        )
        counts = counts.join(revenue, on=keys, how="left", nulls_equal=True).with_columns(
            pl.col("revenue").fill_null(0.0), pl.col("orders").fill_null(0)
        )
    else:
        counts = counts.with_columns(
            pl.lit(None, pl.Float64).alias("revenue"), pl.lit(None, pl.Int64).alias("orders")
        )
    if "monthly" in tables and scope.ds.has("monthly"):
        monthly = (
            scope.table("monthly")
            .filter(pl.col("month") >= firsts[0])
            .select("customer_id", pl.col("month").alias("_month"), "mrr")
        )
        mrr = _table_sums(scope, by, at, firsts, monthly, [pl.col("mrr").sum().alias("mrr")])
        counts = counts.join(mrr, on=keys, how="left", nulls_equal=True).with_columns(
            pl.col("mrr").fill_null(0.0)
        )
    else:
        counts = counts.with_columns(pl.lit(None, pl.Float64).alias("mrr"))
    return counts.with_columns(
        ratio(pl.col("revenue"), pl.col("orders").cast(pl.Float64)).alias("aov"),
        ratio(
            pl.col("churned_customers").cast(pl.Float64), pl.col("active_at_start").cast(pl.Float64)
        ).alias("churn_rate"),
    )


def trends(
    scope: Scope, by: str, measure: str, months: int, at: Mapping[date, str] | None = None
) -> pl.LazyFrame:
    """One row per value of `by` held by a customer in any of the months (values
    ascending, null last), one column per month (YYYY-MM) holding `measure`."""
    check_trends(scope, by, measure, months)
    firsts = months_of(scope.as_of, months)
    cells = trend_cells(scope, by, months, at, [_NEEDS[measure]] if measure in _NEEDS else [])
    known = has_churn_dates(scope)
    cols = []
    for first in firsts:
        in_month = pl.col(measure).filter(pl.col("month") == first)
        if measure in ("aov", "churn_rate"):  # a ratio: null where the value has no row
            cell = in_month.first()
        elif measure == "active" and not known and first != firsts[-1]:
            cell = pl.lit(None, dtype=pl.Int64)
        else:  # counts and sums: 0 where the value has no customer that month
            cell = in_month.sum()
        cols.append(cell.alias(month_label(first)))
    return (
        cells.group_by(_VALUE)
        .agg(cols)
        .sort(_VALUE, nulls_last=True)
        .rename({_VALUE: by})
        .select(by, *(month_label(f) for f in firsts))
    )


def trend_members(
    scope: Scope,
    by: str,
    measure: str,
    first: date,
    value: Any,
    at: Mapping[date, str] | None = None,
) -> pl.LazyFrame:
    """The facts rows of the customers a trends cell is about: the value's
    customers of the month (started by its measure day); for `active` those
    active at it, for `churn_rate` those whose churn date is in the month."""
    end = measured_at(first, scope.as_of)
    cond = (pl.col("start_date") <= end) & _matches(_value_of(by, at, first), value)
    last = first == month_start(scope.as_of)
    if measure == "active":
        if has_churn_dates(scope):
            cond &= _active_at(end)
        else:
            cond &= pl.col("active") if last else pl.lit(False)
    elif measure == "churn_rate":
        cond &= _churned_in(first, end) if has_churn_dates(scope) else pl.lit(False)
    return scope.facts.filter(cond)


# ---------------------------------------------------------------- migration


def migration_cells(
    scope: Scope, from_date: date, to_date: date, from_column: str, to_column: str
) -> pl.LazyFrame:
    """The customers started by `to_date`, counted by (value at `from_date`,
    value at `to_date`): `_started` (started by `from_date`), `_from` / `_to`
    (the values; `_from` null when not started), their texts `_from_label` /
    `_to_label`, and `customers`."""
    started = pl.col("start_date") <= from_date
    return (
        scope.facts.filter(pl.col("start_date") <= to_date)
        .group_by(
            started.alias("_started"),
            pl.when(started).then(pl.col(from_column)).alias("_from"),
            pl.col(to_column).alias("_to"),
        )
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            pl.col("_from").cast(pl.String).alias("_from_label"),
            pl.col("_to").cast(pl.String).alias("_to_label"),
        )
    )


def to_key(label: str | None) -> str:
    """The matrix column of a value at --to (its text; null is "(none)")."""
    return TO_PREFIX + (NO_VALUE if label is None else label)


def migration_tables(cells: pl.DataFrame, by: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The collected `migration_cells` as two matrices with the same rows and
    columns: counts and row shares. Rows: the value at --from as text (values
    ascending, null, then "not started"), then one column per value at --to
    (`to_key`, values ascending, null last) and `customers`, the row's total."""
    rows = (
        cells.select("_started", "_from", "_from_label")
        .unique()
        .sort(["_started", "_from"], descending=[True, False], nulls_last=True)
    )
    cols = cells.select("_to", "_to_label").unique().sort("_to", nulls_last=True)
    col_keys = [to_key(label) for label in cols["_to_label"]]
    lookup = {
        (r["_started"], r["_from_label"], to_key(r["_to_label"])): r["customers"]
        for r in cells.iter_rows(named=True)
    }
    labels: list[str | None] = []
    counts: dict[str, list[int]] = {k: [] for k in col_keys}
    for started, label in zip(rows["_started"], rows["_from_label"], strict=True):
        labels.append(label if started else NOT_STARTED)
        for key in col_keys:
            counts[key].append(lookup.get((started, label, key), 0))
    totals = [sum(counts[k][i] for k in col_keys) for i in range(len(labels))]
    count_frame = pl.DataFrame(
        {by: pl.Series(labels, dtype=pl.String)}
        | {k: pl.Series(v, dtype=pl.Int64) for k, v in counts.items()}
        | {"customers": pl.Series(totals, dtype=pl.Int64)}
    )
    share_frame = count_frame.with_columns(
        (pl.col(k) / pl.col("customers")).alias(k) for k in col_keys
    )
    return count_frame, share_frame


def migration_members(
    scope: Scope,
    from_date: date,
    to_date: date,
    from_column: str,
    to_column: str,
    from_label: str | None,
    to_label: str | None = None,
    any_to: bool = True,
) -> pl.LazyFrame:
    """The facts rows of a matrix row (`from_label`: a value's text, None for
    null, NOT_STARTED) or, with `any_to` False, of one cell (`to_label`: the
    value at --to as text, None for null)."""
    start = pl.col("start_date")
    cond = start <= to_date
    if from_label == NOT_STARTED:
        cond &= start > from_date
    else:
        cond &= (start <= from_date) & _matches(pl.col(from_column).cast(pl.String), from_label)
    if not any_to:
        cond &= _matches(pl.col(to_column).cast(pl.String), to_label)
    return scope.facts.filter(cond)
