"""The analysis store's tables in Spark: `cxtui.engine.compacted`'s definitions,
one function here per function there (the columns kept are the same list)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from cxtui.data.load import Dataset
from cxtui.engine.compacted import STORE_TABLES, WEIGHT, kept_columns, monthly_attributes
from cxtui.engine.spark.read import FILE, POS


def _columns(names: list[str]) -> list:
    return [F.col("`" + n.replace("`", "``") + "`") for n in names]


def rows(ds: Dataset, table: str, frame: DataFrame) -> DataFrame:
    """compacted.rows: every row with the kept columns. The monthly rows that
    carry derived customers' attributes are put in (customer_id, month) order
    and, within a month, in file order (FILE, POS), which is all the derived
    customers read of the files' order."""
    kept = kept_columns(ds, table)
    if table == "monthly" and monthly_attributes(ds):
        frame = frame.orderBy("customer_id", "month", FILE, POS)
    return frame.select(_columns(kept))


def events(ds: Dataset, frame: DataFrame) -> DataFrame:
    """compacted.events: one row per (customer_id, ts, event_type) with its count."""
    keys = kept_columns(ds, "events")
    return frame.groupBy(_columns(keys)).agg(F.count(F.lit(1)).alias(WEIGHT))


def store_tables(ds: Dataset, frames: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """compacted.store_tables over `frames` (each table's canonical rows)."""
    return {
        t: events(ds, frames[t]) if t == "events" else rows(ds, t, frames[t])
        for t in STORE_TABLES
        if t in frames
    }
