"""The order days of SPEC §8's CLV summary from one pass over orders rows that are
in (customer_id, order_date) order, as the demo's and exports sorted by customer
are: a day starts where the id or the date changes, and the first day's rows are
the id's first such run. The CLV's own pass (`clv.clv_order_days(ordered=True)`)
and the facts' pass over the orders (when a command will fit the CLV) both use
these expressions; neither needs scipy.

Every pass also counts the rows that break the order (`_unordered`, every id's,
customers or not): when that count is not 0 the days are wrong and are not used.
"""

from __future__ import annotations

import polars as pl

ORDER_SAMPLE = 100_000  # orders rows looked at before the one-pass form is tried
# the per-id columns a pass adds (beside the first and last day and the total)
DAY_COLUMNS = ("frequency", "_first_day", "_unordered")


def out_of_order() -> pl.Expr:
    """True on an orders row that breaks (customer_id, order_date) order (a null
    id included): rows in that order are every customer's rows side by side,
    their days ascending."""
    cid, date = pl.col("customer_id"), pl.col("order_date")
    before = cid.shift(1)
    wrong = cid.is_null() | (cid < before) | ((cid == before) & (date < date.shift(1)))
    return wrong.fill_null(False)


def look_ordered(orders: pl.LazyFrame) -> pl.LazyFrame:
    """One row, `ordered`: are the first ORDER_SAMPLE rows of `orders` in
    (customer_id, order_date) order? When they are, the one pass is worth trying."""
    sample = orders.select("customer_id", "order_date").head(ORDER_SAMPLE)
    return sample.select((~out_of_order().any()).alias("ordered"))


def with_day_flags(orders: pl.LazyFrame) -> pl.LazyFrame:
    """`orders` with the row flags `day_aggregates` sums: `_new_day` (the row
    starts a day of its id), `_unordered` (`out_of_order`) and `_first_day_row`
    (the row is of its id's first day)."""
    cid, date = pl.col("customer_id"), pl.col("order_date")
    same_id = (cid == cid.shift(1)).fill_null(False)
    new_day = ~(same_id & (date == date.shift(1))).fill_null(False)
    run = pl.col("_new_day").cum_sum()
    first_run = pl.when(~same_id).then(run).forward_fill()
    return orders.with_columns(
        new_day.alias("_new_day"), out_of_order().alias("_unordered")
    ).with_columns((run == first_run).alias("_first_day_row"))


def day_aggregates() -> list[pl.Expr]:
    """Per id, over `with_day_flags` rows: `frequency` (distinct order days − 1),
    `_first_day` (the sum of the first day's amounts) and `_unordered`."""
    return [
        (pl.col("_new_day").sum() - 1).cast(pl.Int64).alias("frequency"),
        pl.col("amount")
        .filter(pl.col("_first_day_row"))
        .sum()
        .cast(pl.Float64)
        .alias("_first_day"),
        pl.col("_unordered").sum().cast(pl.Int64).alias("_unordered"),
    ]
