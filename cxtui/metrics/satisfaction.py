"""SPEC §9 "Satisfaction": NPS and CSAT from each customer's latest response in a
window, by a dimension, per calendar month, drivers per feedback topic, and the
accounts behind every count. Each function only builds a LazyFrame.

Readings (docs/metrics.md "Satisfaction and support"): a response is a feedback
row with a score; respondents are customers of the universe (start ≤ as_of, and
--where); a customer's latest response in the window is the one with the latest
date, then the higher score, then the higher csat (as overview's nps_90d, so the
90d figures agree); csat outside 1–5 is not a csat. csat_mean and csat_share are
over those latest responses that carry a csat. Drivers count every response in
the window that has a topic.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from cxtui.data.load import Dataset
from cxtui.errors import CxError
from cxtui.metrics.panes import check_dimension, trend_months
from cxtui.metrics.periods import month_end, shift_days
from cxtui.metrics.scope import Scope, null_col, ratio

PROMOTER_MIN = 9  # promoters 9–10 (SPEC §2)
DETRACTOR_MAX = 6  # detractors 0–6
CSAT_MIN, CSAT_MAX = 1, 5  # the csat scale (SPEC §1)
CSAT_SATISFIED = 4  # csat_share counts csat ≥ this

SATISFACTION_KEYS = (
    "respondents",
    "promoters",
    "passives",
    "detractors",
    "promoter_share",
    "passive_share",
    "detractor_share",
    "nps",
    "csat_responses",
    "csat_mean",
    "csat_share",
)
DRIVER_KEYS = ("topic", "responses", "csat_mean", "score_mean", "detractor_share")
GROUPS = ("promoter", "passive", "detractor")  # the `group` of a latest response

# columns of a latest response on account rows (beside the customer's facts)
RESPONSE_COLUMNS = (
    "feedback_date",
    "feedback_score",
    "feedback_csat",
    "feedback_topic",
    "feedback_group",
)


def require_feedback(scope: Scope) -> None:
    if not scope.ds.has("feedback"):
        raise CxError(
            "satisfaction needs a feedback table; fix: add feedback.parquet (customer_id, "
            "date, score) to the dataset or map one with [tables.feedback] path in cxtui.toml"
        )


def has_topics(ds: Dataset) -> bool:
    """Whether drivers can be computed: feedback has a `topic` column."""
    return ds.has_column("feedback", "topic")


def _require_topics(scope: Scope) -> None:
    require_feedback(scope)
    if not has_topics(scope.ds):
        raise CxError(
            "satisfaction drivers need a topic column in feedback; fix: add one, or map "
            'yours with [tables.feedback.columns] topic = "<your column>" in cxtui.toml'
        )


# ---------------------------------------------------------------- responses


def _responses(scope: Scope, after: date, until: date) -> pl.LazyFrame:
    """Responses dated in (after, until] of customers in the universe: customer_id,
    date, score, csat (null when absent or outside 1–5), topic (null when absent)."""
    require_feedback(scope)
    cols = scope.ds.columns("feedback")
    csat = pl.col("csat")
    valid = csat.is_between(CSAT_MIN, CSAT_MAX)
    day = pl.col("date")
    return (
        scope.ds.scan("feedback")
        .filter((day > after) & (day <= until) & pl.col("score").is_not_null())
        .join(scope.universe.select("customer_id"), on="customer_id", how="semi")
        .select(
            "customer_id",
            "date",
            pl.col("score").cast(pl.Float64),
            pl.when(valid).then(csat).cast(pl.Float64).alias("csat")
            if "csat" in cols
            else null_col("csat"),
            pl.col("topic") if "topic" in cols else null_col("topic", pl.String),
        )
    )


def _latest(rows: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """One response per key: the latest date, then the higher score, then the higher
    csat, then the topic last in order (nulls first: a value beats none)."""
    order = ["date", "score", "csat", "topic"]
    return rows.group_by(keys).agg(pl.col(c).sort_by(order, nulls_last=False).last() for c in order)


def _group(score: pl.Expr) -> pl.Expr:
    return (
        pl.when(score >= PROMOTER_MIN)
        .then(pl.lit("promoter"))
        .when(score <= DETRACTOR_MAX)
        .then(pl.lit("detractor"))
        .otherwise(pl.lit("passive"))
    )


def latest_responses(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """Per respondent of the window (as_of − window_days, as_of]: customer_id and
    the latest response's date, score, csat, topic and `group`."""
    after = shift_days(scope.as_of, -window_days)
    latest = _latest(_responses(scope, after, scope.as_of), ["customer_id"])
    return latest.with_columns(_group(pl.col("score")).alias("group"))


def _counts() -> list[pl.Expr]:
    score, csat = pl.col("score"), pl.col("csat")
    return [
        pl.len().cast(pl.Int64).alias("respondents"),
        (score >= PROMOTER_MIN).sum().cast(pl.Int64).alias("promoters"),
        (score <= DETRACTOR_MAX).sum().cast(pl.Int64).alias("detractors"),
        csat.count().cast(pl.Int64).alias("csat_responses"),
        (csat >= CSAT_SATISFIED).sum().cast(pl.Int64).alias("_satisfied"),
        csat.mean().alias("csat_mean"),
    ]


def _figures(lf: pl.LazyFrame) -> pl.LazyFrame:
    """From the counts of `_counts`: passives, the shares, nps, csat_share."""
    n = pl.col("respondents").cast(pl.Float64)
    promoters, detractors = pl.col("promoters"), pl.col("detractors")
    passives = pl.col("respondents") - promoters - detractors
    return lf.with_columns(passives.alias("passives")).with_columns(
        ratio(promoters.cast(pl.Float64), n).alias("promoter_share"),
        ratio(pl.col("passives").cast(pl.Float64), n).alias("passive_share"),
        ratio(detractors.cast(pl.Float64), n).alias("detractor_share"),
        ratio(100.0 * (promoters - detractors).cast(pl.Float64), n).alias("nps"),
        ratio(
            pl.col("_satisfied").cast(pl.Float64), pl.col("csat_responses").cast(pl.Float64)
        ).alias("csat_share"),
    )


def csat_out_of_range(
    scope: Scope, window_days: int = 90, months: int | None = None
) -> pl.LazyFrame:
    """One row, `n`: responses the figures read (the window's, or with `months` the
    trend's months) whose csat is outside 1–5 and so counts as no csat (a note
    shown with the output; `cxtui validate` lists the rows)."""
    require_feedback(scope)
    if not scope.ds.has_column("feedback", "csat"):
        return pl.LazyFrame({"n": [0]}, schema={"n": pl.Int64})
    if months is None:
        after = shift_days(scope.as_of, -window_days)
    else:
        after = shift_days(trend_months(scope.as_of, months)[0], -1)
    day, csat = pl.col("date"), pl.col("csat")
    bad = csat.is_not_null() & ~csat.is_between(CSAT_MIN, CSAT_MAX)
    return (
        scope.ds.scan("feedback")
        .filter((day > after) & (day <= scope.as_of) & pl.col("score").is_not_null())
        .join(scope.universe.select("customer_id"), on="customer_id", how="semi")
        .select(bad.sum().cast(pl.Int64).alias("n"))
    )


# ---------------------------------------------------------------- the figures


def satisfaction(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """One row of SATISFACTION_KEYS over the window (respondents 0 and the ratios
    null when nobody answered)."""
    latest = latest_responses(scope, window_days)
    return _figures(latest.select(_counts())).select(SATISFACTION_KEYS)


def satisfaction_by(scope: Scope, dim: str, window_days: int = 90) -> pl.LazyFrame:
    """SATISFACTION_KEYS per value of a customer dimension, for the values that have
    respondents (a null value is its own row); respondents desc, then value asc."""
    check_dimension(scope, dim)
    latest = latest_responses(scope, window_days).join(
        scope.universe.select("customer_id", dim), on="customer_id", how="left"
    )
    return (
        _figures(latest.group_by(dim).agg(_counts()))
        .sort(["respondents", dim], descending=[True, False], nulls_last=True)
        .select(dim, *SATISFACTION_KEYS)
    )


def _month_bounds(scope: Scope, first: date) -> tuple[date, date]:
    """Calendar month `first` as a window (after, until]; the current one ends at as_of."""
    return shift_days(first, -1), min(month_end(first), scope.as_of)


def satisfaction_trend(scope: Scope, months: int = 12) -> pl.LazyFrame:
    """`month` and SATISFACTION_KEYS for each of the `months` calendar months ending
    with month(as_of): each customer's latest response in that month. A month with
    no response has respondents 0 and null ratios."""
    firsts = trend_months(scope.as_of, months)
    rows = _responses(scope, shift_days(firsts[0], -1), scope.as_of).with_columns(
        pl.col("date").dt.month_start().alias("month")
    )
    counted = _latest(rows, ["customer_id", "month"]).group_by("month").agg(_counts())
    ints = ["respondents", "promoters", "detractors", "csat_responses", "_satisfied"]
    frame = (
        pl.LazyFrame({"month": firsts}, schema={"month": pl.Date})
        .join(counted, on="month", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ints)
    )
    return _figures(frame).sort("month").select("month", *SATISFACTION_KEYS)


def satisfaction_drivers(
    scope: Scope, window_days: int = 90, areas_to_improve: bool = False
) -> pl.LazyFrame:
    """DRIVER_KEYS per feedback topic over every response in the window that has a
    topic: by csat_mean descending (drivers) or, with `areas_to_improve`, ascending;
    a topic without csat last; ties by topic."""
    _require_topics(scope)
    after = shift_days(scope.as_of, -window_days)
    rows = _responses(scope, after, scope.as_of).filter(pl.col("topic").is_not_null())
    grouped = rows.group_by("topic").agg(
        pl.len().cast(pl.Int64).alias("responses"),
        pl.col("csat").mean().alias("csat_mean"),
        pl.col("score").mean().alias("score_mean"),
        (pl.col("score") <= DETRACTOR_MAX).sum().cast(pl.Float64).alias("_detractors"),
    )
    return (
        grouped.with_columns(
            ratio(pl.col("_detractors"), pl.col("responses").cast(pl.Float64)).alias(
                "detractor_share"
            )
        )
        .sort(["csat_mean", "topic"], descending=[not areas_to_improve, False], nulls_last=True)
        .select(DRIVER_KEYS)
    )


# ---------------------------------------------------------------- drill-downs


def _accounts(scope: Scope, latest: pl.LazyFrame) -> pl.LazyFrame:
    """The customers' facts with their latest response (RESPONSE_COLUMNS): lowest
    score first, then the most recent, then customer_id."""
    response = latest.select(
        "customer_id",
        pl.col("date").alias("feedback_date"),
        pl.col("score").alias("feedback_score"),
        pl.col("csat").alias("feedback_csat"),
        pl.col("topic").alias("feedback_topic"),
        _group(pl.col("score")).alias("feedback_group"),
    )
    return scope.universe.join(response, on="customer_id", how="inner").sort(
        ["feedback_score", "feedback_date", "customer_id"], descending=[False, True, False]
    )


def respondent_accounts(
    scope: Scope,
    window_days: int = 90,
    group: str | None = None,
    dim: str | None = None,
    value: object = None,
    month: date | None = None,
) -> pl.LazyFrame:
    """Exactly the customers a satisfaction count holds: the window's respondents
    (or, with `month`, that trend month's), optionally only one `group`
    ("promoter", "passive", "detractor") and, with `dim`, only the customers
    whose `dim` is `value` (None: the null row). Facts rows plus RESPONSE_COLUMNS."""
    if group is not None and group not in GROUPS:
        raise CxError(f"unknown respondent group {group!r}; fix: use one of {', '.join(GROUPS)}")
    if month is None:
        after, until = shift_days(scope.as_of, -window_days), scope.as_of
    else:
        after, until = _month_bounds(scope, month.replace(day=1))
    latest = _latest(_responses(scope, after, until), ["customer_id"])
    if group is not None:
        latest = latest.filter(_group(pl.col("score")) == group)
    accounts = _accounts(scope, latest)
    if dim is not None:
        check_dimension(scope, dim)
        accounts = accounts.filter(pl.col(dim).is_null() if value is None else pl.col(dim) == value)
    return accounts


def detractor_accounts(scope: Scope, window_days: int = 90) -> pl.LazyFrame:
    """Customers whose latest response in the window scores ≤ 6 (SPEC §9)."""
    return respondent_accounts(scope, window_days, group="detractor")


def topic_accounts(scope: Scope, topic: str, window_days: int = 90) -> pl.LazyFrame:
    """The customers behind a drivers row: those with a response on `topic` in the
    window; their facts plus `responses` (on that topic) and their latest such
    response (RESPONSE_COLUMNS), lowest score first."""
    _require_topics(scope)
    after = shift_days(scope.as_of, -window_days)
    rows = _responses(scope, after, scope.as_of).filter(pl.col("topic") == topic)
    n = rows.group_by("customer_id").agg(pl.len().cast(pl.Int64).alias("responses"))
    latest = _latest(rows, ["customer_id"])
    return _accounts(scope, latest).join(n, on="customer_id", how="left", maintain_order="left")
