"""The per-customer facts table: one row per customer, every pane derives from it.

SPEC §1 (start, churn date, status) and §2 (revenue, mrr, RFM, lifecycle,
engagement, risk score with its signals) are implemented here, as one lazy
query over the dataset's tables. Nothing is collected in this module.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cxtui.data.config import Config
from cxtui.data.load import Dataset
from cxtui.metrics import order_days
from cxtui.metrics.periods import add_months, month_start, shift_days
from cxtui.metrics.signals import SIGNAL_IDS, SIGNALS, round_half_away

AVG_MONTH_DAYS = 30.4375

# Columns every facts table carries; attributes of the customers table come before them.
RISK_SIGNAL_COLUMNS = SIGNAL_IDS  # s_<id> strengths and risk_<id> points, in table order


def churn_source(ds: Dataset) -> str:
    """Which one source gives churn dates for this dataset (SPEC §1)."""
    if ds.has_column("customers", "churn_date") and not ds.customers_derived:
        return "churn_date"
    if ds.has("monthly"):
        return "monthly"
    if ds.has_column("customers", "is_active") and not ds.customers_derived:
        return "is_active"
    if ds.has("orders"):
        return "orders"
    return "none"


def _null(dtype: pl.DataType = pl.Float64) -> pl.Expr:
    return pl.lit(None, dtype=dtype)


# ---------------------------------------------------------------- per-table aggregates


def _counts(ds: Dataset, table: str, count_nonfinite: bool) -> list[str]:
    """The NaN / inf flag columns this pass counts (Dataset.nonfinite), if asked."""
    return ds.nonfinite_columns(table) if count_nonfinite else []


def _counted(names: list[str]) -> list[pl.Expr]:
    return [pl.col(name).sum().alias(name) for name in names]


def _orders_agg(
    ds: Dataset, count_nonfinite: bool = False, with_days: bool = False
) -> pl.LazyFrame:
    """`with_days`: the rows are taken to be in (customer_id, order_date) order,
    and the pass also gives the CLV's order days (`order_days.DAY_COLUMNS`;
    `orders_with_days`)."""
    d365 = shift_days(ds.as_of, -365)
    in_12m = pl.col("order_date") > d365
    counted = _counts(ds, "orders", count_nonfinite)
    rows = ds.scan("orders", whole=bool(counted))
    if with_days:
        rows = order_days.with_day_flags(rows)
    return rows.group_by("customer_id").agg(
        pl.col("order_date").min().alias("first_order_date"),
        pl.col("order_date").max().alias("last_order_date"),
        pl.len().alias("lifetime_orders"),
        pl.col("amount").sum().alias("lifetime_revenue"),
        pl.col("amount").filter(in_12m).sum().alias("revenue_12m"),
        (in_12m & (pl.col("amount") > 0)).sum().alias("orders_12m"),
        in_12m.sum().alias("order_rows_12m"),
        *_counted(counted),
        *(order_days.day_aggregates() if with_days else ()),
    )


def orders_with_days(ds: Dataset, count_nonfinite: bool = False) -> pl.LazyFrame:
    """The facts' pass over the orders that also gives the CLV's order days, for
    a command that will fit the CLV: `_orders_agg(with_days=True)` (the engine
    tries it when the first rows are in order, and keeps the days only when the
    pass counted no row out of order)."""
    return _orders_agg(ds, count_nonfinite, with_days=True)


_MONTHLY_SIGNALS = {  # facts prefix -> monthly column
    "logins": "logins",
    "tickets": "support_tickets",
    "nps": "nps",
    "features": "features_used",
}


def _monthly_agg(ds: Dataset, count_nonfinite: bool = False) -> pl.LazyFrame:
    m0 = month_start(ds.as_of)
    r_start = add_months(m0, -2)
    p_start = add_months(m0, -5)
    cols = ds.columns("monthly")
    # Level 1: one row per customer-month; a month's mrr is the sum of its rows (§6),
    # and block means stay exact means over rows by carrying sums and counts.
    signals = [(prefix, col) for prefix, col in _MONTHLY_SIGNALS.items() if col in cols]
    counted = _counts(ds, "monthly", count_nonfinite)
    if ds.monthly_ordered:  # strictly ordered by (customer_id, month): see open_dataset
        # the group-by would change nothing: the same columns, row by row (the
        # group-by on (String id, month) is the slowest step of a cold build)
        per_month = ds.scan("monthly", whole=True).select(
            "customer_id",
            "month",
            pl.col("mrr").fill_null(0.0).alias("mrr"),
            *(
                expr
                for prefix, col in signals
                for expr in (
                    pl.col(col).fill_null(0.0).alias(f"{prefix}_sum"),
                    pl.col(col).is_not_null().cast(pl.UInt32).alias(f"{prefix}_n"),
                )
            ),
            *counted,
        )
    else:
        per_month = (
            ds.scan("monthly", whole=True)
            .group_by("customer_id", "month")
            .agg(
                pl.col("mrr").sum().alias("mrr"),
                *(
                    expr
                    for prefix, col in signals
                    for expr in (
                        pl.col(col).sum().alias(f"{prefix}_sum"),
                        pl.col(col).count().alias(f"{prefix}_n"),
                    )
                ),
                *_counted(counted),
            )
        )
    in_r = pl.col("month") >= r_start
    in_p = (pl.col("month") >= p_start) & (pl.col("month") < r_start)
    positive = pl.col("mrr") > 0
    # Level 2 aggregates plain sums/min/max of columns prepared row by row: a
    # per-group `.filter()` for each of ~20 aggregates costs far more.
    prepared = [
        pl.when(positive).then(pl.col("month")).alias("_pos_month"),
        pl.when(pl.col("month") == m0).then(pl.col("mrr")).otherwise(0.0).alias("_mrr_now"),
        pl.when(pl.col("month") == add_months(m0, -12))
        .then(pl.col("mrr"))
        .otherwise(0.0)
        .alias("_mrr_12m_ago"),
    ]
    for prefix, _ in signals:
        for block, cond in (("p", in_p), ("r", in_r)):
            for part in ("sum", "n"):
                prepared.append(
                    pl.when(cond)
                    .then(pl.col(f"{prefix}_{part}"))
                    .otherwise(0)
                    .alias(f"_{prefix}_{block}_{part}")
                )
    if "nps" in cols:
        prepared.append(pl.when(pl.col("nps_n") > 0).then(pl.col("month")).alias("_nps_month"))
    per_month = per_month.with_columns(prepared)

    # "the value in the latest month with X": with one row per month, the last
    # value when sorted by that month (null when not X sorts first); a per-group
    # filter on `month == max` was several times slower
    def at_latest(value: str, month: str) -> pl.Expr:
        return pl.col(value).sort_by(month, nulls_last=False).last()

    aggs = [
        pl.col("_pos_month").min().alias("first_mrr_month"),
        pl.col("_pos_month").max().alias("last_mrr_month"),
        pl.when(pl.col("_pos_month").max().is_not_null())
        .then(at_latest("mrr", "_pos_month"))
        .otherwise(0.0)
        .alias("last_positive_mrr"),
        pl.col("_mrr_now").sum().alias("mrr"),
        pl.col("_mrr_12m_ago").sum().alias("mrr_12m_ago"),
    ]
    for prefix, _ in signals:
        for block in ("p", "r"):
            total = pl.col(f"_{prefix}_{block}_n").sum()
            aggs.append(
                pl.when(total > 0)
                .then(pl.col(f"_{prefix}_{block}_sum").sum() / total)
                .otherwise(None)
                .alias(f"{prefix}_{block}")
            )
    if "nps" in cols:
        aggs.append(
            pl.when(pl.col("_nps_month").max().is_not_null())
            .then(at_latest("nps_sum", "_nps_month") / at_latest("nps_n", "_nps_month"))
            .otherwise(None)
            .alias("latest_account_nps")
        )
    return per_month.group_by("customer_id").agg(*aggs, *_counted(counted))


def _events_agg(ds: Dataset, count_nonfinite: bool = False) -> pl.LazyFrame:
    d90 = shift_days(ds.as_of, -90)
    in_90 = pl.col("ts") > d90
    payment = pl.col("event_type").is_in(list(ds.config.payment_event_types))
    counted = _counts(ds, "events", count_nonfinite)
    return (
        ds.scan("events", whole=bool(counted))
        .group_by("customer_id")
        .agg(
            pl.col("ts").min().alias("first_event_date"),
            pl.col("ts").max().alias("last_event_date"),
            pl.len().alias("events_lifetime"),
            in_90.sum().alias("events_90d"),
            (in_90 & payment).sum().alias("payment_events_90d"),
            *_counted(counted),
        )
    )


def _feedback_agg(ds: Dataset, count_nonfinite: bool = False) -> pl.LazyFrame:
    d90 = shift_days(ds.as_of, -90)
    counted = _counts(ds, "feedback", count_nonfinite)
    scored = pl.col("score").is_not_null()
    in_90 = (pl.col("date") > d90) & scored
    # columns prepared row by row, then plain aggregates (a per-group filter on
    # `date == latest` was most of this table's time)
    rows = ds.scan("feedback", whole=bool(counted)).select(
        "customer_id",
        in_90.alias("_in_90"),
        pl.when(in_90).then(pl.col("date")).alias("_date_90"),
        pl.when(in_90).then(pl.col("score")).alias("_score_90"),
        *counted,
    )
    return rows.group_by("customer_id").agg(
        pl.len().alias("feedback_responses"),
        pl.col("_in_90").sum().alias("feedback_responses_90d"),
        pl.col("_score_90").min().alias("min_score_90d"),
        # latest response in 90d; two on that day: the higher score (docs/metrics.md).
        # Sorted by (date, score) with nulls first, the last row is that response.
        pl.col("_score_90")
        .sort_by(["_date_90", "_score_90"], nulls_last=False)
        .last()
        .alias("latest_score_90d"),
        *_counted(counted),
    )


# ---------------------------------------------------------------- status (SPEC §1)


def _status_columns(ds: Dataset, cols: set[str]) -> list[pl.Expr]:
    """start, churn_date, churned flags; evaluated on the joined frame."""
    as_of = ds.as_of
    firsts = [
        pl.col(c) for c in ("first_order_date", "first_mrr_month", "first_event_date") if c in cols
    ]
    fallback = pl.min_horizontal(firsts) if firsts else _null(pl.Date)
    start = pl.coalesce(pl.col("signup_date"), fallback) if "signup_date" in cols else fallback

    source = churn_source(ds)
    if source == "churn_date":
        churn = pl.when(pl.col("churn_date") <= as_of).then(pl.col("churn_date")).otherwise(None)
    elif source == "monthly":
        nxt = pl.col("last_mrr_month").dt.offset_by("1mo")
        churn = pl.when(nxt <= as_of).then(nxt).otherwise(None)
    elif source == "orders":
        nxt = pl.col("last_order_date") + pl.duration(days=ds.config.inactive_after_days)
        churn = pl.when(nxt <= as_of).then(nxt).otherwise(None)
    else:
        churn = _null(pl.Date)
    churn = churn.cast(pl.Date)
    if source == "is_active":
        churned = pl.col("is_active").fill_null(True).not_()
    else:
        churned = churn.is_not_null()
    return [
        start.alias("start_date"),
        churn.alias("churn_date"),
        churned.alias("_churned"),
    ]


# ---------------------------------------------------------------- risk (SPEC §2)


def _risk_columns(cfg: Config, cols: set[str], as_of: date) -> list[pl.Expr]:
    """Strength (0–1, null when not firing) of every signal, for active customers;
    a signal whose facts columns the data lacks cannot fire."""
    active = pl.col("active")
    out = []
    for signal in SIGNALS:
        fits = all(c in cols for c in signal.needs)
        s = signal.strength(cfg.risk_thresholds, as_of) if fits else _null()
        out.append(pl.when(active).then(s.cast(pl.Float64)).alias(f"s_{signal.id}"))
    return out


def _risk_contributions(cfg: Config) -> list[pl.Expr]:
    contribs = []
    for name in RISK_SIGNAL_COLUMNS:
        w = cfg.risk_weights[name]
        contribs.append((pl.col(f"s_{name}").fill_null(0.0) * w).alias(f"risk_{name}"))
    return contribs


def _risk_score() -> pl.Expr:
    total = pl.sum_horizontal(pl.col(f"risk_{n}") for n in RISK_SIGNAL_COLUMNS)
    score = pl.min_horizontal(pl.lit(100.0), round_half_away(total))
    return pl.when(pl.col("active")).then(score.cast(pl.Int64)).alias("risk_score")


def _signals_text(cols: set[str]) -> pl.Expr:
    """Short text of the firing signals, e.g. "logins −46%, tickets +196%"."""
    parts = [
        pl.when(pl.col(f"s_{signal.id}").is_not_null()).then(signal.text_expr())
        for signal in SIGNALS
        if all(c in cols for c in signal.needs)
    ]
    if not parts:
        return pl.lit("", dtype=pl.String)
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


# ---------------------------------------------------------------- derived dimensions


def _rfm_score(goodness: pl.Expr, member: pl.Expr) -> pl.Expr:
    """score = floor((rank − 1) × 5 ÷ n) + 1, rank ascending in goodness, ties share
    their lowest rank (SPEC §2)."""
    g = pl.when(member).then(goodness)
    n = member.sum()
    return ((g.rank("min") - 1) * 5 // n + 1).cast(pl.Int64)


RFM_NAMES = (  # (R scores, F scores, name), SPEC §2
    ((5,), (4, 5), "Champions"),
    ((3, 4), (4, 5), "Loyal"),
    ((4, 5), (2, 3), "Potential Loyalist"),
    ((5,), (1,), "New"),
    ((4,), (1,), "Promising"),
    ((3,), (3,), "Need Attention"),
    ((3,), (1, 2), "About To Sleep"),
    ((1, 2), (3, 4), "At Risk"),
    ((1, 2), (5,), "Can't Lose"),
    ((1, 2), (1, 2), "Hibernating"),
)


def _rfm_name() -> pl.Expr:
    r, f = pl.col("rfm_r"), pl.col("rfm_f")
    chain = None
    for rs, fs, name in RFM_NAMES:
        cond = r.is_in(list(rs)) & f.is_in(list(fs))
        chain = (pl.when(cond) if chain is None else chain.when(cond)).then(pl.lit(name))
    return chain.otherwise(None)


def binned(expr: pl.Expr, edges: tuple[float, ...], labels: tuple[str, ...]) -> pl.Expr:
    """Left-closed bins; see config.BinnedDimension for the label rules."""
    chain = None
    bins = list(zip(edges, labels[-len(edges) :], strict=True))
    for edge, label in reversed(bins):
        cond = expr >= edge
        chain = (pl.when(cond) if chain is None else chain.when(cond)).then(pl.lit(label))
    if len(labels) > len(edges):
        chain = chain.when(expr < edges[0]).then(pl.lit(labels[0]))
    return chain.otherwise(None)


# ---------------------------------------------------------------- the facts table


_AGGREGATES = {
    "orders": _orders_agg,
    "monthly": _monthly_agg,
    "events": _events_agg,
    "feedback": _feedback_agg,
}

Aggregates = dict[str, pl.LazyFrame]

# the tables the facts read besides the customers: a change to any other table
# (tickets, spend) leaves the facts of one as_of as they were
AGGREGATED = tuple(_AGGREGATES)

# How an id's aggregate row over some files and its row over more files of the
# same table make its row over all of them (an incremental update of the facts,
# `engine.build.grown_facts`): the tables whose every aggregate column is a
# minimum, a maximum or a sum (the NaN / inf counts are sums). Monthly's block
# means and latest values and feedback's latest score need rows the aggregate
# does not keep: a table not named here is read whole again when it changes.
MERGE_RULES: dict[str, dict[str, str]] = {
    "orders": {
        "first_order_date": "min",
        "last_order_date": "max",
        "lifetime_orders": "sum",
        "lifetime_revenue": "sum",
        "revenue_12m": "sum",
        "orders_12m": "sum",
        "order_rows_12m": "sum",
    },
    "events": {
        "first_event_date": "min",
        "last_event_date": "max",
        "events_lifetime": "sum",
        "events_90d": "sum",
        "payment_events_90d": "sum",
    },
}


def merged(column: str, rule: str, other: str) -> pl.Expr:
    """`column` combined with `other` (the same aggregate over other rows) by
    `rule` (MERGE_RULES); a side with no rows is null."""
    a, b = pl.col(column), pl.col(other)
    if rule == "min":
        return pl.min_horizontal(a, b).alias(column)
    if rule == "max":
        return pl.max_horizontal(a, b).alias(column)
    return (a.fill_null(0) + b.fill_null(0)).alias(column)


def table_aggregates(ds: Dataset, count_nonfinite: bool = False) -> Aggregates:
    """One row per id for each large table the dataset has: the one pass over it
    that the facts (and `other_ids`) are built from. The engine collects them
    first, together, and assembles the facts from the results. With
    `count_nonfinite`, each row also counts the id's NaN / inf values in the
    columns named by `ds.nonfinite` (columns of those names; the engine sums
    and drops them)."""
    return {t: agg(ds, count_nonfinite) for t, agg in _AGGREGATES.items() if ds.has(t)}


def customer_facts(
    ds: Dataset, aggregates: Aggregates | None = None, customers: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Build the facts LazyFrame from the customers and `table_aggregates` (built
    here when not given). Columns (when the data supports them):

    attributes of the customer, start_date, churn_date, churn_reason, status,
    in_universe, active, tenure_days, revenue_12m, lifetime_revenue,
    lifetime_orders, orders_12m, order_rows_12m, first/last_order_date, aov_12m,
    days_since_last_order, mrr, mrr_12m_ago, last_mrr_month, last_positive_mrr,
    block means (logins/tickets/nps/features × p/r), events_90d, feedback facts,
    s_<signal> strengths, risk_<signal> contributions, risk_score, signals,
    revenue_tier, engagement, risk_band, rfm_r/f/m, rfm_segment, lifecycle and
    the config's binned dimensions.
    """
    aggregates = table_aggregates(ds) if aggregates is None else aggregates
    frame = ds.tables["customers"] if customers is None else customers
    for agg in aggregates.values():
        # the customers' own order: an export sorted by id needs no sort later
        frame = frame.join(agg, on="customer_id", how="left", coalesce=True, maintain_order="left")
    return facts_from_joined(ds, frame)


def facts_from_joined(ds: Dataset, frame: pl.LazyFrame) -> pl.LazyFrame:
    """The facts from the customers left-joined with every table aggregate."""
    cfg = ds.config
    as_of = ds.as_of
    cols = set(frame.collect_schema().names())
    # A customer with no rows in an existing table has 0 for its sums (§6).
    zero_fill = [
        c
        for c in (
            "lifetime_orders",
            "lifetime_revenue",
            "revenue_12m",
            "orders_12m",
            "order_rows_12m",
            "mrr",
            "mrr_12m_ago",
            "events_lifetime",
            "events_90d",
            "payment_events_90d",
            "feedback_responses",
            "feedback_responses_90d",
        )
        if c in cols
    ]
    frame = frame.with_columns(pl.col(c).fill_null(0) for c in zero_fill)
    frame = frame.with_columns(_status_columns(ds, cols))
    in_u = pl.col("start_date").is_not_null() & (pl.col("start_date") <= as_of)
    frame = frame.with_columns(
        in_u.alias("in_universe"),
        (in_u & pl.col("_churned").not_()).alias("active"),
        pl.when(in_u)
        .then(pl.when(pl.col("_churned")).then(pl.lit("churned")).otherwise(pl.lit("active")))
        .alias("status"),
    )
    end = pl.min_horizontal(pl.col("churn_date").fill_null(as_of), pl.lit(as_of))
    extra = [
        pl.when(pl.col("in_universe"))
        .then((end - pl.col("start_date")).dt.total_days())
        .alias("tenure_days"),
    ]
    if "churn_reason" in cols:
        extra.append(pl.when(pl.col("_churned")).then(pl.col("churn_reason")).alias("churn_reason"))
    if "orders_12m" in cols:
        extra.append(
            pl.when(pl.col("orders_12m") > 0)
            .then(pl.col("revenue_12m") / pl.col("orders_12m"))
            .alias("aov_12m")
        )
        extra.append(
            (pl.lit(as_of) - pl.col("last_order_date"))
            .dt.total_days()
            .alias("days_since_last_order")
        )
    frame = frame.with_columns(extra).drop("_churned")
    cols = set(frame.collect_schema().names())

    frame = frame.with_columns(_risk_columns(cfg, cols, as_of))
    frame = frame.with_columns(_risk_contributions(cfg)).with_columns(_risk_score())
    cols = set(frame.collect_schema().names())
    return _derived_dimensions(ds, _with_signals(frame, cols))


def _with_signals(frame: pl.LazyFrame, cols: set[str]) -> pl.LazyFrame:
    """The `signals` text of active customers ("" when none fires). Built only for
    the rows where a signal fires (a quarter of M's customers) and joined back by
    row number: formatting eight parts for every row was 0.3 s of a cold build."""
    fired = pl.any_horizontal(pl.col(f"s_{n}").is_not_null() for n in RISK_SIGNAL_COLUMNS)
    rows = frame.with_row_index("_row")
    text = rows.filter(fired).select("_row", _signals_text(cols).alias("signals"))
    return (
        rows.join(text, on="_row", how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("active")).then(pl.col("signals").fill_null("")))
        .drop("_row")
    )


OTHER_ID_SUMS = ("revenue_12m", "orders_12m", "mrr", "mrr_12m_ago")
OTHER_MRR = ("mrr", "mrr_12m_ago")
# with the sums, the order figures new vs returning buyers need (SPEC §8 counts
# every id in orders), so those ids' rows are not read again
OTHER_ORDERS = (
    "revenue_12m",
    "orders_12m",
    "first_order_date",
    "lifetime_orders",
    "order_rows_12m",
)
OTHER_COUNTS = ("lifetime_orders", "order_rows_12m")


def other_ids(
    ds: Dataset, aggregates: Aggregates | None = None, customers: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """Per-id sums (revenue_12m, orders_12m, mrr, mrr_12m_ago, as in the facts) of
    the ids in orders or monthly that are not customers: SPEC §6 counts their
    orders and mrr in overview's revenue_12m, mrr and in retention; with orders
    also their first_order_date, lifetime_orders and order_rows_12m (§8's new vs
    returning buyers count every id in orders). Built from
    the very aggregates the facts join (`table_aggregates`); usually a handful
    of rows."""
    aggregates = table_aggregates(ds) if aggregates is None else aggregates
    ids = (ds.tables["customers"] if customers is None else customers).select("customer_id")
    # the ids that are not customers first: the full join in other_id_sums is then tiny
    rows = {t: agg.join(ids, on="customer_id", how="anti") for t, agg in aggregates.items()}
    return other_id_sums(rows, ids)


def other_id_sums(not_customers: Aggregates, ids: pl.LazyFrame) -> pl.LazyFrame:
    """`other_ids` from the aggregates' rows of ids that are not customers (`ids`
    gives the id column's type when there are none)."""
    parts = []
    for table, columns in (("orders", OTHER_ORDERS), ("monthly", OTHER_MRR)):
        if table in not_customers:
            parts.append(not_customers[table].select("customer_id", *columns))
    if not parts:
        return ids.select("customer_id").clear()
    frame = parts[0]
    for part in parts[1:]:  # rows with no id are kept: one null-id row
        frame = frame.join(part, on="customer_id", how="full", coalesce=True, nulls_equal=True)
    names = frame.collect_schema().names()
    sums = [c for c in (*OTHER_ID_SUMS, *OTHER_COUNTS) if c in names]
    return frame.with_columns(pl.col(c).fill_null(0) for c in sums)


def revenue_value(ds: Dataset, cols: set[str]) -> tuple[pl.Expr | None, str | None]:
    """The value revenue_tier is cut on (SPEC §6) and its source's name."""
    if ds.has("orders"):
        return pl.col("revenue_12m"), "revenue_12m"
    if "annual_revenue" in cols:
        return pl.col("annual_revenue"), "annual_revenue"
    if ds.has("monthly"):
        return pl.col("mrr") * 12, "12 × mrr"
    return None, None


def _vip_value(ds: Dataset, cols: set[str]) -> pl.Expr | None:
    if ds.has("orders"):
        return pl.col("revenue_12m")
    if "annual_revenue" in cols:
        return pl.col("annual_revenue")
    if ds.has("monthly"):
        return pl.col("mrr")
    return None


def _derived_dimensions(ds: Dataset, frame: pl.LazyFrame) -> pl.LazyFrame:
    cfg = ds.config
    as_of = ds.as_of
    cols = set(frame.collect_schema().names())
    in_u = pl.col("in_universe")
    out: list[pl.Expr] = []

    value, _ = revenue_value(ds, cols)
    if value is not None:
        tier = (
            pl.when(value >= cfg.tier_enterprise)
            .then(pl.lit("Enterprise"))
            .when(value >= cfg.tier_smb)
            .then(pl.lit("SMB"))
            .when(value.is_not_null())
            .then(pl.lit("Individual"))
        )
        out.append(pl.when(in_u).then(tier).alias("revenue_tier"))
    if ds.has("events"):
        ev = pl.col("events_90d")
        eng = (
            pl.when(ev < cfg.engagement_low)
            .then(pl.lit("Low"))
            .when(ev <= cfg.engagement_high)
            .then(pl.lit("Medium"))
            .otherwise(pl.lit("High"))
        )
        out.append(pl.when(in_u).then(eng).alias("engagement"))
    th = cfg.risk_thresholds
    score = pl.col("risk_score")
    out.append(
        pl.when(score >= th["at_risk_score"])
        .then(pl.lit("High"))
        .when(score >= th["medium_risk_score"])
        .then(pl.lit("Medium"))
        .when(score.is_not_null())
        .then(pl.lit("Low"))
        .alias("risk_band")
    )
    if ds.has("orders"):
        member = in_u & (pl.col("lifetime_orders") >= 1)
        out += [
            _rfm_score(-pl.col("days_since_last_order"), member).alias("rfm_r"),
            _rfm_score(pl.col("lifetime_orders"), member).alias("rfm_f"),
            _rfm_score(pl.col("lifetime_revenue"), member).alias("rfm_m"),
        ]
    frame = frame.with_columns(out)
    if ds.has("orders"):
        frame = frame.with_columns(_rfm_name().alias("rfm_segment"))

    # lifecycle: Inactive · New · At Risk · VIP · Regular, first match wins.
    new_since = shift_days(as_of, -30)
    base = (
        pl.when(~in_u)
        .then(None)
        .when(~pl.col("active"))
        .then(pl.lit("Inactive"))
        .when(pl.col("start_date") > new_since)
        .then(pl.lit("New"))
        .when(pl.col("risk_score") >= th["at_risk_score"])
        .then(pl.lit("At Risk"))
    )
    frame = frame.with_columns(base.otherwise(None).alias("_life"))
    vip_value = _vip_value(ds, cols)
    rest = in_u & pl.col("_life").is_null()
    if vip_value is not None:
        # "the first floor(10% × n_rest) of the rest by value desc, ties by
        # customer_id", without sorting a million rows: the k-th largest value is
        # a top-k; everyone above it is VIP, and of those equal to it (or, when
        # fewer than k have a value, of those without one) the first by id fill
        # the remaining places.
        v = pl.when(rest).then(vip_value.cast(pl.Float64))
        k = rest.sum() // 10
        valued = v.count()
        cut = v.top_k(pl.min_horizontal(k, valued)).min()
        above = (v > cut).sum()
        tied = rest & (v == cut)
        tie_rank = pl.when(tied).then(pl.col("customer_id")).rank("ordinal")
        no_value = rest & v.is_null()
        none_rank = pl.when(no_value).then(pl.col("customer_id")).rank("ordinal")
        is_vip = (
            pl.when(k <= valued)
            .then((v > cut) | (tied & (tie_rank <= k - above)))
            .otherwise(v.is_not_null() | (no_value & (none_rank <= k - valued)))
        )
        frame = frame.with_columns(
            pl.when(rest & is_vip.fill_null(False)).then(pl.lit("VIP")).alias("_vip")
        )
    else:
        frame = frame.with_columns(_null(pl.String).alias("_vip"))
    frame = frame.with_columns(
        pl.when(in_u).then(pl.coalesce("_life", "_vip", pl.lit("Regular"))).alias("lifecycle")
    ).drop("_life", "_vip")

    cols = set(frame.collect_schema().names())
    dims = []
    for dim in cfg.dimensions.values():
        if dim.column not in cols:
            continue  # reported by `cxtui validate` and when the dimension is asked for
        dims.append(
            binned(pl.col(dim.column).cast(pl.Float64, strict=False), dim.edges, dim.labels).alias(
                dim.name
            )
        )
    if dims:
        frame = frame.with_columns(dims)
    return frame
