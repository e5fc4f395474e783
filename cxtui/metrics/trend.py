"""Monthly series for the Overview pane's sparklines (issue #4): active
customers at each month's end, revenue booked in the month, MRR of the month
and customers churned in the month, over the last 12 calendar months up to
as_of (the current month is partial: it ends at as_of)."""

from __future__ import annotations

import polars as pl

from cxtui.metrics.facts import churn_source
from cxtui.metrics.panes import trend_months
from cxtui.metrics.periods import month_end, next_month_start
from cxtui.metrics.scope import Scope

TREND_KEYS = ("month", "active_customers", "revenue", "mrr", "churned_customers")


def monthly_trend(scope: Scope, months: int = 12) -> pl.LazyFrame:
    firsts = trend_months(scope.as_of, months)
    dated = churn_source(scope.ds) not in ("is_active", "none")
    churn = pl.col("churn_date")
    u = scope.universe
    parts = []
    for first in firsts:
        end = min(month_end(first), scope.as_of)
        active = (pl.col("start_date") <= end) & (churn.is_null() | (churn > end))
        churned = (churn >= first) & (churn <= end)
        parts.append(
            u.select(
                pl.lit(first).alias("month"),
                active.sum().cast(pl.Int64).alias("active_customers")
                if dated
                else pl.lit(None, pl.Int64).alias("active_customers"),
                churned.sum().cast(pl.Int64).alias("churned_customers")
                if dated
                else pl.lit(None, pl.Int64).alias("churned_customers"),
            )
        )
    frame = pl.concat(parts)
    if scope.ds.has("orders"):
        revenue = (
            scope.table("orders")
            .filter((pl.col("order_date") >= firsts[0]) & (pl.col("order_date") <= scope.as_of))
            .group_by(pl.col("order_date").dt.truncate("1mo").alias("month"))
            .agg(pl.col("amount").sum().alias("revenue"))
        )
        frame = frame.join(revenue, on="month", how="left").with_columns(
            pl.col("revenue").fill_null(0.0)
        )
    else:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("revenue"))
    if scope.ds.has("monthly"):
        mrr = (
            scope.table("monthly")
            .filter(
                (pl.col("month") >= firsts[0]) & (pl.col("month") < next_month_start(scope.as_of))
            )
            .group_by(pl.col("month").dt.truncate("1mo").alias("month"))
            .agg(pl.col("mrr").sum().alias("mrr"))
        )
        frame = frame.join(mrr, on="month", how="left").with_columns(pl.col("mrr").fill_null(0.0))
    else:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("mrr"))
    return frame.sort("month").select(TREND_KEYS)
