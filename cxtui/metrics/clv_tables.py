"""The tables of the clv view (SPEC §8 "Predictive CLV") over the collected
predictions (`cxtui.metrics.clv.clv_predictions`, keyed by customer_id): the
customers ranked by clv_12m, the mean and sum per group, and the deciles of
clv_12m. Each function only builds a LazyFrame; none needs scipy.
"""

from __future__ import annotations

import polars as pl

from cxtui.metrics.panes import check_dimension
from cxtui.metrics.scope import Scope, null_col, ratio

TOP_COLUMNS = (
    "customer_id",
    "name",
    "p_alive",
    "expected_orders_365d",
    "expected_aov",
    "clv_12m",
    "revenue_12m",
)
GROUP_KEYS = ("customers", "avg_p_alive", "expected_orders_365d", "avg_clv_12m", "clv_12m")
DECILE_KEYS = ("decile", "customers", "clv_from", "clv_to", "clv_12m", "clv_share")
DECILES = 10


def _known_sum(name: str) -> pl.Expr:
    """Σ of the known values; null when none is known (not 0)."""
    col = pl.col(name)
    return pl.when(col.count() > 0).then(col.sum()).otherwise(None).cast(pl.Float64)


def rank_order(predictions: pl.LazyFrame) -> pl.LazyFrame:
    """`predictions` by clv_12m desc (nulls last), then customer_id: a stable sort
    on clv_12m of the rows in customer_id order (one float key instead of a
    float and a string: a quarter of the time on 1M customers; the id sort is
    free when the frame is in id order already, as `engine.clv` keeps it)."""
    return predictions.sort("customer_id").sort(
        "clv_12m", descending=True, nulls_last=True, maintain_order=True
    )


def ranked(scope: Scope, predictions: pl.LazyFrame, n: int | None = None) -> pl.LazyFrame:
    """The scope's customers that have a prediction, in `rank_order`:
    TOP_COLUMNS (name and revenue_12m from the facts, null when the facts have
    none); the first `n` only when given (ranked before the join: a top-k of the
    predictions, then the facts of those n)."""
    cols = set(scope.fact_columns())
    facts = scope.universe.select(
        "customer_id",
        pl.col("name") if "name" in cols else null_col("name", pl.String),
        pl.col("revenue_12m") if "revenue_12m" in cols else null_col("revenue_12m"),
    )
    order = rank_order(
        predictions.select(
            "customer_id", "p_alive", "expected_orders_365d", "expected_aov", "clv_12m"
        )
    )
    if n is not None:
        order = order.head(n)
    return order.join(facts, on="customer_id", how="inner", maintain_order="left").select(
        TOP_COLUMNS
    )


def top_by_clv(scope: Scope, predictions: pl.LazyFrame, n: int | None) -> pl.LazyFrame:
    """The first `n` of `ranked` (all with None)."""
    return ranked(scope, predictions, n)


def clv_by(scope: Scope, predictions: pl.LazyFrame, by: str) -> pl.LazyFrame:
    """Per value of `by` (a customer dimension), over the customers with a
    prediction: `customers`, `avg_p_alive`, `expected_orders_365d` (Σ),
    `avg_clv_12m`, `clv_12m` (Σ); means and sums over the known values, null when
    none is. Rows by clv_12m desc, then the value ascending, nulls last."""
    check_dimension(scope, by)
    members = predictions.join(scope.universe.select("customer_id", by), on="customer_id")
    return (
        members.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("p_alive").mean().alias("avg_p_alive"),
            _known_sum("expected_orders_365d").alias("expected_orders_365d"),
            pl.col("clv_12m").mean().alias("avg_clv_12m"),
            _known_sum("clv_12m").alias("clv_12m"),
        )
        .sort(["clv_12m", by], descending=[True, False], nulls_last=True)
        .select(by, *GROUP_KEYS)
    )


def _with_deciles(ranked_rows: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of `ranked_rows` (customers in `rank_order`, e.g. `ranked`'s) that
    have a clv_12m, each with its `decile`: rank r = 1…n in that order, decile =
    floor((r − 1) × 10 ÷ n) + 1 (1 = the top tenth; the formula of SPEC §2's RFM
    scores, so every decile holds n ÷ 10 customers when 10 divides n)."""
    known = ranked_rows.select("customer_id", "clv_12m").filter(pl.col("clv_12m").is_not_null())
    return known.with_row_index("_rank").with_columns(
        (pl.col("_rank") * DECILES // pl.len() + 1).cast(pl.Int64).alias("decile")
    )


def clv_deciles(ranked_rows: pl.LazyFrame) -> pl.LazyFrame:
    """DECILE_KEYS per decile that has customers (see `_with_deciles`): its
    customers, the lowest and highest clv_12m, Σ clv_12m and its share of the Σ
    over all deciles (null when that Σ is 0)."""
    rows = (
        _with_deciles(ranked_rows)
        .group_by("decile")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("clv_12m").min().alias("clv_from"),
            pl.col("clv_12m").max().alias("clv_to"),
            pl.col("clv_12m").sum().alias("clv_12m"),
        )
        .sort("decile")
    )
    return rows.with_columns(
        ratio(pl.col("clv_12m"), pl.col("clv_12m").sum()).alias("clv_share")
    ).select(DECILE_KEYS)


def decile_members(scope: Scope, ranked_rows: pl.LazyFrame, decile: int) -> pl.LazyFrame:
    """The facts rows of exactly the customers of `decile`, in clv_12m order."""
    ids = _with_deciles(ranked_rows).filter(pl.col("decile") == decile)
    return (
        ids.select("customer_id", "_rank")
        .join(scope.universe, on="customer_id", how="inner")
        .sort("_rank")
        .drop("_rank")
    )
