"""SPEC §7 "MRR movements" (with `monthly`), its orders-only fallback "revenue
per month", and §8 "New vs returning" buyers.

Every function only builds a LazyFrame. Ids that are not customers count in
every figure unless --where restricts the rows to matching customers (the
`Scope.table` rule); with `by` they fall in the null group. Rows without a
customer id count as one such id, as in retention (docs/metrics.md).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.panes import check_dimension
from cxtui.metrics.periods import month_start, shift_days
from cxtui.metrics.scope import Scope, ratio

MOVEMENT_KEYS = (
    "month",
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "end_mrr",
    "net_new_mrr",
    "new_customers",
    "expanded_customers",
    "reactivated_customers",
    "contracted_customers",
    "churned_customers",
    "quick_ratio",
)

# movement -> (amount column, customer count column)
MOVEMENTS = {
    "new": ("new_mrr", "new_customers"),
    "expansion": ("expansion_mrr", "expanded_customers"),
    "reactivation": ("reactivation_mrr", "reactivated_customers"),
    "contraction": ("contraction_mrr", "contracted_customers"),
    "churned": ("churned_mrr", "churned_customers"),
}

ORDER_MONTH_KEYS = (
    "month",
    "revenue",
    "orders",
    "buyers",
    "new_buyers",
    "returning_buyers",
    "new_buyer_revenue",
    "returning_buyer_revenue",
    "aov",
)

BUYER_KINDS = ("buyers", "new_buyers", "returning_buyers")

NEW_VS_RETURNING_WINDOWS = {"30d": 30, "12m": 365}


def new_vs_returning_keys() -> tuple[str, ...]:
    return tuple(
        f"{key}_{w}"
        for w in NEW_VS_RETURNING_WINDOWS
        for key in (
            "new_buyers",
            "returning_buyers",
            "new_buyer_revenue",
            "returning_buyer_revenue",
            "new_buyer_aov",
            "returning_buyer_aov",
        )
    )


NEW_VS_RETURNING_KEYS = new_vs_returning_keys()


# ---------------------------------------------------------------- months as integers


def month_index(d: date) -> int:
    """Calendar months since year 0: consecutive months differ by 1."""
    return d.year * 12 + d.month - 1


FIRST_MONTH = 12  # January of year 1, the calendar's first month


def index_month(i: int) -> date:
    return date(i // 12, i % 12 + 1, 1)


def _month_index(expr: pl.Expr) -> pl.Expr:
    return expr.dt.year().cast(pl.Int32) * 12 + expr.dt.month().cast(pl.Int32) - 1


def check_months(months: int) -> None:
    if months < 1:
        raise CxError(f"--months {months}: must be at least 1; fix: pass e.g. --months 12")


def _window(scope: Scope, months: int) -> tuple[int, int]:
    """The first and last month (as indices) of the last `months` months ending
    with month(as_of)."""
    check_months(months)
    end = month_index(month_start(scope.as_of))
    # no month before January of year 1 (an as_of early in year 1)
    return max(end - months + 1, FIRST_MONTH), end


def _month_grid(first: int, last: int) -> pl.LazyFrame:
    idx = list(range(first, last + 1))
    return pl.LazyFrame(
        {"_mi": idx, "month": [index_month(i) for i in idx]},
        schema={"_mi": pl.Int32, "month": pl.Date},
    )


def _check_by(scope: Scope, by: str | None) -> None:
    if by is not None:
        check_dimension(scope, by)


def _restrict(scope: Scope, rows: pl.LazyFrame, by: str | None) -> pl.LazyFrame:
    """Per-id rows restricted to --where customers (when given) and, with `by`,
    carrying the id's dimension value (null for ids that are not customers)."""
    if by is None:
        if scope.where is None:
            return rows
        return rows.join(scope.facts.select("customer_id"), on="customer_id", how="semi")
    dims = scope.facts.select("customer_id", by)
    return rows.join(dims, on="customer_id", how="left" if scope.where is None else "inner")


def _blocks(
    by: str | None, grid: pl.LazyFrame, stats: pl.LazyFrame, groups: pl.LazyFrame | None
) -> pl.LazyFrame:
    """Every month of `grid` for every group, with the month's `stats` (by _mi
    and the group) left-joined; the caller fills the gaps with 0."""
    if by is None:
        return grid.join(stats, on="_mi", how="left")
    assert groups is not None
    return groups.join(grid, how="cross").join(stats, on=[by, "_mi"], how="left", nulls_equal=True)


# ---------------------------------------------------------------- MRR movements


def customer_months(scope: Scope) -> pl.LazyFrame:
    """monthly as one row per (id, month) up to month(as_of): customer_id, _mi
    (month index), mrr (Σ of the id's rows in the month, SPEC §6), in
    (customer_id, month) order. Exports already one row per customer-month in
    that order (`Dataset.monthly_ordered`) are taken as they are."""
    ds = scope.ds
    lf = ds.scan("monthly", whole=True)
    if ds.monthly_ordered:
        return lf.select(
            "customer_id",
            _month_index(pl.col("month")).alias("_mi"),
            pl.col("mrr").fill_null(0.0).cast(pl.Float64),
        )
    return (
        lf.group_by("customer_id", "month")
        .agg(pl.col("mrr").sum().cast(pl.Float64))
        .select("customer_id", _month_index(pl.col("month")).alias("_mi"), "mrr")
        .sort("customer_id", "_mi", nulls_last=True)
    )


def _movement_rows(scope: Scope) -> pl.LazyFrame:
    """Each (id, month) row with its movement in that month and, in `gone_*`,
    the churn in the next month when the id has no row there (a gap or the end
    of its rows: mrr_{M+1} = 0). Shifts over the rows in (id, month) order; a
    row's neighbours count only when they are the same id and the adjacent
    month, so a gap reads as 0 (SPEC §7)."""
    cid, mi, cur = pl.col("customer_id"), pl.col("_mi"), pl.col("mrr")
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    same_prev = cid.eq_missing(cid.shift(1)) & (row > 0)
    same_next = cid.eq_missing(cid.shift(-1)) & (row < pl.len() - 1)
    positive = (cur > 0).cast(pl.UInt32)
    # positive months before this row over the whole frame, and at the id's first row
    seen = positive.cum_sum() - positive
    rows = customer_months(scope).with_columns(
        pl.when(same_prev & (mi.shift(1) == mi - 1))
        .then(cur.shift(1))
        .otherwise(0.0)
        .alias("_prev"),
        (same_next & (mi.shift(-1) == mi + 1)).alias("_next_adjacent"),
        (seen > pl.when(~same_prev).then(seen).forward_fill()).alias("_earlier_positive"),
    )
    prev = pl.col("_prev")
    opened = (prev == 0) & (cur > 0)
    flags = {
        "new": opened & ~pl.col("_earlier_positive"),
        "reactivation": opened & pl.col("_earlier_positive"),
        "expansion": (prev > 0) & (cur > prev),
        "contraction": (cur > 0) & (cur < prev),
        "churned": (prev > 0) & (cur == 0),
    }
    amounts = {
        "new": cur,
        "reactivation": cur,
        "expansion": cur - prev,
        "contraction": prev - cur,
        "churned": prev,
    }
    gone = (cur > 0) & ~pl.col("_next_adjacent")
    return rows.select(
        "customer_id",
        "_mi",
        "mrr",
        *(
            expr
            for name, flag in flags.items()
            for expr in (
                pl.when(flag).then(amounts[name]).otherwise(0.0).alias(f"_{name}_mrr"),
                flag.cast(pl.UInt32).alias(f"_{name}_n"),
            )
        ),
        pl.when(gone).then(cur).otherwise(0.0).alias("_gone_mrr"),
        gone.cast(pl.UInt32).alias("_gone_n"),
    )


def mrr_movements(scope: Scope, months: int = 12, by: str | None = None) -> pl.LazyFrame:
    """SPEC §7 MRR movements: one row per month for the last `months` months
    ending with month(as_of), columns MOVEMENT_KEYS. With `by`, a block of
    those rows per value of the customer dimension (ids that are not customers
    in the null group), the `by` column first, values ascending with null
    last, then month. A block exists for each value held by an id with a
    monthly row in the window or the month before it."""
    if not scope.ds.has("monthly"):
        raise CxError("MRR movements need the monthly table; fix: add monthly.parquet")
    _check_by(scope, by)
    first, last = _window(scope, months)
    rows = _movement_rows(scope).filter(pl.col("_mi").is_between(first - 1, last))
    rows = _restrict(scope, rows, by)
    keys = ([by] if by else []) + ["_mi"]
    names = [*MOVEMENTS, "gone"]
    stats = rows.group_by(keys).agg(
        pl.col("mrr").sum().alias("_total"),
        *(pl.col(f"_{n}_mrr").sum() for n in names),
        *(pl.col(f"_{n}_n").sum() for n in names),
    )
    # the month before: its total is this month's start, its gone ids churn now
    before = stats.select(
        *([by] if by else []),
        (pl.col("_mi") + 1).alias("_mi"),
        pl.col("_total").alias("_start"),
        pl.col("_gone_mrr").alias("_gone_in_mrr"),
        pl.col("_gone_n").alias("_gone_in_n"),
    )
    groups = stats.select(by).unique() if by else None
    grid = _blocks(by, _month_grid(first, last), stats, groups)
    on = [by, "_mi"] if by else ["_mi"]
    grid = grid.join(before, on=on, how="left", nulls_equal=True).sort(on, nulls_last=True)

    def amount(col: str) -> pl.Expr:
        return pl.col(col).fill_null(0.0).cast(pl.Float64)

    def count(col: str) -> pl.Expr:
        return pl.col(col).fill_null(0).cast(pl.Int64)

    out = grid.select(
        *([by] if by else []),
        "month",
        amount("_start").alias("start_mrr"),
        amount("_new_mrr").alias("new_mrr"),
        amount("_expansion_mrr").alias("expansion_mrr"),
        amount("_reactivation_mrr").alias("reactivation_mrr"),
        amount("_contraction_mrr").alias("contraction_mrr"),
        (amount("_churned_mrr") + amount("_gone_in_mrr")).alias("churned_mrr"),
        amount("_total").alias("end_mrr"),
        count("_new_n").alias("new_customers"),
        count("_expansion_n").alias("expanded_customers"),
        count("_reactivation_n").alias("reactivated_customers"),
        count("_contraction_n").alias("contracted_customers"),
        (count("_churned_n") + count("_gone_in_n")).alias("churned_customers"),
    )
    gained = pl.col("new_mrr") + pl.col("expansion_mrr") + pl.col("reactivation_mrr")
    lost = pl.col("contraction_mrr") + pl.col("churned_mrr")
    return out.with_columns(
        (pl.col("end_mrr") - pl.col("start_mrr")).alias("net_new_mrr"),
        ratio(gained, lost).alias("quick_ratio"),
    ).select(*([by] if by else []), *MOVEMENT_KEYS)


def movement_customers(
    scope: Scope,
    month: date,
    movement: str,
    by: str | None = None,
    value: object = None,
) -> pl.LazyFrame:
    """Drill-down of a movements cell: exactly the customers counted by the
    movement's customer count in `month` (of the block `by` = `value` when
    given; value None is the null group). `movement` is a MOVEMENTS name or
    its count column (e.g. "new_customers"). Ids that are not customers are
    counted in the movement rows but cannot be listed: the list holds the
    customers only. Rows: the facts columns plus `prev_month_mrr`,
    `month_mrr` and `movement_mrr` (the movement's amount), by movement_mrr
    desc, then customer_id.

    Worked from the two months' rows and the facts' first month with
    mrr > 0 (over all months up to as_of), not from `mrr_movements`' pass."""
    if not scope.ds.has("monthly"):
        raise CxError("MRR movements need the monthly table; fix: add monthly.parquet")
    by_count = {count: name for name, (_, count) in MOVEMENTS.items()}
    name = by_count.get(movement, movement)
    if name not in MOVEMENTS:
        raise CxError(f"unknown movement {movement!r}; fix: use one of {', '.join(MOVEMENTS)}")
    _check_by(scope, by)
    m = month_start(month)
    mi = month_index(m)
    rows = (
        scope.table("monthly")
        .select("customer_id", _month_index(pl.col("month")).alias("_mi"), "mrr")
        .filter(pl.col("_mi").is_between(mi - 1, mi))
        .group_by("customer_id")
        .agg(
            pl.col("mrr").filter(pl.col("_mi") == mi - 1).sum().alias("prev_month_mrr"),
            pl.col("mrr").filter(pl.col("_mi") == mi).sum().alias("month_mrr"),
        )
    )
    facts = scope.facts
    if by is not None:
        facts = facts.filter(pl.col(by).is_null() if value is None else pl.col(by) == value)
    prev, cur = pl.col("prev_month_mrr"), pl.col("month_mrr")
    first_positive = pl.col("first_mrr_month")
    opened = (prev == 0) & (cur > 0)
    cond = {
        "new": opened & (first_positive == m),
        "reactivation": opened & (first_positive < m),
        "expansion": (prev > 0) & (cur > prev),
        "contraction": (cur > 0) & (cur < prev),
        "churned": (prev > 0) & (cur == 0),
    }[name]
    amount = {
        "new": cur,
        "reactivation": cur,
        "expansion": cur - prev,
        "contraction": prev - cur,
        "churned": prev,
    }[name]
    return (
        facts.join(rows, on="customer_id", how="inner")
        .filter(cond)
        .with_columns(amount.alias("movement_mrr"))
        .sort(["movement_mrr", "customer_id"], descending=[True, False])
    )


# ---------------------------------------------------------------- orders per month


def _other_order_rows(scope: Scope) -> pl.LazyFrame | None:
    """The orders rows of ids that are not customers (None with --where, which
    keeps only matching customers): a probe against `scope.others`, usually a
    handful of ids (rows without an id are one of them)."""
    if scope.where is not None:
        return None
    ids = scope.others.select("customer_id")
    return scope.ds.scan("orders").join(ids, on="customer_id", how="semi", nulls_equal=True)


def _first_orders(scope: Scope) -> pl.LazyFrame:
    """Each id's first orders row ever (up to as_of, any amount): the facts'
    first_order_date for customers, the rows themselves for the other ids."""
    firsts = scope.facts.filter(pl.col("first_order_date").is_not_null()).select(
        "customer_id", pl.col("first_order_date").alias("_first")
    )
    others = _other_order_rows(scope)
    if others is None:
        return firsts
    other_firsts = others.group_by("customer_id").agg(pl.col("order_date").min().alias("_first"))
    return pl.concat([firsts, other_firsts], how="vertical_relaxed")


def _buyer_months(scope: Scope, first: int, last: int) -> pl.LazyFrame:
    """One row per (id, month) with an orders row in months first..last:
    _revenue, _orders (amount > 0) and whether the month holds the id's first
    order row ever (_new)."""
    orders = scope.table("orders")
    per_month = (
        orders.filter(pl.col("order_date") >= index_month(first))
        .with_columns(_month_index(pl.col("order_date")).alias("_mi"))
        .group_by("customer_id", "_mi")
        .agg(
            pl.col("amount").sum().cast(pl.Float64).alias("_revenue"),
            (pl.col("amount") > 0).sum().cast(pl.Int64).alias("_orders"),
        )
    )
    return per_month.join(
        _first_orders(scope), on="customer_id", how="left", nulls_equal=True
    ).with_columns((_month_index(pl.col("_first")) == pl.col("_mi")).alias("_new"))


def order_months(scope: Scope, months: int = 12, by: str | None = None) -> pl.LazyFrame:
    """SPEC §7 without monthly: revenue per month from orders for the last
    `months` months ending with month(as_of), columns ORDER_MONTH_KEYS.
    revenue = Σ amount (refunds included); orders = rows with amount > 0 (as
    orders_12m); buyers = ids with any orders row in the month; new_buyers =
    those whose first orders row ever is in the month, returning_buyers the
    rest; aov = revenue ÷ orders. `by` as in `mrr_movements` (a block per value
    held by a buyer of the window)."""
    if not scope.ds.has("orders"):
        raise CxError("revenue per month needs the orders table; fix: add orders.parquet")
    _check_by(scope, by)
    first, last = _window(scope, months)
    rows = _restrict(scope, _buyer_months(scope, first, last), by)
    new = pl.col("_new")
    keys = ([by] if by else []) + ["_mi"]
    stats = rows.group_by(keys).agg(
        pl.col("_revenue").sum().alias("revenue"),
        pl.col("_orders").sum().alias("orders"),
        pl.len().cast(pl.Int64).alias("buyers"),
        new.sum().cast(pl.Int64).alias("new_buyers"),
        (~new).sum().cast(pl.Int64).alias("returning_buyers"),
        pl.when(new).then(pl.col("_revenue")).otherwise(0.0).sum().alias("new_buyer_revenue"),
        pl.when(new).then(0.0).otherwise(pl.col("_revenue")).sum().alias("returning_buyer_revenue"),
    )
    groups = stats.select(by).unique() if by else None
    grid = _blocks(by, _month_grid(first, last), stats, groups).sort(keys, nulls_last=True)
    amounts = ("revenue", "new_buyer_revenue", "returning_buyer_revenue")
    counts = ("orders", "buyers", "new_buyers", "returning_buyers")
    return (
        grid.with_columns(
            *(pl.col(c).fill_null(0.0).cast(pl.Float64) for c in amounts),
            *(pl.col(c).fill_null(0).cast(pl.Int64) for c in counts),
        )
        .with_columns(ratio(pl.col("revenue"), pl.col("orders").cast(pl.Float64)).alias("aov"))
        .select(*([by] if by else []), *ORDER_MONTH_KEYS)
    )


def buyer_customers(
    scope: Scope, month: date, kind: str = "buyers", by: str | None = None, value: object = None
) -> pl.LazyFrame:
    """Drill-down of `order_months`' buyers, new_buyers or returning_buyers in
    `month` (of the block `by` = `value`): the customers among them (ids that
    are not customers are counted, not listable), with `month_revenue`, by
    that desc then customer_id."""
    if kind not in BUYER_KINDS:
        raise CxError(f"unknown buyer kind {kind!r}; fix: use one of {', '.join(BUYER_KINDS)}")
    if not scope.ds.has("orders"):
        raise CxError("revenue per month needs the orders table; fix: add orders.parquet")
    _check_by(scope, by)
    mi = month_index(month_start(month))
    rows = _buyer_months(scope, mi, mi).filter(pl.col("_mi") == mi)
    if kind == "new_buyers":
        rows = rows.filter(pl.col("_new"))
    elif kind == "returning_buyers":
        rows = rows.filter(~pl.col("_new"))
    facts = scope.facts
    if by is not None:
        facts = facts.filter(pl.col(by).is_null() if value is None else pl.col(by) == value)
    return facts.join(
        rows.select("customer_id", pl.col("_revenue").alias("month_revenue")),
        on="customer_id",
        how="inner",
    ).sort(["month_revenue", "customer_id"], descending=[True, False])


def revenue_months(scope: Scope, months: int = 12, by: str | None = None) -> pl.LazyFrame:
    """The revenue view's table: MRR movements with `monthly`, else revenue per
    month from orders (SPEC §7)."""
    if scope.ds.has("monthly"):
        return mrr_movements(scope, months, by)
    if scope.ds.has("orders"):
        return order_months(scope, months, by)
    raise CxError(
        "revenue needs a monthly or an orders table; fix: add monthly.parquet "
        "(MRR movements) or orders.parquet (revenue per month)"
    )


# ---------------------------------------------------------------- new vs returning (§8)


# per-id order figures that `facts.other_ids` may carry for the ids that are
# not customers; without them those ids' rows are read once more
OTHER_ORDER_FIGURES = ("first_order_date", "lifetime_orders", "order_rows_12m")


def _other_sums(scope: Scope, last_30d: pl.LazyFrame, d30: date, d365: date) -> pl.LazyFrame | None:
    """The ids that are not customers (none with --where), one row each with
    _first, _life and the _rows/_rev/_orders figures of 30d and 12m."""
    if scope.where is not None:
        return None
    if set(OTHER_ORDER_FIGURES) <= set(scope.others.collect_schema().names()):
        life = scope.others.filter(pl.col("lifetime_orders") > 0).select(
            "customer_id",
            pl.col("first_order_date").alias("_first"),
            pl.col("lifetime_orders").alias("_life"),
            pl.col("order_rows_12m").alias("_rows_12m"),
            pl.col("revenue_12m").alias("_rev_12m"),
            pl.col("orders_12m").alias("_orders_12m"),
        )
        return life.join(last_30d, on="customer_id", how="left", nulls_equal=True).with_columns(
            pl.col("_rows_30d", "_orders_30d").fill_null(0), pl.col("_rev_30d").fill_null(0.0)
        )
    rows = _other_order_rows(scope)
    assert rows is not None
    day, amount = pl.col("order_date"), pl.col("amount")
    return rows.group_by("customer_id").agg(
        day.min().alias("_first"),
        pl.len().alias("_life"),
        *(
            expr
            for w, lo in (("30d", d30), ("12m", d365))
            for expr in (
                (day > lo).sum().alias(f"_rows_{w}"),
                pl.when(day > lo).then(amount).otherwise(0.0).sum().alias(f"_rev_{w}"),
                ((day > lo) & (amount > 0)).sum().alias(f"_orders_{w}"),
            )
        ),
    )


def _buyer_stats(members: dict[tuple[str, str], pl.Expr], suffix: str) -> list[pl.Expr]:
    """Per (kind, window) membership of per-id rows carrying _rev_{w} and
    _orders_{w}: the buyers, revenue and orders sums, named with `suffix`."""
    out = []
    for (kind, w), member in members.items():
        out += [
            member.sum().cast(pl.Int64).alias(f"{kind}_{w}_n{suffix}"),
            pl.col(f"_rev_{w}")
            .filter(member)
            .sum()
            .cast(pl.Float64)
            .alias(f"{kind}_{w}_rev{suffix}"),
            pl.col(f"_orders_{w}")
            .filter(member)
            .sum()
            .cast(pl.Int64)
            .alias(f"{kind}_{w}_ord{suffix}"),
        ]
    return out


def new_vs_returning(scope: Scope) -> pl.LazyFrame:
    """SPEC §8 New vs returning, one row with NEW_VS_RETURNING_KEYS for W in
    30d and 12m: new buyers are ids whose first orders row ever is in W,
    returning buyers ids with a row in W whose first is before it; revenue
    and orders (amount > 0) are their rows in W; aov = revenue ÷ orders. Every
    id in orders counts (with --where: the matching customers). All null
    without an orders table.

    Customers from the facts (12m: a buyer of W is new exactly when all its
    rows up to as_of are in W) and the window's rows (30d); the ids that are
    not customers from their own rows, read once."""
    if not scope.ds.has("orders"):
        schema = {
            k: pl.Int64 if k.startswith(("new_buyers", "returning_buyers")) else pl.Float64
            for k in NEW_VS_RETURNING_KEYS
        }
        return pl.LazyFrame({k: [None] for k in schema}, schema=schema)
    d30, d365 = shift_days(scope.as_of, -30), shift_days(scope.as_of, -365)
    facts = scope.facts.select(
        "customer_id",
        pl.col("first_order_date").alias("_first"),
        pl.col("lifetime_orders").alias("_life"),
        pl.col("order_rows_12m").alias("_rows_12m"),
        pl.col("revenue_12m").alias("_rev_12m"),
        pl.col("orders_12m").alias("_orders_12m"),
    )
    last_30d = (
        scope.table("orders")
        .filter(pl.col("order_date") > d30)
        .group_by("customer_id")
        .agg(
            pl.len().alias("_rows_30d"),
            pl.col("amount").sum().cast(pl.Float64).alias("_rev_30d"),
            (pl.col("amount") > 0).sum().cast(pl.Int64).alias("_orders_30d"),
        )
    )
    others = _other_sums(scope, last_30d, d30, d365)
    if others is not None:  # the other ids' rows are counted from `others`
        last_30d = last_30d.join(
            scope.others.select("customer_id"), on="customer_id", how="anti", nulls_equal=True
        )
    new_ids = facts.filter(pl.col("_first") > d30).select("customer_id", pl.lit(True).alias("_new"))
    is_new = pl.col("_new").fill_null(False)
    buyer_12m = pl.col("_rows_12m") > 0
    new_12m = pl.col("_life") == pl.col("_rows_12m")
    parts = [
        last_30d.join(new_ids, on="customer_id", how="left").select(
            _buyer_stats({("new", "30d"): is_new, ("returning", "30d"): ~is_new}, "_c30")
        ),
        facts.select(
            _buyer_stats(
                {("new", "12m"): buyer_12m & new_12m, ("returning", "12m"): buyer_12m & ~new_12m},
                "_c12",
            )
        ),
    ]
    if others is not None:
        members = {}
        for w, lo in (("30d", d30), ("12m", d365)):
            buyer = pl.col(f"_rows_{w}") > 0
            members[("new", w)] = buyer & (pl.col("_first") > lo)
            members[("returning", w)] = buyer & (pl.col("_first") <= lo)
        parts.append(others.select(_buyer_stats(members, "_o")))
    totals = pl.concat(parts, how="horizontal")
    out = []
    for w in NEW_VS_RETURNING_WINDOWS:
        for kind in ("new", "returning"):
            names = [f"{kind}_{w}_{{}}_c{w[:2]}"]
            if others is not None:
                names.append(f"{kind}_{w}_{{}}_o")
            n = pl.sum_horizontal(pl.col(x.format("n")) for x in names)
            revenue = pl.sum_horizontal(pl.col(x.format("rev")) for x in names)
            n_orders = pl.sum_horizontal(pl.col(x.format("ord")) for x in names)
            out += [
                n.cast(pl.Int64).alias(f"{kind}_buyers_{w}"),
                revenue.alias(f"{kind}_buyer_revenue_{w}"),
                ratio(revenue, n_orders.cast(pl.Float64)).alias(f"{kind}_buyer_aov_{w}"),
            ]
    return totals.select(out).select(NEW_VS_RETURNING_KEYS)
