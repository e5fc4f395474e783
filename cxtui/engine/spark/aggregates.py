"""The facts build's first step in Spark: one row per id for each large table,
the same columns as `cxtui.metrics.facts.table_aggregates` (one function here
per function there, in the same order, under the same names; the types are
Spark's, cast to Polars' when the build reads them back).

Each takes the table's canonical rows (`read.canonical_frame`, every row) and
cuts them at as_of as `Dataset.scan` does. Where Polars and Spark differ, the
Polars meaning is kept: a sum over no values is 0 (Spark's is null), a count
of rows where a condition holds skips rows where it is null.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from cxtui.data.load import Dataset
from cxtui.data.schema import DATE_COLUMN
from cxtui.metrics.facts import _MONTHLY_SIGNALS
from cxtui.metrics.periods import add_months, month_start, shift_days


def cut_at_as_of(ds: Dataset, table: str, rows: DataFrame) -> DataFrame:
    """`Dataset.scan`: every row dated after as_of removed (monthly and spend at
    month(as_of)'s first day), and rows without a date."""
    column = DATE_COLUMN.get(table)
    if column is None:
        return rows
    limit = ds.as_of.replace(day=1) if table in ("monthly", "spend") else ds.as_of
    return rows.filter(F.col(column) <= F.lit(limit))


def _count(condition: Column) -> Column:
    """Rows where `condition` is true (Polars' sum of a boolean column)."""
    return F.sum(F.when(condition, 1).otherwise(0))


def _total(value: Column) -> Column:
    """Polars' sum: nulls skipped, 0 over no values."""
    return F.coalesce(F.sum(value), F.lit(0.0))


def _flags(ds: Dataset, table: str) -> list[Column]:
    """The NaN / inf counts of the pass (facts._counted)."""
    return [_count(F.col(flag)).alias(flag) for flag in ds.nonfinite_columns(table)]


def _on(day: date) -> Column:
    return F.lit(day)


def orders(ds: Dataset, rows: DataFrame) -> DataFrame:
    """facts._orders_agg."""
    in_12m = F.col("order_date") > _on(shift_days(ds.as_of, -365))
    amount = F.col("amount")
    return (
        cut_at_as_of(ds, "orders", rows)
        .groupBy("customer_id")
        .agg(
            F.min("order_date").alias("first_order_date"),
            F.max("order_date").alias("last_order_date"),
            F.count(F.lit(1)).alias("lifetime_orders"),
            _total(amount).alias("lifetime_revenue"),
            _total(F.when(in_12m, amount)).alias("revenue_12m"),
            _count(in_12m & (amount > 0)).alias("orders_12m"),
            _count(in_12m).alias("order_rows_12m"),
            *_flags(ds, "orders"),
        )
    )


def monthly(ds: Dataset, rows: DataFrame) -> DataFrame:
    """facts._monthly_agg: per (id, month) the month's sums and value counts, then
    per id the months with mrr > 0, mrr now and 12 months ago, the block means
    of the risk signals over rows and the latest month's account NPS."""
    m0 = month_start(ds.as_of)
    r_start, p_start = add_months(m0, -2), add_months(m0, -5)
    cols = ds.columns("monthly")
    signals = [(prefix, col) for prefix, col in _MONTHLY_SIGNALS.items() if col in cols]
    flags = ds.nonfinite_columns("monthly")
    per_month = (
        cut_at_as_of(ds, "monthly", rows)
        .groupBy("customer_id", "month")
        .agg(
            _total(F.col("mrr")).alias("mrr"),
            *(
                expr
                for prefix, col in signals
                for expr in (
                    _total(F.col(col)).alias(f"{prefix}_sum"),
                    F.count(col).alias(f"{prefix}_n"),
                )
            ),
            *(_count(F.col(flag)).alias(flag) for flag in flags),
        )
    )
    month, mrr = F.col("month"), F.col("mrr")
    positive = mrr > 0
    in_r = month >= _on(r_start)
    in_p = (month >= _on(p_start)) & (month < _on(r_start))
    latest_positive = F.max(F.when(positive, F.struct(month.alias("m"), mrr.alias("v"))))
    aggs = [
        F.min(F.when(positive, month)).alias("first_mrr_month"),
        F.max(F.when(positive, month)).alias("last_mrr_month"),
        F.coalesce(latest_positive["v"], F.lit(0.0)).alias("last_positive_mrr"),
        _total(F.when(month == _on(m0), mrr)).alias("mrr"),
        _total(F.when(month == _on(add_months(m0, -12)), mrr)).alias("mrr_12m_ago"),
    ]
    for prefix, _ in signals:
        for block, inside in (("p", in_p), ("r", in_r)):
            total = F.sum(F.when(inside, F.col(f"{prefix}_n")).otherwise(0))
            value = F.sum(F.when(inside, F.col(f"{prefix}_sum")).otherwise(0.0)) / total
            aggs.append(F.when(total > 0, value).alias(f"{prefix}_{block}"))
    if "nps" in cols:
        rated = F.col("nps_n") > 0
        latest = F.max(F.when(rated, F.struct(month.alias("m"), F.col("nps_sum").alias("s"))))
        latest_n = F.max(F.when(rated, F.struct(month.alias("m"), F.col("nps_n").alias("n"))))
        aggs.append((latest["s"] / latest_n["n"]).alias("latest_account_nps"))
    return per_month.groupBy("customer_id").agg(
        *aggs, *(F.sum(F.col(flag)).alias(flag) for flag in flags)
    )


def events(ds: Dataset, rows: DataFrame) -> DataFrame:
    """facts._events_agg."""
    in_90 = F.col("ts") > _on(shift_days(ds.as_of, -90))
    payment = F.col("event_type").isin(list(ds.config.payment_event_types))
    return (
        cut_at_as_of(ds, "events", rows)
        .groupBy("customer_id")
        .agg(
            F.min("ts").alias("first_event_date"),
            F.max("ts").alias("last_event_date"),
            F.count(F.lit(1)).alias("events_lifetime"),
            _count(in_90).alias("events_90d"),
            _count(in_90 & payment).alias("payment_events_90d"),
            *_flags(ds, "events"),
        )
    )


def feedback(ds: Dataset, rows: DataFrame) -> DataFrame:
    """facts._feedback_agg: the latest scored response in 90d is the one with the
    latest date, then the highest score (docs/metrics.md)."""
    score = F.col("score")
    in_90 = (F.col("date") > _on(shift_days(ds.as_of, -90))) & score.isNotNull()
    latest = F.max(F.when(in_90, F.struct(F.col("date").alias("d"), score.alias("s"))))
    return (
        cut_at_as_of(ds, "feedback", rows)
        .groupBy("customer_id")
        .agg(
            F.count(F.lit(1)).alias("feedback_responses"),
            _count(in_90).alias("feedback_responses_90d"),
            F.min(F.when(in_90, score)).alias("min_score_90d"),
            latest["s"].alias("latest_score_90d"),
            *_flags(ds, "feedback"),
        )
    )


AGGREGATES = {"orders": orders, "monthly": monthly, "events": events, "feedback": feedback}


def table_aggregates(ds: Dataset, frames: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """facts.table_aggregates(ds, count_nonfinite=True) over `frames` (by table)."""
    return {t: agg(ds, frames[t]) for t, agg in AGGREGATES.items() if t in frames}
