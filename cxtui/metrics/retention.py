"""SPEC §2 "Retention (contractual)": NRR / GRR from start month S to end month E."""

from __future__ import annotations

import polars as pl

from cxtui.metrics.periods import add_months, month_start
from cxtui.metrics.scope import Scope, ratio

RETENTION_KEYS = (
    "customers",
    "start_mrr",
    "end_mrr",
    "expansion",
    "contraction",
    "churned_mrr",
    "nrr",
    "grr",
)


def retention_months(scope: Scope):
    end = month_start(scope.as_of)
    return add_months(end, -12), end


def retention_base(scope: Scope) -> pl.LazyFrame:
    """One row per id with mrr > 0 in S: start_mrr, end_mrr (0 when absent).
    S = month(as_of) − 12 and E = month(as_of): the facts' mrr_12m_ago and mrr,
    the sums of each id's rows in those months."""
    per_id = scope.id_sums(["mrr_12m_ago", "mrr"]).select(
        "customer_id",
        pl.col("mrr_12m_ago").cast(pl.Float64).alias("start_mrr"),
        pl.col("mrr").cast(pl.Float64).alias("end_mrr"),
    )
    start, end = pl.col("start_mrr"), pl.col("end_mrr")
    return per_id.filter(start > 0).with_columns(
        pl.max_horizontal(end - start, pl.lit(0.0)).alias("expansion"),
        pl.when((end > 0) & (end < start)).then(start - end).otherwise(0.0).alias("contraction"),
        pl.when(end == 0).then(start).otherwise(0.0).alias("churned_mrr"),
        pl.min_horizontal(start, end).alias("_kept"),
    )


def _summary(group_by: list[str] | None, base: pl.LazyFrame) -> pl.LazyFrame:
    aggs = [
        pl.len().alias("customers"),
        pl.col("start_mrr").sum(),
        pl.col("end_mrr").sum(),
        pl.col("expansion").sum(),
        pl.col("contraction").sum(),
        pl.col("churned_mrr").sum(),
        pl.col("_kept").sum(),
    ]
    out = base.group_by(group_by).agg(aggs) if group_by else base.select(aggs)
    return out.with_columns(
        ratio(pl.col("end_mrr"), pl.col("start_mrr")).alias("nrr"),
        ratio(pl.col("_kept"), pl.col("start_mrr")).alias("grr"),
    ).drop("_kept")


def retention_overall(scope: Scope) -> pl.LazyFrame:
    """One row with RETENTION_KEYS (customers = 0 and ratios null for an empty base)."""
    return _summary(None, retention_base(scope)).with_columns(pl.col("customers").cast(pl.Int64))


def retention_by(scope: Scope, dim: str) -> pl.LazyFrame:
    """Rows per value of a customer dimension; ids that are not customers fall in null."""
    base = retention_base(scope).join(
        scope.facts.select("customer_id", dim), on="customer_id", how="left"
    )
    return (
        _summary([dim], base)
        .with_columns(pl.col("customers").cast(pl.Int64))
        .sort(["customers", dim], descending=[True, False], nulls_last=True)
        .select(dim, *RETENTION_KEYS)
    )
