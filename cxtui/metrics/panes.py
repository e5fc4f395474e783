"""SPEC §2 panes derived from the facts table: segments, top customers, churn
reasons (and trend), at-risk accounts. Each function only builds a LazyFrame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.facts import churn_source
from cxtui.metrics.periods import add_months, month_start, next_month_start, shift_days
from cxtui.metrics.scope import Scope, null_col, ratio
from cxtui.metrics.values import arr_total, known_sum, value_expr

# Derived dimensions always offered, in the order the TUI cycles through them.
DERIVED_DIMENSIONS = ("revenue_tier", "lifecycle", "rfm_segment", "engagement", "risk_band")

# Facts columns that are measures or internals, never offered as dimensions.
_NOT_DIMENSIONS_PREFIXES = ("s_", "risk_", "_")


def dimensions(scope: Scope) -> list[str]:
    """Every column usable with --by: derived ones first, then customer attributes."""
    cols = scope.fact_columns()
    derived = [d for d in DERIVED_DIMENSIONS if d in cols]
    custom = [d for d in scope.ds.config.dimensions if d in cols]
    attrs = scope.ds.columns("customers")
    schema = scope.facts.collect_schema()
    skip = {"customer_id", "name", "signup_date", "churn_date", "renewal_date"}
    # measures (annual_revenue, a months count…) would make one row per value
    extra = [
        c
        for c in attrs
        if c not in skip
        and c not in derived
        and c not in custom
        and c in schema
        and not schema[c].is_float()
        and not schema[c].is_temporal()
    ]
    return [*derived, *custom, *extra, "status"]


def check_dimension(scope: Scope, dim: str) -> None:
    derived = dim in DERIVED_DIMENSIONS
    if dim not in scope.fact_columns() or (
        not derived and dim.startswith(_NOT_DIMENSIONS_PREFIXES)
    ):
        configured = scope.ds.config.dimensions.get(dim)
        if configured is not None:
            raise CxError(
                f"dimension {dim!r}: its column {configured.column!r} is not a customer column; "
                f"fix: set [dimensions.{dim}] column in cxtui.toml"
            )
        raise CxError(f"unknown dimension {dim!r}; fix: use one of {', '.join(dimensions(scope))}")


# ---------------------------------------------------------------- segments


SEGMENT_KEYS = (
    "customers",
    "customer_share",
    "active_customers",
    "active_rate",
    "revenue_12m",
    "revenue_share",
    "orders_12m",
    "aov_12m",
    "mrr",
    "avg_risk_score",
    "at_risk_customers",
)


# SPEC Part II: appended after SEGMENT_KEYS (the §2 columns keep their order)
SEGMENT_VALUE_KEYS = ("arr", "value")


def segments(scope: Scope, by: list[str], measures: Sequence[pl.Expr] = ()) -> pl.LazyFrame:
    """Customers of the universe grouped by one or more dimensions (SPEC §2
    Segments): `by`, SEGMENT_KEYS, then `arr` (12 × Σ mrr with monthly, else
    Σ annual_revenue) and `value` (Σ of the members' annual value, SPEC Part
    II), then the `measures` (segment_measures.parse_segment_measures) in order."""
    for dim in by:
        check_dimension(scope, dim)
    cols = set(scope.fact_columns())
    u = scope.universe
    at_risk = scope.ds.config.risk_thresholds["at_risk_score"]
    has_orders = "revenue_12m" in cols and scope.ds.has("orders")
    has_mrr = scope.ds.has("monthly")
    aggs = [
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("active").sum().cast(pl.Int64).alias("active_customers"),
        pl.col("revenue_12m").sum().alias("revenue_12m") if has_orders else null_col("revenue_12m"),
        pl.col("orders_12m").sum().cast(pl.Int64).alias("orders_12m")
        if has_orders
        else null_col("orders_12m", pl.Int64),
        pl.col("mrr").sum().alias("mrr") if has_mrr else null_col("mrr"),
        pl.col("risk_score").mean().alias("avg_risk_score"),
        (pl.col("risk_score") >= at_risk).sum().cast(pl.Int64).alias("at_risk_customers"),
        *_value_totals(scope),
        *measures,
    ]
    totals = u.select(
        pl.len().alias("_total"),
        (pl.col("revenue_12m").sum() if has_orders else pl.lit(None, pl.Float64)).alias("_rev"),
    )
    grouped = u.group_by(by).agg(aggs).join(totals, how="cross")
    return (
        grouped.with_columns(
            ratio(pl.col("customers").cast(pl.Float64), pl.col("_total").cast(pl.Float64)).alias(
                "customer_share"
            ),
            ratio(
                pl.col("active_customers").cast(pl.Float64), pl.col("customers").cast(pl.Float64)
            ).alias("active_rate"),
            ratio(pl.col("revenue_12m"), pl.col("_rev")).alias("revenue_share"),
            ratio(pl.col("revenue_12m"), pl.col("orders_12m").cast(pl.Float64)).alias("aov_12m"),
        )
        .sort(["customers", *by], descending=[True] + [False] * len(by), nulls_last=True)
        .select(*by, *SEGMENT_KEYS, *SEGMENT_VALUE_KEYS, *(m.meta.output_name() for m in measures))
    )


def _value_totals(scope: Scope) -> list[pl.Expr]:
    """`arr` and `value` of a group of customers; null when the data has neither."""
    arr = arr_total(scope)
    value = value_expr(scope)
    return [
        (arr if arr is not None else pl.lit(None, pl.Float64)).cast(pl.Float64).alias("arr"),
        (known_sum(value) if value is not None else pl.lit(None, pl.Float64))
        .cast(pl.Float64)
        .alias("value"),
    ]


def segment_members(scope: Scope, by: list[str], values: list) -> pl.LazyFrame:
    """Exactly the customers a segments row counts (null-safe match)."""
    cond = pl.col("in_universe")
    for dim, value in zip(by, values, strict=True):
        cond &= pl.col(dim).is_null() if value is None else (pl.col(dim) == value)
    return scope.facts.filter(cond)


# ---------------------------------------------------------------- top customers

TOP_BY = ("revenue_12m", "mrr", "lifetime_revenue", "annual_revenue", "clv_12m")
# ranking values that are not facts columns: the caller passes them as `values`
# (clv_12m: the CLV predictions, SPEC §8)
TOP_BY_JOINED = ("clv_12m",)


def default_top_by(scope: Scope) -> str:
    """SPEC §6: revenue_12m with orders, else mrr; with neither table (a bare
    customers export) annual_revenue when the customers carry it."""
    if scope.ds.has("orders"):
        return "revenue_12m"
    if not scope.ds.has("monthly") and "annual_revenue" in scope.fact_columns():
        return "annual_revenue"
    return "mrr"


def top_customers(
    scope: Scope, by: str, n: int | None, values: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """SPEC §2 Top customers; ties by customer_id, nulls last. A `by` of
    TOP_BY_JOINED ranks by `values` (customer_id, `by`) joined on customer_id;
    customers without a value rank last, with null."""
    if by not in TOP_BY:
        raise CxError(f"unknown --by {by!r} for top; fix: use one of {', '.join(TOP_BY)}")
    universe = scope.universe
    if by in TOP_BY_JOINED:
        if values is None:
            raise ValueError(f"top_customers: --by {by} needs its values")
        universe = universe.join(values.select("customer_id", by), on="customer_id", how="left")
    cols = set(universe.collect_schema().names())
    if by not in cols and by != default_top_by(scope):
        what = {"mrr": "monthly table", "annual_revenue": "annual_revenue column"}.get(
            by, "orders table"
        )
        usable = [b for b in TOP_BY if b in cols]
        fix = f"use --by {' or '.join(usable)}" if usable else "add an orders or monthly table"
        raise CxError(f"top --by {by}: the dataset has no {what}; fix: {fix}")
    # the default ranking value of a dataset without orders, monthly or
    # annual_revenue: null for everyone (§2 "keys the dataset cannot support are
    # null"), so the list is in customer_id order
    value = pl.col(by) if by in cols else pl.lit(None, dtype=pl.Float64)

    def col(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name) if name in cols else null_col(name, dtype)

    # the few columns first, then sort and cut: sort + head is a top-k, not a full sort
    ranked = universe.select(
        "customer_id",
        col("name", pl.String),
        col("segment", pl.String),
        value.alias(by),
        ratio(value, value.sum()).alias("revenue_share"),
        col("orders_12m", pl.Int64),
        col("last_order_date", pl.Date),
        "status",
    ).sort([by, "customer_id"], descending=[True, False], nulls_last=True)
    if n is not None:
        ranked = ranked.head(n)
    return ranked.with_row_index("rank", offset=1).select(
        pl.col("rank").cast(pl.Int64),
        "customer_id",
        "name",
        "segment",
        by,
        "revenue_share",
        "orders_12m",
        "last_order_date",
        "status",
    )


# ---------------------------------------------------------------- churn


def churned_in_window(scope: Scope, window_days: int) -> pl.LazyFrame:
    """The customers counted by the churn pane (docs/metrics.md "Churn")."""
    u = scope.universe
    if churn_source(scope.ds) == "is_active":
        return u.filter(pl.col("status") == "churned")
    start = shift_days(scope.as_of, -window_days)
    churn = pl.col("churn_date")
    return u.filter((churn > start) & (churn <= scope.as_of))


def _lost_values(scope: Scope, churned: pl.LazyFrame) -> pl.LazyFrame:
    """Per churned customer: lost_mrr and lost_revenue_12m (SPEC §6)."""
    dated = churn_source(scope.ds) != "is_active"
    if scope.ds.has("monthly") and dated:
        # When the last month with mrr > 0 (up to as_of) is before churn_date, it is
        # the latest such month before churn_date, and its mrr is the facts'
        # last_positive_mrr; no month with mrr > 0 at all: 0. Only the customers
        # with mrr > 0 on or after their churn_date need the monthly rows.
        out = churned.select(
            "customer_id",
            "churn_date",
            "reason",
            pl.when(pl.col("last_mrr_month").is_null())
            .then(0.0)
            .when(pl.col("last_mrr_month") < pl.col("churn_date"))
            .then(pl.col("last_positive_mrr"))
            .alias("_known_mrr"),
        )
        later = out.filter(pl.col("_known_mrr").is_null()).select("customer_id", "churn_date")
        months = (
            scope.table("monthly")
            .join(later, on="customer_id")
            .filter(pl.col("month") < pl.col("churn_date"))
            .group_by("customer_id", "month")
            .agg(pl.col("mrr").sum())
            .filter(pl.col("mrr") > 0)
            .group_by("customer_id")
            .agg(pl.col("mrr").sort_by("month").last().alias("lost_mrr"))
        )
        out = (
            out.join(months, on="customer_id", how="left", maintain_order="left")
            .with_columns(pl.coalesce("_known_mrr", "lost_mrr", pl.lit(0.0)).alias("lost_mrr"))
            .drop("_known_mrr")
        )
    else:
        out = churned.select("customer_id", "churn_date", "reason", null_col("lost_mrr"))
    if scope.ds.has("orders") and dated:
        rev = (
            scope.table("orders")
            .join(out.select("customer_id", "churn_date"), on="customer_id")
            .filter(
                (pl.col("order_date") >= pl.col("churn_date") - pl.duration(days=365))
                & (pl.col("order_date") < pl.col("churn_date"))
            )
            .group_by("customer_id")
            .agg(pl.col("amount").sum().alias("lost_revenue_12m"))
        )
        out = out.join(rev, on="customer_id", how="left").with_columns(
            pl.col("lost_revenue_12m").fill_null(0.0)
        )
    else:
        out = out.with_columns(null_col("lost_revenue_12m"))
    return out


def _with_reason(lf: pl.LazyFrame, cols: set[str]) -> pl.LazyFrame:
    reason = pl.col("churn_reason") if "churn_reason" in cols else pl.lit(None, pl.String)
    return lf.with_columns(reason.fill_null("Unknown").alias("reason"))


def churn_reasons(scope: Scope, window_days: int) -> pl.LazyFrame:
    """SPEC §2 Churn reasons: reason, churned_customers, share, lost_mrr, lost_revenue_12m."""
    cols = set(scope.fact_columns())
    churned = _with_reason(churned_in_window(scope, window_days), cols)
    per_customer = _lost_values(scope, churned)
    grouped = per_customer.group_by("reason").agg(
        pl.len().cast(pl.Int64).alias("churned_customers"),
        pl.col("lost_mrr").sum(),
        pl.col("lost_revenue_12m").sum(),
    )
    null_if_absent = []
    if not scope.ds.has("monthly") or churn_source(scope.ds) == "is_active":
        null_if_absent.append(null_col("lost_mrr"))
    if not scope.ds.has("orders") or churn_source(scope.ds) == "is_active":
        null_if_absent.append(null_col("lost_revenue_12m"))
    if null_if_absent:
        grouped = grouped.with_columns(null_if_absent)
    return (
        grouped.with_columns(
            ratio(
                pl.col("churned_customers").cast(pl.Float64),
                pl.col("churned_customers").sum().cast(pl.Float64),
            ).alias("share")
        )
        .sort(["churned_customers", "reason"], descending=[True, False])
        .select("reason", "churned_customers", "share", "lost_mrr", "lost_revenue_12m")
    )


def churned_accounts(scope: Scope, window_days: int, reason: str | None) -> pl.LazyFrame:
    """Drill-down of a churn reason row: exactly the customers it counts."""
    cols = set(scope.fact_columns())
    churned = _with_reason(churned_in_window(scope, window_days), cols)
    if reason is not None:
        churned = churned.filter(pl.col("reason") == reason)
    return churned.sort(["churn_date", "customer_id"], descending=[True, False], nulls_last=True)


def trend_months(as_of: date, months: int = 12) -> list[date]:
    end = month_start(as_of)
    return [add_months(end, -i) for i in range(months - 1, -1, -1)]


def churn_trend(scope: Scope, months: int = 12) -> pl.LazyFrame:
    """Monthly churned customers and logo churn rate over the last `months` months."""
    schema = {
        "month": pl.Date,
        "churned_customers": pl.Int64,
        "active_at_start": pl.Int64,
        "logo_churn_rate": pl.Float64,
    }
    if churn_source(scope.ds) in ("is_active", "none"):
        return pl.LazyFrame(schema=schema)
    u = scope.universe
    churn = pl.col("churn_date")
    parts = []
    for first in trend_months(scope.as_of, months):
        before = shift_days(first, -1)
        nxt = next_month_start(first)
        active = (pl.col("start_date") <= before) & (churn.is_null() | (churn > before))
        in_month = (churn >= first) & (churn < nxt) & (churn <= scope.as_of)
        parts.append(
            u.select(
                pl.lit(first).alias("month"),
                in_month.sum().cast(pl.Int64).alias("churned_customers"),
                active.sum().cast(pl.Int64).alias("active_at_start"),
                ratio(
                    (active & in_month).sum().cast(pl.Float64), active.sum().cast(pl.Float64)
                ).alias("logo_churn_rate"),
            )
        )
    return pl.concat(parts)


# ---------------------------------------------------------------- at risk

AT_RISK_KEYS = (
    "customer_id",
    "name",
    "segment",
    "owner",
    "risk_score",
    "mrr",
    "revenue_12m",
    "signals",
)


def at_risk_all(scope: Scope, min_score: float) -> pl.LazyFrame:
    """Every active customer at or above min_score, in at-risk order."""
    return scope.facts.filter(pl.col("active") & (pl.col("risk_score") >= min_score)).sort(
        ["risk_score", "mrr" if "mrr" in scope.fact_columns() else "risk_score", "customer_id"],
        descending=[True, True, False],
        nulls_last=True,
    )


def at_risk(scope: Scope, n: int | None, min_score: float) -> pl.LazyFrame:
    """SPEC §2 at-risk list: score desc, then mrr desc, then customer_id."""
    cols = set(scope.fact_columns())
    lf = at_risk_all(scope, min_score)
    if n is not None:
        lf = lf.head(n)
    dtypes = {"name": pl.String, "segment": pl.String, "owner": pl.String}
    return lf.select(
        pl.col(k) if k in cols else null_col(k, dtypes.get(k, pl.Float64)) for k in AT_RISK_KEYS
    )


def at_risk_summary(scope: Scope, min_score: float) -> pl.LazyFrame:
    cols = set(scope.fact_columns())
    mrr = pl.col("mrr").sum() if "mrr" in cols else pl.lit(None, pl.Float64)
    return at_risk_all(scope, min_score).select(
        pl.len().cast(pl.Int64).alias("customers"),
        mrr.alias("mrr_at_risk"),
        (pl.col("revenue_12m").sum() if "revenue_12m" in cols else pl.lit(None, pl.Float64)).alias(
            "revenue_12m_at_risk"
        ),
    )
