"""SPEC §7 "Cohorts": retention of the customers who started in the same
calendar month (or quarter), by logo or by revenue, as a wide table.

A cohort is the customers of the universe (start ≤ as_of) whose start falls
in one period; age a is the period a periods after it. Each cell is measured
at the last day (month) of its period, the period containing as_of at as_of
(month(as_of)); cells of periods after it are null. Only LazyFrames are built.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.facts import churn_source
from cxtui.metrics.movements import FIRST_MONTH, check_months, index_month, month_index
from cxtui.metrics.panes import check_dimension
from cxtui.metrics.periods import month_end, month_start
from cxtui.metrics.scope import Scope, ratio

COHORT_METRICS = ("logo", "revenue")
COHORT_PERIODS = ("month", "quarter")


# ---------------------------------------------------------------- periods as integers


def period_index(d: date, period: str) -> int:
    """Months (or quarters) since year 0: consecutive periods differ by 1."""
    mi = month_index(d)
    return mi if period == "month" else mi // 3


def _period_expr(day: pl.Expr, period: str) -> pl.Expr:
    mi = day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32) - 1
    return mi if period == "month" else mi // 3


def _month_of(expr: pl.Expr) -> pl.Expr:
    return expr.dt.year().cast(pl.Int32) * 12 + expr.dt.month().cast(pl.Int32) - 1


def last_month_index(p: int, period: str) -> int:
    """The month index of the period's last month."""
    return p if period == "month" else 3 * p + 2


def period_first_day(p: int, period: str) -> date:
    return index_month(p if period == "month" else 3 * p)


def period_last_day(p: int, period: str) -> date:
    return month_end(index_month(last_month_index(p, period)))


def period_label(p: int, period: str) -> str:
    """YYYY-MM for months, YYYY-Qn for quarters."""
    if period == "month":
        d = index_month(p)
        return f"{d.year:04d}-{d.month:02d}"
    return f"{p // 4:04d}-Q{p % 4 + 1}"


def parse_cohort(label: str | date, period: str) -> int:
    """The period index of a cohort label (YYYY-MM, YYYY-Qn) or of a date in it."""
    if isinstance(label, date):
        return period_index(label, period)
    text = str(label).strip()
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE)
    if quarter and period == "quarter":
        return int(quarter[1]) * 4 + int(quarter[2]) - 1
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if month and period == "month" and 1 <= int(month[2]) <= 12:
        return int(month[1]) * 12 + int(month[2]) - 1
    form = "YYYY-MM" if period == "month" else "YYYY-Qn"
    raise CxError(f"cohort {text!r}: not a {period} cohort; fix: give it as {form}")


# ---------------------------------------------------------------- checks


def _check(scope: Scope, metric: str, period: str, months: int, by: str | None) -> None:
    if metric not in COHORT_METRICS:
        raise CxError(f"--metric {metric!r}: unknown; fix: use one of {', '.join(COHORT_METRICS)}")
    if period not in COHORT_PERIODS:
        raise CxError(f"--period {period!r}: unknown; fix: use one of {', '.join(COHORT_PERIODS)}")
    check_months(months)
    ds = scope.ds
    has_signup = ds.has_column("customers", "signup_date") and not ds.customers_derived
    if not has_signup and not any(ds.has(t) for t in ("orders", "monthly", "events")):
        raise CxError(
            "cohorts need customer start dates: the customers have no signup_date and there "
            "is no orders, monthly or events table; fix: add a signup_date column to customers "
            "(or map it in [tables.customers.columns])"
        )
    if metric == "revenue" and not (ds.has("monthly") or ds.has("orders")):
        raise CxError(
            "cohorts --metric revenue needs a monthly or an orders table; "
            "fix: add monthly.parquet or orders.parquet, or use --metric logo"
        )
    if by is not None:
        check_dimension(scope, by)


def _range(scope: Scope, period: str, months: int) -> tuple[int, int]:
    """The first and last cohort: every period with a month among the last
    `months` months ending with month(as_of), through the one holding as_of."""
    last_month = month_index(month_start(scope.as_of))
    first_month = max(last_month - months + 1, FIRST_MONTH)  # none before year 1
    if period == "month":
        return first_month, last_month
    return first_month // 3, last_month // 3


def _members(scope: Scope, period: str, first: int, by: str | None) -> pl.LazyFrame:
    """Customers of the universe whose start is in a cohort of the range:
    customer_id, the cohort's period index _c, the `by` value."""
    return scope.universe.filter(pl.col("start_date") >= period_first_day(first, period)).select(
        "customer_id",
        *([by] if by else []),
        _period_expr(pl.col("start_date"), period).alias("_c"),
        *(c for c in ("churn_date", "active", "first_mrr_month") if c in scope.fact_columns()),
    )


# ---------------------------------------------------------------- the cells


def _logo_cells(scope: Scope, members: pl.LazyFrame, keys: list[str], current: int, period: str):
    """(keys, _a, _num): customers of the cohort active at each age's measure day."""
    if churn_source(scope.ds) in ("is_active", "none"):
        # status at as_of only (SPEC §1): the period holding as_of has a cell
        return (
            members.group_by(keys)
            .agg(pl.col("active").sum().cast(pl.Float64).alias("_num"))
            .with_columns((pl.lit(current, pl.Int32) - pl.col("_c")).alias("_a"))
        )
    # A member is active at its age-a measure day until the period of its churn
    # date: churned in period Q, it is active at every P < Q (the churn date is
    # after P's last day) and at none from Q on (churn ≤ Q's measure day, as
    # churn dates after as_of are not seen). Never churned: every age.
    alive = (
        pl.when(pl.col("churn_date").is_null())
        .then(pl.lit(current + 1, pl.Int32) - pl.col("_c"))
        .otherwise(_period_expr(pl.col("churn_date"), period) - pl.col("_c"))
    )
    counts = members.group_by(*keys, alive.alias("_alive")).agg(pl.len().alias("_n"))
    ages = pl.LazyFrame({"_a": list(range(current + 1))}, schema={"_a": pl.Int32})
    return (
        counts.join(ages, how="cross")
        .filter(pl.col("_alive") > pl.col("_a"))
        .group_by(*keys, "_a")
        .agg(pl.col("_n").sum().cast(pl.Float64).alias("_num"))
    )


def _mrr_cells(scope: Scope, members: pl.LazyFrame, keys: list[str], current: int, period: str):
    """(keys, _a, _num, _den): Σ mrr of the members in each age's measure month
    and their new-business MRR (each member's mrr in its first month with mrr > 0)."""
    as_of_month = month_index(month_start(scope.as_of))
    rows = scope.ds.scan("monthly", whole=True).select(
        "customer_id", _month_of(pl.col("month")).alias("_mi"), "mrr"
    )
    rows = rows.join(
        members.select(
            "customer_id", *keys, _month_of(pl.col("first_mrr_month")).alias("_first_mi")
        ),
        on="customer_id",
        how="inner",
    )
    mi = pl.col("_mi")
    p = mi if period == "month" else mi // 3
    last_of_p = p if period == "month" else 3 * p + 2
    measured = ((p < current) & (mi == last_of_p)) | (mi == as_of_month)
    mrr = pl.col("mrr").cast(pl.Float64)
    return (
        rows.with_columns(
            (p - pl.col("_c")).alias("_a"),
            pl.when(measured).then(mrr).otherwise(0.0).alias("_m"),
            pl.when(mi == pl.col("_first_mi")).then(mrr).otherwise(0.0).alias("_f"),
        )
        .group_by(*keys, "_a")
        .agg(pl.col("_m").sum().alias("_num"), pl.col("_f").sum().alias("_first"))
        .with_columns(pl.col("_first").sum().over(keys).alias("_den"))
        .drop("_first")
    )


def _order_cells(scope: Scope, members: pl.LazyFrame, keys: list[str], period: str):
    """(keys, _a, _num, _den): Σ order amount of the members in each period
    and in the cohort's first period."""
    rows = scope.ds.scan("orders").join(
        members.select("customer_id", *keys), on="customer_id", how="inner"
    )
    return (
        rows.with_columns((_period_expr(pl.col("order_date"), period) - pl.col("_c")).alias("_a"))
        .group_by(*keys, "_a")
        .agg(pl.col("amount").sum().cast(pl.Float64).alias("_num"))
        .with_columns(
            pl.col("_num").filter(pl.col("_a") == 0).sum().over(keys).alias("_den"),
        )
    )


def cohorts(
    scope: Scope,
    metric: str = "logo",
    period: str = "month",
    months: int = 12,
    by: str | None = None,
) -> pl.LazyFrame:
    """SPEC §7 cohorts, wide: `cohort` (YYYY-MM or YYYY-Qn), `customers`, then
    p0 … p{K−1} as fractions, one row per cohort of the last `months` months
    (every period with a month among them, the first possibly before them;
    a period with no starters has customers 0 and null cells). `metric`:
    logo = members active at the age's measure day ÷ cohort size; revenue =
    members' mrr in the measure month ÷ their new-business MRR (monthly), or
    their order amount in the period ÷ that in the cohort's first period
    (orders only). With `by`, a block per value of the members' dimension
    (values ascending, null last), the `by` column first."""
    _check(scope, metric, period, months, by)
    first, current = _range(scope, period, months)
    members = _members(scope, period, first, by)
    keys = [*([by] if by else []), "_c"]
    sizes = members.group_by(keys).agg(pl.len().cast(pl.Int64).alias("customers"))
    cohorts_frame = pl.LazyFrame(
        {
            "_c": list(range(first, current + 1)),
            "cohort": [period_label(c, period) for c in range(first, current + 1)],
        },
        schema={"_c": pl.Int32, "cohort": pl.String},
    )
    grid = sizes.select(by).unique().join(cohorts_frame, how="cross") if by else cohorts_frame
    grid = grid.join(sizes, on=keys, how="left", nulls_equal=True).with_columns(
        pl.col("customers").fill_null(0)
    )
    ages = pl.LazyFrame({"_a": list(range(current - first + 1))}, schema={"_a": pl.Int32})
    cells = grid.join(ages, how="cross").filter(pl.col("_c") + pl.col("_a") <= current)
    if metric == "logo":
        measured = _logo_cells(scope, members, keys, current, period)
        den = pl.col("customers").cast(pl.Float64)
    elif scope.ds.has("monthly"):
        measured = _mrr_cells(scope, members, keys, current, period)
        den = pl.col("_den")
    else:
        measured = _order_cells(scope, members, keys, period)
        den = pl.col("_den")
    if metric != "logo":
        # every age of a cohort gets its denominator, also ages with no rows
        dens = measured.group_by(keys).agg(pl.col("_den").first())
        cells = cells.join(dens, on=keys, how="left", nulls_equal=True)
        measured = measured.drop("_den")
    value = ratio(pl.col("_num").fill_null(0.0), den)
    if metric == "logo" and churn_source(scope.ds) in ("is_active", "none"):
        # no churn dates: past periods cannot be measured (SPEC §1, status at as_of)
        value = pl.when(pl.col("_c") + pl.col("_a") == current).then(value)
    cells = cells.join(measured, on=[*keys, "_a"], how="left", nulls_equal=True).with_columns(
        value.alias("_value")
    )
    wide = cells.group_by(keys).agg(
        pl.col("_value").filter(pl.col("_a") == a).first().alias(f"p{a}")
        for a in range(current - first + 1)
    )
    return (
        grid.join(wide, on=keys, how="left", nulls_equal=True)
        .sort(keys, nulls_last=True)
        .drop("_c")
    )


def cohort_members(
    scope: Scope,
    cohort: str | date,
    age: int | None = None,
    metric: str = "logo",
    period: str = "month",
    by: str | None = None,
    value: object = None,
) -> pl.LazyFrame:
    """Drill-down of a cohorts cell: the facts rows of the cohort's members
    (of the block `by` = `value`; None is the null group) retained at `age`,
    or every member when `age` is None (the `customers` cell). Retained:
    logo, active at the age's measure day (the period's last day, as_of for
    the period holding it); revenue with monthly, mrr > 0 in the measure
    month (column `period_mrr`); with orders only, an orders row in the
    period (column `period_revenue`). A null cell (a later period, or a past
    one without churn dates) lists nobody. Sorted by customer_id, revenue
    lists by their value desc first."""
    months = 1  # the range does not matter for one cohort
    _check(scope, metric, period, months, by)
    c = parse_cohort(cohort, period)
    current = period_index(scope.as_of, period)
    lf = scope.universe.filter(_period_expr(pl.col("start_date"), period) == c)
    if by is not None:
        lf = lf.filter(pl.col(by).is_null() if value is None else pl.col(by) == value)
    if age is None:
        return lf.sort("customer_id")
    p = c + age
    if age < 0 or p > current:
        return lf.filter(pl.lit(False))
    if metric == "logo":
        if churn_source(scope.ds) in ("is_active", "none"):
            return lf.filter(pl.col("active") & pl.lit(p == current)).sort("customer_id")
        day = min(period_last_day(p, period), scope.as_of)
        churn = pl.col("churn_date")
        active = (pl.col("start_date") <= day) & (churn.is_null() | (churn > day))
        return lf.filter(active).sort("customer_id")
    if scope.ds.has("monthly"):
        month = min(index_month(last_month_index(p, period)), month_start(scope.as_of))
        mrr = (
            scope.ds.scan("monthly")
            .filter(pl.col("month") == month)
            .group_by("customer_id")
            .agg(pl.col("mrr").sum().cast(pl.Float64).alias("period_mrr"))
            .filter(pl.col("period_mrr") > 0)
        )
        return lf.join(mrr, on="customer_id", how="inner").sort(
            ["period_mrr", "customer_id"], descending=[True, False]
        )
    lo, hi = period_first_day(p, period), period_last_day(p, period)
    revenue = (
        scope.ds.scan("orders")
        .filter(pl.col("order_date").is_between(lo, hi))
        .group_by("customer_id")
        .agg(pl.col("amount").sum().cast(pl.Float64).alias("period_revenue"))
    )
    return lf.join(revenue, on="customer_id", how="inner").sort(
        ["period_revenue", "customer_id"], descending=[True, False]
    )
