"""SPEC §10 "Event diversity": distinct event types per customer in bins, and the
§2 engagement levels, each with customers, share, value_mean, active_rate and
nps_mean; optionally per value of a dimension. Only builds LazyFrames.

Readings (docs/metrics.md "Engagement, lift and flows"): customers are the
started ones (start ≤ as_of); a customer with no events has 0 types and falls
in the first bin; with `by`, `share` is of the group's customers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.facts import binned
from cxtui.metrics.panes import check_dimension
from cxtui.metrics.scope import Scope, ratio
from cxtui.metrics.values import NPS, value_expr, with_nps

ENGAGEMENT_KEYS = ("customers", "share", "value_mean", "active_rate", "nps_mean")
LEVELS = ("Low", "Medium", "High")  # SPEC §2 engagement, in this order
DIVERSITY = "diversity"  # the bin label column
LEVEL = "engagement"  # the level column (the facts' derived dimension)
EVENT_TYPES = "event_types"  # distinct event types per customer


def require_events(scope: Scope, view: str = "engagement") -> None:
    if not scope.ds.has("events"):
        raise CxError(
            f"{view} needs an events table; fix: add events.parquet to the dataset "
            "or map one with [tables.events] path in cxtui.toml"
        )


def diversity_labels(edges: tuple[int, ...]) -> tuple[str, ...]:
    """(0, 5, 8) -> ("0-4", "5-7", "8+"); a one-value bin is just that value."""
    labels = []
    for low, nxt in itertools.pairwise(edges):
        labels.append(f"{low}" if nxt - 1 == low else f"{low}-{nxt - 1}")
    labels.append(f"{edges[-1]}+")
    return tuple(labels)


def customer_diversity(scope: Scope, types: Sequence[str] | None = None) -> pl.LazyFrame:
    """The universe's facts with `event_types` (distinct non-null event types over
    all events up to as_of; 0 without events) and its `diversity` bin. `types`:
    every event type up to as_of (e.g. `lift.lift_check`'s), when known: the
    column is then read as an Enum of them (the same counts, faster)."""
    require_events(scope)
    events = scope.table("events")
    if types:
        events = events.with_columns(pl.col("event_type").cast(pl.Enum(list(types))))
    per_id = events.group_by("customer_id").agg(
        pl.col("event_type").drop_nulls().n_unique().cast(pl.Int64).alias(EVENT_TYPES)
    )
    edges = scope.ds.config.diversity_edges
    return (
        scope.universe.join(per_id, on="customer_id", how="left", maintain_order="left")
        .with_columns(pl.col(EVENT_TYPES).fill_null(0))
        .with_columns(binned(pl.col(EVENT_TYPES), edges, diversity_labels(edges)).alias(DIVERSITY))
    )


def _measures(scope: Scope) -> list[pl.Expr]:
    value = value_expr(scope)
    return [
        pl.len().cast(pl.Int64).alias("customers"),
        (value.cast(pl.Float64).mean() if value is not None else pl.lit(None, pl.Float64)).alias(
            "value_mean"
        ),
        pl.col("active").sum().cast(pl.Int64).alias("_active"),
        pl.col(NPS).mean().alias("nps_mean"),
    ]


def _binned_table(
    scope: Scope, frame: pl.LazyFrame, key: str, labels: tuple[str, ...], by: str | None
) -> pl.LazyFrame:
    """Every (group, bin) pair, empty bins included (customers 0), groups by size
    desc then value asc (nulls last), bins in their order."""
    if by is not None:
        check_dimension(scope, by)
        if by == key:
            raise CxError(f"--by {by}: the rows are already {key} values; fix: use another --by")
    frame = with_nps(scope, frame)
    group = [by] if by is not None else []
    stats = frame.group_by([*group, key]).agg(_measures(scope))
    bins = pl.LazyFrame(
        {key: list(labels), "_order": list(range(len(labels)))},
        schema={key: pl.String, "_order": pl.Int64},
    )
    if by is not None:
        groups = frame.group_by(by).agg(pl.len().alias("_group_total"))
        grid = groups.join(bins, how="cross")
    else:
        grid = frame.select(pl.len().alias("_group_total")).join(bins, how="cross")
    out = grid.join(stats, on=[*group, key], how="left", nulls_equal=True).with_columns(
        pl.col("customers").fill_null(0)
    )
    sort = ["_group_total", *group, "_order"] if by else ["_order"]
    descending = [True, False, False] if by else [False]
    return (
        out.with_columns(
            ratio(
                pl.col("customers").cast(pl.Float64), pl.col("_group_total").cast(pl.Float64)
            ).alias("share"),
            ratio(pl.col("_active").cast(pl.Float64), pl.col("customers").cast(pl.Float64)).alias(
                "active_rate"
            ),
        )
        .sort(sort, descending=descending, nulls_last=True)
        .select(*group, key, *ENGAGEMENT_KEYS)
    )


def diversity_bins(
    scope: Scope, by: str | None = None, types: Sequence[str] | None = None
) -> pl.LazyFrame:
    """SPEC §10 event diversity: columns [by], `diversity` (bin label, e.g. "0-4"),
    customers, share, value_mean, active_rate, nps_mean; every bin is listed.
    `types`: see `customer_diversity`."""
    edges = scope.ds.config.diversity_edges
    frame = customer_diversity(scope, types)
    return _binned_table(scope, frame, DIVERSITY, diversity_labels(edges), by)


def engagement_levels(scope: Scope, by: str | None = None) -> pl.LazyFrame:
    """The §2 engagement levels (events in 90d: Low / Medium / High) with the same
    columns as `diversity_bins`: [by], `engagement`, customers, share, …"""
    require_events(scope)
    return _binned_table(scope, scope.universe, LEVEL, LEVELS, by)


def _in_group(by: str | None, by_value: object) -> pl.Expr:
    if by is None:
        return pl.lit(True)
    return pl.col(by).is_null() if by_value is None else pl.col(by) == by_value


def diversity_members(
    scope: Scope, label: str, by: str | None = None, by_value: object = None
) -> pl.LazyFrame:
    """Exactly the customers a `diversity_bins` row counts (facts rows plus
    `event_types`), in the facts' order (`Analysis.ranked_members` lists them
    ranked; a sort of every facts column here would be slow)."""
    labels = diversity_labels(scope.ds.config.diversity_edges)
    if label not in labels:
        raise CxError(f"unknown diversity bin {label!r}; fix: use one of {', '.join(labels)}")
    if by is not None:
        check_dimension(scope, by)
    return customer_diversity(scope).filter((pl.col(DIVERSITY) == label) & _in_group(by, by_value))


def engagement_level_members(
    scope: Scope, level: str, by: str | None = None, by_value: object = None
) -> pl.LazyFrame:
    """Exactly the customers an `engagement_levels` row counts (facts rows), in
    the facts' order."""
    require_events(scope)
    if level not in LEVELS:
        raise CxError(f"unknown engagement level {level!r}; fix: use one of {', '.join(LEVELS)}")
    if by is not None:
        check_dimension(scope, by)
    return scope.universe.filter((pl.col(LEVEL) == level) & _in_group(by, by_value))
