"""SPEC §9 "Support": tickets in a window, tickets per customer in ranges, and
(with a tickets table) first-response hours and the resolution rate. Each
function only builds a LazyFrame.

The source is chosen once per dataset (`support_source`): the tickets table,
else monthly.support_tickets, else events of type `support_ticket_created`.
Readings (docs/metrics.md "Satisfaction and support"): only customers of the
universe (start ≤ as_of, and --where) count, every one of them in the
distribution (a customer without tickets is in range 0); monthly counts are per
calendar month, so a window of d days takes the last round(d × 12 ÷ 365)
months ending with month(as_of) (30d: 1, 90d: 3, 12m: 12).
"""

from __future__ import annotations

from itertools import pairwise

import polars as pl

from cxtui.data.load import Dataset
from cxtui.data.schema import INSTANTS
from cxtui.errors import CxError
from cxtui.metrics.facts import binned
from cxtui.metrics.periods import add_months, month_start, shift_days
from cxtui.metrics.scope import Scope, null_col, ratio

TICKET_EVENT = "support_ticket_created"
SOURCES = ("tickets", "monthly", "events")
SUPPORT_KEYS = (
    "source",
    "tickets",
    "customers",
    "first_response_hours_mean",
    "first_response_hours_median",
    "responded_tickets",
    "resolved_tickets",
    "resolution_rate",
)
RANGE_KEYS = ("range", "customers", "share")
TICKETS = "tickets"  # the per-customer count on account rows
RANGE = "range"  # the range label on account rows
_CREATED = INSTANTS[("tickets", "created_at")]  # the creation instant (load._instant)
_MICROS_PER_HOUR = 3_600_000_000


def support_source(ds: Dataset) -> str | None:
    """ "tickets", "monthly" or "events": the first the dataset has (SPEC §9); None
    when it has none of them."""
    if ds.has("tickets"):
        return "tickets"
    if ds.has_column("monthly", "support_tickets"):
        return "monthly"
    if ds.has("events"):
        return "events"
    return None


def require_support(scope: Scope) -> str:
    source = support_source(scope.ds)
    if source is None:
        raise CxError(
            "support needs a tickets table, monthly.support_tickets or events of type "
            f"{TICKET_EVENT}; fix: add tickets.parquet (customer_id, created_at) or map "
            "one with [tables.tickets] path in cxtui.toml"
        )
    return source


def range_labels(starts: tuple[int, ...]) -> tuple[str, ...]:
    """(0, 1, 2, 5, 11) -> ("0", "1", "2-4", "5-10", "11+"): a range of one value
    is that value; the last is open-ended."""
    labels = [f"{low}" if nxt - 1 == low else f"{low}-{nxt - 1}" for low, nxt in pairwise(starts)]
    return (*labels, f"{starts[-1]}+")


def window_months(window_days: int) -> int:
    """Calendar months a window of monthly counts spans: round(days × 12 ÷ 365), at
    least 1 (never a tie: 365 is odd and coprime with 24)."""
    return max(1, round(window_days * 12 / 365))


def _ticket_rows(scope: Scope, source: str, window_days: int) -> pl.LazyFrame:
    """customer_id and `n` (tickets on the row) for the window's rows of customers
    in the universe."""
    after = shift_days(scope.as_of, -window_days)
    if source == "tickets":
        rows = scope.ds.scan("tickets").filter(pl.col("created_at") > after)
        n = pl.lit(1.0)
    elif source == "monthly":
        first = add_months(month_start(scope.as_of), 1 - window_months(window_days))
        rows = scope.ds.scan("monthly").filter(pl.col("month") >= first)
        n = pl.col("support_tickets").fill_null(0.0)
    else:
        ts = pl.col("ts")
        rows = scope.ds.scan("events").filter((ts > after) & (pl.col("event_type") == TICKET_EVENT))
        n = pl.lit(1.0)
    return rows.join(scope.universe.select("customer_id"), on="customer_id", how="semi").select(
        "customer_id", n.cast(pl.Float64).alias("n")
    )


def _available(scope: Scope, source: str) -> pl.LazyFrame:
    """One row, `_available`: whether the source holds any ticket data up to as_of
    (a monthly column with no values, or events without the ticket type, cannot
    support the figures: null, not 0). A tickets table always can."""
    if source == "monthly":
        has = pl.col("support_tickets").count() > 0
        lf = scope.ds.scan("monthly")
    elif source == "events":
        has = (pl.col("event_type") == TICKET_EVENT).any()
        lf = scope.ds.scan("events")
    else:
        return pl.LazyFrame({"_available": [True]})
    return lf.select(has.fill_null(False).alias("_available"))


def customer_tickets(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """The universe's facts with `tickets` (their tickets in the window, 0 when
    none; null when the source holds no ticket data) and their `range`."""
    source = require_support(scope)
    per_id = (
        _ticket_rows(scope, source, window_days)
        .group_by("customer_id")
        .agg(pl.col("n").sum().alias(TICKETS))
    )
    starts = scope.ds.config.support_ranges
    count = pl.when(pl.col("_available")).then(pl.col(TICKETS).fill_null(0.0))
    return (
        scope.universe.join(per_id, on="customer_id", how="left", maintain_order="left")
        .join(_available(scope, source), how="cross")
        .with_columns(count.alias(TICKETS))
        .with_columns(
            binned(pl.col(TICKETS), tuple(float(s) for s in starts), range_labels(starts)).alias(
                RANGE
            )
        )
        .drop("_available")
    )


def ticket_ranges(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """RANGE_KEYS for every configured range in order: customers of the universe
    whose tickets in the window fall in it, and their share of the universe
    (customers and share null when the source holds no ticket data)."""
    labels = range_labels(scope.ds.config.support_ranges)
    per_customer = customer_tickets(scope, window_days)
    counts = (
        per_customer.filter(pl.col(RANGE).is_not_null())
        .group_by(RANGE)
        .agg(pl.len().cast(pl.Int64).alias("customers"))
    )
    total = per_customer.select(pl.len().cast(pl.Float64).alias("_total"))
    customers = pl.when(pl.col("_available")).then(pl.col("customers").fill_null(0))
    return (
        pl.LazyFrame(
            {RANGE: list(labels), "_order": list(range(len(labels)))},
            schema={RANGE: pl.String, "_order": pl.Int64},
        )
        .join(counts, on=RANGE, how="left")
        .join(total, how="cross")
        .join(_available(scope, support_source(scope.ds)), how="cross")
        .with_columns(customers.alias("customers"))
        .with_columns(ratio(pl.col("customers").cast(pl.Float64), pl.col("_total")).alias("share"))
        .sort("_order")
        .select(RANGE_KEYS)
    )


def _ticket_times(scope: Scope) -> list[pl.Expr]:
    """first_response_hours_mean / _median, responded_tickets, resolved_tickets and
    resolution_rate over the tickets created in the window (docs/metrics.md): a
    first response or resolution dated after as_of is not seen yet; a first
    response before creation is left out of the hours."""
    cols = scope.ds.columns("tickets")
    aggs: list[pl.Expr] = []
    if "first_response_at" in cols:
        response = pl.col("first_response_at")
        hours = (response - pl.col(_CREATED)).dt.total_microseconds() / _MICROS_PER_HOUR
        valid = response.is_not_null() & (response.dt.date() <= scope.as_of) & (hours >= 0)
        aggs += [
            hours.filter(valid).mean().alias("first_response_hours_mean"),
            hours.filter(valid).median().alias("first_response_hours_median"),
            valid.sum().cast(pl.Int64).alias("responded_tickets"),
        ]
    else:
        aggs += [
            null_col("first_response_hours_mean"),
            null_col("first_response_hours_median"),
            null_col("responded_tickets", pl.Int64),
        ]
    if "resolved_at" in cols:
        resolved = pl.col("resolved_at")
        done = (resolved.is_not_null() & (resolved.dt.date() <= scope.as_of)).sum()
        aggs += [
            done.cast(pl.Int64).alias("resolved_tickets"),
            ratio(done.cast(pl.Float64), pl.len().cast(pl.Float64)).alias("resolution_rate"),
        ]
    else:
        aggs += [null_col("resolved_tickets", pl.Int64), null_col("resolution_rate")]
    return aggs


def negative_response_tickets(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """One row, `n`: tickets created in the window (of the universe's customers)
    whose first response is before their creation, left out of the response hours
    (a note shown with the output; 0 without a tickets table or the column)."""
    if support_source(scope.ds) != "tickets" or not scope.ds.has_column(
        "tickets", "first_response_at"
    ):
        return pl.LazyFrame({"n": [0]}, schema={"n": pl.Int64})
    after = shift_days(scope.as_of, -window_days)
    return (
        scope.ds.scan("tickets")
        .filter(pl.col("created_at") > after)
        .join(scope.universe.select("customer_id"), on="customer_id", how="semi")
        .select((pl.col("first_response_at") < pl.col(_CREATED)).sum().cast(pl.Int64).alias("n"))
    )


def support(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """One row of SUPPORT_KEYS: the `source` used, `tickets` in the window (of the
    universe's customers), `customers` (the universe: the distribution's
    denominator) and, with a tickets table, the response and resolution figures
    (null from the other sources)."""
    source = require_support(scope)
    per_customer = customer_tickets(scope, window_days)
    head = (
        per_customer.select(
            pl.lit(source).alias("source"),
            pl.col(TICKETS).sum().alias("_sum"),
            pl.len().cast(pl.Int64).alias("customers"),
        )
        .join(_available(scope, source), how="cross")
        .with_columns(pl.when(pl.col("_available")).then(pl.col("_sum")).alias(TICKETS))
    )
    if source == "tickets":
        after = shift_days(scope.as_of, -window_days)
        created = (
            scope.ds.scan("tickets")
            .filter(pl.col("created_at") > after)
            .join(scope.universe.select("customer_id"), on="customer_id", how="semi")
        )
        times = created.select(_ticket_times(scope))
        head = pl.concat([head, times], how="horizontal")
        head = head.with_columns(pl.col(TICKETS).cast(pl.Int64))
    else:
        head = head.with_columns(
            null_col("first_response_hours_mean"),
            null_col("first_response_hours_median"),
            null_col("responded_tickets", pl.Int64),
            null_col("resolved_tickets", pl.Int64),
            null_col("resolution_rate"),
        )
        if source == "events":
            head = head.with_columns(pl.col(TICKETS).cast(pl.Int64))
    return head.select(SUPPORT_KEYS)


def range_accounts(scope: Scope, range_label: str, window_days: int = 90) -> pl.LazyFrame:
    """Exactly the customers a ranges row counts: facts rows with `tickets` and
    `range`, most tickets first, then customer_id."""
    labels = range_labels(scope.ds.config.support_ranges)
    if range_label not in labels:
        raise CxError(f"unknown ticket range {range_label!r}; fix: use one of {', '.join(labels)}")
    return (
        customer_tickets(scope, window_days)
        .filter(pl.col(RANGE) == range_label)
        .sort([TICKETS, "customer_id"], descending=[True, False])
    )
