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
from cxtui.metrics.values import arr_expr, value_expr

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


def _assigned(scope: Scope, path: Sequence[str], measure: str, min_share: float) -> pl.LazyFrame:
    """One row per distinct combination of the path's values (`_v0…`), with its
    customers `_n` and the measure's known sum `_ms` and count `_mn`; and for
    each level i: `_k{i}` (the value, null when folded), `_o{i}` (folded into
    "other"), `_c{i}` (the node's customers) and `_r{i}` (the node's rank among
    its siblings). Every node is a union of such combinations, so the tree is
    worked out on these few rows rather than on every customer."""
    check_flow(scope, path, min_share)
    m = pl.col("_m")
    values = [f"_v{i}" for i in range(len(path))]
    frame = (
        scope.universe.select(
            *(pl.col(d).alias(v) for d, v in zip(path, values, strict=True)),
            flow_measure(scope, measure).alias("_m"),
        )
        .group_by(values)
        .agg(
            pl.len().cast(pl.Int64).alias("_n"),
            m.sum().alias("_ms"),
            m.count().cast(pl.Int64).alias("_mn"),
        )
        .with_columns(pl.lit(1, pl.Int64).alias("_root"), pl.col("_n").sum().alias("_total"))
    )
    for i in range(len(path)):
        parent, value = _parents(i), pl.col(values[i])
        n = pl.col("_n").sum().over([*parent, values[i]])
        folded = (n / pl.col("_total")) < min_share
        frame = frame.with_columns(
            folded.alias(f"_o{i}"), pl.when(~folded).then(value).alias(f"_k{i}")
        )
        node = [*parent, f"_o{i}", f"_k{i}"]
        frame = frame.with_columns(pl.col("_n").sum().over(node).alias(f"_c{i}"))
        k = pl.col(f"_k{i}")
        # siblings: customers desc, real values before "other", value asc, null last
        order = pl.struct(
            (-pl.col(f"_c{i}")).alias("c"), pl.col(f"_o{i}").alias("o"), k.is_null().alias("z"), k
        )
        frame = frame.with_columns(order.rank("dense").over(parent).cast(pl.Int64).alias(_rank(i)))
    return frame


def _node_id(i: int) -> pl.Expr:
    return pl.concat_str([pl.col(_rank(j)).cast(pl.String) for j in range(i + 1)], separator=".")


def _level_nodes(frame: pl.LazyFrame, path: Sequence[str], i: int) -> pl.LazyFrame:
    """The nodes at depth i + 1 with every NODE_KEYS column, plus their ranks."""
    ranks = [_rank(j) for j in range(i + 1)]
    customers = pl.col("customers").cast(pl.Float64)
    parent_customers = pl.col("_total") if i == 0 else pl.col(f"_c{i - 1}")
    known = pl.col("_mn").sum()
    return (
        frame.group_by(ranks)
        .agg(
            pl.col("_n").sum().alias("customers"),
            pl.when(known > 0).then(pl.col("_ms").sum()).alias("measure_sum"),
            ratio(pl.col("_ms").sum(), known.cast(pl.Float64)).alias("measure_mean"),
            pl.col("_total").first(),
            parent_customers.first().alias("_parent_customers"),
            pl.col(f"_o{i}").first().alias("other"),
            pl.col(f"_k{i}").first().alias("_k"),
            *(
                pl.when(pl.col(f"_o{j}").first())
                .then(pl.lit(OTHER))
                .otherwise(pl.col(f"_k{j}").first().cast(pl.String))
                .alias(f"_label{j}")
                for j in range(i + 1)
            ),
        )
        .with_columns(
            _node_id(i).alias("node_id"),
            (_node_id(i - 1) if i else pl.lit(None, pl.String)).alias("parent_id"),
            pl.lit(i + 1, pl.Int64).alias("depth"),
            pl.lit(path[i]).alias("dimension"),
            pl.col(f"_label{i}").alias("label"),
            ratio(customers, pl.col("_parent_customers").cast(pl.Float64)).alias("share_of_parent"),
            ratio(customers, pl.col("_total").cast(pl.Float64)).alias("share_of_total"),
        )
    )


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
    frame = _assigned(scope, path, measure, min_share)
    parts = [
        _level_nodes(frame, path, i).select(*(_rank(j) for j in range(i + 1)), *NODE_KEYS)
        for i in range(len(path))
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
    n = len(path)
    leaves = _level_nodes(_assigned(scope, path, measure, min_share), path, n - 1)
    return leaves.sort([_rank(j) for j in range(n)]).select(
        *(pl.col(f"_label{i}").alias(dim) for i, dim in enumerate(path)), *FIGURES
    )


def flow_members(
    scope: Scope,
    path: Sequence[str],
    node_id: str,
    min_share: float = DEFAULT_MIN_SHARE,
) -> pl.LazyFrame:
    """Exactly the customers one node counts (facts rows), in the facts' order
    (the tree does not depend on the measure)."""
    try:
        ranks = [int(part) for part in node_id.split(".")]
    except ValueError:
        ranks = []
    if not ranks or len(ranks) > len(path) or min(ranks) < 1:
        raise CxError(f"flows: no node {node_id!r}; fix: give a node id such as 1 or 1.2")
    combos = _assigned(scope, path, "value", min_share)
    cond = pl.lit(True)
    for j, r in enumerate(ranks):
        cond &= pl.col(_rank(j)) == r
    values = [f"_v{i}" for i in range(len(path))]
    chosen = combos.filter(cond).select(values)
    members = scope.universe.with_columns(
        pl.col(d).alias(v) for d, v in zip(path, values, strict=True)
    )
    # no sort here: the rows are the facts' (`Analysis.ranked_members` lists
    # them ranked)
    return members.join(
        chosen, on=values, how="semi", nulls_equal=True, maintain_order="left"
    ).drop(values)
