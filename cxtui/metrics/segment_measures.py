"""`segments --measure COL:AGG[,…]` (issue 13): extra per-segment aggregates of
any numeric customer or facts column, e.g. `annual_revenue:mean,nps_score:mean`.

Each measure becomes one column named `<COL>_<AGG>` after the segment keys.
Aggregates ignore nulls; a group with no known value gives null (also for
`sum`); `count` counts the members with a value.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.scope import Scope
from cxtui.metrics.values import known_sum

SEGMENT_AGGREGATES = ("sum", "mean", "median", "min", "max", "count")
_SHOWN = 12  # column names listed in an error message


def measure_columns(scope: Scope) -> list[str]:
    """Columns a measure can aggregate: the numeric customer attributes first,
    then the numeric facts columns (booleans and internals are not measures)."""
    schema = scope.facts.collect_schema()
    numeric = [c for c, t in schema.items() if t.is_numeric() and not c.startswith("_")]
    attrs = [c for c in scope.ds.columns("customers") if c in numeric]
    return [*attrs, *(c for c in numeric if c not in attrs)]


def _names(columns: list[str]) -> str:
    shown = ", ".join(columns[:_SHOWN])
    more = len(columns) - _SHOWN
    return f"{shown} (and {more} more)" if more > 0 else shown


def _aggregate(column: str, agg: str) -> pl.Expr:
    col = pl.col(column)
    exprs = {
        "sum": known_sum(col),
        "mean": col.mean(),
        "median": col.median(),
        "min": col.min(),
        "max": col.max(),
        "count": col.count().cast(pl.Int64),
    }
    return exprs[agg].alias(f"{column}_{agg}")


def parse_segment_measures(scope: Scope, spec: str | Sequence[str] | None) -> list[pl.Expr]:
    """`"annual_revenue:mean,mrr:sum"` (or a list of such items) -> the aggregate
    expressions for `panes.segments(..., measures=)`, in the order given."""
    if spec is None:
        return []
    items = [spec] if isinstance(spec, str) else list(spec)
    parts = [p.strip() for item in items for p in item.split(",") if p.strip()]
    schema = scope.facts.collect_schema()
    usable = measure_columns(scope)
    out: list[pl.Expr] = []
    seen: set[str] = set()
    for part in parts:
        column, sep, agg = part.rpartition(":")
        column, agg = column.strip(), agg.strip().lower()
        if not sep or not column:
            raise CxError(
                f"--measure {part!r}: expected COLUMN:AGGREGATE; "
                "fix: e.g. --measure annual_revenue:mean"
            )
        if agg not in SEGMENT_AGGREGATES:
            raise CxError(
                f"--measure {part!r}: unknown aggregate {agg!r}; "
                f"fix: use one of {', '.join(SEGMENT_AGGREGATES)}"
            )
        if column not in schema or column.startswith("_"):
            raise CxError(
                f"--measure {part!r}: unknown column {column!r}; fix: use one of {_names(usable)}"
            )
        if column not in usable:
            raise CxError(
                f"--measure {part!r}: column {column!r} has type {schema[column]}, not a number; "
                f"fix: use one of {_names(usable)}"
            )
        name = f"{column}_{agg}"
        if name in seen:
            raise CxError(f"--measure {part!r}: given twice; fix: name each measure once")
        seen.add(name)
        out.append(_aggregate(column, agg))
    return out
