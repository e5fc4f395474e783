"""A customer's annual value and ARR as SPEC Part II defines them, and the
null-aware aggregates the Part II views use for them.

"value" = revenue_12m when `orders` exists, else annual_revenue, else 12 × mrr
(the revenue_tier rule); "arr" = 12 × mrr when `monthly` exists, else
annual_revenue (summed: Σ annual_revenue).
"""

from __future__ import annotations

import polars as pl

from cxtui.metrics.facts import revenue_value
from cxtui.metrics.scope import Scope


def value_expr(scope: Scope) -> pl.Expr | None:
    """Each customer's annual value (a facts expression), None when the data has none."""
    expr, _ = revenue_value(scope.ds, set(scope.fact_columns()))
    return expr


def value_source(scope: Scope) -> str | None:
    """What "value" is for this dataset: "revenue_12m", "annual_revenue", "12 × mrr"."""
    _, name = revenue_value(scope.ds, set(scope.fact_columns()))
    return name


def arr_expr(scope: Scope) -> pl.Expr | None:
    """Each customer's ARR: 12 × mrr with `monthly`, else annual_revenue, else None."""
    if scope.ds.has("monthly"):
        return pl.col("mrr") * 12
    if "annual_revenue" in scope.fact_columns():
        return pl.col("annual_revenue")
    return None


def arr_total(scope: Scope) -> pl.Expr | None:
    """Σ ARR of a group of customers as an aggregate: 12 × Σ mrr (the overview's
    `arr` = 12 × mrr, multiplied after summing), else Σ annual_revenue."""
    if scope.ds.has("monthly"):
        return pl.col("mrr").sum() * 12
    if "annual_revenue" in scope.fact_columns():
        return known_sum(pl.col("annual_revenue"))
    return None


def known_sum(expr: pl.Expr) -> pl.Expr:
    """Σ of the non-null values; null when there are none (a sum over no known
    values is unknown, not 0). Columns that are 0-filled never hit the null case."""
    return pl.when(expr.count() > 0).then(expr.sum())


def nps_source(scope: Scope) -> str | None:
    """Where nps_mean comes from (SPEC §10 "latest account NPS or feedback score,
    whichever the data has"): "account_nps" (monthly.nps, −100..100) when the
    monthly table has an nps column, else "feedback_score" (0–10), else None.
    Both on one scale cannot be mixed, so account NPS wins when both exist."""
    if "latest_account_nps" in scope.fact_columns():
        return "account_nps"
    if scope.ds.has("feedback"):
        return "feedback_score"
    return None


NPS = "_nps"  # the column with_nps adds


def with_nps(scope: Scope, frame: pl.LazyFrame) -> pl.LazyFrame:
    """`frame` (facts rows) with `_nps`: the customer's latest non-null monthly.nps
    up to as_of, else their latest feedback score up to as_of (two responses on
    that day: the higher score, as for nps_90d), else null."""
    source = nps_source(scope)
    if source == "account_nps":
        return frame.with_columns(pl.col("latest_account_nps").alias(NPS))
    if source is None:
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(NPS))
    latest = (
        scope.table("feedback")
        .filter(pl.col("score").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("score").sort_by(["date", "score"]).last().cast(pl.Float64).alias(NPS))
    )
    return frame.join(latest, on="customer_id", how="left", maintain_order="left")
