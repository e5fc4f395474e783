"""The analysis store's tables (SPEC §12), the Polars definitions; the Spark
ones mirror them one for one in `cxtui.engine.spark.compacted`.

The views read some tables row by row (revenue per month, cohorts, CLV, lift,
support, …), so the store keeps each such table in a form that gives them the
same numbers as the dataset's rows:

- orders: the rows, with the columns the views read (customer_id, order_date,
  amount). Every orders row is an order (SPEC §2) and views count them, so sums
  per day would not do, and orders rarely share a customer, a day and an amount:
  the rows are the compact form. order_id and quantity only serve account
  detail, which reads the original rows (`Dataset.account_rows`);
- monthly: the rows, with customer_id, month and the metric columns (block means
  count a month's rows: two rows of one month stay two), and with customers
  derived from the data the attribute columns too (the derived customers take
  them from each id's latest row, SPEC §1), the rows of a month in file order;
- events: one row per (customer_id, ts, event_type), ts being a calendar date,
  with `__rows`, the number of events it stands for: opening the store repeats
  each row that many times (`cxtui.store`), so counts, distinct types and
  first/last dates are those of the events;
- feedback, spend, tickets: every canonical row and column as it is.

Nothing is cut at as_of: a view at an earlier as_of (trends, migration) and the
customers derived at it see what they would see in the dataset.
"""

from __future__ import annotations

import polars as pl

from cxtui.data.load import Dataset
from cxtui.data.schema import MONTHLY_METRICS
from cxtui.store import WEIGHT  # how many of the table's rows a store row stands for

# The store's tables, and those kept as distinct rows with their counts.
STORE_TABLES = ("orders", "monthly", "events", "feedback", "spend", "tickets")
WEIGHTED = frozenset({"events"})


def kept_columns(ds: Dataset, table: str) -> list[str]:
    """The canonical columns of `table` the store keeps (see the module doc)."""
    cols = ds.columns(table)
    if table == "orders":
        return [c for c in ("customer_id", "order_date", "amount") if c in cols]
    if table == "events":
        return [c for c in ("customer_id", "ts", "event_type") if c in cols]
    if table == "monthly":
        metrics = [c for c in cols if c in MONTHLY_METRICS and c != "status"]
        return metrics + monthly_attributes(ds)
    return cols


def monthly_attributes(ds: Dataset) -> list[str]:
    """The monthly columns derived customers take their attributes from (none
    when the dataset has a customers table: nothing else reads them)."""
    if not ds.customers_derived:
        return []
    return [c for c in ds.columns("monthly") if c not in MONTHLY_METRICS]


def rows(ds: Dataset, table: str) -> pl.LazyFrame:
    """Every canonical row of `table` with the kept columns, in file order and
    not cut at as_of (the frame for passes over every row, `Dataset.whole`,
    where there is one; its NaN / inf flags are left out)."""
    return ds.whole.get(table, ds.tables[table]).select(kept_columns(ds, table))


def counted(rows: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """The distinct rows of `keys`, each with how many rows it stands for."""
    return rows.group_by(keys).agg(pl.len().alias(WEIGHT))


def events(ds: Dataset) -> pl.LazyFrame:
    return counted(rows(ds, "events"), kept_columns(ds, "events"))


def store_tables(ds: Dataset) -> dict[str, pl.LazyFrame]:
    """Each store table of `ds` (those it has), by name."""
    return {t: events(ds) if t == "events" else rows(ds, t) for t in STORE_TABLES if ds.has(t)}
