"""SPEC §2 "Overview": one row, the keys of `cxtui overview --format json`."""

from __future__ import annotations

import polars as pl

from cxtui.measures import keys_in
from cxtui.metrics.facts import AVG_MONTH_DAYS, churn_source
from cxtui.metrics.periods import add_months, shift_days
from cxtui.metrics.retention import retention_overall
from cxtui.metrics.scope import Scope, null_col, ratio
from cxtui.metrics.values import arr_total, known_sum, value_expr

# The overview object's keys, in order: the catalog's "overview" section.
OVERVIEW_KEYS = keys_in("overview")


def _active_at(day) -> pl.Expr:
    churn = pl.col("churn_date")
    return (pl.col("start_date") <= day) & (churn.is_null() | (churn > day))


def _customer_part(scope: Scope) -> pl.LazyFrame:
    as_of = scope.as_of
    d30 = shift_days(as_of, -30)
    source = churn_source(scope.ds)
    dated = source not in ("is_active", "none")
    cols = set(scope.fact_columns())
    u = scope.universe
    churn = pl.col("churn_date")
    aggs = [
        pl.len().cast(pl.Int64).alias("customers_total"),
        pl.col("active").sum().cast(pl.Int64).alias("active_customers"),
        (pl.col("start_date") > d30).sum().cast(pl.Int64).alias("new_customers_30d"),
        (pl.col("tenure_days").mean() / AVG_MONTH_DAYS).alias("avg_tenure_months"),
    ]
    if dated:
        prev = add_months(as_of, -1)
        base = _active_at(d30)
        aggs += [
            ((churn > d30) & (churn <= as_of)).sum().cast(pl.Int64).alias("churned_customers_30d"),
            ratio(
                pl.col("active").sum().cast(pl.Float64), _active_at(prev).sum().cast(pl.Float64)
            ).alias("_growth"),
            ratio(
                (base & (churn > d30) & (churn <= as_of)).sum().cast(pl.Float64),
                base.sum().cast(pl.Float64),
            ).alias("logo_churn_rate_30d"),
        ]
    else:
        aggs += [
            null_col("churned_customers_30d", pl.Int64),
            null_col("_growth"),
            null_col("logo_churn_rate_30d"),
        ]
    if "order_rows_12m" in cols:
        buyers = (pl.col("order_rows_12m") >= 1).sum().cast(pl.Int64)
        aggs += [
            buyers.alias("buyers_12m"),
            ratio(
                (pl.col("order_rows_12m") >= 2).sum().cast(pl.Float64), buyers.cast(pl.Float64)
            ).alias("repeat_purchase_rate_12m"),
        ]
    else:
        aggs += [null_col("buyers_12m", pl.Int64), null_col("repeat_purchase_rate_12m")]
    if "latest_score_90d" in cols:
        score = pl.col("latest_score_90d")
        n = score.count().cast(pl.Int64)
        aggs += [
            ratio(
                100.0 * ((score >= 9).sum().cast(pl.Float64) - (score <= 6).sum().cast(pl.Float64)),
                n.cast(pl.Float64),
            ).alias("nps_90d"),
            n.alias("nps_90d_n"),
        ]
    else:
        aggs += [null_col("nps_90d"), null_col("nps_90d_n", pl.Int64)]
    if "latest_account_nps" in cols:
        aggs.append(
            pl.col("latest_account_nps").filter(pl.col("active")).mean().alias("mean_account_nps")
        )
    else:
        aggs.append(null_col("mean_account_nps"))
    return (
        u.select(aggs)
        .with_columns((pl.col("_growth") - 1).alias("growth_rate_mom"))
        .drop("_growth")
    )


def _orders_part(scope: Scope) -> pl.LazyFrame:
    if not scope.ds.has("orders"):
        return pl.LazyFrame(
            {"revenue_12m": [None], "orders_12m": [None], "aov_12m": [None]},
            schema={"revenue_12m": pl.Float64, "orders_12m": pl.Int64, "aov_12m": pl.Float64},
        )
    # Σ amount and count of amount > 0 over the order rows in 12m, summed per id
    o = scope.id_sums(["revenue_12m", "orders_12m"])
    rev = pl.col("revenue_12m").sum().cast(pl.Float64)
    n = pl.col("orders_12m").sum().cast(pl.Int64)
    return o.select(
        rev.alias("revenue_12m"),
        n.alias("orders_12m"),
        ratio(rev, n.cast(pl.Float64)).alias("aov_12m"),
    )


def _value_part(scope: Scope) -> pl.LazyFrame:
    """SPEC Part II `value`: Σ of the customers' annual value over U (customers
    only, unlike revenue_12m); `arr` without monthly: Σ annual_revenue over U."""
    value = value_expr(scope)
    arr = arr_total(scope) if not scope.ds.has("monthly") else None
    return scope.universe.select(
        (known_sum(value) if value is not None else pl.lit(None)).cast(pl.Float64).alias("value"),
        (arr if arr is not None else pl.lit(None)).cast(pl.Float64).alias("_arr_customers"),
    )


def _mrr_part(scope: Scope) -> pl.LazyFrame:
    if not scope.ds.has("monthly"):
        return pl.LazyFrame(
            {k: [None] for k in ("mrr", "nrr_12m", "grr_12m")},
            schema={k: pl.Float64 for k in ("mrr", "nrr_12m", "grr_12m")},
        )
    mrr = scope.id_sums(["mrr"]).select(pl.col("mrr").sum().cast(pl.Float64))
    ret = retention_overall(scope).select(
        pl.col("nrr").alias("nrr_12m"), pl.col("grr").alias("grr_12m")
    )
    return pl.concat([mrr.with_columns((pl.col("mrr") * 12).alias("arr")), ret], how="horizontal")


def overview(scope: Scope) -> pl.LazyFrame:
    """SPEC §2 overview as a one-row LazyFrame with OVERVIEW_KEYS in order."""
    parts = pl.concat(
        [_customer_part(scope), _orders_part(scope), _mrr_part(scope), _value_part(scope)],
        how="horizontal",
    )
    if not scope.ds.has("monthly"):  # SPEC Part II: arr = Σ annual_revenue without monthly
        parts = parts.with_columns(pl.col("_arr_customers").alias("arr"))
    return parts.with_columns(
        pl.lit(scope.as_of).alias("as_of"),
        ratio(pl.col("revenue_12m"), pl.col("buyers_12m").cast(pl.Float64)).alias(
            "revenue_per_buyer_12m"
        ),
    ).select(OVERVIEW_KEYS)
