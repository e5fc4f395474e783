"""SPEC §10 "Flows", the terminal's Sankey: a tree over a path of dimensions
whose nodes are prefixes of the customers' values (customers with start ≤
as_of), with customers, shares of parent and of total, and a measure's sum and
mean. Only builds LazyFrames.

Readings (docs/metrics.md "Engagement, lift and flows"): a child folds into
its parent's one "other" node when its share_of_total (customers ÷ total) is
below min_share; the tree goes on below an "other" node over its members by
the next dimensions, folded by the same rule, so every full path has a value
at every level. Siblings are sorted by customers desc, then real values before
"other", then value ascending with null last.

Nodes are identified by their sibling ranks from the root: "2.1.3" is the
third child of the first child of the second top-level node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.panes import check_dimension
from cxtui.metrics.scope import Scope, ratio
from cxtui.metrics.values import arr_expr, known_sum, value_expr

FLOW_MEASURES = ("value", "arr", "mrr", "revenue_12m")
DEFAULT_MIN_SHARE = 0.01
OTHER = "other"
FIGURES = ("customers", "share_of_parent", "share_of_total", "measure_sum", "measure_mean")
NODE_KEYS = ("node_id", "parent_id", "depth", "dimension", "label", "other", *FIGURES)


def flow_measure(scope: Scope, measure: str) -> pl.Expr:
    """A customer's measure value; null for every customer when the data has no
    such figure (mrr without monthly, revenue_12m without orders)."""
    if measure not in FLOW_MEASURES:
        raise CxError(
            f"flows --measure {measure!r}: unknown; fix: use one of {', '.join(FLOW_MEASURES)}"
        )
    expr: pl.Expr | None
    if measure == "value":
        expr = value_expr(scope)
    elif measure == "arr":
        expr = arr_expr(scope)
    elif measure == "mrr":
        expr = pl.col("mrr") if scope.ds.has("monthly") else None
    else:
        expr = pl.col("revenue_12m") if scope.ds.has("orders") else None
    return pl.lit(None, pl.Float64) if expr is None else expr.cast(pl.Float64)


def check_flow(scope: Scope, path: Sequence[str], min_share: float) -> None:
    if not path:
        raise CxError("flows --path: no dimension given; fix: e.g. --path plan,status")
    seen: set[str] = set()
    for dim in path:
        if dim in seen:
            raise CxError(f"flows --path: {dim!r} is repeated; fix: name each dimension once")
        seen.add(dim)
        check_dimension(scope, dim)
    if not (isinstance(min_share, int | float) and math.isfinite(min_share)) or not (
        0 <= min_share <= 1
    ):
        raise CxError(
            f"flows --min-share {min_share!r}: outside [0, 1]; fix: e.g. --min-share 0.01"
        )


def _rank(i: int) -> str:
    return f"_r{i}"


def _parents(i: int) -> list[str]:
    """The key of a depth-(i+1) node's parent: the root, then its ancestors' ranks."""
    return ["_root", *(_rank(j) for j in range(i))]


def _build(
    scope: Scope, path: Sequence[str], measure: str, min_share: float
) -> tuple[pl.LazyFrame, list[pl.LazyFrame]]:
    """Per customer its ranks `_r0…` (and `_m`, the measure), and per level its
    nodes: parent ranks, own rank, customers, `_o` (other), `_k` (value), sums."""
    check_flow(scope, path, min_share)
    frame = scope.universe.select(
        "customer_id",
        flow_measure(scope, measure).alias("_m"),
        *(pl.col(d).alias(f"_v{i}") for i, d in enumerate(path)),
        pl.lit(1, pl.Int64).alias("_root"),
    )
    frame = frame.join(frame.select(pl.len().alias("_total")), how="cross")
    levels = []
    for i in range(len(path)):
        parent, value = _parents(i), f"_v{i}"
        counts = frame.group_by([*parent, value]).agg(pl.len().alias("_n"))
        frame = frame.join(counts, on=[*parent, value], how="left", nulls_equal=True)
        folded = (pl.col("_n") / pl.col("_total")) < min_share
        frame = frame.with_columns(
            folded.alias("_o"), pl.when(~folded).then(pl.col(value)).alias("_k")
        ).drop("_n")
        key = [*parent, "_o", "_k"]
        m = pl.col("_m")
        nodes = (
            frame.group_by(key)
            .agg(
                pl.len().cast(pl.Int64).alias("customers"),
                known_sum(m).alias("measure_sum"),
                m.mean().alias("measure_mean"),
                pl.col("_total").first(),
            )
            .sort(
                [*parent, "customers", "_o", "_k"],
                descending=[False] * len(parent) + [True, False, False],
                nulls_last=True,
            )
            .with_columns((pl.int_range(pl.len()).over(parent) + 1).cast(pl.Int64).alias(_rank(i)))
        )
        frame = frame.join(nodes.select(*key, _rank(i)), on=key, how="left", nulls_equal=True).drop(
            "_o", "_k"
        )
        levels.append(nodes)
    return frame, levels


def _node_id(i: int) -> pl.Expr:
    return pl.concat_str([pl.col(_rank(j)).cast(pl.String) for j in range(i + 1)], separator=".")


def _finished(levels: list[pl.LazyFrame], path: Sequence[str]) -> list[pl.LazyFrame]:
    """Each level's nodes with ids, labels and shares (still carrying the ranks)."""
    out = []
    for i, nodes in enumerate(levels):
        parent = _parents(i)
        if i == 0:
            nodes = nodes.with_columns(pl.col("_total").alias("_parent_customers"))
        else:
            above = levels[i - 1].select(*_parents(i - 1), _rank(i - 1), "customers")
            nodes = nodes.join(
                above.rename({"customers": "_parent_customers"}), on=parent, how="left"
            )
        customers = pl.col("customers").cast(pl.Float64)
        out.append(
            nodes.with_columns(
                _node_id(i).alias("node_id"),
                (_node_id(i - 1) if i else pl.lit(None, pl.String)).alias("parent_id"),
                pl.lit(i + 1, pl.Int64).alias("depth"),
                pl.lit(path[i]).alias("dimension"),
                pl.when(pl.col("_o"))
                .then(pl.lit(OTHER))
                .otherwise(pl.col("_k").cast(pl.String))
                .alias("label"),
                pl.col("_o").alias("other"),
                ratio(customers, pl.col("_parent_customers").cast(pl.Float64)).alias(
                    "share_of_parent"
                ),
                ratio(customers, pl.col("_total").cast(pl.Float64)).alias("share_of_total"),
            )
        )
    return out


def flow_nodes(
    scope: Scope,
    path: Sequence[str],
    measure: str = "value",
    min_share: float = DEFAULT_MIN_SHARE,
) -> pl.LazyFrame:
    """The tree as a node list in pre-order (each parent before its children,
    siblings in their sorted order), for the TUI tree: node_id, parent_id (null
    at depth 1), depth (1 = the path's first dimension), dimension, label (the
    value as text; null for a null value; "other" for a folded node), other,
    customers, share_of_parent, share_of_total, measure_sum, measure_mean."""
    _, levels = _build(scope, path, measure, min_share)
    parts = [
        lvl.select(*(_rank(j) for j in range(i + 1)), *NODE_KEYS)
        for i, lvl in enumerate(_finished(levels, path))
    ]
    ranks = [pl.col(_rank(j)).fill_null(0) for j in range(len(path))]
    return pl.concat(parts, how="diagonal").sort(ranks).select(NODE_KEYS)


def flow_paths(
    scope: Scope,
    path: Sequence[str],
    measure: str = "value",
    min_share: float = DEFAULT_MIN_SHARE,
) -> pl.LazyFrame:
    """One row per full path (the leaves, in tree order): one text column per
    path dimension, named after it, with the node labels, then the leaf's
    customers, share_of_parent, share_of_total, measure_sum, measure_mean."""
    _, levels = _build(scope, path, measure, min_share)
    finished = _finished(levels, path)
    n = len(path)
    leaves = finished[-1]
    for i in range(n - 1):
        ranks = [_rank(j) for j in range(i + 1)]
        leaves = leaves.join(
            finished[i].select(*ranks, pl.col("label").alias(f"_label{i}")), on=ranks, how="left"
        )
    leaves = leaves.with_columns(pl.col("label").alias(f"_label{n - 1}"))
    return leaves.sort([_rank(j) for j in range(n)]).select(
        *(pl.col(f"_label{i}").alias(dim) for i, dim in enumerate(path)), *FIGURES
    )


def flow_members(
    scope: Scope,
    path: Sequence[str],
    node_id: str,
    min_share: float = DEFAULT_MIN_SHARE,
    measure: str = "value",
) -> pl.LazyFrame:
    """Exactly the customers one node counts (facts rows), by the measure desc
    (nulls last), then customer_id."""
    try:
        ranks = [int(part) for part in node_id.split(".")]
    except ValueError:
        ranks = []
    if not ranks or len(ranks) > len(path) or min(ranks) < 1:
        raise CxError(f"flows: no node {node_id!r}; fix: give a node id such as 1 or 1.2")
    frame, _ = _build(scope, path, measure, min_share)
    cond = pl.lit(True)
    for j, r in enumerate(ranks):
        cond &= pl.col(_rank(j)) == r
    ids = frame.filter(cond).select("customer_id", "_m")
    return (
        scope.universe.join(ids, on="customer_id", how="inner", maintain_order="left")
        .sort(["_m", "customer_id"], descending=[True, False], nulls_last=True)
        .drop("_m")
    )
