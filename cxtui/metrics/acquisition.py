"""SPEC §8 "Acquisition" and "Customer lifetime value": new customers, spend and
CAC per channel (or any dimension) over the last `months` calendar months, and
the LTV of a group. Each function only builds a LazyFrame.

LTV is contractual with a `monthly` table (ARPA ÷ monthly subscriber churn) and
otherwise, with `orders`, the mean predicted clv_12m of the group, for which the
caller passes the collected `cxtui.metrics.clv.clv_predictions` frame.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.panes import check_dimension
from cxtui.metrics.periods import add_months, month_start
from cxtui.metrics.scope import Scope, null_col, ratio

ACQUISITION_KEYS = (
    "new_customers",
    "share",
    "spend",
    "cac",
    "ltv",
    "ltv_to_cac",
    "active_rate_now",
    "revenue_12m",
)
LTV_KEYS = ("customers", "arpa", "monthly_churn", "ltv")
CHURN_MONTHS = 12  # monthly subscriber churn is summed over the 12 months ending month(as_of)


# ---------------------------------------------------------------- windows and checks


def acquisition_window(as_of: date, months: int) -> tuple[date, date]:
    """The first day of the first of the last `months` calendar months ending
    with month(as_of), and the first day of month(as_of)."""
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise CxError(f"--months {months!r}: must be a whole number ≥ 1; fix: e.g. --months 3")
    last = month_start(as_of)
    return add_months(last, -(months - 1)), last


def ltv_method(scope: Scope) -> str | None:
    """ "contractual" with a monthly table, "orders" with orders only, else None."""
    if scope.ds.has("monthly"):
        return "contractual"
    if scope.ds.has("orders"):
        return "orders"
    return None


def _check_by(scope: Scope, by: str) -> None:
    if by == "channel" and "channel" not in scope.fact_columns():
        raise CxError(
            "acquisition --by channel: the customers have no channel column; fix: map it in "
            'cxtui.toml with [tables.customers.columns] channel = "<your column>", '
            "or pass --by another dimension",
            table="customers",
            column="channel",
        )
    check_dimension(scope, by)


def _spend(scope: Scope, by_channel: bool) -> pl.LazyFrame | None:
    """The spend rows with month as its month's first day, or None without spend."""
    if not scope.ds.has("spend"):
        return None
    if by_channel and not scope.ds.has_column("spend", "channel"):
        raise CxError(
            "table spend has no channel column, so spend cannot be split by channel; fix: "
            'map it in cxtui.toml with [tables.spend.columns] channel = "<your column>"',
            table="spend",
            column="channel",
        )
    # read before scan's as_of cut: the window below ends with month(as_of) itself
    return scope.ds.tables["spend"].with_columns(pl.col("month").dt.month_start())


def acquired(scope: Scope, months: int = 3) -> pl.LazyFrame:
    """The facts of the customers who started in the window (the drill-down of
    new_customers; filter further by the row's value)."""
    first, _ = acquisition_window(scope.as_of, months)
    return scope.universe.filter(pl.col("start_date") >= first)


# ---------------------------------------------------------------- LTV of a group


def _keys(by: str | None) -> list[str]:
    return [by] if by else []


def _join(left: pl.LazyFrame, right: pl.LazyFrame, by: str | None) -> pl.LazyFrame:
    if not by:
        return left.join(right, how="cross")
    return left.join(right, on=by, how="left", nulls_equal=True)


def churn_exposure(scope: Scope) -> pl.LazyFrame:
    """Per id with mrr_{M−1} > 0 in at least one of the 12 months M ending with
    month(as_of): `_exposed` (how many such M) and `_churned` (those with mrr_M
    = 0 as well); mrr_M is the sum of the id's rows in M, 0 when it has none
    (SPEC §7). Every id of the monthly table (the caller joins the members), so
    that the by-group and total LTVs share one pass (`ltv_by`'s `exposure`).

    Over the id's month rows in (customer_id, month) order, a row's next month
    is the next row when it is the same id and the adjacent month, else 0.
    Exports already one row per customer-month in that order
    (`Dataset.monthly_ordered`) are taken as they are."""
    last = month_start(scope.as_of)
    first_prev = add_months(last, -CHURN_MONTHS)
    month = pl.col("month")
    index = month.dt.year().cast(pl.Int32) * 12 + month.dt.month().cast(pl.Int32)
    lf = scope.table("monthly").filter(month >= first_prev)
    if scope.ds.monthly_ordered and scope.where is None:
        rows = lf.select("customer_id", index.alias("_mi"), pl.col("mrr").fill_null(0.0))
    else:
        rows = (
            lf.group_by("customer_id", "month")
            .agg(pl.col("mrr").sum())
            .select("customer_id", index.alias("_mi"), "mrr")
            .sort("customer_id", "_mi", nulls_last=True)
        )
    cid, mi, mrr = pl.col("customer_id"), pl.col("_mi"), pl.col("mrr")
    adjacent = cid.eq_missing(cid.shift(-1)) & (mi.shift(-1) == mi + 1)
    following = pl.when(adjacent).then(mrr.shift(-1)).otherwise(0.0)
    exposed = (mi < last.year * 12 + last.month) & (mrr > 0)
    return (
        rows.with_columns(following.alias("_mrr_next"))
        .filter(exposed)
        .group_by("customer_id")
        .agg(
            pl.len().cast(pl.Int64).alias("_exposed"),
            (pl.col("_mrr_next") == 0).sum().cast(pl.Int64).alias("_churned"),
        )
    )


def _monthly_churn(scope: Scope, by: str | None, exposure: pl.LazyFrame | None) -> pl.LazyFrame:
    """Per group: Σ `_exposed` and `_churned` (`churn_exposure`) of its members."""
    members = scope.universe.select("customer_id", *_keys(by))
    exposure = churn_exposure(scope) if exposure is None else exposure
    pairs = members.join(exposure, on="customer_id", how="inner")
    aggs = [pl.col("_exposed").sum(), pl.col("_churned").sum()]
    out = pairs.group_by(by).agg(aggs) if by else pairs.select(aggs)
    return out.with_columns(pl.col("_exposed", "_churned").cast(pl.Int64))


def ltv_by(
    scope: Scope,
    by: str | None = None,
    clv: pl.DataFrame | None = None,
    exposure: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """LTV_KEYS per value of `by` over all started customers with that value (one
    row without `by`). Contractual: arpa = Σ mrr in month(as_of) ÷ members with
    mrr > 0 then, monthly_churn = churned ÷ exposed member-months (see
    `_monthly_churn`), ltv = arpa ÷ monthly_churn (null when churn is 0).
    Orders only: ltv = the mean clv_12m of the members that have one (`clv`:
    the collected predictions keyed by customer_id); arpa and churn are null.
    `exposure`: `churn_exposure(scope)`, when already collected."""
    if by:
        check_dimension(scope, by)
    method = ltv_method(scope)
    members = scope.universe
    if method == "contractual":
        aggs = [
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("mrr").sum().alias("_mrr"),
            (pl.col("mrr") > 0).sum().alias("_paying"),
        ]
        base = members.group_by(by).agg(aggs) if by else members.select(aggs)
        out = _join(base, _monthly_churn(scope, by, exposure), by).with_columns(
            ratio(pl.col("_mrr"), pl.col("_paying")).alias("arpa"),
            ratio(pl.col("_churned"), pl.col("_exposed")).alias("monthly_churn"),
        )
        out = out.with_columns(ratio(pl.col("arpa"), pl.col("monthly_churn")).alias("ltv"))
    else:
        value = pl.col("clv_12m").mean() if method == "orders" and clv is not None else None
        if value is not None:
            members = members.join(
                clv.lazy().select("customer_id", "clv_12m"), on="customer_id", how="left"
            )
        aggs = [
            pl.len().cast(pl.Int64).alias("customers"),
            null_col("arpa"),
            null_col("monthly_churn"),
            (value.cast(pl.Float64) if value is not None else null_col("ltv")).alias("ltv"),
        ]
        out = members.group_by(by).agg(aggs) if by else members.select(aggs)
    return out.select(*_keys(by), *LTV_KEYS)


# ---------------------------------------------------------------- acquisition


def _new_customer_aggs(has_orders: bool) -> list[pl.Expr]:
    revenue = (
        pl.col("revenue_12m").sum().cast(pl.Float64).alias("revenue_12m")
        if has_orders
        else null_col("revenue_12m")
    )
    return [
        pl.len().cast(pl.Int64).alias("new_customers"),
        pl.col("active").sum().cast(pl.Int64).alias("_active"),
        revenue,
    ]


def _finish(frame: pl.LazyFrame, total_new: pl.Expr) -> pl.LazyFrame:
    new = pl.col("new_customers")
    frame = frame.with_columns(
        ratio(new, total_new).alias("share"),
        ratio(pl.col("spend"), new).alias("cac"),
        ratio(pl.col("_active"), new).alias("active_rate_now"),
    )
    return frame.with_columns(ratio(pl.col("ltv"), pl.col("cac")).alias("ltv_to_cac"))


def acquisition(
    scope: Scope,
    months: int = 3,
    by: str = "channel",
    clv: pl.DataFrame | None = None,
    exposure: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per value of `by` (a customer dimension, default channel) that has a
    new customer or, by channel, spend in the last `months` calendar months:
    `by`, ACQUISITION_KEYS. new_customers = started in the window; share of all
    of them; spend = Σ spend.amount of the window's months for that channel (null
    without spend, by another dimension, and for the null channel); cac = spend ÷
    new_customers; ltv = `ltv_by` of all started customers with the value;
    ltv_to_cac = ltv ÷ cac; active_rate_now and revenue_12m of the new customers.
    Rows: new_customers desc, then the value ascending, null last. `exposure`:
    see `ltv_by`."""
    _check_by(scope, by)
    first, last = acquisition_window(scope.as_of, months)
    has_orders = scope.ds.has("orders")
    new = acquired(scope, months)
    rows = new.group_by(by).agg(_new_customer_aggs(has_orders))
    spend = _spend(scope, by_channel=True) if by == "channel" else None
    if spend is not None:
        in_window = spend.filter(pl.col("month").is_between(first, last))
        per_channel = (
            in_window.filter(pl.col("channel").is_not_null())
            .group_by("channel")
            .agg(pl.col("amount").sum().cast(pl.Float64).alias("spend"))
        )
        rows = rows.join(per_channel, on="channel", how="full", coalesce=True).with_columns(
            pl.col("new_customers", "_active").fill_null(0),
            pl.when(pl.col("channel").is_not_null())
            .then(pl.col("spend").fill_null(0.0))
            .alias("spend"),
        )
        if has_orders:  # a channel with spend alone has no new customers' revenue: 0
            rows = rows.with_columns(pl.col("revenue_12m").fill_null(0.0))
    else:
        rows = rows.with_columns(null_col("spend"))
    rows = _join(rows, ltv_by(scope, by, clv, exposure).select(by, "ltv"), by)
    total_new = pl.col("new_customers").sum()
    return (
        _finish(rows, total_new)
        .sort(["new_customers", by], descending=[True, False], nulls_last=True)
        .select(by, *ACQUISITION_KEYS)
    )


def acquisition_total(
    scope: Scope,
    months: int = 3,
    clv: pl.DataFrame | None = None,
    exposure: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row of ACQUISITION_KEYS over every new customer of the window: spend is
    all spend of the window's months (any channel, null without spend), ltv that
    of all started customers; share is 1 (null without new customers)."""
    first, last = acquisition_window(scope.as_of, months)
    row = acquired(scope, months).select(_new_customer_aggs(scope.ds.has("orders")))
    spend = _spend(scope, by_channel=False)
    if spend is not None:
        total = spend.filter(pl.col("month").is_between(first, last)).select(
            pl.col("amount").sum().cast(pl.Float64).alias("spend")
        )
        row = row.join(total, how="cross")
    else:
        row = row.with_columns(null_col("spend"))
    row = row.join(ltv_by(scope, None, clv, exposure).select("ltv"), how="cross")
    return _finish(row, pl.col("new_customers")).select(*ACQUISITION_KEYS)
